/*
 * sgxsynth.c — synthetic SGX inputs; see sgxsynth.h.
 */
#include "sgxsynth.h"

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/buffer.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "sgx.h"

/* RSA-3072, public exponent 3; a test key, published here on purpose. */
static const char synth_key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIG/QIBADANBgkqhkiG9w0BAQEFAASCBucwggbjAgEAAoIBgQDfoSndpejecnwY\n"
	"K48mBIqiqQzgpIaiCMpXIs5LVL1MBJKNUp9D29LWdej8wAWCAtocRP4IAptiHInF\n"
	"qVLmt6QBiQ/hDHJuDeyhVPn9GF786trntcrwjVsucLaYYmd+craBt7V/ZQA645n9\n"
	"tDU9AbUIOCmIAaD/Eig3iAOtUxf8OEUOR3G6GPsYN/roaOPQQjVmadnMXc9DypZC\n"
	"cxJ+UFJPcCJRQElX17eufbdUZ+L0nS8mCNWKHUUZcmNgoqcl1Tanbxu9M39TeH7C\n"
	"GeGQPKeAhAu9bXSeUmR4Sz4C0zceJ9ZoQOzTTKKBRNvvxbyMC2tEiJmZRa/59u8N\n"
	"1qkYqk83dGjf2TDi/ovNsk+hjXT0K52a3VNbhiIXY4khF+OkFXvxZTeEWAktqUTh\n"
	"Gffhv7zTyuLQlq+fe73Z42o/SkUAHnyqFq2jwKCWM/2WFI2fG8M3mcSLgF122+8s\n"
	"xd+OodA0dkHIljYonzTEx3XRy6wPzoBcyIxbS/mEOE3F3eIlYfECAQMCggGBAJUW\n"
	"G+kZRemhqBAdChlYXGxws0BtrxawhuTB3tzjKN1YYbOMai09Nzmj8KiAA6wB5r2D\n"
	"VAVXEkFoW9kbjJnPwquwtUCy9vQJSGuN+/4QP1NHPJp5MfWzkh71zxBBmlRMeavP\n"
	"zlTuACdCZqkiziirzgV6xlqrwKoMGs+wAnOMuqglg17aS9Fl/LrP/Jrwl+AsI5mb\n"
	"5og+ii0xuYGiDFQ1jDT1bDYq24/lJR7+ejhFQfhoyhlbOQa+LhD27OsXGhk4zdsV\n"
	"lX/3nMvrELvAgGPsgdaTzieVu1mrh71gKohTJFoGZZUAkGODqSdYhkNw1e8ene6K\n"
	"YRu5w2XzmoMA4r9OwWPRDXX0NCwU0QTmA5NLI9xcjXBteJ60T5nuP/5SoGDIvjVY\n"
	"AEXK3/0URQUY3YQ9O+3VofGy9aTf/vXPcIJBayyVdZwKVC3PxkwPspcd02YuHUev\n"
	"nDEgV38BMgwXVl+2vkKdVVt1UhGVZmhiKk/bo77l3otl09sKQ38B+Xm+m6XWqwKB\n"
	"wQD3d1xPKQNaoicGr6rbZVGqHn7HY7KztSEFbfPkkX2bCGmDzyl8acgg56Jg2tEG\n"
	"SXymHr6gmDJ2V7d8ncpmqcTAiuSdCdKMniEKvMV1tml0uA3w6xo3a9EZrK56wVpI\n"
	"YAD2nSNNgMVdmxvvLOb3TjUfrH71ti56xiEoKKViH4qj5H6XmeajNUwqhkm+NoOn\n"
	"j4uiR7NBO1I+89tjA4OaOy3scEttQ8zRLz33wRupeIkdr7/WgoIZz9QmZUtHZfML\n"
	"aaECgcEA51dfLhcQxvW+ocl2HvSTFIfXuqko5Bv31s0KUcUC/BXUhPDqwZ1cpVhw\n"
	"KcGqnxQBuJpJTxbYarHPzLeKkwpoYS/wEeEQFEExO5yEzuZVtOi7gU4ENgvZltF6\n"
	"qNqYyohdqsQTzibz1G/BakfEpBWtz13w8FQQrWWeQQOcGciZmVnNqG1Iu9Oq+ZYn\n"
	"9TFM3kcLqcqnAJSH+WZIt59aZNSE5Bn2UiJuPQ/dMHMasImtU8XytS1MeOzAH1AM\n"
	"R9oFoTZRAoHBAKT6PYobV5HBb1nKceeY4RwUVITtIc0ja1jz9+22U7ywRlffcP2b\n"
	"2sCabECR4K7bqG6/KcBldvmPz6hpMZnGgysHQxNb4bMUFgcog6PO8Ph6s/XyEXpH\n"
	"4LvIdFHWPDBAAKRowjOrLj5nZ/TImfo0I2py/055dFHZa3AbGOwVBxftqbpmmcIj\n"
	"iBxZhn7PAm+1B8GFIit84X9NPOytAmbSHp2gMkjX3eDKKU/WEnD7BhPKf+RXAWaK\n"
	"jW7uMi+ZTLJGawKBwQCaOj90D2CEo9Rr26QUowy4Wo/RxhtCvU/kiLGL2KyoDo2t\n"
	"9fHWaOhuOvVxK8cUuAElvDDfZJBHITUzJQcMsZrrdUq2lgq4K3Ynva3fRDkjRdJW\n"
	"NALOspEPNlHF5xCHBZPHLWKJb004SoDxhS3CuR6KPqCgOAseQ77WAmgRMGZmO95w\n"
	"SNsn4nH7uW/4y4iUL10b3G9VuFqmRDB6ajxDOFiYEU7hbEl+CpN1ohHLBnONLqHO\n"
	"HjL7SIAU4Agv5q5reYsCgcAczXSfqXxs1OAH7c1bLPRH4eWt2yuYsKIDqZ3e6KBc\n"
	"lq/xUWTPAU/E1U21FtgqQdyoU/lUCz0cE/GbO3chvgjLZ22dBg4xbLgXAPsBnTpw\n"
	"9ijT16j57WMbtIkAshkNDjCVaDD+D/IiPOt4zTlPQLt4XRKluR3ezBrRp9rfapp/\n"
	"nIaRmXXs/gZiETuvL48aRU0qrd5abEnu46fzXAtDygZDTYM2KSVDAR0G8zubUHjl\n"
	"KcZCWmztG21eqBtut5k+VFg=\n"
	"-----END PRIVATE KEY-----\n"
	;

void synth_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void synth_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void synth_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

EVP_PKEY *synth_key(void)
{
	BIO *bio = BIO_new_mem_buf(synth_key_pem, -1);
	EVP_PKEY *key;

	cr_assert_not_null(bio);
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	cr_assert_not_null(key, "can't load the embedded RSA key");
	return key;
}

/* Parses a PEM private key (test helper). */
static EVP_PKEY *key_from_pem(const char *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *key;

	cr_assert_not_null(bio);
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	cr_assert_not_null(key, "can't parse a PEM private key");
	return key;
}

EVP_PKEY *synth_key_generate(void)
{
	struct mlog_error err = { 0, "" };
	char *pem = NULL;
	size_t len = 0;
	EVP_PKEY *key;

	cr_assert_eq(mlog_sgx_key_generate(&pem, &len, &err), MLOG_OK, "%s",
		err.msg);
	key = key_from_pem(pem, len);
	OPENSSL_cleanse(pem, len);
	free(pem);
	return key;
}

void synth_body(uint8_t ss[SYNTH_SS])
{
	mlog_sgx_sigstruct_init(ss);
	synth_le32(ss + 20, 0x20250131);
	synth_le32(ss + 904, 0xffffffff);           /* MISCMASK */
	synth_le64(ss + 928, 0x4);                  /* MODE64BIT */
	synth_le64(ss + 936, 0x3);                  /* X87 | SSE */
	synth_le64(ss + 944, UINT64_MAX);           /* ATTRIBUTEMASK */
	synth_le64(ss + 952, UINT64_C(0xfffffffffffffffb));
	for (int i = 0; i < 32; i++)
		ss[960 + i] = (uint8_t)(7 * i + 1);    /* MRENCLAVE */
	synth_le16(ss + 1024, 7);
	synth_le16(ss + 1026, 3);
}

/* One implementation of SIGSTRUCT signing: the library's
 * (mlog_sgx_sigstruct_sign), fed the key as PEM. */
void synth_sign(uint8_t ss[SYNTH_SS], EVP_PKEY *key)
{
	struct mlog_error err = { 0, "" };
	BIO *bio = BIO_new(BIO_s_mem());
	BUF_MEM *mem = NULL;

	cr_assert_not_null(bio);
	cr_assert_eq(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL,
		NULL), 1);
	cr_assert_eq(BIO_get_mem_ptr(bio, &mem), 1);
	cr_assert_eq(mlog_sgx_sigstruct_sign(ss, mem->data, mem->length,
		&err), MLOG_OK, "%s", err.msg);
	BIO_free(bio);
}

static size_t align_up(size_t v, uint64_t a)
{
	return a > 1 ? (size_t)((v + a - 1) / a * a) : v;
}

uint64_t synth_shdr_off(const struct synth_elf *e, size_t i)
{
	return e->shoff + i * e->shentsize;
}

static void put_shdr(struct synth_elf *e, size_t i, uint32_t name,
	uint32_t type, uint64_t off, uint64_t size, uint32_t link,
	uint64_t align)
{
	uint8_t *p = e->data + synth_shdr_off(e, i);

	synth_le32(p, name);
	synth_le32(p + 4, type);
	if (e->cls == 64) {
		synth_le64(p + 24, off);
		synth_le64(p + 32, size);
		synth_le32(p + 40, link);
		synth_le64(p + 48, align);
	} else {
		synth_le32(p + 16, (uint32_t)off);
		synth_le32(p + 20, (uint32_t)size);
		synth_le32(p + 24, link);
		synth_le32(p + 32, (uint32_t)align);
	}
}

void synth_elf_build(struct synth_elf *out, int cls,
	const struct synth_section *secs, size_t n, int extended)
{
	char names[512];
	uint32_t name_off[SYNTH_MAX_SECTIONS + 2];
	size_t names_len = 1, pos;

	cr_assert(n <= SYNTH_MAX_SECTIONS);
	memset(out, 0, sizeof(*out));
	out->cls = cls;
	out->ehsize = cls == 64 ? 64 : 52;
	out->shentsize = cls == 64 ? 64 : 40;
	out->shnum = n + 2;
	out->strndx = n + 1;
	names[0] = '\0';
	for (size_t i = 0; i <= n; i++) {
		const char *nm = i < n ? secs[i].name : ".shstrtab";
		size_t l = strlen(nm) + 1;

		cr_assert(names_len + l <= sizeof(names));
		name_off[i + 1] = (uint32_t)names_len;
		memcpy(names + names_len, nm, l);
		names_len += l;
	}
	pos = out->ehsize;
	for (size_t i = 0; i < n; i++) {
		pos = align_up(pos, secs[i].align);
		out->off[i + 1] = pos;
		pos += secs[i].len;
	}
	out->strtab_off = pos;
	out->off[n + 1] = pos;
	pos = align_up(pos + names_len, 8);
	out->shoff = pos;
	out->len = pos + out->shnum * out->shentsize;
	out->data = calloc(1, out->len);
	cr_assert_not_null(out->data);

	memcpy(out->data, "\x7f" "ELF", 4);
	out->data[4] = cls == 64 ? 2 : 1;
	out->data[5] = 1;
	out->data[6] = 1;
	synth_le16(out->data + 16, 3);          /* ET_DYN */
	synth_le16(out->data + 18, cls == 64 ? 62 : 3);  /* x86-64 / 386 */
	synth_le32(out->data + 20, 1);
	if (cls == 64) {
		synth_le64(out->data + 40, out->shoff);
		synth_le16(out->data + 52, 64);
		synth_le16(out->data + 58, 64);
		synth_le16(out->data + 60, extended ? 0 :
			(uint16_t)out->shnum);
		synth_le16(out->data + 62, extended ? 0xffff :
			(uint16_t)out->strndx);
	} else {
		synth_le32(out->data + 32, (uint32_t)out->shoff);
		synth_le16(out->data + 40, 52);
		synth_le16(out->data + 46, 40);
		synth_le16(out->data + 48, extended ? 0 :
			(uint16_t)out->shnum);
		synth_le16(out->data + 50, extended ? 0xffff :
			(uint16_t)out->strndx);
	}
	/* Section 0: all zero, or the extended counts. */
	put_shdr(out, 0, 0, 0, 0, extended ? out->shnum : 0,
		extended ? (uint32_t)out->strndx : 0, 0);
	for (size_t i = 0; i < n; i++) {
		memcpy(out->data + out->off[i + 1], secs[i].data, secs[i].len);
		put_shdr(out, i + 1, name_off[i + 1], secs[i].type,
			out->off[i + 1], secs[i].len, 0, secs[i].align);
	}
	memcpy(out->data + out->strtab_off, names, names_len);
	put_shdr(out, n + 1, name_off[n + 1], 3, out->strtab_off, names_len,
		0, 1);
}

uint8_t *synth_sgxmeta(size_t *len, const uint8_t *const *ss, size_t n,
	uint32_t entry_size, size_t tail, uint64_t align)
{
	static const uint32_t versions[][2] = {
		{ 2, 4 }, { 2, 1 }, { 1, 4 }, { 1, 3 },
	};
	size_t descsz = n * entry_size + tail;
	size_t total = align_up(25 + descsz, align);
	uint8_t *p = calloc(1, total);

	cr_assert_not_null(p);
	cr_assert(entry_size >= 1872);
	synth_le32(p, 13);
	synth_le32(p + 4, (uint32_t)descsz);
	synth_le32(p + 8, 1);
	memcpy(p + 12, "sgx_metadata", 13);
	for (size_t i = 0; i < n; i++) {
		uint8_t *m = p + 25 + i * entry_size;

		synth_le64(m, UINT64_C(0x86A80294635D0E4C));
		synth_le64(m + 8, ((uint64_t)versions[i % 4][0] << 32) |
			versions[i % 4][1]);
		synth_le32(m + 16, entry_size);
		synth_le32(m + 20, 1);              /* tcs_policy */
		synth_le32(m + 24, 1);              /* ssa_frame_size */
		synth_le32(m + 28, 2632);
		synth_le32(m + 36, 1);              /* tcs_min_pool */
		synth_le64(m + 40, 0x200000);
		synth_le64(m + 48, 0x4);
		synth_le64(m + 56, 0xe7);
		memcpy(m + 64, ss[i], SYNTH_SS);
	}
	*len = total;
	return p;
}

uint8_t *synth_oeinfo(size_t *len, const uint8_t ss[SYNTH_SS], size_t size)
{
	uint8_t *p = calloc(1, size);

	cr_assert_not_null(p);
	cr_assert(size >= 1960);
	synth_le32(p, 1960);
	synth_le32(p + 4, 2);                       /* OE_ENCLAVE_TYPE_SGX */
	synth_le64(p + 8, 256);
	synth_le64(p + 16, 16);
	synth_le64(p + 24, 4);
	synth_le16(p + 32, 7);
	synth_le16(p + 34, 3);
	synth_le64(p + 72, 0x2);                    /* allow debug */
	synth_le64(p + 80, 0x3);
	memcpy(p + 144, ss, SYNTH_SS);
	*len = size;
	return p;
}
