/*
 * memtree.h — an in-memory Merkle tree for tests: stored hashes in a
 * growing array behind a struct mlog_hash_reader, appended with
 * mlog_tree_append, with roots and proofs from merkle/tree.h and proof.h.
 * Header-only (static inline) so that each test program can include it.
 * Failures fail the current Criterion test.
 */
#ifndef MLOG_TEST_MEMTREE_H
#define MLOG_TEST_MEMTREE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "hash.h"
#include "proof.h"
#include "tree.h"

struct memtree {
	struct mlog_hash *h;
	uint8_t (*hashes)[MLOG_HASH_BYTES];
	size_t nhashes, cap;
	uint64_t size;                 /* leaves appended */
};

static inline int memtree_read(void *ctx, const uint64_t *idx, size_t n,
	uint8_t (*out)[MLOG_HASH_BYTES])
{
	const struct memtree *t = ctx;

	for (size_t i = 0; i < n; i++) {
		if (idx[i] >= t->nhashes)
			return MLOG_ERR_NOTFOUND;
		memcpy(out[i], t->hashes[idx[i]], MLOG_HASH_BYTES);
	}
	return MLOG_OK;
}

static inline struct mlog_hash_reader memtree_reader(struct memtree *t)
{
	struct mlog_hash_reader r = { memtree_read, t };

	return r;
}

static inline void memtree_init(struct memtree *t)
{
	memset(t, 0, sizeof(*t));
	t->h = mlog_hash_new();
	cr_assert_not_null(t->h);
}

static inline void memtree_free(struct memtree *t)
{
	mlog_hash_free(t->h);
	free(t->hashes);
	memset(t, 0, sizeof(*t));
}

/* Appends a leaf given by its leaf hash. */
static inline void memtree_append_hash(struct memtree *t,
	const uint8_t leaf[MLOG_HASH_BYTES])
{
	uint8_t add[MLOG_TREE_MAX_APPEND][MLOG_HASH_BYTES];
	struct mlog_hash_reader r = memtree_reader(t);
	size_t n = 0;

	cr_assert_eq(mlog_tree_append(t->h, add, &n, t->size, leaf, &r),
		MLOG_OK);
	if (t->nhashes + n > t->cap) {
		t->cap = (t->nhashes + n) * 2;
		t->hashes = realloc(t->hashes, t->cap * MLOG_HASH_BYTES);
		cr_assert_not_null(t->hashes);
	}
	memcpy(t->hashes[t->nhashes], add, n * MLOG_HASH_BYTES);
	t->nhashes += n;
	t->size++;
}

/* Appends entry data (leaf hash SHA-256(0x00 || data)). */
static inline void memtree_append(struct memtree *t, const void *data,
	size_t len)
{
	uint8_t leaf[MLOG_HASH_BYTES];

	mlog_hash_leaf(t->h, leaf, data, len);
	memtree_append_hash(t, leaf);
}

static inline void memtree_root(struct memtree *t, uint64_t size,
	uint8_t out[MLOG_HASH_BYTES])
{
	struct mlog_hash_reader r = memtree_reader(t);

	cr_assert_eq(mlog_tree_root(t->h, out, size, &r), MLOG_OK);
}

static inline size_t memtree_inclusion(struct memtree *t, uint64_t index,
	uint64_t size, uint8_t (*proof)[MLOG_HASH_BYTES])
{
	struct mlog_hash_reader r = memtree_reader(t);
	size_t n = 0;

	cr_assert_eq(mlog_proof_prove_inclusion(t->h, proof, &n, index, size,
		&r), MLOG_OK);
	return n;
}

static inline size_t memtree_consistency(struct memtree *t, uint64_t old,
	uint64_t size, uint8_t (*proof)[MLOG_HASH_BYTES])
{
	struct mlog_hash_reader r = memtree_reader(t);
	size_t n = 0;

	cr_assert_eq(mlog_proof_prove_consistency(t->h, proof, &n, old, size,
		&r), MLOG_OK);
	return n;
}

#endif
