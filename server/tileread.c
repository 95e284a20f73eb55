/*
 * tileread.c — a hash reader over stored tiles; see tileread.h.
 */
#include "tileread.h"

#include <string.h>

/* Fetches tile (level, n) wide enough for `need` entries into its slot
 * (kept if already there) and returns the slot. */
static int load(struct mlogd_tileread *t, int level, uint64_t n,
	unsigned need, struct mlogd_tileread_slot **out)
{
	struct mlogd_tileread_slot *c = &t->slot[level == 0 ? 0 :
		1 + (n + (uint64_t)level * 40503) % (MLOGD_TILEREAD_SLOTS - 1)];
	size_t len = 0;
	int rc;

	*out = c;
	if (c->valid && c->level == level && c->n == n &&
	    c->len >= (size_t)need * MLOG_HASH_BYTES)
		return MLOG_OK;
	c->valid = 0;
	rc = mlogd_store_read_tile(t->store, level, n, c->data,
		sizeof(c->data), &len, c->mid, &c->nmid);
	if (rc != MLOG_OK)
		return rc;
	if (len < (size_t)need * MLOG_HASH_BYTES)
		return MLOG_ERR_NOTFOUND;
	c->valid = 1;
	c->level = level;
	c->n = n;
	c->len = len;
	return MLOG_OK;
}

static int read_hashes(void *ctx, const uint64_t *idx, size_t n,
	uint8_t (*out)[MLOG_HASH_BYTES])
{
	struct mlogd_tileread *t = ctx;

	for (size_t i = 0; i < n; i++) {
		struct mlogd_tileread_slot *c;
		struct mlog_tile tile;
		unsigned first, count;
		int level;
		uint64_t node;
		int rc;

		rc = mlog_tile_for_index(&tile, &first, &count, idx[i]);
		if (rc != MLOG_OK)
			return rc;
		rc = load(t, tile.level, tile.n, first + count, &c);
		if (rc != MLOG_OK)
			return rc;
		mlog_tree_split_index(idx[i], &level, &node);
		tile.width = (unsigned)(c->len / MLOG_HASH_BYTES);
		rc = mlog_tile_node_hash_mid(t->h, out[i], &tile, c->data,
			c->len, (const uint8_t (*)[MLOG_HASH_BYTES])c->mid,
			c->nmid, level, node);
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
	for (int i = 0; i < MLOGD_TILEREAD_SLOTS; i++)
		t->slot[i].valid = 0;
}

int mlogd_tileread_leaf(struct mlogd_tileread *t, uint64_t index,
	uint8_t out[MLOG_HASH_BYTES])
{
	unsigned entry = (unsigned)(index & 255);
	struct mlogd_tileread_slot *c;
	int rc = load(t, 0, index >> 8, entry + 1, &c);

	if (rc != MLOG_OK)
		return rc;
	memcpy(out, c->data + (size_t)entry * MLOG_HASH_BYTES,
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
