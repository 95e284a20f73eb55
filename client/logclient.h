/*
 * logclient.h — the client's view of one log: HTTP to mlogd (libcurl), the
 * trust policy every answer is checked against, and the log's tiles as a
 * hash source, so that proofs are computed and checked here, never taken
 * on the server's word.
 *
 * Trust comes from a C2SP tlog-policy file (--policy FILE: log vkey and
 * URL, witnesses, quorum) or, for a log without witnesses, the log's vkey
 * alone (--log-key VKEY, equivalent to "log VKEY\nquorum none"). The URL
 * comes from --log URL, else from the policy's log line.
 *
 * Invariants:
 *  (1) A checkpoint is used only after mlog_policy_evaluate/verify
 *      accepted it (log signature; quorum where the caller demands it).
 *  (2) Hashes and entries read from tiles are authenticated against such a
 *      checkpoint (merkle/tile.h reader; bundles checked against their
 *      level-0 tile) before use.
 *  (3) Full tiles may be cached on disk (--cache DIR): they never change,
 *      and are re-authenticated on every use anyway.
 *
 * Thread-safety: single-threaded (one curl handle).
 * Ownership: cli_log_open/cli_log_close; returned buffers are malloc'd for
 * the caller.
 */
#ifndef MLOG_CLI_LOGCLIENT_H
#define MLOG_CLI_LOGCLIENT_H

#include <stddef.h>
#include <getopt.h>
#include <stdint.h>

#include "checkpoint.h"
#include "err.h"
#include "hash.h"
#include "policy.h"
#include "tile.h"

struct cli_log {
	char *url;                      /* base URL, no trailing '/' */
	struct mlog_policy *policy;
	char *policy_text;              /* as read or synthesised */
	size_t policy_len;
	char *cache_dir;                /* NULL: no tile cache */
	void *curl;                     /* CURL * */
	struct mlog_hash *h;
	struct mlog_tile_source tiles;  /* GET /tile/... (+ cache) */
	char last_error[MLOG_ERROR_MSG_MAX];
	long timeout_s;
};

/* A checkpoint accepted under the policy. */
struct cli_checkpoint {
	char *note;                     /* signed note as served */
	size_t note_len;
	struct mlog_checkpoint cp;
	struct mlog_policy_result res;
};

/* The flags every log-talking subcommand takes (docs/cli.md). */
struct cli_log_opts {
	const char *url;        /* --log URL */
	const char *policy;     /* --policy FILE */
	const char *log_key;    /* --log-key VKEY */
	const char *cache;      /* --cache DIR */
};

/* struct option rows for the flags above (values 0x100..0x103); splice
 * into a subcommand's table. */
#define CLI_LOG_OPTIONS \
	{ "log", required_argument, NULL, 0x100 }, \
	{ "policy", required_argument, NULL, 0x101 }, \
	{ "log-key", required_argument, NULL, 0x102 }, \
	{ "cache", required_argument, NULL, 0x103 }

#define CLI_USAGE_LOG_OPTIONS \
	"  --log URL         the log (default: the policy's log URL)\n" \
	"  --policy FILE     C2SP tlog-policy: log key, witnesses, quorum\n" \
	"  --log-key VKEY    trust this log key alone (no witnesses)\n" \
	"  --cache DIR       keep full tiles here between runs\n"

/* Stores a CLI_LOG_OPTIONS flag; returns 1 if ch was one of them. */
int cli_log_opt(struct cli_log_opts *o, int ch, const char *arg);

/* cli_log_open with the flags. */
void cli_log_open_opts(struct cli_log *l, const struct cli_log_opts *o,
	int need_url);

/*
 * Sets up l from the common flags (any may be NULL; need_url says whether
 * a URL is required). Exits CLI_EXIT_ERROR with a message on a missing
 * or bad policy, key or URL.
 */
void cli_log_open(struct cli_log *l, const char *url, const char *policy_path,
	const char *log_vkey, const char *cache_dir, int need_url);
void cli_log_close(struct cli_log *l);

/*
 * GET/POST path (starting with '/'). Returns the HTTP status, or -1 when
 * there was no answer (l->last_error says why). *body is malloc'd and
 * NUL-terminated (also for -1: empty). content_type (may be NULL) receives
 * a malloc'd copy of the Content-Type, or NULL.
 */
long cli_log_get(struct cli_log *l, const char *path, char **body,
	size_t *len, char **content_type);
long cli_log_post(struct cli_log *l, const char *path, const void *data,
	size_t data_len, char **body, size_t *len);

/*
 * Fetches /checkpoint and evaluates it under the policy; with
 * require_quorum the witness quorum must be met (mlog_policy_verify).
 * Returns 0 or an mlog_err with err saying why (MLOG_ERR_IO: no answer).
 */
int cli_log_checkpoint(struct cli_log *l, struct cli_checkpoint *out,
	int require_quorum, struct mlog_error *err) MLOG_MUST_CHECK;

/* Evaluates a checkpoint note held locally (same rules). */
int cli_checkpoint_from_note(struct cli_log *l, struct cli_checkpoint *out,
	const char *note, size_t len, int require_quorum,
	struct mlog_error *err) MLOG_MUST_CHECK;

void cli_checkpoint_clear(struct cli_checkpoint *c);

/*
 * Reads entry index of the tree of cp through its tiles: the leaf hash
 * authenticated against cp's root, the entry from its bundle checked
 * against that hash, and (if proof is not NULL) the inclusion proof.
 * *entry is malloc'd. Returns 0 or an mlog_err.
 */
int cli_log_entry(struct cli_log *l, const struct cli_checkpoint *cp,
	uint64_t index, uint8_t **entry, size_t *entry_len,
	uint8_t leaf[MLOG_HASH_BYTES],
	uint8_t (*proof)[MLOG_HASH_BYTES], size_t *proof_len,
	struct mlog_error *err) MLOG_MUST_CHECK;

/* The consistency proof between old and cp's size, from cp's tiles, and
 * the old tree's root (authenticated through cp). */
int cli_log_consistency(struct cli_log *l, const struct cli_checkpoint *cp,
	uint64_t old, uint8_t old_root[MLOG_HASH_BYTES],
	uint8_t (*proof)[MLOG_HASH_BYTES], size_t *proof_len,
	struct mlog_error *err) MLOG_MUST_CHECK;

/* Writes a tlog-proof for entry at index under cp (entry as extra data). */
int cli_tlogproof_write(const char *path, const struct cli_checkpoint *cp,
	uint64_t index, const uint8_t *entry, size_t entry_len,
	const uint8_t (*proof)[MLOG_HASH_BYTES], size_t proof_len,
	struct mlog_error *err) MLOG_MUST_CHECK;

/* Reads a whole (small) file; exits CLI_EXIT_ERROR naming it on failure.
 * Returns a malloc'd NUL-terminated copy. */
char *cli_slurp(const char *path, size_t max, size_t *len);

#endif
