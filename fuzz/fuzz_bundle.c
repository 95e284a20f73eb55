/*
 * fuzz_bundle.c — entry bundle decoder (merkle/bundle.c).
 *
 * Properties: a bundle that decodes re-encodes, entry by entry with
 * mlog_bundle_append, to exactly the input; it verifies against the tile of
 * its own leaf hashes, and no longer does once one tile byte is flipped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "tile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlog_bundle_entry e[MLOG_BUNDLE_MAX_ENTRIES];
	uint8_t tile[MLOG_TILE_MAX_BYTES];
	struct mlog_hash *h;
	uint8_t *buf;
	size_t n = 0, len = 0;

	if (mlog_bundle_decode(e, &n, data, size, NULL) != MLOG_OK)
		return 0;
	if (n == 0 || n > MLOG_BUNDLE_MAX_ENTRIES)
		abort();
	buf = malloc(size);
	if (buf == NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		if (mlog_bundle_append(buf, size, &len, e[i].data,
		    e[i].len) != MLOG_OK)
			abort();
	}
	if (len != size || memcmp(buf, data, size) != 0)
		abort();
	free(buf);

	h = mlog_hash_new();
	if (h == NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		mlog_hash_leaf(h, tile + i * MLOG_HASH_BYTES, e[i].data,
			e[i].len);
	if (mlog_bundle_verify(h, data, size, tile, n * MLOG_HASH_BYTES,
	    NULL) != MLOG_OK)
		abort();
	tile[(size % n) * MLOG_HASH_BYTES + size % MLOG_HASH_BYTES] ^= 0x40;
	if (mlog_bundle_verify(h, data, size, tile, n * MLOG_HASH_BYTES,
	    NULL) != MLOG_ERR_VERIFY)
		abort();
	mlog_hash_free(h);
	return 0;
}
