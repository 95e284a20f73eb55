/*
 * config.h — mlog-witness's settings (SPEC §6): command-line flags and the
 * config file DIR/mlog-witness.conf, which holds the same settings as
 * `key = value` lines, as mlogd.conf does (key = the long flag name
 * without "--"; '#' at the start of a line or after a blank starts a
 * comment, since a key name may contain '#'; the repeatable key `log` may
 * appear several times). Flags given on the command line override the
 * file; repeated `log` flags are added to the file's.
 *
 * Settings and defaults:
 *   listen HOST:PORT        127.0.0.1:8081 (IPv4 address or "localhost")
 *   log VKEY                (repeatable, at least one) an Ed25519 (type
 *                           0x01) note vkey; its key name is the log's
 *                           origin. Several vkeys with one name = several
 *                           trusted keys for that log (key rotation).
 *   rate N                  20 add-checkpoint requests per second per
 *                           log (token bucket refill); 0 = unlimited
 *   burst N                 2 * rate (at least 1): the bucket's size
 *   threads N               4 HTTP worker threads
 *   max-connections N       1024
 *   timeout SECONDS         30 (idle connection timeout)
 *   batch-max N             256 requests committed per transaction
 *
 * Invariants: (1) after a successful witness_config_set every field
 * is within the range above; (2) `data` can only come from the command
 * line (it names the directory the file is read from).
 *
 * Thread-safety: built once in main, read-only afterwards.
 * Ownership: witness_config_init / witness_config_clear; strings are
 * owned by the struct.
 */
#ifndef WITNESS_CONFIG_H
#define WITNESS_CONFIG_H

#include <stddef.h>

#include "err.h"

#define WITNESS_CONFIG_FILE "mlog-witness.conf"
#define WITNESS_KEY_FILE "witness.key"
#define WITNESS_VKEY_FILE "witness.vkey"

struct witness_config {
	char *data_dir;
	char *listen_host;
	unsigned listen_port;
	char **logs;               /* vkey strings, in the order given */
	size_t nlogs;
	unsigned rate;             /* tokens per second per log, 0 = off */
	unsigned burst;            /* 0 = default (2 * rate) */
	unsigned threads;
	unsigned max_connections;
	unsigned timeout_s;
	unsigned batch_max;
};

void witness_config_init(struct witness_config *c);
void witness_config_clear(struct witness_config *c);

/*
 * Applies one setting (key without "--", value). Returns 0,
 * MLOG_ERR_MALFORMED (unknown key or bad value; err names which) or
 * MLOG_ERR_NOMEM.
 */
int witness_config_set(struct witness_config *c, const char *key,
	const char *value, struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Reads DIR/mlog-witness.conf if it exists (absent is fine). Errors name
 * the file and line. Returns 0, MLOG_ERR_MALFORMED or MLOG_ERR_IO.
 */
int witness_config_load(struct witness_config *c, const char *dir,
	struct mlog_error *err) MLOG_MUST_CHECK;

/* The bucket size in force: burst, or 2 * rate when burst is 0. */
unsigned witness_config_burst(const struct witness_config *c);

#endif
