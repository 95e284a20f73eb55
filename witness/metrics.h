/*
 * metrics.h — mlog-witness's Prometheus metrics (text exposition format
 * 0.0.4, SPEC §1).
 *
 * Exposed (all prefixed mlog_witness_):
 *   cosignatures_total{origin}                 counter, since start
 *   last_cosign_timestamp_seconds{origin}      gauge (Unix time), once a
 *                                              log has been co-signed
 *   tree_size{origin}                          gauge, stored size
 *   evidence_total{origin}                     counter: requests refused
 *                                              and kept as evidence since
 *                                              start
 *   evidence_records{origin}                   gauge: evidence rows stored
 *   http_requests_total{route,code}            counter
 *   queue_depth                                gauge
 *   commits_total{result}                      counter (ok, failed)
 *   batch_size                                 histogram (requests per
 *                                              transaction)
 *   commit_seconds                             histogram (one transaction,
 *                                              fsync included)
 *
 * Label values are bounded: routes and statuses are enums, origins are
 * the configured logs (escaped as the format requires), never request
 * input.
 *
 * Invariants: (1) a scrape sees each counter set at one instant (one
 * mutex for the global ones, each log's lock for its own); (2) histogram
 * buckets are stored per bucket and made cumulative when formatted.
 *
 * Thread-safety: every function may be called from any thread.
 * Ownership: witness_metrics_new / witness_metrics_free;
 * witness_metrics_format returns a malloc'd string.
 */
#ifndef WITNESS_METRICS_H
#define WITNESS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "logs.h"

enum witness_route {
	WITNESS_ROUTE_ADD,          /* POST /add-checkpoint */
	WITNESS_ROUTE_CHECKPOINT,   /* GET /<hex>/checkpoint */
	WITNESS_ROUTE_METRICS,
	WITNESS_ROUTE_HEALTHZ,
	WITNESS_ROUTE_OTHER,
	WITNESS_ROUTE_COUNT
};

struct witness_metrics;

struct witness_metrics *witness_metrics_new(void);
void witness_metrics_free(struct witness_metrics *m);

void witness_metrics_request(struct witness_metrics *m, int route,
	int status);

/* One batch of n requests, committed (ok) or not, in seconds. */
void witness_metrics_commit(struct witness_metrics *m, size_t n,
	double seconds, int ok);

/*
 * The whole exposition, with the per-log values read from ls and the
 * queue depth given. *out malloc'd (caller frees). Returns 0 or -1 (out
 * of memory).
 */
int witness_metrics_format(struct witness_metrics *m,
	const struct witness_logs *ls, size_t queue_depth,
	char **out /* OUT */, size_t *out_len /* OUT */);

#endif
