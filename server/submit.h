/*
 * submit.h — judging one POST /v1/entries body (SPEC §2, §3): shape first,
 * then signatures, then the ticket the sequencer gets.
 *
 *   empty body                                  400 empty_body
 *   not a DSSE envelope (JSON, base64, fields)  400 malformed_envelope
 *   payload not a valid in-toto Statement       400 bad_statement
 *   unknown predicateType                       400 unknown_predicate
 *   no signature verifies under a configured
 *   signer whose roles allow the predicateType  403 no_valid_signature
 *
 * On success the ticket carries the canonical envelope (the leaf data,
 * merkle/dsse.h), its RFC 9162 leaf hash, the statement's search keys and
 * the names of the authorised signers whose signatures verified.
 *
 * Thread-safety: any number of HTTP threads at once (signers are
 * immutable; each call uses its own hash context).
 * Ownership: the ticket's fields are malloc'd; mlogd_ticket_clear frees.
 */
#ifndef MLOGD_SUBMIT_H
#define MLOGD_SUBMIT_H

#include <stddef.h>

#include "err.h"
#include "hash.h"
#include "sequencer.h"
#include "signers.h"

struct mlogd_verdict {
	int status;              /* HTTP status: 0 (accepted), 400, 403 */
	int reason;              /* enum mlogd_reject when status != 0 */
	char message[MLOG_ERROR_MSG_MAX];
};

/*
 * Judges body[0..len) and fills t's submitter fields (data, len,
 * leaf_hash, keys, signers). Returns 0 when accepted, else a negative
 * mlog_err with *v saying what to answer; t holds nothing then.
 */
int mlogd_submit_judge(struct mlogd_ticket *t, struct mlogd_verdict *v,
	const char *body, size_t len, const struct mlogd_signers *signers,
	struct mlog_hash *h) MLOG_MUST_CHECK;

#endif
