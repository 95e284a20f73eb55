/*
 * fuzz_sgx.c — SGX enclave / SIGSTRUCT reader (merkle/sgx.c).
 *
 * Properties: decoding answers OK or MALFORMED, nothing else, and never
 * reads outside the input (ASan). A decoded enclave is self-consistent:
 * the SIGSTRUCT copy equals the input bytes at sigstruct_offset and
 * decodes again to the same struct; MRSIGNER is SHA-256 of its modulus;
 * the section and every metadata entry lie inside the input; entry 0
 * carries the decoded SIGSTRUCT and meta_agree matches the entries' flags.
 * Both signature checks answer OK or VERIFY (never a crash on hostile
 * moduli). Seeds: fuzz/corpus/sgx/ (written by fuzz/gen_sgx_seeds.py) and
 * ../shared/samples/sgx.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sgx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlog_sgx_enclave *e = malloc(sizeof(*e));
	struct mlog_sgx_sigstruct *again = malloc(sizeof(*again));
	struct mlog_error err = { 0, "" };
	uint8_t h[MLOG_SGX_HASH_BYTES];
	int rc, agree = 1;

	check(e != NULL && again != NULL);
	rc = mlog_sgx_enclave_decode(e, data, size, &err);
	if (rc != MLOG_OK) {
		check(rc == MLOG_ERR_MALFORMED);
		check(err.msg[0] != '\0' && strchr(err.msg, '\n') == NULL);
		goto done;
	}
	check(e->sigstruct_offset <= size &&
		size - e->sigstruct_offset >= MLOG_SGX_SIGSTRUCT_BYTES);
	check(memcmp(data + e->sigstruct_offset, e->sig.raw,
		MLOG_SGX_SIGSTRUCT_BYTES) == 0);
	check(mlog_sgx_sigstruct_decode(again, e->sig.raw,
		MLOG_SGX_SIGSTRUCT_BYTES, NULL) == MLOG_OK);
	/* Field by field: struct padding is not part of the contract. */
	check(memcmp(again->raw, e->sig.raw, MLOG_SGX_SIGSTRUCT_BYTES) == 0 &&
		memcmp(again->sha256, e->sig.sha256,
		MLOG_SGX_HASH_BYTES) == 0 &&
		memcmp(again->mrenclave, e->sig.mrenclave,
		MLOG_SGX_HASH_BYTES) == 0 &&
		again->attributes == e->sig.attributes &&
		again->attributemask == e->sig.attributemask &&
		again->header_type == e->sig.header_type &&
		again->isvsvn == e->sig.isvsvn &&
		again->reserved_nonzero == e->sig.reserved_nonzero);
	check(EVP_Digest(e->sig.raw + MLOG_SGX_OFF_MODULUS, MLOG_SGX_KEY_BYTES,
		h, NULL, EVP_sha256(), NULL) == 1);
	check(memcmp(h, e->sig.mrsigner, sizeof(h)) == 0);
	check(e->sig.exponent == MLOG_SGX_EXPONENT);
	switch (e->source) {
	case MLOG_SGX_SOURCE_SIGSTRUCT:
		check(size == MLOG_SGX_SIGSTRUCT_BYTES && e->nmeta == 0);
		break;
	case MLOG_SGX_SOURCE_SGXMETA:
		check(e->nmeta >= 1 && e->nmeta <= MLOG_SGX_MAX_META);
		check(memcmp(e->meta[0].mrenclave, e->sig.mrenclave,
			MLOG_SGX_HASH_BYTES) == 0);
		check(e->meta[0].same_sigstruct == 1);
		for (size_t i = 0; i < e->nmeta; i++) {
			check(e->meta[i].size >= MLOG_SGX_META_MIN_BYTES);
			check(e->meta[i].offset <= size && size -
				e->meta[i].offset >= e->meta[i].size);
			agree &= e->meta[i].same_sigstruct;
		}
		check(agree == e->meta_agree);
		/* fall through */
	case MLOG_SGX_SOURCE_OEINFO:
		check(e->elf_class == 32 || e->elf_class == 64);
		check(e->section_offset <= size &&
			size - e->section_offset >= e->section_size);
		break;
	default:
		abort();
	}
	rc = mlog_sgx_sigstruct_verify(&e->sig, NULL);
	check(rc == MLOG_OK || rc == MLOG_ERR_VERIFY);
	rc = mlog_sgx_sigstruct_verify_q(&e->sig, NULL);
	check(rc == MLOG_OK || rc == MLOG_ERR_VERIFY);
done:
	free(e);
	free(again);
	return 0;
}
