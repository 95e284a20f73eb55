/*
 * test_note.c — C2SP signed-note (merkle/note.c): known answers from
 * ../shared/vectors/{note,checkpoint,witness}, a corruption sweep over
 * every good note, tables of invalid notes, names and keys, and
 * self-contained round trips.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/logging.h>

#include "codec.h"
#include "note.h"
#include "support.h"

#define DASH "\xe2\x80\x94 "
/* Vector directories under ../shared. */
#define VN "vectors/note/"
#define VC "vectors/checkpoint/"
#define VT "vectors/checkpoint/tessera-testdata/"
#define VM "vectors/witness/omniwitness-monkeys/"

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	"abcdefghijklmnopqrstuvwxyz0123456789+/";

static void init(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(note, .init = init);

/* ---- helpers ------------------------------------------------------------ */

/* Value of "key=value" in a vector file (MANIFEST.txt, keys.txt); the
 * caller frees. */
static char *kv_get(const char *file, const char *key)
{
	char *text = test_read_shared(file, NULL);
	size_t klen = strlen(key);
	char *line = text, *val = NULL;

	while (line != NULL && *line != '\0') {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (len > klen && strncmp(line, key, klen) == 0 &&
		    line[klen] == '=') {
			val = strndup(line + klen + 1, len - klen - 1);
			break;
		}
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	cr_assert_not_null(val, "%s: no %s", file, key);
	return val;
}

/* Field-wise comparisons: struct copies need not copy padding. */
static int verifier_eq(const struct mlog_note_verifier *a,
	const struct mlog_note_verifier *b)
{
	return strcmp(a->name, b->name) == 0 && a->key_id == b->key_id &&
	       a->type == b->type && memcmp(a->pub, b->pub, 32) == 0;
}

static int signer_eq(const struct mlog_note_signer *a,
	const struct mlog_note_signer *b)
{
	return strcmp(a->name, b->name) == 0 && a->key_id == b->key_id &&
	       a->type == b->type && memcmp(a->pub, b->pub, 32) == 0 &&
	       memcmp(a->sk, b->sk, 64) == 0;
}

static void vkey_from_string(struct mlog_note_verifier *v, const char *s)
{
	struct mlog_error e = { 0 };

	cr_assert_eq(mlog_note_verifier_parse(v, s, strlen(s), &e), MLOG_OK,
		"vkey %s: %s", s, e.msg);
}

static void vkey_from_file(struct mlog_note_verifier *v, const char *rel)
{
	char *s = test_chomp(test_read_shared(rel, NULL));

	vkey_from_string(v, s);
	free(s);
}

static void skey_from_string(struct mlog_note_signer *s, const char *str)
{
	struct mlog_error e = { 0 };

	cr_assert_eq(mlog_note_signer_parse(s, str, strlen(str), &e), MLOG_OK,
		"skey: %s", e.msg);
}

static struct mlog_note *parse_ok(const char *msg, size_t len)
{
	struct mlog_note *n = NULL;
	struct mlog_error e = { 0 };

	cr_assert_eq(mlog_note_parse(&n, msg, len, &e), MLOG_OK,
		"parse: %s", e.msg);
	cr_assert_not_null(n);
	return n;
}

/* Parses msg and checks the code; on failure *out must be untouched. */
static void expect_parse(const char *msg, size_t len, int want,
	const char *what)
{
	struct mlog_note *sentinel = (struct mlog_note *)&want;
	struct mlog_note *n = sentinel;
	struct mlog_error e = { 0 };
	int rc = mlog_note_parse(&n, msg, len, &e);

	cr_assert_eq(rc, want, "%s: got %d (%s), want %d", what, rc, e.msg,
		want);
	if (rc != MLOG_OK) {
		cr_assert_eq(n, sentinel, "%s: *out touched on failure", what);
		cr_assert_eq(e.code, rc, "%s: no error recorded", what);
		cr_assert_neq(e.msg[0], '\0', "%s: empty message", what);
	} else {
		mlog_note_free(n);
	}
}

static int verify1(const struct mlog_note *n,
	const struct mlog_note_verifier *v)
{
	return mlog_note_verify(n, v, 1, NULL, NULL);
}

/* Parses msg and verifies it with v; returns the first failing code. */
static int parse_verify(const char *msg, size_t len,
	const struct mlog_note_verifier *v)
{
	struct mlog_note *n = NULL;
	int rc = mlog_note_parse(&n, msg, len, NULL);

	if (rc != MLOG_OK)
		return rc;
	rc = verify1(n, v);
	mlog_note_free(n);
	return rc;
}

static void expect_format_identity(const char *msg, size_t len)
{
	struct mlog_note *n = parse_ok(msg, len);
	char *out = NULL;
	size_t out_len = 0;

	cr_assert_eq(mlog_note_format(&out, &out_len, n), MLOG_OK);
	cr_assert_eq(out_len, len);
	cr_assert_arr_eq(out, msg, len, "format(parse(x)) != x");
	cr_assert_eq(out[out_len], '\0');
	free(out);
	mlog_note_free(n);
}

/* ---- good vectors ------------------------------------------------------- */

/* A signed note from ../shared and one key that signed it. */
struct good {
	char name[96];
	char *msg;
	size_t len;
	struct mlog_note_verifier key;
};

#define MAX_GOOD 32

static void add_good(struct good *g, size_t *n, const char *rel,
	const struct mlog_note_verifier *key)
{
	cr_assert_lt(*n, MAX_GOOD);
	snprintf(g[*n].name, sizeof(g[*n].name), "%s", rel);
	g[*n].msg = test_read_shared(rel, &g[*n].len);
	g[*n].key = *key;
	(*n)++;
}

/* The Sigsum test log's key: Ed25519 seed 0x11 || 31 zero bytes, named
 * after its origin (sigsum.org/v1/tree/ + hex SHA-256 of the key). */
static void sigsum_seed11(struct mlog_note_signer *s)
{
	uint8_t seed[32] = { 0x11 }, h[32];
	char name[19 + 64 + 1] = "sigsum.org/v1/tree/";
	struct mlog_note_signer tmp;

	cr_assert_eq(mlog_note_signer_from_seed(&tmp, "x",
		MLOG_NOTE_TYPE_ED25519, seed), MLOG_OK);
	crypto_hash_sha256(h, tmp.pub, 32);
	mlog_codec_hex_encode(name + 19, h, 32);
	cr_assert_eq(mlog_note_signer_from_seed(s, name,
		MLOG_NOTE_TYPE_ED25519, seed), MLOG_OK);
	mlog_note_signer_clear(&tmp);
}

static size_t load_goods(struct good *g)
{
	struct mlog_note_verifier v;
	struct mlog_note_signer s;
	size_t n = 0;
	char *str;

	vkey_from_file(&v, VN "peterneumann.vkey");
	add_good(g, &n, VN "peterneumann.note", &v);
	add_good(g, &n, VN "peterneumann-enochroot.note", &v);
	vkey_from_file(&v, VN "enochroot.vkey");
	add_good(g, &n, VN "peterneumann-enochroot.note", &v);
	vkey_from_file(&v, VN "c2sp-example-foo.vkey");
	add_good(g, &n, VN "c2sp-example-foo.note", &v);
	vkey_from_file(&v, VC "sum.golang.org.vkey");
	add_good(g, &n, VC "sum.golang.org-30055305.checkpoint", &v);
	add_good(g, &n, VC "sum.golang.org-35225469.checkpoint", &v);
	sigsum_seed11(&s);
	mlog_note_signer_verifier(&v, &s);
	mlog_note_signer_clear(&s);
	add_good(g, &n, VC "sigsum-seed11-size10.checkpoint", &v);
	str = kv_get(VT "keys.txt", "LOG_PUBLIC_KEY");
	vkey_from_string(&v, str);
	free(str);
	for (int i = 0; i <= 15; i++) {
		char rel[64];

		snprintf(rel, sizeof(rel),
			VT "checkpoint.%d", i);
		add_good(g, &n, rel, &v);
	}
	str = kv_get(VM "MANIFEST.txt", "log_vkey");
	vkey_from_string(&v, str);
	free(str);
	add_good(g, &n, VM "monkeys-5.checkpoint", &v);
	add_good(g, &n, VM "monkeys-8.checkpoint", &v);
	return n;
}

static void free_goods(struct good *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(g[i].msg);
}

/* ---- known answers ------------------------------------------------------ */

Test(note, peterneumann_sign_reproduces_signature_line)
{
	struct mlog_note_signer s;
	struct mlog_note_verifier v, want;
	char *skey, *vkey, *text, *note, *out = NULL;
	char line[512], fmt[MLOG_NOTE_SKEY_MAX + 1];
	size_t text_len, note_len, out_len = 0;
	int n;

	TEST_REQUIRE_SHARED();
	skey = test_chomp(test_read_shared(VN "peterneumann.skey", NULL));
	vkey = test_chomp(test_read_shared(VN "peterneumann.vkey", NULL));
	text = test_read_shared(VN "peterneumann.text", &text_len);
	note = test_read_shared(VN "peterneumann.note", &note_len);

	skey_from_string(&s, skey);
	cr_assert_eq(s.key_id, 0xc74f20a3);
	cr_assert_eq(s.type, MLOG_NOTE_TYPE_ED25519);
	cr_assert_str_eq(s.name, "PeterNeumann");
	vkey_from_string(&want, vkey);
	mlog_note_signer_verifier(&v, &s);
	cr_assert(verifier_eq(&v, &want));

	/* The one signature line, byte for byte. */
	n = mlog_note_sign_line(line, sizeof(line), text, text_len, &s, 0);
	cr_assert_eq(n, (int)(note_len - text_len - 1));
	cr_assert_str_eq(line, note + text_len + 1);
	/* And the whole note. */
	cr_assert_eq(mlog_note_sign(&out, &out_len, text, text_len, &s, 1, 0,
		NULL), MLOG_OK);
	cr_assert_eq(out_len, note_len);
	cr_assert_str_eq(out, note);

	/* Keys format back to the exact strings. */
	cr_assert_eq(mlog_note_signer_format(fmt, sizeof(fmt), &s),
		(int)strlen(skey));
	cr_assert_str_eq(fmt, skey);
	cr_assert_eq(mlog_note_verifier_format(fmt, sizeof(fmt), &v),
		(int)strlen(vkey));
	cr_assert_str_eq(fmt, vkey);

	mlog_note_signer_clear(&s);
	for (size_t i = 0; i < sizeof(s); i++)
		cr_assert_eq(((uint8_t *)&s)[i], 0);
	sodium_memzero(fmt, sizeof(fmt));
	free(out);
	free(skey);
	free(vkey);
	free(text);
	free(note);
}

Test(note, peterneumann_parses_and_verifies)
{
	struct mlog_note_verifier v;
	struct mlog_note_check chk = { 7, 7 };
	struct mlog_note *n;
	char *msg, *text;
	size_t len, text_len;

	TEST_REQUIRE_SHARED();
	msg = test_read_shared(VN "peterneumann.note", &len);
	text = test_read_shared(VN "peterneumann.text", &text_len);
	vkey_from_file(&v, VN "peterneumann.vkey");
	n = parse_ok(msg, len);
	cr_assert_eq(n->text_len, text_len);
	cr_assert_str_eq(n->text, text);
	cr_assert_eq(n->nsigs, 1);
	cr_assert_str_eq(n->sigs[0].name, "PeterNeumann");
	cr_assert_eq(n->sigs[0].key_id, 0xc74f20a3);
	cr_assert_eq(n->sigs[0].sig_len, 64);
	cr_assert_eq(n->sigs[0].lenient, 0);
	cr_assert_eq(mlog_note_verify(n, &v, 1, &chk, NULL), MLOG_OK);
	cr_assert_eq(chk.verified, 1);
	cr_assert_eq(chk.timestamp, 0);
	mlog_note_free(n);
	expect_format_identity(msg, len);
	free(msg);
	free(text);
}

Test(note, two_signature_note)
{
	struct mlog_note_verifier keys[3];
	struct mlog_note_check chk[3];
	struct mlog_note *n;
	char *msg;
	size_t len;

	TEST_REQUIRE_SHARED();
	msg = test_read_shared(VN "peterneumann-enochroot.note", &len);
	vkey_from_file(&keys[0], VN "peterneumann.vkey");
	vkey_from_file(&keys[1], VN "enochroot.vkey");
	vkey_from_file(&keys[2], VN "sum.golang.org.vkey");
	cr_assert_eq(keys[1].key_id, 0xaf0cfe78);
	n = parse_ok(msg, len);
	cr_assert_eq(n->nsigs, 2);
	cr_assert_str_eq(n->sigs[1].name, "EnochRoot");
	cr_assert_eq(n->sigs[1].key_id, 0xaf0cfe78);
	/* Each key alone, both, and all three (one unknown to the note). */
	cr_assert_eq(verify1(n, &keys[0]), MLOG_OK);
	cr_assert_eq(verify1(n, &keys[1]), MLOG_OK);
	cr_assert_eq(mlog_note_verify(n, keys, 3, chk, NULL), MLOG_OK);
	cr_assert_eq(chk[0].verified, 1);
	cr_assert_eq(chk[1].verified, 1);
	cr_assert_eq(chk[2].verified, 0);
	/* Neither signer known. */
	cr_assert_eq(verify1(n, &keys[2]), MLOG_ERR_UNTRUSTED);
	cr_assert_eq(mlog_note_verify(n, keys, 0, NULL, NULL),
		MLOG_ERR_UNTRUSTED);
	mlog_note_free(n);
	expect_format_identity(msg, len);
	free(msg);
}

Test(note, c2sp_example_verifies)
{
	struct mlog_note_verifier v;
	struct mlog_note *n;
	char *msg;
	size_t len;

	TEST_REQUIRE_SHARED();
	msg = test_read_shared(VN "c2sp-example-foo.note", &len);
	vkey_from_file(&v, VN "c2sp-example-foo.vkey");
	cr_assert_str_eq(v.name, "example.com/foo");
	cr_assert_eq(v.key_id, 0x530d903a);
	n = parse_ok(msg, len);
	cr_assert_str_eq(n->text, "This is an example message.\n");
	cr_assert_eq(verify1(n, &v), MLOG_OK);
	mlog_note_free(n);
	free(msg);
}

Test(note, bad_vkeys_are_rejected)
{
	char *text, *line, *save = NULL;
	size_t count = 0;

	TEST_REQUIRE_SHARED();
	text = test_read_shared(VN "bad-vkeys.txt", NULL);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		struct mlog_note_verifier v, orig;
		struct mlog_error e = { 0 };

		if (line[0] == '#' || line[0] == '\0')
			continue;
		memset(&v, 0xa5, sizeof(v));
		orig = v;
		cr_assert_eq(mlog_note_verifier_parse(&v, line, strlen(line),
			&e), MLOG_ERR_MALFORMED, "accepted %s", line);
		cr_assert_neq(e.msg[0], '\0');
		cr_assert_eq(memcmp(&v, &orig, sizeof(v)), 0,
			"output touched for %s", line);
		count++;
	}
	cr_assert_eq(count, 5);
	free(text);
}

/* Every published key string parses and formats back to itself, and each
 * skey's verifier is its vkey. */
Test(note, vector_keys_round_trip)
{
	static const char *vkey_files[] = {
		VN "peterneumann.vkey", VN "enochroot.vkey",
		VN "c2sp-example-foo.vkey", VN "sum.golang.org.vkey",
		VC "sum.golang.org.vkey",
	};
	static const struct { const char *file, *skey, *vkey; } pairs[] = {
		{ VT "keys.txt", "LOG_PRIVATE_KEY",
		  "LOG_PUBLIC_KEY" },
		{ VM "MANIFEST.txt", "log_skey",
		  "log_vkey" },
		{ VM "MANIFEST.txt",
		  "other_log_skey", "other_log_vkey" },
		{ VM "MANIFEST.txt", "witness_skey",
		  "witness_vkey" },
	};
	char buf[MLOG_NOTE_SKEY_MAX + 1];

	TEST_REQUIRE_SHARED();
	for (size_t i = 0; i < sizeof(vkey_files) / sizeof(*vkey_files);
	     i++) {
		char *s = test_chomp(test_read_shared(vkey_files[i], NULL));
		struct mlog_note_verifier v;

		vkey_from_string(&v, s);
		cr_assert_eq(mlog_note_verifier_format(buf, sizeof(buf), &v),
			(int)strlen(s));
		cr_assert_str_eq(buf, s);
		free(s);
	}
	for (size_t i = 0; i < sizeof(pairs) / sizeof(*pairs); i++) {
		char *sk = kv_get(pairs[i].file, pairs[i].skey);
		char *vk = kv_get(pairs[i].file, pairs[i].vkey);
		struct mlog_note_signer s;
		struct mlog_note_verifier v, w;

		skey_from_string(&s, sk);
		vkey_from_string(&w, vk);
		mlog_note_signer_verifier(&v, &s);
		cr_assert(verifier_eq(&v, &w), "%s", vk);
		cr_assert_eq(mlog_note_signer_format(buf, sizeof(buf), &s),
			(int)strlen(sk));
		cr_assert_str_eq(buf, sk);
		mlog_note_signer_clear(&s);
		sodium_memzero(buf, sizeof(buf));
		sodium_memzero(sk, strlen(sk));
		free(sk);
		free(vk);
	}
}

/* Every checkpoint vector verifies with its key; the Go sumdb ones have
 * origin "go.sum database tree" and key name "sum.golang.org". */
Test(note, checkpoint_vectors_verify)
{
	struct good g[MAX_GOOD];
	size_t n;

	TEST_REQUIRE_SHARED();
	n = load_goods(g);
	cr_assert_eq(n, 25);
	for (size_t i = 0; i < n; i++) {
		struct mlog_note *note = parse_ok(g[i].msg, g[i].len);
		struct mlog_note_check chk = { 0, 99 };

		cr_assert_eq(mlog_note_verify(note, &g[i].key, 1, &chk, NULL),
			MLOG_OK, "%s", g[i].name);
		cr_assert_eq(chk.verified, 1);
		cr_assert_eq(chk.timestamp, 0);
		mlog_note_free(note);
		expect_format_identity(g[i].msg, g[i].len);
	}
	{
		struct mlog_note *note = parse_ok(g[4].msg, g[4].len);

		cr_assert_eq(strncmp(note->text, "go.sum database tree\n", 21),
			0);
		cr_assert_str_eq(note->sigs[0].name, "sum.golang.org");
		cr_assert_eq(note->sigs[0].key_id, 0x033de0ae);
		mlog_note_free(note);
	}
	free_goods(g, n);
}

/* Ed25519 is deterministic: re-signing each checkpoint text with the
 * published private key gives the published line byte for byte. */
Test(note, checkpoint_resign_reproduces)
{
	static const struct { const char *note, *file, *key; } v[] = {
		{ VT "checkpoint.0",
		  VT "keys.txt", "LOG_PRIVATE_KEY" },
		{ VT "checkpoint.15",
		  VT "keys.txt", "LOG_PRIVATE_KEY" },
		{ VM "monkeys-5.checkpoint",
		  VM "MANIFEST.txt", "log_skey" },
		{ VM "monkeys-8.checkpoint",
		  VM "MANIFEST.txt", "log_skey" },
		{ VC "sigsum-seed11-size10.checkpoint", NULL, NULL },
	};

	TEST_REQUIRE_SHARED();
	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++) {
		struct mlog_note_signer s;
		struct mlog_note *note;
		char *msg, *out = NULL;
		size_t len, out_len = 0;

		if (v[i].file != NULL) {
			char *sk = kv_get(v[i].file, v[i].key);

			skey_from_string(&s, sk);
			free(sk);
		} else {
			sigsum_seed11(&s);
		}
		msg = test_read_shared(v[i].note, &len);
		note = parse_ok(msg, len);
		cr_assert_eq(mlog_note_sign(&out, &out_len, note->text,
			note->text_len, &s, 1, 0, NULL), MLOG_OK);
		cr_assert_eq(out_len, len, "%s", v[i].note);
		cr_assert_str_eq(out, msg, "%s", v[i].note);
		free(out);
		mlog_note_free(note);
		free(msg);
		mlog_note_signer_clear(&s);
	}
}

/* A known key must not verify a checkpoint it did not sign, and a key
 * matching only by name or only by ID is ignored (rule 5). */
Test(note, wrong_keys_are_untrusted)
{
	struct mlog_note_verifier other, by_name, by_id;
	struct mlog_note *n5;
	char *msg, *s;
	size_t len;

	TEST_REQUIRE_SHARED();
	s = kv_get(VM "MANIFEST.txt",
		"other_log_vkey");
	vkey_from_string(&other, s);
	free(s);
	msg = test_read_shared(VM "monkeys-5.checkpoint",
		&len);
	n5 = parse_ok(msg, len);
	cr_assert_eq(verify1(n5, &other), MLOG_ERR_UNTRUSTED);
	/* Same name as the signature, other key ID. */
	by_name = other;
	snprintf(by_name.name, sizeof(by_name.name), "monkeys");
	cr_assert_eq(verify1(n5, &by_name), MLOG_ERR_UNTRUSTED);
	/* Same key ID, other name. */
	by_id = other;
	by_id.key_id = n5->sigs[0].key_id;
	cr_assert_eq(verify1(n5, &by_id), MLOG_ERR_UNTRUSTED);
	/* Same name and ID, wrong public key: matched, so it must verify,
	 * and fails (rule 6). */
	by_name.key_id = n5->sigs[0].key_id;
	cr_assert_eq(verify1(n5, &by_name), MLOG_ERR_VERIFY);
	mlog_note_free(n5);
	free(msg);
}

/* ---- corruption sweep --------------------------------------------------- */

/* Index of the signature by key v in n (exactly one must exist). */
static size_t sig_index(const struct mlog_note *n,
	const struct mlog_note_verifier *v)
{
	size_t found = n->nsigs;

	for (size_t i = 0; i < n->nsigs; i++) {
		if (n->sigs[i].key_id == v->key_id &&
		    strcmp(n->sigs[i].name, v->name) == 0) {
			cr_assert_eq(found, n->nsigs, "two lines by %s",
				v->name);
			found = i;
		}
	}
	cr_assert_lt(found, n->nsigs, "no line by %s", v->name);
	return found;
}

/* Struct-level probes: every bit of the signature, every byte of the text,
 * every bit of the key ID, name, length. */
static size_t sweep_struct(const struct good *g)
{
	struct mlog_note *n = parse_ok(g->msg, g->len);
	size_t k = sig_index(n, &g->key), probes = 0;
	struct mlog_note_sig *s = &n->sigs[k];
	struct mlog_note_check chk = { 5, 5 };
	char *name;
	uint8_t *longer;

	for (size_t i = 0; i < s->sig_len; i++) {
		for (int b = 0; b < 8; b++) {
			s->sig[i] ^= (uint8_t)(1u << b);
			cr_assert_eq(mlog_note_verify(n, &g->key, 1, &chk,
				NULL), MLOG_ERR_VERIFY, "%s: sig byte %zu "
				"bit %d", g->name, i, b);
			s->sig[i] ^= (uint8_t)(1u << b);
			probes++;
		}
	}
	/* Failure leaves checks untouched. */
	cr_assert_eq(chk.verified, 5);
	cr_assert_eq(chk.timestamp, 5);
	for (size_t i = 0; i < n->text_len; i++) {
		n->text[i] ^= 0x01;
		cr_assert_eq(verify1(n, &g->key), MLOG_ERR_VERIFY,
			"%s: text byte %zu", g->name, i);
		n->text[i] ^= 0x01;
		probes++;
	}
	/* Text one byte shorter or longer. */
	n->text_len--;
	cr_assert_eq(verify1(n, &g->key), MLOG_ERR_VERIFY);
	n->text_len++;
	for (int b = 0; b < 32; b++) {
		s->key_id ^= UINT32_C(1) << b;
		cr_assert_eq(verify1(n, &g->key), MLOG_ERR_UNTRUSTED,
			"%s: key ID bit %d", g->name, b);
		s->key_id ^= UINT32_C(1) << b;
		probes++;
	}
	name = s->name;
	s->name = "PeterNeumannX";
	cr_assert_eq(verify1(n, &g->key), MLOG_ERR_UNTRUSTED);
	s->name = "";
	cr_assert_eq(verify1(n, &g->key), MLOG_ERR_UNTRUSTED);
	s->name = name;
	s->name[0] ^= 0x20;
	cr_assert_eq(verify1(n, &g->key), MLOG_ERR_UNTRUSTED);
	s->name[0] ^= 0x20;
	/* Truncated and extended signatures. */
	s->sig_len--;
	cr_assert_eq(verify1(n, &g->key), MLOG_ERR_VERIFY);
	s->sig_len = 0;
	cr_assert_eq(verify1(n, &g->key), MLOG_ERR_VERIFY);
	s->sig_len = 64;
	longer = calloc(1, 65);
	memcpy(longer, s->sig, 64);
	{
		uint8_t *orig = s->sig;

		s->sig = longer;
		s->sig_len = 65;
		cr_assert_eq(verify1(n, &g->key), MLOG_ERR_VERIFY);
		s->sig = orig;
		s->sig_len = 64;
	}
	free(longer);
	/* Lenient flag alone turns a good signature bad (rule 4). */
	s->lenient = 1;
	cr_assert_eq(verify1(n, &g->key), MLOG_ERR_VERIFY);
	s->lenient = 0;
	cr_assert_eq(verify1(n, &g->key), MLOG_OK);
	mlog_note_free(n);
	return probes + 9;
}

/* Locates the base64 of the line signed by v in msg. */
static void find_b64(const struct good *g, size_t *off, size_t *len)
{
	char head[MLOG_NOTE_NAME_MAX + 8];
	const char *p;
	int hl = snprintf(head, sizeof(head), "\n" DASH "%s ", g->key.name);

	p = strstr(g->msg, head);
	cr_assert_not_null(p, "%s: no line by %s", g->name, g->key.name);
	/* The first hit may be in the text only if the text held a line
	 * that looks like a signature, which no vector does. */
	*off = (size_t)(p - g->msg) + (size_t)hl;
	*len = (size_t)(strchr(g->msg + *off, '\n') - (g->msg + *off));
}

/* Wire-level probes: flip the lowest and the highest bit of every base64
 * digit of the matching line. A bit of the first 32 decoded bits is the
 * key ID (UNTRUSTED); any other is signature or pad bits (VERIFY, the
 * latter via rule 4). */
static size_t sweep_wire(const struct good *g)
{
	const char *a = b64_alphabet;
	char *m = malloc(g->len + 64);
	size_t off, b64_len, probes = 0;
	int single;

	find_b64(g, &off, &b64_len);
	for (size_t i = 0; i < b64_len; i++) {
		const char *c;

		memcpy(m, g->msg, g->len);
		if (m[off + i] == '=')
			continue;
		c = strchr(a, m[off + i]);
		cr_assert_not_null(c);
		for (int mask = 1; mask <= 32; mask <<= 5) {
			size_t bit = i * 6 + (mask == 32 ? 0 : 5);
			int want = bit < 32 ? MLOG_ERR_UNTRUSTED :
				MLOG_ERR_VERIFY;

			m[off + i] = a[(c - a) ^ mask];
			cr_assert_eq(parse_verify(m, g->len, &g->key), want,
				"%s: base64 digit %zu mask %d", g->name, i,
				mask);
			probes++;
		}
	}

	/* Every proper prefix of a one-signature note is malformed. A
	 * prefix of a two-signature note may end at a line boundary. */
	single = strstr(g->name, "enochroot") == NULL;
	for (size_t l = 0; l < g->len; l++) {
		int rc = parse_verify(g->msg, l, &g->key);

		if (single)
			cr_assert_eq(rc, MLOG_ERR_MALFORMED, "%s: prefix %zu",
				g->name, l);
		else
			cr_assert(rc == MLOG_ERR_MALFORMED ||
				rc == MLOG_ERR_UNTRUSTED || rc == MLOG_OK);
		probes++;
	}
	/* Extended: a stray byte, a blank line, a duplicate good line (both
	 * verify), a corrupted copy of the good line (rejects the note). */
	memcpy(m, g->msg, g->len);
	m[g->len] = 'x';
	cr_assert_eq(parse_verify(m, g->len + 1, &g->key), MLOG_ERR_MALFORMED);
	m[g->len] = '\n';
	cr_assert_eq(parse_verify(m, g->len + 1, &g->key), MLOG_ERR_MALFORMED);
	{
		const char *line = g->msg + off - (4 + strlen(g->key.name) + 1);
		size_t line_len = (size_t)(g->msg + off + b64_len + 1 - line);
		char *dup = malloc(g->len + line_len);

		memcpy(dup, g->msg, g->len);
		memcpy(dup + g->len, line, line_len);
		cr_assert_eq(parse_verify(dup, g->len + line_len, &g->key),
			MLOG_OK, "%s: duplicate line", g->name);
		/* Corrupt the copy's 20th digit (signature bits). */
		char *d = dup + g->len + (off - (size_t)(line - g->msg)) + 20;

		*d = a[(strchr(a, *d) - a) ^ 1];
		cr_assert_eq(parse_verify(dup, g->len + line_len, &g->key),
			MLOG_ERR_VERIFY, "%s: bad duplicate", g->name);
		free(dup);
	}
	/* An unknown key's line is ignored. */
	{
		static const char extra[] = DASH "unknown.example AAAAAAE=\n";
		size_t el = sizeof(extra) - 1;

		memcpy(m, g->msg, g->len);
		memcpy(m + g->len, extra, el);
		cr_assert_eq(parse_verify(m, g->len + el, &g->key), MLOG_OK);
	}
	/* One text byte changed on the wire: the first byte's case. */
	memcpy(m, g->msg, g->len);
	m[0] ^= 0x20;
	cr_assert_eq(parse_verify(m, g->len, &g->key), MLOG_ERR_VERIFY,
		"%s: text", g->name);
	/* The key name changed on the wire. */
	{
		char *p = malloc(g->len + 1);
		size_t name_end = off - 1;

		memcpy(p, g->msg, name_end);
		p[name_end] = 'X';
		memcpy(p + name_end + 1, g->msg + name_end, g->len - name_end);
		cr_assert_eq(parse_verify(p, g->len + 1, &g->key),
			MLOG_ERR_UNTRUSTED, "%s: name", g->name);
		free(p);
	}
	free(m);
	return probes + 6;
}

Test(note, corruption_sweep)
{
	struct good g[MAX_GOOD];
	size_t n, probes = 0;

	TEST_REQUIRE_SHARED();
	n = load_goods(g);
	for (size_t i = 0; i < n; i++) {
		probes += sweep_struct(&g[i]);
		probes += sweep_wire(&g[i]);
	}
	cr_log_info("note corruption sweep: %zu probes over %zu notes",
		probes, n);
	cr_assert_gt(probes, 20000);
	free_goods(g, n);
}

/* Go accepts "…nAN=" for "…nAM=" (pad bits ignored); we parse it, flag it
 * lenient, and never verify it: the KAT req02 case, 403 not 400. */
Test(note, lenient_base64_parses_but_never_verifies)
{
	struct mlog_note_verifier v;
	struct mlog_note *n, *good;
	char *msg, *out = NULL;
	size_t len, out_len = 0;
	char *p;

	TEST_REQUIRE_SHARED();
	msg = test_read_shared(VN "peterneumann.note", &len);
	vkey_from_file(&v, VN "peterneumann.vkey");
	good = parse_ok(msg, len);
	p = strstr(msg, "nAM=\n");
	cr_assert_not_null(p);
	p[2] = 'N';
	n = parse_ok(msg, len);
	cr_assert_eq(n->sigs[0].lenient, 1);
	/* Same bytes as the good signature. */
	cr_assert_eq(n->sigs[0].sig_len, good->sigs[0].sig_len);
	cr_assert_arr_eq(n->sigs[0].sig, good->sigs[0].sig, 64);
	cr_assert_eq(verify1(n, &v), MLOG_ERR_VERIFY);
	/* format keeps it lenient: here it is the very same bytes. */
	cr_assert_eq(mlog_note_format(&out, &out_len, n), MLOG_OK);
	cr_assert_eq(out_len, len);
	cr_assert_arr_eq(out, msg, len);
	free(out);
	mlog_note_free(n);
	/* The other two pad-bit values: parsed, lenient, formatted with the
	 * lowest pad bit, never verified. */
	for (char c = 'O'; c <= 'P'; c++) {
		p[2] = c;
		n = parse_ok(msg, len);
		cr_assert_eq(n->sigs[0].lenient, 1);
		cr_assert_eq(verify1(n, &v), MLOG_ERR_VERIFY);
		cr_assert_eq(mlog_note_format(&out, &out_len, n), MLOG_OK);
		cr_assert_eq(memcmp(out + out_len - 5, "nAN=\n", 5), 0);
		free(out);
		mlog_note_free(n);
	}
	mlog_note_free(good);
	free(msg);
}

/* ---- invalid inputs ----------------------------------------------------- */

struct parse_case {
	const char *what;
	const char *msg;
	int want;
	size_t len;          /* 0: strlen(msg) */
};

#define SIG1 DASH "a AAAAAAE=\n"   /* key ID 0, signature 0x01 */

Test(note, parse_table)
{
	static const struct parse_case c[] = {
		/* valid neighbours */
		{ "minimal", "x\n\n" SIG1, MLOG_OK },
		{ "text is one newline", "\n\n" SIG1, MLOG_OK },
		{ "blank lines in text", "a\n\n\nb\n\n" SIG1, MLOG_OK },
		{ "DEL allowed", "a\x7f\n\n" SIG1, MLOG_OK },
		{ "UTF-8 text", "\xc3\xa9t\xc3\xa9 \xe2\x82\xac\n\n" SIG1,
		  MLOG_OK },
		{ "4-byte UTF-8", "\xf0\x9f\x98\x80\n\n" SIG1, MLOG_OK },
		{ "two lines", "x\n\n" SIG1 DASH "b AAAAAAE=\n", MLOG_OK },
		{ "five bytes", "x\n\n" DASH "a AAAAAAA=\n", MLOG_OK },
		{ "UTF-8 name", "x\n\n" DASH "\xc3\xa9 AAAAAAE=\n",
		  MLOG_OK },
		{ "U+200B is not a space", "x\n\n" DASH "a\xe2\x80\x8b"
		  "b AAAAAAE=\n", MLOG_OK },
		/* structure */
		{ "empty", "", MLOG_ERR_MALFORMED },
		{ "no blank line", "x\n" SIG1, MLOG_ERR_MALFORMED },
		{ "only text", "x\n", MLOG_ERR_MALFORMED },
		{ "empty signature block", "x\n\n", MLOG_ERR_MALFORMED },
		{ "trailing blank line", "x\n\n" SIG1 "\n",
		  MLOG_ERR_MALFORMED },
		{ "missing final newline", "x\n\n" DASH "a AAAAAAE=",
		  MLOG_ERR_MALFORMED },
		{ "CR line endings", "x\r\n\r\n" DASH "a AAAAAAE=\r\n",
		  MLOG_ERR_MALFORMED },
		{ "CR at end of sig", "x\n\n" DASH "a AAAAAAE=\r\n",
		  MLOG_ERR_MALFORMED },
		{ "text ends in a blank line", "x\n\n\n" SIG1, MLOG_OK },
		/* control characters and UTF-8 */
		{ "tab", "a\tb\n\n" SIG1, MLOG_ERR_MALFORMED },
		{ "NUL", "a\0b\n\n" SIG1, MLOG_ERR_MALFORMED,
		  5 + sizeof(SIG1) - 1 },
		{ "0x01", "a\x01\n\n" SIG1, MLOG_ERR_MALFORMED },
		{ "ESC", "\x1b[0m\n\n" SIG1, MLOG_ERR_MALFORMED },
		{ "0x1f in sig", "x\n\n" DASH "a AAAA\x1f" "AAE=\n",
		  MLOG_ERR_MALFORMED },
		{ "0xff", "\xff\n\n" SIG1, MLOG_ERR_MALFORMED },
		{ "overlong /", "\xc0\xaf\n\n" SIG1, MLOG_ERR_MALFORMED },
		{ "surrogate", "\xed\xa0\x80\n\n" SIG1, MLOG_ERR_MALFORMED },
		{ "truncated UTF-8", "\xe2\x82\n\n" SIG1, MLOG_ERR_MALFORMED },
		{ "above U+10FFFF", "\xf4\x90\x80\x80\n\n" SIG1,
		  MLOG_ERR_MALFORMED },
		{ "lone continuation", "\x80\n\n" SIG1, MLOG_ERR_MALFORMED },
		/* signature line shape */
		{ "hyphen", "x\n\n- a AAAAAAE=\n", MLOG_ERR_MALFORMED },
		{ "en dash", "x\n\n\xe2\x80\x93 a AAAAAAE=\n",
		  MLOG_ERR_MALFORMED },
		{ "no space after dash", "x\n\n\xe2\x80\x94" "a AAAAAAE=\n",
		  MLOG_ERR_MALFORMED },
		{ "leading space", "x\n\n " SIG1, MLOG_ERR_MALFORMED },
		{ "dash only", "x\n\n" DASH "\n", MLOG_ERR_MALFORMED },
		{ "no signature", "x\n\n" DASH "a\n", MLOG_ERR_MALFORMED },
		{ "empty signature", "x\n\n" DASH "a \n", MLOG_ERR_MALFORMED },
		{ "second line bad", "x\n\n" SIG1 "junk\n",
		  MLOG_ERR_MALFORMED },
		/* names */
		{ "empty name", "x\n\n" DASH " AAAAAAE=\n",
		  MLOG_ERR_MALFORMED },
		{ "plus in name", "x\n\n" DASH "a+b AAAAAAE=\n",
		  MLOG_ERR_MALFORMED },
		{ "NBSP in name", "x\n\n" DASH "a\xc2\xa0" "b AAAAAAE=\n",
		  MLOG_ERR_MALFORMED },
		{ "NEL in name", "x\n\n" DASH "a\xc2\x85" "b AAAAAAE=\n",
		  MLOG_ERR_MALFORMED },
		{ "U+1680 in name", "x\n\n" DASH "a\xe1\x9a\x80 AAAAAAE=\n",
		  MLOG_ERR_MALFORMED },
		{ "U+2000 in name", "x\n\n" DASH "\xe2\x80\x80 AAAAAAE=\n",
		  MLOG_ERR_MALFORMED },
		{ "U+200A in name", "x\n\n" DASH "\xe2\x80\x8a AAAAAAE=\n",
		  MLOG_ERR_MALFORMED },
		{ "U+2028 in name", "x\n\n" DASH "\xe2\x80\xa8 AAAAAAE=\n",
		  MLOG_ERR_MALFORMED },
		{ "U+2029 in name", "x\n\n" DASH "\xe2\x80\xa9 AAAAAAE=\n",
		  MLOG_ERR_MALFORMED },
		{ "U+202F in name", "x\n\n" DASH "\xe2\x80\xaf AAAAAAE=\n",
		  MLOG_ERR_MALFORMED },
		{ "U+205F in name", "x\n\n" DASH "\xe2\x81\x9f AAAAAAE=\n",
		  MLOG_ERR_MALFORMED },
		{ "U+3000 in name", "x\n\n" DASH "\xe3\x80\x80 AAAAAAE=\n",
		  MLOG_ERR_MALFORMED },
		/* base64 */
		{ "3 bytes", "x\n\n" DASH "a AAAA\n", MLOG_ERR_MALFORMED },
		{ "4 bytes", "x\n\n" DASH "a AAAAAA==\n", MLOG_ERR_MALFORMED },
		{ "no padding", "x\n\n" DASH "a AAAAAAE\n",
		  MLOG_ERR_MALFORMED },
		{ "short quantum", "x\n\n" DASH "a AAAAA=\n",
		  MLOG_ERR_MALFORMED },
		{ "bad character", "x\n\n" DASH "a AAAA*AE=\n",
		  MLOG_ERR_MALFORMED },
		{ "URL alphabet", "x\n\n" DASH "a AAAA-_AA\n",
		  MLOG_ERR_MALFORMED },
		{ "space inside", "x\n\n" DASH "a AAAA AAE=\n",
		  MLOG_ERR_MALFORMED },
		{ "trailing space", "x\n\n" DASH "a AAAAAAE= \n",
		  MLOG_ERR_MALFORMED },
		{ "two spaces", "x\n\n" DASH "a  AAAAAAE=\n",
		  MLOG_ERR_MALFORMED },
		{ "UTF-8 in base64", "x\n\n" DASH "a AAAAAA\xc3\xa9\n",
		  MLOG_ERR_MALFORMED },
		{ "0xff in base64", "x\n\n" DASH "a AAAA\xff" "AE=\n",
		  MLOG_ERR_MALFORMED },
		{ "pad then lenient quantum", "x\n\n" DASH "a AAAAAA==AAF=\n",
		  MLOG_ERR_MALFORMED },
		{ "pad in middle", "x\n\n" DASH "a AA==AAAA\n",
		  MLOG_ERR_MALFORMED },
		{ "too much padding", "x\n\n" DASH "a AAAAA===\n",
		  MLOG_ERR_MALFORMED },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(*c); i++) {
		size_t len = c[i].len ? c[i].len : strlen(c[i].msg);

		expect_parse(c[i].msg, len, c[i].want, c[i].what);
	}
}

Test(note, parse_splits_at_last_blank_line)
{
	static const char m[] = "a\n\nb\n\n" SIG1;
	static const char m2[] = "a\n\n" SIG1 "\n" DASH "b AAAAAAE=\n";
	struct mlog_note *n = parse_ok(m, sizeof(m) - 1);

	cr_assert_str_eq(n->text, "a\n\nb\n");
	cr_assert_eq(n->text_len, 5);
	cr_assert_eq(n->nsigs, 1);
	cr_assert_str_eq(n->sigs[0].name, "a");
	cr_assert_eq(n->sigs[0].key_id, 0);
	cr_assert_eq(n->sigs[0].sig_len, 1);
	cr_assert_eq(n->sigs[0].sig[0], 1);
	mlog_note_free(n);
	/* A blank line inside the signatures moves the split (as Go). */
	n = parse_ok(m2, sizeof(m2) - 1);
	cr_assert_str_eq(n->text, "a\n\n" SIG1);
	cr_assert_eq(n->nsigs, 1);
	cr_assert_str_eq(n->sigs[0].name, "b");
	mlog_note_free(n);
	expect_format_identity(m, sizeof(m) - 1);
	expect_format_identity(m2, sizeof(m2) - 1);
	mlog_note_free(NULL);
}

/* Builds "x\n\n" followed by count lines "— nK AAAAAAE=\n". */
static char *many_sigs(size_t count, size_t *len)
{
	size_t cap = 3 + count * 32, pos = 3;
	char *m = malloc(cap);

	memcpy(m, "x\n\n", 3);
	for (size_t i = 0; i < count; i++)
		pos += (size_t)snprintf(m + pos, cap - pos,
			DASH "n%zu AAAAAAE=\n", i);
	*len = pos;
	return m;
}

Test(note, signature_count_limit)
{
	size_t len;
	char *m = many_sigs(MLOG_NOTE_MAX_SIGS, &len);
	struct mlog_note *n = parse_ok(m, len);

	cr_assert_eq(n->nsigs, 100);
	cr_assert_str_eq(n->sigs[99].name, "n99");
	mlog_note_free(n);
	expect_format_identity(m, len);
	free(m);
	m = many_sigs(MLOG_NOTE_MAX_SIGS + 1, &len);
	expect_parse(m, len, MLOG_ERR_MALFORMED, "101 signatures");
	free(m);
	m = many_sigs(1000, &len);
	expect_parse(m, len, MLOG_ERR_MALFORMED, "1000 signatures");
	free(m);
}

/* A note of exactly MLOG_NOTE_MAX_BYTES parses; one more byte is TOOBIG,
 * whatever the bytes (the cap comes before any other check). */
Test(note, size_cap)
{
	size_t max = MLOG_NOTE_MAX_BYTES, sl = sizeof(SIG1) - 1;
	char *m = malloc(max + 2);
	struct mlog_note *n;

	memset(m, 'a', max + 1);
	for (size_t i = 79; i < max; i += 80)
		m[i] = '\n';
	m[max - sl - 2] = '\n';
	m[max - sl - 1] = '\n';
	memcpy(m + max - sl, SIG1, sl);
	n = parse_ok(m, max);
	cr_assert_eq(n->text_len, max - sl - 1);
	mlog_note_free(n);
	m[max] = '\n';
	expect_parse(m, max + 1, MLOG_ERR_TOOBIG, "one byte over");
	m[5] = '\x01';
	expect_parse(m, max + 1, MLOG_ERR_TOOBIG, "over and bad");
	free(m);
}

Test(note, lenient_signature_in_table)
{
	static const char m[] = "x\n\n" DASH "a AAAAAAF=\n";
	struct mlog_note *n = parse_ok(m, sizeof(m) - 1);
	char *out = NULL;
	size_t out_len = 0;

	cr_assert_eq(n->sigs[0].lenient, 1);
	cr_assert_eq(n->sigs[0].sig_len, 1);
	cr_assert_eq(n->sigs[0].sig[0], 1);
	cr_assert_eq(mlog_note_format(&out, &out_len, n), MLOG_OK);
	cr_assert_str_eq(out, "x\n\n" DASH "a AAAAAAF=\n");
	free(out);
	mlog_note_free(n);
}

/* ---- names -------------------------------------------------------------- */

Test(note, name_table)
{
	static const char *good[] = {
		"a", "example.com/foo", "PeterNeumann", "\xc3\xa9",
		"a\x7f", "\xe2\x80\x8b", "\xe1\xa0\x8e", "=",
		"\xf0\x9f\x98\x80",
		"sigsum.org/v1/tree/e796172b92befd62d9dc67e41c2f5bc9d3100a30",
	};
	static const char *bad[] = {
		"", "a+b", "+", "a b", "a\tb", "a\nb", "a\rb", "\x0b", "\x0c",
		"a\x01", "\x1f", "\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80",
		"\xe2\x80\x80", "\xe2\x80\x85", "\xe2\x80\x8a", "\xe2\x80\xa8",
		"\xe2\x80\xa9", "\xe2\x80\xaf", "\xe2\x81\x9f", "\xe3\x80\x80",
		"\xff", "\xc0\xaf", "\xed\xa0\x80", "a\xe2\x80",
	};
	char longn[MLOG_NOTE_NAME_MAX + 2];

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		cr_assert_eq(mlog_note_name_valid(good[i], strlen(good[i])),
			1, "rejected good name %zu", i);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_assert_eq(mlog_note_name_valid(bad[i], strlen(bad[i])), 0,
			"accepted bad name %zu", i);
	cr_assert_eq(mlog_note_name_valid("a\0b", 3), 0);
	cr_assert_eq(mlog_note_name_valid(NULL, 0), 0);
	memset(longn, 'n', sizeof(longn));
	cr_assert_eq(mlog_note_name_valid(longn, MLOG_NOTE_NAME_MAX), 1);
	cr_assert_eq(mlog_note_name_valid(longn, MLOG_NOTE_NAME_MAX + 1), 0);
}

/* Names at and over the 255-byte limit inside a note. */
Test(note, long_names_in_notes)
{
	char m[600];
	size_t pos;

	for (size_t nl = 254; nl <= 256; nl++) {
		memcpy(m, "x\n\n" DASH, 7);
		memset(m + 7, 'n', nl);
		pos = 7 + nl;
		memcpy(m + pos, " AAAAAAE=\n", 10);
		pos += 10;
		expect_parse(m, pos, nl <= 255 ? MLOG_OK : MLOG_ERR_MALFORMED,
			"long name");
	}
}

/* ---- keys --------------------------------------------------------------- */

static void fixed_signer(struct mlog_note_signer *s, const char *name,
	uint8_t type, uint8_t fill)
{
	uint8_t seed[32];

	memset(seed, fill, sizeof(seed));
	cr_assert_eq(mlog_note_signer_from_seed(s, name, type, seed),
		MLOG_OK);
}

Test(note, key_round_trips)
{
	static const uint8_t types[] = { MLOG_NOTE_TYPE_ED25519,
		MLOG_NOTE_TYPE_COSIG_V1 };
	char buf[MLOG_NOTE_SKEY_MAX + 1];
	char longn[MLOG_NOTE_NAME_MAX + 1];

	memset(longn, 'q', MLOG_NOTE_NAME_MAX);
	longn[MLOG_NOTE_NAME_MAX] = '\0';
	for (size_t t = 0; t < 2; t++) {
		for (int g = 0; g < 3; g++) {
			struct mlog_note_signer s, s2;
			struct mlog_note_verifier v, v2;
			const char *name = g == 2 ? longn : "example.com/k";
			int len;

			if (g == 0)
				cr_assert_eq(mlog_note_signer_generate(&s,
					name, types[t]), MLOG_OK);
			else
				fixed_signer(&s, name, types[t], 0x42);
			cr_assert_eq(s.type, types[t]);
			cr_assert_eq(s.key_id, mlog_note_key_id(name,
				types[t], s.pub, 32));
			len = mlog_note_signer_format(buf, sizeof(buf), &s);
			cr_assert_gt(len, 0);
			cr_assert_eq(len, (int)strlen(buf));
			cr_assert_leq(len, MLOG_NOTE_SKEY_MAX);
			skey_from_string(&s2, buf);
			cr_assert(signer_eq(&s, &s2));
			mlog_note_signer_verifier(&v, &s);
			len = mlog_note_verifier_format(buf, sizeof(buf), &v);
			cr_assert_gt(len, 0);
			cr_assert_leq(len, MLOG_NOTE_VKEY_MAX);
			vkey_from_string(&v2, buf);
			cr_assert(verifier_eq(&v, &v2));
			/* Too small a buffer. */
			cr_assert_eq(mlog_note_verifier_format(buf,
				(size_t)len, &v), MLOG_ERR_TOOBIG);
			cr_assert_eq(mlog_note_verifier_format(buf,
				(size_t)len + 1, &v), len);
			mlog_note_signer_clear(&s);
			mlog_note_signer_clear(&s2);
			sodium_memzero(buf, sizeof(buf));
		}
	}
}

Test(note, from_seed_is_deterministic_and_checks_input)
{
	struct mlog_note_signer a, b, orig;
	uint8_t seed[32] = { 1, 2, 3 };

	cr_assert_eq(mlog_note_signer_from_seed(&a, "k", 0x01, seed), 0);
	cr_assert_eq(mlog_note_signer_from_seed(&b, "k", 0x01, seed), 0);
	cr_assert(signer_eq(&a, &b));
	/* Same seed, other type: same key, other key ID. */
	cr_assert_eq(mlog_note_signer_from_seed(&b, "k", 0x04, seed), 0);
	cr_assert_arr_eq(a.pub, b.pub, 32);
	cr_assert_neq(a.key_id, b.key_id);
	memset(&orig, 0x5a, sizeof(orig));
	b = orig;
	cr_assert_eq(mlog_note_signer_from_seed(&b, "", 0x01, seed),
		MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_note_signer_from_seed(&b, "a b", 0x01, seed),
		MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_note_signer_from_seed(&b, "k", 0x02, seed),
		MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_note_signer_generate(&b, "k", 0x00),
		MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_note_signer_generate(&b, NULL, 0x01),
		MLOG_ERR_MALFORMED);
	cr_assert_eq(memcmp(&b, &orig, sizeof(b)), 0);
	mlog_note_signer_clear(&a);
	mlog_note_signer_clear(&b);
}

/* Hand-made bad vkeys and skeys around one good key pair. */
Test(note, key_parse_table)
{
	struct mlog_note_signer s;
	struct mlog_note_verifier v, orig;
	char vk[MLOG_NOTE_VKEY_MAX + 1], sk[MLOG_NOTE_SKEY_MAX + 1];
	char bad[1024];
	const char *b64;
	uint8_t raw[33];
	char enc[64];

	fixed_signer(&s, "example.com/k", MLOG_NOTE_TYPE_ED25519, 7);
	mlog_note_signer_verifier(&v, &s);
	cr_assert_gt(mlog_note_verifier_format(vk, sizeof(vk), &v), 0);
	cr_assert_gt(mlog_note_signer_format(sk, sizeof(sk), &s), 0);
	b64 = vk + strlen("example.com/k+12345678+");
	memset(&orig, 0xee, sizeof(orig));

#define BAD_VKEY(...) do {                                                  \
		struct mlog_note_verifier out = orig;                       \
		snprintf(bad, sizeof(bad), __VA_ARGS__);                    \
		cr_assert_eq(mlog_note_verifier_parse(&out, bad,            \
			strlen(bad), NULL), MLOG_ERR_MALFORMED,             \
			"accepted vkey %s", bad);                           \
		cr_assert_eq(memcmp(&out, &orig, sizeof(out)), 0);          \
	} while (0)

	BAD_VKEY("%s", "");
	BAD_VKEY("%s", "example.com/k");
	BAD_VKEY("example.com/k+%08x", v.key_id);
	BAD_VKEY("example.com/k+%08x+", v.key_id);
	BAD_VKEY("example.com/k+%08X+%s", v.key_id, b64);   /* uppercase */
	BAD_VKEY("example.com/k+%07x+%s", v.key_id & 0xfffffff, b64);
	BAD_VKEY("example.com/k+0%08x+%s", v.key_id, b64);
	BAD_VKEY("example.com/k+%08x+%s", v.key_id ^ 1, b64);
	BAD_VKEY("example.com/j+%08x+%s", v.key_id, b64);
	BAD_VKEY("+%08x+%s", v.key_id, b64);
	BAD_VKEY("exa mple+%08x+%s", v.key_id, b64);
	BAD_VKEY("%s\n", vk);
	BAD_VKEY("%s ", vk);
	BAD_VKEY(" %s", vk);
	BAD_VKEY("%s=", vk);
	BAD_VKEY("%sAAAA", vk);
	BAD_VKEY("%.*s", (int)strlen(vk) - 1, vk);
	BAD_VKEY("%s", sk);
	BAD_VKEY("example.com/k+%08x+%.*s", v.key_id, 43, b64); /* no pad */
	/* Type byte 0x04 under a 0x01 key ID, and 0x02/0x00/0xff. */
	raw[0] = 0x04;
	memcpy(raw + 1, v.pub, 32);
	for (int t = 0; t < 4; t++) {
		static const uint8_t types[] = { 0x04, 0x02, 0x00, 0xff };

		raw[0] = types[t];
		cr_assert_gt(mlog_codec_base64_encode(enc, sizeof(enc), raw,
			33), 0);
		BAD_VKEY("example.com/k+%08x+%s", v.key_id, enc);
		/* Even with the matching key ID, unknown types fail. */
		if (t > 0) {
			uint32_t id = mlog_note_key_id("example.com/k",
				types[t], v.pub, 32);

			BAD_VKEY("example.com/k+%08x+%s", id, enc);
		}
	}
	/* 31- and 34-byte keys with matching key IDs. */
	raw[0] = 0x01;
	for (size_t kl = 32; kl <= 34; kl += 2) {
		uint8_t k[35] = { 0x01 };
		uint32_t id;

		memcpy(k + 1, v.pub, 32);
		id = mlog_note_key_id("example.com/k", 0x01, k + 1, kl - 1);
		cr_assert_gt(mlog_codec_base64_encode(enc, sizeof(enc), k, kl),
			0);
		BAD_VKEY("example.com/k+%08x+%s", id, enc);
	}
	/* Over-long input. */
	memset(bad, 'a', MLOG_NOTE_VKEY_MAX + 1);
	{
		struct mlog_note_verifier out = orig;

		cr_assert_eq(mlog_note_verifier_parse(&out, bad,
			MLOG_NOTE_VKEY_MAX + 1, NULL), MLOG_ERR_MALFORMED);
		cr_assert_eq(memcmp(&out, &orig, sizeof(out)), 0);
	}
#undef BAD_VKEY

#define BAD_SKEY(...) do {                                                  \
		struct mlog_note_signer out;                                \
		memset(&out, 0xee, sizeof(out));                            \
		snprintf(bad, sizeof(bad), __VA_ARGS__);                    \
		cr_assert_eq(mlog_note_signer_parse(&out, bad, strlen(bad), \
			NULL), MLOG_ERR_MALFORMED, "accepted skey %s", bad);\
		for (size_t z = 0; z < sizeof(out); z++)                    \
			cr_assert_eq(((uint8_t *)&out)[z], 0xee);           \
	} while (0)

	BAD_SKEY("%s", vk);
	BAD_SKEY("%s", sk + 12);
	BAD_SKEY("private+key+%s", sk + 12);
	BAD_SKEY("PRIVATE+KEY%s", sk + 12);
	BAD_SKEY("PRIVATE+KEY+%s", vk);   /* the public key as a seed */
	BAD_SKEY("PRIVATE+KEY+example.com/k+%08x+%s", v.key_id ^ 0x100,
		sk + strlen("PRIVATE+KEY+example.com/k+12345678+"));
	BAD_SKEY("%s\n", sk);
	BAD_SKEY("%s", "PRIVATE+KEY+");
#undef BAD_SKEY
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(bad, sizeof(bad));
	mlog_note_signer_clear(&s);
}

Test(note, verifier_as_cosigner)
{
	struct mlog_note_verifier v, c;
	char *s;

	TEST_REQUIRE_SHARED();
	s = kv_get(VM "MANIFEST.txt", "witness_vkey");
	vkey_from_string(&v, s);
	free(s);
	cr_assert_eq(v.type, MLOG_NOTE_TYPE_ED25519);
	cr_assert_eq(v.key_id, 0xf13a86db);
	mlog_note_verifier_as_cosigner(&c, &v);
	cr_assert_eq(c.type, MLOG_NOTE_TYPE_COSIG_V1);
	cr_assert_str_eq(c.name, "witness");
	cr_assert_arr_eq(c.pub, v.pub, 32);
	cr_assert_eq(c.key_id, mlog_note_key_id("witness", 0x04, v.pub, 32));
	cr_assert_neq(c.key_id, v.key_id);
	/* In place, and idempotent. */
	mlog_note_verifier_as_cosigner(&v, &v);
	cr_assert(verifier_eq(&v, &c));
	mlog_note_verifier_as_cosigner(&v, &v);
	cr_assert(verifier_eq(&v, &c));
}

/* ---- signing and formatting --------------------------------------------- */

Test(note, sign_parse_verify_round_trip)
{
	static const char *texts[] = {
		"x\n",
		"\n",
		"example.com/log\n0\n"
		"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
		"line one\n\nafter a blank line\n\n\n",
		"\xc3\xa9t\xc3\xa9\n\x7f\n",
	};
	struct mlog_note_signer s[3];
	struct mlog_note_verifier v[3];

	fixed_signer(&s[0], "log.example", MLOG_NOTE_TYPE_ED25519, 1);
	fixed_signer(&s[1], "w1.example", MLOG_NOTE_TYPE_COSIG_V1, 2);
	fixed_signer(&s[2], "w2.example", MLOG_NOTE_TYPE_COSIG_V1, 3);
	for (int i = 0; i < 3; i++)
		mlog_note_signer_verifier(&v[i], &s[i]);
	for (size_t t = 0; t < sizeof(texts) / sizeof(*texts); t++) {
		struct mlog_note_check chk[3];
		struct mlog_note *n;
		char *out = NULL;
		size_t len = 0, tl = strlen(texts[t]);

		cr_assert_eq(mlog_note_sign(&out, &len, texts[t], tl, s, 3,
			1700000000 + t, NULL), MLOG_OK);
		cr_assert_eq(len, strlen(out));
		n = parse_ok(out, len);
		cr_assert_eq(n->text_len, tl);
		cr_assert_arr_eq(n->text, texts[t], tl);
		cr_assert_eq(n->nsigs, 3);
		cr_assert_eq(n->sigs[0].sig_len, 64);
		cr_assert_eq(n->sigs[1].sig_len, 72);
		cr_assert_eq(mlog_note_verify(n, v, 3, chk, NULL), MLOG_OK);
		cr_assert_eq(chk[0].verified, 1);
		cr_assert_eq(chk[0].timestamp, 0);
		cr_assert_eq(chk[1].verified, 1);
		cr_assert_eq(chk[1].timestamp, 1700000000 + t);
		cr_assert_eq(chk[2].timestamp, 1700000000 + t);
		/* The cosigners' 0x01 form is a different key ID. */
		{
			struct mlog_note_verifier as01 = v[1];

			as01.type = MLOG_NOTE_TYPE_ED25519;
			as01.key_id = mlog_note_key_id(as01.name, 1,
				as01.pub, 32);
			cr_assert_eq(verify1(n, &as01), MLOG_ERR_UNTRUSTED);
			mlog_note_verifier_as_cosigner(&as01, &as01);
			cr_assert_eq(verify1(n, &as01), MLOG_OK);
		}
		mlog_note_free(n);
		expect_format_identity(out, len);
		free(out);
	}
	for (int i = 0; i < 3; i++)
		mlog_note_signer_clear(&s[i]);
}

/* A verifier whose type differs from the signature's kind fails: a 0x01
 * key matching a cosignature line by (name, ID) is still verified, and
 * fails (rule 6); type confusion never verifies. */
Test(note, type_confusion_fails)
{
	struct mlog_note_signer s;
	struct mlog_note_verifier v;
	struct mlog_note *n;
	char *out = NULL;
	size_t len = 0;

	fixed_signer(&s, "w", MLOG_NOTE_TYPE_COSIG_V1, 9);
	mlog_note_signer_verifier(&v, &s);
	cr_assert_eq(mlog_note_sign(&out, &len, "x\n", 2, &s, 1, 5, NULL), 0);
	n = parse_ok(out, len);
	cr_assert_eq(verify1(n, &v), MLOG_OK);
	v.type = MLOG_NOTE_TYPE_ED25519;   /* same key ID, wrong type */
	cr_assert_eq(verify1(n, &v), MLOG_ERR_VERIFY);
	v.type = 0x02;
	cr_assert_eq(verify1(n, &v), MLOG_ERR_VERIFY);
	mlog_note_free(n);
	free(out);
	mlog_note_signer_clear(&s);
}

Test(note, sign_rejects_bad_input)
{
	struct mlog_note_signer s, c, bad;
	struct mlog_error e = { 0 };
	char *out = (char *)&e;
	size_t len = 77;
	char line[512];
	char *big;

	fixed_signer(&s, "k", MLOG_NOTE_TYPE_ED25519, 1);
	fixed_signer(&c, "c", MLOG_NOTE_TYPE_COSIG_V1, 2);
#define SIGN_FAILS(want, text, tl, signers, ns, ts) do {                    \
		cr_assert_eq(mlog_note_sign(&out, &len, text, tl, signers,  \
			ns, ts, &e), want);                                 \
		cr_assert_eq(out, (char *)&e);                              \
		cr_assert_eq(len, 77);                                      \
	} while (0)
	SIGN_FAILS(MLOG_ERR_MALFORMED, "", 0, &s, 1, 0);
	SIGN_FAILS(MLOG_ERR_MALFORMED, "x", 1, &s, 1, 0);
	SIGN_FAILS(MLOG_ERR_MALFORMED, "x\r\n", 3, &s, 1, 0);
	SIGN_FAILS(MLOG_ERR_MALFORMED, "\xff\n", 2, &s, 1, 0);
	SIGN_FAILS(MLOG_ERR_MALFORMED, "x\n", 2, &s, 0, 0);
	SIGN_FAILS(MLOG_ERR_RANGE, "x\n", 2, &c, 1,
		UINT64_C(0x8000000000000000));
	/* 101 signers. */
	{
		struct mlog_note_signer *many = calloc(101, sizeof(*many));

		for (int i = 0; i < 101; i++)
			many[i] = s;
		SIGN_FAILS(MLOG_ERR_MALFORMED, "x\n", 2, many, 101, 0);
		cr_assert_eq(mlog_note_sign(&out, &len, "x\n", 2, many, 100,
			0, NULL), MLOG_OK);
		free(out);
		out = (char *)&e;
		len = 77;
		sodium_memzero(many, 101 * sizeof(*many));
		free(many);
	}
	/* A signer struct edited by hand: type changed, ID not. */
	bad = s;
	bad.type = MLOG_NOTE_TYPE_COSIG_V1;
	SIGN_FAILS(MLOG_ERR_MALFORMED, "x\n", 2, &bad, 1, 0);
	bad = s;
	bad.pub[0] ^= 1;
	SIGN_FAILS(MLOG_ERR_MALFORMED, "x\n", 2, &bad, 1, 0);
	bad = s;
	bad.name[0] = ' ';
	SIGN_FAILS(MLOG_ERR_MALFORMED, "x\n", 2, &bad, 1, 0);
	/* Text at the cap signs to more than the cap. */
	big = malloc(MLOG_NOTE_MAX_BYTES + 1);
	memset(big, 'a', MLOG_NOTE_MAX_BYTES + 1);
	big[MLOG_NOTE_MAX_BYTES - 1] = '\n';
	SIGN_FAILS(MLOG_ERR_TOOBIG, big, MLOG_NOTE_MAX_BYTES, &s, 1, 0);
	big[MLOG_NOTE_MAX_BYTES] = '\n';
	SIGN_FAILS(MLOG_ERR_TOOBIG, big, MLOG_NOTE_MAX_BYTES + 1, &s, 1, 0);
	free(big);
#undef SIGN_FAILS
	/* sign_line: capacity, timestamp, text. */
	cr_assert_eq(mlog_note_sign_line(line, 10, "x\n", 2, &s, 0),
		MLOG_ERR_TOOBIG);
	{
		int n = mlog_note_sign_line(line, sizeof(line), "x\n", 2, &s,
			0);

		cr_assert_gt(n, 0);
		cr_assert_eq(mlog_note_sign_line(line, (size_t)n, "x\n", 2,
			&s, 0), MLOG_ERR_TOOBIG);
		cr_assert_eq(mlog_note_sign_line(line, (size_t)n + 1, "x\n",
			2, &s, 0), n);
		/* Ed25519 lines ignore the timestamp. */
		cr_assert_eq(mlog_note_sign_line(line, sizeof(line), "x\n", 2,
			&s, UINT64_MAX), n);
	}
	cr_assert_eq(mlog_note_sign_line(line, sizeof(line), "x\n", 2, &c,
		UINT64_C(0x8000000000000000)), MLOG_ERR_RANGE);
	cr_assert_gt(mlog_note_sign_line(line, sizeof(line), "x\n", 2, &c,
		UINT64_C(0x7fffffffffffffff)), 0);
	cr_assert_eq(mlog_note_sign_line(line, sizeof(line), "x", 1, &c, 0),
		MLOG_ERR_MALFORMED);
	mlog_note_signer_clear(&s);
	mlog_note_signer_clear(&c);
}

Test(note, format_rejects_invalid_structs)
{
	uint8_t sig[3] = { 1, 2, 3 };
	char name[] = "k";
	struct mlog_note_sig s = { name, 1, sig, 3, 0 };
	char text[] = "x\n";
	struct mlog_note n = { text, 2, &s, 1 };
	char *out = NULL;
	size_t len = 0;

	cr_assert_eq(mlog_note_format(&out, &len, &n), MLOG_OK);
	cr_assert_str_eq(out, "x\n\n" DASH "k AAAAAQECAw==\n");
	free(out);
	out = NULL;
	/* Lenient needs pad bits: 4 + 2 bytes has none. */
	s.sig_len = 2;
	s.lenient = 1;
	cr_assert_eq(mlog_note_format(&out, &len, &n), MLOG_ERR_MALFORMED);
	s.sig_len = 3;
	cr_assert_eq(mlog_note_format(&out, &len, &n), MLOG_OK);
	cr_assert_str_eq(out, "x\n\n" DASH "k AAAAAQECAx==\n");
	free(out);
	out = NULL;
	s.lenient = 0;
	s.sig_len = 0;
	cr_assert_eq(mlog_note_format(&out, &len, &n), MLOG_ERR_MALFORMED);
	s.sig_len = 3;
	n.nsigs = 0;
	cr_assert_eq(mlog_note_format(&out, &len, &n), MLOG_ERR_MALFORMED);
	n.nsigs = 1;
	n.text_len = 1;
	cr_assert_eq(mlog_note_format(&out, &len, &n), MLOG_ERR_MALFORMED);
	n.text_len = 0;
	cr_assert_eq(mlog_note_format(&out, &len, &n), MLOG_ERR_MALFORMED);
	n.text_len = 2;
	text[0] = '\t';
	cr_assert_eq(mlog_note_format(&out, &len, &n), MLOG_ERR_MALFORMED);
	text[0] = 'x';
	name[0] = '+';
	cr_assert_eq(mlog_note_format(&out, &len, &n), MLOG_ERR_MALFORMED);
	name[0] = 'k';
	cr_assert_null(out);
}
