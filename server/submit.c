/*
 * submit.c — validate, verify and canonicalise one submission; see
 * submit.h for the table of answers.
 */
#include "submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dsse.h"
#include "metrics.h"
#include "statement.h"

static int refuse(struct mlogd_verdict *v, int status, int reason,
	const char *msg, int rc)
{
	v->status = status;
	v->reason = reason;
	snprintf(v->message, sizeof(v->message), "%s", msg);
	return rc;
}

/* Is the payload's predicateType one we do not know (for the rejection
 * metric; the answer is 400 either way)? */
static int unknown_predicate(const struct mlog_dsse_envelope *env)
{
	json_t *j = json_loadb((const char *)env->payload, env->payload_len,
		0, NULL);
	const char *type = json_string_value(json_object_get(j,
		"predicateType"));
	int known = 0;

	for (int t = 1; type != NULL && mlog_statement_type_uri(t) != NULL;
	     t++)
		known |= strcmp(type, mlog_statement_type_uri(t)) == 0;
	json_decref(j);
	return type != NULL && !known;
}

static int fill_keys(struct mlogd_ticket *t, const struct mlog_statement *st)
{
	t->keys = calloc(st->nkeys + 1, sizeof(*t->keys));
	if (t->keys == NULL)
		return MLOG_ERR_NOMEM;
	for (size_t i = 0; i < st->nkeys; i++) {
		t->keys[i].kind = st->keys[i].kind;
		t->keys[i].key = strdup(st->keys[i].value);
		if (t->keys[i].key == NULL)
			return MLOG_ERR_NOMEM;
		t->nkeys++;
	}
	return MLOG_OK;
}

int mlogd_submit_judge(struct mlogd_ticket *t, struct mlogd_verdict *v,
	const char *body, size_t len, const struct mlogd_signers *signers,
	struct mlog_hash *h)
{
	struct mlog_error err = { 0, "" };
	struct mlog_dsse_envelope *env = NULL;
	struct mlog_statement *st = NULL;
	struct mlog_dsse_check checks[MLOGD_SIGNERS_MAX];
	char *canon = NULL;
	size_t canon_len = 0;
	int rc;

	memset(v, 0, sizeof(*v));
	if (len == 0)
		return refuse(v, 400, MLOGD_REJECT_EMPTY_BODY,
			"empty body: want a DSSE envelope", MLOG_ERR_MALFORMED);
	/* Shape first (SPEC §2): envelope, then statement. */
	rc = mlog_dsse_parse(&env, body, len, &err);
	if (rc == MLOG_ERR_NOMEM)
		return refuse(v, 503, MLOGD_REJECT_BAD_REQUEST, "out of memory",
			rc);
	if (rc != MLOG_OK)
		return refuse(v, rc == MLOG_ERR_TOOBIG ? 413 : 400,
			rc == MLOG_ERR_TOOBIG ? MLOGD_REJECT_TOO_LARGE
					      : MLOGD_REJECT_MALFORMED_ENVELOPE,
			err.msg, rc);
	rc = mlog_statement_parse_envelope(&st, env, &err);
	if (rc != MLOG_OK) {
		refuse(v, rc == MLOG_ERR_NOMEM ? 503 : 400,
			unknown_predicate(env)
				? MLOGD_REJECT_UNKNOWN_PREDICATE
				: MLOGD_REJECT_BAD_STATEMENT, err.msg, rc);
		goto out;
	}
	/* Then signatures: at least one from a signer allowed this role. */
	rc = mlog_dsse_verify(env, signers->keys, signers->n, checks, &err);
	if (rc == MLOG_ERR_NOMEM || rc == MLOG_ERR_INTERNAL) {
		refuse(v, 503, MLOGD_REJECT_BAD_REQUEST, err.msg, rc);
		goto out;
	}
	t->signers = calloc(signers->n + 1, sizeof(*t->signers));
	if (t->signers == NULL) {
		rc = refuse(v, 503, MLOGD_REJECT_BAD_REQUEST, "out of memory",
			MLOG_ERR_NOMEM);
		goto out;
	}
	for (size_t i = 0; rc == MLOG_OK && i < signers->n; i++) {
		if (!checks[i].verified ||
		    !(signers->list[i].roles & st->role))
			continue;
		t->signers[t->nsigners] = strdup(signers->list[i].name);
		if (t->signers[t->nsigners] == NULL) {
			rc = refuse(v, 503, MLOGD_REJECT_BAD_REQUEST,
				"out of memory", MLOG_ERR_NOMEM);
			goto out;
		}
		t->nsigners++;
	}
	if (t->nsigners == 0) {
		char msg[MLOG_ERROR_MSG_MAX];

		snprintf(msg, sizeof(msg), "no valid signature from a signer "
			"allowed the %s role (%s)",
			mlog_statement_role_name(st->role),
			mlog_statement_type_uri(st->type));
		rc = refuse(v, 403, MLOGD_REJECT_NO_VALID_SIGNATURE, msg,
			MLOG_ERR_VERIFY);
		goto out;
	}
	rc = mlog_dsse_format(&canon, &canon_len, env, &err);
	if (rc == MLOG_OK)
		rc = fill_keys(t, st);
	if (rc != MLOG_OK) {
		refuse(v, rc == MLOG_ERR_TOOBIG ? 413 : 503,
			rc == MLOG_ERR_TOOBIG ? MLOGD_REJECT_TOO_LARGE
					      : MLOGD_REJECT_BAD_REQUEST,
			rc == MLOG_ERR_TOOBIG
				? "canonical envelope over 65,535 bytes"
				: "out of memory", rc);
		goto out;
	}
	t->data = (uint8_t *)canon;
	t->len = canon_len;
	canon = NULL;
	mlog_hash_leaf(h, t->leaf_hash, t->data, t->len);
out:
	if (rc != MLOG_OK) {
		for (size_t i = 0; i < t->nsigners; i++)
			free(t->signers[i]);
		free(t->signers);
		for (size_t i = 0; i < t->nkeys; i++)
			free(t->keys[i].key);
		free(t->keys);
		t->signers = NULL;
		t->keys = NULL;
		t->nsigners = t->nkeys = 0;
	}
	free(canon);
	mlog_statement_free(st);
	mlog_dsse_free(env);
	return rc;
}
