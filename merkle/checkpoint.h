/*
 * checkpoint.h — C2SP tlog-checkpoint v1.0.0 (C2SP-NOTES §2): the signed
 * tree head of a log. Parses and formats the note text, opens a signed
 * checkpoint (note parse, text parse, signature check with the log's
 * verifier keys) and signs one with a log key.
 *
 * Text format (the signed-note text, note.h):
 *
 *   <origin>\n                         non-empty, identifies the log
 *   <tree size>\n                      C2SP decimal, "0" for the empty tree
 *   <base64 of the 32-byte root>\n     RFC 9162 MTH, 44 characters
 *   [<extension line>\n]*              optional, each non-empty
 *
 * Example (vectors/checkpoint/sum.golang.org-30055305.checkpoint; the key
 * name "sum.golang.org" differs from the origin, which is allowed):
 *
 *   go.sum database tree
 *   30055305
 *   mXfgRcJ0bG0j3CPdKwgGWtUzBUbX67saZGRmFuJGGsM=
 *
 *   — sum.golang.org Az3grpgEild5qw7+5dtV13Kf1C2Xurm8q4fhdxvcsDHnqNTaxL2AFjBY+2TyGKevucFcAAlWFJJYle3EJlDCrQ+y3A8=
 *
 * Validity rules for the text (any failure is MLOG_ERR_MALFORMED, except
 * (1)'s size cap, which is MLOG_ERR_TOOBIG):
 *  (1) At most MLOG_CHECKPOINT_MAX_BYTES bytes, checked before any work;
 *      valid UTF-8 with no byte below 0x20 except '\n' (signed-note rule).
 *  (2) Ends in '\n' and has at least three lines; the origin is non-empty.
 *  (3) The size is a C2SP decimal (mlog_codec_decimal_parse: no sign, no
 *      leading zero, at most 2^63-1).
 *  (4) The root is strict base64 of exactly 32 bytes.
 *  (5) Every extension line is non-empty.
 * Rules for opening a signed checkpoint (mlog_checkpoint_open):
 *  (6) The note and its text parse ((1)-(5) and note.h rules (1)-(4))
 *      before any signature is checked: shape is judged first.
 *  (7) Signatures are checked with the caller's keys (note.h rules
 *      (5)-(7)); the key name need not equal the origin (sum.golang.org
 *      signs "go.sum database tree"), so the caller says which origin it
 *      expects, or NULL for any.
 *  (8) A signed empty tree (size 0) must have root SHA-256("")
 *      (47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=); otherwise the log
 *      signed a false statement: MLOG_ERR_VERIFY. mlog_checkpoint_parse
 *      itself accepts such text, so that a witness can answer 422 rather
 *      than 400 (tlog-witness check table row 5, witness_req.h).
 *
 * Thread-safety: no shared state; libsodium must be initialised by the
 * program (sodium_init) before any call.
 * Ownership: a parsed struct mlog_checkpoint owns origin and ext (malloc'd)
 * and is released with mlog_checkpoint_clear. A struct the caller fills in
 * to format or sign may point at the caller's own strings and is then not
 * cleared. Formatted and signed texts are malloc'd for the caller to free.
 */
#ifndef MLOG_CHECKPOINT_H
#define MLOG_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hash.h"
#include "note.h"

/* Largest checkpoint text or signed checkpoint (Go tlog.ParseTree). */
#define MLOG_CHECKPOINT_MAX_BYTES MLOG_NOTE_MAX_BYTES

struct mlog_checkpoint {
	char *origin;                  /* line 1 without '\n', NUL-ended */
	uint64_t size;                 /* line 2 */
	uint8_t root[MLOG_HASH_BYTES]; /* line 3, decoded */
	char *ext;                     /* extension lines, each ending in
	                                * '\n', NUL-ended; NULL if none */
	size_t ext_len;                /* bytes in ext (0 if none) */
};

/* Zeroes c (origin and ext NULL). */
void mlog_checkpoint_init(struct mlog_checkpoint *c);

/* Frees what a parse stored in c and zeroes it; NULL is a no-op. */
void mlog_checkpoint_clear(struct mlog_checkpoint *c);

/*
 * Parses the checkpoint text text[0..len) (rules (1)-(5)) into *out, which
 * is overwritten (clear it first if it held a parsed checkpoint). Returns
 * 0, MLOG_ERR_TOOBIG, MLOG_ERR_MALFORMED or MLOG_ERR_NOMEM; on failure
 * *out is untouched.
 */
int mlog_checkpoint_parse(struct mlog_checkpoint *out /* OUT */,
	const char *text, size_t len, struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Formats c as checkpoint text into *out (malloc'd, NUL-terminated, caller
 * frees) and its length into *out_len. c must satisfy rules (1)-(5): a
 * non-empty origin without '\n', size <= 2^63-1, extension lines (if
 * ext_len > 0) each non-empty and ending in '\n'. parse(format(c)) == c.
 * Returns 0, MLOG_ERR_MALFORMED, MLOG_ERR_TOOBIG or MLOG_ERR_NOMEM.
 */
int mlog_checkpoint_format(char **out /* OUT */, size_t *out_len /* OUT */,
	const struct mlog_checkpoint *c, struct mlog_error *err)
	MLOG_MUST_CHECK;

/*
 * Opens the signed checkpoint msg[0..len): parses the note and its text
 * (rule 6), verifies it with keys[0..nkeys) (rule 7; checks, if not NULL,
 * receives one entry per key as mlog_note_verify gives), checks that the
 * origin equals origin (if origin is not NULL) and rule (8). On success
 * fills *out (as mlog_checkpoint_parse) and, if note_out is not NULL,
 * stores the parsed note there (caller frees with mlog_note_free).
 * Returns 0; MLOG_ERR_TOOBIG or MLOG_ERR_MALFORMED (does not parse);
 * MLOG_ERR_UNTRUSTED (no signature by any of keys); MLOG_ERR_VERIFY (a
 * signature by one of keys is bad, the origin is not the expected one, or
 * rule 8); MLOG_ERR_NOMEM. On failure *out and *note_out are untouched.
 */
int mlog_checkpoint_open(struct mlog_checkpoint *out /* OUT */,
	struct mlog_note **note_out /* OUT, may be NULL */,
	const char *msg, size_t len, const char *origin,
	const struct mlog_note_verifier *keys, size_t nkeys,
	struct mlog_note_check *checks /* OUT, may be NULL */,
	struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Signs c with the log keys signers[0..nsigners) (each of type
 * MLOG_NOTE_TYPE_ED25519; nsigners >= 1): formats the text and builds the
 * note "text \n — <name> <sig>\n...". *out is malloc'd and NUL-terminated
 * (caller frees), *out_len its length. Returns 0, MLOG_ERR_MALFORMED (bad
 * c, no signer or a signer that is not a log key), MLOG_ERR_TOOBIG or
 * MLOG_ERR_NOMEM.
 */
int mlog_checkpoint_sign(char **out /* OUT */, size_t *out_len /* OUT */,
	const struct mlog_checkpoint *c,
	const struct mlog_note_signer *signers, size_t nsigners,
	struct mlog_error *err) MLOG_MUST_CHECK;

#endif
