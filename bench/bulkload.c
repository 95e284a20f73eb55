/*
 * bulkload.c — builds a large mlogd log fast, for the server benchmarks
 * (issue 3: proofs/s and RSS at 10 M entries, bytes per entry). Not a
 * test.
 *
 *   bulkload --data DIR --origin ORIGIN --count N [--batch N] [--resume]
 *
 * Creates the log (key + database, as `mlogd init`), or with --resume
 * reopens one it made before and grows it to N entries, and drives the real
 * sequencer (server/sequencer.c, same store, tiles, indexes, checkpoints)
 * in-process with tickets, skipping only HTTP and signature checks. The
 * entries are one real signed DSSE envelope (~1.3 KiB) whose unsigned
 * keyid field is varied so every leaf is distinct; each entry gets three
 * search keys (MRENCLAVE, MRSIGNER shared by 1,000 entries, subject
 * digest), as a build manifest would. At the end it prints the database
 * size, the bytes per entry beyond the entries themselves, and the size of
 * each table and index (SQLite dbstat).
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "checkpoint.h"
#include "codec.h"
#include "dsse.h"
#include "hash.h"
#include "note.h"
#include "sequencer.h"
#include "statement.h"
#include "store.h"

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static size_t done_count;

static void on_done(struct mlogd_ticket *t)
{
	(void)t;
	pthread_mutex_lock(&done_lock);
	done_count++;
	pthread_cond_signal(&done_cond);
	pthread_mutex_unlock(&done_lock);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *msg)
{
	fprintf(stderr, "bulkload: %s\n", msg);
	exit(2);
}

/* A signed envelope to vary: its canonical JSON with keyid "%s". */
__attribute__((noinline)) static char *template_envelope(void)
{
	static const char st[] =
		"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":"
		"[{\"name\":\"enclave.signed.so\",\"digest\":{\"sha256\":"
		"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaa\"}}],\"predicateType\":\"urn:mlog:build-manifest:v1\","
		"\"predicate\":{\"build\":{\"id\":\"bulk\",\"source\":{\"uri\":"
		"\"git+https://example.com/e.git\",\"commit\":\"0123456789abcd"
		"ef0123456789abcdef01234567\"},\"builder\":\"bulkload\","
		"\"toolchain\":[{\"name\":\"gcc\",\"version\":\"12.2.0\","
		"\"digest\":{\"sha256\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		"bbbbbbbbbbbbbbbbbbbbbbbbbbb\"}}]},\"measurements\":[{\"tee\":"
		"\"sgx\",\"mrenclave\":\"cccccccccccccccccccccccccccccccccccccc"
		"cccccccccccccccccccccccccc\",\"mrsigner\":\"dddddddddddddddddd"
		"dddddddddddddddddddddddddddddddddddddddddddddd\",\"isvprodid\":"
		"1,\"isvsvn\":1,\"attributes\":\"04000000000000000300000000000"
		"000\",\"miscselect\":\"00000000\",\"debug\":false}],\"sbom\":"
		"[]}}";
	struct mlog_dsse_key *k = NULL;
	struct mlog_dsse_envelope *env = NULL;
	const struct mlog_dsse_key *keys[1];
	char *canon = NULL;
	size_t len = 0;

	if (mlog_dsse_key_generate(&k, MLOG_DSSE_ALG_ED25519, NULL) != 0)
		die("key");
	keys[0] = k;
	if (mlog_dsse_sign(&env, MLOG_DSSE_TYPE_INTOTO, (const uint8_t *)st,
		strlen(st), keys, 1, NULL) != 0)
		die("sign");
	/* Replace the keyid with a marker to vary per entry. */
	free(env->sigs[0].keyid);
	env->sigs[0].keyid = strdup("KEYID");
	if (mlog_dsse_format(&canon, &len, env, NULL) != 0)
		die("format");
	mlog_dsse_free(env);
	mlog_dsse_key_free(k);
	return canon;
}

static void report_sizes(const char *db_path, uint64_t n, double entry_bytes)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct stat s;
	double total = 0;

	if (stat(db_path, &s) == 0)
		total = (double)s.st_size;
	printf("database %.1f MiB for %llu entries: %.1f B/entry, of which "
		"entry bytes %.1f\n", total / 1048576.0,
		(unsigned long long)n, total / (double)n, entry_bytes);
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != 0 ||
	    sqlite3_prepare_v2(db, "SELECT name, SUM(pgsize) FROM dbstat "
		"GROUP BY name ORDER BY 2 DESC", -1, &st, NULL) != 0) {
		printf("(per-table sizes need SQLite's dbstat: %s)\n",
			sqlite3_errmsg(db));
		sqlite3_close(db);
		return;
	}
	while (sqlite3_step(st) == SQLITE_ROW)
		printf("  %-40s %10.1f MiB  %6.1f B/entry\n",
			(const char *)sqlite3_column_text(st, 0),
			(double)sqlite3_column_int64(st, 1) / 1048576.0,
			(double)sqlite3_column_int64(st, 1) / (double)n);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Reopens a log this program made (--resume): its key from DATA/log.key
 * and its size from the latest checkpoint. Entry ids continue from the
 * size, so new entries are distinct from the stored ones. */
static uint64_t resume_log(const char *data, const char *db_path,
	struct mlog_note_signer *key)
{
	struct mlog_error err = { 0, "" };
	struct mlogd_store *s = NULL;
	uint8_t root[MLOG_HASH_BYTES];
	char line[MLOG_NOTE_SKEY_MAX + 2], *path = NULL;
	uint64_t size = 0;
	size_t len;
	FILE *f;

	/* Read-write: upgrades an older schema as mlogd serve would. */
	if (mlogd_store_open(&s, db_path, 0, &err) != 0 ||
	    mlogd_store_latest(s, &size, root, NULL, NULL, &err) != 0)
		die(err.msg);
	mlogd_store_close(s);
	if (asprintf(&path, "%s/log.key", data) < 0)
		die("oom");
	f = fopen(path, "r");
	if (f == NULL || fgets(line, sizeof(line), f) == NULL)
		die("can't read DATA/log.key");
	fclose(f);
	free(path);
	len = strcspn(line, "\r\n");
	if (mlog_note_signer_parse(key, line, len, &err) != 0)
		die(err.msg);
	return size;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "origin", required_argument, NULL, 'o' },
		{ "count", required_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 'b' },
		{ "resume", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *origin = "bench.example/log";
	uint64_t count = 1000000, chunk = 65536, start = 0;
	int resume = 0;
	struct mlog_note_signer key;
	struct mlog_checkpoint c;
	struct mlogd_seq *seq = NULL;
	struct mlogd_seq_config cfg;
	struct mlog_error err = { 0, "" };
	struct mlog_hash *h;
	struct mlogd_ticket *tickets;
	char *tmpl, *note = NULL, *db_path = NULL, *marker;
	size_t note_len = 0, tmpl_len, pre;
	double t0, entry_bytes = 0;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': data = optarg; break;
		case 'o': origin = optarg; break;
		case 'n': count = strtoull(optarg, NULL, 10); break;
		case 'b': chunk = strtoull(optarg, NULL, 10); break;
		case 'r': resume = 1; break;
		default: die("usage: bulkload --data DIR [--origin O] "
			"[--count N] [--batch N] [--resume]");
		}
	}
	if (data == NULL || sodium_init() < 0 || chunk == 0)
		die("usage: bulkload --data DIR [--origin O] [--count N]");
	if (!resume && mkdir(data, 0700) != 0)
		die("can't create --data (it must not exist)");
	if (asprintf(&db_path, "%s/%s", data, MLOGD_STORE_FILE) < 0)
		die("oom");
	if (resume) {
		start = resume_log(data, db_path, &key);
		fprintf(stderr, "resuming at %llu entries\n",
			(unsigned long long)start);
	} else if (mlog_note_signer_generate(&key, origin,
		MLOG_NOTE_TYPE_ED25519) != 0) {
		die("bad origin");
	} else {
		char skey[MLOG_NOTE_SKEY_MAX + 2], *path = NULL;
		FILE *f;

		mlog_checkpoint_init(&c);
		c.origin = (char *)origin;
		mlog_hash_empty(c.root);
		if (mlog_checkpoint_sign(&note, &note_len, &c, &key, 1, NULL)
			!= 0 || mlogd_store_create(db_path, origin, note,
			note_len, (int64_t)time(NULL), &err) != 0)
			die(err.msg[0] ? err.msg : "create");
		if (mlog_note_signer_format(skey, sizeof(skey) - 1, &key) < 0 ||
		    asprintf(&path, "%s/log.key", data) < 0)
			die("key");
		f = fopen(path, "w");
		if (f == NULL)
			die("log.key");
		fprintf(f, "%s\n", skey);
		fclose(f);
		chmod(path, 0600);
		free(path);
		free(note);
	}
	cfg = (struct mlogd_seq_config){ .db_path = db_path, .signer = &key,
		.batch_ms = 50, .batch_idle_ms = 0,
		.batch_max = chunk < 16384 ? chunk : 16384,
		.queue_max = chunk + 1 };
	if (mlogd_seq_start(&seq, &cfg, &err) != 0)
		die(err.msg);
	tmpl = template_envelope();
	tmpl_len = strlen(tmpl);
	marker = strstr(tmpl, "KEYID");
	if (marker == NULL)
		die("template");
	pre = (size_t)(marker - tmpl);
	h = mlog_hash_new();
	tickets = calloc(chunk, sizeof(*tickets));
	t0 = now_s();
	for (uint64_t base = start; base < count; base += chunk) {
		uint64_t n = count - base < chunk ? count - base : chunk;

		done_count = 0;
		for (uint64_t i = 0; i < n; i++) {
			struct mlogd_ticket *t = &tickets[i];
			uint64_t id = base + i;
			uint8_t d[32];
			char hex[65], *e;
			int klen;

			memset(t, 0, sizeof(*t));
			e = malloc(tmpl_len + 32);
			memcpy(e, tmpl, pre);
			klen = sprintf(e + pre, "%016llx",
				(unsigned long long)id);
			memcpy(e + pre + (size_t)klen, tmpl + pre + 5,
				tmpl_len - pre - 5 + 1);
			t->data = (uint8_t *)e;
			t->len = strlen(e);
			entry_bytes += (double)t->len;
			mlog_hash_leaf(h, t->leaf_hash, t->data, t->len);
			t->keys = calloc(3, sizeof(*t->keys));
			t->nkeys = 3;
			mlog_hash_sha256(h, d, &id, sizeof(id));
			mlog_codec_hex_encode(hex, d, 32);
			t->keys[0].kind = MLOG_STATEMENT_KEY_MRENCLAVE;
			t->keys[0].key = strdup(hex);
			t->keys[1].kind = MLOG_STATEMENT_KEY_DIGEST;
			if (asprintf(&t->keys[1].key, "sha256:%s", hex) < 0)
				die("oom");
			id /= 1000;
			mlog_hash_sha256(h, d, &id, sizeof(id));
			mlog_codec_hex_encode(hex, d, 32);
			t->keys[2].kind = MLOG_STATEMENT_KEY_MRSIGNER;
			t->keys[2].key = strdup(hex);
			t->done = on_done;
			if (mlogd_seq_submit(seq, t) != 0)
				die("queue refused a ticket");
		}
		pthread_mutex_lock(&done_lock);
		while (done_count < n)
			pthread_cond_wait(&done_cond, &done_lock);
		pthread_mutex_unlock(&done_lock);
		for (uint64_t i = 0; i < n; i++) {
			if (tickets[i].status != MLOGD_TICKET_NEW)
				die("an entry was not sequenced as new");
			mlogd_ticket_clear(seq, &tickets[i]);
		}
		fprintf(stderr, "\r%llu / %llu entries, %.0f/s   ",
			(unsigned long long)(base + n),
			(unsigned long long)count,
			(double)(base + n - start) / (now_s() - t0));
	}
	fprintf(stderr, "\n");
	printf("sequenced %llu entries in %.1f s: %.0f entries/s "
		"(in-process, no HTTP or signature checks)\n",
		(unsigned long long)(count - start), now_s() - t0,
		(double)(count - start) / (now_s() - t0));
	mlogd_seq_stop(seq);
	mlogd_seq_free(seq);
	mlog_note_signer_clear(&key);
	free(tickets);
	free(tmpl);
	mlog_hash_free(h);
	/* Every entry has the template's length (fixed-width ids). */
	report_sizes(db_path, count, count > start ? entry_bytes /
		(double)(count - start) : (double)tmpl_len);
	free(db_path);
	return 0;
}
