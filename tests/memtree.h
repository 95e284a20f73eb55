/*
 * memtree.h — an in-memory log for tests: leaf hashes plus every stored
 * hash, appended through mlog_tree_append and read back through a
 * struct mlog_hash_reader, and the naive recursive RFC 9162 definitions
 * (MTH, PATH, PROOF) to compare the library against.
 */
#ifndef MLOG_TEST_MEMTREE_H
#define MLOG_TEST_MEMTREE_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "proof.h"
#include "tree.h"

struct memtree {
	struct mlog_hash *h;
	uint64_t size;                       /* leaves */
	uint8_t (*leaves)[MLOG_HASH_BYTES];  /* size leaf hashes */
	uint8_t (*stored)[MLOG_HASH_BYTES];  /* stored_count(size) hashes */
	uint64_t stored_len;
	uint64_t cap_leaves, cap_stored;
	uint64_t reads;                      /* hashes served by the reader */
	uint64_t read_limit;                 /* if non-zero, reads of stored
	                                        indexes >= it fail */
	struct mlog_hash_reader reader;
};

void memtree_init(struct memtree *t);
void memtree_clear(struct memtree *t);

/* Appends leaf i whose leaf hash is H(0x00 || "leaf-<i>") unless data is
 * given. */
void memtree_append(struct memtree *t, const void *data, size_t len);

/* Appends leaves until the tree has n. */
void memtree_grow(struct memtree *t, uint64_t n);

/* The library's root, inclusion and consistency proofs over the stored
 * hashes (failing the test on error); the proofs return their length. */
void memtree_root(struct memtree *t, uint64_t size,
	uint8_t out[MLOG_HASH_BYTES]);
size_t memtree_inclusion(struct memtree *t, uint64_t index, uint64_t size,
	uint8_t (*proof)[MLOG_HASH_BYTES]);
size_t memtree_consistency(struct memtree *t, uint64_t old, uint64_t size,
	uint8_t (*proof)[MLOG_HASH_BYTES]);

/* Naive recursive MTH(D[lo:hi]) over the leaf hashes (RFC 9162 §2.1.1). */
void memtree_naive_mth(struct memtree *t, uint8_t out[MLOG_HASH_BYTES],
	uint64_t lo, uint64_t hi);

/* Naive PATH(m, D[n]) and PROOF(m, D[n]); return the proof length. */
size_t memtree_naive_path(struct memtree *t,
	uint8_t (*out)[MLOG_HASH_BYTES], uint64_t m, uint64_t n);
size_t memtree_naive_proof(struct memtree *t,
	uint8_t (*out)[MLOG_HASH_BYTES], uint64_t m, uint64_t n);

#endif
