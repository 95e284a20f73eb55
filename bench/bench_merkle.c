/*
 * bench_merkle.c — how fast the merkle/ library hashes, appends and proves,
 * measured against the floors that bound it: one SHA-256 node hash per
 * proof step, one Ed25519 verification per signature.
 *
 * Usage: bench_merkle [--quick] [--max-size N]
 *
 * Figures, in the order printed:
 *  (1) SHA-256 node hashes/s (mlog_hash_node) and leaf hashes/s
 *      (mlog_hash_leaf) for a 64-byte and a 1 KiB entry;
 *  (2) Ed25519 verifications/s (libsodium crypto_sign_verify_detached), the
 *      floor of every signature check;
 *  (3) per tree size 10^3 .. 10^7 (--quick: .. 10^5): leaves appended/s
 *      (mlog_tree_append), inclusion and consistency proofs generated/s and
 *      verified/s, the average proof length, the floor (one node hash time
 *      x proof length) and verify time / floor.
 *
 * Method. Each figure runs its operation in a loop timed with
 * clock_gettime(CLOCK_MONOTONIC): ROUNDS runs of MIN_SECONDS / ROUNDS
 * each (at least MIN_SECONDS in all), of which the fastest is reported
 * (bench_time). Each verification figure is timed in rounds interleaved
 * with rounds of node hashes, which give its floor (bench_vs_node). Proof
 * indexes and old sizes come from a fixed-seed PRNG (splitmix64), so two
 * runs do the same work. Every result is folded into a checksum that is
 * printed at the end, so the compiler can drop nothing; every
 * verification must succeed and every tampered proof must be rejected,
 * or the program exits 2.
 *
 * Storage is the smallest hash store the library can work with: one array
 * of 32-byte hashes indexed by stored-hash index (tree.h), read through a
 * struct mlog_hash_reader. A tree of 10^7 leaves holds about 2 * 10^7
 * hashes, 640 MB.
 *
 * The benchmarks are a table (benches[] below): note-verify/s and
 * DSSE-verify/s join it as rows when merkle/note.c and merkle/dsse.c land.
 *
 * Exit codes: 0 ok, 2 error (bad usage, out of memory, a library call or a
 * verification failed).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <sodium.h>

#include "codec.h"
#include "dsse.h"
#include "err.h"
#include "hash.h"
#include "note.h"
#include "proof.h"
#include "tree.h"

#define MIN_SECONDS 0.2     /* timed per figure, in ROUNDS runs */
#define ROUNDS 5
#define WARM_UP_SECONDS 0.3
#define SEED UINT64_C(0x6d6c6f6762656e63)  /* "mlogbenc" */
#define TREE_MIN UINT64_C(1000)
#define TREE_MAX_FULL UINT64_C(10000000)
#define TREE_MAX_QUICK UINT64_C(100000)
#define POOL 256            /* proofs per size, verified in turn */
#define APPEND_BATCH 1024   /* leaves appended per timed round */

struct bench_ctx {
	struct mlog_hash *h;
	uint64_t max_size;      /* largest tree size measured */
	uint64_t rng;           /* splitmix64 state */
	uint8_t sink;           /* every result folds in here */
	unsigned long checks;   /* verifications and rejections done */
};

static void die(const char *msg)
{
	fprintf(stderr, "bench_merkle: %s\n", msg);
	exit(2);
}

static void check(int rc, const char *what)
{
	if (rc != MLOG_OK) {
		fprintf(stderr, "bench_merkle: %s: %s\n", what,
			mlog_err_name(rc));
		exit(2);
	}
}

static uint64_t rng_next(struct bench_ctx *b)
{
	uint64_t z;

	b->rng += UINT64_C(0x9e3779b97f4a7c15);
	z = b->rng;
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [0, n); the modulo bias is below 2^-40 for n <= 10^7. */
static uint64_t rng_below(struct bench_ctx *b, uint64_t n)
{
	return rng_next(b) % n;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sink_hash(struct bench_ctx *b, const uint8_t *hash)
{
	for (int i = 0; i < MLOG_HASH_BYTES; i++)
		b->sink ^= hash[i];
}

/* ---- timing -------------------------------------------------------- */

/* Runs iters operations on arg. */
typedef void (*bench_op)(struct bench_ctx *b, void *arg, uint64_t iters);

/* Iterations of op that take about MIN_SECONDS / ROUNDS; the growing
 * runs double as warm-up (caches, page faults). */
static uint64_t bench_calibrate(struct bench_ctx *b, bench_op op, void *arg)
{
	const double run_seconds = MIN_SECONDS / ROUNDS;
	uint64_t iters = 1;

	for (;;) {
		double t0 = now_seconds();
		double dt;

		op(b, arg, iters);
		dt = now_seconds() - t0;
		if (dt >= run_seconds)
			return iters;
		if (dt < run_seconds / 50)
			iters *= 10;
		else
			iters = (uint64_t)((double)iters * run_seconds * 1.2 /
				dt) + 1;
	}
}

/* Runs op iters times; keeps the lowest nanoseconds per op in *best. */
static void bench_round(struct bench_ctx *b, bench_op op, void *arg,
	uint64_t iters, double *best)
{
	double t0 = now_seconds();
	double ns;

	op(b, arg, iters);
	ns = (now_seconds() - t0) * 1e9 / (double)iters;
	if (*best == 0 || ns < *best)
		*best = ns;
}

/*
 * Nanoseconds per operation: the fastest of ROUNDS runs of about
 * MIN_SECONDS / ROUNDS each. Interference from other processes (the
 * machines share their cores) only ever adds time, so the fastest of
 * several short runs is steadier than one long one.
 */
static double bench_time(struct bench_ctx *b, bench_op op, void *arg)
{
	uint64_t iters = bench_calibrate(b, op, arg);
	double best = 0;

	for (int round = 0; round < ROUNDS; round++)
		bench_round(b, op, arg, iters, &best);
	return best;
}

static void op_node(struct bench_ctx *b, void *arg, uint64_t iters);

/*
 * Like bench_time for op, and in the same breath for one node hash (the
 * floor's unit), their rounds interleaved: a slow spell on a shared
 * machine then hits both, and their ratio stays true.
 */
static double bench_vs_node(struct bench_ctx *b, bench_op op, void *arg,
	double *node_ns /* OUT */)
{
	uint64_t iters = bench_calibrate(b, op, arg);
	uint64_t node_iters = bench_calibrate(b, op_node, NULL);
	double best = 0, node_best = 0;

	for (int round = 0; round < ROUNDS; round++) {
		bench_round(b, op_node, NULL, node_iters, &node_best);
		bench_round(b, op, arg, iters, &best);
	}
	*node_ns = node_best;
	return best;
}

/* Formats a rate as "812.3k" / "1.52M" into buf. */
static const char *fmt_rate(char *buf, size_t cap, double per_second)
{
	if (per_second >= 1e6)
		snprintf(buf, cap, "%.2fM", per_second / 1e6);
	else if (per_second >= 1e3)
		snprintf(buf, cap, "%.1fk", per_second / 1e3);
	else
		snprintf(buf, cap, "%.0f", per_second);
	return buf;
}

static void print_primitive(const char *name, double ns)
{
	char rate[32];

	printf("  %-34s %10s/s %10.3f us\n", name,
		fmt_rate(rate, sizeof(rate), 1e9 / ns), ns / 1e3);
}

/* ---- hashes -------------------------------------------------------- */

static void op_node(struct bench_ctx *b, void *arg, uint64_t iters)
{
	uint8_t left[MLOG_HASH_BYTES], right[MLOG_HASH_BYTES];

	(void)arg;
	memset(left, 0x11, sizeof(left));
	memset(right, 0x22, sizeof(right));
	/* Chained: each output is the next left input. */
	for (uint64_t i = 0; i < iters; i++)
		mlog_hash_node(b->h, left, left, right);
	sink_hash(b, left);
}

struct leaf_arg {
	uint8_t data[1024];
	size_t len;
};

static void op_leaf(struct bench_ctx *b, void *arg, uint64_t iters)
{
	struct leaf_arg *a = arg;
	uint8_t out[MLOG_HASH_BYTES];

	for (uint64_t i = 0; i < iters; i++) {
		mlog_hash_leaf(b->h, out, a->data, a->len);
		memcpy(a->data, out, 8);
	}
	sink_hash(b, out);
}

/*
 * One node hash, after WARM_UP_SECONDS of hashing: the first figure of a
 * cold process otherwise reads up to 40% slow while the CPU clock settles.
 */
static double node_ns(struct bench_ctx *b)
{
	double t0 = now_seconds();

	while (now_seconds() - t0 < WARM_UP_SECONDS)
		op_node(b, NULL, 1000);
	return bench_time(b, op_node, NULL);
}

static void bench_hash(struct bench_ctx *b)
{
	struct leaf_arg leaf;

	print_primitive("SHA-256 node hash (65 B)", node_ns(b));
	memset(leaf.data, 'e', sizeof(leaf.data));
	leaf.len = 64;
	print_primitive("leaf hash, 64 B entry", bench_time(b, op_leaf,
		&leaf));
	leaf.len = sizeof(leaf.data);
	print_primitive("leaf hash, 1 KiB entry", bench_time(b, op_leaf,
		&leaf));
}

/* ---- signatures ---------------------------------------------------- */

struct sig_arg {
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sig[crypto_sign_BYTES];
	const uint8_t *msg;
	size_t len;
};

static void op_ed25519(struct bench_ctx *b, void *arg, uint64_t iters)
{
	struct sig_arg *a = arg;

	for (uint64_t i = 0; i < iters; i++) {
		int rc = crypto_sign_verify_detached(a->sig, a->msg, a->len,
			a->pk);

		if (rc != 0)
			die("Ed25519 signature did not verify");
		b->sink ^= (uint8_t)i;
	}
	b->checks += iters;
}

static void bench_ed25519(struct bench_ctx *b)
{
	/* A checkpoint body: origin, size, root (tlog-checkpoint). */
	static const char body[] = "example.com/mlog\n10000000\n"
		"uX8yF5dG0aB3t0Ya8bHyYkYBnFw6Q3V5q5mS0aT2c7Q=\n";
	uint8_t seed[crypto_sign_SEEDBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	struct sig_arg a;
	char name[64];

	memset(seed, 0x42, sizeof(seed));
	crypto_sign_seed_keypair(a.pk, sk, seed);
	a.msg = (const uint8_t *)body;
	a.len = sizeof(body) - 1;
	crypto_sign_detached(a.sig, NULL, a.msg, a.len, sk);
	sodium_memzero(sk, sizeof(sk));
	snprintf(name, sizeof(name), "Ed25519 verify, %zu B checkpoint",
		a.len);
	print_primitive(name, bench_time(b, op_ed25519, &a));
}

/* ---- signed notes and DSSE (merkle/note.c, merkle/dsse.c) ----------- */

struct note_arg {
	struct mlog_note *note;
	struct mlog_note_verifier keys[3];   /* log + 2 witnesses */
	size_t nkeys;
};

static void op_note(struct bench_ctx *b, void *arg, uint64_t iters)
{
	struct note_arg *a = arg;

	for (uint64_t i = 0; i < iters; i++) {
		if (mlog_note_verify(a->note, a->keys, a->nkeys, NULL, NULL)
			!= MLOG_OK)
			die("note did not verify");
		b->sink ^= (uint8_t)i;
	}
	b->checks += iters;
}

/* A checkpoint signed by the log and cosigned by two witnesses: the
 * parse is done once, so this times mlog_note_verify (three Ed25519
 * verifications and the cosignature messages). */
static void bench_note(struct bench_ctx *b)
{
	static const char text[] = "example.com/mlog\n10000000\n"
		"uX8yF5dG0aB3t0Ya8bHyYkYBnFw6Q3V5q5mS0aT2c7Q=\n";
	struct mlog_note_signer s[3];
	struct note_arg a;
	uint8_t seed[32];
	char *note = NULL, name[96];
	size_t len = 0;

	memset(&a, 0, sizeof(a));
	for (int i = 0; i < 3; i++) {
		memset(seed, 0x10 + i, sizeof(seed));
		check(mlog_note_signer_from_seed(&s[i], i == 0
			? "example.com/mlog" : i == 1 ? "w1.example"
			: "w2.example", i == 0 ? MLOG_NOTE_TYPE_ED25519
			: MLOG_NOTE_TYPE_COSIG_V1, seed), "note key");
		mlog_note_signer_verifier(&a.keys[i], &s[i]);
	}
	a.nkeys = 3;
	check(mlog_note_sign(&note, &len, text, sizeof(text) - 1, s, 3,
		1764000000, NULL), "signing the note");
	check(mlog_note_parse(&a.note, note, len, NULL), "parsing the note");
	snprintf(name, sizeof(name), "note verify, log + 2 cosigs");
	print_primitive(name, bench_time(b, op_note, &a));
	a.nkeys = 1;
	print_primitive("note verify, log sig only",
		bench_time(b, op_note, &a));
	mlog_note_free(a.note);
	free(note);
	for (int i = 0; i < 3; i++)
		mlog_note_signer_clear(&s[i]);
}

struct dsse_arg {
	struct mlog_dsse_envelope *env;
	const struct mlog_dsse_key *key;
};

static void op_dsse(struct bench_ctx *b, void *arg, uint64_t iters)
{
	struct dsse_arg *a = arg;

	for (uint64_t i = 0; i < iters; i++) {
		if (mlog_dsse_verify(a->env, &a->key, 1, NULL, NULL)
			!= MLOG_OK)
			die("DSSE envelope did not verify");
		b->sink ^= (uint8_t)i;
	}
	b->checks += iters;
}

/* DSSE over a 1 KiB payload, as an mlog entry's, with each algorithm. */
static void bench_dsse(struct bench_ctx *b)
{
	static const int algs[] = { MLOG_DSSE_ALG_ED25519,
		MLOG_DSSE_ALG_ECDSA_P256 };
	uint8_t payload[1024];

	memset(payload, 'x', sizeof(payload));
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		struct mlog_dsse_key *k = NULL;
		struct dsse_arg a = { NULL, NULL };

		check(mlog_dsse_key_generate(&k, algs[i], NULL), "DSSE key");
		a.key = k;
		check(mlog_dsse_sign(&a.env, MLOG_DSSE_TYPE_INTOTO, payload,
			sizeof(payload), &a.key, 1, NULL), "DSSE signing");
		print_primitive(algs[i] == MLOG_DSSE_ALG_ED25519
			? "DSSE verify, Ed25519, 1 KiB"
			: "DSSE verify, P-256, 1 KiB",
			bench_time(b, op_dsse, &a));
		mlog_dsse_free(a.env);
		mlog_dsse_key_free(k);
	}
}

/* ---- the in-memory hash store -------------------------------------- */

/*
 * Stored hashes of one growing tree: hash[i] is the hash with stored-hash
 * index i. count == mlog_tree_stored_count(size) between appends.
 */
struct store {
	uint8_t (*hash)[MLOG_HASH_BYTES];
	uint64_t cap;       /* entries allocated */
	uint64_t count;     /* entries valid */
	uint64_t size;      /* leaves */
};

static int store_read(void *ctx, const uint64_t *idx, size_t n,
	uint8_t (*out)[MLOG_HASH_BYTES])
{
	const struct store *s = ctx;

	for (size_t i = 0; i < n; i++) {
		if (idx[i] >= s->count)
			return MLOG_ERR_NOTFOUND;
		memcpy(out[i], s->hash[idx[i]], MLOG_HASH_BYTES);
	}
	return MLOG_OK;
}

static void store_append(struct bench_ctx *b, struct store *s,
	const uint8_t leaf[MLOG_HASH_BYTES])
{
	const struct mlog_hash_reader r = { store_read, s };
	uint8_t out[MLOG_TREE_MAX_APPEND][MLOG_HASH_BYTES];
	size_t n;

	check(mlog_tree_append(b->h, out, &n, s->size, leaf, &r), "append");
	if (s->count + n > s->cap)
		die("store overflow (bad math)");
	memcpy(s->hash[s->count], out, n * MLOG_HASH_BYTES);
	s->count += n;
	s->size++;
}

/* Drops every leaf from size on (the hashes stay, to be overwritten). */
static void store_rewind(struct store *s, uint64_t size)
{
	s->size = size;
	s->count = mlog_tree_stored_count(size);
}

/* The leaf hash of leaf i: SHA-256(0x00 || be64(i) || 56 bytes 'e'). */
static void leaf_for(struct bench_ctx *b, uint8_t out[MLOG_HASH_BYTES],
	uint64_t i)
{
	uint8_t data[64];

	memset(data, 'e', sizeof(data));
	mlog_codec_be64_put(data, i);
	mlog_hash_leaf(b->h, out, data, sizeof(data));
}

static void store_grow(struct bench_ctx *b, struct store *s, uint64_t size)
{
	uint8_t leaf[MLOG_HASH_BYTES];

	while (s->size < size) {
		leaf_for(b, leaf, s->size);
		store_append(b, s, leaf);
	}
}

/* ---- appends ------------------------------------------------------- */

struct append_arg {
	struct store *s;
	uint64_t base;      /* tree size the rounds start from */
	uint8_t leaf[APPEND_BATCH][MLOG_HASH_BYTES];
};

static void op_append(struct bench_ctx *b, void *arg, uint64_t iters)
{
	struct append_arg *a = arg;

	for (uint64_t i = 0; i < iters; i++) {
		if (a->s->size == a->base + APPEND_BATCH)
			store_rewind(a->s, a->base);
		store_append(b, a->s, a->leaf[a->s->size - a->base]);
	}
	sink_hash(b, a->s->hash[a->s->count - 1]);
	store_rewind(a->s, a->base);
}

/* ---- proofs -------------------------------------------------------- */

/*
 * POOL proofs at one tree size: inclusion of a random leaf, or consistency
 * from a random older size. Generated once untimed, then verified in turn.
 */
struct proof_pool {
	struct store *s;
	uint64_t size;
	uint8_t root[MLOG_HASH_BYTES];
	uint64_t arg[POOL];                 /* leaf index or old size */
	uint8_t known[POOL][MLOG_HASH_BYTES];  /* leaf hash or old root */
	uint8_t proof[POOL][MLOG_PROOF_MAX][MLOG_HASH_BYTES];
	size_t len[POOL];
};

static double pool_avg_len(const struct proof_pool *p)
{
	double sum = 0;

	for (int i = 0; i < POOL; i++)
		sum += (double)p->len[i];
	return sum / POOL;
}

static void op_prove_incl(struct bench_ctx *b, void *arg, uint64_t iters)
{
	struct proof_pool *p = arg;
	const struct mlog_hash_reader r = { store_read, p->s };
	uint8_t proof[MLOG_PROOF_MAX][MLOG_HASH_BYTES];
	size_t len;

	for (uint64_t i = 0; i < iters; i++) {
		check(mlog_proof_prove_inclusion(b->h, proof, &len,
			p->arg[i % POOL], p->size, &r), "prove inclusion");
		b->sink ^= proof[0][i % MLOG_HASH_BYTES];
	}
}

static void op_verify_incl(struct bench_ctx *b, void *arg, uint64_t iters)
{
	struct proof_pool *p = arg;

	for (uint64_t i = 0; i < iters; i++) {
		int k = (int)(i % POOL);

		check(mlog_proof_verify_inclusion(b->h, p->arg[k], p->size,
			p->known[k], (const uint8_t (*)[MLOG_HASH_BYTES])
			p->proof[k], p->len[k], p->root), "verify inclusion");
		b->sink ^= (uint8_t)k;
	}
	b->checks += iters;
}

static void op_prove_cons(struct bench_ctx *b, void *arg, uint64_t iters)
{
	struct proof_pool *p = arg;
	const struct mlog_hash_reader r = { store_read, p->s };
	uint8_t proof[MLOG_PROOF_MAX][MLOG_HASH_BYTES];
	size_t len;

	for (uint64_t i = 0; i < iters; i++) {
		check(mlog_proof_prove_consistency(b->h, proof, &len,
			p->arg[i % POOL], p->size, &r), "prove consistency");
		if (len > 0)
			b->sink ^= proof[0][i % MLOG_HASH_BYTES];
	}
}

static void op_verify_cons(struct bench_ctx *b, void *arg, uint64_t iters)
{
	struct proof_pool *p = arg;

	for (uint64_t i = 0; i < iters; i++) {
		int k = (int)(i % POOL);

		check(mlog_proof_verify_consistency(b->h, p->arg[k], p->size,
			p->known[k], p->root, (const uint8_t (*)
			[MLOG_HASH_BYTES])p->proof[k], p->len[k]),
			"verify consistency");
		b->sink ^= (uint8_t)k;
	}
	b->checks += iters;
}

/*
 * Flips one bit of each proof (or of the known hash when the proof is
 * empty) and requires MLOG_ERR_VERIFY, then restores it: a benchmark of a
 * verifier that accepts anything would be worthless.
 */
static void pool_tamper(struct bench_ctx *b, struct proof_pool *p,
	int consistency)
{
	for (int k = 0; k < POOL; k++) {
		const uint8_t (*proof)[MLOG_HASH_BYTES] =
			(const uint8_t (*)[MLOG_HASH_BYTES])p->proof[k];
		uint8_t *victim;
		int rc;

		victim = p->len[k] > 0 ? p->proof[k][k % p->len[k]] :
			p->known[k];
		victim[k % MLOG_HASH_BYTES] ^= (uint8_t)(1u << (k % 8));
		if (consistency)
			rc = mlog_proof_verify_consistency(b->h, p->arg[k],
				p->size, p->known[k], p->root, proof,
				p->len[k]);
		else
			rc = mlog_proof_verify_inclusion(b->h, p->arg[k],
				p->size, p->known[k], proof, p->len[k],
				p->root);
		victim[k % MLOG_HASH_BYTES] ^= (uint8_t)(1u << (k % 8));
		if (rc != MLOG_ERR_VERIFY)
			die("a tampered proof was not rejected");
		b->checks++;
	}
}

static void pool_fill(struct bench_ctx *b, struct proof_pool *p,
	int consistency)
{
	const struct mlog_hash_reader r = { store_read, p->s };

	check(mlog_tree_root(b->h, p->root, p->size, &r), "root");
	for (int k = 0; k < POOL; k++) {
		if (consistency) {
			p->arg[k] = 1 + rng_below(b, p->size);
			check(mlog_tree_root(b->h, p->known[k], p->arg[k], &r),
				"old root");
			check(mlog_proof_prove_consistency(b->h, p->proof[k],
				&p->len[k], p->arg[k], p->size, &r),
				"prove consistency");
		} else {
			p->arg[k] = rng_below(b, p->size);
			memcpy(p->known[k], p->s->hash[mlog_tree_stored_index(
				0, p->arg[k])], MLOG_HASH_BYTES);
			check(mlog_proof_prove_inclusion(b->h, p->proof[k],
				&p->len[k], p->arg[k], p->size, &r),
				"prove inclusion");
		}
	}
}

/*
 * One table row: proofs/s generated and verified, average length, the
 * floor (node_ns, measured alongside the verification, x length) and
 * verify time / floor.
 */
static void print_proofs(const char *lead, const char *kind,
	double prove_ns, double verify_ns, double node_ns, double len)
{
	char pr[32], vr[32];
	double floor_ns = node_ns * len;

	printf("%s  %-11s %9s %9s %7.1f %9.2f %7.2f\n", lead, kind,
		fmt_rate(pr, sizeof(pr), 1e9 / prove_ns),
		fmt_rate(vr, sizeof(vr), 1e9 / verify_ns), len,
		floor_ns / 1e3, verify_ns / floor_ns);
}

static void bench_size(struct bench_ctx *b, struct store *s,
	struct proof_pool *p, struct append_arg *app)
{
	char lead[64], rate[32];
	double append_ns, prove_ns, verify_ns, node;

	app->s = s;
	app->base = s->size;
	for (uint64_t i = 0; i < APPEND_BATCH; i++)
		leaf_for(b, app->leaf[i], s->size + i);
	append_ns = bench_time(b, op_append, app);

	p->s = s;
	p->size = s->size;
	pool_fill(b, p, 0);
	pool_tamper(b, p, 0);
	prove_ns = bench_time(b, op_prove_incl, p);
	verify_ns = bench_vs_node(b, op_verify_incl, p, &node);
	snprintf(lead, sizeof(lead), "%10llu %9s",
		(unsigned long long)s->size,
		fmt_rate(rate, sizeof(rate), 1e9 / append_ns));
	print_proofs(lead, "inclusion", prove_ns, verify_ns, node,
		pool_avg_len(p));

	pool_fill(b, p, 1);
	pool_tamper(b, p, 1);
	prove_ns = bench_time(b, op_prove_cons, p);
	verify_ns = bench_vs_node(b, op_verify_cons, p, &node);
	snprintf(lead, sizeof(lead), "%20s", "");
	print_proofs(lead, "consistency", prove_ns, verify_ns, node,
		pool_avg_len(p));
	fflush(stdout);
}

/* RFC 9162 MTH(D[lo:hi]) by the definition's recursion straight from the
 * leaves: an independent check of the incremental store. */
static void mth(struct bench_ctx *b, uint8_t out[MLOG_HASH_BYTES],
	uint64_t lo, uint64_t hi)
{
	uint8_t left[MLOG_HASH_BYTES], right[MLOG_HASH_BYTES];
	uint64_t k = 1;

	if (hi - lo == 1) {
		leaf_for(b, out, lo);
		return;
	}
	while (k * 2 < hi - lo)
		k *= 2;
	mth(b, left, lo, lo + k);
	mth(b, right, lo + k, hi);
	mlog_hash_node(b->h, out, left, right);
}

static void check_root(struct bench_ctx *b, struct store *s)
{
	const struct mlog_hash_reader r = { store_read, s };
	uint8_t got[MLOG_HASH_BYTES], want[MLOG_HASH_BYTES];

	check(mlog_tree_root(b->h, got, s->size, &r), "root");
	mth(b, want, 0, s->size);
	if (memcmp(got, want, MLOG_HASH_BYTES) != 0)
		die("root from the store differs from the RFC recursion");
	b->checks++;
}

static void bench_tree(struct bench_ctx *b)
{
	struct store s;
	struct proof_pool *p;
	struct append_arg *app;
	uint8_t root[MLOG_HASH_BYTES];
	char hex[2 * MLOG_HASH_BYTES + 1];
	const struct mlog_hash_reader r = { store_read, &s };

	memset(&s, 0, sizeof(s));
	s.cap = mlog_tree_stored_count(b->max_size + APPEND_BATCH);
	s.hash = malloc(s.cap * MLOG_HASH_BYTES);
	p = malloc(sizeof(*p));
	app = malloc(sizeof(*app));
	if (s.hash == NULL || p == NULL || app == NULL)
		die("out of memory for the hash store");

	printf("  floor = node hash time x proof length; x floor = verify "
		"time / floor\n\n");
	printf("%10s %9s  %-11s %9s %9s %7s %9s %7s\n", "tree size",
		"append/s", "proof", "prove/s", "verify/s", "length",
		"floor us", "x floor");
	fflush(stdout);
	for (uint64_t size = TREE_MIN; size <= b->max_size; size *= 10) {
		store_grow(b, &s, size);
		if (size == TREE_MIN)
			check_root(b, &s);
		bench_size(b, &s, p, app);
	}
	check(mlog_tree_root(b->h, root, s.size, &r), "root");
	mlog_codec_hex_encode(hex, root, sizeof(root));
	printf("\n  root of the %llu-leaf tree: %s\n",
		(unsigned long long)s.size, hex);
	free(app);
	free(p);
	free(s.hash);
}

/* ---- the table of benchmarks --------------------------------------- */

struct bench {
	const char *title;
	void (*run)(struct bench_ctx *b);
};

static const struct bench benches[] = {
	{ "hashing (merkle/hash.c, OpenSSL SHA-256)", bench_hash },
	{ "signature floor (libsodium)", bench_ed25519 },
	{ "signed notes (merkle/note.c)", bench_note },
	{ "DSSE envelopes (merkle/dsse.c: Ed25519 by libsodium, P-256 by "
	  "OpenSSL EVP)", bench_dsse },
	{ "tree and proofs (merkle/tree.c, merkle/proof.c)", bench_tree },
};

/* ---- main ---------------------------------------------------------- */

static void print_machine(void)
{
	char line[256], model[256] = "unknown";
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			char *colon = strchr(line, ':');

			if (strncmp(line, "model name", 10) != 0 ||
			    colon == NULL)
				continue;
			snprintf(model, sizeof(model), "%s", colon + 2);
			model[strcspn(model, "\n")] = '\0';
			break;
		}
		fclose(f);
	}
	printf("machine: %ld cores, %s; %s; libsodium %s\n",
		sysconf(_SC_NPROCESSORS_ONLN), model,
		OpenSSL_version(OPENSSL_VERSION), sodium_version_string());
	/* Other work on the cores makes every figure low and noisy. */
	f = fopen("/proc/loadavg", "r");
	if (f != NULL) {
		double load;

		if (fscanf(f, "%lf", &load) == 1 && load >= 0.5)
			printf("warning: load average %.2f before the run; "
				"other processes compete for the cores\n",
				load);
		fclose(f);
	}
}

/* Prints the usage: for --help (error NULL) to stdout and exits 0,
 * otherwise after the error to stderr and exits 2. */
static void usage(const char *error)
{
	FILE *out = error == NULL ? stdout : stderr;

	if (error != NULL)
		fprintf(stderr, "bench_merkle: %s\n", error);
	fprintf(out, "usage: bench_merkle [--quick] [--max-size N]\n"
		"  --quick       stop at 10^5 leaves (the default is 10^7)\n"
		"  --max-size N  stop at the largest power of ten <= N "
		"(>= 1000)\n");
	exit(error == NULL ? 0 : 2);
}

int main(int argc, char **argv)
{
	struct bench_ctx b;
	double t0 = now_seconds();

	memset(&b, 0, sizeof(b));
	b.max_size = TREE_MAX_FULL;
	b.rng = SEED;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			b.max_size = TREE_MAX_QUICK;
		} else if (strcmp(argv[i], "--max-size") == 0 &&
		    i + 1 < argc) {
			i++;
			if (mlog_codec_decimal_parse(&b.max_size, argv[i],
			    strlen(argv[i])) != MLOG_OK ||
			    b.max_size < TREE_MIN ||
			    b.max_size > MLOG_TREE_MAX_SIZE / 2)
				usage("--max-size: not a number from 1000 "
					"to 2^61");
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(NULL);
		} else {
			usage("unknown argument");
		}
	}
	if (sodium_init() < 0)
		die("sodium_init failed");
	b.h = mlog_hash_new();
	if (b.h == NULL)
		die("no SHA-256 from OpenSSL");

	print_machine();
	printf("each figure: fastest of %d runs, >= %.1f s in all; "
		"us = microseconds\n", ROUNDS, MIN_SECONDS);
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		printf("\n%s\n", benches[i].title);
		fflush(stdout);
		benches[i].run(&b);
	}
	printf("\n%lu verifications and tamper checks passed; checksum %02x; "
		"%.1f s\n", b.checks, b.sink, now_seconds() - t0);
	mlog_hash_free(b.h);
	return 0;
}
