/*
 * loadgen.c — load generator for a running mlogd (issue 3 benchmark; not
 * a test).
 *
 *   loadgen submit --url URL --key SIGNER.pem [--clients 64]
 *                  [--count N] [--seed S] [--threads T] [--server-pid P]
 *       pre-signs N distinct build-manifest envelopes with the key, then
 *       posts them over `clients` keep-alive connections, each with one
 *       request in flight (httpload.h, on T event-loop threads, default
 *       1), and reports accepted entries/s and ack latency
 *       p50/p90/p99/max.
 *   loadgen proofs --url URL [--clients 64] [--count N] [--size S]
 *                  [--threads T] [--server-pid P]
 *       GET /v1/proof/inclusion?index=<random below S> and reports
 *       proofs/s and latency percentiles.
 *   loadgen ed25519
 *       this machine's Ed25519 verifications/s on every core (libsodium),
 *       the ceiling for signature-checked submissions.
 *
 * Every request's status is counted; any non-2xx is reported, so a run
 * that "succeeds" with errors is visible. Each run also prints its own
 * CPU time per request and, with --server-pid, the server's (from
 * /proc/PID/stat around the run).
 */
#include <getopt.h>
#include <pthread.h>
#include <sys/resource.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "codec.h"
#include "dsse.h"
#include "hash.h"
#include "httpload.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double secs, size_t ok,
	const long *statuses, size_t n, double *lat)
{
	size_t bad = 0;

	qsort(lat, n, sizeof(*lat), cmp_double);
	for (size_t i = 0; i < n; i++)
		bad += statuses[i] < 200 || statuses[i] >= 300;
	printf("%s: %zu requests in %.2f s: %.0f ok/s; latency ms p50 %.1f "
		"p90 %.1f p99 %.1f max %.1f; non-2xx %zu\n", what, n, secs,
		(double)ok / secs, 1e3 * lat[n / 2], 1e3 * lat[n * 9 / 10],
		1e3 * lat[n * 99 / 100], 1e3 * lat[n - 1], bad);
}

static char *build_statement(uint64_t seed, struct mlog_hash *h)
{
	uint8_t d[32];
	char mre[65], sub[65], com[41];
	char in[64], *json;
	int n = snprintf(in, sizeof(in), "loadgen-%llu",
		(unsigned long long)seed);

	mlog_hash_sha256(h, d, in, (size_t)n);
	mlog_codec_hex_encode(mre, d, 32);
	mlog_hash_sha256(h, d, d, 32);
	mlog_codec_hex_encode(sub, d, 32);
	mlog_codec_hex_encode(com, d, 20);
	if (asprintf(&json,
		"{\"_type\":\"https://in-toto.io/Statement/v1\","
		"\"subject\":[{\"name\":\"enclave.signed.so\","
		"\"digest\":{\"sha256\":\"%s\"}}],"
		"\"predicateType\":\"urn:mlog:build-manifest:v1\","
		"\"predicate\":{\"build\":{\"id\":\"load-%llu\","
		"\"source\":{\"uri\":\"git+https://example.com/e.git\","
		"\"commit\":\"%s\"},\"builder\":\"loadgen\","
		"\"toolchain\":[{\"name\":\"gcc\",\"version\":\"12.2.0\","
		"\"digest\":{\"sha256\":\"%s\"}}]},"
		"\"measurements\":[{\"tee\":\"sgx\",\"mrenclave\":\"%s\","
		"\"mrsigner\":\"%s\",\"isvprodid\":1,\"isvsvn\":1,"
		"\"attributes\":\"04000000000000000300000000000000\","
		"\"miscselect\":\"00000000\",\"debug\":false}],\"sbom\":[]}}",
		sub, (unsigned long long)seed, com, sub, mre, mre) < 0)
		return NULL;
	return json;
}

struct presign {
	const struct mlog_dsse_key *key;
	char **bodies;
	size_t *lens;
	size_t from, to;
	uint64_t seed;
};

static void *presign_range(void *arg)
{
	struct presign *p = arg;
	struct mlog_hash *h = mlog_hash_new();

	for (size_t i = p->from; i < p->to; i++) {
		char *st = build_statement(p->seed + i, h);
		struct mlog_dsse_envelope *env = NULL;

		if (st == NULL || mlog_dsse_sign(&env, MLOG_DSSE_TYPE_INTOTO,
			(const uint8_t *)st, strlen(st), &p->key, 1, NULL)
			!= MLOG_OK || mlog_dsse_format(&p->bodies[i],
			&p->lens[i], env, NULL) != MLOG_OK) {
			fprintf(stderr, "loadgen: signing failed\n");
			exit(2);
		}
		mlog_dsse_free(env);
		free(st);
	}
	mlog_hash_free(h);
	return NULL;
}

/* Sends count requests over `clients` connections and reports. */
/* CPU seconds (user + system) used so far by process pid (0: this one),
 * or -1 if /proc does not say. */
static double cpu_seconds(long pid)
{
	char path[64];
	unsigned long long ut = 0, st = 0;
	FILE *f;
	int got;

	if (pid == 0) {
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
			(double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	}
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	/* Fields 14 and 15 (utime, stime) follow ") state ppid ...". */
	got = fscanf(f, "%*d (%*[^)]) %*c %*d %*d %*d %*d %*d %*u %*u %*u "
		"%*u %*u %llu %llu", &ut, &st);
	fclose(f);
	if (got != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void run(const char *what, const char *url, size_t count,
	unsigned clients, unsigned threads, long server_pid,
	httpload_make_fn make, void *ctx)
{
	struct httpload_result res;
	char host[256];
	unsigned port;
	double self0 = cpu_seconds(0), server0 = -1, server1 = -1;

	if (httpload_parse_url(url, host, sizeof(host), &port) != 0) {
		fprintf(stderr, "loadgen: --url must be http://HOST:PORT\n");
		exit(2);
	}
	if (server_pid > 0 && (server0 = cpu_seconds(server_pid)) < 0) {
		fprintf(stderr, "loadgen: --server-pid %ld: no such process "
			"in /proc\n", server_pid);
		exit(2);
	}
	if (httpload_run(host, port, clients, threads, count, make, ctx,
		&res) != 0) {
		fprintf(stderr, "loadgen: can't reach %s\n", url);
		exit(2);
	}
	if (server_pid > 0)
		server1 = cpu_seconds(server_pid);
	if (res.first_failure[0] != '\0')
		printf("  first failure: %s\n", res.first_failure);
	report(what, res.seconds, res.ok, res.status, count, res.latency);
	printf("  CPU per request: loadgen %.0f us",
		1e6 * (cpu_seconds(0) - self0) / (double)count);
	if (server0 >= 0 && server1 >= 0)
		printf(", server %.0f us (pid %ld)",
			1e6 * (server1 - server0) / (double)count, server_pid);
	printf("\n");
	httpload_result_clear(&res);
}

struct submit_ctx {
	char host[256];
	char **bodies;
	size_t *lens;
};

static void make_submit(void *arg, size_t i, struct httpload_request *r)
{
	struct submit_ctx *c = arg;

	r->head_len = (size_t)snprintf(r->head, sizeof(r->head),
		"POST /v1/entries HTTP/1.1\r\nHost: %s\r\n"
		"Content-Type: application/json\r\nContent-Length: %zu\r\n"
		"\r\n", c->host, c->lens[i]);
	r->body = c->bodies[i];
	r->body_len = c->lens[i];
}

struct proof_ctx {
	char host[256];
	uint64_t size;
	uint64_t seed;
};

/* splitmix64: request i's index, the same for any thread. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}

static void make_proof(void *arg, size_t i, struct httpload_request *r)
{
	struct proof_ctx *c = arg;

	r->head_len = (size_t)snprintf(r->head, sizeof(r->head),
		"GET /v1/proof/inclusion?index=%llu HTTP/1.1\r\nHost: %s\r\n"
		"\r\n", (unsigned long long)(mix(c->seed + i) % c->size),
		c->host);
	r->body = NULL;
	r->body_len = 0;
}

static struct mlog_dsse_key *load_key(const char *path)
{
	struct mlog_dsse_key *k = NULL;
	char pem[MLOG_DSSE_PEM_MAX + 1];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	n = fread(pem, 1, MLOG_DSSE_PEM_MAX, f);
	fclose(f);
	if (mlog_dsse_key_parse_private(&k, pem, n, NULL) != MLOG_OK) {
		fprintf(stderr, "loadgen: %s is not a private key\n", path);
		exit(2);
	}
	return k;
}

struct verify_arg {
	double secs;
	uint64_t count;
};

static void *verify_loop(void *arg)
{
	struct verify_arg *v = arg;
	unsigned char pk[32], sk[64], sig[64], msg[256] = { 1 };
	double t0;

	crypto_sign_keypair(pk, sk);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	t0 = now_s();
	while (now_s() - t0 < v->secs) {
		for (int i = 0; i < 100; i++)
			v->count += crypto_sign_verify_detached(sig, msg,
				sizeof(msg), pk) == 0;
	}
	return NULL;
}

static void ed25519_ceiling(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t th[64];
	struct verify_arg args[64];
	uint64_t total = 0;

	if (ncpu < 1 || ncpu > 64)
		ncpu = 1;
	for (long i = 0; i < ncpu; i++) {
		args[i] = (struct verify_arg){ 1.0, 0 };
		pthread_create(&th[i], NULL, verify_loop, &args[i]);
	}
	for (long i = 0; i < ncpu; i++) {
		pthread_join(th[i], NULL);
		total += args[i].count;
	}
	printf("ed25519: %llu verifies/s on %ld cores (libsodium)\n",
		(unsigned long long)total, ncpu);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "key", required_argument, NULL, 'k' },
		{ "clients", required_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },
		{ "threads", required_argument, NULL, 't' },
		{ "server-pid", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *key = NULL, *mode;
	unsigned clients = 64, threads = 1;
	long server_pid = 0;
	size_t count = 20000;
	uint64_t size = 0, seed = (uint64_t)time(NULL) * 1000000;
	int ch;

	if (argc < 2 || sodium_init() < 0) {
		fprintf(stderr, "usage: loadgen submit|proofs|ed25519 ...\n");
		return 2;
	}
	mode = argv[1];
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'u': url = optarg; break;
		case 'k': key = optarg; break;
		case 'c': clients = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'n': count = strtoull(optarg, NULL, 10); break;
		case 's': size = strtoull(optarg, NULL, 10); break;
		case 'S': seed = strtoull(optarg, NULL, 10); break;
		case 't': threads = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'p': server_pid = strtol(optarg, NULL, 10); break;
		default: return 2;
		}
	}
	if (strcmp(mode, "ed25519") == 0) {
		ed25519_ceiling();
	} else if (url != NULL && strncmp(url, "http://", 7) != 0) {
		fprintf(stderr, "loadgen: --url must be http://HOST:PORT\n");
		return 2;
	} else if (strcmp(mode, "submit") == 0 && url != NULL && key != NULL) {
		struct submit_ctx c;
		struct mlog_dsse_key *k = load_key(key);
		struct presign p[2];
		pthread_t th[2];
		double t0 = now_s();

		snprintf(c.host, sizeof(c.host), "%s", url + 7);
		c.bodies = calloc(count, sizeof(*c.bodies));
		c.lens = calloc(count, sizeof(*c.lens));
		for (int i = 0; i < 2; i++) {
			p[i] = (struct presign){ k, c.bodies, c.lens,
				count * (size_t)i / 2,
				count * (size_t)(i + 1) / 2, seed };
			pthread_create(&th[i], NULL, presign_range, &p[i]);
		}
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		printf("pre-signed %zu envelopes (%zu bytes each) in %.1f s\n",
			count, c.lens[0], now_s() - t0);
		run("submit", url, count, clients, threads, server_pid,
			make_submit, &c);
		for (size_t i = 0; i < count; i++)
			free(c.bodies[i]);
		free(c.bodies);
		free(c.lens);
		mlog_dsse_key_free(k);
	} else if (strcmp(mode, "proofs") == 0 && url != NULL && size > 0) {
		struct proof_ctx c = { "", size, seed };

		snprintf(c.host, sizeof(c.host), "%s", url + 7);
		run("proofs", url, count, clients, threads, server_pid,
			make_proof, &c);
	} else {
		fprintf(stderr, "usage: loadgen submit --url URL --key PEM "
			"[--clients N] [--count N] [--threads T] "
			"[--server-pid PID]\n"
			"       loadgen proofs --url URL --size S [--clients N] "
			"[--count N] [--threads T] [--server-pid PID]\n"
			"       loadgen ed25519\n");
		return 2;
	}
	return 0;
}
