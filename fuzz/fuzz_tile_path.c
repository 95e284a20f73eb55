/*
 * fuzz_tile_path.c — tile path parser (merkle/tile.c).
 *
 * Properties: a path that parses formats back to exactly the input bytes
 * (tile.h invariant 1) and re-parses to the same tile; a rejected path is
 * MLOG_ERR_MALFORMED with a one-line message. For a parsed hash tile that
 * fits in a tree, the smallest tree holding it has it at exactly its width
 * and the tree one leaf-block smaller does not (invariant 3).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tile.h"

static void check_inventory(const struct mlog_tile *t)
{
	struct mlog_tile at;
	uint64_t need, size;
	int shift = 8 * t->level;

	if (t->entries || t->level >= MLOG_TILE_MAX_LEVELS)
		return;
	/* Smallest size with N*256 + W nodes at level 8L. */
	if (t->n > (MLOG_TREE_MAX_SIZE >> shift) / 256)
		return;
	need = t->n * 256 + t->width;
	if (need > MLOG_TREE_MAX_SIZE >> shift)
		return;
	size = need << shift;
	if (!mlog_tile_exists(t, size) || mlog_tile_exists(t, size - 1))
		abort();
	if (mlog_tile_at(&at, t->level, t->n, size) != MLOG_OK ||
	    at.width != t->width || at.n != t->n)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlog_error err = { 0 };
	struct mlog_tile t, again;
	char buf[MLOG_TILE_PATH_MAX];
	int len;

	if (mlog_tile_parse(&t, (const char *)data, size, &err) != MLOG_OK) {
		if (err.code != MLOG_ERR_MALFORMED || err.msg[0] == '\0' ||
		    strchr(err.msg, '\n') != NULL)
			abort();
		return 0;
	}
	len = mlog_tile_format(buf, sizeof(buf), &t);
	if (len < 0 || (size_t)len != size || memcmp(buf, data, size) != 0)
		abort();
	if (mlog_tile_parse(&again, buf, (size_t)len, NULL) != MLOG_OK ||
	    again.level != t.level || again.n != t.n ||
	    again.width != t.width || again.entries != t.entries)
		abort();
	check_inventory(&t);
	return 0;
}
