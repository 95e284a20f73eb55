/*
 * sequencer.h — the one thread that turns accepted entries into log
 * entries: group commit, receipts, published checkpoints.
 *
 * HTTP threads validate and verify submissions in parallel and hand each
 * one over as a struct mlogd_ticket (mlogd_seq_submit). The sequencer
 * commits a batch batch_ms after its oldest ticket arrived, as soon as
 * batch_max tickets wait, or once no ticket has arrived for batch_idle_ms
 * (then every client is already waiting, and waiting longer only adds
 * latency: adaptive group commit). For one
 * batch, in one SQLite transaction (store.h): drops duplicates (in the
 * store or earlier in the batch) by pointing them at the existing index,
 * assigns consecutive indexes, appends leaves to the edge (edge.h), writes
 * every touched tile and bundle, the search/signer indexes and a newly
 * signed checkpoint. Only after the commit does it publish the new head
 * and complete the batch's tickets (their done() callbacks resume the
 * waiting HTTP connections; no thread is parked per request).
 *
 * States:
 *
 *   RUNNING --mlogd_seq_stop--> DRAINING --queue empty--> STOPPED
 *      |                           |
 *      +------storage error--------+----> FAILED (answers everything 503)
 *
 *  - RUNNING: submit enqueues (or refuses with MLOG_ERR_TOOBIG when the
 *    queue holds queue_max tickets: HTTP 429).
 *  - DRAINING: submit refuses (MLOG_ERR_CONFLICT: HTTP 503); everything
 *    already queued is still committed and answered.
 *  - FAILED: a commit failed or storage is inconsistent; the batch's
 *    tickets and every later submit fail (HTTP 503). Sequencing never
 *    skips ahead: a restart runs recovery again (Sunlight's errFatal).
 *
 * Invariants:
 *  (1) A ticket's done() is called exactly once, after its batch is
 *      durable (status NEW or DUP) or known lost (FAILED).
 *  (2) Indexes are assigned once, consecutively from the committed size;
 *      a failed batch assigns nothing that survives (the edge is reloaded
 *      from the store).
 *  (3) Every published head is a committed checkpoint, and heads are
 *      published in increasing size.
 *
 * Thread-safety: mlogd_seq_submit, mlogd_seq_head, mlogd_seq_stats and
 * mlogd_seq_stop may be called from any thread; the rest from the thread
 * that owns the struct mlogd_seq.
 * Ownership: tickets stay owned by the submitter; the sequencer borrows
 * them from submit until done() (after which it never touches them).
 */
#ifndef MLOGD_SEQUENCER_H
#define MLOGD_SEQUENCER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hash.h"
#include "note.h"
#include "metrics.h"
#include "store.h"

/* A signed checkpoint the log has committed, shared by reference. */
struct mlogd_head {
	uint64_t size;
	uint8_t root[MLOG_HASH_BYTES];
	char *note;              /* the log-signed checkpoint note */
	size_t note_len;
	int64_t signed_at;       /* Unix seconds */
	int refs;                /* guarded by the sequencer's head lock */
};

enum mlogd_ticket_status {
	MLOGD_TICKET_WAITING = 0,
	MLOGD_TICKET_NEW,        /* 201: appended at index */
	MLOGD_TICKET_DUP,        /* 200: already present at index */
	MLOGD_TICKET_FAILED,     /* 503: not sequenced */
};

/* A search key an entry is indexed under (store.h search table). */
struct mlogd_search_key {
	int kind;                /* store.h search kind */
	char *key;               /* malloc'd, NUL-terminated */
};

struct mlogd_ticket {
	/* Set by the submitter. */
	uint8_t *data;           /* leaf data: canonical envelope */
	size_t len;
	uint8_t leaf_hash[MLOG_HASH_BYTES];
	struct mlogd_search_key *keys;
	size_t nkeys;
	char **signers;          /* names of signers that verified */
	size_t nsigners;
	void (*done)(struct mlogd_ticket *t);
	void *done_ctx;
	/* Set by the sequencer before done(). */
	int status;              /* enum mlogd_ticket_status */
	uint64_t index;
	struct mlogd_head *head; /* a reference: mlogd_seq_head_unref it */
	/* Owned by the sequencer between submit and done(). */
	struct mlogd_ticket *next;
	int64_t enqueued_ns;
};

/* Receives every head right after it is published (witness seam). Runs on
 * the sequencer thread: must not block. */
struct mlogd_head_listener {
	void (*published)(void *ctx, struct mlogd_head *head);
	void *ctx;
};

struct mlogd_seq_config {
	const char *db_path;
	const struct mlog_note_signer *signer;   /* the log key */
	unsigned batch_ms;       /* wait at most this long to fill a batch */
	unsigned batch_idle_ms;  /* ...or until no entry came for this long
	                          * (0: always wait batch_ms) */
	size_t batch_max;        /* commit as soon as this many wait */
	size_t queue_max;        /* refuse (429) beyond this many queued */
	struct mlogd_head_listener listener;     /* optional */
	struct mlogd_metrics *metrics;           /* optional */
};

struct mlogd_seq_stats {
	uint64_t tree_size;
	size_t queue_depth;
	uint64_t entries_total;   /* new entries sequenced by this process */
	uint64_t duplicates_total;
	uint64_t batches_total;
	int failed;
};

struct mlogd_seq;

/*
 * Opens the store, runs recovery (edge.h load + root check against the
 * latest signed checkpoint; refuses with MLOG_ERR_VERIFY on mismatch) and
 * starts the sequencer thread. Returns 0, MLOG_ERR_VERIFY, MLOG_ERR_DB,
 * MLOG_ERR_NOMEM, MLOG_ERR_INTERNAL.
 */
int mlogd_seq_start(struct mlogd_seq **out /* OUT */,
	const struct mlogd_seq_config *cfg, struct mlog_error *err)
	MLOG_MUST_CHECK;

/*
 * Queues t. Returns 0 (done() will be called), MLOG_ERR_TOOBIG (queue full:
 * 429) or MLOG_ERR_CONFLICT (draining or failed: 503); on error done() is
 * never called and t is untouched.
 */
int mlogd_seq_submit(struct mlogd_seq *q, struct mlogd_ticket *t)
	MLOG_MUST_CHECK;

/* The latest published head, referenced (release with
 * mlogd_seq_head_unref). Never NULL after a successful start. */
struct mlogd_head *mlogd_seq_head(struct mlogd_seq *q);

void mlogd_seq_head_unref(struct mlogd_seq *q, struct mlogd_head *h);

void mlogd_seq_stats(struct mlogd_seq *q, struct mlogd_seq_stats *out);

/* Stops accepting, commits everything queued, and joins the thread. */
void mlogd_seq_stop(struct mlogd_seq *q);

/* Frees a stopped sequencer (NULL allowed). */
void mlogd_seq_free(struct mlogd_seq *q);

/* Frees what a ticket's submitter allocated in it (data, keys, signers)
 * and drops its head reference. */
void mlogd_ticket_clear(struct mlogd_seq *q, struct mlogd_ticket *t);

#endif
