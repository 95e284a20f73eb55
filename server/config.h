/*
 * config.h — mlogd's settings: command-line flags and the config file
 * DIR/mlogd.conf, which holds the same settings as `key = value` lines
 * (key = the long flag name without "--"; '#' starts a comment; repeatable
 * keys such as `signer` may appear several times). Flags given on the
 * command line override the file (repeatable ones are added to it).
 *
 * Defaults: listen 127.0.0.1:8080, batch-ms 100, batch-idle-ms 2,
 * batch-max 4096,
 * queue-max 65536, threads 4, max-connections 1024, timeout 30 s,
 * witness-quorum = number of witnesses, witness-interval-ms 1000,
 * witness-timeout-ms 5000.
 *
 * Thread-safety: built once in main, read-only afterwards.
 * Ownership: mlogd_config_init/mlogd_config_clear.
 */
#ifndef MLOGD_CONFIG_H
#define MLOGD_CONFIG_H

#include <stddef.h>

#include "err.h"

#define MLOGD_CONFIG_FILE "mlogd.conf"
#define MLOGD_KEY_FILE "log.key"
#define MLOGD_VKEY_FILE "log.vkey"

struct mlogd_config {
	char *data_dir;
	char *listen_host;
	unsigned listen_port;
	unsigned batch_ms;
	unsigned batch_idle_ms;
	size_t batch_max;
	size_t queue_max;
	unsigned threads;
	unsigned max_connections;
	unsigned timeout_s;
	char *mirror_dir;          /* NULL: no mirror */
	char **signers;            /* NAME=ROLE[,ROLE...]:PUBKEY.pem */
	size_t nsigners;
	char **witnesses;          /* VKEY@URL (witnessing.h) */
	size_t nwitnesses;
	unsigned witness_quorum;   /* 0: all witnesses */
	unsigned witness_interval_ms;
	unsigned witness_timeout_ms;
};

void mlogd_config_init(struct mlogd_config *c);
void mlogd_config_clear(struct mlogd_config *c);

/*
 * Applies one setting (key without "--", value). Returns 0,
 * MLOG_ERR_MALFORMED (unknown key or bad value), MLOG_ERR_NOMEM.
 */
int mlogd_config_set(struct mlogd_config *c, const char *key,
	const char *value, struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Reads DIR/mlogd.conf if it exists (absent is fine). Errors name the
 * file and line. Returns 0, MLOG_ERR_MALFORMED, MLOG_ERR_IO.
 */
int mlogd_config_load(struct mlogd_config *c, const char *dir,
	struct mlog_error *err) MLOG_MUST_CHECK;

#endif
