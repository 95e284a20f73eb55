/*
 * witness_harness.c — mlog-witness test helpers; see witness_harness.h.
 */
#include "witness_harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>

#include "checkpoint.h"
#include "codec.h"
#include "proof.h"
#include "witness_req.h"

void wtest_tmpdir(char *out, size_t cap)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	cr_assert_lt((size_t)snprintf(out, cap, "%s/mlog-wtest-XXXXXX",
		base), cap);
	cr_assert_not_null(mkdtemp(out), "mkdtemp: %s", strerror(errno));
}

static int rm_one(const char *path, const struct stat *st, int flag,
	struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void wtest_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

unsigned wtest_free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port;

	cr_assert_geq(fd, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

const char *wtest_bin(void)
{
	const char *path = getenv("MLOG_WITNESS_BIN");

	cr_assert_not_null(path, "$MLOG_WITNESS_BIN not set (run through "
		"meson test)");
	return path;
}

/* Appends what fd yields until EOF. */
static void slurp(int fd, char **out)
{
	char *buf = NULL;
	size_t len = 0;

	for (;;) {
		char chunk[4096];
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf = realloc(buf, len + (size_t)n + 1);
		cr_assert_not_null(buf);
		memcpy(buf + len, chunk, (size_t)n);
		len += (size_t)n;
		buf[len] = '\0';
	}
	if (out != NULL)
		*out = buf != NULL ? buf : strdup("");
	else
		free(buf);
}

int wtest_run(char **out, char **err, const char *const *argv)
{
	int ofd[2], efd[2], status = 0;
	char *errbuf = NULL;
	pid_t pid;

	cr_assert_eq(pipe(ofd), 0);
	cr_assert_eq(pipe(efd), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(ofd[1], STDOUT_FILENO);
		dup2(efd[1], STDERR_FILENO);
		close(ofd[0]);
		close(ofd[1]);
		close(efd[0]);
		close(efd[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(ofd[1]);
	close(efd[1]);
	/* stderr is small (usage, one error line): read stdout first, then
	 * stderr, without risking a full pipe. */
	slurp(ofd[0], out);
	slurp(efd[0], &errbuf);
	close(ofd[0]);
	close(efd[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	if (err != NULL)
		*err = errbuf;
	else
		free(errbuf);
	return WIFEXITED(status) ? WEXITSTATUS(status)
				 : 128 + WTERMSIG(status);
}

void wtest_init(struct wtest_witness *w, const char *name)
{
	const char *argv[] = { wtest_bin(), "init", "--data", NULL,
		"--name", name, NULL };
	char *out = NULL;
	size_t n;

	memset(w, 0, sizeof(*w));
	wtest_tmpdir(w->dir, sizeof(w->dir));
	snprintf(w->data, sizeof(w->data), "%s/data", w->dir);
	snprintf(w->logpath, sizeof(w->logpath), "%s/witness.log", w->dir);
	argv[3] = w->data;
	cr_assert_eq(wtest_run(&out, NULL, argv), 0, "mlog-witness init "
		"failed");
	n = strlen(out);
	while (n > 0 && out[n - 1] == '\n')
		n--;
	cr_assert_lt(n, sizeof(w->vkey_str));
	memcpy(w->vkey_str, out, n);
	w->vkey_str[n] = '\0';
	cr_assert_eq(mlog_note_verifier_parse(&w->vkey, out, n, NULL),
		MLOG_OK, "init printed no vkey: %s", out);
	free(out);
	w->port = wtest_free_port();
	snprintf(w->url, sizeof(w->url), "http://127.0.0.1:%u", w->port);
}

static size_t build_argv(const char **argv, size_t cap,
	const struct wtest_witness *w, char *listen, size_t listen_cap,
	const char *const *extra, int with_listen)
{
	size_t n = 0;

	argv[n++] = wtest_bin();
	argv[n++] = "serve";
	argv[n++] = "--data";
	argv[n++] = w->data;
	if (with_listen) {
		snprintf(listen, listen_cap, "127.0.0.1:%u", w->port);
		argv[n++] = "--listen";
		argv[n++] = listen;
	}
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) {
		cr_assert_lt(n, cap - 1);
		argv[n++] = extra[i];
	}
	argv[n] = NULL;
	return n;
}

void wtest_start(struct wtest_witness *w, const char *const *extra,
	int with_listen)
{
	const char *argv[256];
	char listen[64], url[128];
	pid_t pid;

	build_argv(argv, 256, w, listen, sizeof(listen), extra, with_listen);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(w->logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	w->pid = pid;
	snprintf(url, sizeof(url), "%s/healthz", w->url);
	for (int i = 0; i < 1000; i++) {
		struct wtest_http r;
		int status;
		long got;

		if (waitpid(pid, &status, WNOHANG) == pid) {
			w->pid = 0;
			cr_assert_fail("mlog-witness exited during start-up (status "
				"%d); see %s", status, w->logpath);
		}
		wtest_get(&r, url);
		got = r.status;
		wtest_http_clear(&r);
		if (got == 200)
			return;
		usleep(10000);
	}
	cr_assert_fail("mlog-witness did not become healthy in 10 s; see %s",
		w->logpath);
}

int wtest_serve_exit(struct wtest_witness *w, const char *const *extra,
	char **err)
{
	const char *argv[256];
	char listen[64];

	build_argv(argv, 256, w, listen, sizeof(listen), extra, 1);
	return wtest_run(NULL, err, argv);
}

int wtest_stop(struct wtest_witness *w)
{
	int status = 0;

	if (w->pid == 0)
		return -1;
	kill(w->pid, SIGTERM);
	cr_assert_eq(waitpid(w->pid, &status, 0), w->pid);
	w->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status)
				 : 128 + WTERMSIG(status);
}

void wtest_kill9(struct wtest_witness *w)
{
	if (w->pid == 0)
		return;
	kill(w->pid, SIGKILL);
	waitpid(w->pid, NULL, 0);
	w->pid = 0;
}

void wtest_cleanup(struct wtest_witness *w)
{
	wtest_kill9(w);
	if (w->dir[0] != '\0' && getenv("MLOG_TEST_KEEP") == NULL)
		wtest_rmtree(w->dir);
}

/* ---- synthetic logs ----------------------------------------------------- */

void wtest_log_new(struct wtest_log *l, const char *origin, uint8_t seed,
	uint64_t fork_at)
{
	struct mlog_note_verifier v;
	uint8_t s[32];

	memset(l, 0, sizeof(*l));
	memset(s, seed, sizeof(s));
	cr_assert_eq(mlog_note_signer_from_seed(&l->key, origin,
		MLOG_NOTE_TYPE_ED25519, s), MLOG_OK);
	mlog_note_signer_verifier(&v, &l->key);
	cr_assert_gt(mlog_note_verifier_format(l->vkey, sizeof(l->vkey), &v),
		0);
	memtree_init(&l->tree);
	l->fork_at = fork_at;
}

void wtest_log_free(struct wtest_log *l)
{
	memtree_clear(&l->tree);
	mlog_note_signer_clear(&l->key);
}

static void grow(struct wtest_log *l, uint64_t size)
{
	while (l->tree.size < size) {
		char leaf[48];
		int n;

		if (l->fork_at > 0 && l->tree.size >= l->fork_at)
			n = snprintf(leaf, sizeof(leaf), "fork-%llu",
				(unsigned long long)l->tree.size);
		else
			n = snprintf(leaf, sizeof(leaf), "leaf-%llu",
				(unsigned long long)l->tree.size);
		memtree_append(&l->tree, leaf, (size_t)n);
	}
}

void wtest_log_root(struct wtest_log *l, uint64_t size,
	uint8_t root[MLOG_HASH_BYTES])
{
	grow(l, size);
	if (size == 0)
		mlog_hash_empty(root);
	else
		memtree_root(&l->tree, size, root);
}

char *wtest_log_checkpoint(struct wtest_log *l, uint64_t size,
	const struct mlog_note_signer *extra, size_t nextra, size_t *len)
{
	struct mlog_note_signer signers[8];
	struct mlog_checkpoint c;
	struct mlog_error err = { 0, "" };
	char *note = NULL;

	cr_assert_lt(nextra, 8);
	signers[0] = l->key;
	for (size_t i = 0; i < nextra; i++)
		signers[1 + i] = extra[i];
	mlog_checkpoint_init(&c);
	c.origin = l->key.name;
	c.size = size;
	wtest_log_root(l, size, c.root);
	cr_assert_eq(mlog_checkpoint_sign(&note, len, &c, signers,
		1 + nextra, &err), MLOG_OK, "%s", err.msg);
	return note;
}

char *wtest_log_body(struct wtest_log *l, uint64_t old, uint64_t size,
	size_t *len)
{
	uint8_t proof[MLOG_PROOF_MAX][MLOG_HASH_BYTES];
	struct mlog_error err = { 0, "" };
	size_t n = 0, note_len;
	char *note, *body = NULL;

	note = wtest_log_checkpoint(l, size, NULL, 0, &note_len);
	if (old > 0 && old < size)
		n = memtree_consistency(&l->tree, old, size, proof);
	cr_assert_eq(mlog_witness_req_format(&body, len, old,
		(const uint8_t (*)[MLOG_HASH_BYTES])proof, n, note, note_len,
		&err), MLOG_OK, "%s", err.msg);
	free(note);
	return body;
}

/* ---- HTTP --------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct wtest_http *r = ctx;
	char *grown = realloc(r->body, r->len + size * n + 1);

	if (grown == NULL)
		return 0;
	r->body = grown;
	memcpy(r->body + r->len, p, size * n);
	r->len += size * n;
	r->body[r->len] = '\0';
	return size * n;
}

static void copy_header(char *dst, size_t cap, const char *line,
	size_t len, const char *name)
{
	size_t nl = strlen(name);

	if (len > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
		const char *v = line + nl + 1;
		size_t vl;

		while (*v == ' ')
			v++;
		vl = strcspn(v, "\r\n");
		if (vl >= cap)
			vl = cap - 1;
		memcpy(dst, v, vl);
		dst[vl] = '\0';
	}
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct wtest_http *r = ctx;
	char line[512];
	size_t len = size * n < sizeof(line) - 1 ? size * n : sizeof(line) - 1;

	memcpy(line, p, len);
	line[len] = '\0';
	copy_header(r->content_type, sizeof(r->content_type), line, len,
		"Content-Type");
	copy_header(r->retry_after, sizeof(r->retry_after), line, len,
		"Retry-After");
	return size * n;
}

static void request(struct wtest_http *r, const char *url, const void *body,
	size_t len)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = NULL;

	memset(r, 0, sizeof(*r));
	r->body = calloc(1, 1);
	r->status = -1;
	cr_assert_not_null(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (body != NULL) {
		hdrs = curl_slist_append(hdrs, "Expect:");
		hdrs = curl_slist_append(hdrs, "Content-Type: text/plain");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			(curl_off_t)len);
	}
	r->curl = (int)curl_easy_perform(c);
	if (r->curl == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
}

void wtest_add(struct wtest_http *r, const struct wtest_witness *w,
	const void *body, size_t len)
{
	char url[128];

	snprintf(url, sizeof(url), "%s/add-checkpoint", w->url);
	request(r, url, body != NULL ? body : "", len);
}

void wtest_get(struct wtest_http *r, const char *url)
{
	request(r, url, NULL, 0);
}

void wtest_http_clear(struct wtest_http *r)
{
	free(r->body);
	r->body = NULL;
}

uint64_t wtest_check_cosig(const struct wtest_witness *w, const char *req,
	size_t req_len, const char *resp, size_t resp_len)
{
	struct mlog_witness_req r;
	struct mlog_note *n = NULL;
	struct mlog_note_check check;
	struct mlog_error err = { 0, "" };

	cr_assert_eq(mlog_witness_req_parse(&r, req, req_len, &err), MLOG_OK,
		"%s", err.msg);
	cr_assert_eq(mlog_witness_req_cosigs_parse(&n, r.note->text,
		r.note->text_len, resp, resp_len, &err), MLOG_OK,
		"200 body: %s", err.msg);
	cr_assert_eq(n->nsigs, 1, "want exactly one cosignature line");
	cr_assert_eq(mlog_note_verify(n, &w->vkey, 1, &check, &err), MLOG_OK,
		"cosignature does not verify: %s", err.msg);
	cr_assert(check.verified);
	cr_assert_gt(check.timestamp, 0, "cosignature time 0");
	mlog_note_free(n);
	mlog_witness_req_clear(&r);
	return check.timestamp;
}

void wtest_origin_hex(char out[65], const char *origin)
{
	struct mlog_hash *h = mlog_hash_new();
	uint8_t d[32];

	mlog_hash_sha256(h, d, origin, strlen(origin));
	mlog_codec_hex_encode(out, d, sizeof(d));
	mlog_hash_free(h);
}

int wtest_connect(unsigned port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0,
		"connect: %s", strerror(errno));
	return fd;
}

char *wtest_read_all(int fd, int timeout_ms, int *closed)
{
	char *buf = calloc(1, 1);
	size_t len = 0;

	*closed = 0;
	cr_assert_not_null(buf);
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		char chunk[4096];
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0)
			break;
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*closed = 1;
			break;
		}
		buf = realloc(buf, len + (size_t)n + 1);
		cr_assert_not_null(buf);
		memcpy(buf + len, chunk, (size_t)n);
		len += (size_t)n;
		buf[len] = '\0';
	}
	return buf;
}
