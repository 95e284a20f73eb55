/*
 * checkpointer.h — a thread that copies the WAL back into the database
 * (SQLite PASSIVE checkpoints) so that the sequencer's commits do not.
 *
 * With SQLite's automatic checkpoints, every few commits one of them also
 * copied ~1,000 pages into the database file and fsynced it, which made
 * commits take 14 ms instead of about 1 (measured with 64 submitters).
 * The sequencer hands checkpoints off (store.h) and pokes this thread
 * after each commit with the WAL's length; the thread checkpoints on its
 * own connection once 16,384 frames (64 MiB) have accumulated. A longer
 * WAL means fewer checkpoints, each page rewritten by several batches in
 * between (tiles, bundles, index pages) is copied once, and the disk sees
 * fewer database fsyncs competing with the commits'. At 64 submitters,
 * in interleaved runs against SQLite's 1,000 frames: +20% entries/s on a
 * fresh log; on a 10^7-entry one, where few index pages are hit twice
 * between checkpoints, no measurable change (30,000 frames gave +9% there,
 * with a longer p99; docs/performance.md). The cost: the WAL
 * file stays up to that size on disk, and a restart after a crash
 * replays up to 64 MiB. PASSIVE checkpoints never block the writer or
 * readers and are only an optimisation: the WAL holds every committed
 * batch durably until they are copied.
 *
 * Thread-safety: poke from any thread; start/stop from one.
 * Ownership: mlogd_checkpointer_start/mlogd_checkpointer_stop (NULL ok).
 */
#ifndef MLOGD_CHECKPOINTER_H
#define MLOGD_CHECKPOINTER_H

#include "err.h"

struct mlogd_checkpointer;

/* Opens its own connection to db_path and starts the thread. Returns 0,
 * MLOG_ERR_DB, MLOG_ERR_NOMEM or MLOG_ERR_INTERNAL. */
int mlogd_checkpointer_start(struct mlogd_checkpointer **out,
	const char *db_path, struct mlog_error *err) MLOG_MUST_CHECK;

/* The WAL holds `frames` frames after a commit. */
void mlogd_checkpointer_poke(struct mlogd_checkpointer *c, unsigned frames);

/* Runs a last checkpoint, stops the thread and frees everything. */
void mlogd_checkpointer_stop(struct mlogd_checkpointer *c);

#endif
