/*
 * bundle.c — C2SP tlog-tiles entry bundles; see bundle.h.
 */
#include "bundle.h"

#include <string.h>

#include "codec.h"

int mlog_bundle_append(uint8_t *out, size_t out_cap, size_t *out_len,
	const void *entry, size_t entry_len)
{
	size_t at = *out_len;

	if (entry_len > MLOG_BUNDLE_ENTRY_MAX)
		return MLOG_ERR_TOOBIG;
	if (at > out_cap || out_cap - at < 2 + entry_len)
		return MLOG_ERR_TOOBIG;
	mlog_codec_be16_put(out + at, (uint16_t)entry_len);
	if (entry_len > 0)
		memcpy(out + at + 2, entry, entry_len);
	*out_len = at + 2 + entry_len;
	return MLOG_OK;
}

/* Walks the records of bundle[0..len) and counts them, writing them to out
 * when it is not NULL. Rules (2) and (3) of bundle.h. */
static int walk(struct mlog_bundle_entry *out, size_t *count,
	const uint8_t *bundle, size_t len, struct mlog_error *err)
{
	size_t off = 0, n = 0;

	while (off < len) {
		size_t entry_len;

		if (n == MLOG_BUNDLE_MAX_ENTRIES)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"bundle: more than %d entries",
				MLOG_BUNDLE_MAX_ENTRIES);
		if (len - off < 2)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"bundle: entry %zu: length prefix cut short",
				n);
		entry_len = mlog_codec_be16_get(bundle + off);
		off += 2;
		if (len - off < entry_len)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"bundle: entry %zu: %zu bytes, only %zu left",
				n, entry_len, len - off);
		if (out != NULL) {
			out[n].data = bundle + off;
			out[n].len = entry_len;
		}
		off += entry_len;
		n++;
	}
	if (n == 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"bundle: no entries");
	*count = n;
	return MLOG_OK;
}

int mlog_bundle_decode(struct mlog_bundle_entry *out, size_t *count,
	const uint8_t *bundle, size_t len, struct mlog_error *err)
{
	size_t n;
	int rc;

	if (len > MLOG_BUNDLE_MAX_BYTES)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"bundle: %zu bytes, more than %d", len,
			MLOG_BUNDLE_MAX_BYTES);
	/* Validate everything first, so out is untouched on failure. */
	rc = walk(NULL, &n, bundle, len, err);
	if (rc != MLOG_OK)
		return rc;
	rc = walk(out, &n, bundle, len, err);
	if (rc != MLOG_OK)
		return rc;
	*count = n;
	return MLOG_OK;
}

int mlog_bundle_verify(struct mlog_hash *h, const uint8_t *bundle,
	size_t bundle_len, const uint8_t *tile, size_t tile_len,
	struct mlog_error *err)
{
	struct mlog_bundle_entry e[MLOG_BUNDLE_MAX_ENTRIES];
	size_t n;
	int rc;

	if (tile_len == 0 || tile_len % MLOG_HASH_BYTES != 0 ||
	    tile_len > MLOG_BUNDLE_MAX_ENTRIES * MLOG_HASH_BYTES)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"bundle: tile of %zu bytes is not 1..256 hashes",
			tile_len);
	rc = mlog_bundle_decode(e, &n, bundle, bundle_len, err);
	if (rc != MLOG_OK)
		return rc;
	if (n != tile_len / MLOG_HASH_BYTES)
		return mlog_error_set(err, MLOG_ERR_VERIFY,
			"bundle: %zu entries, tile has %zu hashes", n,
			tile_len / MLOG_HASH_BYTES);
	for (size_t i = 0; i < n; i++) {
		uint8_t leaf[MLOG_HASH_BYTES];

		mlog_hash_leaf(h, leaf, e[i].data, e[i].len);
		if (memcmp(leaf, tile + i * MLOG_HASH_BYTES,
		    MLOG_HASH_BYTES) != 0)
			return mlog_error_set(err, MLOG_ERR_VERIFY,
				"bundle: entry %zu does not match tile slot "
				"%zu", i, i);
	}
	return MLOG_OK;
}
