/*
 * memtree.c — in-memory log and naive RFC 9162 definitions; see memtree.h.
 */
#include "memtree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "proof.h"

static int memtree_read(void *ctx, const uint64_t *idx, size_t n,
	uint8_t (*out)[MLOG_HASH_BYTES])
{
	struct memtree *t = ctx;

	for (size_t i = 0; i < n; i++) {
		if (idx[i] >= t->stored_len ||
		    (t->read_limit != 0 && idx[i] >= t->read_limit))
			return MLOG_ERR_NOTFOUND;
		memcpy(out[i], t->stored[idx[i]], MLOG_HASH_BYTES);
	}
	t->reads += n;
	return MLOG_OK;
}

void memtree_init(struct memtree *t)
{
	memset(t, 0, sizeof(*t));
	t->h = mlog_hash_new();
	cr_assert_not_null(t->h);
	t->reader.read = memtree_read;
	t->reader.ctx = t;
}

void memtree_clear(struct memtree *t)
{
	mlog_hash_free(t->h);
	free(t->leaves);
	free(t->stored);
	memset(t, 0, sizeof(*t));
}

void memtree_append(struct memtree *t, const void *data, size_t len)
{
	uint8_t add[MLOG_TREE_MAX_APPEND][MLOG_HASH_BYTES];
	size_t nadd = 0;
	char buf[32];

	if (t->size == t->cap_leaves) {
		t->cap_leaves = t->cap_leaves ? 2 * t->cap_leaves : 1024;
		t->leaves = realloc(t->leaves, t->cap_leaves * MLOG_HASH_BYTES);
		cr_assert_not_null(t->leaves);
	}
	if (t->stored_len + MLOG_TREE_MAX_APPEND > t->cap_stored) {
		t->cap_stored = t->cap_stored ? 2 * t->cap_stored : 4096;
		t->stored = realloc(t->stored, t->cap_stored * MLOG_HASH_BYTES);
		cr_assert_not_null(t->stored);
	}
	if (data == NULL) {
		len = (size_t)snprintf(buf, sizeof(buf), "leaf-%llu",
			(unsigned long long)t->size);
		data = buf;
	}
	mlog_hash_leaf(t->h, t->leaves[t->size], data, len);
	cr_assert_eq(mlog_tree_append(t->h, add, &nadd, t->size,
		t->leaves[t->size], &t->reader), MLOG_OK);
	cr_assert_eq(t->stored_len, mlog_tree_stored_count(t->size));
	memcpy(t->stored[t->stored_len], add, nadd * MLOG_HASH_BYTES);
	t->stored_len += nadd;
	t->size++;
	cr_assert_eq(t->stored_len, mlog_tree_stored_count(t->size));
}

void memtree_grow(struct memtree *t, uint64_t n)
{
	while (t->size < n)
		memtree_append(t, NULL, 0);
}

static uint64_t split(uint64_t n)
{
	uint64_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

void memtree_naive_mth(struct memtree *t, uint8_t out[MLOG_HASH_BYTES],
	uint64_t lo, uint64_t hi)
{
	uint8_t l[MLOG_HASH_BYTES], r[MLOG_HASH_BYTES];
	uint64_t k;

	cr_assert(lo < hi && hi <= t->size);
	if (hi - lo == 1) {
		memcpy(out, t->leaves[lo], MLOG_HASH_BYTES);
		return;
	}
	k = split(hi - lo);
	memtree_naive_mth(t, l, lo, lo + k);
	memtree_naive_mth(t, r, lo + k, hi);
	mlog_hash_node(t->h, out, l, r);
}

/* PATH(m, D[lo:hi]) with m relative to lo. */
static size_t path(struct memtree *t, uint8_t (*out)[MLOG_HASH_BYTES],
	uint64_t m, uint64_t lo, uint64_t hi)
{
	uint64_t k;
	size_t n;

	if (hi - lo == 1)
		return 0;
	k = split(hi - lo);
	if (m < k) {
		n = path(t, out, m, lo, lo + k);
		memtree_naive_mth(t, out[n], lo + k, hi);
	} else {
		n = path(t, out, m - k, lo + k, hi);
		memtree_naive_mth(t, out[n], lo, lo + k);
	}
	return n + 1;
}

size_t memtree_naive_path(struct memtree *t, uint8_t (*out)[MLOG_HASH_BYTES],
	uint64_t m, uint64_t n)
{
	return path(t, out, m, 0, n);
}

/* SUBPROOF(m, D[lo:hi], b) */
static size_t subproof(struct memtree *t, uint8_t (*out)[MLOG_HASH_BYTES],
	uint64_t m, uint64_t lo, uint64_t hi, int b)
{
	uint64_t k;
	size_t n;

	if (m == hi - lo) {
		if (b)
			return 0;
		memtree_naive_mth(t, out[0], lo, hi);
		return 1;
	}
	k = split(hi - lo);
	if (m <= k) {
		n = subproof(t, out, m, lo, lo + k, b);
		memtree_naive_mth(t, out[n], lo + k, hi);
	} else {
		n = subproof(t, out, m - k, lo + k, hi, 0);
		memtree_naive_mth(t, out[n], lo, lo + k);
	}
	return n + 1;
}

size_t memtree_naive_proof(struct memtree *t,
	uint8_t (*out)[MLOG_HASH_BYTES], uint64_t m, uint64_t n)
{
	return subproof(t, out, m, 0, n, 1);
}

void memtree_root(struct memtree *t, uint64_t size,
	uint8_t out[MLOG_HASH_BYTES])
{
	cr_assert_eq(mlog_tree_root(t->h, out, size, &t->reader), MLOG_OK);
}

size_t memtree_inclusion(struct memtree *t, uint64_t index, uint64_t size,
	uint8_t (*proof)[MLOG_HASH_BYTES])
{
	size_t n = 0;

	cr_assert_eq(mlog_proof_prove_inclusion(t->h, proof, &n, index, size,
		&t->reader), MLOG_OK);
	return n;
}

size_t memtree_consistency(struct memtree *t, uint64_t old, uint64_t size,
	uint8_t (*proof)[MLOG_HASH_BYTES])
{
	size_t n = 0;

	cr_assert_eq(mlog_proof_prove_consistency(t->h, proof, &n, old, size,
		&t->reader), MLOG_OK);
	return n;
}
