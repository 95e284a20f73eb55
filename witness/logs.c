/*
 * logs.c — configured logs, live state and rate limits; see logs.h.
 */
#include "logs.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "hash.h"

void witness_logs_init(struct witness_logs *ls)
{
	memset(ls, 0, sizeof(*ls));
}

void witness_logs_clear(struct witness_logs *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		free(ls->v[i].origin);
		free(ls->v[i].note);
		if (ls->sealed)
			pthread_mutex_destroy(&ls->v[i].lock);
	}
	free(ls->v);
	memset(ls, 0, sizeof(*ls));
}

/* Linear lookup while the table is being built (a few logs at start). */
static struct witness_log *find_unsealed(struct witness_logs *ls,
	const char *origin)
{
	for (size_t i = 0; i < ls->n; i++) {
		if (strcmp(ls->v[i].origin, origin) == 0)
			return &ls->v[i];
	}
	return NULL;
}

int witness_logs_add(struct witness_logs *ls, const char *vkey, size_t len,
	struct mlog_error *err)
{
	struct mlog_note_verifier k;
	struct witness_log *l;

	if (mlog_note_verifier_parse(&k, vkey, len, err) != MLOG_OK)
		return mlog_error_wrap(err, MLOG_ERR_MALFORMED, "log key");
	if (k.type != MLOG_NOTE_TYPE_ED25519)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"log key %s: type 0x%02x is not an Ed25519 log key "
			"(0x01)", k.name, k.type);
	l = find_unsealed(ls, k.name);
	if (l == NULL) {
		struct witness_log *grown = realloc(ls->v,
			(ls->n + 1) * sizeof(*grown));

		if (grown == NULL)
			return mlog_error_set(err, MLOG_ERR_NOMEM,
				"out of memory");
		ls->v = grown;
		l = &ls->v[ls->n];
		memset(l, 0, sizeof(*l));
		l->origin = strdup(k.name);
		if (l->origin == NULL)
			return mlog_error_set(err, MLOG_ERR_NOMEM,
				"out of memory");
		ls->n++;
	}
	for (size_t i = 0; i < l->nkeys; i++) {
		if (l->keys[i].key_id == k.key_id &&
		    memcmp(l->keys[i].pub, k.pub, sizeof(k.pub)) == 0)
			return MLOG_OK;     /* given twice: same trust */
	}
	if (l->nkeys == WITNESS_LOG_MAX_KEYS)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"log %s: more than %d keys", k.name,
			WITNESS_LOG_MAX_KEYS);
	l->keys[l->nkeys++] = k;
	return MLOG_OK;
}

#ifndef NDEBUG
/* Invariants 1 and 2, once sealed. */
static void check_invariants(const struct witness_logs *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		const struct witness_log *l = &ls->v[i];

		assert(i == 0 || strcmp(ls->v[i - 1].origin, l->origin) < 0);
		assert(l->nkeys >= 1 && l->nkeys <= WITNESS_LOG_MAX_KEYS);
		for (size_t k = 0; k < l->nkeys; k++) {
			assert(l->keys[k].type == MLOG_NOTE_TYPE_ED25519);
			assert(strcmp(l->keys[k].name, l->origin) == 0);
		}
	}
}
#else
#define check_invariants(ls) ((void)0)
#endif

static int by_origin(const void *a, const void *b)
{
	return strcmp(((const struct witness_log *)a)->origin,
		((const struct witness_log *)b)->origin);
}

int witness_logs_seal(struct witness_logs *ls)
{
	uint8_t digest[MLOG_HASH_BYTES];
	struct mlog_hash *h;

	if (ls->sealed)
		return MLOG_OK;
	h = mlog_hash_new();
	if (h == NULL)
		return MLOG_ERR_INTERNAL;
	if (ls->n > 1)
		qsort(ls->v, ls->n, sizeof(*ls->v), by_origin);
	for (size_t i = 0; i < ls->n; i++) {
		struct witness_log *l = &ls->v[i];

		mlog_hash_sha256(h, digest, l->origin, strlen(l->origin));
		mlog_codec_hex_encode(l->origin_hex, digest, sizeof(digest));
		if (pthread_mutex_init(&l->lock, NULL) != 0) {
			for (size_t j = 0; j < i; j++)
				pthread_mutex_destroy(&ls->v[j].lock);
			mlog_hash_free(h);
			return MLOG_ERR_INTERNAL;
		}
	}
	mlog_hash_free(h);
	ls->sealed = 1;
	check_invariants(ls);
	return MLOG_OK;
}

struct witness_log *witness_logs_find(const struct witness_logs *ls,
	const char *origin)
{
	size_t lo = 0, hi = ls->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(origin, ls->v[mid].origin);

		if (c == 0)
			return &ls->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

struct witness_log *witness_logs_find_hex(const struct witness_logs *ls,
	const char *hex, size_t len)
{
	if (len != WITNESS_ORIGIN_HEX_LEN)
		return NULL;
	/* A linear scan: this serves monitoring reads of a handful of
	 * logs; an index by hash would cost more code than it saves. */
	for (size_t i = 0; i < ls->n; i++) {
		if (memcmp(ls->v[i].origin_hex, hex, len) == 0)
			return &ls->v[i];
	}
	return NULL;
}

int witness_bucket_take(struct witness_bucket *b, double now, double rate,
	double burst, double *retry_after)
{
	if (rate <= 0)
		return 1;
	if (burst < 1)
		burst = 1;
	if (!b->primed) {
		b->tokens = burst;
		b->last = now;
		b->primed = 1;
	} else if (now > b->last) {
		b->tokens += (now - b->last) * rate;
		if (b->tokens > burst)
			b->tokens = burst;
		b->last = now;
	}
	assert(b->tokens >= 0 && b->tokens <= burst);      /* invariant 4 */
	if (b->tokens >= 1) {
		b->tokens -= 1;
		return 1;
	}
	if (retry_after != NULL)
		*retry_after = (1 - b->tokens) / rate;
	return 0;
}
