/*
 * sgx.c — SGX SIGSTRUCT and signed-enclave reader; see sgx.h.
 *
 * Every read from the input goes through in_file(), which checks an
 * (offset, size) pair against the input length by subtraction, so no sum
 * can wrap. ELF structures are read field by field with explicit
 * little-endian loads rather than through <elf.h> structs: the input may
 * be unaligned and the host's layout is irrelevant.
 */
#include "sgx.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

/* HEADER bytes 0..11 and HEADER2 (offset 24), the SDM constants. */
static const uint8_t sgx_header[12] = {
	0x06, 0x00, 0x00, 0x00, 0xe1, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x01, 0x00,
};
static const uint8_t sgx_header2[16] = {
	0x01, 0x01, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00,
	0x60, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
};

/* Reserved ranges, in the order of the MLOG_SGX_RESERVED_* bits. */
static const struct {
	size_t off, len;
} sgx_reserved[MLOG_SGX_RESERVED_COUNT] = {
	{ 44, 84 }, { 910, 2 }, { 992, 16 }, { 1028, 12 },
};

/* ELF constants (the values of <elf.h>, named here for the reader). */
#define ELF_HDR32_BYTES 52
#define ELF_HDR64_BYTES 64
#define ELF_SHDR32_BYTES 40
#define ELF_SHDR64_BYTES 64
#define ELF_SHT_STRTAB 3
#define ELF_SHT_NOBITS 8
#define ELF_SHN_XINDEX 0xffff
#define SGX_NOTE_NAME "sgx_metadata"      /* 12 chars + NUL = namesz 13 */
#define SGX_NOTE_NAMESZ 13
#define SGX_NOTE_TYPE 1
#define SECTION_SGXMETA ".note.sgxmeta"
#define SECTION_OEINFO ".oeinfo"

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) |
	       ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | ((uint64_t)le32(p + 4) << 32);
}

/* 1 if [off, off+size) lies inside an input of len bytes; no overflow. */
static int in_file(size_t len, uint64_t off, uint64_t size)
{
	return off <= len && size <= len - off;
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != 0)
			return 0;
	}
	return 1;
}

/* Lowercase hex of p[0..n) into out (cap >= 2n+1); for messages. */
static void hex(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* ---- SIGSTRUCT ----------------------------------------------------------- */

int mlog_sgx_sigstruct_decode(struct mlog_sgx_sigstruct *out,
	const uint8_t *data, size_t len, struct mlog_error *err)
{
	struct mlog_sgx_sigstruct s;
	char got[2 * 16 + 1];

	if (len != MLOG_SGX_SIGSTRUCT_BYTES)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"SIGSTRUCT: %zu bytes, want %d", len,
			MLOG_SGX_SIGSTRUCT_BYTES);
	if (all_zero(data, len))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"SIGSTRUCT is all zeros: the enclave is not signed");
	if (memcmp(data, sgx_header, sizeof(sgx_header)) != 0) {
		hex(got, data, 16);
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"SIGSTRUCT: HEADER is %s, want "
			"06000000e10000000000010000000000", got);
	}
	memset(&s, 0, sizeof(s));
	s.header_type = le32(data + MLOG_SGX_OFF_HEADER_TYPE);
	if (s.header_type != 0 && s.header_type != MLOG_SGX_HEADER_TYPE_DEBUG)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"SIGSTRUCT: HEADER type 0x%08" PRIx32 " has bits other "
			"than 31 set", s.header_type);
	if (memcmp(data + MLOG_SGX_OFF_HEADER2, sgx_header2,
		sizeof(sgx_header2)) != 0) {
		hex(got, data + MLOG_SGX_OFF_HEADER2, 16);
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"SIGSTRUCT: HEADER2 (offset 24) is %s, want "
			"01010000600000006000000001000000", got);
	}
	s.exponent = le32(data + MLOG_SGX_OFF_EXPONENT);
	if (s.exponent != MLOG_SGX_EXPONENT)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"SIGSTRUCT: EXPONENT is %" PRIu32 ", want 3",
			s.exponent);

	memcpy(s.raw, data, sizeof(s.raw));
	s.vendor = le32(data + MLOG_SGX_OFF_VENDOR);
	s.date = le32(data + MLOG_SGX_OFF_DATE);
	s.swdefined = le32(data + MLOG_SGX_OFF_SWDEFINED);
	s.miscselect = le32(data + MLOG_SGX_OFF_MISCSELECT);
	s.miscmask = le32(data + MLOG_SGX_OFF_MISCMASK);
	s.cet_attributes = data[MLOG_SGX_OFF_CET];
	s.cet_attributes_mask = data[MLOG_SGX_OFF_CET_MASK];
	memcpy(s.isvfamilyid, data + MLOG_SGX_OFF_ISVFAMILYID,
		MLOG_SGX_ID_BYTES);
	s.attributes = le64(data + MLOG_SGX_OFF_ATTRIBUTES);
	s.xfrm = le64(data + MLOG_SGX_OFF_XFRM);
	s.attributemask = le64(data + MLOG_SGX_OFF_ATTRIBUTEMASK);
	s.xfrmmask = le64(data + MLOG_SGX_OFF_XFRMMASK);
	memcpy(s.mrenclave, data + MLOG_SGX_OFF_MRENCLAVE,
		MLOG_SGX_HASH_BYTES);
	memcpy(s.isvextprodid, data + MLOG_SGX_OFF_ISVEXTPRODID,
		MLOG_SGX_ID_BYTES);
	s.isvprodid = le16(data + MLOG_SGX_OFF_ISVPRODID);
	s.isvsvn = le16(data + MLOG_SGX_OFF_ISVSVN);
	for (unsigned i = 0; i < MLOG_SGX_RESERVED_COUNT; i++) {
		if (!all_zero(data + sgx_reserved[i].off, sgx_reserved[i].len))
			s.reserved_nonzero |= 1u << i;
	}
	/* MRSIGNER hashes the modulus as stored, little-endian (sgx_sign
	 * print_metadata, Gramine sigstruct-view, EGo signerid). */
	if (EVP_Digest(data + MLOG_SGX_OFF_MODULUS, MLOG_SGX_KEY_BYTES,
		s.mrsigner, NULL, EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(data, len, s.sha256, NULL, EVP_sha256(), NULL) != 1) {
		ERR_clear_error();
		return mlog_error_set(err, MLOG_ERR_INTERNAL,
			"SIGSTRUCT: SHA-256 failed");
	}
	*out = s;
	return MLOG_OK;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void reverse(uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[n - 1 - i];
}

/* An RSA public key (n big-endian, e = 3) as an EVP_PKEY, or NULL. */
static EVP_PKEY *rsa_public_key(const uint8_t n_be[MLOG_SGX_KEY_BYTES])
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *n = BN_bin2bn(n_be, MLOG_SGX_KEY_BYTES, NULL);
	BIGNUM *e = BN_new();

	if (bld == NULL || n == NULL || e == NULL ||
	    BN_set_word(e, MLOG_SGX_EXPONENT) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)
		goto done;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (params == NULL || ctx == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
done:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return pkey;
}

int mlog_sgx_sigstruct_verify(const struct mlog_sgx_sigstruct *s,
	struct mlog_error *err)
{
	uint8_t n_be[MLOG_SGX_KEY_BYTES], sig_be[MLOG_SGX_KEY_BYTES];
	EVP_MD_CTX *md = NULL;
	EVP_PKEY *pkey;
	int rc;

	reverse(n_be, s->raw + MLOG_SGX_OFF_MODULUS, MLOG_SGX_KEY_BYTES);
	reverse(sig_be, s->raw + MLOG_SGX_OFF_SIGNATURE, MLOG_SGX_KEY_BYTES);
	/* RSA-3072 exactly: top bit set, and odd (an even n is no RSA
	 * modulus). Checked here so that hostile input gives VERIFY with a
	 * reason rather than whatever OpenSSL makes of it. */
	if ((n_be[0] & 0x80) == 0 || (n_be[MLOG_SGX_KEY_BYTES - 1] & 1) == 0)
		return mlog_error_set(err, MLOG_ERR_VERIFY,
			"SIGSTRUCT: MODULUS is not an odd 3072-bit number");
	if (memcmp(sig_be, n_be, MLOG_SGX_KEY_BYTES) >= 0)
		return mlog_error_set(err, MLOG_ERR_VERIFY,
			"SIGSTRUCT: SIGNATURE is not below the modulus");
	pkey = rsa_public_key(n_be);
	if (pkey == NULL) {
		ERR_clear_error();
		return mlog_error_set(err, MLOG_ERR_INTERNAL,
			"SIGSTRUCT: can't build an RSA key from the modulus");
	}
	md = EVP_MD_CTX_new();
	if (md == NULL ||
	    EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, pkey,
		NULL) != 1 ||
	    EVP_DigestVerifyUpdate(md, s->raw,
		MLOG_SGX_SIGNED_HEADER_BYTES) != 1 ||
	    EVP_DigestVerifyUpdate(md, s->raw + MLOG_SGX_OFF_BODY,
		MLOG_SGX_SIGNED_BODY_BYTES) != 1) {
		rc = mlog_error_set(err, MLOG_ERR_INTERNAL,
			"SIGSTRUCT: can't set up RSA verification");
		goto done;
	}
	/* PKCS#1 v1.5 padding is OpenSSL's RSA default; 1 means valid,
	 * anything else (0 mismatch, <0 bad encoding) means not valid. */
	if (EVP_DigestVerifyFinal(md, sig_be, sizeof(sig_be)) == 1)
		rc = MLOG_OK;
	else
		rc = mlog_error_set(err, MLOG_ERR_VERIFY,
			"SIGSTRUCT: RSA signature does not verify");
done:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	return rc;
}

/*
 * q1 = floor(s^2 / n); q2 = floor(((s^2 mod n) * s) / n), which equals
 * floor((s^3 - q1*s*n) / n) (sgx_sign calc_RSAq1q2). t and r are scratch.
 * Returns 1, or 0 when BIGNUM fails. Requires n != 0.
 */
static int compute_q(BIGNUM *q1, BIGNUM *q2, const BIGNUM *sig,
	const BIGNUM *n, BIGNUM *t, BIGNUM *r, BN_CTX *ctx)
{
	return BN_sqr(t, sig, ctx) == 1 && BN_div(q1, r, t, n, ctx) == 1 &&
	       BN_mul(t, r, sig, ctx) == 1 &&
	       BN_div(q2, NULL, t, n, ctx) == 1;
}

int mlog_sgx_sigstruct_verify_q(const struct mlog_sgx_sigstruct *s,
	struct mlog_error *err)
{
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *n, *sig, *q1, *q2, *t, *r, *w1, *w2;
	int rc;

	n = BN_lebin2bn(s->raw + MLOG_SGX_OFF_MODULUS, MLOG_SGX_KEY_BYTES,
		NULL);
	sig = BN_lebin2bn(s->raw + MLOG_SGX_OFF_SIGNATURE, MLOG_SGX_KEY_BYTES,
		NULL);
	q1 = BN_lebin2bn(s->raw + MLOG_SGX_OFF_Q1, MLOG_SGX_KEY_BYTES, NULL);
	q2 = BN_lebin2bn(s->raw + MLOG_SGX_OFF_Q2, MLOG_SGX_KEY_BYTES, NULL);
	t = BN_new();
	r = BN_new();
	w1 = BN_new();
	w2 = BN_new();
	if (ctx == NULL || n == NULL || sig == NULL || q1 == NULL ||
	    q2 == NULL || t == NULL || r == NULL || w1 == NULL || w2 == NULL) {
		rc = mlog_error_set(err, MLOG_ERR_NOMEM,
			"SIGSTRUCT: out of memory checking q1/q2");
		goto done;
	}
	if (BN_is_zero(n)) {
		rc = mlog_error_set(err, MLOG_ERR_VERIFY,
			"SIGSTRUCT: MODULUS is zero");
		goto done;
	}
	if (compute_q(w1, w2, sig, n, t, r, ctx) != 1) {
		rc = mlog_error_set(err, MLOG_ERR_INTERNAL,
			"SIGSTRUCT: BIGNUM arithmetic failed");
		goto done;
	}
	if (BN_cmp(w1, q1) != 0)
		rc = mlog_error_set(err, MLOG_ERR_VERIFY,
			"SIGSTRUCT: Q1 is not floor(s^2 / n)");
	else if (BN_cmp(w2, q2) != 0)
		rc = mlog_error_set(err, MLOG_ERR_VERIFY,
			"SIGSTRUCT: Q2 is not floor((s^3 - q1*s*n) / n)");
	else
		rc = MLOG_OK;
done:
	ERR_clear_error();
	BN_free(n);
	BN_free(sig);
	BN_free(q1);
	BN_free(q2);
	BN_free(t);
	BN_free(r);
	BN_free(w1);
	BN_free(w2);
	BN_CTX_free(ctx);
	return rc;
}

/* ---- signing (test data and demos) -------------------------------------- */

void mlog_sgx_sigstruct_init(uint8_t ss[MLOG_SGX_SIGSTRUCT_BYTES])
{
	memset(ss, 0, MLOG_SGX_SIGSTRUCT_BYTES);
	memcpy(ss + MLOG_SGX_OFF_HEADER, sgx_header, sizeof(sgx_header));
	memcpy(ss + MLOG_SGX_OFF_HEADER2, sgx_header2, sizeof(sgx_header2));
	put_le32(ss + MLOG_SGX_OFF_EXPONENT, MLOG_SGX_EXPONENT);
}

/* PEM passphrase callback: there is none, so an encrypted key fails to
 * load instead of OpenSSL prompting on the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Loads an RSA-3072, e = 3 private key from PEM. */
static int load_signing_key(EVP_PKEY **out, const char *pem, size_t len,
	struct mlog_error *err)
{
	EVP_PKEY *pkey;
	BIGNUM *e = NULL;
	BIO *bio;
	int ok;

	if (len > MLOG_SGX_KEY_PEM_MAX)
		return mlog_error_set(err, MLOG_ERR_TOOBIG, "SGX key: %zu "
			"bytes of PEM, at most %d allowed", len,
			MLOG_SGX_KEY_PEM_MAX);
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM,
			"SGX key: out of memory");
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (pkey == NULL) {
		ERR_clear_error();
		return mlog_error_set(err, MLOG_ERR_MALFORMED, "SGX key: not "
			"an unencrypted PEM private key");
	}
	ok = EVP_PKEY_is_a(pkey, "RSA") &&
	     EVP_PKEY_get_bits(pkey) == MLOG_SGX_KEY_BITS &&
	     EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1 &&
	     BN_is_word(e, MLOG_SGX_EXPONENT);
	BN_free(e);
	ERR_clear_error();
	if (!ok) {
		int bits = EVP_PKEY_get_bits(pkey);
		const char *type = EVP_PKEY_get0_type_name(pkey);

		EVP_PKEY_free(pkey);
		return mlog_error_set(err, MLOG_ERR_RANGE, "SGX key: %s, %d "
			"bits: want RSA-3072 with public exponent 3",
			type != NULL ? type : "unknown type", bits);
	}
	*out = pkey;
	return MLOG_OK;
}

int mlog_sgx_sigstruct_sign(uint8_t ss[MLOG_SGX_SIGSTRUCT_BYTES],
	const char *key_pem, size_t key_pem_len, struct mlog_error *err)
{
	uint8_t tmp[MLOG_SGX_SIGSTRUCT_BYTES];
	uint8_t msg[MLOG_SGX_SIGNED_HEADER_BYTES + MLOG_SGX_SIGNED_BODY_BYTES];
	uint8_t sig[MLOG_SGX_KEY_BYTES];
	size_t sig_len = sizeof(sig);
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = NULL;
	BN_CTX *ctx = NULL;
	BIGNUM *n = NULL, *s = NULL, *q1 = NULL, *q2 = NULL, *t = NULL;
	BIGNUM *r = NULL;
	int rc;

	rc = load_signing_key(&key, key_pem, key_pem_len, err);
	if (rc != MLOG_OK)
		return rc;
	md = EVP_MD_CTX_new();
	ctx = BN_CTX_new();
	q1 = BN_new();
	q2 = BN_new();
	t = BN_new();
	r = BN_new();
	if (md == NULL || ctx == NULL || q1 == NULL || q2 == NULL ||
	    t == NULL || r == NULL) {
		rc = mlog_error_set(err, MLOG_ERR_NOMEM,
			"SIGSTRUCT: out of memory signing");
		goto done;
	}
	/* The key goes in first: MODULUS and EXPONENT are not signed, but
	 * a verifier reads the key from them. */
	memcpy(tmp, ss, sizeof(tmp));
	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
	    BN_bn2lebinpad(n, tmp + MLOG_SGX_OFF_MODULUS,
		MLOG_SGX_KEY_BYTES) != MLOG_SGX_KEY_BYTES) {
		rc = mlog_error_set(err, MLOG_ERR_INTERNAL,
			"SIGSTRUCT: can't read the key's modulus");
		goto done;
	}
	put_le32(tmp + MLOG_SGX_OFF_EXPONENT, MLOG_SGX_EXPONENT);
	/* RSASSA-PKCS1-v1_5 (OpenSSL's RSA default) over the two signed
	 * ranges, [0,128) || [900,1028). */
	memcpy(msg, tmp, MLOG_SGX_SIGNED_HEADER_BYTES);
	memcpy(msg + MLOG_SGX_SIGNED_HEADER_BYTES, tmp + MLOG_SGX_OFF_BODY,
		MLOG_SGX_SIGNED_BODY_BYTES);
	if (EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, key,
		NULL) != 1 ||
	    EVP_DigestSign(md, sig, &sig_len, msg, sizeof(msg)) != 1 ||
	    sig_len != sizeof(sig)) {
		rc = mlog_error_set(err, MLOG_ERR_INTERNAL,
			"SIGSTRUCT: RSA signing failed");
		goto done;
	}
	reverse(tmp + MLOG_SGX_OFF_SIGNATURE, sig, sizeof(sig));
	s = BN_bin2bn(sig, (int)sizeof(sig), NULL);
	if (s == NULL || compute_q(q1, q2, s, n, t, r, ctx) != 1 ||
	    BN_bn2lebinpad(q1, tmp + MLOG_SGX_OFF_Q1, MLOG_SGX_KEY_BYTES)
		!= MLOG_SGX_KEY_BYTES ||
	    BN_bn2lebinpad(q2, tmp + MLOG_SGX_OFF_Q2, MLOG_SGX_KEY_BYTES)
		!= MLOG_SGX_KEY_BYTES) {
		rc = mlog_error_set(err, MLOG_ERR_INTERNAL,
			"SIGSTRUCT: BIGNUM arithmetic failed computing q1/q2");
		goto done;
	}
	memcpy(ss, tmp, sizeof(tmp));
	rc = MLOG_OK;
done:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	BN_free(n);
	BN_free(s);
	BN_free(q1);
	BN_free(q2);
	BN_free(t);
	BN_free(r);
	BN_CTX_free(ctx);
	return rc;
}

int mlog_sgx_key_generate(char **pem, size_t *pem_len,
	struct mlog_error *err)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *e = BN_new();
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	BUF_MEM *mem = NULL;
	char *out;
	int rc;

	if (ctx == NULL || e == NULL ||
	    BN_set_word(e, MLOG_SGX_EXPONENT) != 1 ||
	    EVP_PKEY_keygen_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, MLOG_SGX_KEY_BITS) != 1 ||
	    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) != 1 ||
	    EVP_PKEY_generate(ctx, &key) != 1) {
		rc = mlog_error_set(err, MLOG_ERR_INTERNAL,
			"SGX key: RSA-3072 e = 3 key generation failed");
		goto done;
	}
	/* A secure-memory BIO, so the PEM text is wiped when freed. */
	bio = BIO_new(BIO_s_secmem());
	if (bio == NULL || PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0,
		NULL, NULL) != 1 || BIO_get_mem_ptr(bio, &mem) != 1 ||
	    mem == NULL) {
		rc = mlog_error_set(err, MLOG_ERR_INTERNAL,
			"SGX key: can't write the key as PEM");
		goto done;
	}
	out = malloc(mem->length + 1);
	if (out == NULL) {
		rc = mlog_error_set(err, MLOG_ERR_NOMEM,
			"SGX key: out of memory");
		goto done;
	}
	memcpy(out, mem->data, mem->length);
	out[mem->length] = '\0';
	*pem = out;
	*pem_len = mem->length;
	rc = MLOG_OK;
done:
	ERR_clear_error();
	BIO_free(bio);
	EVP_PKEY_free(key);
	BN_free(e);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

/* ---- ELF ----------------------------------------------------------------- */

/* The ELF file as far as we need it: identification and the section
 * header table, validated by elf_open(). */
struct elf {
	const uint8_t *data;
	size_t len;
	int cls;                /* 32 or 64 */
	uint64_t ehsize;        /* bytes of the ELF header for the class */
	uint64_t shoff;
	uint64_t shentsize;
	uint64_t shnum;
	uint64_t shstrndx;
};

struct shdr {
	uint32_t name;
	uint32_t type;
	uint32_t link;
	uint64_t offset;
	uint64_t size;
	uint64_t align;
};

/* Section header i; the caller has checked that the table holds it. */
static void elf_shdr(const struct elf *e, uint64_t i, struct shdr *sh)
{
	const uint8_t *p = e->data + e->shoff + i * e->shentsize;

	sh->name = le32(p);
	sh->type = le32(p + 4);
	if (e->cls == 64) {
		sh->offset = le64(p + 24);
		sh->size = le64(p + 32);
		sh->link = le32(p + 40);
		sh->align = le64(p + 48);
	} else {
		sh->offset = le32(p + 16);
		sh->size = le32(p + 20);
		sh->link = le32(p + 24);
		sh->align = le32(p + 32);
	}
}

/* Validates the identification, the ELF header and the section header
 * table (rule 3). */
static int elf_open(struct elf *e, const uint8_t *data, size_t len,
	struct mlog_error *err)
{
	struct shdr sh0;

	memset(e, 0, sizeof(*e));
	e->data = data;
	e->len = len;
	if (len < 16)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: truncated identification (%zu bytes, need 16)",
			len);
	if (data[4] == 1)
		e->cls = 32;
	else if (data[4] == 2)
		e->cls = 64;
	else
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: EI_CLASS %u is neither ELFCLASS32 nor "
			"ELFCLASS64", data[4]);
	if (data[5] != 1)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: EI_DATA %u is not little-endian (SGX enclaves "
			"are x86)", data[5]);
	if (data[6] != 1)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: EI_VERSION %u, want 1", data[6]);
	e->ehsize = e->cls == 64 ? ELF_HDR64_BYTES : ELF_HDR32_BYTES;
	if (len < e->ehsize)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: truncated ELF header (%zu bytes, need %" PRIu64
			")", len, e->ehsize);
	if (e->cls == 64) {
		e->shoff = le64(data + 40);
		e->shentsize = le16(data + 58);
		e->shnum = le16(data + 60);
		e->shstrndx = le16(data + 62);
	} else {
		e->shoff = le32(data + 32);
		e->shentsize = le16(data + 46);
		e->shnum = le16(data + 48);
		e->shstrndx = le16(data + 50);
	}
	if (e->shoff == 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: no section header table (e_shoff is 0)");
	if (e->shentsize != (e->cls == 64 ? ELF_SHDR64_BYTES :
		ELF_SHDR32_BYTES))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: e_shentsize %" PRIu64 ", want %d", e->shentsize,
			e->cls == 64 ? ELF_SHDR64_BYTES : ELF_SHDR32_BYTES);
	if (e->shoff < e->ehsize)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: section header table at 0x%" PRIx64 " overlaps "
			"the ELF header", e->shoff);
	if (!in_file(len, e->shoff, e->shentsize))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: section header table at 0x%" PRIx64 " is past "
			"the end of the file (0x%zx bytes)", e->shoff, len);
	/* Extended numbering (gABI): e_shnum 0 and e_shstrndx SHN_XINDEX
	 * move the real values to section 0's sh_size and sh_link. */
	elf_shdr(e, 0, &sh0);
	if (e->shnum == 0)
		e->shnum = sh0.size;
	if (e->shstrndx == ELF_SHN_XINDEX)
		e->shstrndx = sh0.link;
	if (e->shnum == 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: no sections");
	if (e->shnum > MLOG_SGX_MAX_SECTIONS)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: %" PRIu64 " sections, more than %d", e->shnum,
			MLOG_SGX_MAX_SECTIONS);
	if (e->shnum > (len - e->shoff) / e->shentsize)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: section header table (%" PRIu64 " entries at 0x%"
			PRIx64 ") runs past the end of the file (0x%zx bytes)",
			e->shnum, e->shoff, len);
	if (e->shstrndx == 0 || e->shstrndx >= e->shnum)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: e_shstrndx %" PRIu64 " is not a section (%" PRIu64
			" sections)", e->shstrndx, e->shnum);
	return MLOG_OK;
}

/* The section read must hold its bytes in the file, and not be the ELF
 * header or the section header table. */
static int elf_section_data(const struct elf *e, uint64_t idx,
	const char *name, const struct shdr *sh, struct mlog_error *err)
{
	uint64_t table_end = e->shoff + e->shnum * e->shentsize;

	if (sh->type == ELF_SHT_NOBITS)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: section %" PRIu64 " (%s) has no data in the file "
			"(SHT_NOBITS)", idx, name);
	if (!in_file(e->len, sh->offset, sh->size))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: section %" PRIu64 " (%s): offset 0x%" PRIx64
			" + size 0x%" PRIx64 " runs past the end of the file "
			"(0x%zx bytes)", idx, name, sh->offset, sh->size,
			e->len);
	if (sh->size > 0 && sh->offset < e->ehsize)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: section %" PRIu64 " (%s) at 0x%" PRIx64
			" overlaps the ELF header", idx, name, sh->offset);
	/* Both ranges are inside the file, so these sums cannot wrap. */
	if (sh->size > 0 && sh->offset < table_end &&
	    e->shoff < sh->offset + sh->size)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: section %" PRIu64 " (%s) at 0x%" PRIx64
			" overlaps the section header table", idx, name,
			sh->offset);
	return MLOG_OK;
}

/* Finds .note.sgxmeta and .oeinfo by name (rule 3). *meta_idx and
 * *oe_idx are 0 when absent (section 0 is never a real section). */
static int elf_find(const struct elf *e, uint64_t *meta_idx,
	uint64_t *oe_idx, struct mlog_error *err)
{
	struct shdr str, sh;
	const char *names;

	elf_shdr(e, e->shstrndx, &str);
	if (str.type != ELF_SHT_STRTAB)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: section %" PRIu64 " (e_shstrndx) is not a string "
			"table (type %" PRIu32 ")", e->shstrndx, str.type);
	if (!in_file(e->len, str.offset, str.size))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: section name table (section %" PRIu64 "): offset "
			"0x%" PRIx64 " + size 0x%" PRIx64 " runs past the end "
			"of the file (0x%zx bytes)", e->shstrndx, str.offset,
			str.size, e->len);
	names = (const char *)e->data + str.offset;
	*meta_idx = 0;
	*oe_idx = 0;
	for (uint64_t i = 1; i < e->shnum; i++) {
		const char *name;
		uint64_t *slot;

		elf_shdr(e, i, &sh);
		if (sh.name >= str.size)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"ELF: section %" PRIu64 ": name offset %" PRIu32
				" is past the name table (%" PRIu64 " bytes)",
				i, sh.name, str.size);
		name = names + sh.name;
		if (memchr(name, '\0', str.size - sh.name) == NULL)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"ELF: section %" PRIu64 ": name runs past the "
				"end of the name table", i);
		if (strcmp(name, SECTION_SGXMETA) == 0)
			slot = meta_idx;
		else if (strcmp(name, SECTION_OEINFO) == 0)
			slot = oe_idx;
		else
			continue;
		if (*slot != 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"ELF: two sections named %s (%" PRIu64 " and %"
				PRIu64 ")", name, *slot, i);
		*slot = i;
	}
	if (*meta_idx != 0 && *oe_idx != 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: both .note.sgxmeta (section %" PRIu64 ") and "
			".oeinfo (section %" PRIu64 ") are present", *meta_idx,
			*oe_idx);
	if (*meta_idx == 0 && *oe_idx == 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: no .note.sgxmeta or .oeinfo section: not an SGX "
			"enclave");
	return MLOG_OK;
}

/* .note.sgxmeta (rules 4 and 5); sec = the section's bytes. */
static int decode_sgxmeta(struct mlog_sgx_enclave *out, const uint8_t *sec,
	const struct shdr *sh, struct mlog_error *err)
{
	uint64_t need, rounded, pos = 0;
	uint32_t namesz, descsz, type;
	const uint8_t *meta;
	int rc;

	if (sh->size < 12)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: .note.sgxmeta: %" PRIu64 " bytes, too short for "
			"a note header (12)", sh->size);
	namesz = le32(sec);
	descsz = le32(sec + 4);
	type = le32(sec + 8);
	if (namesz != SGX_NOTE_NAMESZ)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: .note.sgxmeta: note name size %" PRIu32 ", want "
			"13 (\"sgx_metadata\")", namesz);
	if (type != SGX_NOTE_TYPE)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: .note.sgxmeta: note type %" PRIu32 ", want 1",
			type);
	/* The name is not padded: the metadata starts at +25. */
	need = (uint64_t)MLOG_SGX_META_NOTE_OFFSET + descsz;
	if (need > sh->size)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: .note.sgxmeta: note descsz 0x%" PRIx32 " runs "
			"past the section (0x%" PRIx64 " bytes)", descsz,
			sh->size);
	if (memcmp(sec + 12, SGX_NOTE_NAME, SGX_NOTE_NAMESZ) != 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: .note.sgxmeta: note name is not "
			"\"sgx_metadata\"");
	if (sh->align > 1 && (sh->align & (sh->align - 1)) != 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: .note.sgxmeta: sh_addralign %" PRIu64 " is not a "
			"power of two", sh->align);
	/* need < 2^33 and align <= 2^63, so this cannot wrap. */
	rounded = sh->align <= 1 ? need :
		need + (sh->align - need % sh->align) % sh->align;
	if (rounded != sh->size)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: .note.sgxmeta: section size 0x%" PRIx64 " is not "
			"the note size 0x%" PRIx64 " rounded to sh_addralign %"
			PRIu64, sh->size, need, sh->align);

	meta = sec + MLOG_SGX_META_NOTE_OFFSET;
	while (descsz - pos >= 8 && le64(meta + pos) == MLOG_SGX_META_MAGIC) {
		const uint8_t *m = meta + pos;
		struct mlog_sgx_meta *me = &out->meta[out->nmeta];
		uint64_t at = sh->offset + MLOG_SGX_META_NOTE_OFFSET + pos;
		uint64_t version;

		if (out->nmeta == MLOG_SGX_MAX_META)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"ELF: .note.sgxmeta: more than %d metadata "
				"entries", MLOG_SGX_MAX_META);
		if (descsz - pos < 20)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"ELF: .note.sgxmeta: metadata entry %zu at 0x%"
				PRIx64 " is truncated", out->nmeta, at);
		me->size = le32(m + 16);
		if (me->size < MLOG_SGX_META_MIN_BYTES)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"ELF: .note.sgxmeta: metadata entry %zu at 0x%"
				PRIx64 ": size %" PRIu32 " is below %d",
				out->nmeta, at, me->size,
				MLOG_SGX_META_MIN_BYTES);
		if (me->size > descsz - pos)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"ELF: .note.sgxmeta: metadata entry %zu at 0x%"
				PRIx64 ": size 0x%" PRIx32 " runs past the "
				"note (0x%" PRIx64 " bytes left)", out->nmeta,
				at, me->size, descsz - pos);
		me->offset = at;
		version = le64(m + 8);
		me->version_major = (uint32_t)(version >> 32);
		me->version_minor = (uint32_t)version;
		me->tcs_policy = le32(m + 20);
		me->ssa_frame_size = le32(m + 24);
		me->max_save_buffer_size = le32(m + 28);
		me->desired_misc_select = le32(m + 32);
		me->tcs_min_pool = le32(m + 36);
		me->enclave_size = le64(m + 40);
		me->attributes = le64(m + 48);
		me->xfrm = le64(m + 56);
		memcpy(me->mrenclave, m + MLOG_SGX_META_SIGSTRUCT_OFFSET +
			MLOG_SGX_OFF_MRENCLAVE, MLOG_SGX_HASH_BYTES);
		if (out->nmeta == 0) {
			rc = mlog_sgx_sigstruct_decode(&out->sig,
				m + MLOG_SGX_META_SIGSTRUCT_OFFSET,
				MLOG_SGX_SIGSTRUCT_BYTES, err);
			if (rc != MLOG_OK)
				return mlog_error_wrap(err, rc, "ELF: "
					".note.sgxmeta entry 0 at 0x%" PRIx64,
					at);
			out->sigstruct_offset = at +
				MLOG_SGX_META_SIGSTRUCT_OFFSET;
		}
		me->same_sigstruct = memcmp(m + MLOG_SGX_META_SIGSTRUCT_OFFSET,
			out->sig.raw, MLOG_SGX_SIGSTRUCT_BYTES) == 0;
		if (!me->same_sigstruct)
			out->meta_agree = 0;
		out->nmeta++;
		pos += me->size;
	}
	if (out->nmeta == 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: .note.sgxmeta at 0x%" PRIx64 " has no metadata "
			"magic: the enclave is not signed", sh->offset);
	return MLOG_OK;
}

/* .oeinfo (rule 6). */
static int decode_oeinfo(struct mlog_sgx_enclave *out, const uint8_t *sec,
	const struct shdr *sh, struct mlog_error *err)
{
	int rc;

	if (sh->size < MLOG_SGX_OEINFO_MIN_BYTES)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"ELF: .oeinfo: 0x%" PRIx64 " bytes, want at least %d "
			"(oe_sgx_enclave_properties_t)", sh->size,
			MLOG_SGX_OEINFO_MIN_BYTES);
	out->oe.size = le32(sec);
	out->oe.enclave_type = le32(sec + 4);
	out->oe.num_heap_pages = le64(sec + 8);
	out->oe.num_stack_pages = le64(sec + 16);
	out->oe.num_tcs = le64(sec + 24);
	out->oe.product_id = le16(sec + 32);
	out->oe.security_version = le16(sec + 34);
	out->oe.flags = le32(sec + 36);
	out->oe.attributes = le64(sec + 72);
	out->oe.xfrm = le64(sec + 80);
	out->sigstruct_offset = sh->offset + MLOG_SGX_OEINFO_SIGSTRUCT_OFFSET;
	rc = mlog_sgx_sigstruct_decode(&out->sig,
		sec + MLOG_SGX_OEINFO_SIGSTRUCT_OFFSET,
		MLOG_SGX_SIGSTRUCT_BYTES, err);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "ELF: .oeinfo SIGSTRUCT at 0x%"
			PRIx64, out->sigstruct_offset);
	return MLOG_OK;
}

static int decode_elf(struct mlog_sgx_enclave *out, const uint8_t *data,
	size_t len, struct mlog_error *err)
{
	uint64_t meta_idx, oe_idx, idx;
	const char *name;
	struct shdr sh;
	struct elf e;
	int rc;

	rc = elf_open(&e, data, len, err);
	if (rc != MLOG_OK)
		return rc;
	rc = elf_find(&e, &meta_idx, &oe_idx, err);
	if (rc != MLOG_OK)
		return rc;
	idx = meta_idx != 0 ? meta_idx : oe_idx;
	name = meta_idx != 0 ? SECTION_SGXMETA : SECTION_OEINFO;
	elf_shdr(&e, idx, &sh);
	rc = elf_section_data(&e, idx, name, &sh, err);
	if (rc != MLOG_OK)
		return rc;
	out->elf_class = e.cls;
	out->section_offset = sh.offset;
	out->section_size = sh.size;
	if (meta_idx != 0) {
		out->source = MLOG_SGX_SOURCE_SGXMETA;
		return decode_sgxmeta(out, data + sh.offset, &sh, err);
	}
	out->source = MLOG_SGX_SOURCE_OEINFO;
	return decode_oeinfo(out, data + sh.offset, &sh, err);
}

int mlog_sgx_enclave_decode(struct mlog_sgx_enclave *out,
	const uint8_t *data, size_t len, struct mlog_error *err)
{
	struct mlog_sgx_enclave e;
	int rc;

	if (len > MLOG_SGX_MAX_INPUT)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"%zu bytes, more than the %zu-byte limit", len,
			MLOG_SGX_MAX_INPUT);
	memset(&e, 0, sizeof(e));
	e.meta_agree = 1;
	if (len >= 4 && memcmp(data, "\x7f" "ELF", 4) == 0) {
		rc = decode_elf(&e, data, len, err);
	} else if (len == MLOG_SGX_SIGSTRUCT_BYTES) {
		e.source = MLOG_SGX_SOURCE_SIGSTRUCT;
		rc = mlog_sgx_sigstruct_decode(&e.sig, data, len, err);
	} else {
		rc = mlog_error_set(err, MLOG_ERR_MALFORMED,
			"neither an ELF file (no \\x7fELF magic) nor a "
			"1808-byte SIGSTRUCT (%zu bytes)", len);
	}
	if (rc != MLOG_OK)
		return rc;
	*out = e;
	return MLOG_OK;
}

/* ---- names --------------------------------------------------------------- */

enum mlog_sgx_debug_policy mlog_sgx_debug_policy(uint64_t attributes,
	uint64_t attributemask)
{
	if ((attributemask & MLOG_SGX_FLAG_DEBUG) == 0)
		return MLOG_SGX_DEBUG_EITHER;
	if (attributes & MLOG_SGX_FLAG_DEBUG)
		return MLOG_SGX_DEBUG_DEBUG_ONLY;
	return MLOG_SGX_DEBUG_PRODUCTION_ONLY;
}

const char *mlog_sgx_debug_policy_name(int policy)
{
	switch (policy) {
	case MLOG_SGX_DEBUG_EITHER: return "either";
	case MLOG_SGX_DEBUG_PRODUCTION_ONLY: return "production-only";
	case MLOG_SGX_DEBUG_DEBUG_ONLY: return "debug-only";
	}
	return "?";
}

const char *mlog_sgx_source_name(int source)
{
	switch (source) {
	case MLOG_SGX_SOURCE_SIGSTRUCT: return "sigstruct";
	case MLOG_SGX_SOURCE_SGXMETA: return "elf-sgxmeta";
	case MLOG_SGX_SOURCE_OEINFO: return "elf-oeinfo";
	}
	return "?";
}

const char *mlog_sgx_attribute_name(unsigned bit)
{
	switch (bit) {
	case 0: return "INIT";
	case 1: return "DEBUG";
	case 2: return "MODE64BIT";
	case 4: return "PROVISIONKEY";
	case 5: return "EINITTOKENKEY";
	case 6: return "CET";
	case 7: return "KSS";
	case 10: return "AEXNOTIFY";
	}
	return NULL;
}

const char *mlog_sgx_xfrm_name(unsigned bit)
{
	/* XCR0 state components (Intel SDM vol. 1 §13.1). */
	switch (bit) {
	case 0: return "X87";
	case 1: return "SSE";
	case 2: return "AVX";
	case 3: return "MPX_BNDREGS";
	case 4: return "MPX_BNDCSR";
	case 5: return "AVX512_OPMASK";
	case 6: return "AVX512_ZMM_HI256";
	case 7: return "AVX512_HI16_ZMM";
	case 9: return "PKRU";
	case 17: return "AMX_TILECFG";
	case 18: return "AMX_TILEDATA";
	}
	return NULL;
}

const char *mlog_sgx_misc_name(unsigned bit)
{
	switch (bit) {
	case 0: return "EXINFO";
	case 1: return "CPINFO";
	}
	return NULL;
}

int mlog_sgx_reserved_range(unsigned i, size_t *off, size_t *len)
{
	if (i >= MLOG_SGX_RESERVED_COUNT)
		return MLOG_ERR_RANGE;
	*off = sgx_reserved[i].off;
	*len = sgx_reserved[i].len;
	return MLOG_OK;
}
