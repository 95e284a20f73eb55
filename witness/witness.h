/*
 * witness.h — mlog-witness's running context and the HTTP front end
 * (SPEC §4, C2SP tlog-witness; C2SP-NOTES §4).
 *
 * One struct witness holds what a serving witness has: its configuration,
 * the configured logs with their live state (logs.h), the committer that
 * owns the state database (committer.h), metrics, and the HTTP daemon.
 * main.c builds it; http.c serves:
 *
 *   POST /add-checkpoint       add.h: 200 cosignature lines, 400, 403,
 *                              404, 409 (text/x.tlog.size), 413, 422,
 *                              429 (Retry-After), 500, 503
 *   GET  /<hex>/checkpoint     the latest co-signed checkpoint of the log
 *                              whose origin hashes (SHA-256, lowercase
 *                              hex) to <hex>: the log's verified
 *                              signatures and this witness's cosignature;
 *                              404 if never co-signed or unknown
 *   GET  /metrics, /healthz    metrics.h; "ok" (503 while the state
 *                              cannot be written)
 *
 * Error bodies are one text line naming what is wrong (C2SP bodies are
 * text, not JSON). A POST body is never read past
 * MLOG_WITNESS_REQ_MAX_BYTES: a larger Content-Length is answered 413
 * before any body byte is read; a body sent without a length (chunked)
 * that grows past it has its connection closed as soon as it does
 * (libmicrohttpd cannot answer in the middle of an upload). Every other
 * route answers at the first call, before reading any body.
 *
 * Request life (POST /add-checkpoint):
 *
 *   RECEIVING --complete--> judged --final--> answered
 *       |                      |
 *       | > 16 KiB             +--pending: suspend, submit--> WAITING
 *       v                                                        |
 *   413 (announced) or            committer's done(): resume <---+
 *   connection closed (chunked)   --> answered (after COMMIT)
 *
 * Shutdown (SIGTERM, SPEC §6): stop accepting connections
 * (witness_http_quiesce), wait until every request begun is answered
 * (inflight reaches 0; suspended ones are answered once their batch
 * commits), stop the committer, stop the daemon.
 *
 * Thread-safety: fields are set before the daemon starts and read-only
 * afterwards, except inflight (inflight_lock).
 */
#ifndef WITNESS_WITNESS_H
#define WITNESS_WITNESS_H

#include <pthread.h>

#include <microhttpd.h>

#include "committer.h"
#include "config.h"
#include "err.h"
#include "logs.h"
#include "metrics.h"

struct witness {
	const struct witness_config *cfg;
	struct witness_logs *logs;
	struct witness_committer *committer;
	struct witness_metrics *metrics;
	unsigned rate, burst;             /* add-checkpoint rate limit */
	struct MHD_Daemon *daemon;
	/* The listen socket MHD_quiesce_daemon handed back: closed only
	 * after MHD_stop_daemon (MHD's rule). MHD_INVALID_SOCKET before. */
	MHD_socket quiesced_listen;
	pthread_mutex_t inflight_lock;
	unsigned inflight;                /* requests begun, not finished */
};

/* Starts the daemon on cfg->listen_host:listen_port. Returns 0,
 * MLOG_ERR_MALFORMED (not an IPv4 address) or MLOG_ERR_IO. */
int witness_http_start(struct witness *w, struct mlog_error *err)
	MLOG_MUST_CHECK;

/* Stops accepting connections; requests in progress continue. */
void witness_http_quiesce(struct witness *w);

/* Requests begun and not yet finished. */
unsigned witness_http_inflight(struct witness *w);

void witness_http_stop(struct witness *w);

#endif
