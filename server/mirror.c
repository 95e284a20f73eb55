/*
 * mirror.c — the static tile mirror; see mirror.h for the layout and the
 * write order that keeps it consistent for readers.
 */
#include "mirror.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle.h"
#include "checkpoint.h"
#include "log.h"
#include "note.h"
#include "tile.h"

struct mlogd_mirror {
	char *dir;
	struct mlogd_store *store;      /* owned by the mirror thread */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	/* Guarded by lock. */
	uint64_t target_size;
	char *target_note;
	size_t target_note_len;
	int stopping;
	/* Owned by the mirror thread. */
	uint64_t mirrored;
};

/* mkdir -p of path's parent directories. */
static int make_parents(char *path)
{
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return 0;
}

/* Writes data to dir/rel atomically (temporary file, fsync, rename). */
static int write_file(const char *dir, const char *rel, const void *data,
	size_t len)
{
	char path[4096], tmp[4200];
	const char *p = data;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, rel) >=
		(int)sizeof(path) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid()) >=
		(int)sizeof(tmp))
		return -1;
	if (make_parents(path) != 0)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			unlink(tmp);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Writes hash tile (level, n) at width w, or bundle n when level < 0. */
static int write_tile(struct mlogd_mirror *m, int level, uint64_t n,
	unsigned w)
{
	struct mlog_tile t = { level < 0 ? 0 : level, n, w, level < 0 };
	char rel[MLOG_TILE_PATH_MAX];
	int rc;

	if (mlog_tile_format(rel, sizeof(rel), &t) < 0)
		return -1;
	if (level >= 0) {
		uint8_t buf[MLOG_TILE_MAX_BYTES];
		size_t len = 0;

		rc = mlogd_store_read_tile(m->store, level, n, buf,
			sizeof(buf), &len, NULL, NULL);
		if (rc != MLOG_OK || len < (size_t)w * MLOG_HASH_BYTES)
			return -1;
		return write_file(m->dir, rel, buf,
			(size_t)w * MLOG_HASH_BYTES);
	} else {
		struct mlog_bundle_entry ents[MLOG_BUNDLE_MAX_ENTRIES];
		uint8_t *data = NULL;
		size_t len = 0, count = 0, cut;

		rc = mlogd_store_read_bundle(m->store, n, &data, &len);
		if (rc == MLOG_OK)
			rc = mlog_bundle_decode(ents, &count, data, len, NULL);
		if (rc != MLOG_OK || count < w) {
			free(data);
			return -1;
		}
		cut = (size_t)(ents[w - 1].data - data) + ents[w - 1].len;
		rc = write_file(m->dir, rel, data, cut);
		free(data);
		return rc;
	}
}

/* Every tile and bundle that differs between sizes from and to. */
static int write_range(struct mlogd_mirror *m, uint64_t from, uint64_t to)
{
	for (int level = 0; level < mlog_tile_levels(to); level++) {
		uint64_t a = from >> (8 * level), b = to >> (8 * level);

		if (b == a)
			continue;
		for (uint64_t n = a >> 8; n <= (b - 1) >> 8; n++) {
			uint64_t end = b - n * 256;
			unsigned w = end >= 256 ? 256 : (unsigned)end;

			if (write_tile(m, level, n, w) != 0)
				return -1;
			if (level == 0 && write_tile(m, -1, n, w) != 0)
				return -1;
		}
	}
	return 0;
}

static void *mirror_main(void *arg)
{
	struct mlogd_mirror *m = arg;

	pthread_mutex_lock(&m->lock);
	for (;;) {
		uint64_t size;
		char *note;
		size_t note_len;

		/* A pending note is the work; stop only once none is left. */
		while (!m->stopping && m->target_note == NULL)
			pthread_cond_wait(&m->wake, &m->lock);
		if (m->target_note == NULL)
			break;
		size = m->target_size;
		note = m->target_note;
		note_len = m->target_note_len;
		m->target_note = NULL;
		pthread_mutex_unlock(&m->lock);

		if (write_range(m, m->mirrored, size) != 0 ||
		    write_file(m->dir, "checkpoint", note, note_len) != 0)
			mlogd_log("mirror: couldn't write %s up to size %"
				PRIu64 ": %s; will retry with the next "
				"checkpoint", m->dir, size, strerror(errno));
		else
			m->mirrored = size;
		free(note);
		pthread_mutex_lock(&m->lock);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

void mlogd_mirror_notify(void *ctx, struct mlogd_head *head)
{
	struct mlogd_mirror *m = ctx;
	char *copy = malloc(head->note_len + 1);

	if (copy == NULL)
		return;
	memcpy(copy, head->note, head->note_len);
	pthread_mutex_lock(&m->lock);
	free(m->target_note);
	m->target_note = copy;
	m->target_note_len = head->note_len;
	m->target_size = head->size;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
}

/* The size of the checkpoint already mirrored in dir, or 0. */
static uint64_t mirrored_size(const char *dir)
{
	char path[4096], buf[4096];
	struct mlog_note *note = NULL;
	struct mlog_checkpoint c;
	uint64_t size = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/checkpoint", dir);
	f = fopen(path, "rb");
	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	mlog_checkpoint_init(&c);
	if (mlog_note_parse(&note, buf, n, NULL) == MLOG_OK &&
	    mlog_checkpoint_parse(&c, note->text, note->text_len, NULL)
		== MLOG_OK)
		size = c.size;
	mlog_checkpoint_clear(&c);
	mlog_note_free(note);
	return size;
}

int mlogd_mirror_start(struct mlogd_mirror **out, const char *dir,
	const char *db_path, struct mlogd_head *head, struct mlog_error *err)
{
	struct mlogd_mirror *m = calloc(1, sizeof(*m));
	int rc;

	if (m == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		free(m);
		return mlog_error_set(err, MLOG_ERR_IO, "mirror-dir %s: %s",
			dir, strerror(errno));
	}
	m->dir = strdup(dir);
	rc = mlogd_store_open(&m->store, db_path, 1, err);
	if (m->dir == NULL || rc != MLOG_OK) {
		mlogd_store_close(m->store);
		free(m->dir);
		free(m);
		return rc != MLOG_OK ? rc : MLOG_ERR_NOMEM;
	}
	m->mirrored = mirrored_size(dir);
	if (m->mirrored > head->size)
		m->mirrored = 0;    /* a different log was mirrored here */
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->wake, NULL);
	mlogd_mirror_notify(m, head);
	if (pthread_create(&m->thread, NULL, mirror_main, m) != 0) {
		mlogd_store_close(m->store);
		free(m->target_note);
		free(m->dir);
		free(m);
		return mlog_error_set(err, MLOG_ERR_INTERNAL,
			"couldn't start the mirror thread");
	}
	*out = m;
	return MLOG_OK;
}

void mlogd_mirror_stop(struct mlogd_mirror *m)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	m->stopping = 1;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
	pthread_join(m->thread, NULL);
	free(m->target_note);
	mlogd_store_close(m->store);
	pthread_cond_destroy(&m->wake);
	pthread_mutex_destroy(&m->lock);
	free(m->dir);
	free(m);
}
