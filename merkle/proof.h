/*
 * proof.h — inclusion and consistency proofs, RFC 9162 §2.1.3 and §2.1.4
 * (identical to RFC 6962 §2.1.1-2.1.2 for SHA-256).
 *
 * Generation runs RFC 9162 PATH(m, D[n]) and PROOF(m, D[n]) over stored
 * hashes reached through a struct mlog_hash_reader, in two passes as Go's
 * tlog does: first the stored-hash indexes needed (one read() call), then
 * the hashes. Verification follows the RFC's iterative algorithms step by
 * step, after a length check.
 *
 * Invariants:
 *  (1) A proof is never accepted unless its length equals the length
 *      computed from (index, size) or (old, size); that check happens
 *      before any hashing, so an over-long proof costs nothing.
 *  (2) Every mismatch (wrong length, wrong root, index out of range for the
 *      proof given) is MLOG_ERR_VERIFY; bad arguments that no proof could
 *      satisfy (index >= size, old > size, sizes above MLOG_TREE_MAX_SIZE)
 *      are MLOG_ERR_RANGE.
 *  (3) Generated proofs have exactly the length (1) demands.
 *  (4) Consistency from old = size is the empty proof (and requires equal
 *      roots); from old = 0 it is an error, as in transparency-dev/merkle
 *      and Go: callers such as witnesses handle old = 0 themselves.
 *
 * Thread-safety: pure functions; the hash context and reader follow their
 * own rules. Ownership: all buffers belong to the caller; proof arrays have
 * room for MLOG_PROOF_MAX hashes.
 */
#ifndef MLOG_PROOF_H
#define MLOG_PROOF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hash.h"
#include "tree.h"

/* Longest proof for any tree within MLOG_TREE_MAX_SIZE (ceil(log2 n) + 1). */
#define MLOG_PROOF_MAX 64

/*
 * Length of the inclusion proof of leaf index in a tree of size leaves
 * (transparency-dev decompInclProof: inner + border), or -1 unless
 * index < size <= MLOG_TREE_MAX_SIZE.
 */
int mlog_proof_inclusion_len(uint64_t index, uint64_t size);

/*
 * Length of the consistency proof from old to size, or -1 unless
 * 0 < old <= size <= MLOG_TREE_MAX_SIZE. old == size gives 0.
 */
int mlog_proof_consistency_len(uint64_t old, uint64_t size);

/*
 * PATH(index, D[size]): writes the inclusion proof to out (room for
 * MLOG_PROOF_MAX) and its length to *out_len, leaf sibling first.
 * Returns 0, MLOG_ERR_RANGE unless index < size <= MLOG_TREE_MAX_SIZE, or
 * the reader's error.
 */
int mlog_proof_prove_inclusion(struct mlog_hash *h,
	uint8_t (*out)[MLOG_HASH_BYTES], size_t *out_len /* OUT */,
	uint64_t index, uint64_t size, const struct mlog_hash_reader *r)
	MLOG_MUST_CHECK;

/*
 * PROOF(old, D[size]): writes the consistency proof to out (room for
 * MLOG_PROOF_MAX) and its length to *out_len. Returns 0, MLOG_ERR_RANGE
 * unless 0 < old <= size <= MLOG_TREE_MAX_SIZE, or the reader's error.
 */
int mlog_proof_prove_consistency(struct mlog_hash *h,
	uint8_t (*out)[MLOG_HASH_BYTES], size_t *out_len /* OUT */,
	uint64_t old, uint64_t size, const struct mlog_hash_reader *r)
	MLOG_MUST_CHECK;

/*
 * Computes the root implied by an inclusion proof (RFC 9162 §2.1.3.2 steps
 * 1-4) into root. Returns 0, MLOG_ERR_RANGE if index >= size or size is too
 * large, MLOG_ERR_VERIFY if the proof has the wrong length.
 */
int mlog_proof_root_from_inclusion(struct mlog_hash *h,
	uint8_t root[MLOG_HASH_BYTES] /* OUT */, uint64_t index, uint64_t size,
	const uint8_t leaf[MLOG_HASH_BYTES],
	const uint8_t (*proof)[MLOG_HASH_BYTES], size_t proof_len)
	MLOG_MUST_CHECK;

/*
 * Verifies that leaf is at index in the tree of size leaves with root.
 * Returns 0, MLOG_ERR_RANGE (index >= size), or MLOG_ERR_VERIFY.
 */
int mlog_proof_verify_inclusion(struct mlog_hash *h, uint64_t index,
	uint64_t size, const uint8_t leaf[MLOG_HASH_BYTES],
	const uint8_t (*proof)[MLOG_HASH_BYTES], size_t proof_len,
	const uint8_t root[MLOG_HASH_BYTES]) MLOG_MUST_CHECK;

/*
 * Verifies that the tree of size leaves and new_root extends the tree of
 * old leaves and old_root (RFC 9162 §2.1.4.2). Requires 0 < old <= size:
 * old == 0 or old > size is MLOG_ERR_RANGE. old == size verifies iff the
 * proof is empty and the roots are equal. Returns 0, MLOG_ERR_RANGE or
 * MLOG_ERR_VERIFY.
 */
int mlog_proof_verify_consistency(struct mlog_hash *h, uint64_t old,
	uint64_t size, const uint8_t old_root[MLOG_HASH_BYTES],
	const uint8_t new_root[MLOG_HASH_BYTES],
	const uint8_t (*proof)[MLOG_HASH_BYTES], size_t proof_len)
	MLOG_MUST_CHECK;

#endif
