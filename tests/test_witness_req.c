/*
 * test_witness_req.c — tlog-witness add-checkpoint bodies, the witness's
 * decision table and the 200/409 responses (merkle/witness_req.c).
 *
 * Known answers: the litewitness request sequence replayed through the
 * decision function with the statuses of its MANIFEST (spec 404 for
 * req03), the cosignature vector of sigsum-go, and the omniwitness
 * "monkeys" 5 -> 8 proof. Self-contained: every (stored, old, size)
 * combination over a small tree, each table row on its own, precedence
 * between rows, parser tables and corruption sweeps.
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
#include "support.h"
#include "witness_req.h"

static void init(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(witness_req, .init = init);

#define LW "vectors/witness/litewitness/"
#define MONKEYS "vectors/witness/omniwitness-monkeys/"
#define ROOT_A "KgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

/* ---- helpers ------------------------------------------------------- */

static char *manifest_value(const char *rel, const char *key)
{
	size_t len, klen = strlen(key);
	char *buf = test_read_shared(rel, &len), *line, *save = NULL;
	char *val = NULL;

	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
			val = strdup(line + klen + 1);
			break;
		}
	}
	free(buf);
	cr_assert_not_null(val, "%s: no %s", rel, key);
	return val;
}

static void parse_vkey(struct mlog_note_verifier *v, const char *s)
{
	cr_assert_eq(mlog_note_verifier_parse(v, s, strlen(s), NULL), MLOG_OK,
		"vkey %s", s);
}

static void seed_signer(struct mlog_note_signer *s, const char *name,
	uint8_t type, uint8_t seed_byte)
{
	uint8_t seed[32];

	memset(seed, seed_byte, sizeof(seed));
	cr_assert_eq(mlog_note_signer_from_seed(s, name, type, seed), MLOG_OK);
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

/* Parses body and runs the decision; a parse failure must be want_parse
 * and the decision is then skipped. Returns the status (or the parse
 * code). */
static int decide(struct mlog_hash *h, const char *body, size_t len,
	const struct mlog_note_verifier *keys, size_t nkeys,
	uint64_t stored_size, const uint8_t *stored_root,
	struct mlog_error *err)
{
	struct mlog_witness_req r;
	int rc;

	rc = mlog_witness_req_parse(&r, body, len, err);
	if (rc != MLOG_OK)
		return rc;
	rc = mlog_witness_req_check(h, &r, keys, nkeys, stored_size,
		stored_root, err);
	mlog_witness_req_clear(&r);
	return rc;
}

static void expect_status(struct mlog_hash *h, const char *body,
	size_t len, const struct mlog_note_verifier *keys, size_t nkeys,
	uint64_t stored_size, const uint8_t *stored_root, int want,
	const char *what)
{
	struct mlog_error err = {0};
	int got = decide(h, body, len, keys, nkeys, stored_size, stored_root,
		&err);
	static const struct {
		int status, code;
	} codes[] = {
		{ 404, MLOG_ERR_NOTFOUND }, { 400, MLOG_ERR_RANGE },
		{ 409, MLOG_ERR_CONFLICT }, { 422, MLOG_ERR_VERIFY },
	};

	cr_assert_eq(got, want, "%s: got %d (%s), want %d", what, got,
		err.msg, want);
	if (got == 200 || got < 0)
		return;
	cr_assert_neq(err.msg[0], '\0', "%s: no message", what);
	if (got == 403)
		cr_assert(err.code == MLOG_ERR_VERIFY ||
			err.code == MLOG_ERR_UNTRUSTED, "%s: code", what);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		if (codes[i].status == got)
			cr_assert_eq(err.code, codes[i].code, "%s: code %d",
				what, err.code);
	}
}

/* Builds a request body (format must succeed); caller frees. */
static char *mkreq(uint64_t old, const uint8_t (*proof)[32], size_t n,
	const char *note, size_t note_len, size_t *len)
{
	char *out = NULL;

	cr_assert_eq(mlog_witness_req_format(&out, len, old, proof, n, note,
		note_len, NULL), MLOG_OK);
	return out;
}

/* A small log: key seed 1, entries "entry i", signed checkpoints. */
struct testlog {
	struct mlog_note_signer key;
	struct mlog_note_verifier vkey;
	struct memtree tree;
	char *note[17];
	size_t note_len[17];
	uint8_t root[17][32];
};

static void testlog_init(struct testlog *l, uint64_t n)
{
	cr_assert_leq(n, 16);
	seed_signer(&l->key, "example.com/log", MLOG_NOTE_TYPE_ED25519, 1);
	mlog_note_signer_verifier(&l->vkey, &l->key);
	memtree_init(&l->tree);
	for (uint64_t s = 0; s <= n; s++) {
		struct mlog_checkpoint c = {0};
		char entry[16];

		if (s > 0) {
			snprintf(entry, sizeof(entry), "entry %" PRIu64, s - 1);
			memtree_append(&l->tree, entry, strlen(entry));
		}
		memtree_root(&l->tree, s, l->root[s]);
		c.origin = (char *)"example.com/log";
		c.size = s;
		memcpy(c.root, l->root[s], 32);
		cr_assert_eq(mlog_checkpoint_sign(&l->note[s], &l->note_len[s],
			&c, &l->key, 1, NULL), MLOG_OK);
	}
	for (uint64_t s = n + 1; s <= 16; s++)
		l->note[s] = NULL;
}

static void testlog_free(struct testlog *l)
{
	for (size_t s = 0; s <= 16; s++)
		free(l->note[s]);
	memtree_clear(&l->tree);
	mlog_note_signer_clear(&l->key);
}

/* Signs an arbitrary checkpoint with the test log key. */
static char *sign_cp(struct testlog *l, uint64_t size, const uint8_t *root,
	size_t *len)
{
	struct mlog_checkpoint c = {0};
	char *m = NULL;

	c.origin = (char *)"example.com/log";
	c.size = size;
	memcpy(c.root, root, 32);
	cr_assert_eq(mlog_checkpoint_sign(&m, len, &c, &l->key, 1, NULL),
		MLOG_OK);
	return m;
}

/* ---- known answers: litewitness ------------------------------------- */

/* The C2SP status column of the MANIFEST table:
 * "# reqNN.body  <litewitness>  <C2SP>  <meaning>". */
static void manifest_statuses(int want[9])
{
	size_t len;
	char *buf = test_read_shared(LW "MANIFEST.txt", &len), *line;
	char *save = NULL;
	int found = 0;

	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		int n, lw, c2sp;

		if (sscanf(line, "# req%d.body %d %d", &n, &lw, &c2sp) != 3)
			continue;
		cr_assert(n >= 1 && n <= 9, "%s", line);
		want[n - 1] = c2sp;
		found |= 1 << (n - 1);
	}
	cr_assert_eq(found, 0x1ff, "MANIFEST lists req01..req09");
	/* req03 is where litewitness (403) and the spec (404) differ. */
	cr_assert_eq(want[2], 404);
	free(buf);
}

Test(witness_req, litewitness_sequence)
{
	/* The 409 bodies the MANIFEST spells out for req07 and req09. */
	static const char *const size_body[] = { [6] = "3\n", [8] = "5\n" };
	int want[9];
	struct mlog_hash *h = mlog_hash_new();
	struct mlog_note_verifier logkey, wkey;
	struct mlog_note_signer ws;
	char *log_vkey, *origin, *wseed_hex, *wname, *wvkey;
	uint8_t wseed[32], root[32] = {0};
	uint64_t size = 0;
	char vkey_out[MLOG_NOTE_VKEY_MAX + 1];

	TEST_REQUIRE_SHARED();
	log_vkey = manifest_value(LW "MANIFEST.txt", "log_vkey");
	origin = manifest_value(LW "MANIFEST.txt", "log_origin");
	wseed_hex = manifest_value(LW "MANIFEST.txt",
		"witness_ed25519_seed_hex");
	wname = manifest_value(LW "MANIFEST.txt", "witness_name");
	wvkey = manifest_value(LW "MANIFEST.txt", "witness_cosig_vkey");
	parse_vkey(&logkey, log_vkey);
	cr_assert_str_eq(logkey.name, origin);
	manifest_statuses(want);
	test_hex(wseed, 32, wseed_hex);
	cr_assert_eq(mlog_note_signer_from_seed(&ws, wname,
		MLOG_NOTE_TYPE_COSIG_V1, wseed), MLOG_OK);
	mlog_note_signer_verifier(&wkey, &ws);
	/* The DERIVED witness vkey in the MANIFEST is this key. */
	cr_assert_gt(mlog_note_verifier_format(vkey_out, sizeof(vkey_out),
		&wkey), 0);
	cr_assert_str_eq(vkey_out, wvkey);

	for (int i = 1; i <= 9; i++) {
		struct mlog_witness_req r;
		struct mlog_error err = {0};
		char rel[64], *body, *note = NULL, *resp = NULL;
		char *merged = NULL;
		size_t len, note_len = 0, resp_len = 0, merged_len = 0;
		const struct mlog_note_verifier *keys;
		int status;

		snprintf(rel, sizeof(rel), LW "req%02d.body", i);
		body = test_read_shared(rel, &len);
		cr_assert_eq(mlog_witness_req_parse(&r, body, len, &err),
			MLOG_OK, "%s: %s", rel, err.msg);
		/* The note re-formats to the bytes it came from. */
		cr_assert_eq(mlog_note_format(&note, &note_len, r.note),
			MLOG_OK);
		cr_assert_geq(len, note_len);
		cr_assert_eq(memcmp(body + len - note_len, note, note_len), 0,
			"%s: note bytes", rel);
		keys = strcmp(r.cp.origin, origin) == 0 ? &logkey : NULL;
		status = mlog_witness_req_check(h, &r, keys, keys ? 1 : 0,
			size, size ? root : NULL, &err);
		cr_assert_eq(status, want[i - 1], "%s: got %d (%s)", rel,
			status, err.msg);
		if (status == 409) {
			char sb[MLOG_WITNESS_REQ_SIZE_BODY_MAX];
			uint64_t back = 0;
			int n = mlog_witness_req_size_format(sb, sizeof(sb),
				size);

			cr_assert_eq(n, (int)strlen(size_body[i - 1]));
			cr_assert_str_eq(sb, size_body[i - 1]);
			cr_assert_eq(mlog_witness_req_size_parse(&back, sb,
				(size_t)n, NULL), MLOG_OK);
			cr_assert_eq(back, size);
		}
		if (status == 200) {
			uint64_t ts = 0;
			struct mlog_note *both = NULL;
			struct mlog_note_verifier ks[2] = { logkey, wkey };
			struct mlog_note_check checks[2];

			/* The witness persists, then cosigns. */
			size = r.cp.size;
			memcpy(root, r.cp.root, 32);
			cr_assert_eq(mlog_witness_req_cosigs_format(&resp,
				&resp_len, r.note->text, r.note->text_len, &ws,
				1, UINT64_C(1700000000) + (uint64_t)i, NULL),
				MLOG_OK);
			/* The log checks the cosignature and publishes it. */
			cr_assert_eq(mlog_witness_req_cosigs_add(&merged,
				&merged_len, &ts, note, note_len, resp,
				resp_len, &wkey, &err), MLOG_OK, "%s", err.msg);
			cr_assert_eq(ts, UINT64_C(1700000000) + (uint64_t)i);
			cr_assert_eq(mlog_note_parse(&both, merged, merged_len,
				NULL), MLOG_OK);
			cr_assert_eq(both->nsigs, 2);
			cr_assert_eq(mlog_note_verify(both, ks, 2, checks,
				NULL), MLOG_OK);
			cr_assert(checks[0].verified && checks[1].verified);
			cr_assert_eq(checks[1].timestamp, ts);
			mlog_note_free(both);
		}
		free(merged);
		free(resp);
		free(note);
		mlog_witness_req_clear(&r);
		free(body);
	}
	cr_assert_eq(size, 5);
	mlog_note_signer_clear(&ws);
	free(log_vkey);
	free(origin);
	free(wseed_hex);
	free(wname);
	free(wvkey);
	mlog_hash_free(h);
}

/* Per-request states (stored size/root) under which each good
 * litewitness request is accepted, then swept. */
static void sweep_body(struct mlog_hash *h, const char *body, size_t len,
	const struct mlog_note_verifier *key, uint64_t stored,
	const uint8_t *stored_root, const char *what);

Test(witness_req, litewitness_corruption_sweep)
{
	struct mlog_hash *h = mlog_hash_new();
	struct mlog_note_verifier logkey;
	char *log_vkey;
	uint8_t root1[32], root3[32];
	struct {
		const char *file;
		uint64_t stored;
		const uint8_t *root;
	} good[] = {
		{ LW "req01.body", 0, NULL },
		{ LW "req06.body", 1, root1 },
		{ LW "req08.body", 3, root3 },
	};

	TEST_REQUIRE_SHARED();
	log_vkey = manifest_value(LW "MANIFEST.txt", "log_vkey");
	parse_vkey(&logkey, log_vkey);
	/* Stored roots: those of req01 (size 1) and req06 (size 3). */
	test_b64(root1, 32, ROOT_A);
	test_b64(root3, 32, "RcCI1Nk56ZcSmIEfIn0SleqtV7uvrlXNccFx595Iwl0=");
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		size_t len;
		char *body = test_read_shared(good[i].file, &len);

		sweep_body(h, body, len, &logkey, good[i].stored,
			good[i].root, good[i].file);
		free(body);
	}
	free(log_vkey);
	mlog_hash_free(h);
}

static void sweep_body(struct mlog_hash *h, const char *body, size_t len,
	const struct mlog_note_verifier *key, uint64_t stored,
	const uint8_t *stored_root, const char *what)
{
	struct mlog_witness_req r;
	struct mlog_note_verifier other;
	struct mlog_note_signer os;
	const char *blank = strstr(body, "\n\n");
	size_t head, nproof, n;
	uint64_t size;
	char *p, b64[64], line[64];
	uint8_t rflip[32];

	cr_assert_eq(mlog_witness_req_parse(&r, body, len, NULL), MLOG_OK);
	size = r.cp.size;
	nproof = r.proof_len;
	mlog_witness_req_clear(&r);
	expect_status(h, body, len, key, 1, stored, stored_root, 200, what);
	cr_assert_not_null(blank);
	head = (size_t)(blank - body) + 1;     /* header incl. its '\n' */

	/* Every bit of every proof hash. */
	for (size_t k = 0; k < nproof; k++) {
		size_t off = strlen("old ") + (size_t)snprintf(line,
			sizeof(line), "%" PRIu64, stored) + 1 + k * 45;
		uint8_t hsh[32];

		memcpy(line, body + off, 44);
		line[44] = '\0';
		test_b64(hsh, 32, line);
		for (int bit = 0; bit < 256; bit++) {
			hsh[bit / 8] ^= (uint8_t)(1 << (bit % 8));
			cr_assert_eq(mlog_codec_base64_encode(b64, sizeof(b64),
				hsh, 32), 44);
			hsh[bit / 8] ^= (uint8_t)(1 << (bit % 8));
			p = splice(body, len, off, 44, b64, 44, &n);
			expect_status(h, p, n, key, 1, stored, stored_root,
				422, "proof bit flipped");
			free(p);
		}
		/* Line removed. */
		p = splice(body, len, off, 45, "", 0, &n);
		expect_status(h, p, n, key, 1, stored, stored_root, 422,
			"proof line removed");
		free(p);
		/* Line repeated. */
		p = splice(body, len, off, 0, body + off, 45, &n);
		expect_status(h, p, n, key, 1, stored, stored_root, 422,
			"proof line repeated");
		free(p);
	}
	/* An extra proof line (for old 0 too). */
	p = splice(body, len, head, 0, ROOT_A "\n", 45, &n);
	expect_status(h, p, n, key, 1, stored, stored_root, 422,
		"proof line added");
	free(p);
	/* Wrong old sizes. */
	{
		uint64_t olds[] = { stored + 1, stored - 1, size + 1, 0 };

		for (size_t i = 0; i < 4; i++) {
			uint64_t o = olds[i];
			int want;

			if (o == stored || o > MLOG_CODEC_DECIMAL_MAX)
				continue;
			want = o > size ? 400 : 409;
			snprintf(line, sizeof(line), "old %" PRIu64, o);
			p = splice(body, len, 0, (size_t)(strchr(body, '\n') -
				body), line, strlen(line), &n);
			expect_status(h, p, n, key, 1, stored, stored_root,
				want, "wrong old");
			free(p);
		}
	}
	/* Wrong witness state. */
	expect_status(h, body, len, key, 1, stored + 1, stored_root, 409,
		"witness ahead");
	if (stored > 0) {
		memcpy(rflip, stored_root, 32);
		rflip[31] ^= 0x80;
		expect_status(h, body, len, key, 1, stored, rflip, 422,
			"witness holds another root");
	}
	/* The checkpoint's size or root changed: the signature fails. */
	{
		const char *cp = body + head + 1;
		const char *size_line = strchr(cp, '\n') + 1;
		const char *root_line = strchr(size_line, '\n') + 1;
		size_t slen = (size_t)(root_line - size_line) - 1;

		snprintf(line, sizeof(line), "%" PRIu64, size + 1);
		p = splice(body, len, (size_t)(size_line - body), slen, line,
			strlen(line), &n);
		expect_status(h, p, n, key, 1, stored, stored_root, 403,
			"checkpoint size changed");
		free(p);
		p = splice(body, len, (size_t)(root_line - body), 1,
			root_line[0] == 'A' ? "B" : "A", 1, &n);
		expect_status(h, p, n, key, 1, stored, stored_root, 403,
			"checkpoint root changed");
		free(p);
		/* The same size with a leading zero does not parse. */
		p = splice(body, len, (size_t)(size_line - body), 0, "0", 1,
			&n);
		expect_status(h, p, n, key, 1, stored, stored_root,
			MLOG_ERR_MALFORMED, "leading zero");
		free(p);
	}
	/* Keys: none configured, or the wrong one. */
	expect_status(h, body, len, NULL, 0, stored, stored_root, 404,
		"unknown origin");
	expect_status(h, body, len, key, 0, stored, stored_root, 403,
		"no keys");
	seed_signer(&os, key->name, MLOG_NOTE_TYPE_ED25519, 0x42);
	mlog_note_signer_verifier(&other, &os);
	mlog_note_signer_clear(&os);
	expect_status(h, body, len, &other, 1, stored, stored_root, 403,
		"other key");
	/* Truncated and extended. */
	expect_status(h, body, len - 1, key, 1, stored, stored_root,
		MLOG_ERR_MALFORMED, "last byte cut");
	expect_status(h, body, head, key, 1, stored, stored_root,
		MLOG_ERR_MALFORMED, "cut before the blank line");
	expect_status(h, body, head + 1, key, 1, stored, stored_root,
		MLOG_ERR_MALFORMED, "cut after the blank line");
	p = splice(body, len, len, 0, "x", 1, &n);
	expect_status(h, p, n, key, 1, stored, stored_root,
		MLOG_ERR_MALFORMED, "byte appended");
	free(p);
	p = splice(body, len, head, 1, "", 0, &n);
	expect_status(h, p, n, key, 1, stored, stored_root,
		MLOG_ERR_MALFORMED, "blank line removed");
	free(p);
	/* More than 63 proof lines. */
	{
		char many[64 * 45 + 1];

		for (size_t i = 0; i < 64; i++)
			memcpy(many + i * 45, ROOT_A "\n", 45);
		p = splice(body, len, head, 0, many, 64 * 45, &n);
		expect_status(h, p, n, key, 1, stored, stored_root,
			MLOG_ERR_MALFORMED, "64 proof lines");
		free(p);
	}
	/* Over 16 KiB. */
	p = calloc(1, MLOG_WITNESS_REQ_MAX_BYTES + 1);
	cr_assert_not_null(p);
	memcpy(p, body, len);
	expect_status(h, p, MLOG_WITNESS_REQ_MAX_BYTES + 1, key, 1, stored,
		stored_root, MLOG_ERR_TOOBIG, "over 16 KiB");
	free(p);
}

/* ---- known answers: omniwitness monkeys ----------------------------- */

Test(witness_req, omniwitness_monkeys_5_to_8)
{
	struct mlog_hash *h = mlog_hash_new();
	struct mlog_note_verifier monkeys, bananas;
	struct mlog_checkpoint c5;
	char *vk, *ovk, *hexes, *cp5, *cp8, *body;
	size_t len5, len8, len;
	uint8_t proof[4][32];

	TEST_REQUIRE_SHARED();
	vk = manifest_value(MONKEYS "MANIFEST.txt", "log_vkey");
	ovk = manifest_value(MONKEYS "MANIFEST.txt", "other_log_vkey");
	hexes = manifest_value(MONKEYS "MANIFEST.txt", "consistency_5_8");
	parse_vkey(&monkeys, vk);
	parse_vkey(&bananas, ovk);
	for (size_t i = 0; i < 4; i++) {
		char one[65];

		memcpy(one, hexes + i * 65, 64);
		one[64] = '\0';
		test_hex(proof[i], 32, one);
	}
	cp5 = test_read_shared(MONKEYS "monkeys-5.checkpoint", &len5);
	cp8 = test_read_shared(MONKEYS "monkeys-8.checkpoint", &len8);
	cr_assert_eq(mlog_checkpoint_open(&c5, NULL, cp5, len5, "monkeys",
		&monkeys, 1, NULL, NULL), MLOG_OK);

	body = mkreq(5, (const uint8_t (*)[32])proof, 4, cp8, len8, &len);
	expect_status(h, body, len, &monkeys, 1, 5, c5.root, 200, "5 -> 8");
	expect_status(h, body, len, &bananas, 1, 5, c5.root, 403,
		"bananas key");
	expect_status(h, body, len, &monkeys, 1, 6, c5.root, 409,
		"witness at 6");
	sweep_body(h, body, len, &monkeys, 5, c5.root, "monkeys 5 -> 8");
	free(body);
	/* The proof in the wrong order, or short. */
	{
		uint8_t rev[4][32];

		for (size_t i = 0; i < 4; i++)
			memcpy(rev[i], proof[3 - i], 32);
		body = mkreq(5, (const uint8_t (*)[32])rev, 4, cp8, len8,
			&len);
		expect_status(h, body, len, &monkeys, 1, 5, c5.root, 422,
			"reversed proof");
		free(body);
		body = mkreq(5, (const uint8_t (*)[32])proof, 3, cp8, len8,
			&len);
		expect_status(h, body, len, &monkeys, 1, 5, c5.root, 422,
			"short proof");
		free(body);
	}
	/* Re-submitting 5 at 5 is a fresh 200; 8 from 0 is a 409. */
	body = mkreq(5, NULL, 0, cp5, len5, &len);
	expect_status(h, body, len, &monkeys, 1, 5, c5.root, 200, "5 at 5");
	free(body);
	body = mkreq(0, NULL, 0, cp8, len8, &len);
	expect_status(h, body, len, &monkeys, 1, 5, c5.root, 409, "0 at 5");
	expect_status(h, body, len, &monkeys, 1, 0, NULL, 200, "TOFU 8");
	free(body);
	mlog_checkpoint_clear(&c5);
	free(vk);
	free(ovk);
	free(hexes);
	free(cp5);
	free(cp8);
	mlog_hash_free(h);
}

/* ---- self-contained: the decision table ----------------------------- */

/* Expected status for a request "old -> size" with a valid (or empty)
 * proof and a good signature, against stored state s: the table. */
static int table_status(uint64_t stored, uint64_t old, uint64_t size)
{
	if (old > size)
		return 400;
	if (old != stored)
		return 409;
	return 200;
}

Test(witness_req, every_state_old_and_size_over_a_small_tree)
{
	struct testlog l;
	struct mlog_hash *h = mlog_hash_new();

	testlog_init(&l, 9);
	for (uint64_t stored = 0; stored <= 9; stored++) {
		for (uint64_t size = 0; size <= 9; size++) {
			for (uint64_t old = 0; old <= 9; old++) {
				uint8_t proof[MLOG_PROOF_MAX][32];
				size_t n = 0, len;
				char *body;
				int want = table_status(stored, old, size);

				if (old > 0 && old <= size)
					n = memtree_consistency(&l.tree, old,
						size, proof);
				body = mkreq(old, (const uint8_t (*)[32])proof,
					n, l.note[size], l.note_len[size],
					&len);
				expect_status(h, body, len, &l.vkey, 1, stored,
					l.root[stored], want, "table");
				free(body);
				/* A corrupted proof is a 422 whenever the
				 * request got that far. */
				if (want == 200 && n > 0) {
					proof[n - 1][0] ^= 1;
					body = mkreq(old,
						(const uint8_t (*)[32])proof, n,
						l.note[size], l.note_len[size],
						&len);
					expect_status(h, body, len, &l.vkey, 1,
						stored, l.root[stored], 422,
						"bad proof");
					free(body);
				}
			}
		}
	}
	testlog_free(&l);
	mlog_hash_free(h);
}

Test(witness_req, each_row)
{
	struct testlog l;
	struct mlog_hash *h = mlog_hash_new();
	uint8_t proof[MLOG_PROOF_MAX][32], bad_root[32];
	size_t n, len, blen;
	char *body, *bad;

	testlog_init(&l, 8);
	/* Row 1: unknown origin. */
	body = mkreq(0, NULL, 0, l.note[3], l.note_len[3], &len);
	expect_status(h, body, len, NULL, 0, 0, NULL, 404, "row 1");
	/* Row 2: configured with no key, or with other keys. */
	expect_status(h, body, len, &l.vkey, 0, 0, NULL, 403, "row 2, none");
	{
		struct mlog_note_signer o;
		struct mlog_note_verifier ov[2];

		seed_signer(&o, "example.com/log", MLOG_NOTE_TYPE_ED25519, 9);
		mlog_note_signer_verifier(&ov[0], &o);
		expect_status(h, body, len, ov, 1, 0, NULL, 403,
			"row 2, other key");
		/* One good key among several suffices. */
		ov[1] = l.vkey;
		expect_status(h, body, len, ov, 2, 0, NULL, 200,
			"row 2, two keys");
		mlog_note_signer_clear(&o);
	}
	free(body);
	/* Row 2b: a known key's line that fails (a lenient-base64 line,
	 * as litewitness req02) is a 403, not a 400. */
	{
		const char *eq = strrchr(l.note[3], '=');
		char *p;

		cr_assert_not_null(eq);
		static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			"abcdefghijklmnopqrstuvwxyz0123456789+/";
		size_t at = (size_t)(eq - l.note[3]) - 1, v;

		p = splice(l.note[3], l.note_len[3], 0, 0, "", 0, &blen);
		/* Set a trailing pad bit of the last base64 quantum: the
		 * line still decodes (leniently), and must never verify. */
		v = (size_t)(strchr(b64chars, p[at]) - b64chars);
		cr_assert_eq(v & 3, 0);
		p[at] = b64chars[v | 1];
		body = mkreq(0, NULL, 0, p, blen, &len);
		expect_status(h, body, len, &l.vkey, 1, 0, NULL, 403,
			"row 2b");
		free(body);
		free(p);
	}
	/* Row 3: old beyond the checkpoint, even when also != stored. */
	body = mkreq(4, NULL, 0, l.note[3], l.note_len[3], &len);
	expect_status(h, body, len, &l.vkey, 1, 0, NULL, 400, "row 3");
	expect_status(h, body, len, &l.vkey, 1, 4, l.root[4], 400,
		"row 3, old = stored");
	free(body);
	/* Row 4: old != stored, with or without a proof. */
	n = memtree_consistency(&l.tree, 2, 5, proof);
	body = mkreq(2, (const uint8_t (*)[32])proof, n, l.note[5],
		l.note_len[5], &len);
	expect_status(h, body, len, &l.vkey, 1, 3, l.root[3], 409, "row 4");
	expect_status(h, body, len, &l.vkey, 1, 0, NULL, 409, "row 4, new");
	expect_status(h, body, len, &l.vkey, 1, 2, l.root[2], 200,
		"row 4 passes");
	free(body);
	/* Row 5: size 0 with a root that is not SHA-256(""). */
	memset(bad_root, 0x2a, 32);
	bad = sign_cp(&l, 0, bad_root, &blen);
	body = mkreq(0, NULL, 0, bad, blen, &len);
	expect_status(h, body, len, &l.vkey, 1, 0, NULL, 422, "row 5");
	free(body);
	free(bad);
	body = mkreq(0, NULL, 0, l.note[0], l.note_len[0], &len);
	expect_status(h, body, len, &l.vkey, 1, 0, NULL, 200, "empty tree");
	free(body);
	/* Row 6: old 0 with a proof. */
	n = memtree_consistency(&l.tree, 1, 4, proof);
	body = mkreq(0, (const uint8_t (*)[32])proof, n, l.note[4],
		l.note_len[4], &len);
	expect_status(h, body, len, &l.vkey, 1, 0, NULL, 422, "row 6");
	free(body);
	/* Row 7: a proof for other sizes, or against another old root. */
	n = memtree_consistency(&l.tree, 3, 7, proof);
	body = mkreq(3, (const uint8_t (*)[32])proof, n, l.note[8],
		l.note_len[8], &len);
	expect_status(h, body, len, &l.vkey, 1, 3, l.root[3], 422,
		"row 7, wrong size");
	free(body);
	n = memtree_consistency(&l.tree, 3, 8, proof);
	body = mkreq(3, (const uint8_t (*)[32])proof, n, l.note[8],
		l.note_len[8], &len);
	expect_status(h, body, len, &l.vkey, 1, 3, l.root[2], 422,
		"row 7, wrong stored root");
	expect_status(h, body, len, &l.vkey, 1, 3, l.root[3], 200,
		"row 7 passes");
	free(body);
	/* Row 8: same size, other root (a fork); same root with a
	 * non-empty proof. */
	memset(bad_root, 0x17, 32);
	bad = sign_cp(&l, 6, bad_root, &blen);
	body = mkreq(6, NULL, 0, bad, blen, &len);
	expect_status(h, body, len, &l.vkey, 1, 6, l.root[6], 422,
		"row 8, fork");
	free(body);
	free(bad);
	body = mkreq(6, (const uint8_t (*)[32])l.root, 1, l.note[6],
		l.note_len[6], &len);
	expect_status(h, body, len, &l.vkey, 1, 6, l.root[6], 422,
		"row 8, proof");
	free(body);
	body = mkreq(6, NULL, 0, l.note[6], l.note_len[6], &len);
	expect_status(h, body, len, &l.vkey, 1, 6, l.root[6], 200,
		"row 9, same size again");
	free(body);
	testlog_free(&l);
	mlog_hash_free(h);
}

Test(witness_req, stored_size_without_root_is_internal)
{
	struct testlog l;
	struct mlog_hash *h = mlog_hash_new();
	uint8_t proof[MLOG_PROOF_MAX][32];
	size_t n, len;
	char *body;
	struct mlog_error err = {0};

	testlog_init(&l, 4);
	n = memtree_consistency(&l.tree, 2, 4, proof);
	body = mkreq(2, (const uint8_t (*)[32])proof, n, l.note[4],
		l.note_len[4], &len);
	cr_assert_eq(decide(h, body, len, &l.vkey, 1, 2, NULL, &err),
		MLOG_ERR_INTERNAL);
	free(body);
	testlog_free(&l);
	mlog_hash_free(h);
}

/* ---- self-contained: the request parser ----------------------------- */

Test(witness_req, parse_format_round_trip)
{
	struct testlog l;
	uint8_t proof[MLOG_PROOF_MAX][32];

	testlog_init(&l, 9);
	for (uint64_t old = 1; old < 9; old++) {
		struct mlog_witness_req r;
		size_t n = memtree_consistency(&l.tree, old, 9, proof), len;
		char *body = mkreq(old, (const uint8_t (*)[32])proof, n,
			l.note[9], l.note_len[9], &len);

		cr_assert_eq(mlog_witness_req_parse(&r, body, len, NULL),
			MLOG_OK);
		cr_assert_eq(r.old, old);
		cr_assert_eq(r.proof_len, n);
		cr_assert_arr_eq(r.proof, proof, n * 32);
		cr_assert_str_eq(r.cp.origin, "example.com/log");
		cr_assert_eq(r.cp.size, 9);
		cr_assert_arr_eq(r.cp.root, l.root[9], 32);
		mlog_witness_req_clear(&r);
		free(body);
	}
	testlog_free(&l);
}

Test(witness_req, parse_invalid_table)
{
	struct testlog l;
	static const char *const heads[] = {
		"",
		"old\n\n",
		"old \n\n",
		"old 01\n\n",
		"old 00\n\n",
		"old -1\n\n",
		"old +1\n\n",
		"old  1\n\n",
		"old 1 \n\n",
		"old\t1\n\n",
		"Old 1\n\n",
		"old 1\r\n\n",
		"old 0x1\n\n",
		"old 9223372036854775808\n\n",
		"old 1\n",       /* no blank line: the note is read as proof */
		"\nold 1\n\n",
		"old 1\n\n\n",
		"old 1\nKgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n\n",
		"old 1\nKgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n\n",
		"old 1\nKgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n\n",
		"old 1\nKgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n\n",
		"old 1\nKgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n\n",
		"old 1\n KgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n",
		"old 1\nKgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \n\n",
		"old 1\nKgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-=\n\n",
		"old 1\nKgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\n",
	};

	testlog_init(&l, 3);
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		struct mlog_witness_req r;
		struct mlog_error err = {0};
		size_t len;
		char *body = splice(l.note[3], l.note_len[3], 0, 0, heads[i],
			strlen(heads[i]), &len);

		memset(&r, 0x33, sizeof(r));
		cr_assert_eq(mlog_witness_req_parse(&r, body, len, &err),
			MLOG_ERR_MALFORMED, "case %zu", i);
		cr_assert_eq(err.code, MLOG_ERR_MALFORMED);
		cr_assert_eq(r.old, UINT64_C(0x3333333333333333),
			"case %zu: output touched", i);
		free(body);
	}
	/* Bad notes after a good header. */
	{
		static const char *const notes[] = {
			"",
			"no signature\n",
			"example.com/log\n3\n" ROOT_A "\n\n",
			"example.com/log\n3\n" ROOT_A "\n\nnot a sig\n",
			"example.com/log\n03\n" ROOT_A "\n\n— k AAAAAAA=\n",
			"example.com/log\n\n" ROOT_A "\n\n— k AAAAAAA=\n",
		};

		for (size_t i = 0; i < sizeof(notes) / sizeof(notes[0]); i++) {
			struct mlog_witness_req r;
			size_t len;
			char *body = splice(notes[i], strlen(notes[i]), 0, 0,
				"old 0\n\n", 7, &len);

			cr_assert_eq(mlog_witness_req_parse(&r, body, len,
				NULL), MLOG_ERR_MALFORMED, "note %zu", i);
			free(body);
		}
	}
	testlog_free(&l);
}

Test(witness_req, proof_line_limit_and_size_cap)
{
	struct testlog l;
	struct mlog_witness_req r;
	char head[16 + 64 * 45], *body, *big;
	size_t len, off;

	testlog_init(&l, 3);
	/* 63 lines parse (the decision then fails them), 64 do not. */
	for (size_t lines = 63; lines <= 64; lines++) {
		off = (size_t)snprintf(head, sizeof(head), "old 1\n");
		for (size_t i = 0; i < lines; i++) {
			memcpy(head + off, ROOT_A "\n", 45);
			off += 45;
		}
		head[off++] = '\n';
		body = splice(l.note[3], l.note_len[3], 0, 0, head, off, &len);
		cr_assert_eq(mlog_witness_req_parse(&r, body, len, NULL),
			lines == 63 ? MLOG_OK : MLOG_ERR_MALFORMED);
		if (lines == 63) {
			cr_assert_eq(r.proof_len, 63);
			mlog_witness_req_clear(&r);
		}
		free(body);
	}
	/* Format refuses 64 lines. */
	{
		uint8_t proof[64][32] = {{0}};

		cr_assert_eq(mlog_witness_req_format(&body, &len, 1,
			(const uint8_t (*)[32])proof, 64, l.note[3],
			l.note_len[3], NULL), MLOG_ERR_MALFORMED);
	}
	/* Exactly 16 KiB parses; one byte more is TOOBIG, checked before
	 * anything else. */
	{
		struct mlog_checkpoint c = {0};
		size_t ext = 0, nlen = 0;
		char *note = NULL;

		c.origin = (char *)"example.com/log";
		c.size = 3;
		memcpy(c.root, l.root[3], 32);
		/* Grow an extension line until the body is 16384 bytes. */
		for (ext = 16000; ; ext++) {
			char *e = malloc(ext + 2);

			memset(e, 'e', ext);
			e[ext] = '\n';
			e[ext + 1] = '\0';
			c.ext = e;
			c.ext_len = ext + 1;
			cr_assert_eq(mlog_checkpoint_sign(&note, &nlen, &c,
				&l.key, 1, NULL), MLOG_OK);
			free(e);
			if (7 + nlen >= MLOG_WITNESS_REQ_MAX_BYTES)
				break;
			free(note);
		}
		cr_assert_eq(7 + nlen, MLOG_WITNESS_REQ_MAX_BYTES);
		body = mkreq(0, NULL, 0, note, nlen, &len);
		cr_assert_eq(len, MLOG_WITNESS_REQ_MAX_BYTES);
		cr_assert_eq(mlog_witness_req_parse(&r, body, len, NULL),
			MLOG_OK);
		mlog_witness_req_clear(&r);
		free(body);
		cr_assert_eq(mlog_witness_req_format(&body, &len, 10, NULL, 0,
			note, nlen, NULL), MLOG_ERR_TOOBIG);
		free(note);
	}
	big = malloc(MLOG_WITNESS_REQ_MAX_BYTES + 1);
	memset(big, 0, MLOG_WITNESS_REQ_MAX_BYTES + 1);
	cr_assert_eq(mlog_witness_req_parse(&r, big,
		MLOG_WITNESS_REQ_MAX_BYTES + 1, NULL), MLOG_ERR_TOOBIG);
	free(big);
	testlog_free(&l);
}

Test(witness_req, format_rejects_bad_input)
{
	struct testlog l;
	char *out = (char *)"untouched";
	size_t len = 9;

	testlog_init(&l, 2);
	cr_assert_eq(mlog_witness_req_format(&out, &len,
		MLOG_CODEC_DECIMAL_MAX + 1, NULL, 0, l.note[2], l.note_len[2],
		NULL), MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_witness_req_format(&out, &len, 0, NULL, 0,
		"not a note", 10, NULL), MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_witness_req_format(&out, &len, 0, NULL, 0,
		"a\n\n— k AAAAAAA=\n", 19, NULL), MLOG_ERR_MALFORMED);
	cr_assert_str_eq(out, "untouched");
	cr_assert_eq(len, 9);
	testlog_free(&l);
}

/* ---- responses ------------------------------------------------------ */

Test(witness_req, size_body_table)
{
	static const struct {
		const char *body;
		int ok;
		uint64_t size;
	} cases[] = {
		{ "0\n", 1, 0 },
		{ "3\n", 1, 3 },
		{ "9223372036854775807\n", 1, UINT64_C(9223372036854775807) },
		{ "", 0, 0 },
		{ "\n", 0, 0 },
		{ "3", 0, 0 },
		{ "03\n", 0, 0 },
		{ "3\n\n", 0, 0 },
		{ " 3\n", 0, 0 },
		{ "3 \n", 0, 0 },
		{ "3\r\n", 0, 0 },
		{ "-3\n", 0, 0 },
		{ "+3\n", 0, 0 },
		{ "9223372036854775808\n", 0, 0 },
		{ "18446744073709551615\n", 0, 0 },
		{ "100000000000000000000\n", 0, 0 },
	};
	char out[MLOG_WITNESS_REQ_SIZE_BODY_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t got = 777;
		int rc = mlog_witness_req_size_parse(&got, cases[i].body,
			strlen(cases[i].body), NULL);

		if (cases[i].ok) {
			cr_assert_eq(rc, MLOG_OK, "%s", cases[i].body);
			cr_assert_eq(got, cases[i].size);
			cr_assert_eq(mlog_witness_req_size_format(out,
				sizeof(out), got), (int)strlen(cases[i].body));
			cr_assert_str_eq(out, cases[i].body);
		} else {
			cr_assert_eq(rc, MLOG_ERR_MALFORMED, "case %zu", i);
			cr_assert_eq(got, 777);
		}
	}
	cr_assert_eq(mlog_witness_req_size_format(out, sizeof(out),
		MLOG_CODEC_DECIMAL_MAX + 1), MLOG_ERR_RANGE);
	cr_assert_eq(mlog_witness_req_size_format(out, 3, 1000),
		MLOG_ERR_TOOBIG);
	cr_assert_str_eq(MLOG_WITNESS_REQ_SIZE_TYPE, "text/x.tlog.size");
}

Test(witness_req, cosignature_known_answer)
{
	static const char dir[] = "vectors/cosignature/";
	struct mlog_note_signer ws;
	struct mlog_note_verifier wv;
	struct mlog_note *n = NULL;
	struct mlog_note_check check;
	uint8_t seed[32];
	char *seed_hex, *name, *ts, *text, *want, *lines[4], *out = NULL;
	size_t text_len, out_len = 0;
	char rel[96];
	static const char *const keys[] = { "sigline_1_wrong_keyid",
		"sigline_2_valid", "sigline_3_other_name",
		"sigline_4_bad_length" };

	TEST_REQUIRE_SHARED();
	snprintf(rel, sizeof(rel), "%ssigsum-go-cosignature.txt", dir);
	seed_hex = manifest_value(rel, "witness_seed_hex");
	name = manifest_value(rel, "witness_name");
	ts = manifest_value(rel, "timestamp");
	for (size_t i = 0; i < 4; i++)
		lines[i] = manifest_value(rel, keys[i]);
	snprintf(rel, sizeof(rel), "%ssigsum-go-cosigned.checkpoint-body",
		dir);
	text = test_read_shared(rel, &text_len);
	test_hex(seed, 32, seed_hex);
	cr_assert_eq(mlog_note_signer_from_seed(&ws, name,
		MLOG_NOTE_TYPE_COSIG_V1, seed), MLOG_OK);
	mlog_note_signer_verifier(&wv, &ws);
	cr_assert_str_eq(ts, "1234");

	/* The witness's 200 body is byte for byte the known line. */
	cr_assert_eq(mlog_witness_req_cosigs_format(&out, &out_len, text,
		text_len, &ws, 1, 1234, NULL), MLOG_OK);
	cr_assert_neq(asprintf(&want, "%s\n", lines[1]), -1);
	cr_assert_str_eq(out, want);
	cr_assert_eq(out_len, strlen(want));
	free(out);
	free(want);

	/* Lines 1-3: the valid one is found among the others. */
	cr_assert_neq(asprintf(&want, "%s\n%s\n%s\n", lines[0], lines[1],
		lines[2]), -1);
	cr_assert_eq(mlog_witness_req_cosigs_parse(&n, text, text_len, want,
		strlen(want), NULL), MLOG_OK);
	cr_assert_eq(n->nsigs, 3);
	cr_assert_eq(mlog_note_verify(n, &wv, 1, &check, NULL), MLOG_OK);
	cr_assert(check.verified);
	cr_assert_eq(check.timestamp, 1234);
	mlog_note_free(n);
	free(want);
	/* Line 4 claims the same key with a 78-byte blob: not a
	 * cosignature/v1 (note.h rule 5), so it is skipped and line 2
	 * still verifies. */
	cr_assert_neq(asprintf(&want, "%s\n%s\n", lines[1], lines[3]), -1);
	cr_assert_eq(mlog_witness_req_cosigs_parse(&n, text, text_len, want,
		strlen(want), NULL), MLOG_OK);
	cr_assert_eq(mlog_note_verify(n, &wv, 1, &check, NULL), MLOG_OK);
	cr_assert_eq(check.timestamp, 1234);
	mlog_note_free(n);
	free(want);

	for (size_t i = 0; i < 4; i++)
		free(lines[i]);
	mlog_note_signer_clear(&ws);
	free(seed_hex);
	free(name);
	free(ts);
	free(text);
}

Test(witness_req, cosigs_format_and_parse_reject)
{
	struct testlog l;
	struct mlog_note_signer w, w01;
	struct mlog_note *n = (struct mlog_note *)0x1;
	const char *text;
	size_t text_len;
	char *out = (char *)"untouched", *good = NULL;
	size_t out_len = 5, good_len = 0;
	static const char *const bad_bodies[] = {
		"",
		"\n",
		"— w AAAAAAA=",
		"— w AAAAAAA=\n\n",
		"— w AAAAAAA=\n\n— w AAAAAAA=\n",
		"\n— w AAAAAAA=\n",
		"w AAAAAAA=\n",
		"— w+x AAAAAAA=\n",
		"— w AAAA\n",
		"— w AAAAAAA=\r\n",
	};

	testlog_init(&l, 2);
	text = l.note[2];
	text_len = (size_t)(strstr(text, "\n\n") - text) + 1;
	seed_signer(&w, "w.example", MLOG_NOTE_TYPE_COSIG_V1, 0x21);
	seed_signer(&w01, "w.example", MLOG_NOTE_TYPE_ED25519, 0x21);
	cr_assert_eq(mlog_witness_req_cosigs_format(&out, &out_len, text,
		text_len, &w, 1, 0, NULL), MLOG_ERR_RANGE);
	cr_assert_eq(mlog_witness_req_cosigs_format(&out, &out_len, text,
		text_len, &w, 1, MLOG_CODEC_DECIMAL_MAX + 1, NULL),
		MLOG_ERR_RANGE);
	cr_assert_eq(mlog_witness_req_cosigs_format(&out, &out_len, text,
		text_len, &w01, 1, 5, NULL), MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_witness_req_cosigs_format(&out, &out_len, text,
		text_len, &w, 0, 5, NULL), MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_witness_req_cosigs_format(&out, &out_len,
		"not a checkpoint\n", 17, &w, 1, 5, NULL), MLOG_ERR_MALFORMED);
	cr_assert_str_eq(out, "untouched");
	cr_assert_eq(out_len, 5);

	for (size_t i = 0; i < sizeof(bad_bodies) / sizeof(bad_bodies[0]);
	     i++)
		cr_assert_eq(mlog_witness_req_cosigs_parse(&n, text, text_len,
			bad_bodies[i], strlen(bad_bodies[i]), NULL),
			MLOG_ERR_MALFORMED, "body %zu", i);
	cr_assert_eq(n, (struct mlog_note *)0x1);
	cr_assert_eq(mlog_witness_req_format(&out, &out_len, 0, NULL, 0, text,
		text_len, NULL), MLOG_ERR_MALFORMED);
	/* Over the response cap. */
	{
		char *big = calloc(1, MLOG_WITNESS_REQ_RESP_MAX_BYTES + 1);

		cr_assert_eq(mlog_witness_req_cosigs_parse(&n, text, text_len,
			big, MLOG_WITNESS_REQ_RESP_MAX_BYTES + 1, NULL),
			MLOG_ERR_TOOBIG);
		free(big);
	}
	/* Two signers give two lines that parse back. */
	{
		struct mlog_note_signer two[2];

		seed_signer(&two[0], "w1.example", MLOG_NOTE_TYPE_COSIG_V1, 1);
		seed_signer(&two[1], "w2.example", MLOG_NOTE_TYPE_COSIG_V1, 2);
		cr_assert_eq(mlog_witness_req_cosigs_format(&good, &good_len,
			text, text_len, two, 2, 99, NULL), MLOG_OK);
		cr_assert_eq(mlog_witness_req_cosigs_parse(&n, text, text_len,
			good, good_len, NULL), MLOG_OK);
		cr_assert_eq(n->nsigs, 2);
		cr_assert_str_eq(n->sigs[0].name, "w1.example");
		cr_assert_str_eq(n->sigs[1].name, "w2.example");
		mlog_note_free(n);
		free(good);
		mlog_note_signer_clear(&two[0]);
		mlog_note_signer_clear(&two[1]);
	}
	mlog_note_signer_clear(&w);
	mlog_note_signer_clear(&w01);
	testlog_free(&l);
}

Test(witness_req, cosigs_add)
{
	struct testlog l;
	struct mlog_note_signer w, w2, other;
	struct mlog_note_verifier wv, wv01, w2v, both[3];
	struct mlog_note_check checks[3];
	struct mlog_note *n = NULL;
	const char *text;
	size_t text_len, r1_len, r2_len, m1_len, m2_len, len;
	char *r1 = NULL, *r2 = NULL, *m1 = NULL, *m2 = NULL, *p;
	uint64_t ts = 0;

	testlog_init(&l, 4);
	text = l.note[4];
	text_len = (size_t)(strstr(text, "\n\n") - text) + 1;
	seed_signer(&w, "w.example", MLOG_NOTE_TYPE_COSIG_V1, 0x31);
	seed_signer(&w2, "w2.example", MLOG_NOTE_TYPE_COSIG_V1, 0x32);
	seed_signer(&other, "w.example", MLOG_NOTE_TYPE_COSIG_V1, 0x33);
	mlog_note_signer_verifier(&wv, &w);
	mlog_note_signer_verifier(&w2v, &w2);
	/* The witness's key as published in 0x01 form works too. */
	{
		struct mlog_note_signer w01;

		seed_signer(&w01, "w.example", MLOG_NOTE_TYPE_ED25519, 0x31);
		mlog_note_signer_verifier(&wv01, &w01);
		mlog_note_signer_clear(&w01);
	}

	cr_assert_eq(mlog_witness_req_cosigs_format(&r1, &r1_len, text,
		text_len, &w, 1, 100, NULL), MLOG_OK);
	cr_assert_eq(mlog_witness_req_cosigs_add(&m1, &m1_len, &ts, l.note[4],
		l.note_len[4], r1, r1_len, &wv01, NULL), MLOG_OK);
	cr_assert_eq(ts, 100);
	/* A second witness, whose response also carries a line by another
	 * key: that line is dropped. */
	{
		struct mlog_note_signer pair[2] = { w2, other };

		cr_assert_eq(mlog_witness_req_cosigs_format(&r2, &r2_len, text,
			text_len, pair, 2, 200, NULL), MLOG_OK);
		cr_assert_eq(mlog_witness_req_cosigs_add(&m2, &m2_len, &ts, m1,
			m1_len, r2, r2_len, &w2v, NULL), MLOG_OK);
		mlog_note_signer_clear(&pair[0]);
		mlog_note_signer_clear(&pair[1]);
	}
	cr_assert_eq(ts, 200);
	cr_assert_eq(mlog_note_parse(&n, m2, m2_len, NULL), MLOG_OK);
	cr_assert_eq(n->nsigs, 3);
	both[0] = l.vkey;
	both[1] = wv;
	both[2] = w2v;
	cr_assert_eq(mlog_note_verify(n, both, 3, checks, NULL), MLOG_OK);
	cr_assert(checks[0].verified && checks[1].verified &&
		checks[2].verified);
	cr_assert_eq(checks[1].timestamp, 100);
	cr_assert_eq(checks[2].timestamp, 200);
	mlog_note_free(n);
	free(r1);
	/* A fresh cosignature by w replaces its old line. */
	cr_assert_eq(mlog_witness_req_cosigs_format(&r1, &r1_len, text,
		text_len, &w, 1, 300, NULL), MLOG_OK);
	free(m1);
	cr_assert_eq(mlog_witness_req_cosigs_add(&m1, &m1_len, &ts, m2,
		m2_len, r1, r1_len, &wv, NULL), MLOG_OK);
	cr_assert_eq(mlog_note_parse(&n, m1, m1_len, NULL), MLOG_OK);
	cr_assert_eq(n->nsigs, 3);
	cr_assert_eq(mlog_note_verify(n, both, 3, checks, NULL), MLOG_OK);
	cr_assert_eq(checks[1].timestamp, 300);
	mlog_note_free(n);

	/* Failures leave the outputs alone. */
	p = (char *)"untouched";
	len = 1;
	ts = 42;
	/* r2 has a line named w.example, but by another key (ID). */
	cr_assert_eq(mlog_witness_req_cosigs_add(&p, &len, &ts, l.note[4],
		l.note_len[4], r2, r2_len, &wv, NULL), MLOG_ERR_UNTRUSTED);
	cr_assert_eq(mlog_witness_req_cosigs_add(&p, &len, &ts, l.note[4],
		l.note_len[4], r1, r1_len, &w2v, NULL), MLOG_ERR_UNTRUSTED);
	{
		/* The response for another checkpoint does not verify. */
		const char *t3 = l.note[3];
		size_t t3_len = (size_t)(strstr(t3, "\n\n") - t3) + 1;
		char *r3 = NULL;
		size_t r3_len = 0;

		cr_assert_eq(mlog_witness_req_cosigs_format(&r3, &r3_len, t3,
			t3_len, &w, 1, 5, NULL), MLOG_OK);
		cr_assert_eq(mlog_witness_req_cosigs_add(&p, &len, &ts,
			l.note[4], l.note_len[4], r3, r3_len, &wv, NULL),
			MLOG_ERR_VERIFY);
		free(r3);
	}
	cr_assert_eq(mlog_witness_req_cosigs_add(&p, &len, &ts, "junk", 4,
		r1, r1_len, &wv, NULL), MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_witness_req_cosigs_add(&p, &len, &ts, l.note[4],
		l.note_len[4], "junk\n", 5, &wv, NULL), MLOG_ERR_MALFORMED);
	cr_assert_str_eq(p, "untouched");
	cr_assert_eq(len, 1);
	cr_assert_eq(ts, 42);

	free(r1);
	free(r2);
	free(m1);
	free(m2);
	mlog_note_signer_clear(&w);
	mlog_note_signer_clear(&w2);
	mlog_note_signer_clear(&other);
	testlog_free(&l);
}
