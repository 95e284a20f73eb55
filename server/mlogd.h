/*
 * mlogd.h — the log server's context and the functions its files share.
 *
 * One struct mlogd holds everything a running server has: its
 * configuration, the sequencer (the only writer), the read-connection
 * pool, the signers, metrics and the HTTP daemon. main.c builds it,
 * http.c routes requests to the handlers in api_write.c (POST
 * /v1/entries) and api_read.c (everything else), and mirror.c copies the
 * static read path to a directory.
 *
 * Thread-safety: fields are set before the daemon starts and read-only
 * afterwards, except where a field names its own lock.
 */
#ifndef MLOGD_MLOGD_H
#define MLOGD_MLOGD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "config.h"
#include "hash.h"
#include "metrics.h"
#include "sequencer.h"
#include "signers.h"
#include "store.h"
#include "tileread.h"
#include "witnessing.h"

/* A read connection with its own hash context, checked out per request. */
struct mlogd_reader {
	struct mlogd_store *store;
	struct mlog_hash *h;
	struct mlogd_tileread tiles;
	struct mlogd_reader *next_free;
};

struct mlogd_pool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	struct mlogd_reader *free_list;   /* guarded by lock */
	struct mlogd_reader *all;
	size_t n;
};

/*
 * Seam for witnessing (issue: mlog-witness): returns the checkpoint to
 * serve for head as a malloc'd note (log signature first, then witness
 * cosignatures), or NULL to serve head's own note.
 */
struct mlogd_cosigned {
	char *(*get)(void *ctx, const struct mlogd_head *head, size_t *len);
	void *ctx;
};

struct mlogd {
	const struct mlogd_config *cfg;
	struct mlogd_seq *seq;
	struct mlogd_signers *signers;
	struct mlogd_metrics *metrics;
	struct mlogd_pool pool;
	struct MHD_Daemon *daemon;
	/* The listen socket MHD_quiesce_daemon handed back: closed only
	 * after MHD_stop_daemon (MHD's rule: a worker thread may still poll
	 * it until then). MHD_INVALID_SOCKET before a quiesce. */
	MHD_socket quiesced_listen;
	struct mlogd_cosigned cosigned;
	struct mlogd_witnessing *witnessing;  /* NULL without --witness */
	pthread_mutex_t inflight_lock;
	/* Requests begun (first handler call) and not yet completed (MHD's
	 * completion callback), guarded by inflight_lock: the SIGTERM drain
	 * waits for them, including bodies still being uploaded. */
	unsigned inflight;
};

/* ---- pool.c ---- */
int mlogd_pool_init(struct mlogd_pool *p, const char *db_path, size_t n,
	struct mlog_error *err) MLOG_MUST_CHECK;
void mlogd_pool_clear(struct mlogd_pool *p);
/* A free reader, waiting for one if all are in use; it holds a read
 * transaction (mlogd_store_read_begin) until put back: get it per request
 * and put it back before the request ends. */
struct mlogd_reader *mlogd_pool_get(struct mlogd_pool *p);
void mlogd_pool_put(struct mlogd_pool *p, struct mlogd_reader *r);

/* ---- http.c ---- */
int mlogd_http_start(struct mlogd *d, struct mlog_error *err) MLOG_MUST_CHECK;
/* Stops accepting connections; in-flight requests continue. */
void mlogd_http_quiesce(struct mlogd *d);
void mlogd_http_stop(struct mlogd *d);

/* Response helpers; each queues exactly one response and returns MHD's
 * result. Every error body is {"error":"<message>"} (SPEC §3). */
enum MHD_Result mlogd_respond_error(struct MHD_Connection *c, int status,
	const char *fmt, ...) __attribute__((format(printf, 3, 4)));
enum MHD_Result mlogd_respond_bytes(struct MHD_Connection *c, int status,
	const char *content_type, const char *cache_control,
	const void *data, size_t len);
/* Takes ownership of the malloc'd buffer. */
enum MHD_Result mlogd_respond_owned(struct MHD_Connection *c, int status,
	const char *content_type, const char *cache_control, char *data,
	size_t len);

/* ---- api_read.c ---- */
/* The route (enum mlogd_route) a path belongs to, whatever the method:
 * MLOGD_ROUTE_SUBMIT for /v1/entries (POST only), a read route for the
 * paths mlogd_api_get serves, else MLOGD_ROUTE_OTHER. */
int mlogd_api_route(const char *url);
/* Answers a GET or HEAD of a read route (404 for any other path). */
enum MHD_Result mlogd_api_get(struct mlogd *d, struct MHD_Connection *c,
	const char *url, int *route /* OUT: enum mlogd_route */,
	int *status /* OUT */);

/* ---- api_write.c ---- */
struct mlogd_post;
struct mlogd_post *mlogd_post_new(struct mlogd *d, struct MHD_Connection *c);
void mlogd_post_free(struct mlogd_post *p);
enum MHD_Result mlogd_post_step(struct mlogd_post *p, const char *data,
	size_t *data_size, int *status /* OUT: 0 until answered */);

/* Builds the JSON receipt / proof objects shared by both APIs. */
char *mlogd_receipt_json(struct mlogd_reader *r, const struct mlogd_head *h,
	uint64_t index, size_t *len, struct mlog_error *err);

#endif
