/*
 * witnessing.h — the log side of C2SP tlog-witness: mlogd pushes its
 * checkpoints to independent witnesses and publishes the cosignatures they
 * return, so that not even the log operator can show two auditors two
 * different logs.
 *
 * Configured with --witness VKEY@URL (repeatable; VKEY is the witness's
 * note vkey, 0x01 or 0x04 form; URL the submission prefix, to which
 * "/add-checkpoint" is appended) and --witness-quorum N (default: all).
 * One thread, woken by every published head (sequencer listener):
 *
 *  - at most once per --witness-interval-ms (default 1000), and every
 *    10 intervals even when the log did not grow (fresh timestamps), it
 *    pushes the latest checkpoint to every witness at once (libcurl multi),
 *    each with `old` = the size that witness is known to hold and the
 *    consistency proof from there (computed from the committed tiles);
 *  - 200: every returned line is verified with the witness's key before it
 *    is kept (mlog_witness_req_cosigs_add); the witness now holds that size;
 *  - 409 with Content-Type exactly text/x.tlog.size: the witness holds
 *    another size; learn it and retry once from there (a witness we have
 *    never talked to is first sent old 0);
 *  - any other 409, a 422, or a witness claiming a size larger than ours is
 *    an ALARM (a fork or a rollback, on one side or the other): a log line
 *    and a metric, and that witness is not pushed to again until restart —
 *    never retried blindly;
 *  - other failures (down, slow, 5xx, 429) are counted and retried next
 *    round.
 *
 * When at least quorum witnesses have cosigned one checkpoint, it becomes
 * the *witnessed checkpoint*: the log's note plus those cosignature lines.
 * GET /checkpoint serves the latest witnessed checkpoint (the plain head
 * until the first one exists, and always when no witness is configured);
 * it is persisted (store meta) so a restart serves it at once.
 *
 * Invariants: (1) only verified cosignatures are ever published; (2) the
 * witnessed checkpoint's size never decreases; (3) sequencing and receipts
 * never wait for a witness: the only coupling is the non-blocking notify.
 *
 * Thread-safety: notify, checkpoint and metrics from any thread; start and
 * stop from main. Ownership: start/stop pair; mlogd_witnessing_checkpoint
 * returns a malloc'd note.
 */
#ifndef MLOGD_WITNESSING_H
#define MLOGD_WITNESSING_H

#include <stddef.h>

#include "err.h"
#include "sequencer.h"

struct mlogd_witnessing_config {
	const char *db_path;
	char *const *witnesses;      /* VKEY@URL */
	size_t nwitnesses;
	unsigned quorum;             /* 1..nwitnesses */
	unsigned interval_ms;
	unsigned timeout_ms;         /* per request */
};

struct mlogd_witnessing;

/*
 * Parses the witness specs, opens a read connection, loads the persisted
 * witnessed checkpoint and starts the thread, which pushes head at once.
 * Returns 0, MLOG_ERR_MALFORMED (bad spec or quorum), MLOG_ERR_DB,
 * MLOG_ERR_NOMEM, MLOG_ERR_INTERNAL.
 */
int mlogd_witnessing_start(struct mlogd_witnessing **out /* OUT */,
	const struct mlogd_witnessing_config *cfg, struct mlogd_head *head,
	struct mlog_error *err) MLOG_MUST_CHECK;

/* Sequencer listener: a new head was published (never blocks). */
void mlogd_witnessing_notify(void *ctx, struct mlogd_head *head);

/* /checkpoint provider (struct mlogd_cosigned): the latest witnessed
 * checkpoint, malloc'd, or NULL to serve head as is. */
char *mlogd_witnessing_checkpoint(void *ctx, const struct mlogd_head *head,
	size_t *len);

/* Prometheus lines for the witnesses (malloc'd, NUL-terminated). */
char *mlogd_witnessing_metrics(struct mlogd_witnessing *w);

/* Finishes the round in progress and stops. */
void mlogd_witnessing_stop(struct mlogd_witnessing *w);

#endif
