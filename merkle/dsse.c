/*
 * dsse.c — DSSE envelope v1: parse, canonical form, PAE, keys, sign and
 * verify; see dsse.h for the format and its rules.
 *
 * JSON goes through jansson, base64 through codec.h (libsodium), keys and
 * signatures through OpenSSL 3 EVP. Every OpenSSL call that may fail on
 * input runs between ERR_set_mark() and ERR_pop_to_mark(), so that a
 * rejected key or signature leaves nothing in the caller's error queue.
 */
#include "dsse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <openssl/x509.h>

#include "codec.h"

struct mlog_dsse_key {
	EVP_PKEY *pkey;                         /* owned; never modified */
	int alg;                                /* enum mlog_dsse_alg */
	/* Ed25519 keys: the raw public key, verified through libsodium
	 * (about 2x faster here than OpenSSL 3's EVP path, which fetches
	 * the algorithm for every verification). */
	uint8_t ed25519_pub[32];
	int has_private;
	char keyid[MLOG_DSSE_KEYID_HEX + 1];    /* rule 10 */
};

/* ------------------------------------------------------------------ */
/* Field checks shared by parse, format and sign                       */
/* ------------------------------------------------------------------ */

/*
 * Copies up to cap-1 bytes of a JSON member name into out for a message,
 * replacing control characters so the message stays one printable line.
 */
static const char *printable(char *out, size_t cap, const char *s)
{
	size_t i;

	for (i = 0; i + 1 < cap && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[i] = '\0';
	return out;
}

/* Rule 4, plus what a hand-built envelope must also satisfy: valid UTF-8
 * and no NUL inside (strings are NUL-terminated in the struct). */
static int check_type(const char *t, size_t n, struct mlog_error *err)
{
	if (n == 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: payloadType: empty");
	if (n > MLOG_DSSE_TYPE_MAX)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: payloadType: %zu bytes, over %d", n,
			MLOG_DSSE_TYPE_MAX);
	if (memchr(t, '\0', n) != NULL || !mlog_codec_utf8_valid(t, n))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: payloadType: not a UTF-8 string");
	return MLOG_OK;
}

/* Rule 6 for a keyid of n bytes. */
static int check_keyid(const char *k, size_t n, size_t i,
	struct mlog_error *err)
{
	if (n > MLOG_DSSE_KEYID_MAX)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: signatures[%zu].keyid: %zu bytes, over %d", i, n,
			MLOG_DSSE_KEYID_MAX);
	if (memchr(k, '\0', n) != NULL || !mlog_codec_utf8_valid(k, n))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: signatures[%zu].keyid: not a UTF-8 string", i);
	return MLOG_OK;
}

/* ------------------------------------------------------------------ */
/* Parse                                                               */
/* ------------------------------------------------------------------ */

static int decode_payload(struct mlog_dsse_envelope *e, const json_t *v,
	struct mlog_error *err)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	size_t cap = n / 4 * 3;

	/* One spare byte keeps the payload NUL-terminated (dsse.h). */
	e->payload = calloc(1, cap + 1);
	if (e->payload == NULL)
		return MLOG_ERR_NOMEM;
	if (mlog_codec_base64_decode(e->payload, cap, &e->payload_len, s,
		n) != MLOG_OK)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: payload: not strict standard base64");
	e->payload[e->payload_len] = 0;
	return MLOG_OK;
}

static int decode_sig(struct mlog_dsse_sig *out, const json_t *o, size_t i,
	struct mlog_error *err)
{
	const char *name;
	const json_t *v, *sig, *keyid;
	uint8_t buf[MLOG_DSSE_SIG_MAX];
	char shown[48];
	size_t n = 0;
	int rc;

	if (!json_is_object(o))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: signatures[%zu]: want an object", i);
	json_object_foreach((json_t *)o, name, v) {
		if (strcmp(name, "sig") != 0 && strcmp(name, "keyid") != 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"dsse: signatures[%zu].%s: unknown member", i,
				printable(shown, sizeof(shown), name));
	}
	sig = json_object_get(o, "sig");
	if (sig == NULL)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: signatures[%zu].sig: missing", i);
	if (!json_is_string(sig))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: signatures[%zu].sig: want a string", i);
	rc = mlog_codec_base64_decode(buf, sizeof(buf), &n,
		json_string_value(sig), json_string_length(sig));
	if (rc == MLOG_ERR_TOOBIG)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: signatures[%zu].sig: over %d bytes", i,
			MLOG_DSSE_SIG_MAX);
	if (rc != MLOG_OK)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: signatures[%zu].sig: not strict standard base64",
			i);
	if (n == 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: signatures[%zu].sig: empty", i);
	keyid = json_object_get(o, "keyid");
	if (keyid != NULL && !json_is_string(keyid))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: signatures[%zu].keyid: want a string", i);
	if (keyid != NULL) {
		rc = check_keyid(json_string_value(keyid),
			json_string_length(keyid), i, err);
		if (rc != MLOG_OK)
			return rc;
	}
	out->sig = malloc(n);
	out->keyid = strdup(keyid != NULL ? json_string_value(keyid) : "");
	if (out->sig == NULL || out->keyid == NULL)
		return MLOG_ERR_NOMEM;
	memcpy(out->sig, buf, n);
	out->sig_len = n;
	return MLOG_OK;
}

static int decode_envelope(struct mlog_dsse_envelope *e, const json_t *root,
	struct mlog_error *err)
{
	const char *name;
	const json_t *v, *type, *payload, *sigs;
	char shown[48];
	size_t i, n;
	int rc;

	/* Rule 3: no member beyond the three we write back. */
	json_object_foreach((json_t *)root, name, v) {
		if (strcmp(name, "payload") != 0 &&
		    strcmp(name, "payloadType") != 0 &&
		    strcmp(name, "signatures") != 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"dsse: %s: unknown member",
				printable(shown, sizeof(shown), name));
	}

	type = json_object_get(root, "payloadType");
	if (type == NULL)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: payloadType: missing");
	if (!json_is_string(type))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: payloadType: want a string");
	rc = check_type(json_string_value(type), json_string_length(type),
		err);
	if (rc != MLOG_OK)
		return rc;
	e->payload_type = strdup(json_string_value(type));
	if (e->payload_type == NULL)
		return MLOG_ERR_NOMEM;

	payload = json_object_get(root, "payload");
	if (payload == NULL)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: payload: missing");
	if (!json_is_string(payload))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: payload: want a string");
	rc = decode_payload(e, payload, err);
	if (rc != MLOG_OK)
		return rc;

	sigs = json_object_get(root, "signatures");
	if (sigs == NULL)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: signatures: missing");
	if (!json_is_array(sigs))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: signatures: want an array");
	n = json_array_size(sigs);
	if (n == 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: signatures: empty");
	if (n > MLOG_DSSE_MAX_SIGS)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: signatures: %zu entries, over %d", n,
			MLOG_DSSE_MAX_SIGS);
	e->sigs = calloc(n, sizeof(*e->sigs));
	if (e->sigs == NULL)
		return MLOG_ERR_NOMEM;
	e->nsigs = n;
	for (i = 0; i < n; i++) {
		rc = decode_sig(&e->sigs[i], json_array_get(sigs, i), i, err);
		if (rc != MLOG_OK)
			return rc;
	}
	return MLOG_OK;
}

int mlog_dsse_parse(struct mlog_dsse_envelope **out, const char *json,
	size_t len, struct mlog_error *err)
{
	struct mlog_dsse_envelope *e;
	json_error_t jerr;
	json_t *root;
	int rc;

	/* Rule 1, before any work. */
	if (len > MLOG_DSSE_MAX_BYTES)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"dsse: envelope: %zu bytes, over %d", len,
			MLOG_DSSE_MAX_BYTES);
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		if (json_error_code(&jerr) == json_error_out_of_memory)
			return MLOG_ERR_NOMEM;
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: envelope: not a JSON object: %s (byte %d)",
			jerr.text, jerr.position);
	}
	if (!json_is_object(root)) {
		json_decref(root);
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: envelope: want a JSON object");
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		json_decref(root);
		return MLOG_ERR_NOMEM;
	}
	rc = decode_envelope(e, root, err);
	json_decref(root);
	if (rc != MLOG_OK) {
		mlog_dsse_free(e);
		return rc;
	}
	*out = e;
	return MLOG_OK;
}

void mlog_dsse_free(struct mlog_dsse_envelope *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->nsigs; i++) {
		free(e->sigs[i].keyid);
		free(e->sigs[i].sig);
	}
	free(e->sigs);
	free(e->payload);
	free(e->payload_type);
	free(e);
}

/* ------------------------------------------------------------------ */
/* Canonical form                                                      */
/* ------------------------------------------------------------------ */

/* The rules a hand-built envelope must meet to have a canonical form. */
static int check_envelope(const struct mlog_dsse_envelope *e,
	struct mlog_error *err)
{
	int rc;

	if (e->payload_type == NULL)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: payloadType: missing");
	rc = check_type(e->payload_type, strlen(e->payload_type), err);
	if (rc != MLOG_OK)
		return rc;
	if (e->payload == NULL && e->payload_len != 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: payload: missing");
	if (e->payload_len > MLOG_DSSE_MAX_BYTES)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"dsse: payload: %zu bytes, over %d", e->payload_len,
			MLOG_DSSE_MAX_BYTES);
	if (e->nsigs == 0 || e->sigs == NULL)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: signatures: empty");
	if (e->nsigs > MLOG_DSSE_MAX_SIGS)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse: signatures: %zu entries, over %d", e->nsigs,
			MLOG_DSSE_MAX_SIGS);
	for (size_t i = 0; i < e->nsigs; i++) {
		const struct mlog_dsse_sig *s = &e->sigs[i];

		if (s->sig == NULL || s->sig_len == 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"dsse: signatures[%zu].sig: empty", i);
		if (s->sig_len > MLOG_DSSE_SIG_MAX)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"dsse: signatures[%zu].sig: over %d bytes", i,
				MLOG_DSSE_SIG_MAX);
		if (s->keyid == NULL)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"dsse: signatures[%zu].keyid: missing", i);
		rc = check_keyid(s->keyid, strlen(s->keyid), i, err);
		if (rc != MLOG_OK)
			return rc;
	}
	return MLOG_OK;
}

/* A new JSON string holding base64(p[0..n)), or NULL (out of memory). */
static json_t *b64_string(const uint8_t *p, size_t n)
{
	size_t cap = MLOG_CODEC_B64_LEN(n) + 1;
	char *s = malloc(cap);
	json_t *v = NULL;
	int len;

	if (s == NULL)
		return NULL;
	len = mlog_codec_base64_encode(s, cap, p, n);
	if (len >= 0)
		v = json_stringn(s, (size_t)len);
	free(s);
	return v;
}

/* Builds the JSON tree of rule 7; NULL when memory runs out. */
static json_t *envelope_json(const struct mlog_dsse_envelope *e)
{
	json_t *root = json_object();
	json_t *sigs = json_array();
	int bad = root == NULL || sigs == NULL;

	if (!bad) {
		bad |= json_object_set_new(root, "payload",
			b64_string(e->payload, e->payload_len)) != 0;
		bad |= json_object_set_new(root, "payloadType",
			json_string(e->payload_type)) != 0;
	}
	for (size_t i = 0; !bad && i < e->nsigs; i++) {
		json_t *o = json_object();

		bad |= o == NULL;
		if (!bad) {
			bad |= json_object_set_new(o, "keyid",
				json_string(e->sigs[i].keyid)) != 0;
			bad |= json_object_set_new(o, "sig", b64_string(
				e->sigs[i].sig, e->sigs[i].sig_len)) != 0;
		}
		bad |= json_array_append_new(sigs, o) != 0;
	}
	if (bad) {
		json_decref(sigs);
		json_decref(root);
		return NULL;
	}
	if (json_object_set_new(root, "signatures", sigs) != 0) {
		json_decref(root);
		return NULL;
	}
	return root;
}

int mlog_dsse_format(char **out, size_t *out_len,
	const struct mlog_dsse_envelope *e, struct mlog_error *err)
{
	json_t *root;
	char *s;
	size_t n;
	int rc;

	rc = check_envelope(e, err);
	if (rc != MLOG_OK)
		return rc;
	root = envelope_json(e);
	if (root == NULL)
		return MLOG_ERR_NOMEM;
	s = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	if (s == NULL)
		return MLOG_ERR_NOMEM;
	n = strlen(s);
	if (n > MLOG_DSSE_MAX_BYTES) {
		free(s);
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"dsse: canonical envelope: %zu bytes, over %d", n,
			MLOG_DSSE_MAX_BYTES);
	}
	*out = s;
	*out_len = n;
	return MLOG_OK;
}

/* ------------------------------------------------------------------ */
/* PAE                                                                 */
/* ------------------------------------------------------------------ */

int mlog_dsse_pae(uint8_t **out, size_t *out_len, const char *type,
	size_t type_len, const uint8_t *body, size_t body_len)
{
	/* "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body */
	char tl[24], bl[24];
	int tn = snprintf(tl, sizeof(tl), "%zu", type_len);
	int bn = snprintf(bl, sizeof(bl), "%zu", body_len);
	size_t fixed = 6 + 1 + (size_t)tn + 1 + 1 + (size_t)bn + 1;
	uint8_t *p, *q;

	if (type_len > SIZE_MAX - fixed ||
	    body_len > SIZE_MAX - fixed - type_len)
		return MLOG_ERR_NOMEM;
	p = malloc(fixed + type_len + body_len + 1);
	if (p == NULL)
		return MLOG_ERR_NOMEM;
	q = p;
	memcpy(q, "DSSEv1 ", 7);
	q += 7;
	memcpy(q, tl, (size_t)tn);
	q += tn;
	*q++ = ' ';
	if (type_len > 0)
		memcpy(q, type, type_len);
	q += type_len;
	*q++ = ' ';
	memcpy(q, bl, (size_t)bn);
	q += bn;
	*q++ = ' ';
	if (body_len > 0)
		memcpy(q, body, body_len);
	q += body_len;
	*q = 0;
	*out = p;
	*out_len = (size_t)(q - p);
	return MLOG_OK;
}

/* ------------------------------------------------------------------ */
/* Keys                                                                */
/* ------------------------------------------------------------------ */

/* Rule 9: the algorithm of pkey, or MLOG_ERR_MALFORMED naming its type. */
static int classify(const EVP_PKEY *pkey, struct mlog_error *err)
{
	char group[64];
	size_t glen = 0;
	int explicit_params = 0;
	const char *name;

	if (EVP_PKEY_is_a(pkey, "ED25519"))
		return MLOG_DSSE_ALG_ED25519;
	if (!EVP_PKEY_is_a(pkey, "EC")) {
		name = EVP_PKEY_get0_type_name(pkey);
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse key: %s keys are not supported (want Ed25519 or "
			"ECDSA P-256)", name != NULL ? name : "unknown");
	}
	if (EVP_PKEY_get_int_param(pkey,
		OSSL_PKEY_PARAM_EC_DECODED_FROM_EXPLICIT_PARAMS,
		&explicit_params) == 1 && explicit_params != 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse key: explicit EC parameters are not supported "
			"(want the named curve P-256)");
	if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen) != 1)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse key: EC key without a named curve (want P-256)");
	if (strcmp(group, SN_X9_62_prime256v1) != 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse key: EC curve %s is not supported (want P-256)",
			group);
	return MLOG_DSSE_ALG_ECDSA_P256;
}

/* Rule 10: keyid = hex SHA-256(i2d_PUBKEY(pkey)). */
static int compute_keyid(char out[MLOG_DSSE_KEYID_HEX + 1],
	EVP_PKEY *pkey)
{
	unsigned char *der = NULL;
	unsigned char md[32];
	unsigned int mdlen = 0;
	int n = i2d_PUBKEY(pkey, &der);
	int ok;

	if (n <= 0)
		return MLOG_ERR_INTERNAL;
	ok = EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL);
	OPENSSL_free(der);
	if (ok != 1 || mdlen != sizeof(md))
		return MLOG_ERR_INTERNAL;
	mlog_codec_hex_encode(out, md, sizeof(md));
	return MLOG_OK;
}

/* Wraps pkey (taking ownership, also on failure) into a new key. */
static int key_wrap(struct mlog_dsse_key **out, EVP_PKEY *pkey,
	int has_private, struct mlog_error *err)
{
	struct mlog_dsse_key *k;
	int alg, rc;

	alg = classify(pkey, err);
	if (alg < 0) {
		EVP_PKEY_free(pkey);
		return alg;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		EVP_PKEY_free(pkey);
		return MLOG_ERR_NOMEM;
	}
	k->pkey = pkey;
	k->alg = alg;
	k->has_private = has_private;
	if (alg == MLOG_DSSE_ALG_ED25519) {
		size_t publen = sizeof(k->ed25519_pub);

		if (EVP_PKEY_get_raw_public_key(pkey, k->ed25519_pub,
			&publen) != 1 || publen != sizeof(k->ed25519_pub)) {
			mlog_dsse_key_free(k);
			return mlog_error_set(err, MLOG_ERR_INTERNAL, "dsse "
				"key: cannot read the Ed25519 public key");
		}
	}
	rc = compute_keyid(k->keyid, pkey);
	if (rc != MLOG_OK) {
		mlog_dsse_key_free(k);
		return mlog_error_set(err, rc, "dsse key: cannot encode the "
			"public key");
	}
	*out = k;
	return MLOG_OK;
}

/* Never prompt for a passphrase: encrypted keys fail to load. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int key_load(struct mlog_dsse_key **out, const char *pem, size_t len,
	int want_private, struct mlog_error *err)
{
	const char *what = want_private ? "private" : "public";
	EVP_PKEY *pkey;
	BIO *bio;

	if (len > MLOG_DSSE_PEM_MAX)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"dsse key: %zu bytes, over %d", len, MLOG_DSSE_PEM_MAX);
	if (len == 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"dsse key: empty %s key file", what);
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		return MLOG_ERR_NOMEM;
	ERR_set_mark();
	if (want_private)
		pkey = PEM_read_bio_PrivateKey_ex(bio, NULL, no_passphrase,
			NULL, NULL, NULL);
	else
		pkey = PEM_read_bio_PUBKEY_ex(bio, NULL, NULL, NULL, NULL,
			NULL);
	ERR_pop_to_mark();
	BIO_free(bio);
	if (pkey == NULL)
		return mlog_error_set(err, MLOG_ERR_MALFORMED, want_private ?
			"dsse key: no unencrypted PEM private key found" :
			"dsse key: no PEM PUBLIC KEY (SubjectPublicKeyInfo) "
			"found");
	return key_wrap(out, pkey, want_private, err);
}

int mlog_dsse_key_parse_public(struct mlog_dsse_key **out, const char *pem,
	size_t len, struct mlog_error *err)
{
	return key_load(out, pem, len, 0, err);
}

int mlog_dsse_key_parse_private(struct mlog_dsse_key **out,
	const char *pem, size_t len, struct mlog_error *err)
{
	return key_load(out, pem, len, 1, err);
}

int mlog_dsse_key_generate(struct mlog_dsse_key **out, int alg,
	struct mlog_error *err)
{
	EVP_PKEY *pkey;

	ERR_set_mark();
	if (alg == MLOG_DSSE_ALG_ED25519)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else if (alg == MLOG_DSSE_ALG_ECDSA_P256)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else {
		ERR_pop_to_mark();
		return mlog_error_set(err, MLOG_ERR_RANGE,
			"dsse key: unknown algorithm %d", alg);
	}
	ERR_pop_to_mark();
	if (pkey == NULL)
		return mlog_error_set(err, MLOG_ERR_INTERNAL,
			"dsse key: key generation failed");
	return key_wrap(out, pkey, 1, err);
}

void mlog_dsse_key_free(struct mlog_dsse_key *k)
{
	if (k == NULL)
		return;
	/* EVP_PKEY_free clears private key material (OPENSSL_clear_free
	 * for Ed25519, BN_clear_free for EC). */
	EVP_PKEY_free(k->pkey);
	free(k);
}

const char *mlog_dsse_key_id(const struct mlog_dsse_key *k)
{
	return k->keyid;
}

int mlog_dsse_key_alg(const struct mlog_dsse_key *k)
{
	return k->alg;
}

int mlog_dsse_key_has_private(const struct mlog_dsse_key *k)
{
	return k->has_private;
}

/* Copies the memory BIO's contents into out[0..cap) with a NUL. */
static int bio_take(char *out, size_t cap, BIO *bio)
{
	char *data = NULL;
	long n = BIO_get_mem_data(bio, &data);

	if (n <= 0 || data == NULL)
		return MLOG_ERR_INTERNAL;
	if ((size_t)n + 1 > cap)
		return MLOG_ERR_TOOBIG;
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	return (int)n;
}

int mlog_dsse_key_format_public(char *out, size_t cap,
	const struct mlog_dsse_key *k)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int rc;

	if (bio == NULL)
		return MLOG_ERR_NOMEM;
	ERR_set_mark();
	rc = PEM_write_bio_PUBKEY(bio, k->pkey) == 1 ?
		bio_take(out, cap, bio) : MLOG_ERR_INTERNAL;
	ERR_pop_to_mark();
	BIO_free(bio);
	return rc;
}

int mlog_dsse_key_format_private(char *out, size_t cap,
	const struct mlog_dsse_key *k)
{
	BIO *bio;
	int rc;

	if (!k->has_private)
		return MLOG_ERR_RANGE;
	/* A secure-memory BIO is cleared when freed, so the only copy of
	 * the PEM that outlives this call is the caller's. */
	bio = BIO_new(BIO_s_secmem());
	if (bio == NULL)
		return MLOG_ERR_NOMEM;
	ERR_set_mark();
	rc = PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL,
		NULL) == 1 ? bio_take(out, cap, bio) : MLOG_ERR_INTERNAL;
	ERR_pop_to_mark();
	BIO_free(bio);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Signatures                                                          */
/* ------------------------------------------------------------------ */

/* The digest rule 11 pairs with each algorithm; NULL = pure Ed25519. */
static const char *alg_md(int alg)
{
	return alg == MLOG_DSSE_ALG_ECDSA_P256 ? "SHA256" : NULL;
}

/* Signs msg with k into sig[0..cap). */
static int sign_msg(uint8_t *sig, size_t cap, size_t *sig_len,
	const uint8_t *msg, size_t msg_len, const struct mlog_dsse_key *k)
{
	uint8_t tmp[MLOG_DSSE_SIG_MAX];
	size_t n = sizeof(tmp);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = MLOG_ERR_INTERNAL;

	if (ctx == NULL)
		return MLOG_ERR_NOMEM;
	ERR_set_mark();
	if (EVP_DigestSignInit_ex(ctx, NULL, alg_md(k->alg), NULL, NULL,
		k->pkey, NULL) == 1 &&
	    EVP_DigestSign(ctx, tmp, &n, msg, msg_len) == 1)
		rc = MLOG_OK;
	ERR_pop_to_mark();
	EVP_MD_CTX_free(ctx);
	if (rc != MLOG_OK)
		return rc;
	if (n > cap)
		return MLOG_ERR_TOOBIG;
	memcpy(sig, tmp, n);
	*sig_len = n;
	return MLOG_OK;
}

/* Verifies sig over msg under k: 0, MLOG_ERR_VERIFY or a resource error. */
static int verify_msg(const uint8_t *msg, size_t msg_len,
	const uint8_t *sig, size_t sig_len, const struct mlog_dsse_key *k)
{
	EVP_MD_CTX *ctx;
	int rc;

	if (k->alg == MLOG_DSSE_ALG_ED25519)
		return sig_len == crypto_sign_BYTES &&
			crypto_sign_verify_detached(sig, msg, msg_len,
				k->ed25519_pub) == 0 ? MLOG_OK : MLOG_ERR_VERIFY;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL)
		return MLOG_ERR_NOMEM;
	ERR_set_mark();
	if (EVP_DigestVerifyInit_ex(ctx, NULL, alg_md(k->alg), NULL, NULL,
		k->pkey, NULL) != 1)
		rc = MLOG_ERR_INTERNAL;
	else if (EVP_DigestVerify(ctx, sig, sig_len, msg, msg_len) == 1)
		rc = MLOG_OK;
	else
		rc = MLOG_ERR_VERIFY;
	ERR_pop_to_mark();
	EVP_MD_CTX_free(ctx);
	return rc;
}

int mlog_dsse_sign_one(uint8_t *sig, size_t sig_cap, size_t *sig_len,
	const char *type, size_t type_len, const uint8_t *body,
	size_t body_len, const struct mlog_dsse_key *k, struct mlog_error *err)
{
	uint8_t *pae;
	size_t pae_len;
	int rc;

	if (!k->has_private)
		return mlog_error_set(err, MLOG_ERR_RANGE,
			"dsse: key %s is a public key; signing needs the "
			"private key", k->keyid);
	rc = mlog_dsse_pae(&pae, &pae_len, type, type_len, body, body_len);
	if (rc != MLOG_OK)
		return rc;
	rc = sign_msg(sig, sig_cap, sig_len, pae, pae_len, k);
	free(pae);
	if (rc == MLOG_ERR_INTERNAL)
		return mlog_error_set(err, rc, "dsse: signing with key %s "
			"failed", k->keyid);
	return rc;
}

int mlog_dsse_verify_one(const char *type, size_t type_len,
	const uint8_t *body, size_t body_len, const uint8_t *sig,
	size_t sig_len, const struct mlog_dsse_key *k)
{
	uint8_t *pae;
	size_t pae_len;
	int rc;

	rc = mlog_dsse_pae(&pae, &pae_len, type, type_len, body, body_len);
	if (rc != MLOG_OK)
		return rc;
	rc = verify_msg(pae, pae_len, sig, sig_len, k);
	free(pae);
	return rc;
}

int mlog_dsse_sign(struct mlog_dsse_envelope **out, const char *type,
	const uint8_t *body, size_t body_len,
	const struct mlog_dsse_key *const *keys, size_t nkeys,
	struct mlog_error *err)
{
	struct mlog_dsse_envelope *e;
	uint8_t *pae = NULL;
	size_t pae_len, i;
	int rc;

	rc = check_type(type, strlen(type), err);
	if (rc != MLOG_OK)
		return rc;
	if (body_len > MLOG_DSSE_MAX_BYTES)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"dsse: payload: %zu bytes, over %d", body_len,
			MLOG_DSSE_MAX_BYTES);
	if (nkeys == 0 || nkeys > MLOG_DSSE_MAX_SIGS)
		return mlog_error_set(err, MLOG_ERR_RANGE,
			"dsse: %zu signing keys, want 1..%d", nkeys,
			MLOG_DSSE_MAX_SIGS);
	for (i = 0; i < nkeys; i++) {
		if (!keys[i]->has_private)
			return mlog_error_set(err, MLOG_ERR_RANGE,
				"dsse: key %s is a public key; signing needs "
				"the private key", keys[i]->keyid);
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return MLOG_ERR_NOMEM;
	rc = MLOG_ERR_NOMEM;
	e->payload_type = strdup(type);
	e->payload = malloc(body_len + 1);
	e->sigs = calloc(nkeys, sizeof(*e->sigs));
	if (e->payload_type == NULL || e->payload == NULL || e->sigs == NULL)
		goto fail;
	if (body_len > 0)
		memcpy(e->payload, body, body_len);
	e->payload[body_len] = 0;
	e->payload_len = body_len;
	e->nsigs = nkeys;
	rc = mlog_dsse_pae(&pae, &pae_len, type, strlen(type), body,
		body_len);
	if (rc != MLOG_OK)
		goto fail;
	for (i = 0; i < nkeys; i++) {
		uint8_t sig[MLOG_DSSE_SIG_MAX];
		size_t n = 0;

		rc = sign_msg(sig, sizeof(sig), &n, pae, pae_len, keys[i]);
		if (rc != MLOG_OK) {
			mlog_error_set(err, rc, "dsse: signing with key %s "
				"failed", keys[i]->keyid);
			goto fail;
		}
		rc = MLOG_ERR_NOMEM;
		e->sigs[i].sig = malloc(n);
		e->sigs[i].keyid = strdup(keys[i]->keyid);
		if (e->sigs[i].sig == NULL || e->sigs[i].keyid == NULL)
			goto fail;
		memcpy(e->sigs[i].sig, sig, n);
		e->sigs[i].sig_len = n;
	}
	free(pae);
	*out = e;
	return MLOG_OK;
fail:
	free(pae);
	mlog_dsse_free(e);
	return rc;
}

int mlog_dsse_verify(const struct mlog_dsse_envelope *e,
	const struct mlog_dsse_key *const *keys, size_t nkeys,
	struct mlog_dsse_check *checks, struct mlog_error *err)
{
	struct mlog_dsse_check *res;
	uint8_t *pae;
	size_t pae_len, nverified = 0;
	int rc;

	res = calloc(nkeys > 0 ? nkeys : 1, sizeof(*res));
	if (res == NULL)
		return MLOG_ERR_NOMEM;
	rc = mlog_dsse_pae(&pae, &pae_len, e->payload_type,
		strlen(e->payload_type), e->payload, e->payload_len);
	if (rc != MLOG_OK) {
		free(res);
		return rc;
	}
	for (size_t s = 0; s < e->nsigs; s++) {
		const struct mlog_dsse_sig *sig = &e->sigs[s];
		int named = 0;

		/* Rule 12: a keyid naming a configured key narrows the
		 * search to that key; otherwise every key is tried. */
		for (size_t k = 0; k < nkeys; k++)
			named |= strcmp(sig->keyid, keys[k]->keyid) == 0;
		for (size_t k = 0; k < nkeys; k++) {
			if (named && strcmp(sig->keyid, keys[k]->keyid) != 0)
				continue;
			if (res[k].verified)
				continue;
			rc = verify_msg(pae, pae_len, sig->sig, sig->sig_len,
				keys[k]);
			if (rc == MLOG_OK) {
				res[k].verified = 1;
				res[k].sig = s;
				nverified++;
			} else if (rc != MLOG_ERR_VERIFY) {
				free(pae);
				free(res);
				return rc;
			}
		}
	}
	free(pae);
	if (checks != NULL && nkeys > 0)
		memcpy(checks, res, nkeys * sizeof(*res));
	free(res);
	if (nverified == 0)
		return mlog_error_set(err, MLOG_ERR_VERIFY,
			"dsse: no signature verifies under any of the %zu "
			"configured keys", nkeys);
	return MLOG_OK;
}
