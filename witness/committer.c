/*
 * committer.c — batches of add-checkpoint decisions, one transaction
 * each; see committer.h.
 */
#include "committer.h"

#include <assert.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../server/log.h"

struct witness_committer {
	struct witness_committer_config cfg;
	struct mlog_hash *h;               /* owned by the thread */
	pthread_t thread;
	int started;

	pthread_mutex_t lock;              /* guards the fields below */
	pthread_cond_t wake;
	struct witness_job *head, *tail;   /* the queue */
	size_t depth;
	int stopping;
	int failing;
};

#ifndef NDEBUG
/* The queue's shape (caller holds c->lock). O(depth), which
 * max-connections bounds. */
static void check_invariants(const struct witness_committer *c)
{
	size_t n = 0;

	assert((c->head == NULL) == (c->tail == NULL));
	for (const struct witness_job *j = c->head; j != NULL; j = j->next) {
		assert(j->done != NULL);
		assert(j->next != NULL || j == c->tail);
		n++;
	}
	assert(n == c->depth);
}
#else
#define check_invariants(c) ((void)0)
#endif

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Answers every job of a batch that could not be committed. */
static void fail_all(struct witness_job *batch, const char *why)
{
	for (struct witness_job *j = batch; j != NULL; j = j->next)
		witness_add_fail(&j->add, 500, why);
}

/* Calls done() for every job; a job may be freed by its done(), so the
 * next pointer is read first. */
static void finish(struct witness_job *batch)
{
	while (batch != NULL) {
		struct witness_job *next = batch->next;

		batch->next = NULL;
		batch->done(batch);
		batch = next;
	}
}

/* One transaction: decide each job in order, commit once (the fsync),
 * then publish (invariant 1). */
static void run_batch(struct witness_committer *c, struct witness_job *batch,
	size_t n)
{
	struct mlog_error err = { 0, "" };
	uint64_t now = (uint64_t)time(NULL);
	double t0 = mono();
	int ok;

	ok = witness_store_begin(c->cfg.store, &err) == MLOG_OK;
	if (ok) {
		for (struct witness_job *j = batch; j != NULL; j = j->next)
			witness_add_decide(&j->add, c->cfg.store, c->h,
				c->cfg.key, now);
		ok = witness_store_commit(c->cfg.store, &err) == MLOG_OK;
		if (!ok)
			witness_store_rollback(c->cfg.store);
	}
	if (ok) {
		for (struct witness_job *j = batch; j != NULL; j = j->next) {
			/* The one event worth a line per request: a
			 * log-signed checkpoint kept as evidence. */
			if (j->add.evidence)
				mlogd_log("evidence: log %s, size %" PRIu64
					", old %" PRIu64 ": %d %s%s",
					j->add.log->origin, j->add.req.cp.size,
					j->add.req.old, j->add.status,
					j->add.msg, j->add.evidence_fresh ? ""
					: " (seen before)");
			witness_add_apply(&j->add);
		}
	} else {
		mlogd_log("couldn't commit a batch of %zu requests: %s", n,
			err.msg);
		fail_all(batch, "the witness could not store its state; "
			"retry later");
	}
	pthread_mutex_lock(&c->lock);
	c->failing = !ok;
	pthread_mutex_unlock(&c->lock);
	if (c->cfg.metrics != NULL)
		witness_metrics_commit(c->cfg.metrics, n, mono() - t0, ok);
	finish(batch);
}

static void *committer_main(void *arg)
{
	struct witness_committer *c = arg;

	for (;;) {
		struct witness_job *batch, *last;
		size_t n = 1;

		pthread_mutex_lock(&c->lock);
		while (c->head == NULL && !c->stopping)
			pthread_cond_wait(&c->wake, &c->lock);
		check_invariants(c);
		if (c->head == NULL) {
			pthread_mutex_unlock(&c->lock);
			break;
		}
		batch = last = c->head;
		while (last->next != NULL && n < c->cfg.batch_max) {
			last = last->next;
			n++;
		}
		c->head = last->next;
		if (c->head == NULL)
			c->tail = NULL;
		last->next = NULL;
		c->depth -= n;
		pthread_mutex_unlock(&c->lock);
		run_batch(c, batch, n);
	}
	return NULL;
}

int witness_committer_start(struct witness_committer **out,
	const struct witness_committer_config *cfg, struct mlog_error *err)
{
	struct witness_committer *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	c->cfg = *cfg;
	if (c->cfg.batch_max == 0)
		c->cfg.batch_max = 1;
	c->h = mlog_hash_new();
	if (c->h == NULL) {
		free(c);
		return mlog_error_set(err, MLOG_ERR_NOMEM,
			"couldn't create a hash context");
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	if (pthread_create(&c->thread, NULL, committer_main, c) != 0) {
		witness_committer_free(c);
		return mlog_error_set(err, MLOG_ERR_INTERNAL,
			"couldn't start the committer thread");
	}
	c->started = 1;
	*out = c;
	return MLOG_OK;
}

void witness_committer_submit(struct witness_committer *c,
	struct witness_job *j)
{
	j->next = NULL;
	pthread_mutex_lock(&c->lock);
	if (c->stopping) {
		pthread_mutex_unlock(&c->lock);
		witness_add_fail(&j->add, 503, "the witness is shutting down");
		j->done(j);
		return;
	}
	if (c->tail != NULL)
		c->tail->next = j;
	else
		c->head = j;
	c->tail = j;
	c->depth++;
	check_invariants(c);
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
}

size_t witness_committer_depth(struct witness_committer *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->depth;
	pthread_mutex_unlock(&c->lock);
	return n;
}

int witness_committer_failing(struct witness_committer *c)
{
	int f;

	pthread_mutex_lock(&c->lock);
	f = c->failing;
	pthread_mutex_unlock(&c->lock);
	return f;
}

void witness_committer_stop(struct witness_committer *c)
{
	if (c == NULL || !c->started)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	c->started = 0;
}

void witness_committer_free(struct witness_committer *c)
{
	if (c == NULL)
		return;
	witness_committer_stop(c);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->wake);
	mlog_hash_free(c->h);
	free(c);
}
