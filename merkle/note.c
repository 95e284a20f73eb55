/*
 * note.c — C2SP signed-note v1.0.0; see note.h for the wire format and the
 * numbered rules this file enforces.
 *
 * Parsing follows golang.org/x/mod/sumdb/note Open step by step (size cap,
 * UTF-8 and control characters, last "\n\n", at most 100 lines, "— " name
 * " " base64 per line), decoding into a fresh note that is only handed to
 * the caller once every line has parsed. Verification is stricter than Go
 * in one place (C2SP-NOTES §1, rule 2 and §9 point 4): Go skips a repeated
 * line for a known key before verifying it, we verify every matching line.
 */
#include "note.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "cosig.h"

/* "— ": U+2014 EM DASH in UTF-8, then a space. */
#define SIG_PREFIX "\xe2\x80\x94 "
#define SIG_PREFIX_LEN 4

/* Bytes of a key: type byte || 32-byte Ed25519 public key or seed. */
#define KEY_BYTES (1 + MLOG_NOTE_PUBKEY_BYTES)

/* Longest signature line we write: prefix, name, space, base64 of key ID
 * and cosignature blob, newline (without the NUL). */
#define SIGN_LINE_MAX (SIG_PREFIX_LEN + MLOG_NOTE_NAME_MAX + 1 + \
	MLOG_CODEC_B64_LEN(4 + MLOG_NOTE_COSIG_BYTES) + 1)

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* ---- names and text ----------------------------------------------------- */

/* Go's unicode.IsSpace: the Unicode White_Space property (C2SP-NOTES §1). */
static int is_unicode_space(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 ||
	       cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
	       cp == 0x205f || cp == 0x3000;
}

/* Decodes the code point at s[*i] and advances *i. Requires s to be valid
 * UTF-8 (mlog_codec_utf8_valid), so no bounds or shape checks here. */
static uint32_t utf8_next(const unsigned char *s, size_t *i)
{
	unsigned c = s[*i];
	uint32_t cp;
	size_t n;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if (c < 0xe0) {
		n = 1;
		cp = c & 0x1f;
	} else if (c < 0xf0) {
		n = 2;
		cp = c & 0x0f;
	} else {
		n = 3;
		cp = c & 0x07;
	}
	for (size_t k = 1; k <= n; k++)
		cp = cp << 6 | (s[*i + k] & 0x3f);
	*i += n + 1;
	return cp;
}

int mlog_note_name_valid(const char *name, size_t len)
{
	const unsigned char *p = (const unsigned char *)name;

	if (name == NULL || len == 0 || len > MLOG_NOTE_NAME_MAX)
		return 0;
	if (!mlog_codec_utf8_valid(name, len))
		return 0;
	for (size_t i = 0; i < len;) {
		uint32_t cp = utf8_next(p, &i);

		/* Control characters are not Unicode spaces, but a name
		 * holding one could never appear in a note (rule 1), and a
		 * NUL would cut our C string short: refuse them too. */
		if (cp < 0x20 || cp == '+' || is_unicode_space(cp))
			return 0;
	}
	return 1;
}

/* Rule (1) without the size cap: valid UTF-8, no byte below 0x20 but '\n'.
 * Bytes below 0x20 are ASCII and never part of a multi-byte sequence, so
 * a byte scan is the same as Go's rune scan. */
static int bytes_valid(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 && s[i] != '\n')
			return 0;
	}
	return mlog_codec_utf8_valid(s, len);
}

/* Valid note text: non-empty, ends in '\n', rule (1). */
static int text_valid(const char *text, size_t len)
{
	return text != NULL && len > 0 && len <= MLOG_NOTE_MAX_BYTES &&
	       text[len - 1] == '\n' && bytes_valid(text, len);
}

static int type_valid(uint8_t type)
{
	return type == MLOG_NOTE_TYPE_ED25519 ||
	       type == MLOG_NOTE_TYPE_COSIG_V1;
}

/* Length of a NUL-terminated name stored in a NAME_MAX+1 array, or
 * NAME_MAX+1 if it is not terminated (then invalid). */
static size_t name_len(const char *name)
{
	return strnlen(name, MLOG_NOTE_NAME_MAX + 1);
}

/* ---- key IDs and keys --------------------------------------------------- */

uint32_t mlog_note_key_id(const char *name, uint8_t type,
	const uint8_t *pub, size_t pub_len)
{
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];
	const uint8_t nl = '\n';

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
	crypto_hash_sha256_update(&st, &nl, 1);
	crypto_hash_sha256_update(&st, &type, 1);
	crypto_hash_sha256_update(&st, pub, pub_len);
	crypto_hash_sha256_final(&st, h);
	return mlog_codec_be32_get(h);
}

/*
 * Splits "<name>+<8 hex>+<base64>" (the vkey body; an skey after its
 * "PRIVATE+KEY+" prefix), checking the name and decoding the ID and the
 * 33-byte key. On success fills name (NUL-terminated), *id and key.
 */
static int split_key(char name[MLOG_NOTE_NAME_MAX + 1], uint32_t *id,
	uint8_t key[KEY_BYTES], const char *s, size_t len, const char *what,
	struct mlog_error *err)
{
	const char *p1, *p2, *b64;
	uint8_t idb[4];
	size_t nlen, hex_len, b64_len, klen = 0;

	p1 = memchr(s, '+', len);
	if (p1 == NULL)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"%s: no '+' after the key name", what);
	nlen = (size_t)(p1 - s);
	p2 = memchr(p1 + 1, '+', len - nlen - 1);
	if (p2 == NULL)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"%s: no '+' after the key ID", what);
	if (!mlog_note_name_valid(s, nlen))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"%s: invalid key name", what);
	hex_len = (size_t)(p2 - p1 - 1);
	if (mlog_codec_hex_decode(idb, sizeof(idb), p1 + 1, hex_len) != 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"%s: key ID is not 8 lowercase hex digits", what);
	b64 = p2 + 1;
	b64_len = len - (size_t)(b64 - s);
	{
		/* Room for a longer key, so that a wrong length is told
		 * apart from bad base64 in the message. */
		uint8_t buf[2 * KEY_BYTES];
		int rc = mlog_codec_base64_decode(buf, sizeof(buf), &klen,
			b64, b64_len);

		if (rc == MLOG_ERR_TOOBIG || (rc == MLOG_OK &&
		    klen != KEY_BYTES)) {
			sodium_memzero(buf, sizeof(buf));
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"%s: key is not %d bytes", what, KEY_BYTES);
		}
		if (rc != MLOG_OK)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"%s: key is not valid base64", what);
		memcpy(key, buf, KEY_BYTES);
		sodium_memzero(buf, sizeof(buf));
	}
	if (!type_valid(key[0])) {
		sodium_memzero(key, KEY_BYTES);
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"%s: unknown key type 0x%02x", what, key[0]);
	}
	memcpy(name, s, nlen);
	name[nlen] = '\0';
	*id = mlog_codec_be32_get(idb);
	return MLOG_OK;
}

int mlog_note_verifier_parse(struct mlog_note_verifier *out,
	const char *vkey, size_t len, struct mlog_error *err)
{
	struct mlog_note_verifier v;
	uint8_t key[KEY_BYTES];
	int rc;

	if (vkey == NULL || len > MLOG_NOTE_VKEY_MAX)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"vkey: longer than %d bytes", MLOG_NOTE_VKEY_MAX);
	memset(&v, 0, sizeof(v));
	rc = split_key(v.name, &v.key_id, key, vkey, len, "vkey", err);
	if (rc != MLOG_OK)
		return rc;
	v.type = key[0];
	memcpy(v.pub, key + 1, MLOG_NOTE_PUBKEY_BYTES);
	if (mlog_note_key_id(v.name, v.type, v.pub, sizeof(v.pub)) !=
	    v.key_id)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"vkey: key ID %08" PRIx32 " does not match the key",
			v.key_id);
	*out = v;
	return MLOG_OK;
}

/* "<name>+<id>+base64(type || key)" into out; shared by both formats. */
static int format_key(char *out, size_t cap, const char *prefix,
	const char *name, uint32_t id, uint8_t type, const uint8_t *key32)
{
	uint8_t key[KEY_BYTES];
	char b64[MLOG_CODEC_B64_LEN(KEY_BYTES) + 1];
	size_t nlen = name_len(name);
	int n;

	if (!mlog_note_name_valid(name, nlen) || !type_valid(type))
		return MLOG_ERR_MALFORMED;
	key[0] = type;
	memcpy(key + 1, key32, MLOG_NOTE_PUBKEY_BYTES);
	n = mlog_codec_base64_encode(b64, sizeof(b64), key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	if (n < 0)
		return MLOG_ERR_INTERNAL;
	n = snprintf(out, cap, "%s%s+%08" PRIx32 "+%s", prefix, name, id,
		b64);
	sodium_memzero(b64, sizeof(b64));
	if (n < 0 || (size_t)n >= cap) {
		if (cap > 0)
			sodium_memzero(out, cap);
		return MLOG_ERR_TOOBIG;
	}
	return n;
}

int mlog_note_verifier_format(char *out, size_t cap,
	const struct mlog_note_verifier *v)
{
	return format_key(out, cap, "", v->name, v->key_id, v->type, v->pub);
}

void mlog_note_verifier_as_cosigner(struct mlog_note_verifier *out,
	const struct mlog_note_verifier *v)
{
	struct mlog_note_verifier c = *v;

	c.type = MLOG_NOTE_TYPE_COSIG_V1;
	c.key_id = mlog_note_key_id(c.name, c.type, c.pub, sizeof(c.pub));
	*out = c;
}

/* Fills *s from a 32-byte seed; name must already be valid. */
static void signer_fill(struct mlog_note_signer *s, const char *name,
	size_t nlen, uint8_t type, const uint8_t seed[32])
{
	memset(s, 0, sizeof(*s));
	memcpy(s->name, name, nlen);
	s->name[nlen] = '\0';
	s->type = type;
	/* Cannot fail: libsodium derives the key pair from any seed. */
	(void)crypto_sign_seed_keypair(s->pub, s->sk, seed);
	s->key_id = mlog_note_key_id(s->name, type, s->pub, sizeof(s->pub));
}

int mlog_note_signer_parse(struct mlog_note_signer *out,
	const char *skey, size_t len, struct mlog_error *err)
{
	static const char prefix[] = "PRIVATE+KEY+";
	const size_t plen = sizeof(prefix) - 1;
	struct mlog_note_signer s;
	char name[MLOG_NOTE_NAME_MAX + 1];
	uint8_t key[KEY_BYTES];
	uint32_t id;
	int rc;

	if (skey == NULL || len > MLOG_NOTE_SKEY_MAX)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"skey: longer than %d bytes", MLOG_NOTE_SKEY_MAX);
	if (len < plen || memcmp(skey, prefix, plen) != 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"skey: does not start with PRIVATE+KEY+");
	rc = split_key(name, &id, key, skey + plen, len - plen, "skey", err);
	if (rc != MLOG_OK)
		return rc;
	signer_fill(&s, name, strlen(name), key[0], key + 1);
	sodium_memzero(key, sizeof(key));
	if (s.key_id != id) {
		sodium_memzero(&s, sizeof(s));
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"skey: key ID %08" PRIx32 " does not match the key",
			id);
	}
	*out = s;
	sodium_memzero(&s, sizeof(s));
	return MLOG_OK;
}

int mlog_note_signer_format(char *out, size_t cap,
	const struct mlog_note_signer *s)
{
	/* The skey holds the seed, libsodium's first 32 secret-key bytes. */
	return format_key(out, cap, "PRIVATE+KEY+", s->name, s->key_id,
		s->type, s->sk);
}

int mlog_note_signer_from_seed(struct mlog_note_signer *out,
	const char *name, uint8_t type, const uint8_t seed[32])
{
	size_t nlen;

	if (name == NULL)
		return MLOG_ERR_MALFORMED;
	nlen = name_len(name);
	if (!mlog_note_name_valid(name, nlen) || !type_valid(type))
		return MLOG_ERR_MALFORMED;
	signer_fill(out, name, nlen, type, seed);
	return MLOG_OK;
}

int mlog_note_signer_generate(struct mlog_note_signer *out,
	const char *name, uint8_t type)
{
	uint8_t seed[32];
	int rc;

	randombytes_buf(seed, sizeof(seed));
	rc = mlog_note_signer_from_seed(out, name, type, seed);
	sodium_memzero(seed, sizeof(seed));
	return rc;
}

void mlog_note_signer_verifier(struct mlog_note_verifier *out,
	const struct mlog_note_signer *s)
{
	struct mlog_note_verifier v;

	memset(&v, 0, sizeof(v));
	memcpy(v.name, s->name, sizeof(v.name));
	v.key_id = s->key_id;
	v.type = s->type;
	memcpy(v.pub, s->pub, sizeof(v.pub));
	*out = v;
}

void mlog_note_signer_clear(struct mlog_note_signer *s)
{
	sodium_memzero(s, sizeof(*s));
}

/* ---- parsing ------------------------------------------------------------ */

void mlog_note_free(struct mlog_note *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->nsigs; i++) {
		free(n->sigs[i].name);
		free(n->sigs[i].sig);
	}
	free(n->sigs);
	free(n->text);
	free(n);
}

/* Parses one signature line (without its '\n') into *s: rules (3), (4). */
static int parse_sig_line(struct mlog_note_sig *s, const char *line,
	size_t len, struct mlog_error *err)
{
	const char *name, *sp, *b64;
	size_t nlen, b64_len, cap, dec_len = 0;
	uint8_t *buf;
	int rc, lenient = 0;

	if (len < SIG_PREFIX_LEN || memcmp(line, SIG_PREFIX,
	    SIG_PREFIX_LEN) != 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"does not start with \"\xe2\x80\x94 \"");
	name = line + SIG_PREFIX_LEN;
	sp = memchr(name, ' ', len - SIG_PREFIX_LEN);
	if (sp == NULL)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"no space after the key name");
	nlen = (size_t)(sp - name);
	if (!mlog_note_name_valid(name, nlen))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"invalid key name");
	b64 = sp + 1;
	b64_len = len - (size_t)(b64 - line);
	if (b64_len == 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"empty signature");
	cap = b64_len / 4 * 3 + 3;
	buf = malloc(cap);
	if (buf == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	rc = mlog_codec_base64_decode(buf, cap, &dec_len, b64, b64_len);
	if (rc == MLOG_ERR_MALFORMED) {
		/* Rule (4): decode non-zero pad bits as Go does, and flag
		 * the signature so that it can never verify. */
		rc = mlog_codec_base64_decode_lenient(buf, cap, &dec_len,
			b64, b64_len);
		lenient = 1;
	}
	if (rc != MLOG_OK) {
		free(buf);
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"signature is not valid base64");
	}
	if (dec_len < 5) {
		free(buf);
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"signature is %zu bytes, under 5", dec_len);
	}
	s->name = malloc(nlen + 1);
	if (s->name == NULL) {
		free(buf);
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	}
	memcpy(s->name, name, nlen);
	s->name[nlen] = '\0';
	s->key_id = mlog_codec_be32_get(buf);
	/* Keep the buffer for the signature: move it over the key ID. */
	memmove(buf, buf + 4, dec_len - 4);
	s->sig = buf;
	s->sig_len = dec_len - 4;
	s->lenient = lenient;
	return MLOG_OK;
}

/* Index of the first byte of the last "\n\n" in msg, or -1. */
static long last_blank_line(const char *msg, size_t len)
{
	for (size_t i = len; i >= 2; i--) {
		if (msg[i - 2] == '\n' && msg[i - 1] == '\n')
			return (long)(i - 2);
	}
	return -1;
}

int mlog_note_parse(struct mlog_note **out, const char *msg, size_t len,
	struct mlog_error *err)
{
	struct mlog_note *n;
	const char *sigs, *line;
	size_t text_len, sigs_len, nlines = 0;
	long split;
	int rc;

	/* Rule (1): the cap comes before any work. */
	if (len > MLOG_NOTE_MAX_BYTES)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"note: %zu bytes, over the %d-byte cap", len,
			MLOG_NOTE_MAX_BYTES);
	if (msg == NULL && len > 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED, "note: NULL");
	if (!bytes_valid(msg, len))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"note: invalid UTF-8 or a control character");
	/* Rule (2). */
	split = last_blank_line(msg, len);
	if (split < 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"note: no blank line before the signatures");
	text_len = (size_t)split + 1;
	sigs = msg + split + 2;
	sigs_len = len - (size_t)split - 2;
	if (sigs_len == 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"note: no signature lines");
	if (sigs[sigs_len - 1] != '\n')
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"note: last signature line does not end in a newline");
	for (size_t i = 0; i < sigs_len; i++)
		nlines += sigs[i] == '\n';
	if (nlines > MLOG_NOTE_MAX_SIGS)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"note: %zu signature lines, over %d", nlines,
			MLOG_NOTE_MAX_SIGS);

	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	n->text = malloc(text_len + 1);
	n->sigs = calloc(nlines, sizeof(*n->sigs));
	if (n->text == NULL || n->sigs == NULL) {
		mlog_note_free(n);
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	}
	memcpy(n->text, msg, text_len);
	n->text[text_len] = '\0';
	n->text_len = text_len;

	line = sigs;
	for (size_t k = 0; k < nlines; k++) {
		/* Each line ends in '\n': the block's last byte is one. */
		const char *nl = memchr(line, '\n',
			sigs_len - (size_t)(line - sigs));

		rc = parse_sig_line(&n->sigs[k], line, (size_t)(nl - line),
			err);
		if (rc != MLOG_OK) {
			mlog_note_free(n);
			return mlog_error_wrap(err, rc,
				"note: signature line %zu", k + 1);
		}
		n->nsigs++;
		line = nl + 1;
	}
	*out = n;
	return MLOG_OK;
}

/* ---- formatting and signing --------------------------------------------- */

/*
 * Writes "— name base64(id || sig)\n" at out (which has room, computed by
 * the caller with line_len) and returns the bytes written. A lenient
 * signature gets a non-zero pad bit back, so that it re-parses lenient.
 */
static size_t put_line(char *out, const char *name, size_t nlen,
	const uint8_t *blob, size_t blob_len, int lenient)
{
	size_t b64_len = MLOG_CODEC_B64_LEN(blob_len), pos = 0;

	memcpy(out, SIG_PREFIX, SIG_PREFIX_LEN);
	pos += SIG_PREFIX_LEN;
	memcpy(out + pos, name, nlen);
	pos += nlen;
	out[pos++] = ' ';
	/* The caller sized out for this, including the NUL. */
	(void)mlog_codec_base64_encode(out + pos, b64_len + 1, blob,
		blob_len);
	if (lenient) {
		size_t pad = (3 - blob_len % 3) % 3;
		char *c = out + pos + b64_len - pad - 1;
		const char *p = strchr(b64_alphabet, *c);

		/* pad > 0 is checked by the callers. */
		*c = b64_alphabet[(p - b64_alphabet) | 1];
	}
	pos += b64_len;
	out[pos++] = '\n';
	return pos;
}

static size_t line_len(size_t nlen, size_t blob_len)
{
	return SIG_PREFIX_LEN + nlen + 1 + MLOG_CODEC_B64_LEN(blob_len) + 1;
}

int mlog_note_format(char **out, size_t *out_len, const struct mlog_note *n)
{
	size_t total, max_blob = 0, pos;
	uint8_t *blob;
	char *buf;

	if (!text_valid(n->text, n->text_len))
		return MLOG_ERR_MALFORMED;
	if (n->nsigs == 0 || n->nsigs > MLOG_NOTE_MAX_SIGS)
		return MLOG_ERR_MALFORMED;
	total = n->text_len + 1;
	for (size_t i = 0; i < n->nsigs; i++) {
		const struct mlog_note_sig *s = &n->sigs[i];
		size_t nlen;

		if (s->name == NULL || s->sig == NULL || s->sig_len == 0 ||
		    s->sig_len > MLOG_NOTE_MAX_BYTES)
			return MLOG_ERR_MALFORMED;
		nlen = strnlen(s->name, MLOG_NOTE_NAME_MAX + 1);
		if (!mlog_note_name_valid(s->name, nlen))
			return MLOG_ERR_MALFORMED;
		/* A lenient signature needs padding to carry its bit. */
		if (s->lenient && (4 + s->sig_len) % 3 == 0)
			return MLOG_ERR_MALFORMED;
		total += line_len(nlen, 4 + s->sig_len);
		if (total > MLOG_NOTE_MAX_BYTES)
			return MLOG_ERR_TOOBIG;
		if (4 + s->sig_len > max_blob)
			max_blob = 4 + s->sig_len;
	}
	buf = malloc(total + 1);
	blob = malloc(max_blob);
	if (buf == NULL || blob == NULL) {
		free(buf);
		free(blob);
		return MLOG_ERR_NOMEM;
	}
	memcpy(buf, n->text, n->text_len);
	pos = n->text_len;
	buf[pos++] = '\n';
	for (size_t i = 0; i < n->nsigs; i++) {
		const struct mlog_note_sig *s = &n->sigs[i];

		mlog_codec_be32_put(blob, s->key_id);
		memcpy(blob + 4, s->sig, s->sig_len);
		pos += put_line(buf + pos, s->name, strlen(s->name), blob,
			4 + s->sig_len, s->lenient);
	}
	free(blob);
	buf[pos] = '\0';
	*out = buf;
	*out_len = pos;
	return MLOG_OK;
}

int mlog_note_sign_line(char *out, size_t cap, const char *text,
	size_t text_len, const struct mlog_note_signer *s, uint64_t timestamp)
{
	uint8_t blob[4 + MLOG_NOTE_COSIG_BYTES];
	size_t nlen = name_len(s->name), blob_len, need;
	int rc;

	if (text_len > MLOG_NOTE_MAX_BYTES)
		return MLOG_ERR_TOOBIG;
	if (!text_valid(text, text_len) ||
	    !mlog_note_name_valid(s->name, nlen) || !type_valid(s->type))
		return MLOG_ERR_MALFORMED;
	/* A signer whose parts disagree would write lines nobody can
	 * verify; catch hand-edited structs (e.g. type changed without
	 * the key ID) here rather than in the field. */
	if (memcmp(s->pub, s->sk + 32, MLOG_NOTE_PUBKEY_BYTES) != 0 ||
	    mlog_note_key_id(s->name, s->type, s->pub, sizeof(s->pub)) !=
	    s->key_id)
		return MLOG_ERR_MALFORMED;
	if (s->type == MLOG_NOTE_TYPE_COSIG_V1) {
		if (timestamp > MLOG_COSIG_TIME_MAX)
			return MLOG_ERR_RANGE;
		blob_len = 4 + MLOG_NOTE_COSIG_BYTES;
	} else {
		blob_len = 4 + MLOG_NOTE_SIG_BYTES;
	}
	need = line_len(nlen, blob_len);
	if (cap < need + 1)
		return MLOG_ERR_TOOBIG;
	mlog_codec_be32_put(blob, s->key_id);
	if (s->type == MLOG_NOTE_TYPE_COSIG_V1) {
		struct mlog_cosig c;

		rc = mlog_cosig_sign(&c, text, text_len, timestamp, s->sk);
		if (rc != MLOG_OK)
			return rc;
		rc = mlog_cosig_encode(blob + 4, &c);
		if (rc != MLOG_OK)
			return rc;
	} else if (crypto_sign_detached(blob + 4, NULL,
	    (const uint8_t *)text, text_len, s->sk) != 0) {
		return MLOG_ERR_INTERNAL;
	}
	put_line(out, s->name, nlen, blob, blob_len, 0);
	out[need] = '\0';
	return (int)need;
}

int mlog_note_sign(char **out, size_t *out_len, const char *text,
	size_t text_len, const struct mlog_note_signer *signers,
	size_t nsigners, uint64_t timestamp, struct mlog_error *err)
{
	size_t cap, pos;
	char *buf;

	if (text_len > MLOG_NOTE_MAX_BYTES)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"note: text is %zu bytes, over the %d-byte cap",
			text_len, MLOG_NOTE_MAX_BYTES);
	if (!text_valid(text, text_len))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"note: text is empty, lacks a final newline, or has "
			"invalid UTF-8 or a control character");
	if (nsigners == 0 || nsigners > MLOG_NOTE_MAX_SIGS)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"note: %zu signers, want 1..%d", nsigners,
			MLOG_NOTE_MAX_SIGS);
	cap = text_len + 1 + nsigners * SIGN_LINE_MAX + 1;
	buf = malloc(cap);
	if (buf == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	memcpy(buf, text, text_len);
	pos = text_len;
	buf[pos++] = '\n';
	for (size_t i = 0; i < nsigners; i++) {
		int n = mlog_note_sign_line(buf + pos, cap - pos, text,
			text_len, &signers[i], timestamp);

		if (n < 0) {
			int shown = (int)strnlen(signers[i].name,
				MLOG_NOTE_NAME_MAX);

			free(buf);
			return mlog_error_set(err, n,
				"note: signer %zu (%.*s): %s", i + 1, shown,
				signers[i].name, mlog_err_name(n));
		}
		pos += (size_t)n;
	}
	if (pos > MLOG_NOTE_MAX_BYTES) {
		free(buf);
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"note: signed note is %zu bytes, over the %d-byte cap",
			pos, MLOG_NOTE_MAX_BYTES);
	}
	*out = buf;
	*out_len = pos;
	return MLOG_OK;
}

/* ---- verification ------------------------------------------------------- */

/* Rule (5): a signature belongs to a key iff name and key ID both match. */
/* Rule (5): same (name, key ID); for cosignature/v1 keys also the 72-byte
 * blob, since a line of another length is not a cosignature/v1 at all. */
static int sig_matches(const struct mlog_note_sig *s,
	const struct mlog_note_verifier *k)
{
	if (k->type == MLOG_NOTE_TYPE_COSIG_V1 &&
	    s->sig_len != MLOG_NOTE_COSIG_BYTES)
		return 0;
	return s->key_id == k->key_id &&
	       strncmp(s->name, k->name, sizeof(k->name)) == 0;
}

/* Verifies one signature with the key it matched. */
static int verify_sig(const struct mlog_note *n, const struct mlog_note_sig *s,
	const struct mlog_note_verifier *k)
{
	struct mlog_cosig c;

	/* Rule (4): a signature Go would decode differently never counts. */
	if (s->lenient)
		return MLOG_ERR_VERIFY;
	switch (k->type) {
	case MLOG_NOTE_TYPE_ED25519:
		if (s->sig_len != MLOG_NOTE_SIG_BYTES)
			return MLOG_ERR_VERIFY;
		if (crypto_sign_verify_detached(s->sig,
		    (const uint8_t *)n->text, n->text_len, k->pub) != 0)
			return MLOG_ERR_VERIFY;
		return MLOG_OK;
	case MLOG_NOTE_TYPE_COSIG_V1:
		if (mlog_cosig_decode(&c, s->sig, s->sig_len, NULL) != 0)
			return MLOG_ERR_VERIFY;
		return mlog_cosig_verify(&c, n->text, n->text_len, k->pub);
	default:
		return MLOG_ERR_VERIFY;
	}
}

int mlog_note_verify(const struct mlog_note *n,
	const struct mlog_note_verifier *keys, size_t nkeys,
	struct mlog_note_check *checks, struct mlog_error *err)
{
	int matched = 0;

	/* Pass 1, rules (5)-(6): every matching signature must verify. */
	for (size_t i = 0; i < n->nsigs; i++) {
		for (size_t k = 0; k < nkeys; k++) {
			int rc;

			if (!sig_matches(&n->sigs[i], &keys[k]))
				continue;
			rc = verify_sig(n, &n->sigs[i], &keys[k]);
			if (rc == MLOG_ERR_NOMEM)
				return mlog_error_set(err, rc,
					"out of memory");
			if (rc != MLOG_OK)
				return mlog_error_set(err, MLOG_ERR_VERIFY,
					"note: signature line %zu by %s "
					"(%08" PRIx32 ") does not verify",
					i + 1, n->sigs[i].name,
					n->sigs[i].key_id);
			matched = 1;
		}
	}
	/* Rule (7). */
	if (!matched)
		return mlog_error_set(err, MLOG_ERR_UNTRUSTED,
			"note: no signature from a known key");
	/* Pass 2, only on success so that checks is untouched on failure:
	 * every match verified, so matching alone says which keys signed.
	 * The timestamp is the first matching cosignature's. */
	if (checks == NULL)
		return MLOG_OK;
	for (size_t k = 0; k < nkeys; k++) {
		checks[k].verified = 0;
		checks[k].timestamp = 0;
		for (size_t i = 0; i < n->nsigs; i++) {
			if (!sig_matches(&n->sigs[i], &keys[k]))
				continue;
			checks[k].verified = 1;
			if (keys[k].type == MLOG_NOTE_TYPE_COSIG_V1)
				checks[k].timestamp = mlog_codec_be64_get(
					n->sigs[i].sig);
			break;
		}
	}
	return MLOG_OK;
}
