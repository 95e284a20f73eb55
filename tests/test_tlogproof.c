/*
 * test_tlogproof.c — C2SP tlog-proof files and their verification against
 * a policy (merkle/tlogproof.c).
 *
 * Self-contained: every (index, size) of a 20-entry in-memory tree under
 * a log key and two witnesses from fixed seeds, with a 2-of-2 quorum.
 * Known answers: proofs over the real Tessera checkpoints 1-15 (entries
 * "one".."fivten"). A corruption sweep turns a good proof into probes with
 * exact codes; parser tables cover the format.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "codec.h"
#include "memtree.h"
#include "note.h"
#include "policy.h"
#include "support.h"
#include "tlogproof.h"

static void init(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(tlogproof, .init = init);

#define HDR MLOG_TLOGPROOF_HEADER "\n"
#define ROOT_A "KgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

/* ---- fixture: log + 2 witnesses + a tree ------------------------------ */

struct fixture {
	struct mlog_note_signer log, w[2];
	struct mlog_policy *policy;
	struct memtree tree;
	struct mlog_hash *h;
};

static void seed_signer(struct mlog_note_signer *s, const char *name,
	uint8_t type, uint8_t seed_byte)
{
	uint8_t seed[32];

	memset(seed, seed_byte, sizeof(seed));
	cr_assert_eq(mlog_note_signer_from_seed(s, name, type, seed), MLOG_OK);
}

static void entry_name(char *out, size_t cap, uint64_t i)
{
	snprintf(out, cap, "{\"entry\":%" PRIu64 "}", i);
}

static void fixture_init(struct fixture *f, uint64_t n)
{
	struct mlog_note_verifier v;
	char vk[3][MLOG_NOTE_VKEY_MAX + 1], *text;

	seed_signer(&f->log, "example.com/log", MLOG_NOTE_TYPE_ED25519, 1);
	seed_signer(&f->w[0], "w1.example", MLOG_NOTE_TYPE_COSIG_V1, 2);
	seed_signer(&f->w[1], "w2.example", MLOG_NOTE_TYPE_COSIG_V1, 3);
	mlog_note_signer_verifier(&v, &f->log);
	cr_assert_gt(mlog_note_verifier_format(vk[0], sizeof(vk[0]), &v), 0);
	for (int i = 0; i < 2; i++) {
		mlog_note_signer_verifier(&v, &f->w[i]);
		cr_assert_gt(mlog_note_verifier_format(vk[i + 1],
			sizeof(vk[i + 1]), &v), 0);
	}
	cr_assert_neq(asprintf(&text, "log %s\nwitness W1 %s\n"
		"witness W2 %s\ngroup G all W1 W2\nquorum G\n", vk[0], vk[1],
		vk[2]), -1);
	cr_assert_eq(mlog_policy_parse(&f->policy, text, strlen(text), NULL),
		MLOG_OK);
	free(text);
	memtree_init(&f->tree);
	f->h = f->tree.h;
	for (uint64_t i = 0; i < n; i++) {
		char e[32];

		entry_name(e, sizeof(e), i);
		memtree_append(&f->tree, e, strlen(e));
	}
}

static void fixture_clear(struct fixture *f)
{
	mlog_note_signer_clear(&f->log);
	mlog_note_signer_clear(&f->w[0]);
	mlog_note_signer_clear(&f->w[1]);
	mlog_policy_free(f->policy);
	memtree_clear(&f->tree);
}

/* The checkpoint at size, signed by the log and cosigned by the
 * witnesses in mask (bit i = witness i). */
static char *checkpoint(struct fixture *f, uint64_t size, unsigned mask,
	size_t *len)
{
	struct mlog_checkpoint c = {0};
	char *m = NULL, line[512];
	size_t tl;

	c.origin = (char *)"example.com/log";
	c.size = size;
	memtree_root(&f->tree, size, c.root);
	cr_assert_eq(mlog_checkpoint_sign(&m, len, &c, &f->log, 1, NULL),
		MLOG_OK);
	tl = (size_t)(strstr(m, "\n\n") - m) + 1;
	for (int i = 0; i < 2; i++) {
		size_t l;

		if (!(mask & (1u << i)))
			continue;
		cr_assert_gt(mlog_note_sign_line(line, sizeof(line), m, tl,
			&f->w[i], 1700000000 + (uint64_t)i), 0);
		l = strlen(line);
		m = realloc(m, *len + l + 1);
		memcpy(m + *len, line, l + 1);
		*len += l;
	}
	return m;
}

/* A formatted tlog-proof for entry index at size (extra = entry).
 * noinline: once inlined, GCC 12 mistakes the returned buffer for a
 * pointer to the local variable holding it (-Wdangling-pointer). */
static __attribute__((noinline)) char *make_proof(struct fixture *f,
	uint64_t index, uint64_t size, unsigned mask, size_t *len)
{
	uint8_t proof[MLOG_PROOF_MAX][32];
	size_t n = memtree_inclusion(&f->tree, index, size, proof), nl;
	char e[32], *note = checkpoint(f, size, mask, &nl), *out = NULL;

	entry_name(e, sizeof(e), index);
	cr_assert_eq(mlog_tlogproof_format(&out, len, (const uint8_t *)e,
		strlen(e), index, (const uint8_t (*)[32])proof, n, note, nl,
		NULL), MLOG_OK);
	free(note);
	return out;
}

static char *splice(const char *s, size_t len, size_t off, size_t del,
	const char *ins, size_t ins_len, size_t *out_len)
{
	char *p = malloc(len - del + ins_len + 1);

	cr_assert_not_null(p);
	memcpy(p, s, off);
	memcpy(p + off, ins, ins_len);
	memcpy(p + off + ins_len, s + off + del, len - off - del);
	*out_len = len - del + ins_len;
	p[*out_len] = '\0';
	return p;
}

/* Parses and verifies (with extra as the entry); returns the first
 * failing code. */
static int check(struct fixture *f, const char *text, size_t len,
	const struct mlog_policy *pol, struct mlog_error *err)
{
	struct mlog_tlogproof p;
	int rc = mlog_tlogproof_parse(&p, text, len, err);

	if (rc != MLOG_OK)
		return rc;
	rc = mlog_tlogproof_verify(f->h, NULL, &p, pol, NULL, 0, err);
	mlog_tlogproof_clear(&p);
	return rc;
}

static void expect(struct fixture *f, const char *text, size_t len,
	int want, const char *what)
{
	struct mlog_error err = {0};
	int rc = check(f, text, len, f->policy, &err);

	cr_assert_eq(rc, want, "%s: got %d (%s), want %d", what, rc, err.msg,
		want);
	if (rc != MLOG_OK) {
		cr_assert_eq(err.code, rc, "%s: err.code", what);
		cr_assert_neq(err.msg[0], '\0', "%s: no message", what);
	}
}

/* ---- round trips ------------------------------------------------------ */

Test(tlogproof, every_index_and_size_of_a_small_tree)
{
	struct fixture f;

	fixture_init(&f, 20);
	for (uint64_t size = 1; size <= 20; size++) {
		size_t nl;
		char *note = checkpoint(&f, size, 3, &nl);

		for (uint64_t index = 0; index < size; index++) {
			uint8_t proof[MLOG_PROOF_MAX][32];
			size_t n = memtree_inclusion(&f.tree, index, size,
				proof), len;
			struct mlog_tlogproof p;
			struct mlog_policy_result r;
			char e[32], other[32], *text = NULL;

			entry_name(e, sizeof(e), index);
			cr_assert_eq(mlog_tlogproof_format(&text, &len,
				(const uint8_t *)e, strlen(e), index,
				(const uint8_t (*)[32])proof, n, note, nl,
				NULL), MLOG_OK);
			cr_assert_eq(mlog_tlogproof_parse(&p, text, len, NULL),
				MLOG_OK);
			cr_assert_eq(p.index, index);
			cr_assert_eq(p.proof_len, n);
			cr_assert_arr_eq(p.proof, proof, n * 32);
			cr_assert_eq(p.extra_len, strlen(e));
			cr_assert_arr_eq(p.extra, e, strlen(e));
			cr_assert_eq(p.note_len, nl);
			cr_assert_str_eq(p.note, note);
			cr_assert_eq(p.cp.size, size);
			/* The extra data is the entry... */
			cr_assert_eq(mlog_tlogproof_verify(f.h, &r, &p,
				f.policy, NULL, 0, NULL), MLOG_OK);
			cr_assert_eq(r.quorum_met, 1);
			cr_assert_eq(r.ncosigs, 2);
			cr_assert_eq(r.cosigs[1].timestamp, 1700000001);
			/* ...or the caller brings it. */
			cr_assert_eq(mlog_tlogproof_verify(f.h, NULL, &p,
				f.policy, (const uint8_t *)e, strlen(e), NULL),
				MLOG_OK);
			/* Another entry is not there. */
			entry_name(other, sizeof(other), index + 1);
			cr_assert_eq(mlog_tlogproof_verify(f.h, NULL, &p,
				f.policy, (const uint8_t *)other,
				strlen(other), NULL), MLOG_ERR_VERIFY);
			/* format(parse(x)) == x. */
			{
				char *again = NULL;
				size_t alen = 0;

				cr_assert_eq(mlog_tlogproof_format(&again,
					&alen, p.extra, p.extra_len, p.index,
					(const uint8_t (*)[32])p.proof,
					p.proof_len, p.note, p.note_len, NULL),
					MLOG_OK);
				cr_assert_eq(alen, len);
				cr_assert_str_eq(again, text);
				free(again);
			}
			mlog_tlogproof_clear(&p);
			free(text);
		}
		free(note);
	}
	fixture_clear(&f);
}

Test(tlogproof, without_extra_the_caller_brings_the_entry)
{
	struct fixture f;
	uint8_t proof[MLOG_PROOF_MAX][32];
	struct mlog_tlogproof p;
	size_t n, nl, len;
	char *note, *text = NULL, e[32];

	fixture_init(&f, 6);
	n = memtree_inclusion(&f.tree, 4, 6, proof);
	note = checkpoint(&f, 6, 3, &nl);
	cr_assert_eq(mlog_tlogproof_format(&text, &len, NULL, 0, 4,
		(const uint8_t (*)[32])proof, n, note, nl, NULL), MLOG_OK);
	cr_assert_eq(strncmp(text, HDR "index 4\n", strlen(HDR) + 8), 0);
	cr_assert_eq(mlog_tlogproof_parse(&p, text, len, NULL), MLOG_OK);
	cr_assert_null(p.extra);
	cr_assert_eq(mlog_tlogproof_verify(f.h, NULL, &p, f.policy, NULL, 0,
		NULL), MLOG_ERR_NOTFOUND);
	entry_name(e, sizeof(e), 4);
	cr_assert_eq(mlog_tlogproof_verify(f.h, NULL, &p, f.policy,
		(const uint8_t *)e, strlen(e), NULL), MLOG_OK);
	mlog_tlogproof_clear(&p);
	free(text);
	free(note);
	fixture_clear(&f);
}

/* ---- known answers: Tessera ------------------------------------------ */

static const char *const tessera_entries[] = {
	"one", "two", "three", "four", "five", "six", "seven", "eit",
	"nain", "ten", "ileven", "twelf", "threeten", "fourten", "fivten",
};

Test(tlogproof, tessera_checkpoints)
{
	struct memtree t;
	struct mlog_policy *pol = NULL;
	char *keys, *vk, *text;
	size_t klen;

	TEST_REQUIRE_SHARED();
	keys = test_read_shared("vectors/checkpoint/tessera-testdata/keys.txt",
		&klen);
	vk = strstr(keys, "LOG_PUBLIC_KEY=");
	cr_assert_not_null(vk);
	vk += strlen("LOG_PUBLIC_KEY=");
	*strchr(vk, '\n') = '\0';
	cr_assert_neq(asprintf(&text, "log %s\nquorum none\n", vk), -1);
	cr_assert_eq(mlog_policy_parse(&pol, text, strlen(text), NULL),
		MLOG_OK);
	memtree_init(&t);
	for (uint64_t size = 1; size <= 15; size++) {
		char rel[80], *note;
		size_t nl;

		memtree_append(&t, tessera_entries[size - 1],
			strlen(tessera_entries[size - 1]));
		snprintf(rel, sizeof(rel),
			"vectors/checkpoint/tessera-testdata/checkpoint.%"
			PRIu64, size);
		note = test_read_shared(rel, &nl);
		for (uint64_t index = 0; index < size; index++) {
			uint8_t proof[MLOG_PROOF_MAX][32];
			size_t n = memtree_inclusion(&t, index, size, proof);
			const char *e = tessera_entries[index];
			struct mlog_tlogproof p;
			char *out = NULL;
			size_t len;

			cr_assert_eq(mlog_tlogproof_format(&out, &len,
				(const uint8_t *)e, strlen(e), index,
				(const uint8_t (*)[32])proof, n, note, nl,
				NULL), MLOG_OK);
			cr_assert_eq(mlog_tlogproof_parse(&p, out, len, NULL),
				MLOG_OK);
			cr_assert_eq(mlog_tlogproof_verify(t.h, NULL, &p, pol,
				NULL, 0, NULL), MLOG_OK, "%s index %" PRIu64,
				rel, index);
			/* The neighbour's entry does not verify here. */
			e = tessera_entries[(index + 1) % 15];
			cr_assert_eq(mlog_tlogproof_verify(t.h, NULL, &p, pol,
				(const uint8_t *)e, strlen(e), NULL),
				MLOG_ERR_VERIFY);
			mlog_tlogproof_clear(&p);
			free(out);
		}
		free(note);
	}
	memtree_clear(&t);
	mlog_policy_free(pol);
	free(text);
	free(keys);
}

/* ---- corruption sweep ------------------------------------------------- */

/* Offset of the first proof line, and of the blank line. */
static void proof_offsets(const char *t, size_t *first, size_t *blank)
{
	const char *idx = strstr(t, "\nindex ");

	cr_assert_not_null(idx);
	*first = (size_t)(strchr(idx + 1, '\n') - t) + 1;
	*blank = (size_t)(strstr(t + *first - 1, "\n\n") - t) + 1;
}

Test(tlogproof, corruption_sweep)
{
	static const uint64_t cases[][2] = { { 6, 13 }, { 0, 1 }, { 12, 13 },
		{ 0, 16 }, { 15, 16 } };
	struct fixture f;

	fixture_init(&f, 16);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		uint64_t index = cases[c][0], size = cases[c][1];
		size_t len, n, first, blank, nproof;
		char *good = make_proof(&f, index, size, 3, &len), *p, buf[64];

		expect(&f, good, len, MLOG_OK, "good");
		proof_offsets(good, &first, &blank);
		nproof = (blank - first) / 45;

		/* Wrong indexes: well-formed, the proof fails. */
		{
			uint64_t wrong[] = { index + 1, index - 1, index ^ 2,
				size, size + 1, MLOG_CODEC_DECIMAL_MAX };

			for (size_t i = 0; i < 6; i++) {
				const char *il = strstr(good, "\nindex ") + 7;

				if (wrong[i] == index ||
				    wrong[i] > MLOG_CODEC_DECIMAL_MAX)
					continue;
				snprintf(buf, sizeof(buf), "%" PRIu64,
					wrong[i]);
				p = splice(good, len, (size_t)(il - good),
					(size_t)(strchr(il, '\n') - il), buf,
					strlen(buf), &n);
				expect(&f, p, n, MLOG_ERR_VERIFY,
					"wrong index");
				free(p);
			}
		}
		/* Every bit of every proof hash. */
		for (size_t k = 0; k < nproof; k++) {
			uint8_t hsh[32];
			char line[45], b64[45];

			memcpy(line, good + first + k * 45, 44);
			line[44] = '\0';
			test_b64(hsh, 32, line);
			for (int bit = 0; bit < 256; bit++) {
				hsh[bit / 8] ^= (uint8_t)(1 << (bit % 8));
				cr_assert_eq(mlog_codec_base64_encode(b64,
					sizeof(b64), hsh, 32), 44);
				hsh[bit / 8] ^= (uint8_t)(1 << (bit % 8));
				p = splice(good, len, first + k * 45, 44, b64,
					44, &n);
				expect(&f, p, n, MLOG_ERR_VERIFY,
					"proof bit flipped");
				free(p);
			}
			p = splice(good, len, first + k * 45, 45, "", 0, &n);
			expect(&f, p, n, MLOG_ERR_VERIFY, "proof line removed");
			free(p);
			if (k + 1 < nproof) {
				char two[90];

				memcpy(two, good + first + (k + 1) * 45, 45);
				memcpy(two + 45, good + first + k * 45, 45);
				p = splice(good, len, first + k * 45, 90, two,
					90, &n);
				expect(&f, p, n, MLOG_ERR_VERIFY,
					"proof lines swapped");
				free(p);
			}
		}
		p = splice(good, len, blank, 0, ROOT_A "\n", 45, &n);
		expect(&f, p, n, MLOG_ERR_VERIFY, "proof line added");
		free(p);
		/* Every bit of the entry (the extra line), re-encoded. */
		{
			struct mlog_tlogproof t;
			const char *el = good + strlen(HDR) + 6;
			size_t elen = (size_t)(strchr(el, '\n') - el);

			cr_assert_eq(mlog_tlogproof_parse(&t, good, len, NULL),
				MLOG_OK);
			for (size_t bit = 0; bit < t.extra_len * 8; bit++) {
				char b64[128];
				int k;

				t.extra[bit / 8] ^= (uint8_t)(1 << (bit % 8));
				k = mlog_codec_base64_encode(b64, sizeof(b64),
					t.extra, t.extra_len);
				t.extra[bit / 8] ^= (uint8_t)(1 << (bit % 8));
				cr_assert_eq((size_t)k, elen);
				p = splice(good, len, (size_t)(el - good), elen,
					b64, elen, &n);
				expect(&f, p, n, MLOG_ERR_VERIFY,
					"entry bit flipped");
				free(p);
			}
			mlog_tlogproof_clear(&t);
		}
		/* The checkpoint: a cosignature missing (quorum not met),
		 * or the log signature or the size changed. */
		{
			size_t nl, n2;
			char *one = checkpoint(&f, size, 1, &nl);
			uint8_t proof[MLOG_PROOF_MAX][32];
			char e[32], *alt = NULL;

			n2 = memtree_inclusion(&f.tree, index, size, proof);
			entry_name(e, sizeof(e), index);
			cr_assert_eq(mlog_tlogproof_format(&alt, &n,
				(const uint8_t *)e, strlen(e), index,
				(const uint8_t (*)[32])proof, n2, one, nl,
				NULL), MLOG_OK);
			expect(&f, alt, n, MLOG_ERR_VERIFY,
				"one cosignature short");
			free(alt);
			free(one);
		}
		{
			const char *cp = good + blank + 1;
			const char *size_line = strchr(cp, '\n') + 1;
			size_t sl = (size_t)(strchr(size_line, '\n') -
				size_line);

			snprintf(buf, sizeof(buf), "%" PRIu64, size + 1);
			p = splice(good, len, (size_t)(size_line - good), sl,
				buf, strlen(buf), &n);
			expect(&f, p, n, MLOG_ERR_VERIFY,
				"checkpoint size changed");
			free(p);
		}
		/* Format damage. */
		{
			static const struct {
				const char *find, *repl;
			} edits[] = {
				{ "c2sp.org/tlog-proof@v1\n",
					"c2sp.org/tlog-proof@v2\n" },
				{ "c2sp.org/tlog-proof@v1\n", "" },
				{ "c2sp.org/tlog-proof@v1\n",
					"c2sp.org/tlog-proof@v1 \n" },
				{ "c2sp.org/tlog-proof@v1\n",
					"C2SP.org/tlog-proof@v1\n" },
				{ "\nextra ", "\nextra  " },
				{ "\nextra ", "\nExtra " },
				{ "\nextra ", "\nextra" },
				{ "\nindex ", "\nindex 0" },
				{ "\nindex ", "\nindex -" },
				{ "\nindex ", "\nindex +" },
				{ "\nindex ", "\nindex  " },
				{ "\nindex ", "\nIndex " },
				{ "\nindex ", "\n" },
				{ "\n\n", "\n" },
				{ "\n\n", "\n \n" },
				{ "\n\n", "\r\n\n" },
			};

			for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]);
			     i++) {
				const char *at = strstr(good, edits[i].find);

				cr_assert_not_null(at);
				p = splice(good, len, (size_t)(at - good),
					strlen(edits[i].find), edits[i].repl,
					strlen(edits[i].repl), &n);
				expect(&f, p, n, MLOG_ERR_MALFORMED,
					edits[i].repl);
				free(p);
			}
		}
		/* The extra line after the index line. */
		{
			const char *el = strstr(good, "\nextra ") + 1;
			const char *il = strstr(good, "\nindex ") + 1;
			size_t elen = (size_t)(il - el);
			size_t ilen = (size_t)(strchr(il, '\n') - il) + 1;
			char *swap = malloc(elen + ilen);

			memcpy(swap, il, ilen);
			memcpy(swap + ilen, el, elen);
			p = splice(good, len, (size_t)(el - good), elen + ilen,
				swap, elen + ilen, &n);
			expect(&f, p, n, MLOG_ERR_MALFORMED,
				"extra after index");
			free(p);
			free(swap);
		}
		/* Truncated and extended. */
		expect(&f, good, len - 1, MLOG_ERR_MALFORMED, "last byte cut");
		expect(&f, good, blank, MLOG_ERR_MALFORMED,
			"cut before the blank line");
		expect(&f, good, blank + 1, MLOG_ERR_MALFORMED,
			"cut after the blank line");
		expect(&f, good, 0, MLOG_ERR_MALFORMED, "empty");
		p = splice(good, len, len, 0, "x", 1, &n);
		expect(&f, p, n, MLOG_ERR_MALFORMED, "byte appended");
		free(p);
		/* More than MLOG_PROOF_MAX proof lines. */
		{
			size_t many = (MLOG_PROOF_MAX + 1) * 45;
			char *lines = malloc(many);

			for (size_t i = 0; i <= MLOG_PROOF_MAX; i++)
				memcpy(lines + i * 45, ROOT_A "\n", 45);
			p = splice(good, len, first, blank - first, lines, many,
				&n);
			expect(&f, p, n, MLOG_ERR_MALFORMED,
				"65 proof lines");
			free(p);
			free(lines);
		}
		/* Over the cap. */
		p = calloc(1, MLOG_TLOGPROOF_MAX_BYTES + 1);
		memcpy(p, good, len);
		expect(&f, p, MLOG_TLOGPROOF_MAX_BYTES + 1, MLOG_ERR_TOOBIG,
			"over the cap");
		free(p);
		/* A policy that does not know the log. */
		{
			struct mlog_policy *other = NULL;

			cr_assert_eq(mlog_policy_parse(&other, "quorum none\n",
				12, NULL), MLOG_OK);
			cr_assert_eq(check(&f, good, len, other, NULL),
				MLOG_ERR_NOTFOUND);
			mlog_policy_free(other);
		}
		free(good);
	}
	fixture_clear(&f);
}

/* ---- parser tables ---------------------------------------------------- */

Test(tlogproof, spec_example_parses)
{
	/* The spec's example (signatures abridged there, so made whole
	 * here with dummy blobs): it must parse; it cannot verify. */
	static const char text[] =
		"c2sp.org/tlog-proof@v1\n"
		"extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\n"
		"index 73894\n"
		"gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\n"
		"B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\n"
		"EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\n"
		"RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=\n"
		"AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n"
		"\n"
		"example.com/fancylog\n"
		"109482\n"
		"sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n"
		"\n"
		"— example.com/fancylog hI2DJwAAAAA=\n"
		"— witness1.example mJirIkljAAA=\n";
	struct mlog_tlogproof p;
	uint8_t first[32];

	cr_assert_eq(mlog_tlogproof_parse(&p, text, sizeof(text) - 1, NULL),
		MLOG_OK);
	cr_assert_eq(p.extra_len, 39);
	cr_assert_eq(memcmp(p.extra, "age-v1.2.1-darwin-arm64.tar.gz", 30), 0);
	cr_assert_eq(p.index, 73894);
	cr_assert_eq(p.proof_len, 5);
	test_b64(first, 32, "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=");
	cr_assert_arr_eq(p.proof[0], first, 32);
	cr_assert_str_eq(p.cp.origin, "example.com/fancylog");
	cr_assert_eq(p.cp.size, 109482);
	mlog_tlogproof_clear(&p);
}

Test(tlogproof, parse_invalid_table)
{
	static const char note[] = "l\n1\n" ROOT_A "\n\n— l AAAAAAA=\n";
	static const struct {
		const char *head;
		int code;
	} cases[] = {
		{ "", MLOG_ERR_MALFORMED },
		{ HDR, MLOG_ERR_MALFORMED },
		{ HDR "index 0\n", MLOG_ERR_MALFORMED },
		{ HDR "\n", MLOG_ERR_MALFORMED },
		{ HDR "index 01\n\n", MLOG_ERR_MALFORMED },
		{ HDR "index\n\n", MLOG_ERR_MALFORMED },
		{ HDR "index \n\n", MLOG_ERR_MALFORMED },
		{ HDR "index 9223372036854775808\n\n", MLOG_ERR_MALFORMED },
		{ HDR "index 0 \n\n", MLOG_ERR_MALFORMED },
		{ HDR "extra \nindex 0\n\n", MLOG_ERR_MALFORMED },
		{ HDR "extra YQ\nindex 0\n\n", MLOG_ERR_MALFORMED },
		{ HDR "extra YR==\nindex 0\n\n", MLOG_ERR_MALFORMED },
		{ HDR "extra Y Q==\nindex 0\n\n", MLOG_ERR_MALFORMED },
		{ HDR "extra YQ==\nextra YQ==\nindex 0\n\n",
			MLOG_ERR_MALFORMED },
		{ HDR "extra YQ==\n\n", MLOG_ERR_MALFORMED },
		{ HDR "index 0\nextra YQ==\n\n", MLOG_ERR_MALFORMED },
		{ HDR "index 0\n"
			"KgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n\n",
			MLOG_ERR_MALFORMED },
		{ HDR "index 0\n"
			"KgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n\n",
			MLOG_ERR_MALFORMED },
		{ HDR "index 0\n"
			"KgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n\n",
			MLOG_ERR_MALFORMED },
		{ HDR "index 0\n"
			"KgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n\n",
			MLOG_ERR_MALFORMED },
		{ HDR "index 0\n\n\n", MLOG_ERR_MALFORMED },
		{ "c2sp.org/tlog-proof@v1\r\nindex 0\n\n", MLOG_ERR_MALFORMED },
		{ "\n" HDR "index 0\n\n", MLOG_ERR_MALFORMED },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mlog_tlogproof p;
		struct mlog_error err = {0};
		size_t len;
		char *text = splice(note, sizeof(note) - 1, 0, 0,
			cases[i].head, strlen(cases[i].head), &len);

		memset(&p, 0x6b, sizeof(p));
		cr_assert_eq(mlog_tlogproof_parse(&p, text, len, &err),
			cases[i].code, "case %zu", i);
		cr_assert_eq(err.code, cases[i].code);
		cr_assert_eq(p.index, UINT64_C(0x6b6b6b6b6b6b6b6b),
			"case %zu: output touched", i);
		free(text);
	}
	/* The same note with a good head parses. */
	{
		struct mlog_tlogproof p;
		size_t len;
		static const char head[] = HDR "extra YQ==\nindex 0\n\n";
		char *text = splice(note, sizeof(note) - 1, 0, 0, head,
			sizeof(head) - 1, &len);

		cr_assert_eq(mlog_tlogproof_parse(&p, text, len, NULL),
			MLOG_OK);
		cr_assert_eq(p.extra_len, 1);
		cr_assert_eq(p.extra[0], 'a');
		mlog_tlogproof_clear(&p);
		free(text);
	}
	/* Bad checkpoints after a good head. */
	{
		static const char *const notes[] = {
			"",
			"l\n1\n" ROOT_A "\n",
			"l\n01\n" ROOT_A "\n\n— l AAAAAAA=\n",
			"l\n1\n" ROOT_A "\n\nno dash\n",
		};

		for (size_t i = 0; i < sizeof(notes) / sizeof(notes[0]); i++) {
			struct mlog_tlogproof p;
			size_t len;
			char *text = splice(notes[i], strlen(notes[i]), 0, 0,
				HDR "index 0\n\n", strlen(HDR) + 9, &len);

			cr_assert_eq(mlog_tlogproof_parse(&p, text, len, NULL),
				MLOG_ERR_MALFORMED, "note %zu", i);
			free(text);
		}
	}
}

Test(tlogproof, extra_size_cap)
{
	static const char note[] = "l\n1\n" ROOT_A "\n\n— l AAAAAAA=\n";
	uint8_t *extra = malloc(MLOG_TLOGPROOF_EXTRA_MAX + 1);
	struct mlog_tlogproof p;
	char *out = NULL, *b64, *text;
	size_t len, b64cap = MLOG_CODEC_B64_LEN(MLOG_TLOGPROOF_EXTRA_MAX + 1)
		+ 1;
	int k;

	memset(extra, 'x', MLOG_TLOGPROOF_EXTRA_MAX + 1);
	cr_assert_eq(mlog_tlogproof_format(&out, &len, extra,
		MLOG_TLOGPROOF_EXTRA_MAX, 0, NULL, 0, note, sizeof(note) - 1,
		NULL), MLOG_OK);
	cr_assert_eq(mlog_tlogproof_parse(&p, out, len, NULL), MLOG_OK);
	cr_assert_eq(p.extra_len, MLOG_TLOGPROOF_EXTRA_MAX);
	mlog_tlogproof_clear(&p);
	free(out);
	cr_assert_eq(mlog_tlogproof_format(&out, &len, extra,
		MLOG_TLOGPROOF_EXTRA_MAX + 1, 0, NULL, 0, note,
		sizeof(note) - 1, NULL), MLOG_ERR_TOOBIG);
	/* Hand-made file with one byte too many. */
	b64 = malloc(b64cap);
	k = mlog_codec_base64_encode(b64, b64cap, extra,
		MLOG_TLOGPROOF_EXTRA_MAX + 1);
	cr_assert_gt(k, 0);
	cr_assert_neq(asprintf(&text, HDR "extra %s\nindex 0\n\n%s", b64,
		note), -1);
	cr_assert_eq(mlog_tlogproof_parse(&p, text, strlen(text), NULL),
		MLOG_ERR_TOOBIG);
	free(text);
	free(b64);
	free(extra);
}

Test(tlogproof, format_rejects_bad_input)
{
	static const char note[] = "l\n1\n" ROOT_A "\n\n— l AAAAAAA=\n";
	uint8_t proof[MLOG_PROOF_MAX + 1][32] = {{0}};
	char *out = (char *)"untouched";
	size_t len = 3;

	cr_assert_eq(mlog_tlogproof_format(&out, &len, (const uint8_t *)"", 0,
		0, NULL, 0, note, sizeof(note) - 1, NULL), MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_tlogproof_format(&out, &len, NULL, 0, 0,
		(const uint8_t (*)[32])proof, MLOG_PROOF_MAX + 1, note,
		sizeof(note) - 1, NULL), MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_tlogproof_format(&out, &len, NULL, 0,
		MLOG_CODEC_DECIMAL_MAX + 1, NULL, 0, note, sizeof(note) - 1,
		NULL), MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_tlogproof_format(&out, &len, NULL, 0, 0, NULL, 0,
		"l\n1\n" ROOT_A "\n", 49, NULL), MLOG_ERR_MALFORMED);
	cr_assert_str_eq(out, "untouched");
	cr_assert_eq(len, 3);
	/* 64 proof lines are the most a file may carry. */
	cr_assert_eq(mlog_tlogproof_format(&out, &len, NULL, 0, 0,
		(const uint8_t (*)[32])proof, MLOG_PROOF_MAX, note,
		sizeof(note) - 1, NULL), MLOG_OK);
	{
		struct mlog_tlogproof p;

		cr_assert_eq(mlog_tlogproof_parse(&p, out, len, NULL),
			MLOG_OK);
		cr_assert_eq(p.proof_len, MLOG_PROOF_MAX);
		mlog_tlogproof_clear(&p);
	}
	free(out);
}
