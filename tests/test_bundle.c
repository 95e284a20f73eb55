/*
 * test_bundle.c — C2SP tlog-tiles entry bundles (merkle/bundle.c).
 *
 * Known answers: the Tessera test log's bundles tile/entries/000.p/1..15
 * against its level-0 tiles. Self-contained: round trips, capacity checks,
 * a table of malformed bundles, and a corruption sweep of every bundle.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "support.h"
#include "tile.h"

static void init(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(bundle, .init = init);

/* Deterministic bytes for test entries (xorshift, fixed seed). */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Leaf-hash tile of decoded entries. */
static void tile_of(struct mlog_hash *h, uint8_t *tile,
	const struct mlog_bundle_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mlog_hash_leaf(h, tile + 32 * i, e[i].data, e[i].len);
}

Test(bundle, known_bytes)
{
	/* The Tessera bundle of size 3, written out by hand. */
	static const uint8_t want[] = {
		0x00, 0x03, 'o', 'n', 'e', 0x00, 0x03, 't', 'w', 'o',
		0x00, 0x05, 't', 'h', 'r', 'e', 'e',
	};
	uint8_t buf[64];
	size_t len = 0, n = 0;
	struct mlog_bundle_entry e[MLOG_BUNDLE_MAX_ENTRIES];

	cr_assert_eq(mlog_bundle_append(buf, sizeof(buf), &len, "one", 3), 0);
	cr_assert_eq(mlog_bundle_append(buf, sizeof(buf), &len, "two", 3), 0);
	cr_assert_eq(mlog_bundle_append(buf, sizeof(buf), &len, "three", 5),
		0);
	cr_assert_eq(len, sizeof(want));
	cr_assert_arr_eq(buf, want, sizeof(want));
	cr_assert_eq(mlog_bundle_decode(e, &n, buf, len, NULL), MLOG_OK);
	cr_assert_eq(n, 3);
	cr_assert_eq(e[2].len, 5);
	cr_assert_arr_eq(e[2].data, "three", 5);
	cr_assert_eq(e[0].data, buf + 2);  /* points into the input */
}

Test(bundle, round_trips)
{
	static const size_t counts[] = { 1, 2, 3, 15, 128, 255, 256 };
	uint64_t seed = 0x9e3779b97f4a7c15u;
	size_t cap = MLOG_BUNDLE_MAX_ENTRIES * (2 + 300);
	uint8_t *buf = malloc(cap), *src = malloc(cap);
	struct mlog_hash *h = mlog_hash_new();
	uint8_t *tile = malloc(MLOG_TILE_MAX_BYTES);

	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++)
	for (int round = 0; round < 4; round++) {
		struct mlog_bundle_entry e[MLOG_BUNDLE_MAX_ENTRIES];
		size_t lens[MLOG_BUNDLE_MAX_ENTRIES];
		size_t offs[MLOG_BUNDLE_MAX_ENTRIES];
		size_t len = 0, n = 0, at = 0;

		for (size_t i = 0; i < counts[c]; i++) {
			/* Empty entries are allowed and included. */
			lens[i] = (size_t)(rng_next(&seed) % 301);
			if (i % 5 == 0)
				lens[i] = 0;
			offs[i] = at;
			for (size_t j = 0; j < lens[i]; j++)
				src[at + j] = (uint8_t)rng_next(&seed);
			at += lens[i];
			cr_assert_eq(mlog_bundle_append(buf, cap, &len,
				src + offs[i], lens[i]), MLOG_OK);
		}
		cr_assert_eq(len, at + 2 * counts[c]);
		cr_assert_eq(mlog_bundle_decode(e, &n, buf, len, NULL),
			MLOG_OK);
		cr_assert_eq(n, counts[c]);
		for (size_t i = 0; i < n; i++) {
			cr_assert_eq(e[i].len, lens[i]);
			cr_assert_arr_eq(e[i].data, src + offs[i], lens[i]);
		}
		tile_of(h, tile, e, n);
		cr_assert_eq(mlog_bundle_verify(h, buf, len, tile, n * 32,
			NULL), MLOG_OK);
	}
	free(tile);
	mlog_hash_free(h);
	free(src);
	free(buf);
}

Test(bundle, largest_entries)
{
	/* 256 entries of 65535 bytes: exactly MLOG_BUNDLE_MAX_BYTES. */
	uint8_t *buf = malloc(MLOG_BUNDLE_MAX_BYTES + 2);
	uint8_t *entry = malloc(MLOG_BUNDLE_ENTRY_MAX + 1);
	struct mlog_bundle_entry e[MLOG_BUNDLE_MAX_ENTRIES];
	size_t len = 0, n = 0;

	memset(entry, 'e', MLOG_BUNDLE_ENTRY_MAX + 1);
	cr_assert_eq(mlog_bundle_append(buf, MLOG_BUNDLE_MAX_BYTES + 2, &len,
		entry, MLOG_BUNDLE_ENTRY_MAX + 1), MLOG_ERR_TOOBIG);
	cr_assert_eq(len, 0);
	for (int i = 0; i < MLOG_BUNDLE_MAX_ENTRIES; i++)
		cr_assert_eq(mlog_bundle_append(buf, MLOG_BUNDLE_MAX_BYTES + 2,
			&len, entry, MLOG_BUNDLE_ENTRY_MAX), MLOG_OK);
	cr_assert_eq(len, (size_t)MLOG_BUNDLE_MAX_BYTES);
	cr_assert_eq(buf[0], 0xff);
	cr_assert_eq(buf[1], 0xff);
	cr_assert_eq(mlog_bundle_decode(e, &n, buf, len, NULL), MLOG_OK);
	cr_assert_eq(n, 256);
	cr_assert_eq(e[255].len, MLOG_BUNDLE_ENTRY_MAX);
	/* One more byte is over the cap, refused before decoding. */
	buf[len] = 0;
	cr_assert_eq(mlog_bundle_decode(e, &n, buf, len + 1, NULL),
		MLOG_ERR_TOOBIG);
	free(entry);
	free(buf);
}

Test(bundle, append_capacity_checks)
{
	uint8_t buf[16];
	size_t len = 0;

	memset(buf, 0xEE, sizeof(buf));
	cr_assert_eq(mlog_bundle_append(buf, sizeof(buf), &len,
		"0123456789abc", 13), MLOG_OK);
	cr_assert_eq(len, 15);
	/* One byte left: not even an empty entry fits. */
	cr_assert_eq(mlog_bundle_append(buf, sizeof(buf), &len, "", 0),
		MLOG_ERR_TOOBIG);
	cr_assert_eq(len, 15);
	cr_assert_eq(buf[15], 0xEE);
	len = 14;
	cr_assert_eq(mlog_bundle_append(buf, sizeof(buf), &len, "", 0),
		MLOG_OK);
	cr_assert_eq(len, 16);
	cr_assert_eq(buf[14], 0);
	cr_assert_eq(buf[15], 0);
	/* A length already past the capacity. */
	len = 17;
	cr_assert_eq(mlog_bundle_append(buf, sizeof(buf), &len, "", 0),
		MLOG_ERR_TOOBIG);
	cr_assert_eq(len, 17);
	len = 0;
	cr_assert_eq(mlog_bundle_append(buf, 0, &len, "", 0),
		MLOG_ERR_TOOBIG);
	cr_assert_eq(mlog_bundle_append(buf, 2, &len, "", 0), MLOG_OK);
	cr_assert_eq(len, 2);
}

/* Malformed bundles next to valid ones. */
static const struct {
	const char *bytes;
	size_t len;
	int want;              /* MLOG_OK or the error */
	size_t count;
} table[] = {
	{ "\x00\x00", 2, MLOG_OK, 1 },
	{ "\x00\x00\x00\x00", 4, MLOG_OK, 2 },
	{ "\x00\x01" "a", 3, MLOG_OK, 1 },
	{ "\x00\x01" "a\x00\x02" "bc", 7, MLOG_OK, 2 },
	{ "\x01\x00", 2, MLOG_ERR_MALFORMED, 0 },     /* 256 bytes missing */
	{ "", 0, MLOG_ERR_MALFORMED, 0 },            /* no entries */
	{ "\x00", 1, MLOG_ERR_MALFORMED, 0 },        /* prefix cut short */
	{ "\x00\x00\x00", 3, MLOG_ERR_MALFORMED, 0 },
	{ "\x00\x01", 2, MLOG_ERR_MALFORMED, 0 },    /* length past end */
	{ "\x00\x05" "abc", 5, MLOG_ERR_MALFORMED, 0 },
	{ "\x00\x01" "ab", 4, MLOG_ERR_MALFORMED, 0 },  /* trailing byte */
	{ "\x00\x01" "a\x00", 4, MLOG_ERR_MALFORMED, 0 },
	{ "\xff\xff" "a", 3, MLOG_ERR_MALFORMED, 0 },
	{ "\x80\x00", 2, MLOG_ERR_MALFORMED, 0 },
};

Test(bundle, malformed_table)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct mlog_bundle_entry e[MLOG_BUNDLE_MAX_ENTRIES];
		struct mlog_error err = { 0 };
		size_t n = 999;

		e[0].data = NULL;
		e[0].len = 777;
		cr_assert_eq(mlog_bundle_decode(e, &n,
			(const uint8_t *)table[i].bytes, table[i].len, &err),
			table[i].want, "table[%zu]", i);
		if (table[i].want == MLOG_OK) {
			cr_assert_eq(n, table[i].count, "table[%zu]", i);
		} else {
			/* Outputs untouched; one-line message. */
			cr_assert_eq(n, 999);
			cr_assert_null(e[0].data);
			cr_assert_eq(e[0].len, 777);
			cr_assert_eq(err.code, table[i].want);
			cr_assert_neq(err.msg[0], '\0');
		}
	}
}

Test(bundle, more_than_256_entries)
{
	uint8_t buf[2 * 257];
	struct mlog_bundle_entry e[MLOG_BUNDLE_MAX_ENTRIES];
	struct mlog_error err = { 0 };
	size_t n = 0;

	memset(buf, 0, sizeof(buf));      /* 257 empty entries */
	cr_assert_eq(mlog_bundle_decode(e, &n, buf, 2 * 256, NULL), MLOG_OK);
	cr_assert_eq(n, 256);
	n = 0;
	cr_assert_eq(mlog_bundle_decode(e, &n, buf, sizeof(buf), &err),
		MLOG_ERR_MALFORMED);
	cr_assert_eq(n, 0);
	cr_assert(strstr(err.msg, "256") != NULL, "%s", err.msg);
}

Test(bundle, verify_against_tile)
{
	struct mlog_hash *h = mlog_hash_new();
	uint8_t buf[256], tile[4 * 32];
	struct mlog_bundle_entry e[MLOG_BUNDLE_MAX_ENTRIES];
	struct mlog_error err = { 0 };
	size_t len = 0, n = 0;
	static uint8_t big[MLOG_TILE_MAX_BYTES + 32];

	cr_assert_eq(mlog_bundle_append(buf, sizeof(buf), &len, "a", 1), 0);
	cr_assert_eq(mlog_bundle_append(buf, sizeof(buf), &len, "", 0), 0);
	cr_assert_eq(mlog_bundle_append(buf, sizeof(buf), &len, "ccc", 3), 0);
	cr_assert_eq(mlog_bundle_decode(e, &n, buf, len, NULL), MLOG_OK);
	tile_of(h, tile, e, n);
	cr_assert_eq(mlog_bundle_verify(h, buf, len, tile, 3 * 32, &err),
		MLOG_OK, "%s", err.msg);
	/* Fewer or more tile slots than entries. */
	cr_assert_eq(mlog_bundle_verify(h, buf, len, tile, 2 * 32, NULL),
		MLOG_ERR_VERIFY);
	cr_assert_eq(mlog_bundle_verify(h, buf, len, tile, 4 * 32, NULL),
		MLOG_ERR_VERIFY);
	/* Tile lengths that are not 1..256 hashes. */
	cr_assert_eq(mlog_bundle_verify(h, buf, len, tile, 0, NULL),
		MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_bundle_verify(h, buf, len, tile, 3 * 32 - 1, NULL),
		MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_bundle_verify(h, buf, len, big, sizeof(big), NULL),
		MLOG_ERR_MALFORMED);
	/* A malformed bundle is malformed, whatever the tile. */
	cr_assert_eq(mlog_bundle_verify(h, buf, len - 1, tile, 3 * 32, NULL),
		MLOG_ERR_MALFORMED);
	/* Entries swapped: the same set in another order fails. */
	{
		uint8_t swapped[3 * 32];

		memcpy(swapped, tile + 32, 32);
		memcpy(swapped + 32, tile, 32);
		memcpy(swapped + 64, tile + 64, 32);
		cr_assert_eq(mlog_bundle_verify(h, buf, len, swapped, 96,
			&err), MLOG_ERR_VERIFY);
		cr_assert(strstr(err.msg, "entry 0") != NULL, "%s", err.msg);
	}
	/* Each bit of each tile slot. */
	for (size_t bit = 0; bit < 3 * 32 * 8; bit++) {
		tile[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		cr_assert_eq(mlog_bundle_verify(h, buf, len, tile, 96, NULL),
			MLOG_ERR_VERIFY);
		tile[bit / 8] ^= (uint8_t)(1 << (bit % 8));
	}
	/* The node hash of an entry is not its leaf hash (0x00 prefix). */
	mlog_hash_sha256(h, tile, "a", 1);
	cr_assert_eq(mlog_bundle_verify(h, buf, len, tile, 96, NULL),
		MLOG_ERR_VERIFY);
	mlog_hash_free(h);
}

/* Every single-bit flip, truncation and extension of a good bundle is
 * either malformed or fails against its tile: none verifies. */
static void corruption_sweep(struct mlog_hash *h, const uint8_t *bundle,
	size_t len, const uint8_t *tile, size_t tile_len)
{
	uint8_t *buf = malloc(len + 3);
	unsigned long probes = 0;

	cr_assert_eq(mlog_bundle_verify(h, bundle, len, tile, tile_len, NULL),
		MLOG_OK);
	for (size_t bit = 0; bit < len * 8; bit++) {
		int rc;

		memcpy(buf, bundle, len);
		buf[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		rc = mlog_bundle_verify(h, buf, len, tile, tile_len, NULL);
		cr_assert(rc == MLOG_ERR_MALFORMED || rc == MLOG_ERR_VERIFY,
			"bit %zu: %d", bit, rc);
		probes++;
	}
	for (size_t cut = 0; cut < len; cut++) {
		int rc = mlog_bundle_verify(h, bundle, cut, tile, tile_len,
			NULL);

		cr_assert(rc == MLOG_ERR_MALFORMED || rc == MLOG_ERR_VERIFY,
			"cut %zu: %d", cut, rc);
		probes++;
	}
	{
		static const char *const tails[] = { "\x00", "\xff",
			"\x00\x00", "\x00\x01", "\x00\x01z" };
		static const size_t tail_lens[] = { 1, 1, 2, 2, 3 };

		for (size_t i = 0; i < 5; i++) {
			int rc;

			memcpy(buf, bundle, len);
			memcpy(buf + len, tails[i], tail_lens[i]);
			rc = mlog_bundle_verify(h, buf, len + tail_lens[i],
				tile, tile_len, NULL);
			cr_assert(rc == MLOG_ERR_MALFORMED ||
				rc == MLOG_ERR_VERIFY, "tail %zu: %d", i, rc);
			probes++;
		}
	}
	cr_assert_eq(probes, len * 8 + len + 5);
	free(buf);
}

Test(bundle, corruption_sweep_generated)
{
	struct mlog_hash *h = mlog_hash_new();
	uint8_t buf[600], tile[40 * 32];
	struct mlog_bundle_entry e[MLOG_BUNDLE_MAX_ENTRIES];
	uint64_t seed = 42;
	size_t len = 0, n = 0;

	for (int i = 0; i < 40; i++) {
		uint8_t entry[12];
		size_t el = (size_t)(rng_next(&seed) % 12);

		for (size_t j = 0; j < el; j++)
			entry[j] = (uint8_t)rng_next(&seed);
		cr_assert_eq(mlog_bundle_append(buf, sizeof(buf), &len, entry,
			el), MLOG_OK);
	}
	cr_assert_eq(mlog_bundle_decode(e, &n, buf, len, NULL), MLOG_OK);
	cr_assert_eq(n, 40);
	tile_of(h, tile, e, n);
	corruption_sweep(h, buf, len, tile, n * 32);
	mlog_hash_free(h);
}

static const char *const tessera_words[] = {
	"one", "two", "three", "four", "five", "six", "seven", "eit",
	"nain", "ten", "ileven", "twelf", "threeten", "fourten", "fivten",
};

Test(bundle, tessera_bundles_match_tiles)
{
	struct mlog_hash *h;
	char *full_tile, *full_bundle;
	size_t full_tile_len, full_bundle_len;

	TEST_REQUIRE_SHARED();
	h = mlog_hash_new();
	full_tile = test_read_shared(
		"vectors/tiles/tessera-testdata-log/tile/0/000.p/15",
		&full_tile_len);
	full_bundle = test_read_shared(
		"vectors/tiles/tessera-testdata-log/tile/entries/000.p/15",
		&full_bundle_len);
	for (unsigned w = 1; w <= 15; w++) {
		char rel[128];
		char *bundle, *tile;
		size_t blen, tlen, n = 0, relen = 0;
		struct mlog_bundle_entry e[MLOG_BUNDLE_MAX_ENTRIES];
		struct mlog_error err = { 0 };
		uint8_t again[512];

		snprintf(rel, sizeof(rel),
			"vectors/tiles/tessera-testdata-log/tile/entries/"
			"000.p/%u", w);
		bundle = test_read_shared(rel, &blen);
		snprintf(rel, sizeof(rel),
			"vectors/tiles/tessera-testdata-log/tile/0/"
			"000.p/%u", w);
		tile = test_read_shared(rel, &tlen);
		cr_assert_eq(tlen, (size_t)w * 32);

		cr_assert_eq(mlog_bundle_decode(e, &n, (uint8_t *)bundle, blen,
			&err), MLOG_OK, "bundle %u: %s", w, err.msg);
		cr_assert_eq(n, w);
		for (unsigned i = 0; i < w; i++) {
			cr_assert_eq(e[i].len, strlen(tessera_words[i]));
			cr_assert_arr_eq(e[i].data, tessera_words[i],
				e[i].len);
			cr_assert_eq(mlog_bundle_append(again, sizeof(again),
				&relen, e[i].data, e[i].len), MLOG_OK);
		}
		/* Re-encoding gives the served bytes. */
		cr_assert_eq(relen, blen);
		cr_assert_arr_eq(again, bundle, blen);
		/* Partial bundles are prefixes of wider ones. */
		cr_assert_leq(blen, full_bundle_len);
		cr_assert_arr_eq(bundle, full_bundle, blen);

		cr_assert_eq(mlog_bundle_verify(h, (uint8_t *)bundle, blen,
			(uint8_t *)tile, tlen, &err), MLOG_OK, "%s", err.msg);
		/* Against the prefix of the widest tile, too. */
		cr_assert_eq(mlog_bundle_verify(h, (uint8_t *)bundle, blen,
			(uint8_t *)full_tile, tlen, NULL), MLOG_OK);
		/* But not against a wider or narrower tile. */
		if (w < 15)
			cr_assert_eq(mlog_bundle_verify(h, (uint8_t *)bundle,
				blen, (uint8_t *)full_tile, tlen + 32, NULL),
				MLOG_ERR_VERIFY);
		if (w > 1)
			cr_assert_eq(mlog_bundle_verify(h, (uint8_t *)bundle,
				blen, (uint8_t *)tile, tlen - 32, NULL),
				MLOG_ERR_VERIFY);
		corruption_sweep(h, (uint8_t *)bundle, blen, (uint8_t *)tile,
			tlen);
		free(tile);
		free(bundle);
	}
	free(full_bundle);
	free(full_tile);
	mlog_hash_free(h);
}
