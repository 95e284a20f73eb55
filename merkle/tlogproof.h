/*
 * tlogproof.h — C2SP tlog-proof v1 (C2SP-NOTES §8, SPEC §5): an offline
 * proof that one entry is in a log, checked against a trust policy
 * (policy.h). mlog puts the entry itself in the extra line.
 *
 * Format (lines end in '\n'):
 *
 *   c2sp.org/tlog-proof@v1
 *   [extra <base64 of the extra data>]     optional; mlog: the entry
 *   index <n>                              C2SP decimal, 0-based
 *   [<base64 hash>]*                       inclusion proof, leaf sibling
 *                                          first (RFC 9162 PATH)
 *   <empty line>
 *   <cosigned checkpoint note>             checkpoint.h, verbatim
 *
 * Example (the spec's, abridged; its keys are not published):
 *
 *   c2sp.org/tlog-proof@v1
 *   extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
 *   index 73894
 *   gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
 *   ...
 *
 *   example.com/fancylog
 *   109482
 *   sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=
 *
 *   — example.com/fancylog hI2DJw[...]1roloI=
 *   — witness1.example mJirIklj[...]qY9v2B/5bg==
 *
 * Validity rules (MLOG_ERR_MALFORMED unless stated):
 *  (1) At most MLOG_TLOGPROOF_MAX_BYTES (MLOG_ERR_TOOBIG), checked first.
 *  (2) Line 1 is exactly "c2sp.org/tlog-proof@v1".
 *  (3) An "extra " line, if present, carries strict base64 of 1 to
 *      MLOG_TLOGPROOF_EXTRA_MAX bytes (more is MLOG_ERR_TOOBIG): the spec
 *      omits the line when there is no extra data, so "extra " with
 *      nothing after it is malformed. The cap is SPEC §2's entry cap.
 *  (4) "index " and a C2SP decimal.
 *  (5) At most MLOG_PROOF_MAX proof lines, each strict base64 of 32
 *      bytes, then an empty line.
 *  (6) The rest is a signed note whose text is a checkpoint.
 * Verification (mlog_tlogproof_verify), in order:
 *  (7) The checkpoint satisfies the policy (mlog_policy_verify: log
 *      signature, no bad known signature, quorum).
 *  (8) index < checkpoint size, and the inclusion proof of the leaf hash
 *      SHA-256(0x00 || entry) at index verifies against the checkpoint
 *      root (RFC 9162 §2.1.3.2); any mismatch is MLOG_ERR_VERIFY. The
 *      entry is the caller's bytes if given, else the extra data (SPEC §5:
 *      the entry itself is the extra data). Unverified, extra is only a
 *      claim; once (8) holds it is the logged entry.
 *
 * Thread-safety: no shared state; the hash context is used by one thread
 * at a time. libsodium must be initialised by the program.
 * Ownership: a parsed struct mlog_tlogproof owns extra, note and cp;
 * release it with mlog_tlogproof_clear. Formatted proofs are malloc'd for
 * the caller to free.
 */
#ifndef MLOG_TLOGPROOF_H
#define MLOG_TLOGPROOF_H

#include <stddef.h>
#include <stdint.h>

#include "checkpoint.h"
#include "err.h"
#include "hash.h"
#include "policy.h"
#include "proof.h"

#define MLOG_TLOGPROOF_HEADER "c2sp.org/tlog-proof@v1"
#define MLOG_TLOGPROOF_EXTRA_MAX 65535
/* The note's cap plus room for the header, extra, index and proof. */
#define MLOG_TLOGPROOF_MAX_BYTES (MLOG_NOTE_MAX_BYTES + 131072)

struct mlog_tlogproof {
	uint8_t *extra;            /* NULL if there is no extra line */
	size_t extra_len;
	uint64_t index;
	uint8_t proof[MLOG_PROOF_MAX][MLOG_HASH_BYTES];
	size_t proof_len;
	char *note;                /* the checkpoint note, NUL-ended */
	size_t note_len;
	struct mlog_checkpoint cp; /* its text, parsed */
};

/*
 * Parses a tlog-proof text[0..len) (rules 1-6) into *out, which is
 * overwritten. Returns 0, MLOG_ERR_TOOBIG, MLOG_ERR_MALFORMED or
 * MLOG_ERR_NOMEM; on failure *out is untouched.
 */
int mlog_tlogproof_parse(struct mlog_tlogproof *out /* OUT */,
	const char *text, size_t len, struct mlog_error *err)
	MLOG_MUST_CHECK;

/* Frees what a parse stored in p and zeroes it; NULL is a no-op. */
void mlog_tlogproof_clear(struct mlog_tlogproof *p);

/*
 * Formats a tlog-proof: extra[0..extra_len) (extra NULL: no extra line;
 * otherwise 1..MLOG_TLOGPROOF_EXTRA_MAX bytes), index, the inclusion proof
 * proof[0..proof_len) and the signed checkpoint note[0..note_len). The
 * result always parses. *out malloc'd, NUL-terminated, caller frees.
 * Returns 0, MLOG_ERR_MALFORMED (bad arguments or note), MLOG_ERR_TOOBIG
 * or MLOG_ERR_NOMEM.
 */
int mlog_tlogproof_format(char **out /* OUT */, size_t *out_len /* OUT */,
	const uint8_t *extra, size_t extra_len, uint64_t index,
	const uint8_t (*proof)[MLOG_HASH_BYTES], size_t proof_len,
	const char *note, size_t note_len, struct mlog_error *err)
	MLOG_MUST_CHECK;

/*
 * Verifies p against policy pol (rules 7-8) for entry[0..entry_len), or
 * for p's extra data if entry is NULL. res (if not NULL) receives the
 * policy result (which log signed, which witnesses cosigned when).
 * Returns 0; MLOG_ERR_NOTFOUND (no entry given and no extra data, or no
 * log for the origin); MLOG_ERR_TOOBIG / MLOG_ERR_MALFORMED (the note,
 * from mlog_policy_verify); MLOG_ERR_UNTRUSTED or MLOG_ERR_VERIFY (rules
 * 7-8); MLOG_ERR_NOMEM. *res is untouched on failure.
 */
int mlog_tlogproof_verify(struct mlog_hash *h,
	struct mlog_policy_result *res /* OUT, may be NULL */,
	const struct mlog_tlogproof *p, const struct mlog_policy *pol,
	const uint8_t *entry, size_t entry_len, struct mlog_error *err)
	MLOG_MUST_CHECK;

#endif
