/*
 * test_tree.c — stored-hash index math, incremental append and roots
 * (merkle/tree.c), against the RFC 6962 reference tree and a naive
 * recursive MTH.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memtree.h"
#include "support.h"
#include "tree.h"

Test(tree, stored_index_small_known_values)
{
	/* Crosby-Wallach order: leaf 0, leaf 1, (1,0), leaf 2, leaf 3, (1,1),
	 * (2,0), leaf 4, ... */
	static const struct { int level; uint64_t n, idx; } cases[] = {
		{ 0, 0, 0 }, { 0, 1, 1 }, { 1, 0, 2 }, { 0, 2, 3 },
		{ 0, 3, 4 }, { 1, 1, 5 }, { 2, 0, 6 }, { 0, 4, 7 },
		{ 0, 5, 8 }, { 1, 2, 9 }, { 0, 6, 10 }, { 0, 7, 11 },
		{ 1, 3, 12 }, { 2, 1, 13 }, { 3, 0, 14 }, { 0, 8, 15 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int level = -1;
		uint64_t n = 99;

		cr_assert_eq(mlog_tree_stored_index(cases[i].level,
			cases[i].n), cases[i].idx, "case %zu", i);
		mlog_tree_split_index(cases[i].idx, &level, &n);
		cr_assert_eq(level, cases[i].level);
		cr_assert_eq(n, cases[i].n);
	}
}

Test(tree, split_inverts_stored_index)
{
	/* Every index up to 100,000 maps to a (level, n) that maps back. */
	for (uint64_t idx = 0; idx < 100000; idx++) {
		int level;
		uint64_t n;

		mlog_tree_split_index(idx, &level, &n);
		cr_assert_eq(mlog_tree_stored_index(level, n), idx,
			"index %llu", (unsigned long long)idx);
	}
	/* And large ones at every level. */
	for (int level = 0; level < 40; level++) {
		uint64_t ns[] = { 0, 1, 2, 12345, (UINT64_C(1) << 40) - 1,
			(UINT64_C(1) << (61 - level)) - 1 };

		for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
			uint64_t idx;
			int got_level;
			uint64_t got_n;

			/* Only nodes of trees within MLOG_TREE_MAX_SIZE. */
			if (ns[i] >= UINT64_C(1) << (61 - level))
				continue;
			idx = mlog_tree_stored_index(level, ns[i]);

			mlog_tree_split_index(idx, &got_level, &got_n);
			cr_assert_eq(got_level, level);
			cr_assert_eq(got_n, ns[i]);
		}
	}
}

Test(tree, stored_count_equals_next_leaf_index)
{
	for (uint64_t n = 0; n < 5000; n++)
		cr_assert_eq(mlog_tree_stored_count(n),
			mlog_tree_stored_index(0, n));
	cr_assert_eq(mlog_tree_stored_count(UINT64_C(1) << 40),
		mlog_tree_stored_index(0, UINT64_C(1) << 40));
}

Test(tree, reference_tree_nodes_and_roots)
{
	struct memtree t;
	char *text, *line, *save = NULL;
	int nodes = 0, roots = 0;

	TEST_REQUIRE_SHARED();
	memtree_init(&t);
	text = test_read_shared("vectors/merkle/rfc6962-reference-tree.txt",
		NULL);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		uint8_t want[32], got[32], data[64];
		unsigned long long a, b;
		char hex[200];

		if (sscanf(line, "leaf %llu %199s", &a, hex) >= 1 &&
		    strncmp(line, "leaf ", 5) == 0) {
			size_t len = 0;

			if (sscanf(line, "leaf %llu %199s", &a, hex) == 2) {
				len = strlen(hex) / 2;
				test_hex(data, len, hex);
			}
			cr_assert_eq(a, t.size, "leaves in order");
			memtree_append(&t, data, len);
		} else if (sscanf(line, "node %llu %llu %199s", &a, &b,
			hex) == 3) {
			test_hex(want, 32, hex);
			cr_assert_arr_eq(t.stored[mlog_tree_stored_index(
				(int)a, b)], want, 32, "%s", line);
			nodes++;
		} else if (sscanf(line, "root %llu %199s", &a, hex) == 2) {
			test_hex(want, 32, hex);
			cr_assert_eq(mlog_tree_root(t.h, got, a, &t.reader),
				MLOG_OK);
			cr_assert_arr_eq(got, want, 32, "%s", line);
			roots++;
		}
	}
	cr_assert_eq(t.size, 8);
	cr_assert_eq(nodes, 15);
	cr_assert_eq(roots, 9);
	free(text);
	memtree_clear(&t);
}

Test(tree, incremental_roots_equal_naive_mth, .timeout = 300)
{
	struct memtree t;
	uint64_t sizes[64];
	size_t nsizes = 0;
	uint64_t seed = 0x9e3779b97f4a7c15u;

	memtree_init(&t);
	memtree_grow(&t, 100000);
	/* Every size up to 300, then random sizes up to 100,000 and the
	 * powers of two and their neighbours. */
	for (uint64_t n = 1; n <= 300; n++) {
		uint8_t got[32], want[32];

		cr_assert_eq(mlog_tree_root(t.h, got, n, &t.reader), MLOG_OK);
		memtree_naive_mth(&t, want, 0, n);
		cr_assert_arr_eq(got, want, 32, "size %llu",
			(unsigned long long)n);
	}
	for (int i = 0; i < 20; i++) {
		seed = seed * 6364136223846793005u + 1442695040888963407u;
		sizes[nsizes++] = 1 + (seed >> 33) % 100000;
	}
	sizes[nsizes++] = 65535;
	sizes[nsizes++] = 65536;
	sizes[nsizes++] = 65537;
	sizes[nsizes++] = 100000;
	for (size_t i = 0; i < nsizes; i++) {
		uint8_t got[32], want[32];

		/* Invariant 3: only hashes that exist at that size are read. */
		t.read_limit = mlog_tree_stored_count(sizes[i]);
		cr_assert_eq(mlog_tree_root(t.h, got, sizes[i], &t.reader),
			MLOG_OK);
		t.read_limit = 0;
		memtree_naive_mth(&t, want, 0, sizes[i]);
		cr_assert_arr_eq(got, want, 32, "size %llu",
			(unsigned long long)sizes[i]);
	}
	memtree_clear(&t);
}

Test(tree, empty_root_and_ranges)
{
	struct memtree t;
	uint8_t got[32], empty[32];

	memtree_init(&t);
	memtree_grow(&t, 10);
	mlog_hash_empty(empty);
	cr_assert_eq(mlog_tree_root(t.h, got, 0, &t.reader), MLOG_OK);
	cr_assert_arr_eq(got, empty, 32);
	cr_assert_eq(mlog_tree_root(t.h, got, MLOG_TREE_MAX_SIZE + 1,
		&t.reader), MLOG_ERR_RANGE);
	/* [3, 7) is not made of aligned subtrees starting at 3 with a 4-leaf
	 * subtree first: misaligned. */
	cr_assert_eq(mlog_tree_subtree_hash(t.h, got, 2, 6, &t.reader),
		MLOG_ERR_RANGE);
	cr_assert_eq(mlog_tree_subtree_hash(t.h, got, 5, 5, &t.reader),
		MLOG_ERR_RANGE);
	/* [4, 10) = (2,1) + (1,4): aligned. */
	cr_assert_eq(mlog_tree_subtree_hash(t.h, got, 4, 10, &t.reader),
		MLOG_OK);
	{
		uint8_t want[32];

		memtree_naive_mth(&t, want, 4, 10);
		cr_assert_arr_eq(got, want, 32);
	}
	memtree_clear(&t);
}

static int failing_read(void *ctx, const uint64_t *idx, size_t n,
	uint8_t (*out)[MLOG_HASH_BYTES])
{
	(void)ctx;
	(void)idx;
	(void)n;
	(void)out;
	return MLOG_ERR_IO;
}

Test(tree, reader_errors_propagate)
{
	struct mlog_hash *h = mlog_hash_new();
	struct mlog_hash_reader r = { failing_read, NULL };
	uint8_t out[MLOG_TREE_MAX_APPEND][32], leaf[32] = { 0 };
	size_t n = 77;

	cr_assert_eq(mlog_tree_root(h, out[0], 5, &r), MLOG_ERR_IO);
	cr_assert_eq(mlog_tree_append(h, out, &n, 1, leaf, &r), MLOG_ERR_IO);
	cr_assert_eq(n, 77);
	/* Appending leaf 0 completes no subtree: no read needed. */
	cr_assert_eq(mlog_tree_append(h, out, &n, 0, leaf, &r), MLOG_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(mlog_tree_append(h, out, &n, MLOG_TREE_MAX_SIZE, leaf,
		&r), MLOG_ERR_RANGE);
	mlog_hash_free(h);
}
