/*
 * store.h — mlog-witness's durable state (SPEC §4, C2SP-NOTES §4
 * "Persistence and rollback/fork protection"): one SQLite database in WAL
 * mode holding, per log, the latest co-signed (size, root), every
 * checkpoint the witness ever co-signed, and the evidence of misbehaviour
 * it refused. It knows SQL and durability; the decision (which status,
 * what to sign) belongs to add.h.
 *
 * SCHEMA (version 1)
 *
 *   meta(key TEXT PRIMARY KEY, value TEXT)
 *       'schema' = '1'; 'vkey' = the witness's cosignature/v1 vkey, so
 *       that serve refuses a key file swapped under an existing state.
 *   log(origin TEXT PRIMARY KEY, size INTEGER, root BLOB, cosigned_at
 *       INTEGER)
 *       The tlog-witness state: size 0 and root NULL until the first
 *       cosignature; cosigned_at is the Unix time of the latest one.
 *       Rows are created for each configured log at start-up and never
 *       deleted, so removing a log from the configuration and adding it
 *       back cannot reset its state (C2SP-NOTES §4).
 *   cosigned(origin TEXT, size INTEGER, root BLOB, note BLOB, first_at
 *            INTEGER, last_at INTEGER, times INTEGER,
 *            PRIMARY KEY(origin, size)) WITHOUT ROWID
 *       Every checkpoint co-signed: the full note as served (the
 *       verified log signature lines, then this witness's cosignature
 *       line), the first and latest time it was co-signed and how often.
 *       A same-size resubmit gets a fresh cosignature (tlog-witness), which
 *       replaces note and last_at of the same row: the primary key makes a
 *       second root for a size impossible.
 *   evidence(id INTEGER PRIMARY KEY, origin TEXT, status INTEGER, reason
 *            TEXT, old INTEGER, size INTEGER, root BLOB, stored_size
 *            INTEGER, stored_root BLOB, body BLOB, text_hash BLOB,
 *            first_at INTEGER, last_at INTEGER, times INTEGER,
 *            UNIQUE(origin, text_hash, status))
 *       Every correctly log-signed checkpoint refused as inconsistent
 *       (422, or a 409 whose checkpoint contradicts a root co-signed for
 *       the same size): the whole request body, the reason, and the state
 *       it was judged against. text_hash = SHA-256 of the checkpoint text:
 *       a refused checkpoint is kept once per status with its first body,
 *       and repeats only count (times, last_at), so the table grows with
 *       what the log signed, not with what a replayer sends.
 *
 *   Example: after litewitness req01..req09 (vectors/witness/litewitness)
 *   log holds (sigsum.org/v1/tree/4d6d…e562, 5, <root of req08>, T),
 *   cosigned holds sizes 1, 3 and 5, and evidence holds one row: the
 *   size-3 checkpoint refused with 422 (req04's body, an empty proof
 *   1 -> 3; times = 2, since req05 brought the same checkpoint with a
 *   corrupted proof).
 *
 * INVARIANTS (the triggers in the schema enforce 1, 2 and 5 inside SQLite
 * itself, whatever code runs; witness_store_open checks 3)
 *  (1) log.size never decreases, and log.root never changes at one size
 *      (trigger log_forward).
 *  (2) One root per (origin, size) in cosigned, ever (primary key and
 *      trigger cosigned_root_fixed).
 *  (3) A log row with a root has a cosigned row at (origin, size) with
 *      the same root.
 *  (4) The comparison of the request's old size with log.size and the
 *      write of the new state happen in one BEGIN IMMEDIATE transaction,
 *      and the write is a compare-and-swap (UPDATE ... WHERE origin = ?
 *      AND size = ?): concurrent requests can never roll a log back.
 *  (5) Rows of log, cosigned and evidence are never deleted (triggers).
 *  (6) log.cosigned_at never decreases: a cosignature time is never
 *      earlier than the previous one for that log (add.c clamps a clock
 *      that stepped back).
 *
 * DURABILITY, step by step (what a crash leaves):
 *  - before COMMIT (witness_store_commit): WAL frames of the transaction
 *    are discarded on the next open; the log is at its previous state and
 *    no request of this batch has been answered; logs retry.
 *  - after COMMIT returns (journal_mode=WAL, synchronous=FULL: the WAL is
 *    fsynced): the new state, cosigned rows and evidence are durable.
 *    Requests are answered only after this point, so every cosignature a
 *    log ever received is on disk, and a restarted witness can never
 *    co-sign a smaller tree or another root for a size it co-signed.
 *  - between COMMIT and the answers: co-signed but unanswered; the log
 *    retries with its old size, gets 409 with the new size, resubmits
 *    the same checkpoint and gets a fresh cosignature.
 *  Start-up recovery reads the state through the same witness_store_state
 *  and witness_store_cosigned calls the committer uses.
 *
 * Thread-safety: a struct witness_store is one SQLite connection, used by
 * one thread at a time (the committer thread owns the witness's). Another
 * connection (a test, sqlite3 on the command line) may read at any time:
 * WAL readers see the last committed state.
 * Ownership: witness_store_open returns a store the caller closes with
 * witness_store_close (NULL allowed). Buffers returned through OUT
 * pointers are malloc'd and owned by the caller.
 */
#ifndef WITNESS_STORE_H
#define WITNESS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hash.h"

#define WITNESS_STORE_FILE "witness.db"

struct witness_store;

/* A log's row. */
struct witness_state {
	uint64_t size;
	uint8_t root[MLOG_HASH_BYTES];
	int has_root;              /* 0 until the first cosignature */
	uint64_t cosigned_at;      /* 0 until the first cosignature */
};

/* One evidence record (see the evidence table). */
struct witness_evidence {
	const char *origin;
	int status;                /* 409 or 422 */
	const char *reason;        /* one line */
	uint64_t old, size;
	const uint8_t *root;       /* MLOG_HASH_BYTES */
	uint64_t stored_size;
	const uint8_t *stored_root;   /* NULL if never co-signed */
	const char *body;          /* the whole request body */
	size_t body_len;
	const uint8_t *text_hash;  /* SHA-256 of the checkpoint text */
	uint64_t at;               /* Unix time */
};

/*
 * Creates a new database at path for the witness key vkey (fails if the
 * file exists). Returns 0, MLOG_ERR_IO or MLOG_ERR_DB; on failure no file
 * is left behind.
 */
int witness_store_create(const char *path, const char *vkey,
	struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Opens an existing database, checks the schema version and invariant 3.
 * Returns 0, MLOG_ERR_NOTFOUND (no database), MLOG_ERR_DB (unknown schema,
 * broken invariant, SQLite error) or MLOG_ERR_NOMEM.
 */
int witness_store_open(struct witness_store **out /* OUT */,
	const char *path, struct mlog_error *err) MLOG_MUST_CHECK;

void witness_store_close(struct witness_store *s);

/* The witness vkey recorded at creation (owned by the store). */
const char *witness_store_vkey(const struct witness_store *s);

/* Creates origin's row (size 0) if it has none. Returns 0 or
 * MLOG_ERR_DB. */
int witness_store_add_log(struct witness_store *s, const char *origin,
	struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Transactions. begin takes the write lock (BEGIN IMMEDIATE); commit
 * returns only once the transaction is durable; rollback discards it.
 * Inside one, savepoint/release/undo bracket one request so that a
 * request that fails is undone alone. Each returns 0 or MLOG_ERR_DB.
 */
int witness_store_begin(struct witness_store *s, struct mlog_error *err)
	MLOG_MUST_CHECK;
int witness_store_commit(struct witness_store *s, struct mlog_error *err)
	MLOG_MUST_CHECK;
void witness_store_rollback(struct witness_store *s);
int witness_store_savepoint(struct witness_store *s, struct mlog_error *err)
	MLOG_MUST_CHECK;
int witness_store_release(struct witness_store *s, struct mlog_error *err)
	MLOG_MUST_CHECK;
void witness_store_undo(struct witness_store *s);

/*
 * Reads origin's row into *out. Returns 0, MLOG_ERR_NOTFOUND (no row) or
 * MLOG_ERR_DB; *out untouched on failure.
 */
int witness_store_state(struct witness_store *s, const char *origin,
	struct witness_state *out /* OUT */, struct mlog_error *err)
	MLOG_MUST_CHECK;

/*
 * The co-signed checkpoint of origin at size: its root (if root is not
 * NULL), its note (if note is not NULL; malloc'd, NUL-terminated) and
 * the time of its latest cosignature (if at is not NULL). Returns 0,
 * MLOG_ERR_NOTFOUND, MLOG_ERR_DB or MLOG_ERR_NOMEM.
 */
int witness_store_cosigned(struct witness_store *s, const char *origin,
	uint64_t size, uint8_t root[MLOG_HASH_BYTES] /* OUT, may be NULL */,
	char **note /* OUT, may be NULL */, size_t *note_len /* OUT */,
	uint64_t *at /* OUT, may be NULL */) MLOG_MUST_CHECK;

/*
 * Moves origin from old_size to (new_size, root), co-signed at time at
 * with the served note note[0..note_len): the compare-and-swap of
 * invariant 4 plus the cosigned row (inserted, or refreshed for a
 * same-size resubmit). Call inside a transaction. Returns 0;
 * MLOG_ERR_CONFLICT if the stored size is not old_size (nothing written);
 * MLOG_ERR_DB if SQLite refused, including a trigger guarding invariants
 * 1-2 (a bug upstream: the caller undoes the request).
 */
int witness_store_advance(struct witness_store *s, const char *origin,
	uint64_t old_size, uint64_t new_size,
	const uint8_t root[MLOG_HASH_BYTES], const char *note, size_t note_len,
	uint64_t at, struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Records e (inside a transaction): a new row, or times + 1 and last_at
 * for a checkpoint already recorded with that status. *fresh (if not
 * NULL) is 1 for a new row. Returns 0 or MLOG_ERR_DB.
 */
int witness_store_add_evidence(struct witness_store *s,
	const struct witness_evidence *e, int *fresh /* OUT, may be NULL */,
	struct mlog_error *err) MLOG_MUST_CHECK;

/* Number of evidence rows for origin. Returns it (>= 0) or MLOG_ERR_DB. */
int64_t witness_store_evidence_count(struct witness_store *s,
	const char *origin);

#endif
