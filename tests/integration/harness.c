/*
 * harness.c — process-level test helpers; see harness.h.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "checkpoint.h"
#include "codec.h"
#include "hash.h"
#include "proof.h"

void itest_init(void)
{
	cr_assert_geq(sodium_init(), 0);
	cr_assert_eq(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	signal(SIGPIPE, SIG_IGN);
}

void itest_tmpdir(char *out, size_t cap)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	cr_assert_lt((size_t)snprintf(out, cap, "%s/mlog-test-XXXXXX", base),
		cap);
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

void itest_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

unsigned itest_free_port(void)
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

static const char *bin(const char *env)
{
	const char *path = getenv(env);

	cr_assert_not_null(path, "$%s not set (run through meson test)", env);
	return path;
}

/* itest_run2 kills a program still running after this long. */
#define RUN_DEADLINE_S 20

/* Appends what fd has to *buf; returns 0 at EOF, 1 if more may come. */
static int drain(int fd, char **buf, size_t *len)
{
	char chunk[4096];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	char *grown;

	if (n < 0 && errno == EINTR)
		return 1;
	if (n <= 0)
		return 0;
	grown = realloc(*buf, *len + (size_t)n + 1);
	cr_assert_not_null(grown);
	*buf = grown;
	memcpy(*buf + *len, chunk, (size_t)n);
	*len += (size_t)n;
	(*buf)[*len] = '\0';
	return 1;
}

int itest_run2(char **out, char **errout, const char *const *argv)
{
	int fds[2], efds[2] = { -1, -1 }, status = 0;
	pid_t pid;
	char *buf[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 };
	struct pollfd pfd[2];
	struct timespec t0, now;
	int killed = 0;

	cr_assert_eq(pipe(fds), 0);
	if (errout != NULL)
		cr_assert_eq(pipe(efds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		if (errout != NULL)
			dup2(efds[1], STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		if (errout != NULL) {
			close(efds[0]);
			close(efds[1]);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	if (errout != NULL)
		close(efds[1]);
	pfd[0] = (struct pollfd){ fds[0], POLLIN, 0 };
	pfd[1] = (struct pollfd){ efds[0], POLLIN, 0 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		int rc;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec >= RUN_DEADLINE_S && !killed) {
			/* A program that should have exited (say, a server
			 * that should have refused to start) is running:
			 * kill it, and its status says so. */
			kill(pid, SIGKILL);
			killed = 1;
		}
		rc = poll(pfd, 2, 1000);
		if (rc < 0) {
			cr_assert_eq(errno, EINTR);
			continue;
		}
		for (int i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || pfd[i].revents == 0)
				continue;
			if (!drain(pfd[i].fd, &buf[i], &len[i])) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
			}
		}
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	if (out != NULL)
		*out = buf[0] != NULL ? buf[0] : strdup("");
	else
		free(buf[0]);
	if (errout != NULL)
		*errout = buf[1] != NULL ? buf[1] : strdup("");
	return WIFEXITED(status) ? WEXITSTATUS(status)
				 : 128 + WTERMSIG(status);
}

int itest_run(char **out, const char *const *argv)
{
	return itest_run2(out, NULL, argv);
}

const char *itest_data_path(const struct itest_log *l, const char *file)
{
	static char path[512];

	cr_assert_lt((size_t)snprintf(path, sizeof(path), "%s/data/%s",
		l->dir, file), sizeof(path));
	return path;
}

/* Copies the end of the server's log in dir to stderr, so that a failing
 * test shows why in meson's log. */
static void dump_log_dir(const char *dir)
{
	char path[320], buf[8192];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/mlogd.log", dir);
	f = fopen(path, "r");
	if (f == NULL)
		return;
	if (fseek(f, 0, SEEK_END) == 0 && ftell(f) > (long)sizeof(buf) - 1)
		fseek(f, -(long)sizeof(buf) + 1, SEEK_END);
	else
		fseek(f, 0, SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	fprintf(stderr, "---- end of %s ----\n%s---- (log ends) ----\n", path,
		buf);
}

static void dump_log(const struct itest_log *l)
{
	dump_log_dir(l->dir);
}

/*
 * Every log a test process created, so that a test that fails half-way
 * (Criterion leaves the test function at the failed assertion) neither
 * leaves servers running nor directories behind: an atexit handler kills
 * and removes what is still registered. The servers also die with the
 * test process (PR_SET_PDEATHSIG) if it is killed, say by a timeout.
 */
#define MAX_LOGS 16

static struct {
	int used;
	pid_t pid;
	char dir[256];
} live[MAX_LOGS];

static void at_exit(void)
{
	for (int i = 0; i < MAX_LOGS; i++) {
		if (!live[i].used)
			continue;
		if (live[i].pid != 0) {
			kill(live[i].pid, SIGKILL);
			waitpid(live[i].pid, NULL, 0);
		}
		fprintf(stderr, "harness: the test left %s behind\n",
			live[i].dir);
		dump_log_dir(live[i].dir);
		if (getenv("MLOG_TEST_KEEP") == NULL)
			itest_rmtree(live[i].dir);
		live[i].used = 0;
	}
}

static void track(struct itest_log *l)
{
	static int registered;

	if (!registered) {
		cr_assert_eq(atexit(at_exit), 0);
		registered = 1;
	}
	for (int i = 0; i < MAX_LOGS; i++) {
		if (!live[i].used) {
			live[i].used = 1;
			live[i].pid = 0;
			snprintf(live[i].dir, sizeof(live[i].dir), "%s",
				l->dir);
			l->slot = i;
			return;
		}
	}
	cr_assert_fail("more than %d logs in one test", MAX_LOGS);
}

static void set_pid(struct itest_log *l, pid_t pid)
{
	l->pid = pid;
	live[l->slot].pid = pid;
}

void itest_log_init(struct itest_log *l, const char *origin)
{
	char data[300];
	char *out = NULL;
	const char *argv[] = { bin("MLOGD_BIN"), "init", "--data", data,
		"--origin", origin, NULL };
	size_t n;

	memset(l, 0, sizeof(*l));
	itest_tmpdir(l->dir, sizeof(l->dir));
	track(l);
	snprintf(data, sizeof(data), "%s/data", l->dir);
	snprintf(l->origin, sizeof(l->origin), "%s", origin);
	cr_assert_eq(itest_run(&out, argv), 0, "mlogd init failed");
	n = strlen(out);
	while (n > 0 && out[n - 1] == '\n')
		n--;
	cr_assert_eq(mlog_note_verifier_parse(&l->vkey, out, n, NULL),
		MLOG_OK, "init printed no vkey: %s", out);
	free(out);
	l->port = itest_free_port();
	snprintf(l->url, sizeof(l->url), "http://127.0.0.1:%u", l->port);
}

void itest_log_start(struct itest_log *l, const char *const *extra)
{
	const char *argv[64];
	char data[300], listen[64], logpath[300];
	size_t n = 0;
	pid_t pid;

	snprintf(data, sizeof(data), "%s/data", l->dir);
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", l->port);
	snprintf(logpath, sizeof(logpath), "%s/mlogd.log", l->dir);
	argv[n++] = bin("MLOGD_BIN");
	argv[n++] = "serve";
	argv[n++] = "--data";
	argv[n++] = data;
	argv[n++] = "--listen";
	argv[n++] = listen;
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) {
		cr_assert_lt(n, 62);
		argv[n++] = extra[i];
	}
	argv[n] = NULL;
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(127);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	set_pid(l, pid);
	for (int i = 0; i < 1000; i++) {
		struct itest_http r;
		int status;
		char url[128];

		if (waitpid(pid, &status, WNOHANG) == pid) {
			set_pid(l, 0);
			dump_log(l);
			cr_assert_fail("mlogd exited during start-up "
				"(status %d); see %s", status, logpath);
		}
		snprintf(url, sizeof(url), "%s/healthz", l->url);
		itest_get(&r, url);
		status = (int)r.status;
		itest_http_clear(&r);
		if (status == 200)
			return;
		usleep(10000);
	}
	dump_log(l);
	cr_assert_fail("mlogd did not become healthy in 10 s; see %s", logpath);
}

int itest_log_stop(struct itest_log *l)
{
	int status = 0;

	if (l->pid == 0)
		return -1;
	kill(l->pid, SIGTERM);
	cr_assert_eq(waitpid(l->pid, &status, 0), l->pid);
	set_pid(l, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		dump_log(l);
	return WIFEXITED(status) ? WEXITSTATUS(status)
				 : 128 + WTERMSIG(status);
}

void itest_log_kill9(struct itest_log *l)
{
	int status = 0;

	if (l->pid == 0)
		return;
	/* A server that died on its own (a sanitizer abort, a crash) must
	 * not pass for one we killed. */
	if (waitpid(l->pid, &status, WNOHANG) == l->pid) {
		set_pid(l, 0);
		dump_log(l);
		cr_assert_fail("mlogd died before kill -9 (status %d)",
			status);
	}
	kill(l->pid, SIGKILL);
	waitpid(l->pid, NULL, 0);
	set_pid(l, 0);
}

void itest_log_cleanup(struct itest_log *l)
{
	if (l->pid != 0) {
		kill(l->pid, SIGKILL);
		waitpid(l->pid, NULL, 0);
		set_pid(l, 0);
	}
	live[l->slot].used = 0;
	if (l->dir[0] != '\0' && getenv("MLOG_TEST_KEEP") == NULL)
		itest_rmtree(l->dir);
}

/* ---- HTTP -------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct itest_http *r = ctx;
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
	const char *name)
{
	size_t nl = strlen(name);

	if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
		const char *v = line + nl + 1;
		size_t len;

		while (*v == ' ')
			v++;
		len = strcspn(v, "\r\n");
		if (len >= cap)
			len = cap - 1;
		memcpy(dst, v, len);
		dst[len] = '\0';
	}
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct itest_http *r = ctx;
	char line[512];
	size_t len = size * n < sizeof(line) - 1 ? size * n : sizeof(line) - 1;

	memcpy(line, p, len);
	line[len] = '\0';
	copy_header(r->content_type, sizeof(r->content_type), line,
		"Content-Type");
	copy_header(r->cache_control, sizeof(r->cache_control), line,
		"Cache-Control");
	copy_header(r->retry_after, sizeof(r->retry_after), line,
		"Retry-After");
	copy_header(r->allow, sizeof(r->allow), line, "Allow");
	return size * n;
}

static void request(struct itest_http *r, const char *method,
	const char *url, const void *body, size_t len)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	r->body = calloc(1, 1);
	r->status = -1;
	if (c == NULL || r->body == NULL) {
		curl_easy_cleanup(c);
		return;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (body != NULL) {
		hdrs = curl_slist_append(hdrs,
			"Content-Type: application/json");
		hdrs = curl_slist_append(hdrs, "Expect:");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			(curl_off_t)len);
	}
	if (method != NULL)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
}

void itest_get(struct itest_http *r, const char *url)
{
	request(r, NULL, url, NULL, 0);
}

void itest_getf(struct itest_http *r, const char *fmt, ...)
{
	char url[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(url, sizeof(url), fmt, ap);
	va_end(ap);
	request(r, NULL, url, NULL, 0);
}

void itest_post(struct itest_http *r, const char *url, const void *body,
	size_t len)
{
	request(r, NULL, url, body != NULL ? body : "", len);
}

void itest_request(struct itest_http *r, const char *method,
	const char *url, const void *body, size_t len)
{
	request(r, method, url, body, len);
}

void itest_http_clear(struct itest_http *r)
{
	free(r->body);
	r->body = NULL;
}

int itest_raw_connect(const struct itest_log *l)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_geq(fd, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)l->port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0,
		"connect: %s", strerror(errno));
	return fd;
}

void itest_raw_send(int fd, const void *data, size_t len)
{
	/* The server may answer and close before taking everything: a
	 * short write is not an error here. */
	for (size_t off = 0; off < len;) {
		ssize_t n = send(fd, (const char *)data + off, len - off,
			MSG_NOSIGNAL);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
}

long itest_raw_finish(int fd, char **reply, int timeout_ms)
{
	struct timespec t0, now;
	char *buf = NULL;
	size_t got = 0;
	long status = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		long spent;
		int rc;

		clock_gettime(CLOCK_MONOTONIC, &now);
		spent = (now.tv_sec - t0.tv_sec) * 1000 +
			(now.tv_nsec - t0.tv_nsec) / 1000000;
		if (spent >= timeout_ms)
			break;
		rc = poll(&p, 1, (int)(timeout_ms - spent));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0 || !drain(fd, &buf, &got))
			break;
		/* One complete response is all we wait for. */
		if (buf != NULL && strstr(buf, "\r\n\r\n") != NULL) {
			const char *cl = strcasestr(buf, "Content-Length:");
			const char *end = strstr(buf, "\r\n\r\n") + 4;

			if (cl != NULL && (size_t)(end - buf) +
			    strtoul(cl + 15, NULL, 10) <= got)
				break;
		}
	}
	close(fd);
	if (buf != NULL && strncmp(buf, "HTTP/1.", 7) == 0 && got > 12)
		status = strtol(buf + 9, NULL, 10);
	if (reply != NULL)
		*reply = buf != NULL ? buf : strdup("");
	else
		free(buf);
	return status;
}

long itest_raw(const struct itest_log *l, const void *req, size_t len,
	char **reply, int timeout_ms)
{
	int fd = itest_raw_connect(l);

	itest_raw_send(fd, req, len);
	return itest_raw_finish(fd, reply, timeout_ms);
}

void itest_assert_error(const struct itest_http *r, long status)
{
	json_t *j;
	const char *msg;

	cr_assert_eq(r->status, status, "want %ld, got %ld: %s", status,
		r->status, r->body);
	cr_assert(strncmp(r->content_type, "application/json", 16) == 0,
		"error %ld has Content-Type '%s'", status, r->content_type);
	j = json_loadb(r->body, r->len, 0, NULL);
	cr_assert_not_null(j, "error %ld body is not JSON: %s", status,
		r->body);
	msg = json_string_value(json_object_get(j, "error"));
	cr_assert(json_is_object(j) && json_object_size(j) == 1 &&
		msg != NULL && msg[0] != '\0',
		"error %ld body is not {\"error\":\"...\"}: %s", status,
		r->body);
	json_decref(j);
}

json_t *itest_json(const struct itest_http *r)
{
	json_error_t e;
	json_t *j = json_loadb(r->body, r->len, 0, &e);

	cr_assert_not_null(j, "not JSON (%s): %s", e.text, r->body);
	return j;
}

void itest_b64_hash(uint8_t out[32], const char *b64)
{
	size_t got = 0;

	cr_assert_not_null(b64);
	cr_assert_eq(mlog_codec_base64_decode(out, 32, &got, b64,
		strlen(b64)), MLOG_OK, "bad base64 hash %s", b64);
	cr_assert_eq(got, 32, "hash %s is not 32 bytes", b64);
}

size_t itest_proof(uint8_t (*out)[32], const json_t *arr)
{
	size_t n = json_array_size(arr);

	cr_assert(json_is_array(arr), "proof is not an array");
	cr_assert_leq(n, MLOG_PROOF_MAX);
	for (size_t i = 0; i < n; i++)
		itest_b64_hash(out[i], json_string_value(json_array_get(arr,
			i)));
	return n;
}

void itest_checkpoint_open(const struct itest_log *l, const char *note,
	size_t len, uint64_t *size, uint8_t root[32])
{
	struct mlog_checkpoint c;
	struct mlog_error err = { 0, "" };

	mlog_checkpoint_init(&c);
	cr_assert_eq(mlog_checkpoint_open(&c, NULL, note, len, l->origin,
		&l->vkey, 1, NULL, &err), MLOG_OK, "checkpoint: %s: %.*s",
		err.msg, (int)len, note);
	if (size != NULL)
		*size = c.size;
	if (root != NULL)
		memcpy(root, c.root, 32);
	mlog_checkpoint_clear(&c);
}

void itest_checkpoint(const struct itest_log *l, uint64_t *size,
	uint8_t root[32], char **note)
{
	struct itest_http r;

	itest_getf(&r, "%s/checkpoint", l->url);
	cr_assert_eq(r.status, 200, "/checkpoint: %ld", r.status);
	itest_checkpoint_open(l, r.body, r.len, size, root);
	if (note != NULL)
		*note = strdup(r.body);
	itest_http_clear(&r);
}

static int read_tile_http(void *ctx, const struct mlog_tile *t, uint8_t *buf,
	size_t *len)
{
	const struct itest_log *l = ctx;
	char path[MLOG_TILE_PATH_MAX];
	struct itest_http r;
	int rc = MLOG_OK;

	if (mlog_tile_format(path, sizeof(path), t) < 0)
		return MLOG_ERR_RANGE;
	itest_getf(&r, "%s/%s", l->url, path);
	if (r.status != 200)
		rc = r.status == 404 ? MLOG_ERR_NOTFOUND : MLOG_ERR_IO;
	else if (r.len > MLOG_TILE_MAX_BYTES)
		rc = MLOG_ERR_MALFORMED;
	if (rc == MLOG_OK) {
		memcpy(buf, r.body, r.len);
		*len = r.len;
	}
	itest_http_clear(&r);
	return rc;
}

struct mlog_tile_source itest_tile_source(const struct itest_log *l)
{
	return (struct mlog_tile_source){ read_tile_http, (void *)l };
}

double itest_metric(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *line = text; line != NULL && *line != '\0';) {
		const char *nl = strchr(line, '\n');

		if (line[0] != '#' && strncmp(line, series, n) == 0 &&
		    line[n] == ' ')
			return strtod(line + n + 1, NULL);
		line = nl != NULL ? nl + 1 : NULL;
	}
	return -1;
}

/* ---- concurrent submissions --------------------------------------------- */

struct post_pool {
	const struct itest_log *l;
	struct itest_job *jobs;
	size_t n;
	size_t next;                 /* guarded by lock */
	pthread_mutex_t lock;
	const volatile int *stop;
};

static void *post_worker(void *arg)
{
	struct post_pool *p = arg;
	char url[128];

	snprintf(url, sizeof(url), "%s/v1/entries", p->l->url);
	for (;;) {
		struct itest_job *job;
		struct itest_http r;
		size_t i;

		if (p->stop != NULL && __atomic_load_n(p->stop,
			__ATOMIC_SEQ_CST))
			break;
		pthread_mutex_lock(&p->lock);
		i = p->next < p->n ? p->next++ : p->n;
		pthread_mutex_unlock(&p->lock);
		if (i == p->n)
			break;
		job = &p->jobs[i];
		itest_post(&r, url, job->body, job->len);
		job->r = r;
	}
	return NULL;
}

void itest_post_many(const struct itest_log *l, struct itest_job *jobs,
	size_t n, unsigned nthreads, const volatile int *stop)
{
	struct post_pool p = { l, jobs, n, 0, PTHREAD_MUTEX_INITIALIZER,
		stop };
	pthread_t th[64];

	cr_assert(nthreads >= 1 && nthreads <= 64);
	for (size_t i = 0; i < n; i++)
		memset(&jobs[i].r, 0, sizeof(jobs[i].r));
	for (unsigned i = 0; i < nthreads; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, post_worker, &p), 0);
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
}

void itest_jobs_clear(struct itest_job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		itest_http_clear(&jobs[i].r);
}

/* ---- signers and entries ------------------------------------------------ */

void itest_signer_new(struct itest_signer *s, const char *dir,
	const char *name, int alg)
{
	char pem[MLOG_DSSE_PEM_OUT_MAX];
	FILE *f;
	int n;

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	cr_assert_eq(mlog_dsse_key_generate(&s->key, alg, NULL), MLOG_OK);
	n = mlog_dsse_key_format_public(pem, sizeof(pem), s->key);
	cr_assert_gt(n, 0);
	snprintf(s->pub_path, sizeof(s->pub_path), "%s/%s.pub", dir, name);
	f = fopen(s->pub_path, "w");
	cr_assert_not_null(f);
	fwrite(pem, 1, (size_t)n, f);
	fclose(f);
}

void itest_signer_clear(struct itest_signer *s)
{
	mlog_dsse_key_free(s->key);
	s->key = NULL;
}

void itest_signer_flag(char *out, size_t cap, const struct itest_signer *s,
	const char *roles)
{
	snprintf(out, cap, "%s=%s:%s", s->name, roles, s->pub_path);
}

static void hex_of(char *out, uint64_t seed, const char *salt, size_t bytes)
{
	struct mlog_hash *h = mlog_hash_new();
	uint8_t d[32], buf[64];
	char in[64];
	size_t n = (size_t)snprintf(in, sizeof(in), "%s-%llu", salt,
		(unsigned long long)seed);

	mlog_hash_sha256(h, d, in, n);
	memcpy(buf, d, 32);
	mlog_hash_sha256(h, d, d, 32);
	memcpy(buf + 32, d, 32);
	mlog_codec_hex_encode(out, buf, bytes);
	mlog_hash_free(h);
}

void itest_mrenclave(char out[65], uint64_t seed)
{
	hex_of(out, seed, "mrenclave", 32);
}

void itest_mrsigner(char out[65], uint64_t seed)
{
	hex_of(out, seed / 1000, "mrsigner", 32);
}

void itest_subject(char out[65], uint64_t seed)
{
	hex_of(out, seed, "subject", 32);
}

char *itest_build_statement(uint64_t seed)
{
	char mrenclave[65], mrsigner[65], subject[65], commit[41];
	char *json;

	itest_mrenclave(mrenclave, seed);
	itest_mrsigner(mrsigner, seed);
	itest_subject(subject, seed);
	hex_of(commit, seed, "commit", 20);
	cr_assert_neq(asprintf(&json,
		"{\"_type\":\"https://in-toto.io/Statement/v1\","
		"\"subject\":[{\"name\":\"enclave-%llu.signed.so\","
		"\"digest\":{\"sha256\":\"%s\"}}],"
		"\"predicateType\":\"urn:mlog:build-manifest:v1\","
		"\"predicate\":{\"build\":{\"id\":\"build-%llu\","
		"\"source\":{\"uri\":\"git+https://example.com/enclave.git\","
		"\"commit\":\"%s\"},\"builder\":\"ci.example.com\","
		"\"toolchain\":[{\"name\":\"gcc\",\"version\":\"12.2.0\","
		"\"digest\":{\"sha256\":\"%s\"}}]},"
		"\"measurements\":[{\"tee\":\"sgx\",\"mrenclave\":\"%s\","
		"\"mrsigner\":\"%s\",\"isvprodid\":1,\"isvsvn\":%llu,"
		"\"attributes\":\"04000000000000000300000000000000\","
		"\"miscselect\":\"00000000\",\"debug\":false}],"
		"\"sbom\":[]}}", (unsigned long long)seed, subject,
		(unsigned long long)seed, commit, subject, mrenclave, mrsigner,
		(unsigned long long)(seed % 100)), -1);
	return json;
}

char *itest_approval_statement(const char *mrenclave_hex, const char *ticket,
	const char *decision)
{
	char *json;

	cr_assert_neq(asprintf(&json,
		"{\"_type\":\"https://in-toto.io/Statement/v1\","
		"\"subject\":[{\"name\":\"sgx.mrenclave\","
		"\"digest\":{\"sha256\":\"%s\"}}],"
		"\"predicateType\":\"urn:mlog:approval:v1\","
		"\"predicate\":{\"ticket\":\"%s\",\"decision\":\"%s\","
		"\"approver\":\"alice@example.com\","
		"\"reviewed_at\":\"2026-11-25T10:00:00Z\","
		"\"measurement\":{\"tee\":\"sgx\",\"mrenclave\":\"%s\"}}}",
		mrenclave_hex, ticket, decision, mrenclave_hex), -1);
	return json;
}

char *itest_envelope(const struct itest_signer *const *signers, size_t n,
	const char *statement, size_t *len)
{
	const struct mlog_dsse_key *keys[16];
	struct mlog_dsse_envelope *env = NULL;
	struct mlog_error err = { 0, "" };
	char *out = NULL;

	cr_assert_leq(n, 16);
	for (size_t i = 0; i < n; i++)
		keys[i] = signers[i]->key;
	cr_assert_eq(mlog_dsse_sign(&env, MLOG_DSSE_TYPE_INTOTO,
		(const uint8_t *)statement, strlen(statement), keys, n, &err),
		MLOG_OK, "%s", err.msg);
	cr_assert_eq(mlog_dsse_format(&out, len, env, &err), MLOG_OK, "%s",
		err.msg);
	mlog_dsse_free(env);
	return out;
}

char *itest_build_envelope(const struct itest_signer *s, uint64_t seed,
	size_t *len)
{
	char *st = itest_build_statement(seed), *env;

	env = itest_envelope(&s, 1, st, len);
	free(st);
	return env;
}

char *itest_approval_envelope(const struct itest_signer *s, uint64_t seed,
	const char *ticket, size_t *len)
{
	char mre[65], *st, *env;

	itest_mrenclave(mre, seed);
	st = itest_approval_statement(mre, ticket, "approved");
	env = itest_envelope(&s, 1, st, len);
	free(st);
	return env;
}

uint64_t itest_check_receipt(const struct itest_log *l, const char *json,
	const void *leaf_data, size_t leaf_len, uint64_t *size,
	uint8_t root[32])
{
	uint8_t proof[MLOG_PROOF_MAX][32], leaf[32], want[32];
	struct mlog_checkpoint c;
	struct mlog_error err = { 0, "" };
	struct mlog_hash *h = mlog_hash_new();
	json_t *j = json_loads(json, 0, NULL), *arr;
	const char *note, *lh;
	size_t n, got = 0;
	uint64_t index;

	cr_assert_not_null(j, "receipt is not JSON: %s", json);
	note = json_string_value(json_object_get(j, "checkpoint"));
	lh = json_string_value(json_object_get(j, "leaf_hash"));
	arr = json_object_get(j, "inclusion_proof");
	cr_assert(note != NULL && lh != NULL && json_is_array(arr) &&
		json_is_integer(json_object_get(j, "index")),
		"receipt lacks fields: %s", json);
	index = (uint64_t)json_integer_value(json_object_get(j, "index"));
	mlog_checkpoint_init(&c);
	cr_assert_eq(mlog_checkpoint_open(&c, NULL, note, strlen(note),
		l->origin, &l->vkey, 1, NULL, &err), MLOG_OK,
		"receipt checkpoint: %s", err.msg);
	cr_assert_eq(mlog_codec_base64_decode(leaf, 32, &got, lh,
		strlen(lh)), MLOG_OK);
	cr_assert_eq(got, 32);
	if (leaf_data != NULL) {
		mlog_hash_leaf(h, want, leaf_data, leaf_len);
		cr_assert_arr_eq(leaf, want, 32, "leaf hash is not the hash "
			"of the canonical envelope");
	}
	n = json_array_size(arr);
	cr_assert_leq(n, MLOG_PROOF_MAX);
	for (size_t i = 0; i < n; i++) {
		const char *p = json_string_value(json_array_get(arr, i));

		cr_assert_not_null(p);
		cr_assert_eq(mlog_codec_base64_decode(proof[i], 32, &got, p,
			strlen(p)), MLOG_OK);
	}
	cr_assert_eq(mlog_proof_verify_inclusion(h, index, c.size, leaf,
		(const uint8_t (*)[32])proof, n, c.root), MLOG_OK,
		"receipt inclusion proof for %llu in %llu does not verify",
		(unsigned long long)index, (unsigned long long)c.size);
	if (size != NULL)
		*size = c.size;
	if (root != NULL)
		memcpy(root, c.root, 32);
	mlog_checkpoint_clear(&c);
	json_decref(j);
	mlog_hash_free(h);
	return index;
}
