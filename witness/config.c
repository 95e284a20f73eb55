/*
 * config.c — flags and DIR/mlog-witness.conf; see config.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	for (size_t i = 0; i < c->nlogs; i++)
		free(c->logs[i]);
	free(c->logs);
	memset(c, 0, sizeof(*c));
}

unsigned witness_config_burst(const struct witness_config *c)
{
	if (c->burst != 0)
		return c->burst;
	return c->rate > 0 ? 2 * c->rate : 1;
}

/* A decimal in [min, max], nothing else (no sign, no spaces). */
static int parse_uint(unsigned long *out, const char *s, unsigned long min,
	unsigned long max)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int set_string(char **field, const char *value)
{
	char *copy = strdup(value);

	if (copy == NULL)
		return MLOG_ERR_NOMEM;
	free(*field);
	*field = copy;
	return MLOG_OK;
}

static int push(char ***list, size_t *n, const char *value)
{
	char **grown = realloc(*list, (*n + 1) * sizeof(**list));

	if (grown == NULL)
		return MLOG_ERR_NOMEM;
	*list = grown;
	grown[*n] = strdup(value);
	if (grown[*n] == NULL)
		return MLOG_ERR_NOMEM;
	(*n)++;
	return MLOG_OK;
}

static int set_listen(struct witness_config *c, const char *value)
{
	const char *colon = strrchr(value, ':');
	unsigned long port;
	char *host;

	if (colon == NULL || colon == value ||
	    parse_uint(&port, colon + 1, 1, 65535) != 0)
		return MLOG_ERR_MALFORMED;
	host = strndup(value, (size_t)(colon - value));
	if (host == NULL)
		return MLOG_ERR_NOMEM;
	free(c->listen_host);
	c->listen_host = host;
	c->listen_port = (unsigned)port;
	return MLOG_OK;
}

/* Numeric settings: name, field, range. */
struct uint_setting {
	const char *key;
	size_t offset;
	unsigned long min, max;
	const char *unit;
};

static const struct uint_setting uint_settings[] = {
	{ "rate", offsetof(struct witness_config, rate), 0, 1000000,
		" requests per second (0 = unlimited)" },
	{ "burst", offsetof(struct witness_config, burst), 1, 1000000,
		" requests" },
	{ "threads", offsetof(struct witness_config, threads), 1, 256, "" },
	{ "max-connections", offsetof(struct witness_config,
		max_connections), 1, 100000, "" },
	{ "timeout", offsetof(struct witness_config, timeout_s), 1, 3600,
		" seconds" },
	{ "batch-max", offsetof(struct witness_config, batch_max), 1, 65536,
		" requests" },
};

int witness_config_set(struct witness_config *c, const char *key,
	const char *value, struct mlog_error *err)
{
	unsigned long v;
	int rc = MLOG_OK;

	if (strcmp(key, "data") == 0) {
		rc = set_string(&c->data_dir, value);
	} else if (strcmp(key, "listen") == 0) {
		rc = set_listen(c, value);
		if (rc == MLOG_ERR_MALFORMED)
			return mlog_error_set(err, rc,
				"listen %s: want HOST:PORT", value);
	} else if (strcmp(key, "log") == 0) {
		rc = push(&c->logs, &c->nlogs, value);
	} else {
		for (size_t i = 0; i < sizeof(uint_settings) /
			sizeof(uint_settings[0]); i++) {
			const struct uint_setting *u = &uint_settings[i];

			if (strcmp(key, u->key) != 0)
				continue;
			if (parse_uint(&v, value, u->min, u->max) != 0)
				return mlog_error_set(err, MLOG_ERR_MALFORMED,
					"%s %s: want %lu..%lu%s", key, value,
					u->min, u->max, u->unit);
			*(unsigned *)((char *)c + u->offset) = (unsigned)v;
			return MLOG_OK;
		}
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"unknown setting '%s'", key);
	}
	if (rc == MLOG_ERR_NOMEM)
		return mlog_error_set(err, rc, "out of memory");
	return rc;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
	       end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

int witness_config_load(struct witness_config *c, const char *dir,
	struct mlog_error *err)
{
	char path[4096], line[8192];
	FILE *f;
	int lineno = 0, rc = MLOG_OK;

	if (snprintf(path, sizeof(path), "%s/%s", dir, WITNESS_CONFIG_FILE)
		>= (int)sizeof(path))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"data directory path too long");
	f = fopen(path, "r");
	if (f == NULL) {
		if (errno == ENOENT)
			return MLOG_OK;
		return mlog_error_set(err, MLOG_ERR_IO, "%s: %s", path,
			strerror(errno));
	}
	while (rc == MLOG_OK && fgets(line, sizeof(line), f) != NULL) {
		char *hash, *eq, *key, *value;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			rc = mlog_error_set(err, MLOG_ERR_MALFORMED,
				"%s:%d: line too long", path, lineno);
			break;
		}
		/* '#' starts a comment at the start of a line or after a
		 * blank: a key name may itself contain '#'. */
		for (hash = line; *hash != '\0'; hash++) {
			if (*hash == '#' && (hash == line || hash[-1] == ' ' ||
			    hash[-1] == '\t')) {
				*hash = '\0';
				break;
			}
		}
		key = trim(line);
		if (*key == '\0')
			continue;
		eq = strchr(key, '=');
		if (eq == NULL) {
			rc = mlog_error_set(err, MLOG_ERR_MALFORMED,
				"%s:%d: want 'key = value'", path, lineno);
			break;
		}
		*eq = '\0';
		value = trim(eq + 1);
		key = trim(key);
		if (strcmp(key, "data") == 0) {
			rc = mlog_error_set(err, MLOG_ERR_MALFORMED,
				"%s:%d: 'data' cannot be set in the file it "
				"is read from", path, lineno);
			break;
		}
		rc = witness_config_set(c, key, value, err);
		if (rc != MLOG_OK)
			mlog_error_wrap(err, rc, "%s:%d", path, lineno);
	}
	fclose(f);
	return rc;
}
