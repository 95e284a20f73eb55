/*
 * edge.c — the log's right edge in memory; see edge.h.
 */
#include "edge.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "tree_internal.h"

#define HB MLOG_HASH_BYTES

struct mlogd_edge {
	struct mlog_hash *h;
	uint64_t size;
	uint64_t batch_start;              /* size at the last reset_rows */
	/* Edge tile of each level; width derived from size (invariant 1). */
	uint8_t tile[MLOG_TILE_MAX_LEVELS][MLOG_TILE_WIDTH][HB];
	/* Mid hashes of the edge tiles handed out by the last take_rows. */
	uint8_t mid[MLOG_TILE_MAX_LEVELS][MLOG_TILE_MID_MAX][HB];
	/* Rows of the current batch and the full tiles they own. */
	struct mlogd_blob_row *rows;
	size_t nrows, rows_cap;
	uint8_t **owned;
	size_t nowned, owned_cap;
};

static unsigned edge_width(uint64_t size, int level)
{
	return (unsigned)((size >> (8 * level)) & 255);
}

static uint64_t edge_index(uint64_t size, int level)
{
	return level + 1 >= 8 ? 0 : size >> (8 * (level + 1));
}

#ifndef NDEBUG
static void check_invariants(const struct mlogd_edge *e)
{
	assert(e->batch_start <= e->size);
	assert(e->nrows <= e->rows_cap);
}
#else
#define check_invariants(e) ((void)0)
#endif

/* MTH of 2^k consecutive tile entries, hashed pairwise in place. */
static void hash_run(struct mlog_hash *h, uint8_t out[HB],
	const uint8_t (*entries)[HB], unsigned count)
{
	uint8_t buf[MLOG_TILE_WIDTH][HB];

	memcpy(buf, entries, (size_t)count * HB);
	for (; count > 1; count /= 2) {
		for (unsigned i = 0; i < count / 2; i++)
			mlog_hash_node(h, buf[i], buf[2 * i], buf[2 * i + 1]);
	}
	memcpy(out, buf[0], HB);
}

static int push_row(struct mlogd_edge *e, int level, uint64_t n,
	const uint8_t *data, size_t len, const uint8_t (*mid)[HB],
	unsigned nmid)
{
	if (e->nrows == e->rows_cap) {
		size_t cap = e->rows_cap ? 2 * e->rows_cap : 64;
		struct mlogd_blob_row *grown = realloc(e->rows,
			cap * sizeof(*grown));

		if (grown == NULL)
			return MLOG_ERR_NOMEM;
		e->rows = grown;
		e->rows_cap = cap;
	}
	e->rows[e->nrows++] = (struct mlogd_blob_row){ level, n, data, len,
		mid, nmid };
	return MLOG_OK;
}

/* Takes ownership of buf until the next reset_rows. */
static int own(struct mlogd_edge *e, uint8_t *buf)
{
	if (e->nowned == e->owned_cap) {
		size_t cap = e->owned_cap ? 2 * e->owned_cap : 16;
		uint8_t **grown = realloc(e->owned, cap * sizeof(*grown));

		if (grown == NULL)
			return MLOG_ERR_NOMEM;
		e->owned = grown;
		e->owned_cap = cap;
	}
	e->owned[e->nowned++] = buf;
	return MLOG_OK;
}

void mlogd_edge_free(struct mlogd_edge *e)
{
	if (e == NULL)
		return;
	mlogd_edge_reset_rows(e);
	free(e->rows);
	free(e->owned);
	mlog_hash_free(e->h);
	free(e);
}

uint64_t mlogd_edge_size(const struct mlogd_edge *e)
{
	return e->size;
}

static int load_level(struct mlogd_edge *e, struct mlogd_store *s, int level,
	struct mlog_error *err)
{
	unsigned w = edge_width(e->size, level);
	uint64_t n = edge_index(e->size, level);
	size_t len = 0;
	int rc;

	if (w == 0)
		return MLOG_OK;
	rc = mlogd_store_read_tile(s, level, n, (uint8_t *)e->tile[level],
		sizeof(e->tile[level]), &len, NULL, NULL);
	if (rc != MLOG_OK)
		return mlog_error_set(err, rc == MLOG_ERR_NOTFOUND
			? MLOG_ERR_VERIFY : rc,
			"edge tile %d/%" PRIu64 " is missing or unreadable",
			level, n);
	if (len != (size_t)w * HB)
		return mlog_error_set(err, MLOG_ERR_VERIFY,
			"edge tile %d/%" PRIu64 " has %zu hashes, size %" PRIu64
			" needs %u", level, n, len / HB, e->size, w);
	return MLOG_OK;
}

/* The last full tile of `level` must hash to its entry one level up, when
 * that entry is in the edge: catches a torn or mismatched tile set. */
static int check_parent(struct mlogd_edge *e, struct mlogd_store *s,
	int level, struct mlog_error *err)
{
	uint8_t full[MLOG_TILE_WIDTH][HB], got[HB];
	unsigned up = edge_width(e->size, level + 1);
	uint64_t n = (e->size >> (8 * (level + 1))) - 1;
	size_t len = 0;

	if (level + 1 >= MLOG_TILE_MAX_LEVELS || up == 0)
		return MLOG_OK;
	if (mlogd_store_read_tile(s, level, n, (uint8_t *)full, sizeof(full),
		&len, NULL, NULL) != MLOG_OK || len != sizeof(full))
		return mlog_error_set(err, MLOG_ERR_VERIFY,
			"full tile %d/%" PRIu64 " is missing or partial", level,
			n);
	hash_run(e->h, got, (const uint8_t (*)[HB])full, MLOG_TILE_WIDTH);
	if (memcmp(got, e->tile[level + 1][up - 1], HB) != 0)
		return mlog_error_set(err, MLOG_ERR_VERIFY,
			"full tile %d/%" PRIu64 " does not hash to its parent",
			level, n);
	return MLOG_OK;
}

int mlogd_edge_load(struct mlogd_edge **out, struct mlogd_store *s,
	uint64_t size, struct mlog_error *err)
{
	struct mlogd_edge *e = calloc(1, sizeof(*e));
	int rc = MLOG_ERR_NOMEM;

	if (e == NULL)
		return mlog_error_set(err, rc, "out of memory");
	e->h = mlog_hash_new();
	if (e->h == NULL) {
		mlog_error_set(err, rc, "out of memory");
		goto fail;
	}
	e->size = e->batch_start = size;
	for (int level = 0; level < mlog_tile_levels(size); level++) {
		rc = load_level(e, s, level, err);
		if (rc != MLOG_OK)
			goto fail;
	}
	for (int level = 0; level + 1 < mlog_tile_levels(size); level++) {
		rc = check_parent(e, s, level, err);
		if (rc != MLOG_OK)
			goto fail;
	}
	/* The stored entries of the partial bundle must be the leaves of
	 * the edge tile (invariant 2 of store.h). */
	if (edge_width(size, 0) > 0) {
		uint8_t *data = NULL;
		size_t len = 0;

		rc = mlogd_store_read_bundle(s, edge_index(size, 0), &data,
			&len);
		if (rc == MLOG_OK)
			rc = mlog_bundle_verify(e->h, data, len,
				(const uint8_t *)e->tile[0],
				(size_t)edge_width(size, 0) * HB, err);
		free(data);
		if (rc != MLOG_OK) {
			mlog_error_wrap(err, MLOG_ERR_VERIFY,
				"entries of bundle %" PRIu64
				" do not match their tile",
				edge_index(size, 0));
			rc = MLOG_ERR_VERIFY;
			goto fail;
		}
	}
	check_invariants(e);
	*out = e;
	return MLOG_OK;
fail:
	mlogd_edge_free(e);
	return rc;
}

void mlogd_edge_root(struct mlogd_edge *e, uint8_t root[HB])
{
	uint8_t parts[MLOG_TILE_MAX_LEVELS * 8][HB];
	size_t nparts = 0;

	if (e->size == 0) {
		mlog_hash_empty(root);
		return;
	}
	/* Complete subtrees, left to right: each level's edge width in
	 * binary, highest level and largest power first. */
	for (int level = mlog_tile_levels(e->size) - 1; level >= 0; level--) {
		unsigned w = edge_width(e->size, level), off = 0;

		for (int r = 7; r >= 0; r--) {
			unsigned run = 1u << r;

			if (!(w & run))
				continue;
			hash_run(e->h, parts[nparts++],
				(const uint8_t (*)[HB])e->tile[level] + off,
				run);
			off += run;
		}
	}
	mlog_tree_combine_right(e->h, root, (const uint8_t (*)[HB])parts,
		nparts);
}

/* The tile of `level` just became full: hand it out as a row (with its
 * mid hashes) and push its root into the level above. */
static int complete_tile(struct mlogd_edge *e, int level)
{
	uint64_t n = (e->size >> (8 * (level + 1))) - 1;
	uint8_t *copy = malloc(MLOG_TILE_MAX_BYTES +
		MLOG_TILE_MID_MAX * HB);
	uint8_t (*mid)[HB];
	int rc;

	if (copy == NULL)
		return MLOG_ERR_NOMEM;
	memcpy(copy, e->tile[level], MLOG_TILE_MAX_BYTES);
	mid = (uint8_t (*)[HB])(copy + MLOG_TILE_MAX_BYTES);
	mlog_tile_mid_hashes(e->h, mid, copy, MLOG_TILE_WIDTH);
	rc = own(e, copy);
	if (rc != MLOG_OK) {
		free(copy);
		return rc;
	}
	rc = push_row(e, level, n, copy, MLOG_TILE_MAX_BYTES,
		(const uint8_t (*)[HB])mid, MLOG_TILE_MID_MAX);
	if (rc != MLOG_OK)
		return rc;
	if (level + 1 < MLOG_TILE_MAX_LEVELS) {
		unsigned slot = (unsigned)(n & 255);

		hash_run(e->h, e->tile[level + 1][slot],
			(const uint8_t (*)[HB])e->tile[level], MLOG_TILE_WIDTH);
	}
	return MLOG_OK;
}

int mlogd_edge_append(struct mlogd_edge *e, const uint8_t leaf[HB])
{
	uint64_t carry;
	int rc;

	if (e->size >= MLOG_TREE_MAX_SIZE)
		return MLOG_ERR_RANGE;
	memcpy(e->tile[0][edge_width(e->size, 0)], leaf, HB);
	e->size++;
	/* Carry: a size that is a multiple of 256^(L+1) fills level L. */
	carry = e->size;
	for (int level = 0; (carry & 255) == 0 && level < MLOG_TILE_MAX_LEVELS;
	     level++, carry >>= 8) {
		rc = complete_tile(e, level);
		if (rc != MLOG_OK)
			return rc;
	}
	check_invariants(e);
	return MLOG_OK;
}

int mlogd_edge_take_rows(struct mlogd_edge *e,
	const struct mlogd_blob_row **rows, size_t *nrows)
{
	/* Partial rows go last and point at the live edge; they are added
	 * past the full ones and forgotten again (nrows restored), so that a
	 * second take in the same batch does not repeat them. */
	size_t keep = e->nrows;
	int rc = MLOG_OK;

	for (int level = 0; level < mlog_tile_levels(e->size); level++) {
		unsigned w = edge_width(e->size, level);

		if (w == 0 || (e->size >> (8 * level)) ==
		    (e->batch_start >> (8 * level)))
			continue;
		rc = push_row(e, level, edge_index(e->size, level),
			(const uint8_t *)e->tile[level], (size_t)w * HB,
			(const uint8_t (*)[HB])e->mid[level],
			mlog_tile_mid_hashes(e->h, e->mid[level],
				(const uint8_t *)e->tile[level], w));
		if (rc != MLOG_OK)
			goto out;
	}
	if (rc == MLOG_OK) {
		*rows = e->rows;
		*nrows = e->nrows;
	}
out:
	e->nrows = keep;
	return rc;
}

void mlogd_edge_reset_rows(struct mlogd_edge *e)
{
	for (size_t i = 0; i < e->nowned; i++)
		free(e->owned[i]);
	e->nowned = 0;
	e->nrows = 0;
	e->batch_start = e->size;
}
