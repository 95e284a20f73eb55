/*
 * test_mlogd_crash.c — kill -9 in the middle of heavy submission (store.h
 * DURABILITY): every entry the server acknowledged (201 or 200) is in the
 * log at the index its receipt gave, after any number of crashes, and the
 * log after each restart is consistent with every checkpoint the server
 * had handed out before (no fork, no rollback).
 *
 * The moment of each kill is random; the seed is printed and can be set
 * with MLOG_TEST_SEED to replay a run.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "hash.h"
#include "harness.h"
#include "proof.h"
#include "tile.h"
#include "tree.h"

#define ROUNDS 4
#define THREADS 16
#define FRESH_PER_ROUND 2500     /* more than a round can submit */
#define RESUBMIT_EVERY 8         /* every 8th job resends an acked entry */

static void init(void)
{
	itest_init();
}

TestSuite(crash, .init = init);

/* An acknowledged entry. */
struct ack {
	uint64_t index;
	uint8_t leaf[32];
	char *env;
	size_t len;
};

struct seen {
	uint64_t size;
	uint8_t root[32];
};

struct state {
	struct itest_log log;
	struct itest_signer ci;
	struct ack *acks;
	size_t nacks, acks_cap;
	struct seen *cps;
	size_t ncps;
	unsigned rng;
};

/* A job: fresh (ack < 0) or the resubmission of acks[ack]. */
struct round_job {
	char *env;          /* owned when fresh */
	size_t len;
	long ack;
};

static void add_checkpoint(struct state *s, uint64_t size,
	const uint8_t root[32])
{
	for (size_t i = 0; i < s->ncps; i++) {
		if (s->cps[i].size == size) {
			cr_assert_arr_eq(s->cps[i].root, root, 32, "two roots "
				"for size %llu", (unsigned long long)size);
			return;
		}
	}
	s->cps = realloc(s->cps, (s->ncps + 1) * sizeof(*s->cps));
	cr_assert_not_null(s->cps);
	s->cps[s->ncps].size = size;
	memcpy(s->cps[s->ncps].root, root, 32);
	s->ncps++;
}

static void add_ack(struct state *s, uint64_t index, char *env, size_t len)
{
	struct mlog_hash *h = mlog_hash_new();

	if (s->nacks == s->acks_cap) {
		s->acks_cap = s->acks_cap ? 2 * s->acks_cap : 1024;
		s->acks = realloc(s->acks, s->acks_cap * sizeof(*s->acks));
		cr_assert_not_null(s->acks);
	}
	s->acks[s->nacks] = (struct ack){ index, { 0 }, env, len };
	mlog_hash_leaf(h, s->acks[s->nacks].leaf, env, len);
	s->nacks++;
	mlog_hash_free(h);
}

struct runner {
	const struct itest_log *log;
	struct itest_job *jobs;
	size_t n;
	volatile int stop;
};

static void *runner_main(void *arg)
{
	struct runner *r = arg;

	itest_post_many(r->log, r->jobs, r->n, THREADS, &r->stop);
	return NULL;
}

/* After a restart: the log holds every acknowledged entry at its index and
 * extends every checkpoint handed out. */
static void verify(struct state *s)
{
	struct mlog_tile_source src = itest_tile_source(&s->log);
	struct mlog_tile_hash_reader *thr = NULL;
	struct mlog_error err = { 0, "" };
	struct mlog_hash *h = mlog_hash_new();
	const struct mlog_hash_reader *hr;
	uint8_t root[32];
	uint64_t size;

	itest_checkpoint(&s->log, &size, root, NULL);
	for (size_t i = 0; i < s->ncps; i++) {
		uint8_t proof[MLOG_PROOF_MAX][32];
		struct itest_http r;
		json_t *j;
		size_t n;

		cr_assert_leq(s->cps[i].size, size, "the log shrank from %llu "
			"to %llu", (unsigned long long)s->cps[i].size,
			(unsigned long long)size);
		if (s->cps[i].size == size) {
			cr_assert_arr_eq(s->cps[i].root, root, 32);
			continue;
		}
		if (s->cps[i].size == 0)
			continue;      /* every tree extends the empty one */
		itest_getf(&r, "%s/v1/proof/consistency?old=%llu&size=%llu",
			s->log.url, (unsigned long long)s->cps[i].size,
			(unsigned long long)size);
		cr_assert_eq(r.status, 200, "%s", r.body);
		j = itest_json(&r);
		n = itest_proof(proof, json_object_get(j, "proof"));
		cr_assert_eq(mlog_proof_verify_consistency(h, s->cps[i].size,
			size, s->cps[i].root, root,
			(const uint8_t (*)[32])proof, n), MLOG_OK,
			"the log at %llu is not an extension of the checkpoint "
			"at %llu handed out before the crash",
			(unsigned long long)size,
			(unsigned long long)s->cps[i].size);
		json_decref(j);
		itest_http_clear(&r);
	}
	/* Every acknowledged leaf, read from tiles authenticated against
	 * the current checkpoint. */
	cr_assert_eq(mlog_tile_hash_reader_new(&thr, size, root, &src, &err),
		MLOG_OK, "%s", err.msg);
	hr = mlog_tile_hash_reader_hashes(thr);
	for (size_t i = 0; i < s->nacks; i += MLOG_TREE_MAX_READ) {
		uint64_t idx[MLOG_TREE_MAX_READ];
		uint8_t got[MLOG_TREE_MAX_READ][32];
		size_t n = s->nacks - i < MLOG_TREE_MAX_READ ? s->nacks - i
			: MLOG_TREE_MAX_READ;

		for (size_t k = 0; k < n; k++) {
			const struct ack *a = &s->acks[i + k];

			cr_assert_lt(a->index, size, "acknowledged entry %llu "
				"is beyond the tree (%llu) after the crash",
				(unsigned long long)a->index,
				(unsigned long long)size);
			idx[k] = mlog_tree_stored_index(0, a->index);
		}
		cr_assert_eq(hr->read(hr->ctx, idx, n, got), MLOG_OK, "%s",
			mlog_tile_hash_reader_last_error(thr));
		for (size_t k = 0; k < n; k++)
			cr_assert_arr_eq(got[k], s->acks[i + k].leaf, 32,
				"acknowledged entry %llu is not at its index "
				"after the crash",
				(unsigned long long)s->acks[i + k].index);
	}
	mlog_tile_hash_reader_free(thr);
	/* And a sample through the proof API, as a client would check. */
	for (int k = 0; k < 20 && s->nacks > 0; k++) {
		const struct ack *a = &s->acks[rand_r(&s->rng) % s->nacks];
		uint8_t proof[MLOG_PROOF_MAX][32], leaf[32];
		struct itest_http r;
		json_t *j;
		size_t n;

		itest_getf(&r, "%s/v1/proof/inclusion?index=%llu&size=%llu",
			s->log.url, (unsigned long long)a->index,
			(unsigned long long)size);
		cr_assert_eq(r.status, 200, "%s", r.body);
		j = itest_json(&r);
		itest_b64_hash(leaf, json_string_value(json_object_get(j,
			"leaf_hash")));
		cr_assert_arr_eq(leaf, a->leaf, 32);
		n = itest_proof(proof, json_object_get(j, "proof"));
		cr_assert_eq(mlog_proof_verify_inclusion(h, a->index, size,
			leaf, (const uint8_t (*)[32])proof, n, root), MLOG_OK);
		json_decref(j);
		itest_http_clear(&r);
	}
	add_checkpoint(s, size, root);
	mlog_hash_free(h);
}

/* One round: submit from THREADS threads, kill -9 after 100-800 ms, take
 * in the answers. Returns the number of new acknowledgements. */
static size_t round_run(struct state *s, int round)
{
	size_t njobs = FRESH_PER_ROUND + FRESH_PER_ROUND / RESUBMIT_EVERY;
	struct round_job *rj = calloc(njobs, sizeof(*rj));
	struct itest_job *jobs = calloc(njobs, sizeof(*jobs));
	struct runner run;
	pthread_t th;
	size_t before = s->nacks, fresh = 0, answered = 0;
	unsigned delay_ms = 100 + rand_r(&s->rng) % 701;
	uint64_t seed = (uint64_t)round * 1000000;

	cr_assert(rj != NULL && jobs != NULL);
	for (size_t i = 0; i < njobs; i++) {
		if (i % RESUBMIT_EVERY == RESUBMIT_EVERY - 1 &&
		    s->nacks > 0) {
			rj[i].ack = (long)(rand_r(&s->rng) % s->nacks);
			rj[i].env = s->acks[rj[i].ack].env;
			rj[i].len = s->acks[rj[i].ack].len;
		} else {
			rj[i].ack = -1;
			rj[i].env = itest_build_envelope(&s->ci, seed + fresh++,
				&rj[i].len);
		}
		jobs[i].body = rj[i].env;
		jobs[i].len = rj[i].len;
	}
	run = (struct runner){ &s->log, jobs, njobs, 0 };
	cr_assert_eq(pthread_create(&th, NULL, runner_main, &run), 0);
	usleep(delay_ms * 1000);
	itest_log_kill9(&s->log);
	__atomic_store_n(&run.stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(th, NULL);

	for (size_t i = 0; i < njobs; i++) {
		long st = jobs[i].r.status;
		uint64_t index, size;
		uint8_t root[32];

		cr_assert(st == 0 || st == -1 || st == 200 || st == 201,
			"round %d job %zu: %ld %s", round, i, st,
			jobs[i].r.body);
		if (st != 200 && st != 201) {
			if (rj[i].ack < 0)
				free(rj[i].env);
			continue;
		}
		answered++;
		index = itest_check_receipt(&s->log, jobs[i].r.body,
			rj[i].env, rj[i].len, &size, root);
		add_checkpoint(s, size, root);
		if (rj[i].ack >= 0) {
			/* Acknowledged before: the same index, as a
			 * duplicate. */
			cr_assert_eq(st, 200, "a resubmitted entry got %ld",
				st);
			cr_assert_eq(index, s->acks[rj[i].ack].index,
				"entry %llu came back at %llu",
				(unsigned long long)s->acks[rj[i].ack].index,
				(unsigned long long)index);
			continue;
		}
		cr_assert_eq(st, 201, "a new entry got %ld", st);
		add_ack(s, index, rj[i].env, rj[i].len);
	}
	fprintf(stderr, "crash round %d: killed after %u ms; %zu answers, "
		"%zu new entries acknowledged\n", round, delay_ms, answered,
		s->nacks - before);
	itest_jobs_clear(jobs, njobs);
	free(jobs);
	free(rj);
	return s->nacks - before;
}

Test(crash, kill9_keeps_every_acknowledged_entry, .timeout = 200)
{
	struct state s;
	char flag[400];
	const char *extra[] = { "--signer", flag, NULL };
	const char *env_seed = getenv("MLOG_TEST_SEED");
	size_t total = 0;

	memset(&s, 0, sizeof(s));
	s.rng = env_seed != NULL ? (unsigned)strtoul(env_seed, NULL, 10)
		: (unsigned)time(NULL) ^ (unsigned)getpid();
	fprintf(stderr, "crash: MLOG_TEST_SEED=%u\n", s.rng);
	itest_log_init(&s.log, "example.com/crash");
	itest_signer_new(&s.ci, s.log.dir, "ci", MLOG_DSSE_ALG_ED25519);
	itest_signer_flag(flag, sizeof(flag), &s.ci, "build");
	itest_log_start(&s.log, extra);
	for (int round = 0; round < ROUNDS; round++) {
		total += round_run(&s, round);
		itest_log_start(&s.log, extra);
		verify(&s);
	}
	cr_assert_gt(total, 0, "no submission was acknowledged in %d rounds",
		ROUNDS);
	/* The log still takes entries after all this, and stops cleanly. */
	{
		struct itest_http r;
		char url[128], *env;
		size_t len;
		uint64_t size;

		itest_checkpoint(&s.log, &size, NULL, NULL);
		env = itest_build_envelope(&s.ci, 999999999, &len);
		snprintf(url, sizeof(url), "%s/v1/entries", s.log.url);
		itest_post(&r, url, env, len);
		cr_assert_eq(r.status, 201, "%s", r.body);
		cr_assert_eq(itest_check_receipt(&s.log, r.body, env, len,
			NULL, NULL), size);
		itest_http_clear(&r);
		free(env);
	}
	cr_assert_eq(itest_log_stop(&s.log), 0);
	for (size_t i = 0; i < s.nacks; i++)
		free(s.acks[i].env);
	free(s.acks);
	free(s.cps);
	itest_signer_clear(&s.ci);
	itest_log_cleanup(&s.log);
}
