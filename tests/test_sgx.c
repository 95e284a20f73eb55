/*
 * test_sgx.c — SGX SIGSTRUCT and signed-enclave reader (merkle/sgx.c).
 *
 * Known answers: the three real samples of ../shared/samples/sgx with every
 * value of their README (fields, MRENCLAVE, MRSIGNER, signature, q1/q2,
 * ELF layout facts), and the Intel LE MRSIGNER against the CPU's default
 * IA32_SGXLEPUBKEYHASH. Corruption sweeps: every byte of a real SIGSTRUCT
 * flipped (each region must fail the right check, or none for the
 * unsigned reserved bytes), and the real ELF truncated at many lengths.
 * Self-contained: SIGSTRUCTs signed here with an RSA-3072 e = 3 key (the
 * embedded one and a fresh one), a pair differing only in DEBUG, synthetic
 * ELF64/ELF32 files with several metadata entries (agreeing or not),
 * extended section numbering and .oeinfo. Signing (the SIGSTRUCT
 * template, mlog_sgx_sigstruct_sign, mlog_sgx_key_generate): checked with
 * OpenSSL and the SDK's other q2 formula independently, a real body
 * re-signed, and a table of keys EINIT refuses; a table of malformed ELFs and
 * SIGSTRUCTs with the error each must give; random mutations that must
 * never crash. Every input is passed in an exact-size heap buffer so that
 * ASan sees any read past its end.
 */
#include <inttypes.h>
#include <openssl/bn.h>
#include <openssl/buffer.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "sgx.h"
#include "sgxsynth.h"
#include "support.h"

static void init(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(sgx, .init = init);

/* Decodes a copy of data[0..len) in an exact-size allocation. */
static int decode(struct mlog_sgx_enclave *e, const uint8_t *data,
	size_t len, struct mlog_error *err)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	int rc;

	cr_assert_not_null(copy);
	if (len > 0)
		memcpy(copy, data, len);
	rc = mlog_sgx_enclave_decode(e, copy, len, err);
	free(copy);
	return rc;
}

static void expect_fail(const uint8_t *data, size_t len, int code,
	const char *sub, const char *what)
{
	struct mlog_sgx_enclave e, before;
	struct mlog_error err = { 0, "" };
	int rc;

	memset(&e, 0xa5, sizeof(e));
	memcpy(&before, &e, sizeof(e));
	rc = decode(&e, data, len, &err);
	cr_assert_eq(rc, code, "%s: got %d (%s), want %d", what, rc, err.msg,
		code);
	cr_assert_not_null(strstr(err.msg, sub), "%s: message '%s' lacks '%s'",
		what, err.msg, sub);
	cr_assert_null(strchr(err.msg, '\n'));
	cr_assert_eq(memcmp(&e, &before, sizeof(e)), 0,
		"%s: output written on failure", what);
}

static void hexeq(const uint8_t *got, const char *want_hex, const char *what)
{
	uint8_t want[64];
	size_t n = strlen(want_hex) / 2;

	cr_assert_leq(n, sizeof(want));
	test_hex(want, n, want_hex);
	cr_assert_eq(memcmp(got, want, n), 0, "%s differs", what);
}

static int verify(const struct mlog_sgx_sigstruct *s)
{
	return mlog_sgx_sigstruct_verify(s, NULL);
}

static int verify_q(const struct mlog_sgx_sigstruct *s)
{
	return mlog_sgx_sigstruct_verify_q(s, NULL);
}

/* ---- known answers: samples/sgx/README.md -------------------------------- */

struct sample {
	const char *file;
	uint32_t vendor, date, swdefined;
	uint64_t flags, xfrm, mask, xmask;
	int policy;
	uint16_t prodid, svn;
	const char *mrenclave, *mrsigner, *file_sha256;
};

static const struct sample samples[] = {
	{ "samples/sgx/intel-le_prod_css-sdk1.7.bin", 0x8086, 0x20161116, 0x10,
	  0x24, 0x3, UINT64_C(0xffffffffffffffff),
	  UINT64_C(0xfffffffffffffffb), MLOG_SGX_DEBUG_PRODUCTION_ONLY, 32, 1,
	  "8050122c5f999a28624b23ddd85b0483caedae3f38a29d192758798e6785d090",
	  "acb77012053e05a63d413b8bbae8fb6c5d73b3f2996d91c43bbbf90959c0f8d4",
	  "606404203ffff11a0664d59b393935d6e0feb97f0d0367bcf9206040901f4fbf" },
	{ "samples/sgx/intel-le_prod_css-sdk2.25.bin", 0x8086, 0x20240811, 0x10,
	  0x24, 0x3, UINT64_C(0xff00ffffffffffff),
	  UINT64_C(0xffffffffffffff1b), MLOG_SGX_DEBUG_PRODUCTION_ONLY, 32, 7,
	  "7881af9f9def547da9908c008f29cde9bd78064e36ac7e14c83c294ca4806150",
	  "acb77012053e05a63d413b8bbae8fb6c5d73b3f2996d91c43bbbf90959c0f8d4",
	  "f850380d00ddc5987423786abe650a01cf6e3c6bae29c66ebcf178003cb47e2b" },
	{ "samples/sgx/gardener-Enclave.signed.so", 0, 0x20190722, 0,
	  0x4, 0x3, UINT64_C(0xfffffffffffffffd),
	  UINT64_C(0xffffffffffffff1b), MLOG_SGX_DEBUG_EITHER, 0, 0,
	  "c22640280b88c2a5c1a4050b5be05645561bc143c005cf86b231f066e01109b4",
	  "ab3189aec6971dd8a279a8d51ce9ef185a403daef36dda78063f6909902c68c7",
	  NULL },
};

static void check_sample(const struct sample *w, struct mlog_sgx_enclave *e)
{
	static const uint8_t zero16[16];
	struct mlog_error err = { 0, "" };
	const struct mlog_sgx_sigstruct *s = &e->sig;
	size_t len;
	char *data;

	TEST_REQUIRE_SHARED();
	data = test_read_shared(w->file, &len);
	cr_assert_eq(decode(e, (uint8_t *)data, len, &err), MLOG_OK,
		"%s: %s", w->file, err.msg);
	hexeq(s->raw, "06000000e10000000000010000000000", "header");
	cr_assert_eq(s->header_type, 0);
	cr_assert_eq(s->vendor, w->vendor);
	cr_assert_eq(s->date, w->date);
	cr_assert_eq(s->swdefined, w->swdefined);
	cr_assert_eq(s->exponent, 3);
	cr_assert_eq(s->miscselect, 0);
	cr_assert_eq(s->miscmask, 0xffffffff);
	cr_assert_eq(s->cet_attributes, 0);
	cr_assert_eq(s->cet_attributes_mask, 0);
	cr_assert_eq(s->attributes, w->flags);
	cr_assert_eq(s->xfrm, w->xfrm);
	cr_assert_eq(s->attributemask, w->mask);
	cr_assert_eq(s->xfrmmask, w->xmask);
	cr_assert_eq(mlog_sgx_debug_policy(s->attributes, s->attributemask),
		w->policy);
	cr_assert_eq(s->isvprodid, w->prodid);
	cr_assert_eq(s->isvsvn, w->svn);
	cr_assert_eq(memcmp(s->isvfamilyid, zero16, 16), 0);
	cr_assert_eq(memcmp(s->isvextprodid, zero16, 16), 0);
	cr_assert_eq(s->reserved_nonzero, 0);
	hexeq(s->mrenclave, w->mrenclave, "mrenclave");
	hexeq(s->mrsigner, w->mrsigner, "mrsigner");
	if (w->file_sha256 != NULL)
		hexeq(s->sha256, w->file_sha256, "sigstruct sha256");
	cr_assert_eq(mlog_sgx_sigstruct_verify(s, &err), MLOG_OK, "%s: %s",
		w->file, err.msg);
	cr_assert_eq(mlog_sgx_sigstruct_verify_q(s, &err), MLOG_OK, "%s: %s",
		w->file, err.msg);
	free(data);
}

Test(sgx, sample_le_prod_css_sdk17)
{
	struct mlog_sgx_enclave e;

	check_sample(&samples[0], &e);
	cr_assert_eq(e.source, MLOG_SGX_SOURCE_SIGSTRUCT);
	cr_assert_eq(e.elf_class, 0);
	cr_assert_eq(e.sigstruct_offset, 0);
	cr_assert_eq(e.nmeta, 0);
}

Test(sgx, sample_le_prod_css_sdk225)
{
	struct mlog_sgx_enclave e;

	check_sample(&samples[1], &e);
	cr_assert_eq(e.source, MLOG_SGX_SOURCE_SIGSTRUCT);
}

Test(sgx, sample_gardener_elf_layout)
{
	static const uint64_t offs[3] = { 0x19931, 0x1a921, 0x1b911 };
	static const uint32_t vers[3][2] = { { 2, 4 }, { 2, 1 }, { 1, 4 } };
	struct mlog_sgx_enclave e;
	size_t len;
	char *data;

	check_sample(&samples[2], &e);
	cr_assert_eq(e.source, MLOG_SGX_SOURCE_SGXMETA);
	cr_assert_eq(e.elf_class, 64);
	cr_assert_eq(e.section_offset, 0x19918);
	cr_assert_eq(e.section_size, 0x501c);
	cr_assert_eq(e.sigstruct_offset, 0x19971);
	cr_assert_eq(e.nmeta, 3);
	cr_assert_eq(e.meta_agree, 1);
	for (size_t i = 0; i < 3; i++) {
		const struct mlog_sgx_meta *m = &e.meta[i];

		cr_assert_eq(m->offset, offs[i]);
		cr_assert_eq(m->version_major, vers[i][0]);
		cr_assert_eq(m->version_minor, vers[i][1]);
		cr_assert_eq(m->size, 0xff0);
		cr_assert_eq(m->tcs_policy, 1);
		cr_assert_eq(m->ssa_frame_size, 1);
		cr_assert_eq(m->max_save_buffer_size, 2632);
		cr_assert_eq(m->tcs_min_pool, 1);
		cr_assert_eq(m->attributes, 0x4);
		cr_assert_eq(m->xfrm, 0xe7);
		cr_assert_eq(m->enclave_size, 0x200000);
		cr_assert_eq(m->same_sigstruct, 1);
		cr_assert_eq(memcmp(m->mrenclave, e.sig.mrenclave, 32), 0);
	}
	/* MRENCLAVE sits at 0x19d31 in the file (README "ELF layout"). */
	data = test_read_shared(samples[2].file, &len);
	cr_assert_eq(memcmp(data + 0x19d31, e.sig.mrenclave, 32), 0);
	free(data);
}

/* The Intel LE's MRSIGNER is the CPU's default IA32_SGXLEPUBKEYHASH0..3
 * read as little-endian bytes (Linux KVM vmx/sgx.c). */
Test(sgx, le_mrsigner_is_default_lepubkeyhash)
{
	static const uint64_t msr[4] = {
		UINT64_C(0xa6053e051270b7ac), UINT64_C(0x6cfbe8ba8b3b413d),
		UINT64_C(0xc4916d99f2b3735d), UINT64_C(0xd4f8c05909f9bb3b),
	};
	struct mlog_sgx_enclave e;
	uint8_t want[32];

	for (int i = 0; i < 4; i++)
		synth_le64(want + 8 * i, msr[i]);
	check_sample(&samples[0], &e);
	cr_assert_eq(memcmp(e.sig.mrsigner, want, 32), 0);
}

/* Every byte of a real SIGSTRUCT flipped, one at a time: each region must
 * fail exactly the check that covers it. */
Test(sgx, sample_sigstruct_byte_sweep)
{
	struct mlog_error err = { 0, "" };
	size_t len;
	uint8_t *orig;

	TEST_REQUIRE_SHARED();
	orig = (uint8_t *)test_read_shared(samples[0].file, &len);
	cr_assert_eq(len, MLOG_SGX_SIGSTRUCT_BYTES);
	for (size_t off = 0; off < len; off++) {
		struct mlog_sgx_enclave e;
		uint8_t buf[MLOG_SGX_SIGSTRUCT_BYTES];
		int rc, sig, q;

		memcpy(buf, orig, len);
		buf[off] ^= (uint8_t)(1u << (off % 8));
		rc = decode(&e, buf, len, &err);
		if (off < 12 || (off >= 24 && off < 40) ||
		    (off >= 512 && off < 516)) {
			cr_assert_eq(rc, MLOG_ERR_MALFORMED, "offset %zu", off);
			continue;
		}
		if (off >= 12 && off < 16 && !(off == 15 && off % 8 == 7)) {
			cr_assert_eq(rc, MLOG_ERR_MALFORMED, "offset %zu", off);
			continue;
		}
		cr_assert_eq(rc, MLOG_OK, "offset %zu: %s", off, err.msg);
		sig = verify(&e.sig);
		q = verify_q(&e.sig);
		if (off >= 1040) {              /* q1, q2 */
			cr_assert_eq(sig, MLOG_OK, "offset %zu", off);
			cr_assert_eq(q, MLOG_ERR_VERIFY, "offset %zu", off);
		} else if (off >= 1028) {       /* unsigned reserved */
			cr_assert_eq(sig, MLOG_OK, "offset %zu", off);
			cr_assert_eq(q, MLOG_OK, "offset %zu", off);
			cr_assert_eq(e.sig.reserved_nonzero,
				MLOG_SGX_RESERVED_1028);
		} else if (off >= 128 && off < 900) {   /* n, s */
			cr_assert_eq(sig, MLOG_ERR_VERIFY, "offset %zu", off);
			cr_assert_eq(q, MLOG_ERR_VERIFY, "offset %zu", off);
		} else {                        /* signed header and body */
			cr_assert_eq(sig, MLOG_ERR_VERIFY, "offset %zu", off);
			cr_assert_eq(q, MLOG_OK, "offset %zu", off);
		}
	}
	free(orig);
}

/* The real ELF cut short anywhere is malformed, never a crash. */
Test(sgx, sample_gardener_truncated)
{
	static const size_t marks[] = {
		16, 63, 64, 0x19918, 0x19918 + 12, 0x19918 + 25,
		0x19931 + 64, 0x19971 + 1808, 0x19918 + 0x501c,
	};
	size_t len;
	char *data;

	TEST_REQUIRE_SHARED();
	data = test_read_shared(samples[2].file, &len);
	for (size_t n = 0; n < len; n += n < 256 ? 1 : 97)
		expect_fail((uint8_t *)data, n, MLOG_ERR_MALFORMED, "",
			"truncated");
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		for (size_t d = 0; d < 3; d++)
			expect_fail((uint8_t *)data, marks[i] - 1 + d,
				MLOG_ERR_MALFORMED, "", "truncated at mark");
	}
	expect_fail((uint8_t *)data, len - 1, MLOG_ERR_MALFORMED,
		"section header table", "one byte short");
	free(data);
}

/* ---- synthetic SIGSTRUCTs ------------------------------------------------ */

static void signed_body(uint8_t ss[SYNTH_SS], uint64_t flags)
{
	EVP_PKEY *key = synth_key();

	synth_body(ss);
	synth_le64(ss + MLOG_SGX_OFF_ATTRIBUTES, flags);
	synth_sign(ss, key);
	EVP_PKEY_free(key);
}

Test(sgx, synthetic_sigstruct_verifies)
{
	struct mlog_error err = { 0, "" };
	struct mlog_sgx_enclave e;
	uint8_t ss[SYNTH_SS], want[32];

	signed_body(ss, 0x4);
	cr_assert_eq(decode(&e, ss, sizeof(ss), &err), MLOG_OK, "%s", err.msg);
	cr_assert_eq(e.source, MLOG_SGX_SOURCE_SIGSTRUCT);
	cr_assert_eq(e.sig.vendor, 0);
	cr_assert_eq(e.sig.date, 0x20250131);
	cr_assert_eq(e.sig.isvprodid, 7);
	cr_assert_eq(e.sig.isvsvn, 3);
	cr_assert_eq(e.sig.attributes, 0x4);
	cr_assert_eq(e.sig.mrenclave[31], (uint8_t)(7 * 31 + 1));
	cr_assert_eq(EVP_Digest(ss + 128, 384, want, NULL, EVP_sha256(), NULL),
		1);
	cr_assert_eq(memcmp(e.sig.mrsigner, want, 32), 0);
	cr_assert_eq(EVP_Digest(ss, sizeof(ss), want, NULL, EVP_sha256(),
		NULL), 1);
	cr_assert_eq(memcmp(e.sig.sha256, want, 32), 0);
	cr_assert_eq(mlog_sgx_sigstruct_verify(&e.sig, &err), MLOG_OK, "%s",
		err.msg);
	cr_assert_eq(mlog_sgx_sigstruct_verify_q(&e.sig, &err), MLOG_OK, "%s",
		err.msg);
}

Test(sgx, fresh_key_signs_and_verifies)
{
	EVP_PKEY *key = synth_key_generate();
	struct mlog_sgx_sigstruct s, other;
	uint8_t ss[SYNTH_SS];

	synth_body(ss);
	synth_sign(ss, key);
	cr_assert_eq(mlog_sgx_sigstruct_decode(&s, ss, sizeof(ss), NULL), 0);
	cr_assert_eq(verify(&s), MLOG_OK);
	cr_assert_eq(verify_q(&s), MLOG_OK);
	signed_body(ss, 0x4);
	cr_assert_eq(mlog_sgx_sigstruct_decode(&other, ss, sizeof(ss), NULL),
		0);
	cr_assert_neq(memcmp(s.mrsigner, other.mrsigner, 32), 0);
	/* Same body under another key: key fields differ, nothing else. */
	cr_assert_eq(memcmp(s.raw, other.raw, 128), 0);
	cr_assert_eq(memcmp(s.raw + 900, other.raw + 900, 128), 0);
	EVP_PKEY_free(key);
}

/* Two SIGSTRUCTs differing only in ATTRIBUTES.DEBUG, both validly signed. */
Test(sgx, debug_pair)
{
	struct mlog_sgx_sigstruct prod, dbg;
	uint8_t a[SYNTH_SS], b[SYNTH_SS];

	signed_body(a, 0x4);
	signed_body(b, 0x6);
	cr_assert_eq(mlog_sgx_sigstruct_decode(&prod, a, sizeof(a), NULL), 0);
	cr_assert_eq(mlog_sgx_sigstruct_decode(&dbg, b, sizeof(b), NULL), 0);
	cr_assert_eq(verify(&prod), MLOG_OK);
	cr_assert_eq(verify(&dbg), MLOG_OK);
	cr_assert_eq(verify_q(&dbg), MLOG_OK);
	for (size_t i = 0; i < 1028; i++) {
		if (i >= 516 && i < 900)
			continue;           /* the signatures differ */
		cr_assert_eq(a[i] == b[i], i != MLOG_SGX_OFF_ATTRIBUTES,
			"byte %zu", i);
	}
	cr_assert_eq(prod.attributes ^ dbg.attributes, MLOG_SGX_FLAG_DEBUG);
	cr_assert_eq(mlog_sgx_debug_policy(prod.attributes,
		prod.attributemask), MLOG_SGX_DEBUG_PRODUCTION_ONLY);
	cr_assert_eq(mlog_sgx_debug_policy(dbg.attributes, dbg.attributemask),
		MLOG_SGX_DEBUG_DEBUG_ONLY);
	cr_assert_eq(memcmp(prod.mrenclave, dbg.mrenclave, 32), 0);
	cr_assert_eq(memcmp(prod.mrsigner, dbg.mrsigner, 32), 0);
}

/* The SDK's debug-signed header type (bit 31) decodes and is surfaced;
 * it is signed, so it must be signed with it. */
Test(sgx, debug_signed_header_type)
{
	struct mlog_sgx_sigstruct s;
	EVP_PKEY *key = synth_key();
	uint8_t ss[SYNTH_SS];

	signed_body(ss, 0x4);
	ss[15] = 0x80;
	cr_assert_eq(mlog_sgx_sigstruct_decode(&s, ss, sizeof(ss), NULL), 0);
	cr_assert_eq(s.header_type, MLOG_SGX_HEADER_TYPE_DEBUG);
	cr_assert_eq(verify(&s), MLOG_ERR_VERIFY);
	synth_sign(ss, key);
	cr_assert_eq(mlog_sgx_sigstruct_decode(&s, ss, sizeof(ss), NULL), 0);
	cr_assert_eq(verify(&s), MLOG_OK);
	EVP_PKEY_free(key);
}

Test(sgx, reserved_nonzero_reported)
{
	static const size_t offs[4] = { 44 + 83, 910, 992 + 15, 1028 };
	uint8_t ss[SYNTH_SS];

	for (unsigned i = 0; i < 4; i++) {
		struct mlog_sgx_sigstruct s;
		size_t off = 0, len = 0;

		synth_body(ss);
		synth_le32(ss + 512, 3);
		ss[offs[i]] = 1;
		cr_assert_eq(mlog_sgx_sigstruct_decode(&s, ss, sizeof(ss),
			NULL), 0);
		cr_assert_eq(s.reserved_nonzero, 1u << i);
		cr_assert_eq(mlog_sgx_reserved_range(i, &off, &len), 0);
		cr_assert(offs[i] >= off && offs[i] < off + len);
	}
}

Test(sgx, verify_rejects_bad_keys)
{
	struct mlog_error err = { 0, "" };
	struct mlog_sgx_sigstruct s, t;
	uint8_t ss[SYNTH_SS];

	signed_body(ss, 0x4);
	cr_assert_eq(mlog_sgx_sigstruct_decode(&s, ss, sizeof(ss), NULL), 0);
	t = s;
	t.raw[MLOG_SGX_OFF_MODULUS] ^= 1;           /* even modulus */
	cr_assert_eq(mlog_sgx_sigstruct_verify(&t, &err), MLOG_ERR_VERIFY);
	cr_assert_not_null(strstr(err.msg, "odd 3072-bit"));
	t = s;
	t.raw[MLOG_SGX_OFF_MODULUS + 383] = 0x7f;   /* 3071 bits */
	cr_assert_eq(mlog_sgx_sigstruct_verify(&t, &err), MLOG_ERR_VERIFY);
	cr_assert_not_null(strstr(err.msg, "odd 3072-bit"));
	t = s;
	memset(t.raw + MLOG_SGX_OFF_SIGNATURE, 0xff, 384);
	cr_assert_eq(mlog_sgx_sigstruct_verify(&t, &err), MLOG_ERR_VERIFY);
	cr_assert_not_null(strstr(err.msg, "not below the modulus"));
	t = s;
	memset(t.raw + MLOG_SGX_OFF_SIGNATURE, 0, 384);
	cr_assert_eq(mlog_sgx_sigstruct_verify(&t, &err), MLOG_ERR_VERIFY);
	cr_assert_not_null(strstr(err.msg, "does not verify"));
	t = s;
	memset(t.raw + MLOG_SGX_OFF_MODULUS, 0, 384);
	cr_assert_eq(mlog_sgx_sigstruct_verify(&t, &err), MLOG_ERR_VERIFY);
	cr_assert_eq(mlog_sgx_sigstruct_verify_q(&t, &err), MLOG_ERR_VERIFY);
	cr_assert_not_null(strstr(err.msg, "zero"));
	t = s;
	t.raw[MLOG_SGX_OFF_Q2] ^= 1;
	cr_assert_eq(mlog_sgx_sigstruct_verify_q(&t, &err), MLOG_ERR_VERIFY);
	cr_assert_not_null(strstr(err.msg, "Q2"));
	cr_assert_eq(verify(&t), MLOG_OK);
	t = s;
	t.raw[MLOG_SGX_OFF_Q1 + 100] ^= 1;
	cr_assert_eq(mlog_sgx_sigstruct_verify_q(&t, &err), MLOG_ERR_VERIFY);
	cr_assert_not_null(strstr(err.msg, "Q1"));
}

Test(sgx, raw_sigstruct_malformed)
{
	uint8_t ss[SYNTH_SS + 1], text[] = "not an enclave\n";

	signed_body(ss, 0x4);
	expect_fail(ss, SYNTH_SS - 1, MLOG_ERR_MALFORMED, "1807 bytes",
		"1807 bytes");
	ss[SYNTH_SS] = 0;
	expect_fail(ss, SYNTH_SS + 1, MLOG_ERR_MALFORMED, "1809 bytes",
		"1809 bytes");
	expect_fail(ss, 0, MLOG_ERR_MALFORMED, "(0 bytes)", "empty");
	expect_fail(text, sizeof(text) - 1, MLOG_ERR_MALFORMED,
		"neither an ELF", "text");
	ss[0] = 0x07;
	expect_fail(ss, SYNTH_SS, MLOG_ERR_MALFORMED, "HEADER is 07", "header");
	signed_body(ss, 0x4);
	ss[12] = 1;
	expect_fail(ss, SYNTH_SS, MLOG_ERR_MALFORMED, "bits other than 31",
		"type");
	signed_body(ss, 0x4);
	ss[30] ^= 0x10;
	expect_fail(ss, SYNTH_SS, MLOG_ERR_MALFORMED, "HEADER2", "header2");
	signed_body(ss, 0x4);
	synth_le32(ss + 512, 65537);
	expect_fail(ss, SYNTH_SS, MLOG_ERR_MALFORMED, "EXPONENT is 65537",
		"exponent");
	memset(ss, 0, SYNTH_SS);
	expect_fail(ss, SYNTH_SS, MLOG_ERR_MALFORMED, "not signed", "zeros");
	/* The cap is checked before any byte is read. */
	{
		struct mlog_error err = { 0, "" };
		struct mlog_sgx_enclave e;

		cr_assert_eq(mlog_sgx_enclave_decode(&e, ss,
			MLOG_SGX_MAX_INPUT + 1, &err), MLOG_ERR_TOOBIG);
		cr_assert_not_null(strstr(err.msg, "limit"));
	}
}

/* ---- synthetic ELFs ------------------------------------------------------ */

static const uint8_t text_bytes[16] = { 0xc3 };

/* ELF of class cls with .text and a .note.sgxmeta of n entries. */
static void meta_elf(struct synth_elf *out, int cls, const uint8_t *const *ss,
	size_t n, uint32_t entry_size, size_t tail, uint64_t align,
	int extended)
{
	struct synth_section secs[2] = {
		{ ".text", 1, text_bytes, sizeof(text_bytes), 16 },
		{ ".note.sgxmeta", 7, NULL, 0, align },
	};
	uint8_t *note = synth_sgxmeta(&secs[1].len, ss, n, entry_size, tail,
		align);

	secs[1].data = note;
	synth_elf_build(out, cls, secs, 2, extended);
	free(note);
}

static void check_meta_elf(int cls, uint64_t align, int extended,
	size_t n)
{
	const uint8_t *list[4];
	struct mlog_error err = { 0, "" };
	struct mlog_sgx_enclave e;
	struct synth_elf elf;
	uint8_t ss[SYNTH_SS];

	signed_body(ss, 0x4);
	for (size_t i = 0; i < n; i++)
		list[i] = ss;
	meta_elf(&elf, cls, list, n, 0x800, 100, align, extended);
	cr_assert_eq(decode(&e, elf.data, elf.len, &err), MLOG_OK,
		"ELF%d align %" PRIu64 ": %s", cls, align, err.msg);
	cr_assert_eq(e.source, MLOG_SGX_SOURCE_SGXMETA);
	cr_assert_eq(e.elf_class, cls);
	cr_assert_eq(e.section_offset, elf.off[2]);
	cr_assert_eq(e.nmeta, n);
	cr_assert_eq(e.meta_agree, 1);
	cr_assert_eq(e.sigstruct_offset, elf.off[2] + 25 + 64);
	cr_assert_eq(memcmp(elf.data + e.sigstruct_offset, ss, SYNTH_SS), 0);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(e.meta[i].offset, elf.off[2] + 25 + i * 0x800);
		cr_assert_eq(e.meta[i].size, 0x800);
		cr_assert_eq(e.meta[i].same_sigstruct, 1);
		cr_assert_eq(e.meta[i].max_save_buffer_size, 2632);
	}
	cr_assert_eq(e.meta[0].version_major, 2);
	cr_assert_eq(e.meta[0].version_minor, 4);
	if (n >= 3) {
		cr_assert_eq(e.meta[2].version_major, 1);
		cr_assert_eq(e.meta[2].version_minor, 4);
	}
	cr_assert_eq(verify(&e.sig), MLOG_OK);
	free(elf.data);
}

Test(sgx, elf64_sgxmeta_entries)
{
	check_meta_elf(64, 4, 0, 1);
	check_meta_elf(64, 4, 0, 3);
	check_meta_elf(64, 1, 0, 2);
	check_meta_elf(64, 0, 0, 1);
	check_meta_elf(64, 16, 0, 4);
}

Test(sgx, elf32_sgxmeta_entries)
{
	check_meta_elf(32, 4, 0, 3);
	check_meta_elf(32, 1, 0, 1);
}

Test(sgx, elf_extended_numbering)
{
	check_meta_elf(64, 4, 1, 2);
	check_meta_elf(32, 4, 1, 1);
}

/* Entries that carry different SIGSTRUCTs are all reported. */
Test(sgx, elf_entries_disagree)
{
	uint8_t a[SYNTH_SS], b[SYNTH_SS];
	const uint8_t *list[3] = { a, a, b };
	struct mlog_sgx_enclave e;
	struct synth_elf elf;

	signed_body(a, 0x4);
	signed_body(b, 0x6);
	b[MLOG_SGX_OFF_MRENCLAVE] ^= 0xff;
	meta_elf(&elf, 64, list, 3, 2048, 0, 4, 0);
	cr_assert_eq(decode(&e, elf.data, elf.len, NULL), MLOG_OK);
	cr_assert_eq(e.nmeta, 3);
	cr_assert_eq(e.meta_agree, 0);
	cr_assert_eq(e.meta[0].same_sigstruct, 1);
	cr_assert_eq(e.meta[1].same_sigstruct, 1);
	cr_assert_eq(e.meta[2].same_sigstruct, 0);
	cr_assert_eq(memcmp(e.meta[2].mrenclave, b + MLOG_SGX_OFF_MRENCLAVE,
		32), 0);
	cr_assert_eq(e.sig.attributes, 0x4);        /* entry 0 is decoded */
	free(elf.data);
}

Test(sgx, elf_oeinfo)
{
	static const size_t sizes[] = { 1960, 2100 };   /* OE, EGo-like */
	uint8_t ss[SYNTH_SS];

	signed_body(ss, 0x6);
	for (int cls = 32; cls <= 64; cls += 32) {
		for (size_t i = 0; i < 2; i++) {
			struct synth_section secs[2] = {
				{ ".text", 1, text_bytes, 16, 16 },
				{ ".oeinfo", 1, NULL, 0, 8 },
			};
			struct mlog_error err = { 0, "" };
			struct mlog_sgx_enclave e;
			struct synth_elf elf;
			uint8_t *oe = synth_oeinfo(&secs[1].len, ss, sizes[i]);

			secs[1].data = oe;
			synth_elf_build(&elf, cls, secs, 2, 0);
			cr_assert_eq(decode(&e, elf.data, elf.len, &err), 0,
				"%s", err.msg);
			cr_assert_eq(e.source, MLOG_SGX_SOURCE_OEINFO);
			cr_assert_eq(e.elf_class, cls);
			cr_assert_eq(e.section_size, sizes[i]);
			cr_assert_eq(e.sigstruct_offset, elf.off[2] + 144);
			cr_assert_eq(e.oe.size, 1960);
			cr_assert_eq(e.oe.product_id, 7);
			cr_assert_eq(e.oe.security_version, 3);
			cr_assert_eq(e.oe.attributes, 0x2);
			cr_assert_eq(e.oe.num_tcs, 4);
			cr_assert_eq(e.sig.attributes, 0x6);
			cr_assert_eq(verify(&e.sig), MLOG_OK);
			cr_assert_eq(verify_q(&e.sig), MLOG_OK);
			free(oe);
			free(elf.data);
		}
	}
}

Test(sgx, elf_unsigned)
{
	struct synth_section secs[1] = { { ".oeinfo", 1, NULL, 1960, 8 } };
	uint8_t zero[SYNTH_SS] = { 0 };
	const uint8_t *list[1] = { zero };
	struct synth_elf elf;
	uint8_t *oe = calloc(1, 1960);

	cr_assert_not_null(oe);
	secs[0].data = oe;
	synth_elf_build(&elf, 64, secs, 1, 0);
	expect_fail(elf.data, elf.len, MLOG_ERR_MALFORMED, "not signed",
		"oeinfo zeros");
	free(elf.data);
	free(oe);
	/* A never-signed SDK enclave: the metadata area is all zero. */
	meta_elf(&elf, 64, list, 1, 2048, 0, 4, 0);
	memset(elf.data + elf.off[2] + 25, 0, 2048);
	expect_fail(elf.data, elf.len, MLOG_ERR_MALFORMED, "no metadata magic",
		"sgxmeta zeros");
	free(elf.data);
}

/* ---- malformed ELFs: each mutation of a good ELF64 and its error --------- */

enum mut {
	M_TRUNC_IDENT, M_CLASS, M_BIG_ENDIAN, M_VERSION, M_TRUNC_HEADER,
	M_SHOFF_ZERO, M_SHENTSIZE, M_SHOFF_PAST, M_SHOFF_WRAP, M_SHOFF_HEADER,
	M_SHNUM_BIG, M_EXT_ZERO, M_EXT_HUGE, M_STRNDX_ZERO, M_STRNDX_BIG,
	M_STRNDX_XINDEX, M_STRTAB_TYPE, M_STRTAB_PAST, M_STRTAB_WRAP,
	M_NAME_PAST, M_NAME_UNTERMINATED, M_DUPLICATE, M_NONE, M_NOBITS,
	M_SEC_PAST, M_SEC_WRAP, M_SEC_HEADER, M_SEC_TABLE, M_NAMESZ,
	M_NOTE_TYPE, M_NOTE_NAME, M_DESCSZ, M_ALIGN, M_ROUNDING, M_MAGIC,
	M_ENTRY_SMALL, M_ENTRY_PAST, M_SS_HEADER, M_SS_EXPONENT, M_SS_ZERO,
	M_SHORT_NOTE,
};

static const struct {
	enum mut m;
	const char *sub;
} muts[] = {
	{ M_TRUNC_IDENT, "truncated identification" },
	{ M_CLASS, "EI_CLASS 3" },
	{ M_BIG_ENDIAN, "not little-endian" },
	{ M_VERSION, "EI_VERSION 0" },
	{ M_TRUNC_HEADER, "truncated ELF header" },
	{ M_SHOFF_ZERO, "no section header table" },
	{ M_SHENTSIZE, "e_shentsize 56" },
	{ M_SHOFF_PAST, "past the end of the file" },
	{ M_SHOFF_WRAP, "past the end of the file" },
	{ M_SHOFF_HEADER, "overlaps the ELF header" },
	{ M_SHNUM_BIG, "runs past the end of the file" },
	{ M_EXT_ZERO, "no sections" },
	{ M_EXT_HUGE, "more than 65536" },
	{ M_STRNDX_ZERO, "e_shstrndx 0" },
	{ M_STRNDX_BIG, "e_shstrndx 9" },
	{ M_STRNDX_XINDEX, "e_shstrndx 77" },
	{ M_STRTAB_TYPE, "not a string table" },
	{ M_STRTAB_PAST, "section name table" },
	{ M_STRTAB_WRAP, "section name table" },
	{ M_NAME_PAST, "name offset 10000" },
	{ M_NAME_UNTERMINATED, "name runs past" },
	{ M_DUPLICATE, "two sections named .note.sgxmeta" },
	{ M_NONE, "no .note.sgxmeta or .oeinfo" },
	{ M_NOBITS, "SHT_NOBITS" },
	{ M_SEC_PAST, "runs past the end of the file" },
	{ M_SEC_WRAP, "runs past the end of the file" },
	{ M_SEC_HEADER, "overlaps the ELF header" },
	{ M_SEC_TABLE, "overlaps the section header table" },
	{ M_NAMESZ, "note name size 16" },
	{ M_NOTE_TYPE, "note type 2" },
	{ M_NOTE_NAME, "not \"sgx_metadata\"" },
	{ M_DESCSZ, "runs past the section" },
	{ M_ALIGN, "not a power of two" },
	{ M_ROUNDING, "rounded to sh_addralign" },
	{ M_MAGIC, "no metadata magic" },
	{ M_ENTRY_SMALL, "is below 1872" },
	{ M_ENTRY_PAST, "runs past the note" },
	{ M_SS_HEADER, "entry 0 at 0x" },
	{ M_SS_EXPONENT, "EXPONENT is 4" },
	{ M_SS_ZERO, "all zeros" },
	{ M_SHORT_NOTE, "too short for a note header" },
};

/* Section header field writers for the ELF64 base. */
static void sh_set32(struct synth_elf *e, size_t i, size_t field,
	uint32_t v)
{
	synth_le32(e->data + synth_shdr_off(e, i) + field, v);
}

static void sh_set64(struct synth_elf *e, size_t i, size_t field,
	uint64_t v)
{
	synth_le64(e->data + synth_shdr_off(e, i) + field, v);
}

/* Applies m to a good ELF64 (.text = 1, .note.sgxmeta = 2, .shstrtab =
 * 3; one metadata entry of 2048 bytes; align 4). */
static void mutate(struct synth_elf *e, enum mut m)
{
	uint8_t *d = e->data;
	uint64_t note = e->off[2], meta = note + 25;
	uint32_t meta_name;

	switch (m) {
	case M_TRUNC_IDENT: e->len = 10; break;
	case M_CLASS: d[4] = 3; break;
	case M_BIG_ENDIAN: d[5] = 2; break;
	case M_VERSION: d[6] = 0; break;
	case M_TRUNC_HEADER: e->len = 40; break;
	case M_SHOFF_ZERO: synth_le64(d + 40, 0); break;
	case M_SHENTSIZE: synth_le16(d + 58, 56); break;
	case M_SHOFF_PAST: synth_le64(d + 40, e->len); break;
	case M_SHOFF_WRAP:
		synth_le64(d + 40, UINT64_C(0xffffffffffffffc0));
		break;
	case M_SHOFF_HEADER: synth_le64(d + 40, 8); break;
	case M_SHNUM_BIG: synth_le16(d + 60, 60000); break;
	case M_EXT_ZERO: synth_le16(d + 60, 0); break;
	case M_EXT_HUGE:
		synth_le16(d + 60, 0);
		sh_set64(e, 0, 32, (uint64_t)1 << 40);
		break;
	case M_STRNDX_ZERO: synth_le16(d + 62, 0); break;
	case M_STRNDX_BIG: synth_le16(d + 62, 9); break;
	case M_STRNDX_XINDEX:
		synth_le16(d + 62, 0xffff);
		sh_set32(e, 0, 40, 77);
		break;
	case M_STRTAB_TYPE: sh_set32(e, 3, 4, 1); break;
	case M_STRTAB_PAST: sh_set64(e, 3, 24, e->len + 1); break;
	case M_STRTAB_WRAP: sh_set64(e, 3, 32, UINT64_MAX); break;
	case M_NAME_PAST: sh_set32(e, 2, 0, 10000); break;
	case M_NAME_UNTERMINATED:
		/* The NUL ending ".shstrtab", the table's last byte. */
		d[e->strtab_off + sizeof("\0.text\0.note.sgxmeta\0"
			".shstrtab") - 1] = 'x';
		break;
	case M_DUPLICATE:
		meta_name = (uint32_t)(d[synth_shdr_off(e, 2)] |
			(d[synth_shdr_off(e, 2) + 1] << 8));
		sh_set32(e, 1, 0, meta_name);
		break;
	case M_NONE: sh_set32(e, 2, 0, 1); break;     /* ".text" */
	case M_NOBITS: sh_set32(e, 2, 4, 8); break;
	case M_SEC_PAST: sh_set64(e, 2, 24, e->len - 10); break;
	case M_SEC_WRAP:
		sh_set64(e, 2, 32, UINT64_MAX - note + 1 + 16);
		break;
	case M_SEC_HEADER: sh_set64(e, 2, 24, 0); break;
	case M_SEC_TABLE:
		sh_set64(e, 2, 24, e->shoff + 8);
		sh_set64(e, 2, 32, 64);
		break;
	case M_NAMESZ: synth_le32(d + note, 16); break;
	case M_NOTE_TYPE: synth_le32(d + note + 8, 2); break;
	case M_NOTE_NAME: d[note + 12 + 11] = 'X'; break;
	case M_DESCSZ: synth_le32(d + note + 4, 2048 + 8); break;
	case M_ALIGN: sh_set64(e, 2, 48, 3); break;
	case M_ROUNDING: sh_set64(e, 2, 32, 2076 + 4); break;
	case M_MAGIC: d[meta] ^= 1; break;
	case M_ENTRY_SMALL: synth_le32(d + meta + 16, 1000); break;
	case M_ENTRY_PAST: synth_le32(d + meta + 16, 4096); break;
	case M_SS_HEADER: d[meta + 64 + 4] = 0xe2; break;
	case M_SS_EXPONENT: synth_le32(d + meta + 64 + 512, 4); break;
	case M_SS_ZERO: memset(d + meta + 64, 0, SYNTH_SS); break;
	case M_SHORT_NOTE: sh_set64(e, 2, 32, 8); break;
	}
}

Test(sgx, malformed_elf_table)
{
	uint8_t ss[SYNTH_SS];
	const uint8_t *list[1] = { ss };
	struct synth_elf base;

	signed_body(ss, 0x4);
	meta_elf(&base, 64, list, 1, 2048, 0, 4, 0);
	/* The base is good: note 25 + 2048 = 2073 bytes, rounded to 2076. */
	cr_assert_eq(decode(&(struct mlog_sgx_enclave){ 0 }, base.data,
		base.len, NULL), MLOG_OK);
	for (size_t i = 0; i < sizeof(muts) / sizeof(muts[0]); i++) {
		struct synth_elf e = base;
		char what[32];

		e.data = malloc(base.len);
		cr_assert_not_null(e.data);
		memcpy(e.data, base.data, base.len);
		mutate(&e, muts[i].m);
		snprintf(what, sizeof(what), "mutation %d", (int)muts[i].m);
		expect_fail(e.data, e.len, MLOG_ERR_MALFORMED, muts[i].sub,
			what);
		free(e.data);
	}
	free(base.data);
}

Test(sgx, malformed_elf_section_sets)
{
	uint8_t ss[SYNTH_SS], *oe;
	const uint8_t *list[17];
	struct synth_section secs[3] = {
		{ ".text", 1, text_bytes, 16, 16 },
		{ ".note.sgxmeta", 7, NULL, 0, 4 },
		{ ".oeinfo", 1, NULL, 0, 8 },
	};
	struct synth_elf elf;
	uint8_t *note;

	signed_body(ss, 0x4);
	for (size_t i = 0; i < 17; i++)
		list[i] = ss;
	/* Both kinds of section at once. */
	note = synth_sgxmeta(&secs[1].len, list, 1, 2048, 0, 4);
	oe = synth_oeinfo(&secs[2].len, ss, 1960);
	secs[1].data = note;
	secs[2].data = oe;
	synth_elf_build(&elf, 64, secs, 3, 0);
	expect_fail(elf.data, elf.len, MLOG_ERR_MALFORMED, "both", "both");
	free(elf.data);
	/* .oeinfo too small. */
	secs[2].len = 1959;
	synth_elf_build(&elf, 64, &secs[2], 1, 0);
	expect_fail(elf.data, elf.len, MLOG_ERR_MALFORMED, "at least 1960",
		"oeinfo small");
	free(elf.data);
	free(oe);
	free(note);
	/* More entries than MLOG_SGX_MAX_META. */
	meta_elf(&elf, 64, list, 17, 1872, 0, 4, 0);
	expect_fail(elf.data, elf.len, MLOG_ERR_MALFORMED, "more than 16",
		"17 entries");
	free(elf.data);
	meta_elf(&elf, 64, list, 16, 1872, 0, 4, 0);
	cr_assert_eq(decode(&(struct mlog_sgx_enclave){ 0 }, elf.data,
		elf.len, NULL), MLOG_OK);
	free(elf.data);
	/* A magic in the last 12 bytes of the note: too short for a size. */
	meta_elf(&elf, 64, list, 1, 2048, 12, 1, 0);
	synth_le64(elf.data + elf.off[2] + 25 + 2048,
		UINT64_C(0x86A80294635D0E4C));
	expect_fail(elf.data, elf.len, MLOG_ERR_MALFORMED, "truncated",
		"short entry");
	free(elf.data);
}

/* Flip every header, section-header and note-header byte of a good ELF
 * (and random bytes anywhere): the reader answers OK or MALFORMED, never
 * anything else, never a crash. */
Test(sgx, elf_mutation_sweep)
{
	static const uint8_t flips[] = { 0x01, 0x80, 0xff };
	uint8_t ss[SYNTH_SS];
	const uint8_t *list[2] = { ss, ss };
	struct synth_elf base;
	uint64_t rng = 0x9e3779b97f4a7c15ull;

	signed_body(ss, 0x4);
	for (int cls = 32; cls <= 64; cls += 32) {
		meta_elf(&base, cls, list, 2, 2048, 0, 4, 0);
		for (size_t off = 0; off < base.len; off++) {
			int interesting = off < base.ehsize ||
				off >= base.shoff ||
				(off >= base.off[2] && off < base.off[2] + 25 +
				 64 + 16) || off >= base.strtab_off;

			if (!interesting)
				continue;
			for (size_t f = 0; f < sizeof(flips); f++) {
				struct mlog_sgx_enclave e;
				int rc;

				base.data[off] ^= flips[f];
				rc = decode(&e, base.data, base.len, NULL);
				cr_assert(rc == MLOG_OK ||
					rc == MLOG_ERR_MALFORMED,
					"offset %zu: %d", off, rc);
				base.data[off] ^= flips[f];
			}
		}
		for (int i = 0; i < 3000; i++) {
			struct mlog_sgx_enclave e;
			size_t off;
			uint8_t x;
			int rc;

			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			off = (size_t)(rng % base.len);
			x = (uint8_t)(rng >> 32) | 1;
			base.data[off] ^= x;
			rc = decode(&e, base.data, (size_t)(rng >> 40) %
				(base.len + 1), NULL);
			cr_assert(rc == MLOG_OK || rc == MLOG_ERR_MALFORMED);
			if (rc == MLOG_OK) {
				rc = verify(&e.sig);
				cr_assert(rc == MLOG_OK ||
					rc == MLOG_ERR_VERIFY);
			}
			base.data[off] ^= x;
		}
		free(base.data);
	}
}

/* ---- names --------------------------------------------------------------- */

Test(sgx, debug_policy_table)
{
	cr_assert_eq(mlog_sgx_debug_policy(0x0, 0x0), MLOG_SGX_DEBUG_EITHER);
	cr_assert_eq(mlog_sgx_debug_policy(0x2, 0x0), MLOG_SGX_DEBUG_EITHER);
	cr_assert_eq(mlog_sgx_debug_policy(0x0, 0x2),
		MLOG_SGX_DEBUG_PRODUCTION_ONLY);
	cr_assert_eq(mlog_sgx_debug_policy(0x6, UINT64_MAX),
		MLOG_SGX_DEBUG_DEBUG_ONLY);
	/* The samples' masks (README). */
	cr_assert_eq(mlog_sgx_debug_policy(0x4,
		UINT64_C(0xfffffffffffffffd)), MLOG_SGX_DEBUG_EITHER);
	/* Open Enclave's mask without ALLOW_DEBUG keeps DEBUG. */
	cr_assert_eq(mlog_sgx_debug_policy(0x4,
		UINT64_C(0xffffffffffffff7b)), MLOG_SGX_DEBUG_PRODUCTION_ONLY);
	cr_assert_str_eq(mlog_sgx_debug_policy_name(
		MLOG_SGX_DEBUG_PRODUCTION_ONLY), "production-only");
	cr_assert_str_eq(mlog_sgx_debug_policy_name(MLOG_SGX_DEBUG_EITHER),
		"either");
	cr_assert_str_eq(mlog_sgx_debug_policy_name(
		MLOG_SGX_DEBUG_DEBUG_ONLY), "debug-only");
	cr_assert_str_eq(mlog_sgx_debug_policy_name(0), "?");
}

Test(sgx, bit_names)
{
	static const struct {
		uint64_t mask;
		const char *name;
	} flags[] = {
		{ MLOG_SGX_FLAG_INIT, "INIT" },
		{ MLOG_SGX_FLAG_DEBUG, "DEBUG" },
		{ MLOG_SGX_FLAG_MODE64BIT, "MODE64BIT" },
		{ MLOG_SGX_FLAG_PROVISIONKEY, "PROVISIONKEY" },
		{ MLOG_SGX_FLAG_EINITTOKENKEY, "EINITTOKENKEY" },
		{ MLOG_SGX_FLAG_CET, "CET" },
		{ MLOG_SGX_FLAG_KSS, "KSS" },
		{ MLOG_SGX_FLAG_AEXNOTIFY, "AEXNOTIFY" },
	};
	size_t named = 0;

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		unsigned bit = (unsigned)__builtin_ctzll(flags[i].mask);

		cr_assert_str_eq(mlog_sgx_attribute_name(bit), flags[i].name);
	}
	for (unsigned bit = 0; bit < 64; bit++)
		named += mlog_sgx_attribute_name(bit) != NULL;
	cr_assert_eq(named, 8);
	cr_assert_null(mlog_sgx_attribute_name(3));
	cr_assert_null(mlog_sgx_attribute_name(48));
	cr_assert_str_eq(mlog_sgx_xfrm_name(0), "X87");
	cr_assert_str_eq(mlog_sgx_xfrm_name(1), "SSE");
	cr_assert_str_eq(mlog_sgx_xfrm_name(2), "AVX");
	cr_assert_str_eq(mlog_sgx_xfrm_name(9), "PKRU");
	cr_assert_str_eq(mlog_sgx_xfrm_name(18), "AMX_TILEDATA");
	cr_assert_null(mlog_sgx_xfrm_name(8));
	cr_assert_str_eq(mlog_sgx_misc_name(0), "EXINFO");
	cr_assert_str_eq(mlog_sgx_misc_name(1), "CPINFO");
	cr_assert_null(mlog_sgx_misc_name(2));
	cr_assert_str_eq(mlog_sgx_source_name(MLOG_SGX_SOURCE_SIGSTRUCT),
		"sigstruct");
	cr_assert_str_eq(mlog_sgx_source_name(MLOG_SGX_SOURCE_SGXMETA),
		"elf-sgxmeta");
	cr_assert_str_eq(mlog_sgx_source_name(MLOG_SGX_SOURCE_OEINFO),
		"elf-oeinfo");
	cr_assert_str_eq(mlog_sgx_source_name(9), "?");
}

Test(sgx, reserved_ranges)
{
	static const size_t want[4][2] = {
		{ 44, 84 }, { 910, 2 }, { 992, 16 }, { 1028, 12 },
	};
	size_t off = 1, len = 1;

	for (unsigned i = 0; i < 4; i++) {
		cr_assert_eq(mlog_sgx_reserved_range(i, &off, &len), 0);
		cr_assert_eq(off, want[i][0]);
		cr_assert_eq(len, want[i][1]);
	}
	cr_assert_eq(mlog_sgx_reserved_range(4, &off, &len), MLOG_ERR_RANGE);
	cr_assert_eq(off, 1028);
}

/* ---- signing: mlog_sgx_sigstruct_init / _sign, mlog_sgx_key_generate ---- */

/* PEM of a private key, malloc'd and NUL-terminated. */
static char *pem_of(EVP_PKEY *key, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	BUF_MEM *mem = NULL;
	char *out;

	cr_assert_not_null(bio);
	cr_assert_eq(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL,
		NULL), 1);
	cr_assert_eq(BIO_get_mem_ptr(bio, &mem), 1);
	out = malloc(mem->length + 1);
	cr_assert_not_null(out);
	memcpy(out, mem->data, mem->length);
	out[mem->length] = '\0';
	*len = mem->length;
	BIO_free(bio);
	return out;
}

static EVP_PKEY *rsa_key(unsigned bits, unsigned e)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *bn = BN_new();
	EVP_PKEY *key = NULL;

	cr_assert(ctx != NULL && bn != NULL);
	cr_assert_eq(BN_set_word(bn, e), 1);
	cr_assert_eq(EVP_PKEY_keygen_init(ctx), 1);
	cr_assert_eq(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, (int)bits), 1);
	cr_assert_eq(EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, bn), 1);
	cr_assert_eq(EVP_PKEY_generate(ctx, &key), 1);
	BN_free(bn);
	EVP_PKEY_CTX_free(ctx);
	return key;
}

/* The template is the SDM constants and nothing else (SDM vol. 3D
 * table 38-19: HEADER 06000000E10000000000010000000000, HEADER2
 * 01010000600000006000000001000000, EXPONENT 3). */
Test(sgx, sigstruct_init_template)
{
	static const char header[] = "06000000e10000000000010000000000";
	static const char header2[] = "01010000600000006000000001000000";
	uint8_t ss[SYNTH_SS], want[16];
	struct mlog_sgx_sigstruct s;

	memset(ss, 0xa5, sizeof(ss));
	mlog_sgx_sigstruct_init(ss);
	cr_assert_eq(mlog_codec_hex_decode(want, 16, header, 32), MLOG_OK);
	cr_assert_eq(memcmp(ss, want, 16), 0);
	cr_assert_eq(mlog_codec_hex_decode(want, 16, header2, 32), MLOG_OK);
	cr_assert_eq(memcmp(ss + 24, want, 16), 0);
	cr_assert_eq(ss[512], 3);
	for (size_t i = 0; i < sizeof(ss); i++) {
		if (i < 16 || (i >= 24 && i < 40) || i == 512)
			continue;
		cr_assert_eq(ss[i], 0, "byte %zu", i);
	}
	/* It decodes (not all zero, constants right), and does not verify:
	 * it is not signed yet. */
	cr_assert_eq(mlog_sgx_sigstruct_decode(&s, ss, sizeof(ss), NULL), 0);
	cr_assert_eq(s.exponent, 3);
	cr_assert_eq(verify(&s), MLOG_ERR_VERIFY);
}

/* Signing writes the key fields only, deterministically (PKCS#1 v1.5),
 * and the result checks with OpenSSL directly and with q1/q2 recomputed
 * by the other formula of the SDK, floor((s^3 - q1*s*n) / n). */
Test(sgx, sigstruct_sign_independent_check)
{
	struct mlog_error err = { 0, "" };
	EVP_PKEY *key = synth_key();
	size_t pem_len = 0;
	char *pem = pem_of(key, &pem_len);
	uint8_t ss[SYNTH_SS], body[SYNTH_SS], again[SYNTH_SS];
	uint8_t n_be[384], s_be[384], msg[256], q[384];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	BN_CTX *bn = BN_CTX_new();
	BIGNUM *n, *s, *q1, *q2, *t = BN_new(), *u = BN_new();

	synth_body(body);
	synth_le64(body + MLOG_SGX_OFF_ATTRIBUTES, 0x6);
	memcpy(ss, body, sizeof(ss));
	cr_assert_eq(mlog_sgx_sigstruct_sign(ss, pem, pem_len, &err), MLOG_OK,
		"%s", err.msg);
	for (size_t i = 0; i < sizeof(ss); i++) {
		int key_field = (i >= 128 && i < 516 + 384) || i >= 1040;

		if (!key_field)
			cr_assert_eq(ss[i], body[i], "byte %zu changed", i);
	}
	memcpy(again, body, sizeof(again));
	cr_assert_eq(mlog_sgx_sigstruct_sign(again, pem, pem_len, &err),
		MLOG_OK);
	cr_assert_eq(memcmp(ss, again, sizeof(ss)), 0, "not deterministic");

	for (int i = 0; i < 384; i++) {
		n_be[i] = ss[128 + 383 - i];
		s_be[i] = ss[516 + 383 - i];
	}
	n = BN_bin2bn(n_be, 384, NULL);
	s = BN_bin2bn(s_be, 384, NULL);
	cr_assert(n != NULL && s != NULL && md != NULL && bn != NULL);
	cr_assert_eq(BN_num_bits(n), 3072);
	memcpy(msg, ss, 128);
	memcpy(msg + 128, ss + 900, 128);
	cr_assert_eq(EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL,
		key, NULL), 1);
	cr_assert_eq(EVP_DigestVerify(md, s_be, 384, msg, 256), 1);
	/* q1 = floor(s^2 / n), q2 = floor((s^3 - q1*s*n) / n). */
	q1 = BN_new();
	q2 = BN_new();
	cr_assert(q1 != NULL && q2 != NULL && t != NULL && u != NULL);
	cr_assert_eq(BN_sqr(t, s, bn), 1);
	cr_assert_eq(BN_div(q1, NULL, t, n, bn), 1);
	cr_assert_eq(BN_bn2lebinpad(q1, q, 384), 384);
	cr_assert_eq(memcmp(q, ss + MLOG_SGX_OFF_Q1, 384), 0);
	cr_assert_eq(BN_mul(t, t, s, bn), 1);          /* s^3 */
	cr_assert_eq(BN_mul(u, q1, s, bn), 1);
	cr_assert_eq(BN_mul(u, u, n, bn), 1);          /* q1*s*n */
	cr_assert_eq(BN_sub(t, t, u), 1);
	cr_assert_eq(BN_div(q2, NULL, t, n, bn), 1);
	cr_assert_eq(BN_bn2lebinpad(q2, q, 384), 384);
	cr_assert_eq(memcmp(q, ss + MLOG_SGX_OFF_Q2, 384), 0);

	BN_free(n);
	BN_free(s);
	BN_free(q1);
	BN_free(q2);
	BN_free(t);
	BN_free(u);
	BN_CTX_free(bn);
	EVP_MD_CTX_free(md);
	free(pem);
	EVP_PKEY_free(key);
}

/* A real SIGSTRUCT's signed content re-signed with our key keeps every
 * signed field (MRENCLAVE, attributes, ...) and gets our MRSIGNER. */
Test(sgx, sigstruct_sign_resigns_real_body)
{
	struct mlog_error err = { 0, "" };
	struct mlog_sgx_sigstruct orig, re;
	EVP_PKEY *key;
	uint8_t *data, ss[SYNTH_SS];
	size_t len = 0, pem_len = 0;
	char *pem;

	TEST_REQUIRE_SHARED();
	data = (uint8_t *)test_read_shared(
		"samples/sgx/intel-le_prod_css-sdk1.7.bin", &len);
	cr_assert_eq(len, SYNTH_SS);
	cr_assert_eq(mlog_sgx_sigstruct_decode(&orig, data, len, NULL), 0);
	key = synth_key();
	pem = pem_of(key, &pem_len);
	memcpy(ss, data, len);
	cr_assert_eq(mlog_sgx_sigstruct_sign(ss, pem, pem_len, &err), MLOG_OK,
		"%s", err.msg);
	cr_assert_eq(mlog_sgx_sigstruct_decode(&re, ss, sizeof(ss), NULL), 0);
	cr_assert_eq(verify(&re), MLOG_OK);
	cr_assert_eq(verify_q(&re), MLOG_OK);
	cr_assert_eq(memcmp(re.mrenclave, orig.mrenclave, 32), 0);
	cr_assert_eq(re.attributes, orig.attributes);
	cr_assert_eq(re.isvsvn, orig.isvsvn);
	cr_assert_eq(re.date, orig.date);
	cr_assert_neq(memcmp(re.mrsigner, orig.mrsigner, 32), 0);
	free(pem);
	EVP_PKEY_free(key);
	free(data);
}

/* Keys EINIT would refuse, and inputs that are no key: each fails with
 * its code and leaves the SIGSTRUCT untouched. */
Test(sgx, sigstruct_sign_rejects_bad_keys)
{
	EVP_PKEY *keys[3];
	char *pems[6];
	size_t lens[6];
	static const int want[] = {
		MLOG_ERR_RANGE,         /* RSA-2048, e = 3 */
		MLOG_ERR_RANGE,         /* RSA-3072, e = 65537 */
		MLOG_ERR_RANGE,         /* Ed25519 */
		MLOG_ERR_MALFORMED,     /* garbage */
		MLOG_ERR_MALFORMED,     /* a public key */
		MLOG_ERR_MALFORMED,     /* empty */
	};
	static const char *what[] = {
		"RSA-2048", "e = 65537", "Ed25519", "garbage", "public key",
		"empty",
	};
	uint8_t ss[SYNTH_SS], before[SYNTH_SS];
	BIO *bio;
	BUF_MEM *mem = NULL;

	keys[0] = rsa_key(2048, 3);
	keys[1] = rsa_key(3072, 65537);
	keys[2] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	cr_assert_not_null(keys[2]);
	for (int i = 0; i < 3; i++)
		pems[i] = pem_of(keys[i], &lens[i]);
	pems[3] = strdup("-----BEGIN PRIVATE KEY-----\nAAAA\n"
		"-----END PRIVATE KEY-----\n");
	lens[3] = strlen(pems[3]);
	bio = BIO_new(BIO_s_mem());
	cr_assert_eq(PEM_write_bio_PUBKEY(bio, keys[0]), 1);
	cr_assert_eq(BIO_get_mem_ptr(bio, &mem), 1);
	pems[4] = strndup(mem->data, mem->length);
	lens[4] = mem->length;
	BIO_free(bio);
	pems[5] = strdup("");
	lens[5] = 0;

	synth_body(ss);
	memcpy(before, ss, sizeof(ss));
	for (int i = 0; i < 6; i++) {
		struct mlog_error err = { 0, "" };
		int rc = mlog_sgx_sigstruct_sign(ss, pems[i], lens[i], &err);

		cr_assert_eq(rc, want[i], "%s: got %d (%s)", what[i], rc,
			err.msg);
		cr_assert_neq(err.msg[0], '\0', "%s: no message", what[i]);
		cr_assert_eq(memcmp(ss, before, sizeof(ss)), 0,
			"%s: output changed", what[i]);
		free(pems[i]);
	}
	for (int i = 0; i < 3; i++)
		EVP_PKEY_free(keys[i]);
}

/* An encrypted key is refused (never a passphrase prompt), and input
 * over the cap is refused before it is parsed. */
Test(sgx, sigstruct_sign_rejects_encrypted_and_oversized)
{
	struct mlog_error err = { 0, "" };
	EVP_PKEY *key = synth_key();
	uint8_t ss[SYNTH_SS], before[SYNTH_SS];
	BIO *bio = BIO_new(BIO_s_mem());
	BUF_MEM *mem = NULL;
	char *big;

	cr_assert_not_null(bio);
	cr_assert_eq(PEM_write_bio_PKCS8PrivateKey(bio, key,
		EVP_aes_256_cbc(), "pass", 4, NULL, NULL), 1);
	cr_assert_eq(BIO_get_mem_ptr(bio, &mem), 1);
	synth_body(ss);
	memcpy(before, ss, sizeof(ss));
	cr_assert_eq(mlog_sgx_sigstruct_sign(ss, mem->data, mem->length,
		&err), MLOG_ERR_MALFORMED, "%s", err.msg);
	BIO_free(bio);

	/* A valid key followed by padding past the cap: TOOBIG, not
	 * parsed. */
	big = calloc(1, MLOG_SGX_KEY_PEM_MAX + 2);
	cr_assert_not_null(big);
	memset(big, '\n', MLOG_SGX_KEY_PEM_MAX + 1);
	cr_assert_eq(mlog_sgx_sigstruct_sign(ss, big, MLOG_SGX_KEY_PEM_MAX + 1,
		&err), MLOG_ERR_TOOBIG, "%s", err.msg);
	cr_assert_eq(memcmp(ss, before, sizeof(ss)), 0);
	free(big);
	EVP_PKEY_free(key);
}

/* A generated key is RSA-3072 with e = 3, PKCS#8 PEM, and signs. */
Test(sgx, key_generate_rsa3072_e3)
{
	struct mlog_error err = { 0, "" };
	struct mlog_sgx_sigstruct s;
	char *pem = NULL;
	size_t len = 0;
	uint8_t ss[SYNTH_SS];
	BIO *bio;
	EVP_PKEY *key;
	BIGNUM *e = NULL;

	cr_assert_eq(mlog_sgx_key_generate(&pem, &len, &err), MLOG_OK, "%s",
		err.msg);
	cr_assert_eq(strlen(pem), len);
	cr_assert(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
	bio = BIO_new_mem_buf(pem, (int)len);
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	cr_assert_not_null(key);
	cr_assert(EVP_PKEY_is_a(key, "RSA"));
	cr_assert_eq(EVP_PKEY_get_bits(key), 3072);
	cr_assert_eq(EVP_PKEY_get_bn_param(key, "e", &e), 1);
	cr_assert(BN_is_word(e, 3));
	synth_body(ss);
	cr_assert_eq(mlog_sgx_sigstruct_sign(ss, pem, len, &err), MLOG_OK,
		"%s", err.msg);
	cr_assert_eq(mlog_sgx_sigstruct_decode(&s, ss, sizeof(ss), NULL), 0);
	cr_assert_eq(verify(&s), MLOG_OK);
	cr_assert_eq(verify_q(&s), MLOG_OK);
	BN_free(e);
	EVP_PKEY_free(key);
	free(pem);
}
