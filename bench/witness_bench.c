/*
 * witness_bench.c — add-checkpoint throughput of a running mlog-witness
 * with durable state (not a test).
 *
 * Each client is its own synthetic log: an Ed25519 key derived from
 * (seed, client), leaves derived from (seed, client, index), a tree held
 * in memory. Before the clock starts, every client learns the witness's
 * size for its log (old 0 -> 200 or 409), then signs all its checkpoints
 * and builds every request body with a real consistency proof. Then all
 * clients post at once, each over one keep-alive connection, each
 * request waiting for the previous answer (a log's next old is the size
 * the witness just co-signed). The witness decides and commits every
 * request durably; the rate limit must be off (--rate 0).
 *
 *   witness_bench logs [--clients N] [--seed S]
 *       prints "log = <vkey>" for each client's log, for
 *       DIR/mlog-witness.conf
 *   witness_bench run --url URL [--clients N] [--requests M] [--step K]
 *                     [--seed S] [--witness VKEY]
 *       runs M requests per client, each growing the log by K leaves,
 *       and prints requests/s, statuses and latency percentiles; with
 *       --witness, every client's last cosignature is verified.
 *
 * Example:
 *   mlog-witness init --data /tmp/w --name bench.witness
 *   witness_bench logs --clients 64 >> /tmp/w/mlog-witness.conf
 *   mlog-witness serve --data /tmp/w --listen 127.0.0.1:8081 --rate 0 &
 *   witness_bench run --url http://127.0.0.1:8081 --clients 64
 */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "checkpoint.h"
#include "hash.h"
#include "note.h"
#include "proof.h"
#include "tree.h"
#include "witness_req.h"

struct opts {
	const char *url;
	const char *witness;
	unsigned clients;
	unsigned requests;
	unsigned step;
	uint64_t seed;
};

/* A synthetic log: key, and every stored hash of its tree. */
struct memlog {
	struct mlog_note_signer key;
	struct mlog_hash *h;
	uint8_t (*stored)[MLOG_HASH_BYTES];
	uint64_t nstored, cap;
	uint64_t size;
	struct mlog_hash_reader reader;
};

struct client {
	const struct opts *o;
	unsigned id;
	pthread_barrier_t *go;
	struct memlog log;
	char **bodies;
	size_t *lens;
	long *status;
	double *latency;
	char *last_resp;            /* the last 200 body */
	char *last_body;            /* ... and its request */
	size_t last_len;
	int setup_failed;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what)
{
	fprintf(stderr, "witness_bench: %s\n", what);
	exit(2);
}

/* ---- the synthetic log ---------------------------------------------------- */

static int mem_read(void *ctx, const uint64_t *idx, size_t n,
	uint8_t (*out)[MLOG_HASH_BYTES])
{
	struct memlog *l = ctx;

	for (size_t i = 0; i < n; i++) {
		if (idx[i] >= l->nstored)
			return MLOG_ERR_NOTFOUND;
		memcpy(out[i], l->stored[idx[i]], MLOG_HASH_BYTES);
	}
	return MLOG_OK;
}

static void memlog_init(struct memlog *l, uint64_t seed, unsigned id)
{
	uint8_t sd[32];
	char name[96];

	memset(l, 0, sizeof(*l));
	memset(sd, 0, sizeof(sd));
	memcpy(sd, &seed, sizeof(seed));
	memcpy(sd + 8, &id, sizeof(id));
	snprintf(name, sizeof(name), "bench.example/%" PRIu64 "/%u", seed,
		id);
	if (mlog_note_signer_from_seed(&l->key, name, MLOG_NOTE_TYPE_ED25519,
		sd) != MLOG_OK)
		fail("can't derive a log key");
	l->h = mlog_hash_new();
	if (l->h == NULL)
		fail("out of memory");
	l->reader.read = mem_read;
	l->reader.ctx = l;
}

static void memlog_grow(struct memlog *l, uint64_t seed, unsigned id,
	uint64_t size)
{
	while (l->size < size) {
		uint8_t add[MLOG_TREE_MAX_APPEND][MLOG_HASH_BYTES];
		uint8_t leaf[MLOG_HASH_BYTES];
		char data[96];
		size_t nadd = 0;
		int n = snprintf(data, sizeof(data), "bench-%" PRIu64 "-%u-%"
			PRIu64, seed, id, l->size);

		if (l->nstored + MLOG_TREE_MAX_APPEND > l->cap) {
			l->cap = l->cap ? 2 * l->cap : 4096;
			l->stored = realloc(l->stored, l->cap *
				MLOG_HASH_BYTES);
			if (l->stored == NULL)
				fail("out of memory");
		}
		mlog_hash_leaf(l->h, leaf, data, (size_t)n);
		if (mlog_tree_append(l->h, add, &nadd, l->size, leaf,
			&l->reader) != MLOG_OK)
			fail("tree append failed");
		memcpy(l->stored[l->nstored], add, nadd * MLOG_HASH_BYTES);
		l->nstored += nadd;
		l->size++;
	}
}

/* The body old -> size (the tree holds at least size leaves). */
static char *memlog_body(struct memlog *l, uint64_t old, uint64_t size,
	size_t *len)
{
	uint8_t proof[MLOG_PROOF_MAX][MLOG_HASH_BYTES];
	struct mlog_checkpoint c;
	struct mlog_error err = { 0, "" };
	char *note = NULL, *body = NULL;
	size_t note_len = 0, n = 0;

	mlog_checkpoint_init(&c);
	c.origin = l->key.name;
	c.size = size;
	if (mlog_tree_root(l->h, c.root, size, &l->reader) != MLOG_OK ||
	    (old > 0 && old < size &&
	     mlog_proof_prove_consistency(l->h, proof, &n, old, size,
		&l->reader) != MLOG_OK))
		fail("can't prove the synthetic log");
	if (mlog_checkpoint_sign(&note, &note_len, &c, &l->key, 1, &err) !=
		MLOG_OK ||
	    mlog_witness_req_format(&body, len, old,
		(const uint8_t (*)[MLOG_HASH_BYTES])proof, n, note, note_len,
		&err) != MLOG_OK)
		fail(err.msg);
	free(note);
	return body;
}

static void memlog_clear(struct memlog *l)
{
	mlog_note_signer_clear(&l->key);
	mlog_hash_free(l->h);
	free(l->stored);
}

/* ---- HTTP ----------------------------------------------------------------- */

struct resp {
	char buf[4096];
	size_t len;
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct resp *r = ctx;
	size_t take = size * n;

	if (take > sizeof(r->buf) - 1 - r->len)
		take = sizeof(r->buf) - 1 - r->len;
	memcpy(r->buf + r->len, p, take);
	r->len += take;
	r->buf[r->len] = '\0';
	return size * n;
}

static long post(CURL *c, const char *body, size_t len, struct resp *r)
{
	long status = -1;

	r->len = 0;
	r->buf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

static CURL *handle(const struct opts *o, struct resp *r,
	struct curl_slist *hdrs)
{
	char url[512];
	CURL *c = curl_easy_init();

	if (c == NULL)
		fail("curl_easy_init failed");
	snprintf(url, sizeof(url), "%s/add-checkpoint", o->url);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	return c;
}

/* ---- a client ------------------------------------------------------------- */

static void *client_main(void *arg)
{
	struct client *cl = arg;
	const struct opts *o = cl->o;
	struct curl_slist *hdrs = curl_slist_append(NULL, "Expect:");
	struct resp r;
	CURL *c = handle(o, &r, hdrs);
	uint64_t cur;
	char *body;
	size_t len;
	long st;

	/* Learn the witness's size for this log: a fresh log is co-signed
	 * at 1 (trust on first use), a known one answers 409 with its
	 * size. */
	memlog_grow(&cl->log, o->seed, cl->id, 1);
	body = memlog_body(&cl->log, 0, 1, &len);
	st = post(c, body, len, &r);
	free(body);
	if (st == 200) {
		cur = 1;
	} else if (st == 409) {
		cur = strtoull(r.buf, NULL, 10);
	} else {
		fprintf(stderr, "witness_bench: client %u: probe answered "
			"%ld: %s (is the log configured, --rate 0?)\n", cl->id,
			st, r.buf);
		cl->setup_failed = 1;
		cur = 1;
	}
	memlog_grow(&cl->log, o->seed, cl->id, cur + (uint64_t)o->requests *
		o->step);
	for (unsigned i = 0; i < o->requests; i++) {
		cl->bodies[i] = memlog_body(&cl->log, cur, cur + o->step,
			&cl->lens[i]);
		cur += o->step;
	}
	pthread_barrier_wait(cl->go);
	for (unsigned i = 0; i < o->requests && !cl->setup_failed; i++) {
		double t0 = now_s();

		cl->status[i] = post(c, cl->bodies[i], cl->lens[i], &r);
		cl->latency[i] = now_s() - t0;
		if (cl->status[i] == 200) {
			free(cl->last_resp);
			cl->last_resp = strdup(r.buf);
			cl->last_body = cl->bodies[i];
			cl->last_len = cl->lens[i];
		}
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Verifies a client's last cosignature with the witness key. */
static int check_last(const struct client *cl,
	const struct mlog_note_verifier *w)
{
	struct mlog_witness_req q;
	struct mlog_note *n = NULL;
	int rc;

	if (cl->last_resp == NULL)
		return -1;
	if (mlog_witness_req_parse(&q, cl->last_body, cl->last_len, NULL) !=
		MLOG_OK)
		return -1;
	rc = mlog_witness_req_cosigs_parse(&n, q.note->text, q.note->text_len,
		cl->last_resp, strlen(cl->last_resp), NULL);
	if (rc == MLOG_OK)
		rc = mlog_note_verify(n, w, 1, NULL, NULL);
	mlog_note_free(n);
	mlog_witness_req_clear(&q);
	return rc;
}

static int cmd_run(const struct opts *o)
{
	struct client *cls = calloc(o->clients, sizeof(*cls));
	pthread_t *th = calloc(o->clients, sizeof(*th));
	size_t total = (size_t)o->clients * o->requests, n = 0;
	double *lat = calloc(total, sizeof(*lat)), t0, secs;
	size_t ok = 0, conflicts = 0, other = 0, bad_cosig = 0;
	struct mlog_note_verifier wk, wk04;
	pthread_barrier_t go;

	if (cls == NULL || th == NULL || lat == NULL)
		fail("out of memory");
	if (o->witness != NULL) {
		if (mlog_note_verifier_parse(&wk, o->witness,
			strlen(o->witness), NULL) != MLOG_OK)
			fail("--witness: not a vkey");
		mlog_note_verifier_as_cosigner(&wk04, &wk);
	}
	pthread_barrier_init(&go, NULL, o->clients + 1);
	for (unsigned i = 0; i < o->clients; i++) {
		struct client *cl = &cls[i];

		cl->o = o;
		cl->id = i;
		cl->go = &go;
		memlog_init(&cl->log, o->seed, i);
		cl->bodies = calloc(o->requests, sizeof(*cl->bodies));
		cl->lens = calloc(o->requests, sizeof(*cl->lens));
		cl->status = calloc(o->requests, sizeof(*cl->status));
		cl->latency = calloc(o->requests, sizeof(*cl->latency));
		if (cl->bodies == NULL || cl->lens == NULL ||
		    cl->status == NULL || cl->latency == NULL)
			fail("out of memory");
		if (pthread_create(&th[i], NULL, client_main, cl) != 0)
			fail("can't start a client thread");
	}
	pthread_barrier_wait(&go);
	t0 = now_s();
	for (unsigned i = 0; i < o->clients; i++)
		pthread_join(th[i], NULL);
	secs = now_s() - t0;

	for (unsigned i = 0; i < o->clients; i++) {
		struct client *cl = &cls[i];

		for (unsigned j = 0; j < o->requests; j++) {
			if (cl->setup_failed)
				break;
			ok += cl->status[j] == 200;
			conflicts += cl->status[j] == 409;
			other += cl->status[j] != 200 && cl->status[j] != 409;
			lat[n++] = cl->latency[j];
		}
		if (o->witness != NULL && !cl->setup_failed &&
		    check_last(cl, &wk04) != MLOG_OK)
			bad_cosig++;
	}
	if (n == 0)
		fail("no client could run (see above)");
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("witness_bench: %u clients x %u requests (step %u): %zu "
		"requests in %.2f s: %.0f add-checkpoint/s durable; 200: %zu, "
		"409: %zu, other: %zu; latency ms p50 %.1f p90 %.1f p99 %.1f "
		"max %.1f%s\n", o->clients, o->requests, o->step, n, secs,
		(double)ok / secs, ok, conflicts, other, 1e3 * lat[n / 2],
		1e3 * lat[n * 9 / 10], 1e3 * lat[n * 99 / 100],
		1e3 * lat[n - 1], o->witness == NULL ? "" :
		bad_cosig == 0 ? "; cosignatures verified" :
		"; COSIGNATURES FAILED TO VERIFY");
	for (unsigned i = 0; i < o->clients; i++) {
		struct client *cl = &cls[i];

		for (unsigned j = 0; j < o->requests; j++)
			free(cl->bodies[j]);
		free(cl->bodies);
		free(cl->lens);
		free(cl->status);
		free(cl->latency);
		free(cl->last_resp);
		memlog_clear(&cl->log);
	}
	pthread_barrier_destroy(&go);
	free(cls);
	free(th);
	free(lat);
	return other == 0 && bad_cosig == 0 ? 0 : 1;
}

static int cmd_logs(const struct opts *o)
{
	for (unsigned i = 0; i < o->clients; i++) {
		struct memlog l;
		struct mlog_note_verifier v;
		char vkey[MLOG_NOTE_VKEY_MAX + 1];

		memlog_init(&l, o->seed, i);
		mlog_note_signer_verifier(&v, &l.key);
		if (mlog_note_verifier_format(vkey, sizeof(vkey), &v) < 0)
			fail("can't format a vkey");
		printf("log = %s\n", vkey);
		memlog_clear(&l);
	}
	return 0;
}

static void usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "witness_bench: %s\n", why);
	fputs("usage: witness_bench logs [--clients N] [--seed S]\n"
		"       witness_bench run --url URL [--clients N] "
		"[--requests M] [--step K]\n"
		"             [--seed S] [--witness VKEY]\n",
		why != NULL ? stderr : stdout);
	exit(why != NULL ? 2 : 0);
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "clients", required_argument, NULL, 'c' },
		{ "requests", required_argument, NULL, 'n' },
		{ "step", required_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 's' },
		{ "witness", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { NULL, NULL, 64, 200, 1, 1 };
	const char *cmd;
	int ch, rc;

	if (argc < 2)
		usage("missing command");
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0)
		usage(NULL);
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (ch) {
		case 'u': o.url = optarg; break;
		case 'c': o.clients = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'n': o.requests = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'k': o.step = (unsigned)strtoul(optarg, NULL, 10); break;
		case 's': o.seed = strtoull(optarg, NULL, 10); break;
		case 'w': o.witness = optarg; break;
		case 'h': usage(NULL); break;
		default: usage("unknown flag");
		}
	}
	if (o.clients == 0 || o.clients > 4096 || o.requests == 0 ||
	    o.step == 0 || o.step > 1000000)
		usage("--clients 1..4096, --requests >= 1, --step 1..1000000");
	if (sodium_init() < 0)
		fail("libsodium failed to initialise");
	if (strcmp(cmd, "logs") == 0)
		return cmd_logs(&o);
	if (strcmp(cmd, "run") != 0)
		usage("unknown command");
	if (o.url == NULL)
		usage("run needs --url");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmd_run(&o);
	curl_global_cleanup();
	return rc;
}
