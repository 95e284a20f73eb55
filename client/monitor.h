/*
 * monitor.h — the core of `mlog monitor` (SPEC §5; docs/cli.md "mlog
 * monitor"): follows a log from one verified checkpoint to the next,
 * reads every new entry (walk.h: authenticated bundles), and reports
 * what happened as SIEM events (events.h), keeping its state in a
 * directory. The network side (fetching checkpoints, witnesses, the
 * polling loop) is cmd_monitor.c's; this module only needs a tile and
 * bundle source, so tests and benchmarks drive it in-process.
 *
 * State directory (created if missing, mode 0700):
 *
 *   DIR/lock          flock()ed for the life of a struct cli_monitor, so
 *                     two monitors never share a state
 *   DIR/state.json    {"version":1, "origin":..., "checkpoint":"<note>",
 *                      "position":N, "root":"<b64>", "updated_at":...,
 *                      "pending":[{"index":I, "measurement":{...},
 *                        "build_id":"...", "seen_at":T}...],
 *                      "approvals":[{"index":I, "ticket":..., "decision":
 *                        "approved"|"revoked", "approver":...,
 *                        "measurement":{...}}...],
 *                      "builds":{"<build id>":{"index":I,
 *                        "measurement":"<primary hex>"}...},
 *                      "subjects":{"sha256:<hex>":{...same...}}}
 *
 * State machine, per checkpoint C offered to cli_monitor_advance (C has
 * already passed the trust policy, quorum included, in the caller):
 *
 *   no state ──advance(C)──> read [0, C.size) ──> state = C
 *   state S:
 *     C.size > S.size: root of S.size computed from C's authenticated
 *        tiles must be S.root (consistency; also proven with an RFC 9162
 *        consistency proof) ─ok─> read [S.size, C.size) ──> state = C
 *                              └─no─> verification_failure, state = S
 *     C.size = S.size: C.root must be S.root, else verification_failure
 *     C.size < S.size: C must be a prefix of S (root of C.size from S's
 *        tiles): stale, nothing to do (a warning); else
 *        verification_failure
 *
 * Invariants:
 *  (1) state.json changes only by atomic replacement (write a temporary
 *      file, fsync, rename, fsync the directory), after a checkpoint is
 *      fully processed or pending measurements expired; a crash leaves
 *      the previous state, and the entries since are read again, so
 *      events are delivered at least once.
 *  (2) The stored checkpoint only moves to one consistent with it.
 *  (3) Every entry is authenticated (walk.h) before it is looked at.
 *  (4) Decisions use approvals.h: a build published at index I is
 *      "approved" if approvals before I cover it; otherwise it is pending
 *      until an approval covers it (measurement_approved lists it) or
 *      --grace seconds pass (unapproved_measurement, once).
 *  (5) seen_at of a pending measurement is the earliest witness
 *      cosignature time of the checkpoint that first contained it (a
 *      witness-attested bound on when it was published), or the
 *      monitor's clock when the checkpoint has no cosignature.
 *
 * Events (one JSON line each): measurement_published, measurement_approved,
 * approval_revoked, unapproved_measurement, measurement_drift (the same
 * build ID, or the same subject sha256, published again with another
 * primary measurement), verification_failure (CRITICAL). split_view is
 * cmd_monitor.c's (it needs the witnesses' URLs).
 *
 * Thread-safety: one thread per struct cli_monitor.
 * Ownership: cli_monitor_open / cli_monitor_close.
 */
#ifndef MLOG_CLI_MONITOR_H
#define MLOG_CLI_MONITOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "checkpoint.h"
#include "err.h"
#include "policy.h"
#include "signerset.h"
#include "walk.h"

#define CLI_MONITOR_STATE_MAX (1u << 30)
/* cli_monitor_advance's answer when cfg->stop was raised mid-walk. */
#define CLI_MONITOR_STOPPED 1

struct cli_monitor;

struct cli_monitor_config {
	uint64_t grace;                       /* seconds */
	const struct cli_signerset *signers;  /* NULL: not checked */
	FILE *events;                         /* JSON lines go here */
	int progress;                         /* progress bar on stderr */
	const volatile int *stop;             /* non-zero: stop reading (a
	                                         signal handler's flag) */
};

/*
 * Opens (creating if need be) the state directory dir, takes its lock and
 * loads state.json if present. Returns 0; MLOG_ERR_CONFLICT (another
 * monitor holds the lock); MLOG_ERR_IO; MLOG_ERR_MALFORMED (state.json
 * does not parse: err names it; it is never overwritten then);
 * MLOG_ERR_NOMEM.
 */
int cli_monitor_open(struct cli_monitor **out /* OUT */, const char *dir,
	struct mlog_error *err) MLOG_MUST_CHECK;

/* Releases the lock and memory; NULL is a no-op. */
void cli_monitor_close(struct cli_monitor *m);

/* The last verified checkpoint's size (0 with no state) and note (NULL
 * with no state). */
uint64_t cli_monitor_size(const struct cli_monitor *m);
const char *cli_monitor_note(const struct cli_monitor *m, size_t *len);

/* Verification failures and split views reported so far. */
uint64_t cli_monitor_failures(const struct cli_monitor *m);

/* Reports a failure found outside this module (cmd_monitor.c: a
 * checkpoint that fails the policy, a split view) and counts it. kind is
 * the event_type, check names what failed. Steals extra (may be NULL:
 * members to add). */
void cli_monitor_report(struct cli_monitor *m,
	const struct cli_monitor_config *cfg, const char *kind,
	const char *check, const char *message, json_t *extra);

/*
 * Moves to the checkpoint note[0..len) (cp: its parsed text; res: its
 * policy result, for seen_at) per the state machine above, reading new
 * entries from src and printing events to cfg->events. Returns 0 when
 * the checkpoint was handled, including when it was found inconsistent
 * (a verification_failure was then printed and counted, and the state
 * kept); CLI_MONITOR_STOPPED when cfg->stop was raised during the walk
 * (state kept: nothing of this checkpoint is saved); MLOG_ERR_IO or
 * another source error when entries could not be read (state kept);
 * MLOG_ERR_CONFLICT (the state is another log's); MLOG_ERR_NOMEM.
 */
int cli_monitor_advance(struct cli_monitor *m,
	const struct cli_monitor_config *cfg, const char *note, size_t len,
	const struct mlog_checkpoint *cp, const struct mlog_policy_result *res,
	const struct cli_walk_source *src, struct mlog_error *err)
	MLOG_MUST_CHECK;

/*
 * Reports pending measurements older than cfg->grace at time now
 * (unapproved_measurement) and drops them, saving the state if any
 * went. Returns 0 or MLOG_ERR_IO.
 */
int cli_monitor_expire(struct cli_monitor *m,
	const struct cli_monitor_config *cfg, uint64_t now,
	struct mlog_error *err) MLOG_MUST_CHECK;

/* Pending measurements awaiting approval. */
size_t cli_monitor_pending(const struct cli_monitor *m);

#endif
