/*
 * pool.c — read-only store connections for HTTP threads; see mlogd.h.
 *
 * One connection per HTTP thread is enough (a thread serves one request
 * at a time), so mlogd_pool_get only waits if the pool is smaller than the
 * thread pool. A reader handed out holds a read transaction (one snapshot)
 * until it is put back.
 */
#include "mlogd.h"

#include <stdlib.h>

int mlogd_pool_init(struct mlogd_pool *p, const char *db_path, size_t n,
	struct mlog_error *err)
{
	p->free_list = p->all = NULL;
	p->n = 0;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->freed, NULL);
	p->all = calloc(n, sizeof(*p->all));
	if (p->all == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct mlogd_reader *r = &p->all[i];
		int rc = mlogd_store_open(&r->store, db_path, 1, err);

		if (rc != MLOG_OK)
			return rc;
		p->n++;
		r->h = mlog_hash_new();
		if (r->h == NULL)
			return mlog_error_set(err, MLOG_ERR_INTERNAL,
				"no SHA-256");
		mlogd_tileread_init(&r->tiles, r->store, r->h);
		r->next_free = p->free_list;
		p->free_list = r;
	}
	return MLOG_OK;
}

void mlogd_pool_clear(struct mlogd_pool *p)
{
	for (size_t i = 0; i < p->n; i++) {
		mlogd_store_close(p->all[i].store);
		mlog_hash_free(p->all[i].h);
	}
	free(p->all);
	p->all = p->free_list = NULL;
	p->n = 0;
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
}

struct mlogd_reader *mlogd_pool_get(struct mlogd_pool *p)
{
	struct mlogd_reader *r;

	pthread_mutex_lock(&p->lock);
	while (p->free_list == NULL)
		pthread_cond_wait(&p->freed, &p->lock);
	r = p->free_list;
	p->free_list = r->next_free;
	pthread_mutex_unlock(&p->lock);
	mlogd_store_read_begin(r->store);
	return r;
}

void mlogd_pool_put(struct mlogd_pool *p, struct mlogd_reader *r)
{
	mlogd_store_read_end(r->store);
	pthread_mutex_lock(&p->lock);
	r->next_free = p->free_list;
	p->free_list = r;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}
