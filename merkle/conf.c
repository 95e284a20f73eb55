/*
 * conf.c — settings files and shared value grammars; see conf.h for the
 * grammar and its numbered rules.
 */
#include "conf.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Space, tab and CR: what trimming removes and what may precede the
 * '#' of a comment. */
static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Trims spaces, tabs and carriage returns at both ends, in place. */
static char *trim(char *s)
{
	char *end;

	while (is_blank(*s))
		s++;
	end = s + strlen(s);
	while (end > s && is_blank(end[-1]))
		*--end = '\0';
	return s;
}

/* Cuts the comment: from a '#' first on the line or after a blank. */
static void cut_comment(char *line)
{
	for (char *p = line; *p != '\0'; p++) {
		if (*p == '#' && (p == line || is_blank(p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

/* One line, NUL-terminated and without its end of line (rules 3-5). */
static int apply_line(char *line, const char *name, unsigned lineno,
	mlog_conf_setter set, void *ctx, struct mlog_error *err)
{
	char *eq, *key, *value;
	int rc;

	cut_comment(line);
	key = trim(line);
	if (*key == '\0')
		return MLOG_OK;
	eq = strchr(key, '=');
	if (eq == NULL)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"%s:%u: want 'key = value'", name, lineno);
	*eq = '\0';
	key = trim(key);
	value = trim(eq + 1);
	if (*key == '\0')
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"%s:%u: no key before '='", name, lineno);
	if (strcmp(key, "data") == 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"%s:%u: 'data' cannot be set in the file it is read "
			"from", name, lineno);
	rc = set(ctx, key, value, err);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "%s:%u", name, lineno);
	return MLOG_OK;
}

int mlog_conf_parse(const char *text, size_t len, const char *name,
	mlog_conf_setter set, void *ctx, struct mlog_error *err)
{
	char *line;
	size_t at = 0;
	unsigned lineno = 0;
	int rc = MLOG_OK;

	if (len > MLOG_CONF_FILE_MAX)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"%s: over %d bytes", name, MLOG_CONF_FILE_MAX);
	if (len > 0 && memchr(text, '\0', len) != NULL)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"%s: a NUL byte: not a text file", name);
	line = malloc(MLOG_CONF_LINE_MAX + 1);
	if (line == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	while (rc == MLOG_OK && at < len) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t end = nl != NULL ? (size_t)(nl - text) : len;
		size_t n = end - at;

		lineno++;
		if (n > 0 && text[end - 1] == '\r')
			n--;
		if (n > MLOG_CONF_LINE_MAX) {
			rc = mlog_error_set(err, MLOG_ERR_MALFORMED,
				"%s:%u: line over %d bytes", name, lineno,
				MLOG_CONF_LINE_MAX);
			break;
		}
		memcpy(line, text + at, n);
		line[n] = '\0';
		rc = apply_line(line, name, lineno, set, ctx, err);
		at = end + 1;
	}
	free(line);
	return rc;
}

int mlog_conf_load(const char *path, mlog_conf_setter set, void *ctx,
	struct mlog_error *err)
{
	FILE *f = fopen(path, "rb");
	char *text;
	size_t len;
	int rc;

	if (f == NULL) {
		if (errno == ENOENT)
			return MLOG_OK;
		return mlog_error_set(err, MLOG_ERR_IO, "%s: %s", path,
			strerror(errno));
	}
	/* One byte over the cap tells an over-long file from a full one. */
	text = malloc(MLOG_CONF_FILE_MAX + 1);
	if (text == NULL) {
		fclose(f);
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	}
	len = fread(text, 1, MLOG_CONF_FILE_MAX + 1, f);
	if (ferror(f))
		rc = mlog_error_set(err, MLOG_ERR_IO, "%s: %s", path,
			strerror(errno));
	else
		rc = mlog_conf_parse(text, len, path, set, ctx, err);
	free(text);
	fclose(f);
	return rc;
}

int mlog_conf_parse_uint(unsigned long *out, const char *s,
	unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return MLOG_ERR_MALFORMED;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return MLOG_ERR_MALFORMED;
	*out = v;
	return MLOG_OK;
}

int mlog_conf_set_uint(void *base, const struct mlog_conf_uint *table,
	size_t n, const char *key, const char *value, struct mlog_error *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct mlog_conf_uint *u = &table[i];
		char *field = (char *)base + u->offset;
		unsigned long v;

		if (strcmp(key, u->key) != 0)
			continue;
		if (mlog_conf_parse_uint(&v, value, u->min, u->max) != MLOG_OK)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"%s %s: want %lu..%lu%s", key, value, u->min,
				u->max, u->unit);
		if (u->size == sizeof(size_t)) {
			size_t z = v;

			memcpy(field, &z, sizeof(z));
		} else {
			unsigned w = (unsigned)v;

			assert(u->size == sizeof(unsigned) && v <= UINT_MAX);
			memcpy(field, &w, sizeof(w));
		}
		return MLOG_OK;
	}
	return mlog_error_set(err, MLOG_ERR_MALFORMED, "unknown setting '%s'",
		key);
}

int mlog_conf_parse_listen(char **host, unsigned *port, const char *s)
{
	const char *colon = strrchr(s, ':');
	unsigned long p;
	char *h;

	if (colon == NULL || colon == s ||
	    mlog_conf_parse_uint(&p, colon + 1, 1, 65535) != MLOG_OK)
		return MLOG_ERR_MALFORMED;
	h = strndup(s, (size_t)(colon - s));
	if (h == NULL)
		return MLOG_ERR_NOMEM;
	free(*host);
	*host = h;
	*port = (unsigned)p;
	return MLOG_OK;
}

int mlog_conf_string_set(char **field, const char *value)
{
	char *copy = strdup(value);

	if (copy == NULL)
		return MLOG_ERR_NOMEM;
	free(*field);
	*field = copy;
	return MLOG_OK;
}

int mlog_conf_list_add(char ***list, size_t *n, const char *value)
{
	char *copy = strdup(value);
	char **grown;

	if (copy == NULL)
		return MLOG_ERR_NOMEM;
	grown = realloc(*list, (*n + 1) * sizeof(**list));
	if (grown == NULL) {
		free(copy);
		return MLOG_ERR_NOMEM;
	}
	*list = grown;
	grown[(*n)++] = copy;
	return MLOG_OK;
}

void mlog_conf_list_free(char **list, size_t n)
{
	for (size_t i = 0; list != NULL && i < n; i++)
		free(list[i]);
	free(list);
}
