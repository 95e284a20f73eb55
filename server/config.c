/*
 * config.c — flags and DIR/mlogd.conf; see config.h. The file's grammar
 * and the value parsers are merkle/conf.h's, shared with mlog-witness.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

void mlogd_config_init(struct mlogd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->listen_host = strdup("127.0.0.1");
	c->listen_port = 8080;
	c->batch_ms = 100;
	c->batch_idle_ms = 2;
	c->batch_max = 4096;
	c->queue_max = 65536;
	c->threads = 4;
	c->max_connections = 1024;
	c->timeout_s = 30;
	c->witness_interval_ms = 1000;
	c->witness_timeout_ms = 5000;
}

void mlogd_config_clear(struct mlogd_config *c)
{
	free(c->data_dir);
	free(c->listen_host);
	free(c->mirror_dir);
	mlog_conf_list_free(c->signers, c->nsigners);
	mlog_conf_list_free(c->witnesses, c->nwitnesses);
	memset(c, 0, sizeof(*c));
}

#define UINT_SETTING(key, field, min, max, unit) \
	{ key, offsetof(struct mlogd_config, field), \
	  sizeof(((struct mlogd_config *)0)->field), min, max, unit }

/* The numeric settings and their ranges (docs/mlogd.md). */
static const struct mlog_conf_uint uint_settings[] = {
	UINT_SETTING("batch-ms", batch_ms, 1, 60000, ""),
	UINT_SETTING("batch-idle-ms", batch_idle_ms, 0, 60000, ""),
	UINT_SETTING("batch-max", batch_max, 1, 1000000, ""),
	UINT_SETTING("queue-max", queue_max, 1, 10000000, ""),
	UINT_SETTING("threads", threads, 1, 256, ""),
	UINT_SETTING("max-connections", max_connections, 1, 100000, ""),
	UINT_SETTING("timeout", timeout_s, 1, 3600, " seconds"),
	UINT_SETTING("witness-quorum", witness_quorum, 1, 1000, ""),
	UINT_SETTING("witness-interval-ms", witness_interval_ms, 10, 3600000,
		""),
	UINT_SETTING("witness-timeout-ms", witness_timeout_ms, 10, 600000, ""),
};

int mlogd_config_set(struct mlogd_config *c, const char *key,
	const char *value, struct mlog_error *err)
{
	int rc;

	if (strcmp(key, "data") == 0) {
		rc = mlog_conf_string_set(&c->data_dir, value);
	} else if (strcmp(key, "listen") == 0) {
		rc = mlog_conf_parse_listen(&c->listen_host, &c->listen_port,
			value);
		if (rc == MLOG_ERR_MALFORMED)
			return mlog_error_set(err, rc,
				"listen %s: want HOST:PORT", value);
	} else if (strcmp(key, "mirror-dir") == 0) {
		rc = mlog_conf_string_set(&c->mirror_dir, value);
	} else if (strcmp(key, "signer") == 0) {
		rc = mlog_conf_list_add(&c->signers, &c->nsigners, value);
	} else if (strcmp(key, "witness") == 0) {
		rc = mlog_conf_list_add(&c->witnesses, &c->nwitnesses, value);
	} else {
		return mlog_conf_set_uint(c, uint_settings,
			sizeof(uint_settings) / sizeof(uint_settings[0]), key,
			value, err);
	}
	if (rc == MLOG_ERR_NOMEM)
		return mlog_error_set(err, rc, "out of memory");
	return rc;
}

static int set_from_file(void *ctx, const char *key, const char *value,
	struct mlog_error *err)
{
	return mlogd_config_set(ctx, key, value, err);
}

int mlogd_config_load(struct mlogd_config *c, const char *dir,
	struct mlog_error *err)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s/%s", dir, MLOGD_CONFIG_FILE)
		>= (int)sizeof(path))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"data directory path too long");
	return mlog_conf_load(path, set_from_file, c, err);
}
