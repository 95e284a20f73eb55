/*
 * add.c — add-checkpoint: judge, decide, apply; see add.h.
 */
#include "add.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

void witness_add_init(struct witness_add *a, const char *body, size_t len)
{
	memset(a, 0, sizeof(*a));
	a->body = body;
	a->body_len = len;
}

void witness_add_clear(struct witness_add *a)
{
	if (a->parsed)
		mlog_witness_req_clear(&a->req);
	free(a->resp);
	free(a->note);
	memset(a, 0, sizeof(*a));
}

static void answer(struct witness_add *a, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void answer(struct witness_add *a, int status, const char *fmt, ...)
{
	va_list ap;

	a->status = status;
	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof(a->msg), fmt, ap);
	va_end(ap);
	for (char *p = a->msg; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	}
}

#ifndef NDEBUG
static void check_invariants(const struct witness_add *a)
{
	switch (a->status) {
	case 0: case 200: case 400: case 403: case 404: case 409: case 413:
	case 422: case 429: case 500: case 503:
		break;
	default:
		abort();
	}
	/* A 200 always carries its cosignature lines, a 409 its size. */
	if ((a->status == 200 || a->status == 409) && a->resp == NULL)
		abort();
	if (a->advanced && (a->status != 200 || a->at == 0 ||
	    a->note == NULL))
		abort();
}
#else
#define check_invariants(a) ((void)0)
#endif

int witness_add_judge(struct witness_add *a, const struct witness_logs *ls,
	double now, unsigned rate, unsigned burst)
{
	struct mlog_error err = { 0, "" };
	struct witness_log *log;
	double wait = 0;
	int rc, ok;

	check_invariants(a);
	/* Rule (1) of witness_req.h, before any work. */
	if (a->body_len > MLOG_WITNESS_REQ_MAX_BYTES) {
		answer(a, 413, "request body over %d bytes",
			MLOG_WITNESS_REQ_MAX_BYTES);
		return 0;
	}
	rc = mlog_witness_req_parse(&a->req, a->body, a->body_len, &err);
	if (rc != MLOG_OK) {
		answer(a, rc == MLOG_ERR_TOOBIG ? 413 : rc == MLOG_ERR_NOMEM
			? 500 : 400, "%s", err.msg);
		return 0;
	}
	a->parsed = 1;
	/* Row 1. */
	log = witness_logs_find(ls, a->req.cp.origin);
	if (log == NULL) {
		answer(a, 404, "unknown log \"%s\"", a->req.cp.origin);
		return 0;
	}
	a->log = log;
	/* Row 2, outside the write lock; decide runs it again as part of
	 * the spec's table. */
	rc = mlog_note_verify(a->req.note, log->keys, log->nkeys, NULL, &err);
	if (rc == MLOG_ERR_UNTRUSTED || rc == MLOG_ERR_VERIFY) {
		answer(a, 403, "log signature: %s", err.msg);
		return 0;
	}
	if (rc != MLOG_OK) {
		answer(a, 500, "log signature: %s", err.msg);
		return 0;
	}
	/* Only requests the log itself signed spend its tokens: forged
	 * bodies cannot exhaust a log's budget (replays of old checkpoints
	 * still can; put a per-client limit in front for that). */
	pthread_mutex_lock(&log->lock);
	ok = witness_bucket_take(&log->bucket, now, rate, burst, &wait);
	pthread_mutex_unlock(&log->lock);
	if (!ok) {
		a->retry_after = (unsigned)ceil(wait);
		if (a->retry_after == 0)
			a->retry_after = 1;
		answer(a, 429, "rate limit for log \"%s\": %u requests per "
			"second, retry in %u s", log->origin, rate,
			a->retry_after);
		return 0;
	}
	return WITNESS_ADD_PENDING;
}

int witness_add_served_note(char **out, size_t *out_len,
	const struct mlog_witness_req *r, const struct witness_log *log,
	const char *cosigs, size_t cosigs_len)
{
	struct mlog_note_sig sigs[MLOG_NOTE_MAX_SIGS];
	struct mlog_note n;
	char *buf = NULL, *grown;
	size_t len = 0;
	int rc;

	n.text = r->note->text;
	n.text_len = r->note->text_len;
	n.sigs = sigs;
	n.nsigs = 0;
	for (size_t i = 0; i < r->note->nsigs; i++) {
		const struct mlog_note_sig *sig = &r->note->sigs[i];

		for (size_t k = 0; k < log->nkeys; k++) {
			if (sig->key_id == log->keys[k].key_id &&
			    strcmp(sig->name, log->keys[k].name) == 0) {
				sigs[n.nsigs++] = *sig;
				break;
			}
		}
	}
	if (n.nsigs == 0)
		return MLOG_ERR_MALFORMED;
	rc = mlog_note_format(&buf, &len, &n);
	if (rc != MLOG_OK)
		return rc;
	grown = realloc(buf, len + cosigs_len + 1);
	if (grown == NULL) {
		free(buf);
		return MLOG_ERR_NOMEM;
	}
	memcpy(grown + len, cosigs, cosigs_len);
	len += cosigs_len;
	grown[len] = '\0';
	*out = grown;
	*out_len = len;
	return MLOG_OK;
}

static void b64_root(char out[MLOG_CODEC_B64_LEN(MLOG_HASH_BYTES) + 1],
	const uint8_t *root)
{
	if (mlog_codec_base64_encode(out, MLOG_CODEC_B64_LEN(MLOG_HASH_BYTES)
		+ 1, root, MLOG_HASH_BYTES) < 0)
		out[0] = '\0';
}

/* Records the request as evidence with reason (one line). */
static int record_evidence(struct witness_add *a, struct witness_store *s,
	struct mlog_hash *h, const struct witness_state *st,
	const char *reason, uint64_t now, struct mlog_error *err)
{
	uint8_t text_hash[MLOG_HASH_BYTES];
	struct witness_evidence e;
	int fresh = 0, rc;

	mlog_hash_sha256(h, text_hash, a->req.note->text,
		a->req.note->text_len);
	e = (struct witness_evidence){
		.origin = a->log->origin,
		.status = a->status,
		.reason = reason,
		.old = a->req.old,
		.size = a->req.cp.size,
		.root = a->req.cp.root,
		.stored_size = st->size,
		.stored_root = st->has_root ? st->root : NULL,
		.body = a->body,
		.body_len = a->body_len,
		.text_hash = text_hash,
		.at = now,
	};
	rc = witness_store_add_evidence(s, &e, &fresh, err);
	if (rc != MLOG_OK)
		return rc;
	a->evidence = 1;
	a->evidence_fresh = fresh;
	return MLOG_OK;
}

/* Row 9: co-sign and advance. */
static int cosign(struct witness_add *a, struct witness_store *s,
	const struct witness_state *st, const struct mlog_note_signer *key,
	uint64_t now, struct mlog_error *err)
{
	const struct mlog_note *n = a->req.note;
	uint64_t at = now > st->cosigned_at ? now : st->cosigned_at;
	char *lines = NULL, *note = NULL;
	size_t lines_len = 0, note_len = 0;
	int rc;

	if (at == 0)
		at = 1;
	rc = mlog_witness_req_cosigs_format(&lines, &lines_len, n->text,
		n->text_len, key, 1, at, err);
	if (rc != MLOG_OK)
		return rc;
	rc = witness_add_served_note(&note, &note_len, &a->req, a->log,
		lines, lines_len);
	if (rc != MLOG_OK) {
		free(lines);
		return mlog_error_set(err, rc, "building the served note");
	}
	rc = witness_store_advance(s, a->log->origin, a->req.old,
		a->req.cp.size, a->req.cp.root, note, note_len, at, err);
	if (rc != MLOG_OK) {
		free(lines);
		free(note);
		return rc;
	}
	a->status = 200;
	a->msg[0] = '\0';
	a->resp = lines;
	a->resp_len = lines_len;
	a->advanced = 1;
	a->new_size = a->req.cp.size;
	a->at = at;
	a->note = note;
	a->note_len = note_len;
	return MLOG_OK;
}

/* Row 4 answered: the size body, and evidence if the checkpoint
 * contradicts a root co-signed for its size (a fork). */
static int conflict(struct witness_add *a, struct witness_store *s,
	struct mlog_hash *h, const struct witness_state *st, uint64_t now,
	struct mlog_error *err)
{
	char body[MLOG_WITNESS_REQ_SIZE_BODY_MAX], reason[512];
	char got[MLOG_CODEC_B64_LEN(MLOG_HASH_BYTES) + 1];
	char had[MLOG_CODEC_B64_LEN(MLOG_HASH_BYTES) + 1];
	uint8_t root[MLOG_HASH_BYTES];
	int n, rc;

	n = mlog_witness_req_size_format(body, sizeof(body), st->size);
	if (n < 0)
		return mlog_error_set(err, n, "formatting the size body");
	a->resp = malloc((size_t)n + 1);
	if (a->resp == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	memcpy(a->resp, body, (size_t)n + 1);
	a->resp_len = (size_t)n;
	if (a->req.cp.size > st->size)
		return MLOG_OK;
	rc = witness_store_cosigned(s, a->log->origin, a->req.cp.size, root,
		NULL, NULL, NULL);
	if (rc == MLOG_ERR_NOTFOUND)
		return MLOG_OK;        /* a size we never co-signed: stale */
	if (rc != MLOG_OK)
		return mlog_error_set(err, rc, "reading co-signed size %"
			PRIu64, a->req.cp.size);
	if (memcmp(root, a->req.cp.root, MLOG_HASH_BYTES) == 0)
		return MLOG_OK;        /* the same checkpoint: stale */
	b64_root(got, a->req.cp.root);
	b64_root(had, root);
	snprintf(reason, sizeof(reason), "fork: log signed root %s for size "
		"%" PRIu64 ", the witness co-signed root %s for that size (%s)",
		got, a->req.cp.size, had, a->msg);
	return record_evidence(a, s, h, st, reason, now, err);
}

void witness_add_decide(struct witness_add *a, struct witness_store *s,
	struct mlog_hash *h, const struct mlog_note_signer *key,
	uint64_t now)
{
	struct mlog_error err = { 0, "" }, why = { 0, "" };
	struct witness_state st;
	int rc, status;

	check_invariants(a);
	if (witness_store_savepoint(s, &err) != MLOG_OK) {
		answer(a, 500, "storage: %s", err.msg);
		return;
	}
	rc = witness_store_state(s, a->log->origin, &st, &err);
	if (rc != MLOG_OK)
		goto fail;
	status = mlog_witness_req_check(h, &a->req, a->log->keys,
		a->log->nkeys, st.size, st.has_root ? st.root : NULL, &why);
	if (status < 0) {
		rc = mlog_error_set(&err, status, "decision: %s", why.msg);
		goto fail;
	}
	if (status == 200) {
		rc = cosign(a, s, &st, key, now, &err);
	} else {
		answer(a, status, "%s", why.msg);
		if (status == 409) {
			rc = conflict(a, s, h, &st, now, &err);
		} else if (status == 422) {
			char reason[512];

			/* Row 8 with another root is a proven fork; a
			 * failing proof (row 7) may be one or a bad
			 * client: both are kept. */
			snprintf(reason, sizeof(reason), "%s%s",
				st.has_root && a->req.cp.size == st.size &&
				memcmp(st.root, a->req.cp.root,
				MLOG_HASH_BYTES) != 0 ? "fork: " : "",
				why.msg);
			rc = record_evidence(a, s, h, &st, reason, now, &err);
		}
	}
	if (rc != MLOG_OK)
		goto fail;
	if (witness_store_release(s, &err) != MLOG_OK) {
		rc = MLOG_ERR_DB;
		goto fail;
	}
	check_invariants(a);
	return;
fail:
	witness_store_undo(s);
	witness_add_fail(a, 500, "");
	answer(a, 500, "storage: %s", err.msg);
	check_invariants(a);
}

void witness_add_apply(struct witness_add *a)
{
	struct witness_log *l = a->log;

	if (l == NULL || (!a->advanced && !a->evidence))
		return;
	pthread_mutex_lock(&l->lock);
	if (a->advanced) {
		l->size = a->new_size;
		free(l->note);
		l->note = a->note;
		l->note_len = a->note_len;
		a->note = NULL;
		l->last_cosign = a->at;
		l->cosignatures++;
	}
	if (a->evidence) {
		l->evidence++;
		l->evidence_stored += a->evidence_fresh != 0;
	}
	pthread_mutex_unlock(&l->lock);
	a->advanced = 0;
	a->evidence = 0;
}

void witness_add_fail(struct witness_add *a, int status, const char *msg)
{
	free(a->resp);
	free(a->note);
	a->resp = NULL;
	a->resp_len = 0;
	a->note = NULL;
	a->advanced = 0;
	a->evidence = 0;
	a->evidence_fresh = 0;
	answer(a, status, "%s", msg);
}
