/*
 * hash.h — RFC 9162 §2.1.1 Merkle tree hashing with SHA-256 through OpenSSL.
 *
 *   empty tree  MTH({})  = SHA-256("")
 *   leaf        MTH({d}) = SHA-256(0x00 || d)
 *   node                   SHA-256(0x01 || left || right)
 *
 * A struct mlog_hash is a hashing context: it fetches the SHA-256
 * implementation once (EVP_MD_fetch; the implicit per-call lookup of
 * EVP_sha256()/EVP_Digest costs 4-5x more for 65-byte inputs) and reuses one
 * EVP_MD_CTX for every call.
 *
 * Invariants:
 *  (1) Every output is exactly MLOG_HASH_BYTES bytes.
 *  (2) A context is never left mid-digest between calls; each call is a
 *      complete init/update/final.
 *
 * Thread-safety: a context is used by one thread at a time; give each thread
 * its own (they are cheap). mlog_hash_empty() is a pure function.
 * Ownership: mlog_hash_new() returns a context the caller frees with
 * mlog_hash_free(), which accepts NULL.
 */
#ifndef MLOG_HASH_H
#define MLOG_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define MLOG_HASH_BYTES 32

struct mlog_hash;

/* New hashing context, or NULL if OpenSSL has no SHA-256 or memory ran out. */
struct mlog_hash *mlog_hash_new(void);

/* Frees a context; NULL is a no-op. */
void mlog_hash_free(struct mlog_hash *h);

/* out = SHA-256(data[0..len)). */
void mlog_hash_sha256(struct mlog_hash *h, uint8_t out[MLOG_HASH_BYTES],
	const void *data, size_t len);

/* out = SHA-256(0x00 || data[0..len)): the RFC 9162 leaf hash. */
void mlog_hash_leaf(struct mlog_hash *h, uint8_t out[MLOG_HASH_BYTES],
	const void *data, size_t len);

/* out = SHA-256(0x01 || left || right): the RFC 9162 interior node hash.
 * out may alias left or right. */
void mlog_hash_node(struct mlog_hash *h, uint8_t out[MLOG_HASH_BYTES],
	const uint8_t left[MLOG_HASH_BYTES],
	const uint8_t right[MLOG_HASH_BYTES]);

/* out = SHA-256(""), the root of the empty tree (e3b0c442...7852b855). */
void mlog_hash_empty(uint8_t out[MLOG_HASH_BYTES]);

#endif
