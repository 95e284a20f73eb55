/*
 * sgxsynth.h — synthetic SGX inputs for the tests of merkle/sgx.c and of
 * `mlog measure` / `mlog diff`: SIGSTRUCTs signed with an RSA-3072, e = 3
 * test key (the one embedded here, generated with `openssl genpkey
 * -pkeyopt rsa_keygen_pubexp:3`, or a fresh one), and minimal ELF32/ELF64
 * files carrying them in .note.sgxmeta or .oeinfo, laid out as the Intel
 * SDK and Open Enclave do (TEE-FORMATS.md §1-3).
 *
 * Helpers fail the running Criterion test on any library error.
 */
#ifndef MLOG_TEST_SGXSYNTH_H
#define MLOG_TEST_SGXSYNTH_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define SYNTH_SS 1808
#define SYNTH_MAX_SECTIONS 8

/* The embedded RSA-3072 e = 3 test key (caller frees with EVP_PKEY_free). */
EVP_PKEY *synth_key(void);

/* A freshly generated RSA-3072 e = 3 key (slow: about a second), made by
 * mlog_sgx_key_generate. */
EVP_PKEY *synth_key_generate(void);

/* An unsigned SIGSTRUCT body (mlog_sgx_sigstruct_init): SDM header and
 * header2, exponent 3, vendor 0, date 2025-01-31, MODE64BIT, xfrm 0x3,
 * attributemask all ones (so DEBUG is enforced: production-only), a
 * patterned MRENCLAVE, isvprodid 7, isvsvn 3; the other key fields zero. */
void synth_body(uint8_t ss[SYNTH_SS]);

/* Fills modulus, exponent, signature, q1 and q2 of ss with key, through
 * mlog_sgx_sigstruct_sign (the one implementation). */
void synth_sign(uint8_t ss[SYNTH_SS], EVP_PKEY *key);

/* Little-endian stores into a buffer. */
void synth_le16(uint8_t *p, uint16_t v);
void synth_le32(uint8_t *p, uint32_t v);
void synth_le64(uint8_t *p, uint64_t v);

struct synth_section {
	const char *name;
	uint32_t type;          /* SHT_* */
	const uint8_t *data;
	size_t len;
	uint64_t align;
};

/* A built ELF and where things are in it, for mutation tests. */
struct synth_elf {
	uint8_t *data;          /* malloc'd, exactly len bytes */
	size_t len;
	int cls;                /* 32 or 64 */
	size_t ehsize, shentsize;
	uint64_t shoff;         /* section header table */
	size_t shnum;           /* including section 0 and .shstrtab */
	size_t strndx;          /* index of .shstrtab */
	uint64_t strtab_off;
	uint64_t off[SYNTH_MAX_SECTIONS + 2];   /* data offset per section */
};

/* Builds an ELF of class cls (32/64) with sections secs[0..n) as
 * sections 1..n and .shstrtab last. extended: use gABI extended
 * numbering (e_shnum 0, e_shstrndx SHN_XINDEX). Free out->data. */
void synth_elf_build(struct synth_elf *out, int cls,
	const struct synth_section *secs, size_t n, int extended);

/* Offset of section i's header within e->data. */
uint64_t synth_shdr_off(const struct synth_elf *e, size_t i);

/* Builds a .note.sgxmeta section: note header, unpadded "sgx_metadata\0",
 * then one metadata entry of entry_size bytes per SIGSTRUCT in ss[], then
 * zeros up to descsz = n * entry_size + tail, padded to align. Entry i has
 * version (2.4, 2.1, 1.4, ...). Returns a malloc'd buffer of *len bytes. */
uint8_t *synth_sgxmeta(size_t *len, const uint8_t *const *ss, size_t n,
	uint32_t entry_size, size_t tail, uint64_t align);

/* Builds an .oeinfo section of size bytes (>= 1960): OE properties
 * header with product_id 7, security_version 3, and ss at +144. */
uint8_t *synth_oeinfo(size_t *len, const uint8_t ss[SYNTH_SS], size_t size);

#endif
