/*
 * store.c — SQLite storage for mlogd; the schema and the durability story
 * are in store.h.
 */
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "codec.h"
#include "statement.h"
#include "tile.h"

#define SCHEMA_VERSION "2"

/* Tile (level, n) is row id level * 2^56 + n: level < 8 and n < 2^56
 * (2^62 leaves / 256) keep ids positive and in key order. */
#define TILE_N_MAX ((UINT64_C(1) << 56) - 1)

static sqlite3_int64 tile_id(int level, uint64_t n)
{
	return (sqlite3_int64)(((uint64_t)level << 56) | n);
}

/* Prepared statements, one per query; finalised in mlogd_store_close. */
enum stmt_id {
	ST_LATEST,
	ST_TILE,
	ST_BUNDLE,
	ST_FULL_BUNDLE,
	ST_PUT_BUNDLE,
	ST_DEL_ENTRIES,
	ST_DEDUP,
	ST_SEARCH,
	ST_SIGNERS,
	ST_INTEGRATED,
	ST_PUT_TILE,
	ST_PUT_ENTRY,
	ST_PUT_DEDUP,
	ST_PUT_SEARCH,
	ST_PUT_SIGNER,
	ST_PUT_CHECKPOINT,
	ST_WITNESSED,
	ST_PUT_WITNESSED,
	ST_READ_BEGIN,
	ST_READ_END,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_LATEST] = "SELECT size, root, note FROM checkpoint "
		"ORDER BY size DESC LIMIT 1",
	[ST_TILE] = "SELECT data, mid FROM tile WHERE id = ?1",
	[ST_BUNDLE] = "SELECT data FROM entry WHERE idx >= ?1 AND idx < ?2 "
		"ORDER BY idx",
	[ST_FULL_BUNDLE] = "SELECT data FROM bundle WHERE n = ?1",
	[ST_PUT_BUNDLE] = "INSERT INTO bundle(n, data) VALUES (?1, ?2)",
	[ST_DEL_ENTRIES] = "DELETE FROM entry WHERE idx >= ?1 AND idx < ?2",
	[ST_DEDUP] = "SELECT idx FROM dedup WHERE prefix = ?1 LIMIT ?2",
	[ST_SEARCH] = "SELECT idx FROM search WHERE kind = ?1 AND key = ?2 "
		"AND idx > ?3 ORDER BY idx LIMIT ?4",
	[ST_SIGNERS] = "SELECT name FROM signer WHERE idx = ?1 ORDER BY name",
	[ST_INTEGRATED] = "SELECT signed_at FROM checkpoint WHERE size > ?1 "
		"ORDER BY size LIMIT 1",
	[ST_PUT_TILE] = "INSERT OR REPLACE INTO tile(id, data, mid) "
		"VALUES (?1, ?2, ?3)",
	[ST_PUT_ENTRY] = "INSERT INTO entry(idx, data) VALUES (?1, ?2)",
	[ST_PUT_DEDUP] = "INSERT OR IGNORE INTO dedup(prefix, idx) "
		"VALUES (?1, ?2)",
	[ST_PUT_SEARCH] = "INSERT OR IGNORE INTO search(kind, key, idx) "
		"VALUES (?1, ?2, ?3)",
	[ST_PUT_SIGNER] = "INSERT OR IGNORE INTO signer(idx, name) "
		"VALUES (?1, ?2)",
	[ST_PUT_CHECKPOINT] = "INSERT INTO checkpoint(size, root, note, "
		"signed_at) VALUES (?1, ?2, ?3, ?4)",
	[ST_WITNESSED] = "SELECT value FROM meta WHERE key = 'witnessed'",
	[ST_PUT_WITNESSED] = "INSERT OR REPLACE INTO meta(key, value) "
		"VALUES ('witnessed', ?1)",
	[ST_READ_BEGIN] = "BEGIN",
	[ST_READ_END] = "COMMIT",
};

static const char schema_sql[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE tile(id INTEGER PRIMARY KEY, data BLOB NOT NULL,"
	" mid BLOB);"
	"CREATE TABLE entry(idx INTEGER PRIMARY KEY, data BLOB NOT NULL);"
	"CREATE TABLE bundle(n INTEGER PRIMARY KEY, data BLOB NOT NULL);"
	"CREATE TABLE checkpoint(size INTEGER PRIMARY KEY, root BLOB NOT NULL,"
	" note BLOB NOT NULL, signed_at INTEGER NOT NULL);"
	"CREATE TABLE dedup(prefix INTEGER NOT NULL, idx INTEGER NOT NULL,"
	" PRIMARY KEY(prefix, idx)) WITHOUT ROWID;"
	"CREATE TABLE search(kind INTEGER NOT NULL, key BLOB NOT NULL,"
	" idx INTEGER NOT NULL, PRIMARY KEY(kind, key, idx)) WITHOUT ROWID;"
	"CREATE TABLE signer(idx INTEGER NOT NULL, name TEXT NOT NULL,"
	" PRIMARY KEY(idx, name)) WITHOUT ROWID;";

struct mlogd_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_COUNT];
	char *origin;
	unsigned wal_frames;     /* frames in the WAL after the last commit */
	int own_checkpoints;     /* 0: a checkpointer thread does them */
};

/* sqlite3_wal_hook: runs after each commit on this connection. */
static int on_wal_commit(void *ctx, sqlite3 *db, const char *name,
	int frames)
{
	struct mlogd_store *s = ctx;

	(void)db;
	(void)name;
	s->wal_frames = frames > 0 ? (unsigned)frames : 0;
	/* SQLite's own behaviour, or the safety net when a checkpointer
	 * falls far behind (store.h mlogd_store_hand_off_checkpoints). */
	if ((s->own_checkpoints && frames >= 1000) ||
	    frames >= MLOGD_STORE_WAL_FRAMES_MAX)
		(void)sqlite3_wal_checkpoint_v2(s->db, NULL,
			SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

void mlogd_store_hand_off_checkpoints(struct mlogd_store *s)
{
	s->own_checkpoints = 0;
}

unsigned mlogd_store_wal_frames(const struct mlogd_store *s)
{
	return s->wal_frames;
}

int mlogd_store_checkpoint(struct mlogd_store *s)
{
	return sqlite3_wal_checkpoint_v2(s->db, NULL,
		SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) == SQLITE_OK ? MLOG_OK
		: MLOG_ERR_DB;
}

static int db_error(struct mlog_error *err, sqlite3 *db, const char *what)
{
	return mlog_error_set(err, MLOG_ERR_DB, "%s: %s", what,
		db != NULL ? sqlite3_errmsg(db) : "out of memory");
}

static int exec(sqlite3 *db, const char *sql, struct mlog_error *err)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		mlog_error_set(err, MLOG_ERR_DB, "%s: %s", sql,
			msg != NULL ? msg : "?");
		sqlite3_free(msg);
		return MLOG_ERR_DB;
	}
	return MLOG_OK;
}

/* Pragmas every connection uses. WAL + synchronous=FULL is what makes a
 * returned COMMIT durable (store.h, DURABILITY). */
static int configure(sqlite3 *db, int readonly, struct mlog_error *err)
{
	sqlite3_busy_timeout(db, 10000);
	if (exec(db, "PRAGMA synchronous = FULL;"
		"PRAGMA cache_size = -4096;"
		"PRAGMA temp_store = MEMORY;", err) != MLOG_OK)
		return MLOG_ERR_DB;
	if (readonly)
		return exec(db, "PRAGMA query_only = 1;", err);
	return MLOG_OK;
}

int mlogd_store_create(const char *path, const char *origin,
	const char *note0, size_t note0_len, int64_t now,
	struct mlog_error *err)
{
	uint8_t empty[MLOG_HASH_BYTES];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	if (access(path, F_OK) == 0)
		return mlog_error_set(err, MLOG_ERR_IO,
			"%s already exists: refusing to overwrite a log", path);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
		SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		rc = db_error(err, db, path);
		goto out;
	}
	rc = exec(db, "PRAGMA journal_mode = WAL;", err);
	if (rc == MLOG_OK)
		rc = configure(db, 0, err);
	if (rc == MLOG_OK)
		rc = exec(db, "BEGIN;", err);
	if (rc == MLOG_OK)
		rc = exec(db, schema_sql, err);
	if (rc != MLOG_OK)
		goto out;
	if (sqlite3_prepare_v2(db, "INSERT INTO meta(key, value) VALUES "
		"('schema', '" SCHEMA_VERSION "'), ('origin', ?1)", -1, &st,
		NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		rc = db_error(err, db, "writing meta");
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	mlog_hash_empty(empty);
	if (sqlite3_prepare_v2(db, stmt_sql[ST_PUT_CHECKPOINT], -1, &st,
		NULL) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 1, 0) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 2, empty, MLOG_HASH_BYTES, SQLITE_STATIC)
		!= SQLITE_OK ||
	    sqlite3_bind_blob(st, 3, note0, (int)note0_len, SQLITE_STATIC)
		!= SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, now) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		rc = db_error(err, db, "writing the empty checkpoint");
		goto out;
	}
	rc = exec(db, "COMMIT;", err);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (rc != MLOG_OK)
		unlink(path);
	return rc;
}

/* Steps *st to the row (schema version, origin). */
static int read_meta(sqlite3 *db, sqlite3_stmt **st, struct mlog_error *err)
{
	if (sqlite3_prepare_v2(db, "SELECT (SELECT value FROM meta WHERE "
		"key = 'schema'), (SELECT value FROM meta WHERE key = "
		"'origin')", -1, st, NULL) != SQLITE_OK ||
	    sqlite3_step(*st) != SQLITE_ROW)
		return db_error(err, db, "reading meta");
	return MLOG_OK;
}

/*
 * Schema 1 -> 2: the tile table becomes a rowid table keyed by tile_id()
 * with the mid hashes of every tile, and the version is bumped, all in one
 * transaction (a crash leaves schema 1 and the upgrade runs again).
 */
static int upgrade_from_1(sqlite3 *db, struct mlog_error *err)
{
	sqlite3_stmt *old = NULL, *put = NULL;
	struct mlog_hash *h = mlog_hash_new();
	int rc = h == NULL ? mlog_error_set(err, MLOG_ERR_NOMEM,
		"out of memory") : MLOG_OK, step;

	if (rc == MLOG_OK)
		rc = exec(db, "BEGIN IMMEDIATE;"
			"CREATE TABLE tile2(id INTEGER PRIMARY KEY,"
			" data BLOB NOT NULL, mid BLOB);", err);
	if (rc != MLOG_OK)
		goto out;
	if (sqlite3_prepare_v2(db, "SELECT level, n, data FROM tile", -1,
		&old, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO tile2(id, data, mid) VALUES "
		"(?1, ?2, ?3)", -1, &put, NULL) != SQLITE_OK) {
		rc = db_error(err, db, "upgrading schema 1");
		goto out;
	}
	while ((step = sqlite3_step(old)) == SQLITE_ROW) {
		uint8_t mid[MLOG_TILE_MID_MAX][MLOG_HASH_BYTES];
		sqlite3_int64 level = sqlite3_column_int64(old, 0);
		sqlite3_int64 n = sqlite3_column_int64(old, 1);
		int len = sqlite3_column_bytes(old, 2);
		unsigned nmid;

		if (level < 0 || level >= MLOG_TILE_MAX_LEVELS || n < 0 ||
		    (uint64_t)n > TILE_N_MAX || len <= 0 ||
		    len > MLOG_TILE_MAX_BYTES || len % MLOG_HASH_BYTES != 0) {
			rc = mlog_error_set(err, MLOG_ERR_DB, "upgrading "
				"schema 1: tile %lld/%lld is malformed",
				(long long)level, (long long)n);
			goto out;
		}
		nmid = mlog_tile_mid_hashes(h, mid,
			sqlite3_column_blob(old, 2),
			(unsigned)len / MLOG_HASH_BYTES);
		sqlite3_bind_int64(put, 1, tile_id((int)level, (uint64_t)n));
		sqlite3_bind_blob(put, 2, sqlite3_column_blob(old, 2), len,
			SQLITE_STATIC);
		if (nmid > 0)
			sqlite3_bind_blob(put, 3, mid,
				(int)(nmid * MLOG_HASH_BYTES), SQLITE_STATIC);
		else
			sqlite3_bind_null(put, 3);
		if (sqlite3_step(put) != SQLITE_DONE) {
			rc = db_error(err, db, "upgrading schema 1: a tile");
			goto out;
		}
		sqlite3_reset(put);
	}
	if (step != SQLITE_DONE) {
		rc = db_error(err, db, "upgrading schema 1: reading tiles");
		goto out;
	}
	sqlite3_finalize(old);
	old = NULL;
	rc = exec(db, "DROP TABLE tile; ALTER TABLE tile2 RENAME TO tile;"
		"UPDATE meta SET value = '2' WHERE key = 'schema';"
		"COMMIT;", err);
out:
	sqlite3_finalize(old);
	sqlite3_finalize(put);
	mlog_hash_free(h);
	if (rc != MLOG_OK)
		sqlite3_exec(db, "ROLLBACK;", NULL, NULL, NULL);
	return rc;
}

int mlogd_store_open(struct mlogd_store **out, const char *path,
	int readonly, struct mlog_error *err)
{
	struct mlogd_store *s;
	sqlite3_stmt *st = NULL;
	int rc = MLOG_ERR_DB;

	if (access(path, F_OK) != 0)
		return mlog_error_set(err, MLOG_ERR_NOTFOUND,
			"%s: no log database (run mlogd init)", path);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
		SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		db_error(err, s->db, path);
		goto fail;
	}
	if (configure(s->db, readonly, err) != MLOG_OK)
		goto fail;
	if (read_meta(s->db, &st, err) != MLOG_OK)
		goto fail;
	if (sqlite3_column_text(st, 0) != NULL && !readonly &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "1") == 0) {
		sqlite3_finalize(st);
		st = NULL;
		if (upgrade_from_1(s->db, err) != MLOG_OK)
			goto fail;
		if (read_meta(s->db, &st, err) != MLOG_OK)
			goto fail;
	}
	if (sqlite3_column_text(st, 0) != NULL && readonly &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "1") == 0) {
		mlog_error_set(err, MLOG_ERR_DB, "%s: schema version 1, from "
			"an older mlogd: `mlogd serve` upgrades it", path);
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
	s->origin = strdup((const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	st = NULL;
	if (s->origin == NULL) {
		rc = mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
			SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL)
			!= SQLITE_OK) {
			db_error(err, s->db, stmt_sql[i]);
			goto fail;
		}
	}
	/* Replaces SQLite's automatic checkpoints with on_wal_commit. */
	s->own_checkpoints = 1;
	sqlite3_wal_hook(s->db, on_wal_commit, s);
	*out = s;
	return MLOG_OK;
fail:
	sqlite3_finalize(st);
	mlogd_store_close(s);
	return rc;
}

void mlogd_store_close(struct mlogd_store *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	free(s->origin);
	free(s);
}

const char *mlogd_store_origin(const struct mlogd_store *s)
{
	return s->origin;
}

/* Resets a statement after use so that it holds no read transaction. */
static sqlite3_stmt *stmt_begin(struct mlogd_store *s, enum stmt_id id)
{
	sqlite3_stmt *st = s->stmt[id];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

void mlogd_store_read_begin(struct mlogd_store *s)
{
	sqlite3_stmt *st = stmt_begin(s, ST_READ_BEGIN);

	/* On failure the reads simply run in autocommit mode. */
	(void)sqlite3_step(st);
	sqlite3_reset(st);
}

void mlogd_store_read_end(struct mlogd_store *s)
{
	sqlite3_stmt *st = stmt_begin(s, ST_READ_END);

	if (sqlite3_get_autocommit(s->db))
		return;
	(void)sqlite3_step(st);
	sqlite3_reset(st);
}

void mlogd_store_global_init(void)
{
	/* SQLite's allocation statistics take one global mutex on every
	 * malloc, which the HTTP threads' connections then contend for. */
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static void *dup_blob(const void *p, size_t n)
{
	void *q = malloc(n + 1);

	if (q != NULL) {
		if (n > 0)
			memcpy(q, p, n);
		((char *)q)[n] = '\0';
	}
	return q;
}

int mlogd_store_latest(struct mlogd_store *s, uint64_t *size,
	uint8_t root[MLOG_HASH_BYTES], char **note, size_t *note_len,
	struct mlog_error *err)
{
	sqlite3_stmt *st = stmt_begin(s, ST_LATEST);
	int rc = MLOG_OK;

	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = db_error(err, s->db, "reading the latest checkpoint");
		goto out;
	}
	if (sqlite3_column_bytes(st, 1) != MLOG_HASH_BYTES) {
		rc = mlog_error_set(err, MLOG_ERR_DB,
			"latest checkpoint has a %d-byte root",
			sqlite3_column_bytes(st, 1));
		goto out;
	}
	if (note != NULL) {
		size_t n = (size_t)sqlite3_column_bytes(st, 2);
		char *copy = dup_blob(sqlite3_column_blob(st, 2), n);

		if (copy == NULL) {
			rc = mlog_error_set(err, MLOG_ERR_NOMEM,
				"out of memory");
			goto out;
		}
		*note = copy;
		*note_len = n;
	}
	*size = (uint64_t)sqlite3_column_int64(st, 0);
	memcpy(root, sqlite3_column_blob(st, 1), MLOG_HASH_BYTES);
out:
	sqlite3_reset(st);
	return rc;
}

int mlogd_store_read_tile(struct mlogd_store *s, int level, uint64_t n,
	uint8_t *buf, size_t cap, size_t *len,
	uint8_t (*mid)[MLOG_HASH_BYTES], unsigned *nmid)
{
	sqlite3_stmt *st = stmt_begin(s, ST_TILE);
	int rc, step;

	if (level < 0 || level >= MLOG_TILE_MAX_LEVELS || n > TILE_N_MAX)
		return MLOG_ERR_NOTFOUND;
	sqlite3_bind_int64(st, 1, tile_id(level, n));
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		size_t got = (size_t)sqlite3_column_bytes(st, 0);
		const uint8_t *m = mid != NULL ? sqlite3_column_blob(st, 1)
			: NULL;
		size_t mlen = m != NULL ? (size_t)sqlite3_column_bytes(st, 1)
			: 0;

		/* The mid hashes must be those of the stored width (they
		 * are written with the tile, in the same row). */
		if (got > cap || got % MLOG_HASH_BYTES != 0 || got == 0 ||
		    (m != NULL && mlen != got / MLOG_HASH_BYTES /
			MLOG_TILE_MID_SPAN * MLOG_HASH_BYTES)) {
			rc = MLOG_ERR_DB;
		} else {
			memcpy(buf, sqlite3_column_blob(st, 0), got);
			*len = got;
			if (mid != NULL) {
				if (mlen > 0)   /* m is NULL for no mid */
					memcpy(mid, m, mlen);
				*nmid = (unsigned)(mlen / MLOG_HASH_BYTES);
			}
			rc = MLOG_OK;
		}
	} else {
		rc = step == SQLITE_DONE ? MLOG_ERR_NOTFOUND : MLOG_ERR_DB;
	}
	sqlite3_reset(st);
	return rc;
}

/* Bundle n assembled from its entry rows (the partial bundle, or a full
 * one about to be sealed). */
static int assemble_bundle(struct mlogd_store *s, uint64_t n, uint8_t **data,
	size_t *len, int *count_out)
{
	sqlite3_stmt *st = stmt_begin(s, ST_BUNDLE);
	uint8_t *buf = NULL;
	size_t used = 0, cap = 0;
	int rc = MLOG_OK, step, count = 0;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)(n * 256));
	sqlite3_bind_int64(st, 2, (sqlite3_int64)(n * 256 + 256));
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		size_t elen = (size_t)sqlite3_column_bytes(st, 0);

		if (elen > 65535) {
			rc = MLOG_ERR_DB;
			break;
		}
		if (used + 2 + elen > cap) {
			size_t grown_cap = (cap + 2 + elen) * 2;
			uint8_t *grown = realloc(buf, grown_cap);

			if (grown == NULL) {
				rc = MLOG_ERR_NOMEM;
				break;
			}
			buf = grown;
			cap = grown_cap;
		}
		mlog_codec_be16_put(buf + used, (uint16_t)elen);
		if (elen > 0)
			memcpy(buf + used + 2, sqlite3_column_blob(st, 0),
				elen);
		used += 2 + elen;
		count++;
	}
	sqlite3_reset(st);
	if (rc == MLOG_OK && step != SQLITE_DONE)
		rc = MLOG_ERR_DB;
	if (rc == MLOG_OK && count == 0)
		rc = MLOG_ERR_NOTFOUND;
	if (rc != MLOG_OK) {
		free(buf);
		return rc;
	}
	*data = buf;
	*len = used;
	*count_out = count;
	return MLOG_OK;
}

int mlogd_store_read_bundle(struct mlogd_store *s, uint64_t n,
	uint8_t **data, size_t *len)
{
	sqlite3_stmt *st = stmt_begin(s, ST_FULL_BUNDLE);
	int rc, step, count;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)n);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		size_t got = (size_t)sqlite3_column_bytes(st, 0);
		uint8_t *copy = dup_blob(sqlite3_column_blob(st, 0), got);

		rc = copy == NULL ? MLOG_ERR_NOMEM : MLOG_OK;
		if (copy != NULL) {
			*data = copy;
			*len = got;
		}
		sqlite3_reset(st);
		return rc;
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE)
		return MLOG_ERR_DB;
	return assemble_bundle(s, n, data, len, &count);
}

static int all_hex(const char *p, size_t n)
{
	if (n == 0 || n % 2 != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') ||
		      (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	}
	return 1;
}

size_t mlogd_search_key_encode(int kind, const char *key, size_t len,
	uint8_t *out, size_t cap)
{
	size_t prefix = 0;

	if (kind == MLOGD_SEARCH_SIGNER || kind == MLOG_STATEMENT_KEY_TICKET)
		goto text;
	if (kind == MLOG_STATEMENT_KEY_DIGEST) {
		const char *colon = memchr(key, ':', len);

		if (colon == NULL)
			goto text;
		prefix = (size_t)(colon - key) + 1;
	}
	if (!all_hex(key + prefix, len - prefix) ||
	    prefix + (len - prefix) / 2 > cap)
		goto text;
	memcpy(out, key, prefix);
	if (mlog_codec_hex_decode(out + prefix, (len - prefix) / 2,
		key + prefix, len - prefix) != MLOG_OK)
		goto text;
	return prefix + (len - prefix) / 2;
text:
	if (len > cap)
		len = cap;
	memcpy(out, key, len);
	return len;
}

static sqlite3_int64 leaf_prefix(const uint8_t leaf[MLOG_HASH_BYTES])
{
	return (sqlite3_int64)mlog_codec_be64_get(leaf);
}

int mlogd_store_dedup_candidates(struct mlogd_store *s,
	const uint8_t leaf[MLOG_HASH_BYTES], uint64_t *out, size_t cap)
{
	sqlite3_stmt *st = stmt_begin(s, ST_DEDUP);
	int n = 0, step;

	sqlite3_bind_int64(st, 1, leaf_prefix(leaf));
	sqlite3_bind_int64(st, 2, (sqlite3_int64)cap);
	while ((step = sqlite3_step(st)) == SQLITE_ROW && (size_t)n < cap)
		out[n++] = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return MLOG_ERR_DB;
	return n;
}

int mlogd_store_search(struct mlogd_store *s, int kind, const char *key,
	size_t key_len, uint64_t after, uint64_t *out, size_t limit)
{
	sqlite3_stmt *st = stmt_begin(s, ST_SEARCH);
	uint8_t enc[512];
	size_t elen = mlogd_search_key_encode(kind, key, key_len, enc,
		sizeof(enc));
	int n = 0, step;

	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_blob(st, 2, enc, (int)elen, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, after == UINT64_MAX ? -1
		: (sqlite3_int64)after);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)limit);
	while ((step = sqlite3_step(st)) == SQLITE_ROW && (size_t)n < limit)
		out[n++] = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return MLOG_ERR_DB;
	return n;
}

int mlogd_store_signers(struct mlogd_store *s, uint64_t index,
	char ***names)
{
	sqlite3_stmt *st = stmt_begin(s, ST_SIGNERS);
	char **list = NULL;
	int n = 0, step;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)index);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		char **grown = realloc(list, (size_t)(n + 1) * sizeof(*list));
		char *name;

		if (grown == NULL)
			break;
		list = grown;
		name = strdup((const char *)sqlite3_column_text(st, 0));
		if (name == NULL)
			break;
		list[n++] = name;
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE) {
		for (int i = 0; i < n; i++)
			free(list[i]);
		free(list);
		return step == SQLITE_ROW ? MLOG_ERR_NOMEM : MLOG_ERR_DB;
	}
	*names = list;
	return n;
}

int mlogd_store_integrated_at(struct mlogd_store *s, uint64_t index,
	int64_t *when)
{
	sqlite3_stmt *st = stmt_begin(s, ST_INTEGRATED);
	int rc, step;

	sqlite3_bind_int64(st, 1, (sqlite3_int64)index);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*when = sqlite3_column_int64(st, 0);
		rc = MLOG_OK;
	} else {
		rc = step == SQLITE_DONE ? MLOG_ERR_NOTFOUND : MLOG_ERR_DB;
	}
	sqlite3_reset(st);
	return rc;
}

int mlogd_store_witnessed(struct mlogd_store *s, char **note,
	size_t *note_len)
{
	sqlite3_stmt *st = stmt_begin(s, ST_WITNESSED);
	int rc, step = sqlite3_step(st);

	if (step == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		char *copy = dup_blob(sqlite3_column_text(st, 0), n);

		rc = copy == NULL ? MLOG_ERR_NOMEM : MLOG_OK;
		if (copy != NULL) {
			*note = copy;
			*note_len = n;
		}
	} else {
		rc = step == SQLITE_DONE ? MLOG_ERR_NOTFOUND : MLOG_ERR_DB;
	}
	sqlite3_reset(st);
	return rc;
}

int mlogd_store_set_witnessed(struct mlogd_store *s, const char *note,
	size_t note_len)
{
	sqlite3_stmt *st = stmt_begin(s, ST_PUT_WITNESSED);
	int step;

	sqlite3_bind_text(st, 1, note, (int)note_len, SQLITE_STATIC);
	step = sqlite3_step(st);
	sqlite3_reset(st);
	return step == SQLITE_DONE ? MLOG_OK : MLOG_ERR_DB;
}

/* Runs a bound write statement to completion. */
static int step_done(struct mlogd_store *s, sqlite3_stmt *st,
	struct mlog_error *err, const char *what)
{
	int step = sqlite3_step(st);

	sqlite3_reset(st);
	if (step != SQLITE_DONE)
		return db_error(err, s->db, what);
	return MLOG_OK;
}

/* Replaces the 256 entry rows of full bundle n by one bundle blob. */
static int seal_bundle(struct mlogd_store *s, uint64_t n,
	struct mlog_error *err)
{
	sqlite3_stmt *st;
	uint8_t *data = NULL;
	size_t len = 0;
	int count = 0, rc;

	rc = assemble_bundle(s, n, &data, &len, &count);
	if (rc != MLOG_OK || count != 256) {
		free(data);
		return mlog_error_set(err, MLOG_ERR_DB,
			"sealing bundle %" PRIu64 ": %d entries", n, count);
	}
	st = stmt_begin(s, ST_PUT_BUNDLE);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)n);
	sqlite3_bind_blob(st, 2, data, (int)len, SQLITE_STATIC);
	rc = step_done(s, st, err, "writing a bundle");
	free(data);
	if (rc != MLOG_OK)
		return rc;
	st = stmt_begin(s, ST_DEL_ENTRIES);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)(n * 256));
	sqlite3_bind_int64(st, 2, (sqlite3_int64)(n * 256 + 256));
	return step_done(s, st, err, "dropping sealed entry rows");
}

static int write_batch(struct mlogd_store *s, const struct mlogd_store_batch *b,
	struct mlog_error *err)
{
	sqlite3_stmt *st;
	uint64_t latest;
	uint8_t root[MLOG_HASH_BYTES];
	int rc;

	/* Inside the write transaction: nobody else can have moved on. */
	rc = mlogd_store_latest(s, &latest, root, NULL, NULL, err);
	if (rc != MLOG_OK)
		return rc;
	if (latest != b->old_size)
		return mlog_error_set(err, MLOG_ERR_CONFLICT,
			"batch starts at %" PRIu64 " but the log is at %"
			PRIu64, b->old_size, latest);
	for (size_t i = 0; i < b->nblobs; i++) {
		const struct mlogd_blob_row *r = &b->blobs[i];

		st = stmt_begin(s, ST_PUT_TILE);
		sqlite3_bind_int64(st, 1, tile_id(r->level, r->n));
		sqlite3_bind_blob(st, 2, r->data, (int)r->len, SQLITE_STATIC);
		if (r->nmid > 0)
			sqlite3_bind_blob(st, 3, r->mid,
				(int)r->nmid * MLOG_HASH_BYTES, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 3);
		rc = step_done(s, st, err, "writing a tile");
		if (rc != MLOG_OK)
			return rc;
	}
	for (uint64_t i = 0; i < b->new_size - b->old_size; i++) {
		st = stmt_begin(s, ST_PUT_ENTRY);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)(b->old_size + i));
		sqlite3_bind_blob(st, 2, b->entries[i], (int)b->entry_lens[i],
			SQLITE_STATIC);
		rc = step_done(s, st, err, "writing an entry");
		if (rc != MLOG_OK)
			return rc;
	}
	/* Every level-0 tile this batch filled: seal its bundle. */
	for (size_t i = 0; i < b->nblobs; i++) {
		if (b->blobs[i].level == 0 &&
		    b->blobs[i].len == 256 * MLOG_HASH_BYTES) {
			rc = seal_bundle(s, b->blobs[i].n, err);
			if (rc != MLOG_OK)
				return rc;
		}
	}
	for (uint64_t i = 0; i < b->new_size - b->old_size; i++) {
		st = stmt_begin(s, ST_PUT_DEDUP);
		sqlite3_bind_int64(st, 1, leaf_prefix(b->leaf_hashes[i]));
		sqlite3_bind_int64(st, 2, (sqlite3_int64)(b->old_size + i));
		rc = step_done(s, st, err, "writing the dedup index");
		if (rc != MLOG_OK)
			return rc;
	}
	for (size_t i = 0; i < b->nsearch; i++) {
		uint8_t key[512];
		size_t klen = mlogd_search_key_encode(b->search[i].kind,
			b->search[i].key, b->search[i].key_len, key,
			sizeof(key));

		st = stmt_begin(s, ST_PUT_SEARCH);
		sqlite3_bind_int(st, 1, b->search[i].kind);
		sqlite3_bind_blob(st, 2, key, (int)klen, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)b->search[i].index);
		rc = step_done(s, st, err, "writing the search index");
		if (rc != MLOG_OK)
			return rc;
	}
	for (size_t i = 0; i < b->nsigners; i++) {
		st = stmt_begin(s, ST_PUT_SIGNER);
		sqlite3_bind_int64(st, 1, (sqlite3_int64)b->signers[i].index);
		sqlite3_bind_text(st, 2, b->signers[i].name, -1,
			SQLITE_STATIC);
		rc = step_done(s, st, err, "writing signer names");
		if (rc != MLOG_OK)
			return rc;
	}
	st = stmt_begin(s, ST_PUT_CHECKPOINT);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)b->new_size);
	sqlite3_bind_blob(st, 2, b->root, MLOG_HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, b->note, (int)b->note_len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, b->signed_at);
	return step_done(s, st, err, "writing the checkpoint");
}

int mlogd_store_commit_batch(struct mlogd_store *s,
	const struct mlogd_store_batch *b, struct mlog_error *err)
{
	int rc;

	if (b->new_size <= b->old_size)
		return mlog_error_set(err, MLOG_ERR_CONFLICT,
			"empty batch (%" PRIu64 " -> %" PRIu64 ")", b->old_size,
			b->new_size);
	rc = exec(s->db, "BEGIN IMMEDIATE;", err);
	if (rc != MLOG_OK)
		return rc;
	rc = write_batch(s, b, err);
	if (rc == MLOG_OK)
		rc = exec(s->db, "COMMIT;", err);
	if (rc != MLOG_OK) {
		/* Nothing of the batch survives (invariant 1). */
		sqlite3_exec(s->db, "ROLLBACK;", NULL, NULL, NULL);
	}
	return rc;
}
