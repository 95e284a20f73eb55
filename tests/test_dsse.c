/*
 * test_dsse.c — DSSE envelopes, PAE, keys, signing and verification
 * (merkle/dsse.c).
 *
 * Known answers come from the DSSE protocol.md test vector (PAE, envelope,
 * ECDSA P-256 key given as X/Y, raw r||s signature) and from the RFC 8032
 * test 1 Ed25519 key, whose PAE signature and keyid were computed with the
 * openssl CLI (`openssl pkeyutl -sign -rawin`, `openssl pkey -pubout
 * -outform DER | sha256sum`). Every other key is generated here through
 * OpenSSL, and OpenSSL's own EVP calls cross-check our signatures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "codec.h"
#include "dsse.h"
#include "support.h"

static void init(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(dsse, .init = init);

/* ------------------------------------------------------------------ */
/* Known answers                                                       */
/* ------------------------------------------------------------------ */

#define SPEC_TYPE "http://example.com/HelloWorld"
#define SPEC_BODY "hello world"
#define SPEC_PAE "DSSEv1 29 http://example.com/HelloWorld 11 hello world"
#define SPEC_RAW_SIG "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajab" \
	"ZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="
/* protocol.md "Result", byte for byte (spaces and newlines included). */
static const char spec_envelope[] =
	"{\"payload\": \"aGVsbG8gd29ybGQ=\",\n"
	" \"payloadType\": \"http://example.com/HelloWorld\",\n"
	" \"signatures\": [{\"sig\": \"" SPEC_RAW_SIG "\"}]}\n";
static const char spec_canonical[] =
	"{\"payload\":\"aGVsbG8gd29ybGQ=\","
	"\"payloadType\":\"http://example.com/HelloWorld\","
	"\"signatures\":[{\"keyid\":\"\",\"sig\":\"" SPEC_RAW_SIG "\"}]}";
/* protocol.md key, as decimal affine coordinates. */
static const char spec_x[] = "46950820868899156662930047687818585632848591"
	"499744589407958293238635476079160";
static const char spec_y[] = "56400783565643791630990758770095651298825148"
	"86557779369047442380624545832820";
/* sha256 of its DER SubjectPublicKeyInfo (uncompressed point). */
static const char spec_keyid[] =
	"f793580060562d6ff075d814ea698c282fcc779b0cde64d79ffc6301df00d14b";

/* RFC 8032 §7.1 test 1 secret key as PKCS#8. */
static const char rfc8032_priv[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
	"-----END PRIVATE KEY-----\n";
static const char rfc8032_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
	"-----END PUBLIC KEY-----\n";
static const char rfc8032_keyid[] =
	"06e3fd8fda29bb60ab59557de61edb0aecdb231134be30e75b455f8e1b792fa9";
/* openssl pkeyutl -sign -rawin over SPEC_PAE with that key. */
static const char rfc8032_spec_sig[] = "4DHX3Zn4qpBKvEj7maE8O9u9bjXEnPLLnyXV"
	"UJ2PXJR8DSLcL3QDpFvfJOj3pB/SPHsl6Jg4boxsMb6KvuYABw==";

/* A P-256 key with a compressed point; openssl pkey keeps the form, so
 * its keyid differs from the uncompressed encoding of the same key. */
static const char compressed_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgACltVLbZqRvPAbYZg+Fox1GVsGZ/PJ\n"
	"4hpFPii8748trng=\n"
	"-----END PUBLIC KEY-----\n";
static const char compressed_keyid[] =
	"09f1d6d6adb3121235f8d487ce45c591bc350ccc1d18adc367aa57f833666553";

/* P-256 written with explicit curve parameters (openssl ecparam
 * -param_enc explicit): refused. */
static const char explicit_pub[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIIBSzCCAQMGByqGSM49AgEwgfcCAQEwLAYHKoZIzj0BAQIhAP////8AAAABAAAA\n"
	"AAAAAAAAAAAA////////////////MFsEIP////8AAAABAAAAAAAAAAAAAAAA////\n"
	"///////////8BCBaxjXYqjqT57PrvVV2mIa8ZR0GsMxTsPY7zjw+J9JgSwMVAMSd\n"
	"NgiG5wSTamZ44ROdJreBn36QBEEEaxfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5\n"
	"RdiYwpZP40Li/hp/m47n60p8D54WK84zV2sxXs7LtkBoN79R9QIhAP////8AAAAA\n"
	"//////////+85vqtpxeehPO5ysL8YyVRAgEBA0IABDKTv6tR+Q6oshGCJQ90xcGn\n"
	"rqajQMoOklAHPjrssGzhBXXRG4eaRZ4nyq0EpQNXP1NbohC2dKLubhAGAd5+K1s=\n"
	"-----END PUBLIC KEY-----\n";

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static EVP_PKEY *gen_pkey(int alg)
{
	EVP_PKEY *p = alg == MLOG_DSSE_ALG_ED25519 ?
		EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") :
		EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	cr_assert_not_null(p);
	return p;
}

/* PEM text of pkey's public (or private, PKCS#8) key; caller frees. */
static char *pem_of(EVP_PKEY *pkey, int private_key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *out;
	long n;

	cr_assert_not_null(bio);
	if (private_key)
		cr_assert_eq(PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0,
			NULL, NULL), 1);
	else
		cr_assert_eq(PEM_write_bio_PUBKEY(bio, pkey), 1);
	n = BIO_get_mem_data(bio, &data);
	cr_assert_gt(n, 0);
	out = strndup(data, (size_t)n);
	cr_assert_not_null(out);
	BIO_free(bio);
	return out;
}

/* Hex SHA-256 of i2d_PUBKEY(pkey), computed here through OpenSSL. */
static void openssl_keyid(char out[65], EVP_PKEY *pkey)
{
	unsigned char *der = NULL, md[32];
	unsigned int mdlen = 0;
	int n = i2d_PUBKEY(pkey, &der);

	cr_assert_gt(n, 0);
	cr_assert_eq(EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(),
		NULL), 1);
	OPENSSL_free(der);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static struct mlog_dsse_key *load_key(const char *pem, int private_key)
{
	struct mlog_dsse_key *k = NULL;
	struct mlog_error err = { 0 };
	int rc = private_key ?
		mlog_dsse_key_parse_private(&k, pem, strlen(pem), &err) :
		mlog_dsse_key_parse_public(&k, pem, strlen(pem), &err);

	cr_assert_eq(rc, MLOG_OK, "key load: %s", err.msg);
	cr_assert_not_null(k);
	return k;
}

/* A public-only key object for pkey, through PEM and our parser. */
static struct mlog_dsse_key *pub_key(EVP_PKEY *pkey)
{
	char *pem = pem_of(pkey, 0);
	struct mlog_dsse_key *k = load_key(pem, 0);

	free(pem);
	return k;
}

static struct mlog_dsse_key *priv_key(EVP_PKEY *pkey)
{
	char *pem = pem_of(pkey, 1);
	struct mlog_dsse_key *k = load_key(pem, 1);

	sodium_memzero(pem, strlen(pem));
	free(pem);
	return k;
}

static struct mlog_dsse_envelope *parse_ok(const char *json, size_t len)
{
	struct mlog_dsse_envelope *e = NULL;
	struct mlog_error err = { 0 };

	cr_assert_eq(mlog_dsse_parse(&e, json, len, &err), MLOG_OK,
		"parse: %s (input %.*s)", err.msg, (int)(len > 200 ? 200 : len),
		json);
	cr_assert_not_null(e);
	return e;
}

static char *canon(const struct mlog_dsse_envelope *e, size_t *len)
{
	struct mlog_error err = { 0 };
	char *out = NULL;
	size_t n = 0;

	cr_assert_eq(mlog_dsse_format(&out, &n, e, &err), MLOG_OK, "format: %s",
		err.msg);
	cr_assert_eq(strlen(out), n);
	if (len != NULL)
		*len = n;
	return out;
}

/* The spec's P-256 key, built from X and Y through OpenSSL. */
static EVP_PKEY *spec_pkey(void)
{
	BIGNUM *x = NULL, *y = NULL;
	unsigned char point[65];
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pkey = NULL;

	cr_assert(BN_dec2bn(&x, spec_x) > 0 && BN_dec2bn(&y, spec_y) > 0);
	point[0] = 0x04;
	cr_assert_eq(BN_bn2binpad(x, point + 1, 32), 32);
	cr_assert_eq(BN_bn2binpad(y, point + 33, 32), 32);
	cr_assert_not_null(bld);
	cr_assert(OSSL_PARAM_BLD_push_utf8_string(bld,
		OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0));
	cr_assert(OSSL_PARAM_BLD_push_octet_string(bld,
		OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point)));
	params = OSSL_PARAM_BLD_to_param(bld);
	cr_assert_not_null(params);
	cr_assert_eq(EVP_PKEY_fromdata_init(ctx), 1);
	cr_assert_eq(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY,
		params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(x);
	BN_free(y);
	return pkey;
}

/* DER ECDSA-Sig-Value from a raw 64-byte r||s. */
static size_t raw_to_der(uint8_t *out, size_t cap, const uint8_t raw[64])
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, 32, NULL), *sv = BN_bin2bn(raw + 32, 32,
		NULL);
	unsigned char *der = NULL;
	int n;

	cr_assert(s != NULL && r != NULL && sv != NULL);
	cr_assert_eq(ECDSA_SIG_set0(s, r, sv), 1);
	n = i2d_ECDSA_SIG(s, &der);
	cr_assert(n > 0 && (size_t)n <= cap);
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	ECDSA_SIG_free(s);
	return (size_t)n;
}

/* ------------------------------------------------------------------ */
/* PAE                                                                 */
/* ------------------------------------------------------------------ */

static void check_pae(const char *type, const uint8_t *body, size_t body_len,
	const char *want, size_t want_len)
{
	uint8_t *pae = NULL;
	size_t n = 0;

	cr_assert_eq(mlog_dsse_pae(&pae, &n, type, strlen(type), body,
		body_len), MLOG_OK);
	cr_assert_eq(n, want_len, "PAE length %zu, want %zu", n, want_len);
	cr_assert_arr_eq(pae, want, want_len);
	free(pae);
}

Test(dsse, pae_known_answers)
{
	static const uint8_t bin[] = { 0x00, 0xff, ' ', '\n' };

	/* DSSE protocol.md test vector. */
	check_pae(SPEC_TYPE, (const uint8_t *)SPEC_BODY, strlen(SPEC_BODY),
		SPEC_PAE, strlen(SPEC_PAE));
	/* Empty type and body: the lengths are still written. */
	check_pae("", (const uint8_t *)"", 0, "DSSEv1 0  0 ", 12);
	/* Binary body with NUL and spaces: lengths count bytes. */
	check_pae("a", bin, sizeof(bin), "DSSEv1 1 a 4 \x00\xff \n", 17);
	/* Multi-byte UTF-8 type: byte length, not characters. */
	check_pae("\xc3\xa9", (const uint8_t *)"x", 1,
		"DSSEv1 2 \xc3\xa9 1 x", 15);
}

Test(dsse, pae_long_lengths)
{
	size_t n = 1234567;
	uint8_t *body = calloc(1, n), *pae = NULL;
	size_t got = 0;
	static const char head[] = "DSSEv1 28 application/vnd.in-toto+json "
		"1234567 ";

	cr_assert_not_null(body);
	cr_assert_eq(mlog_dsse_pae(&pae, &got, MLOG_DSSE_TYPE_INTOTO,
		strlen(MLOG_DSSE_TYPE_INTOTO), body, n), MLOG_OK);
	cr_assert_eq(got, strlen(head) + n);
	cr_assert_arr_eq(pae, head, strlen(head));
	free(pae);
	free(body);
}

/* ------------------------------------------------------------------ */
/* The DSSE spec vector                                                */
/* ------------------------------------------------------------------ */

Test(dsse, spec_vector_parses_and_canonicalises)
{
	struct mlog_dsse_envelope *e = parse_ok(spec_envelope,
		strlen(spec_envelope));
	struct mlog_dsse_envelope *again;
	char *c, *c2;
	size_t n;

	cr_assert_str_eq(e->payload_type, SPEC_TYPE);
	cr_assert_eq(e->payload_len, strlen(SPEC_BODY));
	cr_assert_arr_eq(e->payload, SPEC_BODY, e->payload_len);
	cr_assert_eq(e->payload[e->payload_len], 0);
	cr_assert_eq(e->nsigs, 1);
	cr_assert_str_eq(e->sigs[0].keyid, "");
	cr_assert_eq(e->sigs[0].sig_len, 64);
	c = canon(e, &n);
	cr_assert_str_eq(c, spec_canonical);
	/* Fixed point (rule 8). */
	again = parse_ok(c, n);
	c2 = canon(again, NULL);
	cr_assert_str_eq(c2, c);
	free(c2);
	free(c);
	mlog_dsse_free(again);
	mlog_dsse_free(e);
}

Test(dsse, spec_vector_ecdsa_key_and_signature)
{
	EVP_PKEY *pkey = spec_pkey();
	struct mlog_dsse_key *k = pub_key(pkey);
	const struct mlog_dsse_key *keys[1] = { k };
	struct mlog_dsse_envelope *e = parse_ok(spec_envelope,
		strlen(spec_envelope));
	struct mlog_dsse_check chk[1];
	uint8_t der[80];
	size_t der_len;
	uint8_t *raw;

	cr_assert_str_eq(mlog_dsse_key_id(k), spec_keyid);
	cr_assert_eq(mlog_dsse_key_alg(k), MLOG_DSSE_ALG_ECDSA_P256);
	cr_assert_eq(mlog_dsse_key_has_private(k), 0);
	/* The spec signs with raw r||s; we require DER (rule 11). */
	cr_assert_eq(mlog_dsse_verify_one(SPEC_TYPE, strlen(SPEC_TYPE),
		(const uint8_t *)SPEC_BODY, strlen(SPEC_BODY), e->sigs[0].sig,
		e->sigs[0].sig_len, k), MLOG_ERR_VERIFY);
	cr_assert_eq(mlog_dsse_verify(e, keys, 1, chk, NULL),
		MLOG_ERR_VERIFY);
	cr_assert_eq(chk[0].verified, 0);
	/* The same (r, s) as DER verifies: the PAE is right. */
	der_len = raw_to_der(der, sizeof(der), e->sigs[0].sig);
	cr_assert_eq(mlog_dsse_verify_one(SPEC_TYPE, strlen(SPEC_TYPE),
		(const uint8_t *)SPEC_BODY, strlen(SPEC_BODY), der, der_len,
		k), MLOG_OK);
	raw = e->sigs[0].sig;
	e->sigs[0].sig = der;
	e->sigs[0].sig_len = der_len;
	cr_assert_eq(mlog_dsse_verify(e, keys, 1, chk, NULL), MLOG_OK);
	cr_assert_eq(chk[0].verified, 1);
	cr_assert_eq(chk[0].sig, 0);
	/* ... but not over another body. */
	e->payload[0] ^= 1;
	cr_assert_eq(mlog_dsse_verify(e, keys, 1, chk, NULL),
		MLOG_ERR_VERIFY);
	e->sigs[0].sig = raw;
	mlog_dsse_free(e);
	mlog_dsse_key_free(k);
	EVP_PKEY_free(pkey);
}

Test(dsse, ed25519_known_answer)
{
	struct mlog_dsse_key *sk = load_key(rfc8032_priv, 1);
	struct mlog_dsse_key *pk = load_key(rfc8032_pub, 0);
	uint8_t sig[MLOG_DSSE_SIG_MAX], want[64];
	size_t n = 0;

	cr_assert_str_eq(mlog_dsse_key_id(sk), rfc8032_keyid);
	cr_assert_str_eq(mlog_dsse_key_id(pk), rfc8032_keyid);
	cr_assert_eq(mlog_dsse_key_alg(sk), MLOG_DSSE_ALG_ED25519);
	cr_assert_eq(mlog_dsse_key_has_private(sk), 1);
	cr_assert_eq(mlog_dsse_sign_one(sig, sizeof(sig), &n, SPEC_TYPE,
		strlen(SPEC_TYPE), (const uint8_t *)SPEC_BODY,
		strlen(SPEC_BODY), sk, NULL), MLOG_OK);
	cr_assert_eq(test_b64(want, sizeof(want), rfc8032_spec_sig), 64);
	cr_assert_eq(n, 64);
	cr_assert_arr_eq(sig, want, 64, "Ed25519 is deterministic: the "
		"signature must equal openssl pkeyutl's");
	cr_assert_eq(mlog_dsse_verify_one(SPEC_TYPE, strlen(SPEC_TYPE),
		(const uint8_t *)SPEC_BODY, strlen(SPEC_BODY), want, 64, pk),
		MLOG_OK);
	mlog_dsse_key_free(sk);
	mlog_dsse_key_free(pk);
}

Test(dsse, compressed_point_keyid_follows_openssl)
{
	struct mlog_dsse_key *k = load_key(compressed_pub, 0);

	cr_assert_str_eq(mlog_dsse_key_id(k), compressed_keyid);
	cr_assert_eq(mlog_dsse_key_alg(k), MLOG_DSSE_ALG_ECDSA_P256);
	mlog_dsse_key_free(k);
}

/* ------------------------------------------------------------------ */
/* Keys                                                                */
/* ------------------------------------------------------------------ */

static const int algs[] = { MLOG_DSSE_ALG_ED25519, MLOG_DSSE_ALG_ECDSA_P256 };

Test(dsse, keyid_matches_openssl_der_sha256)
{
	for (size_t a = 0; a < 2; a++) {
		EVP_PKEY *pkey = gen_pkey(algs[a]);
		struct mlog_dsse_key *pk = pub_key(pkey);
		struct mlog_dsse_key *sk = priv_key(pkey);
		char want[65];

		openssl_keyid(want, pkey);
		cr_assert_str_eq(mlog_dsse_key_id(pk), want);
		cr_assert_str_eq(mlog_dsse_key_id(sk), want);
		cr_assert_eq(strlen(want), MLOG_DSSE_KEYID_HEX);
		cr_assert_eq(mlog_dsse_key_alg(pk), algs[a]);
		cr_assert_eq(mlog_dsse_key_alg(sk), algs[a]);
		cr_assert_eq(mlog_dsse_key_has_private(pk), 0);
		cr_assert_eq(mlog_dsse_key_has_private(sk), 1);
		mlog_dsse_key_free(pk);
		mlog_dsse_key_free(sk);
		EVP_PKEY_free(pkey);
	}
}

Test(dsse, key_generate_format_round_trip)
{
	for (size_t a = 0; a < 2; a++) {
		struct mlog_dsse_key *k = NULL, *pk, *sk;
		char pem[MLOG_DSSE_PEM_OUT_MAX];
		int n;

		cr_assert_eq(mlog_dsse_key_generate(&k, algs[a], NULL),
			MLOG_OK);
		cr_assert_eq(mlog_dsse_key_alg(k), algs[a]);
		n = mlog_dsse_key_format_public(pem, sizeof(pem), k);
		cr_assert_gt(n, 0);
		cr_assert_eq((size_t)n, strlen(pem));
		cr_assert(strncmp(pem, "-----BEGIN PUBLIC KEY-----\n", 27) ==
			0);
		pk = load_key(pem, 0);
		cr_assert_str_eq(mlog_dsse_key_id(pk), mlog_dsse_key_id(k));
		/* Too small a buffer: TOOBIG, not truncation. */
		cr_assert_eq(mlog_dsse_key_format_public(pem, (size_t)n, k),
			MLOG_ERR_TOOBIG);
		n = mlog_dsse_key_format_private(pem, sizeof(pem), k);
		cr_assert_gt(n, 0);
		cr_assert(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) ==
			0);
		sk = load_key(pem, 1);
		sodium_memzero(pem, sizeof(pem));
		cr_assert_str_eq(mlog_dsse_key_id(sk), mlog_dsse_key_id(k));
		/* A public key has no private form. */
		cr_assert_eq(mlog_dsse_key_format_private(pem, sizeof(pem), pk),
			MLOG_ERR_RANGE);
		mlog_dsse_key_free(k);
		mlog_dsse_key_free(pk);
		mlog_dsse_key_free(sk);
	}
	{
		struct mlog_dsse_key *k = (struct mlog_dsse_key *)1;

		cr_assert_eq(mlog_dsse_key_generate(&k, 99, NULL),
			MLOG_ERR_RANGE);
		cr_assert_eq(k, (struct mlog_dsse_key *)1);
	}
}

Test(dsse, traditional_ec_private_key_accepted)
{
	EVP_PKEY *pkey = gen_pkey(MLOG_DSSE_ALG_ECDSA_P256);
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *pem, want[65];
	struct mlog_dsse_key *k;
	long n;

	cr_assert_eq(PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL,
		NULL, 0, NULL, NULL), 1);
	n = BIO_get_mem_data(bio, &data);
	pem = strndup(data, (size_t)n);
	cr_assert(strstr(pem, "BEGIN EC PRIVATE KEY") != NULL);
	k = load_key(pem, 1);
	openssl_keyid(want, pkey);
	cr_assert_str_eq(mlog_dsse_key_id(k), want);
	mlog_dsse_key_free(k);
	free(pem);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
}

/* Expects a key load to fail with code and a message containing what. */
static void key_rejected(const char *pem, size_t len, int private_key,
	int code, const char *what)
{
	struct mlog_dsse_key *k = (struct mlog_dsse_key *)1;
	struct mlog_error err = { 0 };
	int rc = private_key ?
		mlog_dsse_key_parse_private(&k, pem, len, &err) :
		mlog_dsse_key_parse_public(&k, pem, len, &err);

	cr_assert_eq(rc, code, "rc %d (%s), want %d for %s", rc, err.msg,
		code, what);
	cr_assert_eq(k, (struct mlog_dsse_key *)1, "output touched");
	cr_assert(strstr(err.msg, what) != NULL, "message \"%s\" lacks "
		"\"%s\"", err.msg, what);
}

Test(dsse, unsupported_keys_rejected)
{
	static const struct {
		const char *type;
		const char *param;
		const char *msg;
	} others[] = {
		{ "RSA", NULL, "RSA keys are not supported" },
		{ "EC", "P-384", "curve secp384r1 is not supported" },
		{ "EC", "secp256k1", "curve secp256k1 is not supported" },
		{ "ED448", NULL, "ED448 keys are not supported" },
		{ "X25519", NULL, "X25519 keys are not supported" },
	};

	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		EVP_PKEY *pkey;
		char *pem;

		if (strcmp(others[i].type, "RSA") == 0)
			pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
				(size_t)2048);
		else if (others[i].param != NULL)
			pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC",
				others[i].param);
		else
			pkey = EVP_PKEY_Q_keygen(NULL, NULL, others[i].type);
		cr_assert_not_null(pkey, "keygen %s", others[i].type);
		pem = pem_of(pkey, 0);
		key_rejected(pem, strlen(pem), 0, MLOG_ERR_MALFORMED,
			others[i].msg);
		free(pem);
		pem = pem_of(pkey, 1);
		key_rejected(pem, strlen(pem), 1, MLOG_ERR_MALFORMED,
			others[i].msg);
		free(pem);
		EVP_PKEY_free(pkey);
	}
	key_rejected(explicit_pub, strlen(explicit_pub), 0,
		MLOG_ERR_MALFORMED, "explicit EC parameters");
}

Test(dsse, malformed_key_files_rejected)
{
	EVP_PKEY *pkey = gen_pkey(MLOG_DSSE_ALG_ED25519);
	char *pub = pem_of(pkey, 0), *priv = pem_of(pkey, 1);
	char *big = malloc(MLOG_DSSE_PEM_MAX + 1), *cut;
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *enc;
	long n;

	/* A private key where a public one is expected, and back. */
	key_rejected(priv, strlen(priv), 0, MLOG_ERR_MALFORMED, "PUBLIC KEY");
	key_rejected(pub, strlen(pub), 1, MLOG_ERR_MALFORMED, "private key");
	key_rejected("", 0, 0, MLOG_ERR_MALFORMED, "empty");
	key_rejected("", 0, 1, MLOG_ERR_MALFORMED, "empty");
	key_rejected("hello", 5, 0, MLOG_ERR_MALFORMED, "PUBLIC KEY");
	/* Damaged base64 inside the PEM block. */
	cut = strdup(pub);
	cut[30] = '!';
	key_rejected(cut, strlen(cut), 0, MLOG_ERR_MALFORMED, "PUBLIC KEY");
	/* Truncated DER. */
	strcpy(cut, "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n"
		"-----END PUBLIC KEY-----\n");
	key_rejected(cut, strlen(cut), 0, MLOG_ERR_MALFORMED, "PUBLIC KEY");
	free(cut);
	/* Over the cap: refused before any work. */
	memset(big, ' ', MLOG_DSSE_PEM_MAX + 1);
	key_rejected(big, MLOG_DSSE_PEM_MAX + 1, 0, MLOG_ERR_TOOBIG, "over");
	key_rejected(big, MLOG_DSSE_PEM_MAX + 1, 1, MLOG_ERR_TOOBIG, "over");
	/* Encrypted private keys fail without prompting for a passphrase. */
	cr_assert_eq(PEM_write_bio_PrivateKey(bio, pkey, EVP_aes_256_cbc(),
		(unsigned char *)"secret", 6, NULL, NULL), 1);
	n = BIO_get_mem_data(bio, &data);
	enc = strndup(data, (size_t)n);
	cr_assert(strstr(enc, "ENCRYPTED PRIVATE KEY") != NULL);
	key_rejected(enc, strlen(enc), 1, MLOG_ERR_MALFORMED, "unencrypted");
	free(enc);
	BIO_free(bio);
	free(big);
	sodium_memzero(priv, strlen(priv));
	free(priv);
	free(pub);
	EVP_PKEY_free(pkey);
}

/* ------------------------------------------------------------------ */
/* Sign and verify                                                     */
/* ------------------------------------------------------------------ */

static const char statement[] = "{\"_type\":\"https://in-toto.io/"
	"Statement/v1\",\"subject\":[{\"name\":\"a\",\"digest\":{\"sha256\":"
	"\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	"\"}}],\"predicateType\":\"urn:mlog:sbom:v1\",\"predicate\":{}}";

Test(dsse, sign_verify_round_trip)
{
	for (size_t a = 0; a < 2; a++) {
		EVP_PKEY *pkey = gen_pkey(algs[a]);
		struct mlog_dsse_key *sk = priv_key(pkey), *pk = pub_key(pkey);
		const struct mlog_dsse_key *signers[1] = { sk };
		const struct mlog_dsse_key *verifiers[1] = { pk };
		struct mlog_dsse_envelope *e = NULL, *back;
		struct mlog_dsse_check chk[1];
		struct mlog_error err = { 0 };
		char *c;
		size_t n;

		cr_assert_eq(mlog_dsse_sign(&e, MLOG_DSSE_TYPE_INTOTO,
			(const uint8_t *)statement, strlen(statement), signers,
			1, &err), MLOG_OK, "%s", err.msg);
		cr_assert_str_eq(e->payload_type, MLOG_DSSE_TYPE_INTOTO);
		cr_assert_eq(e->nsigs, 1);
		cr_assert_str_eq(e->sigs[0].keyid, mlog_dsse_key_id(pk));
		if (algs[a] == MLOG_DSSE_ALG_ED25519)
			cr_assert_eq(e->sigs[0].sig_len, 64);
		else
			cr_assert(e->sigs[0].sig_len >= 8 &&
				e->sigs[0].sig_len <= 72 &&
				e->sigs[0].sig[0] == 0x30, "DER signature");
		c = canon(e, &n);
		back = parse_ok(c, n);
		cr_assert_eq(mlog_dsse_verify(back, verifiers, 1, chk, &err),
			MLOG_OK, "%s", err.msg);
		cr_assert_eq(chk[0].verified, 1);
		cr_assert_eq(chk[0].sig, 0);
		cr_assert_eq(back->payload_len, strlen(statement));
		cr_assert_arr_eq(back->payload, statement, strlen(statement));
		free(c);
		mlog_dsse_free(back);
		mlog_dsse_free(e);
		mlog_dsse_key_free(sk);
		mlog_dsse_key_free(pk);
		EVP_PKEY_free(pkey);
	}
}

/*
 * Property over every body length 0..96 (all three base64 paddings, NUL
 * and high bytes): sign with both algorithms, format, parse, and the
 * envelope verifies under both keys, keeps its bytes, and its canonical
 * form is a fixed point.
 */
Test(dsse, round_trip_every_small_length)
{
	EVP_PKEY *pe = gen_pkey(MLOG_DSSE_ALG_ED25519);
	EVP_PKEY *pc = gen_pkey(MLOG_DSSE_ALG_ECDSA_P256);
	struct mlog_dsse_key *se = priv_key(pe), *sc = priv_key(pc);
	struct mlog_dsse_key *ke = pub_key(pe), *kc = pub_key(pc);
	const struct mlog_dsse_key *signers[2] = { se, sc };
	const struct mlog_dsse_key *keys[2] = { kc, ke };
	uint8_t body[96];

	for (size_t n = 0; n <= sizeof(body); n++) {
		struct mlog_dsse_envelope *e = NULL, *back;
		struct mlog_dsse_check chk[2];
		char *c, *c2;
		size_t len;

		for (size_t i = 0; i < n; i++)
			body[i] = (uint8_t)(i * 37 + n);
		cr_assert_eq(mlog_dsse_sign(&e, "application/x.test", body, n,
			signers, 2, NULL), MLOG_OK);
		c = canon(e, &len);
		back = parse_ok(c, len);
		cr_assert_eq(back->payload_len, n);
		if (n > 0)
			cr_assert_arr_eq(back->payload, body, n);
		cr_assert_eq(mlog_dsse_verify(back, keys, 2, chk, NULL),
			MLOG_OK, "length %zu", n);
		cr_assert(chk[0].verified && chk[0].sig == 1);
		cr_assert(chk[1].verified && chk[1].sig == 0);
		c2 = canon(back, NULL);
		cr_assert_str_eq(c2, c);
		free(c);
		free(c2);
		mlog_dsse_free(back);
		mlog_dsse_free(e);
	}
	mlog_dsse_key_free(se);
	mlog_dsse_key_free(sc);
	mlog_dsse_key_free(ke);
	mlog_dsse_key_free(kc);
	EVP_PKEY_free(pe);
	EVP_PKEY_free(pc);
}

/* PAE built independently here, for the OpenSSL cross-checks. */
static size_t my_pae(char *out, size_t cap, const char *type,
	const char *body)
{
	int n = snprintf(out, cap, "DSSEv1 %zu %s %zu %s", strlen(type), type,
		strlen(body), body);

	cr_assert(n > 0 && (size_t)n < cap);
	return (size_t)n;
}

Test(dsse, openssl_cross_check)
{
	char pae[1024];
	size_t pae_len = my_pae(pae, sizeof(pae), MLOG_DSSE_TYPE_INTOTO,
		statement);

	for (size_t a = 0; a < 2; a++) {
		EVP_PKEY *pkey = gen_pkey(algs[a]);
		struct mlog_dsse_key *sk = priv_key(pkey), *pk = pub_key(pkey);
		const char *md = algs[a] == MLOG_DSSE_ALG_ED25519 ? NULL :
			"SHA256";
		uint8_t sig[MLOG_DSSE_SIG_MAX];
		size_t n = 0;
		EVP_MD_CTX *ctx;

		/* Ours, checked by OpenSSL directly. */
		cr_assert_eq(mlog_dsse_sign_one(sig, sizeof(sig), &n,
			MLOG_DSSE_TYPE_INTOTO, strlen(MLOG_DSSE_TYPE_INTOTO),
			(const uint8_t *)statement, strlen(statement), sk,
			NULL), MLOG_OK);
		ctx = EVP_MD_CTX_new();
		cr_assert_eq(EVP_DigestVerifyInit_ex(ctx, NULL, md, NULL, NULL,
			pkey, NULL), 1);
		cr_assert_eq(EVP_DigestVerify(ctx, sig, n, (uint8_t *)pae,
			pae_len), 1);
		EVP_MD_CTX_free(ctx);
		/* OpenSSL's, checked by ours. */
		ctx = EVP_MD_CTX_new();
		n = sizeof(sig);
		cr_assert_eq(EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL,
			pkey, NULL), 1);
		cr_assert_eq(EVP_DigestSign(ctx, sig, &n, (uint8_t *)pae,
			pae_len), 1);
		EVP_MD_CTX_free(ctx);
		cr_assert_eq(mlog_dsse_verify_one(MLOG_DSSE_TYPE_INTOTO,
			strlen(MLOG_DSSE_TYPE_INTOTO),
			(const uint8_t *)statement, strlen(statement), sig, n,
			pk), MLOG_OK);
		/* A too-small output buffer is refused, not overrun. */
		cr_assert_eq(mlog_dsse_sign_one(sig, 8, &n,
			MLOG_DSSE_TYPE_INTOTO, strlen(MLOG_DSSE_TYPE_INTOTO),
			(const uint8_t *)statement, strlen(statement), sk,
			NULL), MLOG_ERR_TOOBIG);
		mlog_dsse_key_free(sk);
		mlog_dsse_key_free(pk);
		EVP_PKEY_free(pkey);
	}
}

Test(dsse, sign_argument_errors)
{
	EVP_PKEY *pkey = gen_pkey(MLOG_DSSE_ALG_ED25519);
	struct mlog_dsse_key *sk = priv_key(pkey), *pk = pub_key(pkey);
	const struct mlog_dsse_key *pub_only[1] = { pk };
	const struct mlog_dsse_key *many[MLOG_DSSE_MAX_SIGS + 1];
	struct mlog_dsse_envelope *e = (struct mlog_dsse_envelope *)1;
	struct mlog_error err = { 0 };
	uint8_t sig[MLOG_DSSE_SIG_MAX], *big;
	size_t n = 0;

	for (size_t i = 0; i < MLOG_DSSE_MAX_SIGS + 1; i++)
		many[i] = sk;
	cr_assert_eq(mlog_dsse_sign(&e, "t", (const uint8_t *)"x", 1,
		pub_only, 1, &err), MLOG_ERR_RANGE);
	cr_assert(strstr(err.msg, "public key") != NULL, "%s", err.msg);
	cr_assert_eq(mlog_dsse_sign(&e, "t", (const uint8_t *)"x", 1, many,
		0, NULL), MLOG_ERR_RANGE);
	cr_assert_eq(mlog_dsse_sign(&e, "t", (const uint8_t *)"x", 1, many,
		MLOG_DSSE_MAX_SIGS + 1, NULL), MLOG_ERR_RANGE);
	cr_assert_eq(mlog_dsse_sign(&e, "", (const uint8_t *)"x", 1, many,
		1, &err), MLOG_ERR_MALFORMED);
	cr_assert(strstr(err.msg, "payloadType") != NULL, "%s", err.msg);
	cr_assert_eq(mlog_dsse_sign(&e, "\xff", (const uint8_t *)"x", 1,
		many, 1, NULL), MLOG_ERR_MALFORMED);
	big = calloc(1, MLOG_DSSE_MAX_BYTES + 1);
	cr_assert_eq(mlog_dsse_sign(&e, "t", big, MLOG_DSSE_MAX_BYTES + 1,
		many, 1, NULL), MLOG_ERR_TOOBIG);
	free(big);
	cr_assert_eq(e, (struct mlog_dsse_envelope *)1, "output touched");
	cr_assert_eq(mlog_dsse_sign_one(sig, sizeof(sig), &n, "t", 1,
		(const uint8_t *)"x", 1, pk, NULL), MLOG_ERR_RANGE);
	/* The maximum number of signers works, each with its keyid. */
	cr_assert_eq(mlog_dsse_sign(&e, "t", (const uint8_t *)"x", 1, many,
		MLOG_DSSE_MAX_SIGS, NULL), MLOG_OK);
	cr_assert_eq(e->nsigs, MLOG_DSSE_MAX_SIGS);
	mlog_dsse_free(e);
	mlog_dsse_key_free(sk);
	mlog_dsse_key_free(pk);
	EVP_PKEY_free(pkey);
}

/*
 * Corruption sweep: a good envelope per algorithm, then every probe that
 * must fail verification with MLOG_ERR_VERIFY (never MALFORMED: the
 * envelope still parses).
 */
Test(dsse, verification_corruption_sweep)
{
	for (size_t a = 0; a < 2; a++) {
		EVP_PKEY *pa = gen_pkey(algs[a]), *pb = gen_pkey(algs[a]);
		struct mlog_dsse_key *ska = priv_key(pa), *pka = pub_key(pa);
		struct mlog_dsse_key *pkb = pub_key(pb);
		const struct mlog_dsse_key *signer[1] = { ska };
		const struct mlog_dsse_key *ka[1] = { pka };
		const struct mlog_dsse_key *kb[1] = { pkb };
		const struct mlog_dsse_key *kab[2] = { pka, pkb };
		const struct mlog_dsse_key *kba[2] = { pkb, pka };
		struct mlog_dsse_envelope *e = NULL;
		struct mlog_dsse_check chk[2];
		struct mlog_error err = { 0 };
		char *saved_keyid;
		uint8_t *saved_sig, probe[MLOG_DSSE_SIG_MAX + 1];
		size_t saved_len, probes = 0;

		cr_assert_eq(mlog_dsse_sign(&e, MLOG_DSSE_TYPE_INTOTO,
			(const uint8_t *)statement, strlen(statement), signer,
			1, NULL), MLOG_OK);
		cr_assert_eq(mlog_dsse_verify(e, ka, 1, chk, NULL), MLOG_OK);

		/* Payload swapped under the valid signature. */
		e->payload[10] ^= 0x20;
		cr_assert_eq(mlog_dsse_verify(e, ka, 1, chk, &err),
			MLOG_ERR_VERIFY);
		cr_assert(strstr(err.msg, "no signature verifies") != NULL);
		cr_assert_eq(chk[0].verified, 0);
		e->payload[10] ^= 0x20;
		e->payload_len--;
		cr_assert_eq(mlog_dsse_verify(e, ka, 1, NULL, NULL),
			MLOG_ERR_VERIFY);
		e->payload_len++;
		/* payloadType changed (it is authenticated by PAE). */
		e->payload_type[0] = 'b';
		cr_assert_eq(mlog_dsse_verify(e, ka, 1, NULL, NULL),
			MLOG_ERR_VERIFY);
		e->payload_type[0] = 'a';
		cr_assert_eq(mlog_dsse_verify(e, ka, 1, NULL, NULL), MLOG_OK);

		/* Every bit of the signature flipped, one at a time. */
		saved_sig = e->sigs[0].sig;
		saved_len = e->sigs[0].sig_len;
		memcpy(probe, saved_sig, saved_len);
		e->sigs[0].sig = probe;
		for (size_t i = 0; i < saved_len * 8; i++) {
			probe[i / 8] ^= (uint8_t)(1u << (i % 8));
			cr_assert_eq(mlog_dsse_verify(e, ka, 1, NULL, NULL),
				MLOG_ERR_VERIFY, "bit %zu flipped verified", i);
			probe[i / 8] ^= (uint8_t)(1u << (i % 8));
			probes++;
		}
		/* Truncated and extended. */
		e->sigs[0].sig_len = saved_len - 1;
		cr_assert_eq(mlog_dsse_verify(e, ka, 1, NULL, NULL),
			MLOG_ERR_VERIFY);
		probe[saved_len] = 0;
		e->sigs[0].sig_len = saved_len + 1;
		cr_assert_eq(mlog_dsse_verify(e, ka, 1, NULL, NULL),
			MLOG_ERR_VERIFY);
		e->sigs[0].sig = saved_sig;
		e->sigs[0].sig_len = saved_len;
		cr_assert_eq(probes, saved_len * 8);

		/* Wrong key; no keys at all. */
		cr_assert_eq(mlog_dsse_verify(e, kb, 1, chk, NULL),
			MLOG_ERR_VERIFY);
		cr_assert_eq(chk[0].verified, 0);
		cr_assert_eq(mlog_dsse_verify(e, kb, 0, NULL, NULL),
			MLOG_ERR_VERIFY);

		/* Rule 12: keyid names A: only A is tried, and verifies. */
		cr_assert_eq(mlog_dsse_verify(e, kab, 2, chk, NULL), MLOG_OK);
		cr_assert(chk[0].verified && !chk[1].verified);
		/* keyid names B although A signed: only B is tried. */
		saved_keyid = e->sigs[0].keyid;
		e->sigs[0].keyid = (char *)mlog_dsse_key_id(pkb);
		cr_assert_eq(mlog_dsse_verify(e, kab, 2, chk, NULL),
			MLOG_ERR_VERIFY);
		cr_assert(!chk[0].verified && !chk[1].verified);
		/* ... but with only A configured, B's keyid is unknown and
		 * every key (A) is tried. */
		cr_assert_eq(mlog_dsse_verify(e, ka, 1, chk, NULL), MLOG_OK);
		cr_assert(chk[0].verified);
		/* Empty keyid: every key is tried; A is second here. */
		e->sigs[0].keyid = (char *)"";
		cr_assert_eq(mlog_dsse_verify(e, kba, 2, chk, NULL), MLOG_OK);
		cr_assert(!chk[0].verified && chk[1].verified);
		cr_assert_eq(chk[1].sig, 0);
		/* Unknown keyid, wrong key only. */
		e->sigs[0].keyid = (char *)"not-a-keyid";
		cr_assert_eq(mlog_dsse_verify(e, kb, 1, NULL, NULL),
			MLOG_ERR_VERIFY);
		e->sigs[0].keyid = saved_keyid;

		mlog_dsse_free(e);
		mlog_dsse_key_free(ska);
		mlog_dsse_key_free(pka);
		mlog_dsse_key_free(pkb);
		EVP_PKEY_free(pa);
		EVP_PKEY_free(pb);
	}
}

Test(dsse, multi_signature_reports_each_key)
{
	EVP_PKEY *pa = gen_pkey(MLOG_DSSE_ALG_ED25519);
	EVP_PKEY *pb = gen_pkey(MLOG_DSSE_ALG_ECDSA_P256);
	EVP_PKEY *pc = gen_pkey(MLOG_DSSE_ALG_ED25519);
	struct mlog_dsse_key *sa = priv_key(pa), *sb = priv_key(pb);
	struct mlog_dsse_key *ka = pub_key(pa), *kb = pub_key(pb);
	struct mlog_dsse_key *kc = pub_key(pc);
	const struct mlog_dsse_key *signers[2] = { sa, sb };
	const struct mlog_dsse_key *keys[3] = { kc, kb, ka };
	struct mlog_dsse_envelope *e = NULL;
	struct mlog_dsse_check chk[3];

	cr_assert_eq(mlog_dsse_sign(&e, "t", (const uint8_t *)"body", 4,
		signers, 2, NULL), MLOG_OK);
	cr_assert_eq(mlog_dsse_verify(e, keys, 3, chk, NULL), MLOG_OK);
	cr_assert(!chk[0].verified);
	cr_assert(chk[1].verified && chk[1].sig == 1);
	cr_assert(chk[2].verified && chk[2].sig == 0);
	/* Rule 13: one bad signature does not sink the other. */
	e->sigs[0].sig[5] ^= 1;
	cr_assert_eq(mlog_dsse_verify(e, keys, 3, chk, NULL), MLOG_OK);
	cr_assert(!chk[0].verified && chk[1].verified && !chk[2].verified);
	e->sigs[1].sig[e->sigs[1].sig_len - 1] ^= 1;
	cr_assert_eq(mlog_dsse_verify(e, keys, 3, chk, NULL),
		MLOG_ERR_VERIFY);
	cr_assert(!chk[0].verified && !chk[1].verified && !chk[2].verified);
	mlog_dsse_free(e);
	mlog_dsse_key_free(sa);
	mlog_dsse_key_free(sb);
	mlog_dsse_key_free(ka);
	mlog_dsse_key_free(kb);
	mlog_dsse_key_free(kc);
	EVP_PKEY_free(pa);
	EVP_PKEY_free(pb);
	EVP_PKEY_free(pc);
}

/* ------------------------------------------------------------------ */
/* Canonical form                                                      */
/* ------------------------------------------------------------------ */

#define SIG_A "c2lnbmF0dXJlLWE="     /* "signature-a" */
#define SIG_B "c2ln"                 /* "sig" */

Test(dsse, canonical_form_is_byte_exact)
{
	static const char want[] =
		"{\"payload\":\"aGVsbG8=\",\"payloadType\":\"text/x.a/b\","
		"\"signatures\":[{\"keyid\":\"k1\",\"sig\":\"" SIG_A "\"},"
		"{\"keyid\":\"\",\"sig\":\"" SIG_B "\"}]}";
	static const char *spellings[] = {
		want,
		/* members shuffled, whitespace everywhere */
		" {\n\t\"signatures\" : [ { \"sig\" : \"" SIG_A "\" , "
		"\"keyid\" : \"k1\" } ,\r\n { \"sig\":\"" SIG_B "\" } ] ,"
		" \"payloadType\":\"text/x.a/b\", \"payload\":\"aGVsbG8=\" }\n",
		/* escapes that decode to the same strings; keyid "" spelled
		 * out */
		"{\"payloadType\":\"text\\/x.a\\/b\",\"payload\":\"aGVsbG8=\","
		"\"signatures\":[{\"keyid\":\"\\u006b1\",\"sig\":\"" SIG_A
		"\"},{\"keyid\":\"\",\"sig\":\"" SIG_B "\"}]}",
	};

	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]);
	     i++) {
		struct mlog_dsse_envelope *e = parse_ok(spellings[i],
			strlen(spellings[i]));
		struct mlog_dsse_envelope *again;
		char *c, *c2;
		size_t n;

		c = canon(e, &n);
		cr_assert_str_eq(c, want, "spelling %zu", i);
		again = parse_ok(c, n);
		c2 = canon(again, NULL);
		cr_assert_str_eq(c2, c, "not a fixed point");
		free(c);
		free(c2);
		mlog_dsse_free(e);
		mlog_dsse_free(again);
	}
}

Test(dsse, canonical_string_escapes)
{
	/* keyid with a quote, backslash, newline, tab, U+0001, DEL, é and
	 * U+2028: only the first five are escaped (rule 7). */
	static const char in[] =
		"{\"payload\":\"\",\"payloadType\":\"\\u00e9\","
		"\"signatures\":[{\"keyid\":\"q\\\"b\\\\n\\nt\\t\\u0001"
		"\\u007f\\u00e9\\u2028\",\"sig\":\"" SIG_B "\"}]}";
	static const char want[] =
		"{\"payload\":\"\",\"payloadType\":\"\xc3\xa9\","
		"\"signatures\":[{\"keyid\":\"q\\\"b\\\\n\\nt\\t\\u0001"
		"\x7f\xc3\xa9\xe2\x80\xa8\",\"sig\":\"" SIG_B "\"}]}";
	struct mlog_dsse_envelope *e = parse_ok(in, strlen(in));
	char *c = canon(e, NULL);

	cr_assert_eq(e->payload_len, 0);
	cr_assert_str_eq(c, want);
	free(c);
	mlog_dsse_free(e);
}

Test(dsse, canonical_form_over_limit_is_toobig)
{
	/* An input just under the limit whose 16 signatures omit keyid:
	 * re-encoding adds "keyid":"", per signature and goes over. */
	size_t sig_part = 0, payload_b64, len;
	char *json, *p, *out = (char *)1;
	struct mlog_dsse_envelope *e;
	struct mlog_error err = { 0 };
	size_t out_len = 7;

	sig_part = MLOG_DSSE_MAX_SIGS * strlen("{\"sig\":\"" SIG_B "\"},");
	payload_b64 = (MLOG_DSSE_MAX_BYTES - 100 - sig_part) / 4 * 4;
	json = malloc(MLOG_DSSE_MAX_BYTES + 1);
	p = json;
	p += sprintf(p, "{\"payloadType\":\"t\",\"payload\":\"");
	memset(p, 'A', payload_b64);
	p += payload_b64;
	p += sprintf(p, "\",\"signatures\":[");
	for (int i = 0; i < MLOG_DSSE_MAX_SIGS; i++)
		p += sprintf(p, "%s{\"sig\":\"" SIG_B "\"}", i ? "," : "");
	p += sprintf(p, "]}");
	len = (size_t)(p - json);
	cr_assert_leq(len, MLOG_DSSE_MAX_BYTES);
	e = parse_ok(json, len);
	cr_assert_eq(mlog_dsse_format(&out, &out_len, e, &err),
		MLOG_ERR_TOOBIG);
	cr_assert_eq(out, (char *)1);
	cr_assert_eq(out_len, 7);
	cr_assert(strstr(err.msg, "canonical") != NULL, "%s", err.msg);
	mlog_dsse_free(e);
	free(json);
}

Test(dsse, format_rejects_hand_built_nonsense)
{
	uint8_t sig[1] = { 1 };
	struct mlog_dsse_sig s = { .keyid = (char *)"", .sig = sig,
		.sig_len = 1 };
	struct mlog_dsse_envelope e = { .payload_type = (char *)"t",
		.payload = NULL, .payload_len = 0, .sigs = &s, .nsigs = 1 };
	struct mlog_error err = { 0 };
	char *out;
	size_t n;

	cr_assert_eq(mlog_dsse_format(&out, &n, &e, NULL), MLOG_OK);
	cr_assert_str_eq(out, "{\"payload\":\"\",\"payloadType\":\"t\","
		"\"signatures\":[{\"keyid\":\"\",\"sig\":\"AQ==\"}]}");
	free(out);
	e.nsigs = 0;
	cr_assert_eq(mlog_dsse_format(&out, &n, &e, &err),
		MLOG_ERR_MALFORMED);
	cr_assert(strstr(err.msg, "signatures") != NULL);
	e.nsigs = 1;
	s.keyid = NULL;
	cr_assert_eq(mlog_dsse_format(&out, &n, &e, &err),
		MLOG_ERR_MALFORMED);
	cr_assert(strstr(err.msg, "signatures[0].keyid") != NULL);
	s.keyid = (char *)"\xc0\x80";   /* overlong NUL: not UTF-8 */
	cr_assert_eq(mlog_dsse_format(&out, &n, &e, &err),
		MLOG_ERR_MALFORMED);
	s.keyid = (char *)"";
	s.sig_len = 0;
	cr_assert_eq(mlog_dsse_format(&out, &n, &e, &err),
		MLOG_ERR_MALFORMED);
	cr_assert(strstr(err.msg, "signatures[0].sig") != NULL);
	s.sig_len = 1;
	e.payload_type = (char *)"";
	cr_assert_eq(mlog_dsse_format(&out, &n, &e, &err),
		MLOG_ERR_MALFORMED);
	cr_assert(strstr(err.msg, "payloadType") != NULL);
}

/* ------------------------------------------------------------------ */
/* Malformed envelopes                                                 */
/* ------------------------------------------------------------------ */

#define ENV(type, payload, sigs) \
	"{\"payloadType\":" type ",\"payload\":" payload \
	",\"signatures\":" sigs "}"
#define OK_TYPE "\"t\""
#define OK_PAYLOAD "\"aGVsbG8=\""
#define OK_SIGS "[{\"keyid\":\"k\",\"sig\":\"" SIG_B "\"}]"

struct bad_envelope {
	const char *json;
	int code;
	const char *msg;        /* substring the message must contain */
};

static const struct bad_envelope bad_envelopes[] = {
	/* not JSON / not an object */
	{ "", MLOG_ERR_MALFORMED, "envelope" },
	{ "{", MLOG_ERR_MALFORMED, "envelope" },
	{ "not json", MLOG_ERR_MALFORMED, "envelope" },
	{ "[]", MLOG_ERR_MALFORMED, "envelope: want a JSON object" },
	{ "[" ENV(OK_TYPE, OK_PAYLOAD, OK_SIGS) "]", MLOG_ERR_MALFORMED,
		"want a JSON object" },
	{ "\"x\"", MLOG_ERR_MALFORMED, "envelope" },
	{ "null", MLOG_ERR_MALFORMED, "envelope" },
	/* trailing garbage */
	{ ENV(OK_TYPE, OK_PAYLOAD, OK_SIGS) "x", MLOG_ERR_MALFORMED,
		"envelope" },
	{ ENV(OK_TYPE, OK_PAYLOAD, OK_SIGS) "{}", MLOG_ERR_MALFORMED,
		"envelope" },
	/* duplicate members */
	{ "{\"payloadType\":\"t\",\"payloadType\":\"t\",\"payload\":"
		OK_PAYLOAD ",\"signatures\":" OK_SIGS "}",
		MLOG_ERR_MALFORMED, "duplicate" },
	{ ENV(OK_TYPE, OK_PAYLOAD, "[{\"sig\":\"" SIG_B "\",\"sig\":\""
		SIG_B "\"}]"), MLOG_ERR_MALFORMED, "duplicate" },
	/* missing members */
	{ "{\"payload\":" OK_PAYLOAD ",\"signatures\":" OK_SIGS "}",
		MLOG_ERR_MALFORMED, "payloadType: missing" },
	{ "{\"payloadType\":" OK_TYPE ",\"signatures\":" OK_SIGS "}",
		MLOG_ERR_MALFORMED, "payload: missing" },
	{ "{\"payloadType\":" OK_TYPE ",\"payload\":" OK_PAYLOAD "}",
		MLOG_ERR_MALFORMED, "signatures: missing" },
	{ ENV(OK_TYPE, OK_PAYLOAD, "[{\"keyid\":\"k\"}]"),
		MLOG_ERR_MALFORMED, "signatures[0].sig: missing" },
	/* unknown members */
	{ "{\"payloadType\":\"t\",\"payload\":" OK_PAYLOAD ",\"signatures\":"
		OK_SIGS ",\"extra\":1}", MLOG_ERR_MALFORMED,
		"extra: unknown member" },
	{ ENV(OK_TYPE, OK_PAYLOAD, "[{\"sig\":\"" SIG_B "\",\"cert\":\"x\"}]"),
		MLOG_ERR_MALFORMED, "signatures[0].cert: unknown member" },
	/* wrong types */
	{ ENV("1", OK_PAYLOAD, OK_SIGS), MLOG_ERR_MALFORMED,
		"payloadType: want a string" },
	{ ENV("null", OK_PAYLOAD, OK_SIGS), MLOG_ERR_MALFORMED,
		"payloadType: want a string" },
	{ ENV(OK_TYPE, "[]", OK_SIGS), MLOG_ERR_MALFORMED,
		"payload: want a string" },
	{ ENV(OK_TYPE, OK_PAYLOAD, "{}"), MLOG_ERR_MALFORMED,
		"signatures: want an array" },
	{ ENV(OK_TYPE, OK_PAYLOAD, "\"" SIG_B "\""), MLOG_ERR_MALFORMED,
		"signatures: want an array" },
	{ ENV(OK_TYPE, OK_PAYLOAD, "[\"" SIG_B "\"]"), MLOG_ERR_MALFORMED,
		"signatures[0]: want an object" },
	{ ENV(OK_TYPE, OK_PAYLOAD, "[{\"sig\":1}]"), MLOG_ERR_MALFORMED,
		"signatures[0].sig: want a string" },
	{ ENV(OK_TYPE, OK_PAYLOAD, "[{\"sig\":\"" SIG_B "\",\"keyid\":7}]"),
		MLOG_ERR_MALFORMED, "signatures[0].keyid: want a string" },
	{ ENV(OK_TYPE, OK_PAYLOAD, "[{\"sig\":\"" SIG_B "\",\"keyid\":null}]"),
		MLOG_ERR_MALFORMED, "signatures[0].keyid: want a string" },
	/* empty things */
	{ ENV("\"\"", OK_PAYLOAD, OK_SIGS), MLOG_ERR_MALFORMED,
		"payloadType: empty" },
	{ ENV(OK_TYPE, OK_PAYLOAD, "[]"), MLOG_ERR_MALFORMED,
		"signatures: empty" },
	{ ENV(OK_TYPE, OK_PAYLOAD, "[{\"sig\":\"\"}]"), MLOG_ERR_MALFORMED,
		"signatures[0].sig: empty" },
	/* bad base64 */
	{ ENV(OK_TYPE, "\"aGVsbG8\"", OK_SIGS), MLOG_ERR_MALFORMED,
		"payload: not strict standard base64" },
	{ ENV(OK_TYPE, "\"aGVsbG9\"", OK_SIGS), MLOG_ERR_MALFORMED,
		"payload: not strict" },
	{ ENV(OK_TYPE, "\"aGVsbG9=\"", OK_SIGS), MLOG_ERR_MALFORMED,
		"payload: not strict" },           /* non-zero pad bits */
	{ ENV(OK_TYPE, "\"aGV sbG8=\"", OK_SIGS), MLOG_ERR_MALFORMED,
		"payload: not strict" },
	{ ENV(OK_TYPE, "\"aGVsbG8=\\n\"", OK_SIGS), MLOG_ERR_MALFORMED,
		"payload: not strict" },
	{ ENV(OK_TYPE, "\"-_-_\"", OK_SIGS), MLOG_ERR_MALFORMED,
		"payload: not strict" },           /* URL-safe alphabet */
	{ ENV(OK_TYPE, OK_PAYLOAD, "[{\"sig\":\"c2l\"}]"),
		MLOG_ERR_MALFORMED, "signatures[0].sig: not strict" },
	{ ENV(OK_TYPE, OK_PAYLOAD, "[{\"sig\":\"" SIG_B "\"},{\"sig\":\"*\"}]"),
		MLOG_ERR_MALFORMED, "signatures[1].sig: not strict" },
	{ ENV(OK_TYPE, OK_PAYLOAD, "[{\"sig\":\"c2lnbmF0dXJlLWE\"}]"),
		MLOG_ERR_MALFORMED, "signatures[0].sig: not strict" },
	/* NUL and bad UTF-8 */
	{ ENV(OK_TYPE, OK_PAYLOAD, "[{\"sig\":\"" SIG_B "\",\"keyid\":"
		"\"a\\u0000b\"}]"), MLOG_ERR_MALFORMED, "envelope" },
	{ ENV("\"\xff\"", OK_PAYLOAD, OK_SIGS), MLOG_ERR_MALFORMED,
		"envelope" },
	{ ENV("\"\\ud800\"", OK_PAYLOAD, OK_SIGS), MLOG_ERR_MALFORMED,
		"envelope" },
};

static void expect_bad(const char *json, size_t len, int code,
	const char *msg, size_t i)
{
	struct mlog_dsse_envelope *e = (struct mlog_dsse_envelope *)1;
	struct mlog_error err = { 0 };
	int rc = mlog_dsse_parse(&e, json, len, &err);

	cr_assert_eq(rc, code, "case %zu: rc %d (%s), want %d; input %.120s",
		i, rc, err.msg, code, json);
	cr_assert_eq(e, (struct mlog_dsse_envelope *)1, "case %zu: output "
		"touched", i);
	cr_assert(strstr(err.msg, msg) != NULL, "case %zu: message \"%s\" "
		"lacks \"%s\"", i, err.msg, msg);
	cr_assert(strchr(err.msg, '\n') == NULL);
}

Test(dsse, malformed_envelopes_table)
{
	/* The well-formed base of the table parses. */
	struct mlog_dsse_envelope *e = parse_ok(ENV(OK_TYPE, OK_PAYLOAD,
		OK_SIGS), strlen(ENV(OK_TYPE, OK_PAYLOAD, OK_SIGS)));

	mlog_dsse_free(e);
	for (size_t i = 0; i < sizeof(bad_envelopes) /
	     sizeof(bad_envelopes[0]); i++)
		expect_bad(bad_envelopes[i].json,
			strlen(bad_envelopes[i].json), bad_envelopes[i].code,
			bad_envelopes[i].msg, i);
}

Test(dsse, malformed_envelope_limits)
{
	char *json = malloc(MLOG_DSSE_MAX_BYTES + 2);
	char *p;
	size_t len;

	/* Oversize: refused as TOOBIG even though it is not even JSON. */
	memset(json, '{', MLOG_DSSE_MAX_BYTES + 1);
	expect_bad(json, MLOG_DSSE_MAX_BYTES + 1, MLOG_ERR_TOOBIG,
		"over 65535", 0);
	/* A valid envelope padded with spaces to the limit parses; one
	 * byte more is TOOBIG. */
	len = strlen(ENV(OK_TYPE, OK_PAYLOAD, OK_SIGS));
	memset(json, ' ', MLOG_DSSE_MAX_BYTES + 1);
	memcpy(json, ENV(OK_TYPE, OK_PAYLOAD, OK_SIGS), len);
	mlog_dsse_free(parse_ok(json, MLOG_DSSE_MAX_BYTES));
	expect_bad(json, MLOG_DSSE_MAX_BYTES + 1, MLOG_ERR_TOOBIG, "over", 1);

	/* 17 signatures. */
	p = json;
	p += sprintf(p, "{\"payloadType\":\"t\",\"payload\":\"\","
		"\"signatures\":[");
	for (int i = 0; i <= MLOG_DSSE_MAX_SIGS; i++)
		p += sprintf(p, "%s{\"sig\":\"" SIG_B "\"}", i ? "," : "");
	p += sprintf(p, "]}");
	expect_bad(json, (size_t)(p - json), MLOG_ERR_MALFORMED,
		"signatures: 17 entries", 2);

	/* payloadType of 257 bytes; 256 is fine. */
	p = json;
	p += sprintf(p, "{\"payloadType\":\"");
	memset(p, 'a', MLOG_DSSE_TYPE_MAX + 1);
	p += MLOG_DSSE_TYPE_MAX + 1;
	p += sprintf(p, "\",\"payload\":\"\",\"signatures\":" OK_SIGS "}");
	expect_bad(json, (size_t)(p - json), MLOG_ERR_MALFORMED,
		"payloadType: 257 bytes", 3);
	memmove(json + 16, json + 17, (size_t)(p - json) - 17);
	mlog_dsse_free(parse_ok(json, (size_t)(p - json) - 1));

	/* keyid of 257 bytes. */
	p = json;
	p += sprintf(p, "{\"payloadType\":\"t\",\"payload\":\"\","
		"\"signatures\":[{\"sig\":\"" SIG_B "\",\"keyid\":\"");
	memset(p, 'k', MLOG_DSSE_KEYID_MAX + 1);
	p += MLOG_DSSE_KEYID_MAX + 1;
	p += sprintf(p, "\"}]}");
	expect_bad(json, (size_t)(p - json), MLOG_ERR_MALFORMED,
		"signatures[0].keyid: 257 bytes", 4);

	/* A signature of 513 bytes; 512 is fine. */
	{
		uint8_t raw[MLOG_DSSE_SIG_MAX + 1];
		char b64[MLOG_CODEC_B64_LEN(sizeof(raw)) + 1];

		memset(raw, 0x5a, sizeof(raw));
		cr_assert_gt(mlog_codec_base64_encode(b64, sizeof(b64), raw,
			sizeof(raw)), 0);
		p = json;
		p += sprintf(p, "{\"payloadType\":\"t\",\"payload\":\"\","
			"\"signatures\":[{\"sig\":\"%s\"}]}", b64);
		expect_bad(json, (size_t)(p - json), MLOG_ERR_MALFORMED,
			"signatures[0].sig: over 512 bytes", 5);
		cr_assert_gt(mlog_codec_base64_encode(b64, sizeof(b64), raw,
			sizeof(raw) - 1), 0);
		p = json;
		p += sprintf(p, "{\"payloadType\":\"t\",\"payload\":\"\","
			"\"signatures\":[{\"sig\":\"%s\"}]}", b64);
		mlog_dsse_free(parse_ok(json, (size_t)(p - json)));
	}
	free(json);
}

Test(dsse, parse_does_not_read_past_len)
{
	/* The JSON is followed by garbage the length excludes. */
	static const char buf[] = ENV(OK_TYPE, OK_PAYLOAD, OK_SIGS) "GARBAGE";
	size_t len = strlen(ENV(OK_TYPE, OK_PAYLOAD, OK_SIGS));
	struct mlog_dsse_envelope *e = parse_ok(buf, len);

	cr_assert_str_eq(e->payload_type, "t");
	mlog_dsse_free(e);
	expect_bad(buf, len - 1, MLOG_ERR_MALFORMED, "envelope", 0);
}
