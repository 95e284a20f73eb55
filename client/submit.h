/*
 * submit.h — handing one DSSE envelope to the log and checking what comes
 * back (SPEC §3 receipt), for `mlog submit` and `mlog publish`.
 *
 * The client never trusts the receipt: it re-derives the leaf (the
 * canonical envelope, merkle/dsse.h) and its hash itself, checks the
 * checkpoint's log signature under the policy and the inclusion proof
 * against it. To save a C2SP tlog-proof that satisfies the policy's
 * witness quorum it then waits for a witnessed checkpoint covering the
 * entry and proves the entry against it from the log's tiles.
 *
 * Thread-safety: single-threaded. Ownership: cli_receipt_clear.
 */
#ifndef MLOG_CLI_SUBMIT_H
#define MLOG_CLI_SUBMIT_H

#include <stddef.h>
#include <stdint.h>

#include "logclient.h"
#include "proof.h"

struct cli_receipt {
	uint64_t index;
	int fresh;                      /* 201: new; 200: already present */
	uint8_t leaf[MLOG_HASH_BYTES];
	struct cli_checkpoint cp;       /* the receipt's checkpoint */
	uint8_t proof[MLOG_PROOF_MAX][MLOG_HASH_BYTES];  /* verified */
	size_t proof_len;
	uint8_t *entry;                 /* canonical envelope (the leaf data) */
	size_t entry_len;
};

/*
 * Submits envelope[0..len) and verifies the receipt. Returns 0;
 * MLOG_ERR_MALFORMED (the envelope does not parse here);
 * MLOG_ERR_IO (no answer, or the log refused it: err has its message and
 * *http_status its status); MLOG_ERR_VERIFY (the receipt does not check:
 * the log misbehaved).
 */
int cli_submit(struct cli_log *l, const char *envelope, size_t len,
	struct cli_receipt *out, long *http_status, struct mlog_error *err)
	MLOG_MUST_CHECK;

/*
 * Writes a tlog-proof for the receipt's entry to path, against a checkpoint
 * that satisfies the policy (the receipt's own if the policy needs no
 * witnesses; else the log's latest witnessed one, waiting up to wait_s
 * seconds for one that covers the entry). Returns 0 or an mlog_err.
 */
int cli_receipt_save(struct cli_log *l, const struct cli_receipt *r,
	const char *path, unsigned wait_s, struct mlog_error *err)
	MLOG_MUST_CHECK;

/* Prints the outcome (text or JSON) to stdout. */
void cli_receipt_print(const struct cli_log *l, const struct cli_receipt *r,
	const char *saved_to, int json);

void cli_receipt_clear(struct cli_receipt *r);

/* Shared tail of submit and publish: submit, verify, save, print; returns
 * the exit code. */
int cli_submit_and_report(struct cli_log *l, const char *envelope,
	size_t len, const char *out_path, unsigned wait_s, int json);

#endif
