/*
 * tile.h — C2SP tlog-tiles v0.1.0 (C2SP-NOTES §5): tile paths, the tiles
 * that exist at a tree size, tile contents built from stored hashes, and a
 * struct mlog_hash_reader that reads a log's hashes out of its tiles,
 * authenticated against a trusted root.
 *
 * Tiles. The height is fixed at 8, so a full tile holds 256 hashes. Hash
 * tile (L, N) at tree size s lists the hashes of the level-8L nodes
 * N*256 .. N*256+W-1, i.e. entry i = MTH(D[(N*256+i)*256^L :
 * (N*256+i+1)*256^L]); its bytes are those W hashes concatenated (32*W
 * bytes, no framing). The rightmost tile of a level may be partial: at
 * size s, level L has c = floor(s / 256^L) nodes, so tile c/256 has width
 * c mod 256 (none if 0). A partial tile is a prefix of the full tile. An
 * entry bundle (tile/entries/N, see bundle.h) holds the entries whose leaf
 * hashes are level-0 tile N.
 *
 * Paths (no leading '/'; servers strip their URL prefix and the '/'):
 *
 *   tile/<L>/<N>[.p/<W>]          hash tile, L = 0..63
 *   tile/entries/<N>[.p/<W>]      entry bundle
 *
 *   <L>  decimal, no leading zeros
 *   <W>  decimal 1..255, no leading zeros; absent for a full tile (256)
 *   <N>  groups of 3 digits, most significant first, every group but the
 *        last prefixed with 'x': 0 -> 000, 1234067 -> x001/x234/067
 *
 * Examples (vectors/tiles/paths.txt): tile/0/x001/x234/067.p/8,
 * tile/entries/000.p/3. At size 70000 the tiles are tile/0/000 .. 272,
 * tile/0/273.p/112, tile/1/000, tile/1/001.p/17 and tile/2/000.p/1.
 *
 * Finding a node. Node (level lv, index k) covers leaves [k*2^lv,
 * (k+1)*2^lv). With L = lv/8 and r = lv%8 it lives in tile L, N =
 * (k<<r)>>8, as the root of entries [off, off+2^r), off = (k<<r)&255,
 * hashed pairwise (Go tlog tileForIndex/tileHash).
 *
 * Invariants:
 *  (1) A path parses only if formatting the parsed tile gives back the
 *      same bytes (Go ParseTilePath): "tile/3/5/123/456/078", "tile/00/000",
 *      "tile/0/000.p/256", "/tile/0/000" are all MLOG_ERR_MALFORMED.
 *  (2) A valid struct mlog_tile has 1 <= width <= 256, n <= MLOG_TILE_MAX_N,
 *      and either entries = 0 and 0 <= level <= 63, or entries = 1 and
 *      level = 0.
 *  (3) Tile (L, N, W) exists at size s iff N*256 + W <= floor(s / 256^L):
 *      every width up to the tile's current one, so a full tile's .p/W
 *      prefixes exist too (SPEC §3). A tile is a prefix of the tile with
 *      the same (L, N) at any larger size.
 *  (4) A tile-backed reader returns a hash only after the tiles it came from
 *      are authenticated against the trusted root: the partial right-edge
 *      tile of each level when the reader is created (the complete subtrees
 *      of the tree, which are the nodes of those tiles, must hash to the
 *      root), every full tile when first read (its 256 entries must hash to
 *      the matching entry of the authenticated tile one level up).
 *
 * Thread-safety: path, inventory and tile math functions are pure. A tile
 * hash reader is used by one thread at a time (it caches tiles and owns a
 * hash context).
 * Ownership: callers own every buffer. mlog_tile_hash_reader_new returns an
 * object the caller frees with mlog_tile_hash_reader_free (NULL allowed);
 * the source's ctx stays the caller's and must outlive the reader.
 */
#ifndef MLOG_TILE_H
#define MLOG_TILE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hash.h"
#include "tree.h"

#define MLOG_TILE_HEIGHT 8
#define MLOG_TILE_WIDTH 256                     /* hashes in a full tile */
#define MLOG_TILE_MAX_BYTES (MLOG_TILE_WIDTH * MLOG_HASH_BYTES)   /* 8192 */
#define MLOG_TILE_MAX_LEVEL 63                  /* largest <L> in a path */
#define MLOG_TILE_MAX_N UINT64_C(0x7fffffffffffffff)  /* int64, as Go */
/* Tile levels a tree of at most MLOG_TREE_MAX_SIZE leaves can have. */
#define MLOG_TILE_MAX_LEVELS 8
/* Buffer size for any path, NUL included. The longest is
 * "tile/entries/x009/x223/x372/x036/x854/x775/807.p/255" (52 bytes). */
#define MLOG_TILE_PATH_MAX 64

struct mlog_tile {
	int level;          /* 0..63; 0 for entry bundles */
	uint64_t n;         /* index within the level */
	unsigned width;     /* 1..256; 256 = full */
	int entries;        /* 1 for tile/entries bundles, else 0 */
};

/* ---- paths ------------------------------------------------------------ */

/*
 * Writes the path of tile t and a NUL into out (capacity out_cap;
 * MLOG_TILE_PATH_MAX always suffices). Returns the path length (> 0),
 * MLOG_ERR_RANGE if t is not valid (invariant 2), or MLOG_ERR_TOOBIG if
 * out_cap is too small. out is untouched on failure.
 */
int mlog_tile_format(char *out, size_t out_cap, const struct mlog_tile *t)
	MLOG_MUST_CHECK;

/*
 * Parses path[0..len) (not necessarily NUL-terminated, no leading '/')
 * into *out. Returns 0, or MLOG_ERR_MALFORMED for anything that does not
 * round-trip (invariant 1), including len >= MLOG_TILE_PATH_MAX (checked
 * first), L > 63, W of 0 or >= 256, N above MLOG_TILE_MAX_N and trailing
 * bytes. *out is untouched on failure.
 */
int mlog_tile_parse(struct mlog_tile *out /* OUT */, const char *path,
	size_t len, struct mlog_error *err) MLOG_MUST_CHECK;

/* ---- which tiles exist ------------------------------------------------ */

/*
 * Number of levels with at least one tile at tree size `size`: the number
 * of L with floor(size / 256^L) > 0. 0 for the empty tree, at most
 * MLOG_TILE_MAX_LEVELS for size <= MLOG_TREE_MAX_SIZE (larger sizes also
 * give a correct count, up to 8).
 */
int mlog_tile_levels(uint64_t size);

/*
 * 1 if tile t (hash tile or bundle) exists at tree size `size`
 * (invariant 3), else 0; an invalid t gives 0.
 */
int mlog_tile_exists(const struct mlog_tile *t, uint64_t size);

/*
 * The widest hash tile (level, n) at tree size `size`: width
 * min(256, floor(size / 256^level) - n*256). Returns 0, or
 * MLOG_ERR_NOTFOUND if no such tile exists yet (or level is out of 0..63).
 */
int mlog_tile_at(struct mlog_tile *out /* OUT */, int level, uint64_t n,
	uint64_t size) MLOG_MUST_CHECK;

/*
 * The rightmost hash tile of `level` at tree size `size`, at its current
 * width: tiles 0 .. out->n - 1 of that level are full, and so is out itself
 * when out->width == 256. Returns 0 or MLOG_ERR_NOTFOUND if the level has
 * no tile (level >= mlog_tile_levels(size)).
 */
int mlog_tile_edge(struct mlog_tile *out /* OUT */, int level,
	uint64_t size) MLOG_MUST_CHECK;

/* ---- nodes inside tiles ----------------------------------------------- */

/*
 * The narrowest hash tile holding node (level, n), and the entries
 * [*first, *first + *count) of it that hash pairwise to the node (count =
 * 2^(level % 8)); out->width = *first + *count (Go TileForIndex). Wider
 * versions of the tile (mlog_tile_at) hold the node at the same entries.
 * Returns 0, or MLOG_ERR_RANGE unless the node lies within
 * MLOG_TREE_MAX_SIZE leaves ((n+1) * 2^level <= 2^62).
 */
int mlog_tile_for_node(struct mlog_tile *out /* OUT */,
	unsigned *first /* OUT */, unsigned *count /* OUT */,
	int level, uint64_t n) MLOG_MUST_CHECK;

/*
 * As mlog_tile_for_node, for the node with stored-hash index `index`
 * (tree.h). Returns 0 or MLOG_ERR_RANGE.
 */
int mlog_tile_for_index(struct mlog_tile *out /* OUT */,
	unsigned *first /* OUT */, unsigned *count /* OUT */, uint64_t index)
	MLOG_MUST_CHECK;

/*
 * Computes the hash of node (level, n) from the bytes of hash tile t
 * (data[0..len), len must be exactly 32 * t->width): entries
 * [first, first + count) of mlog_tile_for_node hashed pairwise, at most 127
 * node hashes. Returns 0; MLOG_ERR_RANGE if t is not a valid hash tile or
 * does not hold the node (other tile, or too narrow); MLOG_ERR_MALFORMED if
 * len is wrong. out is untouched on failure.
 */
int mlog_tile_node_hash(struct mlog_hash *h,
	uint8_t out[MLOG_HASH_BYTES] /* OUT */, const struct mlog_tile *t,
	const uint8_t *data, size_t len, int level, uint64_t n)
	MLOG_MUST_CHECK;

/*
 * Mid hashes: a log that stores, next to each hash tile, the subtree hash
 * of every aligned run of MLOG_TILE_MID_SPAN entries (the nodes four
 * levels up inside the tile) answers any node of the tile with at most 7
 * node hashes instead of up to 127. They are derived data of the server's
 * store, never part of the C2SP tile bytes.
 */
#define MLOG_TILE_MID_SPAN 16
#define MLOG_TILE_MID_MAX (MLOG_TILE_WIDTH / MLOG_TILE_MID_SPAN)   /* 16 */

/*
 * Writes the mid hashes of the `width` tile entries at data (width <=
 * 256): floor(width / 16) hashes, hash k covering entries [16k, 16k + 16).
 * Returns their number.
 */
unsigned mlog_tile_mid_hashes(struct mlog_hash *h,
	uint8_t out[MLOG_TILE_MID_MAX][MLOG_HASH_BYTES] /* OUT */,
	const uint8_t *data, unsigned width);

/*
 * As mlog_tile_node_hash, also given the first nmid mid hashes of the
 * tile (mid may be NULL when nmid is 0): a node spanning 16 or more
 * entries whose runs are all among them is hashed from those instead of
 * the entries. The result is the same either way.
 */
int mlog_tile_node_hash_mid(struct mlog_hash *h,
	uint8_t out[MLOG_HASH_BYTES] /* OUT */, const struct mlog_tile *t,
	const uint8_t *data, size_t len,
	const uint8_t (*mid)[MLOG_HASH_BYTES], unsigned nmid, int level,
	uint64_t n) MLOG_MUST_CHECK;

/* ---- tiles from stored hashes (log side) ------------------------------ */

/*
 * Builds the bytes of hash tile t of the tree of `size` leaves whose stored
 * hashes r serves: entry i is the stored hash
 * mlog_tree_stored_index(8 * t->level, t->n * 256 + i), i < t->width.
 * Writes 32 * t->width bytes to out (capacity out_cap) and their number to
 * *out_len, reading in batches of MLOG_TREE_MAX_READ. Returns 0;
 * MLOG_ERR_RANGE if t is invalid, a bundle, or size > MLOG_TREE_MAX_SIZE;
 * MLOG_ERR_NOTFOUND if t does not exist at size; MLOG_ERR_TOOBIG if out_cap
 * is too small; or the reader's error. out and *out_len are untouched on
 * failure.
 */
int mlog_tile_build(uint8_t *out, size_t out_cap, size_t *out_len /* OUT */,
	const struct mlog_tile *t, uint64_t size,
	const struct mlog_hash_reader *r) MLOG_MUST_CHECK;

/* ---- hashes from tiles (client side) ---------------------------------- */

/*
 * Where a tile-backed reader gets tiles (a cache, files, HTTP).
 * read_tile() is asked only for hash tiles that exist at the reader's tree
 * size, at their widest width there (so it never needs a partial tile that
 * the trusted checkpoint does not require, C2SP tlog-tiles). It must write
 * the tile's 32 * t->width bytes into buf (room for MLOG_TILE_MAX_BYTES) and
 * set *len, returning 0, or return a negative mlog_err (MLOG_ERR_IO,
 * MLOG_ERR_NOTFOUND, ...), which the reader passes on. It may answer a
 * partial tile with the prefix of a wider one (invariant 3). Its output is
 * untrusted: the reader authenticates it (invariant 4).
 */
struct mlog_tile_source {
	int (*read_tile)(void *ctx, const struct mlog_tile *t, uint8_t *buf,
		size_t *len);
	void *ctx;
};

struct mlog_tile_hash_reader;

/*
 * Creates a reader for the tree of `size` leaves with trusted root `root`
 * (from a verified checkpoint), serving its stored hashes out of src's
 * tiles (Go TileHashReader). Fetches the partial right-edge tile of each
 * level (at most MLOG_TILE_MAX_LEVELS) and checks that they give `root`.
 * Returns 0 and *out; MLOG_ERR_RANGE if size > MLOG_TREE_MAX_SIZE;
 * MLOG_ERR_NOMEM or MLOG_ERR_INTERNAL (no SHA-256); MLOG_ERR_MALFORMED if
 * src returns a tile of the wrong length; MLOG_ERR_VERIFY if the tiles do
 * not hash to root (for size 0: root is not SHA-256("")); or src's error.
 * *out is untouched on failure.
 *
 * Cost: one allocation of about 2 * MLOG_TILE_MAX_LEVELS * 8 KiB, here and
 * never again; the reader caches the edge tiles and the last full tile of
 * each level.
 */
int mlog_tile_hash_reader_new(struct mlog_tile_hash_reader **out /* OUT */,
	uint64_t size, const uint8_t root[MLOG_HASH_BYTES],
	const struct mlog_tile_source *src, struct mlog_error *err)
	MLOG_MUST_CHECK;

/* Frees a reader; NULL is a no-op. */
void mlog_tile_hash_reader_free(struct mlog_tile_hash_reader *thr);

/*
 * The struct mlog_hash_reader to hand to mlog_tree_* and mlog_proof_*
 * (valid until the reader is freed). Its read() serves stored hashes with
 * index < mlog_tree_stored_count(size) and returns MLOG_ERR_RANGE for any
 * other; MLOG_ERR_VERIFY if a full tile does not match its parent;
 * MLOG_ERR_MALFORMED for a tile of the wrong length; or the source's error.
 * A failed fetch is never cached, so a later read retries it.
 *
 * Cost per requested hash: up to 127 SHA-256 over a cached tile; on a cache
 * miss, one fetch and 255 SHA-256 per full tile between the hash and the
 * nearest cached ancestor (at most MLOG_TILE_MAX_LEVELS - 1 tiles).
 */
const struct mlog_hash_reader *mlog_tile_hash_reader_hashes(
	struct mlog_tile_hash_reader *thr);

/* The tree size the reader serves. */
uint64_t mlog_tile_hash_reader_size(const struct mlog_tile_hash_reader *thr);

/* One line describing the last read() failure ("" if none), since read()
 * itself has no struct mlog_error. */
const char *mlog_tile_hash_reader_last_error(
	const struct mlog_tile_hash_reader *thr);

#endif
