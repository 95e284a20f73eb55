/*
 * policy.h — C2SP tlog-policy (C2SP-NOTES §8; SPEC §5): which logs a
 * client trusts, which witnesses, and which set of witness cosignatures
 * (the quorum) makes a checkpoint count. Parses and formats policy files
 * and evaluates a cosigned checkpoint against a policy.
 *
 * Line grammar (items separated by runs of spaces and tabs; leading and
 * trailing whitespace allowed; empty lines and lines whose first item
 * starts with '#' are ignored):
 *
 *   log <vkey> [<url>]
 *   witness <name> <vkey> [<url>]
 *   group <name> <k|any|all> <member>...
 *   quorum <name|none>
 *
 * Example, with the keys of vectors/witness/omniwitness-monkeys (the
 * witness key is published in 0x01 form, rule 3):
 *
 *   # the "monkeys" log and one witness
 *   log monkeys+db4d9f7e+AULaJMvTtDLHPUcUrjdDad9vDlh/PTfC2VV60JUtCfWT
 *   witness W1 witness+f13a86db+AdYV1Ztajd9BvyjP2HgpwrqYL6TjOwIjGMOq8Bu42xbN
 *   group G any W1
 *   quorum G
 *
 * Validity rules (MLOG_ERR_MALFORMED unless stated):
 *  (1) At most MLOG_POLICY_MAX_BYTES bytes (MLOG_ERR_TOOBIG), checked
 *      first. Only the octets 0x09, 0x0A, 0x20-0x7E and 0x80-0xFF occur;
 *      high-bit octets are opaque (names compare byte by byte). A last
 *      line without '\n' is accepted, as sigsum-go's parser does.
 *  (2) A log vkey is a signed-note Ed25519 key (type 0x01); its key name
 *      is the log's origin (the spec's "MUST correspond"), so a log whose
 *      key name differs from its origin (sum.golang.org) cannot be named
 *      in a policy. No two logs share a public key.
 *  (3) A witness vkey is of type 0x04 (cosignature/v1) or 0x01; a 0x01 key
 *      is used in its cosignature/v1 form (mlog_note_verifier_as_cosigner,
 *      as transparency-dev/formats does). No two witnesses share a public
 *      key.
 *  (4) Witnesses and groups share one namespace: a name is defined once,
 *      is at most MLOG_POLICY_NAME_MAX bytes, and is not "none", which is
 *      predefined for the quorum only.
 *  (5) A group lists 1..n members, each a witness or group defined on an
 *      earlier line (so groups nest without cycles), none twice; k is
 *      "any" (1), "all" (n) or a C2SP decimal with 1 <= k <= n.
 *  (6) Exactly one quorum line, naming "none" or a witness or group
 *      defined on an earlier line.
 *  (7) Caps (MLOG_ERR_TOOBIG): MLOG_POLICY_MAX_LOGS logs,
 *      MLOG_POLICY_MAX_WITNESSES witnesses, MLOG_POLICY_MAX_GROUPS groups
 *      (the spec asks for at least 32 of each), URLs of at most
 *      MLOG_POLICY_URL_MAX bytes.
 *
 * Evaluation rules (mlog_policy_evaluate):
 *  (8) The note and its checkpoint text parse (checkpoint.h rule 6).
 *  (9) The logs of the policy whose key name equals the origin are the
 *      checkpoint's possible signers; none is MLOG_ERR_NOTFOUND. One of
 *      their signatures verifies and none fails (note.h rules 5-7), and a
 *      size-0 checkpoint has root SHA-256("") (checkpoint.h rule 8).
 * (10) Cosignature lines are matched to witnesses by (key name, key ID) of
 *      the cosignature/v1 key; unknown lines are ignored, but a line by a
 *      known witness that fails to verify rejects the checkpoint
 *      (MLOG_ERR_VERIFY), as the signed-note spec recommends.
 * (11) A witness witnesses the checkpoint if its cosignature verifies; a
 *      group if at least k of its members do; the quorum if it is "none"
 *      or its witness or group does. Timestamps are reported, not judged:
 *      a caller that wants freshness compares them with its clock.
 *
 * Thread-safety: a parsed policy is immutable and may be shared by
 * threads; evaluation keeps its state on the stack. libsodium must be
 * initialised by the program.
 * Ownership: mlog_policy_parse returns a policy the caller frees with
 * mlog_policy_free (NULL allowed); every string in it belongs to it.
 */
#ifndef MLOG_POLICY_H
#define MLOG_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "checkpoint.h"
#include "err.h"
#include "note.h"

#define MLOG_POLICY_MAX_BYTES (1 << 20)
#define MLOG_POLICY_MAX_LOGS 128
#define MLOG_POLICY_MAX_WITNESSES 128
#define MLOG_POLICY_MAX_GROUPS 128
#define MLOG_POLICY_NAME_MAX 255
#define MLOG_POLICY_URL_MAX 2048

/* What a group member or the quorum refers to. */
enum mlog_policy_kind {
	MLOG_POLICY_NONE = 0,     /* "quorum none" only */
	MLOG_POLICY_WITNESS = 1,
	MLOG_POLICY_GROUP = 2,
};

struct mlog_policy_ref {
	enum mlog_policy_kind kind;
	size_t index;             /* into witnesses[] or groups[] */
};

struct mlog_policy_log {
	struct mlog_note_verifier key;     /* type 0x01; key.name = origin */
	char *url;                         /* NULL if none */
};

struct mlog_policy_witness {
	char *name;                        /* the policy's name for it */
	struct mlog_note_verifier key;     /* as written (0x01 or 0x04) */
	struct mlog_note_verifier cosigner;/* its cosignature/v1 form */
	char *url;                         /* NULL if none */
};

struct mlog_policy_group {
	char *name;
	size_t k;                          /* 1 <= k <= nmembers */
	struct mlog_policy_ref *members;   /* each defined earlier */
	size_t nmembers;
};

struct mlog_policy {
	struct mlog_policy_log *logs;
	size_t nlogs;
	struct mlog_policy_witness *witnesses;
	size_t nwitnesses;
	struct mlog_policy_group *groups;  /* in definition order */
	size_t ngroups;
	struct mlog_policy_ref quorum;
};

/* One verified witness cosignature. */
struct mlog_policy_cosig {
	size_t witness;                    /* index into witnesses[] */
	uint64_t timestamp;                /* cosignature/v1 time */
};

struct mlog_policy_result {
	size_t log;                        /* policy log that signed */
	int quorum_met;                    /* rule 11 */
	size_t ncosigs;                    /* in witnesses[] order */
	struct mlog_policy_cosig cosigs[MLOG_POLICY_MAX_WITNESSES];
};

/*
 * Parses a policy file text[0..len) (rules 1-7) into a new policy *out.
 * Returns 0, MLOG_ERR_TOOBIG, MLOG_ERR_MALFORMED or MLOG_ERR_NOMEM; the
 * message names the line. On failure *out is untouched.
 */
int mlog_policy_parse(struct mlog_policy **out /* OUT */, const char *text,
	size_t len, struct mlog_error *err) MLOG_MUST_CHECK;

/* Frees a parsed policy; NULL is a no-op. */
void mlog_policy_free(struct mlog_policy *p);

/*
 * Formats p as a policy file in canonical form: log lines, witness lines,
 * group lines in definition order (k numeric), then the quorum line; one
 * space between items, no comments. parse(format(p)) describes the same
 * policy. *out malloc'd, NUL-terminated, caller frees. Returns 0,
 * MLOG_ERR_TOOBIG or MLOG_ERR_NOMEM.
 */
int mlog_policy_format(char **out /* OUT */, size_t *out_len /* OUT */,
	const struct mlog_policy *p) MLOG_MUST_CHECK;

/*
 * Evaluates the signed checkpoint note[0..len) against p (rules 8-11).
 * Returns 0 when the log signature verifies and no known signature fails,
 * whether or not the quorum is met: *res says which witnesses cosigned
 * (with their times) and whether the quorum is met, and *cp (if not NULL)
 * receives the parsed checkpoint (clear it with mlog_checkpoint_clear).
 * Returns MLOG_ERR_TOOBIG / MLOG_ERR_MALFORMED (rule 8),
 * MLOG_ERR_NOTFOUND (no log for the origin), MLOG_ERR_UNTRUSTED (no
 * signature by a log key), MLOG_ERR_VERIFY (a log or witness signature
 * fails, or the empty-tree rule) or MLOG_ERR_NOMEM; outputs untouched on
 * failure.
 */
int mlog_policy_evaluate(struct mlog_policy_result *res /* OUT */,
	struct mlog_checkpoint *cp /* OUT, may be NULL */,
	const struct mlog_policy *p, const char *note, size_t len,
	struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * As mlog_policy_evaluate, but the quorum must be met: a checkpoint that
 * evaluates with quorum_met == 0 is MLOG_ERR_VERIFY, and then *res and *cp
 * are untouched. res may be NULL.
 */
int mlog_policy_verify(struct mlog_policy_result *res /* OUT, may be NULL */,
	struct mlog_checkpoint *cp /* OUT, may be NULL */,
	const struct mlog_policy *p, const char *note, size_t len,
	struct mlog_error *err) MLOG_MUST_CHECK;

#endif
