/*
 * statement.h — in-toto Statement v1 validation for the four record kinds
 * of SPEC §2, the role each needs, and the index keys the server files an
 * entry under (SPEC §3 /v1/search). Measurement fields follow
 * TEE-FORMATS.md: hex is the bytes in stored order, never byte-swapped.
 *
 * A statement is the payload of a DSSE envelope whose payloadType is
 * "application/vnd.in-toto+json" (dsse.h). It is validated, not rewritten:
 * the signed bytes are what the log keeps. Example (urn:mlog:approval:v1):
 *
 *   {"_type":"https://in-toto.io/Statement/v1",
 *    "subject":[{"name":"sgx.mrenclave","digest":{"sha256":"<64 hex>"}}],
 *    "predicateType":"urn:mlog:approval:v1",
 *    "predicate":{"ticket":"CHG-1234","decision":"approved",
 *      "approver":"alice@example.com","reviewed_at":"2025-01-31T09:30:00Z",
 *      "measurement":{"tee":"sgx","mrenclave":"<64 hex>"}}}
 *
 * Validity rules (every failure but (1) is MLOG_ERR_MALFORMED with a
 * message "statement: <path>: <problem>", the path in JSON dotted/indexed
 * form, e.g. "statement: predicate.measurements[0].mrenclave: want 64
 * lowercase hex digits"):
 *  (1) At most MLOG_STATEMENT_MAX_BYTES bytes, checked first (TOOBIG).
 *  (2) One JSON object, nothing after it but whitespace, no duplicate
 *      member names at any depth, no \u0000.
 *  (3) _type is "https://in-toto.io/Statement/v1"; predicateType is one of
 *      the four below; predicate is an object.
 *  (4) subject is a non-empty array of objects with name (non-empty string)
 *      and digest (a digest set, rule 5).
 *  (5) A digest set is a non-empty object. sha256, sha384 and sha512 must
 *      be exactly 64, 96 and 128 lowercase hex digits. Other algorithm
 *      names (in-toto lists sha1, sha3_256, gitCommit, ...) are kept if the
 *      name is 1..32 of [A-Za-z0-9_-] and the value 2..128 lowercase hex
 *      digits of even length; they are not indexed. Every digest set needs
 *      at least one of sha256/sha384/sha512, and the ones rules 9-12 name
 *      (digest.sha256) are required.
 *  (6) Unknown members are kept and not checked, at every level (SPEC §2);
 *      a known member is checked wherever its object is.
 *  (7) Strings said to be required must be non-empty. Integers are JSON
 *      integers (no fraction, no exponent, not strings).
 *
 * Measurement objects (rule 8), "tee" then that TEE's fields; hex is
 * lowercase, of exactly the byte length shown. "req" = required in a
 * build manifest; "id" = identifies the workload: indexed, and an
 * approval must cover at least one.
 *
 *   sgx      mrenclave 32 req id, mrsigner 32 req id, isvprodid u16 req,
 *            isvsvn u16 req, attributes 16 (FLAGS||XFRM, little-endian as
 *            in SIGSTRUCT), miscselect 4 (as stored, little-endian),
 *            debug bool, min_isvsvn u16 (approvals)
 *   tdx      mrtd 48 req id, rtmr0..rtmr3 48, mrconfigid 48
 *   sev-snp  measurement 48 req id, host_data 32, id_key_digest 48 id,
 *            policy 8 (as stored in the report, little-endian)
 *   nitro    pcr0 48 req id, pcr1 48 req, pcr2 48 req, pcr8 48 id
 *
 *   (u16 = JSON integer 0..65535.) miscselect and policy are hex bytes, not
 *   integers, so that every non-boolean, non-counter field has one form:
 *   the bytes in stored order, as SPEC §2 ("lowercase hex") and
 *   TEE-FORMATS §6 say.
 *
 * Predicates:
 *  (9) urn:mlog:build-manifest:v1 (role build): subjects need sha256;
 *      build {id, source {uri, commit: 40 or 64 lowercase hex}, builder,
 *      toolchain[] optional of {name, version, digest}}, all strings
 *      required; measurements[] optional, of measurement objects (all "req"
 *      fields); sbom[] optional, of {format (rule 13), digest (sha256
 *      required), uri optional}.
 *  (10) https://slsa.dev/provenance/v1 (role build): stored as is, after
 *      the SLSA v1 REQUIRED fields: buildDefinition {buildType (string),
 *      externalParameters (object)}, runDetails {builder {id (string)}}.
 *  (11) urn:mlog:sbom:v1 (role sbom): subjects need sha256; format (rule
 *      13), digest (sha256 required), uri optional.
 *  (12) urn:mlog:approval:v1 (role approval): ticket (rule 14), decision
 *      "approved" or "revoked", approver, reviewed_at (rule 15),
 *      measurement (a measurement object with at least one "id" field; the
 *      "req" marks do not apply), build_entry optional (integer >= 0),
 *      comment optional (string, may be empty). Each subject is named
 *      "<tee>.<field>" for a 32- or 48-byte hex field of that TEE
 *      (sgx.mrenclave, sgx.mrsigner, tdx.mrtd, nitro.pcr0, ...); the tee
 *      must be measurement.tee, the field must be in measurement, and the
 *      subject's digest.sha256 (32 bytes) or digest.sha384 (48 bytes) must
 *      equal it.
 *  (13) SBOM format: "<name>-<version>", name [a-z][a-z0-9]*(-[a-z0-9]+)*,
 *      version [0-9]+(.[0-9]+)*, at most 64 bytes: spdx-2.3,
 *      cyclonedx-1.5, spdx-3.0.1, syft-json-16.
 *  (14) Ticket: [A-Za-z0-9][A-Za-z0-9._-]{0,63}. Broader than Jira's
 *      [A-Z][A-Z0-9]*-[0-9]+ because ServiceNow change numbers have no dash
 *      (CHG0030001); narrow enough to be safe in a URL query, a file name
 *      or a log line (no space, '/', ':' or '#'). Case-sensitive.
 *  (15) Times: RFC 3339 date-time, strictly YYYY-MM-DDTHH:MM:SS, optional
 *      fraction of 1..9 digits, then Z or +HH:MM / -HH:MM; uppercase T and
 *      Z only; month, day (leap years), hour < 24, minute < 60, second
 *      < 60 (leap seconds rejected, as Go's time.Parse does), offset
 *      hour < 24 and minute < 60.
 *
 * Index keys (struct mlog_statement.keys, deduplicated, in document order):
 *  (16) "digest" "<alg>:<hex>" for each sha256/sha384/sha512 of every
 *      subject, of an SBOM record's predicate.digest and of a manifest's
 *      sbom[].digest; one key per "id" field of every measurement object
 *      (kinds below, value = the hex); "ticket" for an approval.
 *
 * Thread-safety: pure functions; no shared state.
 * Ownership: mlog_statement_parse* return a statement the caller frees
 * with mlog_statement_free (NULL allowed). Returned names are static
 * strings.
 */
#ifndef MLOG_STATEMENT_H
#define MLOG_STATEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "dsse.h"
#include "err.h"

#define MLOG_STATEMENT_MAX_BYTES 65535
#define MLOG_STATEMENT_TYPE_V1 "https://in-toto.io/Statement/v1"
#define MLOG_STATEMENT_TICKET_MAX 64
#define MLOG_STATEMENT_FORMAT_MAX 64
/* Longest index value: "sha512:" and 128 hex digits. */
#define MLOG_STATEMENT_KEY_VALUE_MAX 135

enum mlog_statement_type {
	MLOG_STATEMENT_BUILD_MANIFEST = 1,  /* urn:mlog:build-manifest:v1 */
	MLOG_STATEMENT_SLSA_PROVENANCE = 2, /* https://slsa.dev/provenance/v1 */
	MLOG_STATEMENT_SBOM = 3,            /* urn:mlog:sbom:v1 */
	MLOG_STATEMENT_APPROVAL = 4,        /* urn:mlog:approval:v1 */
};

/* Signer roles (SPEC §2, §6 --signer NAME=ROLE,...), as a bit set. */
#define MLOG_STATEMENT_ROLE_BUILD 0x1u
#define MLOG_STATEMENT_ROLE_SBOM 0x2u
#define MLOG_STATEMENT_ROLE_APPROVAL 0x4u

enum mlog_statement_key_kind {
	MLOG_STATEMENT_KEY_DIGEST = 1,        /* "digest": "<alg>:<hex>" */
	MLOG_STATEMENT_KEY_MRENCLAVE,         /* "sgx.mrenclave" */
	MLOG_STATEMENT_KEY_MRSIGNER,          /* "sgx.mrsigner" */
	MLOG_STATEMENT_KEY_MRTD,              /* "tdx.mrtd" */
	MLOG_STATEMENT_KEY_SNP_MEASUREMENT,   /* "sev-snp.measurement" */
	MLOG_STATEMENT_KEY_SNP_ID_KEY,        /* "sev-snp.id_key_digest" */
	MLOG_STATEMENT_KEY_NITRO_PCR0,        /* "nitro.pcr0" */
	MLOG_STATEMENT_KEY_NITRO_PCR8,        /* "nitro.pcr8" */
	MLOG_STATEMENT_KEY_TICKET,            /* "ticket" */
};

enum mlog_statement_decision {
	MLOG_STATEMENT_APPROVED = 1,
	MLOG_STATEMENT_REVOKED = 2,
};

struct mlog_statement_key {
	int kind;                                      /* enum ..._key_kind */
	char value[MLOG_STATEMENT_KEY_VALUE_MAX + 1];  /* NUL-terminated */
};

struct mlog_statement {
	int type;                        /* enum mlog_statement_type */
	unsigned role;                   /* the one role this type needs */
	struct mlog_statement_key *keys; /* rule 16 */
	size_t nkeys;
	int decision;                    /* approvals; 0 for other types */
	int64_t reviewed_at;             /* approvals: Unix seconds; else 0 */
};

/*
 * Validates json[0..len) (rules 1-16) and returns its summary in *out.
 * Returns 0, MLOG_ERR_TOOBIG, MLOG_ERR_MALFORMED or MLOG_ERR_NOMEM; on
 * failure *out is untouched.
 */
int mlog_statement_parse(struct mlog_statement **out /* OUT */,
	const uint8_t *json, size_t len, struct mlog_error *err)
	MLOG_MUST_CHECK;

/*
 * As mlog_statement_parse on e's payload, after checking that e's
 * payloadType is MLOG_DSSE_TYPE_INTOTO (else MLOG_ERR_MALFORMED naming
 * payloadType). Signatures are not looked at: shape comes first (SPEC §2).
 */
int mlog_statement_parse_envelope(struct mlog_statement **out /* OUT */,
	const struct mlog_dsse_envelope *e, struct mlog_error *err)
	MLOG_MUST_CHECK;

/* Frees a statement; NULL is a no-op. */
void mlog_statement_free(struct mlog_statement *s);

/* The predicateType URI of type, or NULL for an unknown type. */
const char *mlog_statement_type_uri(int type);

/* The role type needs (one MLOG_STATEMENT_ROLE_* bit), or 0 if unknown. */
unsigned mlog_statement_type_role(int type);

/* "build", "sbom" or "approval" for a single role bit, else NULL. */
const char *mlog_statement_role_name(unsigned role);

/* Parses a role name s[0..len) into its bit. Returns 0 or
 * MLOG_ERR_MALFORMED. */
int mlog_statement_role_parse(unsigned *out /* OUT */, const char *s,
	size_t len) MLOG_MUST_CHECK;

/* The name of an index key kind (comments of enum above), else NULL. */
const char *mlog_statement_key_name(int kind);

/* 1 if s[0..len) is a valid ticket ID (rule 14), else 0. */
int mlog_statement_ticket_valid(const char *s, size_t len);

/* Parses an RFC 3339 date-time (rule 15) into Unix seconds (fraction
 * dropped, offset applied). Returns 0 or MLOG_ERR_MALFORMED. */
int mlog_statement_time_parse(int64_t *out /* OUT */, const char *s,
	size_t len) MLOG_MUST_CHECK;

#endif
