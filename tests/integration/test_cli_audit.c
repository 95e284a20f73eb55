/*
 * test_cli_audit.c — `mlog audit`, `mlog check` and `mlog monitor` run as
 * processes against real mlogd processes (harness.h): entries signed
 * here and POSTed, bundles verified offline with cli_evidence_verify
 * (what `mlog verify DIR` calls) after the server is gone, a byte-flip
 * sweep over every file of a real bundle, SIEM events parsed, state kept
 * across monitor runs, a forked log, a wrong key, bad arguments (exit 2
 * with a message), and witnesses: a fake C2SP witness (fakewitness.h)
 * that mlogd pushes to, so that quorum policies, cosigned bundles and
 * split views are exercised end to end.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <sodium.h>

#include "bundletest.h"
#include "checkpoint.h"
#include "codec.h"
#include "evidence.h"
#include "fakewitness.h"
#include "harness.h"

static void setup(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(cli_audit, .init = setup, .timeout = 600);
TestSuite(cli_check, .init = setup, .timeout = 300);
TestSuite(cli_monitor, .init = setup, .timeout = 300);
TestSuite(witness, .init = setup, .timeout = 300);

/* ---- running mlog ------------------------------------------------------ */

struct run {
	int status;
	char *out, *err;
};

/* Runs $MLOG_BIN with args (NULL-terminated), capturing both streams. */
static void mlog(struct run *r, const char *const *args)
{
	const char *bin = getenv("MLOG_BIN");
	const char *argv[64];
	char errpath[] = "/tmp/mlog-test-stderr-XXXXXX";
	int fds[2], efd, status = 0;
	size_t n = 0, len = 0;
	pid_t pid;

	cr_assert_not_null(bin, "$MLOG_BIN not set (run through meson test)");
	argv[n++] = bin;
	for (size_t i = 0; args[i] != NULL; i++) {
		cr_assert_lt(n, 62);
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	efd = mkstemp(errpath);
	cr_assert_geq(efd, 0);
	unlink(errpath);
	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		dup2(efd, STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	r->out = NULL;
	for (;;) {
		char chunk[4096];
		ssize_t k = read(fds[0], chunk, sizeof(chunk));

		if (k <= 0)
			break;
		r->out = realloc(r->out, len + (size_t)k + 1);
		memcpy(r->out + len, chunk, (size_t)k);
		len += (size_t)k;
		r->out[len] = '\0';
	}
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	if (r->out == NULL)
		r->out = strdup("");
	{
		off_t size = lseek(efd, 0, SEEK_END);

		r->err = calloc(1, (size_t)size + 1);
		lseek(efd, 0, SEEK_SET);
		if (size > 0)
			cr_assert_eq(read(efd, r->err, (size_t)size), size);
		close(efd);
	}
	r->status = WIFEXITED(status) ? WEXITSTATUS(status)
				      : 128 + WTERMSIG(status);
}

static void run_clear(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* ---- a log with signers ------------------------------------------------ */

struct env {
	struct itest_log log;
	struct itest_signer ci, alice;
	char vkey[MLOG_NOTE_VKEY_MAX + 1];
	char tmp[256];
	char mr[8][65], ms[65];
};

/* (Re)starts the log with the two signers and extra flags. */
static void env_start(struct env *e, const char *const *extra)
{
	char f1[400], f2[400];
	const char *args[32];
	size_t n = 0;

	itest_signer_flag(f1, sizeof(f1), &e->ci, "build,sbom");
	itest_signer_flag(f2, sizeof(f2), &e->alice, "approval");
	args[n++] = "--signer";
	args[n++] = f1;
	args[n++] = "--signer";
	args[n++] = f2;
	args[n++] = "--batch-ms";
	args[n++] = "5";
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	itest_log_start(&e->log, args);
}

static void env_init(struct env *e, const char *const *extra)
{
	memset(e, 0, sizeof(*e));
	itest_tmpdir(e->tmp, sizeof(e->tmp));
	itest_log_init(&e->log, "example.com/mlog-test");
	cr_assert_gt(mlog_note_verifier_format(e->vkey, sizeof(e->vkey),
		&e->log.vkey), 0);
	itest_signer_new(&e->ci, e->tmp, "ci", MLOG_DSSE_ALG_ED25519);
	itest_signer_new(&e->alice, e->tmp, "alice", MLOG_DSSE_ALG_ECDSA_P256);
	env_start(e, extra);
	for (int i = 0; i < 8; i++)
		itest_mrenclave(e->mr[i], (uint64_t)i);
}

static void env_clear(struct env *e)
{
	itest_log_cleanup(&e->log);
	itest_signer_clear(&e->ci);
	itest_signer_clear(&e->alice);
	if (getenv("MLOG_TEST_KEEP") == NULL)
		itest_rmtree(e->tmp);
}

/* Signs stmt with s, POSTs it, checks the receipt; returns the index. */
static uint64_t post(struct env *e, const struct itest_signer *s,
	const char *stmt)
{
	const struct itest_signer *ss[1] = { s };
	struct itest_http r;
	char url[128];
	size_t len = 0;
	char *env = itest_envelope(ss, 1, stmt, &len);
	uint64_t index;

	snprintf(url, sizeof(url), "%s/v1/entries", e->log.url);
	itest_post(&r, url, env, len);
	cr_assert(r.status == 201 || r.status == 200, "POST: %ld %s",
		r.status, r.body);
	index = itest_check_receipt(&e->log, r.body, env, len, NULL, NULL);
	itest_http_clear(&r);
	free(env);
	return index;
}

static uint64_t post_manifest(struct env *e, uint64_t seed)
{
	char *st = itest_build_statement(seed);
	uint64_t i = post(e, &e->ci, st);

	free(st);
	return i;
}

static uint64_t post_approval(struct env *e, const char *measurement,
	const char *ticket, const char *decision, long long build_entry)
{
	char *st = bt_approval(measurement, ticket, decision, build_entry);
	uint64_t i = post(e, &e->alice, st);

	free(st);
	return i;
}

/* MRSIGNER of itest_build_statement(seed) for seeds below 1000. */
static void mrsigner_of(struct env *e, char out[65])
{
	char *st = itest_build_statement(1);
	json_t *j = json_loads(st, 0, NULL);
	const char *s = json_string_value(json_object_get(json_array_get(
		json_object_get(json_object_get(j, "predicate"),
		"measurements"), 0), "mrsigner"));

	(void)e;
	cr_assert_not_null(s);
	memcpy(out, s, 65);
	json_decref(j);
	free(st);
}

/*
 * The standard scene (indexes):
 *  0 manifest seed 1 (M1, svn 1)     4 revocation M2 CHG-3
 *  1 manifest seed 2 (M2, svn 2)     5 manifest seed 3 (M3, svn 3)
 *  2 approval M1 CHG-1, build 0      6 approval M3 CHG-4
 *  3 approval S min_isvsvn 2 CHG-2
 */
static void scene(struct env *e)
{
	char m[256];

	mrsigner_of(e, e->ms);
	cr_assert_eq(post_manifest(e, 1), 0);
	cr_assert_eq(post_manifest(e, 2), 1);
	snprintf(m, sizeof(m), "{\"tee\":\"sgx\",\"mrenclave\":\"%s\"}",
		e->mr[1]);
	cr_assert_eq(post_approval(e, m, "CHG-1", "approved", 0), 2);
	snprintf(m, sizeof(m), "{\"tee\":\"sgx\",\"mrsigner\":\"%s\","
		"\"min_isvsvn\":2}", e->ms);
	cr_assert_eq(post_approval(e, m, "CHG-2", "approved", -1), 3);
	snprintf(m, sizeof(m), "{\"tee\":\"sgx\",\"mrenclave\":\"%s\"}",
		e->mr[2]);
	cr_assert_eq(post_approval(e, m, "CHG-3", "revoked", -1), 4);
	cr_assert_eq(post_manifest(e, 3), 5);
	snprintf(m, sizeof(m), "{\"tee\":\"sgx\",\"mrenclave\":\"%s\"}",
		e->mr[3]);
	cr_assert_eq(post_approval(e, m, "CHG-4", "approved", -1), 6);
}

/* The entry indexes a bundle's manifest lists, as "0,2,..." */
static void bundle_indexes(const char *dir, char *out, size_t cap)
{
	char *text = bt_read(dir, "manifest.json", NULL);
	json_t *m = json_loads(text, 0, NULL), *v;
	size_t i, used = 0;

	out[0] = '\0';
	json_array_foreach(json_object_get(m, "entries"), i, v)
		used += (size_t)snprintf(out + used, cap - used, "%s%lld",
			i > 0 ? "," : "", (long long)json_integer_value(
			json_object_get(v, "index")));
	json_decref(m);
	free(text);
}

static void audit(struct env *e, const char *flag, const char *value,
	const char *out, const char *policy_flag, const char *anchor)
{
	struct run r;
	const char *args[] = { "audit", flag, value, "--out", out, "--log",
		e->log.url, policy_flag, anchor, NULL };

	mlog(&r, args);
	cr_assert_eq(r.status, 0, "audit %s %s: exit %d: %s", flag, value,
		r.status, r.err);
	cr_expect_not_null(strstr(r.out, out), "%s", r.out);
	run_clear(&r);
}

Test(cli_audit, bundles_for_each_query_verify_offline)
{
	static const struct {
		const char *flag;
		int which;          /* 0 ticket CHG-2, 1 M1, 2 M2, 3 S */
		const char *want;
	} cases[] = {
		{ "--mrenclave", 1, "0,2" },
		{ "--mrenclave", 2, "1,3,4" },
		{ "--ticket", 0, "1,3,4,5,6" },
		{ "--mrsigner", 3, "0,1,2,3,4,5,6" },
	};
	struct env e;
	char out[8][300], got[128];
	struct mlog_error err = { 0, "" };

	env_init(&e, NULL);
	scene(&e);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *value = cases[i].which == 0 ? "CHG-2"
			: cases[i].which == 3 ? e.ms : e.mr[cases[i].which];

		snprintf(out[i], sizeof(out[i]), "%s/bundle%zu", e.tmp, i);
		audit(&e, cases[i].flag, value, out[i], "--log-key", e.vkey);
		bundle_indexes(out[i], got, sizeof(got));
		cr_expect_str_eq(got, cases[i].want, "%s %s", cases[i].flag,
			value);
		cr_expect_eq(cli_evidence_verify(out[i], NULL, &err), MLOG_OK,
			"%s", err.msg);
	}
	{
		char *rep = bt_read(out[1], "report.md", NULL);

		cr_expect_not_null(strstr(rep, "**revoked**: `revoked by entry "
			"4 (ticket CHG-3) after approval 3 (ticket CHG-2)`"),
			"%s", rep);
		cr_expect_not_null(strstr(rep, "- signers (server claim): "
			"`alice`"), "%s", rep);
		cr_expect_not_null(strstr(rep, "- signers (server claim): "
			"`ci`"), "%s", rep);
		cr_expect_not_null(strstr(rep, "integrated at (server claim)"));
		cr_expect_not_null(strstr(rep, mlog_dsse_key_id(e.alice.key)),
			"the DSSE keyid is in the report");
		cr_expect_not_null(strstr(rep, "co-signed by no witness"));
		free(rep);
		rep = bt_read(out[0], "report.md", NULL);
		cr_expect_not_null(strstr(rep, "build_entry: 0 (in this "
			"bundle)"), "%s", rep);
		cr_expect_not_null(strstr(rep, "**allowed**: `approved by "
			"entry 2 (ticket CHG-1)`"), "%s", rep);
		free(rep);
	}
	/* Offline: the server is gone, the bundles still verify. */
	cr_assert_eq(itest_log_stop(&e.log), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(cli_evidence_verify(out[i], NULL, &err), MLOG_OK,
			"offline: %s", err.msg);
	env_clear(&e);
}

Test(cli_audit, empty_result_is_a_valid_bundle)
{
	struct env e;
	char out[300], got[64];
	struct mlog_error err = { 0, "" };

	env_init(&e, NULL);
	post_manifest(&e, 1);
	snprintf(out, sizeof(out), "%s/none", e.tmp);
	audit(&e, "--ticket", "CHG-404", out, "--log-key", e.vkey);
	bundle_indexes(out, got, sizeof(got));
	cr_expect_str_eq(got, "");
	cr_expect_eq(cli_evidence_verify(out, NULL, &err), MLOG_OK, "%s",
		err.msg);
	env_clear(&e);
}

/* Every byte of every file, flipped one at a time: never valid. Then,
 * for the proofs, the checkpoint and the policy, the same with
 * manifest.json re-sealed, so that the cryptographic checks themselves
 * must catch it (report.md is compared byte for byte with the report
 * derived again, so re-sealing it proves nothing new; test_cli_evidence
 * changes a claim in it and re-seals). */
Test(cli_audit, byte_flip_sweep_over_a_real_bundle)
{
	struct env e;
	char out[300];
	char **files;
	struct mlog_error err = { 0, "" };
	size_t probes = 0;

	env_init(&e, NULL);
	scene(&e);
	snprintf(out, sizeof(out), "%s/bundle", e.tmp);
	audit(&e, "--mrenclave", e.mr[2], out, "--log-key", e.vkey);
	itest_log_stop(&e.log);
	cr_assert_eq(cli_evidence_verify(out, NULL, &err), MLOG_OK, "%s",
		err.msg);
	files = bt_files(out);
	for (size_t f = 0; files[f] != NULL; f++) {
		int manifest = strcmp(files[f], "manifest.json") == 0;
		int report = strcmp(files[f], "report.md") == 0;
		size_t len = 0;
		char *orig = bt_read(out, files[f], &len);
		char *mani = bt_read(out, "manifest.json", NULL);

		for (int reseal = 0; reseal <= (manifest || report ? 0 : 1);
		     reseal++) {
			for (size_t i = 0; i < len; i++) {
				int rc;

				orig[i] ^= 0x01;
				bt_write(out, files[f], orig, len);
				if (reseal)
					bt_reseal(out, files[f]);
				rc = cli_evidence_verify(out, NULL, &err);
				orig[i] ^= 0x01;
				probes++;
				if (manifest)
					cr_assert(rc == MLOG_ERR_VERIFY ||
						rc == MLOG_ERR_MALFORMED,
						"%s byte %zu: %d", files[f],
						i, rc);
				else
					cr_assert_eq(rc, MLOG_ERR_VERIFY,
						"%s byte %zu%s: %d (%s)",
						files[f], i, reseal
						? " (resealed)" : "", rc,
						err.msg);
			}
			bt_write(out, files[f], orig, len);
			bt_write(out, "manifest.json", mani, strlen(mani));
		}
		cr_assert_eq(cli_evidence_verify(out, NULL, &err), MLOG_OK,
			"restored after %s: %s", files[f], err.msg);
		free(orig);
		free(mani);
	}
	cr_expect_gt(probes, 5000);
	bt_files_free(files);
	env_clear(&e);
}

/* ---- check ------------------------------------------------------------- */

static json_t *check(struct env *e, int want, const char *const *extra,
	const char *anchor_flag, const char *anchor)
{
	const char *args[32] = { "check", "--log", e->log.url, anchor_flag,
		anchor };
	size_t n = 5;
	struct run r;
	json_t *ev;

	for (size_t i = 0; extra[i] != NULL; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	mlog(&r, args);
	cr_assert_eq(r.status, want, "check %s: exit %d, want %d: %s %s",
		extra[1], r.status, want, r.out, r.err);
	ev = bt_json_lines(r.out);
	cr_assert_eq(json_array_size(ev), 1, "one event: %s", r.out);
	cr_assert(strchr(r.out, '\n') == r.out + strlen(r.out) - 1,
		"one line");
	run_clear(&r);
	{
		json_t *one = json_incref(json_array_get(ev, 0));

		json_decref(ev);
		return one;
	}
}

static const char *sval(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v != NULL ? v : "(null)";
}

Test(cli_check, decisions)
{
	struct env e;
	json_t *ev;
	char m[256], other[65];
	static const char *const keys[] = { "timestamp", "event_type",
		"severity", "tee", "mrenclave", "mrsigner", "isv_prodid",
		"isv_svn", "policy_allowed", "ticket", "log_index",
		"checkpoint_size" };

	env_init(&e, NULL);
	scene(&e);
	bt_hex32(other, "never-published");
	{
		const char *a[] = { "--mrenclave", e.mr[1], NULL };

		ev = check(&e, 0, a, "--log-key", e.vkey);
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			cr_expect_not_null(json_object_get(ev, keys[i]),
				"event lacks %s", keys[i]);
		cr_expect_str_eq(sval(ev, "event_type"),
			"measurement_allowed");
		cr_expect_str_eq(sval(ev, "severity"), "INFO");
		cr_expect_str_eq(sval(ev, "ticket"), "CHG-1");
		cr_expect_str_eq(sval(ev, "tee"), "sgx");
		cr_expect_str_eq(sval(ev, "mrenclave"), e.mr[1]);
		cr_expect(json_is_null(json_object_get(ev, "isv_svn")));
		cr_expect(json_is_true(json_object_get(ev, "policy_allowed")));
		cr_expect_eq(json_integer_value(json_object_get(ev,
			"log_index")), 2);
		cr_expect_eq(json_integer_value(json_object_get(ev,
			"checkpoint_size")), 7);
		json_decref(ev);
	}
	{
		const char *a[] = { "--mrenclave", e.mr[2], "--mrsigner", e.ms,
			"--isvsvn", "2", NULL };

		ev = check(&e, 1, a, "--log-key", e.vkey);
		cr_expect_str_eq(sval(ev, "event_type"),
			"measurement_not_allowed");
		cr_expect_str_eq(sval(ev, "severity"), "HIGH");
		cr_expect_str_eq(sval(ev, "ticket"), "CHG-3");
		cr_expect_eq(json_integer_value(json_object_get(ev,
			"log_index")), 4);
		cr_expect_eq(json_integer_value(json_object_get(ev,
			"isv_svn")), 2);
		cr_expect(json_is_false(json_object_get(ev,
			"policy_allowed")));
		json_decref(ev);
	}
	{
		const char *a[] = { "--mrenclave", e.mr[3], NULL };

		ev = check(&e, 0, a, "--log-key", e.vkey);
		cr_expect_str_eq(sval(ev, "ticket"), "CHG-4");
		json_decref(ev);
	}
	{
		/* Never published, but covered by the MRSIGNER approval. */
		const char *a[] = { "--mrenclave", other, "--mrsigner", e.ms,
			"--isvsvn", "5", "--isvprodid", "1", NULL };
		const char *b[] = { "--mrenclave", other, "--mrsigner", e.ms,
			"--isvsvn", "1", NULL };
		const char *c[] = { "--mrenclave", other, "--mrsigner", e.ms,
			NULL };
		const char *d[] = { "--mrenclave", other, NULL };

		ev = check(&e, 0, a, "--log-key", e.vkey);
		cr_expect_str_eq(sval(ev, "ticket"), "CHG-2");
		cr_expect_eq(json_integer_value(json_object_get(ev,
			"isv_prodid")), 1);
		json_decref(ev);
		ev = check(&e, 1, b, "--log-key", e.vkey);
		cr_expect_not_null(strstr(sval(ev, "reason"), "min_isvsvn"),
			"%s", sval(ev, "reason"));
		json_decref(ev);
		ev = check(&e, 1, c, "--log-key", e.vkey);
		json_decref(ev);
		ev = check(&e, 1, d, "--log-key", e.vkey);
		cr_expect(json_is_null(json_object_get(ev, "log_index")));
		cr_expect(json_is_null(json_object_get(ev, "ticket")));
		json_decref(ev);
	}
	/* A later re-approval lifts the revocation. */
	snprintf(m, sizeof(m), "{\"tee\":\"sgx\",\"mrenclave\":\"%s\"}",
		e.mr[2]);
	cr_assert_eq(post_approval(&e, m, "CHG-5", "approved", 1), 7);
	{
		const char *a[] = { "--mrenclave", e.mr[2], NULL };

		ev = check(&e, 0, a, "--log-key", e.vkey);
		cr_expect_str_eq(sval(ev, "ticket"), "CHG-5");
		cr_expect_eq(json_integer_value(json_object_get(ev,
			"checkpoint_size")), 8);
		json_decref(ev);
	}
	/* --signers: only approvals by an approval signer count. */
	{
		char path[400], text[800];
		const char *a[] = { "--mrenclave", e.mr[1], "--signers", path,
			NULL };

		snprintf(path, sizeof(path), "%s/signers", e.tmp);
		snprintf(text, sizeof(text), "ci build %s\n", e.ci.pub_path);
		bt_write(e.tmp, "signers", text, strlen(text));
		ev = check(&e, 1, a, "--log-key", e.vkey);
		cr_expect_eq(json_integer_value(json_object_get(ev,
			"approvals_ignored_unsigned")), 1);
		json_decref(ev);
		snprintf(text, sizeof(text), "ci build %s\nalice approval %s\n",
			e.ci.pub_path, e.alice.pub_path);
		bt_write(e.tmp, "signers", text, strlen(text));
		ev = check(&e, 0, a, "--log-key", e.vkey);
		cr_expect_eq(json_integer_value(json_object_get(ev,
			"approvals_ignored_unsigned")), 0);
		json_decref(ev);
	}
	env_clear(&e);
}

/* ---- bad input: exit 2 with a message ---------------------------------- */

Test(cli_check, bad_arguments_exit_2)
{
	struct env e;
	char pol[400], junk[400], dir[400], closed[64];
	static const char *const helps[] = { "audit", "check", "monitor" };

	env_init(&e, NULL);
	snprintf(pol, sizeof(pol), "%s/absent.policy", e.tmp);
	snprintf(junk, sizeof(junk), "%s/junk.policy", e.tmp);
	bt_write(e.tmp, "junk.policy", "log nonsense\n", 13);
	snprintf(dir, sizeof(dir), "%s/exists", e.tmp);
	cr_assert_eq(mkdir(dir, 0755), 0);
	snprintf(closed, sizeof(closed), "http://127.0.0.1:%u",
		itest_free_port());
	{
		const char *const cases[][12] = {
			{ "check", "--log", e.log.url, "--log-key", e.vkey,
			  NULL },
			{ "check", "--mrenclave", "ABCD", "--log", e.log.url,
			  "--log-key", e.vkey, NULL },
			{ "check", "--mrenclave", e.mr[1], "--isvsvn", "70000",
			  "--log", e.log.url, "--log-key", e.vkey, NULL },
			{ "check", "--mrenclave", e.mr[1], "--isvsvn", "01",
			  "--log", e.log.url, "--log-key", e.vkey, NULL },
			{ "check", "--mrenclave", e.mr[1], "--tee", "tdx",
			  "--log", e.log.url, "--log-key", e.vkey, NULL },
			{ "check", "--mrenclave", e.mr[1], "--debug", "yes",
			  "--log", e.log.url, "--log-key", e.vkey, NULL },
			{ "check", "--mrenclave", e.mr[1], "--bogus",
			  "--log", e.log.url, "--log-key", e.vkey, NULL },
			{ "check", "--mrenclave", e.mr[1], "--log", e.log.url,
			  "--log-key", e.vkey, "--policy", pol, NULL },
			{ "check", "--mrenclave", e.mr[1], "--log", e.log.url,
			  NULL },
			{ "check", "--mrenclave", e.mr[1], "--log", e.log.url,
			  "--policy", pol, NULL },
			{ "check", "--mrenclave", e.mr[1], "--log", e.log.url,
			  "--policy", junk, NULL },
			{ "check", "--mrenclave", e.mr[1], "--log",
			  "ftp://x", "--log-key", e.vkey, NULL },
			{ "check", "--mrenclave", e.mr[1], "--log", e.log.url,
			  "--log-key", "not-a-key", NULL },
			{ "check", "--mrenclave", e.mr[1], "--signers", pol,
			  "--log", e.log.url, "--log-key", e.vkey, NULL },
			{ "check", "--mrenclave", e.mr[1], "extra", "--log",
			  e.log.url, "--log-key", e.vkey, NULL },
			{ "audit", "--out", dir, "--log", e.log.url,
			  "--log-key", e.vkey, NULL },
			{ "audit", "--ticket", "CHG-1", "--mrenclave",
			  e.mr[1], "--out", "x", "--log", e.log.url,
			  "--log-key", e.vkey, NULL },
			{ "audit", "--ticket", "CHG-1", "--log", e.log.url,
			  "--log-key", e.vkey, NULL },
			{ "audit", "--ticket", "CHG-1", "--out", dir, "--log",
			  e.log.url, "--log-key", e.vkey, NULL },
			{ "audit", "--ticket", "A B", "--out", "x", "--log",
			  e.log.url, "--log-key", e.vkey, NULL },
			{ "audit", "--mrsigner", "00", "--out", "x", "--log",
			  e.log.url, "--log-key", e.vkey, NULL },
			{ "audit", "--ticket", "T", "--out", "x",
			  "--max-entries", "0", "--log", e.log.url,
			  "--log-key", e.vkey, NULL },
			{ "monitor", "--log", e.log.url, "--log-key", e.vkey,
			  NULL },
			{ "monitor", "--state", dir, "--interval", "0",
			  "--log", e.log.url, "--log-key", e.vkey, NULL },
			{ "monitor", "--state", dir, "--grace", "-1",
			  "--log", e.log.url, "--log-key", e.vkey, NULL },
			{ "monitor", "--state", dir, "--once", "--log",
			  closed, "--log-key", e.vkey, NULL },
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct run r;

			mlog(&r, cases[i]);
			cr_expect_eq(r.status, 2, "case %zu (%s %s): exit %d",
				i, cases[i][0], cases[i][1], r.status);
			cr_expect_not_null(strstr(r.err, "mlog: "),
				"case %zu: no message: %s", i, r.err);
			cr_expect_null(strstr(r.err, "Sanitizer"),
				"case %zu: %s", i, r.err);
			run_clear(&r);
		}
	}
	/* After the arguments parse, an unanswered check still prints
	 * its one event. */
	{
		const char *a[] = { "check", "--mrenclave", e.mr[1], "--log",
			closed, "--log-key", e.vkey, NULL };
		struct run r;
		json_t *ev;

		mlog(&r, a);
		cr_expect_eq(r.status, 2);
		ev = bt_json_lines(r.out);
		cr_expect_str_eq(sval(json_array_get(ev, 0), "event_type"),
			"check_error");
		json_decref(ev);
		run_clear(&r);
	}
	for (size_t i = 0; i < 3; i++) {
		const char *a[] = { helps[i], "--help", NULL };
		struct run r;

		mlog(&r, a);
		cr_expect_eq(r.status, 0);
		cr_expect_not_null(strstr(r.out, "usage: mlog"), "%s", r.out);
		cr_expect_not_null(strstr(r.out, "exit:"), "%s", r.out);
		run_clear(&r);
	}
	env_clear(&e);
}

Test(cli_check, wrong_log_key_is_a_verification_failure)
{
	struct env e, other;
	const char *a[] = { "--mrenclave", NULL, NULL };
	json_t *ev;

	env_init(&e, NULL);
	env_init(&other, NULL);
	post_manifest(&e, 1);
	a[1] = e.mr[1];
	ev = check(&e, 2, a, "--log-key", other.vkey);
	cr_expect_str_eq(sval(ev, "event_type"), "verification_failure");
	cr_expect_str_eq(sval(ev, "severity"), "CRITICAL");
	json_decref(ev);
	env_clear(&other);
	env_clear(&e);
}

/* ---- monitor ----------------------------------------------------------- */

static json_t *monitor(struct env *e, const char *state, int want,
	const char *const *extra, const char *anchor_flag, const char *anchor)
{
	const char *args[32] = { "monitor", "--once", "--state", state,
		"--log", e->log.url, anchor_flag, anchor };
	size_t n = 8;
	struct run r;
	json_t *ev;

	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	mlog(&r, args);
	cr_assert_eq(r.status, want, "monitor: exit %d, want %d: %s %s",
		r.status, want, r.out, r.err);
	cr_expect_null(strchr(r.err, '\r'), "no progress bar without a "
		"terminal: %s", r.err);
	ev = bt_json_lines(r.out);
	run_clear(&r);
	return ev;
}

static size_t count(const json_t *ev, const char *type)
{
	json_t *of = bt_events_of(ev, type);
	size_t n = json_array_size(of);

	json_decref(of);
	return n;
}

Test(cli_monitor, events_and_state_across_runs)
{
	struct env e;
	char state[300], m[256], *st, sub[65];
	const char *grace0[] = { "--grace", "0", NULL };
	json_t *ev, *of;

	env_init(&e, NULL);
	mrsigner_of(&e, e.ms);
	snprintf(state, sizeof(state), "%s/state", e.tmp);
	cr_assert_eq(post_manifest(&e, 10), 0);
	itest_mrenclave(sub, 10);
	snprintf(m, sizeof(m), "{\"tee\":\"sgx\",\"mrenclave\":\"%s\"}",
		sub);
	cr_assert_eq(post_approval(&e, m, "CHG-A", "approved", 0), 1);
	cr_assert_eq(post_manifest(&e, 11), 2);
	cr_assert_eq(post_approval(&e, m, "CHG-R", "revoked", -1), 3);

	ev = monitor(&e, state, 0, grace0, "--log-key", e.vkey);
	cr_expect_eq(count(ev, "measurement_published"), 2);
	cr_expect_eq(count(ev, "measurement_approved"), 1);
	cr_expect_eq(count(ev, "approval_revoked"), 1);
	cr_expect_eq(count(ev, "unapproved_measurement"), 1);
	cr_expect_eq(count(ev, "verification_failure"), 0);
	of = bt_events_of(ev, "measurement_approved");
	cr_expect_eq(json_integer_value(json_array_get(json_object_get(
		json_array_get(of, 0), "covers_pending"), 0)), 0);
	cr_expect_str_eq(sval(json_array_get(of, 0), "ticket"), "CHG-A");
	json_decref(of);
	of = bt_events_of(ev, "unapproved_measurement");
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(of, 0),
		"log_index")), 2);
	cr_expect_str_eq(sval(json_array_get(of, 0), "severity"), "HIGH");
	json_decref(of);
	json_decref(ev);

	/* Nothing new: no events. */
	ev = monitor(&e, state, 0, grace0, "--log-key", e.vkey);
	cr_expect_eq(json_array_size(ev), 0);
	json_decref(ev);

	/* build-10 again with another MRENCLAVE: drift. */
	bt_hex32(sub, "drift-subject");
	st = bt_manifest("build-10", e.mr[5], e.ms, 1, sub);
	post(&e, &e.ci, st);
	free(st);
	ev = monitor(&e, state, 0, NULL, "--log-key", e.vkey);
	cr_expect_eq(json_array_size(ev), 2, "published and drift");
	of = bt_events_of(ev, "measurement_drift");
	cr_expect_eq(json_array_size(of), 1);
	cr_expect_str_eq(sval(json_array_get(of, 0), "build_id"), "build-10");
	json_decref(of);
	json_decref(ev);

	/* --signers without the build signer: manifests fail. */
	{
		char path[400], text[800];
		const char *a[] = { "--signers", path, NULL };
		char state2[300];

		snprintf(path, sizeof(path), "%s/signers", e.tmp);
		snprintf(text, sizeof(text), "alice approval %s\n",
			e.alice.pub_path);
		bt_write(e.tmp, "signers", text, strlen(text));
		snprintf(state2, sizeof(state2), "%s/state2", e.tmp);
		ev = monitor(&e, state2, 1, a, "--log-key", e.vkey);
		cr_expect_eq(count(ev, "verification_failure"), 3);
		json_decref(ev);
		snprintf(text, sizeof(text), "ci build %s\nalice approval %s\n",
			e.ci.pub_path, e.alice.pub_path);
		bt_write(e.tmp, "signers", text, strlen(text));
		snprintf(state2, sizeof(state2), "%s/state3", e.tmp);
		ev = monitor(&e, state2, 0, a, "--log-key", e.vkey);
		cr_expect_eq(count(ev, "verification_failure"), 0);
		of = bt_events_of(ev, "measurement_published");
		cr_expect_str_eq(sval(json_array_get(of, 0), "signers"), "ci");
		json_decref(of);
		json_decref(ev);
	}
	/* A wrong key: the checkpoint fails; exit 1. */
	{
		struct env other;

		env_init(&other, NULL);
		ev = monitor(&e, state, 1, NULL, "--log-key", other.vkey);
		cr_expect_eq(count(ev, "verification_failure"), 1);
		json_decref(ev);
		env_clear(&other);
	}
	env_clear(&e);
}

Test(cli_monitor, forked_log_is_detected)
{
	struct env e;
	char state[300], data[300], saved[300];
	json_t *ev, *of;

	env_init(&e, NULL);
	snprintf(state, sizeof(state), "%s/state", e.tmp);
	snprintf(data, sizeof(data), "%s/data", e.log.dir);
	snprintf(saved, sizeof(saved), "%s/saved", e.tmp);
	post_manifest(&e, 1);
	post_manifest(&e, 2);
	cr_assert_eq(itest_log_stop(&e.log), 0);
	bt_copy_tree(data, saved);
	env_start(&e, NULL);
	post_manifest(&e, 3);
	post_manifest(&e, 4);
	ev = monitor(&e, state, 0, NULL, "--log-key", e.vkey);
	cr_expect_eq(count(ev, "measurement_published"), 4);
	json_decref(ev);
	/* Roll the log back to 2 entries and grow it differently. */
	cr_assert_eq(itest_log_stop(&e.log), 0);
	itest_rmtree(data);
	cr_assert_eq(rename(saved, data), 0);
	env_start(&e, NULL);
	post_manifest(&e, 5);
	post_manifest(&e, 6);
	post_manifest(&e, 7);
	ev = monitor(&e, state, 1, NULL, "--log-key", e.vkey);
	of = bt_events_of(ev, "verification_failure");
	cr_expect_eq(json_array_size(of), 1);
	cr_expect_str_eq(sval(json_array_get(of, 0), "check"), "consistency");
	cr_expect_str_eq(sval(json_array_get(of, 0), "severity"), "CRITICAL");
	json_decref(of);
	cr_expect_eq(count(ev, "measurement_published"), 0, "nothing from "
		"the fork is reported as published");
	json_decref(ev);
	env_clear(&e);
}

/* Starts `mlog monitor` (no --once) with stdout on a pipe and stderr on
 * errfd (-1: a temporary file); returns its pid and the pipe. */
static pid_t monitor_start(struct env *e, const char *state, int errfd,
	int *out_fd)
{
	const char *bin = getenv("MLOG_BIN");
	const char *argv[] = { bin, "monitor", "--state", state,
		"--interval", "1", "--grace", "3600", "--log", e->log.url,
		"--log-key", e->vkey, NULL };
	int fds[2];
	pid_t pid;

	cr_assert_not_null(bin);
	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		if (errfd >= 0)
			dup2(errfd, STDERR_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	*out_fd = fds[0];
	return pid;
}

/* Reads from fd until text holds n lines or 20 s pass. */
static void read_lines(int fd, char *buf, size_t cap, size_t *len, int n)
{
	for (int waited = 0; waited < 2000; waited++) {
		struct pollfd p = { fd, POLLIN, 0 };
		int lines = 0;

		for (size_t i = 0; i < *len; i++)
			lines += buf[i] == '\n';
		if (lines >= n)
			return;
		if (poll(&p, 1, 10) == 1) {
			ssize_t k = read(fd, buf + *len, cap - 1 - *len);

			if (k <= 0)
				return;
			*len += (size_t)k;
			buf[*len] = '\0';
		}
	}
}

/* Waits up to 10 s for pid; returns its exit status, or -1. */
static int wait_exit(pid_t pid)
{
	for (int i = 0; i < 1000; i++) {
		int status = 0;

		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status)
						 : 128 + WTERMSIG(status);
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

Test(cli_monitor, polls_and_stops_cleanly_on_signals)
{
	static const int sigs[] = { SIGTERM, SIGINT };
	struct env e;
	char state[300], buf[65536], want[64];
	int posted = 0;

	env_init(&e, NULL);
	post_manifest(&e, 1);
	posted++;
	for (size_t k = 0; k < 2; k++) {
		size_t len = 0;
		int fd;
		pid_t pid;

		snprintf(state, sizeof(state), "%s/state%zu", e.tmp, k);
		pid = monitor_start(&e, state, -1, &fd);
		/* First pass: every build so far is published. */
		read_lines(fd, buf, sizeof(buf), &len, posted);
		cr_assert_not_null(strstr(buf, "measurement_published"),
			"%s", buf);
		/* A new entry is seen by a later pass, without restarting. */
		post_manifest(&e, (uint64_t)(10 + k));
		posted++;
		read_lines(fd, buf, sizeof(buf), &len, posted);
		snprintf(want, sizeof(want), "\"log_index\":%d", posted - 1);
		cr_assert_not_null(strstr(buf, want), "%s", buf);
		kill(pid, sigs[k]);
		cr_expect_eq(wait_exit(pid), 0, "stops cleanly on signal %d",
			sigs[k]);
		close(fd);
		{
			char *st = bt_read(state, "state.json", NULL);

			snprintf(want, sizeof(want), "\"position\": %d",
				posted);
			cr_expect_not_null(strstr(st, want), "the last pass "
				"was saved: %s", st);
			free(st);
		}
		/* The lock went with the process: --once runs now. */
		{
			json_t *ev = monitor(&e, state, 0, NULL, "--log-key",
				e.vkey);

			cr_expect_eq(json_array_size(ev), 0);
			json_decref(ev);
		}
	}
	env_clear(&e);
}

Test(cli_monitor, progress_bar_only_on_a_terminal)
{
	struct env e;
	char state[300], buf[65536], bar[4096];
	size_t len = 0, blen = 0;
	int master = -1, slave = -1, fd;
	pid_t pid;

	env_init(&e, NULL);
	for (uint64_t i = 0; i < 3; i++)
		post_manifest(&e, 100 + i);
	cr_assert_eq(openpty(&master, &slave, NULL, NULL, NULL), 0);
	snprintf(state, sizeof(state), "%s/state", e.tmp);
	pid = monitor_start(&e, state, slave, &fd);
	close(slave);
	read_lines(fd, buf, sizeof(buf), &len, 3);
	kill(pid, SIGTERM);
	cr_expect_eq(wait_exit(pid), 0);
	for (int i = 0; i < 100; i++) {
		struct pollfd p = { master, POLLIN, 0 };
		ssize_t k;

		if (poll(&p, 1, 10) != 1)
			break;
		k = read(master, bar + blen, sizeof(bar) - 1 - blen);
		if (k <= 0)
			break;
		blen += (size_t)k;
	}
	bar[blen] = '\0';
	cr_expect_not_null(strstr(bar, "3/3 entries"), "no bar on the "
		"terminal: %s", bar);
	cr_expect_not_null(strchr(bar, '\r'), "%s", bar);
	close(master);
	close(fd);
	env_clear(&e);
}

/* ---- witnesses --------------------------------------------------------- */

/* Waits until the log serves a checkpoint of size n cosigned by w. */
static void wait_witnessed(struct env *e, struct fakewitness *w, uint64_t n)
{
	for (int i = 0; i < 1000; i++) {
		struct itest_http r;
		int done;

		itest_getf(&r, "%s/checkpoint", e->log.url);
		done = r.status == 200 && fw_size(w) == n &&
			strstr(r.body, w->key.name) != NULL;
		if (done) {
			char size[32];

			snprintf(size, sizeof(size), "\n%llu\n",
				(unsigned long long)n);
			done = strstr(r.body, size) != NULL;
		}
		itest_http_clear(&r);
		if (done)
			return;
		usleep(10000);
	}
	cr_assert_fail("the log did not serve a checkpoint of size %llu "
		"cosigned by the witness", (unsigned long long)n);
}

static void write_policy(struct env *e, const char *name, const char *text)
{
	bt_write(e->tmp, name, text, strlen(text));
}

/* A checkpoint for size with the given root, signed by the log's own
 * key (read from its data directory) and cosigned by w. */
static char *forge(struct env *e, struct fakewitness *w, uint64_t size,
	const uint8_t root[32])
{
	struct mlog_note_signer key;
	struct mlog_checkpoint c;
	char *skey, *note = NULL, line[512], *out;
	size_t len = 0, klen = 0;
	const char *blank;
	char dir[300];
	int n;

	snprintf(dir, sizeof(dir), "%s/data", e->log.dir);
	skey = bt_read(dir, "log.key", &klen);
	while (klen > 0 && skey[klen - 1] == '\n')
		klen--;
	cr_assert_eq(mlog_note_signer_parse(&key, skey, klen, NULL), MLOG_OK);
	sodium_memzero(skey, klen);
	free(skey);
	memset(&c, 0, sizeof(c));
	c.origin = e->log.origin;
	c.size = size;
	memcpy(c.root, root, 32);
	cr_assert_eq(mlog_checkpoint_sign(&note, &len, &c, &key, 1, NULL),
		MLOG_OK);
	mlog_note_signer_clear(&key);
	blank = strstr(note, "\n\n");
	n = mlog_note_sign_line(line, sizeof(line), note,
		(size_t)(blank - note) + 1, &w->key, (uint64_t)time(NULL));
	cr_assert_gt(n, 0);
	cr_assert_neq(asprintf(&out, "%s%s", note, line), -1);
	free(note);
	return out;
}

Test(witness, quorum_bundles_and_split_views)
{
	struct env e;
	struct fakewitness w;
	char flag[600], wvkey[300], text[2048], pol[300], pol2[300];
	char out[300], state[300], out2[300];
	struct mlog_error err = { 0, "" };
	struct mlog_note_signer w2;
	struct mlog_note_verifier w2v;
	char w2vkey[300];
	json_t *ev;

	/* The witness must exist before the log starts pushing to it, and
	 * needs the log's key: start the log, then restart it with the
	 * witness configured. */
	env_init(&e, NULL);
	fw_start(&w, "w1.example", &e.log.vkey);
	fw_vkey(&w, wvkey, sizeof(wvkey));
	cr_assert_eq(itest_log_stop(&e.log), 0);
	snprintf(flag, sizeof(flag), "%s@%s", wvkey, w.url);
	{
		const char *args[] = { "--witness", flag,
			"--witness-interval-ms", "20", NULL };

		env_start(&e, args);
	}
	scene(&e);
	wait_witnessed(&e, &w, 7);

	snprintf(text, sizeof(text), "log %s %s\nwitness W1 %s %s\n"
		"quorum W1\n", e.vkey, e.log.url, wvkey, w.url);
	write_policy(&e, "policy", text);
	snprintf(pol, sizeof(pol), "%s/policy", e.tmp);
	cr_assert_eq(mlog_note_signer_generate(&w2, "w2.example",
		MLOG_NOTE_TYPE_COSIG_V1), MLOG_OK);
	mlog_note_signer_verifier(&w2v, &w2);
	cr_assert_gt(mlog_note_verifier_format(w2vkey, sizeof(w2vkey), &w2v),
		0);
	snprintf(text, sizeof(text), "log %s %s\nwitness W1 %s\nwitness W2 "
		"%s\ngroup G all W1 W2\nquorum G\n", e.vkey, e.log.url, wvkey,
		w2vkey);
	write_policy(&e, "policy2", text);
	snprintf(pol2, sizeof(pol2), "%s/policy2", e.tmp);

	/* A cosigned bundle, checked offline. */
	snprintf(out, sizeof(out), "%s/bundle", e.tmp);
	audit(&e, "--mrenclave", e.mr[2], out, "--policy", pol);
	cr_expect_eq(cli_evidence_verify(out, NULL, &err), MLOG_OK, "%s",
		err.msg);
	{
		char *rep = bt_read(out, "report.md", NULL);
		char *cp = bt_read(out, "checkpoint", NULL);

		cr_expect_not_null(strstr(rep, "| `W1` | "), "%s", rep);
		cr_expect_not_null(strstr(rep, "Quorum: `W1`, met."));
		cr_expect_not_null(strstr(cp, "w1.example"), "%s", cp);
		free(rep);
		free(cp);
	}
	/* The quorum of policy2 cannot be met: audit and check refuse. */
	{
		const char *a[] = { "audit", "--ticket", "CHG-1", "--out",
			out2, "--policy", pol2, NULL };
		struct run r;

		snprintf(out2, sizeof(out2), "%s/bundle2", e.tmp);
		mlog(&r, a);
		cr_expect_eq(r.status, 2, "%s", r.err);
		cr_expect_not_null(strstr(r.err, "mlog: "));
		run_clear(&r);
	}
	{
		const char *a[] = { "--mrenclave", e.mr[1], NULL };

		ev = check(&e, 2, a, "--policy", pol2);
		cr_expect_str_eq(sval(ev, "event_type"),
			"verification_failure");
		json_decref(ev);
		ev = check(&e, 0, a, "--policy", pol);
		cr_expect_str_eq(sval(ev, "event_type"),
			"measurement_allowed");
		json_decref(ev);
	}
	/* The monitor compares the witness's view with the log's. */
	snprintf(state, sizeof(state), "%s/state", e.tmp);
	ev = monitor(&e, state, 0, NULL, "--policy", pol);
	cr_expect_eq(count(ev, "split_view"), 0);
	cr_expect_eq(count(ev, "measurement_published"), 3);
	json_decref(ev);
	{
		uint8_t root[32];
		char *forged;

		/* Same size, another root. */
		randombytes_buf(root, sizeof(root));
		forged = forge(&e, &w, 7, root);
		fw_set_forged(&w, forged);
		free(forged);
		ev = monitor(&e, state, 1, NULL, "--policy", pol);
		cr_expect_eq(count(ev, "split_view"), 1);
		{
			json_t *of = bt_events_of(ev, "split_view");

			cr_expect_str_eq(sval(json_array_get(of, 0),
				"severity"), "CRITICAL");
			cr_expect_str_eq(sval(json_array_get(of, 0),
				"witness"), "W1");
			json_decref(of);
		}
		json_decref(ev);
		/* A smaller tree that is not a prefix. */
		forged = forge(&e, &w, 3, root);
		fw_set_forged(&w, forged);
		free(forged);
		ev = monitor(&e, state, 1, NULL, "--policy", pol);
		cr_expect_eq(count(ev, "split_view"), 1);
		json_decref(ev);
		/* A witness that is down is not evidence. */
		fw_set_forged(&w, NULL);
		fw_stop(&w);
		ev = monitor(&e, state, 0, NULL, "--policy", pol);
		cr_expect_eq(count(ev, "split_view"), 0);
		json_decref(ev);
	}
	mlog_note_signer_clear(&w2);
	env_clear(&e);
}
