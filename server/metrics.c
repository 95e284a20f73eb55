/*
 * metrics.c — Prometheus counters and histograms; see metrics.h.
 */
#include "metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BUCKETS 16

/* HTTP statuses counted per route; anything else counts as "other". */
static const int known_codes[] = { 200, 201, 304, 400, 403, 404, 405, 409,
	413, 422, 429, 500, 503 };
#define NCODES (sizeof(known_codes) / sizeof(known_codes[0]))

static const char *const route_names[MLOGD_ROUTE_COUNT] = {
	"submit", "checkpoint", "tile", "entries_bundle", "proof_inclusion",
	"proof_consistency", "entry", "search", "metrics", "healthz", "other",
};

static const char *const reject_names[MLOGD_REJECT_COUNT] = {
	"malformed_envelope", "bad_statement", "unknown_predicate",
	"no_valid_signature", "too_large", "empty_body", "queue_full",
	"shutting_down", "bad_request",
};

struct histogram_def {
	const char *name;
	const char *help;
	double bounds[MAX_BUCKETS];
	size_t nbounds;
};

static const struct histogram_def histogram_defs[MLOGD_HIST_COUNT] = {
	[MLOGD_HIST_BATCH_SIZE] = { "mlogd_batch_size",
		"Entries sequenced per committed batch.",
		{ 1, 4, 16, 64, 256, 1024, 4096, 16384 }, 8 },
	[MLOGD_HIST_SEQ_LATENCY] = { "mlogd_sequencing_latency_seconds",
		"Time from queueing an entry to its durable commit.",
		{ 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.5, 1, 2.5,
		  5 }, 12 },
	[MLOGD_HIST_COMMIT] = { "mlogd_commit_seconds",
		"Duration of one batch's SQLite transaction.",
		{ 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1 },
		10 },
};

struct histogram {
	uint64_t counts[MAX_BUCKETS + 1];   /* last = +Inf overflow */
	uint64_t count;
	double sum;
};

struct counters {
	uint64_t entries, duplicates;
	uint64_t requests[MLOGD_ROUTE_COUNT][NCODES + 1];
	uint64_t rejects[MLOGD_REJECT_COUNT];
	struct histogram hist[MLOGD_HIST_COUNT];
};

struct mlogd_metrics {
	pthread_mutex_t lock;
	struct counters c;       /* guarded by lock */
};

struct mlogd_metrics *mlogd_metrics_new(void)
{
	struct mlogd_metrics *m = calloc(1, sizeof(*m));

	if (m != NULL && pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		m = NULL;
	}
	return m;
}

void mlogd_metrics_free(struct mlogd_metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void mlogd_metrics_request(struct mlogd_metrics *m, int route, int status)
{
	size_t code = NCODES;

	if (m == NULL || route < 0 || route >= MLOGD_ROUTE_COUNT)
		return;
	for (size_t i = 0; i < NCODES; i++) {
		if (known_codes[i] == status)
			code = i;
	}
	pthread_mutex_lock(&m->lock);
	m->c.requests[route][code]++;
	pthread_mutex_unlock(&m->lock);
}

void mlogd_metrics_reject(struct mlogd_metrics *m, int reason)
{
	if (m == NULL || reason < 0 || reason >= MLOGD_REJECT_COUNT)
		return;
	pthread_mutex_lock(&m->lock);
	m->c.rejects[reason]++;
	pthread_mutex_unlock(&m->lock);
}

void mlogd_metrics_observe(struct mlogd_metrics *m, int id, double value)
{
	const struct histogram_def *def;
	struct histogram *hist;
	size_t b = 0;

	if (m == NULL || id < 0 || id >= MLOGD_HIST_COUNT)
		return;
	def = &histogram_defs[id];
	while (b < def->nbounds && value > def->bounds[b])
		b++;
	pthread_mutex_lock(&m->lock);
	hist = &m->c.hist[id];
	hist->counts[b]++;
	hist->count++;
	hist->sum += value;
	pthread_mutex_unlock(&m->lock);
}

void mlogd_metrics_add_entries(struct mlogd_metrics *m, uint64_t fresh,
	uint64_t duplicates)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	m->c.entries += fresh;
	m->c.duplicates += duplicates;
	pthread_mutex_unlock(&m->lock);
}

/* A growing output buffer; on allocation failure it stops growing and
 * remembers that. */
struct out {
	char *buf;
	size_t len, cap;
	int failed;
};

__attribute__((format(printf, 2, 3)))
static void outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->failed = 1;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		{
			size_t cap = o->cap * 2 + (size_t)n;
			char *grown = realloc(o->buf, cap);

			if (grown == NULL) {
				o->failed = 1;
				return;
			}
			o->buf = grown;
			o->cap = cap;
		}
	}
}

int mlogd_metrics_format(struct mlogd_metrics *m, uint64_t tree_size,
	size_t queue_depth, char **out, size_t *out_len)
{
	struct counters snap;
	struct out o = { malloc(8192), 0, 8192, 0 };

	if (o.buf == NULL)
		return -1;
	pthread_mutex_lock(&m->lock);
	snap = m->c;
	pthread_mutex_unlock(&m->lock);

	outf(&o, "# HELP mlogd_entries_total New entries sequenced.\n"
		"# TYPE mlogd_entries_total counter\n"
		"mlogd_entries_total %llu\n",
		(unsigned long long)snap.entries);
	outf(&o, "# HELP mlogd_duplicates_total Submissions answered with an "
		"existing index.\n# TYPE mlogd_duplicates_total counter\n"
		"mlogd_duplicates_total %llu\n",
		(unsigned long long)snap.duplicates);
	outf(&o, "# HELP mlogd_tree_size Size of the latest checkpoint.\n"
		"# TYPE mlogd_tree_size gauge\nmlogd_tree_size %llu\n",
		(unsigned long long)tree_size);
	outf(&o, "# HELP mlogd_queue_depth Entries accepted and waiting for "
		"the sequencer.\n# TYPE mlogd_queue_depth gauge\n"
		"mlogd_queue_depth %zu\n", queue_depth);
	for (int id = 0; id < MLOGD_HIST_COUNT; id++) {
		const struct histogram_def *def = &histogram_defs[id];
		const struct histogram *hist = &snap.hist[id];
		uint64_t cumulative = 0;

		outf(&o, "# HELP %s %s\n# TYPE %s histogram\n", def->name,
			def->help, def->name);
		for (size_t b = 0; b < def->nbounds; b++) {
			cumulative += hist->counts[b];
			outf(&o, "%s_bucket{le=\"%g\"} %llu\n", def->name,
				def->bounds[b], (unsigned long long)cumulative);
		}
		outf(&o, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9g\n"
			"%s_count %llu\n", def->name,
			(unsigned long long)hist->count, def->name, hist->sum,
			def->name, (unsigned long long)hist->count);
	}
	outf(&o, "# HELP mlogd_http_requests_total HTTP requests by route "
		"and status.\n# TYPE mlogd_http_requests_total counter\n");
	for (int r = 0; r < MLOGD_ROUTE_COUNT; r++) {
		for (size_t c = 0; c <= NCODES; c++) {
			char code[16];

			if (snap.requests[r][c] == 0)
				continue;
			if (c < NCODES)
				snprintf(code, sizeof(code), "%d",
					known_codes[c]);
			else
				snprintf(code, sizeof(code), "other");
			outf(&o, "mlogd_http_requests_total{route=\"%s\","
				"code=\"%s\"} %llu\n", route_names[r], code,
				(unsigned long long)snap.requests[r][c]);
		}
	}
	outf(&o, "# HELP mlogd_rejections_total Submissions refused, by "
		"reason.\n# TYPE mlogd_rejections_total counter\n");
	for (int r = 0; r < MLOGD_REJECT_COUNT; r++)
		outf(&o, "mlogd_rejections_total{reason=\"%s\"} %llu\n",
			reject_names[r], (unsigned long long)snap.rejects[r]);
	if (o.failed) {
		free(o.buf);
		return -1;
	}
	*out = o.buf;
	*out_len = o.len;
	return 0;
}
