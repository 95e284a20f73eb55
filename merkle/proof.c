/*
 * proof.c — RFC 9162 inclusion and consistency proofs; see proof.h.
 *
 * Generation is Go tlog's two-pass scheme (leafProofIndex/leafProof,
 * treeProofIndex/treeProof): the *_index functions list the stored hashes a
 * proof needs, one reader call fetches them, and the hash functions consume
 * them in the same order. Both passes walk the same recursion, so they
 * cannot disagree about order; "bad math" between them is asserted.
 *
 * Verification is the RFC's iterative algorithm, numbered as in the RFC.
 */
#include "proof.h"
#include "tree_internal.h"

#include <assert.h>
#include <string.h>

static int bit_len(uint64_t x)
{
	return x == 0 ? 0 : 64 - __builtin_clzll(x);
}

int mlog_proof_inclusion_len(uint64_t index, uint64_t size)
{
	int inner;

	if (index >= size || size > MLOG_TREE_MAX_SIZE)
		return -1;
	/* transparency-dev decompInclProof: the path splits into the inner
	 * part below the point where index and the last leaf diverge, and
	 * the border part of left-side complete subtrees above it. */
	inner = bit_len(index ^ (size - 1));
	return inner + __builtin_popcountll(index >> inner);
}

int mlog_proof_consistency_len(uint64_t old, uint64_t size)
{
	int fork, shift, inner, border;

	if (old == 0 || old > size || size > MLOG_TREE_MAX_SIZE)
		return -1;
	if (old == size)
		return 0;
	fork = bit_len((old - 1) ^ (size - 1));
	border = __builtin_popcountll((old - 1) >> fork);
	shift = __builtin_ctzll(old);
	inner = fork - shift;
	if ((old & (old - 1)) == 0)
		return inner + border;
	return 1 + inner + border;
}

/* ---- generation: pass 1, indexes ---------------------------------- */

struct index_list {
	uint64_t idx[MLOG_TREE_MAX_READ];
	size_t len;
};

static void add_range(struct index_list *l, uint64_t lo, uint64_t hi)
{
	int rc = mlog_tree_range_indexes(l->idx, MLOG_TREE_MAX_READ, &l->len,
		lo, hi);

	assert(rc == MLOG_OK && "bad math in proof range");
	(void)rc;
}

/* PATH(n - lo, D[lo:hi]) */
static void inclusion_indexes(struct index_list *l, uint64_t lo, uint64_t hi,
	uint64_t n)
{
	uint64_t k;

	assert(lo <= n && n < hi);
	if (lo + 1 == hi)
		return;
	k = mlog_tree_split_point(hi - lo);
	if (n < lo + k) {
		inclusion_indexes(l, lo, lo + k, n);
		add_range(l, lo + k, hi);
	} else {
		add_range(l, lo, lo + k);
		inclusion_indexes(l, lo + k, hi, n);
	}
}

/* SUBPROOF(n - lo, D[lo:hi], lo == 0) */
static void consistency_indexes(struct index_list *l, uint64_t lo,
	uint64_t hi, uint64_t n)
{
	uint64_t k;

	assert(lo < n && n <= hi);
	if (n == hi) {
		if (lo != 0)
			add_range(l, lo, hi);
		return;
	}
	k = mlog_tree_split_point(hi - lo);
	if (n <= lo + k) {
		consistency_indexes(l, lo, lo + k, n);
		add_range(l, lo + k, hi);
	} else {
		add_range(l, lo, lo + k);
		consistency_indexes(l, lo + k, hi, n);
	}
}

/* ---- generation: pass 2, hashes ------------------------------------ */

struct hash_cursor {
	struct mlog_hash *h;
	const uint8_t (*hashes)[MLOG_HASH_BYTES];
	size_t next;                          /* first unconsumed hash */
	uint8_t (*out)[MLOG_HASH_BYTES];
	size_t out_len;
};

/* Consumes the hashes of range [lo, hi) and appends their combination. */
static void emit_range(struct hash_cursor *c, uint64_t lo, uint64_t hi)
{
	size_t count = mlog_tree_range_count(lo, hi);

	assert(c->out_len < MLOG_PROOF_MAX);
	mlog_tree_combine_right(c->h, c->out[c->out_len], c->hashes + c->next,
		count);
	c->next += count;
	c->out_len++;
}

static void inclusion_hashes(struct hash_cursor *c, uint64_t lo, uint64_t hi,
	uint64_t n)
{
	uint64_t k;

	if (lo + 1 == hi)
		return;
	k = mlog_tree_split_point(hi - lo);
	if (n < lo + k) {
		inclusion_hashes(c, lo, lo + k, n);
		emit_range(c, lo + k, hi);
	} else {
		/* The left sibling is consumed first (pass-1 order) but is
		 * the upper element of the proof: hold it back. */
		uint8_t left[MLOG_HASH_BYTES];

		memcpy(left, c->hashes[c->next++], MLOG_HASH_BYTES);
		inclusion_hashes(c, lo + k, hi, n);
		assert(c->out_len < MLOG_PROOF_MAX);
		memcpy(c->out[c->out_len++], left, MLOG_HASH_BYTES);
	}
}

static void consistency_hashes(struct hash_cursor *c, uint64_t lo,
	uint64_t hi, uint64_t n)
{
	uint64_t k;

	if (n == hi) {
		if (lo != 0)
			emit_range(c, lo, hi);
		return;
	}
	k = mlog_tree_split_point(hi - lo);
	if (n <= lo + k) {
		consistency_hashes(c, lo, lo + k, n);
		emit_range(c, lo + k, hi);
	} else {
		uint8_t left[MLOG_HASH_BYTES];

		memcpy(left, c->hashes[c->next++], MLOG_HASH_BYTES);
		consistency_hashes(c, lo + k, hi, n);
		assert(c->out_len < MLOG_PROOF_MAX);
		memcpy(c->out[c->out_len++], left, MLOG_HASH_BYTES);
	}
}

static int read_all(const struct mlog_hash_reader *r,
	const struct index_list *l, uint8_t (*hashes)[MLOG_HASH_BYTES])
{
	if (l->len == 0)
		return MLOG_OK;
	return r->read(r->ctx, l->idx, l->len, hashes);
}

int mlog_proof_prove_inclusion(struct mlog_hash *h,
	uint8_t (*out)[MLOG_HASH_BYTES], size_t *out_len, uint64_t index,
	uint64_t size, const struct mlog_hash_reader *r)
{
	struct index_list l = { .len = 0 };
	uint8_t hashes[MLOG_TREE_MAX_READ][MLOG_HASH_BYTES];
	struct hash_cursor c;
	int rc;

	if (index >= size || size > MLOG_TREE_MAX_SIZE)
		return MLOG_ERR_RANGE;
	inclusion_indexes(&l, 0, size, index);
	rc = read_all(r, &l, hashes);
	if (rc != 0)
		return rc;
	c = (struct hash_cursor){ h, (const uint8_t (*)[MLOG_HASH_BYTES])
		hashes, 0, out, 0 };
	inclusion_hashes(&c, 0, size, index);
	assert(c.next == l.len);
	assert((int)c.out_len == mlog_proof_inclusion_len(index, size));
	*out_len = c.out_len;
	return MLOG_OK;
}

int mlog_proof_prove_consistency(struct mlog_hash *h,
	uint8_t (*out)[MLOG_HASH_BYTES], size_t *out_len, uint64_t old,
	uint64_t size, const struct mlog_hash_reader *r)
{
	struct index_list l = { .len = 0 };
	uint8_t hashes[MLOG_TREE_MAX_READ][MLOG_HASH_BYTES];
	struct hash_cursor c;
	int rc;

	if (old == 0 || old > size || size > MLOG_TREE_MAX_SIZE)
		return MLOG_ERR_RANGE;
	consistency_indexes(&l, 0, size, old);
	rc = read_all(r, &l, hashes);
	if (rc != 0)
		return rc;
	c = (struct hash_cursor){ h, (const uint8_t (*)[MLOG_HASH_BYTES])
		hashes, 0, out, 0 };
	consistency_hashes(&c, 0, size, old);
	assert(c.next == l.len);
	assert((int)c.out_len == mlog_proof_consistency_len(old, size));
	*out_len = c.out_len;
	return MLOG_OK;
}

/* ---- verification --------------------------------------------------- */

int mlog_proof_root_from_inclusion(struct mlog_hash *h,
	uint8_t root[MLOG_HASH_BYTES], uint64_t index, uint64_t size,
	const uint8_t leaf[MLOG_HASH_BYTES],
	const uint8_t (*proof)[MLOG_HASH_BYTES], size_t proof_len)
{
	uint8_t r[MLOG_HASH_BYTES];
	uint64_t fn, sn;
	int want;

	/* Step 1. */
	if (index >= size || size > MLOG_TREE_MAX_SIZE)
		return MLOG_ERR_RANGE;
	want = mlog_proof_inclusion_len(index, size);
	if (proof_len != (size_t)want)
		return MLOG_ERR_VERIFY;
	/* Steps 2-3. */
	fn = index;
	sn = size - 1;
	memcpy(r, leaf, MLOG_HASH_BYTES);
	/* Step 4. */
	for (size_t i = 0; i < proof_len; i++) {
		if (sn == 0)                                    /* 4a */
			return MLOG_ERR_VERIFY;
		if ((fn & 1) || fn == sn) {                      /* 4b */
			mlog_hash_node(h, r, proof[i], r);
			if (!(fn & 1)) {
				do {
					fn >>= 1;
					sn >>= 1;
				} while (!(fn & 1) && fn != 0);
			}
		} else {
			mlog_hash_node(h, r, r, proof[i]);
		}
		fn >>= 1;                                        /* 4c */
		sn >>= 1;
	}
	/* Step 5, first half; the length check makes this unreachable for
	 * proofs of the right length, but it is the RFC's condition. */
	if (sn != 0)
		return MLOG_ERR_VERIFY;
	memcpy(root, r, MLOG_HASH_BYTES);
	return MLOG_OK;
}

int mlog_proof_verify_inclusion(struct mlog_hash *h, uint64_t index,
	uint64_t size, const uint8_t leaf[MLOG_HASH_BYTES],
	const uint8_t (*proof)[MLOG_HASH_BYTES], size_t proof_len,
	const uint8_t root[MLOG_HASH_BYTES])
{
	uint8_t got[MLOG_HASH_BYTES];
	int rc;

	rc = mlog_proof_root_from_inclusion(h, got, index, size, leaf, proof,
		proof_len);
	if (rc != MLOG_OK)
		return rc;
	/* Step 5, second half. */
	return memcmp(got, root, MLOG_HASH_BYTES) == 0 ? MLOG_OK
						       : MLOG_ERR_VERIFY;
}

int mlog_proof_verify_consistency(struct mlog_hash *h, uint64_t old,
	uint64_t size, const uint8_t old_root[MLOG_HASH_BYTES],
	const uint8_t new_root[MLOG_HASH_BYTES],
	const uint8_t (*proof)[MLOG_HASH_BYTES], size_t proof_len)
{
	uint8_t fr[MLOG_HASH_BYTES], sr[MLOG_HASH_BYTES];
	uint64_t fn, sn;
	size_t first;
	int want;

	if (old == 0 || old > size || size > MLOG_TREE_MAX_SIZE)
		return MLOG_ERR_RANGE;
	/* Step 0 (not in the RFC): equal sizes need an empty proof and
	 * equal roots. */
	if (old == size) {
		if (proof_len != 0 ||
		    memcmp(old_root, new_root, MLOG_HASH_BYTES) != 0)
			return MLOG_ERR_VERIFY;
		return MLOG_OK;
	}
	want = mlog_proof_consistency_len(old, size);
	/* Step 1 is implied: want >= 1 whenever old < size. */
	if (proof_len != (size_t)want)
		return MLOG_ERR_VERIFY;
	/* Step 2: an old tree that is a complete subtree is its own first
	 * proof element; instead of copying the path, start from old_root. */
	fn = old - 1;                                            /* step 3 */
	sn = size - 1;
	while (fn & 1) {                                         /* step 4 */
		fn >>= 1;
		sn >>= 1;
	}
	if ((old & (old - 1)) == 0) {                            /* step 5 */
		memcpy(fr, old_root, MLOG_HASH_BYTES);
		first = 0;
	} else {
		memcpy(fr, proof[0], MLOG_HASH_BYTES);
		first = 1;
	}
	memcpy(sr, fr, MLOG_HASH_BYTES);
	for (size_t i = first; i < proof_len; i++) {             /* step 6 */
		if (sn == 0)                                     /* 6a */
			return MLOG_ERR_VERIFY;
		if ((fn & 1) || fn == sn) {                       /* 6b */
			mlog_hash_node(h, fr, proof[i], fr);
			mlog_hash_node(h, sr, proof[i], sr);
			if (!(fn & 1)) {
				do {
					fn >>= 1;
					sn >>= 1;
				} while (!(fn & 1) && fn != 0);
			}
		} else {
			mlog_hash_node(h, sr, sr, proof[i]);
		}
		fn >>= 1;                                         /* 6c */
		sn >>= 1;
	}
	/* Step 7. */
	if (sn != 0 || memcmp(fr, old_root, MLOG_HASH_BYTES) != 0 ||
	    memcmp(sr, new_root, MLOG_HASH_BYTES) != 0)
		return MLOG_ERR_VERIFY;
	return MLOG_OK;
}
