/*
 * http.c — the libmicrohttpd daemon: routing, the add-checkpoint request
 * state machine, the monitoring and health endpoints; see witness.h.
 *
 * MHD runs a fixed thread pool with internal polling; an add-checkpoint
 * request waiting for its batch is suspended and holds no thread, so the
 * number of requests a batch can gather is bounded by max-connections,
 * not by the thread count.
 */
#include "witness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "witness_req.h"

#define TEXT_TYPE "text/plain; charset=utf-8"

enum post_state {
	POST_RECEIVING,
	POST_WAITING,       /* suspended until the committer's done() */
	POST_ANSWERED,
};

struct post {
	struct witness *w;
	struct MHD_Connection *conn;
	int state;
	int started;                       /* MHD's first call seen */
	size_t len;
	char body[MLOG_WITNESS_REQ_MAX_BYTES];
	struct witness_job job;
};

/* What MHD keeps for us per request (con_cls). */
struct request {
	int route;                         /* enum witness_route */
	struct post *post;                 /* POST /add-checkpoint only */
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static enum MHD_Result queue(struct MHD_Connection *c, int status,
	struct MHD_Response *r, const char *content_type)
{
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	if (content_type != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
			content_type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond(struct MHD_Connection *c, int status,
	const char *content_type, const void *data, size_t len)
{
	return queue(c, status, MHD_create_response_from_buffer(len,
		(void *)data, MHD_RESPMEM_MUST_COPY), content_type);
}

/* An error: one text line. */
static enum MHD_Result respond_text(struct MHD_Connection *c, int status,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum MHD_Result respond_text(struct MHD_Connection *c, int status,
	const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(msg) - 2)
		n = (int)sizeof(msg) - 2;
	msg[n++] = '\n';
	return respond(c, status, TEXT_TYPE, msg, (size_t)n);
}

/* ---- POST /add-checkpoint ------------------------------------------------ */

static void job_done(struct witness_job *j)
{
	struct post *p = j->done_ctx;

	MHD_resume_connection(p->conn);
}

static struct post *post_new(struct witness *w, struct MHD_Connection *c)
{
	struct post *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->w = w;
	p->conn = c;
	p->job.done = job_done;
	p->job.done_ctx = p;
	witness_add_init(&p->job.add, p->body, 0);
	return p;
}

static void post_free(struct post *p)
{
	if (p == NULL)
		return;
	witness_add_clear(&p->job.add);
	free(p);
}

/* The answer of a judged or decided request. */
static enum MHD_Result answer(struct post *p, int *status)
{
	const struct witness_add *a = &p->job.add;
	struct MHD_Response *r;
	char secs[16];

	p->state = POST_ANSWERED;
	*status = a->status;
	switch (a->status) {
	case 200:
		return respond(p->conn, 200, TEXT_TYPE, a->resp, a->resp_len);
	case 409:
		/* Exactly this type, no charset (C2SP-NOTES §4): clients
		 * tell a size answer from anything else by it. */
		return respond(p->conn, 409, MLOG_WITNESS_REQ_SIZE_TYPE,
			a->resp, a->resp_len);
	case 429:
		snprintf(secs, sizeof(secs), "%u", a->retry_after);
		r = MHD_create_response_from_buffer(strlen(a->msg), (void *)
			a->msg, MHD_RESPMEM_MUST_COPY);
		if (r == NULL)
			return MHD_NO;
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, secs);
		return queue(p->conn, 429, r, TEXT_TYPE);
	default:
		return respond_text(p->conn, a->status, "%s", a->msg);
	}
}

/* The whole body is here: judge it, then answer or hand it over. */
static enum MHD_Result post_complete(struct post *p, int *status)
{
	struct witness *w = p->w;
	int rc;

	witness_add_init(&p->job.add, p->body, p->len);
	rc = witness_add_judge(&p->job.add, w->logs, mono(), w->rate,
		w->burst);
	if (rc != WITNESS_ADD_PENDING)
		return answer(p, status);
	/* Suspend before submitting: done() may run before we return. */
	p->state = POST_WAITING;
	MHD_suspend_connection(p->conn);
	witness_committer_submit(w->committer, &p->job);
	return MHD_YES;
}

static enum MHD_Result post_step(struct post *p, const char *data,
	size_t *data_size, int *status)
{
	*status = 0;
	switch (p->state) {
	case POST_RECEIVING:
		if (!p->started) {
			/* First call: refuse an announced oversize body
			 * before reading any of it. */
			const char *cl = MHD_lookup_connection_value(
				p->conn, MHD_HEADER_KIND,
				MHD_HTTP_HEADER_CONTENT_LENGTH);

			p->started = 1;
			if (cl != NULL && strtoull(cl, NULL, 10) >
			    MLOG_WITNESS_REQ_MAX_BYTES) {
				p->state = POST_ANSWERED;
				*status = 413;
				return respond_text(p->conn, 413,
					"request body over %d bytes",
					MLOG_WITNESS_REQ_MAX_BYTES);
			}
			return MHD_YES;
		}
		if (*data_size > 0) {
			if (*data_size > sizeof(p->body) - p->len) {
				/* A body without Content-Length (chunked)
				 * that outgrows the cap. Read no further:
				 * close the connection. libmicrohttpd 0.9.75
				 * refuses MHD_queue_response between the
				 * first and the last call, so a 413 could
				 * only come after reading the whole body,
				 * which a client could stream without end.
				 * Counted as a 413 in the metrics. */
				p->state = POST_ANSWERED;
				*status = 413;
				return MHD_NO;
			}
			memcpy(p->body + p->len, data, *data_size);
			p->len += *data_size;
			*data_size = 0;
			return MHD_YES;
		}
		return post_complete(p, status);
	case POST_WAITING:
		if (p->job.add.status == 0)
			return MHD_YES;    /* spurious call */
		return answer(p, status);
	default:
		/* Answered early: drop whatever else arrives. */
		*data_size = 0;
		return MHD_YES;
	}
}

/* ---- GET ----------------------------------------------------------------- */

static enum MHD_Result get_checkpoint(struct witness *w,
	struct MHD_Connection *c, const char *hex, size_t len, int *status)
{
	struct witness_log *l = witness_logs_find_hex(w->logs, hex, len);
	enum MHD_Result ret;

	if (l == NULL) {
		*status = 404;
		return respond_text(c, 404, "no log with origin hash %.*s",
			(int)(len < 64 ? len : 64), hex);
	}
	pthread_mutex_lock(&l->lock);
	if (l->note == NULL) {
		pthread_mutex_unlock(&l->lock);
		*status = 404;
		return respond_text(c, 404, "log \"%s\" has not been "
			"co-signed yet", l->origin);
	}
	/* MUST_COPY under the lock: the committer may replace the note
	 * right after. */
	*status = 200;
	ret = respond(c, 200, TEXT_TYPE, l->note, l->note_len);
	pthread_mutex_unlock(&l->lock);
	return ret;
}

static enum MHD_Result get(struct witness *w, struct MHD_Connection *c,
	const char *url, int *route, int *status)
{
	size_t len = strlen(url);

	if (strcmp(url, "/healthz") == 0) {
		*route = WITNESS_ROUTE_HEALTHZ;
		if (witness_committer_failing(w->committer)) {
			*status = 503;
			return respond_text(c, 503, "the state database cannot "
				"be written: see the log");
		}
		*status = 200;
		return respond(c, 200, TEXT_TYPE, "ok\n", 3);
	}
	if (strcmp(url, "/metrics") == 0) {
		char *body = NULL;
		size_t blen = 0;

		*route = WITNESS_ROUTE_METRICS;
		if (witness_metrics_format(w->metrics, w->logs,
			witness_committer_depth(w->committer), &body, &blen)
			!= 0) {
			*status = 500;
			return respond_text(c, 500, "out of memory");
		}
		*status = 200;
		return queue(c, 200, MHD_create_response_from_buffer(blen,
			body, MHD_RESPMEM_MUST_FREE),
			"text/plain; version=0.0.4; charset=utf-8");
	}
	/* "/" <64 hex> "/checkpoint" */
	if (len == 1 + WITNESS_ORIGIN_HEX_LEN + 11 && url[0] == '/' &&
	    strcmp(url + 1 + WITNESS_ORIGIN_HEX_LEN, "/checkpoint") == 0) {
		*route = WITNESS_ROUTE_CHECKPOINT;
		return get_checkpoint(w, c, url + 1, WITNESS_ORIGIN_HEX_LEN,
			status);
	}
	*route = WITNESS_ROUTE_OTHER;
	*status = 404;
	return respond_text(c, 404, "no such endpoint: %.200s", url);
}

/* ---- routing ------------------------------------------------------------- */

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
	const char *url, const char *method, const char *version,
	const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct witness *w = cls;
	struct request *req = *con_cls;
	int status = 0, is_get;
	enum MHD_Result ret;

	(void)version;
	if (req == NULL) {
		req = calloc(1, sizeof(*req));
		if (req == NULL)
			return MHD_NO;
		*con_cls = req;
		pthread_mutex_lock(&w->inflight_lock);
		w->inflight++;
		pthread_mutex_unlock(&w->inflight_lock);
		req->route = WITNESS_ROUTE_OTHER;
		if (strcmp(url, "/add-checkpoint") == 0) {
			req->route = WITNESS_ROUTE_ADD;
			if (strcmp(method, MHD_HTTP_METHOD_POST) == 0) {
				req->post = post_new(w, c);
				if (req->post == NULL)
					return MHD_NO;
			}
		}
	}
	if (req->post != NULL) {
		ret = post_step(req->post, upload_data, upload_data_size,
			&status);
	} else {
		is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
			strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
		/* Everything but the one POST is answered at the first call,
		 * before any body is read; MHD then drops the body. */
		*upload_data_size = 0;
		if (req->route == WITNESS_ROUTE_ADD) {
			struct MHD_Response *r;

			status = 405;
			r = MHD_create_response_from_buffer(0, (void *)"",
				MHD_RESPMEM_PERSISTENT);
			if (r != NULL)
				MHD_add_response_header(r,
					MHD_HTTP_HEADER_ALLOW,
					MHD_HTTP_METHOD_POST);
			ret = queue(c, 405, r, NULL);
		} else if (is_get) {
			ret = get(w, c, url, &req->route, &status);
		} else {
			status = 404;
			ret = respond_text(c, 404, "no such endpoint: %.20s "
				"%.200s", method, url);
		}
	}
	if (status != 0)
		witness_metrics_request(w->metrics, req->route, status);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
	enum MHD_RequestTerminationCode toe)
{
	struct witness *w = cls;
	struct request *req = *con_cls;

	(void)c;
	(void)toe;
	if (req == NULL)
		return;
	post_free(req->post);
	free(req);
	*con_cls = NULL;
	pthread_mutex_lock(&w->inflight_lock);
	w->inflight--;
	pthread_mutex_unlock(&w->inflight_lock);
}

int witness_http_start(struct witness *w, struct mlog_error *err)
{
	struct sockaddr_in addr;

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)w->cfg->listen_port);
	if (inet_pton(AF_INET, strcmp(w->cfg->listen_host, "localhost") == 0
		? "127.0.0.1" : w->cfg->listen_host, &addr.sin_addr) != 1)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"listen: %s is not an IPv4 address",
			w->cfg->listen_host);
	/* poll(), not epoll: MHD 0.9.75's MHD_quiesce_daemon can abort the
	 * process with a thread pool on epoll (server/http.c says how). */
	w->quiesced_listen = MHD_INVALID_SOCKET;
	w->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
		MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME |
		MHD_USE_ITC | MHD_USE_ERROR_LOG,
		(uint16_t)w->cfg->listen_port, NULL, NULL, handle, w,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_THREAD_POOL_SIZE, w->cfg->threads,
		MHD_OPTION_CONNECTION_LIMIT, w->cfg->max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, w->cfg->timeout_s,
		MHD_OPTION_NOTIFY_COMPLETED, completed, w,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
		MHD_OPTION_END);
	if (w->daemon == NULL)
		return mlog_error_set(err, MLOG_ERR_IO,
			"couldn't listen on %s:%u", w->cfg->listen_host,
			w->cfg->listen_port);
	return MLOG_OK;
}

void witness_http_quiesce(struct witness *w)
{
	if (w->daemon == NULL || w->quiesced_listen != MHD_INVALID_SOCKET)
		return;
	w->quiesced_listen = MHD_quiesce_daemon(w->daemon);
	/* Refuse new connections now (the kernel would otherwise queue
	 * them until the socket is closed), without freeing the descriptor
	 * a worker may still be polling: accept() on it fails from here. */
	if (w->quiesced_listen != MHD_INVALID_SOCKET)
		(void)shutdown(w->quiesced_listen, SHUT_RDWR);
}

unsigned witness_http_inflight(struct witness *w)
{
	unsigned n;

	pthread_mutex_lock(&w->inflight_lock);
	n = w->inflight;
	pthread_mutex_unlock(&w->inflight_lock);
	return n;
}

void witness_http_stop(struct witness *w)
{
	if (w->daemon != NULL) {
		MHD_stop_daemon(w->daemon);
		if (w->quiesced_listen != MHD_INVALID_SOCKET)
			close(w->quiesced_listen);
	}
	w->daemon = NULL;
	w->quiesced_listen = MHD_INVALID_SOCKET;
}
