/*
 * logs.h — the logs a witness serves (SPEC §4): each log's origin, its
 * trusted Ed25519 keys, the live copy of its durable state (size, latest
 * co-signed note), its counters, and its add-checkpoint rate limit (a
 * token bucket).
 *
 * A log is configured by one or more vkeys; the key name is the origin
 * (C2SP tlog-checkpoint: logs sign with a key named after their origin).
 * Several vkeys with one name are several trusted keys for one log (key
 * rotation): a checkpoint needs a verifying signature by one of them and
 * no failing signature by any (note.h rules 5-7). Example (vectors/
 * witness/litewitness/MANIFEST.txt):
 *
 *   sigsum.org/v1/tree/4d6d8825a6bb689d459628312889dfbb0bcd41b5211d9e1ce768b0ff0309e562+5202289b+Af/cLU2Y5BJNP+r3iMDC+av9eWCD0fBJVDfzAux5zxAP
 *
 * Invariants:
 *  (1) Origins are unique and the table is sorted by origin once sealed
 *      (witness_logs_seal); no log is added or removed afterwards.
 *  (2) Every key is an Ed25519 (type 0x01) key whose name is the origin;
 *      a log has 1..WITNESS_LOG_MAX_KEYS distinct keys.
 *  (3) The live state (size, note, last_cosign) only ever moves to a
 *      state already durable in the store (the committer updates it after
 *      COMMIT); it is a cache, the store is the truth.
 *  (4) A bucket never holds more than burst tokens nor fewer than 0.
 *
 * Thread-safety: origin, origin_hex and keys are read-only once sealed and
 * may be read by any thread without locking; every other field of a log
 * is guarded by its own lock.
 * Ownership: struct witness_logs owns its logs, their origins and notes;
 * witness_logs_clear frees everything.
 */
#ifndef WITNESS_LOGS_H
#define WITNESS_LOGS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "note.h"

#define WITNESS_LOG_MAX_KEYS 16
#define WITNESS_ORIGIN_HEX_LEN 64

/* A token bucket: holds up to burst tokens, refilled at rate per second. */
struct witness_bucket {
	double tokens;
	double last;               /* monotonic seconds of the last refill */
	int primed;                /* 0 until the first take fills it */
};

struct witness_log {
	char *origin;
	char origin_hex[WITNESS_ORIGIN_HEX_LEN + 1];   /* SHA-256(origin) */
	struct mlog_note_verifier keys[WITNESS_LOG_MAX_KEYS];
	size_t nkeys;

	pthread_mutex_t lock;      /* guards everything below */
	uint64_t size;             /* stored size (0 if never co-signed) */
	char *note;                /* latest co-signed note, NULL if none */
	size_t note_len;
	uint64_t last_cosign;      /* Unix time of the latest cosignature */
	uint64_t cosignatures;     /* co-signed since start */
	uint64_t evidence;         /* refused as evidence since start */
	uint64_t evidence_stored;  /* evidence rows in the store */
	struct witness_bucket bucket;
};

struct witness_logs {
	struct witness_log *v;
	size_t n;
	int sealed;
};

void witness_logs_init(struct witness_logs *ls);

/* Frees every log; the table is empty afterwards. */
void witness_logs_clear(struct witness_logs *ls);

/*
 * Adds the log key vkey[0..len) (before witness_logs_seal). A key equal to
 * one already given is ignored. Returns 0, MLOG_ERR_MALFORMED (not a vkey,
 * or not an Ed25519 type 0x01 key), MLOG_ERR_TOOBIG (more than
 * WITNESS_LOG_MAX_KEYS keys for one origin) or MLOG_ERR_NOMEM.
 */
int witness_logs_add(struct witness_logs *ls, const char *vkey, size_t len,
	struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Sorts the table, computes each origin's hex hash and initialises the
 * locks (invariant 1). Returns 0 or MLOG_ERR_INTERNAL.
 */
int witness_logs_seal(struct witness_logs *ls) MLOG_MUST_CHECK;

/* The log for origin, or NULL (table sealed). */
struct witness_log *witness_logs_find(const struct witness_logs *ls,
	const char *origin);

/* The log whose lowercase hex SHA-256 origin is hex[0..len), or NULL. */
struct witness_log *witness_logs_find_hex(const struct witness_logs *ls,
	const char *hex, size_t len);

/*
 * Token bucket (pure; the caller holds whatever lock guards b): refills b
 * for the time since its last use at rate tokens per second, capped at
 * burst (a fresh bucket starts full), then takes one token. Returns 1 if
 * a token was taken; 0 otherwise, with *retry_after (if not NULL) set to
 * the seconds until one is available. rate 0 means unlimited (always 1).
 */
int witness_bucket_take(struct witness_bucket *b, double now, double rate,
	double burst, double *retry_after /* OUT, may be NULL */);

#endif
