/*
 * test_witnessing.c — log-side witnessing end to end (issue "mlog-witness
 * and log-side witnessing"): one real mlogd, two real mlog-witness
 * processes, quorum 2. The log keeps sequencing and answering receipts
 * while a witness is down; when it comes back the log catches up with it
 * and /checkpoint again carries both cosignatures. Restarting the log
 * (which no longer knows the witnesses' sizes) recovers through their
 * 409 text/x.tlog.size answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "checkpoint.h"
#include "harness.h"
#include "note.h"
#include "witness_harness.h"

struct setup {
	struct itest_log log;
	struct wtest_witness w[2];
	struct itest_signer ci;
	char signer_flag[400], wflag[2][400];
	char vkey[MLOG_NOTE_VKEY_MAX + 1];
};

static void start_log(struct setup *s)
{
	const char *extra[] = { "--signer", s->signer_flag, "--witness",
		s->wflag[0], "--witness", s->wflag[1], "--witness-quorum", "2",
		"--witness-interval-ms", "100", "--batch-ms", "20", NULL };

	itest_log_start(&s->log, extra);
}

static void setup(struct setup *s)
{
	memset(s, 0, sizeof(*s));
	/* The witnesses need the log's key, so the log is made first, but
	 * its port is picked again once they listen: a free-port probe can
	 * hand out a port that another process has not bound yet. */
	itest_log_init(&s->log, "witnessed.example/log");
	cr_assert_gt(mlog_note_verifier_format(s->vkey, sizeof(s->vkey),
		&s->log.vkey), 0);
	for (int i = 0; i < 2; i++) {
		const char *extra[] = { "--log", s->vkey, NULL };

		wtest_init(&s->w[i], i == 0 ? "w1.example" : "w2.example");
		wtest_start(&s->w[i], extra, 1);
		snprintf(s->wflag[i], sizeof(s->wflag[i]), "%s@%s",
			s->w[i].vkey_str, s->w[i].url);
	}
	/* Re-pick the log's port now that the witnesses hold theirs. */
	s->log.port = itest_free_port();
	snprintf(s->log.url, sizeof(s->log.url), "http://127.0.0.1:%u",
		s->log.port);
	itest_signer_new(&s->ci, s->log.dir, "ci", MLOG_DSSE_ALG_ED25519);
	itest_signer_flag(s->signer_flag, sizeof(s->signer_flag), &s->ci,
		"build");
	start_log(s);
}

static void teardown(struct setup *s)
{
	itest_log_cleanup(&s->log);
	for (int i = 0; i < 2; i++)
		wtest_cleanup(&s->w[i]);
	itest_signer_clear(&s->ci);
}

static void publish(struct setup *s, uint64_t seed)
{
	const struct itest_signer *sg[] = { &s->ci };
	struct itest_http r;
	char *st = itest_build_statement(seed), *env, url[128];
	size_t len = 0;

	env = itest_envelope(sg, 1, st, &len);
	snprintf(url, sizeof(url), "%s/v1/entries", s->log.url);
	itest_post(&r, url, env, len);
	cr_assert_eq(r.status, 201, "submission %llu: %ld %s",
		(unsigned long long)seed, r.status, r.body);
	itest_check_receipt(&s->log, r.body, env, len, NULL, NULL);
	itest_http_clear(&r);
	free(env);
	free(st);
}

/* The served /checkpoint: its size and how many of the two witnesses
 * cosigned it (every present signature must verify). */
static uint64_t served(struct setup *s, int *cosigs)
{
	struct mlog_note_verifier keys[3];
	struct mlog_note_check checks[3];
	struct mlog_checkpoint c;
	struct mlog_note *n = NULL;
	struct itest_http r;
	uint64_t size;

	keys[0] = s->log.vkey;
	keys[1] = s->w[0].vkey;
	keys[2] = s->w[1].vkey;
	itest_getf(&r, "%s/checkpoint", s->log.url);
	cr_assert_eq(r.status, 200);
	mlog_checkpoint_init(&c);
	cr_assert_eq(mlog_checkpoint_open(&c, &n, r.body, r.len,
		s->log.origin, keys, 3, checks, NULL), MLOG_OK,
		"/checkpoint does not verify: %s", r.body);
	cr_assert(checks[0].verified, "no log signature");
	*cosigs = checks[1].verified + checks[2].verified;
	size = c.size;
	mlog_checkpoint_clear(&c);
	mlog_note_free(n);
	itest_http_clear(&r);
	return size;
}

/* Waits (bounded) until /checkpoint is at size with both cosignatures. */
static void await_witnessed(struct setup *s, uint64_t size)
{
	uint64_t got = 0;
	int cosigs = 0;

	for (int i = 0; i < 300; i++) {
		got = served(s, &cosigs);
		if (got == size && cosigs == 2)
			return;
		usleep(50000);
	}
	cr_assert_fail("/checkpoint never reached size %llu with 2 cosignatures "
		"(last: size %llu, %d)", (unsigned long long)size,
		(unsigned long long)got, cosigs);
}

Test(witnessing, quorum_outage_and_catch_up, .timeout = 240)
{
	struct setup s;
	int cosigs = 0;

	setup(&s);
	for (uint64_t i = 0; i < 10; i++)
		publish(&s, i);
	await_witnessed(&s, 10);

	/* Witness 2 goes away: receipts keep coming, the witnessed
	 * checkpoint stays where the quorum last held. */
	cr_assert_eq(wtest_stop(&s.w[1]), 0);
	for (uint64_t i = 10; i < 30; i++)
		publish(&s, i);
	usleep(500000);
	cr_assert_eq(served(&s, &cosigs), 10);
	cr_assert_eq(cosigs, 2);

	/* Back: the log pushes 10 -> 30 with one consistency proof. */
	{
		const char *extra[] = { "--log", s.vkey, NULL };

		wtest_start(&s.w[1], extra, 1);
	}
	await_witnessed(&s, 30);

	/* A restarted log does not know the witnesses' sizes: it learns
	 * them from their 409s and is witnessed again. */
	cr_assert_eq(itest_log_stop(&s.log), 0);
	start_log(&s);
	publish(&s, 30);
	await_witnessed(&s, 31);
	teardown(&s);
}

Test(witnessing, metrics_count_cosignatures_and_errors, .timeout = 120)
{
	struct setup s;
	struct itest_http r;

	setup(&s);
	publish(&s, 1);
	await_witnessed(&s, 1);
	cr_assert_eq(wtest_stop(&s.w[0]), 0);
	publish(&s, 2);
	usleep(600000);
	itest_getf(&r, "%s/metrics", s.log.url);
	cr_assert_eq(r.status, 200);
	cr_assert_not_null(strstr(r.body,
		"mlogd_witness_cosignatures_total{witness=\"w2.example\"}"));
	cr_assert_not_null(strstr(r.body, "mlogd_witness_push_errors_total{"
		"witness=\"w1.example\",code=\"0\"}"),
		"no push error counted for the stopped witness:\n%s", r.body);
	cr_assert_not_null(strstr(r.body,
		"mlogd_witness_alarm{witness=\"w1.example\"} 0"));
	cr_assert_not_null(strstr(r.body, "mlogd_witnessed_tree_size 1\n"));
	itest_http_clear(&r);
	teardown(&s);
}
