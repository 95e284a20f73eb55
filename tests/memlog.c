/*
 * memlog.c — an in-memory log for client tests; see memlog.h.
 */
#include "memlog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "checkpoint.h"
#include "tile.h"
#include "tree.h"

static int read_stored(void *ctx, const uint64_t *idx, size_t n,
	uint8_t (*out)[MLOG_HASH_BYTES])
{
	struct memlog *l = ctx;

	for (size_t i = 0; i < n; i++) {
		if (idx[i] >= l->nstored)
			return MLOG_ERR_RANGE;
		memcpy(out[i], l->stored[idx[i]], MLOG_HASH_BYTES);
	}
	return MLOG_OK;
}

int memlog_init(struct memlog *l, const char *origin, const uint8_t *seed)
{
	int rc;

	memset(l, 0, sizeof(*l));
	snprintf(l->origin, sizeof(l->origin), "%s", origin);
	l->h = mlog_hash_new();
	if (l->h == NULL)
		return MLOG_ERR_NOMEM;
	rc = seed != NULL ? mlog_note_signer_from_seed(&l->key, origin,
		MLOG_NOTE_TYPE_ED25519, seed)
		: mlog_note_signer_generate(&l->key, origin,
		MLOG_NOTE_TYPE_ED25519);
	l->reader.read = read_stored;
	l->reader.ctx = l;
	l->corrupt_index = UINT64_MAX;
	return rc;
}

void memlog_clear(struct memlog *l)
{
	for (uint64_t i = 0; i < l->n; i++)
		free(l->entries[i]);
	free(l->entries);
	free(l->lens);
	free(l->stored);
	mlog_hash_free(l->h);
	mlog_note_signer_clear(&l->key);
	memset(l, 0, sizeof(*l));
}

int memlog_append(struct memlog *l, const void *entry, size_t len)
{
	uint8_t add[MLOG_TREE_MAX_APPEND][MLOG_HASH_BYTES], leaf[32];
	size_t nadd = 0;
	int rc;

	if (l->n == l->cap) {
		uint64_t c = l->cap == 0 ? 256 : 2 * l->cap;
		uint8_t **e = realloc(l->entries, c * sizeof(*e));
		size_t *n;

		if (e == NULL)
			return MLOG_ERR_NOMEM;
		l->entries = e;
		n = realloc(l->lens, c * sizeof(*n));
		if (n == NULL)
			return MLOG_ERR_NOMEM;
		l->lens = n;
		l->cap = c;
	}
	mlog_hash_leaf(l->h, leaf, entry, len);
	rc = mlog_tree_append(l->h, add, &nadd, l->n, leaf, &l->reader);
	if (rc != MLOG_OK)
		return rc;
	if (l->nstored + nadd > l->cstored) {
		uint64_t c = l->cstored == 0 ? 1024 : 2 * l->cstored;
		uint8_t (*s)[MLOG_HASH_BYTES];

		while (c < l->nstored + nadd)
			c *= 2;
		s = realloc(l->stored, c * sizeof(*s));
		if (s == NULL)
			return MLOG_ERR_NOMEM;
		l->stored = s;
		l->cstored = c;
	}
	memcpy(l->stored[l->nstored], add, nadd * MLOG_HASH_BYTES);
	l->nstored += nadd;
	l->entries[l->n] = malloc(len + 1);
	if (l->entries[l->n] == NULL)
		return MLOG_ERR_NOMEM;
	memcpy(l->entries[l->n], entry, len);
	l->lens[l->n] = len;
	l->n++;
	return MLOG_OK;
}

int memlog_root(struct memlog *l, uint64_t size, uint8_t root[MLOG_HASH_BYTES])
{
	return mlog_tree_root(l->h, root, size, &l->reader);
}

int memlog_checkpoint(struct memlog *l, uint64_t size, char **note,
	size_t *len)
{
	struct mlog_checkpoint c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.origin = l->origin;
	c.size = size;
	rc = memlog_root(l, size, c.root);
	if (rc != MLOG_OK)
		return rc;
	return mlog_checkpoint_sign(note, len, &c, &l->key, 1, NULL);
}

int memlog_cosign(char **note, size_t *len, const struct mlog_note_signer *w,
	uint64_t t)
{
	const char *blank = strstr(*note, "\n\n");
	char line[512], *grown;
	int n;

	if (blank == NULL)
		return MLOG_ERR_MALFORMED;
	n = mlog_note_sign_line(line, sizeof(line), *note,
		(size_t)(blank - *note) + 1, w, t);
	if (n < 0)
		return n;
	grown = realloc(*note, *len + (size_t)n + 1);
	if (grown == NULL)
		return MLOG_ERR_NOMEM;
	memcpy(grown + *len, line, (size_t)n + 1);
	*note = grown;
	*len += (size_t)n;
	return MLOG_OK;
}

int memlog_prove(struct memlog *l, uint64_t index, uint64_t size,
	uint8_t (*proof)[MLOG_HASH_BYTES], size_t *proof_len)
{
	return mlog_proof_prove_inclusion(l->h, proof, proof_len, index, size,
		&l->reader);
}

static int src_tile(void *ctx, const struct mlog_tile *t, uint8_t *buf,
	size_t *len)
{
	struct memlog *l = ctx;

	l->tile_reads++;
	if (l->fail_reads)
		return MLOG_ERR_IO;
	return mlog_tile_build(buf, MLOG_TILE_MAX_BYTES, len, t, l->n,
		&l->reader);
}

static int src_bundle(void *ctx, const struct mlog_tile *t, uint8_t **buf,
	size_t *len, struct mlog_error *err)
{
	struct memlog *l = ctx;
	uint64_t first = t->n * MLOG_TILE_WIDTH;
	size_t cap = 0, used = 0;
	int rc = MLOG_OK;

	l->bundle_reads++;
	if (l->fail_reads)
		return mlog_error_set(err, MLOG_ERR_IO, "memlog: reads fail");
	if (first + t->width > l->n)
		return mlog_error_set(err, MLOG_ERR_NOTFOUND, "memlog: no "
			"bundle %llu.p/%u", (unsigned long long)t->n, t->width);
	for (unsigned i = 0; i < t->width; i++)
		cap += 2 + l->lens[first + i];
	*buf = malloc(cap + 1);
	if (*buf == NULL)
		return MLOG_ERR_NOMEM;
	for (unsigned i = 0; rc == MLOG_OK && i < t->width; i++)
		rc = mlog_bundle_append(*buf, cap, &used, l->entries[first + i],
			l->lens[first + i]);
	if (rc != MLOG_OK) {
		free(*buf);
		return rc;
	}
	if (l->corrupt_index >= first && l->corrupt_index < first + t->width) {
		size_t off = 0;

		for (uint64_t i = first; i < l->corrupt_index; i++)
			off += 2 + l->lens[i];
		(*buf)[off + 2] ^= 1;
	}
	*len = used;
	return MLOG_OK;
}

void memlog_source(struct memlog *l, struct cli_walk_source *src)
{
	src->tiles.read_tile = src_tile;
	src->tiles.ctx = l;
	src->read_bundle = src_bundle;
	src->ctx = l;
}

int memlog_policy_line(const struct memlog *l, char *out, size_t cap)
{
	struct mlog_note_verifier v;
	char vkey[MLOG_NOTE_VKEY_MAX + 1];

	mlog_note_signer_verifier(&v, &l->key);
	if (mlog_note_verifier_format(vkey, sizeof(vkey), &v) < 0)
		return MLOG_ERR_MALFORMED;
	return snprintf(out, cap, "log %s\n", vkey) < (int)cap
		? MLOG_OK : MLOG_ERR_TOOBIG;
}
