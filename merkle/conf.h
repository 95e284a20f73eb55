/*
 * conf.h — the settings file both daemons read (DIR/mlogd.conf,
 * DIR/mlog-witness.conf: docs/mlogd.md, docs/witness.md), and the value
 * grammars their flags and that file share. Our own format; no spec.
 *
 * Grammar (one setting per line, applied in file order):
 *
 *   line    = [key "=" value] [comment]       key, value trimmed of
 *                                              spaces, tabs and CRs
 *   comment = "#" to the end of the line, where the "#" is the line's
 *             first byte or follows a space, tab or CR
 *
 * Example (tests/test_conf.c):
 *
 *   # the log of the release pipeline
 *   listen = 0.0.0.0:8080
 *   signer = ci=build:/etc/mlog/ci#2.pem   # '#' inside a value stays
 *
 * Rules, each refused with the file name and line number:
 *  (1) the file is at most MLOG_CONF_FILE_MAX bytes (MLOG_ERR_TOOBIG) and
 *      holds no NUL byte;
 *  (2) a line is at most MLOG_CONF_LINE_MAX bytes, its end of line
 *      excluded (LF or CRLF); a longer one is refused, never cut;
 *  (3) a line that is not blank after its comment has a '='; the key is
 *      the text before the first '=' and is not empty; the value is the
 *      rest and may be empty (the setter judges it);
 *  (4) the key "data" is refused: the file lives in the data directory it
 *      would name;
 *  (5) the caller's setter judges each (key, value); its error, with its
 *      message, stops the load at that line. Settings of earlier lines
 *      stay applied (the daemons exit on any error).
 *
 * Values: mlog_conf_parse_uint takes plain decimals only (no sign, space,
 * or base prefix); mlog_conf_parse_listen takes HOST:PORT, the last ':'
 * splitting (so [::1]:80 keeps its brackets in HOST), PORT 1..65535.
 *
 * Thread-safety: no shared state; the setter runs on the caller's thread.
 * Ownership: strings handed out (host, list items) are the caller's to
 * free; mlog_conf_list_free frees a list built by mlog_conf_list_add.
 */
#ifndef MLOG_CONF_H
#define MLOG_CONF_H

#include <stddef.h>

#include "err.h"

#define MLOG_CONF_FILE_MAX (1024 * 1024)
#define MLOG_CONF_LINE_MAX 8192

/* Applies one setting; returns 0 or a negative MLOG_ERR_* with err set. */
typedef int (*mlog_conf_setter)(void *ctx, const char *key,
	const char *value, struct mlog_error *err);

/*
 * Parses a settings file held in memory (text, len bytes; need not be
 * NUL-terminated), calling set(ctx, key, value, err) for each setting.
 * name is the file name used in messages. Returns 0, MLOG_ERR_MALFORMED,
 * MLOG_ERR_TOOBIG, MLOG_ERR_NOMEM, or whatever the setter returned.
 */
int mlog_conf_parse(const char *text, size_t len, const char *name,
	mlog_conf_setter set, void *ctx, struct mlog_error *err)
	MLOG_MUST_CHECK;

/*
 * Reads and parses the file at path; a file that does not exist is an
 * empty one (returns 0, nothing set). Returns as mlog_conf_parse, or
 * MLOG_ERR_IO when the file exists but cannot be read.
 */
int mlog_conf_load(const char *path, mlog_conf_setter set, void *ctx,
	struct mlog_error *err) MLOG_MUST_CHECK;

/* *out = the decimal s if min <= s <= max; returns 0 or
 * MLOG_ERR_MALFORMED (out untouched). */
int mlog_conf_parse_uint(unsigned long *out, const char *s,
	unsigned long min, unsigned long max) MLOG_MUST_CHECK;

/* Splits HOST:PORT. On success *host is a new string (caller frees; the
 * old *host is freed) and *port is set. Returns 0, MLOG_ERR_MALFORMED,
 * MLOG_ERR_NOMEM; on failure nothing changes. */
int mlog_conf_parse_listen(char **host, unsigned *port, const char *s)
	MLOG_MUST_CHECK;

/* A numeric setting: its key, where it lives in the settings struct
 * (offsetof, and sizeof: unsigned or size_t), its range, and the unit
 * named in the error message (" seconds", or ""). */
struct mlog_conf_uint {
	const char *key;
	size_t offset;
	size_t size;
	unsigned long min, max;
	const char *unit;
};

/*
 * Stores value into the settings struct at base if key is in
 * table[0..n): the last resort of a daemon's setter, after its string
 * and list keys. Returns 0, or MLOG_ERR_MALFORMED with "KEY VALUE: want
 * MIN..MAX UNIT" when the value is bad and "unknown setting 'KEY'" when
 * the key is not in the table.
 */
int mlog_conf_set_uint(void *base, const struct mlog_conf_uint *table,
	size_t n, const char *key, const char *value, struct mlog_error *err)
	MLOG_MUST_CHECK;

/* Replaces *field (freed) by a copy of value. Returns 0, MLOG_ERR_NOMEM
 * (field unchanged). */
int mlog_conf_string_set(char **field, const char *value) MLOG_MUST_CHECK;

/* Appends a copy of value to the list (*list, *n). Returns 0,
 * MLOG_ERR_NOMEM (list unchanged). */
int mlog_conf_list_add(char ***list, size_t *n, const char *value)
	MLOG_MUST_CHECK;

/* Frees n items and the list; NULL is fine. */
void mlog_conf_list_free(char **list, size_t n);

#endif
