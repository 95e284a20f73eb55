/*
 * config.c — flags and DIR/mlog-witness.conf; see config.h. The file's
 * grammar and the value parsers are merkle/conf.h's, shared with mlogd.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

void witness_config_init(struct witness_config *c)
{
	memset(c, 0, sizeof(*c));
	c->listen_host = strdup("127.0.0.1");
	c->listen_port = 8081;
	c->rate = 20;
	c->burst = 0;
	c->threads = 4;
	c->max_connections = 1024;
	c->timeout_s = 30;
	c->batch_max = 256;
}

void witness_config_clear(struct witness_config *c)
{
	free(c->data_dir);
	free(c->listen_host);
	mlog_conf_list_free(c->logs, c->nlogs);
	memset(c, 0, sizeof(*c));
}

unsigned witness_config_burst(const struct witness_config *c)
{
	if (c->burst != 0)
		return c->burst;
	return c->rate > 0 ? 2 * c->rate : 1;
}

#define UINT_SETTING(key, field, min, max, unit) \
	{ key, offsetof(struct witness_config, field), \
	  sizeof(((struct witness_config *)0)->field), min, max, unit }

/* The numeric settings and their ranges (docs/witness.md). */
static const struct mlog_conf_uint uint_settings[] = {
	UINT_SETTING("rate", rate, 0, 1000000,
		" requests per second (0 = unlimited)"),
	UINT_SETTING("burst", burst, 1, 1000000, " requests"),
	UINT_SETTING("threads", threads, 1, 256, ""),
	UINT_SETTING("max-connections", max_connections, 1, 100000, ""),
	UINT_SETTING("timeout", timeout_s, 1, 3600, " seconds"),
	UINT_SETTING("batch-max", batch_max, 1, 65536, " requests"),
};

int witness_config_set(struct witness_config *c, const char *key,
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
	} else if (strcmp(key, "log") == 0) {
		rc = mlog_conf_list_add(&c->logs, &c->nlogs, value);
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
	return witness_config_set(ctx, key, value, err);
}

int witness_config_load(struct witness_config *c, const char *dir,
	struct mlog_error *err)
{
	char path[4096];

	if (snprintf(path, sizeof(path), "%s/%s", dir, WITNESS_CONFIG_FILE)
		>= (int)sizeof(path))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"data directory path too long");
	return mlog_conf_load(path, set_from_file, c, err);
}
