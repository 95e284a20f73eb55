/*
 * api_write.c — POST /v1/entries (SPEC §3).
 *
 * Per request:
 *
 *   RECEIVING --body complete--> judged (submit.h) --bad--> answered
 *       |                           |
 *       | over 65,535 bytes         +--ok--> suspend, submit --refused-->
 *       v                                   |          (429/503) resume
 *   answered 413                            v
 *                                        WAITING --done(): resume-->
 *                                        receipt 201/200, or 503
 *
 * The body is never buffered past MLOG_DSSE_MAX_BYTES: a larger
 * Content-Length is refused before reading, a body that grows past the
 * limit is dropped as it arrives. The receipt's inclusion proof is built
 * here, on the HTTP thread, from the committed tiles, so the sequencer
 * thread only commits.
 */
#include "mlogd.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "codec.h"
#include "dsse.h"
#include "log.h"
#include "proof.h"
#include "submit.h"

enum post_state {
	POST_RECEIVING,
	POST_WAITING,      /* suspended until the sequencer answers */
	POST_REFUSED,      /* suspended then resumed with refusal_status */
	POST_ANSWERED,
};

struct mlogd_post {
	struct mlogd *d;
	struct MHD_Connection *conn;
	int state;
	int started;                   /* MHD's first call seen */
	char body[MLOG_DSSE_MAX_BYTES];
	size_t len;
	int too_large;
	int refusal_status;
	struct mlogd_ticket ticket;
};

static void ticket_done(struct mlogd_ticket *t)
{
	struct mlogd_post *p = t->done_ctx;

	MHD_resume_connection(p->conn);
}

struct mlogd_post *mlogd_post_new(struct mlogd *d, struct MHD_Connection *c)
{
	struct mlogd_post *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->d = d;
	p->conn = c;
	p->ticket.done = ticket_done;
	p->ticket.done_ctx = p;
	return p;
}

void mlogd_post_free(struct mlogd_post *p)
{
	if (p == NULL)
		return;
	mlogd_ticket_clear(p->d->seq, &p->ticket);
	free(p);
}

static json_t *b64_json(const uint8_t *hash)
{
	char b64[MLOG_CODEC_B64_LEN(MLOG_HASH_BYTES) + 1];

	if (mlog_codec_base64_encode(b64, sizeof(b64), hash, MLOG_HASH_BYTES)
		< 0)
		return NULL;
	return json_string(b64);
}

char *mlogd_receipt_json(struct mlogd_reader *r, const struct mlogd_head *h,
	uint64_t index, size_t *len, struct mlog_error *err)
{
	uint8_t proof[MLOG_PROOF_MAX][MLOG_HASH_BYTES], leaf[MLOG_HASH_BYTES];
	size_t n = 0;
	json_t *obj, *arr;
	char *out;
	int rc;

	rc = mlogd_tileread_leaf(&r->tiles, index, leaf);
	if (rc == MLOG_OK)
		rc = mlog_proof_prove_inclusion(r->h, proof, &n, index,
			h->size, &r->tiles.reader);
	if (rc != MLOG_OK) {
		mlog_error_set(err, rc, "couldn't prove entry %" PRIu64
			" in tree %" PRIu64, index, h->size);
		return NULL;
	}
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, b64_json(proof[i]));
	obj = json_pack("{s:I, s:o, s:s%, s:o}", "index", (json_int_t)index,
		"leaf_hash", b64_json(leaf), "checkpoint", h->note, h->note_len,
		"inclusion_proof", arr);
	out = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	if (out == NULL) {
		mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
		return NULL;
	}
	*len = strlen(out);
	return out;
}

static enum MHD_Result answer_receipt(struct mlogd_post *p, int *status)
{
	struct mlogd_ticket *t = &p->ticket;
	struct mlogd_reader *r;
	struct mlog_error err = { 0, "" };
	char *body;
	size_t len = 0;

	if (t->status == MLOGD_TICKET_FAILED) {
		*status = 503;
		return mlogd_respond_error(p->conn, 503,
			"the log could not sequence this entry; retry later");
	}
	r = mlogd_pool_get(&p->d->pool);
	body = mlogd_receipt_json(r, t->head, t->index, &len, &err);
	mlogd_pool_put(&p->d->pool, r);
	if (body == NULL) {
		mlogd_log("receipt for entry %" PRIu64 ": %s", t->index,
			err.msg);
		*status = 500;
		return mlogd_respond_error(p->conn, 500, "%s", err.msg);
	}
	*status = t->status == MLOGD_TICKET_NEW ? 201 : 200;
	return mlogd_respond_owned(p->conn, *status, "application/json",
		"no-store", body, len);
}

static enum MHD_Result refuse(struct mlogd_post *p, int status, int reason,
	int *out_status, const char *msg)
{
	mlogd_metrics_reject(p->d->metrics, reason);
	*out_status = status;
	return mlogd_respond_error(p->conn, status, "%s", msg);
}

/* The whole body is here: judge it and hand it to the sequencer. */
static enum MHD_Result submit(struct mlogd_post *p, int *status)
{
	struct mlogd_verdict v;
	struct mlogd_reader *r;
	int rc;

	/* The pooled reader's hash context: the digest is fetched once per
	 * connection of the pool, not once per submission. */
	r = mlogd_pool_get(&p->d->pool);
	rc = mlogd_submit_judge(&p->ticket, &v, p->body, p->len,
		p->d->signers, r->h);
	mlogd_pool_put(&p->d->pool, r);
	if (rc != MLOG_OK)
		return refuse(p, v.status, v.reason, status, v.message);
	/* Suspend before submitting: done() may run before we return. */
	p->state = POST_WAITING;
	MHD_suspend_connection(p->conn);
	rc = mlogd_seq_submit(p->d->seq, &p->ticket);
	if (rc != MLOG_OK) {
		p->state = POST_REFUSED;
		p->refusal_status = rc == MLOG_ERR_TOOBIG ? 429 : 503;
		MHD_resume_connection(p->conn);
	}
	return MHD_YES;
}

enum MHD_Result mlogd_post_step(struct mlogd_post *p, const char *data,
	size_t *data_size, int *status)
{
	*status = 0;
	switch (p->state) {
	case POST_RECEIVING:
		if (!p->started) {
			/* First call: refuse an announced oversize body
			 * without reading it. */
			const char *cl = MHD_lookup_connection_value(p->conn,
				MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

			p->started = 1;
			if (cl != NULL && strlen(cl) > 0 &&
			    strtoull(cl, NULL, 10) > MLOG_DSSE_MAX_BYTES) {
				p->state = POST_ANSWERED;
				return refuse(p, 413, MLOGD_REJECT_TOO_LARGE,
					status, "body over 65,535 bytes");
			}
			return MHD_YES;
		}
		if (*data_size > 0) {
			if (p->too_large ||
			    *data_size > sizeof(p->body) - p->len) {
				p->too_large = 1;
			} else {
				memcpy(p->body + p->len, data, *data_size);
				p->len += *data_size;
			}
			*data_size = 0;
			return MHD_YES;
		}
		p->state = POST_ANSWERED;
		if (p->too_large)
			return refuse(p, 413, MLOGD_REJECT_TOO_LARGE, status,
				"body over 65,535 bytes");
		return submit(p, status);
	case POST_WAITING:
		if (p->ticket.status == MLOGD_TICKET_WAITING)
			return MHD_YES;     /* spurious call */
		p->state = POST_ANSWERED;
		return answer_receipt(p, status);
	case POST_REFUSED:
		p->state = POST_ANSWERED;
		if (p->refusal_status == 429) {
			struct MHD_Response *r;
			enum MHD_Result ret;
			const char *body = "{\"error\":\"queue full: retry "
				"later\"}";

			mlogd_metrics_reject(p->d->metrics,
				MLOGD_REJECT_QUEUE_FULL);
			*status = 429;
			r = MHD_create_response_from_buffer(strlen(body),
				(void *)body, MHD_RESPMEM_PERSISTENT);
			if (r == NULL)
				return MHD_NO;
			MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER,
				"1");
			MHD_add_response_header(r,
				MHD_HTTP_HEADER_CONTENT_TYPE,
				"application/json");
			ret = MHD_queue_response(p->conn, 429, r);
			MHD_destroy_response(r);
			return ret;
		}
		return refuse(p, 503, MLOGD_REJECT_SHUTTING_DOWN, status,
			"the log is shutting down or unavailable");
	default:
		return MHD_YES;
	}
}
