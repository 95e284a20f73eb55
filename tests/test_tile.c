/*
 * test_tile.c — C2SP tlog-tiles paths, inventory, tile contents and the
 * tile-backed hash reader (merkle/tile.c).
 *
 * Known answers: vectors/tiles/paths.txt and the Tessera test log
 * (vectors/tiles/tessera-testdata-log, checkpoints in
 * vectors/checkpoint/tessera-testdata). Self-contained: path tables, round
 * trips, and property tests over an in-memory tree of up to 70,000 leaves
 * whose tiles are read back through the tile-backed reader and compared
 * with mlog_tree_root / mlog_proof_* over the same stored hashes.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proof.h"
#include "tile.h"
#include "tree.h"
#include "support.h"

static void init(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(tile, .init = init);

/* ---- helpers: an in-memory tree --------------------------------------- */

struct mem_tree {
	uint8_t (*h)[MLOG_HASH_BYTES];  /* stored hashes, by stored index */
	uint64_t stored;
	uint64_t leaves;
	unsigned long reads;
};

static int mem_read(void *ctx, const uint64_t *idx, size_t n,
	uint8_t (*out)[MLOG_HASH_BYTES])
{
	struct mem_tree *m = ctx;

	m->reads++;
	cr_assert_leq(n, (size_t)MLOG_TREE_MAX_READ);
	for (size_t i = 0; i < n; i++) {
		if (idx[i] >= m->stored)
			return MLOG_ERR_RANGE;
		memcpy(out[i], m->h[idx[i]], MLOG_HASH_BYTES);
	}
	return MLOG_OK;
}

static struct mlog_hash_reader mem_reader(struct mem_tree *m)
{
	struct mlog_hash_reader r = { mem_read, m };

	return r;
}

/* Leaf i is the leaf hash of "leaf <i>". */
static struct mem_tree *mem_tree_new(uint64_t leaves)
{
	struct mem_tree *m = calloc(1, sizeof(*m));
	struct mlog_hash *h = mlog_hash_new();
	struct mlog_hash_reader r;

	cr_assert_not_null(m);
	cr_assert_not_null(h);
	m->h = malloc(mlog_tree_stored_count(leaves) * MLOG_HASH_BYTES);
	cr_assert_not_null(m->h);
	r = mem_reader(m);
	for (uint64_t i = 0; i < leaves; i++) {
		uint8_t leaf[MLOG_HASH_BYTES];
		uint8_t add[MLOG_TREE_MAX_APPEND][MLOG_HASH_BYTES];
		char text[32];
		size_t n;
		int len = snprintf(text, sizeof(text), "leaf %" PRIu64, i);

		mlog_hash_leaf(h, leaf, text, (size_t)len);
		cr_assert_eq(mlog_tree_append(h, add, &n, i, leaf, &r),
			MLOG_OK);
		memcpy(m->h[m->stored], add, n * MLOG_HASH_BYTES);
		m->stored += n;
	}
	cr_assert_eq(m->stored, mlog_tree_stored_count(leaves));
	m->leaves = leaves;
	mlog_hash_free(h);
	return m;
}

static void mem_tree_free(struct mem_tree *m)
{
	free(m->h);
	free(m);
}

static void mem_root(struct mem_tree *m, uint8_t out[MLOG_HASH_BYTES],
	uint64_t size)
{
	struct mlog_hash *h = mlog_hash_new();
	struct mlog_hash_reader r = mem_reader(m);

	cr_assert_eq(mlog_tree_root(h, out, size, &r), MLOG_OK);
	mlog_hash_free(h);
}

/* ---- helpers: a tile source over the in-memory tree ------------------- */

/* Serves tiles built from the whole tree (a log ahead of the reader's
 * checkpoint), optionally corrupting or failing one tile. */
struct mem_source {
	struct mem_tree *tree;
	uint64_t reader_size;           /* size the reader was made for */
	unsigned long fetches;
	int corrupt;                    /* flip bad_bit of tile bad */
	struct mlog_tile bad;
	size_t bad_byte;
	int fail_rc;                    /* return this for tile bad */
	int short_by;                   /* drop bytes from tile bad */
};

static int same_tile(const struct mlog_tile *a, const struct mlog_tile *b)
{
	return a->level == b->level && a->n == b->n &&
		a->entries == b->entries;
}

static int mem_read_tile(void *ctx, const struct mlog_tile *t, uint8_t *buf,
	size_t *len)
{
	struct mem_source *s = ctx;
	struct mlog_hash_reader r = mem_reader(s->tree);
	struct mlog_tile widest;
	int match = same_tile(t, &s->bad);
	int rc;

	s->fetches++;
	/* The reader asks only for hash tiles of its tree, at the widest
	 * width that tree has (C2SP: no partial tile a checkpoint does not
	 * need). */
	cr_assert_eq(t->entries, 0);
	cr_assert_eq(mlog_tile_at(&widest, t->level, t->n, s->reader_size),
		MLOG_OK);
	cr_assert_eq(widest.width, t->width, "asked for width %u, want %u",
		t->width, widest.width);
	if (match && s->fail_rc != 0)
		return s->fail_rc;
	rc = mlog_tile_build(buf, MLOG_TILE_MAX_BYTES, len, t,
		s->tree->leaves, &r);
	cr_assert_eq(rc, MLOG_OK);
	if (match && s->corrupt && s->bad_byte < *len)
		buf[s->bad_byte] ^= 0x01;
	if (match && s->short_by > 0)
		*len -= (size_t)s->short_by;
	return MLOG_OK;
}

static struct mlog_tile_source mem_source(struct mem_source *s)
{
	struct mlog_tile_source src = { mem_read_tile, s };

	return src;
}

static struct mlog_tile_hash_reader *new_reader(struct mem_source *s,
	uint64_t size)
{
	struct mlog_tile_hash_reader *thr = NULL;
	struct mlog_tile_source src = mem_source(s);
	struct mlog_error err = { 0 };
	uint8_t root[MLOG_HASH_BYTES];

	mem_root(s->tree, root, size);
	s->reader_size = size;
	cr_assert_eq(mlog_tile_hash_reader_new(&thr, size, root, &src, &err),
		MLOG_OK, "size %" PRIu64 ": %s", size, err.msg);
	cr_assert_eq(mlog_tile_hash_reader_size(thr), size);
	return thr;
}

/* Number of tiles (all levels, full and partial) at a tree size. */
static uint64_t tile_count(uint64_t size)
{
	uint64_t total = 0;

	for (int l = 0; l < mlog_tile_levels(size); l++) {
		struct mlog_tile e;

		cr_assert_eq(mlog_tile_edge(&e, l, size), MLOG_OK);
		total += e.n + 1;
	}
	return total;
}

/* ---- paths: known answers --------------------------------------------- */

static void expect_path(const struct mlog_tile *t, const char *want)
{
	char buf[MLOG_TILE_PATH_MAX];
	struct mlog_tile back;
	struct mlog_error err = { 0 };
	int len = mlog_tile_format(buf, sizeof(buf), t);

	cr_assert_eq(len, (int)strlen(want), "%s: got %d", want, len);
	cr_assert_str_eq(buf, want);
	cr_assert_eq(mlog_tile_parse(&back, want, strlen(want), &err),
		MLOG_OK, "%s: %s", want, err.msg);
	cr_assert(back.level == t->level && back.n == t->n &&
		back.width == t->width && back.entries == t->entries, "%s",
		want);
}

static void expect_bad_path(const char *path)
{
	struct mlog_tile t = { 42, 42, 42, 42 };
	struct mlog_error err = { 0 };

	cr_assert_eq(mlog_tile_parse(&t, path, strlen(path), &err),
		MLOG_ERR_MALFORMED, "accepted %s", path);
	cr_assert_eq(err.code, MLOG_ERR_MALFORMED);
	cr_assert_neq(err.msg[0], '\0');
	cr_assert(t.level == 42 && t.n == 42 && t.width == 42 &&
		t.entries == 42, "%s: output written on failure", path);
}

Test(tile, paths_txt_known_answers)
{
	char *text, *line, *save = NULL;
	int n_lines = 0, path_lines = 0, bad_lines = 0;

	TEST_REQUIRE_SHARED();
	text = test_read_shared("vectors/tiles/paths.txt", NULL);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char enc[64], path[128];
		unsigned long long n;

		if (line[0] == '#')
			continue;
		if (sscanf(line, "n %llu %63s", &n, enc) == 2) {
			/* <N> alone, checked as level-0, level-5 and bundle
			 * paths. */
			struct mlog_tile t = { 0, n, 256, 0 };

			snprintf(path, sizeof(path), "tile/0/%s", enc);
			expect_path(&t, path);
			t.level = 5;
			snprintf(path, sizeof(path), "tile/5/%s.p/7", enc);
			t.width = 7;
			expect_path(&t, path);
			t.level = 0;
			t.entries = 1;
			snprintf(path, sizeof(path), "tile/entries/%s.p/255",
				enc);
			t.width = 255;
			expect_path(&t, path);
			n_lines++;
		} else if (strncmp(line, "path ", 5) == 0) {
			struct mlog_tile t;
			struct mlog_error err = { 0 };
			char buf[MLOG_TILE_PATH_MAX];
			const char *p = line + 5;

			cr_assert_eq(mlog_tile_parse(&t, p, strlen(p), &err),
				MLOG_OK, "%s: %s", p, err.msg);
			cr_assert_eq(mlog_tile_format(buf, sizeof(buf), &t),
				(int)strlen(p));
			cr_assert_str_eq(buf, p);
			path_lines++;
		} else if (strncmp(line, "gosumdb ", 8) == 0 ||
			   strncmp(line, "invalid ", 8) == 0) {
			/* Go sumdb paths carry a height element that
			 * tlog-tiles omits; both kinds must be rejected. */
			char *p = strchr(line, ' ') + 1;
			char *sp = strchr(p, ' ');

			if (sp != NULL)
				*sp = '\0';
			expect_bad_path(p);
			bad_lines++;
		} else {
			cr_assert_fail("unknown line in paths.txt: %s", line);
		}
	}
	free(text);
	cr_assert_eq(n_lines, 5);
	cr_assert_eq(path_lines, 4);
	cr_assert_eq(bad_lines, 3);
}

Test(tile, path_specifics)
{
	/* C2SP's own examples, and Go's Tile.Path examples minus H. */
	struct mlog_tile full = { 0, 1234067, 256, 0 };
	struct mlog_tile part = { 0, 1234067, 8, 0 };
	struct mlog_tile lvl4 = { 4, 1234067, 1, 0 };
	struct mlog_tile bundle = { 0, 0, 3, 1 };
	struct mlog_tile big = { 63, MLOG_TILE_MAX_N, 255, 0 };
	struct mlog_tile bigb = { 0, MLOG_TILE_MAX_N, 255, 1 };

	expect_path(&full, "tile/0/x001/x234/067");
	expect_path(&part, "tile/0/x001/x234/067.p/8");
	expect_path(&lvl4, "tile/4/x001/x234/067.p/1");
	expect_path(&bundle, "tile/entries/000.p/3");
	expect_path(&big, "tile/63/x009/x223/x372/x036/x854/x775/807.p/255");
	expect_path(&bigb,
		"tile/entries/x009/x223/x372/x036/x854/x775/807.p/255");
	cr_assert_eq(strlen("tile/entries/x009/x223/x372/x036/x854/x775/"
		"807.p/255") + 1 <= MLOG_TILE_PATH_MAX, 1);
}

/* Valid paths next to near-misses (Go tilePaths style). */
static const struct {
	const char *path;
	int ok;
	int level;
	uint64_t n;
	unsigned width;
	int entries;
} path_table[] = {
	{ "tile/0/000", 1, 0, 0, 256, 0 },
	{ "tile/0/001", 1, 0, 1, 256, 0 },
	{ "tile/0/999", 1, 0, 999, 256, 0 },
	{ "tile/0/x001/000", 1, 0, 1000, 256, 0 },
	{ "tile/0/000.p/1", 1, 0, 0, 1, 0 },
	{ "tile/0/000.p/255", 1, 0, 0, 255, 0 },
	{ "tile/0/000.p/10", 1, 0, 0, 10, 0 },
	{ "tile/9/000", 1, 9, 0, 256, 0 },
	{ "tile/10/000", 1, 10, 0, 256, 0 },
	{ "tile/63/000", 1, 63, 0, 256, 0 },
	{ "tile/2/000.p/1", 1, 2, 0, 1, 0 },
	{ "tile/1/001.p/17", 1, 1, 1, 17, 0 },
	{ "tile/0/273.p/112", 1, 0, 273, 112, 0 },
	{ "tile/entries/000", 1, 0, 0, 256, 1 },
	{ "tile/entries/000.p/3", 1, 0, 0, 3, 1 },
	{ "tile/entries/x001/x234/067", 1, 0, 1234067, 256, 1 },
	{ "tile/0/x009/x223/x372/x036/x854/x775/807", 1, 0,
	  UINT64_C(9223372036854775807), 256, 0 },

	{ "", 0, 0, 0, 0, 0 },
	{ "tile", 0, 0, 0, 0, 0 },
	{ "tile/", 0, 0, 0, 0, 0 },
	{ "tile/0", 0, 0, 0, 0, 0 },
	{ "tile/0/", 0, 0, 0, 0, 0 },
	{ "/tile/0/000", 0, 0, 0, 0, 0 },          /* leading '/' */
	{ "tile/0/000/", 0, 0, 0, 0, 0 },          /* trailing '/' */
	{ "tile/0/000 ", 0, 0, 0, 0, 0 },
	{ "tile/0/000\n", 0, 0, 0, 0, 0 },
	{ "Tile/0/000", 0, 0, 0, 0, 0 },
	{ "tiles/0/000", 0, 0, 0, 0, 0 },
	{ "tile/00/000", 0, 0, 0, 0, 0 },          /* leading zero in L */
	{ "tile/01/000", 0, 0, 0, 0, 0 },
	{ "tile/64/000", 0, 0, 0, 0, 0 },          /* L > 63 */
	{ "tile/99/000", 0, 0, 0, 0, 0 },
	{ "tile/100/000", 0, 0, 0, 0, 0 },
	{ "tile/-1/000", 0, 0, 0, 0, 0 },
	{ "tile/+1/000", 0, 0, 0, 0, 0 },
	{ "tile/data/000", 0, 0, 0, 0, 0 },        /* Go sumdb data tile */
	{ "tile/8/0/000", 0, 0, 0, 0, 0 },         /* Go sumdb height */
	{ "tile/3/5/123/456/078", 0, 0, 0, 0, 0 },
	{ "tile/0/00", 0, 0, 0, 0, 0 },
	{ "tile/0/0", 0, 0, 0, 0, 0 },
	{ "tile/0/0000", 0, 0, 0, 0, 0 },
	{ "tile/0/1000", 0, 0, 0, 0, 0 },
	{ "tile/0/x001", 0, 0, 0, 0, 0 },          /* x on the last group */
	{ "tile/0/x000/001", 0, 0, 0, 0, 0 },      /* zero leading group */
	{ "tile/0/x001/x000", 0, 0, 0, 0, 0 },
	{ "tile/0/x01/000", 0, 0, 0, 0, 0 },
	{ "tile/0/x0001/000", 0, 0, 0, 0, 0 },
	{ "tile/0/xx001/000", 0, 0, 0, 0, 0 },
	{ "tile/0/001/000", 0, 0, 0, 0, 0 },       /* missing x */
	{ "tile/0/x001//000", 0, 0, 0, 0, 0 },
	{ "tile/0/X001/000", 0, 0, 0, 0, 0 },
	{ "tile/0/00a", 0, 0, 0, 0, 0 },
	{ "tile/0/000.p/0", 0, 0, 0, 0, 0 },       /* W = 0 */
	{ "tile/0/000.p/256", 0, 0, 0, 0, 0 },     /* W = 256 is full */
	{ "tile/0/000.p/999", 0, 0, 0, 0, 0 },
	{ "tile/0/000.p/1000", 0, 0, 0, 0, 0 },
	{ "tile/0/000.p/08", 0, 0, 0, 0, 0 },      /* leading zero in W */
	{ "tile/0/000.p/", 0, 0, 0, 0, 0 },
	{ "tile/0/000.p", 0, 0, 0, 0, 0 },
	{ "tile/0/000.q/8", 0, 0, 0, 0, 0 },
	{ "tile/0/000.p/8/", 0, 0, 0, 0, 0 },
	{ "tile/0/000.p/8x", 0, 0, 0, 0, 0 },
	{ "tile/0/000.p/-8", 0, 0, 0, 0, 0 },
	{ "tile/0/x001.p/8", 0, 0, 0, 0, 0 },
	{ "tile/0/x001/234.p/8.p/8", 0, 0, 0, 0, 0 },
	{ "tile/entries/", 0, 0, 0, 0, 0 },
	{ "tile/entries/000.p/0", 0, 0, 0, 0, 0 },
	{ "tile/entries/000.p/256", 0, 0, 0, 0, 0 },
	{ "tile/entries/entries/000", 0, 0, 0, 0, 0 },
	{ "tile/entry/000", 0, 0, 0, 0, 0 },
	{ "tile/entries000", 0, 0, 0, 0, 0 },
	{ "tile/0/x009/x223/x372/x036/x854/x775/808", 0, 0, 0, 0, 0 },
	{ "tile/0/x999/x999/x999/x999/x999/x999/x999/999", 0, 0, 0, 0, 0 },
};

Test(tile, path_table)
{
	for (size_t i = 0; i < sizeof(path_table) / sizeof(path_table[0]);
	     i++) {
		const char *p = path_table[i].path;

		if (path_table[i].ok) {
			struct mlog_tile t = {
				path_table[i].level, path_table[i].n,
				path_table[i].width, path_table[i].entries,
			};

			expect_path(&t, p);
		} else {
			expect_bad_path(p);
		}
	}
}

Test(tile, parse_ignores_bytes_past_len_and_caps_length)
{
	struct mlog_tile t;
	char longp[200];

	/* Only path[0..len) is read. */
	cr_assert_eq(mlog_tile_parse(&t, "tile/0/001XYZ", 10, NULL), MLOG_OK);
	cr_assert_eq(t.n, 1);
	cr_assert_eq(mlog_tile_parse(&t, "tile/0/001", 9, NULL),
		MLOG_ERR_MALFORMED);
	/* An embedded NUL is just a bad byte. */
	cr_assert_eq(mlog_tile_parse(&t, "tile/0/0\0001", 10, NULL),
		MLOG_ERR_MALFORMED);
	memset(longp, '0', sizeof(longp));
	memcpy(longp, "tile/0/", 7);
	cr_assert_eq(mlog_tile_parse(&t, longp, sizeof(longp), NULL),
		MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_tile_parse(&t, longp, MLOG_TILE_PATH_MAX, NULL),
		MLOG_ERR_MALFORMED);
}

Test(tile, format_round_trips_many_n)
{
	static const uint64_t ns[] = {
		0, 1, 2, 9, 10, 99, 100, 101, 999, 1000, 1001, 9999, 10000,
		65535, 65536, 999999, 1000000, 1000001, 1234067, 3057500,
		123456078, UINT64_C(1) << 32, UINT64_C(1) << 40,
		UINT64_C(1) << 53, (UINT64_C(1) << 54) - 1,
		UINT64_C(999999999999999999), UINT64_C(1000000000000000000),
		MLOG_TILE_MAX_N - 1, MLOG_TILE_MAX_N,
	};
	static const int levels[] = { 0, 1, 2, 7, 8, 9, 10, 62, 63 };
	static const unsigned widths[] = { 1, 2, 9, 10, 99, 100, 127, 255,
		256 };
	int checked = 0;

	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
	for (size_t j = 0; j < sizeof(levels) / sizeof(levels[0]); j++)
	for (size_t k = 0; k < sizeof(widths) / sizeof(widths[0]); k++)
	for (int e = 0; e < 2; e++) {
		struct mlog_tile t = { e ? 0 : levels[j], ns[i], widths[k], e };
		struct mlog_tile back;
		char buf[MLOG_TILE_PATH_MAX];
		int len = mlog_tile_format(buf, sizeof(buf), &t);
		const char *p;
		uint64_t v = 0;

		cr_assert_gt(len, 0);
		cr_assert_eq(mlog_tile_parse(&back, buf, (size_t)len, NULL),
			MLOG_OK, "%s", buf);
		cr_assert(back.level == t.level && back.n == t.n &&
			back.width == t.width && back.entries == t.entries,
			"%s", buf);
		/* Independently decode <N>: drop 'x' and '/', read the
		 * digits. */
		p = buf + (e ? strlen("tile/entries/") :
			(size_t)(strchr(buf + 5, '/') - buf) + 1);
		for (; *p != '\0' && *p != '.'; p++) {
			if (*p >= '0' && *p <= '9')
				v = v * 10 + (uint64_t)(*p - '0');
		}
		cr_assert_eq(v, ns[i], "%s", buf);
		cr_assert_eq(strstr(buf, ".p/") != NULL, widths[k] < 256);
		checked++;
	}
	cr_assert_eq(checked, 29 * 9 * 9 * 2);
	{
		struct mlog_tile t = { 0, UINT64_C(1) << 40, 256, 0 };

		expect_path(&t, "tile/0/x001/x099/x511/x627/776");
	}
}

Test(tile, format_rejects_invalid_tiles_and_small_buffers)
{
	static const struct mlog_tile bad[] = {
		{ -1, 0, 256, 0 }, { 64, 0, 256, 0 }, { 0, 0, 0, 0 },
		{ 0, 0, 257, 0 }, { 0, MLOG_TILE_MAX_N + 1, 256, 0 },
		{ 1, 0, 256, 1 }, { 0, 0, 256, 2 }, { 0, 0, 256, -1 },
	};
	struct mlog_tile ok = { 0, 1234067, 8, 0 };
	char buf[MLOG_TILE_PATH_MAX];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(buf, 'Z', sizeof(buf));
		cr_assert_eq(mlog_tile_format(buf, sizeof(buf), &bad[i]),
			MLOG_ERR_RANGE, "bad[%zu]", i);
		cr_assert_eq(buf[0], 'Z');
		cr_assert_eq(mlog_tile_exists(&bad[i], UINT64_MAX), 0);
	}
	/* "tile/0/x001/x234/067.p/8" is 24 bytes; the NUL needs a 25th. */
	memset(buf, 'Z', sizeof(buf));
	cr_assert_eq(mlog_tile_format(buf, 24, &ok), MLOG_ERR_TOOBIG);
	cr_assert_eq(buf[0], 'Z');
	cr_assert_eq(mlog_tile_format(buf, 25, &ok), 24);
	cr_assert_str_eq(buf, "tile/0/x001/x234/067.p/8");
}

/* ---- inventory -------------------------------------------------------- */

static void expect_edge(uint64_t size, int level, uint64_t n, unsigned w,
	const char *path)
{
	struct mlog_tile t;
	char buf[MLOG_TILE_PATH_MAX];

	cr_assert_eq(mlog_tile_edge(&t, level, size), MLOG_OK);
	cr_assert_eq(t.n, n, "size %" PRIu64 " level %d", size, level);
	cr_assert_eq(t.width, w, "size %" PRIu64 " level %d", size, level);
	cr_assert_eq(mlog_tile_format(buf, sizeof(buf), &t),
		(int)strlen(path));
	cr_assert_str_eq(buf, path);
	cr_assert(mlog_tile_exists(&t, size));
	t.width++;
	cr_assert(t.width > 256 || !mlog_tile_exists(&t, size));
}

Test(tile, inventory_c2sp_examples)
{
	struct mlog_tile t;

	/* Size 70000: tile/0/000..272 full, tile/0/273.p/112; tile/1/000,
	 * tile/1/001.p/17; tile/2/000.p/1 (C2SP tlog-tiles). */
	cr_assert_eq(mlog_tile_levels(70000), 3);
	expect_edge(70000, 0, 273, 112, "tile/0/273.p/112");
	expect_edge(70000, 1, 1, 17, "tile/1/001.p/17");
	expect_edge(70000, 2, 0, 1, "tile/2/000.p/1");
	cr_assert_eq(mlog_tile_edge(&t, 3, 70000), MLOG_ERR_NOTFOUND);
	for (uint64_t n = 0; n < 273; n++) {
		cr_assert_eq(mlog_tile_at(&t, 0, n, 70000), MLOG_OK);
		cr_assert_eq(t.width, 256);
	}
	cr_assert_eq(mlog_tile_at(&t, 0, 274, 70000), MLOG_ERR_NOTFOUND);
	cr_assert_eq(mlog_tile_at(&t, 1, 0, 70000), MLOG_OK);
	cr_assert_eq(t.width, 256);
	cr_assert_eq(mlog_tile_at(&t, 1, 2, 70000), MLOG_ERR_NOTFOUND);
	cr_assert_eq(mlog_tile_at(&t, 2, 1, 70000), MLOG_ERR_NOTFOUND);
	cr_assert_eq(tile_count(70000), 273 + 1 + 2 + 1);

	/* Size 256: full tile/0/000 and tile/1/000.p/1. */
	cr_assert_eq(mlog_tile_levels(256), 2);
	expect_edge(256, 0, 0, 256, "tile/0/000");
	expect_edge(256, 1, 0, 1, "tile/1/000.p/1");

	/* Size 65536: 256 full level-0 tiles, tile/1/000, tile/2/000.p/1. */
	cr_assert_eq(mlog_tile_levels(65536), 3);
	expect_edge(65536, 0, 255, 256, "tile/0/255");
	expect_edge(65536, 1, 0, 256, "tile/1/000");
	expect_edge(65536, 2, 0, 1, "tile/2/000.p/1");

	/* Small and empty trees. */
	cr_assert_eq(mlog_tile_levels(0), 0);
	cr_assert_eq(mlog_tile_edge(&t, 0, 0), MLOG_ERR_NOTFOUND);
	cr_assert_eq(mlog_tile_levels(1), 1);
	expect_edge(1, 0, 0, 1, "tile/0/000.p/1");
	expect_edge(255, 0, 0, 255, "tile/0/000.p/255");
	expect_edge(257, 0, 1, 1, "tile/0/001.p/1");

	/* Largest trees: 2^62 leaves reach level 7 (256^7 = 2^56). */
	cr_assert_eq(mlog_tile_levels(MLOG_TREE_MAX_SIZE), 8);
	expect_edge(MLOG_TREE_MAX_SIZE, 7, 0, 64, "tile/7/000.p/64");
	cr_assert_eq(mlog_tile_levels(UINT64_MAX), 8);
	cr_assert_eq(mlog_tile_at(&t, 8, 0, UINT64_MAX), MLOG_ERR_NOTFOUND);
	cr_assert_eq(mlog_tile_at(&t, 63, 0, UINT64_MAX), MLOG_ERR_NOTFOUND);
	cr_assert_eq(mlog_tile_at(&t, 64, 0, UINT64_MAX), MLOG_ERR_NOTFOUND);
	cr_assert_eq(mlog_tile_at(&t, -1, 0, UINT64_MAX), MLOG_ERR_NOTFOUND);

	/* Bundles exist exactly where level-0 tiles do. */
	{
		struct mlog_tile b = { 0, 273, 112, 1 };

		cr_assert(mlog_tile_exists(&b, 70000));
		b.width = 113;
		cr_assert(!mlog_tile_exists(&b, 70000));
		b.width = 256;
		b.n = 272;
		cr_assert(mlog_tile_exists(&b, 70000));
	}
}

/* Tile (L, N, W) exists at size s iff its last node (8L, N*256+W-1) has
 * been stored by then: checked against tree.h's independent index math
 * for every small size and a spread of large ones. */
static void check_inventory_at(uint64_t size)
{
	int levels = mlog_tile_levels(size);

	for (int l = 0; l < MLOG_TILE_MAX_LEVELS; l++) {
		struct mlog_tile first = { l, 0, 1, 0 };
		struct mlog_tile e;
		int has = mlog_tile_edge(&e, l, size) == MLOG_OK;

		cr_assert_eq(has, l < levels);
		cr_assert_eq(mlog_tile_exists(&first, size), has);
		if (!has)
			continue;
		for (uint64_t n = e.n > 2 ? e.n - 2 : 0; n <= e.n + 1; n++)
		for (unsigned w = 1; w <= 256; w++) {
			struct mlog_tile t = { l, n, w, 0 };
			uint64_t last = n * 256 + w - 1;
			/* Nodes beyond MLOG_TREE_MAX_SIZE have no stored
			 * index (and no tile). */
			int want = last < (MLOG_TREE_MAX_SIZE >> (8 * l)) &&
				mlog_tree_stored_index(8 * l, last) <
				mlog_tree_stored_count(size);
			struct mlog_tile at;

			cr_assert_eq(mlog_tile_exists(&t, size), want,
				"size %" PRIu64 " tile %d/%" PRIu64 "/%u",
				size, l, n, w);
			if (w == 1)
				cr_assert_eq(mlog_tile_at(&at, l, n, size) ==
					MLOG_OK, want);
			if (want) {
				cr_assert_eq(mlog_tile_at(&at, l, n, size),
					MLOG_OK);
				cr_assert_geq(at.width, w);
				/* Existence only grows with the tree. */
				cr_assert(mlog_tile_exists(&t, size + 1));
			}
		}
	}
}

Test(tile, inventory_matches_stored_hash_math)
{
	static const uint64_t big[] = {
		65535, 65536, 65537, 70000, 16777215, 16777216, 16777217,
		UINT64_C(1234567890123), (UINT64_C(1) << 56) - 1,
		UINT64_C(1) << 56, (UINT64_C(1) << 56) + 1,
		MLOG_TREE_MAX_SIZE - 1,
	};

	for (uint64_t s = 0; s <= 1200; s++)
		check_inventory_at(s);
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++)
		check_inventory_at(big[i]);
}

/* ---- nodes in tiles --------------------------------------------------- */

Test(tile, for_node_known_answers)
{
	static const struct {
		int level;
		uint64_t n;
		int tl;
		uint64_t tn;
		unsigned first, count;
	} cases[] = {
		{ 0, 0, 0, 0, 0, 1 },
		{ 0, 255, 0, 0, 255, 1 },
		{ 0, 256, 0, 1, 0, 1 },
		{ 3, 5, 0, 0, 40, 8 },
		{ 7, 0, 0, 0, 0, 128 },
		{ 7, 1, 0, 0, 128, 128 },
		{ 7, 2, 0, 1, 0, 128 },
		{ 8, 0, 1, 0, 0, 1 },
		{ 10, 3, 1, 0, 12, 4 },
		{ 15, 3, 1, 1, 128, 128 },
		{ 16, 1, 2, 0, 1, 1 },
		{ 56, 63, 7, 0, 63, 1 },
		{ 62, 0, 7, 0, 0, 64 },
	};
	struct mlog_tile t;
	unsigned first, count;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(mlog_tile_for_node(&t, &first, &count,
			cases[i].level, cases[i].n), MLOG_OK);
		cr_assert_eq(t.level, cases[i].tl, "case %zu", i);
		cr_assert_eq(t.n, cases[i].tn, "case %zu", i);
		cr_assert_eq(first, cases[i].first, "case %zu", i);
		cr_assert_eq(count, cases[i].count, "case %zu", i);
		cr_assert_eq(t.width, first + count);
		cr_assert_eq(t.entries, 0);
	}
	/* Outside MLOG_TREE_MAX_SIZE. */
	cr_assert_eq(mlog_tile_for_node(&t, &first, &count, 63, 0),
		MLOG_ERR_RANGE);
	cr_assert_eq(mlog_tile_for_node(&t, &first, &count, 62, 1),
		MLOG_ERR_RANGE);
	cr_assert_eq(mlog_tile_for_node(&t, &first, &count, 0,
		MLOG_TREE_MAX_SIZE), MLOG_ERR_RANGE);
	cr_assert_eq(mlog_tile_for_node(&t, &first, &count, -1, 0),
		MLOG_ERR_RANGE);
	cr_assert_eq(mlog_tile_for_node(&t, &first, &count, 0,
		MLOG_TREE_MAX_SIZE - 1), MLOG_OK);
	cr_assert_eq(mlog_tile_for_index(&t, &first, &count,
		mlog_tree_stored_count(MLOG_TREE_MAX_SIZE)), MLOG_ERR_RANGE);
	cr_assert_eq(mlog_tile_for_index(&t, &first, &count, UINT64_MAX),
		MLOG_ERR_RANGE);
}

/* Every node of a 2000-leaf tree read out of its tiles (built from the
 * stored hashes) equals the stored hash. */
Test(tile, node_hash_from_built_tiles)
{
	struct mem_tree *m = mem_tree_new(2000);
	struct mlog_hash_reader r = mem_reader(m);
	struct mlog_hash *h = mlog_hash_new();
	uint8_t *data = malloc(MLOG_TILE_MAX_BYTES);
	uint64_t checked = 0;

	for (uint64_t x = 0; x < m->stored; x++) {
		struct mlog_tile t, ti, wide;
		unsigned first, count, fi, ci;
		uint8_t got[MLOG_HASH_BYTES];
		size_t len = 0;
		int level;
		uint64_t n;

		mlog_tree_split_index(x, &level, &n);
		cr_assert_eq(mlog_tile_for_node(&t, &first, &count, level, n),
			MLOG_OK);
		cr_assert_eq(mlog_tile_for_index(&ti, &fi, &ci, x), MLOG_OK);
		cr_assert(same_tile(&t, &ti) && t.width == ti.width &&
			fi == first && ci == count);
		/* The narrowest tile holding the node exists at the size
		 * that completes the node. */
		cr_assert(mlog_tile_exists(&t, (n + 1) << level));
		/* Read it from the narrowest and from the widest tile. */
		cr_assert_eq(mlog_tile_build(data, MLOG_TILE_MAX_BYTES, &len,
			&t, m->leaves, &r), MLOG_OK);
		cr_assert_eq(mlog_tile_node_hash(h, got, &t, data, len, level,
			n), MLOG_OK);
		cr_assert_arr_eq(got, m->h[x], MLOG_HASH_BYTES, "index %"
			PRIu64, x);
		cr_assert_eq(mlog_tile_at(&wide, t.level, t.n, m->leaves),
			MLOG_OK);
		cr_assert_eq(mlog_tile_build(data, MLOG_TILE_MAX_BYTES, &len,
			&wide, m->leaves, &r), MLOG_OK);
		cr_assert_eq(mlog_tile_node_hash(h, got, &wide, data, len,
			level, n), MLOG_OK);
		cr_assert_arr_eq(got, m->h[x], MLOG_HASH_BYTES);
		/* One entry narrower no longer holds it. */
		if (t.width > 1) {
			t.width--;
			cr_assert_eq(mlog_tile_node_hash(h, got, &t, data,
				(size_t)t.width * 32, level, n),
				MLOG_ERR_RANGE);
		}
		checked++;
	}
	cr_assert_eq(checked, mlog_tree_stored_count(2000));
	free(data);
	mlog_hash_free(h);
	mem_tree_free(m);
}

/* Mid hashes are the stored nodes four levels up inside each tile, and a
 * node read with any prefix of them equals the stored hash; a corrupted mid
 * hash changes exactly the nodes above it (so the mid hashes are used). */
Test(tile, node_hash_with_mid_hashes)
{
	struct mem_tree *m = mem_tree_new(2000);
	struct mlog_hash_reader r = mem_reader(m);
	struct mlog_hash *h = mlog_hash_new();
	uint8_t *data = malloc(MLOG_TILE_MAX_BYTES);
	uint8_t mid[MLOG_TILE_MID_MAX][MLOG_HASH_BYTES];
	uint64_t checked = 0, used = 0;

	for (uint64_t x = 0; x < m->stored; x++) {
		struct mlog_tile t, wide;
		unsigned first, count, nmid;
		uint8_t got[MLOG_HASH_BYTES];
		size_t len = 0;
		int level;
		uint64_t n;

		mlog_tree_split_index(x, &level, &n);
		cr_assert_eq(mlog_tile_for_node(&t, &first, &count, level, n),
			MLOG_OK);
		cr_assert_eq(mlog_tile_at(&wide, t.level, t.n, m->leaves),
			MLOG_OK);
		cr_assert_eq(mlog_tile_build(data, MLOG_TILE_MAX_BYTES, &len,
			&wide, m->leaves, &r), MLOG_OK);
		nmid = mlog_tile_mid_hashes(h, mid, data, wide.width);
		cr_assert_eq(nmid, wide.width / 16);
		for (unsigned k = 0; k < nmid; k++)
			cr_assert_arr_eq(mid[k], m->h[mlog_tree_stored_index(
				8 * t.level + 4, t.n * 16 + k)], 32);
		for (unsigned use = 0; use <= nmid; use++) {
			cr_assert_eq(mlog_tile_node_hash_mid(h, got, &wide, data,
				len, (const uint8_t (*)[32])mid, use, level, n),
				MLOG_OK);
			cr_assert_arr_eq(got, m->h[x], MLOG_HASH_BYTES,
				"index %" PRIu64 " with %u mid hashes", x, use);
		}
		if (count >= 16 && (first + count) / 16 <= nmid) {
			mid[first / 16][0] ^= 1;
			cr_assert_eq(mlog_tile_node_hash_mid(h, got, &wide, data,
				len, (const uint8_t (*)[32])mid, nmid, level, n),
				MLOG_OK);
			cr_assert_arr_neq(got, m->h[x], MLOG_HASH_BYTES);
			used++;
		} else if (nmid > 0) {
			/* Below the mid level the entries are read. */
			memset(mid, 0, sizeof(mid));
			cr_assert_eq(mlog_tile_node_hash_mid(h, got, &wide, data,
				len, (const uint8_t (*)[32])mid, nmid, level, n),
				MLOG_OK);
			cr_assert_arr_eq(got, m->h[x], MLOG_HASH_BYTES);
		}
		checked++;
	}
	cr_assert_eq(checked, mlog_tree_stored_count(2000));
	cr_assert_gt(used, 100);
	cr_assert_eq(mlog_tile_node_hash_mid(h, mid[0], &(struct mlog_tile){
		0, 0, 256, 0 }, data, MLOG_TILE_MAX_BYTES,
		(const uint8_t (*)[32])mid, 17, 0, 0), MLOG_ERR_MALFORMED);
	free(data);
	mlog_hash_free(h);
	mem_tree_free(m);
}

Test(tile, node_hash_rejects_wrong_tile_and_length)
{
	struct mlog_hash *h = mlog_hash_new();
	static uint8_t data[MLOG_TILE_MAX_BYTES];
	uint8_t out[MLOG_HASH_BYTES], before[MLOG_HASH_BYTES];
	struct mlog_tile t0 = { 0, 0, 256, 0 };
	struct mlog_tile t1 = { 0, 1, 256, 0 };
	struct mlog_tile l1 = { 1, 0, 256, 0 };
	struct mlog_tile b0 = { 0, 0, 256, 1 };
	struct mlog_tile bad = { 0, 0, 0, 0 };

	memset(out, 0xAB, sizeof(out));
	memcpy(before, out, sizeof(out));
	cr_assert_eq(mlog_tile_node_hash(h, out, &t1, data, sizeof(data), 0,
		5), MLOG_ERR_RANGE);
	cr_assert_eq(mlog_tile_node_hash(h, out, &l1, data, sizeof(data), 0,
		5), MLOG_ERR_RANGE);
	cr_assert_eq(mlog_tile_node_hash(h, out, &b0, data, sizeof(data), 0,
		5), MLOG_ERR_RANGE);
	cr_assert_eq(mlog_tile_node_hash(h, out, &bad, data, 0, 0, 0),
		MLOG_ERR_RANGE);
	cr_assert_eq(mlog_tile_node_hash(h, out, &t0, data, sizeof(data), 8,
		0), MLOG_ERR_RANGE);
	cr_assert_eq(mlog_tile_node_hash(h, out, &t0, data, sizeof(data) - 1,
		0, 5), MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_tile_node_hash(h, out, &t0, data, sizeof(data) + 32,
		0, 5), MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_tile_node_hash(h, out, &t0, data, sizeof(data), 63,
		0), MLOG_ERR_RANGE);
	cr_assert_arr_eq(out, before, sizeof(out));
	cr_assert_eq(mlog_tile_node_hash(h, out, &t0, data, sizeof(data), 0,
		5), MLOG_OK);
	cr_assert_arr_eq(out, data + 5 * 32, 32);
	mlog_hash_free(h);
}

/* ---- tiles from stored hashes ----------------------------------------- */

Test(tile, build_lists_stored_hashes)
{
	struct mem_tree *m = mem_tree_new(70000);
	struct mlog_hash_reader r = mem_reader(m);
	static const uint64_t sizes[] = { 1, 255, 256, 257, 65535, 65536,
		65537, 70000 };
	uint8_t *data = malloc(MLOG_TILE_MAX_BYTES);
	uint8_t *wide = malloc(MLOG_TILE_MAX_BYTES);

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
	for (int l = 0; l < mlog_tile_levels(sizes[s]); l++) {
		struct mlog_tile e;

		cr_assert_eq(mlog_tile_edge(&e, l, sizes[s]), MLOG_OK);
		/* The edge tile, the tile before it, and tile 0. */
		uint64_t ns[3] = { e.n, e.n > 0 ? e.n - 1 : 0, 0 };

		for (int k = 0; k < 3; k++) {
			uint64_t n = ns[k];
			struct mlog_tile t, w;
			size_t len = 0, wlen = 0;

			cr_assert_eq(mlog_tile_at(&t, l, n, sizes[s]),
				MLOG_OK);
			cr_assert_eq(mlog_tile_build(data, MLOG_TILE_MAX_BYTES,
				&len, &t, sizes[s], &r), MLOG_OK);
			cr_assert_eq(len, (size_t)t.width * 32);
			for (unsigned i = 0; i < t.width; i++)
				cr_assert_arr_eq(data + 32 * i,
					m->h[mlog_tree_stored_index(8 * l,
					n * 256 + i)], 32);
			/* A tile at an older size is a prefix of the same
			 * tile at the newest size. */
			cr_assert_eq(mlog_tile_at(&w, l, n, m->leaves),
				MLOG_OK);
			cr_assert_eq(mlog_tile_build(wide, MLOG_TILE_MAX_BYTES,
				&wlen, &w, m->leaves, &r), MLOG_OK);
			cr_assert_geq(wlen, len);
			cr_assert_arr_eq(wide, data, len);
		}
	}
	free(wide);
	free(data);
	mem_tree_free(m);
}

static int failing_read(void *ctx, const uint64_t *idx, size_t n,
	uint8_t (*out)[MLOG_HASH_BYTES])
{
	(void)ctx;
	(void)idx;
	(void)n;
	(void)out;
	return MLOG_ERR_DB;
}

Test(tile, build_errors)
{
	struct mem_tree *m = mem_tree_new(300);
	struct mlog_hash_reader r = mem_reader(m);
	struct mlog_hash_reader fail = { failing_read, NULL };
	uint8_t *data = malloc(MLOG_TILE_MAX_BYTES);
	struct mlog_tile full = { 0, 0, 256, 0 };
	struct mlog_tile part = { 0, 1, 44, 0 };
	struct mlog_tile beyond = { 0, 1, 45, 0 };
	struct mlog_tile bundle = { 0, 0, 256, 1 };
	struct mlog_tile lvl1 = { 1, 0, 1, 0 };
	struct mlog_tile invalid = { 0, 0, 0, 0 };
	size_t len = 12345;

	memset(data, 0x5A, MLOG_TILE_MAX_BYTES);
	cr_assert_eq(mlog_tile_build(data, MLOG_TILE_MAX_BYTES, &len, &beyond,
		300, &r), MLOG_ERR_NOTFOUND);
	cr_assert_eq(mlog_tile_build(data, MLOG_TILE_MAX_BYTES, &len, &full,
		255, &r), MLOG_ERR_NOTFOUND);
	cr_assert_eq(mlog_tile_build(data, MLOG_TILE_MAX_BYTES, &len, &bundle,
		300, &r), MLOG_ERR_RANGE);
	cr_assert_eq(mlog_tile_build(data, MLOG_TILE_MAX_BYTES, &len,
		&invalid, 300, &r), MLOG_ERR_RANGE);
	cr_assert_eq(mlog_tile_build(data, MLOG_TILE_MAX_BYTES, &len, &full,
		MLOG_TREE_MAX_SIZE + 1, &r), MLOG_ERR_RANGE);
	cr_assert_eq(mlog_tile_build(data, 44 * 32 - 1, &len, &part, 300, &r),
		MLOG_ERR_TOOBIG);
	cr_assert_eq(mlog_tile_build(data, MLOG_TILE_MAX_BYTES, &len, &full,
		300, &fail), MLOG_ERR_DB);
	cr_assert_eq(len, 12345);
	for (size_t i = 0; i < MLOG_TILE_MAX_BYTES; i++)
		cr_assert_eq(data[i], 0x5A);
	cr_assert_eq(mlog_tile_build(data, 44 * 32, &len, &part, 300, &r),
		MLOG_OK);
	cr_assert_eq(len, 44 * 32);
	cr_assert_eq(mlog_tile_build(data, MLOG_TILE_MAX_BYTES, &len, &lvl1,
		300, &r), MLOG_OK);
	cr_assert_arr_eq(data, m->h[mlog_tree_stored_index(8, 0)], 32);
	/* A full tile takes two reads of at most MLOG_TREE_MAX_READ. */
	m->reads = 0;
	cr_assert_eq(mlog_tile_build(data, MLOG_TILE_MAX_BYTES, &len, &full,
		300, &r), MLOG_OK);
	cr_assert_eq(m->reads, 2);
	free(data);
	mem_tree_free(m);
}

/* ---- the tile-backed reader ------------------------------------------- */

static void read_all_and_compare(struct mlog_tile_hash_reader *thr,
	struct mem_tree *m, uint64_t size)
{
	const struct mlog_hash_reader *r = mlog_tile_hash_reader_hashes(thr);
	uint64_t stored = mlog_tree_stored_count(size);
	uint64_t idx[MLOG_TREE_MAX_READ];
	uint8_t out[MLOG_TREE_MAX_READ][MLOG_HASH_BYTES];

	for (uint64_t x = 0; x < stored; x += MLOG_TREE_MAX_READ) {
		size_t n = stored - x < MLOG_TREE_MAX_READ ?
			(size_t)(stored - x) : MLOG_TREE_MAX_READ;

		for (size_t i = 0; i < n; i++)
			idx[i] = x + i;
		cr_assert_eq(r->read(r->ctx, idx, n, out), MLOG_OK,
			"size %" PRIu64 " at %" PRIu64 ": %s", size, x,
			mlog_tile_hash_reader_last_error(thr));
		for (size_t i = 0; i < n; i++)
			cr_assert_arr_eq(out[i], m->h[x + i], MLOG_HASH_BYTES,
				"size %" PRIu64 " index %" PRIu64, size,
				x + i);
	}
	/* Nothing beyond the tree, even though the source has it. */
	idx[0] = stored;
	cr_assert_eq(r->read(r->ctx, idx, 1, out), MLOG_ERR_RANGE);
	cr_assert_neq(mlog_tile_hash_reader_last_error(thr)[0], '\0');
}

Test(tile, reader_serves_every_stored_hash, .timeout = 120)
{
	static const uint64_t sizes[] = { 1, 2, 3, 7, 255, 256, 257, 511,
		512, 513, 1000, 65535, 65536, 65537, 70000 };
	struct mem_tree *m = mem_tree_new(70000);

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct mem_source s = { .tree = m };
		struct mlog_tile_hash_reader *thr = new_reader(&s, sizes[i]);

		/* Creation fetches one partial tile per level at most. */
		cr_assert_leq(s.fetches, (unsigned long)
			mlog_tile_levels(sizes[i]));
		s.fetches = 0;
		read_all_and_compare(thr, m, sizes[i]);
		/* Reading in stored-index order fetches each full tile
		 * about once (the one-slot-per-level cache may refetch a
		 * parent when moving on to the next child). */
		cr_assert_leq(s.fetches, 2 * tile_count(sizes[i]),
			"size %" PRIu64 ": %lu fetches for %" PRIu64 " tiles",
			sizes[i], s.fetches, tile_count(sizes[i]));
		mlog_tile_hash_reader_free(thr);
	}
	mem_tree_free(m);
}

Test(tile, reader_exhaustive_small_trees, .timeout = 120)
{
	struct mem_tree *m = mem_tree_new(600);

	for (uint64_t size = 0; size <= 600; size++) {
		struct mem_source s = { .tree = m };
		struct mlog_tile_hash_reader *thr = new_reader(&s, size);

		read_all_and_compare(thr, m, size);
		mlog_tile_hash_reader_free(thr);
	}
	mem_tree_free(m);
}

static void compare_proofs(struct mem_tree *m,
	struct mlog_tile_hash_reader *thr, uint64_t size,
	const uint64_t *leaves, size_t nleaves, const uint64_t *olds,
	size_t nolds)
{
	const struct mlog_hash_reader *tr = mlog_tile_hash_reader_hashes(thr);
	struct mlog_hash_reader mr = mem_reader(m);
	struct mlog_hash *h = mlog_hash_new();
	uint8_t root[32], root2[32];
	uint8_t p1[MLOG_PROOF_MAX][32], p2[MLOG_PROOF_MAX][32];
	size_t n1, n2;

	cr_assert_eq(mlog_tree_root(h, root, size, tr), MLOG_OK);
	cr_assert_eq(mlog_tree_root(h, root2, size, &mr), MLOG_OK);
	cr_assert_arr_eq(root, root2, 32);
	for (size_t i = 0; i < nleaves; i++) {
		uint64_t leaf = leaves[i];
		uint8_t lh[32];

		if (leaf >= size)
			continue;
		cr_assert_eq(mlog_proof_prove_inclusion(h, p1, &n1, leaf, size,
			tr), MLOG_OK, "%s",
			mlog_tile_hash_reader_last_error(thr));
		cr_assert_eq(mlog_proof_prove_inclusion(h, p2, &n2, leaf, size,
			&mr), MLOG_OK);
		cr_assert_eq(n1, n2);
		cr_assert_arr_eq(p1, p2, n1 * 32);
		memcpy(lh, m->h[mlog_tree_stored_index(0, leaf)], 32);
		cr_assert_eq(mlog_proof_verify_inclusion(h, leaf, size, lh,
			(const uint8_t (*)[32])p1, n1, root), MLOG_OK);
	}
	for (size_t i = 0; i < nolds; i++) {
		uint64_t old = olds[i];
		uint8_t old_root[32];

		if (old == 0 || old > size)
			continue;
		cr_assert_eq(mlog_proof_prove_consistency(h, p1, &n1, old,
			size, tr), MLOG_OK);
		cr_assert_eq(mlog_proof_prove_consistency(h, p2, &n2, old,
			size, &mr), MLOG_OK);
		cr_assert_eq(n1, n2);
		cr_assert_arr_eq(p1, p2, n1 * 32);
		/* The old root, too, from the new tree's tiles. */
		cr_assert_eq(mlog_tree_root(h, old_root, old, tr), MLOG_OK);
		cr_assert_eq(mlog_tree_root(h, root2, old, &mr), MLOG_OK);
		cr_assert_arr_eq(old_root, root2, 32);
		cr_assert_eq(mlog_proof_verify_consistency(h, old, size,
			old_root, root, (const uint8_t (*)[32])p1, n1),
			MLOG_OK);
	}
	mlog_hash_free(h);
}

Test(tile, reader_roots_and_proofs_match, .timeout = 120)
{
	static const uint64_t sizes[] = { 1, 2, 255, 256, 257, 4095, 4096,
		65535, 65536, 65537, 69999, 70000 };
	static const uint64_t leaves[] = { 0, 1, 2, 127, 128, 254, 255, 256,
		257, 4095, 4096, 32767, 32768, 65535, 65536, 65537, 69998,
		69999 };
	static const uint64_t olds[] = { 1, 2, 3, 127, 255, 256, 257, 4095,
		4096, 4097, 40000, 65535, 65536, 65537, 69999, 70000 };
	struct mem_tree *m = mem_tree_new(70000);

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct mem_source s = { .tree = m };
		struct mlog_tile_hash_reader *thr = new_reader(&s, sizes[i]);
		uint64_t extra[2] = { sizes[i] - 1, sizes[i] / 2 };

		compare_proofs(m, thr, sizes[i], leaves,
			sizeof(leaves) / sizeof(leaves[0]), olds,
			sizeof(olds) / sizeof(olds[0]));
		compare_proofs(m, thr, sizes[i], extra, 2, extra, 2);
		mlog_tile_hash_reader_free(thr);
	}
	/* Every leaf and every old size of a few small trees. */
	for (uint64_t size = 1; size <= 300; size += 37) {
		struct mem_source s = { .tree = m };
		struct mlog_tile_hash_reader *thr = new_reader(&s, size);
		uint64_t all[300];

		for (uint64_t j = 0; j < size; j++)
			all[j] = j;
		compare_proofs(m, thr, size, all, (size_t)size, all,
			(size_t)size);
		mlog_tile_hash_reader_free(thr);
	}
	mem_tree_free(m);
}

Test(tile, reader_rejects_wrong_root)
{
	struct mem_tree *m = mem_tree_new(70000);
	static const uint64_t sizes[] = { 0, 1, 256, 257, 65536, 70000 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct mem_source s = { .tree = m, .reader_size = sizes[i] };
		struct mlog_tile_source src = mem_source(&s);
		struct mlog_tile_hash_reader *thr = NULL;
		struct mlog_error err = { 0 };
		uint8_t root[32], other[32];

		mem_root(m, root, sizes[i]);
		for (int bit = 0; bit < 256; bit += 37) {
			memcpy(other, root, 32);
			other[bit / 8] ^= (uint8_t)(1 << (bit % 8));
			cr_assert_eq(mlog_tile_hash_reader_new(&thr, sizes[i],
				other, &src, &err), MLOG_ERR_VERIFY);
			cr_assert_null(thr);
			cr_assert_eq(err.code, MLOG_ERR_VERIFY);
		}
		/* The root of a neighbouring size. */
		if (sizes[i] > 0) {
			mem_root(m, other, sizes[i] - 1);
			cr_assert_eq(mlog_tile_hash_reader_new(&thr, sizes[i],
				other, &src, NULL), MLOG_ERR_VERIFY);
		}
		if (sizes[i] < m->leaves) {
			mem_root(m, other, sizes[i] + 1);
			cr_assert_eq(mlog_tile_hash_reader_new(&thr, sizes[i],
				other, &src, NULL), MLOG_ERR_VERIFY);
		}
	}
	{
		struct mem_source s = { .tree = m };
		struct mlog_tile_source src = mem_source(&s);
		struct mlog_tile_hash_reader *thr = NULL;
		uint8_t root[32];

		cr_assert_eq(mlog_tile_hash_reader_new(&thr,
			MLOG_TREE_MAX_SIZE + 1, root, &src, NULL),
			MLOG_ERR_RANGE);
		cr_assert_null(thr);
		/* The empty tree needs no tiles. */
		thr = new_reader(&s, 0);
		cr_assert_eq(s.fetches, 0);
		{
			const struct mlog_hash_reader *r =
				mlog_tile_hash_reader_hashes(thr);
			uint64_t idx = 0;
			uint8_t out[1][32];

			cr_assert_eq(r->read(r->ctx, &idx, 1, out),
				MLOG_ERR_RANGE);
		}
		mlog_tile_hash_reader_free(thr);
		mlog_tile_hash_reader_free(NULL);
	}
	mem_tree_free(m);
}

/* Returns the result of reading, through a fresh reader of `size`, one
 * stored hash inside tile bad (its first entry's node). Creation errors
 * are returned as they are. */
static int probe(struct mem_source *s, uint64_t size, uint64_t idx,
	char *msg, size_t msg_cap)
{
	struct mlog_tile_source src = mem_source(s);
	struct mlog_tile_hash_reader *thr = NULL;
	struct mlog_error err = { 0 };
	uint8_t root[32], out[1][32];
	const struct mlog_hash_reader *r;
	int rc;

	mem_root(s->tree, root, size);
	s->reader_size = size;
	rc = mlog_tile_hash_reader_new(&thr, size, root, &src, &err);
	if (rc != MLOG_OK) {
		snprintf(msg, msg_cap, "%s", err.msg);
		cr_assert_null(thr);
		return rc;
	}
	r = mlog_tile_hash_reader_hashes(thr);
	rc = r->read(r->ctx, &idx, 1, out);
	if (rc == MLOG_OK)
		cr_assert_arr_eq(out[0], s->tree->h[idx], 32);
	snprintf(msg, msg_cap, "%s", mlog_tile_hash_reader_last_error(thr));
	mlog_tile_hash_reader_free(thr);
	return rc;
}

/* Flipping any one byte of any tile the reader needs makes it fail
 * verification: partial tiles at creation, full tiles when read. */
static void corruption_sweep(struct mem_tree *m, uint64_t size,
	uint64_t max_n_per_level)
{
	unsigned long probes = 0;

	for (int l = 0; l < mlog_tile_levels(size); l++) {
		struct mlog_tile e;

		cr_assert_eq(mlog_tile_edge(&e, l, size), MLOG_OK);
		for (uint64_t n = 0; n <= e.n; n++) {
			struct mlog_tile t;
			char want[MLOG_TILE_PATH_MAX];
			uint64_t idx;

			if (n >= max_n_per_level && n != e.n)
				continue;
			cr_assert_eq(mlog_tile_at(&t, l, n, size), MLOG_OK);
			cr_assert_gt(mlog_tile_format(want, sizeof(want), &t),
				0);
			idx = mlog_tree_stored_index(8 * l, n * 256);
			for (size_t off = 0; off < (size_t)t.width * 32;
			     off += 1 + off % 61) {
				struct mem_source s = {
					.tree = m, .corrupt = 1, .bad = t,
					.bad_byte = off,
				};
				char msg[MLOG_ERROR_MSG_MAX];
				int rc = probe(&s, size, idx, msg,
					sizeof(msg));

				cr_assert_eq(rc, MLOG_ERR_VERIFY,
					"size %" PRIu64 " %s byte %zu: %d",
					size, want, off, rc);
				if (t.width == 256)
					cr_assert(strstr(msg, want) != NULL,
						"%s", msg);
				probes++;
			}
			/* The same probe without corruption passes. */
			{
				struct mem_source s = { .tree = m };
				char msg[MLOG_ERROR_MSG_MAX];

				cr_assert_eq(probe(&s, size, idx, msg,
					sizeof(msg)), MLOG_OK, "%s", msg);
			}
		}
	}
	cr_assert_gt(probes, 0);
}

Test(tile, reader_corruption_sweep, .timeout = 120)
{
	struct mem_tree *m = mem_tree_new(70000);

	corruption_sweep(m, 1000, UINT64_MAX);
	corruption_sweep(m, 256, UINT64_MAX);
	corruption_sweep(m, 65536, 3);
	corruption_sweep(m, 70000, 3);
	mem_tree_free(m);
}

Test(tile, reader_corrupt_parent_taints_children)
{
	/* At size 70000, tile/1/000 is full and authenticated by
	 * tile/2/000.p/1; every full level-0 tile is authenticated by
	 * tile/1/000. Corrupting tile/1/000 fails reads of any leaf in a
	 * full level-0 tile, but not of the leaves in tile/0/273.p/112. */
	struct mem_tree *m = mem_tree_new(70000);
	struct mlog_tile parent = { 1, 0, 256, 0 };
	struct mem_source s = { .tree = m, .corrupt = 1, .bad = parent,
		.bad_byte = 200 * 32 + 3 };
	struct mlog_tile_hash_reader *thr = new_reader(&s, 70000);
	const struct mlog_hash_reader *r = mlog_tile_hash_reader_hashes(thr);
	uint8_t out[1][32];
	uint64_t idx;

	idx = mlog_tree_stored_index(0, 5);
	cr_assert_eq(r->read(r->ctx, &idx, 1, out), MLOG_ERR_VERIFY);
	cr_assert(strstr(mlog_tile_hash_reader_last_error(thr), "tile/1/000")
		!= NULL, "%s", mlog_tile_hash_reader_last_error(thr));
	idx = mlog_tree_stored_index(0, 69999);
	cr_assert_eq(r->read(r->ctx, &idx, 1, out), MLOG_OK);
	cr_assert_arr_eq(out[0], m->h[idx], 32);
	/* Failures are not cached: once the source serves good data the
	 * same read succeeds. */
	s.corrupt = 0;
	idx = mlog_tree_stored_index(0, 5);
	cr_assert_eq(r->read(r->ctx, &idx, 1, out), MLOG_OK);
	cr_assert_arr_eq(out[0], m->h[idx], 32);
	/* And a good tile, once cached, is not fetched again. */
	s.fetches = 0;
	idx = mlog_tree_stored_index(0, 6);
	cr_assert_eq(r->read(r->ctx, &idx, 1, out), MLOG_OK);
	cr_assert_eq(s.fetches, 0);
	mlog_tile_hash_reader_free(thr);
	mem_tree_free(m);
}

Test(tile, reader_source_errors)
{
	struct mem_tree *m = mem_tree_new(70000);
	struct mlog_tile edge0 = { 0, 273, 112, 0 };
	struct mlog_tile full0 = { 0, 7, 256, 0 };
	uint64_t in_full0 = mlog_tree_stored_index(0, 7 * 256 + 9);
	char msg[MLOG_ERROR_MSG_MAX];

	{
		struct mem_source s = { .tree = m, .bad = edge0,
			.fail_rc = MLOG_ERR_IO };

		cr_assert_eq(probe(&s, 70000, 0, msg, sizeof(msg)),
			MLOG_ERR_IO);
		cr_assert(strstr(msg, "tile/0/273.p/112") != NULL, "%s", msg);
	}
	{
		struct mem_source s = { .tree = m, .bad = edge0,
			.short_by = 1 };

		cr_assert_eq(probe(&s, 70000, 0, msg, sizeof(msg)),
			MLOG_ERR_MALFORMED);
	}
	{
		struct mem_source s = { .tree = m, .bad = edge0,
			.fail_rc = 7 };

		/* A source breaking its contract with a positive code. */
		cr_assert_eq(probe(&s, 70000, 0, msg, sizeof(msg)),
			MLOG_ERR_INTERNAL);
	}
	{
		struct mem_source s = { .tree = m, .bad = full0,
			.fail_rc = MLOG_ERR_NOTFOUND };

		cr_assert_eq(probe(&s, 70000, in_full0, msg, sizeof(msg)),
			MLOG_ERR_NOTFOUND);
		cr_assert(strstr(msg, "tile/0/007") != NULL, "%s", msg);
	}
	{
		struct mem_source s = { .tree = m, .bad = full0,
			.short_by = 32 };

		cr_assert_eq(probe(&s, 70000, in_full0, msg, sizeof(msg)),
			MLOG_ERR_MALFORMED);
	}
	mem_tree_free(m);
}

/* ---- the Tessera test log --------------------------------------------- */

static const char *const tessera_words[] = {
	"one", "two", "three", "four", "five", "six", "seven", "eit",
	"nain", "ten", "ileven", "twelf", "threeten", "fourten", "fivten",
};

/* Reads the size and root hash (base64 line 3) of a checkpoint. */
static uint64_t read_checkpoint(const char *rel, uint8_t root[32])
{
	char *text = test_read_shared(rel, NULL);
	char *l1 = strchr(text, '\n');
	char *l2, *l3;
	uint64_t size;

	cr_assert_not_null(l1, "%s", rel);
	l2 = strchr(l1 + 1, '\n');
	cr_assert_not_null(l2, "%s", rel);
	l3 = strchr(l2 + 1, '\n');
	cr_assert_not_null(l3, "%s", rel);
	*l2 = '\0';
	*l3 = '\0';
	size = strtoull(l1 + 1, NULL, 10);
	cr_assert_eq(test_b64(root, 32, l2 + 1), 32, "%s", rel);
	free(text);
	return size;
}

struct file_source {
	const char *dir;                /* relative to ../shared */
	unsigned long fetches;
	int flip;                       /* byte to flip in every tile, or -1 */
};

static int file_read_tile(void *ctx, const struct mlog_tile *t, uint8_t *buf,
	size_t *len)
{
	struct file_source *fs = ctx;
	char path[MLOG_TILE_PATH_MAX], rel[256];
	char *data;
	size_t n;

	fs->fetches++;
	cr_assert_gt(mlog_tile_format(path, sizeof(path), t), 0);
	snprintf(rel, sizeof(rel), "%s/%s", fs->dir, path);
	data = test_read_shared(rel, &n);
	cr_assert_leq(n, MLOG_TILE_MAX_BYTES);
	memcpy(buf, data, n);
	if (fs->flip >= 0 && (size_t)fs->flip < n)
		buf[fs->flip] ^= 0x80;
	*len = n;
	free(data);
	return MLOG_OK;
}

Test(tile, tessera_log_tiles_and_roots)
{
	struct mlog_hash *h;
	uint8_t root15[32], cp_root[32];
	char *full;
	size_t full_len;

	TEST_REQUIRE_SHARED();
	h = mlog_hash_new();
	cr_assert_eq(read_checkpoint(
		"vectors/tiles/tessera-testdata-log/checkpoint", root15), 15);
	cr_assert_eq(read_checkpoint(
		"vectors/checkpoint/tessera-testdata/checkpoint.15", cp_root),
		15);
	cr_assert_arr_eq(root15, cp_root, 32);
	full = test_read_shared(
		"vectors/tiles/tessera-testdata-log/tile/0/000.p/15",
		&full_len);
	cr_assert_eq(full_len, 15 * 32);

	for (unsigned w = 1; w <= 15; w++) {
		char rel[128];
		char *tile;
		size_t len;
		uint8_t root[32], got[32];
		struct mem_tree m = { 0 };
		struct mlog_hash_reader mr = mem_reader(&m);
		struct file_source fs = {
			"vectors/tiles/tessera-testdata-log", 0, -1 };
		struct mlog_tile_source src = { file_read_tile, &fs };
		struct mlog_tile_hash_reader *thr = NULL;
		struct mlog_error err = { 0 };

		snprintf(rel, sizeof(rel),
			"vectors/checkpoint/tessera-testdata/checkpoint.%u", w);
		cr_assert_eq(read_checkpoint(rel, root), w);
		snprintf(rel, sizeof(rel),
			"vectors/tiles/tessera-testdata-log/tile/0/"
			"000.p/%u", w);
		tile = test_read_shared(rel, &len);
		cr_assert_eq(len, (size_t)w * 32, "%s", rel);
		/* Partial tiles are prefixes of wider ones. */
		cr_assert_arr_eq(tile, full, len);
		/* Slot i is the leaf hash of the i-th word. */
		for (unsigned i = 0; i < w; i++) {
			mlog_hash_leaf(h, got, tessera_words[i],
				strlen(tessera_words[i]));
			cr_assert_arr_eq(got, tile + 32 * i, 32, "%s slot %u",
				rel, i);
		}
		/* Root from the tile by hand: append the leaf hashes. */
		m.h = malloc(mlog_tree_stored_count(w) * 32);
		for (unsigned i = 0; i < w; i++) {
			uint8_t add[MLOG_TREE_MAX_APPEND][32];
			size_t n;

			cr_assert_eq(mlog_tree_append(h, add, &n, i,
				(const uint8_t *)tile + 32 * i, &mr), MLOG_OK);
			memcpy(m.h[m.stored], add, n * 32);
			m.stored += n;
		}
		cr_assert_eq(mlog_tree_root(h, got, w, &mr), MLOG_OK);
		cr_assert_arr_eq(got, root, 32, "root of size %u", w);
		/* Root through the tile-backed reader. */
		cr_assert_eq(mlog_tile_hash_reader_new(&thr, w, root, &src,
			&err), MLOG_OK, "size %u: %s", w, err.msg);
		cr_assert_eq(fs.fetches, 1);
		cr_assert_eq(mlog_tree_root(h, got, w,
			mlog_tile_hash_reader_hashes(thr)), MLOG_OK);
		cr_assert_arr_eq(got, root, 32);
		/* Every inclusion proof and every consistency proof within
		 * the tile verifies against the checkpoints. */
		for (unsigned i = 0; i < w; i++) {
			uint8_t p[MLOG_PROOF_MAX][32];
			size_t n;

			cr_assert_eq(mlog_proof_prove_inclusion(h, p, &n, i, w,
				mlog_tile_hash_reader_hashes(thr)), MLOG_OK);
			cr_assert_eq(mlog_proof_verify_inclusion(h, i, w,
				(const uint8_t *)tile + 32 * i,
				(const uint8_t (*)[32])p, n, root), MLOG_OK);
		}
		for (unsigned old = 1; old <= w; old++) {
			uint8_t p[MLOG_PROOF_MAX][32], old_root[32];
			size_t n;

			snprintf(rel, sizeof(rel),
				"vectors/checkpoint/tessera-testdata/"
				"checkpoint.%u", old);
			cr_assert_eq(read_checkpoint(rel, old_root), old);
			cr_assert_eq(mlog_proof_prove_consistency(h, p, &n, old,
				w, mlog_tile_hash_reader_hashes(thr)), MLOG_OK);
			cr_assert_eq(mlog_proof_verify_consistency(h, old, w,
				old_root, root, (const uint8_t (*)[32])p, n),
				MLOG_OK, "%u -> %u", old, w);
		}
		mlog_tile_hash_reader_free(thr);
		thr = NULL;
		/* The tile of size w does not give size w-1's root. */
		snprintf(rel, sizeof(rel),
			"vectors/checkpoint/tessera-testdata/checkpoint.%u",
			w - 1);
		cr_assert_eq(read_checkpoint(rel, got), w - 1);
		cr_assert_eq(mlog_tile_hash_reader_new(&thr, w, got, &src,
			NULL), MLOG_ERR_VERIFY);
		/* Corruption sweep: every byte of the tile. */
		for (unsigned b = 0; b < w * 32; b++) {
			fs.flip = (int)b;
			cr_assert_eq(mlog_tile_hash_reader_new(&thr, w, root,
				&src, NULL), MLOG_ERR_VERIFY, "size %u byte %u",
				w, b);
			cr_assert_null(thr);
		}
		free(m.h);
		free(tile);
	}
	free(full);
	mlog_hash_free(h);
}
