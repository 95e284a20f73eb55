/*
 * test_mlogd_read.c — the read API of a real mlogd agrees with itself and
 * with merkle/ (SPEC §3, C2SP tlog-tiles): for every checkpoint a growing
 * log signed, the tiles give its root, the bundles hash to the tiles, the
 * proofs verify; partial tiles are prefixes; entries and search answer
 * what was submitted.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "bundle.h"
#include "checkpoint.h"
#include "codec.h"
#include "hash.h"
#include "harness.h"
#include "proof.h"
#include "tile.h"
#include "tree.h"

/* 32 hex digits of zeros. */
#define ZEROS32 "00000000000000000000000000000000"

static void init(void)
{
	itest_init();
}

TestSuite(read, .init = init);

/* A checkpoint the log signed, from a receipt or /checkpoint. */
struct seen {
	uint64_t size;
	uint8_t root[32];
};

struct grown {
	struct itest_log log;
	struct itest_signer ci;
	uint64_t size;
	uint8_t (*leaf)[32];        /* leaf hash by index */
	uint64_t *seed;             /* statement seed by index */
	struct seen *cps;           /* distinct sizes, ascending */
	size_t ncps;
	time_t started;
};

static void add_checkpoint(struct grown *g, uint64_t size,
	const uint8_t root[32])
{
	for (size_t i = 0; i < g->ncps; i++) {
		if (g->cps[i].size == size) {
			cr_assert_arr_eq(g->cps[i].root, root, 32, "two roots "
				"for size %llu", (unsigned long long)size);
			return;
		}
	}
	g->cps = realloc(g->cps, (g->ncps + 1) * sizeof(*g->cps));
	cr_assert_not_null(g->cps);
	g->cps[g->ncps].size = size;
	memcpy(g->cps[g->ncps].root, root, 32);
	g->ncps++;
}

static int cmp_seen(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;

	return x->size < y->size ? -1 : x->size > y->size;
}

/* Reads the log while it grows: every checkpoint it serves must be
 * backed by the tiles served right after it, and consistent with the
 * previous one read. Runs on its own thread, so it records the first
 * failure instead of asserting. */
struct watcher {
	const struct grown *g;
	volatile int stop;
	unsigned reads, sizes;
	char failure[512];
	pthread_t th;
};

__attribute__((format(printf, 2, 3)))
static void watch_fail(struct watcher *w, const char *fmt, ...)
{
	va_list ap;

	if (w->failure[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(w->failure, sizeof(w->failure), fmt, ap);
	va_end(ap);
}

/* One look: checkpoint, tiles, consistency with (*old_size, old_root). */
static void watch_once(struct watcher *w, struct mlog_hash *h,
	uint64_t *old_size, uint8_t old_root[32])
{
	const struct itest_log *l = &w->g->log;
	struct mlog_tile_source src = itest_tile_source(l);
	struct mlog_tile_hash_reader *thr = NULL;
	struct mlog_checkpoint c;
	struct mlog_error err = { 0, "" };
	uint8_t proof[MLOG_PROOF_MAX][32], root[32];
	struct itest_http r;
	json_t *j = NULL, *arr;
	size_t n = 0;

	itest_getf(&r, "%s/checkpoint", l->url);
	mlog_checkpoint_init(&c);
	if (r.status != 200 || mlog_checkpoint_open(&c, NULL, r.body, r.len,
		l->origin, &l->vkey, 1, NULL, &err) != MLOG_OK) {
		watch_fail(w, "/checkpoint: %ld %s", r.status, err.msg);
		itest_http_clear(&r);
		return;
	}
	itest_http_clear(&r);
	w->reads++;
	if (mlog_tile_hash_reader_new(&thr, c.size, c.root, &src, &err)
		!= MLOG_OK || mlog_tree_root(h, root, c.size,
		mlog_tile_hash_reader_hashes(thr)) != MLOG_OK ||
	    memcmp(root, c.root, 32) != 0)
		watch_fail(w, "tiles read right after checkpoint %llu do not "
			"give its root: %s", (unsigned long long)c.size,
			err.msg);
	mlog_tile_hash_reader_free(thr);
	if (*old_size > 0 && c.size > *old_size) {
		itest_getf(&r, "%s/v1/proof/consistency?old=%llu&size=%llu",
			l->url, (unsigned long long)*old_size,
			(unsigned long long)c.size);
		j = r.status == 200 ? json_loadb(r.body, r.len, 0, NULL)
			: NULL;
		arr = json_object_get(j, "proof");
		for (size_t i = 0; i < json_array_size(arr) &&
		     i < MLOG_PROOF_MAX; i++) {
			const char *b = json_string_value(json_array_get(arr,
				i));
			size_t got = 0;

			if (b != NULL && mlog_codec_base64_decode(proof[n], 32,
				&got, b, strlen(b)) == MLOG_OK && got == 32)
				n++;
		}
		if (j == NULL || n != json_array_size(arr) ||
		    mlog_proof_verify_consistency(h, *old_size, c.size,
			old_root, c.root, (const uint8_t (*)[32])proof, n)
			!= MLOG_OK)
			watch_fail(w, "checkpoint %llu is not consistent with "
				"%llu read before: %ld %s",
				(unsigned long long)c.size,
				(unsigned long long)*old_size, r.status, r.body);
		json_decref(j);
		itest_http_clear(&r);
	}
	if (c.size < *old_size)
		watch_fail(w, "checkpoint went back from %llu to %llu",
			(unsigned long long)*old_size,
			(unsigned long long)c.size);
	if (c.size > *old_size) {
		w->sizes++;
		*old_size = c.size;
		memcpy(old_root, c.root, 32);
	}
	mlog_checkpoint_clear(&c);
}

static void *watch_main(void *arg)
{
	struct watcher *w = arg;
	struct mlog_hash *h = mlog_hash_new();
	uint8_t old_root[32];
	uint64_t old_size = 0;

	while (!__atomic_load_n(&w->stop, __ATOMIC_SEQ_CST) &&
	       w->failure[0] == '\0') {
		watch_once(w, h, &old_size, old_root);
		usleep(2000);
	}
	mlog_hash_free(h);
	return NULL;
}

/* Submits n new build entries (seeds first..) from 32 threads and records
 * every receipt, while a watcher reads the log. */
static void grow(struct grown *g, uint64_t first, size_t n)
{
	struct watcher w;
	struct itest_job *jobs = calloc(n, sizeof(*jobs));
	char **envs = calloc(n, sizeof(*envs));
	size_t *lens = calloc(n, sizeof(*lens));
	struct mlog_hash *h = mlog_hash_new();
	uint64_t size;
	uint8_t root[32];

	cr_assert(jobs != NULL && envs != NULL && lens != NULL && h != NULL);
	for (size_t i = 0; i < n; i++) {
		envs[i] = itest_build_envelope(&g->ci, first + i, &lens[i]);
		jobs[i].body = envs[i];
		jobs[i].len = lens[i];
	}
	g->leaf = realloc(g->leaf, (g->size + n) * sizeof(*g->leaf));
	g->seed = realloc(g->seed, (g->size + n) * sizeof(*g->seed));
	cr_assert(g->leaf != NULL && g->seed != NULL);
	memset(&w, 0, sizeof(w));
	w.g = g;
	cr_assert_eq(pthread_create(&w.th, NULL, watch_main, &w), 0);
	itest_post_many(&g->log, jobs, n, 32, NULL);
	__atomic_store_n(&w.stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(w.th, NULL);
	cr_assert_str_empty(w.failure, "while growing by %zu: %s", n,
		w.failure);
	cr_assert_gt(w.reads, 0);
	fprintf(stderr, "grew by %zu: the watcher read %u checkpoints, %u "
		"sizes\n", n, w.reads, w.sizes);
	for (size_t i = 0; i < n; i++) {
		uint64_t index;

		cr_assert_eq(jobs[i].r.status, 201, "%ld %s", jobs[i].r.status,
			jobs[i].r.body);
		index = itest_check_receipt(&g->log, jobs[i].r.body, envs[i],
			lens[i], &size, root);
		cr_assert(index >= g->size && index < g->size + n,
			"index %llu is not one of the batch's",
			(unsigned long long)index);
		mlog_hash_leaf(h, g->leaf[index], envs[i], lens[i]);
		g->seed[index] = first + i;
		add_checkpoint(g, size, root);
		free(envs[i]);
	}
	g->size += n;
	itest_checkpoint(&g->log, &size, root, NULL);
	cr_assert_eq(size, g->size);
	add_checkpoint(g, size, root);
	itest_jobs_clear(jobs, n);
	free(jobs);
	free(envs);
	free(lens);
	mlog_hash_free(h);
}

static void grown_clear(struct grown *g)
{
	cr_assert_eq(itest_log_stop(&g->log), 0);
	itest_signer_clear(&g->ci);
	itest_log_cleanup(&g->log);
	free(g->leaf);
	free(g->seed);
	free(g->cps);
}

/* GET and parse a proof answer; asserts 200. */
__attribute__((format(printf, 2, 3)))
static json_t *get_json(const struct grown *g, const char *fmt, ...)
{
	char path[512];
	struct itest_http r;
	va_list ap;
	json_t *j;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	itest_getf(&r, "%s%s", g->log.url, path);
	cr_assert_eq(r.status, 200, "%s: %ld %s", path, r.status, r.body);
	j = itest_json(&r);
	itest_http_clear(&r);
	return j;
}

static uint64_t json_u64(const json_t *obj, const char *name)
{
	const json_t *v = json_object_get(obj, name);

	cr_assert(json_is_integer(v) && json_integer_value(v) >= 0,
		"no %s", name);
	return (uint64_t)json_integer_value(v);
}

static void check_inclusion(const struct grown *g, struct mlog_hash *h,
	uint64_t index, const struct seen *cp, int by_hash)
{
	uint8_t proof[MLOG_PROOF_MAX][32], leaf[32];
	char hex[65];
	json_t *j;
	size_t n;

	if (by_hash) {
		mlog_codec_hex_encode(hex, g->leaf[index], 32);
		j = get_json(g, "/v1/proof/inclusion?leaf_hash=%s&size=%llu",
			hex, (unsigned long long)cp->size);
	} else {
		j = get_json(g, "/v1/proof/inclusion?index=%llu&size=%llu",
			(unsigned long long)index,
			(unsigned long long)cp->size);
	}
	cr_assert_eq(json_u64(j, "index"), index);
	cr_assert_eq(json_u64(j, "size"), cp->size);
	itest_b64_hash(leaf, json_string_value(json_object_get(j,
		"leaf_hash")));
	cr_assert_arr_eq(leaf, g->leaf[index], 32);
	n = itest_proof(proof, json_object_get(j, "proof"));
	cr_assert_eq(mlog_proof_verify_inclusion(h, index, cp->size, leaf,
		(const uint8_t (*)[32])proof, n, cp->root), MLOG_OK,
		"inclusion of %llu in %llu", (unsigned long long)index,
		(unsigned long long)cp->size);
	json_decref(j);
}

static void check_consistency(const struct grown *g, struct mlog_hash *h,
	const struct seen *old, const struct seen *cp)
{
	uint8_t proof[MLOG_PROOF_MAX][32];
	json_t *j;
	size_t n;

	j = get_json(g, "/v1/proof/consistency?old=%llu&size=%llu",
		(unsigned long long)old->size, (unsigned long long)cp->size);
	cr_assert_eq(json_u64(j, "old"), old->size);
	cr_assert_eq(json_u64(j, "size"), cp->size);
	n = itest_proof(proof, json_object_get(j, "proof"));
	cr_assert_eq(mlog_proof_verify_consistency(h, old->size, cp->size,
		old->root, cp->root, (const uint8_t (*)[32])proof, n),
		MLOG_OK, "consistency %llu -> %llu",
		(unsigned long long)old->size, (unsigned long long)cp->size);
	json_decref(j);
}

/* GET a tile path; returns the body (malloc'd) and its length, asserting
 * the status. */
static char *get_tile(const struct grown *g, const struct mlog_tile *t,
	long want, size_t *len, char *cache, size_t cache_cap)
{
	char path[MLOG_TILE_PATH_MAX];
	struct itest_http r;

	cr_assert_gt(mlog_tile_format(path, sizeof(path), t), 0);
	itest_getf(&r, "%s/%s", g->log.url, path);
	cr_assert_eq(r.status, want, "/%s: want %ld, got %ld", path, want,
		r.status);
	if (want != 200) {
		itest_assert_error(&r, want);
		itest_http_clear(&r);
		return NULL;
	}
	if (cache != NULL)
		snprintf(cache, cache_cap, "%s", r.cache_control);
	*len = r.len;
	return r.body;
}

/* Everything about checkpoint cp, through HTTP only. */
static void check_checkpoint(const struct grown *g, struct mlog_hash *h,
	const struct seen *cp, const struct seen *prev,
	const struct seen *last)
{
	struct mlog_tile_source src = itest_tile_source(&g->log);
	struct mlog_tile_hash_reader *thr = NULL;
	struct mlog_error err = { 0, "" };
	uint8_t root[32];
	uint64_t s = cp->size;

	/* The tiles at this (older) size hash to its root. */
	cr_assert_eq(mlog_tile_hash_reader_new(&thr, s, cp->root, &src,
		&err), MLOG_OK, "tiles at %llu: %s", (unsigned long long)s,
		err.msg);
	cr_assert_eq(mlog_tree_root(h, root, s,
		mlog_tile_hash_reader_hashes(thr)), MLOG_OK, "%s",
		mlog_tile_hash_reader_last_error(thr));
	cr_assert_arr_eq(root, cp->root, 32, "root from tiles at %llu",
		(unsigned long long)s);
	mlog_tile_hash_reader_free(thr);
	/* Its partial entry bundle hashes to its partial level-0 tile. */
	if (s % 256 != 0) {
		struct mlog_tile t = { 0, s / 256, (unsigned)(s % 256), 0 };
		size_t tlen = 0, blen = 0;
		char *tile = get_tile(g, &t, 200, &tlen, NULL, 0), *bundle;

		t.entries = 1;
		bundle = get_tile(g, &t, 200, &blen, NULL, 0);
		cr_assert_eq(mlog_bundle_verify(h, (const uint8_t *)bundle,
			blen, (const uint8_t *)tile, tlen, &err), MLOG_OK,
			"bundle at %llu: %s", (unsigned long long)s, err.msg);
		free(tile);
		free(bundle);
	}
	check_inclusion(g, h, s - 1, cp, 0);
	check_inclusion(g, h, (s * 7919 + 13) % s, cp, 1);
	if (prev != NULL)
		check_consistency(g, h, prev, cp);
	check_consistency(g, h, cp, last);
}

/* The width after p to check: every one, or 1, 2, 3, 64, 127, 128, 200,
 * 254, 255. */
static unsigned next_width(unsigned p, int every)
{
	static const unsigned sample[] = { 1, 2, 3, 64, 127, 128, 200, 254,
		255 };

	if (every)
		return p + 1;
	for (size_t i = 0; i < sizeof(sample) / sizeof(sample[0]); i++) {
		if (sample[i] > p)
			return sample[i];
	}
	return 256;
}

/* Every tile of the final tree, partial widths of it, and what lies
 * beyond. */
static void check_tiles(const struct grown *g, struct mlog_hash *h)
{
	struct mlog_error err = { 0, "" };
	uint64_t size = g->size;

	for (int level = 0; level < mlog_tile_levels(size); level++) {
		uint64_t count = size >> (8 * level);

		for (uint64_t n = 0; n * 256 < count; n++) {
			unsigned w = count - n * 256 >= 256 ? 256
				: (unsigned)(count - n * 256);
			struct mlog_tile t = { level, n, w, 0 };
			struct mlog_bundle_entry ents[256];
			char cache[128], *tile, *bundle = NULL;
			size_t tlen = 0, blen = 0, nents = 0;

			tile = get_tile(g, &t, 200, &tlen, cache,
				sizeof(cache));
			cr_assert_eq(tlen, (size_t)w * 32);
			if (w == 256)
				cr_assert_str_eq(cache, "public, "
					"max-age=31536000, immutable");
			else
				cr_assert_null(strstr(cache, "immutable"),
					"partial tile is immutable");
			if (level == 0) {
				t.entries = 1;
				bundle = get_tile(g, &t, 200, &blen, cache,
					sizeof(cache));
				cr_assert_eq(mlog_bundle_verify(h,
					(const uint8_t *)bundle, blen,
					(const uint8_t *)tile, tlen, &err),
					MLOG_OK, "bundle %llu: %s",
					(unsigned long long)n, err.msg);
				cr_assert_eq(mlog_bundle_decode(ents, &nents,
					(const uint8_t *)bundle, blen, NULL),
					MLOG_OK);
				for (unsigned i = 0; i < w; i++)
					cr_assert_arr_eq(tile + 32 * i,
						g->leaf[n * 256 + i], 32,
						"leaf %llu in tile 0/%llu",
						(unsigned long long)(n * 256 +
						i), (unsigned long long)n);
				if (w == 256)
					cr_assert_str_eq(cache, "public, "
						"max-age=31536000, immutable");
			}
			/* Every narrower width is served, as a prefix: all of
			 * them for the first, the last full and the partial
			 * tile of each level, a sample for the others; for
			 * bundles, which cost the server 256 entry reads
			 * each, all widths of the first and the partial one
			 * (this keeps the sanitizer build fast). */
			for (unsigned p = 1; p < w && p < 256;
			     p = next_width(p, n == 0 || w < 256 ||
				(n + 2) * 256 > count)) {
				size_t len = 0;
				char *part;

				t.width = p;
				t.entries = 0;
				part = get_tile(g, &t, 200, &len, NULL, 0);
				cr_assert_eq(len, (size_t)p * 32);
				cr_assert_arr_eq(part, tile, len,
					"tile %d/%llu.p/%u is not a prefix",
					level, (unsigned long long)n, p);
				free(part);
				if (level != 0 || (n != 0 && w == 256 &&
				    next_width(p - 1, 0) != p))
					continue;
				t.entries = 1;
				part = get_tile(g, &t, 200, &len, NULL, 0);
				cr_assert_eq(len, (size_t)(ents[p - 1].data +
					ents[p - 1].len - (uint8_t *)bundle));
				cr_assert_arr_eq(part, bundle, len,
					"bundle %llu.p/%u is not a prefix",
					(unsigned long long)n, p);
				free(part);
			}
			/* Nothing wider than what exists. */
			if (w < 256) {
				const unsigned beyond[] = { w + 1, w + 2, 255,
					256 };

				for (size_t b = 0; b < 4; b++) {
					unsigned p = beyond[b];

					if (p <= w || p > 256)
						continue;
					t.width = p;
					t.entries = 0;
					(void)get_tile(g, &t, 404, NULL, NULL,
						0);
					if (level == 0) {
						t.entries = 1;
						(void)get_tile(g, &t, 404,
							NULL, NULL, 0);
					}
				}
			}
			free(tile);
			free(bundle);
		}
		/* The next tile of the level does not exist yet. */
		{
			struct mlog_tile t = { level, (count + 255) / 256, 1,
				0 };

			if (count % 256 == 0)
				(void)get_tile(g, &t, 404, NULL, NULL, 0);
			t.n = (count + 255) / 256 + 1;
			(void)get_tile(g, &t, 404, NULL, NULL, 0);
		}
	}
	/* No level above the top. */
	{
		struct mlog_tile t = { mlog_tile_levels(size), 0, 1, 0 };

		(void)get_tile(g, &t, 404, NULL, NULL, 0);
	}
}

/* /v1/entries/<I>: the envelope and statement submitted, its signer and a
 * plausible integration time. */
static void check_entry(const struct grown *g, uint64_t index)
{
	json_t *j = get_json(g, "/v1/entries/%llu", (unsigned long long)index);
	char *st = itest_build_statement(g->seed[index]);
	json_t *want_st = json_loads(st, 0, NULL);
	const char *at = json_string_value(json_object_get(j,
		"integrated_at"));
	const json_t *env = json_object_get(j, "envelope");
	json_t *signers = json_object_get(j, "signers");
	uint8_t leaf[32];
	struct mlog_hash *h = mlog_hash_new();
	char *canon;
	struct tm tm;
	time_t when;

	cr_assert_eq(json_u64(j, "index"), index);
	itest_b64_hash(leaf, json_string_value(json_object_get(j,
		"leaf_hash")));
	cr_assert_arr_eq(leaf, g->leaf[index], 32);
	cr_assert(json_equal(json_object_get(j, "statement"), want_st),
		"entry %llu: statement differs", (unsigned long long)index);
	/* The envelope re-encoded canonically is the leaf. */
	cr_assert(json_is_object(env));
	canon = json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS);
	mlog_hash_leaf(h, leaf, canon, strlen(canon));
	cr_assert_arr_eq(leaf, g->leaf[index], 32, "entry %llu: envelope is "
		"not the leaf", (unsigned long long)index);
	cr_assert(json_array_size(signers) == 1 &&
		json_is_string(json_array_get(signers, 0)) &&
		strcmp(json_string_value(json_array_get(signers, 0)), "ci")
		== 0, "entry %llu: signers", (unsigned long long)index);
	/* RFC 3339, UTC, between the test's start and now. */
	cr_assert_not_null(at);
	memset(&tm, 0, sizeof(tm));
	{
		const char *end = strptime(at, "%Y-%m-%dT%H:%M:%SZ", &tm);

		cr_assert(end != NULL && *end == '\0' && strlen(at) == 20,
			"integrated_at '%s' is not RFC 3339 UTC", at);
	}
	when = timegm(&tm);
	cr_assert(when >= g->started - 1 && when <= time(NULL) + 1,
		"integrated_at %s is not during the test", at);
	free(canon);
	mlog_hash_free(h);
	free(st);
	json_decref(want_st);
	json_decref(j);
}

static void expect_status(const struct grown *g, long status,
	const char *path)
{
	struct itest_http r;

	itest_getf(&r, "%s%s", g->log.url, path);
	cr_assert_eq(r.status, status, "%s: want %ld, got %ld: %s", path,
		status, r.status, r.body);
	itest_assert_error(&r, status);
	itest_http_clear(&r);
}

Test(read, every_checkpoint_agrees_with_tiles_bundles_and_proofs,
	.timeout = 200)
{
	/* 3,068 entries: crosses eleven 256-entry tile boundaries. */
	const size_t phases[] = { 1, 2, 13, 240, 300, 512, 700, 1300 };
	struct grown g;
	struct mlog_hash *h = mlog_hash_new();
	const struct seen *last;
	uint64_t seed = 1;
	char path[256];

	memset(&g, 0, sizeof(g));
	g.started = time(NULL);
	itest_log_init(&g.log, "example.com/read");
	itest_signer_new(&g.ci, g.log.dir, "ci", MLOG_DSSE_ALG_ED25519);
	{
		char flag[400];
		const char *extra[] = { "--signer", flag, NULL };

		itest_signer_flag(flag, sizeof(flag), &g.ci, "build");
		itest_log_start(&g.log, extra);
	}
	for (size_t p = 0; p < sizeof(phases) / sizeof(phases[0]); p++) {
		grow(&g, seed, phases[p]);
		seed += phases[p];
	}
	qsort(g.cps, g.ncps, sizeof(*g.cps), cmp_seen);
	last = &g.cps[g.ncps - 1];
	cr_assert_eq(last->size, g.size);
	cr_assert_geq(g.ncps, 16, "only %zu checkpoints", g.ncps);
	for (size_t i = 0; i < g.ncps; i++)
		check_checkpoint(&g, h, &g.cps[i], i > 0 ? &g.cps[i - 1]
			: NULL, last);
	check_tiles(&g, h);
	for (uint64_t i = 0; i < g.size; i += i < 20 ? 1 : i < 250 ? 29
	     : i < 260 ? 1 : 97)
		check_entry(&g, i);
	check_entry(&g, g.size - 1);
	/* Sizes beyond the tree are 400; indexes beyond it 404. */
	snprintf(path, sizeof(path), "/v1/proof/inclusion?index=0&size=%llu",
		(unsigned long long)g.size + 1);
	expect_status(&g, 400, path);
	snprintf(path, sizeof(path), "/v1/proof/consistency?old=1&size=%llu",
		(unsigned long long)g.size + 1);
	expect_status(&g, 400, path);
	snprintf(path, sizeof(path), "/v1/proof/consistency?old=%llu",
		(unsigned long long)g.size + 1);
	expect_status(&g, 400, path);
	snprintf(path, sizeof(path), "/v1/proof/inclusion?index=%llu",
		(unsigned long long)g.size);
	expect_status(&g, 404, path);
	snprintf(path, sizeof(path), "/v1/entries/%llu",
		(unsigned long long)g.size);
	expect_status(&g, 404, path);
	expect_status(&g, 404, "/v1/entries/99999999999");
	expect_status(&g, 400, "/v1/entries/99999999999999999999999");
	expect_status(&g, 400, "/v1/entries/01");
	expect_status(&g, 400, "/v1/entries/");
	expect_status(&g, 400, "/v1/proof/inclusion?index=5&size=5");
	expect_status(&g, 400, "/v1/proof/inclusion?index=x");
	expect_status(&g, 400, "/v1/proof/inclusion?index=1&size=x");
	expect_status(&g, 400, "/v1/proof/inclusion?index=-1");
	expect_status(&g, 400, "/v1/proof/inclusion?index=1&leaf_hash="
		ZEROS32 ZEROS32);
	expect_status(&g, 400, "/v1/proof/inclusion?leaf_hash=00");
	expect_status(&g, 400, "/v1/proof/inclusion?leaf_hash="
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	expect_status(&g, 404, "/v1/proof/inclusion?leaf_hash="
		ZEROS32 ZEROS32);
	expect_status(&g, 400, "/v1/proof/consistency?old=0");
	expect_status(&g, 400, "/v1/proof/consistency?old=x");
	expect_status(&g, 400, "/v1/proof/consistency");
	expect_status(&g, 400, "/v1/proof/consistency?old=10&size=9");
	{
		/* A leaf that exists, but not in the older tree asked for. */
		char hex[65];

		mlog_codec_hex_encode(hex, g.leaf[g.size - 1], 32);
		snprintf(path, sizeof(path), "/v1/proof/inclusion?leaf_hash=%s"
			"&size=%llu", hex, (unsigned long long)g.size - 1);
		expect_status(&g, 404, path);
	}
	mlog_hash_free(h);
	grown_clear(&g);
}

/* ---- search ------------------------------------------------------------- */

struct searched {
	struct itest_log log;
	struct itest_signer ci, ci2, approver;
};

/* Submits env (taking it) and returns its index. */
static uint64_t add(const struct searched *s, char *env, const size_t *len)
{
	struct itest_http r;
	char url[128];
	uint64_t index;

	snprintf(url, sizeof(url), "%s/v1/entries", s->log.url);
	itest_post(&r, url, env, *len);
	cr_assert_eq(r.status, 201, "%ld %s", r.status, r.body);
	index = itest_check_receipt(&s->log, r.body, env, *len, NULL, NULL);
	itest_http_clear(&r);
	free(env);
	return index;
}

/* The indices a search answers, following "next" through pages of limit
 * (0: one request without limit). Returns the count written to out. */
static size_t search(const struct searched *s, const char *query,
	unsigned limit, uint64_t *out, size_t cap)
{
	size_t n = 0;
	int64_t after = -1;

	for (int pages = 0; pages < 1000; pages++) {
		struct itest_http r;
		json_t *j, *arr, *next;
		char extra[64] = "";

		if (limit > 0)
			snprintf(extra, sizeof(extra), "&limit=%u", limit);
		if (after >= 0)
			snprintf(extra + strlen(extra), sizeof(extra) -
				strlen(extra), "&after=%lld",
				(long long)after);
		itest_getf(&r, "%s/v1/search?%s%s", s->log.url, query, extra);
		cr_assert_eq(r.status, 200, "%s: %ld %s", query, r.status,
			r.body);
		j = itest_json(&r);
		arr = json_object_get(j, "indices");
		next = json_object_get(j, "next");
		cr_assert(json_is_array(arr) && next != NULL, "%s", r.body);
		cr_assert(limit == 0 || json_array_size(arr) <= limit);
		for (size_t i = 0; i < json_array_size(arr); i++) {
			cr_assert_lt(n, cap);
			out[n++] = (uint64_t)json_integer_value(
				json_array_get(arr, i));
		}
		itest_http_clear(&r);
		if (json_is_null(next)) {
			cr_assert(limit == 0 || json_array_size(arr) < limit,
				"%s: a full page without next", query);
			json_decref(j);
			return n;
		}
		cr_assert(json_is_integer(next));
		cr_assert_eq(json_array_size(arr), limit,
			"%s: next on a short page", query);
		cr_assert_eq((uint64_t)json_integer_value(next), out[n - 1]);
		after = json_integer_value(next);
		json_decref(j);
	}
	cr_assert_fail("%s: too many pages", query);
	return 0;
}

static void expect_search(const struct searched *s, const char *query,
	const uint64_t *want, size_t nwant)
{
	uint64_t got[128];
	const unsigned limits[] = { 0, 1, 3, 7, 1000 };

	for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]); l++) {
		size_t n = search(s, query, limits[l], got, 128);

		cr_assert_eq(n, nwant, "%s (limit %u): %zu results, want %zu",
			query, limits[l], n, nwant);
		for (size_t i = 0; i < n; i++)
			cr_assert_eq(got[i], want[i], "%s (limit %u): result "
				"%zu is %llu, want %llu", query, limits[l], i,
				(unsigned long long)got[i],
				(unsigned long long)want[i]);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

Test(read, search_finds_by_every_key_and_pages, .timeout = 120)
{
	struct searched s;
	char flags[3][400], q[256], hex[65];
	const char *extra[] = { "--signer", flags[0], "--signer", flags[1],
		"--signer", flags[2], NULL };
	uint64_t build[35], approval[7], even[35], odd[35], tmp[8];
	size_t neven = 0, nodd = 0;
	size_t len;

	itest_log_init(&s.log, "example.com/search");
	itest_signer_new(&s.ci, s.log.dir, "ci", MLOG_DSSE_ALG_ED25519);
	itest_signer_new(&s.ci2, s.log.dir, "ci2", MLOG_DSSE_ALG_ECDSA_P256);
	itest_signer_new(&s.approver, s.log.dir, "approver",
		MLOG_DSSE_ALG_ED25519);
	itest_signer_flag(flags[0], sizeof(flags[0]), &s.ci, "build");
	itest_signer_flag(flags[1], sizeof(flags[1]), &s.ci2, "build");
	itest_signer_flag(flags[2], sizeof(flags[2]), &s.approver,
		"approval");
	itest_log_start(&s.log, extra);
	/* Builds 3000..3029 share one MRSIGNER, 4000..4004 another; approvals
	 * for 3000..3004 under CHG-1 and 3005..3006 under CHG0030001. */
	for (uint64_t i = 0; i < 35; i++) {
		uint64_t seed = i < 30 ? 3000 + i : 4000 + (i - 30);

		build[i] = add(&s, itest_build_envelope(i % 2 ? &s.ci2 : &s.ci,
			seed, &len), &len);
		if (i % 2 == 0)
			even[neven++] = build[i];
		else
			odd[nodd++] = build[i];
		if (i == 4 || i == 10)
			approval[i == 4 ? 0 : 5] = add(&s,
				itest_approval_envelope(&s.approver, 3000 +
				(i == 4 ? 0 : 5), i == 4 ? "CHG-1"
				: "CHG0030001", &len), &len);
	}
	for (uint64_t i = 1; i < 7; i++) {
		if (i == 5)
			continue;
		approval[i] = add(&s, itest_approval_envelope(&s.approver,
			3000 + i, i < 5 ? "CHG-1" : "CHG0030001", &len), &len);
	}
	/* MRENCLAVE: the build and its approval. */
	itest_mrenclave(hex, 3000);
	snprintf(q, sizeof(q), "mrenclave=%s", hex);
	tmp[0] = build[0];
	tmp[1] = approval[0];
	qsort(tmp, 2, sizeof(tmp[0]), cmp_u64);
	expect_search(&s, q, tmp, 2);
	itest_mrenclave(hex, 4003);
	snprintf(q, sizeof(q), "mrenclave=%s", hex);
	expect_search(&s, q, &build[33], 1);
	/* MRSIGNER: every build of the group, in index order. */
	itest_mrsigner(hex, 3000);
	snprintf(q, sizeof(q), "mrsigner=%s", hex);
	expect_search(&s, q, build, 30);
	itest_mrsigner(hex, 4000);
	snprintf(q, sizeof(q), "mrsigner=%s", hex);
	expect_search(&s, q, &build[30], 5);
	/* Tickets. */
	memcpy(tmp, approval, 5 * sizeof(tmp[0]));
	qsort(tmp, 5, sizeof(tmp[0]), cmp_u64);
	expect_search(&s, "ticket=CHG-1", tmp, 5);
	memcpy(tmp, &approval[5], 2 * sizeof(tmp[0]));
	qsort(tmp, 2, sizeof(tmp[0]), cmp_u64);
	expect_search(&s, "ticket=CHG0030001", tmp, 2);
	expect_search(&s, "ticket=chg-1", NULL, 0);
	/* Digests: a build's subject; an approval's subject (the
	 * MRENCLAVE). */
	itest_subject(hex, 3007);
	snprintf(q, sizeof(q), "digest=sha256:%s", hex);
	expect_search(&s, q, &build[7], 1);
	itest_mrenclave(hex, 3002);
	snprintf(q, sizeof(q), "digest=sha256:%s", hex);
	expect_search(&s, q, &approval[2], 1);
	/* Signers. */
	expect_search(&s, "signer=ci", even, neven);
	expect_search(&s, "signer=ci2", odd, nodd);
	memcpy(tmp, approval, 7 * sizeof(tmp[0]));
	qsort(tmp, 7, sizeof(tmp[0]), cmp_u64);
	expect_search(&s, "signer=approver", tmp, 7);
	expect_search(&s, "signer=stranger", NULL, 0);
	/* after= skips up to and including the index. */
	{
		uint64_t got[64];
		size_t n;

		itest_mrsigner(hex, 3000);
		snprintf(q, sizeof(q), "mrsigner=%s&after=%llu", hex,
			(unsigned long long)build[9]);
		n = search(&s, q, 0, got, 64);
		cr_assert_eq(n, 20);
		cr_assert_eq(got[0], build[10]);
	}
	/* Nothing found. */
	expect_search(&s, "mrenclave=" ZEROS32 ZEROS32, NULL, 0);
	/* Bad parameters. */
	{
		const char *bad[] = {
			"",
			"limit=5",
			"after=1",
			"foo=bar",
			"mrenclave=ABCDEF00000000000000000000000000" ZEROS32,
			"mrenclave=" ZEROS32 ZEROS32 "0",
			"mrenclave=00",
			"mrenclave=",
			"mrsigner=xyz",
			"ticket=",
			"digest=",
			"signer=",
			"ticket=CHG-1&signer=ci",
			"ticket=CHG-1&limit=0",
			"ticket=CHG-1&limit=1001",
			"ticket=CHG-1&limit=x",
			"ticket=CHG-1&limit=-1",
			"ticket=CHG-1&after=x",
			"ticket=CHG-1&after=-1",
			"ticket=CHG-1&after=01",
		};
		char long_ticket[300 + 8];

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct itest_http r;

			itest_getf(&r, "%s/v1/search?%s", s.log.url, bad[i]);
			cr_assert_eq(r.status, 400, "?%s: %ld %s", bad[i],
				r.status, r.body);
			itest_assert_error(&r, 400);
			itest_http_clear(&r);
		}
		memcpy(long_ticket, "ticket=", 7);
		memset(long_ticket + 7, 'a', 300);
		long_ticket[307] = '\0';
		{
			struct itest_http r;

			itest_getf(&r, "%s/v1/search?%s", s.log.url,
				long_ticket);
			itest_assert_error(&r, 400);
			itest_http_clear(&r);
		}
	}
	cr_assert_eq(itest_log_stop(&s.log), 0);
	itest_signer_clear(&s.ci);
	itest_signer_clear(&s.ci2);
	itest_signer_clear(&s.approver);
	itest_log_cleanup(&s.log);
}
