/*
 * logclient.c — HTTP, policy and tiles for the client; see logclient.h.
 */
#include "logclient.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "bundle.h"
#include "cli.h"
#include "codec.h"
#include "note.h"
#include "proof.h"
#include "tlogproof.h"

#define HTTP_BODY_MAX (32u << 20)

char *cli_slurp(const char *path, size_t max, size_t *len)
{
	struct cli_file f;
	char *copy;

	cli_file_read(&f, path, max);
	copy = malloc(f.len + 1);
	if (copy == NULL)
		cli_errx("out of memory");
	if (f.len > 0)
		memcpy(copy, f.data, f.len);
	copy[f.len] = '\0';
	if (len != NULL)
		*len = f.len;
	cli_file_close(&f);
	return copy;
}

/* ---- HTTP -------------------------------------------------------------- */

struct buf {
	char *p;
	size_t len;
	int overflow;
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;
	size_t add = size * n;
	char *grown;

	if (b->len + add > HTTP_BODY_MAX) {
		b->overflow = 1;
		return 0;
	}
	grown = realloc(b->p, b->len + add + 1);
	if (grown == NULL)
		return 0;
	b->p = grown;
	memcpy(b->p + b->len, p, add);
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

static long perform(struct cli_log *l, const char *path, const void *data,
	size_t data_len, char **body, size_t *len, char **content_type)
{
	CURL *c = l->curl;
	struct buf b = { calloc(1, 1), 0, 0 };
	struct curl_slist *hdrs = NULL;
	char *url = NULL;
	long status = -1;
	CURLcode rc;

	if (content_type != NULL)
		*content_type = NULL;
	if (b.p == NULL || asprintf(&url, "%s%s", l->url, path) < 0)
		cli_errx("out of memory");
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, l->timeout_s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "mlog/0.1");
	if (data != NULL) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		hdrs = curl_slist_append(hdrs, "Expect:");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, data);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			(curl_off_t)data_len);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK) {
		char *ct = NULL;

		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
		if (content_type != NULL && ct != NULL)
			*content_type = strdup(ct);
	} else {
		snprintf(l->last_error, sizeof(l->last_error), "%s: %s", url,
			b.overflow ? "answer too large"
				   : curl_easy_strerror(rc));
	}
	curl_slist_free_all(hdrs);
	free(url);
	*body = b.p;
	if (len != NULL)
		*len = b.len;
	return status;
}

long cli_log_get(struct cli_log *l, const char *path, char **body,
	size_t *len, char **content_type)
{
	return perform(l, path, NULL, 0, body, len, content_type);
}

long cli_log_post(struct cli_log *l, const char *path, const void *data,
	size_t data_len, char **body, size_t *len)
{
	return perform(l, path, data, data_len, body, len, NULL);
}

/* ---- tiles ------------------------------------------------------------- */

/* The cache file for a full tile: DIR/<hex sha256(url)>/<tile path>. */
static int cache_path(struct cli_log *l, const char *tile_path, char *out,
	size_t cap)
{
	uint8_t d[MLOG_HASH_BYTES];
	char hex[2 * MLOG_HASH_BYTES + 1];

	mlog_hash_sha256(l->h, d, l->url, strlen(l->url));
	mlog_codec_hex_encode(hex, d, 16);
	return snprintf(out, cap, "%s/%s/%s", l->cache_dir, hex, tile_path)
		< (int)cap ? 0 : -1;
}

static void cache_store(const char *path, const uint8_t *data, size_t len)
{
	char tmp[4200];
	int fd;

	for (char *p = (char *)path + 1; *p != '\0'; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, data, len) != (ssize_t)len || close(fd) != 0 ||
	    rename(tmp, path) != 0)
		unlink(tmp);
}

static int read_tile(void *ctx, const struct mlog_tile *t, uint8_t *buf,
	size_t *len)
{
	struct cli_log *l = ctx;
	char path[MLOG_TILE_PATH_MAX + 1], cached[4096], *body = NULL;
	size_t got = 0, want = (size_t)t->width * MLOG_HASH_BYTES;
	long status;

	path[0] = '/';
	if (mlog_tile_format(path + 1, sizeof(path) - 1, t) < 0)
		return MLOG_ERR_RANGE;
	if (l->cache_dir != NULL && t->width == MLOG_TILE_WIDTH &&
	    cache_path(l, path + 1, cached, sizeof(cached)) == 0) {
		FILE *f = fopen(cached, "rb");

		if (f != NULL) {
			got = fread(buf, 1, MLOG_TILE_MAX_BYTES, f);
			fclose(f);
			if (got == want) {
				*len = got;
				return MLOG_OK;
			}
		}
	}
	status = cli_log_get(l, path, &body, &got, NULL);
	if (status != 200) {
		if (status > 0)
			snprintf(l->last_error, sizeof(l->last_error),
				"GET %s: HTTP %ld", path, status);
		free(body);
		return status == 404 ? MLOG_ERR_NOTFOUND : MLOG_ERR_IO;
	}
	if (got != want) {
		snprintf(l->last_error, sizeof(l->last_error),
			"GET %s: %zu bytes, want %zu", path, got, want);
		free(body);
		return MLOG_ERR_MALFORMED;
	}
	memcpy(buf, body, got);
	free(body);
	*len = got;
	if (l->cache_dir != NULL && t->width == MLOG_TILE_WIDTH &&
	    cache_path(l, path + 1, cached, sizeof(cached)) == 0)
		cache_store(cached, buf, got);
	return MLOG_OK;
}

/* ---- setup ------------------------------------------------------------- */

void cli_log_open(struct cli_log *l, const char *url, const char *policy_path,
	const char *log_vkey, const char *cache_dir, int need_url)
{
	struct mlog_error err = { 0, "" };
	size_t n;

	memset(l, 0, sizeof(*l));
	l->timeout_s = 30;
	l->curl = curl_easy_init();
	l->h = mlog_hash_new();
	if (l->curl == NULL || l->h == NULL)
		cli_errx("couldn't initialise libcurl or OpenSSL");
	if (policy_path != NULL && log_vkey != NULL)
		cli_errx("give --policy or --log-key, not both");
	if (policy_path != NULL) {
		l->policy_text = cli_slurp(policy_path, 1 << 20,
			&l->policy_len);
		if (mlog_policy_parse(&l->policy, l->policy_text,
			l->policy_len, &err) != MLOG_OK)
			cli_errx("%s: %s", policy_path, err.msg);
	} else if (log_vkey != NULL) {
		if (asprintf(&l->policy_text, "log %s\nquorum none\n",
			log_vkey) < 0)
			cli_errx("out of memory");
		l->policy_len = strlen(l->policy_text);
		if (mlog_policy_parse(&l->policy, l->policy_text,
			l->policy_len, &err) != MLOG_OK)
			cli_errx("--log-key: %s", err.msg);
	} else {
		cli_errx("need a trust anchor: --policy FILE or --log-key VKEY");
	}
	if (url == NULL && l->policy->nlogs > 0)
		url = l->policy->logs[0].url;
	if (url == NULL) {
		if (need_url)
			cli_errx("need the log's URL: --log URL (or a URL on "
				"the policy's log line)");
		url = "";
	}
	if (need_url && strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0)
		cli_errx("--log %s: want an http:// or https:// URL", url);
	l->url = strdup(url);
	if (l->url == NULL)
		cli_errx("out of memory");
	n = strlen(l->url);
	while (n > 0 && l->url[n - 1] == '/')
		l->url[--n] = '\0';
	if (cache_dir != NULL) {
		l->cache_dir = strdup(cache_dir);
		if (l->cache_dir == NULL ||
		    (mkdir(cache_dir, 0755) != 0 && errno != EEXIST))
			cli_err("--cache %s", cache_dir);
	}
	l->tiles.read_tile = read_tile;
	l->tiles.ctx = l;
}

int cli_log_opt(struct cli_log_opts *o, int ch, const char *arg)
{
	switch (ch) {
	case 0x100: o->url = arg; return 1;
	case 0x101: o->policy = arg; return 1;
	case 0x102: o->log_key = arg; return 1;
	case 0x103: o->cache = arg; return 1;
	}
	return 0;
}

void cli_log_open_opts(struct cli_log *l, const struct cli_log_opts *o,
	int need_url)
{
	cli_log_open(l, o->url, o->policy, o->log_key, o->cache, need_url);
}

void cli_log_close(struct cli_log *l)
{
	curl_easy_cleanup(l->curl);
	mlog_hash_free(l->h);
	mlog_policy_free(l->policy);
	free(l->policy_text);
	free(l->url);
	free(l->cache_dir);
	memset(l, 0, sizeof(*l));
}

/* ---- checkpoints ------------------------------------------------------- */

void cli_checkpoint_clear(struct cli_checkpoint *c)
{
	free(c->note);
	mlog_checkpoint_clear(&c->cp);
	memset(c, 0, sizeof(*c));
}

int cli_checkpoint_from_note(struct cli_log *l, struct cli_checkpoint *out,
	const char *note, size_t len, int require_quorum,
	struct mlog_error *err)
{
	struct cli_checkpoint c;
	int rc;

	memset(&c, 0, sizeof(c));
	mlog_checkpoint_init(&c.cp);
	rc = require_quorum
		? mlog_policy_verify(&c.res, &c.cp, l->policy, note, len, err)
		: mlog_policy_evaluate(&c.res, &c.cp, l->policy, note, len,
			err);
	if (rc != MLOG_OK)
		return rc;
	c.note = strndup(note, len);
	if (c.note == NULL) {
		mlog_checkpoint_clear(&c.cp);
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	}
	c.note_len = len;
	*out = c;
	return MLOG_OK;
}

int cli_log_checkpoint(struct cli_log *l, struct cli_checkpoint *out,
	int require_quorum, struct mlog_error *err)
{
	char *body = NULL;
	size_t len = 0;
	long status = cli_log_get(l, "/checkpoint", &body, &len, NULL);
	int rc;

	if (status != 200) {
		if (status < 0)
			rc = mlog_error_set(err, MLOG_ERR_IO, "%s",
				l->last_error);
		else
			rc = mlog_error_set(err, MLOG_ERR_IO,
				"GET %s/checkpoint: HTTP %ld", l->url, status);
		free(body);
		return rc;
	}
	rc = cli_checkpoint_from_note(l, out, body, len, require_quorum, err);
	if (rc != MLOG_OK)
		mlog_error_wrap(err, rc, "%s/checkpoint", l->url);
	free(body);
	return rc;
}

/* ---- entries and proofs ------------------------------------------------ */

static int open_reader(struct cli_log *l, const struct cli_checkpoint *cp,
	struct mlog_tile_hash_reader **thr, struct mlog_error *err)
{
	int rc = mlog_tile_hash_reader_new(thr, cp->cp.size, cp->cp.root,
		&l->tiles, err);

	if (rc != MLOG_OK)
		mlog_error_wrap(err, rc, "tiles of %s at size %llu", l->url,
			(unsigned long long)cp->cp.size);
	return rc;
}

int cli_log_entry(struct cli_log *l, const struct cli_checkpoint *cp,
	uint64_t index, uint8_t **entry, size_t *entry_len,
	uint8_t leaf[MLOG_HASH_BYTES],
	uint8_t (*proof)[MLOG_HASH_BYTES], size_t *proof_len,
	struct mlog_error *err)
{
	struct mlog_tile_hash_reader *thr = NULL;
	struct mlog_bundle_entry ents[MLOG_BUNDLE_MAX_ENTRIES];
	struct mlog_tile t = { 0, index >> 8, 0, 1 };
	const struct mlog_hash_reader *r;
	char path[MLOG_TILE_PATH_MAX + 1], *body = NULL;
	uint8_t got[MLOG_HASH_BYTES];
	uint64_t idx = mlog_tree_stored_index(0, index);
	size_t len = 0, count = 0;
	long status;
	int rc;

	if (index >= cp->cp.size)
		return mlog_error_set(err, MLOG_ERR_RANGE,
			"entry %llu is not in the tree of size %llu",
			(unsigned long long)index,
			(unsigned long long)cp->cp.size);
	rc = open_reader(l, cp, &thr, err);
	if (rc != MLOG_OK)
		return rc;
	r = mlog_tile_hash_reader_hashes(thr);
	rc = r->read(r->ctx, &idx, 1, &got);
	if (rc == MLOG_OK && proof != NULL)
		rc = mlog_proof_prove_inclusion(l->h, proof, proof_len, index,
			cp->cp.size, r);
	if (rc != MLOG_OK) {
		rc = mlog_error_set(err, rc, "reading entry %llu from tiles: %s",
			(unsigned long long)index,
			mlog_tile_hash_reader_last_error(thr));
		mlog_tile_hash_reader_free(thr);
		return rc;
	}
	mlog_tile_hash_reader_free(thr);
	/* The bundle as it stands at cp's size. */
	t.width = cp->cp.size - (index >> 8) * 256 >= 256 ? 256
		: (unsigned)(cp->cp.size - (index >> 8) * 256);
	path[0] = '/';
	if (mlog_tile_format(path + 1, sizeof(path) - 1, &t) < 0)
		return mlog_error_set(err, MLOG_ERR_RANGE, "bad bundle");
	status = cli_log_get(l, path, &body, &len, NULL);
	if (status != 200) {
		free(body);
		return mlog_error_set(err, MLOG_ERR_IO, "GET %s%s: %s", l->url,
			path, status < 0 ? l->last_error : "not 200");
	}
	rc = mlog_bundle_decode(ents, &count, (const uint8_t *)body, len, err);
	if (rc == MLOG_OK && count != t.width)
		rc = mlog_error_set(err, MLOG_ERR_VERIFY,
			"%s holds %zu entries, want %u", path, count, t.width);
	if (rc == MLOG_OK) {
		const struct mlog_bundle_entry *e = &ents[index & 255];
		uint8_t h[MLOG_HASH_BYTES];

		mlog_hash_leaf(l->h, h, e->data, e->len);
		if (memcmp(h, got, MLOG_HASH_BYTES) != 0) {
			rc = mlog_error_set(err, MLOG_ERR_VERIFY,
				"entry %llu from %s does not match its "
				"authenticated leaf hash",
				(unsigned long long)index, path);
		} else {
			*entry = malloc(e->len + 1);
			if (*entry == NULL) {
				rc = MLOG_ERR_NOMEM;
			} else {
				memcpy(*entry, e->data, e->len);
				(*entry)[e->len] = 0;
				*entry_len = e->len;
				if (leaf != NULL)
					memcpy(leaf, h, MLOG_HASH_BYTES);
			}
		}
	}
	free(body);
	return rc;
}

int cli_log_consistency(struct cli_log *l, const struct cli_checkpoint *cp,
	uint64_t old, uint8_t old_root[MLOG_HASH_BYTES],
	uint8_t (*proof)[MLOG_HASH_BYTES], size_t *proof_len,
	struct mlog_error *err)
{
	struct mlog_tile_hash_reader *thr = NULL;
	int rc;

	if (old == 0 || old > cp->cp.size)
		return mlog_error_set(err, MLOG_ERR_RANGE,
			"old size %llu: want 1..%llu", (unsigned long long)old,
			(unsigned long long)cp->cp.size);
	rc = open_reader(l, cp, &thr, err);
	if (rc != MLOG_OK)
		return rc;
	rc = mlog_tree_root(l->h, old_root, old,
		mlog_tile_hash_reader_hashes(thr));
	if (rc == MLOG_OK)
		rc = mlog_proof_prove_consistency(l->h, proof, proof_len, old,
			cp->cp.size, mlog_tile_hash_reader_hashes(thr));
	if (rc != MLOG_OK)
		mlog_error_set(err, rc, "consistency %llu -> %llu from tiles: "
			"%s", (unsigned long long)old,
			(unsigned long long)cp->cp.size,
			mlog_tile_hash_reader_last_error(thr));
	mlog_tile_hash_reader_free(thr);
	return rc;
}

int cli_tlogproof_write(const char *path, const struct cli_checkpoint *cp,
	uint64_t index, const uint8_t *entry, size_t entry_len,
	const uint8_t (*proof)[MLOG_HASH_BYTES], size_t proof_len,
	struct mlog_error *err)
{
	char *text = NULL, tmp[4200];
	size_t len = 0;
	int rc, fd;

	rc = mlog_tlogproof_format(&text, &len, entry, entry_len, index, proof,
		proof_len, cp->note, cp->note_len, err);
	if (rc != MLOG_OK)
		return rc;
	if (strcmp(path, "-") == 0) {
		rc = fwrite(text, 1, len, stdout) == len ? MLOG_OK
							 : MLOG_ERR_IO;
		free(text);
		return rc;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = mlog_error_set(err, MLOG_ERR_IO, "%s: %s", tmp,
			strerror(errno));
	} else if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
		rc = mlog_error_set(err, MLOG_ERR_IO, "%s: %s", path,
			strerror(errno));
		close(fd);
		unlink(tmp);
	} else if (close(fd) != 0 || rename(tmp, path) != 0) {
		rc = mlog_error_set(err, MLOG_ERR_IO, "%s: %s", path,
			strerror(errno));
		unlink(tmp);
	}
	free(text);
	return rc;
}
