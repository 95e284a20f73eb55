/*
 * witness_harness.h — helpers for process-level tests of mlog-witness:
 * running `init` and `serve` of the real binary ($MLOG_WITNESS_BIN) on a
 * loopback port, a synthetic log signed in-process (an Ed25519 note key
 * plus an in-memory tree, tests/memtree.h) that makes checkpoints and
 * add-checkpoint bodies with real consistency proofs, and HTTP calls that
 * keep transport failures apart from HTTP statuses.
 *
 * Self-contained (it does not need harness.c, which serves mlogd's
 * tests). Every witness listens on 127.0.0.1, writes its stderr to
 * <dir>/witness.log, and is stopped or killed by wtest_cleanup.
 *
 * Thread-safety: wtest_post / wtest_get / wtest_raw may be called from
 * several threads at once (each call has its own curl handle or socket);
 * everything else from the test's main thread.
 * Ownership: each struct is initialised and cleared by its own pair of
 * calls; returned strings are malloc'd for the caller.
 */
#ifndef MLOG_WTEST_HARNESS_H
#define MLOG_WTEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hash.h"
#include "note.h"
#include "../memtree.h"

struct wtest_witness {
	char dir[256];               /* temporary directory */
	char data[300];              /* dir/data: --data */
	char logpath[300];           /* dir/witness.log: its stderr */
	char url[64];                /* http://127.0.0.1:<port> */
	unsigned port;
	pid_t pid;                   /* 0 when not running */
	char vkey_str[MLOG_NOTE_VKEY_MAX + 1];
	struct mlog_note_verifier vkey;   /* printed by init (0x04) */
};

struct wtest_http {
	int curl;                    /* CURLcode, 0 = an HTTP answer came */
	long status;                 /* -1 without an answer */
	char *body;                  /* NUL-terminated */
	size_t len;
	char content_type[128];
	char retry_after[32];
};

/* A synthetic log: key, origin and tree. Leaves at index >= fork_at (if
 * fork_at > 0) differ from the honest log's: a fork sharing the prefix
 * [0, fork_at). */
struct wtest_log {
	struct mlog_note_signer key;
	char vkey[MLOG_NOTE_VKEY_MAX + 1];
	struct memtree tree;
	uint64_t fork_at;
};

/* A fresh temporary directory (mkdtemp under $TMPDIR or /tmp); rm -rf of
 * one; a loopback TCP port that was free a moment ago. */
void wtest_tmpdir(char *out, size_t cap);
void wtest_rmtree(const char *path);
unsigned wtest_free_port(void);

/* Runs argv (argv[0] is a path) to completion; out and err (if not
 * NULL) receive its stdout and stderr. Returns the exit status, or
 * 128 + signal. */
int wtest_run(char **out, char **err, const char *const *argv);

/* The witness binary ($MLOG_WITNESS_BIN). */
const char *wtest_bin(void);

/* `init --data <tmp>/data --name name`, parses the printed vkey; picks a
 * port. Not running afterwards. */
void wtest_init(struct wtest_witness *w, const char *name);

/*
 * Starts `serve --data DIR [--listen 127.0.0.1:PORT]` plus extra
 * (NULL-terminated, may be NULL) and waits until /healthz answers 200
 * (fails the test after 10 s or if it exits). with_listen = 0 leaves
 * --listen to the config file.
 */
void wtest_start(struct wtest_witness *w, const char *const *extra,
	int with_listen);

/* Runs serve with extra (and --listen) expecting it to exit on its own;
 * returns the exit status, *err gets its stderr. */
int wtest_serve_exit(struct wtest_witness *w, const char *const *extra,
	char **err);

/* SIGTERM and wait; returns the exit status (or 128 + signal). */
int wtest_stop(struct wtest_witness *w);

/* SIGKILL and reap: the crash. */
void wtest_kill9(struct wtest_witness *w);

/* Stops it if running and removes its directory (kept if
 * $MLOG_TEST_KEEP is set). */
void wtest_cleanup(struct wtest_witness *w);

/* A new log named origin with a key derived from seed. */
void wtest_log_new(struct wtest_log *l, const char *origin, uint8_t seed,
	uint64_t fork_at);
void wtest_log_free(struct wtest_log *l);

/* Grows the tree to at least size leaves; root of the first size. */
void wtest_log_root(struct wtest_log *l, uint64_t size,
	uint8_t root[MLOG_HASH_BYTES]);

/* The checkpoint at size signed by l (and by extra[0..nextra) signers
 * after it). malloc'd. */
char *wtest_log_checkpoint(struct wtest_log *l, uint64_t size,
	const struct mlog_note_signer *extra, size_t nextra, size_t *len);

/* A whole add-checkpoint body: old, the consistency proof old -> size
 * (empty when old is 0 or equals size), the checkpoint. malloc'd. */
char *wtest_log_body(struct wtest_log *l, uint64_t old, uint64_t size,
	size_t *len);

/* POST body to <url>/add-checkpoint; GET url. Fill r (free with
 * wtest_http_clear). */
void wtest_add(struct wtest_http *r, const struct wtest_witness *w,
	const void *body, size_t len);
void wtest_get(struct wtest_http *r, const char *url);
void wtest_http_clear(struct wtest_http *r);

/*
 * Checks a 200 body: one cosignature/v1 line by w's key over the
 * checkpoint in the request body (whose note follows the blank line).
 * Returns the cosignature's time.
 */
uint64_t wtest_check_cosig(const struct wtest_witness *w, const char *req,
	size_t req_len, const char *resp, size_t resp_len);

/* Lowercase hex SHA-256 of origin (65-byte buffer). */
void wtest_origin_hex(char out[65], const char *origin);

/* Connects to 127.0.0.1:port; returns the socket. */
int wtest_connect(unsigned port);

/* Reads from fd until the peer closes or timeout_ms passes without data;
 * returns what came (malloc'd, NUL-terminated); *closed = 1 if the peer
 * closed. */
char *wtest_read_all(int fd, int timeout_ms, int *closed);

#endif
