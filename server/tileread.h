/*
 * tileread.h — the log's hashes read back out of its stored tiles, for
 * proofs and lookups on the read path.
 *
 * A struct mlogd_tileread is a struct mlog_hash_reader (merkle/tree.h)
 * over one store connection: stored-hash index -> the narrowest tile that
 * holds the node (merkle/tile.h) -> the stored tile (any stored width is a
 * prefix-extension of the one needed) and its stored mid hashes -> the
 * node, hashing at most 7 pairs inside the tile (127 for a tile stored
 * without mid hashes). It keeps the last level-0 tile read and up to
 * MLOGD_TILEREAD_SLOTS - 1 tiles of the upper levels (direct-mapped by
 * level and index), so a proof costs one SQLite read for its level-0 tile
 * and, up to about 16 M entries (256 level-1 tiles), none above; memory is
 * bounded (about 2.2 MiB per reader) whatever the log size. The server trusts its own store, so unlike the client-side
 * mlog_tile_hash_reader nothing is re-authenticated here: recovery already
 * checked the stored tiles against the signed root.
 *
 * Invariants: (1) a cached tile is only used for nodes it fully contains
 * (same level and index, at least as wide as needed);
 * (2) cached tiles are never stale in a way that matters: stored tiles
 * only grow by appending (store.h invariant 3).
 *
 * Thread-safety: one thread at a time (like its store connection).
 * Ownership: caller-owned struct; init/clear pair.
 */
#ifndef MLOGD_TILEREAD_H
#define MLOGD_TILEREAD_H

#include <stdint.h>

#include "hash.h"
#include "store.h"
#include "tile.h"
#include "tree.h"

/* Slot 0 holds the last level-0 tile; the others upper-level tiles. */
#define MLOGD_TILEREAD_SLOTS 257

struct mlogd_tileread {
	struct mlogd_store *store;
	struct mlog_hash *h;
	struct mlog_hash_reader reader;   /* hand this to merkle/ */
	struct mlogd_tileread_slot {
		int valid;
		int level;
		uint64_t n;
		size_t len;
		unsigned nmid;
		uint8_t data[MLOG_TILE_MAX_BYTES];
		uint8_t mid[MLOG_TILE_MID_MAX][MLOG_HASH_BYTES];
	} slot[MLOGD_TILEREAD_SLOTS];
};

/* Binds t to store s and hash context h (both borrowed). */
void mlogd_tileread_init(struct mlogd_tileread *t, struct mlogd_store *s,
	struct mlog_hash *h);

/* Forgets cached tiles (call when handing t to another request only if the
 * store may have been rewritten, which it never is; kept for tests). */
void mlogd_tileread_clear(struct mlogd_tileread *t);

/* Reads the leaf hash of entry index from its level-0 tile. Returns 0,
 * MLOG_ERR_NOTFOUND or MLOG_ERR_DB. */
int mlogd_tileread_leaf(struct mlogd_tileread *t, uint64_t index,
	uint8_t out[MLOG_HASH_BYTES]) MLOG_MUST_CHECK;

/*
 * Finds the index of the entry with leaf hash leaf among the first size
 * entries (dedup prefix index, confirmed against the tile). Returns 0 and
 * *index, MLOG_ERR_NOTFOUND, or MLOG_ERR_DB.
 */
int mlogd_tileread_find(struct mlogd_tileread *t,
	const uint8_t leaf[MLOG_HASH_BYTES], uint64_t size,
	uint64_t *index /* OUT */) MLOG_MUST_CHECK;

#endif
