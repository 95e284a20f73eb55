/*
 * test_witness.c — process-level tests of mlog-witness (SPEC §4, §6;
 * C2SP tlog-witness): the real binary, over HTTP, with logs signed in
 * the test.
 *
 * Covered: the CLI (usage, exit codes, key file, config file), the whole
 * add-checkpoint status table, the litewitness and omniwitness request
 * vectors, evidence of forks, the monitoring endpoint, restart and crash
 * durability, racing requests (no rollback, one root per size), the rate
 * limit, the body cap, and SIGTERM finishing requests in flight.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <sodium.h>
#include <sqlite3.h>

#include "checkpoint.h"
#include "codec.h"
#include "proof.h"
#include "store.h"
#include "support.h"
#include "witness_harness.h"
#include "witness_req.h"

static void setup(void)
{
	cr_assert_geq(sodium_init(), 0);
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

TestSuite(witness, .init = setup);

/* ---- helpers ------------------------------------------------------------- */

/* --log VKEY pairs for n logs, NULL-terminated, into argv (cap >= 2n+1). */
static void log_flags(const char **argv, struct wtest_log *logs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		argv[2 * i] = "--log";
		argv[2 * i + 1] = logs[i].vkey;
	}
	argv[2 * n] = NULL;
}

/* POSTs body and checks the status; returns the answer (clear it). */
static void expect_add(struct wtest_http *r, const struct wtest_witness *w,
	const char *body, size_t len, long status)
{
	wtest_add(r, w, body, len);
	cr_assert_eq(r->status, status, "add-checkpoint: got %ld (curl %d), "
		"want %ld: %s", r->status, r->curl, status, r->body);
}

/* Sends l's (old -> size) and checks the status; a 200 must carry a
 * verifying cosignature, a 409 the size body. */
static void add_expect(const struct wtest_witness *w, struct wtest_log *l,
	uint64_t old, uint64_t size, long status, uint64_t want_size)
{
	struct wtest_http r;
	size_t len;
	char *body = wtest_log_body(l, old, size, &len);

	expect_add(&r, w, body, len, status);
	if (status == 200)
		wtest_check_cosig(w, body, len, r.body, r.len);
	if (status == 409) {
		char want[32];

		snprintf(want, sizeof(want), "%llu\n",
			(unsigned long long)want_size);
		cr_assert_str_eq(r.content_type, "text/x.tlog.size");
		cr_assert_str_eq(r.body, want);
	}
	if (status != 200 && status != 409) {
		/* Errors are one text line saying what is wrong. */
		cr_assert_gt(r.len, 1);
		cr_assert_eq(r.body[r.len - 1], '\n');
		cr_assert_null(memchr(r.body, '\n', r.len - 1));
	}
	wtest_http_clear(&r);
	free(body);
}

static char *db_path(const struct wtest_witness *w)
{
	char *p;

	cr_assert_neq(asprintf(&p, "%s/%s", w->data, WITNESS_STORE_FILE), -1);
	return p;
}

/* One integer from the witness's database (read-only connection). */
static long long sql_int(const struct wtest_witness *w, const char *sql,
	const char *arg)
{
	char *path = db_path(w);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v;

	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
		SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK,
		"%s: %s", sql, sqlite3_errmsg(db));
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(path);
	return v;
}

/* GET /<hex(origin)>/checkpoint. */
static void get_checkpoint(struct wtest_http *r, const struct wtest_witness *w,
	const char *origin)
{
	char hex[65], url[256];

	wtest_origin_hex(hex, origin);
	snprintf(url, sizeof(url), "%s/%s/checkpoint", w->url, hex);
	wtest_get(r, url);
}

/* The served checkpoint must open with the log key at size, and carry a
 * verifying cosignature by w; returns its cosignature time. */
static uint64_t check_served(const struct wtest_witness *w,
	struct wtest_log *l, uint64_t size)
{
	struct wtest_http r;
	struct mlog_checkpoint c;
	struct mlog_note *n = NULL;
	struct mlog_note_verifier lk;
	struct mlog_note_check check;
	struct mlog_error err = { 0, "" };
	uint8_t root[MLOG_HASH_BYTES];

	get_checkpoint(&r, w, l->key.name);
	cr_assert_eq(r.status, 200, "checkpoint endpoint: %ld %s", r.status,
		r.body);
	mlog_note_signer_verifier(&lk, &l->key);
	mlog_checkpoint_init(&c);
	cr_assert_eq(mlog_checkpoint_open(&c, &n, r.body, r.len,
		l->key.name, &lk, 1, NULL, &err), MLOG_OK, "%s", err.msg);
	cr_assert_eq(c.size, size, "served size %llu, want %llu",
		(unsigned long long)c.size, (unsigned long long)size);
	wtest_log_root(l, size, root);
	cr_assert_arr_eq(c.root, root, MLOG_HASH_BYTES);
	cr_assert_eq(mlog_note_verify(n, &w->vkey, 1, &check, &err), MLOG_OK,
		"served cosignature: %s", err.msg);
	/* Exactly the log's line and ours. */
	cr_assert_eq(n->nsigs, 2);
	mlog_checkpoint_clear(&c);
	mlog_note_free(n);
	wtest_http_clear(&r);
	return check.timestamp;
}

/* ---- CLI ----------------------------------------------------------------- */

Test(witness, help_and_usage_errors)
{
	/* out: expected on stdout; err: expected on stderr. */
	struct {
		const char *argv[8];
		int code;
		const char *out, *err;
	} cases[] = {
		{ { "--help" }, 0, "usage: mlog-witness init", NULL },
		{ { "init", "--help" }, 0, "usage:", NULL },
		{ { "serve", "--help" }, 0, "usage:", NULL },
		{ { "serve", "--data", "/nonexistent", "--help" }, 0,
			"usage:", NULL },
		{ { NULL }, 2, NULL, "missing command" },
		{ { "frobnicate" }, 2, NULL, "unknown command" },
		{ { "init", "--bogus" }, 2, NULL, "usage:" },
		{ { "init", "--data", "/tmp/x" }, 2, NULL, "--name" },
		{ { "init", "--data", "/tmp/x", "--name", "a b" }, 2, NULL,
			"not a valid key name" },
		{ { "serve" }, 2, NULL, "serve needs --data" },
		{ { "serve", "--data", "/tmp", "--bogus", "1" }, 2, NULL,
			"usage:" },
		{ { "serve", "--data", "/tmp", "--rate", "x" }, 2, NULL,
			"--rate" },
		{ { "serve", "--data", "/tmp", "extra" }, 2, NULL, "usage:" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[10] = { wtest_bin() };
		char *out = NULL, *err = NULL;
		int code;

		for (size_t j = 0; cases[i].argv[j] != NULL; j++)
			argv[1 + j] = cases[i].argv[j];
		code = wtest_run(&out, &err, argv);
		cr_assert_eq(code, cases[i].code, "case %zu (%s): exit %d, "
			"want %d; stderr: %s", i, argv[1] ? argv[1] : "-",
			code, cases[i].code, err);
		if (cases[i].out != NULL)
			cr_assert_not_null(strstr(out, cases[i].out),
				"case %zu: stdout %s", i, out);
		if (cases[i].err != NULL)
			cr_assert_not_null(strstr(err, cases[i].err),
				"case %zu: stderr %s", i, err);
		free(out);
		free(err);
	}
}

Test(witness, init_makes_a_private_key_and_prints_the_cosig_vkey)
{
	struct wtest_witness w;
	struct mlog_note_signer s;
	struct stat st;
	char path[400], *key, *vkey, *out = NULL, *err = NULL;
	size_t len;
	const char *again[] = { wtest_bin(), "init", "--data", NULL,
		"--name", "other.example", NULL };

	wtest_init(&w, "witness.example.com");
	cr_assert_eq(w.vkey.type, MLOG_NOTE_TYPE_COSIG_V1,
		"init prints the cosignature/v1 (0x04) vkey");
	cr_assert_str_eq(w.vkey.name, "witness.example.com");
	snprintf(path, sizeof(path), "%s/witness.key", w.data);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "key mode %o",
		st.st_mode & 0777);
	key = test_read_file(path, &len);
	test_chomp(key);
	cr_assert_eq(mlog_note_signer_parse(&s, key, strlen(key), NULL),
		MLOG_OK);
	cr_assert_eq(s.key_id, w.vkey.key_id);
	cr_assert_arr_eq(s.pub, w.vkey.pub, 32);
	mlog_note_signer_clear(&s);
	sodium_memzero(key, len);
	free(key);
	snprintf(path, sizeof(path), "%s/witness.vkey", w.data);
	vkey = test_read_file(path, &len);
	cr_assert_str_eq(test_chomp(vkey), w.vkey_str);
	free(vkey);
	/* A second init never overwrites a witness. */
	again[3] = w.data;
	cr_assert_eq(wtest_run(&out, &err, again), 1, "%s", err);
	cr_assert_not_null(strstr(err, "refusing"), "%s", err);
	free(out);
	free(err);
	wtest_cleanup(&w);
}

Test(witness, serve_refuses_bad_setups)
{
	struct wtest_witness w;
	struct wtest_log l;
	struct mlog_note_signer other;
	char path[400], skey[MLOG_NOTE_SKEY_MAX + 2], *err = NULL;
	const char *argv[4];
	const char *bad_type[] = { "--log", NULL, NULL };
	const char *not_key[] = { "--log", "not a vkey", NULL };
	const char *no_log[] = { NULL };
	FILE *f;

	wtest_init(&w, "witness.example.com");
	wtest_log_new(&l, "log.example.com/a", 1, 0);
	log_flags(argv, &l, 1);
	/* No --log at all. */
	cr_assert_eq(wtest_serve_exit(&w, no_log, &err), 2, "%s", err);
	cr_assert_not_null(strstr(err, "--log"), "%s", err);
	free(err);
	/* Not a vkey; a cosignature key where a log key is needed. */
	cr_assert_eq(wtest_serve_exit(&w, not_key, &err), 2, "%s", err);
	free(err);
	bad_type[1] = w.vkey_str;
	cr_assert_eq(wtest_serve_exit(&w, bad_type, &err), 2, "%s", err);
	cr_assert_not_null(strstr(err, "0x04"), "%s", err);
	free(err);
	/* A key file readable by group or others. */
	snprintf(path, sizeof(path), "%s/witness.key", w.data);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(chmod(path, i == 0 ? 0640 : 0604), 0);
		cr_assert_eq(wtest_serve_exit(&w, argv, &err), 1, "%s", err);
		cr_assert_not_null(strstr(err, "witness.key"), "%s", err);
		cr_assert_not_null(strstr(err, "chmod 600"), "%s", err);
		free(err);
	}
	cr_assert_eq(chmod(path, 0600), 0);
	/* Another serve on the same directory. */
	wtest_start(&w, argv, 1);
	{
		struct wtest_witness w2 = w;

		w2.port = wtest_free_port();
		cr_assert_eq(wtest_serve_exit(&w2, argv, &err), 1, "%s", err);
		cr_assert_not_null(strstr(err, "in use"), "%s", err);
		free(err);
	}
	cr_assert_eq(wtest_stop(&w), 0);
	/* A key swapped under an existing state. */
	cr_assert_eq(mlog_note_signer_generate(&other, "witness.example.com",
		MLOG_NOTE_TYPE_COSIG_V1), MLOG_OK);
	cr_assert_gt(mlog_note_signer_format(skey, sizeof(skey), &other), 0);
	unlink(path);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "%s\n", skey);
	fclose(f);
	cr_assert_eq(chmod(path, 0600), 0);
	cr_assert_eq(wtest_serve_exit(&w, argv, &err), 1, "%s", err);
	cr_assert_not_null(strstr(err, "refusing to mix"), "%s", err);
	free(err);
	mlog_note_signer_clear(&other);
	wtest_log_free(&l);
	wtest_cleanup(&w);
}

Test(witness, config_file_sets_every_flag)
{
	struct wtest_witness w;
	struct wtest_log a, b;
	struct wtest_http r;
	char path[400], *err = NULL;
	const char *none[] = { NULL };
	const char *flag_b[] = { "--log", NULL, NULL };
	FILE *f;

	wtest_init(&w, "witness.example.com");
	wtest_log_new(&a, "log.example.com/a", 1, 0);
	wtest_log_new(&b, "log.example.com/b#2", 2, 0);
	snprintf(path, sizeof(path), "%s/mlog-witness.conf", w.data);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "# a witness for two logs\n"
		"listen = 127.0.0.1:%u\n"
		"log = %s   # the first log\n"
		"\n"
		"log=%s\n"
		"rate = 1\n burst = 1\n"
		"threads = 2\nmax-connections = 64\ntimeout = 5\n"
		"batch-max = 8\n", w.port, a.vkey, b.vkey);
	fclose(f);
	wtest_start(&w, none, 0);
	add_expect(&w, &a, 0, 3, 200, 0);
	add_expect(&w, &b, 0, 4, 200, 0);
	/* rate 1, burst 1 from the file: the next request for a is too
	 * soon. */
	{
		size_t len;
		char *body = wtest_log_body(&a, 3, 5, &len);

		expect_add(&r, &w, body, len, 429);
		cr_assert_str_eq(r.retry_after, "1");
		wtest_http_clear(&r);
		free(body);
	}
	cr_assert_eq(wtest_stop(&w), 0);
	/* A flag adds to the file's logs (b given twice is one log). */
	flag_b[1] = b.vkey;
	wtest_start(&w, flag_b, 0);
	add_expect(&w, &b, 4, 6, 200, 0);
	cr_assert_eq(wtest_stop(&w), 0);
	/* An unknown setting names the file and line. */
	f = fopen(path, "a");
	cr_assert_not_null(f);
	fprintf(f, "colour = blue\n");
	fclose(f);
	cr_assert_eq(wtest_serve_exit(&w, none, &err), 2, "%s", err);
	cr_assert_not_null(strstr(err, "mlog-witness.conf:12"), "%s", err);
	cr_assert_not_null(strstr(err, "colour"), "%s", err);
	free(err);
	wtest_log_free(&a);
	wtest_log_free(&b);
	wtest_cleanup(&w);
}

/* ---- the status table ---------------------------------------------------- */

Test(witness, status_table)
{
	struct wtest_witness w;
	struct wtest_log l, fork, stranger, impostor;
	struct wtest_http r;
	const char *argv[4];
	char *body, *note, bad[256];
	size_t len, note_len;

	wtest_init(&w, "witness.example.com");
	wtest_log_new(&l, "log.example.com/a", 1, 0);
	wtest_log_new(&fork, "log.example.com/a", 1, 6);
	wtest_log_new(&stranger, "log.example.com/unknown", 3, 0);
	/* Same name as the log, another key: not trusted. */
	wtest_log_new(&impostor, "log.example.com/a", 4, 0);
	log_flags(argv, &l, 1);
	wtest_start(&w, argv, 1);

	/* 404: unknown origin, whatever else is wrong. */
	add_expect(&w, &stranger, 0, 3, 404, 0);
	/* 403: signed by a key of the right name that is not trusted. */
	add_expect(&w, &impostor, 0, 3, 403, 0);
	/* 403: a trusted signature that does not verify (one bit). */
	body = wtest_log_body(&l, 0, 3, &len);
	body[len - 20] = body[len - 20] == 'A' ? 'B' : 'A';
	expect_add(&r, &w, body, len, 403);
	wtest_http_clear(&r);
	free(body);
	/* 400: malformed bodies. */
	{
		const char *garbage[] = { "", "old 0\n", "old 01\n\n",
			"hello\n\nworld\n", "old 0\nnot base64\n\n" };

		for (size_t i = 0; i < 5; i++) {
			expect_add(&r, &w, garbage[i], strlen(garbage[i]),
				400);
			wtest_http_clear(&r);
		}
	}
	/* 400: 64 proof lines (one more than the spec's 63). */
	note = wtest_log_checkpoint(&l, 3, NULL, 0, &note_len);
	{
		char *big = malloc(8 + 64 * 45 + note_len + 2), *p = big;

		p += sprintf(p, "old 1\n");
		for (int i = 0; i < 64; i++)
			p += sprintf(p, "KgEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
				"\n");
		p += sprintf(p, "\n");
		memcpy(p, note, note_len);
		p += note_len;
		expect_add(&r, &w, big, (size_t)(p - big), 400);
		wtest_http_clear(&r);
		free(big);
	}
	free(note);
	/* 400: old beyond the checkpoint. */
	add_expect(&w, &l, 4, 3, 400, 0);
	/* 422: size 0 with a root that is not SHA-256(""). */
	{
		struct mlog_checkpoint c;
		struct mlog_error err = { 0, "" };

		mlog_checkpoint_init(&c);
		c.origin = l.key.name;
		c.size = 0;
		memset(c.root, 7, sizeof(c.root));
		cr_assert_eq(mlog_checkpoint_sign(&note, &note_len, &c, &l.key,
			1, &err), MLOG_OK);
		cr_assert_eq(mlog_witness_req_format(&body, &len, 0, NULL, 0,
			note, note_len, &err), MLOG_OK, "%s", err.msg);
		expect_add(&r, &w, body, len, 422);
		wtest_http_clear(&r);
		free(body);
		free(note);
	}
	/* 422: old 0 is only allowed with an empty proof. */
	{
		uint8_t proof[1][MLOG_HASH_BYTES] = { { 1 } };
		struct mlog_error err = { 0, "" };

		note = wtest_log_checkpoint(&l, 5, NULL, 0, &note_len);
		cr_assert_eq(mlog_witness_req_format(&body, &len, 0,
			(const uint8_t (*)[MLOG_HASH_BYTES])proof, 1, note,
			note_len, &err), MLOG_OK);
		expect_add(&r, &w, body, len, 422);
		wtest_http_clear(&r);
		free(body);
		free(note);
	}
	/* 200: trust on first use, old 0 and an empty proof. */
	add_expect(&w, &l, 0, 5, 200, 0);
	/* 409: old is not the witness's size (both ways). */
	add_expect(&w, &l, 0, 7, 409, 5);
	add_expect(&w, &l, 3, 7, 409, 5);
	add_expect(&w, &l, 6, 7, 409, 5);
	/* Old 0 with a proof when the witness is at 5: row 4 first. */
	{
		uint8_t proof[1][MLOG_HASH_BYTES] = { { 1 } };

		note = wtest_log_checkpoint(&l, 7, NULL, 0, &note_len);
		cr_assert_eq(mlog_witness_req_format(&body, &len, 0,
			(const uint8_t (*)[MLOG_HASH_BYTES])proof, 1, note,
			note_len, NULL), MLOG_OK);
		expect_add(&r, &w, body, len, 409);
		wtest_http_clear(&r);
		free(body);
		free(note);
	}
	/* 422: a consistency proof that fails (empty, 5 -> 7). */
	note = wtest_log_checkpoint(&l, 7, NULL, 0, &note_len);
	cr_assert_eq(mlog_witness_req_format(&body, &len, 5, NULL, 0, note,
		note_len, NULL), MLOG_OK);
	expect_add(&r, &w, body, len, 422);
	wtest_http_clear(&r);
	free(body);
	free(note);
	/* 200: a real proof 5 -> 7; the same size again (fresh cosignature,
	 * time never going back). */
	add_expect(&w, &l, 5, 7, 200, 0);
	{
		uint64_t t1, t2;

		body = wtest_log_body(&l, 7, 7, &len);
		expect_add(&r, &w, body, len, 200);
		t1 = wtest_check_cosig(&w, body, len, r.body, r.len);
		wtest_http_clear(&r);
		expect_add(&r, &w, body, len, 200);
		t2 = wtest_check_cosig(&w, body, len, r.body, r.len);
		cr_assert_geq(t2, t1);
		wtest_http_clear(&r);
		free(body);
	}
	/* 422: same size, another root (the fork's size 7). */
	add_expect(&w, &fork, 7, 7, 422, 0);
	/* 422: same size with a non-empty proof. */
	{
		uint8_t proof[1][MLOG_HASH_BYTES] = { { 1 } };

		note = wtest_log_checkpoint(&l, 7, NULL, 0, &note_len);
		cr_assert_eq(mlog_witness_req_format(&body, &len, 7,
			(const uint8_t (*)[MLOG_HASH_BYTES])proof, 1, note,
			note_len, NULL), MLOG_OK);
		expect_add(&r, &w, body, len, 422);
		wtest_http_clear(&r);
		free(body);
		free(note);
	}
	/* 422: a bigger tree that is not an extension (the fork at 9 with
	 * its own proof 7 -> 9, which cannot start from our root). */
	add_expect(&w, &fork, 7, 9, 422, 0);
	/* 413: over 16 KiB, announced. */
	body = calloc(1, MLOG_WITNESS_REQ_MAX_BYTES + 1);
	expect_add(&r, &w, body, MLOG_WITNESS_REQ_MAX_BYTES + 1, 413);
	wtest_http_clear(&r);
	/* Exactly 16 KiB is read (and is malformed). */
	expect_add(&r, &w, body, MLOG_WITNESS_REQ_MAX_BYTES, 400);
	wtest_http_clear(&r);
	free(body);
	/* Other routes. */
	snprintf(bad, sizeof(bad), "%s/add-checkpoint", w.url);
	wtest_get(&r, bad);
	cr_assert_eq(r.status, 405);
	wtest_http_clear(&r);
	snprintf(bad, sizeof(bad), "%s/nope", w.url);
	wtest_get(&r, bad);
	cr_assert_eq(r.status, 404);
	wtest_http_clear(&r);
	/* The state is the last 200: 7 of the honest log. */
	check_served(&w, &l, 7);
	add_expect(&w, &l, 0, 9, 409, 7);
	cr_assert_eq(wtest_stop(&w), 0);
	wtest_log_free(&l);
	wtest_log_free(&fork);
	wtest_log_free(&stranger);
	wtest_log_free(&impostor);
	wtest_cleanup(&w);
}

Test(witness, key_rotation_and_extra_signatures)
{
	struct wtest_witness w;
	struct wtest_log old_key, new_key, other;
	struct wtest_http r;
	const char *argv[6];
	char *note, *body;
	size_t note_len, len;

	wtest_init(&w, "witness.example.com");
	wtest_log_new(&old_key, "log.example.com/a", 1, 0);
	wtest_log_new(&new_key, "log.example.com/a", 2, 0);
	wtest_log_new(&other, "somebody.else", 3, 0);
	argv[0] = "--log";
	argv[1] = old_key.vkey;
	argv[2] = "--log";
	argv[3] = new_key.vkey;
	argv[4] = NULL;
	wtest_start(&w, argv, 1);
	/* Either key is trusted; both sign the same tree. */
	add_expect(&w, &old_key, 0, 3, 200, 0);
	add_expect(&w, &new_key, 3, 5, 200, 0);
	/* A signature by an unknown key is ignored, and not served. */
	note = wtest_log_checkpoint(&new_key, 6, &other.key, 1, &note_len);
	{
		uint8_t proof[MLOG_PROOF_MAX][MLOG_HASH_BYTES];
		size_t n = memtree_consistency(&new_key.tree, 5, 6, proof);

		cr_assert_eq(mlog_witness_req_format(&body, &len, 5,
			(const uint8_t (*)[MLOG_HASH_BYTES])proof, n, note,
			note_len, NULL), MLOG_OK);
	}
	expect_add(&r, &w, body, len, 200);
	wtest_check_cosig(&w, body, len, r.body, r.len);
	wtest_http_clear(&r);
	free(body);
	free(note);
	check_served(&w, &new_key, 6);
	cr_assert_eq(wtest_stop(&w), 0);
	wtest_log_free(&old_key);
	wtest_log_free(&new_key);
	wtest_log_free(&other);
	wtest_cleanup(&w);
}

/* ---- vectors --------------------------------------------------------------- */

/* Value of key= in a MANIFEST (malloc'd). */
static char *manifest_value(const char *manifest, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = manifest; p != NULL && *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t ll = nl != NULL ? (size_t)(nl - p) : strlen(p);

		if (ll > kl && strncmp(p, key, kl) == 0 && p[kl] == '=')
			return strndup(p + kl + 1, ll - kl - 1);
		p = nl != NULL ? nl + 1 : NULL;
	}
	cr_assert_fail("%s not in MANIFEST", key);
	return NULL;
}

Test(witness, litewitness_requests_in_order)
{
	static const struct { long status; const char *size; } want[] = {
		{ 200, NULL }, { 403, NULL }, { 404, NULL }, { 422, NULL },
		{ 422, NULL }, { 200, NULL }, { 409, "3\n" }, { 200, NULL },
		{ 409, "5\n" },
	};
	struct wtest_witness w;
	struct wtest_http r;
	struct mlog_note_verifier as01;
	char *manifest, *vkey, *bodies[9];
	size_t lens[9], len;
	const char *argv[3] = { "--log", NULL, NULL };

	TEST_REQUIRE_SHARED();
	manifest = test_read_shared("vectors/witness/litewitness/MANIFEST.txt",
		&len);
	vkey = manifest_value(manifest, "log_vkey");
	argv[1] = vkey;
	wtest_init(&w, "example.com/witness");
	wtest_start(&w, argv, 1);
	for (int i = 0; i < 9; i++) {
		char rel[64];

		snprintf(rel, sizeof(rel),
			"vectors/witness/litewitness/req%02d.body", i + 1);
		bodies[i] = test_read_shared(rel, &lens[i]);
		wtest_add(&r, &w, bodies[i], lens[i]);
		cr_assert_eq(r.status, want[i].status, "req%02d: %ld, want "
			"%ld: %s", i + 1, r.status, want[i].status, r.body);
		if (want[i].status == 200)
			wtest_check_cosig(&w, bodies[i], lens[i], r.body,
				r.len);
		if (want[i].size != NULL) {
			cr_assert_str_eq(r.content_type, "text/x.tlog.size",
				"req%02d", i + 1);
			cr_assert_str_eq(r.body, want[i].size);
		}
		/* The log side accepts our answer, with our key in its
		 * 0x01 form too (docs/witness.md). */
		if (want[i].status == 200) {
			const char *note = strstr(bodies[i], "\n\n") + 2;
			char *out = NULL;
			size_t out_len;
			uint64_t t = 0;

			as01 = w.vkey;
			as01.type = MLOG_NOTE_TYPE_ED25519;
			as01.key_id = mlog_note_key_id(as01.name,
				MLOG_NOTE_TYPE_ED25519, as01.pub, 32);
			cr_assert_eq(mlog_witness_req_cosigs_add(&out,
				&out_len, &t, note, lens[i] - (size_t)(note -
				bodies[i]), r.body, r.len, &as01, NULL),
				MLOG_OK, "req%02d", i + 1);
			cr_assert_gt(t, 0);
			free(out);
		}
		wtest_http_clear(&r);
	}
	/* State: size 5 with req08's checkpoint; evidence: one row for the
	 * size-3 checkpoint of req04/req05 (422, seen twice). */
	cr_assert_eq(sql_int(&w, "SELECT size FROM log", NULL), 5);
	cr_assert_eq(sql_int(&w, "SELECT count(*) FROM cosigned", NULL), 3);
	cr_assert_eq(sql_int(&w, "SELECT count(*) FROM evidence", NULL), 1);
	cr_assert_eq(sql_int(&w, "SELECT times FROM evidence WHERE status = "
		"422 AND size = 3 AND old = 1", NULL), 2);
	cr_assert_eq(sql_int(&w, "SELECT body = CAST(?1 AS BLOB) FROM "
		"evidence", bodies[3]), 1, "evidence keeps req04's body");
	{
		/* The monitoring endpoint serves req08's checkpoint with the
		 * log's signature and ours. */
		char *origin = manifest_value(manifest, "log_origin");
		struct mlog_note_verifier lk;
		struct mlog_checkpoint c;
		struct mlog_note *n = NULL;

		cr_assert_eq(mlog_note_verifier_parse(&lk, vkey, strlen(vkey),
			NULL), MLOG_OK);
		get_checkpoint(&r, &w, origin);
		cr_assert_eq(r.status, 200);
		mlog_checkpoint_init(&c);
		cr_assert_eq(mlog_checkpoint_open(&c, &n, r.body, r.len,
			origin, &lk, 1, NULL, NULL), MLOG_OK);
		cr_assert_eq(c.size, 5);
		cr_assert_not_null(strstr(bodies[7], n->text));
		cr_assert_eq(mlog_note_verify(n, &w.vkey, 1, NULL, NULL),
			MLOG_OK);
		mlog_checkpoint_clear(&c);
		mlog_note_free(n);
		wtest_http_clear(&r);
		free(origin);
	}
	cr_assert_eq(wtest_stop(&w), 0);
	for (int i = 0; i < 9; i++)
		free(bodies[i]);
	free(vkey);
	free(manifest);
	wtest_cleanup(&w);
}

/* The omniwitness test witness runs with its own 0x01 skey: the state is
 * made by the store module directly, the key file written by hand. */
Test(witness, omniwitness_monkeys_with_a_type_01_witness_key)
{
	struct wtest_witness w;
	struct wtest_http r;
	struct mlog_note_signer wsk, bananas;
	struct mlog_note_verifier wvk, cosig_vk;
	struct mlog_error err = { 0, "" };
	uint8_t proof[4][MLOG_HASH_BYTES];
	char *manifest, *mvkey, *wskey, *wvkey, *cons, *cp5, *cp8, *body;
	char path[400], vk04[MLOG_NOTE_VKEY_MAX + 1];
	size_t len, cp5_len, cp8_len;
	const char *argv[3] = { "--log", NULL, NULL };
	FILE *f;

	TEST_REQUIRE_SHARED();
	manifest = test_read_shared(
		"vectors/witness/omniwitness-monkeys/MANIFEST.txt", &len);
	mvkey = manifest_value(manifest, "log_vkey");
	wskey = manifest_value(manifest, "witness_skey");
	wvkey = manifest_value(manifest, "witness_vkey");
	cons = manifest_value(manifest, "consistency_5_8");
	cp5 = test_read_shared(
		"vectors/witness/omniwitness-monkeys/monkeys-5.checkpoint",
		&cp5_len);
	cp8 = test_read_shared(
		"vectors/witness/omniwitness-monkeys/monkeys-8.checkpoint",
		&cp8_len);

	memset(&w, 0, sizeof(w));
	wtest_tmpdir(w.dir, sizeof(w.dir));
	snprintf(w.data, sizeof(w.data), "%s/data", w.dir);
	snprintf(w.logpath, sizeof(w.logpath), "%s/witness.log", w.dir);
	cr_assert_eq(mkdir(w.data, 0700), 0);
	cr_assert_eq(mlog_note_signer_parse(&wsk, wskey, strlen(wskey), NULL),
		MLOG_OK);
	cr_assert_eq(wsk.type, MLOG_NOTE_TYPE_ED25519);
	cr_assert_eq(mlog_note_verifier_parse(&wvk, wvkey, strlen(wvkey),
		NULL), MLOG_OK);
	mlog_note_verifier_as_cosigner(&cosig_vk, &wvk);
	cr_assert_gt(mlog_note_verifier_format(vk04, sizeof(vk04),
		&cosig_vk), 0);
	snprintf(path, sizeof(path), "%s/%s", w.data, WITNESS_STORE_FILE);
	cr_assert_eq(witness_store_create(path, vk04, &err), MLOG_OK, "%s",
		err.msg);
	snprintf(path, sizeof(path), "%s/witness.key", w.data);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "%s\n", wskey);
	fclose(f);
	cr_assert_eq(chmod(path, 0600), 0);
	w.vkey = cosig_vk;
	w.port = wtest_free_port();
	snprintf(w.url, sizeof(w.url), "http://127.0.0.1:%u", w.port);
	argv[1] = mvkey;
	wtest_start(&w, argv, 1);

	/* monkeys at 5, trusted on first use. */
	cr_assert_eq(mlog_witness_req_format(&body, &len, 0, NULL, 0, cp5,
		cp5_len, NULL), MLOG_OK);
	expect_add(&r, &w, body, len, 200);
	wtest_check_cosig(&w, body, len, r.body, r.len);
	wtest_http_clear(&r);
	free(body);
	/* bananas is not configured: 404. */
	{
		char *bskey = manifest_value(manifest, "other_log_skey");
		struct wtest_log bl;

		cr_assert_eq(mlog_note_signer_parse(&bananas, bskey,
			strlen(bskey), NULL), MLOG_OK);
		wtest_log_new(&bl, "bananas", 9, 0);
		bl.key = bananas;
		add_expect(&w, &bl, 0, 5, 404, 0);
		wtest_log_free(&bl);
		free(bskey);
	}
	/* 5 -> 8 with the vector's proof. */
	for (int i = 0; i < 4; i++) {
		char hex[65];

		memcpy(hex, cons + i * 65, 64);
		hex[64] = '\0';
		test_hex(proof[i], 32, hex);
	}
	cr_assert_eq(mlog_witness_req_format(&body, &len, 5,
		(const uint8_t (*)[MLOG_HASH_BYTES])proof, 4, cp8, cp8_len,
		NULL), MLOG_OK);
	expect_add(&r, &w, body, len, 200);
	wtest_check_cosig(&w, body, len, r.body, r.len);
	wtest_http_clear(&r);
	/* A corrupted proof from a stale old: 409 first. */
	proof[2][5] ^= 1;
	free(body);
	cr_assert_eq(mlog_witness_req_format(&body, &len, 5,
		(const uint8_t (*)[MLOG_HASH_BYTES])proof, 4, cp8, cp8_len,
		NULL), MLOG_OK);
	expect_add(&r, &w, body, len, 409);
	cr_assert_str_eq(r.body, "8\n");
	wtest_http_clear(&r);
	free(body);
	/* old > size: 400; same size, empty proof: fresh 200. */
	cr_assert_eq(mlog_witness_req_format(&body, &len, 8, NULL, 0, cp5,
		cp5_len, NULL), MLOG_OK);
	expect_add(&r, &w, body, len, 400);
	wtest_http_clear(&r);
	free(body);
	cr_assert_eq(mlog_witness_req_format(&body, &len, 8, NULL, 0, cp8,
		cp8_len, NULL), MLOG_OK);
	expect_add(&r, &w, body, len, 200);
	/* The witness's published 0x01 vkey verifies the cosignature (as
	 * transparency-dev/formats NewVerifierForCosignatureV1 does). */
	{
		char *out = NULL;
		size_t out_len;

		cr_assert_eq(mlog_witness_req_cosigs_add(&out, &out_len, NULL,
			cp8, cp8_len, r.body, r.len, &wvk, &err), MLOG_OK,
			"%s", err.msg);
		free(out);
	}
	wtest_http_clear(&r);
	free(body);
	cr_assert_eq(wtest_stop(&w), 0);
	mlog_note_signer_clear(&wsk);
	free(manifest);
	free(mvkey);
	free(wskey);
	free(wvkey);
	free(cons);
	free(cp5);
	free(cp8);
	wtest_cleanup(&w);
}

/* ---- evidence, monitoring, durability -------------------------------------- */

Test(witness, forks_are_refused_and_kept_as_evidence)
{
	struct wtest_witness w;
	struct wtest_log l, fork;
	struct wtest_http r;
	const char *argv[4];
	char *body;
	size_t len;

	wtest_init(&w, "witness.example.com");
	wtest_log_new(&l, "log.example.com/a", 1, 0);
	wtest_log_new(&fork, "log.example.com/a", 1, 6);
	log_flags(argv, &l, 1);
	wtest_start(&w, argv, 1);
	add_expect(&w, &l, 0, 5, 200, 0);
	add_expect(&w, &l, 5, 10, 200, 0);
	/* Stale but honest: not evidence. */
	add_expect(&w, &l, 3, 5, 409, 10);   /* co-signed, same root */
	add_expect(&w, &l, 3, 8, 409, 10);   /* never co-signed */
	cr_assert_eq(sql_int(&w, "SELECT count(*) FROM evidence", NULL), 0);
	/* The same size with another root (422), a bigger tree that is not
	 * an extension (422), and a fork at a size co-signed earlier behind
	 * a wrong old (409): all three are kept with their bodies. */
	body = wtest_log_body(&fork, 10, 10, &len);
	expect_add(&r, &w, body, len, 422);
	wtest_http_clear(&r);
	cr_assert_eq(sql_int(&w, "SELECT count(*) FROM evidence WHERE body ="
		" CAST(?1 AS BLOB) AND status = 422 AND size = 10 AND "
		"stored_size = 10 AND reason LIKE 'fork: %'", body), 1);
	free(body);
	add_expect(&w, &fork, 10, 12, 422, 0);
	add_expect(&w, &fork, 7, 10, 409, 10);
	cr_assert_eq(sql_int(&w, "SELECT count(*) FROM evidence", NULL), 3);
	cr_assert_eq(sql_int(&w, "SELECT count(*) FROM evidence WHERE status "
		"= 409 AND size = 10 AND old = 7 AND reason LIKE 'fork: %'",
		NULL), 1);
	/* A replay only counts. */
	add_expect(&w, &fork, 10, 12, 422, 0);
	cr_assert_eq(sql_int(&w, "SELECT count(*) FROM evidence", NULL), 3);
	cr_assert_eq(sql_int(&w, "SELECT times FROM evidence WHERE size = 12",
		NULL), 2);
	/* A fork the witness has no root for (size 8, never co-signed) is
	 * only stale. */
	add_expect(&w, &fork, 7, 8, 409, 10);
	cr_assert_eq(sql_int(&w, "SELECT count(*) FROM evidence", NULL), 3);
	/* Metrics and the log line say so; the state is untouched. */
	{
		char url[128], line[512];

		snprintf(url, sizeof(url), "%s/metrics", w.url);
		wtest_get(&r, url);
		snprintf(line, sizeof(line), "mlog_witness_evidence_total{"
			"origin=\"log.example.com/a\"} 4\n");
		cr_assert_not_null(strstr(r.body, line), "%s", r.body);
		snprintf(line, sizeof(line), "mlog_witness_evidence_records{"
			"origin=\"log.example.com/a\"} 3\n");
		cr_assert_not_null(strstr(r.body, line), "%s", r.body);
		wtest_http_clear(&r);
	}
	check_served(&w, &l, 10);
	add_expect(&w, &l, 10, 11, 200, 0);
	cr_assert_eq(wtest_stop(&w), 0);
	{
		size_t n;
		char *log = test_read_file(w.logpath, &n);

		cr_assert_not_null(strstr(log, "evidence: log "
			"log.example.com/a, size 10, old 7: 409 "), "%s", log);
		free(log);
	}
	wtest_log_free(&l);
	wtest_log_free(&fork);
	wtest_cleanup(&w);
}

Test(witness, checkpoint_endpoint_healthz_metrics)
{
	struct wtest_witness w;
	struct wtest_log a, b;
	struct wtest_http r;
	const char *argv[6];
	char url[256], hex[65], line[256];

	wtest_init(&w, "witness.example.com");
	wtest_log_new(&a, "log.example.com/a", 1, 0);
	wtest_log_new(&b, "log.example.com/\"b\"", 2, 0);
	argv[0] = "--log";
	argv[1] = a.vkey;
	argv[2] = "--log";
	argv[3] = b.vkey;
	argv[4] = NULL;
	wtest_start(&w, argv, 1);
	/* Configured but never co-signed; unknown; not lowercase. */
	get_checkpoint(&r, &w, a.key.name);
	cr_assert_eq(r.status, 404);
	wtest_http_clear(&r);
	get_checkpoint(&r, &w, "log.example.com/c");
	cr_assert_eq(r.status, 404);
	wtest_http_clear(&r);
	add_expect(&w, &a, 0, 4, 200, 0);
	wtest_origin_hex(hex, a.key.name);
	for (char *p = hex; *p != '\0'; p++) {
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	}
	snprintf(url, sizeof(url), "%s/%s/checkpoint", w.url, hex);
	wtest_get(&r, url);
	cr_assert_eq(r.status, 404);
	wtest_http_clear(&r);
	check_served(&w, &a, 4);
	add_expect(&w, &a, 4, 9, 200, 0);
	check_served(&w, &a, 9);
	add_expect(&w, &b, 0, 2, 200, 0);
	check_served(&w, &b, 2);

	snprintf(url, sizeof(url), "%s/healthz", w.url);
	wtest_get(&r, url);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body, "ok\n");
	wtest_http_clear(&r);
	snprintf(url, sizeof(url), "%s/metrics", w.url);
	wtest_get(&r, url);
	cr_assert_eq(r.status, 200);
	cr_assert_not_null(strstr(r.content_type, "version=0.0.4"));
	cr_assert_not_null(strstr(r.body, "mlog_witness_cosignatures_total{"
		"origin=\"log.example.com/a\"} 2\n"), "%s", r.body);
	/* Label values are escaped. */
	cr_assert_not_null(strstr(r.body, "mlog_witness_tree_size{origin="
		"\"log.example.com/\\\"b\\\"\"} 2\n"), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "mlog_witness_http_requests_total{"
		"route=\"add_checkpoint\",code=\"200\"} 3\n"), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "mlog_witness_http_requests_total{"
		"route=\"checkpoint\",code=\"404\"} 3\n"), "%s", r.body);
	snprintf(line, sizeof(line), "mlog_witness_last_cosign_timestamp_"
		"seconds{origin=\"log.example.com/a\"} ");
	cr_assert_not_null(strstr(r.body, line), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "mlog_witness_commits_total{"
		"result=\"ok\"}"), "%s", r.body);
	wtest_http_clear(&r);
	cr_assert_eq(wtest_stop(&w), 0);
	wtest_log_free(&a);
	wtest_log_free(&b);
	wtest_cleanup(&w);
}

Test(witness, restart_and_crash_keep_the_state)
{
	struct wtest_witness w;
	struct wtest_log l;
	const char *argv[4];
	uint64_t t1, t2;

	wtest_init(&w, "witness.example.com");
	wtest_log_new(&l, "log.example.com/a", 1, 0);
	log_flags(argv, &l, 1);
	wtest_start(&w, argv, 1);
	add_expect(&w, &l, 0, 7, 200, 0);
	t1 = check_served(&w, &l, 7);
	cr_assert_eq(wtest_stop(&w), 0, "SIGTERM exits 0");
	wtest_start(&w, argv, 1);
	add_expect(&w, &l, 0, 9, 409, 7);
	cr_assert_eq(check_served(&w, &l, 7), t1);
	add_expect(&w, &l, 7, 9, 200, 0);
	/* Answered means durable: a crash right after keeps it. */
	wtest_kill9(&w);
	wtest_start(&w, argv, 1);
	add_expect(&w, &l, 7, 12, 409, 9);
	t2 = check_served(&w, &l, 9);
	cr_assert_geq(t2, t1);
	/* A log dropped from the configuration and added back keeps its
	 * state (no reset by reconfiguration). */
	cr_assert_eq(wtest_stop(&w), 0);
	{
		struct wtest_log other;
		const char *argv2[4];

		wtest_log_new(&other, "log.example.com/other", 2, 0);
		log_flags(argv2, &other, 1);
		wtest_start(&w, argv2, 1);
		add_expect(&w, &l, 0, 9, 404, 0);
		cr_assert_eq(wtest_stop(&w), 0);
		wtest_log_free(&other);
	}
	wtest_start(&w, argv, 1);
	add_expect(&w, &l, 0, 12, 409, 9);
	cr_assert_eq(wtest_stop(&w), 0);
	wtest_log_free(&l);
	wtest_cleanup(&w);
}

/* ---- races ------------------------------------------------------------------ */

struct race_req {
	char *body;
	size_t len;
	uint64_t old, size;
	int fork;
	uint8_t root[MLOG_HASH_BYTES];
	long status;
	char *resp;
	size_t resp_len;
};

struct race {
	const struct wtest_witness *w;
	struct race_req *reqs;
	size_t n;
	size_t next;                      /* guarded by lock */
	pthread_mutex_t lock;
};

static void *race_thread(void *arg)
{
	struct race *rc = arg;

	for (;;) {
		struct race_req *q;
		struct wtest_http r;
		size_t i;

		pthread_mutex_lock(&rc->lock);
		i = rc->next++;
		pthread_mutex_unlock(&rc->lock);
		if (i >= rc->n)
			break;
		q = &rc->reqs[i];
		wtest_add(&r, rc->w, q->body, q->len);
		q->status = r.status;
		q->resp = r.body;
		q->resp_len = r.len;
	}
	return NULL;
}

static int by_old(const void *a, const void *b)
{
	const struct race_req *x = *(struct race_req *const *)a;
	const struct race_req *y = *(struct race_req *const *)b;

	return x->old < y->old ? -1 : x->old > y->old;
}

/*
 * 16 threads race add-checkpoint requests of an honest tree and of a fork
 * (same key, leaves differ from index 20) from many old sizes. Whatever
 * the interleaving, the co-signed transitions must form one chain from
 * the start size (no rollback: two 200s never leave the same size), no
 * size gets two roots, the fork and the honest tree never both get
 * co-signed beyond the fork point, and every 422 is in the evidence.
 */
Test(witness, racing_requests_never_roll_back)
{
	enum { START = 16, TOP = 48, THREADS = 16 };
	struct wtest_witness w;
	struct wtest_log l, fork;
	struct race rc;
	struct race_req *reqs, **ok;
	pthread_t th[THREADS];
	const char *argv[6] = { "--rate", "0", NULL };
	size_t n = 0, nok = 0, n422 = 0;
	int winner = -1;
	uint64_t last;

	wtest_init(&w, "witness.example.com");
	wtest_log_new(&l, "log.example.com/race", 1, 0);
	wtest_log_new(&fork, "log.example.com/race", 1, 20);
	argv[2] = "--log";
	argv[3] = l.vkey;
	argv[4] = NULL;
	wtest_start(&w, argv, 1);
	add_expect(&w, &l, 0, START, 200, 0);

	reqs = calloc(2 * (TOP - START) * 5, sizeof(*reqs));
	cr_assert_not_null(reqs);
	for (uint64_t s = START + 1; s <= TOP; s++) {
		for (int f = 0; f < 2; f++) {
			uint64_t olds[5] = { START, s - 1, s - 2, s - 3,
				START + (s * 7) % (s - START) };

			for (int k = 0; k < 5; k++) {
				struct race_req *q = &reqs[n++];
				struct wtest_log *t = f ? &fork : &l;

				q->old = olds[k] < START ? START : olds[k];
				q->size = s;
				q->fork = f && s > 20;
				q->body = wtest_log_body(t, q->old, s, &q->len);
				wtest_log_root(t, s, q->root);
			}
		}
	}
	/* Shuffle (deterministically) so that sizes arrive out of order. */
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (i * 2654435761u) % (i + 1);
		struct race_req tmp = reqs[i];

		reqs[i] = reqs[j];
		reqs[j] = tmp;
	}
	rc = (struct race){ &w, reqs, n, 0, PTHREAD_MUTEX_INITIALIZER };
	for (int i = 0; i < THREADS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, race_thread, &rc), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);

	ok = calloc(n, sizeof(*ok));
	for (size_t i = 0; i < n; i++) {
		struct race_req *q = &reqs[i];

		cr_assert(q->status == 200 || q->status == 409 ||
			q->status == 422, "request %llu -> %llu: %ld %s",
			(unsigned long long)q->old,
			(unsigned long long)q->size, q->status, q->resp);
		if (q->status == 422)
			n422++;
		if (q->status != 200)
			continue;
		wtest_check_cosig(&w, q->body, q->len, q->resp, q->resp_len);
		/* One tree beyond the fork point. */
		if (q->size > 20) {
			if (winner < 0)
				winner = q->fork;
			cr_assert_eq(q->fork, winner, "both the fork and the "
				"honest tree were co-signed");
		}
		/* One root per size. */
		for (size_t j = 0; j < nok; j++) {
			if (ok[j]->size == q->size)
				cr_assert_arr_eq(ok[j]->root, q->root,
					MLOG_HASH_BYTES, "two roots co-signed "
					"for size %llu",
					(unsigned long long)q->size);
		}
		if (q->old < q->size)
			ok[nok++] = q;
	}
	/* The transitions form one chain START -> ... -> last. */
	qsort(ok, nok, sizeof(*ok), by_old);
	last = START;
	for (size_t i = 0; i < nok; i++) {
		cr_assert_eq(ok[i]->old, last, "transition %llu -> %llu does "
			"not start where the state was (%llu): a rollback",
			(unsigned long long)ok[i]->old,
			(unsigned long long)ok[i]->size,
			(unsigned long long)last);
		last = ok[i]->size;
	}
	cr_assert_gt(nok, 0, "no request won the race");
	/* The witness agrees: its size is the chain's end, every co-signed
	 * root is in its table, every 422 in its evidence. */
	cr_assert_eq((uint64_t)sql_int(&w, "SELECT size FROM log", NULL),
		last);
	cr_assert_eq((size_t)sql_int(&w, "SELECT count(*) FROM cosigned",
		NULL), nok + 1);
	cr_assert_eq(sql_int(&w, "SELECT sum(times) FROM evidence WHERE "
		"status = 422", NULL), (long long)n422);
	{
		struct wtest_log *t = winner == 1 ? &fork : &l;

		check_served(&w, t, last);
	}
	cr_assert_eq(wtest_stop(&w), 0);
	for (size_t i = 0; i < n; i++) {
		free(reqs[i].body);
		free(reqs[i].resp);
	}
	free(reqs);
	free(ok);
	wtest_log_free(&l);
	wtest_log_free(&fork);
	wtest_cleanup(&w);
}

/* ---- limits --------------------------------------------------------------------- */

Test(witness, rate_limit_per_log)
{
	struct wtest_witness w;
	struct wtest_log a, b, impostor;
	struct wtest_http r;
	const char *argv[10];
	char *body;
	size_t len;

	wtest_init(&w, "witness.example.com");
	wtest_log_new(&a, "log.example.com/a", 1, 0);
	wtest_log_new(&b, "log.example.com/b", 2, 0);
	wtest_log_new(&impostor, "log.example.com/a", 3, 0);
	argv[0] = "--rate";
	argv[1] = "1";
	argv[2] = "--burst";
	argv[3] = "2";
	argv[4] = "--log";
	argv[5] = a.vkey;
	argv[6] = "--log";
	argv[7] = b.vkey;
	argv[8] = NULL;
	wtest_start(&w, argv, 1);
	add_expect(&w, &a, 0, 3, 200, 0);
	add_expect(&w, &a, 3, 3, 200, 0);
	body = wtest_log_body(&a, 3, 4, &len);
	expect_add(&r, &w, body, len, 429);
	cr_assert_str_eq(r.retry_after, "1");
	cr_assert_not_null(strstr(r.body, "log.example.com/a"));
	wtest_http_clear(&r);
	/* Forged bodies are refused before they cost a token (403, not
	 * 429), and other logs have their own bucket. */
	add_expect(&w, &impostor, 3, 4, 403, 0);
	add_expect(&w, &b, 0, 2, 200, 0);
	usleep(1100000);
	expect_add(&r, &w, body, len, 200);
	wtest_http_clear(&r);
	free(body);
	cr_assert_eq(wtest_stop(&w), 0);
	wtest_log_free(&a);
	wtest_log_free(&b);
	wtest_log_free(&impostor);
	wtest_cleanup(&w);
}

Test(witness, body_cap_reads_no_further)
{
	struct wtest_witness w;
	struct wtest_log l;
	const char *argv[4];
	char req[256], *resp, *chunk;
	int fd, closed;

	wtest_init(&w, "witness.example.com");
	wtest_log_new(&l, "log.example.com/a", 1, 0);
	log_flags(argv, &l, 1);
	wtest_start(&w, argv, 1);
	/* Announced: 413 before a single body byte is sent. */
	fd = wtest_connect(w.port);
	snprintf(req, sizeof(req), "POST /add-checkpoint HTTP/1.1\r\n"
		"Host: x\r\nContent-Length: 1000000\r\n\r\n");
	cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	resp = wtest_read_all(fd, 3000, &closed);
	cr_assert_eq(strncmp(resp, "HTTP/1.1 413", 12), 0, "got: %s", resp);
	free(resp);
	close(fd);
	/* Chunked past the cap: the connection is closed at once, while the
	 * client still has more to send. */
	fd = wtest_connect(w.port);
	snprintf(req, sizeof(req), "POST /add-checkpoint HTTP/1.1\r\n"
		"Host: x\r\nTransfer-Encoding: chunked\r\n\r\n4400\r\n");
	cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	chunk = calloc(1, 0x4400);
	memset(chunk, 'a', 0x4400);
	cr_assert_eq(write(fd, chunk, 0x4400), 0x4400);
	resp = wtest_read_all(fd, 3000, &closed);
	cr_assert(closed, "the witness kept reading an oversize body");
	cr_assert_null(strstr(resp, "HTTP/1.1 200"), "%s", resp);
	free(resp);
	free(chunk);
	close(fd);
	/* Another route with a body: answered before the body is read. */
	fd = wtest_connect(w.port);
	snprintf(req, sizeof(req), "POST /elsewhere HTTP/1.1\r\n"
		"Host: x\r\nContent-Length: 1000000\r\n\r\n");
	cr_assert_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	resp = wtest_read_all(fd, 3000, &closed);
	cr_assert_eq(strncmp(resp, "HTTP/1.1 404", 12), 0, "got: %s", resp);
	free(resp);
	close(fd);
	/* Still serving. */
	add_expect(&w, &l, 0, 1, 200, 0);
	cr_assert_eq(wtest_stop(&w), 0);
	wtest_log_free(&l);
	wtest_cleanup(&w);
}

/*
 * SIGTERM while requests are in flight (headers and half a body sent):
 * the witness stops accepting connections but finishes every request it
 * began, answers them, and exits 0; the answers are durable.
 */
Test(witness, sigterm_finishes_requests_in_flight)
{
	enum { N = 6 };
	struct wtest_witness w;
	struct wtest_log logs[N];
	const char *argv[2 * N + 1];
	char *bodies[N];
	size_t lens[N];
	int fds[N], status = 0;

	wtest_init(&w, "witness.example.com");
	for (int i = 0; i < N; i++) {
		char origin[64];

		snprintf(origin, sizeof(origin), "log.example.com/%d", i);
		wtest_log_new(&logs[i], origin, (uint8_t)(i + 1), 0);
		bodies[i] = wtest_log_body(&logs[i], 0, 3, &lens[i]);
	}
	log_flags(argv, logs, N);
	wtest_start(&w, argv, 1);
	for (int i = 0; i < N; i++) {
		char head[128];
		int n = snprintf(head, sizeof(head), "POST /add-checkpoint "
			"HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n"
			"Connection: close\r\n\r\n", lens[i]);

		fds[i] = wtest_connect(w.port);
		cr_assert_eq(write(fds[i], head, (size_t)n), n);
		cr_assert_eq(write(fds[i], bodies[i], lens[i] / 2),
			(ssize_t)(lens[i] / 2));
	}
	usleep(300000);
	kill(w.pid, SIGTERM);
	usleep(300000);
	/* No new connections. */
	{
		struct sockaddr_in a;
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_port = htons((uint16_t)w.port);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		cr_assert_neq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0,
			"still accepting after SIGTERM");
		close(fd);
	}
	for (int i = 0; i < N; i++) {
		size_t rest = lens[i] - lens[i] / 2;
		int closed;
		char *resp;

		cr_assert_eq(write(fds[i], bodies[i] + lens[i] / 2, rest),
			(ssize_t)rest);
		resp = wtest_read_all(fds[i], 5000, &closed);
		cr_assert_eq(strncmp(resp, "HTTP/1.1 200", 12), 0,
			"request %d in flight at SIGTERM: %s", i, resp);
		free(resp);
		close(fds[i]);
	}
	cr_assert_eq(waitpid(w.pid, &status, 0), w.pid);
	w.pid = 0;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		"exit status %d", status);
	wtest_start(&w, argv, 1);
	for (int i = 0; i < N; i++) {
		add_expect(&w, &logs[i], 0, 4, 409, 3);
		free(bodies[i]);
		wtest_log_free(&logs[i]);
	}
	cr_assert_eq(wtest_stop(&w), 0);
	wtest_cleanup(&w);
}
