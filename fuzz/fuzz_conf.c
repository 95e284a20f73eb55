/*
 * fuzz_conf.c — the daemons' settings-file parser (merkle/conf.c) and its
 * value parsers.
 *
 * Properties checked on every input:
 *  - the answer is 0, MALFORMED or TOOBIG with a one-line message on
 *    failure;
 *  - every setting handed to the setter has a non-empty key without '=',
 *    neither key nor value has a line break or an untrimmed end, and the
 *    key is never "data" (conf.h rules 3-4);
 *  - an accepted file round-trips: its settings written back as
 *    "key=value" lines parse to the same settings, in order;
 *  - the value parsers answer 0 or MALFORMED and honour their ranges.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#define SEEN_MAX 64

struct seen {
	char *keys[SEEN_MAX];
	char *values[SEEN_MAX];
	size_t n;
	size_t total;
	int compare;   /* second pass: check against the first */
	size_t at;
};

static int trimmed(const char *s)
{
	size_t n = strlen(s);

	return n == 0 || (s[0] != ' ' && s[0] != '\t' && s[0] != '\r' &&
		s[n - 1] != ' ' && s[n - 1] != '\t' && s[n - 1] != '\r');
}

static void check_values(const char *value)
{
	unsigned long v = 0;
	unsigned port = 0;
	char *host = NULL;
	int rc;

	rc = mlog_conf_parse_uint(&v, value, 3, 70000);
	if (rc != MLOG_OK && rc != MLOG_ERR_MALFORMED)
		abort();
	if (rc == MLOG_OK && (v < 3 || v > 70000))
		abort();
	rc = mlog_conf_parse_listen(&host, &port, value);
	if (rc == MLOG_OK && (host == NULL || host[0] == '\0' || port == 0 ||
	    port > 65535))
		abort();
	if (rc != MLOG_OK && rc != MLOG_ERR_MALFORMED && rc != MLOG_ERR_NOMEM)
		abort();
	free(host);
}

static int collect(void *ctx, const char *key, const char *value,
	struct mlog_error *err)
{
	struct seen *s = ctx;

	(void)err;
	if (key[0] == '\0' || strchr(key, '=') != NULL ||
	    strcmp(key, "data") == 0 || strchr(key, '\n') != NULL ||
	    strchr(value, '\n') != NULL || !trimmed(key) || !trimmed(value))
		abort();
	if (s->compare) {
		if (s->at >= s->n || strcmp(s->keys[s->at], key) != 0 ||
		    strcmp(s->values[s->at], value) != 0)
			abort();
		s->at++;
		return MLOG_OK;
	}
	s->total++;
	if (s->n < SEEN_MAX) {
		s->keys[s->n] = strdup(key);
		s->values[s->n] = strdup(value);
		if (s->keys[s->n] == NULL || s->values[s->n] == NULL)
			abort();
		s->n++;
	}
	check_values(value);
	return MLOG_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s;
	struct mlog_error err = { 0, "" };
	int rc;

	memset(&s, 0, sizeof(s));
	rc = mlog_conf_parse((const char *)data, size, "fuzz.conf", collect,
		&s, &err);
	if (rc != MLOG_OK) {
		if (rc != MLOG_ERR_MALFORMED && rc != MLOG_ERR_TOOBIG)
			abort();
		if (err.msg[0] == '\0' || strchr(err.msg, '\n') != NULL)
			abort();
	} else if (s.total == s.n) {
		/* Round trip of the whole accepted file. */
		size_t len = 0, at = 0;
		char *text;

		for (size_t i = 0; i < s.n; i++)
			len += strlen(s.keys[i]) + strlen(s.values[i]) + 2;
		text = malloc(len + 1);
		if (text == NULL)
			abort();
		for (size_t i = 0; i < s.n; i++) {
			size_t k = strlen(s.keys[i]), v = strlen(s.values[i]);

			memcpy(text + at, s.keys[i], k);
			text[at + k] = '=';
			memcpy(text + at + k + 1, s.values[i], v);
			text[at + k + 1 + v] = '\n';
			at += k + v + 2;
		}
		s.compare = 1;
		if (mlog_conf_parse(text, len, "again.conf", collect, &s,
			&err) != MLOG_OK || s.at != s.n)
			abort();
		free(text);
	}
	for (size_t i = 0; i < s.n; i++) {
		free(s.keys[i]);
		free(s.values[i]);
	}
	return 0;
}
