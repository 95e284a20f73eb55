/*
 * test_cosig.c — tlog-cosignature cosignature/v1 (merkle/cosig.c and the
 * type-0x04 paths of merkle/note.c): the sigsum-go known answer, the
 * transparency-dev/formats timestamp vector, an omniwitness-style witness
 * cosigning the monkeys checkpoints, and corruption sweeps.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "cosig.h"
#include "note.h"
#include "support.h"

#define DASH "\xe2\x80\x94 "
/* Vector directories under ../shared. */
#define VM "vectors/witness/omniwitness-monkeys/"
#define VS "vectors/cosignature/"
#define TIME_MAX UINT64_C(0x7fffffffffffffff)

static void init(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(cosig, .init = init);

/* ---- helpers ------------------------------------------------------------ */

/* Value of "key=value" in a vector file; the caller frees. */
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

#define SIGSUM VS "sigsum-go-cosignature.txt"

/* Concatenates text, "\n" and each line (plus "\n") into a new note. */
static char *join_note(size_t *len, const char *text, const char **lines,
	size_t nlines)
{
	size_t cap = strlen(text) + 2, pos;
	char *m;

	for (size_t i = 0; i < nlines; i++)
		cap += strlen(lines[i]) + 1;
	m = malloc(cap);
	pos = (size_t)sprintf(m, "%s\n", text);
	for (size_t i = 0; i < nlines; i++)
		pos += (size_t)sprintf(m + pos, "%s\n", lines[i]);
	*len = pos;
	return m;
}

static int parse_verify(const char *msg, size_t len,
	const struct mlog_note_verifier *keys, size_t nkeys,
	struct mlog_note_check *checks)
{
	struct mlog_note *n = NULL;
	int rc = mlog_note_parse(&n, msg, len, NULL);

	if (rc != MLOG_OK)
		return rc;
	rc = mlog_note_verify(n, keys, nkeys, checks, NULL);
	mlog_note_free(n);
	return rc;
}

/* The sigsum-go witness: seed 0x11 || 31 zeros, "example.org/witness". */
static void sigsum_witness(struct mlog_note_signer *s)
{
	char *hex = kv_get(SIGSUM, "witness_seed_hex");
	char *name = kv_get(SIGSUM, "witness_name");
	uint8_t seed[32];

	test_hex(seed, sizeof(seed), hex);
	cr_assert_eq(seed[0], 0x11);
	cr_assert_eq(mlog_note_signer_from_seed(s, name,
		MLOG_NOTE_TYPE_COSIG_V1, seed), MLOG_OK);
	free(hex);
	free(name);
}

/*
 * Struct-level sweep over the cosignature by v in the note msg: every
 * bit of the 72-byte blob (timestamp bits change the signed message), the
 * key ID, the length, an out-of-range timestamp and every text byte.
 */
static size_t sweep_cosig_note(const char *msg, size_t len,
	const struct mlog_note_verifier *v)
{
	struct mlog_note *n = NULL;
	struct mlog_note_sig *s = NULL;
	size_t probes = 0;
	uint8_t *orig, *longer;

	cr_assert_eq(mlog_note_parse(&n, msg, len, NULL), MLOG_OK);
	for (size_t i = 0; i < n->nsigs; i++) {
		if (n->sigs[i].key_id == v->key_id &&
		    strcmp(n->sigs[i].name, v->name) == 0)
			s = &n->sigs[i];
	}
	cr_assert_not_null(s);
	cr_assert_eq(s->sig_len, MLOG_COSIG_BYTES);
	cr_assert_eq(mlog_note_verify(n, v, 1, NULL, NULL), MLOG_OK);
	for (size_t i = 0; i < s->sig_len; i++) {
		for (int b = 0; b < 8; b++) {
			s->sig[i] ^= (uint8_t)(1u << b);
			cr_assert_eq(mlog_note_verify(n, v, 1, NULL, NULL),
				MLOG_ERR_VERIFY, "blob byte %zu bit %d", i, b);
			s->sig[i] ^= (uint8_t)(1u << b);
			probes++;
		}
	}
	for (int b = 0; b < 32; b++) {
		s->key_id ^= UINT32_C(1) << b;
		cr_assert_eq(mlog_note_verify(n, v, 1, NULL, NULL),
			MLOG_ERR_UNTRUSTED, "key ID bit %d", b);
		s->key_id ^= UINT32_C(1) << b;
		probes++;
	}
	for (size_t i = 0; i < n->text_len; i++) {
		n->text[i] ^= 0x04;
		cr_assert_eq(mlog_note_verify(n, v, 1, NULL, NULL),
			MLOG_ERR_VERIFY, "text byte %zu", i);
		n->text[i] ^= 0x04;
		probes++;
	}
	/* Timestamp above 2^63-1: the sign bit. Never verifies, no matter
	 * what signature follows. */
	s->sig[0] ^= 0x80;
	cr_assert_eq(mlog_note_verify(n, v, 1, NULL, NULL), MLOG_ERR_VERIFY);
	s->sig[0] ^= 0x80;
	/* 71 and 73 bytes; 64 bytes (a bare Ed25519 signature): not a
	 * cosignature/v1 line, so skipped and the note is untrusted. */
	s->sig_len = 71;
	cr_assert_eq(mlog_note_verify(n, v, 1, NULL, NULL),
		MLOG_ERR_UNTRUSTED);
	s->sig_len = 64;
	cr_assert_eq(mlog_note_verify(n, v, 1, NULL, NULL),
		MLOG_ERR_UNTRUSTED);
	orig = s->sig;
	longer = calloc(1, 73);
	memcpy(longer, orig, 72);
	s->sig = longer;
	s->sig_len = 73;
	cr_assert_eq(mlog_note_verify(n, v, 1, NULL, NULL),
		MLOG_ERR_UNTRUSTED);
	s->sig = orig;
	s->sig_len = 72;
	free(longer);
	s->lenient = 1;
	cr_assert_eq(mlog_note_verify(n, v, 1, NULL, NULL), MLOG_ERR_VERIFY);
	s->lenient = 0;
	cr_assert_eq(mlog_note_verify(n, v, 1, NULL, NULL), MLOG_OK);
	mlog_note_free(n);
	return probes + 5;
}

/* ---- known answers ------------------------------------------------------ */

/* sigsum-go: seed 11||0..., name example.org/witness, time 1234; the
 * signature line is reproduced byte for byte. */
Test(cosig, sigsum_known_answer)
{
	struct mlog_note_signer s;
	struct mlog_note_verifier v;
	struct mlog_cosig c;
	char *body, *want, *ts;
	char line[512];
	uint8_t raw[128], blob[MLOG_COSIG_BYTES];
	size_t body_len, raw_len;
	int n;

	TEST_REQUIRE_SHARED();
	sigsum_witness(&s);
	body = test_read_shared(VS "sigsum-go-cosigned.checkpoint-body",
		&body_len);
	want = kv_get(SIGSUM, "sigline_2_valid");
	ts = kv_get(SIGSUM, "timestamp");
	cr_assert_str_eq(ts, "1234");
	cr_assert_str_eq(body, "example.org/log\n10\n"
		"HA5HAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");

	n = mlog_note_sign_line(line, sizeof(line), body, body_len, &s, 1234);
	cr_assert_eq(n, (int)strlen(want) + 1);
	cr_assert_eq(line[n - 1], '\n');
	line[n - 1] = '\0';
	cr_assert_str_eq(line, want);

	/* The same through cosig.h directly. */
	raw_len = test_b64(raw, sizeof(raw), want + strlen(DASH
		"example.org/witness "));
	cr_assert_eq(raw_len, 4 + MLOG_COSIG_BYTES);
	cr_assert_eq(mlog_codec_be32_get(raw), s.key_id);
	cr_assert_eq(s.key_id, mlog_note_key_id("example.org/witness", 0x04,
		s.pub, 32));
	cr_assert_eq(mlog_cosig_sign(&c, body, body_len, 1234, s.sk), MLOG_OK);
	cr_assert_eq(c.timestamp, 1234);
	cr_assert_eq(mlog_cosig_encode(blob, &c), MLOG_OK);
	cr_assert_arr_eq(blob, raw + 4, MLOG_COSIG_BYTES);
	cr_assert_eq(mlog_cosig_verify(&c, body, body_len, s.pub), MLOG_OK);
	/* Decoding the published blob gives the same. */
	mlog_note_signer_verifier(&v, &s);
	{
		struct mlog_cosig d;

		cr_assert_eq(mlog_cosig_decode(&d, raw + 4, raw_len - 4,
			NULL), MLOG_OK);
		cr_assert_eq(d.timestamp, 1234);
		cr_assert_arr_eq(d.sig, c.sig, 64);
		cr_assert_eq(mlog_cosig_verify(&d, body, body_len, v.pub),
			MLOG_OK);
	}
	mlog_note_signer_clear(&s);
	free(body);
	free(want);
	free(ts);
}

Test(cosig, message_bytes)
{
	char head[MLOG_COSIG_HEADER_MAX + 1];
	uint8_t *msg = NULL;
	size_t len = 0;
	static const char text[] = "example.org/log\n10\nAAAA\n";
	static const char want[] = "cosignature/v1\ntime 1234\n"
		"example.org/log\n10\nAAAA\n";

	cr_assert_eq(mlog_cosig_message(&msg, &len, 1234, text,
		sizeof(text) - 1), MLOG_OK);
	cr_assert_eq(len, sizeof(want) - 1);
	cr_assert_arr_eq(msg, want, len);
	free(msg);

	cr_assert_eq(mlog_cosig_header(head, sizeof(head), 0), 22);
	cr_assert_str_eq(head, "cosignature/v1\ntime 0\n");
	cr_assert_eq(mlog_cosig_header(head, sizeof(head), 1679315147), 31);
	cr_assert_str_eq(head, "cosignature/v1\ntime 1679315147\n");
	cr_assert_eq(mlog_cosig_header(head, sizeof(head), TIME_MAX),
		MLOG_COSIG_HEADER_MAX);
	cr_assert_str_eq(head, "cosignature/v1\ntime 9223372036854775807\n");
	cr_assert_eq(mlog_cosig_header(head, sizeof(head), TIME_MAX + 1),
		MLOG_ERR_RANGE);
	cr_assert_eq(mlog_cosig_header(head, sizeof(head), UINT64_MAX),
		MLOG_ERR_RANGE);
	cr_assert_eq(mlog_cosig_header(head, 22, 0), MLOG_ERR_TOOBIG);
	cr_assert_eq(mlog_cosig_header(head, 23, 0), 22);
	cr_assert_eq(mlog_cosig_header(head, 0, 0), MLOG_ERR_TOOBIG);

	msg = (uint8_t *)head;
	len = 99;
	cr_assert_eq(mlog_cosig_message(&msg, &len, TIME_MAX + 1, text, 3),
		MLOG_ERR_RANGE);
	cr_assert_eq(msg, (uint8_t *)head);
	cr_assert_eq(len, 99);
	/* An empty text is just the header. */
	cr_assert_eq(mlog_cosig_message(&msg, &len, 7, "", 0), MLOG_OK);
	cr_assert_eq(len, 22);
	cr_assert_arr_eq(msg, "cosignature/v1\ntime 7\n", 22);
	free(msg);
}

/* Line 1 (other key ID) and line 3 (other name) are unknown keys and
 * ignored (rule 5). Line 4 has the witness's name and key ID but a 74-byte
 * blob: it *matches* the key, so rule 6 verifies it and rejects the note.
 * (sigsum-go skips such a line as unwanted; Go note.Open rejects it too
 * unless a good line for the same key came first.) */
Test(cosig, sigsum_lines_to_skip)
{
	struct mlog_note_signer s;
	struct mlog_note_verifier v, v01;
	struct mlog_note_check chk = { 0, 0 };
	char *body, *l[5], *m;
	size_t len;
	uint8_t raw[128];
	size_t raw_len;
	struct mlog_cosig d;

	TEST_REQUIRE_SHARED();
	sigsum_witness(&s);
	mlog_note_signer_verifier(&v, &s);
	mlog_note_signer_clear(&s);
	body = test_read_shared(VS "sigsum-go-cosigned.checkpoint-body",
		NULL);
	l[1] = kv_get(SIGSUM, "sigline_1_wrong_keyid");
	l[2] = kv_get(SIGSUM, "sigline_2_valid");
	l[3] = kv_get(SIGSUM, "sigline_3_other_name");
	l[4] = kv_get(SIGSUM, "sigline_4_bad_length");

	{
		const char *ls[] = { l[1], l[3] };

		m = join_note(&len, body, ls, 2);
		cr_assert_eq(parse_verify(m, len, &v, 1, NULL),
			MLOG_ERR_UNTRUSTED);
		free(m);
	}
	{
		const char *ls[] = { l[1], l[2], l[3] };

		m = join_note(&len, body, ls, 3);
		cr_assert_eq(parse_verify(m, len, &v, 1, &chk), MLOG_OK);
		cr_assert_eq(chk.verified, 1);
		cr_assert_eq(chk.timestamp, 1234);
		free(m);
	}
	{
		const char *ls[] = { l[2] };

		m = join_note(&len, body, ls, 1);
		cr_assert_eq(parse_verify(m, len, &v, 1, NULL), MLOG_OK);
		cr_assert_gt(sweep_cosig_note(m, len, &v), 600);
		/* The witness's 0x01-form key ID does not match a
		 * cosignature line; converted, it does. */
		v01 = v;
		v01.type = MLOG_NOTE_TYPE_ED25519;
		v01.key_id = mlog_note_key_id(v.name, 1, v.pub, 32);
		cr_assert_eq(parse_verify(m, len, &v01, 1, NULL),
			MLOG_ERR_UNTRUSTED);
		mlog_note_verifier_as_cosigner(&v01, &v01);
		cr_assert_eq(parse_verify(m, len, &v01, 1, NULL), MLOG_OK);
		free(m);
	}
	{
		/* Line 4 is not a cosignature/v1 (wrong blob length): it
		 * is skipped (note.h rule 5), so alone it is untrusted ... */
		const char *ls[] = { l[4] };

		m = join_note(&len, body, ls, 1);
		cr_assert_eq(parse_verify(m, len, &v, 1, NULL),
			MLOG_ERR_UNTRUSTED);
		free(m);
	}
	{
		/* ... and with all four lines, line 2 is selected and
		 * verifies, as the vector requires. */
		const char *ls[] = { l[1], l[2], l[3], l[4] };

		m = join_note(&len, body, ls, 4);
		cr_assert_eq(parse_verify(m, len, &v, 1, &chk), MLOG_OK);
		cr_assert_eq(chk.timestamp, 1234);
		free(m);
	}
	/* As blobs: line 2 decodes, line 4 does not. */
	raw_len = test_b64(raw, sizeof(raw), strrchr(l[2], ' ') + 1);
	cr_assert_eq(mlog_cosig_decode(&d, raw + 4, raw_len - 4, NULL), 0);
	cr_assert_eq(d.timestamp, 1234);
	raw_len = test_b64(raw, sizeof(raw), strrchr(l[4], ' ') + 1);
	cr_assert_neq(raw_len, 4 + MLOG_COSIG_BYTES);
	cr_assert_eq(mlog_cosig_decode(&d, raw + 4, raw_len - 4, NULL),
		MLOG_ERR_MALFORMED);
	for (int i = 1; i <= 4; i++)
		free(l[i]);
	free(body);
}

/* transparency-dev/formats: the blob's timestamp is 1727964367; a 68-byte
 * payload (bare Ed25519 signature) is not a cosignature. */
Test(cosig, formats_timestamp)
{
	char *text, *line, *save = NULL;
	int seen_ok = 0, seen_err = 0;

	TEST_REQUIRE_SHARED();
	text = test_read_shared(VS "formats-cosig-timestamp.txt",
		NULL);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		uint8_t raw[128];
		size_t raw_len;
		struct mlog_cosig d, orig;
		struct mlog_error e = { 0 };
		struct mlog_note_verifier v;
		char msg[300];
		int rc;

		if (line[0] == '#')
			continue;
		cr_assert_not_null(sp);
		*sp = '\0';
		raw_len = test_b64(raw, sizeof(raw), line);
		memset(&orig, 0x33, sizeof(orig));
		d = orig;
		rc = mlog_cosig_decode(&d, raw + 4, raw_len - 4, &e);
		/* The same payload as a note signature line, verified by a
		 * (random) type-0x04 key with its name and ID: the blob is
		 * decoded on the note path too. */
		memset(&v, 0, sizeof(v));
		strcpy(v.name, "w.example");
		v.type = MLOG_NOTE_TYPE_COSIG_V1;
		v.key_id = mlog_codec_be32_get(raw);
		randombytes_buf(v.pub, sizeof(v.pub));
		snprintf(msg, sizeof(msg), "o\n1\nAAAA\n\n" DASH "w.example "
			"%s\n", line);
		cr_assert_eq(parse_verify(msg, strlen(msg), &v, 1, NULL),
			raw_len - 4 == MLOG_COSIG_BYTES ? MLOG_ERR_VERIFY
							: MLOG_ERR_UNTRUSTED);
		if (strcmp(sp + 1, "ERROR") == 0) {
			cr_assert_eq(raw_len, 68);
			cr_assert_eq(rc, MLOG_ERR_MALFORMED);
			cr_assert_eq(e.code, MLOG_ERR_MALFORMED);
			cr_assert_eq(memcmp(&d, &orig, sizeof(d)), 0);
			seen_err++;
		} else {
			cr_assert_eq(rc, MLOG_OK, "%s", e.msg);
			cr_assert_eq(d.timestamp, strtoull(sp + 1, NULL, 10));
			cr_assert_eq(d.timestamp, 1727964367);
			cr_assert_arr_eq(d.sig, raw + 12, 64);
			seen_ok++;
		}
	}
	cr_assert_eq(seen_ok, 1);
	cr_assert_eq(seen_err, 1);
	free(text);
}

/* The omniwitness "witness" key is published in 0x01 form; as a cosigner
 * it signs with key ID recomputed for 0x04 and the monkeys log key plus
 * the converted witness key both verify. */
Test(cosig, monkeys_witness_cosigns)
{
	static const char *files[] = {
		VM "monkeys-5.checkpoint",
		VM "monkeys-8.checkpoint",
	};
	const char *manifest = VM "MANIFEST.txt";
	struct mlog_note_signer w01, w;
	struct mlog_note_verifier keys[2], w_as01;
	char *sk, *vk;

	TEST_REQUIRE_SHARED();
	sk = kv_get(manifest, "witness_skey");
	cr_assert_eq(mlog_note_signer_parse(&w01, sk, strlen(sk), NULL), 0);
	sodium_memzero(sk, strlen(sk));
	free(sk);
	cr_assert_eq(w01.type, MLOG_NOTE_TYPE_ED25519);
	cr_assert_eq(mlog_note_signer_from_seed(&w, w01.name,
		MLOG_NOTE_TYPE_COSIG_V1, w01.sk), MLOG_OK);
	mlog_note_signer_clear(&w01);
	vk = kv_get(manifest, "log_vkey");
	cr_assert_eq(mlog_note_verifier_parse(&keys[0], vk, strlen(vk), NULL),
		0);
	free(vk);
	vk = kv_get(manifest, "witness_vkey");
	cr_assert_eq(mlog_note_verifier_parse(&w_as01, vk, strlen(vk), NULL),
		0);
	free(vk);
	mlog_note_verifier_as_cosigner(&keys[1], &w_as01);
	cr_assert_eq(keys[1].key_id, w.key_id);
	cr_assert_arr_eq(keys[1].pub, w.pub, 32);

	for (size_t f = 0; f < 2; f++) {
		struct mlog_note_check chk[2];
		struct mlog_note *n;
		char *msg, *m, line[512];
		size_t len;
		uint64_t ts = 1700000000 + f;
		int ll;

		msg = test_read_shared(files[f], &len);
		cr_assert_eq(mlog_note_parse(&n, msg, len, NULL), 0);
		ll = mlog_note_sign_line(line, sizeof(line), n->text,
			n->text_len, &w, ts);
		cr_assert_gt(ll, 0);
		cr_assert_eq(strncmp(line, DASH "witness ", 12), 0);
		cr_assert_eq((size_t)ll, 4 + 8 + 104 + 1);
		mlog_note_free(n);
		m = malloc(len + (size_t)ll);
		memcpy(m, msg, len);
		memcpy(m + len, line, (size_t)ll);
		cr_assert_eq(parse_verify(m, len + (size_t)ll, keys, 2, chk),
			MLOG_OK);
		cr_assert_eq(chk[0].verified, 1);
		cr_assert_eq(chk[0].timestamp, 0);
		cr_assert_eq(chk[1].verified, 1);
		cr_assert_eq(chk[1].timestamp, ts);
		/* The unconverted 0x01 vkey matches no line. */
		cr_assert_eq(parse_verify(m, len + (size_t)ll, &w_as01, 1,
			NULL), MLOG_ERR_UNTRUSTED);
		/* The checkpoint without the cosignature: log only. */
		cr_assert_eq(parse_verify(msg, len, &keys[1], 1, NULL),
			MLOG_ERR_UNTRUSTED);
		cr_assert_gt(sweep_cosig_note(m, len + (size_t)ll, &keys[1]),
			600);
		free(m);
		free(msg);
	}
	mlog_note_signer_clear(&w);
}

/* ---- self-contained ----------------------------------------------------- */

Test(cosig, encode_decode)
{
	struct mlog_cosig c, d, orig;
	uint8_t blob[MLOG_COSIG_BYTES + 1], before[MLOG_COSIG_BYTES];
	static const uint64_t ts[] = { 0, 1, 1234, 1727964367, TIME_MAX };

	for (size_t i = 0; i < sizeof(ts) / sizeof(*ts); i++) {
		c.timestamp = ts[i];
		for (int k = 0; k < 64; k++)
			c.sig[k] = (uint8_t)(k * 7 + i);
		cr_assert_eq(mlog_cosig_encode(blob, &c), MLOG_OK);
		cr_assert_eq(mlog_codec_be64_get(blob), ts[i]);
		cr_assert_eq(mlog_cosig_decode(&d, blob, MLOG_COSIG_BYTES,
			NULL), MLOG_OK);
		cr_assert_eq(d.timestamp, c.timestamp);
		cr_assert_arr_eq(d.sig, c.sig, 64);
	}
	/* 1727964367 = 0x66fea4cf */
	c.timestamp = 1727964367;
	cr_assert_eq(mlog_cosig_encode(blob, &c), MLOG_OK);
	cr_assert_arr_eq(blob, "\x00\x00\x00\x00\x66\xfe\xa4\xcf", 8);

	memset(&orig, 0x44, sizeof(orig));
	for (size_t l = 0; l <= MLOG_COSIG_BYTES + 1; l++) {
		struct mlog_error e = { 0 };

		if (l == MLOG_COSIG_BYTES)
			continue;
		d = orig;
		cr_assert_eq(mlog_cosig_decode(&d, blob, l, &e),
			MLOG_ERR_MALFORMED, "length %zu", l);
		cr_assert_eq(memcmp(&d, &orig, sizeof(d)), 0);
		cr_assert_neq(e.msg[0], '\0');
	}
	/* Timestamps 2^63 and 2^64-1 are never encoded nor decoded. */
	memcpy(before, blob, sizeof(before));
	c.timestamp = TIME_MAX + 1;
	cr_assert_eq(mlog_cosig_encode(blob, &c), MLOG_ERR_RANGE);
	c.timestamp = UINT64_MAX;
	cr_assert_eq(mlog_cosig_encode(blob, &c), MLOG_ERR_RANGE);
	cr_assert_arr_eq(blob, before, sizeof(before));
	blob[0] = 0x80;
	d = orig;
	cr_assert_eq(mlog_cosig_decode(&d, blob, MLOG_COSIG_BYTES, NULL),
		MLOG_ERR_MALFORMED);
	cr_assert_eq(memcmp(&d, &orig, sizeof(d)), 0);
	blob[0] = 0x7f;
	cr_assert_eq(mlog_cosig_decode(&d, blob, MLOG_COSIG_BYTES, NULL),
		MLOG_OK);
}

Test(cosig, sign_verify_sweep)
{
	static const char text[] = "example.org/log\n10\n"
		"HA5HAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
	static const char ext[] = "example.org/log\n10\n"
		"HA5HAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\nextension\n";
	const size_t tl = sizeof(text) - 1, el = sizeof(ext) - 1;
	uint8_t pk[32], sk[64], pk2[32], sk2[64], seed[32];
	struct mlog_cosig c, e, orig;
	size_t probes = 0;

	memset(seed, 0x21, sizeof(seed));
	cr_assert_eq(crypto_sign_seed_keypair(pk, sk, seed), 0);
	seed[0] ^= 1;
	cr_assert_eq(crypto_sign_seed_keypair(pk2, sk2, seed), 0);
	cr_assert_eq(mlog_cosig_sign(&c, text, tl, 1679315147, sk), MLOG_OK);
	cr_assert_eq(c.timestamp, 1679315147);
	cr_assert_eq(mlog_cosig_verify(&c, text, tl, pk), MLOG_OK);
	cr_assert_eq(mlog_cosig_verify(&c, text, tl, pk2), MLOG_ERR_VERIFY);
	/* Deterministic. */
	cr_assert_eq(mlog_cosig_sign(&e, text, tl, 1679315147, sk), MLOG_OK);
	cr_assert_arr_eq(e.sig, c.sig, 64);

	for (int i = 0; i < 64; i++) {
		for (int b = 0; b < 8; b++) {
			c.sig[i] ^= (uint8_t)(1u << b);
			cr_assert_eq(mlog_cosig_verify(&c, text, tl, pk),
				MLOG_ERR_VERIFY);
			c.sig[i] ^= (uint8_t)(1u << b);
			probes++;
		}
	}
	for (int b = 0; b < 64; b++) {
		c.timestamp ^= UINT64_C(1) << b;
		cr_assert_eq(mlog_cosig_verify(&c, text, tl, pk),
			MLOG_ERR_VERIFY, "timestamp bit %d", b);
		c.timestamp ^= UINT64_C(1) << b;
		probes++;
	}
	for (size_t i = 0; i < tl; i++) {
		char t[sizeof(text)];

		memcpy(t, text, sizeof(text));
		t[i] ^= 0x01;
		cr_assert_eq(mlog_cosig_verify(&c, t, tl, pk), MLOG_ERR_VERIFY);
		probes++;
	}
	cr_assert_eq(mlog_cosig_verify(&c, text, tl - 1, pk), MLOG_ERR_VERIFY);
	cr_assert_eq(mlog_cosig_verify(&c, ext, el, pk), MLOG_ERR_VERIFY);
	/* Extension lines are signed (the spec; not litetlog 2025): a
	 * cosignature over the full text does not verify over its first
	 * three lines, nor the other way round. */
	cr_assert_eq(mlog_cosig_sign(&e, ext, el, 5, sk), MLOG_OK);
	cr_assert_eq(mlog_cosig_verify(&e, ext, el, pk), MLOG_OK);
	cr_assert_eq(mlog_cosig_verify(&e, text, tl, pk), MLOG_ERR_VERIFY);
	/* A message is header || text and nothing else: signing the whole
	 * message as plain Ed25519 gives the same signature. */
	{
		uint8_t *msg = NULL, sig[64];
		size_t ml = 0;

		cr_assert_eq(mlog_cosig_message(&msg, &ml, 5, ext, el), 0);
		cr_assert_eq(crypto_sign_detached(sig, NULL, msg, ml, sk), 0);
		cr_assert_arr_eq(sig, e.sig, 64);
		free(msg);
	}
	/* Out-of-range timestamps are neither signed nor verified. */
	memset(&orig, 0x55, sizeof(orig));
	e = orig;
	cr_assert_eq(mlog_cosig_sign(&e, text, tl, TIME_MAX + 1, sk),
		MLOG_ERR_RANGE);
	cr_assert_eq(memcmp(&e, &orig, sizeof(e)), 0);
	cr_assert_eq(mlog_cosig_sign(&e, text, tl, TIME_MAX, sk), MLOG_OK);
	cr_assert_eq(mlog_cosig_verify(&e, text, tl, pk), MLOG_OK);
	e.timestamp = TIME_MAX + 1;
	cr_assert_eq(mlog_cosig_verify(&e, text, tl, pk), MLOG_ERR_VERIFY);
	cr_assert_gt(probes, 600);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(sk2, sizeof(sk2));
}

/* Note-level round trip with a fixed-seed cosigner, and timestamp zero
 * and the maximum on the wire. */
Test(cosig, note_round_trip_edges)
{
	static const char text[] = "o.example\n3\n"
		"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n";
	static const uint64_t ts[] = { 0, 1, TIME_MAX };
	struct mlog_note_signer s;
	struct mlog_note_verifier v;
	uint8_t seed[32] = { 0x04 };

	cr_assert_eq(mlog_note_signer_from_seed(&s, "w.example",
		MLOG_NOTE_TYPE_COSIG_V1, seed), 0);
	mlog_note_signer_verifier(&v, &s);
	for (size_t i = 0; i < sizeof(ts) / sizeof(*ts); i++) {
		struct mlog_note_check chk = { 0, 0 };
		struct mlog_note *n;
		char *out = NULL;
		size_t len = 0;

		cr_assert_eq(mlog_note_sign(&out, &len, text, sizeof(text) - 1,
			&s, 1, ts[i], NULL), MLOG_OK);
		cr_assert_eq(mlog_note_parse(&n, out, len, NULL), 0);
		cr_assert_eq(n->sigs[0].sig_len, MLOG_COSIG_BYTES);
		cr_assert_eq(mlog_codec_be64_get(n->sigs[0].sig), ts[i]);
		cr_assert_eq(mlog_note_verify(n, &v, 1, &chk, NULL), 0);
		cr_assert_eq(chk.timestamp, ts[i]);
		mlog_note_free(n);
		free(out);
	}
	mlog_note_signer_clear(&s);
}
