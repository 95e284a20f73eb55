/*
 * bundletest.h — helpers for the client tests (test_cli_audit.c,
 * test_cli_evidence.c): statements with any measurement, files inside an
 * evidence bundle, re-sealing manifest.json after an edit (so a test can
 * show a check fails for the content itself, not only for the listed
 * hash), and JSON-lines output.
 *
 * Thread-safety: test thread only. Ownership: returned strings and
 * buffers are malloc'd for the caller; JSON is the caller's to decref.
 */
#ifndef MLOG_ITEST_BUNDLETEST_H
#define MLOG_ITEST_BUNDLETEST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* An approval statement: measurement is a JSON object text; subject is
 * made from its first id field (sgx.mrenclave or sgx.mrsigner).
 * build_entry < 0: none. */
char *bt_approval(const char *measurement, const char *ticket,
	const char *decision, long long build_entry);

/* A build manifest with one SGX measurement and the given build ID and
 * subject digest seed. */
char *bt_manifest(const char *build_id, const char *mrenclave,
	const char *mrsigner, unsigned isvsvn, const char *subject_hex);

/* 64 hex digits derived from a label. */
void bt_hex32(char out[65], const char *label);

/* Reads dir/rel (fails the test if it cannot). */
char *bt_read(const char *dir, const char *rel, size_t *len);

/* Writes dir/rel (replacing it). */
void bt_write(const char *dir, const char *rel, const void *data,
	size_t len);

/* Recomputes the SHA-256 manifest.json lists for rel and rewrites the
 * manifest in the writer's format. */
void bt_reseal(const char *dir, const char *rel);

/* Every file of the bundle as relative paths (NULL-terminated, malloc'd
 * array of malloc'd strings). */
char **bt_files(const char *dir);
void bt_files_free(char **files);

/* Parses JSON lines; returns an array of objects (fails the test on a
 * line that is not a JSON object). */
json_t *bt_json_lines(const char *text);

/* The events of type in arr (new array). */
json_t *bt_events_of(const json_t *arr, const char *type);

/* Copies directory src to dst (cp -a). */
void bt_copy_tree(const char *src, const char *dst);

#endif
