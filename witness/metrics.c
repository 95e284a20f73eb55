/*
 * metrics.c — Prometheus counters; see metrics.h.
 */
#include "metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* HTTP statuses counted per route; anything else counts as "other". */
static const int known_codes[] = { 200, 400, 403, 404, 405, 409, 413, 422,
	429, 500, 503 };
#define NCODES (sizeof(known_codes) / sizeof(known_codes[0]))

static const char *const route_names[WITNESS_ROUTE_COUNT] = {
	"add_checkpoint", "checkpoint", "metrics", "healthz", "other",
};

#define NBATCH 10
static const double batch_bounds[NBATCH] = { 1, 2, 4, 8, 16, 32, 64, 128,
	256, 1024 };
#define NCOMMIT 11
static const double commit_bounds[NCOMMIT] = { 0.0005, 0.001, 0.0025,
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1 };

struct histogram {
	uint64_t counts[16];       /* per bucket; the last is +Inf */
	uint64_t count;
	double sum;
};

struct counters {
	uint64_t requests[WITNESS_ROUTE_COUNT][NCODES + 1];
	uint64_t commits_ok, commits_failed;
	struct histogram batch, commit;
};

struct witness_metrics {
	pthread_mutex_t lock;
	struct counters c;             /* guarded by lock */
};

struct witness_metrics *witness_metrics_new(void)
{
	struct witness_metrics *m = calloc(1, sizeof(*m));

	if (m != NULL)
		pthread_mutex_init(&m->lock, NULL);
	return m;
}

void witness_metrics_free(struct witness_metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void witness_metrics_request(struct witness_metrics *m, int route,
	int status)
{
	size_t c = NCODES;

	if (route < 0 || route >= WITNESS_ROUTE_COUNT)
		route = WITNESS_ROUTE_OTHER;
	for (size_t i = 0; i < NCODES; i++) {
		if (known_codes[i] == status) {
			c = i;
			break;
		}
	}
	pthread_mutex_lock(&m->lock);
	m->c.requests[route][c]++;
	pthread_mutex_unlock(&m->lock);
}

static void observe(struct histogram *h, const double *bounds, size_t n,
	double v)
{
	size_t b = 0;

	while (b < n && v > bounds[b])
		b++;
	h->counts[b]++;
	h->count++;
	h->sum += v;
}

void witness_metrics_commit(struct witness_metrics *m, size_t n,
	double seconds, int ok)
{
	pthread_mutex_lock(&m->lock);
	if (ok)
		m->c.commits_ok++;
	else
		m->c.commits_failed++;
	observe(&m->c.batch, batch_bounds, NBATCH, (double)n);
	observe(&m->c.commit, commit_bounds, NCOMMIT, seconds);
	pthread_mutex_unlock(&m->lock);
}

/* A growing output buffer; failed is sticky. */
struct out {
	char *buf;
	size_t len, cap;
	int failed;
};

static void outf(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

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
		} else {
			size_t cap = 2 * o->cap + (size_t)n;
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

/* A label value with '\\', '"' and newlines escaped (format 0.0.4). */
static char *label(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(2 * n + 1), *p = out;

	if (out == NULL)
		return NULL;
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"') {
			*p++ = '\\';
			*p++ = *s;
		} else if (*s == '\n') {
			*p++ = '\\';
			*p++ = 'n';
		} else {
			*p++ = *s;
		}
	}
	*p = '\0';
	return out;
}

static void histogram_out(struct out *o, const char *name, const char *help,
	const struct histogram *h, const double *bounds, size_t n)
{
	uint64_t cumulative = 0;

	outf(o, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	for (size_t b = 0; b < n; b++) {
		cumulative += h->counts[b];
		outf(o, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[b],
			(unsigned long long)cumulative);
	}
	outf(o, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9g\n%s_count %llu\n",
		name, (unsigned long long)h->count, name, h->sum, name,
		(unsigned long long)h->count);
}

/* Per-log values, read under each log's lock. */
struct log_snap {
	char *origin;              /* escaped */
	uint64_t size, last_cosign, cosignatures, evidence, stored;
};

static void per_log(struct out *o, const struct log_snap *s, size_t n,
	const char *name, const char *type, const char *help, size_t field)
{
	outf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
	for (size_t i = 0; i < n; i++) {
		uint64_t v = *(const uint64_t *)((const char *)&s[i] + field);

		if (field == offsetof(struct log_snap, last_cosign) && v == 0)
			continue;      /* never co-signed: no sample */
		outf(o, "%s{origin=\"%s\"} %llu\n", name, s[i].origin,
			(unsigned long long)v);
	}
}

int witness_metrics_format(struct witness_metrics *m,
	const struct witness_logs *ls, size_t queue_depth, char **out,
	size_t *out_len)
{
	struct counters snap;
	struct out o = { malloc(8192), 0, 8192, 0 };
	struct log_snap *logs = calloc(ls->n + 1, sizeof(*logs));

	if (o.buf == NULL || logs == NULL) {
		free(o.buf);
		free(logs);
		return -1;
	}
	for (size_t i = 0; i < ls->n; i++) {
		struct witness_log *l = &ls->v[i];

		logs[i].origin = label(l->origin);
		if (logs[i].origin == NULL)
			o.failed = 1;
		pthread_mutex_lock(&l->lock);
		logs[i].size = l->size;
		logs[i].last_cosign = l->last_cosign;
		logs[i].cosignatures = l->cosignatures;
		logs[i].evidence = l->evidence;
		logs[i].stored = l->evidence_stored;
		pthread_mutex_unlock(&l->lock);
	}
	pthread_mutex_lock(&m->lock);
	snap = m->c;
	pthread_mutex_unlock(&m->lock);

	if (!o.failed) {
		per_log(&o, logs, ls->n, "mlog_witness_cosignatures_total",
			"counter",
			"Checkpoints co-signed since start, per log.",
			offsetof(struct log_snap, cosignatures));
		per_log(&o, logs, ls->n,
			"mlog_witness_last_cosign_timestamp_seconds", "gauge",
			"Time of the latest cosignature, per log.",
			offsetof(struct log_snap, last_cosign));
		per_log(&o, logs, ls->n, "mlog_witness_tree_size", "gauge",
			"Size of the latest co-signed checkpoint, per log.",
			offsetof(struct log_snap, size));
		per_log(&o, logs, ls->n, "mlog_witness_evidence_total",
			"counter", "Log-signed checkpoints refused as "
			"inconsistent and kept as evidence, since start.",
			offsetof(struct log_snap, evidence));
		per_log(&o, logs, ls->n, "mlog_witness_evidence_records",
			"gauge", "Evidence records stored, per log.",
			offsetof(struct log_snap, stored));
	}
	outf(&o, "# HELP mlog_witness_http_requests_total HTTP requests by "
		"route and status.\n"
		"# TYPE mlog_witness_http_requests_total counter\n");
	for (int r = 0; r < WITNESS_ROUTE_COUNT; r++) {
		for (size_t c = 0; c <= NCODES; c++) {
			char code[16];

			if (snap.requests[r][c] == 0)
				continue;
			if (c < NCODES)
				snprintf(code, sizeof(code), "%d",
					known_codes[c]);
			else
				snprintf(code, sizeof(code), "other");
			outf(&o, "mlog_witness_http_requests_total{"
				"route=\"%s\",code=\"%s\"} %llu\n",
				route_names[r], code,
				(unsigned long long)snap.requests[r][c]);
		}
	}
	outf(&o, "# HELP mlog_witness_queue_depth Requests waiting for the "
		"committer.\n# TYPE mlog_witness_queue_depth gauge\n"
		"mlog_witness_queue_depth %zu\n", queue_depth);
	outf(&o, "# HELP mlog_witness_commits_total State transactions, by "
		"result.\n# TYPE mlog_witness_commits_total counter\n"
		"mlog_witness_commits_total{result=\"ok\"} %llu\n"
		"mlog_witness_commits_total{result=\"failed\"} %llu\n",
		(unsigned long long)snap.commits_ok,
		(unsigned long long)snap.commits_failed);
	histogram_out(&o, "mlog_witness_batch_size",
		"Add-checkpoint requests decided per transaction.",
		&snap.batch, batch_bounds, NBATCH);
	histogram_out(&o, "mlog_witness_commit_seconds",
		"Duration of one state transaction, fsync included.",
		&snap.commit, commit_bounds, NCOMMIT);
	for (size_t i = 0; i < ls->n; i++)
		free(logs[i].origin);
	free(logs);
	if (o.failed) {
		free(o.buf);
		return -1;
	}
	*out = o.buf;
	*out_len = o.len;
	return 0;
}
