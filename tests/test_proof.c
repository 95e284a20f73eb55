/*
 * test_proof.c — RFC 9162 inclusion and consistency proofs
 * (merkle/proof.c): the RFC 6962 reference proofs, all transparency-dev
 * probe files with their wantErr, corruption sweeps in the style of
 * transparency-dev corruptInclusionProof, and every (index, size) and
 * (old, size) of every tree up to 260 leaves against the naive recursive
 * PATH/PROOF definitions.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "memtree.h"
#include "proof.h"
#include "support.h"

#define HB MLOG_HASH_BYTES

/* ---- corruption sweeps ---------------------------------------------- */

/* Every probe derived from a good inclusion proof must fail. */
static void sweep_inclusion(struct mlog_hash *h, uint64_t index,
	uint64_t size, const uint8_t leaf[HB], const uint8_t (*proof)[HB],
	size_t len, const uint8_t root[HB])
{
	uint8_t bad[MLOG_PROOF_MAX + 1][HB];
	uint8_t other[HB];

	cr_assert_eq(mlog_proof_verify_inclusion(h, index, size, leaf, proof,
		len, root), MLOG_OK, "good proof %llu/%llu",
		(unsigned long long)index, (unsigned long long)size);
	/* Wrong index: +1, -1, ^2; wrong size: +1, -1, *2, /2. */
	cr_assert_neq(mlog_proof_verify_inclusion(h, index + 1, size, leaf,
		proof, len, root), MLOG_OK);
	if (index > 0)
		cr_assert_neq(mlog_proof_verify_inclusion(h, index - 1, size,
			leaf, proof, len, root), MLOG_OK);
	cr_assert_neq(mlog_proof_verify_inclusion(h, index ^ 2, size, leaf,
		proof, len, root), MLOG_OK);
	cr_assert_neq(mlog_proof_verify_inclusion(h, index, size * 2, leaf,
		proof, len, root), MLOG_OK);
	if (size / 2 != size)
		cr_assert_neq(mlog_proof_verify_inclusion(h, index, size / 2,
			leaf, proof, len, root), MLOG_OK);
	/* Not size + 1: PATH(0, D[3]) and PATH(0, D[4]) have the same shape,
	 * so the RFC algorithm maps (proof, size 4) to the size-3 root; the
	 * root, not the size, is what pins the tree. */
	/* Wrong root, wrong leaf. */
	memcpy(other, root, HB);
	other[0] ^= 1;
	cr_assert_eq(mlog_proof_verify_inclusion(h, index, size, leaf, proof,
		len, other), MLOG_ERR_VERIFY);
	memcpy(other, leaf, HB);
	other[31] ^= 0x80;
	cr_assert_eq(mlog_proof_verify_inclusion(h, index, size, other, proof,
		len, root), MLOG_ERR_VERIFY);
	/* One bit flipped in each element. */
	for (size_t i = 0; i < len; i++) {
		memcpy(bad, proof, len * HB);
		bad[i][i % HB] ^= (uint8_t)(1u << (i % 8));
		cr_assert_eq(mlog_proof_verify_inclusion(h, index, size, leaf,
			(const uint8_t (*)[HB])bad, len, root),
			MLOG_ERR_VERIFY, "bit flip in element %zu", i);
	}
	/* Truncated, extended at either end, element removed. */
	if (len > 0) {
		cr_assert_eq(mlog_proof_verify_inclusion(h, index, size, leaf,
			proof, len - 1, root), MLOG_ERR_VERIFY);
		cr_assert_eq(mlog_proof_verify_inclusion(h, index, size, leaf,
			proof + 1, len - 1, root), MLOG_ERR_VERIFY);
	}
	memcpy(bad, proof, len * HB);
	memcpy(bad[len], root, HB);
	cr_assert_eq(mlog_proof_verify_inclusion(h, index, size, leaf,
		(const uint8_t (*)[HB])bad, len + 1, root), MLOG_ERR_VERIFY);
	memcpy(bad[0], leaf, HB);
	memcpy(bad[1], proof, len * HB);
	cr_assert_eq(mlog_proof_verify_inclusion(h, index, size, leaf,
		(const uint8_t (*)[HB])bad, len + 1, root), MLOG_ERR_VERIFY);
}

static void sweep_consistency(struct mlog_hash *h, uint64_t old,
	uint64_t size, const uint8_t old_root[HB], const uint8_t new_root[HB],
	const uint8_t (*proof)[HB], size_t len)
{
	uint8_t bad[MLOG_PROOF_MAX + 1][HB];
	uint8_t other[HB];

	cr_assert_eq(mlog_proof_verify_consistency(h, old, size, old_root,
		new_root, proof, len), MLOG_OK, "good proof %llu->%llu",
		(unsigned long long)old, (unsigned long long)size);
	/* Sizes off by one, doubled, halved, xor 2. */
	if (old > 1)
		cr_assert_neq(mlog_proof_verify_consistency(h, old - 1, size,
			old_root, new_root, proof, len), MLOG_OK);
	if (old + 1 <= size)
		cr_assert_neq(mlog_proof_verify_consistency(h, old + 1, size,
			old_root, new_root, proof, len), MLOG_OK);
	cr_assert_neq(mlog_proof_verify_consistency(h, old, size * 2,
		old_root, new_root, proof, len), MLOG_OK);
	if (size / 2 > 0)
		cr_assert_neq(mlog_proof_verify_consistency(h, old, size / 2,
			old_root, new_root, proof, len), MLOG_OK);
	if ((old ^ 2) != 0 && (old ^ 2) <= size)
		cr_assert_neq(mlog_proof_verify_consistency(h, old ^ 2, size,
			old_root, new_root, proof, len), MLOG_OK);
	/* Wrong or swapped roots. */
	memcpy(other, old_root, HB);
	other[5] ^= 4;
	cr_assert_eq(mlog_proof_verify_consistency(h, old, size, other,
		new_root, proof, len), MLOG_ERR_VERIFY);
	memcpy(other, new_root, HB);
	other[5] ^= 4;
	cr_assert_eq(mlog_proof_verify_consistency(h, old, size, old_root,
		other, proof, len), MLOG_ERR_VERIFY);
	if (memcmp(old_root, new_root, HB) != 0)
		cr_assert_eq(mlog_proof_verify_consistency(h, old, size,
			new_root, old_root, proof, len), MLOG_ERR_VERIFY);
	for (size_t i = 0; i < len; i++) {
		memcpy(bad, proof, len * HB);
		bad[i][(i * 7) % HB] ^= (uint8_t)(1u << (i % 8));
		cr_assert_eq(mlog_proof_verify_consistency(h, old, size,
			old_root, new_root, (const uint8_t (*)[HB])bad, len),
			MLOG_ERR_VERIFY, "bit flip in element %zu", i);
	}
	if (len > 0) {
		cr_assert_eq(mlog_proof_verify_consistency(h, old, size,
			old_root, new_root, proof, len - 1), MLOG_ERR_VERIFY);
		cr_assert_eq(mlog_proof_verify_consistency(h, old, size,
			old_root, new_root, proof + 1, len - 1),
			MLOG_ERR_VERIFY);
	}
	memcpy(bad, proof, len * HB);
	memcpy(bad[len], new_root, HB);
	cr_assert_eq(mlog_proof_verify_consistency(h, old, size, old_root,
		new_root, (const uint8_t (*)[HB])bad, len + 1),
		MLOG_ERR_VERIFY);
	memcpy(bad[0], old_root, HB);
	memcpy(bad[1], proof, len * HB);
	cr_assert_eq(mlog_proof_verify_consistency(h, old, size, old_root,
		new_root, (const uint8_t (*)[HB])bad, len + 1),
		MLOG_ERR_VERIFY);
}

/* ---- RFC 6962 reference proofs ------------------------------------- */

static struct memtree *reference_tree(void)
{
	static const char *inputs[8] = { "", "00", "10", "2021", "3031",
		"40414243", "5051525354555657",
		"606162636465666768696a6b6c6d6e6f" };
	struct memtree *t = calloc(1, sizeof(*t));

	memtree_init(t);
	for (int i = 0; i < 8; i++) {
		uint8_t data[16];
		size_t len = strlen(inputs[i]) / 2;

		if (len > 0)
			test_hex(data, len, inputs[i]);
		memtree_append(t, data, len);
	}
	return t;
}

Test(proof, rfc6962_reference_proofs)
{
	struct memtree *t;
	char *text, *line, *save = NULL;
	int inclusions = 0, consistencies = 0;

	TEST_REQUIRE_SHARED();
	t = reference_tree();
	text = test_read_shared("vectors/merkle/rfc6962-proofs.txt", NULL);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		uint8_t want[MLOG_PROOF_MAX][HB], got[MLOG_PROOF_MAX][HB];
		uint8_t r1[HB], r2[HB];
		unsigned long long a, b;
		size_t n = 0, got_len = 99;
		char *tok, *save2 = NULL;
		int kind;

		if (line[0] == '#')
			continue;
		tok = strtok_r(line, " ", &save2);
		kind = strcmp(tok, "inclusion") == 0 ? 1 : 2;
		a = strtoull(strtok_r(NULL, " ", &save2), NULL, 10);
		b = strtoull(strtok_r(NULL, " ", &save2), NULL, 10);
		while ((tok = strtok_r(NULL, " ", &save2)) != NULL)
			test_hex(want[n++], HB, tok);
		cr_assert_eq(mlog_tree_root(t->h, r2, b, &t->reader), MLOG_OK);
		if (kind == 1) {
			cr_assert_eq(mlog_proof_prove_inclusion(t->h, got,
				&got_len, a, b, &t->reader), MLOG_OK);
			sweep_inclusion(t->h, a, b, t->leaves[a],
				(const uint8_t (*)[HB])want, n, r2);
			inclusions++;
		} else {
			cr_assert_eq(mlog_proof_prove_consistency(t->h, got,
				&got_len, a, b, &t->reader), MLOG_OK);
			cr_assert_eq(mlog_tree_root(t->h, r1, a, &t->reader),
				MLOG_OK);
			sweep_consistency(t->h, a, b, r1, r2,
				(const uint8_t (*)[HB])want, n);
			consistencies++;
		}
		cr_assert_eq(got_len, n, "%s %llu %llu: length",
			kind == 1 ? "inclusion" : "consistency", a, b);
		cr_assert_arr_eq(got, want, n * HB);
	}
	cr_assert_eq(inclusions, 5);
	cr_assert_eq(consistencies, 5);
	free(text);
	memtree_clear(t);
	free(t);
}

Test(proof, rfc6962_worked_example)
{
	/* RFC 6962 §2.1.3: in the 7-leaf tree, PROOF(3, D7) has 4 hashes,
	 * PROOF(4, D7) 1, PROOF(6, D7) 3; PATH(0) 3, PATH(6) 2. */
	cr_assert_eq(mlog_proof_consistency_len(3, 7), 4);
	cr_assert_eq(mlog_proof_consistency_len(4, 7), 1);
	cr_assert_eq(mlog_proof_consistency_len(6, 7), 3);
	cr_assert_eq(mlog_proof_inclusion_len(0, 7), 3);
	cr_assert_eq(mlog_proof_inclusion_len(3, 7), 3);
	cr_assert_eq(mlog_proof_inclusion_len(4, 7), 3);
	cr_assert_eq(mlog_proof_inclusion_len(6, 7), 2);
	cr_assert_eq(mlog_proof_inclusion_len(7, 7), -1);
	cr_assert_eq(mlog_proof_consistency_len(0, 7), -1);
	cr_assert_eq(mlog_proof_consistency_len(8, 7), -1);
	cr_assert_eq(mlog_proof_consistency_len(7, 7), 0);
}

/* ---- transparency-dev probe files ---------------------------------- */

/* Probe roots are opaque strings, sometimes not 32 bytes ("don't care"
 * placeholders where only their equality matters). Our API takes 32-byte
 * roots, so a root of another length is mapped to SHA-256 of its bytes:
 * equal strings stay equal, and no such value can equal a real root. */
static int json_root(json_t *v, uint8_t out[HB])
{
	uint8_t buf[256];
	const char *s = json_string_value(v);
	size_t n;

	if (s == NULL)
		return 0;
	n = test_b64(buf, sizeof(buf), s);
	if (n == HB) {
		memcpy(out, buf, HB);
	} else {
		struct mlog_hash *h = mlog_hash_new();

		mlog_hash_sha256(h, out, buf, n);
		mlog_hash_free(h);
	}
	return 1;
}

/* Decodes a base64 JSON string into a hash; returns 0 unless it is
 * exactly 32 bytes. */
static int json_hash(json_t *v, uint8_t out[HB])
{
	uint8_t buf[256];
	size_t n = 0;
	const char *s = json_string_value(v);

	if (s == NULL)
		return 0;
	n = test_b64(buf, sizeof(buf), s);
	if (n != HB)
		return 0;
	memcpy(out, buf, HB);
	return 1;
}

/* Reads a probe's number. Probes use 2^64-1 (Go's uint64(-1)), which
 * jansson only loads as a real: anything outside [0, 2^53) is reported as
 * unusable, so the probe must be a wantErr one. */
static int json_u64(json_t *v, uint64_t *out)
{
	double d = json_number_value(v);

	if (!json_is_number(v) || d < 0 || d >= 9007199254740992.0)
		return 0;
	*out = (uint64_t)d;
	return 1;
}

/* Runs one probe; returns 1 if it verified. */
static int run_probe(struct mlog_hash *h, json_t *j, int inclusion)
{
	uint8_t proof[MLOG_PROOF_MAX + 8][HB];
	json_t *arr = json_object_get(j, "proof");
	size_t n = json_is_array(arr) ? json_array_size(arr) : 0;

	if (n > MLOG_PROOF_MAX + 8)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!json_hash(json_array_get(arr, i), proof[i]))
			return 0;
	}
	if (inclusion) {
		uint8_t root[HB], leaf[HB];
		uint64_t idx, size;

		if (!json_root(json_object_get(j, "root"), root) ||
		    !json_hash(json_object_get(j, "leafHash"), leaf) ||
		    !json_u64(json_object_get(j, "leafIdx"), &idx) ||
		    !json_u64(json_object_get(j, "treeSize"), &size))
			return 0;
		return mlog_proof_verify_inclusion(h, idx, size, leaf,
			(const uint8_t (*)[HB])proof, n, root) == MLOG_OK;
	} else {
		uint8_t r1[HB], r2[HB];
		uint64_t s1, s2;

		if (!json_root(json_object_get(j, "root1"), r1) ||
		    !json_root(json_object_get(j, "root2"), r2) ||
		    !json_u64(json_object_get(j, "size1"), &s1) ||
		    !json_u64(json_object_get(j, "size2"), &s2))
			return 0;
		return mlog_proof_verify_consistency(h, s1, s2, r1, r2,
			(const uint8_t (*)[HB])proof, n) == MLOG_OK;
	}
}

static int run_probe_dir(struct mlog_hash *h, const char *dir, int inclusion,
	int *happy)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int count = 0;

	cr_assert_not_null(d, "cannot open %s", dir);
	while ((e = readdir(d)) != NULL) {
		char *path;
		json_t *j;
		json_error_t jerr;
		int want_err, ok;

		if (e->d_name[0] == '.')
			continue;
		cr_assert_neq(asprintf(&path, "%s/%s", dir, e->d_name), -1);
		if (strstr(e->d_name, ".json") == NULL) {
			count += run_probe_dir(h, path, inclusion, happy);
			free(path);
			continue;
		}
		j = json_load_file(path, JSON_DECODE_INT_AS_REAL, &jerr);
		cr_assert_not_null(j, "%s: %s", path, jerr.text);
		want_err = json_is_true(json_object_get(j, "wantErr"));
		ok = run_probe(h, j, inclusion);
		cr_assert_eq(ok, !want_err, "%s: wantErr %d but verify %s",
			path, want_err, ok ? "passed" : "failed");
		if (ok)
			(*happy)++;
		json_decref(j);
		free(path);
		count++;
	}
	closedir(d);
	return count;
}

Test(proof, transparency_dev_probes)
{
	struct mlog_hash *h;
	char *incl, *cons;
	int n_incl, n_cons, happy = 0;

	TEST_REQUIRE_SHARED();
	h = mlog_hash_new();
	incl = test_shared_path(
		"vectors/merkle/transparency-dev-testdata/inclusion");
	cons = test_shared_path(
		"vectors/merkle/transparency-dev-testdata/consistency");
	n_incl = run_probe_dir(h, incl, 1, &happy);
	n_cons = run_probe_dir(h, cons, 0, &happy);
	cr_assert_eq(n_incl + n_cons, 196, "probe files: %d + %d", n_incl,
		n_cons);
	cr_assert_gt(happy, 10, "some probes are happy paths");
	free(incl);
	free(cons);
	mlog_hash_free(h);
}

/* ---- exhaustive small trees ---------------------------------------- */

Test(proof, every_inclusion_proof_up_to_260, .timeout = 600)
{
	struct memtree t;
	uint8_t root[HB];

	memtree_init(&t);
	memtree_grow(&t, 260);
	for (uint64_t size = 1; size <= 260; size++) {
		memtree_naive_mth(&t, root, 0, size);
		for (uint64_t i = 0; i < size; i++) {
			uint8_t got[MLOG_PROOF_MAX][HB], want[MLOG_PROOF_MAX][HB];
			size_t got_len = 0, want_len;

			want_len = memtree_naive_path(&t, want, i, size);
			t.read_limit = mlog_tree_stored_count(size);
			cr_assert_eq(mlog_proof_prove_inclusion(t.h, got,
				&got_len, i, size, &t.reader), MLOG_OK);
			t.read_limit = 0;
			cr_assert_eq(got_len, want_len);
			cr_assert_eq((int)got_len,
				mlog_proof_inclusion_len(i, size));
			cr_assert_arr_eq(got, want, got_len * HB,
				"PATH(%llu, D[%llu])", (unsigned long long)i,
				(unsigned long long)size);
			sweep_inclusion(t.h, i, size, t.leaves[i],
				(const uint8_t (*)[HB])got, got_len, root);
		}
	}
	memtree_clear(&t);
}

Test(proof, every_consistency_proof_up_to_260, .timeout = 600)
{
	struct memtree t;
	static uint8_t roots[261][HB];

	memtree_init(&t);
	memtree_grow(&t, 260);
	for (uint64_t n = 1; n <= 260; n++)
		memtree_naive_mth(&t, roots[n], 0, n);
	for (uint64_t size = 1; size <= 260; size++) {
		for (uint64_t old = 1; old <= size; old++) {
			uint8_t got[MLOG_PROOF_MAX][HB], want[MLOG_PROOF_MAX][HB];
			size_t got_len = 0, want_len;

			want_len = old == size ? 0
				: memtree_naive_proof(&t, want, old, size);
			t.read_limit = mlog_tree_stored_count(size);
			cr_assert_eq(mlog_proof_prove_consistency(t.h, got,
				&got_len, old, size, &t.reader), MLOG_OK);
			t.read_limit = 0;
			cr_assert_eq(got_len, want_len, "PROOF(%llu, D[%llu])",
				(unsigned long long)old,
				(unsigned long long)size);
			cr_assert_arr_eq(got, want, got_len * HB);
			sweep_consistency(t.h, old, size, roots[old],
				roots[size], (const uint8_t (*)[HB])got,
				got_len);
		}
	}
	memtree_clear(&t);
}

Test(proof, large_tree_proofs_match_naive)
{
	struct memtree t;
	uint64_t seed = 12345;

	memtree_init(&t);
	memtree_grow(&t, 70000);
	for (int k = 0; k < 40; k++) {
		uint8_t got[MLOG_PROOF_MAX][HB], want[MLOG_PROOF_MAX][HB];
		uint8_t r1[HB], r2[HB];
		size_t got_len, want_len;
		uint64_t size, i;

		seed = seed * 6364136223846793005u + 1442695040888963407u;
		size = 1 + (seed >> 33) % 70000;
		i = (seed >> 11) % size;
		cr_assert_eq(mlog_proof_prove_inclusion(t.h, got, &got_len, i,
			size, &t.reader), MLOG_OK);
		want_len = memtree_naive_path(&t, want, i, size);
		cr_assert_eq(got_len, want_len);
		cr_assert_arr_eq(got, want, got_len * HB);
		cr_assert_eq(mlog_tree_root(t.h, r2, size, &t.reader), MLOG_OK);
		cr_assert_eq(mlog_proof_verify_inclusion(t.h, i, size,
			t.leaves[i], (const uint8_t (*)[HB])got, got_len, r2),
			MLOG_OK);
		if (i == 0)
			continue;
		cr_assert_eq(mlog_proof_prove_consistency(t.h, got, &got_len,
			i, size, &t.reader), MLOG_OK);
		want_len = memtree_naive_proof(&t, want, i, size);
		cr_assert_eq(got_len, want_len);
		cr_assert_arr_eq(got, want, got_len * HB);
		cr_assert_eq(mlog_tree_root(t.h, r1, i, &t.reader), MLOG_OK);
		cr_assert_eq(mlog_proof_verify_consistency(t.h, i, size, r1, r2,
			(const uint8_t (*)[HB])got, got_len), MLOG_OK);
	}
	memtree_clear(&t);
}

Test(proof, bad_arguments_are_range_errors)
{
	struct memtree t;
	uint8_t out[MLOG_PROOF_MAX][HB], root[HB] = { 0 };
	size_t len = 5;

	memtree_init(&t);
	memtree_grow(&t, 4);
	cr_assert_eq(mlog_proof_prove_inclusion(t.h, out, &len, 4, 4,
		&t.reader), MLOG_ERR_RANGE);
	cr_assert_eq(mlog_proof_prove_consistency(t.h, out, &len, 0, 4,
		&t.reader), MLOG_ERR_RANGE);
	cr_assert_eq(mlog_proof_prove_consistency(t.h, out, &len, 5, 4,
		&t.reader), MLOG_ERR_RANGE);
	cr_assert_eq(len, 5, "output untouched");
	cr_assert_eq(mlog_proof_verify_inclusion(t.h, 4, 4, root,
		(const uint8_t (*)[HB])out, 2, root), MLOG_ERR_RANGE);
	cr_assert_eq(mlog_proof_verify_consistency(t.h, 0, 4, root, root,
		(const uint8_t (*)[HB])out, 0), MLOG_ERR_RANGE);
	cr_assert_eq(mlog_proof_verify_consistency(t.h, 5, 4, root, root,
		(const uint8_t (*)[HB])out, 0), MLOG_ERR_RANGE);
	/* A proof far longer than any tree needs is refused before hashing:
	 * the length check happens first, so even garbage is a VERIFY. */
	cr_assert_eq(mlog_proof_verify_inclusion(t.h, 1, 4, root,
		(const uint8_t (*)[HB])out, MLOG_PROOF_MAX, root),
		MLOG_ERR_VERIFY);
	memtree_clear(&t);
}
