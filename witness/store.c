/*
 * store.c — SQLite state for mlog-witness; the schema, invariants and the
 * durability story are in store.h.
 */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#define SCHEMA_VERSION "1"

/* Prepared statements, one per query; finalised in witness_store_close. */
enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_UNDO,
	ST_ADD_LOG,
	ST_STATE,
	ST_COSIGNED,
	ST_CAS,
	ST_PUT_COSIGNED,
	ST_PUT_EVIDENCE,
	ST_COUNT_EVIDENCE,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT request",
	[ST_RELEASE] = "RELEASE request",
	[ST_UNDO] = "ROLLBACK TO request",
	[ST_ADD_LOG] = "INSERT OR IGNORE INTO log(origin, size, root, "
		"cosigned_at) VALUES (?1, 0, NULL, 0)",
	[ST_STATE] = "SELECT size, root, cosigned_at FROM log "
		"WHERE origin = ?1",
	[ST_COSIGNED] = "SELECT root, note, last_at FROM cosigned "
		"WHERE origin = ?1 AND size = ?2",
	/* Invariant 4: the write happens only if the size is still the one
	 * the decision was made against. */
	[ST_CAS] = "UPDATE log SET size = ?3, root = ?4, cosigned_at = ?5 "
		"WHERE origin = ?1 AND size = ?2",
	/* root is set again on conflict so that trigger cosigned_root_fixed
	 * sees (and refuses) a second root for the size. */
	[ST_PUT_COSIGNED] = "INSERT INTO cosigned(origin, size, root, note, "
		"first_at, last_at, times) VALUES (?1, ?2, ?3, ?4, ?5, ?5, 1) "
		"ON CONFLICT(origin, size) DO UPDATE SET root = excluded.root, "
		"note = excluded.note, last_at = excluded.last_at, "
		"times = times + 1",
	[ST_PUT_EVIDENCE] = "INSERT INTO evidence(origin, status, reason, "
		"old, size, root, stored_size, stored_root, body, text_hash, "
		"first_at, last_at, times) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
		"?8, ?9, ?10, ?11, ?11, 1) ON CONFLICT(origin, text_hash, "
		"status) DO UPDATE SET times = times + 1, "
		"last_at = excluded.last_at RETURNING times",
	[ST_COUNT_EVIDENCE] = "SELECT count(*) FROM evidence "
		"WHERE origin = ?1",
};

static const char schema_sql[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE log(origin TEXT PRIMARY KEY,"
	" size INTEGER NOT NULL CHECK (size >= 0),"
	" root BLOB CHECK (root IS NULL OR length(root) = 32),"
	" cosigned_at INTEGER NOT NULL,"
	" CHECK (root IS NOT NULL OR size = 0));"
	"CREATE TABLE cosigned(origin TEXT NOT NULL, size INTEGER NOT NULL,"
	" root BLOB NOT NULL CHECK (length(root) = 32), note BLOB NOT NULL,"
	" first_at INTEGER NOT NULL, last_at INTEGER NOT NULL,"
	" times INTEGER NOT NULL, PRIMARY KEY(origin, size)) WITHOUT ROWID;"
	"CREATE TABLE evidence(id INTEGER PRIMARY KEY,"
	" origin TEXT NOT NULL, status INTEGER NOT NULL,"
	" reason TEXT NOT NULL, old INTEGER NOT NULL, size INTEGER NOT NULL,"
	" root BLOB NOT NULL, stored_size INTEGER NOT NULL, stored_root BLOB,"
	" body BLOB NOT NULL, text_hash BLOB NOT NULL,"
	" first_at INTEGER NOT NULL, last_at INTEGER NOT NULL,"
	" times INTEGER NOT NULL, UNIQUE(origin, text_hash, status));"
	/* Invariants 1 and 6. */
	"CREATE TRIGGER log_forward BEFORE UPDATE ON log WHEN"
	" NEW.origin IS NOT OLD.origin OR NEW.size < OLD.size OR"
	" (NEW.size = OLD.size AND OLD.root IS NOT NULL AND"
	"  NEW.root IS NOT OLD.root) OR NEW.cosigned_at < OLD.cosigned_at"
	" BEGIN SELECT RAISE(ABORT, 'witness invariant: a log state never"
	" moves back or changes its root'); END;"
	/* Invariant 2. */
	"CREATE TRIGGER cosigned_root_fixed BEFORE UPDATE ON cosigned WHEN"
	" NEW.origin IS NOT OLD.origin OR NEW.size IS NOT OLD.size OR"
	" NEW.root IS NOT OLD.root OR NEW.first_at IS NOT OLD.first_at"
	" BEGIN SELECT RAISE(ABORT, 'witness invariant: one root per size,"
	" ever'); END;"
	/* Invariant 5. */
	"CREATE TRIGGER log_kept BEFORE DELETE ON log BEGIN"
	" SELECT RAISE(ABORT, 'witness invariant: log rows are kept'); END;"
	"CREATE TRIGGER cosigned_kept BEFORE DELETE ON cosigned BEGIN"
	" SELECT RAISE(ABORT, 'witness invariant: cosigned rows are kept');"
	" END;"
	"CREATE TRIGGER evidence_kept BEFORE DELETE ON evidence BEGIN"
	" SELECT RAISE(ABORT, 'witness invariant: evidence is kept'); END;";

struct witness_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_COUNT];
	char *vkey;
};

static int db_error(struct mlog_error *err, sqlite3 *db, const char *what)
{
	return mlog_error_set(err, MLOG_ERR_DB, "%s: %s", what,
		db != NULL ? sqlite3_errmsg(db) : "out of memory");
}

static int exec(sqlite3 *db, const char *sql, struct mlog_error *err)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		mlog_error_set(err, MLOG_ERR_DB, "%.60s: %s", sql,
			msg != NULL ? msg : "?");
		sqlite3_free(msg);
		return MLOG_ERR_DB;
	}
	return MLOG_OK;
}

/* Pragmas every connection uses. WAL (set at creation, persistent) plus
 * synchronous=FULL is what makes a returned COMMIT durable. */
static int configure(sqlite3 *db, struct mlog_error *err)
{
	sqlite3_busy_timeout(db, 10000);
	return exec(db, "PRAGMA synchronous = FULL;"
		"PRAGMA cache_size = -2048;"
		"PRAGMA temp_store = MEMORY;", err);
}

int witness_store_create(const char *path, const char *vkey,
	struct mlog_error *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	if (access(path, F_OK) == 0)
		return mlog_error_set(err, MLOG_ERR_IO, "%s already exists: "
			"refusing to overwrite a witness's state", path);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
		SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		rc = db_error(err, db, path);
		goto out;
	}
	rc = exec(db, "PRAGMA journal_mode = WAL;", err);
	if (rc == MLOG_OK)
		rc = configure(db, err);
	if (rc == MLOG_OK)
		rc = exec(db, "BEGIN;", err);
	if (rc == MLOG_OK)
		rc = exec(db, schema_sql, err);
	if (rc != MLOG_OK)
		goto out;
	if (sqlite3_prepare_v2(db, "INSERT INTO meta(key, value) VALUES "
		"('schema', '" SCHEMA_VERSION "'), ('vkey', ?1)", -1, &st,
		NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, vkey, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		rc = db_error(err, db, "writing meta");
		goto out;
	}
	rc = exec(db, "COMMIT;", err);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (rc != MLOG_OK) {
		char extra[4200];

		unlink(path);
		/* WAL mode leaves -wal and -shm files beside a failed one. */
		snprintf(extra, sizeof(extra), "%s-wal", path);
		unlink(extra);
		snprintf(extra, sizeof(extra), "%s-shm", path);
		unlink(extra);
	}
	return rc;
}

/* Invariant 3, checked at open. */
static int check_state(struct witness_store *s, struct mlog_error *err)
{
	sqlite3_stmt *st = NULL;
	int step, rc = MLOG_OK;

	if (sqlite3_prepare_v2(s->db, "SELECT origin, size FROM log l "
		"WHERE root IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
		"cosigned c WHERE c.origin = l.origin AND c.size = l.size "
		"AND c.root = l.root) LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return db_error(err, s->db, "checking the state");
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		rc = mlog_error_set(err, MLOG_ERR_DB, "damaged state: log "
			"%s is at size %lld with no co-signed checkpoint of "
			"that root", (const char *)sqlite3_column_text(st, 0),
			(long long)sqlite3_column_int64(st, 1));
	else if (step != SQLITE_DONE)
		rc = db_error(err, s->db, "checking the state");
	sqlite3_finalize(st);
	return rc;
}

int witness_store_open(struct witness_store **out, const char *path,
	struct mlog_error *err)
{
	struct witness_store *s;
	sqlite3_stmt *st = NULL;
	int rc = MLOG_ERR_DB;

	if (access(path, F_OK) != 0)
		return mlog_error_set(err, MLOG_ERR_NOTFOUND,
			"%s: no witness state (run mlog-witness init)", path);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
		SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		db_error(err, s->db, path);
		goto fail;
	}
	if (configure(s->db, err) != MLOG_OK)
		goto fail;
	if (sqlite3_prepare_v2(s->db, "SELECT (SELECT value FROM meta WHERE "
		"key = 'schema'), (SELECT value FROM meta WHERE key = 'vkey')",
		-1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		db_error(err, s->db, "reading meta");
		goto fail;
	}
	if (sqlite3_column_text(st, 0) == NULL ||
	    strcmp((const char *)sqlite3_column_text(st, 0),
		SCHEMA_VERSION) != 0 || sqlite3_column_text(st, 1) == NULL) {
		mlog_error_set(err, MLOG_ERR_DB,
			"%s: unknown schema version (want %s)", path,
			SCHEMA_VERSION);
		goto fail;
	}
	s->vkey = strdup((const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	st = NULL;
	if (s->vkey == NULL) {
		rc = mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (check_state(s, err) != MLOG_OK)
		goto fail;
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
			SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL)
			!= SQLITE_OK) {
			db_error(err, s->db, stmt_sql[i]);
			goto fail;
		}
	}
	*out = s;
	return MLOG_OK;
fail:
	sqlite3_finalize(st);
	witness_store_close(s);
	return rc;
}

void witness_store_close(struct witness_store *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	free(s->vkey);
	free(s);
}

const char *witness_store_vkey(const struct witness_store *s)
{
	return s->vkey;
}

static sqlite3_stmt *stmt_begin(struct witness_store *s, enum stmt_id id)
{
	sqlite3_stmt *st = s->stmt[id];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/* Runs a statement without results (after binding). */
static int run(struct witness_store *s, sqlite3_stmt *st, const char *what,
	struct mlog_error *err)
{
	int step = sqlite3_step(st);

	sqlite3_reset(st);
	if (step != SQLITE_DONE)
		return db_error(err, s->db, what);
	return MLOG_OK;
}

int witness_store_add_log(struct witness_store *s, const char *origin,
	struct mlog_error *err)
{
	sqlite3_stmt *st = stmt_begin(s, ST_ADD_LOG);

	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	return run(s, st, "adding a log", err);
}

int witness_store_begin(struct witness_store *s, struct mlog_error *err)
{
	return run(s, stmt_begin(s, ST_BEGIN), "BEGIN IMMEDIATE", err);
}

int witness_store_commit(struct witness_store *s, struct mlog_error *err)
{
	return run(s, stmt_begin(s, ST_COMMIT), "COMMIT", err);
}

void witness_store_rollback(struct witness_store *s)
{
	/* Fails only when no transaction is open (SQLite already rolled
	 * it back after an I/O error): nothing left to undo. */
	if (!sqlite3_get_autocommit(s->db))
		(void)run(s, stmt_begin(s, ST_ROLLBACK), "ROLLBACK", NULL);
}

int witness_store_savepoint(struct witness_store *s, struct mlog_error *err)
{
	return run(s, stmt_begin(s, ST_SAVEPOINT), "SAVEPOINT", err);
}

int witness_store_release(struct witness_store *s, struct mlog_error *err)
{
	return run(s, stmt_begin(s, ST_RELEASE), "RELEASE", err);
}

void witness_store_undo(struct witness_store *s)
{
	if (run(s, stmt_begin(s, ST_UNDO), "ROLLBACK TO", NULL) == MLOG_OK)
		(void)run(s, stmt_begin(s, ST_RELEASE), "RELEASE", NULL);
}

int witness_store_state(struct witness_store *s, const char *origin,
	struct witness_state *out, struct mlog_error *err)
{
	sqlite3_stmt *st = stmt_begin(s, ST_STATE);
	struct witness_state tmp;
	int step, rc = MLOG_OK;

	memset(&tmp, 0, sizeof(tmp));
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_DONE) {
		rc = mlog_error_set(err, MLOG_ERR_NOTFOUND,
			"no state for log %s", origin);
		goto out;
	}
	if (step != SQLITE_ROW) {
		rc = db_error(err, s->db, "reading a log's state");
		goto out;
	}
	tmp.size = (uint64_t)sqlite3_column_int64(st, 0);
	if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
		if (sqlite3_column_bytes(st, 1) != MLOG_HASH_BYTES) {
			rc = mlog_error_set(err, MLOG_ERR_DB,
				"log %s: stored root is not 32 bytes",
				origin);
			goto out;
		}
		memcpy(tmp.root, sqlite3_column_blob(st, 1),
			MLOG_HASH_BYTES);
		tmp.has_root = 1;
	}
	tmp.cosigned_at = (uint64_t)sqlite3_column_int64(st, 2);
	*out = tmp;
out:
	sqlite3_reset(st);
	return rc;
}

int witness_store_cosigned(struct witness_store *s, const char *origin,
	uint64_t size, uint8_t root[MLOG_HASH_BYTES], char **note,
	size_t *note_len, uint64_t *at)
{
	sqlite3_stmt *st = stmt_begin(s, ST_COSIGNED);
	int step, rc = MLOG_OK;

	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
	step = sqlite3_step(st);
	if (step != SQLITE_ROW) {
		rc = step == SQLITE_DONE ? MLOG_ERR_NOTFOUND : MLOG_ERR_DB;
		goto out;
	}
	if (sqlite3_column_bytes(st, 0) != MLOG_HASH_BYTES) {
		rc = MLOG_ERR_DB;
		goto out;
	}
	if (note != NULL) {
		size_t n = (size_t)sqlite3_column_bytes(st, 1);
		char *copy = malloc(n + 1);

		if (copy == NULL) {
			rc = MLOG_ERR_NOMEM;
			goto out;
		}
		if (n > 0)
			memcpy(copy, sqlite3_column_blob(st, 1), n);
		copy[n] = '\0';
		*note = copy;
		*note_len = n;
	}
	if (root != NULL)
		memcpy(root, sqlite3_column_blob(st, 0), MLOG_HASH_BYTES);
	if (at != NULL)
		*at = (uint64_t)sqlite3_column_int64(st, 2);
out:
	sqlite3_reset(st);
	return rc;
}

int witness_store_advance(struct witness_store *s, const char *origin,
	uint64_t old_size, uint64_t new_size,
	const uint8_t root[MLOG_HASH_BYTES], const char *note, size_t note_len,
	uint64_t at, struct mlog_error *err)
{
	sqlite3_stmt *st = stmt_begin(s, ST_CAS);
	int rc;

	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)old_size);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)new_size);
	sqlite3_bind_blob(st, 4, root, MLOG_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)at);
	rc = run(s, st, "updating a log's state", err);
	if (rc != MLOG_OK)
		return rc;
	if (sqlite3_changes(s->db) != 1)
		return mlog_error_set(err, MLOG_ERR_CONFLICT,
			"log %s is no longer at size %" PRIu64, origin,
			old_size);
	st = stmt_begin(s, ST_PUT_COSIGNED);
	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)new_size);
	sqlite3_bind_blob(st, 3, root, MLOG_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, note, (int)note_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)at);
	return run(s, st, "recording a co-signed checkpoint", err);
}

int witness_store_add_evidence(struct witness_store *s,
	const struct witness_evidence *e, int *fresh, struct mlog_error *err)
{
	sqlite3_stmt *st = stmt_begin(s, ST_PUT_EVIDENCE);
	int step, times = 0;

	sqlite3_bind_text(st, 1, e->origin, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, e->status);
	sqlite3_bind_text(st, 3, e->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)e->old);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)e->size);
	sqlite3_bind_blob(st, 6, e->root, MLOG_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)e->stored_size);
	if (e->stored_root != NULL)
		sqlite3_bind_blob(st, 8, e->stored_root, MLOG_HASH_BYTES,
			SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_blob(st, 9, e->body, (int)e->body_len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 10, e->text_hash, MLOG_HASH_BYTES,
		SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)e->at);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		times = sqlite3_column_int(st, 0);
		step = sqlite3_step(st);
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE)
		return db_error(err, s->db, "recording evidence");
	if (fresh != NULL)
		*fresh = times == 1;
	return MLOG_OK;
}

int64_t witness_store_evidence_count(struct witness_store *s,
	const char *origin)
{
	sqlite3_stmt *st = stmt_begin(s, ST_COUNT_EVIDENCE);
	int64_t n = MLOG_ERR_DB;

	sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}
