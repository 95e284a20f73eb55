/*
 * test_mlogd_ops.c — running mlogd (SPEC §3, §6): the command line (exit
 * codes, usage, --help), a key file with loose permissions, routes that do
 * not exist, /metrics and /healthz, a restart that keeps everything, the
 * SIGTERM drain, and the static mirror (--mirror-dir).
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <sqlite3.h>

#include "hash.h"
#include "harness.h"
#include "proof.h"
#include "tile.h"

static void init(void)
{
	itest_init();
}

TestSuite(ops, .init = init);

static const char *mlogd(void)
{
	const char *bin = getenv("MLOGD_BIN");

	cr_assert_not_null(bin);
	return bin;
}

/* A log with one build signer "ci" and one approval signer "approver";
 * flags[] receives the --signer arguments. */
struct fixture {
	struct itest_log log;
	struct itest_signer ci, approver;
	char flag_ci[400], flag_approver[400];
	char url[128];
};

static void fixture_init(struct fixture *f, const char *origin)
{
	itest_log_init(&f->log, origin);
	itest_signer_new(&f->ci, f->log.dir, "ci", MLOG_DSSE_ALG_ED25519);
	itest_signer_new(&f->approver, f->log.dir, "approver",
		MLOG_DSSE_ALG_ECDSA_P256);
	itest_signer_flag(f->flag_ci, sizeof(f->flag_ci), &f->ci, "build");
	itest_signer_flag(f->flag_approver, sizeof(f->flag_approver),
		&f->approver, "approval");
	snprintf(f->url, sizeof(f->url), "%s/v1/entries", f->log.url);
}

/* Starts the fixture's log with its signers plus extra (NULL-ended). */
static void fixture_start(struct fixture *f, const char *const *extra)
{
	const char *argv[24] = { "--signer", f->flag_ci, "--signer",
		f->flag_approver };
	size_t n = 4;

	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	itest_log_start(&f->log, argv);
}

static void fixture_cleanup(struct fixture *f)
{
	itest_signer_clear(&f->ci);
	itest_signer_clear(&f->approver);
	itest_log_cleanup(&f->log);
}

/* Submits n build entries (seeds first..) from 8 threads; all must be 201.
 * Returns the lowest index given. */
static uint64_t submit_builds(const struct fixture *f, uint64_t first,
	size_t n)
{
	struct itest_job *jobs = calloc(n, sizeof(*jobs));
	char **envs = calloc(n, sizeof(*envs));
	size_t *lens = calloc(n, sizeof(*lens));
	uint64_t low = UINT64_MAX;

	cr_assert(jobs != NULL && envs != NULL && lens != NULL);
	for (size_t i = 0; i < n; i++) {
		envs[i] = itest_build_envelope(&f->ci, first + i, &lens[i]);
		jobs[i].body = envs[i];
		jobs[i].len = lens[i];
	}
	itest_post_many(&f->log, jobs, n, 8, NULL);
	for (size_t i = 0; i < n; i++) {
		uint64_t index;

		cr_assert_eq(jobs[i].r.status, 201, "seed %llu: %ld %s",
			(unsigned long long)(first + i), jobs[i].r.status,
			jobs[i].r.body);
		index = itest_check_receipt(&f->log, jobs[i].r.body, envs[i],
			lens[i], NULL, NULL);
		if (index < low)
			low = index;
		free(envs[i]);
	}
	itest_jobs_clear(jobs, n);
	free(jobs);
	free(envs);
	free(lens);
	return low;
}

static uint64_t submit_one(const struct fixture *f, const char *env,
	size_t len, long want)
{
	struct itest_http r;
	uint64_t index;

	itest_post(&r, f->url, env, len);
	cr_assert_eq(r.status, want, "want %ld: %ld %s", want, r.status,
		r.body);
	index = itest_check_receipt(&f->log, r.body, env, len, NULL, NULL);
	itest_http_clear(&r);
	return index;
}

/* GET url (printf-style) and return the body (malloc'd); asserts 200. */
__attribute__((format(printf, 1, 2)))
static char *get_body(const char *fmt, ...)
{
	char url[2048];
	struct itest_http r;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(url, sizeof(url), fmt, ap);
	va_end(ap);
	itest_get(&r, url);
	cr_assert_eq(r.status, 200, "%s: %ld %s", url, r.status, r.body);
	return r.body;
}

/* ---- command line ------------------------------------------------------ */

Test(ops, help_exits_0_with_usage_on_stdout, .timeout = 30)
{
	const char *const cases[][4] = {
		{ "--help", NULL },
		{ "-h", NULL },
		{ "serve", "--help", NULL },
		{ "init", "--help", NULL },
		{ "serve", "--data", "/nonexistent", "--help" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[8] = { mlogd() };
		char *out = NULL, *err = NULL;
		size_t n = 1;

		for (size_t j = 0; j < 4 && cases[i][j] != NULL; j++)
			argv[n++] = cases[i][j];
		argv[n] = NULL;
		cr_assert_eq(itest_run2(&out, &err, argv), 0,
			"case %zu: not exit 0; stderr: %s", i, err);
		cr_assert_not_null(strstr(out, "usage: mlogd init"),
			"case %zu: no usage on stdout: %s", i, out);
		cr_assert_not_null(strstr(out, "mlogd serve"));
		cr_assert_str_empty(err, "case %zu: stderr: %s", i, err);
		free(out);
		free(err);
	}
}

Test(ops, bad_flags_exit_2_with_usage, .timeout = 60)
{
	struct itest_log l;
	char data[300], conf[320];
	/* NULL-terminated argv tails; want_usage: stderr shows the usage,
	 * else it names the flag (a value error). */
	struct {
		const char *args[8];
		int want_usage;
		const char *names;
	} cases[] = {
		{ { NULL }, 1, NULL },
		{ { "frobnicate", NULL }, 1, NULL },
		{ { "serve", NULL }, 1, NULL },
		{ { "init", "--data", "x", NULL }, 1, NULL },
		{ { "init", "--bogus", NULL }, 1, NULL },
		{ { "init", "--data", "x", "--origin", "o", "extra", NULL },
		  1, NULL },
		{ { "serve", "--data", data, "--bogus", NULL }, 1, NULL },
		{ { "serve", "--data", data, "--batch-ms", NULL }, 1, NULL },
		{ { "serve", "--data", data, "stray", NULL }, 1, NULL },
		{ { "serve", "--data", data, "--batch-ms", "abc", NULL }, 0,
		  "batch-ms" },
		{ { "serve", "--data", data, "--batch-ms", "0", NULL }, 0,
		  "batch-ms" },
		{ { "serve", "--data", data, "--queue-max", "-1", NULL }, 0,
		  "queue-max" },
		{ { "serve", "--data", data, "--threads", "100000", NULL }, 0,
		  "threads" },
		{ { "serve", "--data", data, "--listen", "nonsense", NULL }, 0,
		  "listen" },
		{ { "serve", "--data", data, "--listen", "127.0.0.1:99999",
		    NULL }, 0, "listen" },
		{ { "serve", "--data", data, "--signer", "x=wizard:/dev/null",
		    NULL }, 0, "wizard" },
		{ { "serve", "--data", data, "--signer",
		    "x=build:/nonexistent.pem", NULL }, 0,
		  "signer x: /nonexistent.pem" },
	};

	itest_log_init(&l, "example.com/flags");
	snprintf(data, sizeof(data), "%s/data", l.dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[12] = { mlogd() };
		char *out = NULL, *err = NULL;
		size_t n = 1;

		for (size_t j = 0; cases[i].args[j] != NULL; j++)
			argv[n++] = cases[i].args[j];
		argv[n] = NULL;
		cr_assert_eq(itest_run2(&out, &err, argv), 2,
			"case %zu (%s %s): not exit 2; stderr: %s", i,
			argv[1], argv[n - 1], err);
		cr_assert_str_empty(out, "case %zu: stdout: %s", i, out);
		if (cases[i].want_usage)
			cr_assert_not_null(strstr(err, "usage: mlogd"),
				"case %zu: no usage: %s", i, err);
		else
			cr_assert_not_null(strstr(err, cases[i].names),
				"case %zu: message does not name %s: %s", i,
				cases[i].names, err);
		free(out);
		free(err);
	}
	/* A bad setting in DATA/mlogd.conf is a configuration error too,
	 * named with its file and line. */
	snprintf(conf, sizeof(conf), "%s/mlogd.conf", data);
	{
		FILE *fp = fopen(conf, "w");
		const char *argv[] = { mlogd(), "serve", "--data", data, NULL };
		char *err = NULL;

		cr_assert_not_null(fp);
		fputs("# comment\nbatch-ms = 5\nfrobs = 3\n", fp);
		fclose(fp);
		cr_assert_eq(itest_run2(NULL, &err, argv), 2, "%s", err);
		cr_assert_not_null(strstr(err, "mlogd.conf:3"), "%s", err);
		free(err);
	}
	itest_log_cleanup(&l);
}

/* Settings in DATA/mlogd.conf apply as their flags would: a signer read
 * from the file (its key under a directory whose name holds '#', which
 * only a blank-led '#' would cut) lets that signer's entry in. */
Test(ops, config_file_settings_apply, .timeout = 60)
{
	struct itest_log l;
	struct itest_signer s;
	struct itest_http r;
	const struct itest_signer *signers[1] = { &s };
	char keydir[300], conf[320], url[128], *st, *env;
	size_t len;
	FILE *fp;

	itest_log_init(&l, "example.com/conf");
	snprintf(keydir, sizeof(keydir), "%s/keys#1", l.dir);
	cr_assert_eq(mkdir(keydir, 0700), 0);
	itest_signer_new(&s, keydir, "ci", MLOG_DSSE_ALG_ED25519);
	snprintf(conf, sizeof(conf), "%s",
		itest_data_path(&l, "mlogd.conf"));
	fp = fopen(conf, "w");
	cr_assert_not_null(fp);
	fprintf(fp, "# the release pipeline\r\n"
		"signer = ci=build:%s   # the CI key\r\n"
		"batch-ms = 5\n", s.pub_path);
	fclose(fp);
	itest_log_start(&l, NULL);
	st = itest_build_statement(7);
	env = itest_envelope(signers, 1, st, &len);
	snprintf(url, sizeof(url), "%s/v1/entries", l.url);
	itest_post(&r, url, env, len);
	cr_assert_eq(r.status, 201, "%ld %s", r.status, r.body);
	itest_http_clear(&r);
	free(env);
	free(st);
	cr_assert_eq(itest_log_stop(&l), 0);
	itest_signer_clear(&s);
	itest_log_cleanup(&l);
}

static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* WAL checkpoints run while the log serves (server/checkpointer.h: once
 * the WAL holds 16,384 frames): submissions in rounds of 1,000 until the
 * database file itself has grown, which only a checkpoint does, at most
 * 20 rounds. Every acknowledged entry is there after a clean stop. */
Test(ops, wal_is_checkpointed_while_serving, .timeout = 600)
{
	enum { ROUND = 1000, ROUNDS_MAX = 20 };
	struct itest_log l;
	struct itest_signer s;
	const struct itest_signer *signers[1] = { &s };
	struct itest_job *jobs = calloc(ROUND, sizeof(*jobs));
	char *envs[ROUND], flag[400], db[320], wal[330];
	const char *argv[] = { "--signer", flag, NULL };
	long long db0, grown = 0;
	uint64_t sent = 0, size = 0;
	int round;

	cr_assert_not_null(jobs);
	itest_log_init(&l, "example.com/wal");
	itest_signer_new(&s, l.dir, "ci", MLOG_DSSE_ALG_ED25519);
	itest_signer_flag(flag, sizeof(flag), &s, "build");
	itest_log_start(&l, argv);
	snprintf(db, sizeof(db), "%s", itest_data_path(&l, "mlog.db"));
	snprintf(wal, sizeof(wal), "%s-wal", db);
	db0 = file_size(db);
	cr_assert_gt(db0, 0);
	for (round = 0; round < ROUNDS_MAX && grown == 0; round++) {
		for (size_t i = 0; i < ROUND; i++) {
			char *st = itest_build_statement(10000 + sent + i);

			envs[i] = itest_envelope(signers, 1, st, &jobs[i].len);
			jobs[i].body = envs[i];
			free(st);
		}
		itest_post_many(&l, jobs, ROUND, 16, NULL);
		for (size_t i = 0; i < ROUND; i++) {
			cr_assert_eq(jobs[i].r.status, 201, "entry %" PRIu64
				": %ld %s", sent + i, jobs[i].r.status,
				jobs[i].r.body);
			free(envs[i]);
		}
		itest_jobs_clear(jobs, ROUND);
		sent += ROUND;
		/* The checkpoint thread copies WAL pages into mlog.db. */
		if (file_size(db) >= db0 + 1024 * 1024)
			grown = file_size(db);
	}
	cr_assert_gt(grown, 0, "after %" PRIu64 " entries mlog.db is still "
		"%lld bytes (WAL %lld): no checkpoint ran", sent,
		file_size(db), file_size(wal));
	cr_assert_lt(file_size(wal), 80LL * 1024 * 1024, "WAL %lld bytes",
		file_size(wal));
	cr_assert_eq(itest_log_stop(&l), 0);
	itest_log_start(&l, argv);
	itest_checkpoint(&l, &size, NULL, NULL);
	cr_assert_eq(size, sent);
	cr_assert_eq(itest_log_stop(&l), 0);
	free(jobs);
	itest_signer_clear(&s);
	itest_log_cleanup(&l);
}

Test(ops, loose_key_file_is_refused, .timeout = 60)
{
	struct itest_log l;
	char data[300], listen[64], key[512];
	const mode_t modes[] = { 0640, 0604, 0644, 0660, 0620 };

	itest_log_init(&l, "example.com/keyperm");
	snprintf(data, sizeof(data), "%s/data", l.dir);
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", l.port);
	snprintf(key, sizeof(key), "%s", itest_data_path(&l, "log.key"));
	{
		struct stat st;

		cr_assert_eq(stat(key, &st), 0);
		cr_assert_eq(st.st_mode & 0777, 0600, "init made %s mode %o",
			key, (unsigned)(st.st_mode & 0777));
	}
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		const char *argv[] = { mlogd(), "serve", "--data", data,
			"--listen", listen, NULL };
		char *err = NULL;

		cr_assert_eq(chmod(key, modes[i]), 0);
		cr_assert_eq(itest_run2(NULL, &err, argv), 1,
			"mode %o: not exit 1: %s", (unsigned)modes[i], err);
		cr_assert_not_null(strstr(err, key),
			"mode %o: message does not name %s: %s",
			(unsigned)modes[i], key, err);
		free(err);
	}
	cr_assert_eq(chmod(key, 0600), 0);
	itest_log_start(&l, NULL);
	cr_assert_eq(itest_log_stop(&l), 0);
	/* 0400 is fine too (only the owner can read it). */
	cr_assert_eq(chmod(key, 0400), 0);
	itest_log_start(&l, NULL);
	cr_assert_eq(itest_log_stop(&l), 0);
	itest_log_cleanup(&l);
}

Test(ops, refuses_to_start_without_a_log_or_a_port, .timeout = 60)
{
	struct itest_log a, b;
	char dir[256], data[300], listen[64];
	const char *argv[] = { mlogd(), "serve", "--data", data, "--listen",
		listen, NULL };
	char *err = NULL;

	/* No database in --data. */
	itest_tmpdir(dir, sizeof(dir));
	snprintf(data, sizeof(data), "%s", dir);
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", itest_free_port());
	cr_assert_eq(itest_run2(NULL, &err, argv), 1, "%s", err);
	cr_assert_not_null(strstr(err, "mlogd: "), "%s", err);
	free(err);
	itest_rmtree(dir);
	/* The port is taken by another log. */
	itest_log_init(&a, "example.com/a");
	itest_log_init(&b, "example.com/b");
	itest_log_start(&a, NULL);
	snprintf(data, sizeof(data), "%s/data", b.dir);
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", a.port);
	cr_assert_eq(itest_run2(NULL, &err, argv), 1,
		"a second server started on a taken port: %s", err);
	cr_assert_not_null(strstr(err, listen), "%s", err);
	free(err);
	/* A second server on the data directory of a running one: two
	 * sequencers would each believe they own the tree. */
	snprintf(data, sizeof(data), "%s/data", a.dir);
	snprintf(listen, sizeof(listen), "127.0.0.1:%u", b.port);
	err = NULL;
	cr_assert_eq(itest_run2(NULL, &err, argv), 1,
		"a second server started on a log in use: %s", err);
	cr_assert_not_null(strstr(err, data), "%s", err);
	free(err);
	snprintf(data, sizeof(data), "%s/data", b.dir);
	/* init refuses to overwrite a log. */
	{
		const char *init_argv[] = { mlogd(), "init", "--data", data,
			"--origin", "example.com/b", NULL };

		err = NULL;
		cr_assert_eq(itest_run2(NULL, &err, init_argv), 1, "%s", err);
		cr_assert_not_null(strstr(err, "refusing"), "%s", err);
		free(err);
	}
	cr_assert_eq(itest_log_stop(&a), 0);
	itest_log_cleanup(&a);
	itest_log_cleanup(&b);
}

/* ---- routes, health, metrics ------------------------------------------ */

Test(ops, unknown_routes_and_methods_answer_json_errors, .timeout = 60)
{
	struct fixture f;
	struct {
		const char *method, *path;
		long status;
	} cases[] = {
		{ "GET", "/", 404 },
		{ "GET", "/nope", 404 },
		{ "GET", "/v1", 404 },
		{ "GET", "/v1/entriesx", 404 },
		{ "GET", "/checkpoint/", 404 },
		{ "POST", "/nope", 404 },
		{ "POST", "/v1/entries/0", 405 },
		{ "GET", "/tile/0/000", 404 },
		{ "GET", "/tile/entries/000", 404 },
		{ "GET", "/tile/bogus", 404 },
		{ "GET", "/tile/0/000.p/0", 404 },
		{ "GET", "/v1/entries/0", 404 },
		{ "GET", "/v1/entries/x", 400 },
		{ "GET", "/v1/entries/-1", 400 },
		{ "GET", "/v1/proof/inclusion?index=0", 404 },
		{ "GET", "/v1/proof/inclusion", 400 },
		{ "GET", "/v1/proof/consistency?old=1", 400 },
		{ "GET", "/v1/search", 400 },
		/* The path exists, the method does not. */
		{ "GET", "/v1/entries", 405 },
		{ "PUT", "/v1/entries", 405 },
		{ "DELETE", "/v1/entries", 405 },
		{ "POST", "/checkpoint", 405 },
		{ "PUT", "/checkpoint", 405 },
		{ "POST", "/metrics", 405 },
		{ "POST", "/healthz", 405 },
		{ "POST", "/v1/search?mrenclave=00", 405 },
		{ "DELETE", "/tile/0/000", 405 },
	};

	fixture_init(&f, "example.com/routes");
	fixture_start(&f, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct itest_http r;
		char url[256];

		snprintf(url, sizeof(url), "%s%s", f.log.url, cases[i].path);
		itest_request(&r, cases[i].method, url,
			strcmp(cases[i].method, "POST") == 0 ? "{}" : NULL, 2);
		cr_assert_eq(r.status, cases[i].status, "%s %s: want %ld, got "
			"%ld: %s", cases[i].method, cases[i].path,
			cases[i].status, r.status, r.body);
		itest_assert_error(&r, cases[i].status);
		if (cases[i].status == 405)
			cr_assert_str_not_empty(r.allow, "%s %s: 405 without "
				"Allow", cases[i].method, cases[i].path);
		itest_http_clear(&r);
	}
	{
		struct itest_http r;

		itest_getf(&r, "%s/healthz", f.log.url);
		cr_assert_eq(r.status, 200);
		cr_assert_str_eq(r.body, "ok\n");
		itest_http_clear(&r);
	}
	cr_assert_eq(itest_log_stop(&f.log), 0);
	fixture_cleanup(&f);
}

/* Every bucket line of histogram name, in order: cumulative counts must not
 * decrease and must end at +Inf == _count. */
static void check_histogram(const char *text, const char *name)
{
	char series[160];
	double count, inf, prev = 0;
	size_t n = strlen(name), buckets = 0;

	snprintf(series, sizeof(series), "%s_count", name);
	count = itest_metric(text, series);
	cr_assert_geq(count, 0, "%s missing", series);
	snprintf(series, sizeof(series), "%s_sum", name);
	cr_assert_geq(itest_metric(text, series), 0, "%s missing", series);
	snprintf(series, sizeof(series), "%s_bucket{le=\"+Inf\"}", name);
	inf = itest_metric(text, series);
	cr_assert_eq(inf, count, "%s: +Inf %g != count %g", name, inf, count);
	for (const char *line = text; line != NULL && *line != '\0';) {
		const char *nl = strchr(line, '\n');

		if (strncmp(line, name, n) == 0 &&
		    strncmp(line + n, "_bucket{", 8) == 0) {
			double v = strtod(strchr(line, '}') + 1, NULL);

			cr_assert_geq(v, prev, "%s buckets decrease", name);
			prev = v;
			buckets++;
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
	cr_assert_geq(buckets, 2, "%s has %zu buckets", name, buckets);
	cr_assert_eq(prev, count);
}

Test(ops, metrics_count_what_happened, .timeout = 60)
{
	struct fixture f;
	struct itest_signer stranger;
	struct itest_http r;
	char *env, *text, *big, series[160];
	size_t len;
	const char *tsv[][2] = {
		/* series, value */
		{ "mlogd_entries_total", "20" },
		{ "mlogd_duplicates_total", "3" },
		{ "mlogd_tree_size", "20" },
		{ "mlogd_queue_depth", "0" },
		{ "mlogd_batch_size_sum", "20" },
		{ "mlogd_sequencing_latency_seconds_count", "23" },
		{ "mlogd_http_requests_total{route=\"submit\",code=\"201\"}",
		  "20" },
		{ "mlogd_http_requests_total{route=\"submit\",code=\"200\"}",
		  "3" },
		{ "mlogd_http_requests_total{route=\"submit\",code=\"400\"}",
		  "4" },
		{ "mlogd_http_requests_total{route=\"submit\",code=\"403\"}",
		  "1" },
		{ "mlogd_http_requests_total{route=\"submit\",code=\"413\"}",
		  "1" },
		{ "mlogd_http_requests_total{route=\"checkpoint\","
		  "code=\"200\"}", "2" },
		{ "mlogd_http_requests_total{route=\"other\",code=\"404\"}",
		  "1" },
		{ "mlogd_rejections_total{reason=\"empty_body\"}", "2" },
		{ "mlogd_rejections_total{reason=\"malformed_envelope\"}",
		  "1" },
		{ "mlogd_rejections_total{reason=\"bad_statement\"}", "0" },
		{ "mlogd_rejections_total{reason=\"unknown_predicate\"}", "1" },
		{ "mlogd_rejections_total{reason=\"no_valid_signature\"}",
		  "1" },
		{ "mlogd_rejections_total{reason=\"too_large\"}", "1" },
		{ "mlogd_rejections_total{reason=\"queue_full\"}", "0" },
		{ "mlogd_rejections_total{reason=\"shutting_down\"}", "0" },
	};

	fixture_init(&f, "example.com/metrics");
	itest_signer_new(&stranger, f.log.dir, "stranger",
		MLOG_DSSE_ALG_ED25519);
	fixture_start(&f, NULL);
	cr_assert_eq(submit_builds(&f, 1, 20), 0);
	for (uint64_t seed = 1; seed <= 3; seed++) {
		env = itest_build_envelope(&f.ci, seed, &len);
		(void)submit_one(&f, env, len, 200);
		free(env);
	}
	/* Refusals: 2 empty, 1 malformed, 1 unknown predicate, 1 unknown
	 * signer, 1 too large. */
	for (int i = 0; i < 2; i++) {
		itest_post(&r, f.url, "", 0);
		itest_assert_error(&r, 400);
		itest_http_clear(&r);
	}
	itest_post(&r, f.url, "{", 1);
	itest_assert_error(&r, 400);
	itest_http_clear(&r);
	{
		char *st = itest_build_statement(99), *bad;
		const char *at = strstr(st, "urn:mlog:build-manifest:v1");

		cr_assert_neq(asprintf(&bad, "%.*surn:mlog:nope:v1%s",
			(int)(at - st), st, at + 26), -1);
		env = itest_envelope((const struct itest_signer *[]){ &f.ci },
			1, bad, &len);
		itest_post(&r, f.url, env, len);
		itest_assert_error(&r, 400);
		itest_http_clear(&r);
		free(env);
		free(bad);
		free(st);
	}
	env = itest_build_envelope(&stranger, 100, &len);
	itest_post(&r, f.url, env, len);
	itest_assert_error(&r, 403);
	itest_http_clear(&r);
	free(env);
	big = calloc(1, 70000);
	cr_assert_not_null(big);
	itest_post(&r, f.url, big, 70000);
	itest_assert_error(&r, 413);
	itest_http_clear(&r);
	free(big);
	itest_getf(&r, "%s/nope", f.log.url);
	itest_http_clear(&r);
	itest_checkpoint(&f.log, NULL, NULL, NULL);
	itest_checkpoint(&f.log, NULL, NULL, NULL);

	itest_getf(&r, "%s/metrics", f.log.url);
	cr_assert_eq(r.status, 200);
	cr_assert(strncmp(r.content_type, "text/plain; version=0.0.4", 25)
		== 0, "Content-Type %s", r.content_type);
	text = r.body;
	for (size_t i = 0; i < sizeof(tsv) / sizeof(tsv[0]); i++) {
		double want = strtod(tsv[i][1], NULL);
		double got = itest_metric(text, tsv[i][0]);

		cr_assert_eq(got, want, "%s: want %g, got %g", tsv[i][0], want,
			got);
	}
	/* Every series of server/metrics.h, with HELP and TYPE lines. */
	{
		const char *families[][2] = {
			{ "mlogd_entries_total", "counter" },
			{ "mlogd_duplicates_total", "counter" },
			{ "mlogd_tree_size", "gauge" },
			{ "mlogd_queue_depth", "gauge" },
			{ "mlogd_batch_size", "histogram" },
			{ "mlogd_sequencing_latency_seconds", "histogram" },
			{ "mlogd_commit_seconds", "histogram" },
			{ "mlogd_http_requests_total", "counter" },
			{ "mlogd_rejections_total", "counter" },
		};

		for (size_t i = 0; i < sizeof(families) / sizeof(families[0]);
		     i++) {
			snprintf(series, sizeof(series), "# TYPE %s %s\n",
				families[i][0], families[i][1]);
			cr_assert_not_null(strstr(text, series), "no '%s'",
				series);
			snprintf(series, sizeof(series), "# HELP %s ",
				families[i][0]);
			cr_assert_not_null(strstr(text, series), "no '%s'",
				series);
		}
	}
	check_histogram(text, "mlogd_batch_size");
	check_histogram(text, "mlogd_sequencing_latency_seconds");
	check_histogram(text, "mlogd_commit_seconds");
	{
		double batches = itest_metric(text, "mlogd_batch_size_count");
		double commits = itest_metric(text,
			"mlogd_commit_seconds_count");

		/* 20 entries from 8 threads: at least 3 batches, at most 20;
		 * one commit per batch of new entries. */
		cr_assert(batches >= 3 && batches <= 20, "%g batches",
			batches);
		cr_assert_eq(commits, batches);
		cr_assert_gt(itest_metric(text, "mlogd_commit_seconds_sum"),
			0);
	}
	itest_http_clear(&r);
	cr_assert_eq(itest_log_stop(&f.log), 0);
	itest_signer_clear(&stranger);
	fixture_cleanup(&f);
}

/* ---- restart ------------------------------------------------------------- */

/* Everything a restart must keep, as the bytes the server answers. */
struct snapshot {
	char *checkpoint;
	char *entries[6];
	char *search[4];
};

static const uint64_t snap_index[6] = { 0, 1, 255, 256, 299, 304 };

static void snapshot_take(struct snapshot *s, const struct fixture *f)
{
	char mrs[65];

	itest_mrsigner(mrs, 1000);
	s->checkpoint = get_body("%s/checkpoint", f->log.url);
	for (int i = 0; i < 6; i++)
		s->entries[i] = get_body("%s/v1/entries/%llu", f->log.url,
			(unsigned long long)snap_index[i]);
	s->search[0] = get_body("%s/v1/search?mrsigner=%s&limit=1000",
		f->log.url, mrs);
	s->search[1] = get_body("%s/v1/search?ticket=CHG-7", f->log.url);
	s->search[2] = get_body("%s/v1/search?signer=approver", f->log.url);
	s->search[3] = get_body("%s/v1/search?signer=ci&after=100&limit=7",
		f->log.url);
}

static void snapshot_clear(struct snapshot *s)
{
	free(s->checkpoint);
	for (int i = 0; i < 6; i++)
		free(s->entries[i]);
	for (int i = 0; i < 4; i++)
		free(s->search[i]);
}

Test(ops, restart_keeps_everything, .timeout = 120)
{
	struct fixture f;
	struct snapshot before, after;
	uint8_t root1[32], root2[32], proof[MLOG_PROOF_MAX][32];
	uint64_t size1, size2;
	char *env;
	size_t len;

	fixture_init(&f, "example.com/restart");
	fixture_start(&f, NULL);
	cr_assert_eq(submit_builds(&f, 1000, 300), 0);
	for (uint64_t i = 0; i < 5; i++) {
		env = itest_approval_envelope(&f.approver, 1000 + i, "CHG-7",
			&len);
		cr_assert_eq(submit_one(&f, env, len, 201), 300 + i);
		free(env);
	}
	snapshot_take(&before, &f);
	itest_checkpoint(&f.log, &size1, root1, NULL);
	cr_assert_eq(size1, 305);
	cr_assert_eq(itest_log_stop(&f.log), 0, "SIGTERM: not exit 0");

	fixture_start(&f, NULL);
	snapshot_take(&after, &f);
	cr_assert_str_eq(after.checkpoint, before.checkpoint);
	for (int i = 0; i < 6; i++)
		cr_assert_str_eq(after.entries[i], before.entries[i],
			"entry %llu changed",
			(unsigned long long)snap_index[i]);
	for (int i = 0; i < 4; i++)
		cr_assert_str_eq(after.search[i], before.search[i],
			"search %d changed", i);
	/* New entries continue the indexes; the old entries are still
	 * duplicates. */
	env = itest_build_envelope(&f.ci, 1000, &len);
	cr_assert_lt(submit_one(&f, env, len, 200), 300);
	free(env);
	cr_assert_eq(submit_builds(&f, 5000, 10), 305);
	itest_checkpoint(&f.log, &size2, root2, NULL);
	cr_assert_eq(size2, 315);
	{
		struct itest_http r;
		struct mlog_hash *h = mlog_hash_new();
		json_t *j;
		size_t n;

		itest_getf(&r, "%s/v1/proof/consistency?old=%llu", f.log.url,
			(unsigned long long)size1);
		cr_assert_eq(r.status, 200, "%s", r.body);
		j = itest_json(&r);
		n = itest_proof(proof, json_object_get(j, "proof"));
		cr_assert_eq(mlog_proof_verify_consistency(h, size1, size2,
			root1, root2, (const uint8_t (*)[32])proof, n),
			MLOG_OK);
		json_decref(j);
		itest_http_clear(&r);
		mlog_hash_free(h);
	}
	cr_assert_eq(itest_log_stop(&f.log), 0);
	snapshot_clear(&before);
	snapshot_clear(&after);
	fixture_cleanup(&f);
}

/* ---- schema upgrade --------------------------------------------------- */

/* The mid hashes of tile (level, n) as stored (malloc'd; NULL if none). */
static void *stored_mid(sqlite3 *db, int level, int n, int *len)
{
	sqlite3_stmt *st;
	void *copy = NULL;

	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT mid FROM tile WHERE "
		"id = ?1", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, ((sqlite3_int64)level << 56) | n);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	*len = sqlite3_column_bytes(st, 0);
	if (sqlite3_column_blob(st, 0) != NULL) {
		copy = malloc((size_t)*len);
		memcpy(copy, sqlite3_column_blob(st, 0), (size_t)*len);
	}
	sqlite3_finalize(st);
	return copy;
}

static void verify_inclusion(const struct fixture *f, struct mlog_hash *h,
	uint64_t index, uint64_t size, const uint8_t root[32])
{
	uint8_t proof[MLOG_PROOF_MAX][32], leaf[32];
	struct itest_http r;
	json_t *j;
	size_t n;

	itest_getf(&r, "%s/v1/proof/inclusion?index=%llu&size=%llu",
		f->log.url, (unsigned long long)index,
		(unsigned long long)size);
	cr_assert_eq(r.status, 200, "%s", r.body);
	j = itest_json(&r);
	itest_b64_hash(leaf, json_string_value(json_object_get(j,
		"leaf_hash")));
	n = itest_proof(proof, json_object_get(j, "proof"));
	cr_assert_eq(mlog_proof_verify_inclusion(h, index, size, leaf,
		(const uint8_t (*)[32])proof, n, root), MLOG_OK,
		"index %llu", (unsigned long long)index);
	json_decref(j);
	itest_http_clear(&r);
}

/* A schema-1 database (tiles WITHOUT ROWID by (level, n), no mid hashes)
 * is upgraded by serve: the same log, the mid hashes filled in as a new
 * log would have them, and proofs that verify. */
Test(ops, schema_1_database_is_upgraded, .timeout = 120)
{
	struct fixture f;
	struct mlog_hash *h = mlog_hash_new();
	uint8_t root1[32], root2[32];
	uint64_t size1, size2;
	void *mid0, *mid1, *again;
	int len0, len1, len;
	sqlite3 *db;

	fixture_init(&f, "example.com/upgrade");
	fixture_start(&f, NULL);
	cr_assert_eq(submit_builds(&f, 1, 300), 0);
	itest_checkpoint(&f.log, &size1, root1, NULL);
	cr_assert_eq(itest_log_stop(&f.log), 0);

	/* A full tile has 16 mid hashes, the 44-wide edge tile 2. */
	cr_assert_eq(sqlite3_open(itest_data_path(&f.log, "mlog.db"), &db),
		SQLITE_OK);
	mid0 = stored_mid(db, 0, 0, &len0);
	mid1 = stored_mid(db, 0, 1, &len1);
	cr_assert(mid0 != NULL && len0 == 512 && mid1 != NULL && len1 == 64);
	cr_assert_eq(sqlite3_exec(db, "CREATE TABLE tile1(level INTEGER NOT "
		"NULL, n INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY "
		"KEY(level, n)) WITHOUT ROWID;"
		"INSERT INTO tile1 SELECT id >> 56, id & 72057594037927935, "
		"data FROM tile;"
		"DROP TABLE tile; ALTER TABLE tile1 RENAME TO tile;"
		"UPDATE meta SET value = '1' WHERE key = 'schema';", NULL,
		NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	fixture_start(&f, NULL);
	itest_checkpoint(&f.log, &size2, root2, NULL);
	cr_assert_eq(size2, size1);
	cr_assert_arr_eq(root2, root1, 32);
	for (uint64_t i = 0; i < size1; i += 7)
		verify_inclusion(&f, h, i, size1, root1);
	cr_assert_eq(submit_builds(&f, 1000, 20), 300);
	itest_checkpoint(&f.log, &size2, root2, NULL);
	verify_inclusion(&f, h, 5, size2, root2);
	verify_inclusion(&f, h, 310, size2, root2);
	cr_assert_eq(itest_log_stop(&f.log), 0);

	cr_assert_eq(sqlite3_open(itest_data_path(&f.log, "mlog.db"), &db),
		SQLITE_OK);
	again = stored_mid(db, 0, 0, &len);
	cr_assert(len == 512 && memcmp(again, mid0, 512) == 0);
	free(again);
	again = stored_mid(db, 0, 1, &len);   /* now 64 wide: 4 mid hashes */
	cr_assert(len == 128 && memcmp(again, mid1, 64) == 0);
	free(again);
	{
		sqlite3_stmt *st;

		cr_assert_eq(sqlite3_prepare_v2(db, "SELECT value FROM meta "
			"WHERE key = 'schema'", -1, &st, NULL), SQLITE_OK);
		cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
		cr_assert_str_eq((const char *)sqlite3_column_text(st, 0),
			"2");
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	free(mid0);
	free(mid1);
	mlog_hash_free(h);
	fixture_cleanup(&f);
}

/* ---- SIGTERM drain ---------------------------------------------------- */

struct background {
	const struct itest_log *log;
	struct itest_job *jobs;
	size_t n;
	unsigned threads;
	pthread_t th;
};

static void *background_main(void *arg)
{
	struct background *b = arg;

	itest_post_many(b->log, b->jobs, b->n, b->threads, NULL);
	return NULL;
}

/* Polls /metrics until mlogd_queue_depth reaches want (or 5 s pass). */
static void wait_queue_depth(const struct itest_log *l, double want)
{
	for (int i = 0; i < 500; i++) {
		struct itest_http r;
		double depth;

		itest_getf(&r, "%s/metrics", l->url);
		depth = itest_metric(r.body, "mlogd_queue_depth");
		itest_http_clear(&r);
		if (depth >= want)
			return;
		usleep(10000);
	}
	cr_assert_fail("queue never reached %g entries", want);
}

Test(ops, sigterm_answers_everything_in_flight, .timeout = 120)
{
	const char *extra[] = { "--batch-ms", "5000", "--batch-idle-ms", "0",
		NULL };
	struct fixture f;
	struct itest_job jobs[12];
	struct background bg;
	char *envs[12];
	size_t lens[12];
	struct timespec t0, t1;
	uint64_t size;
	uint8_t root[32];
	int created = 0;

	fixture_init(&f, "example.com/drain");
	fixture_start(&f, NULL);
	cr_assert_eq(submit_builds(&f, 1, 3), 0);
	cr_assert_eq(itest_log_stop(&f.log), 0);
	fixture_start(&f, extra);
	for (int i = 0; i < 12; i++) {
		envs[i] = i % 3 == 2 ? itest_approval_envelope(&f.approver,
			(uint64_t)i, "CHG-9", &lens[i])
			: itest_build_envelope(&f.ci, 100 + (uint64_t)i,
			&lens[i]);
		jobs[i].body = envs[i];
		jobs[i].len = lens[i];
	}
	bg = (struct background){ &f.log, jobs, 12, 12, 0 };
	cr_assert_eq(pthread_create(&bg.th, NULL, background_main, &bg), 0);
	/* All 12 wait in the queue (the batch would be cut after 5 s). */
	wait_queue_depth(&f.log, 12);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(itest_log_stop(&f.log), 0, "SIGTERM: not exit 0");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(bg.th, NULL);
	/* The drain commits at once rather than waiting out the batch. */
	cr_assert_lt((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec -
		t0.tv_nsec) / 1000000, 4000, "the drain waited for batch-ms");
	fixture_start(&f, NULL);
	itest_checkpoint(&f.log, &size, root, NULL);
	for (int i = 0; i < 12; i++) {
		struct itest_http r;
		uint8_t leaf[32], want[32];
		uint64_t index;
		json_t *j;

		cr_assert(jobs[i].r.status == 201 || jobs[i].r.status == 503,
			"job %d got no answer: %ld %s", i, jobs[i].r.status,
			jobs[i].r.body);
		if (jobs[i].r.status == 503) {
			itest_assert_error(&jobs[i].r, 503);
			continue;
		}
		created++;
		index = itest_check_receipt(&f.log, jobs[i].r.body, envs[i],
			lens[i], NULL, NULL);
		itest_getf(&r, "%s/v1/proof/inclusion?index=%llu", f.log.url,
			(unsigned long long)index);
		cr_assert_eq(r.status, 200, "%s", r.body);
		j = itest_json(&r);
		itest_b64_hash(leaf, json_string_value(json_object_get(j,
			"leaf_hash")));
		{
			struct mlog_hash *h = mlog_hash_new();

			mlog_hash_leaf(h, want, envs[i], lens[i]);
			mlog_hash_free(h);
		}
		cr_assert_arr_eq(leaf, want, 32, "entry %llu is not the "
			"acknowledged one after restart",
			(unsigned long long)index);
		json_decref(j);
		itest_http_clear(&r);
	}
	/* Everything was queued before SIGTERM, so all of it is committed. */
	cr_assert_eq(created, 12);
	cr_assert_eq(size, 15);
	cr_assert_eq(itest_log_stop(&f.log), 0);
	itest_jobs_clear(jobs, 12);
	for (int i = 0; i < 12; i++)
		free(envs[i]);
	fixture_cleanup(&f);
}

/* A request still uploading its body when SIGTERM arrives was accepted:
 * it gets an answer (201 or 503), not a closed connection. */
Test(ops, sigterm_answers_a_request_still_uploading, .timeout = 60)
{
	struct fixture f;
	char *env, *head, *reply = NULL;
	size_t len, half;
	long status;
	int fd;

	fixture_init(&f, "example.com/upload");
	fixture_start(&f, NULL);
	env = itest_build_envelope(&f.ci, 1, &len);
	half = len / 2;
	cr_assert_neq(asprintf(&head, "POST /v1/entries HTTP/1.1\r\n"
		"Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
		"Content-Length: %zu\r\n\r\n", len), -1);
	fd = itest_raw_connect(&f.log);
	itest_raw_send(fd, head, strlen(head));
	itest_raw_send(fd, env, half);
	usleep(200000);
	cr_assert_eq(kill(f.log.pid, SIGTERM), 0);
	usleep(300000);
	itest_raw_send(fd, env + half, len - half);
	status = itest_raw_finish(fd, &reply, 10000);
	cr_assert(status == 201 || status == 503, "got %ld: '%s'", status,
		reply);
	cr_assert_not_null(strstr(reply, status == 201 ? "\"index\":0"
		: "{\"error\":"), "%s", reply);
	cr_assert_eq(itest_log_stop(&f.log), 0);
	free(reply);
	free(head);
	free(env);
	fixture_cleanup(&f);
}

/* ---- mirror -------------------------------------------------------------- */

static char *read_file_or_null(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	cr_assert_eq(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* Waits until DIR/checkpoint is the log's current checkpoint; returns its
 * size. */
static uint64_t wait_mirror(const struct itest_log *l, const char *dir)
{
	char path[512], *want;
	uint64_t size;

	itest_checkpoint(l, &size, NULL, &want);
	snprintf(path, sizeof(path), "%s/checkpoint", dir);
	for (int i = 0; i < 1000; i++) {
		size_t len = 0;
		char *got = read_file_or_null(path, &len);
		int same = got != NULL && strcmp(got, want) == 0;

		free(got);
		if (same) {
			free(want);
			return size;
		}
		usleep(10000);
	}
	cr_assert_fail("the mirror never reached size %llu",
		(unsigned long long)size);
	return 0;
}

/* Every tile and bundle of tree size `size` in dir equals what the server
 * answers for the same path. */
static void compare_mirror(const struct itest_log *l, const char *dir,
	uint64_t size)
{
	size_t files = 0;

	for (int level = 0; level < mlog_tile_levels(size); level++) {
		uint64_t count = size >> (8 * level);

		for (uint64_t n = 0; n * 256 < count; n++) {
			uint64_t w = count - n * 256 < 256 ? count - n * 256
				: 256;

			for (int entries = 0; entries <= (level == 0);
			     entries++) {
				struct mlog_tile t = { level, n, (unsigned)w,
					entries };
				char rel[MLOG_TILE_PATH_MAX], path[512];
				struct itest_http r;
				size_t len = 0;
				char *got;

				cr_assert_gt(mlog_tile_format(rel, sizeof(rel),
					&t), 0);
				snprintf(path, sizeof(path), "%s/%s", dir, rel);
				got = read_file_or_null(path, &len);
				cr_assert_not_null(got, "mirror lacks %s", rel);
				itest_getf(&r, "%s/%s", l->url, rel);
				cr_assert_eq(r.status, 200, "%s", rel);
				cr_assert_eq(len, r.len, "%s: %zu bytes in the "
					"mirror, %zu served", rel, len, r.len);
				cr_assert_arr_eq(got, r.body, len, "%s differs",
					rel);
				itest_http_clear(&r);
				free(got);
				files++;
			}
		}
	}
	cr_assert_gt(files, 0);
}

Test(ops, mirror_holds_what_the_server_serves, .timeout = 120)
{
	struct fixture f;
	char dir[300];
	const char *extra[] = { "--mirror-dir", dir, NULL };
	const size_t phases[] = { 1, 40, 250, 300 };
	uint64_t seed = 1, size = 0;

	fixture_init(&f, "example.com/mirror");
	snprintf(dir, sizeof(dir), "%s/mirror", f.log.dir);
	fixture_start(&f, extra);
	for (size_t p = 0; p < sizeof(phases) / sizeof(phases[0]); p++) {
		cr_assert_eq(submit_builds(&f, seed, phases[p]), size);
		seed += phases[p];
		size += phases[p];
		cr_assert_eq(wait_mirror(&f.log, dir), size);
		compare_mirror(&f.log, dir, size);
	}
	{
		/* The mirror's checkpoint is a valid signed checkpoint. */
		char path[512], *note;
		size_t len = 0;
		uint64_t got;

		snprintf(path, sizeof(path), "%s/checkpoint", dir);
		note = read_file_or_null(path, &len);
		cr_assert_not_null(note);
		itest_checkpoint_open(&f.log, note, len, &got, NULL);
		cr_assert_eq(got, size);
		free(note);
	}
	/* After a restart the mirror resumes and catches up. */
	cr_assert_eq(itest_log_stop(&f.log), 0);
	fixture_start(&f, extra);
	cr_assert_eq(submit_builds(&f, seed, 30), size);
	size += 30;
	cr_assert_eq(wait_mirror(&f.log, dir), size);
	compare_mirror(&f.log, dir, size);
	cr_assert_eq(itest_log_stop(&f.log), 0);
	fixture_cleanup(&f);
}
