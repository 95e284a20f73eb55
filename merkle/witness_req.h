/*
 * witness_req.h — the C2SP tlog-witness v1.0.0 add-checkpoint exchange
 * (C2SP-NOTES §4): the request body, the witness's decision (the spec's
 * check table as a pure function), and the two response bodies (200:
 * cosignature lines; 409: the witness's size).
 *
 * Request body (POST <submission prefix>/add-checkpoint), every line
 * ending in '\n':
 *
 *   old <N>\n                  C2SP decimal, the size the client thinks
 *                              the witness holds ("0" if none)
 *   <base64 hash>\n            0..63 consistency-proof lines, old -> size
 *   \n                         one empty line
 *   <signed checkpoint note>   checkpoint.h; may carry several signatures
 *
 * Example (vectors/witness/litewitness/req06.body):
 *
 *   old 1
 *   KgEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
 *   KgIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
 *
 *   sigsum.org/v1/tree/4d6d8825a6bb689d459628312889dfbb0bcd41b5211d9e1ce768b0ff0309e562
 *   3
 *   RcCI1Nk56ZcSmIEfIn0SleqtV7uvrlXNccFx595Iwl0=
 *
 *   — sigsum.org/v1/tree/4d6d8825a6bb689d459628312889dfbb0bcd41b5211d9e1ce768b0ff0309e562 UgIom2VbtIcdFbwFAy1n7s6IkAxIY6J/GQOTuZF2ORV39d75cbAj2aQYwyJre36kezNobZs4SUUdrcawfAB8WVrx6go=
 *
 * Request validity (a failure is MLOG_ERR_MALFORMED, HTTP 400, except
 * rule (1), MLOG_ERR_TOOBIG, which a server may answer with 413 or 400):
 *  (1) At most MLOG_WITNESS_REQ_MAX_BYTES (16 KiB, omniwitness's
 *      MaxRequestBodyBytes), checked before anything else.
 *  (2) The first line is "old " and a C2SP decimal.
 *  (3) At most MLOG_WITNESS_REQ_MAX_PROOF (63) proof lines, each strict
 *      base64 of exactly 32 bytes; a 64th line is rejected as soon as it
 *      is seen.
 *  (4) An empty line ends the proof; without one the body is malformed.
 *  (5) The rest is a signed note (note.h) whose text is a checkpoint
 *      (checkpoint.h rules (1)-(5)).
 *
 * Decision (mlog_witness_req_check): the spec's checks, in spec order,
 * first failure wins:
 *
 *   #  condition                                          status
 *   1  origin not configured                              404
 *   2  no trusted log signature verifies, or one fails    403
 *   3  old > checkpoint size                              400
 *   4  old != stored size (0 if never cosigned)           409 + size body
 *   5  size 0 but root != SHA-256("")                     422
 *   6  old = 0 and the proof is not empty                 422
 *   7  0 < old < size and the consistency proof fails     422
 *   8  old = size and (root != stored root or proof       422
 *      not empty)
 *   9  otherwise: the caller persists (size, root)        200
 *
 * Row 8 follows tlog-witness HEAD (422) rather than v1.0.0 (409): a 409
 * without a size body is read by clients as a fork, and a 409 *with* one
 * would make the log retry forever. Row 1 follows the spec (404), not
 * litewitness 2025 (403). Row 2 counts a base64 with non-zero pad bits on
 * a trusted key's line as a failing signature (note.h rule 4), so
 * litewitness req02 is a 403, not a 400.
 *
 * Responses:
 *  (6) 200 body: one or more signature lines "— <name> <base64>\n", the
 *      witness's cosignatures (type 0x04, timestamp > 0) on the checkpoint
 *      text. The log verifies them and appends them to its note.
 *  (7) 409 body, Content-Type exactly "text/x.tlog.size" (no charset):
 *      "<stored size>\n", a C2SP decimal.
 *
 * Thread-safety: no shared state; the hash context passed to
 * mlog_witness_req_check is used by one thread at a time (hash.h).
 * libsodium must be initialised by the program.
 * Ownership: a parsed struct mlog_witness_req owns its note and
 * checkpoint; release it with mlog_witness_req_clear. Formatted bodies are
 * malloc'd for the caller to free.
 */
#ifndef MLOG_WITNESS_REQ_H
#define MLOG_WITNESS_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "checkpoint.h"
#include "err.h"
#include "hash.h"
#include "note.h"

#define MLOG_WITNESS_REQ_MAX_BYTES 16384
#define MLOG_WITNESS_REQ_MAX_PROOF 63
/* Largest 200 response body accepted (a few cosignature lines). */
#define MLOG_WITNESS_REQ_RESP_MAX_BYTES 16384
/* Content-Type of the 409 size body (rule 7). */
#define MLOG_WITNESS_REQ_SIZE_TYPE "text/x.tlog.size"
/* Room for a 409 body: 19 digits, '\n', NUL. */
#define MLOG_WITNESS_REQ_SIZE_BODY_MAX 21

struct mlog_witness_req {
	uint64_t old;
	uint8_t proof[MLOG_WITNESS_REQ_MAX_PROOF][MLOG_HASH_BYTES];
	size_t proof_len;
	struct mlog_note *note;     /* the signed checkpoint */
	struct mlog_checkpoint cp;  /* note->text, parsed */
};

/*
 * Parses an add-checkpoint request body (rules (1)-(5)) into *out, which
 * is overwritten. Returns 0, MLOG_ERR_TOOBIG, MLOG_ERR_MALFORMED or
 * MLOG_ERR_NOMEM; on failure *out is untouched.
 */
int mlog_witness_req_parse(struct mlog_witness_req *out /* OUT */,
	const char *body, size_t len, struct mlog_error *err)
	MLOG_MUST_CHECK;

/* Frees what a parse stored in r and zeroes it; NULL is a no-op. */
void mlog_witness_req_clear(struct mlog_witness_req *r);

/*
 * Formats a request body from old, proof[0..proof_len) and the signed
 * checkpoint note[0..note_len) into *out (malloc'd, NUL-terminated, caller
 * frees). The result always parses: note must be a signed checkpoint.
 * Returns 0, MLOG_ERR_MALFORMED (proof_len > 63, old > 2^63-1, or note is
 * not a signed checkpoint), MLOG_ERR_TOOBIG (over 16 KiB) or
 * MLOG_ERR_NOMEM.
 */
int mlog_witness_req_format(char **out /* OUT */, size_t *out_len /* OUT */,
	uint64_t old, const uint8_t (*proof)[MLOG_HASH_BYTES],
	size_t proof_len, const char *note, size_t note_len,
	struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * The witness's decision on request r (the table above). keys[0..nkeys)
 * are the log verifier keys configured for r->cp.origin; keys == NULL
 * means the origin is not configured (404), while keys != NULL with
 * nkeys == 0 means it is configured but has no trusted key (403).
 * (stored_size, stored_root) is the witness's state for the origin;
 * stored_root may be NULL when stored_size is 0. Pure: the caller runs it
 * inside the transaction that compares and swaps the stored state, and
 * persists (r->cp.size, r->cp.root) before answering 200.
 *
 * Returns the HTTP status: 200, 400, 403, 404, 409 or 422. For every
 * status but 200, err (if not NULL) receives a one-line reason and the
 * matching code (404 MLOG_ERR_NOTFOUND, 403 MLOG_ERR_UNTRUSTED or
 * MLOG_ERR_VERIFY, 400 MLOG_ERR_RANGE, 409 MLOG_ERR_CONFLICT, 422
 * MLOG_ERR_VERIFY). Returns a negative mlog_err only when it could not
 * decide (an internal failure: answer 500).
 */
int mlog_witness_req_check(struct mlog_hash *h,
	const struct mlog_witness_req *r,
	const struct mlog_note_verifier *keys, size_t nkeys,
	uint64_t stored_size, const uint8_t *stored_root,
	struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Formats the 409 body "<size>\n" into out (cap >=
 * MLOG_WITNESS_REQ_SIZE_BODY_MAX). Returns its length, or MLOG_ERR_TOOBIG
 * (small buffer) or MLOG_ERR_RANGE (size > 2^63-1).
 */
int mlog_witness_req_size_format(char *out, size_t cap, uint64_t size);

/*
 * Parses a 409 body: exactly a C2SP decimal and '\n'. Returns 0 or
 * MLOG_ERR_MALFORMED; *size is untouched on failure.
 */
int mlog_witness_req_size_parse(uint64_t *size /* OUT */, const char *body,
	size_t len, struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Formats a 200 body: one cosignature/v1 line per signer (each of type
 * MLOG_NOTE_TYPE_COSIG_V1) over the checkpoint text text[0..text_len) at
 * time timestamp. *out malloc'd, NUL-terminated, caller frees. Returns 0,
 * MLOG_ERR_MALFORMED (no signer, a signer of another type, or text not a
 * checkpoint), MLOG_ERR_RANGE (timestamp 0 or > 2^63-1) or MLOG_ERR_NOMEM.
 */
int mlog_witness_req_cosigs_format(char **out /* OUT */,
	size_t *out_len /* OUT */, const char *text, size_t text_len,
	const struct mlog_note_signer *signers, size_t nsigners,
	uint64_t timestamp, struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Parses a 200 body (rule 6: one or more signature lines, at most
 * MLOG_WITNESS_REQ_RESP_MAX_BYTES) as the signatures of a note over the
 * checkpoint text text[0..text_len) that the request carried: *out is a
 * new note (caller frees with mlog_note_free) whose text is that text and
 * whose signatures are the body's lines, ready for mlog_note_verify with
 * the witness's cosigner key. Returns 0, MLOG_ERR_TOOBIG,
 * MLOG_ERR_MALFORMED or MLOG_ERR_NOMEM.
 */
int mlog_witness_req_cosigs_parse(struct mlog_note **out /* OUT */,
	const char *text, size_t text_len, const char *body, size_t len,
	struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * The log side of a 200: verifies that body carries a valid cosignature
 * by witness (any vkey form; its cosignature/v1 form is used, as
 * mlog_note_verifier_as_cosigner) on the signed checkpoint note[0..
 * note_len), and appends the body's lines by that key to the note: *out
 * (malloc'd, caller frees) is note's signatures, minus any earlier line by
 * the same (name, key ID), then the witness's new lines. Lines by other
 * keys are dropped: only what was verified is published. If timestamp is
 * not NULL it receives the cosignature's time. Returns 0,
 * MLOG_ERR_MALFORMED / MLOG_ERR_TOOBIG (note or body does not parse),
 * MLOG_ERR_UNTRUSTED (no line by witness), MLOG_ERR_VERIFY (a line by
 * witness does not verify) or MLOG_ERR_NOMEM; outputs untouched on
 * failure.
 */
int mlog_witness_req_cosigs_add(char **out /* OUT */,
	size_t *out_len /* OUT */, uint64_t *timestamp /* OUT, may be NULL */,
	const char *note, size_t note_len, const char *body, size_t body_len,
	const struct mlog_note_verifier *witness, struct mlog_error *err)
	MLOG_MUST_CHECK;

#endif
