/*
 * walk.c — authenticated bulk reading of entries; see walk.h.
 */
#include "walk.h"

#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "tree.h"

int cli_walk_entries(const struct cli_walk_source *src, uint64_t size,
	const uint8_t root[MLOG_HASH_BYTES], uint64_t start, uint64_t end,
	cli_walk_fn fn, void *ctx, struct mlog_error *err)
{
	struct mlog_tile_hash_reader *thr = NULL;
	const struct mlog_hash_reader *r;
	struct mlog_bundle_entry *ents = NULL;
	struct mlog_hash *h = NULL;
	uint8_t (*leaves)[MLOG_HASH_BYTES] = NULL;
	uint64_t idx[MLOG_TREE_MAX_READ];
	int rc;

	if (start > end || end > size)
		return mlog_error_set(err, MLOG_ERR_RANGE, "walk [%llu, %llu) "
			"of a tree of size %llu", (unsigned long long)start,
			(unsigned long long)end, (unsigned long long)size);
	if (start == end)
		return MLOG_OK;
	rc = mlog_tile_hash_reader_new(&thr, size, root, &src->tiles, err);
	if (rc != MLOG_OK)
		return rc;
	r = mlog_tile_hash_reader_hashes(thr);
	h = mlog_hash_new();
	ents = calloc(MLOG_BUNDLE_MAX_ENTRIES, sizeof(*ents));
	leaves = calloc(MLOG_BUNDLE_MAX_ENTRIES, sizeof(*leaves));
	if (h == NULL || ents == NULL || leaves == NULL) {
		rc = mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (uint64_t n = start / 256; n <= (end - 1) / 256; n++) {
		uint64_t lo = n * 256 > start ? n * 256 : start;
		uint64_t hi = (n + 1) * 256 < end ? (n + 1) * 256 : end;
		struct mlog_tile t = { 0, n, 0, 1 };
		uint8_t *bundle = NULL;
		size_t blen = 0, count = 0;

		t.width = size - n * 256 >= 256 ? 256
			: (unsigned)(size - n * 256);
		/* (1) authenticated leaf hashes, in reads of at most
		 * MLOG_TREE_MAX_READ. */
		for (uint64_t i = lo; i < hi; i += MLOG_TREE_MAX_READ) {
			size_t k = hi - i < MLOG_TREE_MAX_READ
				? (size_t)(hi - i) : MLOG_TREE_MAX_READ;

			for (size_t j = 0; j < k; j++)
				idx[j] = mlog_tree_stored_index(0, i + j);
			rc = r->read(r->ctx, idx, k, &leaves[i - lo]);
			if (rc != MLOG_OK) {
				rc = mlog_error_set(err, rc, "leaf hashes of "
					"bundle %llu: %s",
					(unsigned long long)n,
					mlog_tile_hash_reader_last_error(thr));
				goto out;
			}
		}
		/* (2) the bundle at this size. */
		rc = src->read_bundle(src->ctx, &t, &bundle, &blen, err);
		if (rc != MLOG_OK)
			goto out;
		rc = mlog_bundle_decode(ents, &count, bundle, blen, err);
		if (rc == MLOG_OK && count != t.width)
			rc = mlog_error_set(err, MLOG_ERR_VERIFY, "bundle "
				"%llu holds %zu entries, want %u",
				(unsigned long long)n, count, t.width);
		else if (rc != MLOG_OK)
			mlog_error_wrap(err, rc, "bundle %llu",
				(unsigned long long)n);
		/* (3) each entry against its leaf hash, then the callback. */
		for (uint64_t i = lo; rc == MLOG_OK && i < hi; i++) {
			const struct mlog_bundle_entry *e = &ents[i - n * 256];
			uint8_t got[MLOG_HASH_BYTES];

			mlog_hash_leaf(h, got, e->data, e->len);
			if (memcmp(got, leaves[i - lo], MLOG_HASH_BYTES) != 0) {
				rc = mlog_error_set(err, MLOG_ERR_VERIFY,
					"entry %llu does not match its "
					"authenticated leaf hash",
					(unsigned long long)i);
				break;
			}
			rc = fn(ctx, i, e->data, e->len);
		}
		free(bundle);
		if (rc != MLOG_OK)
			goto out;
	}
out:
	free(leaves);
	free(ents);
	mlog_hash_free(h);
	mlog_tile_hash_reader_free(thr);
	return rc;
}
