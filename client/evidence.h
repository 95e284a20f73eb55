/*
 * evidence.h — the evidence bundle of SPEC §5: a directory an auditor can
 * check offline, holding log entries with their C2SP tlog-proofs against
 * one cosigned checkpoint, the trust policy they were checked under, and
 * a report for people. `mlog audit` writes one (cli_evidence_write);
 * `mlog verify DIR` checks one (cli_evidence_verify).
 *
 * Layout (every file is written by us; nothing else may be present):
 *
 *   DIR/policy                  C2SP tlog-policy, canonical form
 *                               (mlog_policy_format)
 *   DIR/checkpoint              the signed checkpoint note: the log's
 *                               signature and the policy witnesses'
 *                               cosignatures only (other lines dropped)
 *   DIR/entries/<I>.tlogproof   C2SP tlog-proof for entry I (decimal, no
 *                               leading zeros): extra = the entry (leaf
 *                               data), index I, inclusion proof, blank
 *                               line, the checkpoint above byte for byte
 *   DIR/report.md               Markdown report (see docs/cli.md)
 *   DIR/manifest.json           what the bundle claims, below
 *
 * manifest.json (JSON, 2-space indent, members in this order, '\n' at
 * the end):
 *
 *   {"format": "mlog-evidence/v1",
 *    "generator": "mlog 0.1.0",
 *    "generated_at": "2026-11-25T10:00:00Z",      writer's clock
 *    "query": {"kind": "mrenclave"|"mrsigner"|"ticket", "value": "..."},
 *    "log": {"origin": "...", "url": "http://..." | null},
 *    "checkpoint": {"file": "checkpoint", "size": N, "root": "<b64>",
 *      "log_key": "<vkey>", "quorum": "<name>"|"none", "cosignatures":
 *      [{"witness": "W1", "timestamp": T, "time": "<RFC 3339>"}...]},
 *    "policy": {"file": "policy"},
 *    "files": [{"path": "policy", "sha256": "<hex>"}, {"path":
 *      "checkpoint", ...}, {"path": "report.md", ...}],
 *    "entries": [{"index": I, "file": "entries/I.tlogproof",
 *      "sha256": "<hex of that file>", "kind": "build manifest" |
 *      "approval" | "revocation" | "SBOM" | "SLSA provenance",
 *      "matches_query": true, "server": {"signers": ["ci"],
 *      "integrated_at": "..."} | null}...],
 *    "measurements": [{"measurement": {...}, "status": "allowed" |
 *      "revoked" | "not approved", "decided_by": I | null,
 *      "ticket": "..." | null, "covered_by": [I...]}...]}
 *
 * Only generator, generated_at, query, log.url, the entry indexes and
 * each entry's "server" object are inputs; everything else is derived
 * from the files, so a verifier recomputes it.
 *
 * Validity rules (cli_evidence_verify, in this order):
 *  (1) manifest.json reads (at most CLI_EVIDENCE_MANIFEST_MAX bytes) and
 *      parses as JSON with format "mlog-evidence/v1"; otherwise the
 *      directory is not a bundle: MLOG_ERR_MALFORMED (or MLOG_ERR_IO).
 *      Every later failure is MLOG_ERR_VERIFY: the bundle is invalid.
 *  (2) The directory holds exactly the files listed (no more, no fewer),
 *      each regular, and each file's SHA-256 is the listed one.
 *  (3) policy parses and is in canonical form.
 *  (4) checkpoint satisfies the policy: the log's signature verifies and
 *      the quorum is met (mlog_policy_verify), and it carries no
 *      signature line but the log's and those of verified policy
 *      witnesses.
 *  (5) Each entries/<I>.tlogproof parses, says index I, carries the
 *      checkpoint file's bytes as its checkpoint, has the entry as extra
 *      data, and its inclusion proof verifies against the checkpoint
 *      (RFC 9162 §2.1.3.2). Indexes ascend strictly. The checkpoint's
 *      signatures are verified once (4), since every proof must carry
 *      the same bytes.
 *  (6) Each entry is a valid SPEC §2 entry (approvals.h records).
 *  (7) manifest.json is byte for byte what the writer derives from the
 *      inputs above and the verified files (so every derived claim —
 *      kinds, matches, measurement statuses by approvals.h — holds), and
 *      report.md is byte for byte the report rendered from them: every
 *      entry the report lists has a verified proof, and every status it
 *      states is recomputed.
 *  Not checkable offline, and said so in the report: the "server" claims
 *  (signer names, integration times), the writer's clock, and whether
 *  the search that chose the entries left any out.
 *
 * Exit codes of `mlog verify DIR` (cli_evidence_exit_code): 0 valid; 1
 * invalid (MLOG_ERR_VERIFY, MLOG_ERR_UNTRUSTED); 2 error (MLOG_ERR_IO,
 * MLOG_ERR_MALFORMED: not a bundle, MLOG_ERR_NOMEM, ...).
 *
 * Thread-safety: no shared state; one call per thread. Internally,
 * cli_evidence_verify splits the entries of a large bundle between two
 * threads of its own (joined before it returns); jansson must be built
 * thread-safe (its default: atomic hash seeding), as Debian's is.
 * Ownership: inputs are borrowed; nothing is retained after a call.
 */
#ifndef MLOG_CLI_EVIDENCE_H
#define MLOG_CLI_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "err.h"
#include "hash.h"
#include "policy.h"

#define CLI_EVIDENCE_FORMAT "mlog-evidence/v1"
#define CLI_EVIDENCE_MANIFEST_MAX (256u << 20)
/* Most entries one bundle holds. */
#define CLI_EVIDENCE_MAX_ENTRIES 1000000

/* The writer's inputs that are not derived (rule 7). */
struct cli_evidence_meta {
	const char *query_kind;     /* "mrenclave", "mrsigner" or "ticket" */
	const char *query_value;
	const char *log_url;        /* NULL: none recorded */
	const char *generated_at;   /* RFC 3339; NULL: now (UTC) */
	const char *generator;      /* NULL: "mlog <version>" */
};

/* One entry to put in a bundle. */
struct cli_evidence_item {
	uint64_t index;
	const uint8_t *entry;       /* leaf data */
	size_t entry_len;
	const uint8_t (*proof)[MLOG_HASH_BYTES];   /* inclusion proof */
	size_t proof_len;
	const json_t *server;       /* {"signers":[...],"integrated_at":...}
	                               or NULL */
};

/*
 * Writes a bundle to dir, which must not exist: everything goes into
 * "<dir>.partial-<pid>", is flushed (syncfs) and renamed to dir at the
 * end, so dir is either absent or complete. note[0..note_len) is the
 * cosigned checkpoint (it must satisfy pol with quorum); items (any
 * order, indexes unique and below the checkpoint's size) must each
 * verify. The result always passes cli_evidence_verify. Returns 0;
 * MLOG_ERR_VERIFY / MLOG_ERR_UNTRUSTED (the checkpoint or an item does
 * not verify); MLOG_ERR_MALFORMED (bad arguments, an entry that is not a
 * SPEC §2 entry); MLOG_ERR_IO (err names the path; dir exists);
 * MLOG_ERR_NOMEM.
 */
int cli_evidence_write(const char *dir, const struct mlog_policy *pol,
	const char *note, size_t note_len,
	const struct cli_evidence_item *items, size_t n,
	const struct cli_evidence_meta *meta, struct mlog_error *err)
	MLOG_MUST_CHECK;

/*
 * Verifies the bundle in dir offline (rules 1-7), against the bundle's
 * own policy. That proves the bundle is internally sound and that the
 * log whose key is in DIR/policy signed it; whether that key is the one
 * you trust is a separate question (cli_evidence_verify_trusted, or
 * compare the log line printed to report_to). report_to (may be NULL)
 * receives a few lines saying what was checked (or why it failed).
 * Returns 0 valid; MLOG_ERR_VERIFY invalid; MLOG_ERR_MALFORMED (not a
 * bundle), MLOG_ERR_IO or MLOG_ERR_NOMEM: error.
 */
int cli_evidence_verify(const char *dir, FILE *report_to,
	struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * As cli_evidence_verify, and (trusted not NULL) the checkpoint must
 * also satisfy trusted, quorum included: the auditor's own policy.
 * Returns as cli_evidence_verify; a checkpoint trusted does not accept
 * is MLOG_ERR_VERIFY.
 */
int cli_evidence_verify_trusted(const char *dir,
	const struct mlog_policy *trusted, FILE *report_to,
	struct mlog_error *err) MLOG_MUST_CHECK;

/* The exit code for a cli_evidence_verify result: 0, 1 or 2. */
int cli_evidence_exit_code(int rc);

#endif
