/*
 * signerset.h — the DSSE signers a client expects (`mlog monitor
 * --signers FILE`, `mlog check --signers FILE`), and the check that an
 * entry is signed by one allowed its predicateType (SPEC §2: the rule the
 * log server applies, re-applied by a client that does not take the
 * server's word for it).
 *
 * File format: one signer a line, items separated by spaces or tabs;
 * empty lines and lines starting with '#' are ignored:
 *
 *   NAME ROLE[,ROLE...] PUBKEY.pem
 *
 *   ci-prod  build,sbom  keys/ci-prod.pub
 *   alice    approval    /etc/mlog/alice.pub
 *
 * Rules (MLOG_ERR_MALFORMED naming the line unless stated):
 *  (1) The file is at most CLI_SIGNERSET_MAX_BYTES (MLOG_ERR_TOOBIG) and
 *      names at most CLI_SIGNERSET_MAX signers.
 *  (2) NAME is 1..64 bytes of [A-Za-z0-9._@-]; names are unique.
 *  (3) Roles are build, sbom, approval (statement.h), comma-separated,
 *      none twice.
 *  (4) PUBKEY.pem is a PEM SubjectPublicKeyInfo (dsse.h rule 9); a
 *      relative path is relative to the signers file's directory. An
 *      unreadable key file is MLOG_ERR_IO.
 *  (5) An entry passes when at least one of its signatures verifies under
 *      a signer whose roles include the role its predicateType needs
 *      (dsse.h rules 12-13: the keyid narrows the keys tried, never
 *      widens trust).
 *
 * Thread-safety: a loaded set is read-only; checks may run in parallel
 * on separate sets only (OpenSSL contexts are per call, but keep it
 * simple: one thread).
 * Ownership: cli_signerset_load fills a set the caller releases with
 * cli_signerset_clear.
 */
#ifndef MLOG_CLI_SIGNERSET_H
#define MLOG_CLI_SIGNERSET_H

#include <stddef.h>
#include <stdint.h>

#include "dsse.h"
#include "err.h"

#define CLI_SIGNERSET_MAX_BYTES (1u << 20)
#define CLI_SIGNERSET_MAX 256
#define CLI_SIGNERSET_NAME_MAX 64

struct cli_signer {
	char name[CLI_SIGNERSET_NAME_MAX + 1];
	unsigned roles;                 /* MLOG_STATEMENT_ROLE_* bits */
	struct mlog_dsse_key *key;
};

struct cli_signerset {
	struct cli_signer *signers;
	size_t n;
};

/*
 * Reads the signers file at path (rules 1-4) into *out. Returns 0,
 * MLOG_ERR_IO, MLOG_ERR_TOOBIG, MLOG_ERR_MALFORMED or MLOG_ERR_NOMEM;
 * *out is untouched on failure.
 */
int cli_signerset_load(struct cli_signerset *out /* OUT */, const char *path,
	struct mlog_error *err) MLOG_MUST_CHECK;

/* Parses the file's text (same rules); dir is where relative key paths
 * start ("." if NULL). */
int cli_signerset_parse(struct cli_signerset *out /* OUT */,
	const char *text, size_t len, const char *dir, struct mlog_error *err)
	MLOG_MUST_CHECK;

void cli_signerset_clear(struct cli_signerset *set);

/*
 * Rule 5 for the envelope entry[0..len) whose statement needs role (one
 * MLOG_STATEMENT_ROLE_* bit). On 0, names (capacity cap, may be NULL)
 * holds the authorized signers that verified, comma-separated. Returns 0;
 * MLOG_ERR_VERIFY (no signature by an authorized signer; err says whose
 * signatures did verify, if any); MLOG_ERR_MALFORMED (not an envelope);
 * MLOG_ERR_NOMEM or MLOG_ERR_INTERNAL.
 */
int cli_signerset_check(const struct cli_signerset *set,
	const uint8_t *entry, size_t len, unsigned role, char *names,
	size_t cap, struct mlog_error *err) MLOG_MUST_CHECK;

#endif
