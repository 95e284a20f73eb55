/*
 * tree.h — Merkle tree index math, incremental append and root computation
 * (RFC 9162 §2.1.1), over hashes kept in storage the caller owns.
 *
 * Stored hashes. Every complete subtree of the log (a node at level L
 * covering leaves [n*2^L, (n+1)*2^L)) has one hash, identified either by
 * (level L, index n) or by its *stored-hash index*: its position in the
 * sequence in which an append-only log first learns them. Appending leaf i
 * stores the leaf hash, then the hash of every subtree that leaf completes,
 * bottom-up (Crosby-Wallach order, as Go's golang.org/x/mod/sumdb/tlog):
 *
 *   leaves:   0   1       2   3           4 ...
 *   stored:   0   1 2     3   4 5 6       7 ...
 *             |   | `-(1,0)   | | `-(2,0)
 *          (0,0)(0,1)  (0,2)(0,3)`-(1,1)
 *
 * Storage is always behind struct mlog_hash_reader: the math never touches
 * files, SQLite or tiles, and the same functions serve the server (tiles in
 * SQLite), the client (tiles over HTTP) and tests (arrays in memory).
 *
 * Invariants:
 *  (1) mlog_tree_split_index(mlog_tree_stored_index(L, n)) == (L, n) for
 *      every L < 64 and n for which the index fits in 63 bits.
 *  (2) mlog_tree_stored_count(n) == mlog_tree_stored_index(0, n) for all n:
 *      a log of n leaves has stored exactly the hashes with smaller indexes.
 *  (3) mlog_tree_root() of n leaves reads only stored hashes with index
 *      < mlog_tree_stored_count(n), i.e. hashes that exist at size n.
 *  (4) Tree sizes and indexes are at most MLOG_TREE_MAX_SIZE (2^62) so that
 *      no stored-hash index overflows; larger values are MLOG_ERR_RANGE.
 *
 * Thread-safety: pure functions apart from the reader and hash context the
 * caller passes in; see those for their rules.
 * Ownership: callers own every buffer; readers fill caller arrays.
 */
#ifndef MLOG_TREE_H
#define MLOG_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hash.h"

/* Largest tree size the library accepts (invariant 4). */
#define MLOG_TREE_MAX_SIZE (UINT64_C(1) << 62)

/* Most hashes mlog_tree_append() returns: the leaf plus one per level. */
#define MLOG_TREE_MAX_APPEND 64

/* Most hashes any mlog_tree_* or mlog_proof_* function reads in one call. */
#define MLOG_TREE_MAX_READ 128

/*
 * Storage of stored hashes. read() must fill out[0..n) with the hashes whose
 * stored-hash indexes are idx[0..n) (n <= MLOG_TREE_MAX_READ, in any order,
 * possibly repeated) and return 0, or return a negative mlog_err and may
 * leave out partly written. It is never asked for a hash that does not exist
 * at the tree size the caller is working with.
 */
struct mlog_hash_reader {
	int (*read)(void *ctx, const uint64_t *idx, size_t n,
		uint8_t (*out)[MLOG_HASH_BYTES]);
	void *ctx;
};

/* Stored-hash index of the node at (level, n). Requires level < 63 and a
 * result below 2^63 (true for every node of a tree within invariant 4). */
uint64_t mlog_tree_stored_index(int level, uint64_t n);

/* Inverse of mlog_tree_stored_index (invariant 1). */
void mlog_tree_split_index(uint64_t index, int *level /* OUT */,
	uint64_t *n /* OUT */);

/* Number of stored hashes in a tree of n leaves (invariant 2). */
uint64_t mlog_tree_stored_count(uint64_t n);

/*
 * Appending leaf number n (so the tree grows from n to n+1 leaves) with leaf
 * hash leaf: computes the hashes to store, in stored-index order starting at
 * mlog_tree_stored_count(n): the leaf itself, then one node per subtree the
 * new leaf completes. Reads the left siblings it needs from r. Writes them
 * to out (room for MLOG_TREE_MAX_APPEND) and their number to *out_len.
 * Returns 0, MLOG_ERR_RANGE if n >= MLOG_TREE_MAX_SIZE, or the reader's
 * error.
 */
int mlog_tree_append(struct mlog_hash *h, uint8_t (*out)[MLOG_HASH_BYTES],
	size_t *out_len /* OUT */, uint64_t n,
	const uint8_t leaf[MLOG_HASH_BYTES], const struct mlog_hash_reader *r)
	MLOG_MUST_CHECK;

/*
 * Root hash MTH(D[0:n]) of the first n leaves, from at most 63 stored
 * hashes (the complete subtrees of n, combined right to left). n = 0 gives
 * SHA-256(""). Returns 0, MLOG_ERR_RANGE, or the reader's error.
 */
int mlog_tree_root(struct mlog_hash *h, uint8_t out[MLOG_HASH_BYTES],
	uint64_t n, const struct mlog_hash_reader *r) MLOG_MUST_CHECK;

/*
 * Hash MTH(D[lo:hi]) of the leaf range [lo, hi), combining the complete
 * subtrees it splits into (largest first) right to left, as RFC 9162
 * PATH/PROOF need for the right edge of a tree. Requires lo < hi <=
 * MLOG_TREE_MAX_SIZE and lo a multiple of the largest power of two <=
 * hi - lo (true of every range PATH and PROOF visit); otherwise returns
 * MLOG_ERR_RANGE. Returns 0 or the reader's error.
 */
int mlog_tree_subtree_hash(struct mlog_hash *h, uint8_t out[MLOG_HASH_BYTES],
	uint64_t lo, uint64_t hi, const struct mlog_hash_reader *r)
	MLOG_MUST_CHECK;

#endif
