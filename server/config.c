/*
 * config.c — flags and DIR/mlogd.conf; see config.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void free_list(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void mlogd_config_clear(struct mlogd_config *c)
{
	free(c->data_dir);
	free(c->listen_host);
	free(c->mirror_dir);
	free_list(c->signers, c->nsigners);
	free_list(c->witnesses, c->nwitnesses);
	memset(c, 0, sizeof(*c));
}

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

static int set_listen(struct mlogd_config *c, const char *value)
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

int mlogd_config_set(struct mlogd_config *c, const char *key,
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
	} else if (strcmp(key, "mirror-dir") == 0) {
		rc = set_string(&c->mirror_dir, value);
	} else if (strcmp(key, "signer") == 0) {
		rc = push(&c->signers, &c->nsigners, value);
	} else if (strcmp(key, "witness") == 0) {
		rc = push(&c->witnesses, &c->nwitnesses, value);
	} else if (strcmp(key, "witness-quorum") == 0) {
		if (parse_uint(&v, value, 1, 1000) != 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"witness-quorum %s: want 1..1000", value);
		c->witness_quorum = (unsigned)v;
	} else if (strcmp(key, "witness-interval-ms") == 0) {
		if (parse_uint(&v, value, 10, 3600000) != 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"witness-interval-ms %s: want 10..3600000",
				value);
		c->witness_interval_ms = (unsigned)v;
	} else if (strcmp(key, "witness-timeout-ms") == 0) {
		if (parse_uint(&v, value, 10, 600000) != 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"witness-timeout-ms %s: want 10..600000",
				value);
		c->witness_timeout_ms = (unsigned)v;
	} else if (strcmp(key, "batch-ms") == 0) {
		if (parse_uint(&v, value, 1, 60000) != 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"batch-ms %s: want 1..60000", value);
		c->batch_ms = (unsigned)v;
	} else if (strcmp(key, "batch-idle-ms") == 0) {
		if (parse_uint(&v, value, 0, 60000) != 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"batch-idle-ms %s: want 0..60000", value);
		c->batch_idle_ms = (unsigned)v;
	} else if (strcmp(key, "batch-max") == 0) {
		if (parse_uint(&v, value, 1, 1000000) != 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"batch-max %s: want 1..1000000", value);
		c->batch_max = v;
	} else if (strcmp(key, "queue-max") == 0) {
		if (parse_uint(&v, value, 1, 10000000) != 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"queue-max %s: want 1..10000000", value);
		c->queue_max = v;
	} else if (strcmp(key, "threads") == 0) {
		if (parse_uint(&v, value, 1, 256) != 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"threads %s: want 1..256", value);
		c->threads = (unsigned)v;
	} else if (strcmp(key, "max-connections") == 0) {
		if (parse_uint(&v, value, 1, 100000) != 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"max-connections %s: want 1..100000", value);
		c->max_connections = (unsigned)v;
	} else if (strcmp(key, "timeout") == 0) {
		if (parse_uint(&v, value, 1, 3600) != 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"timeout %s: want 1..3600 seconds", value);
		c->timeout_s = (unsigned)v;
	} else {
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

int mlogd_config_load(struct mlogd_config *c, const char *dir,
	struct mlog_error *err)
{
	char path[4096], line[8192];
	FILE *f;
	int lineno = 0, rc = MLOG_OK;

	if (snprintf(path, sizeof(path), "%s/%s", dir, MLOGD_CONFIG_FILE)
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
		hash = strchr(line, '#');
		if (hash != NULL)
			*hash = '\0';
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
		rc = mlogd_config_set(c, key, value, err);
		if (rc != MLOG_OK)
			mlog_error_wrap(err, rc, "%s:%d", path, lineno);
	}
	fclose(f);
	return rc;
}
