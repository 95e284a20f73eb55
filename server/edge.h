/*
 * edge.h — the right edge of the log, in memory: for each tile level the
 * one tile that is not yet full, and the matching partial entry bundle.
 *
 * Everything left of the edge is full tiles that never change (C2SP
 * tlog-tiles), so appending leaves only ever touches the edge: the
 * sequencer appends a batch here, collects the tiles that the batch filled
 * or grew (mlogd_edge_take_rows), and computes the new root
 * from the edge alone, since the complete subtrees of any tree size are
 * exactly the binary decomposition of each level's edge-tile width.
 *
 *   level 1 edge:  [ h(t0) h(t1) ... h(t(k-1)) ]          width k
 *   level 0 edge:  [ leaf(256k) ... leaf(256k+w-1) ]      width w
 *
 * Invariants:
 *  (1) For every level L, width[L] == (size >> 8L) & 255, and the edge
 *      tile of level L is tile (L, size >> 8(L+1)).
 *  (2) Memory is bounded: MLOG_TILE_MAX_LEVELS * 8 KiB of edge tiles plus
 *      the full tiles of the current batch, whatever the log size.
 *
 * Thread-safety: owned by the sequencer thread.
 * Ownership: mlogd_edge_new/mlogd_edge_free. Rows handed out by
 * mlogd_edge_take_rows point into buffers owned by the edge, valid until
 * the next append or mlogd_edge_reset_rows.
 */
#ifndef MLOGD_EDGE_H
#define MLOGD_EDGE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hash.h"
#include "store.h"
#include "tile.h"

struct mlogd_edge;

/*
 * Loads the edge of the log stored in s at tree size `size` (the latest
 * checkpoint's), checking that the stored edge tiles have the widths
 * invariant (1) demands, that the stored entries of the partial bundle hash
 * to the level-0 edge tile, and that each level's last full tile hashes to
 * its entry one level up. Returns 0, MLOG_ERR_DB, MLOG_ERR_VERIFY
 * (stored tiles inconsistent), MLOG_ERR_NOMEM.
 */
int mlogd_edge_load(struct mlogd_edge **out /* OUT */, struct mlogd_store *s,
	uint64_t size, struct mlog_error *err) MLOG_MUST_CHECK;

void mlogd_edge_free(struct mlogd_edge *e);

/* Current tree size. */
uint64_t mlogd_edge_size(const struct mlogd_edge *e);

/* Root hash of the tree at the current size (up to ~2,000 SHA-256). */
void mlogd_edge_root(struct mlogd_edge *e, uint8_t root[MLOG_HASH_BYTES]);

/*
 * Appends one leaf hash. Full tiles completed by this append are kept for
 * mlogd_edge_take_rows. Returns 0, MLOG_ERR_RANGE (tree full),
 * MLOG_ERR_NOMEM (the edge is then unusable: reload it).
 */
int mlogd_edge_append(struct mlogd_edge *e,
	const uint8_t leaf[MLOG_HASH_BYTES]) MLOG_MUST_CHECK;

/*
 * The tiles to write for everything appended since the last
 * mlogd_edge_reset_rows: every tile that became full, plus the current
 * partial edge tile of each level that changed, each with its mid hashes
 * (merkle/tile.h). *rows points into the
 * edge (see Ownership). Returns 0 or MLOG_ERR_NOMEM (nothing handed out).
 */
int mlogd_edge_take_rows(struct mlogd_edge *e,
	const struct mlogd_blob_row **rows /* OUT */, size_t *nrows /* OUT */)
	MLOG_MUST_CHECK;

/* Forgets the rows handed out (after a commit). */
void mlogd_edge_reset_rows(struct mlogd_edge *e);

#endif
