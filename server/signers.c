/*
 * signers.c — configured DSSE signers; see signers.h.
 */
#include "signers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "statement.h"

struct mlogd_signers *mlogd_signers_new(void)
{
	return calloc(1, sizeof(struct mlogd_signers));
}

void mlogd_signers_free(struct mlogd_signers *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		mlog_dsse_key_free(s->list[i].key);
	free(s);
}

static int name_valid(const char *name, size_t len)
{
	if (len == 0 || len > MLOGD_SIGNER_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

static int read_key_file(const char *path, char *buf, size_t cap,
	size_t *len, struct mlog_error *err)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return mlog_error_set(err, MLOG_ERR_IO, "%s: %s", path,
			strerror(errno));
	n = fread(buf, 1, cap, f);
	if (ferror(f)) {
		fclose(f);
		return mlog_error_set(err, MLOG_ERR_IO, "%s: read error",
			path);
	}
	fclose(f);
	if (n == cap)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"%s: larger than %zu bytes", path, cap - 1);
	*len = n;
	return MLOG_OK;
}

int mlogd_signers_add(struct mlogd_signers *s, const char *spec,
	struct mlog_error *err)
{
	const char *eq = strchr(spec, '='), *colon;
	struct mlogd_signer sg;
	char pem[MLOG_DSSE_PEM_MAX + 1];
	size_t pem_len = 0;
	int rc;

	memset(&sg, 0, sizeof(sg));
	if (s->n >= MLOGD_SIGNERS_MAX)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"at most %d signers", MLOGD_SIGNERS_MAX);
	colon = eq != NULL ? strchr(eq, ':') : NULL;
	if (eq == NULL || colon == NULL || colon[1] == '\0')
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"signer %s: want NAME=ROLE[,ROLE...]:PUBKEY.pem", spec);
	if (!name_valid(spec, (size_t)(eq - spec)))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"signer %s: name must be 1-64 of [A-Za-z0-9._-]", spec);
	memcpy(sg.name, spec, (size_t)(eq - spec));
	for (const char *r = eq + 1; r < colon;) {
		const char *end = memchr(r, ',', (size_t)(colon - r));
		unsigned bit;

		if (end == NULL)
			end = colon;
		if (mlog_statement_role_parse(&bit, r, (size_t)(end - r))
			!= MLOG_OK)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"signer %s: unknown role '%.*s' (want build, "
				"sbom or approval)", sg.name, (int)(end - r),
				r);
		sg.roles |= bit;
		r = end < colon ? end + 1 : colon;
	}
	if (sg.roles == 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"signer %s: no role", sg.name);
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->list[i].name, sg.name) == 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"signer %s configured twice", sg.name);
	}
	rc = read_key_file(colon + 1, pem, sizeof(pem), &pem_len, err);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "signer %s", sg.name);
	rc = mlog_dsse_key_parse_public(&sg.key, pem, pem_len, err);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "signer %s: %s", sg.name,
			colon + 1);
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(mlog_dsse_key_id(s->list[i].key),
			mlog_dsse_key_id(sg.key)) == 0) {
			mlog_dsse_key_free(sg.key);
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"signer %s: same key as signer %s", sg.name,
				s->list[i].name);
		}
	}
	s->list[s->n] = sg;
	s->keys[s->n] = sg.key;
	s->n++;
	return MLOG_OK;
}
