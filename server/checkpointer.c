/*
 * checkpointer.c — background WAL checkpoints; see checkpointer.h.
 */
#include "checkpointer.h"

#include <pthread.h>
#include <stdlib.h>

#include "log.h"
#include "store.h"

/* 64 MiB of 4 KiB pages (checkpointer.h: why not SQLite's 1,000). */
#define CHECKPOINT_FRAMES 16384

struct mlogd_checkpointer {
	struct mlogd_store *store;     /* the thread's own connection */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	unsigned frames;               /* guarded by lock */
	int stopping;                  /* guarded by lock */
};

static void *checkpointer_main(void *arg)
{
	struct mlogd_checkpointer *c = arg;
	int failed_before = 0;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (c->frames < CHECKPOINT_FRAMES && !c->stopping)
			pthread_cond_wait(&c->wake, &c->lock);
		if (c->stopping)
			break;
		c->frames = 0;
		pthread_mutex_unlock(&c->lock);
		if (mlogd_store_checkpoint(c->store) != MLOG_OK) {
			/* Busy or failing: the next poke retries, and the
			 * writer's safety net bounds the WAL meanwhile. */
			if (!failed_before)
				mlogd_log("warning: WAL checkpoint failed; "
					"will retry");
			failed_before = 1;
		} else {
			failed_before = 0;
		}
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	/* Best effort: whatever is not copied now is at the next start. */
	if (mlogd_store_checkpoint(c->store) != MLOG_OK)
		mlogd_log("warning: final WAL checkpoint failed");
	return NULL;
}

int mlogd_checkpointer_start(struct mlogd_checkpointer **out,
	const char *db_path, struct mlog_error *err)
{
	struct mlogd_checkpointer *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	rc = mlogd_store_open(&c->store, db_path, 0, err);
	if (rc != MLOG_OK) {
		free(c);
		return rc;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->wake, NULL);
	if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
		mlogd_store_close(c->store);
		pthread_cond_destroy(&c->wake);
		pthread_mutex_destroy(&c->lock);
		free(c);
		return mlog_error_set(err, MLOG_ERR_INTERNAL,
			"couldn't start the checkpoint thread");
	}
	*out = c;
	return MLOG_OK;
}

void mlogd_checkpointer_poke(struct mlogd_checkpointer *c, unsigned frames)
{
	pthread_mutex_lock(&c->lock);
	c->frames = frames;
	if (frames >= CHECKPOINT_FRAMES)
		pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
}

void mlogd_checkpointer_stop(struct mlogd_checkpointer *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	mlogd_store_close(c->store);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
