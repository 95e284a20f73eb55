/*
 * test_witness_add.c — witness/add.c without HTTP: judge, decide inside
 * a store transaction, apply after commit. The litewitness vectors
 * through the module, the status table, several requests in one
 * transaction, a lost transaction, the clock stepping back, the served
 * note and the rate limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "add.h"
#include "support.h"
#include "witness_fixture.h"

static void setup(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(witness_add, .init = setup);

/* A witness without HTTP: state, logs, key. */
struct wit {
	char dir[256];
	struct witness_store *s;
	struct witness_logs logs;
	struct mlog_note_signer key;
	struct mlog_note_verifier vk;
	struct mlog_hash *h;
	unsigned rate, burst;
	double mono;              /* judge's clock */
};

static void wit_open(struct wit *w, const char *const *vkeys, size_t n)
{
	struct mlog_error err = { 0, "" };
	uint8_t seed[32];
	char path[300];

	memset(w, 0, sizeof(*w));
	fx_tmpdir(w->dir, sizeof(w->dir));
	snprintf(path, sizeof(path), "%s/witness.db", w->dir);
	memset(seed, 0x77, sizeof(seed));
	cr_assert_eq(mlog_note_signer_from_seed(&w->key, "witness.example",
		MLOG_NOTE_TYPE_COSIG_V1, seed), MLOG_OK);
	mlog_note_signer_verifier(&w->vk, &w->key);
	cr_assert_eq(witness_store_create(path, "w", &err), MLOG_OK);
	cr_assert_eq(witness_store_open(&w->s, path, &err), MLOG_OK);
	witness_logs_init(&w->logs);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(witness_logs_add(&w->logs, vkeys[i],
			strlen(vkeys[i]), &err), MLOG_OK, "%s", err.msg);
	cr_assert_eq(witness_logs_seal(&w->logs), MLOG_OK);
	for (size_t i = 0; i < w->logs.n; i++)
		cr_assert_eq(witness_store_add_log(w->s, w->logs.v[i].origin,
			NULL), MLOG_OK);
	w->h = mlog_hash_new();
	w->mono = 1000;
}

static void wit_close(struct wit *w)
{
	witness_store_close(w->s);
	witness_logs_clear(&w->logs);
	mlog_note_signer_clear(&w->key);
	mlog_hash_free(w->h);
	fx_rmtree(w->dir);
}

/* judge, then decide + commit + apply in a batch of one, at time now. */
static int submit_at(struct wit *w, struct witness_add *a, const char *body,
	size_t len, uint64_t now)
{
	witness_add_init(a, body, len);
	w->mono += 0.001;
	if (witness_add_judge(a, &w->logs, w->mono, w->rate, w->burst) !=
		WITNESS_ADD_PENDING)
		return a->status;
	cr_assert_eq(witness_store_begin(w->s, NULL), MLOG_OK);
	witness_add_decide(a, w->s, w->h, &w->key, now);
	cr_assert_eq(witness_store_commit(w->s, NULL), MLOG_OK);
	witness_add_apply(a);
	return a->status;
}

static int submit(struct wit *w, const char *body, size_t len)
{
	struct witness_add a;
	int status = submit_at(w, &a, body, len, 1700000000);

	witness_add_clear(&a);
	return status;
}

static int submit_log(struct wit *w, struct fx_log *l, uint64_t old,
	uint64_t size)
{
	size_t len;
	char *body = fx_log_body(l, old, size, &len);
	int status = submit(w, body, len);

	free(body);
	return status;
}

/* The cosignature time in a 200 body, after checking it verifies. */
static uint64_t cosig_time(const struct wit *w, const struct witness_add *a)
{
	struct mlog_note *n = NULL;
	struct mlog_note_check check;

	cr_assert_eq(a->status, 200);
	cr_assert_eq(mlog_witness_req_cosigs_parse(&n, a->req.note->text,
		a->req.note->text_len, a->resp, a->resp_len, NULL), MLOG_OK);
	cr_assert_eq(mlog_note_verify(n, &w->vk, 1, &check, NULL), MLOG_OK);
	mlog_note_free(n);
	return check.timestamp;
}

Test(witness_add, litewitness_vectors_through_the_module)
{
	static const int want[9] = { 200, 403, 404, 422, 422, 200, 409, 200,
		409 };
	struct wit w;
	char *manifest, *vkey, *p;
	size_t len;
	const char *vkeys[1];

	TEST_REQUIRE_SHARED();
	manifest = test_read_shared("vectors/witness/litewitness/MANIFEST.txt",
		&len);
	p = strstr(manifest, "\nlog_vkey=");
	cr_assert_not_null(p);
	vkey = strndup(p + 10, strcspn(p + 10, "\n"));
	vkeys[0] = vkey;
	wit_open(&w, vkeys, 1);
	for (int i = 0; i < 9; i++) {
		struct witness_add a;
		char rel[64], *body;
		int status;

		snprintf(rel, sizeof(rel),
			"vectors/witness/litewitness/req%02d.body", i + 1);
		body = test_read_shared(rel, &len);
		status = submit_at(&w, &a, body, len, 1700000000 + i);
		cr_assert_eq(status, want[i], "req%02d: %d (%s)", i + 1,
			status, a.msg);
		if (status == 200)
			cr_assert_eq(cosig_time(&w, &a), 1700000000 + i);
		if (status == 409)
			cr_assert_str_eq(a.resp, i == 6 ? "3\n" : "5\n");
		if (status != 200 && status != 409)
			cr_assert_gt(strlen(a.msg), 0);
		/* Only log-signed, refused-as-inconsistent requests are
		 * evidence (req04, req05). */
		cr_assert_eq(a.evidence, 0, "applied");
		witness_add_clear(&a);
		free(body);
	}
	cr_assert_eq(w.logs.v[0].size, 5);
	cr_assert_eq(w.logs.v[0].cosignatures, 3);
	cr_assert_eq(w.logs.v[0].evidence, 2);
	cr_assert_eq(w.logs.v[0].evidence_stored, 1);
	cr_assert_eq(w.logs.v[0].last_cosign, 1700000007);
	cr_assert_not_null(w.logs.v[0].note);
	free(vkey);
	free(manifest);
	wit_close(&w);
}

Test(witness_add, status_table)
{
	struct fx_log l, fork, stranger, impostor;
	struct wit w;
	struct witness_add a;
	const char *vkeys[1];
	char *body;
	size_t len;

	fx_log_new(&l, "log.a", 1, 0);
	fx_log_new(&fork, "log.a", 1, 4);
	fx_log_new(&stranger, "log.b", 2, 0);
	fx_log_new(&impostor, "log.a", 3, 0);
	vkeys[0] = l.vkey;
	wit_open(&w, vkeys, 1);

	/* 413 before parsing; 400 malformed. */
	body = calloc(1, MLOG_WITNESS_REQ_MAX_BYTES + 1);
	cr_assert_eq(submit(&w, body, MLOG_WITNESS_REQ_MAX_BYTES + 1), 413);
	cr_assert_eq(submit(&w, body, 10), 400);
	free(body);
	cr_assert_eq(submit(&w, "old 0\n", 6), 400);
	/* 404, 403 (untrusted key of the right name). */
	cr_assert_eq(submit_log(&w, &stranger, 0, 2), 404);
	cr_assert_eq(submit_log(&w, &impostor, 0, 2), 403);
	/* 400: old > size comes before 409. */
	cr_assert_eq(submit_log(&w, &l, 9, 2), 400);
	/* 200, 409 with the size. */
	cr_assert_eq(submit_log(&w, &l, 0, 2), 200);
	body = fx_log_body(&l, 0, 6, &len);
	cr_assert_eq(submit_at(&w, &a, body, len, 5), 409);
	cr_assert_str_eq(a.resp, "2\n");
	cr_assert_eq(a.evidence, 0, "a stale client is no evidence");
	witness_add_clear(&a);
	free(body);
	/* 200 with a proof; 422 for the fork at the same size and for the
	 * fork's bigger tree; 409 fork for a size co-signed earlier. */
	cr_assert_eq(submit_log(&w, &l, 2, 6), 200);
	cr_assert_eq(submit_log(&w, &fork, 6, 6), 422);
	cr_assert_eq(submit_log(&w, &fork, 6, 8), 422);
	cr_assert_eq(submit_log(&w, &fork, 3, 6), 409);
	cr_assert_eq(w.logs.v[0].evidence, 3);
	cr_assert_eq(submit_log(&w, &l, 3, 6), 409);
	cr_assert_eq(w.logs.v[0].evidence, 3, "same root: stale, not a fork");
	cr_assert_eq(w.logs.v[0].size, 6);
	fx_log_free(&l);
	fx_log_free(&fork);
	fx_log_free(&stranger);
	fx_log_free(&impostor);
	wit_close(&w);
}

/* Requests decided in one transaction see each other (committer.h
 * invariant 2). */
Test(witness_add, one_batch_sees_its_own_writes)
{
	struct fx_log l;
	struct wit w;
	struct witness_add a[3];
	const char *vkeys[1];
	char *bodies[3];
	size_t lens[3];
	static const uint64_t steps[3][2] = { { 0, 3 }, { 3, 5 }, { 0, 5 } };

	fx_log_new(&l, "log.a", 1, 0);
	vkeys[0] = l.vkey;
	wit_open(&w, vkeys, 1);
	for (int i = 0; i < 3; i++) {
		bodies[i] = fx_log_body(&l, steps[i][0], steps[i][1],
			&lens[i]);
		witness_add_init(&a[i], bodies[i], lens[i]);
		cr_assert_eq(witness_add_judge(&a[i], &w.logs, 1, 0, 0),
			WITNESS_ADD_PENDING);
	}
	cr_assert_eq(witness_store_begin(w.s, NULL), MLOG_OK);
	for (int i = 0; i < 3; i++)
		witness_add_decide(&a[i], w.s, w.h, &w.key, 100);
	cr_assert_eq(witness_store_commit(w.s, NULL), MLOG_OK);
	/* Nothing is published before apply. */
	cr_assert_eq(w.logs.v[0].size, 0);
	cr_assert_null(w.logs.v[0].note);
	for (int i = 0; i < 3; i++)
		witness_add_apply(&a[i]);
	cr_assert_eq(a[0].status, 200);
	cr_assert_eq(a[1].status, 200);
	cr_assert_eq(a[2].status, 409);
	cr_assert_str_eq(a[2].resp, "5\n");
	cr_assert_eq(w.logs.v[0].size, 5);
	for (int i = 0; i < 3; i++) {
		witness_add_clear(&a[i]);
		free(bodies[i]);
	}
	fx_log_free(&l);
	wit_close(&w);
}

Test(witness_add, a_lost_transaction_publishes_nothing)
{
	struct fx_log l;
	struct wit w;
	struct witness_add a;
	struct witness_state st;
	const char *vkeys[1];
	char *body;
	size_t len;

	fx_log_new(&l, "log.a", 1, 0);
	vkeys[0] = l.vkey;
	wit_open(&w, vkeys, 1);
	body = fx_log_body(&l, 0, 4, &len);
	witness_add_init(&a, body, len);
	cr_assert_eq(witness_add_judge(&a, &w.logs, 1, 0, 0),
		WITNESS_ADD_PENDING);
	cr_assert_eq(witness_store_begin(w.s, NULL), MLOG_OK);
	witness_add_decide(&a, w.s, w.h, &w.key, 100);
	cr_assert_eq(a.status, 200);
	witness_store_rollback(w.s);
	witness_add_fail(&a, 500, "lost");
	witness_add_apply(&a);
	cr_assert_eq(a.status, 500);
	cr_assert_null(a.resp, "no cosignature leaves a lost transaction");
	cr_assert_eq(w.logs.v[0].size, 0);
	cr_assert_null(w.logs.v[0].note);
	cr_assert_eq(witness_store_state(w.s, "log.a", &st, NULL), MLOG_OK);
	cr_assert_eq(st.size, 0);
	witness_add_clear(&a);
	free(body);
	fx_log_free(&l);
	wit_close(&w);
}

Test(witness_add, cosignature_time_never_goes_back)
{
	struct fx_log l;
	struct wit w;
	struct witness_add a;
	const char *vkeys[1];
	char *body;
	size_t len;

	fx_log_new(&l, "log.a", 1, 0);
	vkeys[0] = l.vkey;
	wit_open(&w, vkeys, 1);
	body = fx_log_body(&l, 0, 4, &len);
	cr_assert_eq(submit_at(&w, &a, body, len, 5000), 200);
	cr_assert_eq(cosig_time(&w, &a), 5000);
	witness_add_clear(&a);
	free(body);
	/* The clock steps back by an hour: the next cosignature (a bigger
	 * tree) still says 5000, never earlier. */
	body = fx_log_body(&l, 4, 6, &len);
	cr_assert_eq(submit_at(&w, &a, body, len, 1400), 200);
	cr_assert_eq(cosig_time(&w, &a), 5000);
	witness_add_clear(&a);
	free(body);
	body = fx_log_body(&l, 6, 6, &len);
	cr_assert_eq(submit_at(&w, &a, body, len, 5001), 200);
	cr_assert_eq(cosig_time(&w, &a), 5001);
	cr_assert_eq(w.logs.v[0].last_cosign, 5001);
	witness_add_clear(&a);
	free(body);
	fx_log_free(&l);
	wit_close(&w);
}

Test(witness_add, served_note_has_trusted_lines_and_ours_only)
{
	struct fx_log l, other;
	struct wit w;
	struct witness_add a;
	struct mlog_note *n = NULL;
	struct mlog_note_verifier lv;
	const char *vkeys[1];
	char *note, *body;
	size_t note_len, len;

	fx_log_new(&l, "log.a", 1, 0);
	fx_log_new(&other, "someone.else", 2, 0);
	vkeys[0] = l.vkey;
	wit_open(&w, vkeys, 1);
	note = fx_log_checkpoint(&l, 3, &other.key, 1, &note_len);
	cr_assert_eq(mlog_witness_req_format(&body, &len, 0, NULL, 0, note,
		note_len, NULL), MLOG_OK);
	cr_assert_eq(submit_at(&w, &a, body, len, 77), 200);
	witness_add_clear(&a);
	cr_assert_eq(mlog_note_parse(&n, w.logs.v[0].note,
		w.logs.v[0].note_len, NULL), MLOG_OK);
	cr_assert_eq(n->nsigs, 2);
	cr_assert_str_eq(n->sigs[0].name, "log.a");
	cr_assert_str_eq(n->sigs[1].name, "witness.example");
	mlog_note_signer_verifier(&lv, &l.key);
	cr_assert_eq(mlog_note_verify(n, &lv, 1, NULL, NULL), MLOG_OK);
	cr_assert_eq(mlog_note_verify(n, &w.vk, 1, NULL, NULL), MLOG_OK);
	mlog_note_free(n);
	free(note);
	free(body);
	fx_log_free(&l);
	fx_log_free(&other);
	wit_close(&w);
}

Test(witness_add, rate_limit_spends_tokens_of_signed_requests_only)
{
	struct fx_log l, impostor;
	struct wit w;
	struct witness_add a;
	const char *vkeys[1];
	char *body;
	size_t len;

	fx_log_new(&l, "log.a", 1, 0);
	fx_log_new(&impostor, "log.a", 3, 0);
	vkeys[0] = l.vkey;
	wit_open(&w, vkeys, 1);
	w.rate = 1;
	w.burst = 1;
	cr_assert_eq(submit_log(&w, &l, 0, 2), 200);
	body = fx_log_body(&l, 2, 3, &len);
	cr_assert_eq(submit_at(&w, &a, body, len, 1), 429);
	cr_assert_eq(a.retry_after, 1);
	cr_assert_not_null(strstr(a.msg, "log.a"));
	witness_add_clear(&a);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(submit_log(&w, &impostor, 2, 3), 403);
	w.mono += 1.0;
	cr_assert_eq(submit(&w, body, len), 200);
	free(body);
	fx_log_free(&l);
	fx_log_free(&impostor);
	wit_close(&w);
}
