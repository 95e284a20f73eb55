/*
 * harness.h — helpers for process-level tests: temporary directories,
 * starting and stopping real mlogd processes on loopback ports, HTTP
 * through libcurl, and DSSE-signed entries made with merkle/.
 *
 * Every process a test starts listens on 127.0.0.1 only, logs to a file in
 * its own temporary directory, and is stopped (or killed) by the test;
 * itest_log_cleanup removes the directory. A test that fails half-way
 * leaves nothing running or behind either: the harness kills and removes
 * what is left when the test process exits (printing the server's log),
 * and servers die with the test process if it is killed. Binaries come from
 * $MLOGD_BIN (set by tests/integration/meson.build).
 *
 * Thread-safety: itest_get, itest_getf, itest_post, itest_request,
 * itest_post_many and the read_tile of itest_tile_source may be called
 * from several threads at once (each call uses its own curl handle, and
 * none of them asserts); everything else asserts with Criterion and runs
 * on the test's main thread only.
 * Ownership: struct itest_http bodies and job replies are malloc'd and
 * freed by itest_http_clear / itest_jobs_clear; strings returned as
 * malloc'd are the caller's.
 */
#ifndef MLOG_ITEST_HARNESS_H
#define MLOG_ITEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "dsse.h"
#include "note.h"
#include "tile.h"

#define ITEST_ORIGIN_MAX 128

struct itest_log {
	char dir[256];               /* data directory (temporary) */
	char url[64];                /* http://127.0.0.1:<port> */
	unsigned port;
	pid_t pid;                   /* 0 when not running */
	char origin[ITEST_ORIGIN_MAX];
	struct mlog_note_verifier vkey;   /* the log's key, from init */
	int slot;                    /* harness bookkeeping */
};

struct itest_http {
	long status;
	char *body;                  /* NUL-terminated */
	size_t len;
	char content_type[128];
	char cache_control[128];
	char retry_after[32];
	char allow[64];
};

struct itest_signer {
	char name[32];
	struct mlog_dsse_key *key;
	char pub_path[320];          /* PEM public key, for --signer */
};

/* Once per test process, before any thread: sodium_init and
 * curl_global_init (call from the suite's .init). */
void itest_init(void);

/* A fresh temporary directory (mkdtemp under $TMPDIR or /tmp). */
void itest_tmpdir(char *out, size_t cap);

/* rm -rf path (for the test's own temporary directories only). */
void itest_rmtree(const char *path);

/* A loopback TCP port that was free a moment ago. */
unsigned itest_free_port(void);

/* Runs `mlogd init` in a new temporary directory; fills l (not running). */
void itest_log_init(struct itest_log *l, const char *origin);

/*
 * Starts `mlogd serve --data DIR --listen 127.0.0.1:PORT` plus extra
 * (NULL-terminated, may be NULL) and waits until /healthz answers 200
 * (fails the test after 10 s). Keeps the port across restarts.
 */
void itest_log_start(struct itest_log *l, const char *const *extra);

/* Sends SIGTERM and waits; returns the exit status (or 128+signal). */
int itest_log_stop(struct itest_log *l);

/* SIGKILL and reap: the crash in crash tests. Fails the test if the
 * server had already exited by itself. */
void itest_log_kill9(struct itest_log *l);

/* Stops the log if running and removes its directory. */
void itest_log_cleanup(struct itest_log *l);

/* Runs a program to completion; returns its exit status. out (if not
 * NULL) receives a malloc'd copy of its stdout. */
int itest_run(char **out, const char *const *argv);

/* As itest_run; errout (if not NULL) also receives its stderr. Both
 * kill the program (SIGKILL: status 137) if it runs for 20 s. */
int itest_run2(char **out, char **errout, const char *const *argv);

/* Path of file inside the log's data directory (static buffer per call:
 * caller copies). */
const char *itest_data_path(const struct itest_log *l, const char *file);

/* GET url; fills r (free with itest_http_clear). */
void itest_get(struct itest_http *r, const char *url);
/* GET printf-style. */
void itest_getf(struct itest_http *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* POST body to url. */
void itest_post(struct itest_http *r, const char *url, const void *body,
	size_t len);
/* Any method (e.g. "PUT", "DELETE") with an optional body. */
void itest_request(struct itest_http *r, const char *method,
	const char *url, const void *body, size_t len);
void itest_http_clear(struct itest_http *r);

/*
 * Sends req[0..len) as is on a new loopback connection to l's port and
 * reads until the server closes or timeout_ms pass. Returns the status of
 * the first response line (-1 if none); *reply (if not NULL) gets what
 * was read (malloc'd). For requests libcurl will not send (a large
 * Content-Length with no body).
 */
long itest_raw(const struct itest_log *l, const void *req, size_t len,
	char **reply, int timeout_ms);

/* itest_raw in steps, for requests sent in pieces: connect, send (as
 * often as needed), then read the answer and close. */
int itest_raw_connect(const struct itest_log *l);
void itest_raw_send(int fd, const void *data, size_t len);
long itest_raw_finish(int fd, char **reply, int timeout_ms);

/* Asserts an error answer of SPEC section 3: the status, Content-Type
 * application/json and a body that is exactly {"error":"<non-empty>"}. */
void itest_assert_error(const struct itest_http *r, long status);

/* Parses r's body as JSON (fails the test otherwise); caller decrefs. */
json_t *itest_json(const struct itest_http *r);

/* Decodes a base64 hash (fails the test unless it is 32 bytes). */
void itest_b64_hash(uint8_t out[32], const char *b64);

/* Decodes a JSON array of base64 hashes into out (room for
 * MLOG_PROOF_MAX); returns the count. */
size_t itest_proof(uint8_t (*out)[32], const json_t *arr);

/* Opens a signed checkpoint with the log key (fails the test otherwise). */
void itest_checkpoint_open(const struct itest_log *l, const char *note,
	size_t len, uint64_t *size, uint8_t root[32]);

/* GET /checkpoint and opens it; *note (if not NULL) gets the text. */
void itest_checkpoint(const struct itest_log *l, uint64_t *size,
	uint8_t root[32], char **note);

/* A tile source (merkle/tile.h) that GETs l->url/tile/...; it never fails
 * the test itself (MLOG_ERR_IO for an answer other than 200). */
struct mlog_tile_source itest_tile_source(const struct itest_log *l);

/* Value of the Prometheus sample whose name and labels are exactly
 * series (e.g. "mlogd_entries_total" or
 * "mlogd_rejections_total{reason=\"empty_body\"}"); -1 if absent. */
double itest_metric(const char *text, const char *series);

/* One POST of a batch submitted from several threads. */
struct itest_job {
	const char *body;            /* borrowed */
	size_t len;
	struct itest_http r;         /* status 0: not sent, -1: no answer */
};

/*
 * POSTs jobs[0..n) to l's /v1/entries from nthreads threads (each takes
 * the next unsent job), and returns when all are answered or, once *stop
 * (if not NULL) is non-zero, when the threads have noticed it (the rest
 * stay status 0). Never fails the test from a thread.
 */
void itest_post_many(const struct itest_log *l, struct itest_job *jobs,
	size_t n, unsigned nthreads, const volatile int *stop);

/* Frees the answers of jobs[0..n). */
void itest_jobs_clear(struct itest_job *jobs, size_t n);

/* A new DSSE signer (alg: enum mlog_dsse_alg) with its public key written
 * to dir/<name>.pub. */
void itest_signer_new(struct itest_signer *s, const char *dir,
	const char *name, int alg);
void itest_signer_clear(struct itest_signer *s);
/* "NAME=ROLES:PATH" for --signer (static buffer per call site: caller
 * copies). */
void itest_signer_flag(char *out, size_t cap, const struct itest_signer *s,
	const char *roles);

/* A valid build-manifest Statement whose MRENCLAVE, subject digest and
 * build ID are derived from seed (malloc'd JSON). */
char *itest_build_statement(uint64_t seed);

/* A valid approval Statement for mrenclave under ticket (malloc'd). */
char *itest_approval_statement(const char *mrenclave_hex, const char *ticket,
	const char *decision);

/* The MRENCLAVE itest_build_statement(seed) uses (65-byte buffer). */
void itest_mrenclave(char out[65], uint64_t seed);

/* Its MRSIGNER (shared by seeds with the same seed / 1000) and the
 * subject's sha256 digest, as lowercase hex. */
void itest_mrsigner(char out[65], uint64_t seed);
void itest_subject(char out[65], uint64_t seed);

/* Signs statement with signers[0..n) and returns the envelope as compact
 * JSON (malloc'd) and its length. */
char *itest_envelope(const struct itest_signer *const *signers, size_t n,
	const char *statement, size_t *len);

/* itest_build_statement(seed) / an approval of its MRENCLAVE under
 * ticket, signed by s alone (malloc'd envelope). */
char *itest_build_envelope(const struct itest_signer *s, uint64_t seed,
	size_t *len);
char *itest_approval_envelope(const struct itest_signer *s, uint64_t seed,
	const char *ticket, size_t *len);

/*
 * Checks a receipt (SPEC §3) against the log key: the checkpoint opens
 * with l->vkey, the leaf hash is RFC 9162's hash of leaf data (if given),
 * the inclusion proof verifies. Returns the index and fills size/root of
 * the checkpoint.
 */
uint64_t itest_check_receipt(const struct itest_log *l, const char *json,
	const void *leaf_data, size_t leaf_len, uint64_t *size,
	uint8_t root[32]);

#endif
