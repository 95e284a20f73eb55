/*
 * approvals.h — what a log entry says, reduced to what the client judges
 * (SPEC §2), and the one rule that decides whether a measurement is
 * approved. `mlog check`, `mlog audit` (evidence.c) and `mlog monitor`
 * all decide through cli_approvals_decide, so the three can never
 * disagree about the same entries.
 *
 * A record (struct cli_record) is an authenticated entry parsed: the DSSE
 * envelope (merkle/dsse.h), its in-toto Statement validated by
 * merkle/statement.h (so every field used here has the shape SPEC §2
 * gives it), and the fields the client needs: for a build manifest its
 * build ID, subjects and measurements; for an approval its ticket,
 * decision, approver, reviewed_at, build_entry and measurement. Example
 * (urn:mlog:approval:v1, an MRSIGNER approval from version 3 on):
 *
 *   "predicate":{"ticket":"CHG-1234","decision":"approved",
 *     "approver":"alice@example.com","reviewed_at":"2026-11-25T10:00:00Z",
 *     "measurement":{"tee":"sgx","mrsigner":"<64 hex>","min_isvsvn":3}}
 *
 * The rule (invariants):
 *  (1) An approval or revocation A *covers* a measurement Q when A's tee
 *      is Q's and every field A's measurement names is matched by Q:
 *      hex fields (mrenclave, mrsigner, attributes, mrtd, pcr0, ...) and
 *      isvprodid, isvsvn, debug must be present in Q and equal;
 *      min_isvsvn needs Q's isvsvn present and >= it. A field Q does not
 *      give never matches (fail closed): an approval of MRENCLAVE X that
 *      also names MRSIGNER Y does not cover a query that gives X alone.
 *      Fields Q gives that A does not name are not constrained.
 *  (2) Order is log order (index), never reviewed_at, which is a claim.
 *  (3) Q is allowed iff some approval covers it and no revocation that
 *      covers it has a larger index than the latest such approval; i.e.
 *      the decisive entry (the covering approval or revocation with the
 *      largest index) is an approval. A later approval therefore lifts an
 *      earlier revocation (re-approval after a mistaken revocation); to
 *      keep a revoked build out, revoke it after any broad approval, or
 *      raise min_isvsvn.
 *  (4) Only what the caller passes is judged. Whether that is every
 *      relevant entry of the log is the caller's problem: a search answer
 *      is the server's word, and can omit a revocation (docs/cli.md "What
 *      search cannot prove").
 *
 * Thread-safety: no shared state; records and indexes are used by one
 * thread at a time.
 * Ownership: cli_record_parse fills a record that owns its strings and
 * arrays (cli_record_clear frees them). A struct cli_approvals borrows the
 * records it indexes, which must outlive it; cli_approvals_clear frees
 * only the index.
 */
#ifndef MLOG_CLI_APPROVALS_H
#define MLOG_CLI_APPROVALS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "statement.h"

/* Longest measurement hex field: 48 bytes. */
#define CLI_MEASURE_HEX_MAX 96
/* Most hex fields one measurement object has (nitro: 4, tdx: 6). */
#define CLI_MEASURE_MAX_FIELDS 8
#define CLI_MEASURE_TEE_MAX 16

struct cli_measure_hex {
	const char *name;                    /* static: "mrenclave", ... */
	int id;                              /* identifies the workload */
	char hex[CLI_MEASURE_HEX_MAX + 1];   /* lowercase */
};

/* One measurement object (SPEC §2), or a query of `mlog check`. */
struct cli_measure {
	char tee[CLI_MEASURE_TEE_MAX];       /* "sgx", "tdx", ... */
	struct cli_measure_hex hex[CLI_MEASURE_MAX_FIELDS];
	size_t nhex;
	int has_isvprodid, has_isvsvn, has_min_isvsvn, has_debug;
	unsigned isvprodid, isvsvn, min_isvsvn;
	int debug;
};

struct cli_subject {
	char *name;
	char sha256[65];                     /* "" if the subject has none */
};

struct cli_record {
	uint64_t index;
	int type;                  /* enum mlog_statement_type */
	const char *type_uri;      /* static */
	char **keyids;             /* DSSE signatures' keyids, "" if none */
	size_t nkeyids;
	struct cli_subject *subjects;
	size_t nsubjects;
	/* build manifests */
	char *build_id;            /* NULL for other types */
	struct cli_measure *measures;
	size_t nmeasures;
	/* approvals */
	char *ticket;              /* NULL for other types */
	int decision;              /* enum mlog_statement_decision, or 0 */
	char *approver;
	char *reviewed_at;         /* as written (RFC 3339) */
	int has_build_entry;
	uint64_t build_entry;
	struct cli_measure approval;   /* the measurement it covers */
};

/* Measurement field table lookups. */

/* The hex value of field name in m, or NULL. */
const char *cli_measure_get(const struct cli_measure *m, const char *name);

/* Sets (or replaces) hex field name of m's tee; name must be one of its
 * tee's fields (SPEC §2) and hex the right length of lowercase hex.
 * Returns 0 or MLOG_ERR_MALFORMED (err names the field). */
int cli_measure_set(struct cli_measure *m, const char *name,
	const char *hex, struct mlog_error *err) MLOG_MUST_CHECK;

/* Starts an empty measurement for tee ("sgx", "tdx", "sev-snp",
 * "nitro"). Returns 0 or MLOG_ERR_MALFORMED for an unknown tee. */
int cli_measure_init(struct cli_measure *m, const char *tee,
	struct mlog_error *err) MLOG_MUST_CHECK;

/* Reads a measurement object (already validated by statement.h, so
 * unknown members are skipped). Returns 0 or MLOG_ERR_MALFORMED. */
int cli_measure_from_json(struct cli_measure *out /* OUT */,
	const json_t *obj, struct mlog_error *err) MLOG_MUST_CHECK;

/* The measurement as a JSON object ("tee", hex fields in table order,
 * then isvprodid, isvsvn, min_isvsvn, debug if present). NULL on OOM. */
json_t *cli_measure_to_json(const struct cli_measure *m);

/* The main identifying value (sgx: mrenclave; tdx: mrtd; sev-snp:
 * measurement; nitro: pcr0), or the first id field, or "". */
const char *cli_measure_primary(const struct cli_measure *m);

/*
 * Invariant (1): 1 if approval a covers q. Otherwise 0, and why (if not
 * NULL, capacity cap) says which field failed ("mrsigner: not given",
 * "isvsvn 2 < min_isvsvn 3").
 */
int cli_measure_covers(const struct cli_measure *a, const struct cli_measure *q,
	char *why, size_t cap);

/*
 * Parses entry[0..len) (the leaf data: a canonical DSSE envelope) at log
 * index into *out. Returns 0, MLOG_ERR_TOOBIG, MLOG_ERR_MALFORMED (the
 * envelope or statement breaks SPEC §2) or MLOG_ERR_NOMEM; *out is
 * untouched on failure.
 */
int cli_record_parse(struct cli_record *out /* OUT */, uint64_t index,
	const uint8_t *entry, size_t len, struct mlog_error *err)
	MLOG_MUST_CHECK;

/* Frees what cli_record_parse stored and zeroes r. */
void cli_record_clear(struct cli_record *r);

/* "build manifest", "approval", "revocation", "SBOM", "SLSA provenance". */
const char *cli_record_kind(const struct cli_record *r);

/*
 * An index of approval and revocation records by the values of their id
 * fields, so that a decision looks at a few candidates rather than at
 * every approval (an evidence bundle may hold thousands).
 */
struct cli_approvals {
	struct cli_approval_key *keys;  /* sorted by (value, record index) */
	size_t nkeys, cap;
};

void cli_approvals_init(struct cli_approvals *ix);
void cli_approvals_clear(struct cli_approvals *ix);

/* Indexes r if it is an approval or revocation (else does nothing). r is
 * borrowed. Returns 0 or MLOG_ERR_NOMEM. */
int cli_approvals_add(struct cli_approvals *ix, const struct cli_record *r)
	MLOG_MUST_CHECK;

/* Sorts the index; call after the last add and before deciding. */
void cli_approvals_seal(struct cli_approvals *ix);

struct cli_decision {
	int allowed;                          /* invariant (3) */
	const struct cli_record *approval;    /* latest covering approval */
	const struct cli_record *revocation;  /* latest covering revocation */
	const struct cli_record *decisive;    /* the later of the two */
	char reason[320];                     /* one line, for people */
};

/*
 * The approvals and revocations in ix with index below limit that cover
 * q (invariant 1), in index order, without duplicates: up to cap into
 * out. Returns how many there are (may exceed cap).
 */
size_t cli_approvals_covering(const struct cli_approvals *ix,
	const struct cli_measure *q, uint64_t limit,
	const struct cli_record **out, size_t cap);

/*
 * Decides q (invariants 1-3) from the records in ix whose index is
 * below limit (UINT64_MAX: all). Returns 0 or MLOG_ERR_NOMEM; *out is
 * filled on success.
 */
int cli_approvals_decide(struct cli_decision *out /* OUT */,
	const struct cli_approvals *ix, const struct cli_measure *q,
	uint64_t limit) MLOG_MUST_CHECK;

#endif
