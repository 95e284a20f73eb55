/*
 * test_checkpoint.c — C2SP tlog-checkpoint text, open and sign
 * (merkle/checkpoint.c).
 *
 * Known answers: the Go sumdb checkpoints (origin != key name), the Sigsum
 * seed-11 checkpoint and all 16 Tessera checkpoints, each opened with its
 * key and re-signed byte for byte (Ed25519 is deterministic); the Tessera
 * roots are recomputed from the entries. Every good vector then goes
 * through a corruption sweep with the exact code each probe must give.
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

static void init(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(checkpoint, .init = init);

#define EMPTY_ROOT "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
#define ROOT_A "KgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

static const char *const tessera_entries[] = {
	"one", "two", "three", "four", "five", "six", "seven", "eit",
	"nain", "ten", "ileven", "twelf", "threeten", "fourten", "fivten",
};

/* ---- helpers ------------------------------------------------------- */

static void load_vkey(struct mlog_note_verifier *v, const char *rel)
{
	size_t len;
	char *s = test_chomp(test_read_shared(rel, &len));

	cr_assert_eq(mlog_note_verifier_parse(v, s, strlen(s), NULL), MLOG_OK,
		"vkey %s", rel);
	free(s);
}

/* Value of "key=value" in a vectors file, malloc'd. */
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

static void seed_signer(struct mlog_note_signer *s, const char *name,
	uint8_t type, uint8_t seed_byte)
{
	uint8_t seed[32];

	memset(seed, seed_byte, sizeof(seed));
	cr_assert_eq(mlog_note_signer_from_seed(s, name, type, seed), MLOG_OK);
}

/* s[0..len) with [off, off+del) replaced by ins; malloc'd. */
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

/* Opens msg and asserts the code; checks that *out is untouched on
 * failure and well-formed on success. */
static void expect_open(const char *msg, size_t len, const char *origin,
	const struct mlog_note_verifier *keys, size_t nkeys, int want,
	const char *what)
{
	struct mlog_checkpoint c;
	struct mlog_error err = {0};
	int rc;

	memset(&c, 0xa5, sizeof(c));
	rc = mlog_checkpoint_open(&c, NULL, msg, len, origin, keys, nkeys,
		NULL, &err);
	cr_assert_eq(rc, want, "%s: got %d (%s), want %d", what, rc, err.msg,
		want);
	if (rc == MLOG_OK) {
		mlog_checkpoint_clear(&c);
	} else {
		cr_assert_eq(err.code, rc, "%s: err.code", what);
		cr_assert_neq(err.msg[0], '\0', "%s: no message", what);
		for (size_t i = 0; i < sizeof(c); i++)
			cr_assert_eq(((uint8_t *)&c)[i], 0xa5,
				"%s: output touched", what);
	}
}

struct layout {
	size_t origin_end;   /* '\n' after the origin */
	size_t size_end;     /* '\n' after the size */
	size_t root_end;     /* '\n' after the root */
	size_t text_end;     /* '\n' ending the text */
	size_t sig_b64;      /* first base64 byte of the first signature */
	size_t sig_b64_len;
	size_t sig_name;     /* first byte of its key name */
};

static void find_layout(const char *m, size_t len, struct layout *l)
{
	const char *blank = NULL, *sp;

	l->origin_end = (size_t)(strchr(m, '\n') - m);
	l->size_end = (size_t)(strchr(m + l->origin_end + 1, '\n') - m);
	l->root_end = (size_t)(strchr(m + l->size_end + 1, '\n') - m);
	for (size_t i = 0; i + 1 < len; i++) {
		if (m[i] == '\n' && m[i + 1] == '\n')
			blank = m + i;
	}
	cr_assert_not_null(blank);
	l->text_end = (size_t)(blank - m);
	l->sig_name = l->text_end + 2 + 4;
	sp = memchr(m + l->sig_name, ' ', len - l->sig_name);
	cr_assert_not_null(sp);
	l->sig_b64 = (size_t)(sp - m) + 1;
	l->sig_b64_len = (size_t)((const char *)memchr(m + l->sig_b64, '\n',
		len - l->sig_b64) - m) - l->sig_b64;
}

/*
 * The corruption sweep: turns a good signed checkpoint (one signature, by
 * key) into failing probes, each with the one code it must give.
 */
static void sweep(const char *m, size_t len,
	const struct mlog_note_verifier *key, const char *origin)
{
	struct layout l;
	struct mlog_checkpoint c;
	char buf[64], *p;
	size_t n;
	uint64_t size;
	uint8_t root[32], sig[128];
	size_t sig_len;
	char b64[256];
	struct mlog_note_verifier other;
	struct mlog_note_signer os;

	expect_open(m, len, origin, key, 1, MLOG_OK, "good vector");
	find_layout(m, len, &l);
	cr_assert_eq(mlog_checkpoint_parse(&c, m, l.text_end + 1, NULL),
		MLOG_OK);
	size = c.size;
	memcpy(root, c.root, 32);
	mlog_checkpoint_clear(&c);

	/* Wrong sizes: still well-formed, the signature fails. */
	{
		uint64_t wrong[] = { size + 1, size - 1, size * 2, size / 2,
			size ^ 1, MLOG_CODEC_DECIMAL_MAX };

		for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
			if (wrong[i] == size ||
			    wrong[i] > MLOG_CODEC_DECIMAL_MAX)
				continue;
			snprintf(buf, sizeof(buf), "%" PRIu64, wrong[i]);
			p = splice(m, len, l.origin_end + 1,
				l.size_end - l.origin_end - 1, buf,
				strlen(buf), &n);
			expect_open(p, n, origin, key, 1, MLOG_ERR_VERIFY,
				"wrong size");
			free(p);
		}
	}
	/* Badly written sizes: prefix and suffix around the digits. */
	{
		static const char *const bad[][2] = { { "0", "" },
			{ "+", "" }, { "-", "" }, { " ", "" }, { "", " " },
			{ "", "x" }, { "", "\t" },
			{ "", "0000000000000000000" } };

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(buf, sizeof(buf), "%s%" PRIu64 "%s",
				bad[i][0], size, bad[i][1]);
			p = splice(m, len, l.origin_end + 1,
				l.size_end - l.origin_end - 1, buf,
				strlen(buf), &n);
			expect_open(p, n, origin, key, 1, MLOG_ERR_MALFORMED,
				buf);
			free(p);
		}
	}
	/* Every bit of the root, re-encoded: well-formed, fails. */
	for (int bit = 0; bit < 256; bit++) {
		uint8_t r[32];

		memcpy(r, root, 32);
		r[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		cr_assert_eq(mlog_codec_base64_encode(b64, sizeof(b64), r, 32),
			44);
		p = splice(m, len, l.size_end + 1, 44, b64, 44, &n);
		expect_open(p, n, origin, key, 1, MLOG_ERR_VERIFY,
			"root bit flipped");
		free(p);
	}
	/* Short and long roots. */
	cr_assert_eq(mlog_codec_base64_encode(b64, sizeof(b64), root, 31), 44);
	p = splice(m, len, l.size_end + 1, 44, b64, 44, &n);
	expect_open(p, n, origin, key, 1, MLOG_ERR_MALFORMED, "31-byte root");
	free(p);
	{
		uint8_t r33[33] = {0};

		memcpy(r33, root, 32);
		cr_assert_eq(mlog_codec_base64_encode(b64, sizeof(b64), r33,
			33), 44);
		p = splice(m, len, l.size_end + 1, 44, b64, 44, &n);
		expect_open(p, n, origin, key, 1, MLOG_ERR_MALFORMED,
			"33-byte root");
		free(p);
	}
	/* Every bit of the origin: control or non-UTF-8 bytes make it
	 * malformed; anything else is a different, unsigned origin. */
	for (size_t i = 0; i < l.origin_end; i++) {
		for (int bit = 0; bit < 8; bit++) {
			unsigned char b = (unsigned char)m[i] ^ (1u << bit);
			int want = (b < 0x20 || b >= 0x80) ?
				MLOG_ERR_MALFORMED : MLOG_ERR_VERIFY;

			p = splice(m, len, i, 1, (const char *)&b, 1, &n);
			expect_open(p, n, NULL, key, 1, want,
				"origin bit flipped");
			free(p);
		}
	}
	/* Every bit of the signature blob: key ID bits make it unknown,
	 * signature bits make it fail. */
	cr_assert_eq(mlog_codec_base64_decode(sig, sizeof(sig), &sig_len,
		m + l.sig_b64, l.sig_b64_len), MLOG_OK);
	for (size_t bit = 0; bit < sig_len * 8; bit++) {
		uint8_t s2[128];
		int k;

		memcpy(s2, sig, sig_len);
		s2[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		k = mlog_codec_base64_encode(b64, sizeof(b64), s2, sig_len);
		cr_assert_gt(k, 0);
		p = splice(m, len, l.sig_b64, l.sig_b64_len, b64, (size_t)k,
			&n);
		expect_open(p, n, origin, key, 1, bit < 32 ?
			MLOG_ERR_UNTRUSTED : MLOG_ERR_VERIFY,
			"signature bit flipped");
		free(p);
	}
	/* Another key name on the signature line: unknown key. */
	p = splice(m, len, l.sig_name, 0, "x", 1, &n);
	expect_open(p, n, origin, key, 1, MLOG_ERR_UNTRUSTED, "renamed key");
	free(p);
	/* An extension line slipped into the signed text. */
	p = splice(m, len, l.root_end + 1, 0, "ext\n", 4, &n);
	expect_open(p, n, origin, key, 1, MLOG_ERR_VERIFY, "extension added");
	free(p);
	/* An empty extension line. */
	p = splice(m, len, l.root_end + 1, 0, "ext\n\nx\n", 7, &n);
	expect_open(p, n, origin, key, 1, MLOG_ERR_MALFORMED,
		"empty extension line");
	free(p);
	/* CR before a newline. */
	p = splice(m, len, l.size_end, 0, "\r", 1, &n);
	expect_open(p, n, origin, key, 1, MLOG_ERR_MALFORMED, "CRLF");
	free(p);
	/* Truncations. */
	expect_open(m, len - 1, origin, key, 1, MLOG_ERR_MALFORMED,
		"last byte cut");
	expect_open(m, l.text_end + 1, origin, key, 1, MLOG_ERR_MALFORMED,
		"signatures cut");
	expect_open(m, l.text_end + 2, origin, key, 1, MLOG_ERR_MALFORMED,
		"cut after the blank line");
	expect_open(m, l.root_end, origin, key, 1, MLOG_ERR_MALFORMED,
		"cut in the text");
	expect_open(m, 0, origin, key, 1, MLOG_ERR_MALFORMED, "empty");
	p = splice(m, len, l.text_end, 1, "", 0, &n);
	expect_open(p, n, origin, key, 1, MLOG_ERR_MALFORMED, "no blank line");
	free(p);
	/* Extensions. */
	p = splice(m, len, len, 0, "x", 1, &n);
	expect_open(p, n, origin, key, 1, MLOG_ERR_MALFORMED, "byte appended");
	free(p);
	p = splice(m, len, len, 0, "\n", 1, &n);
	expect_open(p, n, origin, key, 1, MLOG_ERR_MALFORMED,
		"newline appended");
	free(p);
	/* Right bytes, wrong expectations. */
	expect_open(m, len, "example.com/not-this-log", key, 1,
		MLOG_ERR_VERIFY, "other origin expected");
	seed_signer(&os, key->name, MLOG_NOTE_TYPE_ED25519, 0x77);
	mlog_note_signer_verifier(&other, &os);
	mlog_note_signer_clear(&os);
	expect_open(m, len, origin, &other, 1, MLOG_ERR_UNTRUSTED,
		"other key, same name");
	/* Over the cap, checked before anything else. */
	p = calloc(1, MLOG_CHECKPOINT_MAX_BYTES + 1);
	cr_assert_not_null(p);
	memcpy(p, m, len);
	expect_open(p, MLOG_CHECKPOINT_MAX_BYTES + 1, origin, key, 1,
		MLOG_ERR_TOOBIG, "over the cap");
	free(p);
}

/* Every single-bit flip anywhere in the file fails, with a code that
 * says malformed, unknown key or bad signature. */
static void sweep_all_bits(const char *m, size_t len,
	const struct mlog_note_verifier *key)
{
	char *p = malloc(len);

	cr_assert_not_null(p);
	for (size_t bit = 0; bit < len * 8; bit++) {
		struct mlog_checkpoint c;
		int rc;

		memcpy(p, m, len);
		p[bit / 8] ^= (char)(1 << (bit % 8));
		rc = mlog_checkpoint_open(&c, NULL, p, len, NULL, key, 1,
			NULL, NULL);
		cr_assert(rc == MLOG_ERR_MALFORMED || rc == MLOG_ERR_VERIFY ||
			rc == MLOG_ERR_UNTRUSTED,
			"bit %zu: got %d", bit, rc);
	}
	free(p);
}

/* ---- known answers ------------------------------------------------- */

Test(checkpoint, go_sumdb_origin_differs_from_key_name)
{
	static const char *const files[] = {
		"vectors/checkpoint/sum.golang.org-30055305.checkpoint",
		"vectors/checkpoint/sum.golang.org-35225469.checkpoint",
	};
	static const uint64_t sizes[] = { 30055305, 35225469 };
	static const char *const roots[] = {
		"mXfgRcJ0bG0j3CPdKwgGWtUzBUbX67saZGRmFuJGGsM=",
		"vt5T6GaLCXvyHFl9VUvvItR43XZxfLgftEcTyO3eJCQ=",
	};
	struct mlog_note_verifier key;

	TEST_REQUIRE_SHARED();
	load_vkey(&key, "vectors/checkpoint/sum.golang.org.vkey");
	cr_assert_str_eq(key.name, "sum.golang.org");
	for (size_t i = 0; i < 2; i++) {
		struct mlog_checkpoint c;
		struct mlog_note *note = NULL;
		struct mlog_note_check check;
		uint8_t root[32];
		size_t len;
		char *m = test_read_shared(files[i], &len);

		cr_assert_eq(mlog_checkpoint_open(&c, &note, m, len,
			"go.sum database tree", &key, 1, &check, NULL),
			MLOG_OK, "%s", files[i]);
		cr_assert_str_eq(c.origin, "go.sum database tree");
		cr_assert_eq(c.size, sizes[i]);
		test_b64(root, sizeof(root), roots[i]);
		cr_assert_arr_eq(c.root, root, 32);
		cr_assert_null(c.ext);
		cr_assert_eq(c.ext_len, 0);
		cr_assert(check.verified);
		cr_assert_eq(note->nsigs, 1);
		cr_assert_str_eq(note->sigs[0].name, "sum.golang.org");
		mlog_note_free(note);
		mlog_checkpoint_clear(&c);
		sweep(m, len, &key, "go.sum database tree");
		sweep_all_bits(m, len, &key);
		free(m);
	}
}

Test(checkpoint, sigsum_seed11_resigns_byte_for_byte)
{
	static const char file[] =
		"vectors/checkpoint/sigsum-seed11-size10.checkpoint";
	struct mlog_note_signer s;
	struct mlog_note_verifier v;
	struct mlog_checkpoint c;
	struct mlog_hash *h = mlog_hash_new();
	uint8_t seed[32] = { 0x11 }, keyhash[32];
	char origin[19 + 65], *m, *again = NULL;
	size_t len, again_len = 0;

	TEST_REQUIRE_SHARED();
	m = test_read_shared(file, &len);
	/* Sigsum origin = "sigsum.org/v1/tree/" + hex(SHA-256(pubkey)). */
	cr_assert_eq(mlog_note_signer_from_seed(&s, "x", MLOG_NOTE_TYPE_ED25519,
		seed), MLOG_OK);
	mlog_hash_sha256(h, keyhash, s.pub, 32);
	memcpy(origin, "sigsum.org/v1/tree/", 19);
	mlog_codec_hex_encode(origin + 19, keyhash, 32);
	cr_assert_eq(mlog_note_signer_from_seed(&s, origin,
		MLOG_NOTE_TYPE_ED25519, seed), MLOG_OK);
	mlog_note_signer_verifier(&v, &s);

	cr_assert_eq(mlog_checkpoint_open(&c, NULL, m, len, origin, &v, 1,
		NULL, NULL), MLOG_OK);
	cr_assert_eq(c.size, 10);
	cr_assert_eq(mlog_checkpoint_sign(&again, &again_len, &c, &s, 1, NULL),
		MLOG_OK);
	cr_assert_eq(again_len, len);
	cr_assert_str_eq(again, m);
	sweep(m, len, &v, origin);
	sweep_all_bits(m, len, &v);
	free(again);
	mlog_checkpoint_clear(&c);
	mlog_note_signer_clear(&s);
	mlog_hash_free(h);
	free(m);
}

Test(checkpoint, tessera_all_sixteen)
{
	struct mlog_note_signer s;
	struct mlog_note_verifier v, pub;
	struct memtree t;
	char *skey, *vkey;

	TEST_REQUIRE_SHARED();
	skey = manifest_value("vectors/checkpoint/tessera-testdata/keys.txt",
		"LOG_PRIVATE_KEY");
	vkey = manifest_value("vectors/checkpoint/tessera-testdata/keys.txt",
		"LOG_PUBLIC_KEY");
	cr_assert_eq(mlog_note_signer_parse(&s, skey, strlen(skey), NULL),
		MLOG_OK);
	cr_assert_eq(mlog_note_verifier_parse(&pub, vkey, strlen(vkey), NULL),
		MLOG_OK);
	mlog_note_signer_verifier(&v, &s);
	cr_assert_str_eq(v.name, pub.name);
	cr_assert_eq(v.key_id, pub.key_id);
	cr_assert_eq(v.type, pub.type);
	cr_assert_arr_eq(v.pub, pub.pub, 32);
	memtree_init(&t);

	for (uint64_t size = 0; size <= 15; size++) {
		char rel[80], *m, *again = NULL;
		size_t len, again_len = 0;
		struct mlog_checkpoint c;
		uint8_t root[32];

		if (size > 0)
			memtree_append(&t, tessera_entries[size - 1],
				strlen(tessera_entries[size - 1]));
		snprintf(rel, sizeof(rel),
			"vectors/checkpoint/tessera-testdata/checkpoint.%"
			PRIu64, size);
		m = test_read_shared(rel, &len);
		cr_assert_eq(mlog_checkpoint_open(&c, NULL, m, len,
			"example.com/log/testdata", &pub, 1, NULL, NULL),
			MLOG_OK, "%s", rel);
		cr_assert_eq(c.size, size);
		memtree_root(&t, size, root);
		cr_assert_arr_eq(c.root, root, 32, "%s: root", rel);
		if (size == 0) {
			uint8_t empty[32];

			test_b64(empty, 32, EMPTY_ROOT);
			cr_assert_arr_eq(c.root, empty, 32);
		}
		cr_assert_eq(mlog_checkpoint_sign(&again, &again_len, &c, &s,
			1, NULL), MLOG_OK);
		cr_assert_eq(again_len, len, "%s", rel);
		cr_assert_str_eq(again, m, "%s", rel);
		sweep(m, len, &pub, "example.com/log/testdata");
		if (size == 15)
			sweep_all_bits(m, len, &pub);
		free(again);
		mlog_checkpoint_clear(&c);
		free(m);
	}
	memtree_clear(&t);
	mlog_note_signer_clear(&s);
	free(skey);
	free(vkey);
}

/* ---- parse / format tables ----------------------------------------- */

struct good_text {
	const char *text;
	const char *origin;
	uint64_t size;
	const char *root;
	const char *ext;
};

static const struct good_text good_texts[] = {
	{ "a\n0\n" EMPTY_ROOT "\n", "a", 0, EMPTY_ROOT, NULL },
	{ "example.com/log\n1\n" ROOT_A "\n", "example.com/log", 1, ROOT_A,
		NULL },
	{ "go.sum database tree\n9223372036854775807\n" ROOT_A "\n",
		"go.sum database tree", UINT64_C(9223372036854775807), ROOT_A,
		NULL },
	{ "l\n7\n" ROOT_A "\next\n", "l", 7, ROOT_A, "ext\n" },
	{ "l\n7\n" ROOT_A "\nfirst ext\n— second\n", "l", 7, ROOT_A,
		"first ext\n— second\n" },
	{ "\xc3\xbcnic\xc3\xb8" "de/log\n10\n" ROOT_A "\n",
		"\xc3\xbcnic\xc3\xb8" "de/log", 10, ROOT_A, NULL },
	{ "with+plus and space\n3\n" ROOT_A "\n", "with+plus and space", 3,
		ROOT_A, NULL },
};

Test(checkpoint, parse_valid_table_and_format_round_trip)
{
	for (size_t i = 0; i < sizeof(good_texts) / sizeof(good_texts[0]);
	     i++) {
		const struct good_text *g = &good_texts[i];
		struct mlog_checkpoint c;
		uint8_t root[32];
		char *out = NULL;
		size_t out_len = 0;

		cr_assert_eq(mlog_checkpoint_parse(&c, g->text,
			strlen(g->text), NULL), MLOG_OK, "%s", g->text);
		cr_assert_str_eq(c.origin, g->origin);
		cr_assert_eq(c.size, g->size);
		test_b64(root, 32, g->root);
		cr_assert_arr_eq(c.root, root, 32);
		if (g->ext == NULL) {
			cr_assert_null(c.ext);
			cr_assert_eq(c.ext_len, 0);
		} else {
			cr_assert_str_eq(c.ext, g->ext);
			cr_assert_eq(c.ext_len, strlen(g->ext));
		}
		cr_assert_eq(mlog_checkpoint_format(&out, &out_len, &c, NULL),
			MLOG_OK);
		cr_assert_eq(out_len, strlen(g->text));
		cr_assert_str_eq(out, g->text);
		free(out);
		mlog_checkpoint_clear(&c);
	}
}

struct bad_text {
	const char *text;
	size_t len;      /* 0: strlen */
	int code;
};

#define BAD(t, c) { t, sizeof(t) - 1, c }

static const struct bad_text bad_texts[] = {
	BAD("", MLOG_ERR_MALFORMED),
	BAD("\n", MLOG_ERR_MALFORMED),
	BAD("a\n", MLOG_ERR_MALFORMED),
	BAD("a\n1\n", MLOG_ERR_MALFORMED),
	BAD("a\n1\n" ROOT_A, MLOG_ERR_MALFORMED),
	BAD("\n1\n" ROOT_A "\n", MLOG_ERR_MALFORMED),
	BAD("a\n01\n" ROOT_A "\n", MLOG_ERR_MALFORMED),
	BAD("a\n00\n" ROOT_A "\n", MLOG_ERR_MALFORMED),
	BAD("a\n-1\n" ROOT_A "\n", MLOG_ERR_MALFORMED),
	BAD("a\n+1\n" ROOT_A "\n", MLOG_ERR_MALFORMED),
	BAD("a\n 1\n" ROOT_A "\n", MLOG_ERR_MALFORMED),
	BAD("a\n1 \n" ROOT_A "\n", MLOG_ERR_MALFORMED),
	BAD("a\n1x\n" ROOT_A "\n", MLOG_ERR_MALFORMED),
	BAD("a\n0x10\n" ROOT_A "\n", MLOG_ERR_MALFORMED),
	BAD("a\n9223372036854775808\n" ROOT_A "\n", MLOG_ERR_MALFORMED),
	BAD("a\n18446744073709551616\n" ROOT_A "\n", MLOG_ERR_MALFORMED),
	BAD("a\n\n" ROOT_A "\n", MLOG_ERR_MALFORMED),
	BAD("a\n1\n\n", MLOG_ERR_MALFORMED),
	BAD("a\n1\nKgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		MLOG_ERR_MALFORMED),
	BAD("a\n1\nKgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n",
		MLOG_ERR_MALFORMED),
	BAD("a\n1\nKgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n",
		MLOG_ERR_MALFORMED),
	BAD("a\n1\nKgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		MLOG_ERR_MALFORMED),
	BAD("a\n1\nKgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-=\n",
		MLOG_ERR_MALFORMED),
	BAD("a\n1\n " ROOT_A "\n", MLOG_ERR_MALFORMED),
	BAD("a\n1\n" ROOT_A "\n\n", MLOG_ERR_MALFORMED),
	BAD("a\n1\n" ROOT_A "\next\n\n", MLOG_ERR_MALFORMED),
	BAD("a\n1\n" ROOT_A "\n\next\n", MLOG_ERR_MALFORMED),
	BAD("a\n1\n" ROOT_A "\next", MLOG_ERR_MALFORMED),
	BAD("a\r\n1\n" ROOT_A "\n", MLOG_ERR_MALFORMED),
	BAD("a\n1\r\n" ROOT_A "\n", MLOG_ERR_MALFORMED),
	BAD("a\tb\n1\n" ROOT_A "\n", MLOG_ERR_MALFORMED),
	BAD("a\0b\n1\n" ROOT_A "\n", MLOG_ERR_MALFORMED),
	BAD("\xff\n1\n" ROOT_A "\n", MLOG_ERR_MALFORMED),
	BAD("\xc0\xaf\n1\n" ROOT_A "\n", MLOG_ERR_MALFORMED),
	BAD("a\n1\n" ROOT_A "\n\xed\xa0\x80\n", MLOG_ERR_MALFORMED),
};

Test(checkpoint, parse_invalid_table)
{
	for (size_t i = 0; i < sizeof(bad_texts) / sizeof(bad_texts[0]);
	     i++) {
		struct mlog_checkpoint c;
		struct mlog_error err = {0};

		memset(&c, 0x5a, sizeof(c));
		cr_assert_eq(mlog_checkpoint_parse(&c, bad_texts[i].text,
			bad_texts[i].len, &err), bad_texts[i].code,
			"case %zu accepted or wrong code", i);
		cr_assert_eq(err.code, bad_texts[i].code);
		cr_assert_neq(err.msg[0], '\0');
		cr_assert_eq(c.size, UINT64_C(0x5a5a5a5a5a5a5a5a),
			"case %zu: output touched", i);
	}
}

Test(checkpoint, parse_size_cap_checked_first)
{
	size_t n = MLOG_CHECKPOINT_MAX_BYTES + 1;
	char *big = malloc(n);
	struct mlog_checkpoint c;

	cr_assert_not_null(big);
	/* Not even valid text: the cap must be what rejects it. */
	memset(big, 0, n);
	cr_assert_eq(mlog_checkpoint_parse(&c, big, n, NULL), MLOG_ERR_TOOBIG);
	/* Exactly at the cap, a long extension line is fine. */
	memset(big, 'e', n);
	memcpy(big, "a\n1\n" ROOT_A "\n", 4 + 45);
	big[n - 2] = '\n';
	cr_assert_eq(mlog_checkpoint_parse(&c, big, n - 1, NULL), MLOG_OK);
	cr_assert_eq(c.ext_len, n - 1 - 49);
	mlog_checkpoint_clear(&c);
	free(big);
}

Test(checkpoint, format_rejects_what_parse_would)
{
	struct mlog_checkpoint c;
	char *out = (char *)"untouched";
	size_t out_len = 12345;
	const struct {
		const char *origin;
		const char *ext;
		uint64_t size;
	} bad[] = {
		{ NULL, NULL, 1 },
		{ "", NULL, 1 },
		{ "a\nb", NULL, 1 },
		{ "a\rb", NULL, 1 },
		{ "\xff", NULL, 1 },
		{ "a", NULL, MLOG_CODEC_DECIMAL_MAX + 1 },
		{ "a", "x", 1 },
		{ "a", "\n", 1 },
		{ "a", "x\n\ny\n", 1 },
		{ "a", "x\ty\n", 1 },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mlog_checkpoint_init(&c);
		c.origin = (char *)bad[i].origin;
		c.ext = (char *)bad[i].ext;
		c.ext_len = bad[i].ext ? strlen(bad[i].ext) : 0;
		c.size = bad[i].size;
		cr_assert_eq(mlog_checkpoint_format(&out, &out_len, &c, NULL),
			MLOG_ERR_MALFORMED, "case %zu", i);
		cr_assert_str_eq(out, "untouched");
		cr_assert_eq(out_len, 12345);
	}
}

/* ---- signing, self-contained ---------------------------------------- */

Test(checkpoint, sign_open_round_trip_over_a_tree)
{
	struct mlog_note_signer s, s2;
	struct mlog_note_verifier v[2];
	struct memtree t;

	seed_signer(&s, "example.com/log", MLOG_NOTE_TYPE_ED25519, 1);
	seed_signer(&s2, "example.com/log-backup", MLOG_NOTE_TYPE_ED25519, 2);
	mlog_note_signer_verifier(&v[0], &s);
	mlog_note_signer_verifier(&v[1], &s2);
	memtree_init(&t);
	for (uint64_t size = 0; size <= 40; size++) {
		struct mlog_note_signer both[2] = { s, s2 };
		struct mlog_checkpoint c = {0}, got;
		struct mlog_note_check checks[2];
		char entry[16], *m = NULL;
		size_t len = 0;

		if (size > 0) {
			snprintf(entry, sizeof(entry), "entry %" PRIu64,
				size - 1);
			memtree_append(&t, entry, strlen(entry));
		}
		c.origin = (char *)"example.com/log";
		c.size = size;
		memtree_root(&t, size, c.root);
		cr_assert_eq(mlog_checkpoint_sign(&m, &len, &c, both, 2, NULL),
			MLOG_OK);
		/* Either key alone opens it; both report verified. */
		for (size_t k = 0; k < 2; k++) {
			cr_assert_eq(mlog_checkpoint_open(&got, NULL, m, len,
				"example.com/log", &v[k], 1, NULL, NULL),
				MLOG_OK);
			cr_assert_eq(got.size, size);
			cr_assert_arr_eq(got.root, c.root, 32);
			mlog_checkpoint_clear(&got);
		}
		cr_assert_eq(mlog_checkpoint_open(&got, NULL, m, len, NULL, v,
			2, checks, NULL), MLOG_OK);
		cr_assert(checks[0].verified && checks[1].verified);
		mlog_checkpoint_clear(&got);
		if (size == 5)
			sweep(m, len, &v[0], "example.com/log");
		free(m);
		mlog_note_signer_clear(&both[0]);
		mlog_note_signer_clear(&both[1]);
	}
	memtree_clear(&t);
	mlog_note_signer_clear(&s);
	mlog_note_signer_clear(&s2);
}

Test(checkpoint, sign_keeps_extension_lines)
{
	struct mlog_note_signer s;
	struct mlog_note_verifier v;
	struct mlog_checkpoint c = {0}, got;
	char *m = NULL;
	size_t len = 0;

	seed_signer(&s, "l", MLOG_NOTE_TYPE_ED25519, 3);
	mlog_note_signer_verifier(&v, &s);
	c.origin = (char *)"l";
	c.size = 2;
	c.ext = (char *)"a\nb c\n";
	c.ext_len = 6;
	cr_assert_eq(mlog_checkpoint_sign(&m, &len, &c, &s, 1, NULL), MLOG_OK);
	cr_assert_eq(strncmp(m, "l\n2\n", 4), 0);
	cr_assert_eq(mlog_checkpoint_open(&got, NULL, m, len, "l", &v, 1, NULL,
		NULL), MLOG_OK);
	cr_assert_str_eq(got.ext, "a\nb c\n");
	mlog_checkpoint_clear(&got);
	free(m);
	mlog_note_signer_clear(&s);
}

Test(checkpoint, sign_rejects_bad_input)
{
	struct mlog_note_signer s, w;
	struct mlog_checkpoint c = {0};
	char *m = (char *)"untouched";
	size_t len = 7;

	seed_signer(&s, "l", MLOG_NOTE_TYPE_ED25519, 4);
	seed_signer(&w, "w", MLOG_NOTE_TYPE_COSIG_V1, 5);
	c.origin = (char *)"l";
	cr_assert_eq(mlog_checkpoint_sign(&m, &len, &c, &s, 0, NULL),
		MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_checkpoint_sign(&m, &len, &c, &w, 1, NULL),
		MLOG_ERR_MALFORMED);
	c.origin = (char *)"";
	cr_assert_eq(mlog_checkpoint_sign(&m, &len, &c, &s, 1, NULL),
		MLOG_ERR_MALFORMED);
	cr_assert_str_eq(m, "untouched");
	cr_assert_eq(len, 7);
	mlog_note_signer_clear(&s);
	mlog_note_signer_clear(&w);
}

Test(checkpoint, signed_empty_tree_needs_the_empty_root)
{
	struct mlog_note_signer s;
	struct mlog_note_verifier v;
	struct mlog_checkpoint c = {0}, got;
	char *m = NULL;
	size_t len = 0;

	seed_signer(&s, "l", MLOG_NOTE_TYPE_ED25519, 6);
	mlog_note_signer_verifier(&v, &s);
	c.origin = (char *)"l";
	c.size = 0;
	mlog_hash_empty(c.root);
	cr_assert_eq(mlog_checkpoint_sign(&m, &len, &c, &s, 1, NULL), MLOG_OK);
	cr_assert_eq(mlog_checkpoint_open(&got, NULL, m, len, "l", &v, 1, NULL,
		NULL), MLOG_OK);
	mlog_checkpoint_clear(&got);
	free(m);
	/* A log that signs size 0 with another root signed a falsehood:
	 * the text parses, opening it fails verification. */
	c.root[0] ^= 1;
	cr_assert_eq(mlog_checkpoint_sign(&m, &len, &c, &s, 1, NULL), MLOG_OK);
	cr_assert_eq(mlog_checkpoint_parse(&got, m, strstr(m, "\n\n") - m + 1,
		NULL), MLOG_OK);
	mlog_checkpoint_clear(&got);
	expect_open(m, len, "l", &v, 1, MLOG_ERR_VERIFY,
		"size 0, wrong root");
	free(m);
	mlog_note_signer_clear(&s);
}

Test(checkpoint, open_ignores_unknown_signatures)
{
	struct mlog_note_signer s, o;
	struct mlog_note_verifier v;
	struct mlog_checkpoint c = {0}, got;
	struct mlog_note_signer both[2];
	char *m = NULL;
	size_t len = 0;

	seed_signer(&s, "l", MLOG_NOTE_TYPE_ED25519, 7);
	seed_signer(&o, "other.example/log", MLOG_NOTE_TYPE_ED25519, 8);
	mlog_note_signer_verifier(&v, &s);
	c.origin = (char *)"l";
	c.size = 1;
	both[0] = o;
	both[1] = s;
	cr_assert_eq(mlog_checkpoint_sign(&m, &len, &c, both, 2, NULL),
		MLOG_OK);
	cr_assert_eq(mlog_checkpoint_open(&got, NULL, m, len, "l", &v, 1, NULL,
		NULL), MLOG_OK);
	mlog_checkpoint_clear(&got);
	free(m);
	mlog_note_signer_clear(&both[0]);
	mlog_note_signer_clear(&both[1]);
	mlog_note_signer_clear(&s);
	mlog_note_signer_clear(&o);
}
