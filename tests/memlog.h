/*
 * memlog.h — an in-memory log for client tests and benchmarks: entries,
 * stored hashes (mlog_tree_append), a log key, signed and cosigned
 * checkpoints, inclusion proofs, and a struct cli_walk_source serving
 * C2SP tiles and entry bundles from memory, so that client modules
 * (evidence.c, monitor.c, walk.c) run without a server. No Criterion:
 * functions return 0 or a negative mlog_err, so bench/ can use it too.
 *
 * Thread-safety: one thread. Ownership: memlog_init / memlog_clear;
 * returned notes are malloc'd for the caller.
 */
#ifndef MLOG_TEST_MEMLOG_H
#define MLOG_TEST_MEMLOG_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "note.h"
#include "proof.h"
#include "walk.h"

struct memlog {
	struct mlog_hash *h;
	char origin[64];
	struct mlog_note_signer key;          /* the log's key (0x01) */
	uint8_t **entries;
	size_t *lens;
	uint64_t n, cap;
	uint8_t (*stored)[MLOG_HASH_BYTES];
	uint64_t nstored, cstored;
	struct mlog_hash_reader reader;
	/* Test hooks: bundles whose entry at corrupt_index (if not
	 * UINT64_MAX) has its first byte flipped; reads that fail. */
	uint64_t corrupt_index;
	int fail_reads;
	uint64_t tile_reads, bundle_reads;
};

/* A new empty log named origin with a fresh key (or from seed if not
 * NULL, 32 bytes). */
int memlog_init(struct memlog *l, const char *origin, const uint8_t *seed);
void memlog_clear(struct memlog *l);

int memlog_append(struct memlog *l, const void *entry, size_t len);

/* The root of the first size entries. */
int memlog_root(struct memlog *l, uint64_t size,
	uint8_t root[MLOG_HASH_BYTES]);

/* A checkpoint of the first size entries, signed by the log key. */
int memlog_checkpoint(struct memlog *l, uint64_t size, char **note,
	size_t *len);

/* Appends a cosignature line by w (a 0x04 signer) at time t to *note. */
int memlog_cosign(char **note, size_t *len, const struct mlog_note_signer *w,
	uint64_t t);

/* Inclusion proof of index in the tree of size. */
int memlog_prove(struct memlog *l, uint64_t index, uint64_t size,
	uint8_t (*proof)[MLOG_HASH_BYTES], size_t *proof_len);

/* The log as a walk source (tiles and bundles of its current size). */
void memlog_source(struct memlog *l, struct cli_walk_source *src);

/* "log <vkey>\n" for a policy. */
int memlog_policy_line(const struct memlog *l, char *out, size_t cap);

#endif
