/*
 * witnessing.c — pushing checkpoints to witnesses and collecting their
 * cosignatures; see witnessing.h for the protocol and its invariants.
 */
#include "witnessing.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "checkpoint.h"
#include "log.h"
#include "note.h"
#include "proof.h"
#include "store.h"
#include "tileread.h"
#include "witness_req.h"

#define REFRESH_INTERVALS 10        /* push unchanged heads this often */
#define RESPONSE_MAX MLOG_WITNESS_REQ_RESP_MAX_BYTES

/* Statuses counted per witness; index NCODES is "other". */
static const int err_codes[] = { 0, 400, 403, 404, 409, 413, 422, 429,
	500, 502, 503 };
#define NCODES (sizeof(err_codes) / sizeof(err_codes[0]))

struct peer {
	struct mlog_note_verifier key;   /* cosignature/v1 form */
	char *url;                       /* .../add-checkpoint */
	/* Owned by the witnessing thread. */
	uint64_t size;                   /* the size the witness holds */
	int size_known;
	char *cosig_lines;               /* verified lines for cosig_size */
	uint64_t cosig_size;
	/* Guarded by the module lock (read by /metrics). */
	uint64_t cosigned_total;
	int64_t last_cosigned;           /* Unix seconds */
	uint64_t errors[NCODES + 1];
	int alarm;
};

struct mlogd_witnessing {
	struct mlogd_witnessing_config cfg;
	struct peer *peers;
	size_t npeers;
	struct mlogd_store *store;       /* owned by the thread */
	struct mlog_hash *h;
	struct mlogd_tileread tiles;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	/* Guarded by lock. */
	uint64_t head_size;
	char *head_note;                 /* latest head, copied */
	size_t head_note_len;
	int stopping;
	char *witnessed;                 /* latest witnessed checkpoint */
	size_t witnessed_len;
	uint64_t witnessed_size;
};

static int64_t now_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t code_slot(long status)
{
	for (size_t i = 0; i < NCODES; i++) {
		if (err_codes[i] == status)
			return i;
	}
	return NCODES;
}

/* ---- configuration ---------------------------------------------------- */

static int parse_peer(struct peer *p, const char *spec,
	struct mlog_error *err)
{
	const char *at = strchr(spec, '@');
	struct mlog_note_verifier v;
	size_t ulen;

	memset(p, 0, sizeof(*p));
	if (at == NULL || at == spec || at[1] == '\0')
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"witness %s: want VKEY@URL", spec);
	if (mlog_note_verifier_parse(&v, spec, (size_t)(at - spec), err)
		!= MLOG_OK)
		return mlog_error_wrap(err, MLOG_ERR_MALFORMED, "witness %s",
			spec);
	if (strncmp(at + 1, "http://", 7) != 0 &&
	    strncmp(at + 1, "https://", 8) != 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"witness %s: URL must be http:// or https://", spec);
	mlog_note_verifier_as_cosigner(&p->key, &v);
	ulen = strlen(at + 1);
	while (ulen > 0 && at[1 + ulen - 1] == '/')
		ulen--;
	if (asprintf(&p->url, "%.*s/add-checkpoint", (int)ulen, at + 1) < 0)
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	return MLOG_OK;
}

/* ---- one push ---------------------------------------------------------- */

struct push {
	struct peer *peer;
	CURL *easy;
	struct curl_slist *hdrs;
	char *body;                      /* request */
	char resp[RESPONSE_MAX + 1];
	size_t resp_len;
	int overflow;
	int retried;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	struct push *push = ctx;
	size_t len = size * n;

	if (push->resp_len + len > RESPONSE_MAX) {
		push->overflow = 1;
		return 0;
	}
	memcpy(push->resp + push->resp_len, p, len);
	push->resp_len += len;
	push->resp[push->resp_len] = '\0';
	return len;
}

/* Builds the add-checkpoint body for p from the witness's size. */
static int make_body(struct mlogd_witnessing *w, struct push *p,
	uint64_t size, const char *note, size_t note_len)
{
	uint8_t proof[MLOG_PROOF_MAX][MLOG_HASH_BYTES];
	uint64_t old = p->peer->size_known ? p->peer->size : 0;
	size_t n = 0, len = 0;

	free(p->body);
	p->body = NULL;
	if (old > 0 && old < size &&
	    mlog_proof_prove_consistency(w->h, proof, &n, old, size,
		&w->tiles.reader) != MLOG_OK)
		return -1;
	return mlog_witness_req_format(&p->body, &len, old,
		(const uint8_t (*)[MLOG_HASH_BYTES])proof, n, note, note_len,
		NULL) == MLOG_OK ? 0 : -1;
}

static void prepare(struct mlogd_witnessing *w, struct push *p)
{
	curl_easy_reset(p->easy);
	p->resp_len = 0;
	p->overflow = 0;
	p->resp[0] = '\0';
	curl_easy_setopt(p->easy, CURLOPT_URL, p->peer->url);
	curl_easy_setopt(p->easy, CURLOPT_POSTFIELDS, p->body);
	curl_easy_setopt(p->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(p->body));
	curl_easy_setopt(p->easy, CURLOPT_HTTPHEADER, p->hdrs);
	curl_easy_setopt(p->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(p->easy, CURLOPT_WRITEDATA, p);
	curl_easy_setopt(p->easy, CURLOPT_PRIVATE, p);
	curl_easy_setopt(p->easy, CURLOPT_TIMEOUT_MS,
		(long)w->cfg.timeout_ms);
	curl_easy_setopt(p->easy, CURLOPT_NOSIGNAL, 1L);
}

static void count_error(struct mlogd_witnessing *w, struct peer *peer,
	long status, int alarm)
{
	pthread_mutex_lock(&w->lock);
	peer->errors[code_slot(status)]++;
	if (alarm)
		peer->alarm = 1;
	pthread_mutex_unlock(&w->lock);
}

/*
 * Handles one finished push. Returns 1 if it should be sent again (after
 * a size 409), else 0.
 */
static int finish(struct mlogd_witnessing *w, struct push *p, CURLcode rc,
	uint64_t size, const char *note, size_t note_len)
{
	struct peer *peer = p->peer;
	long status = 0;
	char *ctype = NULL;

	if (rc != CURLE_OK) {
		mlogd_log("witness %s: push of size %" PRIu64 " failed: %s",
			peer->key.name, size, curl_easy_strerror(rc));
		count_error(w, peer, 0, 0);
		return 0;
	}
	curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(p->easy, CURLINFO_CONTENT_TYPE, &ctype);
	if (status == 200) {
		struct mlog_error err = { 0, "" };
		char *out = NULL;
		size_t out_len = 0;

		if (mlog_witness_req_cosigs_add(&out, &out_len, NULL, note,
			note_len, p->resp, p->resp_len, &peer->key, &err)
			!= MLOG_OK) {
			mlogd_log("witness %s: bad cosignature for size %" PRIu64
				": %s", peer->key.name, size, err.msg);
			count_error(w, peer, 200, 0);
			return 0;
		}
		free(out);
		free(peer->cosig_lines);
		peer->cosig_lines = strndup(p->resp, p->resp_len);
		peer->cosig_size = size;
		peer->size = size;
		peer->size_known = 1;
		pthread_mutex_lock(&w->lock);
		peer->cosigned_total++;
		peer->last_cosigned = now_ms(CLOCK_REALTIME) / 1000;
		pthread_mutex_unlock(&w->lock);
		return 0;
	}
	if (status == 409 && ctype != NULL &&
	    strcmp(ctype, MLOG_WITNESS_REQ_SIZE_TYPE) == 0) {
		uint64_t theirs = 0;

		if (mlog_witness_req_size_parse(&theirs, p->resp, p->resp_len,
			NULL) != MLOG_OK) {
			mlogd_log("witness %s: malformed size in 409",
				peer->key.name);
			count_error(w, peer, 409, 0);
			return 0;
		}
		if (theirs > size) {
			mlogd_log("ALARM: witness %s holds size %" PRIu64
				", larger than this log's %" PRIu64 ": a "
				"rollback or a fork; no longer pushing to it",
				peer->key.name, theirs, size);
			count_error(w, peer, 409, 1);
			return 0;
		}
		peer->size = theirs;
		peer->size_known = 1;
		if (p->retried) {
			count_error(w, peer, 409, 0);
			return 0;
		}
		p->retried = 1;
		return 1;
	}
	if (status == 409 || status == 422) {
		mlogd_log("ALARM: witness %s refused size %" PRIu64 " from %"
			PRIu64 " with %ld (%.*s): the witness saw a tree "
			"inconsistent with ours; no longer pushing to it",
			peer->key.name, size, peer->size, status,
			(int)strcspn(p->resp, "\n"), p->resp);
		count_error(w, peer, status, 1);
		return 0;
	}
	mlogd_log("witness %s: push of size %" PRIu64 " answered %ld: %.*s",
		peer->key.name, size, status, (int)strcspn(p->resp, "\n"),
		p->resp);
	count_error(w, peer, status, 0);
	return 0;
}

/* The witnessed note for size: the log's note plus the lines of every
 * witness that cosigned exactly that size. */
static char *witnessed_note(struct mlogd_witnessing *w, uint64_t size,
	const char *note, size_t note_len, size_t *len, size_t *count)
{
	size_t total = note_len;
	char *out;

	*count = 0;
	for (size_t i = 0; i < w->npeers; i++) {
		if (w->peers[i].cosig_lines != NULL &&
		    w->peers[i].cosig_size == size) {
			total += strlen(w->peers[i].cosig_lines);
			(*count)++;
		}
	}
	out = malloc(total + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, note, note_len);
	*len = note_len;
	for (size_t i = 0; i < w->npeers; i++) {
		if (w->peers[i].cosig_lines != NULL &&
		    w->peers[i].cosig_size == size) {
			size_t n = strlen(w->peers[i].cosig_lines);

			memcpy(out + *len, w->peers[i].cosig_lines, n);
			*len += n;
		}
	}
	out[*len] = '\0';
	return out;
}

static void push_round(struct mlogd_witnessing *w, uint64_t size,
	const char *note, size_t note_len)
{
	CURLM *multi = curl_multi_init();
	struct push *pushes = calloc(w->npeers, sizeof(*pushes));
	struct curl_slist *hdrs = curl_slist_append(NULL,
		"Content-Type: text/plain; charset=utf-8");
	size_t active = 0, cosigned;
	char *full;
	size_t full_len = 0;

	if (multi == NULL || pushes == NULL || hdrs == NULL)
		goto out;
	hdrs = curl_slist_append(hdrs, "Expect:");
	for (size_t i = 0; i < w->npeers; i++) {
		struct push *p = &pushes[i];
		int alarmed;

		pthread_mutex_lock(&w->lock);
		alarmed = w->peers[i].alarm;
		pthread_mutex_unlock(&w->lock);
		p->peer = &w->peers[i];
		if (alarmed || (p->peer->size_known && p->peer->size > size))
			continue;
		p->hdrs = hdrs;
		p->easy = curl_easy_init();
		if (p->easy == NULL || make_body(w, p, size, note, note_len)
			!= 0)
			continue;
		prepare(w, p);
		curl_multi_add_handle(multi, p->easy);
		active++;
	}
	while (active > 0) {
		int running = 0, queued = 0;
		CURLMsg *m;

		curl_multi_perform(multi, &running);
		while ((m = curl_multi_info_read(multi, &queued)) != NULL) {
			struct push *p;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
				(char **)&p);
			curl_multi_remove_handle(multi, p->easy);
			active--;
			if (finish(w, p, m->data.result, size, note, note_len)
				&& make_body(w, p, size, note, note_len) == 0) {
				prepare(w, p);
				curl_multi_add_handle(multi, p->easy);
				active++;
			}
		}
		if (active > 0)
			curl_multi_poll(multi, NULL, 0, 100, NULL);
	}
	full = witnessed_note(w, size, note, note_len, &full_len, &cosigned);
	if (full != NULL && cosigned >= w->cfg.quorum) {
		int fresh;

		pthread_mutex_lock(&w->lock);
		fresh = size >= w->witnessed_size;
		if (fresh) {
			free(w->witnessed);
			w->witnessed = full;
			w->witnessed_len = full_len;
			w->witnessed_size = size;
			full = NULL;
		}
		pthread_mutex_unlock(&w->lock);
		if (fresh && mlogd_store_set_witnessed(w->store,
			w->witnessed, w->witnessed_len) != MLOG_OK)
			mlogd_log("couldn't persist the witnessed checkpoint "
				"of size %" PRIu64, size);
	}
	free(full);
out:
	for (size_t i = 0; pushes != NULL && i < w->npeers; i++) {
		curl_easy_cleanup(pushes[i].easy);
		free(pushes[i].body);
	}
	free(pushes);
	curl_slist_free_all(hdrs);
	if (multi != NULL)
		curl_multi_cleanup(multi);
}

/* ---- the thread ------------------------------------------------------- */

static void *witnessing_main(void *arg)
{
	struct mlogd_witnessing *w = arg;
	uint64_t pushed_size = UINT64_MAX;
	int64_t pushed_at = 0;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		int64_t now = now_ms(CLOCK_MONOTONIC);
		int64_t next = pushed_at + w->cfg.interval_ms;
		int grew = w->head_size != pushed_size;
		char *note;
		size_t note_len;
		uint64_t size;

		if (!grew)
			next = pushed_at + (int64_t)w->cfg.interval_ms *
				REFRESH_INTERVALS;
		if (now < next) {
			struct timespec deadline;
			int64_t wait = next - now;

			clock_gettime(CLOCK_REALTIME, &deadline);
			deadline.tv_sec += wait / 1000;
			deadline.tv_nsec += (wait % 1000) * 1000000;
			if (deadline.tv_nsec >= 1000000000) {
				deadline.tv_sec++;
				deadline.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&w->wake, &w->lock, &deadline);
			continue;
		}
		size = w->head_size;
		note = strndup(w->head_note, w->head_note_len);
		note_len = w->head_note_len;
		pthread_mutex_unlock(&w->lock);
		if (note != NULL)
			push_round(w, size, note, note_len);
		free(note);
		pushed_size = size;
		pushed_at = now_ms(CLOCK_MONOTONIC);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

void mlogd_witnessing_notify(void *ctx, struct mlogd_head *head)
{
	struct mlogd_witnessing *w = ctx;
	char *copy = malloc(head->note_len + 1);

	if (copy == NULL)
		return;
	memcpy(copy, head->note, head->note_len);
	copy[head->note_len] = '\0';
	pthread_mutex_lock(&w->lock);
	free(w->head_note);
	w->head_note = copy;
	w->head_note_len = head->note_len;
	w->head_size = head->size;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

char *mlogd_witnessing_checkpoint(void *ctx, const struct mlogd_head *head,
	size_t *len)
{
	struct mlogd_witnessing *w = ctx;
	char *out = NULL;

	(void)head;
	pthread_mutex_lock(&w->lock);
	if (w->witnessed != NULL) {
		out = malloc(w->witnessed_len + 1);
		if (out != NULL) {
			memcpy(out, w->witnessed, w->witnessed_len + 1);
			*len = w->witnessed_len;
		}
	}
	pthread_mutex_unlock(&w->lock);
	return out;
}

/* Label value with '\' and '"' escaped (Prometheus text format). */
static void escape_label(char *out, size_t cap, const char *in)
{
	size_t o = 0;

	for (; *in != '\0' && o + 3 < cap; in++) {
		if (*in == '\\' || *in == '"')
			out[o++] = '\\';
		out[o++] = *in == '\n' ? ' ' : *in;
	}
	out[o] = '\0';
}

char *mlogd_witnessing_metrics(struct mlogd_witnessing *w)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		return NULL;
	pthread_mutex_lock(&w->lock);
	fprintf(f, "# HELP mlogd_witnessed_tree_size Size of the latest "
		"checkpoint with a quorum of cosignatures.\n"
		"# TYPE mlogd_witnessed_tree_size gauge\n"
		"mlogd_witnessed_tree_size %" PRIu64 "\n", w->witnessed_size);
	fprintf(f, "# HELP mlogd_witness_cosignatures_total Cosignatures "
		"verified and kept, per witness.\n"
		"# TYPE mlogd_witness_cosignatures_total counter\n");
	for (size_t i = 0; i < w->npeers; i++) {
		char name[2 * MLOG_NOTE_NAME_MAX + 1];

		escape_label(name, sizeof(name), w->peers[i].key.name);
		fprintf(f, "mlogd_witness_cosignatures_total{witness=\"%s\"} %"
			PRIu64 "\n", name, w->peers[i].cosigned_total);
	}
	fprintf(f, "# HELP mlogd_witness_last_cosigned_seconds Unix time of "
		"the last cosignature, per witness.\n"
		"# TYPE mlogd_witness_last_cosigned_seconds gauge\n");
	for (size_t i = 0; i < w->npeers; i++) {
		char name[2 * MLOG_NOTE_NAME_MAX + 1];

		escape_label(name, sizeof(name), w->peers[i].key.name);
		fprintf(f, "mlogd_witness_last_cosigned_seconds{witness=\"%s\"}"
			" %" PRId64 "\n", name, w->peers[i].last_cosigned);
	}
	fprintf(f, "# HELP mlogd_witness_push_errors_total Failed pushes "
		"by witness and HTTP status (0: no answer).\n"
		"# TYPE mlogd_witness_push_errors_total counter\n");
	for (size_t i = 0; i < w->npeers; i++) {
		char name[2 * MLOG_NOTE_NAME_MAX + 1];

		escape_label(name, sizeof(name), w->peers[i].key.name);
		for (size_t c = 0; c <= NCODES; c++) {
			if (w->peers[i].errors[c] == 0)
				continue;
			if (c < NCODES)
				fprintf(f, "mlogd_witness_push_errors_total{"
					"witness=\"%s\",code=\"%d\"} %" PRIu64
					"\n", name, err_codes[c],
					w->peers[i].errors[c]);
			else
				fprintf(f, "mlogd_witness_push_errors_total{"
					"witness=\"%s\",code=\"other\"} %"
					PRIu64 "\n", name,
					w->peers[i].errors[c]);
		}
	}
	fprintf(f, "# HELP mlogd_witness_alarm 1 once a witness reported a "
		"tree inconsistent with this log's.\n"
		"# TYPE mlogd_witness_alarm gauge\n");
	for (size_t i = 0; i < w->npeers; i++) {
		char name[2 * MLOG_NOTE_NAME_MAX + 1];

		escape_label(name, sizeof(name), w->peers[i].key.name);
		fprintf(f, "mlogd_witness_alarm{witness=\"%s\"} %d\n", name,
			w->peers[i].alarm);
	}
	pthread_mutex_unlock(&w->lock);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- lifecycle -------------------------------------------------------- */

static void free_all(struct mlogd_witnessing *w)
{
	for (size_t i = 0; i < w->npeers; i++) {
		free(w->peers[i].url);
		free(w->peers[i].cosig_lines);
	}
	free(w->peers);
	mlogd_store_close(w->store);
	mlog_hash_free(w->h);
	free(w->head_note);
	free(w->witnessed);
	free(w);
}

int mlogd_witnessing_start(struct mlogd_witnessing **out,
	const struct mlogd_witnessing_config *cfg, struct mlogd_head *head,
	struct mlog_error *err)
{
	struct mlogd_witnessing *w = calloc(1, sizeof(*w));
	int rc;

	if (w == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	w->cfg = *cfg;
	if (cfg->quorum < 1 || cfg->quorum > cfg->nwitnesses) {
		free(w);
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"witness-quorum %u: want 1..%zu (the number of "
			"--witness)", cfg->quorum, cfg->nwitnesses);
	}
	w->peers = calloc(cfg->nwitnesses, sizeof(*w->peers));
	w->h = mlog_hash_new();
	if (w->peers == NULL || w->h == NULL) {
		free_all(w);
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < cfg->nwitnesses; i++) {
		rc = parse_peer(&w->peers[i], cfg->witnesses[i], err);
		w->npeers++;
		if (rc != MLOG_OK) {
			free_all(w);
			return rc;
		}
		for (size_t j = 0; j < i; j++) {
			if (w->peers[j].key.key_id == w->peers[i].key.key_id &&
			    strcmp(w->peers[j].key.name,
				w->peers[i].key.name) == 0) {
				mlog_error_set(err, MLOG_ERR_MALFORMED,
					"witness %s configured twice",
					w->peers[i].key.name);
				free_all(w);
				return MLOG_ERR_MALFORMED;
			}
		}
	}
	rc = mlogd_store_open(&w->store, cfg->db_path, 0, err);
	if (rc != MLOG_OK) {
		free_all(w);
		return rc;
	}
	mlogd_tileread_init(&w->tiles, w->store, w->h);
	rc = mlogd_store_witnessed(w->store, &w->witnessed, &w->witnessed_len);
	if (rc == MLOG_OK) {
		struct mlog_note *n = NULL;
		struct mlog_checkpoint c;

		mlog_checkpoint_init(&c);
		if (mlog_note_parse(&n, w->witnessed, w->witnessed_len, NULL)
			== MLOG_OK && mlog_checkpoint_parse(&c, n->text,
			n->text_len, NULL) == MLOG_OK)
			w->witnessed_size = c.size;
		mlog_checkpoint_clear(&c);
		mlog_note_free(n);
	} else if (rc != MLOG_ERR_NOTFOUND) {
		free_all(w);
		return mlog_error_set(err, rc, "couldn't read the witnessed "
			"checkpoint");
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	mlogd_witnessing_notify(w, head);
	if (pthread_create(&w->thread, NULL, witnessing_main, w) != 0) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free_all(w);
		return mlog_error_set(err, MLOG_ERR_INTERNAL,
			"couldn't start the witnessing thread");
	}
	*out = w;
	return MLOG_OK;
}

void mlogd_witnessing_stop(struct mlogd_witnessing *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free_all(w);
}
