/*
 * fakewitness.c — a test witness; see fakewitness.h.
 */
#include "fakewitness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <microhttpd.h>

#include "codec.h"
#include "hash.h"
#include "harness.h"
#include "witness_req.h"

struct upload {
	char *p;
	size_t len;
	int too_big;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
	const char *type, const char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len,
		(void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (type != NULL)
		MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result add_checkpoint(struct fakewitness *w,
	struct MHD_Connection *c, const char *body, size_t len)
{
	struct mlog_witness_req req;
	struct mlog_hash *h = mlog_hash_new();
	char *lines = NULL, *note = NULL, size_body[32];
	size_t nlen = 0, note_len;
	const char *blank;
	int status;
	enum MHD_Result ret;

	if (mlog_witness_req_parse(&req, body, len, NULL) != MLOG_OK) {
		mlog_hash_free(h);
		return reply(c, 400, NULL, "bad request\n", 12);
	}
	pthread_mutex_lock(&w->mu);
	status = mlog_witness_req_check(h, &req, &w->log, 1, w->size,
		w->size > 0 ? w->root : NULL, NULL);
	if (status == 409) {
		int n = mlog_witness_req_size_format(size_body,
			sizeof(size_body), w->size);

		pthread_mutex_unlock(&w->mu);
		mlog_witness_req_clear(&req);
		mlog_hash_free(h);
		return reply(c, 409, MLOG_WITNESS_REQ_SIZE_TYPE, size_body,
			(size_t)n);
	}
	if (status != 200) {
		pthread_mutex_unlock(&w->mu);
		mlog_witness_req_clear(&req);
		mlog_hash_free(h);
		return reply(c, (unsigned)status, NULL, "no\n", 3);
	}
	if (mlog_witness_req_cosigs_format(&lines, &nlen, req.note->text,
		req.note->text_len, &w->key, 1, (uint64_t)time(NULL), NULL)
		!= MLOG_OK) {
		pthread_mutex_unlock(&w->mu);
		mlog_witness_req_clear(&req);
		mlog_hash_free(h);
		return reply(c, 500, NULL, "cosign\n", 7);
	}
	/* The signed checkpoint is what follows the request's blank line;
	 * keep it with our line appended. */
	blank = strstr(body, "\n\n");
	note_len = len - (size_t)(blank + 2 - body);
	note = malloc(note_len + nlen + 1);
	memcpy(note, blank + 2, note_len);
	memcpy(note + note_len, lines, nlen);
	note[note_len + nlen] = '\0';
	free(w->note);
	w->note = note;
	w->size = req.cp.size;
	memcpy(w->root, req.cp.root, 32);
	w->adds++;
	pthread_mutex_unlock(&w->mu);
	ret = reply(c, 200, "text/plain; charset=utf-8", lines, nlen);
	free(lines);
	mlog_witness_req_clear(&req);
	mlog_hash_free(h);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
	const char *url, const char *method, const char *version,
	const char *data, size_t *data_size, void **ctx)
{
	struct fakewitness *w = cls;
	struct upload *u = *ctx;
	enum MHD_Result ret;

	(void)version;
	if (strcmp(method, "POST") == 0) {
		if (u == NULL) {
			u = calloc(1, sizeof(*u));
			*ctx = u;
			return MHD_YES;
		}
		if (*data_size > 0) {
			if (u->len + *data_size > MLOG_WITNESS_REQ_MAX_BYTES) {
				u->too_big = 1;
			} else {
				u->p = realloc(u->p, u->len + *data_size + 1);
				memcpy(u->p + u->len, data, *data_size);
				u->len += *data_size;
				u->p[u->len] = '\0';
			}
			*data_size = 0;
			return MHD_YES;
		}
		if (strcmp(url, "/add-checkpoint") != 0 || u->too_big ||
		    u->p == NULL)
			ret = reply(c, u->too_big ? 413 : 404, NULL, "no\n", 3);
		else
			ret = add_checkpoint(w, c, u->p, u->len);
		free(u->p);
		free(u);
		*ctx = NULL;
		return ret;
	}
	if (strcmp(method, "GET") == 0) {
		char want[128], hex[65];
		uint8_t d[32];
		struct mlog_hash *h = mlog_hash_new();
		const char *serve;

		mlog_hash_sha256(h, d, w->log.name, strlen(w->log.name));
		mlog_hash_free(h);
		mlog_codec_hex_encode(hex, d, 32);
		snprintf(want, sizeof(want), "/%s/checkpoint", hex);
		pthread_mutex_lock(&w->mu);
		serve = w->forged != NULL ? w->forged : w->note;
		if (strcmp(url, want) != 0 || serve == NULL)
			ret = reply(c, 404, NULL, "none\n", 5);
		else
			ret = reply(c, 200, "text/plain; charset=utf-8", serve,
				strlen(serve));
		pthread_mutex_unlock(&w->mu);
		return ret;
	}
	return reply(c, 405, NULL, "no\n", 3);
}

void fw_start(struct fakewitness *w, const char *name,
	const struct mlog_note_verifier *log)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->mu, NULL);
	w->log = *log;
	cr_assert_eq(mlog_note_signer_generate(&w->key, name,
		MLOG_NOTE_TYPE_COSIG_V1), MLOG_OK);
	w->port = itest_free_port();
	snprintf(w->url, sizeof(w->url), "http://127.0.0.1:%u", w->port);
	w->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
		MHD_USE_ERROR_LOG, (uint16_t)w->port, NULL, NULL, handle, w,
		MHD_OPTION_END);
	cr_assert_not_null(w->daemon, "fake witness: can't listen on %u",
		w->port);
}

void fw_stop(struct fakewitness *w)
{
	if (w->daemon != NULL)
		MHD_stop_daemon(w->daemon);
	w->daemon = NULL;
	free(w->note);
	free(w->forged);
	mlog_note_signer_clear(&w->key);
	pthread_mutex_destroy(&w->mu);
}

void fw_vkey(const struct fakewitness *w, char *out, size_t cap)
{
	struct mlog_note_verifier v;

	mlog_note_signer_verifier(&v, &w->key);
	cr_assert_gt(mlog_note_verifier_format(out, cap, &v), 0);
}

void fw_set_forged(struct fakewitness *w, const char *note)
{
	pthread_mutex_lock(&w->mu);
	free(w->forged);
	w->forged = note != NULL ? strdup(note) : NULL;
	pthread_mutex_unlock(&w->mu);
}

uint64_t fw_size(struct fakewitness *w)
{
	uint64_t n;

	pthread_mutex_lock(&w->mu);
	n = w->size;
	pthread_mutex_unlock(&w->mu);
	return n;
}
