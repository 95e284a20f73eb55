/*
 * walk.h — reads a range of a log's entries in bulk (C2SP tlog-tiles
 * entry bundles), each authenticated against a checkpoint: the monitor's
 * way through every new entry, one bundle and one level-0 tile per 256
 * entries instead of a proof per entry.
 *
 * For each bundle that holds part of [start, end) of the tree of size
 * `size` with root `root`:
 *  (1) the level-0 leaf hashes come through merkle/tile.h's hash reader,
 *      which authenticates every tile it serves against the root;
 *  (2) the bundle is read as it stands at `size` (tile/entries/N, or
 *      .p/W for the last, partial one) and must decode (bundle.h) to
 *      exactly W entries;
 *  (3) each entry's RFC 9162 leaf hash must equal the authenticated one
 *      (else MLOG_ERR_VERIFY) before the callback sees it.
 * Entries reach the callback in index order; the callback may stop the
 * walk by returning non-zero, which the walk returns.
 *
 * Thread-safety: one walk per thread; sources are the caller's.
 * Ownership: entry bytes passed to the callback belong to the walk and
 * are valid during the call only. A source's read_bundle returns a
 * malloc'd buffer the walk frees.
 */
#ifndef MLOG_CLI_WALK_H
#define MLOG_CLI_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hash.h"
#include "tile.h"

struct cli_walk_source {
	struct mlog_tile_source tiles;      /* hash tiles */
	/* Reads entry bundle t (t->entries == 1) into a malloc'd *buf.
	 * Returns 0 or a negative mlog_err; message into err. */
	int (*read_bundle)(void *ctx, const struct mlog_tile *t,
		uint8_t **buf, size_t *len, struct mlog_error *err);
	void *ctx;
};

/* Called per entry; a non-zero return stops the walk with that value. */
typedef int (*cli_walk_fn)(void *ctx, uint64_t index, const uint8_t *entry,
	size_t len);

/*
 * Walks [start, end) of the tree (size, root) (rules 1-3). Requires
 * start <= end <= size. Returns 0; the callback's non-zero value;
 * MLOG_ERR_VERIFY (tiles or an entry do not authenticate); the source's
 * error; MLOG_ERR_RANGE; MLOG_ERR_NOMEM. err says which bundle.
 */
int cli_walk_entries(const struct cli_walk_source *src, uint64_t size,
	const uint8_t root[MLOG_HASH_BYTES], uint64_t start, uint64_t end,
	cli_walk_fn fn, void *ctx, struct mlog_error *err) MLOG_MUST_CHECK;

#endif
