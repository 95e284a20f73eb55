/*
 * gather.h — finding entries through the log's search index (SPEC §3
 * GET /v1/search) and reading each one proven against a checkpoint, for
 * `mlog check` and `mlog audit`.
 *
 * Invariants:
 *  (1) Search answers are hints. An index they return is used only after
 *      its entry was read through the tiles and its inclusion proof
 *      verified against the caller's checkpoint (cli_log_entry, then
 *      mlog_proof_verify_inclusion again here); an entry that does not
 *      match the search key is harmless because callers judge content.
 *      What search leaves out cannot be detected here (docs/cli.md "What
 *      search cannot prove").
 *  (2) Pages are followed through "next" until it is null; indexes must
 *      ascend strictly and stay above `after` (else MLOG_ERR_VERIFY: the
 *      server is not paging as SPEC §3 says); those at or beyond the
 *      checkpoint's size are dropped (the server may be ahead of it).
 *  (3) /v1/entries/<I> metadata (signer names, integrated_at) is a server
 *      claim: kept apart (struct cli_gathered.server), and only if its
 *      leaf_hash is the authenticated one.
 *
 * Thread-safety: as logclient.h (one thread).
 * Ownership: cli_search returns a malloc'd array; cli_gathered owns its
 * entry, record and JSON (cli_gathered_clear).
 */
#ifndef MLOG_CLI_GATHER_H
#define MLOG_CLI_GATHER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "approvals.h"
#include "logclient.h"
#include "proof.h"

/* Most indexes one search may return in total (all pages). */
#define CLI_SEARCH_MAX 1000000
#define CLI_SEARCH_PAGE 1000

/*
 * All indexes < size the log's search returns for key=value (key one of
 * mrenclave, mrsigner, ticket, digest, ...; value URL-safe: hex, a ticket
 * or "sha256:<hex>"), ascending. *out malloc'd (NULL when *n is 0).
 * Returns 0, MLOG_ERR_IO (no answer, HTTP error), MLOG_ERR_MALFORMED
 * (not the SPEC §3 JSON), MLOG_ERR_VERIFY (rule 2), MLOG_ERR_TOOBIG
 * (over CLI_SEARCH_MAX) or MLOG_ERR_NOMEM.
 */
int cli_search(struct cli_log *l, const char *key, const char *value,
	uint64_t size, uint64_t **out /* OUT */, size_t *n /* OUT */,
	struct mlog_error *err) MLOG_MUST_CHECK;

/* Merges sorted b[0..nb) into sorted *a (size *na), without duplicates.
 * Returns 0 or MLOG_ERR_NOMEM. */
int cli_index_merge(uint64_t **a, size_t *na, const uint64_t *b, size_t nb)
	MLOG_MUST_CHECK;

struct cli_gathered {
	uint64_t index;
	uint8_t *entry;                  /* leaf data, malloc'd */
	size_t len;
	uint8_t leaf[MLOG_HASH_BYTES];
	uint8_t proof[MLOG_PROOF_MAX][MLOG_HASH_BYTES];
	size_t proof_len;
	struct cli_record rec;           /* parsed entry */
	json_t *server;                  /* {"signers":[..],"integrated_at":..}
	                                    or NULL (rule 3) */
};

/*
 * Reads entry index of cp's tree through the tiles with its inclusion
 * proof, verifies the proof (rule 1), parses it, and, with claims, adds
 * the server's metadata (rule 3; a failure to get it is a warning in err
 * only if everything else worked: *out->server stays NULL). Returns 0 or
 * an mlog_err; *out is untouched on failure.
 */
int cli_gather_entry(struct cli_log *l, const struct cli_checkpoint *cp,
	uint64_t index, int claims, struct cli_gathered *out /* OUT */,
	struct mlog_error *err) MLOG_MUST_CHECK;

void cli_gathered_clear(struct cli_gathered *g);

#endif
