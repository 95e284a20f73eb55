/*
 * bench_client.c — how fast the client checks evidence and follows a log,
 * in-process (no network): an evidence bundle of N entries (default
 * 10,000) verified offline by cli_evidence_verify (goal: at most 1 s for
 * 10,000), and the monitor's catch-up over the same N entries
 * (cli_monitor_advance over an in-memory log, tests/memlog.c), in
 * entries/s; plus the bulk authenticated read alone (cli_walk_entries).
 *
 * Usage: bench_client [--entries N] [--rounds R] [--keep]
 *   --keep  leave the bundle and states in /tmp/bench-client-* (printed)
 *           to inspect or profile them
 *
 * Method. The log holds N entries: N/2 build manifests, each with its own
 * MRENCLAVE and one shared MRSIGNER, and N/2 approvals, one per manifest,
 * each a real DSSE envelope signed with Ed25519. The checkpoint is signed
 * by the log key and cosigned by one witness; the policy's quorum is that
 * witness. The bundle is written once (timed), then verified R times; the
 * monitor catches up R times from an empty state. Each figure prints the
 * best and the median wall time and the process CPU time of the best
 * round (the machine may be shared: wall time is noisy, CPU time less
 * so). Every verification must succeed, or the program exits 2.
 *
 * Exit codes: 0 ok (whether or not the goal was met: it is printed),
 * 2 error (bad usage, a library call or a verification failed).
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "codec.h"
#include "dsse.h"
#include "evidence.h"
#include "hash.h"
#include "memlog.h"
#include "monitor.h"
#include "policy.h"
#include "walk.h"

#define ROUNDS_DEFAULT 3
#define ENTRIES_DEFAULT 10000
#define GOAL_SECONDS 1.0

static void die(const char *msg)
{
	fprintf(stderr, "bench_client: %s\n", msg);
	exit(2);
}

static void check(int rc, const char *what)
{
	if (rc != MLOG_OK) {
		fprintf(stderr, "bench_client: %s: %s\n", what,
			mlog_err_name(rc));
		exit(2);
	}
}

static double now_wall(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double now_cpu(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int rm_one(const char *path, const struct stat *st, int flag,
	struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes a directory this program created. */
static void rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void hex32(char out[65], const char *label, uint64_t i,
	struct mlog_hash *h)
{
	uint8_t d[32];
	char in[64];
	int n = snprintf(in, sizeof(in), "%s-%llu", label,
		(unsigned long long)i);

	mlog_hash_sha256(h, d, in, (size_t)n);
	mlog_codec_hex_encode(out, d, 32);
}

/* Signs stmt and appends the canonical envelope to the log. */
static void append(struct memlog *l, const struct mlog_dsse_key *k,
	const char *stmt)
{
	struct mlog_dsse_envelope *env = NULL;
	char *out = NULL;
	size_t len = 0;

	check(mlog_dsse_sign(&env, MLOG_DSSE_TYPE_INTOTO,
		(const uint8_t *)stmt, strlen(stmt), &k, 1, NULL), "sign");
	check(mlog_dsse_format(&out, &len, env, NULL), "format");
	check(memlog_append(l, out, len), "append");
	free(out);
	mlog_dsse_free(env);
}

static void fill(struct memlog *l, uint64_t n, char mrsigner[65])
{
	struct mlog_dsse_key *k = NULL;
	char mr[65], sub[65], *st;

	check(mlog_dsse_key_generate(&k, MLOG_DSSE_ALG_ED25519, NULL),
		"key");
	hex32(mrsigner, "mrsigner", 0, l->h);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t b = i / 2;
		int rc;

		hex32(mr, "mrenclave", b, l->h);
		hex32(sub, "subject", b, l->h);
		if (i % 2 == 0)
			rc = asprintf(&st,
				"{\"_type\":\"https://in-toto.io/Statement/v1\","
				"\"subject\":[{\"name\":\"enclave-%llu.so\","
				"\"digest\":{\"sha256\":\"%s\"}}],"
				"\"predicateType\":\"urn:mlog:build-manifest:v1\","
				"\"predicate\":{\"build\":{\"id\":\"build-%llu\","
				"\"source\":{\"uri\":\"git+https://e.example/e\","
				"\"commit\":\"%.40s\"},\"builder\":\"ci\"},"
				"\"measurements\":[{\"tee\":\"sgx\","
				"\"mrenclave\":\"%s\",\"mrsigner\":\"%s\","
				"\"isvprodid\":1,\"isvsvn\":%llu}]}}",
				(unsigned long long)b, sub,
				(unsigned long long)b, sub, mr, mrsigner,
				(unsigned long long)(b % 100));
		else
			rc = asprintf(&st,
				"{\"_type\":\"https://in-toto.io/Statement/v1\","
				"\"subject\":[{\"name\":\"sgx.mrenclave\","
				"\"digest\":{\"sha256\":\"%s\"}}],"
				"\"predicateType\":\"urn:mlog:approval:v1\","
				"\"predicate\":{\"ticket\":\"CHG-%llu\","
				"\"decision\":\"approved\",\"approver\":\"a@e\","
				"\"reviewed_at\":\"2026-11-25T10:00:00Z\","
				"\"measurement\":{\"tee\":\"sgx\","
				"\"mrenclave\":\"%s\"},\"build_entry\":%llu}}",
				mr, (unsigned long long)b, mr,
				(unsigned long long)(i - 1));
		if (rc < 0)
			die("out of memory");
		append(l, k, st);
		free(st);
	}
	mlog_dsse_key_free(k);
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, const double *wall, const double *cpu,
	int rounds, uint64_t n)
{
	double sorted[64], best = wall[0], best_cpu = cpu[0];

	for (int i = 0; i < rounds; i++) {
		sorted[i] = wall[i];
		if (wall[i] < best) {
			best = wall[i];
			best_cpu = cpu[i];
		}
	}
	qsort(sorted, (size_t)rounds, sizeof(sorted[0]), dbl_cmp);
	printf("%-34s best %8.3f s  median %8.3f s  cpu %8.3f s  "
		"%10.0f entries/s\n", what, best, sorted[rounds / 2], best_cpu,
		(double)n / best);
}

struct sink {
	uint64_t n;
};

static int count_entry(void *ctx, uint64_t index, const uint8_t *e,
	size_t len)
{
	struct sink *s = ctx;

	(void)index;
	(void)e;
	s->n += len > 0;
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t n = ENTRIES_DEFAULT;
	int rounds = ROUNDS_DEFAULT, keep = 0;
	struct memlog l;
	struct mlog_note_signer w;
	struct mlog_note_verifier wv;
	struct mlog_policy *pol = NULL;
	struct cli_walk_source src;
	char base[] = "/tmp/bench-client-XXXXXX", out[128], mrsigner[65];
	char text[1024], line[512], wvkey[MLOG_NOTE_VKEY_MAX + 1];
	char *note = NULL;
	size_t note_len = 0;
	double wall[64], cpu[64], t0, c0;
	struct mlog_error err = { 0, "" };

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--entries") == 0 && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (strcmp(argv[i], "--keep") == 0)
			keep = 1;
		else
			die("usage: bench_client [--entries N] [--rounds R] "
				"[--keep]");
	}
	if (n < 2 || n > 1000000 || rounds < 1 || rounds > 64)
		die("--entries 2..1000000, --rounds 1..64");
	if (sodium_init() < 0)
		die("can't initialise libsodium");
	if (mkdtemp(base) == NULL)
		die("mkdtemp failed");

	/* The log, its checkpoint (cosigned by W1) and the policy. */
	check(memlog_init(&l, "bench.example/log", NULL), "memlog");
	t0 = now_wall();
	fill(&l, n, mrsigner);
	printf("bench_client: %llu entries signed and appended in %.2f s "
		"(%zu-byte entries on average)\n", (unsigned long long)n,
		now_wall() - t0, (size_t)(l.lens[0] + l.lens[1]) / 2);
	check(mlog_note_signer_generate(&w, "w1.example",
		MLOG_NOTE_TYPE_COSIG_V1), "witness key");
	mlog_note_signer_verifier(&wv, &w);
	if (mlog_note_verifier_format(wvkey, sizeof(wvkey), &wv) < 0)
		die("witness vkey");
	check(memlog_checkpoint(&l, n, &note, &note_len), "checkpoint");
	check(memlog_cosign(&note, &note_len, &w, (uint64_t)time(NULL)),
		"cosign");
	check(memlog_policy_line(&l, line, sizeof(line)), "policy line");
	snprintf(text, sizeof(text), "%switness W1 %s\nquorum W1\n", line,
		wvkey);
	check(mlog_policy_parse(&pol, text, strlen(text), NULL), "policy");

	/* (1) The evidence bundle: write once, verify R times. */
	{
		struct cli_evidence_item *items = calloc(n, sizeof(*items));
		uint8_t (*proofs)[MLOG_PROOF_MAX][MLOG_HASH_BYTES] =
			calloc(n, sizeof(*proofs));
		struct cli_evidence_meta meta = { "mrsigner", mrsigner, NULL,
			NULL, NULL };

		if (items == NULL || proofs == NULL)
			die("out of memory");
		for (uint64_t i = 0; i < n; i++) {
			items[i].index = i;
			items[i].entry = l.entries[i];
			items[i].entry_len = l.lens[i];
			check(memlog_prove(&l, i, n, proofs[i],
				&items[i].proof_len), "prove");
			items[i].proof = (const uint8_t (*)[MLOG_HASH_BYTES])
				proofs[i];
		}
		snprintf(out, sizeof(out), "%s/bundle", base);
		t0 = now_wall();
		c0 = now_cpu();
		if (cli_evidence_write(out, pol, note, note_len, items, n,
			&meta, &err) != MLOG_OK) {
			fprintf(stderr, "bench_client: write: %s\n", err.msg);
			exit(2);
		}
		wall[0] = now_wall() - t0;
		cpu[0] = now_cpu() - c0;
		report("evidence write", wall, cpu, 1, n);
		free(items);
		free(proofs);
	}
	for (int r = 0; r < rounds; r++) {
		t0 = now_wall();
		c0 = now_cpu();
		if (cli_evidence_verify(out, NULL, &err) != MLOG_OK) {
			fprintf(stderr, "bench_client: verify: %s\n", err.msg);
			exit(2);
		}
		wall[r] = now_wall() - t0;
		cpu[r] = now_cpu() - c0;
	}
	report("evidence verify (offline)", wall, cpu, rounds, n);
	{
		double best = wall[0];

		for (int r = 1; r < rounds; r++)
			best = wall[r] < best ? wall[r] : best;
		if (n == ENTRIES_DEFAULT)
			printf("  goal: verify 10,000 entries in <= %.1f s: "
				"%s (best %.3f s)\n", GOAL_SECONDS,
				best <= GOAL_SECONDS ? "met" : "MISSED", best);
	}

	/* (2) The bulk authenticated read alone. */
	memlog_source(&l, &src);
	for (int r = 0; r < rounds; r++) {
		struct sink s = { 0 };
		uint8_t root[MLOG_HASH_BYTES];

		check(memlog_root(&l, n, root), "root");
		t0 = now_wall();
		c0 = now_cpu();
		check(cli_walk_entries(&src, n, root, 0, n, count_entry, &s,
			&err), "walk");
		wall[r] = now_wall() - t0;
		cpu[r] = now_cpu() - c0;
		if (s.n != n)
			die("walk: wrong count");
	}
	report("walk (tiles + bundles, no judging)", wall, cpu, rounds, n);

	/* (3) The monitor catching up from an empty state. */
	for (int r = 0; r < rounds; r++) {
		struct cli_monitor *m = NULL;
		struct cli_monitor_config cfg;
		struct mlog_policy_result res;
		struct mlog_checkpoint cp;
		char state[160];

		snprintf(state, sizeof(state), "%s/state%d", base, r);
		memset(&cfg, 0, sizeof(cfg));
		cfg.grace = 3600;
		cfg.events = fopen("/dev/null", "w");
		if (cfg.events == NULL)
			die("/dev/null");
		check(mlog_policy_verify(&res, NULL, pol, note, note_len,
			NULL), "policy verify");
		mlog_checkpoint_init(&cp);
		check(mlog_policy_evaluate(&res, &cp, pol, note, note_len,
			NULL), "evaluate");
		check(cli_monitor_open(&m, state, &err), "monitor open");
		t0 = now_wall();
		c0 = now_cpu();
		check(cli_monitor_advance(m, &cfg, note, note_len, &cp, &res,
			&src, &err), "advance");
		wall[r] = now_wall() - t0;
		cpu[r] = now_cpu() - c0;
		if (cli_monitor_size(m) != n || cli_monitor_failures(m) != 0 ||
		    cli_monitor_pending(m) != 0)
			die("monitor: wrong state after catch-up");
		cli_monitor_close(m);
		mlog_checkpoint_clear(&cp);
		fclose(cfg.events);
	}
	report("monitor catch-up (events, state)", wall, cpu, rounds, n);
	printf("  timings are wall-clock on a possibly shared machine; "
		"compare cpu\n");

	if (keep)
		printf("kept %s\n", base);
	else
		rmtree(base);
	free(note);
	mlog_policy_free(pol);
	mlog_note_signer_clear(&w);
	memlog_clear(&l);
	return 0;
}
