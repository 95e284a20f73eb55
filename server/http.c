/*
 * http.c — the libmicrohttpd daemon: routing, per-request state, response
 * helpers and request metrics. Handlers live in api_read.c and
 * api_write.c.
 *
 * MHD runs a fixed thread pool with internal polling (no thread per
 * connection), with suspend/resume so that a POST waiting for its batch
 * holds no thread: api_write.c suspends it and the sequencer's done()
 * resumes it.
 */
#include "mlogd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "log.h"

/* What MHD keeps for us per request (con_cls). */
struct request {
	int route;                  /* enum mlogd_route */
	struct mlogd_post *post;    /* POST /v1/entries only */
};

static enum MHD_Result queue(struct MHD_Connection *c, int status,
	struct MHD_Response *r, const char *content_type,
	const char *cache_control)
{
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	if (content_type != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
			content_type);
	if (cache_control != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
			cache_control);
	ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result mlogd_respond_bytes(struct MHD_Connection *c, int status,
	const char *content_type, const char *cache_control,
	const void *data, size_t len)
{
	return queue(c, status, MHD_create_response_from_buffer(len,
		(void *)data, MHD_RESPMEM_MUST_COPY), content_type,
		cache_control);
}

enum MHD_Result mlogd_respond_owned(struct MHD_Connection *c, int status,
	const char *content_type, const char *cache_control, char *data,
	size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, data,
		MHD_RESPMEM_MUST_FREE);

	if (r == NULL)
		free(data);
	return queue(c, status, r, content_type, cache_control);
}

enum MHD_Result mlogd_respond_error(struct MHD_Connection *c, int status,
	const char *fmt, ...)
{
	char msg[512];
	json_t *obj;
	char *body;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	obj = json_pack("{s:s}", "error", msg);
	body = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	if (body == NULL)
		return MHD_NO;
	return mlogd_respond_owned(c, status, "application/json", "no-store",
		body, strlen(body));
}

/* 405 with the Allow header RFC 9110 requires and a JSON error body. */
static enum MHD_Result not_allowed(struct MHD_Connection *c,
	const char *allow, const char *method, const char *url)
{
	json_t *obj = json_pack("{s:s+++}", "error", "method ", method,
		" not allowed on ", url);
	char *body = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;
	struct MHD_Response *r;

	json_decref(obj);
	if (body == NULL)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(body), body,
		MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	return queue(c, 405, r, "application/json", "no-store");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
	const char *url, const char *method, const char *version,
	const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct mlogd *d = cls;
	struct request *req = *con_cls;
	int status = 0, get;
	enum MHD_Result ret;

	(void)version;
	if (req == NULL) {
		req = calloc(1, sizeof(*req));
		if (req == NULL)
			return MHD_NO;
		*con_cls = req;
		pthread_mutex_lock(&d->inflight_lock);
		d->inflight++;
		pthread_mutex_unlock(&d->inflight_lock);
		req->route = mlogd_api_route(url);
		if (req->route == MLOGD_ROUTE_SUBMIT &&
		    strcmp(method, MHD_HTTP_METHOD_POST) == 0) {
			req->post = mlogd_post_new(d, c);
			if (req->post == NULL)
				return MHD_NO;
		} else {
			/* Answer on the next call, not this one: a response
			 * queued while MHD is still on the headers makes it
			 * close the connection (no keep-alive). */
			return MHD_YES;
		}
	}
	get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
		strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	if (req->post != NULL) {
		ret = mlogd_post_step(req->post, upload_data, upload_data_size,
			&status);
	} else if (get && req->route != MLOGD_ROUTE_SUBMIT) {
		ret = mlogd_api_get(d, c, url, &req->route, &status);
	} else if (*upload_data_size > 0) {
		/* A body on a route that takes none: ignore it, answer at
		 * the end. */
		*upload_data_size = 0;
		return MHD_YES;
	} else if (req->route == MLOGD_ROUTE_OTHER) {
		status = 404;
		ret = mlogd_respond_error(c, status, "no such endpoint: %s %s",
			method, url);
	} else {
		/* The path exists, for other methods (RFC 9110 §15.5.6). */
		status = 405;
		ret = not_allowed(c, req->route == MLOGD_ROUTE_SUBMIT ? "POST"
			: "GET, HEAD", method, url);
	}
	if (status != 0)
		mlogd_metrics_request(d->metrics, req->route, status);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
	enum MHD_RequestTerminationCode toe)
{
	struct mlogd *d = cls;
	struct request *req = *con_cls;

	(void)c;
	(void)toe;
	if (req == NULL)
		return;
	pthread_mutex_lock(&d->inflight_lock);
	d->inflight--;
	pthread_mutex_unlock(&d->inflight_lock);
	mlogd_post_free(req->post);
	free(req);
	*con_cls = NULL;
}

int mlogd_http_start(struct mlogd *d, struct mlog_error *err)
{
	struct sockaddr_in addr;

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)d->cfg->listen_port);
	if (inet_pton(AF_INET, strcmp(d->cfg->listen_host, "localhost") == 0
		? "127.0.0.1" : d->cfg->listen_host, &addr.sin_addr) != 1)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"listen: %s is not an IPv4 address",
			d->cfg->listen_host);
	/* poll(), not epoll: with a thread pool, MHD 0.9.75's
	 * MHD_quiesce_daemon races its workers over removing the listen
	 * socket from their epoll sets and aborts the process when it loses
	 * ("Failed to remove listen FD from epoll set"; seen on SIGTERM in
	 * test_mlogd_submit). Its poll() path signals the workers instead.
	 * At 64 connections the two measured within 1% (docs/mlogd.md). */
	d->quiesced_listen = MHD_INVALID_SOCKET;
	d->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
		MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME |
		MHD_USE_ITC | MHD_USE_ERROR_LOG,
		(uint16_t)d->cfg->listen_port, NULL, NULL, handle, d,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_THREAD_POOL_SIZE, d->cfg->threads,
		MHD_OPTION_CONNECTION_LIMIT, d->cfg->max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, d->cfg->timeout_s,
		MHD_OPTION_NOTIFY_COMPLETED, completed, d,
		MHD_OPTION_END);
	if (d->daemon == NULL)
		return mlog_error_set(err, MLOG_ERR_IO,
			"couldn't listen on %s:%u", d->cfg->listen_host,
			d->cfg->listen_port);
	return MLOG_OK;
}

void mlogd_http_quiesce(struct mlogd *d)
{
	if (d->daemon == NULL || d->quiesced_listen != MHD_INVALID_SOCKET)
		return;
	d->quiesced_listen = MHD_quiesce_daemon(d->daemon);
	/* Refuse new connections now (the kernel would otherwise queue
	 * them until the socket is closed), without freeing the descriptor
	 * a worker may still be polling: accept() on it fails from here. */
	if (d->quiesced_listen != MHD_INVALID_SOCKET)
		(void)shutdown(d->quiesced_listen, SHUT_RDWR);
}

void mlogd_http_stop(struct mlogd *d)
{
	if (d->daemon != NULL) {
		MHD_stop_daemon(d->daemon);
		if (d->quiesced_listen != MHD_INVALID_SOCKET)
			close(d->quiesced_listen);
	}
	d->daemon = NULL;
	d->quiesced_listen = MHD_INVALID_SOCKET;
}
