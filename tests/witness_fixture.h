/*
 * witness_fixture.h — helpers for the witness/ unit tests: a temporary
 * directory, and a synthetic log (an Ed25519 key from a seed plus an
 * in-memory tree, memtree.h) that signs checkpoints and builds
 * add-checkpoint bodies with real consistency proofs.
 */
#ifndef MLOG_TEST_WITNESS_FIXTURE_H
#define MLOG_TEST_WITNESS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "memtree.h"
#include "note.h"

/* A new directory under $TMPDIR or /tmp; rm -rf of one. */
void fx_tmpdir(char *out, size_t cap);
void fx_rmtree(const char *path);

struct fx_log {
	struct mlog_note_signer key;
	char vkey[MLOG_NOTE_VKEY_MAX + 1];
	struct memtree tree;
	uint64_t fork_at;              /* leaves >= fork_at differ, if > 0 */
};

void fx_log_new(struct fx_log *l, const char *origin, uint8_t seed,
	uint64_t fork_at);
void fx_log_free(struct fx_log *l);

/* The signed checkpoint at size (signed by l, then extra[0..nextra)). */
char *fx_log_checkpoint(struct fx_log *l, uint64_t size,
	const struct mlog_note_signer *extra, size_t nextra, size_t *len);

/* An add-checkpoint body old -> size with the real proof (none when old
 * is 0 or equals size). malloc'd. */
char *fx_log_body(struct fx_log *l, uint64_t old, uint64_t size,
	size_t *len);

#endif
