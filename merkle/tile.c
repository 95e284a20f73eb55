/*
 * tile.c — C2SP tlog-tiles paths, inventory, tile contents and the
 * tile-backed hash reader; see tile.h.
 *
 * Ported in structure from golang.org/x/mod/sumdb/tlog tile.go (Tile.Path,
 * ParseTilePath, tileForIndex, tileHash, ReadTileData, TileHashReader),
 * with the height fixed at 8 and no height element in paths, as tlog-tiles
 * requires. The tile-backed reader keeps Go's authentication scheme
 * (partial tiles against the root, full tiles against their parents) but
 * replaces its per-call maps and slices with a fixed cache allocated once.
 */
#include "tile.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define HB MLOG_HASH_BYTES

/* Nodes at tree level 8*level in a tree of `size` leaves: size / 256^level,
 * written so that no shift reaches 64 bits. */
static uint64_t level_count(int level, uint64_t size)
{
	if (level < 0 || level >= 8)
		return 0;
	return size >> (8 * level);
}

/* Invariant 2. */
static int tile_valid(const struct mlog_tile *t)
{
	if (t->width < 1 || t->width > MLOG_TILE_WIDTH)
		return 0;
	if (t->n > MLOG_TILE_MAX_N)
		return 0;
	if (t->entries == 1)
		return t->level == 0;
	return t->entries == 0 && t->level >= 0 &&
		t->level <= MLOG_TILE_MAX_LEVEL;
}

/* ---- paths ------------------------------------------------------------ */

static char *put_uint(char *p, uint64_t v)
{
	char digits[20];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	while (n > 0)
		*p++ = digits[--n];
	return p;
}

static char *put_group(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 100);
	p[1] = (char)('0' + v / 10 % 10);
	p[2] = (char)('0' + v % 10);
	return p + 3;
}

/* Writes the path of a valid tile and a NUL into buf; returns its length.
 * N is split into base-1000 groups, most significant first, all but the
 * last written "xDDD/" (C2SP tlog-tiles; Go Tile.Path). */
static size_t format_path(char buf[MLOG_TILE_PATH_MAX],
	const struct mlog_tile *t)
{
	unsigned groups[7];          /* 1000^7 > MLOG_TILE_MAX_N */
	int ngroups = 0;
	uint64_t n = t->n;
	char *p = buf;

	assert(tile_valid(t));
	do {
		groups[ngroups++] = (unsigned)(n % 1000);
		n /= 1000;
	} while (n > 0);
	memcpy(p, "tile/", 5);
	p += 5;
	if (t->entries) {
		memcpy(p, "entries/", 8);
		p += 8;
	} else {
		p = put_uint(p, (uint64_t)t->level);
		*p++ = '/';
	}
	while (ngroups > 1) {
		*p++ = 'x';
		p = put_group(p, groups[--ngroups]);
		*p++ = '/';
	}
	p = put_group(p, groups[0]);
	if (t->width < MLOG_TILE_WIDTH) {
		memcpy(p, ".p/", 3);
		p = put_uint(p + 3, t->width);
	}
	*p = '\0';
	assert(p < buf + MLOG_TILE_PATH_MAX);
	return (size_t)(p - buf);
}

int mlog_tile_format(char *out, size_t out_cap, const struct mlog_tile *t)
{
	char buf[MLOG_TILE_PATH_MAX];
	size_t len;

	if (!tile_valid(t))
		return MLOG_ERR_RANGE;
	len = format_path(buf, t);
	if (len + 1 > out_cap)
		return MLOG_ERR_TOOBIG;
	memcpy(out, buf, len + 1);
	return (int)len;
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads up to max_digits digits at *p (< end); returns how many. */
static int scan_uint(const char **p, const char *end, int max_digits,
	uint64_t *v)
{
	int n = 0;

	*v = 0;
	while (*p < end && is_digit(**p) && n < max_digits) {
		*v = *v * 10 + (uint64_t)(**p - '0');
		(*p)++;
		n++;
	}
	return n;
}

int mlog_tile_parse(struct mlog_tile *out, const char *path, size_t len,
	struct mlog_error *err)
{
	struct mlog_tile t = { 0, 0, MLOG_TILE_WIDTH, 0 };
	const char *p = path, *end = path + len;
	char canon[MLOG_TILE_PATH_MAX];
	uint64_t v;

	if (len >= MLOG_TILE_PATH_MAX)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"tile path: longer than %d bytes",
			MLOG_TILE_PATH_MAX - 1);
	if (len < 5 || memcmp(p, "tile/", 5) != 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"tile path: does not start with \"tile/\"");
	p += 5;
	if (end - p >= 8 && memcmp(p, "entries/", 8) == 0) {
		t.entries = 1;
		p += 8;
	} else {
		/* Two digits reach 99; more than 63 is refused below. */
		if (scan_uint(&p, end, 2, &v) == 0 || p == end || *p != '/')
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"tile path: bad level");
		if (v > MLOG_TILE_MAX_LEVEL)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"tile path: level %" PRIu64 " above %d", v,
				MLOG_TILE_MAX_LEVEL);
		t.level = (int)v;
		p++;
	}
	/* <N>: ("x" 3DIGIT "/")* 3DIGIT */
	for (;;) {
		int more = 0;
		uint64_t group;

		if (p < end && *p == 'x') {
			more = 1;
			p++;
		}
		if (end - p < 3 || scan_uint(&p, end, 3, &group) != 3)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"tile path: index group is not 3 digits");
		if (t.n > (MLOG_TILE_MAX_N - group) / 1000)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"tile path: index above 2^63-1");
		t.n = t.n * 1000 + group;
		if (!more)
			break;
		if (p == end || *p != '/')
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"tile path: no '/' after x-group");
		p++;
	}
	if (p < end) {
		if (end - p < 4 || memcmp(p, ".p/", 3) != 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"tile path: trailing bytes after index");
		p += 3;
		if (scan_uint(&p, end, 3, &v) == 0 || p != end || v == 0 ||
		    v >= MLOG_TILE_WIDTH)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"tile path: partial width not in 1..255");
		t.width = (unsigned)v;
	}
	/* Invariant 1: only the canonical spelling parses (leading zeros
	 * in <L>/<W>, 'x' on the last group, "x000/" groups, ...). */
	if (format_path(canon, &t) != len || memcmp(canon, path, len) != 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"tile path: not canonical (want %s)", canon);
	*out = t;
	return MLOG_OK;
}

/* ---- which tiles exist ------------------------------------------------ */

int mlog_tile_levels(uint64_t size)
{
	int levels = 0;

	while (level_count(levels, size) > 0)
		levels++;
	return levels;
}

int mlog_tile_exists(const struct mlog_tile *t, uint64_t size)
{
	uint64_t c;

	if (!tile_valid(t))
		return 0;
	c = level_count(t->level, size);
	/* N*256 + W <= c, without overflowing N*256. */
	if (t->n > c >> 8)
		return 0;
	return c - t->n * MLOG_TILE_WIDTH >= t->width;
}

int mlog_tile_at(struct mlog_tile *out, int level, uint64_t n,
	uint64_t size)
{
	uint64_t c, rest;

	if (level < 0 || level > MLOG_TILE_MAX_LEVEL)
		return MLOG_ERR_NOTFOUND;
	c = level_count(level, size);
	/* Tile n has at least one entry iff n*256 < c. */
	if (c == 0 || n > (c - 1) >> 8)
		return MLOG_ERR_NOTFOUND;
	rest = c - n * MLOG_TILE_WIDTH;
	out->level = level;
	out->n = n;
	out->width = rest >= MLOG_TILE_WIDTH ? MLOG_TILE_WIDTH :
		(unsigned)rest;
	out->entries = 0;
	return MLOG_OK;
}

int mlog_tile_edge(struct mlog_tile *out, int level, uint64_t size)
{
	uint64_t c = level_count(level, size);

	if (c == 0)
		return MLOG_ERR_NOTFOUND;
	return mlog_tile_at(out, level, (c - 1) >> 8, size);
}

/* ---- nodes inside tiles ----------------------------------------------- */

int mlog_tile_for_node(struct mlog_tile *out, unsigned *first,
	unsigned *count, int level, uint64_t n)
{
	int r;
	uint64_t k;

	if (level < 0 || level > 62 || n >= (MLOG_TREE_MAX_SIZE >> level))
		return MLOG_ERR_RANGE;
	/* Node (level, n) is the root of the 2^r level-8L nodes starting at
	 * n << r, which sit in tile (n << r) / 256 (Go tileForIndex). */
	r = level % MLOG_TILE_HEIGHT;
	k = n << r;
	out->level = level / MLOG_TILE_HEIGHT;
	out->n = k >> 8;
	out->entries = 0;
	*first = (unsigned)(k & 255);
	*count = 1u << r;
	out->width = *first + *count;
	return MLOG_OK;
}

int mlog_tile_for_index(struct mlog_tile *out, unsigned *first,
	unsigned *count, uint64_t index)
{
	int level;
	uint64_t n;

	if (index >= mlog_tree_stored_count(MLOG_TREE_MAX_SIZE))
		return MLOG_ERR_RANGE;
	mlog_tree_split_index(index, &level, &n);
	return mlog_tile_for_node(out, first, count, level, n);
}

/* MTH of count (a power of two, <= 256) consecutive tile entries, hashed
 * pairwise (Go tileHash), left to right with a stack of pending subtree
 * roots: entry i completes one subtree per trailing one bit of i. */
static void entries_hash(struct mlog_hash *h, uint8_t out[HB],
	const uint8_t *data, unsigned count)
{
	uint8_t stack[MLOG_TILE_HEIGHT + 1][HB];
	uint8_t cur[HB];
	unsigned k = 0;

	assert(count > 0 && count <= MLOG_TILE_WIDTH &&
		(count & (count - 1)) == 0);
	for (unsigned i = 0; i < count; i++) {
		memcpy(cur, data + (size_t)i * HB, HB);
		for (k = 0; (i >> k) & 1; k++)
			mlog_hash_node(h, cur, stack[k], cur);
		memcpy(stack[k], cur, HB);
	}
	/* The last entry, count - 1, has log2(count) trailing ones. */
	memcpy(out, stack[k], HB);
}

int mlog_tile_node_hash(struct mlog_hash *h, uint8_t out[MLOG_HASH_BYTES],
	const struct mlog_tile *t, const uint8_t *data, size_t len, int level,
	uint64_t n)
{
	return mlog_tile_node_hash_mid(h, out, t, data, len, NULL, 0, level,
		n);
}

unsigned mlog_tile_mid_hashes(struct mlog_hash *h,
	uint8_t out[MLOG_TILE_MID_MAX][MLOG_HASH_BYTES], const uint8_t *data,
	unsigned width)
{
	unsigned nmid = width / MLOG_TILE_MID_SPAN;

	assert(width <= MLOG_TILE_WIDTH);
	for (unsigned k = 0; k < nmid; k++)
		entries_hash(h, out[k],
			data + (size_t)k * MLOG_TILE_MID_SPAN * HB,
			MLOG_TILE_MID_SPAN);
	return nmid;
}

int mlog_tile_node_hash_mid(struct mlog_hash *h,
	uint8_t out[MLOG_HASH_BYTES], const struct mlog_tile *t,
	const uint8_t *data, size_t len, const uint8_t (*mid)[HB],
	unsigned nmid, int level, uint64_t n)
{
	struct mlog_tile nt;
	unsigned first, count;

	if (!tile_valid(t) || t->entries)
		return MLOG_ERR_RANGE;
	if (mlog_tile_for_node(&nt, &first, &count, level, n) != MLOG_OK)
		return MLOG_ERR_RANGE;
	if (nt.level != t->level || nt.n != t->n || nt.width > t->width)
		return MLOG_ERR_RANGE;
	if (len != (size_t)t->width * HB || nmid > MLOG_TILE_MID_MAX)
		return MLOG_ERR_MALFORMED;
	/* A node of >= 16 entries starts on a run boundary (first is a
	 * multiple of count). */
	if (count >= MLOG_TILE_MID_SPAN &&
	    (first + count) / MLOG_TILE_MID_SPAN <= nmid) {
		entries_hash(h, out, mid[first / MLOG_TILE_MID_SPAN],
			count / MLOG_TILE_MID_SPAN);
		return MLOG_OK;
	}
	entries_hash(h, out, data + (size_t)first * HB, count);
	return MLOG_OK;
}

/* ---- tiles from stored hashes ----------------------------------------- */

int mlog_tile_build(uint8_t *out, size_t out_cap, size_t *out_len,
	const struct mlog_tile *t, uint64_t size,
	const struct mlog_hash_reader *r)
{
	uint8_t tmp[MLOG_TILE_WIDTH][HB];
	uint64_t idx[MLOG_TREE_MAX_READ];
	size_t need;
	int rc;

	if (!tile_valid(t) || t->entries || size > MLOG_TREE_MAX_SIZE)
		return MLOG_ERR_RANGE;
	if (!mlog_tile_exists(t, size))
		return MLOG_ERR_NOTFOUND;
	need = (size_t)t->width * HB;
	if (out_cap < need)
		return MLOG_ERR_TOOBIG;
	/* The tile exists at size <= 2^62, so 8*level <= 56 and every index
	 * below is a node of that tree. */
	for (unsigned i = 0; i < t->width; i += MLOG_TREE_MAX_READ) {
		unsigned batch = t->width - i;

		if (batch > MLOG_TREE_MAX_READ)
			batch = MLOG_TREE_MAX_READ;
		for (unsigned j = 0; j < batch; j++)
			idx[j] = mlog_tree_stored_index(
				MLOG_TILE_HEIGHT * t->level,
				t->n * MLOG_TILE_WIDTH + i + j);
		rc = r->read(r->ctx, idx, batch, tmp + i);
		if (rc != 0)
			return rc;
	}
	memcpy(out, tmp, need);
	*out_len = need;
	return MLOG_OK;
}

/* ---- hashes from tiles ------------------------------------------------ */

struct tile_slot {
	struct mlog_tile t;
	int valid;                      /* data holds t, authenticated */
	uint8_t data[MLOG_TILE_MAX_BYTES];
};

struct mlog_tile_hash_reader {
	struct mlog_hash_reader base;   /* read = tile_reader_read, ctx = us */
	struct mlog_tile_source src;
	struct mlog_hash *h;
	uint64_t size;
	uint64_t stored;                /* mlog_tree_stored_count(size) */
	int levels;                     /* mlog_tile_levels(size) */
	int authenticated;              /* edge tiles hash to the root */
	/* edge[L]: the partial tile of level L (if level L's node count is
	 * not a multiple of 256), fetched and authenticated at creation and
	 * kept for the reader's life. full[L]: the last full tile of level L
	 * read and authenticated against level L+1, a one-entry cache. */
	struct tile_slot edge[MLOG_TILE_MAX_LEVELS];
	struct tile_slot full[MLOG_TILE_MAX_LEVELS];
	struct mlog_error last;         /* last read() failure */
};

#ifndef NDEBUG
static void check_invariants(const struct mlog_tile_hash_reader *thr)
{
	assert(thr->levels == mlog_tile_levels(thr->size));
	assert(thr->levels <= MLOG_TILE_MAX_LEVELS);
	for (int l = 0; l < MLOG_TILE_MAX_LEVELS; l++) {
		uint64_t c = level_count(l, thr->size);
		const struct tile_slot *e = &thr->edge[l];
		const struct tile_slot *f = &thr->full[l];

		if (e->valid)
			assert(c % 256 != 0 && e->t.n == c / 256 &&
				e->t.width == c % 256 && e->t.level == l);
		if (thr->authenticated)
			assert(e->valid == (c % 256 != 0));
		if (f->valid)
			assert(thr->authenticated && f->t.level == l &&
				f->t.width == MLOG_TILE_WIDTH &&
				mlog_tile_exists(&f->t, thr->size));
	}
}
#else
#define check_invariants(thr) ((void)0)
#endif

/* Fetches tile t into slot (left invalid) and checks its length. */
static int fetch(struct mlog_tile_hash_reader *thr, struct tile_slot *slot,
	const struct mlog_tile *t)
{
	char path[MLOG_TILE_PATH_MAX];
	size_t len = 0;
	int rc;

	slot->valid = 0;
	format_path(path, t);
	rc = thr->src.read_tile(thr->src.ctx, t, slot->data, &len);
	if (rc != 0) {
		if (rc > 0)
			rc = MLOG_ERR_INTERNAL;
		return mlog_error_set(&thr->last, rc, "%s: cannot read: %s",
			path, mlog_err_name(rc));
	}
	if (len != (size_t)t->width * HB)
		return mlog_error_set(&thr->last, MLOG_ERR_MALFORMED,
			"%s: %zu bytes, want %zu", path, len,
			(size_t)t->width * HB);
	slot->t = *t;
	return MLOG_OK;
}

static int load_full(struct mlog_tile_hash_reader *thr,
	const struct mlog_tile *t);

/* Hash of node (level, n), from an authenticated tile. */
static int get_node(struct mlog_tile_hash_reader *thr, uint8_t out[HB],
	int level, uint64_t n)
{
	struct mlog_tile t;
	struct tile_slot *slot;
	unsigned first, count;
	int rc;

	rc = mlog_tile_for_node(&t, &first, &count, level, n);
	assert(rc == MLOG_OK && "bad math: node outside any tile");
	rc = mlog_tile_at(&t, t.level, t.n, thr->size);
	assert(rc == MLOG_OK && "bad math: node's tile not in the tree");
	(void)rc;
	if (t.width < MLOG_TILE_WIDTH) {
		slot = &thr->edge[t.level];
		assert(slot->valid && slot->t.n == t.n &&
			slot->t.width == t.width);
	} else {
		slot = &thr->full[t.level];
		if (!slot->valid || slot->t.n != t.n) {
			rc = load_full(thr, &t);
			if (rc != MLOG_OK)
				return rc;
		}
	}
	assert(first + count <= slot->t.width);
	entries_hash(thr->h, out, slot->data + (size_t)first * HB, count);
	return MLOG_OK;
}

/* Fetches full tile t and authenticates it: its 256 entries hash to node
 * (8*(L+1), N), which is entry N%256 of tile (L+1, N/256), read (and, if
 * need be, authenticated) first. Recursion depth <= MLOG_TILE_MAX_LEVELS. */
static int load_full(struct mlog_tile_hash_reader *thr,
	const struct mlog_tile *t)
{
	struct tile_slot *slot = &thr->full[t->level];
	uint8_t want[HB], got[HB];
	char path[MLOG_TILE_PATH_MAX];
	int rc;

	/* Before authentication only the root's subtrees are read, and
	 * they all lie in partial tiles. */
	assert(thr->authenticated && "bad math: full tile before root check");
	assert(t->width == MLOG_TILE_WIDTH && t->level + 1 < thr->levels);
	rc = get_node(thr, want, MLOG_TILE_HEIGHT * (t->level + 1), t->n);
	if (rc != MLOG_OK)
		return rc;
	rc = fetch(thr, slot, t);
	if (rc != MLOG_OK)
		return rc;
	entries_hash(thr->h, got, slot->data, MLOG_TILE_WIDTH);
	if (memcmp(got, want, HB) != 0) {
		format_path(path, t);
		return mlog_error_set(&thr->last, MLOG_ERR_VERIFY,
			"%s: does not match its parent tile", path);
	}
	slot->valid = 1;
	return MLOG_OK;
}

static int tile_reader_read(void *ctx, const uint64_t *idx, size_t n,
	uint8_t (*out)[MLOG_HASH_BYTES])
{
	struct mlog_tile_hash_reader *thr = ctx;

	check_invariants(thr);
	for (size_t i = 0; i < n; i++) {
		if (idx[i] >= thr->stored)
			return mlog_error_set(&thr->last, MLOG_ERR_RANGE,
				"stored hash %" PRIu64 " is not in the tree "
				"of size %" PRIu64, idx[i], thr->size);
	}
	for (size_t i = 0; i < n; i++) {
		int level;
		uint64_t k;
		int rc;

		mlog_tree_split_index(idx[i], &level, &k);
		rc = get_node(thr, out[i], level, k);
		if (rc != MLOG_OK)
			return rc;
	}
	check_invariants(thr);
	return MLOG_OK;
}

int mlog_tile_hash_reader_new(struct mlog_tile_hash_reader **out,
	uint64_t size, const uint8_t root[MLOG_HASH_BYTES],
	const struct mlog_tile_source *src, struct mlog_error *err)
{
	struct mlog_tile_hash_reader *thr;
	uint8_t got[HB];
	int rc;

	if (size > MLOG_TREE_MAX_SIZE)
		return mlog_error_set(err, MLOG_ERR_RANGE,
			"tile reader: tree size %" PRIu64 " too large", size);
	thr = calloc(1, sizeof(*thr));
	if (thr == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM,
			"tile reader: out of memory");
	thr->h = mlog_hash_new();
	if (thr->h == NULL) {
		rc = mlog_error_set(err, MLOG_ERR_INTERNAL,
			"tile reader: no SHA-256");
		goto fail;
	}
	thr->base.read = tile_reader_read;
	thr->base.ctx = thr;
	thr->src = *src;
	thr->size = size;
	thr->stored = mlog_tree_stored_count(size);
	thr->levels = mlog_tile_levels(size);
	for (int l = 0; l < thr->levels; l++) {
		uint64_t c = level_count(l, size);
		struct mlog_tile t = { l, c / 256, (unsigned)(c % 256), 0 };

		if (t.width == 0)
			continue;
		rc = fetch(thr, &thr->edge[l], &t);
		if (rc != MLOG_OK) {
			mlog_error_set(err, rc, "tile reader: %s",
				thr->last.msg);
			goto fail;
		}
		thr->edge[l].valid = 1;
	}
	check_invariants(thr);
	/* The root is made of the complete subtrees of [0, size): one per
	 * set bit of size, each the root of a power-of-two run of entries
	 * of a partial tile, so this reads only the edge tiles. */
	rc = mlog_tree_root(thr->h, got, size, &thr->base);
	if (rc != MLOG_OK) {
		mlog_error_set(err, rc, "tile reader: %s", thr->last.msg);
		goto fail;
	}
	if (memcmp(got, root, HB) != 0) {
		rc = mlog_error_set(err, MLOG_ERR_VERIFY,
			"tile reader: tiles do not hash to the root of "
			"tree size %" PRIu64, size);
		goto fail;
	}
	thr->authenticated = 1;
	memset(&thr->last, 0, sizeof(thr->last));
	check_invariants(thr);
	*out = thr;
	return MLOG_OK;
fail:
	mlog_tile_hash_reader_free(thr);
	return rc;
}

void mlog_tile_hash_reader_free(struct mlog_tile_hash_reader *thr)
{
	if (thr == NULL)
		return;
	mlog_hash_free(thr->h);
	free(thr);
}

const struct mlog_hash_reader *mlog_tile_hash_reader_hashes(
	struct mlog_tile_hash_reader *thr)
{
	return &thr->base;
}

uint64_t mlog_tile_hash_reader_size(const struct mlog_tile_hash_reader *thr)
{
	return thr->size;
}

const char *mlog_tile_hash_reader_last_error(
	const struct mlog_tile_hash_reader *thr)
{
	return thr->last.msg;
}
