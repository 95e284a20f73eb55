/*
 * harness.c — process-level test helpers; see harness.h.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>

#include "checkpoint.h"
#include "codec.h"
#include "hash.h"
#include "proof.h"

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

int itest_run(char **out, const char *const *argv)
{
	int fds[2], status = 0;
	pid_t pid;
	char *buf = NULL;
	size_t len = 0;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		char chunk[4096];
		ssize_t n = read(fds[0], chunk, sizeof(chunk));

		if (n <= 0)
			break;
		buf = realloc(buf, len + (size_t)n + 1);
		cr_assert_not_null(buf);
		memcpy(buf + len, chunk, (size_t)n);
		len += (size_t)n;
		buf[len] = '\0';
	}
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	if (out != NULL)
		*out = buf != NULL ? buf : strdup("");
	else
		free(buf);
	return WIFEXITED(status) ? WEXITSTATUS(status)
				 : 128 + WTERMSIG(status);
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

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	l->pid = pid;
	for (int i = 0; i < 1000; i++) {
		struct itest_http r;
		int status;
		char url[128];

		if (waitpid(pid, &status, WNOHANG) == pid) {
			l->pid = 0;
			cr_fatal("mlogd exited during start-up (status %d); see "
				"%s", status, logpath);
		}
		snprintf(url, sizeof(url), "%s/healthz", l->url);
		itest_get(&r, url);
		status = (int)r.status;
		itest_http_clear(&r);
		if (status == 200)
			return;
		usleep(10000);
	}
	cr_fatal("mlogd did not become healthy in 10 s; see %s", logpath);
}

int itest_log_stop(struct itest_log *l)
{
	int status = 0;

	if (l->pid == 0)
		return -1;
	kill(l->pid, SIGTERM);
	cr_assert_eq(waitpid(l->pid, &status, 0), l->pid);
	l->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status)
				 : 128 + WTERMSIG(status);
}

void itest_log_kill9(struct itest_log *l)
{
	if (l->pid == 0)
		return;
	kill(l->pid, SIGKILL);
	waitpid(l->pid, NULL, 0);
	l->pid = 0;
}

void itest_log_cleanup(struct itest_log *l)
{
	itest_log_kill9(l);
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
	return size * n;
}

static void request(struct itest_http *r, const char *url, const void *body,
	size_t len)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	r->body = calloc(1, 1);
	cr_assert_not_null(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (body != NULL) {
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		hdrs = curl_slist_append(hdrs, "Expect:");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			(curl_off_t)len);
	}
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	else
		r->status = -1;
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
}

void itest_get(struct itest_http *r, const char *url)
{
	request(r, url, NULL, 0);
}

void itest_getf(struct itest_http *r, const char *fmt, ...)
{
	char url[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(url, sizeof(url), fmt, ap);
	va_end(ap);
	request(r, url, NULL, 0);
}

void itest_post(struct itest_http *r, const char *url, const void *body,
	size_t len)
{
	request(r, url, body != NULL ? body : "", len);
}

void itest_http_clear(struct itest_http *r)
{
	free(r->body);
	r->body = NULL;
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

char *itest_build_statement(uint64_t seed)
{
	char mrenclave[65], mrsigner[65], subject[65], commit[41];
	char *json;

	itest_mrenclave(mrenclave, seed);
	hex_of(mrsigner, seed / 1000, "mrsigner", 32);
	hex_of(subject, seed, "subject", 32);
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
