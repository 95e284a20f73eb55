/*
 * tree_internal.h — helpers shared by tree.c and proof.c, not part of the
 * public API (library-internal layer, like SQLite's sqlite3Wal*).
 */
#ifndef MLOG_TREE_INTERNAL_H
#define MLOG_TREE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"

/* Largest power of two strictly less than n (RFC 9162's k); n >= 2. */
uint64_t mlog_tree_split_point(uint64_t n);

/* Appends to idx[*len..cap) the stored-hash indexes of the complete
 * subtrees that make up [lo, hi), largest (leftmost) first. Returns
 * MLOG_ERR_RANGE if lo is misaligned or cap is exceeded. */
int mlog_tree_range_indexes(uint64_t *idx, size_t cap, size_t *len,
	uint64_t lo, uint64_t hi);

/* Number of complete subtrees [lo, hi) splits into. */
size_t mlog_tree_range_count(uint64_t lo, uint64_t hi);

/* Combines count >= 1 subtree hashes right to left into one root:
 * node(h[0], node(h[1], ... node(h[count-2], h[count-1]))). */
void mlog_tree_combine_right(struct mlog_hash *h,
	uint8_t out[MLOG_HASH_BYTES], const uint8_t (*hashes)[MLOG_HASH_BYTES],
	size_t count);

#endif
