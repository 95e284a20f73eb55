/*
 * tree.c — stored-hash index math, append and root; see tree.h.
 *
 * Ported in structure from golang.org/x/mod/sumdb/tlog (StoredHashIndex,
 * SplitStoredHashIndex, StoredHashCount, StoredHashesForRecordHash,
 * TreeHash), whose tests (TestTree) this library's tests mirror.
 */
#include "tree.h"
#include "tree_internal.h"

#include <assert.h>
#include <string.h>

uint64_t mlog_tree_stored_index(int level, uint64_t n)
{
	uint64_t i = 0;

	/* Level-L node n is stored right after its rightmost leaf,
	 * (n+1)*2^L - 1, and the L-1 nodes below it on that right edge. */
	for (int l = level; l > 0; l--)
		n = 2 * n + 1;
	for (; n > 0; n >>= 1)
		i += n;
	return i + (uint64_t)level;
}

void mlog_tree_split_index(uint64_t index, int *level, uint64_t *n)
{
	/* Leaf n is at index 2n - popcount(n) >= index/2 ... start from the
	 * lowest candidate and walk forward; at most 64 steps. */
	uint64_t leaf = index / 2;
	uint64_t at = mlog_tree_stored_index(0, leaf);

	assert(at <= index);
	for (;;) {
		uint64_t next = at + 1 + (uint64_t)__builtin_ctzll(leaf + 1);

		if (next > index)
			break;
		leaf++;
		at = next;
	}
	*level = (int)(index - at);
	*n = leaf >> *level;
}

uint64_t mlog_tree_stored_count(uint64_t n)
{
	uint64_t count;

	if (n == 0)
		return 0;
	count = mlog_tree_stored_index(0, n - 1) + 1;
	for (uint64_t i = n - 1; i & 1; i >>= 1)
		count++;
	return count;
}

int mlog_tree_append(struct mlog_hash *h, uint8_t (*out)[MLOG_HASH_BYTES],
	size_t *out_len, uint64_t n, const uint8_t leaf[MLOG_HASH_BYTES],
	const struct mlog_hash_reader *r)
{
	uint64_t idx[MLOG_TREE_MAX_APPEND];
	uint8_t left[MLOG_TREE_MAX_APPEND][MLOG_HASH_BYTES];
	int m;
	int rc;

	if (n >= MLOG_TREE_MAX_SIZE)
		return MLOG_ERR_RANGE;
	/* Leaf n completes one subtree per trailing one bit of n: at level
	 * i its left sibling is node (n >> i) - 1. */
	m = __builtin_ctzll(n + 1);
	for (int i = 0; i < m; i++)
		idx[i] = mlog_tree_stored_index(i, (n >> i) - 1);
	if (m > 0) {
		rc = r->read(r->ctx, idx, (size_t)m, left);
		if (rc != 0)
			return rc;
	}
	memcpy(out[0], leaf, MLOG_HASH_BYTES);
	for (int i = 0; i < m; i++)
		mlog_hash_node(h, out[i + 1], left[i], out[i]);
	*out_len = (size_t)m + 1;
	return MLOG_OK;
}

/* Largest power of two strictly less than n; requires n >= 2. */
uint64_t mlog_tree_split_point(uint64_t n)
{
	assert(n >= 2);
	return UINT64_C(1) << (63 - __builtin_clzll(n - 1));
}

int mlog_tree_range_indexes(uint64_t *idx, size_t cap, size_t *len,
	uint64_t lo, uint64_t hi)
{
	while (lo < hi) {
		/* Largest power of two <= hi - lo. */
		uint64_t k = UINT64_C(1) << (63 - __builtin_clzll(hi - lo));
		int level = __builtin_ctzll(k);

		if ((lo & (k - 1)) != 0 || *len >= cap)
			return MLOG_ERR_RANGE;
		idx[(*len)++] = mlog_tree_stored_index(level, lo >> level);
		lo += k;
	}
	return MLOG_OK;
}

size_t mlog_tree_range_count(uint64_t lo, uint64_t hi)
{
	size_t count = 0;

	while (lo < hi) {
		lo += UINT64_C(1) << (63 - __builtin_clzll(hi - lo));
		count++;
	}
	return count;
}

void mlog_tree_combine_right(struct mlog_hash *h,
	uint8_t out[MLOG_HASH_BYTES], const uint8_t (*hashes)[MLOG_HASH_BYTES],
	size_t count)
{
	uint8_t acc[MLOG_HASH_BYTES];

	assert(count > 0);
	memcpy(acc, hashes[count - 1], MLOG_HASH_BYTES);
	for (size_t i = count - 1; i > 0; i--)
		mlog_hash_node(h, acc, hashes[i - 1], acc);
	memcpy(out, acc, MLOG_HASH_BYTES);
}

int mlog_tree_subtree_hash(struct mlog_hash *h, uint8_t out[MLOG_HASH_BYTES],
	uint64_t lo, uint64_t hi, const struct mlog_hash_reader *r)
{
	uint64_t idx[64];
	uint8_t hashes[64][MLOG_HASH_BYTES];
	size_t n = 0;
	int rc;

	if (lo >= hi || hi > MLOG_TREE_MAX_SIZE)
		return MLOG_ERR_RANGE;
	rc = mlog_tree_range_indexes(idx, 64, &n, lo, hi);
	if (rc != MLOG_OK)
		return rc;
	rc = r->read(r->ctx, idx, n, hashes);
	if (rc != 0)
		return rc;
	mlog_tree_combine_right(h, out, (const uint8_t (*)[MLOG_HASH_BYTES])
		hashes, n);
	return MLOG_OK;
}

int mlog_tree_root(struct mlog_hash *h, uint8_t out[MLOG_HASH_BYTES],
	uint64_t n, const struct mlog_hash_reader *r)
{
	if (n > MLOG_TREE_MAX_SIZE)
		return MLOG_ERR_RANGE;
	if (n == 0) {
		mlog_hash_empty(out);
		return MLOG_OK;
	}
	return mlog_tree_subtree_hash(h, out, 0, n, r);
}
