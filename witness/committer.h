/*
 * committer.h — the witness's only writer: a queue of add-checkpoint
 * requests that need the stored state (add.h WITNESS_ADD_PENDING) and one
 * thread that decides them in batches, one SQLite transaction per batch.
 *
 * Why batches: a durable COMMIT costs one fsync of the WAL (store.h),
 * milliseconds on ordinary disks; deciding every request in its own
 * transaction would cap the witness at a few hundred requests per second
 * whatever the CPU. A batch shares one fsync among every request that
 * arrived while the previous one was being written (group commit), and
 * each request is still one compare-and-swap inside it (store.h
 * invariant 4) with its own savepoint.
 *
 * A job's life:
 *
 *   submit -> QUEUED -batch taken-> DECIDED -COMMIT ok-> applied -> done()
 *                                      |
 *                                      +-COMMIT failed-> 500 -----> done()
 *   submit after stop ---------------------------------> 503 -----> done()
 *
 * Invariants:
 *  (1) done() is called exactly once per submitted job, after the job's
 *      answer is final; for a job decided in a batch, after that batch's
 *      COMMIT returned (so every 200 is durable before it is sent).
 *  (2) Jobs are decided in submission order; two jobs for one log in one
 *      batch see each other's writes (same transaction).
 *  (3) The store is used by the committer thread only, from start to
 *      stop.
 *
 * Thread-safety: submit and depth from any thread; start, stop and free
 * from one controlling thread (main). done() runs on the committer thread
 * (or on the submitting thread after stop) and must not block.
 * Ownership: the caller owns each job, which must stay valid until its
 * done() has been called; the committer borrows the store and key until
 * witness_committer_stop returns.
 */
#ifndef WITNESS_COMMITTER_H
#define WITNESS_COMMITTER_H

#include <stddef.h>

#include "add.h"
#include "err.h"
#include "metrics.h"
#include "note.h"
#include "store.h"

struct witness_job {
	struct witness_add add;
	void (*done)(struct witness_job *j);
	void *done_ctx;
	struct witness_job *next;      /* owned by the committer's queue */
};

struct witness_committer_config {
	struct witness_store *store;
	const struct mlog_note_signer *key;   /* cosignature/v1 (0x04) */
	unsigned batch_max;                   /* jobs per transaction */
	struct witness_metrics *metrics;      /* may be NULL */
};

struct witness_committer;

/* Starts the committer thread. Returns 0, MLOG_ERR_NOMEM or
 * MLOG_ERR_INTERNAL (thread creation failed). */
int witness_committer_start(struct witness_committer **out /* OUT */,
	const struct witness_committer_config *cfg, struct mlog_error *err)
	MLOG_MUST_CHECK;

/* Queues j (whose add passed witness_add_judge). Never fails: after stop
 * the job is answered 503 at once (invariant 1). */
void witness_committer_submit(struct witness_committer *c,
	struct witness_job *j);

/* Jobs queued and not yet taken into a batch. */
size_t witness_committer_depth(struct witness_committer *c);

/* 1 if the latest batch could not be committed. */
int witness_committer_failing(struct witness_committer *c);

/* Decides everything queued, then stops the thread. Idempotent. */
void witness_committer_stop(struct witness_committer *c);

/* Stops (if needed) and frees; NULL is a no-op. */
void witness_committer_free(struct witness_committer *c);

#endif
