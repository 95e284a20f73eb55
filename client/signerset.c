/*
 * signerset.c — expected DSSE signers and the role check; see
 * signerset.h.
 */
#include "signerset.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "statement.h"

static int name_valid(const char *s, size_t len)
{
	if (len == 0 || len > CLI_SIGNERSET_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '@' || c == '-'))
			return 0;
	}
	return 1;
}

/* Reads a whole small file; returns 0, MLOG_ERR_IO or MLOG_ERR_TOOBIG. */
static int slurp(char **out, size_t *len, const char *path, size_t max,
	struct mlog_error *err)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL)
		return mlog_error_set(err, MLOG_ERR_IO, "%s: %s", path,
			strerror(errno));
	buf = malloc(max + 1);
	if (buf == NULL) {
		fclose(f);
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return mlog_error_set(err, MLOG_ERR_IO, "%s: read error",
			path);
	}
	fclose(f);
	if (n > max) {
		free(buf);
		return mlog_error_set(err, MLOG_ERR_TOOBIG, "%s: more than "
			"%zu bytes", path, max);
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return MLOG_OK;
}

void cli_signerset_clear(struct cli_signerset *set)
{
	for (size_t i = 0; i < set->n; i++)
		mlog_dsse_key_free(set->signers[i].key);
	free(set->signers);
	memset(set, 0, sizeof(*set));
}

static int parse_roles(unsigned *out, const char *s)
{
	unsigned roles = 0;

	while (*s != '\0') {
		size_t n = strcspn(s, ",");
		unsigned bit;

		if (mlog_statement_role_parse(&bit, s, n) != MLOG_OK ||
		    (roles & bit) != 0)
			return -1;
		roles |= bit;
		s += n;
		if (*s == ',') {
			s++;
			if (*s == '\0')
				return -1;
		}
	}
	*out = roles;
	return roles != 0 ? 0 : -1;
}

/* One line's three items into s (key loaded). */
static int parse_line(struct cli_signer *s, char *line, int lineno,
	const char *dir, const struct cli_signerset *so_far,
	struct mlog_error *err)
{
	char *items[4], *save = NULL, *path = NULL, *pem = NULL;
	size_t n = 0, pem_len = 0;
	int rc;

	for (char *t = strtok_r(line, " \t", &save); t != NULL;
	     t = strtok_r(NULL, " \t", &save)) {
		if (n == 4)
			break;
		items[n++] = t;
	}
	if (n != 3)
		return mlog_error_set(err, MLOG_ERR_MALFORMED, "line %d: want "
			"NAME ROLE[,ROLE] PUBKEY.pem", lineno);
	if (!name_valid(items[0], strlen(items[0])))
		return mlog_error_set(err, MLOG_ERR_MALFORMED, "line %d: "
			"signer name '%s': want 1..64 of [A-Za-z0-9._@-]",
			lineno, items[0]);
	for (size_t i = 0; i < so_far->n; i++) {
		if (strcmp(so_far->signers[i].name, items[0]) == 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"line %d: signer %s named twice", lineno,
				items[0]);
	}
	memset(s, 0, sizeof(*s));
	memcpy(s->name, items[0], strlen(items[0]) + 1);
	if (parse_roles(&s->roles, items[1]) != 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED, "line %d: "
			"roles '%s': want build, sbom, approval, "
			"comma-separated, none twice", lineno, items[1]);
	if (items[2][0] == '/' || dir == NULL)
		path = strdup(items[2]);
	else if (asprintf(&path, "%s/%s", dir, items[2]) < 0)
		path = NULL;
	if (path == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	rc = slurp(&pem, &pem_len, path, MLOG_DSSE_PEM_MAX, err);
	if (rc == MLOG_OK) {
		rc = mlog_dsse_key_parse_public(&s->key, pem, pem_len, err);
		free(pem);
	}
	if (rc != MLOG_OK)
		mlog_error_wrap(err, rc, "line %d: %s", lineno, path);
	free(path);
	return rc;
}

int cli_signerset_parse(struct cli_signerset *out, const char *text,
	size_t len, const char *dir, struct mlog_error *err)
{
	struct cli_signerset set = { NULL, 0 };
	char *copy;
	int lineno = 0, rc = MLOG_OK;

	if (len > CLI_SIGNERSET_MAX_BYTES)
		return mlog_error_set(err, MLOG_ERR_TOOBIG, "signers file: "
			"more than %u bytes", CLI_SIGNERSET_MAX_BYTES);
	if (memchr(text, '\0', len) != NULL)
		return mlog_error_set(err, MLOG_ERR_MALFORMED, "signers file: "
			"NUL byte");
	copy = strndup(text, len);
	set.signers = calloc(CLI_SIGNERSET_MAX, sizeof(*set.signers));
	if (copy == NULL || set.signers == NULL) {
		free(copy);
		free(set.signers);
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	}
	for (char *line = copy, *next; line != NULL && rc == MLOG_OK;
	     line = next) {
		char *p;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		p = line + strspn(line, " \t\r");
		line[strcspn(line, "\r")] = '\0';
		if (*p == '\0' || *p == '#')
			continue;
		if (set.n == CLI_SIGNERSET_MAX) {
			rc = mlog_error_set(err, MLOG_ERR_TOOBIG, "line %d: "
				"more than %d signers", lineno,
				CLI_SIGNERSET_MAX);
			break;
		}
		rc = parse_line(&set.signers[set.n], p, lineno, dir, &set,
			err);
		if (rc == MLOG_OK)
			set.n++;
	}
	free(copy);
	if (rc == MLOG_OK && set.n == 0)
		rc = mlog_error_set(err, MLOG_ERR_MALFORMED, "signers file "
			"names no signer");
	if (rc != MLOG_OK) {
		cli_signerset_clear(&set);
		return rc;
	}
	*out = set;
	return MLOG_OK;
}

int cli_signerset_load(struct cli_signerset *out, const char *path,
	struct mlog_error *err)
{
	char *text = NULL, *dir, *slash;
	size_t len = 0;
	int rc = slurp(&text, &len, path, CLI_SIGNERSET_MAX_BYTES, err);

	if (rc != MLOG_OK)
		return rc;
	dir = strdup(path);
	if (dir == NULL) {
		free(text);
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	}
	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	rc = cli_signerset_parse(out, text, len, dir, err);
	if (rc != MLOG_OK)
		mlog_error_wrap(err, rc, "%s", path);
	free(dir);
	free(text);
	return rc;
}

/* Appends name to the comma-separated list out. */
static void append_name(char *out, size_t cap, const char *name)
{
	size_t used;

	if (out == NULL || cap == 0)
		return;
	used = strlen(out);
	snprintf(out + used, cap - used, "%s%s", used > 0 ? "," : "", name);
}

int cli_signerset_check(const struct cli_signerset *set,
	const uint8_t *entry, size_t len, unsigned role, char *names,
	size_t cap, struct mlog_error *err)
{
	const struct mlog_dsse_key **keys;
	struct mlog_dsse_check *checks;
	struct mlog_dsse_envelope *env = NULL;
	char wrong[256] = "";
	int rc, ok = 0;

	if (names != NULL && cap > 0)
		names[0] = '\0';
	rc = mlog_dsse_parse(&env, (const char *)entry, len, err);
	if (rc != MLOG_OK)
		return rc;
	keys = calloc(set->n + 1, sizeof(*keys));
	checks = calloc(set->n + 1, sizeof(*checks));
	if (keys == NULL || checks == NULL) {
		free(keys);
		free(checks);
		mlog_dsse_free(env);
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < set->n; i++)
		keys[i] = set->signers[i].key;
	rc = mlog_dsse_verify(env, keys, set->n, checks, err);
	if (rc == MLOG_OK || rc == MLOG_ERR_VERIFY) {
		for (size_t i = 0; i < set->n; i++) {
			if (!checks[i].verified)
				continue;
			if ((set->signers[i].roles & role) != 0) {
				ok = 1;
				append_name(names, cap, set->signers[i].name);
			} else {
				append_name(wrong, sizeof(wrong),
					set->signers[i].name);
			}
		}
		if (ok)
			rc = MLOG_OK;
		else if (wrong[0] != '\0')
			rc = mlog_error_set(err, MLOG_ERR_VERIFY, "signed by "
				"%s, not allowed role %s", wrong,
				mlog_statement_role_name(role));
		else
			rc = mlog_error_set(err, MLOG_ERR_VERIFY, "no "
				"signature verifies under the signers file");
	}
	free(keys);
	free(checks);
	mlog_dsse_free(env);
	return rc;
}
