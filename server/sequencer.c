/*
 * sequencer.c — group commit of accepted entries; see sequencer.h for the
 * state machine and invariants.
 */
#include "sequencer.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checkpoint.h"
#include "checkpointer.h"
#include "codec.h"
#include "edge.h"
#include "log.h"
#include "tile.h"
#include "tileread.h"

enum seq_state { SEQ_RUNNING, SEQ_DRAINING, SEQ_FAILED, SEQ_STOPPED };

struct mlogd_seq {
	struct mlogd_seq_config cfg;
	/* Owned by the sequencer thread. */
	struct mlogd_store *store;
	struct mlogd_edge *edge;
	struct mlog_hash *h;
	struct mlogd_tileread reads;   /* committed leaves, for dedup */
	struct mlogd_checkpointer *ckpt;  /* WAL checkpoints off the path */
	pthread_t thread;
	int thread_started;
	/* Guarded by lock. */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct mlogd_ticket *qhead, *qtail;
	size_t qlen;
	int64_t last_enqueue_ns;
	int state;                     /* enum seq_state */
	struct mlogd_head *head;
	struct mlogd_seq_stats stats;
};

static int64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- heads ------------------------------------------------------------ */

static void head_free(struct mlogd_head *h)
{
	if (h == NULL)
		return;
	free(h->note);
	free(h);
}

struct mlogd_head *mlogd_seq_head(struct mlogd_seq *q)
{
	struct mlogd_head *h;

	pthread_mutex_lock(&q->lock);
	h = q->head;
	h->refs++;
	pthread_mutex_unlock(&q->lock);
	return h;
}

void mlogd_seq_head_unref(struct mlogd_seq *q, struct mlogd_head *h)
{
	int last;

	if (h == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	last = --h->refs == 0;
	pthread_mutex_unlock(&q->lock);
	if (last)
		head_free(h);
}

/* Replaces the published head (invariant 3); takes over new's reference. */
static void publish(struct mlogd_seq *q, struct mlogd_head *fresh)
{
	struct mlogd_head *old;

	pthread_mutex_lock(&q->lock);
	assert(q->head == NULL || fresh->size > q->head->size);
	old = q->head;
	q->head = fresh;
	q->stats.tree_size = fresh->size;
	pthread_mutex_unlock(&q->lock);
	mlogd_seq_head_unref(q, old);
	if (q->cfg.listener.published != NULL)
		q->cfg.listener.published(q->cfg.listener.ctx, fresh);
}

/* ---- tickets ---------------------------------------------------------- */

void mlogd_ticket_clear(struct mlogd_seq *q, struct mlogd_ticket *t)
{
	free(t->data);
	for (size_t i = 0; i < t->nkeys; i++)
		free(t->keys[i].key);
	free(t->keys);
	for (size_t i = 0; i < t->nsigners; i++)
		free(t->signers[i]);
	free(t->signers);
	if (t->head != NULL)
		mlogd_seq_head_unref(q, t->head);
	t->data = NULL;
	t->keys = NULL;
	t->signers = NULL;
	t->head = NULL;
	t->nkeys = t->nsigners = 0;
}

int mlogd_seq_submit(struct mlogd_seq *q, struct mlogd_ticket *t)
{
	int rc = MLOG_OK;

	t->status = MLOGD_TICKET_WAITING;
	t->next = NULL;
	t->head = NULL;
	t->enqueued_ns = now_ns(CLOCK_MONOTONIC);
	pthread_mutex_lock(&q->lock);
	if (q->state != SEQ_RUNNING) {
		rc = MLOG_ERR_CONFLICT;
	} else if (q->qlen >= q->cfg.queue_max) {
		rc = MLOG_ERR_TOOBIG;
	} else {
		if (q->qtail != NULL)
			q->qtail->next = t;
		else
			q->qhead = t;
		q->qtail = t;
		q->qlen++;
		q->last_enqueue_ns = t->enqueued_ns;
		q->stats.queue_depth = q->qlen;
		if (q->qlen == 1 || q->qlen >= q->cfg.batch_max)
			pthread_cond_signal(&q->wake);
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

/* Answers every ticket of a batch; the head reference goes with it. */
static void complete(struct mlogd_seq *q, struct mlogd_ticket *batch,
	int failed)
{
	struct mlogd_head *head = failed ? NULL : mlogd_seq_head(q);
	int64_t now = now_ns(CLOCK_MONOTONIC);

	while (batch != NULL) {
		struct mlogd_ticket *next = batch->next;

		if (failed) {
			batch->status = MLOGD_TICKET_FAILED;
		} else {
			pthread_mutex_lock(&q->lock);
			head->refs++;
			pthread_mutex_unlock(&q->lock);
			batch->head = head;
			mlogd_metrics_observe(q->cfg.metrics,
				MLOGD_HIST_SEQ_LATENCY,
				(double)(now - batch->enqueued_ns) / 1e9);
		}
		batch->next = NULL;
		/* After done() the ticket belongs to its submitter again. */
		batch->done(batch);
		batch = next;
	}
	mlogd_seq_head_unref(q, head);
}

/* ---- dedup ------------------------------------------------------------ */

/* Open-addressing set of the batch's tickets by leaf hash. */
struct batch_set {
	struct mlogd_ticket **slots;
	size_t mask;
};

static int set_init(struct batch_set *s, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	s->slots = calloc(cap, sizeof(*s->slots));
	s->mask = cap - 1;
	return s->slots == NULL ? MLOG_ERR_NOMEM : MLOG_OK;
}

/* Returns the ticket with t's leaf hash already in the set, or inserts t
 * and returns NULL. */
static struct mlogd_ticket *set_find_or_add(struct batch_set *s,
	struct mlogd_ticket *t)
{
	size_t i = (size_t)mlog_codec_be64_get(t->leaf_hash) & s->mask;

	while (s->slots[i] != NULL) {
		if (memcmp(s->slots[i]->leaf_hash, t->leaf_hash,
			MLOG_HASH_BYTES) == 0)
			return s->slots[i];
		i = (i + 1) & s->mask;
	}
	s->slots[i] = t;
	return NULL;
}

/* ---- one batch -------------------------------------------------------- */

struct batch_rows {
	struct mlogd_search_row *search;
	size_t nsearch;
	struct mlogd_signer_row *signers;
	size_t nsigners;
};

static int collect_rows(struct batch_rows *r, struct mlogd_ticket *batch)
{
	size_t nsearch = 0, nsigners = 0;

	for (struct mlogd_ticket *t = batch; t != NULL; t = t->next) {
		if (t->status != MLOGD_TICKET_NEW)
			continue;
		nsearch += t->nkeys + t->nsigners;
		nsigners += t->nsigners;
	}
	r->search = calloc(nsearch + 1, sizeof(*r->search));
	r->signers = calloc(nsigners + 1, sizeof(*r->signers));
	if (r->search == NULL || r->signers == NULL)
		return MLOG_ERR_NOMEM;
	for (struct mlogd_ticket *t = batch; t != NULL; t = t->next) {
		if (t->status != MLOGD_TICKET_NEW)
			continue;
		for (size_t i = 0; i < t->nkeys; i++)
			r->search[r->nsearch++] = (struct mlogd_search_row){
				t->keys[i].kind, t->keys[i].key,
				strlen(t->keys[i].key), t->index };
		for (size_t i = 0; i < t->nsigners; i++) {
			r->search[r->nsearch++] = (struct mlogd_search_row){
				MLOGD_SEARCH_SIGNER, t->signers[i],
				strlen(t->signers[i]), t->index };
			r->signers[r->nsigners++] = (struct mlogd_signer_row){
				t->index, t->signers[i] };
		}
	}
	return MLOG_OK;
}

/* Signs the checkpoint for the edge's current size. */
static int sign_head(struct mlogd_seq *q, struct mlogd_head **out,
	struct mlog_error *err)
{
	struct mlogd_head *h = calloc(1, sizeof(*h));
	struct mlog_checkpoint c;
	int rc;

	if (h == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	h->size = mlogd_edge_size(q->edge);
	mlogd_edge_root(q->edge, h->root);
	h->signed_at = now_ns(CLOCK_REALTIME) / 1000000000;
	h->refs = 1;
	mlog_checkpoint_init(&c);
	c.origin = (char *)mlogd_store_origin(q->store);
	c.size = h->size;
	memcpy(c.root, h->root, MLOG_HASH_BYTES);
	rc = mlog_checkpoint_sign(&h->note, &h->note_len, &c, q->cfg.signer,
		1, err);
	if (rc != MLOG_OK) {
		free(h);
		return rc;
	}
	*out = h;
	return MLOG_OK;
}

/* Sequences one batch. Returns 0, or an error that makes the sequencer
 * FAILED (the batch's tickets are then answered as failed by the caller). */
static int run_batch(struct mlogd_seq *q, struct mlogd_ticket *batch,
	size_t n, struct mlog_error *err)
{
	struct batch_set set = { NULL, 0 };
	struct batch_rows rows = { NULL, 0, NULL, 0 };
	struct mlogd_store_batch b;
	const struct mlogd_blob_row *blobs = NULL;
	size_t nblobs = 0;
	uint8_t (*leaves)[MLOG_HASH_BYTES] = NULL;
	const uint8_t **entries = NULL;
	size_t *entry_lens = NULL;
	struct mlogd_head *head = NULL;
	uint64_t old_size = mlogd_edge_size(q->edge), fresh = 0, dups = 0;
	int64_t t0;
	int rc;

	rc = set_init(&set, n);
	leaves = malloc((n + 1) * MLOG_HASH_BYTES);
	entries = malloc((n + 1) * sizeof(*entries));
	entry_lens = malloc((n + 1) * sizeof(*entry_lens));
	if (rc != MLOG_OK || leaves == NULL || entries == NULL ||
	    entry_lens == NULL) {
		rc = mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (struct mlogd_ticket *t = batch; t != NULL; t = t->next) {
		struct mlogd_ticket *first = set_find_or_add(&set, t);
		uint64_t index;

		/* A duplicate of an earlier ticket of this batch takes its
		 * index now: once complete() has called that ticket's done(),
		 * its submitter may free it. */
		if (first != NULL) {
			t->status = MLOGD_TICKET_DUP;
			t->index = first->index;
			dups++;
			continue;
		}
		rc = mlogd_tileread_find(&q->reads, t->leaf_hash, old_size,
			&index);
		if (rc != MLOG_OK && rc != MLOG_ERR_NOTFOUND) {
			mlog_error_set(err, rc, "dedup lookup failed");
			goto out;
		}
		if (rc == MLOG_OK) {
			t->status = MLOGD_TICKET_DUP;
			t->index = index;
			dups++;
			continue;
		}
		t->status = MLOGD_TICKET_NEW;
		t->index = mlogd_edge_size(q->edge);
		entries[fresh] = t->data;
		entry_lens[fresh] = t->len;
		memcpy(leaves[fresh++], t->leaf_hash, MLOG_HASH_BYTES);
		rc = mlogd_edge_append(q->edge, t->leaf_hash);
		if (rc != MLOG_OK) {
			mlog_error_set(err, rc, "appending entry %" PRIu64,
				t->index);
			goto out;
		}
	}
	if (fresh == 0) {
		/* Only duplicates: nothing to commit, answer from the
		 * current head. */
		rc = MLOG_OK;
		goto out;
	}
	rc = collect_rows(&rows, batch);
	if (rc == MLOG_OK)
		rc = mlogd_edge_take_rows(q->edge, &blobs, &nblobs);
	if (rc != MLOG_OK) {
		mlog_error_set(err, rc, "out of memory");
		goto out;
	}
	rc = sign_head(q, &head, err);
	if (rc != MLOG_OK)
		goto out;
	b = (struct mlogd_store_batch){
		.old_size = old_size,
		.new_size = head->size,
		.blobs = blobs,
		.nblobs = nblobs,
		.entries = entries,
		.entry_lens = entry_lens,
		.leaf_hashes = (const uint8_t (*)[MLOG_HASH_BYTES])leaves,
		.search = rows.search,
		.nsearch = rows.nsearch,
		.signers = rows.signers,
		.nsigners = rows.nsigners,
		.root = head->root,
		.note = head->note,
		.note_len = head->note_len,
		.signed_at = head->signed_at,
	};
	t0 = now_ns(CLOCK_MONOTONIC);
	rc = mlogd_store_commit_batch(q->store, &b, err);
	if (rc != MLOG_OK)
		goto out;
	/* Durable from here on (store.h DURABILITY). */
	mlogd_metrics_observe(q->cfg.metrics, MLOGD_HIST_COMMIT,
		(double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e9);
	mlogd_checkpointer_poke(q->ckpt, mlogd_store_wal_frames(q->store));
	mlogd_metrics_observe(q->cfg.metrics, MLOGD_HIST_BATCH_SIZE,
		(double)fresh);
	mlogd_edge_reset_rows(q->edge);
	publish(q, head);
	head = NULL;
	mlogd_log("sequenced %" PRIu64 " entries (%" PRIu64 " duplicates): "
		"tree size %" PRIu64, fresh, dups, mlogd_edge_size(q->edge));
out:
	if (rc == MLOG_OK) {
		pthread_mutex_lock(&q->lock);
		q->stats.entries_total += fresh;
		q->stats.duplicates_total += dups;
		q->stats.batches_total++;
		pthread_mutex_unlock(&q->lock);
		mlogd_metrics_add_entries(q->cfg.metrics, fresh, dups);
	}
	head_free(head);
	free(rows.search);
	free(rows.signers);
	free(leaves);
	free(entries);
	free(entry_lens);
	free(set.slots);
	return rc;
}

/* ---- the thread ------------------------------------------------------- */

static void add_ns(struct timespec *ts, int64_t ns)
{
	int64_t total = (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec + ns;

	ts->tv_sec = total / 1000000000;
	ts->tv_nsec = total % 1000000000;
}

static void *seq_main(void *arg)
{
	struct mlogd_seq *q = arg;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct mlogd_ticket *batch, *last;
		size_t n = 0;
		int failed;

		while (q->qlen == 0 && q->state == SEQ_RUNNING)
			pthread_cond_wait(&q->wake, &q->lock);
		if (q->qlen == 0)
			break;
		/* Group commit: wait until batch_ms after the oldest ticket,
		 * unless the batch fills, we are draining, or no ticket has
		 * arrived for batch_idle_ms (every submitter is waiting for
		 * us: holding the batch longer only adds latency). */
		while (q->state == SEQ_RUNNING && q->qlen < q->cfg.batch_max) {
			int64_t now = now_ns(CLOCK_MONOTONIC);
			int64_t full = q->qhead->enqueued_ns +
				(int64_t)q->cfg.batch_ms * 1000000;
			int64_t idle = q->last_enqueue_ns +
				(int64_t)q->cfg.batch_idle_ms * 1000000;
			int64_t until = full;
			struct timespec deadline;

			if (q->cfg.batch_idle_ms > 0 && idle < until)
				until = idle;
			if (now >= until)
				break;
			clock_gettime(CLOCK_REALTIME, &deadline);
			add_ns(&deadline, until - now);
			pthread_cond_timedwait(&q->wake, &q->lock, &deadline);
		}
		batch = last = q->qhead;
		for (n = 1; n < q->cfg.batch_max && last->next != NULL; n++)
			last = last->next;
		q->qhead = last->next;
		if (q->qhead == NULL)
			q->qtail = NULL;
		last->next = NULL;
		q->qlen -= n;
		q->stats.queue_depth = q->qlen;
		failed = q->state == SEQ_FAILED;
		pthread_mutex_unlock(&q->lock);

		if (!failed) {
			struct mlog_error err = { 0, "" };

			if (run_batch(q, batch, n, &err) != MLOG_OK) {
				mlogd_log("FATAL: couldn't sequence batch: %s; "
					"refusing all submissions until "
					"restart", err.msg);
				failed = 1;
				pthread_mutex_lock(&q->lock);
				q->state = SEQ_FAILED;
				q->stats.failed = 1;
				pthread_mutex_unlock(&q->lock);
			}
		}
		complete(q, batch, failed);
		pthread_mutex_lock(&q->lock);
	}
	if (q->state != SEQ_FAILED)
		q->state = SEQ_STOPPED;
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

/* ---- lifecycle -------------------------------------------------------- */

/* Recovery (sequencer.h): the stored tiles must give the signed root. */
static int recover(struct mlogd_seq *q, struct mlog_error *err)
{
	struct mlogd_head *h = calloc(1, sizeof(*h));
	uint8_t root[MLOG_HASH_BYTES];
	int rc;

	if (h == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	h->refs = 1;
	rc = mlogd_store_latest(q->store, &h->size, h->root, &h->note,
		&h->note_len, err);
	if (rc == MLOG_OK)
		rc = mlogd_edge_load(&q->edge, q->store, h->size, err);
	if (rc != MLOG_OK) {
		head_free(h);
		return mlog_error_wrap(err, rc,
			"recovery: couldn't load the log at its last checkpoint");
	}
	mlogd_edge_root(q->edge, root);
	if (memcmp(root, h->root, MLOG_HASH_BYTES) != 0) {
		uint64_t size = h->size;

		head_free(h);
		return mlog_error_set(err, MLOG_ERR_VERIFY,
			"recovery: the stored tiles do not hash to the root of "
			"the last signed checkpoint (size %" PRIu64 "); the "
			"database is damaged: refusing to serve", size);
	}
	/* The checkpoint row's own time: that of the first checkpoint
	 * covering the last entry (none for the empty log). */
	if (h->size > 0 && mlogd_store_integrated_at(q->store, h->size - 1,
		&h->signed_at) != MLOG_OK)
		h->signed_at = 0;
	publish(q, h);
	return MLOG_OK;
}

int mlogd_seq_start(struct mlogd_seq **out, const struct mlogd_seq_config *cfg,
	struct mlog_error *err)
{
	struct mlogd_seq *q = calloc(1, sizeof(*q));
	int rc;

	if (q == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	q->cfg = *cfg;
	q->cfg.listener.published = NULL;    /* not during recovery */
	if (q->cfg.batch_max == 0)
		q->cfg.batch_max = 1;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->wake, NULL);
	q->h = mlog_hash_new();
	if (q->h == NULL) {
		rc = mlog_error_set(err, MLOG_ERR_INTERNAL, "no SHA-256");
		goto fail;
	}
	rc = mlogd_store_open(&q->store, cfg->db_path, 0, err);
	if (rc != MLOG_OK)
		goto fail;
	mlogd_tileread_init(&q->reads, q->store, q->h);
	rc = recover(q, err);
	if (rc != MLOG_OK)
		goto fail;
	rc = mlogd_checkpointer_start(&q->ckpt, cfg->db_path, err);
	if (rc != MLOG_OK)
		goto fail;
	mlogd_store_hand_off_checkpoints(q->store);
	q->cfg.listener = cfg->listener;
	if (pthread_create(&q->thread, NULL, seq_main, q) != 0) {
		rc = mlog_error_set(err, MLOG_ERR_INTERNAL,
			"couldn't start the sequencer thread");
		goto fail;
	}
	q->thread_started = 1;
	*out = q;
	return MLOG_OK;
fail:
	mlogd_seq_free(q);
	return rc;
}

void mlogd_seq_stats(struct mlogd_seq *q, struct mlogd_seq_stats *out)
{
	pthread_mutex_lock(&q->lock);
	*out = q->stats;
	pthread_mutex_unlock(&q->lock);
}

void mlogd_seq_stop(struct mlogd_seq *q)
{
	pthread_mutex_lock(&q->lock);
	if (q->state == SEQ_RUNNING)
		q->state = SEQ_DRAINING;
	pthread_cond_broadcast(&q->wake);
	pthread_mutex_unlock(&q->lock);
	if (q->thread_started) {
		pthread_join(q->thread, NULL);
		q->thread_started = 0;
	}
}

void mlogd_seq_free(struct mlogd_seq *q)
{
	if (q == NULL)
		return;
	if (q->thread_started)
		mlogd_seq_stop(q);
	if (q->head != NULL)
		mlogd_seq_head_unref(q, q->head);
	mlogd_checkpointer_stop(q->ckpt);
	mlogd_edge_free(q->edge);
	mlogd_store_close(q->store);
	mlog_hash_free(q->h);
	pthread_cond_destroy(&q->wake);
	pthread_mutex_destroy(&q->lock);
	free(q);
}
