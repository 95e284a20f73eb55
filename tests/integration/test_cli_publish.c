/*
 * test_cli_publish.c — `mlog keygen`, `publish`, `submit`, `prove` and
 * `verify` (files) against a real mlogd, through the real mlog binary:
 * receipts verified and saved as tlog-proofs that verify offline, proofs
 * computed from tiles, tampering and refusals reported with the
 * documented exit codes (0 ok / valid, 1 invalid, 2 error).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "note.h"

struct env {
	struct itest_log log;
	char vkey[MLOG_NOTE_VKEY_MAX + 1];
	char key[400], pub[400], other[400], signer[900];
	char path[400];
};

static const char *mlog(void)
{
	const char *p = getenv("MLOG_BIN");

	cr_assert_not_null(p, "$MLOG_BIN not set");
	return p;
}

/* Runs mlog with args; returns its exit code, stdout and stderr. */
static int run(char **out, char **err, const char *const *args)
{
	const char *argv[40];
	size_t n = 0;

	argv[n++] = mlog();
	for (size_t i = 0; args[i] != NULL; i++) {
		cr_assert_lt(n, 39);
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	return itest_run2(out, err, argv);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 20);
	size_t n;

	cr_assert_not_null(f, "can't open %s", path);
	cr_assert_not_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static char *file(const struct env *e, const char *name)
{
	char *p;

	cr_assert_neq(asprintf(&p, "%s/%s", e->log.dir, name), -1);
	return p;
}

static void setup(struct env *e)
{
	char *out = NULL, *err = NULL, *prefix, *other;

	memset(e, 0, sizeof(*e));
	itest_log_init(&e->log, "publish.example/log");
	cr_assert_gt(mlog_note_verifier_format(e->vkey, sizeof(e->vkey),
		&e->log.vkey), 0);
	prefix = file(e, "ci");
	other = file(e, "stranger");
	cr_assert_eq(run(&out, &err, ARGS("keygen", "--type", "ed25519",
		"--out", prefix)), 0, "%s", err);
	free(out);
	free(err);
	cr_assert_eq(run(&out, &err, ARGS("keygen", "--type", "ecdsa-p256",
		"--out", other)), 0, "%s", err);
	free(out);
	free(err);
	snprintf(e->key, sizeof(e->key), "%s.key", prefix);
	snprintf(e->pub, sizeof(e->pub), "%s.pub", prefix);
	snprintf(e->other, sizeof(e->other), "%s.key", other);
	snprintf(e->signer, sizeof(e->signer), "ci=build,approval:%s",
		e->pub);
	{
		const char *extra[] = { "--signer", e->signer, "--batch-ms",
			"20", NULL };

		itest_log_start(&e->log, extra);
	}
	free(prefix);
	free(other);
}

static void teardown(struct env *e)
{
	itest_log_cleanup(&e->log);
}

#define COMMIT "0123456789abcdef0123456789abcdef01234567"
#define TOOL "0000000000000000000000000000000000000000000000000000000000000001"
#define SUBJECT "00000000000000000000000000000000000000000000000000000000000000aa"
#define MRE "1111111111111111111111111111111111111111111111111111111111111111"

static int publish_build(struct env *e, const char *key, const char *build,
	const char *out_path, char **out, char **err)
{
	char subject[120];

	snprintf(subject, sizeof(subject), "%s.sig=%s", build, SUBJECT);
	if (out_path != NULL)
		return run(out, err, ARGS("publish", "build", "--key", key,
			"--log", e->log.url, "--log-key", e->vkey,
			"--build-id", build, "--source-uri",
			"git+https://example.com/e.git", "--commit", COMMIT,
			"--builder", "ci.example", "--toolchain",
			"gcc=12.2.0=" TOOL, "--subject", subject, "--tee",
			"sgx", "--mrenclave", MRE, "--mrsigner", MRE,
			"--isvprodid", "1", "--isvsvn", "2", "--out",
			out_path));
	return run(out, err, ARGS("publish", "build", "--key", key, "--log",
		e->log.url, "--log-key", e->vkey, "--build-id", build,
		"--source-uri", "git+https://example.com/e.git", "--commit",
		COMMIT, "--builder", "ci.example", "--toolchain",
		"gcc=12.2.0=" TOOL, "--subject", subject, "--tee", "sgx",
		"--mrenclave", MRE, "--mrsigner", MRE, "--isvprodid", "1",
		"--isvsvn", "2"));
}

Test(cli_publish, publish_verify_and_tamper, .timeout = 120)
{
	struct env e;
	char *out = NULL, *err = NULL, *proof;
	char *text;
	size_t len = 0;
	FILE *f;

	setup(&e);
	proof = file(&e, "b1.tlogproof");
	cr_assert_eq(publish_build(&e, e.key, "b1", proof, &out, &err), 0,
		"publish: %s", err);
	cr_assert_not_null(strstr(out, "entry 0 added"), "%s", out);
	cr_assert_not_null(strstr(out, "receipt verified"), "%s", out);
	free(out);
	free(err);
	cr_assert_eq(run(&out, &err, ARGS("verify", proof, "--log-key",
		e.vkey)), 0, "verify: %s %s", out, err);
	cr_assert_not_null(strstr(out, "valid: entry 0"), "%s", out);
	free(out);
	free(err);
	/* The same envelope again (publish signs deterministically with
	 * Ed25519): already present, same index. */
	cr_assert_eq(publish_build(&e, e.key, "b1", NULL, &out, &err), 0,
		"%s", err);
	cr_assert_not_null(strstr(out, "entry 0 was already present"), "%s",
		out);
	free(out);
	free(err);
	/* Flip one byte of the proof's entry (the extra line) or of its
	 * checkpoint: invalid, exit 1. */
	text = read_file(proof, &len);
	for (size_t at = 30; at < len; at += len / 7) {
		if (text[at] == '\n')
			continue;
		text[at] ^= 0x01;
		f = fopen(proof, "wb");
		cr_assert_not_null(f);
		fwrite(text, 1, len, f);
		fclose(f);
		cr_assert_eq(run(&out, &err, ARGS("verify", proof,
			"--log-key", e.vkey)), 1, "byte %zu flipped: %s %s",
			at, out, err);
		free(out);
		free(err);
		text[at] ^= 0x01;
	}
	free(text);
	/* Another log's key: invalid. */
	{
		struct mlog_note_signer s;
		struct mlog_note_verifier v;
		char other[MLOG_NOTE_VKEY_MAX + 1];

		cr_assert_eq(mlog_note_signer_generate(&s,
			"publish.example/log", MLOG_NOTE_TYPE_ED25519), 0);
		mlog_note_signer_verifier(&v, &s);
		mlog_note_signer_clear(&s);
		cr_assert_gt(mlog_note_verifier_format(other, sizeof(other),
			&v), 0);
		cr_assert_eq(publish_build(&e, e.key, "b2", proof, &out, &err),
			0, "%s", err);
		free(out);
		free(err);
		cr_assert_eq(run(&out, &err, ARGS("verify", proof,
			"--log-key", other)), 1, "%s %s", out, err);
		free(out);
		free(err);
	}
	free(proof);
	teardown(&e);
}

Test(cli_publish, approval_submit_prove, .timeout = 120)
{
	struct env e;
	char *out = NULL, *err = NULL, *env_path, *p0, *cons;
	FILE *f;

	setup(&e);
	cr_assert_eq(publish_build(&e, e.key, "b1", NULL, &out, &err), 0,
		"%s", err);
	free(out);
	free(err);
	cr_assert_eq(run(&out, &err, ARGS("publish", "approval", "--key",
		e.key, "--log", e.log.url, "--log-key", e.vkey, "--mrenclave",
		MRE, "--ticket", "CHG-1234", "--approver", "alice@example.com",
		"--build-entry", "0", "--output", "json")), 0, "%s", err);
	cr_assert_not_null(strstr(out, "\"index\": 1"), "%s", out);
	cr_assert_not_null(strstr(out, "\"status\": \"new\""), "%s", out);
	free(out);
	free(err);
	/* An envelope made elsewhere (here: --print), then submitted. */
	env_path = file(&e, "env.json");
	cr_assert_eq(run(&out, &err, ARGS("publish", "approval", "--key",
		e.key, "--print", "--mrsigner", MRE, "--min-isvsvn", "2",
		"--ticket", "CHG-1235", "--approver", "bob@example.com")), 0,
		"%s", err);
	f = fopen(env_path, "w");
	cr_assert_not_null(f);
	fputs(out, f);
	fclose(f);
	free(out);
	free(err);
	cr_assert_eq(run(&out, &err, ARGS("submit", env_path, "--log",
		e.log.url, "--log-key", e.vkey)), 0, "%s", err);
	cr_assert_not_null(strstr(out, "entry 2 added"), "%s", out);
	free(out);
	free(err);
	/* Proofs from the tiles. */
	p0 = file(&e, "p0.tlogproof");
	cr_assert_eq(run(&out, &err, ARGS("prove", "inclusion", "--index",
		"1", "--log", e.log.url, "--log-key", e.vkey, "--out", p0)), 0,
		"%s", err);
	free(out);
	free(err);
	cr_assert_eq(run(&out, &err, ARGS("verify", p0, "--log-key",
		e.vkey)), 0, "%s %s", out, err);
	cr_assert_not_null(strstr(out, "valid: entry 1"), "%s", out);
	free(out);
	free(err);
	cr_assert_eq(run(&out, &err, ARGS("prove", "inclusion", "--entry",
		env_path, "--log", e.log.url, "--log-key", e.vkey, "--output",
		"json")), 0, "%s", err);
	cr_assert_not_null(strstr(out, "\"index\": 2"), "%s", out);
	free(out);
	free(err);
	cons = file(&e, "c.json");
	cr_assert_eq(run(&out, &err, ARGS("prove", "consistency", "--old",
		"1", "--log", e.log.url, "--log-key", e.vkey)), 0, "%s", err);
	f = fopen(cons, "w");
	fputs(out, f);
	fclose(f);
	free(out);
	free(err);
	cr_assert_eq(run(&out, &err, ARGS("verify", cons, "--log-key",
		e.vkey)), 0, "%s %s", out, err);
	free(out);
	free(err);
	/* Claiming another old size makes the proof fail: invalid. */
	{
		size_t len = 0;
		char *text = read_file(cons, &len), *at;

		at = strstr(text, "\"old\": 1");
		cr_assert_not_null(at, "%s", text);
		at[7] = '2';
		f = fopen(cons, "w");
		fputs(text, f);
		fclose(f);
		free(text);
	}
	cr_assert_eq(run(&out, &err, ARGS("verify", cons, "--log-key",
		e.vkey)), 1, "%s %s", out, err);
	free(out);
	free(err);
	free(cons);
	free(p0);
	free(env_path);
	teardown(&e);
}

Test(cli_publish, errors, .timeout = 120)
{
	struct env e;
	char *out = NULL, *err = NULL;

	setup(&e);
	/* A signer the log does not know: refused by the log, exit 2. */
	cr_assert_eq(publish_build(&e, e.other, "x", NULL, &out, &err), 2);
	cr_assert_not_null(strstr(err, "refused"), "%s", err);
	free(out);
	free(err);
	/* Missing --key; bad --mrenclave (caught before signing). */
	cr_assert_eq(run(&out, &err, ARGS("publish", "approval", "--log",
		e.log.url, "--log-key", e.vkey, "--mrenclave", MRE,
		"--ticket", "CHG-1", "--approver", "a")), 2);
	cr_assert_not_null(strstr(err, "--key"), "%s", err);
	free(out);
	free(err);
	cr_assert_eq(run(&out, &err, ARGS("publish", "approval", "--key",
		e.key, "--print", "--mrenclave", "abc", "--ticket", "CHG-1",
		"--approver", "a")), 2);
	cr_assert_not_null(strstr(err, "mrenclave"), "%s", err);
	free(out);
	free(err);
	/* No trust anchor; an unknown kind; verify of a missing file. */
	cr_assert_eq(run(&out, &err, ARGS("prove", "inclusion", "--index",
		"0", "--log", e.log.url)), 2);
	cr_assert_not_null(strstr(err, "trust anchor"), "%s", err);
	free(out);
	free(err);
	cr_assert_eq(run(&out, &err, ARGS("publish", "nonsense")), 2);
	free(out);
	free(err);
	cr_assert_eq(run(&out, &err, ARGS("verify", "/nonexistent/file",
		"--log-key", e.vkey)), 2);
	free(out);
	free(err);
	teardown(&e);
}
