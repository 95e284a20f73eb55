/*
 * store.h — mlogd's durable state: one SQLite database in WAL mode.
 *
 * The store holds the log as C2SP tlog-tiles data (hash tiles at every
 * level, entry bundles), every checkpoint the log ever signed, and the
 * indexes the read API needs (leaf-hash dedup, search keys, signer names).
 * It knows SQL and durability; it knows nothing of tree math or HTTP. The
 * sequencer computes a batch in memory and hands it over whole
 * (mlogd_store_commit_batch); readers open their own connections.
 *
 * SCHEMA (version 2)
 *
 *   meta(key TEXT PRIMARY KEY, value TEXT)
 *       'schema' = '2', 'origin' = the log origin, 'witnessed' = the
 *       latest checkpoint with a quorum of witness cosignatures
 *       (witnessing.h), replaced as newer ones arrive.
 *   tile(id INTEGER PRIMARY KEY, data BLOB, mid BLOB)
 *       id = level * 2^56 + n. A rowid table, not WITHOUT ROWID keyed by
 *       (level, n): an index b-tree keeps whole rows as keys, so every
 *       key comparison of a seek read the ~8 KiB row's overflow pages
 *       (measured: 18 page reads per proof instead of ~9).
 *       Hash tile (level, n) as it stands: w*32 bytes for width w
 *       (1..256). A partial tile is overwritten as it grows; a full one
 *       (8192 bytes) never changes again. A partial `.p/W` request is
 *       served as the first W*32 bytes. mid: the tile's floor(w/16) mid
 *       hashes (merkle/tile.h), written in the same row, NULL when there
 *       are none; derived data that lets a proof read any node of the
 *       tile with at most 7 node hashes. Schema 2: opening a schema-1
 *       database (WITHOUT ROWID (level, n, data), no mid) read-write
 *       upgrades it in one transaction (copies every tile with its mid
 *       hashes); read-only opens refuse schema 1.
 *   entry(idx INTEGER PRIMARY KEY, data BLOB)
 *       The entries of the partial (right-edge) bundle, one row each, so
 *       that a commit writes only its new entries; a stored partial
 *       bundle blob would be rewritten whole by every batch that extends
 *       it (measured: that rewrite dominated commit time).
 *   bundle(n INTEGER PRIMARY KEY, data BLOB)
 *       Full entry bundles (C2SP tlog-tiles bytes: uint16 length || entry,
 *       256 times). When level-0 tile n becomes full, the same transaction
 *       assembles bundle n from its entry rows and deletes them: one blob
 *       in overflow pages costs ~1% where 256 rows left ~6% of each page
 *       unused (measured with 1.3 KiB entries).
 *   checkpoint(size INTEGER PRIMARY KEY, root BLOB, note BLOB,
 *              signed_at INTEGER)
 *       Every checkpoint signed, keyed by size: one root per size ever
 *       (the primary key makes a second root for a size impossible).
 *       signed_at is Unix seconds; an entry's integration time is the
 *       signed_at of the first checkpoint whose size exceeds its index.
 *   dedup(prefix INTEGER, idx INTEGER, PRIMARY KEY(prefix, idx))
 *       WITHOUT ROWID. First 8 bytes of each leaf hash (big-endian, as a
 *       signed 64-bit integer) → index. A prefix hit is confirmed against
 *       the level-0 tile, so prefix collisions cost a read, never a wrong
 *       answer.
 *   search(kind INTEGER, key BLOB, idx INTEGER, PRIMARY KEY(kind, key, idx))
 *       WITHOUT ROWID. One row per (search key, entry): MRENCLAVE,
 *       MRSIGNER, TDX/SNP/Nitro measurements, ticket, subject digest
 *       (enum mlog_statement_key_kind), signer name (MLOGD_SEARCH_SIGNER).
 *   signer(idx INTEGER, name TEXT, PRIMARY KEY(idx, name)) WITHOUT ROWID
 *       Names of the configured signers whose signature verified, per entry.
 *
 * Overhead per entry beyond its bytes: 32 (level-0 hash) + ~0.13 (upper
 * levels) + 2 (mid hashes) + 2 (bundle length prefix) + overflow-page pointers and slack
 * (~1%); dedup, search and signer rows are the indexes. Search keys that
 * are hex are stored as their bytes (mlogd_search_key_encode).
 *
 * INVARIANTS
 *  (1) The database is always at a batch boundary: the tiles, bundles,
 *      indexes and checkpoint of a batch are written in one transaction
 *      (mlogd_store_commit_batch), so they are all there or none is.
 *  (2) The latest checkpoint's size S equals the number of entries in
 *      full bundles plus entry rows, and of leaves in the level-0 tiles;
 *      entry rows exist exactly for [256*floor(S/256), S); its root equals
 *      the
 *      root computed from the stored tiles (checked at start-up by the
 *      sequencer's recovery, which refuses to serve otherwise).
 *  (3) Rows are only ever inserted, or partial tiles replaced by longer
 *      ones with the same prefix; nothing at an index < S changes.
 *
 * DURABILITY, step by step (what a crash leaves):
 *  - before COMMIT: SQLite's WAL discards the uncommitted frames on the
 *    next open; the log is at the previous batch, and no request of this
 *    batch has been answered.
 *  - after COMMIT returns (synchronous=FULL: WAL fsynced): the batch is
 *    durable; requests are answered only after this point, so every
 *    acknowledged entry survives any crash.
 *  - between COMMIT and the answers: entries are durable but unacknowledged;
 *    a client that retries gets 200 with the same index (dedup).
 *
 * Thread-safety: a struct mlogd_store is one SQLite connection, used by one
 * thread at a time. The sequencer owns the writer; each HTTP worker opens a
 * read-only one. SQLite's WAL lets readers run during a commit and see the
 * last committed batch.
 * Ownership: mlogd_store_open returns a store the caller closes with
 * mlogd_store_close (NULL allowed). Buffers returned through OUT pointers
 * are malloc'd and owned by the caller unless stated otherwise.
 */
#ifndef MLOGD_STORE_H
#define MLOGD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hash.h"

#define MLOGD_STORE_FILE "mlog.db"

/*
 * The stored form of a search key: hex values (measurements, digests after
 * their "alg:" prefix) as bytes, halving the index; text (tickets, signer
 * names) as is. Writes at most 2 * MLOG_STATEMENT_KEY_VALUE_MAX bytes to
 * out and returns the length. The same function encodes queries, so a
 * query that is not canonical lowercase hex simply finds nothing.
 */
size_t mlogd_search_key_encode(int kind, const char *key, size_t len,
	uint8_t *out, size_t cap);

/* Search kinds are merkle/statement.h's enum mlog_statement_key_kind
 * (digest, MRENCLAVE, MRSIGNER, MRTD, ..., ticket), plus this one for the
 * names of the signers whose signatures verified. */
#define MLOGD_SEARCH_SIGNER 100

struct mlogd_store;

/* One row to add to the search table. */
struct mlogd_search_row {
	int kind;
	const char *key;       /* not necessarily NUL-terminated */
	size_t key_len;
	uint64_t index;
};

/* One (entry, signer name) row. */
struct mlogd_signer_row {
	uint64_t index;
	const char *name;
};

/* A hash tile to write (insert or replace), with its mid hashes
 * (merkle/tile.h: floor(width / 16) of them, or none). */
struct mlogd_blob_row {
	int level;
	uint64_t n;
	const uint8_t *data;
	size_t len;
	const uint8_t (*mid)[MLOG_HASH_BYTES];
	unsigned nmid;
};

/* Everything one batch writes, in one transaction. */
struct mlogd_store_batch {
	uint64_t old_size, new_size;
	const struct mlogd_blob_row *blobs;   /* hash tiles */
	size_t nblobs;
	/* The new entries, indexes old_size .. new_size - 1, in order. */
	const uint8_t *const *entries;
	const size_t *entry_lens;
	const uint8_t (*leaf_hashes)[MLOG_HASH_BYTES];
	const struct mlogd_search_row *search;
	size_t nsearch;
	const struct mlogd_signer_row *signers;
	size_t nsigners;
	const uint8_t *root;                  /* MLOG_HASH_BYTES */
	const char *note;                     /* signed checkpoint */
	size_t note_len;
	int64_t signed_at;                    /* Unix seconds */
};

/*
 * Creates a new database at path for origin (fails if it exists), with
 * the empty-tree checkpoint note (size 0) given. Returns 0, MLOG_ERR_IO or
 * MLOG_ERR_DB.
 */
int mlogd_store_create(const char *path, const char *origin,
	const char *note0, size_t note0_len, int64_t now,
	struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Opens an existing database. readonly connections are for HTTP workers.
 * Checks the schema version. Returns 0, MLOG_ERR_NOTFOUND (no database),
 * MLOG_ERR_DB.
 */
int mlogd_store_open(struct mlogd_store **out /* OUT */, const char *path,
	int readonly, struct mlog_error *err) MLOG_MUST_CHECK;

void mlogd_store_close(struct mlogd_store *s);

/*
 * WAL checkpoints. By default a connection checkpoints (PASSIVE) after a
 * commit that leaves 1,000 or more frames in the WAL, as SQLite would.
 * The writer can hand that work to another connection on another thread
 * (mlogd_store_hand_off_checkpoints, then mlogd_store_checkpoint there),
 * which takes the copying and the database fsync off the commit path;
 * it still checkpoints itself past MLOGD_STORE_WAL_FRAMES_MAX frames, so
 * the WAL stays bounded if the other thread falls behind.
 * mlogd_store_wal_frames is the WAL's length after this connection's last
 * commit. mlogd_store_checkpoint returns 0 or MLOG_ERR_DB (busy included).
 */
#define MLOGD_STORE_WAL_FRAMES_MAX 65536        /* 256 MiB of 4 KiB pages */
void mlogd_store_hand_off_checkpoints(struct mlogd_store *s);
unsigned mlogd_store_wal_frames(const struct mlogd_store *s);
int mlogd_store_checkpoint(struct mlogd_store *s) MLOG_MUST_CHECK;

/*
 * Process-wide SQLite settings; call once before any store is opened
 * (it is a no-op afterwards).
 */
void mlogd_store_global_init(void);

/*
 * Brackets a group of reads (one HTTP request) in one read transaction:
 * they see one snapshot of the log and pay SQLite's per-transaction
 * locking and file checks once instead of per query. Never hold one long:
 * it keeps the WAL from being checkpointed past it. Not for the writer
 * connection.
 */
void mlogd_store_read_begin(struct mlogd_store *s);
void mlogd_store_read_end(struct mlogd_store *s);

/* The origin recorded at creation, NUL-terminated, owned by the store. */
const char *mlogd_store_origin(const struct mlogd_store *s);

/*
 * The latest checkpoint: size, root, and (if note is not NULL) a malloc'd
 * copy of its signed note. Returns 0 or MLOG_ERR_DB.
 */
int mlogd_store_latest(struct mlogd_store *s, uint64_t *size /* OUT */,
	uint8_t root[MLOG_HASH_BYTES] /* OUT */, char **note /* OUT */,
	size_t *note_len /* OUT */, struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Reads hash tile (level, n) as stored into buf (cap >= 8192); *len gets
 * its byte length (32 * width). When mid is not NULL it also gets the
 * tile's mid hashes (merkle/tile.h; room for MLOG_TILE_MID_MAX) and *nmid
 * their number, 0 for a tile stored without them. Returns 0,
 * MLOG_ERR_NOTFOUND, MLOG_ERR_DB (also for mid hashes that do not match
 * the width).
 */
int mlogd_store_read_tile(struct mlogd_store *s, int level, uint64_t n,
	uint8_t *buf, size_t cap, size_t *len /* OUT */,
	uint8_t (*mid)[MLOG_HASH_BYTES] /* OUT, may be NULL */,
	unsigned *nmid /* OUT */) MLOG_MUST_CHECK;

/*
 * Entry bundle n as it stands (C2SP tlog-tiles: uint16 length || entry,
 * for each stored entry in [256n, 256n+256)): *data malloc'd (caller
 * frees). Returns 0, MLOG_ERR_NOTFOUND (no entry in that range),
 * MLOG_ERR_DB, MLOG_ERR_NOMEM.
 */
int mlogd_store_read_bundle(struct mlogd_store *s, uint64_t n,
	uint8_t **data /* OUT */, size_t *len /* OUT */) MLOG_MUST_CHECK;

/*
 * Candidate indexes whose leaf hash starts with the same 8 bytes as leaf
 * (at most cap; callers confirm against the tile). Returns the number
 * found (>= 0) or MLOG_ERR_DB.
 */
int mlogd_store_dedup_candidates(struct mlogd_store *s,
	const uint8_t leaf[MLOG_HASH_BYTES], uint64_t *out, size_t cap);

/*
 * Indexes of entries with search key (kind, key), ascending, > after (or
 * from 0 when after is UINT64_MAX), at most limit. Returns the number
 * found or MLOG_ERR_DB.
 */
int mlogd_store_search(struct mlogd_store *s, int kind, const char *key,
	size_t key_len, uint64_t after, uint64_t *out, size_t limit);

/*
 * Signer names recorded for entry index: *names is a malloc'd array of
 * malloc'd strings (free each, then the array). Returns the count or
 * MLOG_ERR_DB.
 */
int mlogd_store_signers(struct mlogd_store *s, uint64_t index,
	char ***names /* OUT */);

/*
 * Unix time at which entry index was integrated (signed_at of the first
 * checkpoint covering it). Returns 0, MLOG_ERR_NOTFOUND, MLOG_ERR_DB.
 */
int mlogd_store_integrated_at(struct mlogd_store *s, uint64_t index,
	int64_t *when /* OUT */) MLOG_MUST_CHECK;

/*
 * The latest witnessed checkpoint note (malloc'd), if any. Returns 0,
 * MLOG_ERR_NOTFOUND, MLOG_ERR_DB.
 */
int mlogd_store_witnessed(struct mlogd_store *s, char **note /* OUT */,
	size_t *note_len /* OUT */) MLOG_MUST_CHECK;

/* Replaces the witnessed checkpoint (durably). Returns 0 or MLOG_ERR_DB. */
int mlogd_store_set_witnessed(struct mlogd_store *s, const char *note,
	size_t note_len) MLOG_MUST_CHECK;

/*
 * Writes a whole batch in one transaction (invariant 1) and returns only
 * once it is durable. Requires b->old_size to be the latest checkpoint's
 * size (checked inside the transaction: MLOG_ERR_CONFLICT otherwise).
 * Returns 0, MLOG_ERR_CONFLICT or MLOG_ERR_DB; on error nothing was
 * written.
 */
int mlogd_store_commit_batch(struct mlogd_store *s,
	const struct mlogd_store_batch *b, struct mlog_error *err)
	MLOG_MUST_CHECK;

#endif
