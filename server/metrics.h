/*
 * metrics.h — mlogd's Prometheus metrics (text exposition format 0.0.4).
 *
 * A fixed set of counters and histograms, each with a name, help text and
 * bounded label values (routes, statuses and rejection reasons are enums,
 * never user input), so the output size and memory are constant.
 *
 * Exposed (all prefixed mlogd_):
 *   entries_total, duplicates_total          counters
 *   tree_size, queue_depth                   gauges (read at scrape time)
 *   batch_size                               histogram (entries/batch)
 *   sequencing_latency_seconds               histogram (queue -> durable)
 *   commit_seconds                           histogram (one transaction)
 *   http_requests_total{route,code}          counter
 *   rejections_total{reason}                 counter
 *
 * Invariants: (1) histogram bucket counts are cumulative only when
 * formatted; stored per bucket. (2) All updates are atomic w.r.t. a scrape.
 *
 * Thread-safety: every function may be called from any thread (one mutex;
 * updates are a few increments).
 * Ownership: mlogd_metrics_new/mlogd_metrics_free; mlogd_metrics_format
 * returns a malloc'd string.
 */
#ifndef MLOGD_METRICS_H
#define MLOGD_METRICS_H

#include <stddef.h>
#include <stdint.h>

enum mlogd_route {
	MLOGD_ROUTE_SUBMIT,
	MLOGD_ROUTE_CHECKPOINT,
	MLOGD_ROUTE_TILE,
	MLOGD_ROUTE_BUNDLE,
	MLOGD_ROUTE_PROOF_INCLUSION,
	MLOGD_ROUTE_PROOF_CONSISTENCY,
	MLOGD_ROUTE_ENTRY,
	MLOGD_ROUTE_SEARCH,
	MLOGD_ROUTE_METRICS,
	MLOGD_ROUTE_HEALTHZ,
	MLOGD_ROUTE_OTHER,
	MLOGD_ROUTE_COUNT
};

enum mlogd_reject {
	MLOGD_REJECT_MALFORMED_ENVELOPE,  /* not a DSSE envelope */
	MLOGD_REJECT_BAD_STATEMENT,       /* payload not a valid Statement */
	MLOGD_REJECT_UNKNOWN_PREDICATE,
	MLOGD_REJECT_NO_VALID_SIGNATURE,  /* 403 */
	MLOGD_REJECT_TOO_LARGE,           /* 413 */
	MLOGD_REJECT_EMPTY_BODY,
	MLOGD_REJECT_QUEUE_FULL,          /* 429 */
	MLOGD_REJECT_SHUTTING_DOWN,       /* 503 */
	MLOGD_REJECT_BAD_REQUEST,         /* other 400s on read routes */
	MLOGD_REJECT_COUNT
};

enum mlogd_histogram_id {
	MLOGD_HIST_BATCH_SIZE,
	MLOGD_HIST_SEQ_LATENCY,
	MLOGD_HIST_COMMIT,
	MLOGD_HIST_COUNT
};

struct mlogd_metrics;

struct mlogd_metrics *mlogd_metrics_new(void);
void mlogd_metrics_free(struct mlogd_metrics *m);

void mlogd_metrics_request(struct mlogd_metrics *m, int route, int status);
void mlogd_metrics_reject(struct mlogd_metrics *m, int reason);
void mlogd_metrics_observe(struct mlogd_metrics *m, int histogram,
	double value);
void mlogd_metrics_add_entries(struct mlogd_metrics *m, uint64_t fresh,
	uint64_t duplicates);

/*
 * The whole exposition, with the gauges given. *out malloc'd (caller
 * frees). Returns 0 or -1 (out of memory).
 */
int mlogd_metrics_format(struct mlogd_metrics *m, uint64_t tree_size,
	size_t queue_depth, char **out /* OUT */, size_t *out_len /* OUT */);

#endif
