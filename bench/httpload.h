/*
 * httpload.h — a closed-loop HTTP/1.1 load engine for the benchmarks: N
 * keep-alive connections on one epoll loop, each with one request in
 * flight, the next sent as soon as the answer is complete.
 *
 * Why not libcurl (which the product uses): the benchmarks run the load
 * generator on the same two cores as the server, and libcurl's per-request
 * work (handle reset, header parsing, callbacks) cost about as much CPU as
 * the server's answer to a proof request. This engine renders each request
 * once into a buffer, reads answers with one read() per arrival and knows
 * just enough HTTP for a server it trusts: a status line, headers and a
 * Content-Length body (no chunked encoding; an answer without a length is
 * counted as a failure).
 *
 * Invariants: each connection has at most one request outstanding; every
 * request index in [0, count) is sent exactly once and gets a status and a
 * latency (status -1 when the connection failed).
 */
#ifndef MLOG_BENCH_HTTPLOAD_H
#define MLOG_BENCH_HTTPLOAD_H

#include <stddef.h>

/* One request: head (request line and headers, ending in the blank line)
 * and an optional body sent after it. */
struct httpload_request {
	char head[1024];
	size_t head_len;
	const char *body;     /* borrowed; may be NULL */
	size_t body_len;
};

/* Fills *out with request i (0 <= i < count). */
typedef void (*httpload_make_fn)(void *ctx, size_t i,
	struct httpload_request *out);

struct httpload_result {
	double seconds;       /* first send to last answer */
	size_t ok;            /* 2xx answers */
	double *latency;      /* [count], seconds, malloc'd */
	long *status;         /* [count], malloc'd; -1: connection failed */
	char first_failure[256];  /* status line and start of the body */
};

/*
 * Parses "http://HOST:PORT" (no path) into host and port. Returns 0 or -1.
 */
int httpload_parse_url(const char *url, char *host, size_t host_cap,
	unsigned *port);

/*
 * Sends count requests made by make over `clients` connections to
 * host:port, spread over `threads` event loops (each with its own share
 * of the connections and requests). Fills *res (free with
 * httpload_result_clear). Returns 0, or -1 if it could not connect at all.
 */
int httpload_run(const char *host, unsigned port, unsigned clients,
	unsigned threads, size_t count, httpload_make_fn make, void *ctx,
	struct httpload_result *res);

void httpload_result_clear(struct httpload_result *res);

#endif
