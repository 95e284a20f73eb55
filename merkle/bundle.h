/*
 * bundle.h — C2SP tlog-tiles entry bundles (C2SP-NOTES §5 "Entry
 * bundles"): the bytes served at tile/entries/<N>[.p/<W>].
 *
 * A bundle is the concatenation, in index order, of one record per entry:
 *
 *   offset  size  field
 *   0       2     length, uint16 big-endian (0..65535)
 *   2       len   entry bytes
 *
 * Bundle N holds entries [N*256, N*256 + W); the leaf hash of its entry i,
 * SHA-256(0x00 || entry), is entry i of level-0 hash tile N (tile.h).
 * Example (vectors/tiles/tessera-testdata-log/tile/entries/000.p/3):
 *
 *   00 03 6f 6e 65  00 03 74 77 6f  00 05 74 68 72 65 65
 *   "one"           "two"           "three"
 *
 * Validity rules (a bundle failing any is MLOG_ERR_MALFORMED, except (1)):
 *  (1) At most MLOG_BUNDLE_MAX_BYTES bytes, checked before any work
 *      (MLOG_ERR_TOOBIG).
 *  (2) 1..MLOG_BUNDLE_MAX_ENTRIES records; an empty bundle is never served.
 *  (3) Every record is complete: no length prefix cut short, no length
 *      running past the end, nothing after the last record.
 *  Entries themselves may be empty (length 0).
 *
 * Thread-safety: pure functions; the hash context follows hash.h.
 * Ownership: callers own every buffer. Decoded entries point into the
 * caller's bundle bytes and are valid as long as those are.
 */
#ifndef MLOG_BUNDLE_H
#define MLOG_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hash.h"

#define MLOG_BUNDLE_MAX_ENTRIES 256                /* a full tile */
#define MLOG_BUNDLE_ENTRY_MAX 65535                /* uint16 length */
#define MLOG_BUNDLE_MAX_BYTES \
	(MLOG_BUNDLE_MAX_ENTRIES * (2 + MLOG_BUNDLE_ENTRY_MAX))

struct mlog_bundle_entry {
	const uint8_t *data;    /* points into the bundle */
	size_t len;             /* 0..65535 */
};

/*
 * Appends the record for entry[0..entry_len) to out at offset *out_len
 * (out has capacity out_cap) and advances *out_len. Callers put at most
 * MLOG_BUNDLE_MAX_ENTRIES records in one bundle. Returns 0, or
 * MLOG_ERR_TOOBIG if entry_len > MLOG_BUNDLE_ENTRY_MAX or the record does
 * not fit; out and *out_len are untouched on failure.
 */
int mlog_bundle_append(uint8_t *out, size_t out_cap,
	size_t *out_len /* IN/OUT */, const void *entry, size_t entry_len)
	MLOG_MUST_CHECK;

/*
 * Decodes bundle[0..len) into out[0..*count) (room for
 * MLOG_BUNDLE_MAX_ENTRIES), checking rules (1)-(3) over the whole input
 * before writing anything. Returns 0; MLOG_ERR_TOOBIG (rule 1); or
 * MLOG_ERR_MALFORMED. out and *count are untouched on failure.
 */
int mlog_bundle_decode(struct mlog_bundle_entry *out, size_t *count /* OUT */,
	const uint8_t *bundle, size_t len, struct mlog_error *err)
	MLOG_MUST_CHECK;

/*
 * Checks a bundle against the level-0 hash tile with the same index and
 * width (tile[0..tile_len), 32 bytes per entry): same number of entries,
 * and SHA-256(0x00 || entry i) == tile slot i for every i. To check a
 * partial bundle against a wider tile, pass the tile's first 32*W bytes.
 * Returns 0; MLOG_ERR_TOOBIG or MLOG_ERR_MALFORMED if the bundle does not
 * decode or the tile length is not a multiple of 32 in 32..8192;
 * MLOG_ERR_VERIFY if the counts or any hash differ.
 */
int mlog_bundle_verify(struct mlog_hash *h, const uint8_t *bundle,
	size_t bundle_len, const uint8_t *tile, size_t tile_len,
	struct mlog_error *err) MLOG_MUST_CHECK;

#endif
