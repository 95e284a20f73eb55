/*
 * test_witness_store.c — witness/store.c: the compare-and-swap, the
 * cosigned and evidence tables, and the invariants the schema enforces
 * whatever SQL runs (store.h invariants 1-6).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sqlite3.h>

#include "store.h"
#include "support.h"
#include "witness_fixture.h"

#define VKEY "w.example+12345678+BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

struct fx {
	char dir[256];
	char path[300];
	struct witness_store *s;
};

static void fx_open(struct fx *f)
{
	struct mlog_error err = { 0, "" };

	fx_tmpdir(f->dir, sizeof(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/witness.db", f->dir);
	cr_assert_eq(witness_store_create(f->path, VKEY, &err), MLOG_OK, "%s",
		err.msg);
	cr_assert_eq(witness_store_open(&f->s, f->path, &err), MLOG_OK, "%s",
		err.msg);
	cr_assert_eq(witness_store_add_log(f->s, "log.a", &err), MLOG_OK);
}

static void fx_close(struct fx *f)
{
	witness_store_close(f->s);
	fx_rmtree(f->dir);
}

static void root_of(uint8_t root[32], int v)
{
	memset(root, v, 32);
}

/* Advances log.a inside its own transaction. */
static int advance(struct fx *f, uint64_t old, uint64_t size, int rootv,
	uint64_t at)
{
	uint8_t root[32];
	char note[64];
	int rc;

	root_of(root, rootv);
	snprintf(note, sizeof(note), "note %llu %d %llu\n",
		(unsigned long long)size, rootv, (unsigned long long)at);
	cr_assert_eq(witness_store_begin(f->s, NULL), MLOG_OK);
	rc = witness_store_advance(f->s, "log.a", old, size, root, note,
		strlen(note), at, NULL);
	if (rc == MLOG_OK)
		cr_assert_eq(witness_store_commit(f->s, NULL), MLOG_OK);
	else
		witness_store_rollback(f->s);
	return rc;
}

/* Runs sql on the file through another connection; returns SQLite's
 * result code. */
static int raw_sql(const struct fx *f, const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	cr_assert_eq(sqlite3_open(f->path, &db), SQLITE_OK);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

Test(witness_store, create_open_and_meta)
{
	struct fx f;
	struct witness_store *s2 = NULL;
	struct mlog_error err = { 0, "" };
	sqlite3 *db;
	sqlite3_stmt *st;

	fx_open(&f);
	cr_assert_str_eq(witness_store_vkey(f.s), VKEY);
	cr_assert_eq(witness_store_create(f.path, VKEY, &err), MLOG_ERR_IO,
		"never overwrite a state");
	cr_assert_eq(witness_store_open(&s2, "/nonexistent/witness.db",
		&err), MLOG_ERR_NOTFOUND);
	cr_assert_null(s2);
	/* WAL (durability with synchronous=FULL, store.h). */
	cr_assert_eq(sqlite3_open(f.path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st,
		NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
	fx_close(&f);
}

Test(witness_store, a_new_log_is_at_zero_without_a_root)
{
	struct fx f;
	struct witness_state st;

	fx_open(&f);
	cr_assert_eq(witness_store_add_log(f.s, "log.a", NULL), MLOG_OK,
		"adding twice is harmless");
	memset(&st, 0xff, sizeof(st));
	cr_assert_eq(witness_store_state(f.s, "log.a", &st, NULL), MLOG_OK);
	cr_assert_eq(st.size, 0);
	cr_assert_eq(st.has_root, 0);
	cr_assert_eq(st.cosigned_at, 0);
	cr_assert_eq(witness_store_state(f.s, "log.b", &st, NULL),
		MLOG_ERR_NOTFOUND);
	cr_assert_eq(st.size, 0, "untouched on failure");
	fx_close(&f);
}

Test(witness_store, advance_is_a_compare_and_swap)
{
	struct fx f;
	struct witness_state st;
	uint8_t root[32], want[32];
	char *note = NULL;
	size_t len = 0;
	uint64_t at = 0;

	fx_open(&f);
	cr_assert_eq(advance(&f, 0, 5, 1, 100), MLOG_OK);
	/* A request decided against size 0 can no longer write. */
	cr_assert_eq(advance(&f, 0, 6, 2, 101), MLOG_ERR_CONFLICT);
	cr_assert_eq(advance(&f, 3, 6, 2, 101), MLOG_ERR_CONFLICT);
	/* A same-size resubmit refreshes the cosigned row. */
	cr_assert_eq(advance(&f, 5, 5, 1, 102), MLOG_OK);
	cr_assert_eq(witness_store_state(f.s, "log.a", &st, NULL), MLOG_OK);
	cr_assert_eq(st.size, 5);
	cr_assert(st.has_root);
	root_of(want, 1);
	cr_assert_arr_eq(st.root, want, 32);
	cr_assert_eq(st.cosigned_at, 102);
	cr_assert_eq(witness_store_cosigned(f.s, "log.a", 5, root, &note,
		&len, &at), MLOG_OK);
	cr_assert_arr_eq(root, want, 32);
	cr_assert_str_eq(note, "note 5 1 102\n");
	cr_assert_eq(len, strlen(note));
	cr_assert_eq(at, 102);
	free(note);
	cr_assert_eq(witness_store_cosigned(f.s, "log.a", 4, NULL, NULL,
		NULL, NULL), MLOG_ERR_NOTFOUND);
	cr_assert_eq(advance(&f, 5, 9, 3, 103), MLOG_OK);
	cr_assert_eq(witness_store_cosigned(f.s, "log.a", 5, NULL, NULL,
		NULL, NULL), MLOG_OK, "every co-signed checkpoint is kept");
	fx_close(&f);
}

Test(witness_store, the_schema_refuses_rollbacks_and_second_roots)
{
	struct fx f;
	struct witness_state st;
	static const char *const refused[] = {
		"UPDATE log SET size = 3",
		"UPDATE log SET root = zeroblob(32)",
		"UPDATE log SET cosigned_at = 1",
		"UPDATE log SET origin = 'log.b'",
		"DELETE FROM log",
		"UPDATE cosigned SET root = zeroblob(32)",
		"UPDATE cosigned SET size = 6",
		"DELETE FROM cosigned",
		"INSERT INTO cosigned VALUES ('log.a', 5, zeroblob(32), 'x', 1,"
		" 1, 1)",
		"UPDATE log SET size = -1",
	};

	fx_open(&f);
	cr_assert_eq(advance(&f, 0, 5, 1, 100), MLOG_OK);
	/* Through the API: a smaller tree, another root at the same size,
	 * an earlier time. */
	cr_assert_eq(advance(&f, 5, 3, 1, 100), MLOG_ERR_DB);
	cr_assert_eq(advance(&f, 5, 5, 2, 100), MLOG_ERR_DB);
	cr_assert_eq(advance(&f, 5, 6, 2, 99), MLOG_ERR_DB);
	/* Through any SQL at all. */
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		cr_assert_neq(raw_sql(&f, refused[i]), SQLITE_OK, "%s",
			refused[i]);
	cr_assert_eq(witness_store_state(f.s, "log.a", &st, NULL), MLOG_OK);
	cr_assert_eq(st.size, 5);
	cr_assert_eq(st.cosigned_at, 100);
	fx_close(&f);
}

Test(witness_store, undo_and_rollback_leave_nothing)
{
	struct fx f;
	struct witness_state st;
	uint8_t root[32];

	fx_open(&f);
	root_of(root, 1);
	cr_assert_eq(witness_store_begin(f.s, NULL), MLOG_OK);
	cr_assert_eq(witness_store_savepoint(f.s, NULL), MLOG_OK);
	cr_assert_eq(witness_store_advance(f.s, "log.a", 0, 5, root, "n\n",
		2, 10, NULL), MLOG_OK);
	witness_store_undo(f.s);
	/* The transaction goes on after an undone request. */
	cr_assert_eq(witness_store_savepoint(f.s, NULL), MLOG_OK);
	cr_assert_eq(witness_store_advance(f.s, "log.a", 0, 2, root, "n\n",
		2, 10, NULL), MLOG_OK);
	cr_assert_eq(witness_store_release(f.s, NULL), MLOG_OK);
	cr_assert_eq(witness_store_commit(f.s, NULL), MLOG_OK);
	cr_assert_eq(witness_store_state(f.s, "log.a", &st, NULL), MLOG_OK);
	cr_assert_eq(st.size, 2);
	cr_assert_eq(witness_store_cosigned(f.s, "log.a", 5, NULL, NULL,
		NULL, NULL), MLOG_ERR_NOTFOUND);
	/* A rolled back transaction leaves nothing either. */
	cr_assert_eq(witness_store_begin(f.s, NULL), MLOG_OK);
	cr_assert_eq(witness_store_advance(f.s, "log.a", 2, 7, root, "n\n",
		2, 11, NULL), MLOG_OK);
	witness_store_rollback(f.s);
	cr_assert_eq(witness_store_state(f.s, "log.a", &st, NULL), MLOG_OK);
	cr_assert_eq(st.size, 2);
	fx_close(&f);
}

Test(witness_store, evidence_is_kept_once_per_checkpoint_and_status)
{
	struct fx f;
	struct witness_evidence e;
	uint8_t root[32], th[32], other[32];
	int fresh = -1;

	fx_open(&f);
	root_of(root, 4);
	root_of(th, 5);
	root_of(other, 6);
	e = (struct witness_evidence){
		.origin = "log.a", .status = 422, .reason = "proof fails",
		.old = 1, .size = 3, .root = root, .stored_size = 1,
		.stored_root = NULL, .body = "body-1", .body_len = 6,
		.text_hash = th, .at = 50,
	};
	cr_assert_eq(witness_store_begin(f.s, NULL), MLOG_OK);
	cr_assert_eq(witness_store_add_evidence(f.s, &e, &fresh, NULL),
		MLOG_OK);
	cr_assert_eq(fresh, 1);
	e.body = "body-2";
	e.at = 60;
	cr_assert_eq(witness_store_add_evidence(f.s, &e, &fresh, NULL),
		MLOG_OK);
	cr_assert_eq(fresh, 0, "the same checkpoint again only counts");
	e.status = 409;
	cr_assert_eq(witness_store_add_evidence(f.s, &e, &fresh, NULL),
		MLOG_OK);
	cr_assert_eq(fresh, 1);
	e.status = 422;
	e.text_hash = other;
	e.stored_root = root;
	cr_assert_eq(witness_store_add_evidence(f.s, &e, &fresh, NULL),
		MLOG_OK);
	cr_assert_eq(fresh, 1);
	cr_assert_eq(witness_store_commit(f.s, NULL), MLOG_OK);
	cr_assert_eq(witness_store_evidence_count(f.s, "log.a"), 3);
	cr_assert_eq(witness_store_evidence_count(f.s, "log.b"), 0);
	cr_assert_neq(raw_sql(&f, "DELETE FROM evidence"), SQLITE_OK);
	cr_assert_eq(raw_sql(&f, "SELECT 1 FROM evidence WHERE body = "
		"CAST('body-1' AS BLOB) AND times = 2 AND first_at = 50 AND "
		"last_at = 60"), SQLITE_OK);
	fx_close(&f);
}

Test(witness_store, open_refuses_a_damaged_state)
{
	struct fx f;
	struct witness_store *s = NULL;
	struct mlog_error err = { 0, "" };

	fx_open(&f);
	cr_assert_eq(advance(&f, 0, 5, 1, 100), MLOG_OK);
	witness_store_close(f.s);
	f.s = NULL;
	/* Tamper behind the triggers' back: the log row now names a root
	 * that was never co-signed (invariant 3). */
	cr_assert_eq(raw_sql(&f, "DROP TRIGGER log_forward; UPDATE log SET "
		"root = zeroblob(32)"), SQLITE_OK);
	cr_assert_eq(witness_store_open(&s, f.path, &err), MLOG_ERR_DB);
	cr_assert_null(s);
	cr_assert_not_null(strstr(err.msg, "damaged"), "%s", err.msg);
	/* And an unknown schema. */
	cr_assert_eq(raw_sql(&f, "UPDATE meta SET value = '9' WHERE key = "
		"'schema'"), SQLITE_OK);
	cr_assert_eq(witness_store_open(&s, f.path, &err), MLOG_ERR_DB);
	cr_assert_not_null(strstr(err.msg, "schema"), "%s", err.msg);
	fx_close(&f);
}
