/*
 * sgx.h — Intel SGX enclave signatures: a strict, bounds-checked reader for
 * the SIGSTRUCT (TEE-FORMATS.md §1) and for the files that carry one: a raw
 * 1808-byte SIGSTRUCT (Gramine and Fortanix `.sig`, Intel `le_prod_css.bin`,
 * `sgx_sign -cssfile`), an Intel SDK `.signed.so` ELF (`.note.sgxmeta`,
 * §2) and an Open Enclave / EGo ELF (`.oeinfo`, §3). It decodes every
 * field, computes MRSIGNER, and checks the RSA signature and q1/q2.
 *
 * Why in merkle/ and not client/: mlog measure and mlog diff read enclaves
 * today, and the server (checking that a published manifest's measurement
 * matches an uploaded enclave) and the monitor will too. Keeping it here
 * also lets the fuzz target and unit tests link it like every other parser.
 *
 * SIGSTRUCT, 1808 bytes, all integers little-endian ("S" = signed):
 *
 *     off  size  field                 off  size  field
 *       0    16  HEADER (S)            908     1  CET_ATTRIBUTES (S)
 *      16     4  VENDOR (S)            909     1  CET_ATTRIBUTES_MASK (S)
 *      20     4  DATE yyyymmdd (S)     910     2  reserved (S)
 *      24    16  HEADER2 (S)           912    16  ISVFAMILYID (S)
 *      40     4  SWDEFINED (S)         928     8  ATTRIBUTES.FLAGS (S)
 *      44    84  reserved (S)          936     8  ATTRIBUTES.XFRM (S)
 *     128   384  MODULUS               944     8  ATTRIBUTEMASK.FLAGS (S)
 *     512     4  EXPONENT (= 3)        952     8  ATTRIBUTEMASK.XFRM (S)
 *     516   384  SIGNATURE             960    32  ENCLAVEHASH = MRENCLAVE (S)
 *     900     4  MISCSELECT (S)        992    16  reserved (S)
 *     904     4  MISCMASK (S)         1008    16  ISVEXTPRODID (S)
 *                                     1024     2  ISVPRODID (S)
 *                                     1026     2  ISVSVN (S)
 *                                     1028    12  reserved
 *                                     1040   384  Q1
 *                                     1424   384  Q2
 *
 * Signature: RSASSA-PKCS1-v1_5 with SHA-256 over bytes [0,128) || [900,1028),
 * RSA-3072, e = 3, n and s stored little-endian. q1 = floor(s^2 / n),
 * q2 = floor((s^3 - q1*s*n) / n) = floor(((s^2 mod n) * s) / n), stored
 * little-endian. MRSIGNER = SHA-256 of the 384 modulus bytes as stored.
 * Example (samples/sgx/intel-le_prod_css-sdk1.7.bin): vendor 0x8086, date
 * 20161116, attributes 0x24 (MODE64BIT, EINITTOKENKEY), MRENCLAVE
 * 8050122c5f999a28..., MRSIGNER acb77012053e05a6... (the CPU's default
 * IA32_SGXLEPUBKEYHASH), signature and q1/q2 valid.
 *
 * Files (mlog_sgx_enclave_decode picks the kind from the bytes):
 *   - ELF (starts "\x7fELF"): ELFCLASS64 or ELFCLASS32, little-endian,
 *     read through its section header table. A section ".note.sgxmeta"
 *     holds one note: namesz 13, descsz, type 1, name "sgx_metadata\0"
 *     NOT padded, so the metadata area starts at sh_offset + 25. It holds
 *     one or more metadata_t entries back to back (magic 0x86A80294635D0E4C
 *     at +0, version at +8, entry size at +16, ...; SIGSTRUCT at +64). A
 *     section ".oeinfo" holds oe_sgx_enclave_properties_t with the
 *     SIGSTRUCT at +144.
 *   - anything else of exactly 1808 bytes: a raw SIGSTRUCT.
 *
 * Validity rules (each failure is MLOG_ERR_MALFORMED with a message naming
 * the field or offset, except (1)):
 *  (1) Input over MLOG_SGX_MAX_INPUT bytes is MLOG_ERR_TOOBIG, before any
 *      work.
 *  (2) SIGSTRUCT: HEADER bytes 0..11 and HEADER2 are the SDM constants;
 *      HEADER bytes 12..15 (the SDK "type") are 0 or 0x80000000 (bit 31:
 *      debug-signed, surfaced as header_type); EXPONENT is 3. An all-zero
 *      SIGSTRUCT is reported as "not signed". Reserved bytes are not
 *      required to be zero (new SDM fields were carved out of them before),
 *      but any non-zero range is reported in reserved_nonzero.
 *  (3) ELF: every offset and size (ELF header, section header table,
 *      section name table, names, the section read) lies inside the input,
 *      computed without overflow; e_shentsize is the class's Shdr size;
 *      extended section numbering (e_shnum 0, SHN_XINDEX) is followed;
 *      at most MLOG_SGX_MAX_SECTIONS sections; the section read is not
 *      SHT_NOBITS and does not overlap the ELF header or section header
 *      table; exactly one of .note.sgxmeta / .oeinfo exists, and no name
 *      appears twice.
 *  (4) .note.sgxmeta: namesz 13, type 1, name "sgx_metadata\0"; sh_size is
 *      12 + 13 + descsz rounded up to sh_addralign (a power of two, or 0),
 *      the check Intel's loader makes (elfparser.cpp get_meta_property).
 *  (5) Metadata entries: the first starts at the metadata area with the
 *      magic (none: "not signed"); each has size >= 1872 (up to the end
 *      of its SIGSTRUCT) that fits in what is left of descsz; the walk
 *      stops at the first position without the magic; at most
 *      MLOG_SGX_MAX_META entries. Entry 0's SIGSTRUCT is decoded; every
 *      entry's SIGSTRUCT is compared with it byte for byte (meta_agree).
 *  (6) .oeinfo: at least MLOG_SGX_OEINFO_MIN_BYTES bytes.
 *
 * Signature checks are separate (mlog_sgx_sigstruct_verify and
 * mlog_sgx_sigstruct_verify_q): a SIGSTRUCT that decodes may still fail
 * them, which is MLOG_ERR_VERIFY, never MLOG_ERR_MALFORMED.
 *
 * Signing (mlog_sgx_sigstruct_init, mlog_sgx_sigstruct_sign,
 * mlog_sgx_key_generate) exists for test data and demos: synthetic
 * enclaves that `mlog measure` and `mlog diff` read like real ones. It
 * signs what sgx_sign and gramine-sgx-sign sign, the same way, but makes
 * no enclave (no MRENCLAVE is computed from pages; the caller sets it).
 *
 * Thread-safety: pure functions over caller memory; OpenSSL 3 is
 * thread-safe for what they use.
 * Ownership: every buffer and struct is the caller's; decoders copy what
 * they keep (the SIGSTRUCT bytes), so the input may be unmapped afterwards.
 * Decoders and the signer leave their outputs untouched on failure.
 * mlog_sgx_key_generate returns a malloc'd private key that the caller
 * wipes and frees.
 */
#ifndef MLOG_SGX_H
#define MLOG_SGX_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define MLOG_SGX_SIGSTRUCT_BYTES 1808
#define MLOG_SGX_KEY_BYTES 384              /* modulus, signature, q1, q2 */
#define MLOG_SGX_HASH_BYTES 32              /* MRENCLAVE, MRSIGNER */
#define MLOG_SGX_ID_BYTES 16                /* ISVFAMILYID, ISVEXTPRODID */
#define MLOG_SGX_MAX_INPUT ((size_t)1 << 30)    /* 1 GiB */
#define MLOG_SGX_MAX_SECTIONS 65536
#define MLOG_SGX_MAX_META 16
#define MLOG_SGX_EXPONENT 3

/* SIGSTRUCT field offsets (table above). */
#define MLOG_SGX_OFF_HEADER 0
#define MLOG_SGX_OFF_HEADER_TYPE 12
#define MLOG_SGX_OFF_VENDOR 16
#define MLOG_SGX_OFF_DATE 20
#define MLOG_SGX_OFF_HEADER2 24
#define MLOG_SGX_OFF_SWDEFINED 40
#define MLOG_SGX_OFF_MODULUS 128
#define MLOG_SGX_OFF_EXPONENT 512
#define MLOG_SGX_OFF_SIGNATURE 516
#define MLOG_SGX_OFF_MISCSELECT 900
#define MLOG_SGX_OFF_MISCMASK 904
#define MLOG_SGX_OFF_CET 908
#define MLOG_SGX_OFF_CET_MASK 909
#define MLOG_SGX_OFF_ISVFAMILYID 912
#define MLOG_SGX_OFF_ATTRIBUTES 928
#define MLOG_SGX_OFF_XFRM 936
#define MLOG_SGX_OFF_ATTRIBUTEMASK 944
#define MLOG_SGX_OFF_XFRMMASK 952
#define MLOG_SGX_OFF_MRENCLAVE 960
#define MLOG_SGX_OFF_ISVEXTPRODID 1008
#define MLOG_SGX_OFF_ISVPRODID 1024
#define MLOG_SGX_OFF_ISVSVN 1026
#define MLOG_SGX_OFF_Q1 1040
#define MLOG_SGX_OFF_Q2 1424

/* The two signed ranges: [0,128) and [900,1028). */
#define MLOG_SGX_SIGNED_HEADER_BYTES 128
#define MLOG_SGX_OFF_BODY 900
#define MLOG_SGX_SIGNED_BODY_BYTES 128

/* HEADER type bit 31: the Intel SDK's "debug" release type. */
#define MLOG_SGX_HEADER_TYPE_DEBUG 0x80000000u
#define MLOG_SGX_VENDOR_INTEL 0x8086u

/* The four reserved ranges, bit i of reserved_nonzero (offset, length). */
#define MLOG_SGX_RESERVED_COUNT 4
#define MLOG_SGX_RESERVED_44 0x1u       /* 44, 84 bytes, signed */
#define MLOG_SGX_RESERVED_910 0x2u      /* 910, 2 bytes, signed */
#define MLOG_SGX_RESERVED_992 0x4u      /* 992, 16 bytes, signed */
#define MLOG_SGX_RESERVED_1028 0x8u     /* 1028, 12 bytes, not signed */

/* An RSA-3072 private key in PEM is about 2.5 KB; longer input is
 * refused before parsing. */
#define MLOG_SGX_KEY_PEM_MAX 16384
#define MLOG_SGX_KEY_BITS 3072

/* ATTRIBUTES.FLAGS bits (TEE-FORMATS §1). */
#define MLOG_SGX_FLAG_INIT UINT64_C(0x1)
#define MLOG_SGX_FLAG_DEBUG UINT64_C(0x2)
#define MLOG_SGX_FLAG_MODE64BIT UINT64_C(0x4)
#define MLOG_SGX_FLAG_PROVISIONKEY UINT64_C(0x10)
#define MLOG_SGX_FLAG_EINITTOKENKEY UINT64_C(0x20)
#define MLOG_SGX_FLAG_CET UINT64_C(0x40)
#define MLOG_SGX_FLAG_KSS UINT64_C(0x80)
#define MLOG_SGX_FLAG_AEXNOTIFY UINT64_C(0x400)
/* Bits 55..48: the SDK (>= 2.18) clears them in ATTRIBUTEMASK. */
#define MLOG_SGX_FLAG_NON_CHECK_BITS UINT64_C(0x00ff000000000000)

/* Metadata (Intel SDK metadata_t, pack(1)). */
#define MLOG_SGX_META_MAGIC UINT64_C(0x86A80294635D0E4C)
/* 12-byte note header + unpadded "sgx_metadata\0" */
#define MLOG_SGX_META_NOTE_OFFSET 25
#define MLOG_SGX_META_SIGSTRUCT_OFFSET 64
#define MLOG_SGX_META_MIN_BYTES 1872        /* METADATA_LEGACY_SIZE */

/* Open Enclave oe_sgx_enclave_properties_t. */
#define MLOG_SGX_OEINFO_SIGSTRUCT_OFFSET 144
#define MLOG_SGX_OEINFO_MIN_BYTES 1960

enum mlog_sgx_source {
	MLOG_SGX_SOURCE_SIGSTRUCT = 1,  /* raw 1808-byte file */
	MLOG_SGX_SOURCE_SGXMETA = 2,    /* ELF .note.sgxmeta (Intel SDK) */
	MLOG_SGX_SOURCE_OEINFO = 3,     /* ELF .oeinfo (Open Enclave, EGo) */
};

/* Who may launch the enclave in debug mode, from ATTRIBUTES.DEBUG and
 * ATTRIBUTEMASK.DEBUG (EINIT compares SECS and SIGSTRUCT attributes under
 * the mask): mask bit clear -> either; set -> the bit's value decides. */
enum mlog_sgx_debug_policy {
	MLOG_SGX_DEBUG_EITHER = 1,
	MLOG_SGX_DEBUG_PRODUCTION_ONLY = 2,
	MLOG_SGX_DEBUG_DEBUG_ONLY = 3,
};

/* A decoded SIGSTRUCT. raw holds the 1808 bytes; the modulus, signature,
 * q1 and q2 are read from raw at their MLOG_SGX_OFF_* offsets. */
struct mlog_sgx_sigstruct {
	uint8_t raw[MLOG_SGX_SIGSTRUCT_BYTES];
	uint32_t header_type;       /* 0 or MLOG_SGX_HEADER_TYPE_DEBUG */
	uint32_t vendor;            /* 0x8086 Intel, else 0 */
	uint32_t date;              /* 0x20161116 = 2016-11-16 */
	uint32_t swdefined;
	uint32_t exponent;          /* always 3 once decoded */
	uint32_t miscselect;
	uint32_t miscmask;
	uint8_t cet_attributes;
	uint8_t cet_attributes_mask;
	uint8_t isvfamilyid[MLOG_SGX_ID_BYTES];
	uint64_t attributes;        /* ATTRIBUTES.FLAGS */
	uint64_t xfrm;              /* ATTRIBUTES.XFRM */
	uint64_t attributemask;     /* ATTRIBUTEMASK.FLAGS */
	uint64_t xfrmmask;          /* ATTRIBUTEMASK.XFRM */
	uint8_t mrenclave[MLOG_SGX_HASH_BYTES];
	uint8_t isvextprodid[MLOG_SGX_ID_BYTES];
	uint16_t isvprodid;
	uint16_t isvsvn;
	uint8_t mrsigner[MLOG_SGX_HASH_BYTES];  /* SHA-256(modulus as stored) */
	uint8_t sha256[MLOG_SGX_HASH_BYTES];    /* SHA-256 of raw */
	unsigned reserved_nonzero;  /* MLOG_SGX_RESERVED_* bits */
};

/* One .note.sgxmeta metadata entry (offsets from the entry start). */
struct mlog_sgx_meta {
	uint64_t offset;            /* file offset of the entry */
	uint32_t version_major;     /* version @8, high 32 bits */
	uint32_t version_minor;     /* low 32 bits */
	uint32_t size;              /* @16 */
	uint32_t tcs_policy;        /* @20: 0 bind, 1 unbind */
	uint32_t ssa_frame_size;    /* @24, pages */
	uint32_t max_save_buffer_size; /* @28 */
	uint32_t desired_misc_select; /* @32 */
	uint32_t tcs_min_pool;      /* @36 */
	uint64_t enclave_size;      /* @40 */
	uint64_t attributes;        /* @48: what the loader puts in SECS */
	uint64_t xfrm;              /* @56 */
	uint8_t mrenclave[MLOG_SGX_HASH_BYTES]; /* of this entry's SIGSTRUCT */
	int same_sigstruct;         /* 1 if its SIGSTRUCT equals entry 0's */
};

/* The .oeinfo properties header (oe_sgx_enclave_properties_t). */
struct mlog_sgx_oeinfo {
	uint32_t size;              /* @0, 1960 for OE */
	uint32_t enclave_type;      /* @4 */
	uint64_t num_heap_pages;    /* @8 */
	uint64_t num_stack_pages;   /* @16 */
	uint64_t num_tcs;           /* @24 */
	uint16_t product_id;        /* @32 */
	uint16_t security_version;  /* @34 */
	uint32_t flags;             /* @36 */
	uint64_t attributes;        /* @72: OE config (bit 1 allow debug) */
	uint64_t xfrm;              /* @80 */
};

/* A decoded enclave file. */
struct mlog_sgx_enclave {
	int source;                 /* enum mlog_sgx_source */
	int elf_class;              /* 32 or 64; 0 for a raw SIGSTRUCT */
	uint64_t section_offset;    /* ELF: the section read; else 0 */
	uint64_t section_size;
	uint64_t sigstruct_offset;  /* file offset of sig */
	struct mlog_sgx_sigstruct sig;
	size_t nmeta;               /* SGXMETA: entries in meta[] */
	struct mlog_sgx_meta meta[MLOG_SGX_MAX_META];
	int meta_agree;             /* 0 if an entry's SIGSTRUCT differs */
	struct mlog_sgx_oeinfo oe;  /* OEINFO only */
};

/*
 * Decodes a 1808-byte SIGSTRUCT (rule 2) from data[0..len) into *out and
 * computes MRSIGNER and the SHA-256 of the bytes. Returns 0,
 * MLOG_ERR_MALFORMED (len is not 1808, bad header, exponent not 3, all
 * zero) or MLOG_ERR_INTERNAL (SHA-256 unavailable). *out untouched on
 * failure.
 */
int mlog_sgx_sigstruct_decode(struct mlog_sgx_sigstruct *out /* OUT */,
	const uint8_t *data, size_t len, struct mlog_error *err)
	MLOG_MUST_CHECK;

/*
 * Checks the RSA-3072 PKCS#1 v1.5 SHA-256 signature (e = 3) of a decoded
 * SIGSTRUCT with OpenSSL. Returns 0 if it verifies, MLOG_ERR_VERIFY if it
 * does not (including a modulus that is not an odd 3072-bit number, or a
 * signature not below it), MLOG_ERR_NOMEM or MLOG_ERR_INTERNAL.
 */
int mlog_sgx_sigstruct_verify(const struct mlog_sgx_sigstruct *s,
	struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Recomputes q1 and q2 from the signature and modulus with BIGNUM and
 * compares them with the stored ones. Returns 0, MLOG_ERR_VERIFY (either
 * differs, or the modulus is zero), MLOG_ERR_NOMEM or MLOG_ERR_INTERNAL.
 */
int mlog_sgx_sigstruct_verify_q(const struct mlog_sgx_sigstruct *s,
	struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Writes an unsigned SIGSTRUCT template into ss: all zero except the SDM
 * constants HEADER (type 0) and HEADER2 and EXPONENT = 3, so that once
 * the caller has set the fields it wants and called
 * mlog_sgx_sigstruct_sign, it decodes (rule 2). Cannot fail.
 */
void mlog_sgx_sigstruct_init(uint8_t ss[MLOG_SGX_SIGSTRUCT_BYTES] /* OUT */);

/*
 * Signs a SIGSTRUCT in place, as sgx_sign does: stores the key's modulus
 * (little-endian) and EXPONENT 3, signs bytes [0,128) || [900,1028) with
 * RSASSA-PKCS1-v1_5 SHA-256, stores the signature little-endian, and
 * computes q1 = floor(s^2 / n) and q2 = floor(((s^2 mod n) * s) / n).
 * Every other byte of ss is kept as the caller set it. key_pem is an
 * unencrypted PEM private key (PKCS#8 or traditional), at most
 * MLOG_SGX_KEY_PEM_MAX bytes; the caller wipes it. The result passes
 * mlog_sgx_sigstruct_verify and mlog_sgx_sigstruct_verify_q.
 * Returns 0, MLOG_ERR_TOOBIG (key_pem too long), MLOG_ERR_MALFORMED (not
 * a PEM private key), MLOG_ERR_RANGE (a key, but not RSA-3072 with
 * e = 3: EINIT accepts no other), MLOG_ERR_NOMEM or MLOG_ERR_INTERNAL.
 * ss is untouched on failure (signed in a copy).
 */
int mlog_sgx_sigstruct_sign(uint8_t ss[MLOG_SGX_SIGSTRUCT_BYTES] /* IN/OUT */,
	const char *key_pem, size_t key_pem_len, struct mlog_error *err)
	MLOG_MUST_CHECK;

/*
 * Generates an RSA-3072 key with public exponent 3 (OpenSSL, about a
 * second of CPU) and returns it as an unencrypted PKCS#8 PEM in *pem
 * (NUL-terminated, *pem_len bytes without the NUL). The caller owns it:
 * wipe with sodium_memzero or OPENSSL_cleanse, then free(). Returns 0,
 * MLOG_ERR_NOMEM or MLOG_ERR_INTERNAL; *pem untouched on failure.
 */
int mlog_sgx_key_generate(char **pem /* OUT */, size_t *pem_len /* OUT */,
	struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Decodes an enclave file (rules 1-6): an ELF with .note.sgxmeta or
 * .oeinfo, or a raw SIGSTRUCT. Returns 0, MLOG_ERR_TOOBIG,
 * MLOG_ERR_MALFORMED or MLOG_ERR_INTERNAL; *out untouched on failure.
 * The message names the problem and, for ELF, the section or entry
 * ("ELF: section 7 (.note.sgxmeta): offset 0x19918 + size 0x501c runs
 * past the end of the file (0x10000 bytes)").
 */
int mlog_sgx_enclave_decode(struct mlog_sgx_enclave *out /* OUT */,
	const uint8_t *data, size_t len, struct mlog_error *err)
	MLOG_MUST_CHECK;

/* Debug policy from ATTRIBUTES.FLAGS and ATTRIBUTEMASK.FLAGS (pure). */
enum mlog_sgx_debug_policy mlog_sgx_debug_policy(uint64_t attributes,
	uint64_t attributemask);

/* "either", "production-only", "debug-only"; "?" for anything else. */
const char *mlog_sgx_debug_policy_name(int policy);

/* "sigstruct", "elf-sgxmeta", "elf-oeinfo"; "?" for anything else. */
const char *mlog_sgx_source_name(int source);

/* Name of ATTRIBUTES.FLAGS bit 0..63 ("DEBUG", "EINITTOKENKEY", ...), or
 * NULL for a bit with no name. */
const char *mlog_sgx_attribute_name(unsigned bit);

/* Name of XFRM (XCR0) bit 0..63 ("X87", "SSE", "AVX", "AVX512_OPMASK",
 * "PKRU", "AMX_TILEDATA", ...), or NULL. */
const char *mlog_sgx_xfrm_name(unsigned bit);

/* Name of MISCSELECT bit 0..31 ("EXINFO", "CPINFO"), or NULL. */
const char *mlog_sgx_misc_name(unsigned bit);

/* Offset and length of reserved range i (0..MLOG_SGX_RESERVED_COUNT-1);
 * bit (1 << i) of reserved_nonzero. Returns 0, or MLOG_ERR_RANGE. */
int mlog_sgx_reserved_range(unsigned i, size_t *off /* OUT */,
	size_t *len /* OUT */) MLOG_MUST_CHECK;

#endif
