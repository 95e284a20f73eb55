/*
 * add.h — one add-checkpoint request (C2SP tlog-witness v1.0.0 with the
 * HEAD rows of merkle/witness_req.h; SPEC §4), without HTTP. A request
 * goes through three steps:
 *
 *   witness_add_judge    any thread, no storage. Body size (413), parse
 *                        (400), origin (404), log signature (403), rate
 *                        limit (429). Either a final answer or
 *                        WITNESS_ADD_PENDING: the request needs the
 *                        stored state.
 *   witness_add_decide   the committer thread, inside a store transaction
 *                        (store.h invariant 4). Reads the log's state,
 *                        runs mlog_witness_req_check (the spec's table,
 *                        first failure wins) and then:
 *                          200  co-signs at max(now, last cosignature
 *                               time) and advances the state by
 *                               compare-and-swap; the cosigned row keeps
 *                               the served note;
 *                          409  answers "<stored size>\n"; if the
 *                               checkpoint's size was co-signed with
 *                               another root, records a fork as evidence;
 *                          422  records the request as evidence;
 *                          400  (old > size) answers only.
 *                        Nothing is answered yet: the batch is not
 *                        durable until COMMIT.
 *   witness_add_apply    after COMMIT: moves the live state and counters
 *                        of the log (logs.h invariant 3). Or
 *                        witness_add_fail if the transaction was lost:
 *                        500, nothing staged survives.
 *
 * Signature checks are done twice for a request that reaches the
 * committer (judge, then mlog_witness_req_check): the first keeps forged
 * bodies away from the write lock and from the rate limit, the second is
 * the spec's decision function run as is. Costs one Ed25519 verification
 * (~50 us) per accepted request on the committer thread.
 *
 * Invariants:
 *  (1) status is 0 until decided, then exactly one of 200, 400, 403, 404,
 *      409, 413, 422, 429, 500 or 503.
 *  (2) A 200 is given only for a request whose state change is in the
 *      current transaction; its cosignature time is >= the log's previous
 *      one (store.h invariant 6) and > 0.
 *  (3) Evidence is recorded only for a request whose checkpoint carries a
 *      valid signature by a configured key of its log (it passed judge).
 *
 * Thread-safety: a struct witness_add is used by one thread at a time
 * (the HTTP thread, then the committer, then the HTTP thread again; the
 * hand-over is ordered by the committer's queue lock and MHD's resume).
 * Ownership: the caller owns the struct and the body (which must outlive
 * it); resp, msg and the parsed request belong to the struct and are
 * freed by witness_add_clear.
 */
#ifndef WITNESS_ADD_H
#define WITNESS_ADD_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hash.h"
#include "logs.h"
#include "note.h"
#include "store.h"
#include "witness_req.h"

#define WITNESS_ADD_PENDING 1

struct witness_add {
	/* Input. */
	const char *body;
	size_t body_len;

	/* Filled by judge. */
	struct witness_log *log;         /* NULL for an unknown origin */
	struct mlog_witness_req req;
	int parsed;                      /* req holds a parse */

	/* The answer. */
	int status;                      /* invariant 1 */
	char *resp;                      /* 200: cosignature lines; 409:
	                                  * "<size>\n"; else NULL */
	size_t resp_len;
	char msg[MLOG_ERROR_MSG_MAX];    /* why, one line (any status) */
	unsigned retry_after;            /* 429: seconds */

	/* Staged by decide for apply. */
	int advanced;                    /* state moved in this transaction */
	uint64_t new_size;
	uint64_t at;                     /* cosignature time */
	char *note;                      /* served note (log sigs + ours) */
	size_t note_len;
	int evidence;                    /* evidence recorded */
	int evidence_fresh;              /* ... as a new row */
};

/* Zeroes a and points it at body[0..len) (not copied). */
void witness_add_init(struct witness_add *a, const char *body, size_t len);

/* Frees what a holds; a can be re-initialised afterwards. */
void witness_add_clear(struct witness_add *a);

/*
 * The storage-free checks (see above) at monotonic time now (seconds),
 * with rate tokens per second per log (0 = unlimited) and bucket size
 * burst. Returns WITNESS_ADD_PENDING, or 0 with a->status set to the
 * final answer.
 */
int witness_add_judge(struct witness_add *a, const struct witness_logs *ls,
	double now, unsigned rate, unsigned burst);

/*
 * Decides a pending request against the stored state, inside the
 * caller's store transaction, co-signing with key (type 0x04) at Unix
 * time now. Brackets its writes in a savepoint: if storage fails, the
 * request's writes are undone, a->status is 500 and the transaction can
 * go on with other requests. h is used by this thread only.
 */
void witness_add_decide(struct witness_add *a, struct witness_store *s,
	struct mlog_hash *h, const struct mlog_note_signer *key,
	uint64_t now);

/* After the transaction committed: updates a->log's live state. */
void witness_add_apply(struct witness_add *a);

/* After the transaction was lost: the answer becomes status (500 or
 * 503) with msg, and everything staged is dropped. */
void witness_add_fail(struct witness_add *a, int status, const char *msg);

/*
 * The note to serve for a co-signed checkpoint: the request's checkpoint
 * text, the signature lines by r's configured log keys (all verified),
 * then cosigs[0..cosigs_len) (the witness's lines). *out malloc'd (caller
 * frees). Returns 0, MLOG_ERR_MALFORMED or MLOG_ERR_NOMEM.
 */
int witness_add_served_note(char **out /* OUT */, size_t *out_len /* OUT */,
	const struct mlog_witness_req *r, const struct witness_log *log,
	const char *cosigs, size_t cosigs_len) MLOG_MUST_CHECK;

#endif
