/*
 * tileread.c — a hash reader over stored tiles; see tileread.h.
 */
#include "tileread.h"

#include <string.h>

/* Fetches tile (level, n) wide enough for `need` entries into the cache
 * slot of its level. */
static int load(struct mlogd_tileread *t, int level, uint64_t n,
	unsigned need)
{
	size_t len = 0;
	int rc;

	if (t->cache[level].valid && t->cache[level].n == n &&
	    t->cache[level].len >= (size_t)need * MLOG_HASH_BYTES)
		return MLOG_OK;
	t->cache[level].valid = 0;
	rc = mlogd_store_read_tile(t->store, level, n, t->cache[level].data,
		sizeof(t->cache[level].data), &len, t->cache[level].mid,
		&t->cache[level].nmid);
	if (rc != MLOG_OK)
		return rc;
	if (len < (size_t)need * MLOG_HASH_BYTES)
		return MLOG_ERR_NOTFOUND;
	t->cache[level].valid = 1;
	t->cache[level].n = n;
	t->cache[level].len = len;
	return MLOG_OK;
}

static int read_hashes(void *ctx, const uint64_t *idx, size_t n,
	uint8_t (*out)[MLOG_HASH_BYTES])
{
	struct mlogd_tileread *t = ctx;

	for (size_t i = 0; i < n; i++) {
		struct mlog_tile tile;
		unsigned first, count;
		int level;
		uint64_t node;
		int rc;

		rc = mlog_tile_for_index(&tile, &first, &count, idx[i]);
		if (rc != MLOG_OK)
			return rc;
		rc = load(t, tile.level, tile.n, first + count);
		if (rc != MLOG_OK)
			return rc;
		mlog_tree_split_index(idx[i], &level, &node);
		tile.width = (unsigned)(t->cache[tile.level].len /
			MLOG_HASH_BYTES);
		rc = mlog_tile_node_hash_mid(t->h, out[i], &tile,
			t->cache[tile.level].data, t->cache[tile.level].len,
			(const uint8_t (*)[MLOG_HASH_BYTES])
			t->cache[tile.level].mid, t->cache[tile.level].nmid,
			level, node);
		if (rc != MLOG_OK)
			return rc;
	}
	return MLOG_OK;
}

void mlogd_tileread_init(struct mlogd_tileread *t, struct mlogd_store *s,
	struct mlog_hash *h)
{
	t->store = s;
	t->h = h;
	t->reader.read = read_hashes;
	t->reader.ctx = t;
	mlogd_tileread_clear(t);
}

void mlogd_tileread_clear(struct mlogd_tileread *t)
{
	for (int i = 0; i < MLOG_TILE_MAX_LEVELS; i++)
		t->cache[i].valid = 0;
}

int mlogd_tileread_leaf(struct mlogd_tileread *t, uint64_t index,
	uint8_t out[MLOG_HASH_BYTES])
{
	unsigned slot = (unsigned)(index & 255);
	int rc = load(t, 0, index >> 8, slot + 1);

	if (rc != MLOG_OK)
		return rc;
	memcpy(out, t->cache[0].data + (size_t)slot * MLOG_HASH_BYTES,
		MLOG_HASH_BYTES);
	return MLOG_OK;
}

int mlogd_tileread_find(struct mlogd_tileread *t,
	const uint8_t leaf[MLOG_HASH_BYTES], uint64_t size, uint64_t *index)
{
	uint64_t cand[8];
	int n = mlogd_store_dedup_candidates(t->store, leaf, cand, 8);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		uint8_t have[MLOG_HASH_BYTES];
		int rc;

		if (cand[i] >= size)
			continue;
		rc = mlogd_tileread_leaf(t, cand[i], have);
		if (rc != MLOG_OK)
			return rc;
		if (memcmp(have, leaf, MLOG_HASH_BYTES) == 0) {
			*index = cand[i];
			return MLOG_OK;
		}
	}
	return MLOG_ERR_NOTFOUND;
}
