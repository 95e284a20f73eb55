/*
 * err.h — error codes and one-line error messages for the merkle library.
 *
 * Every fallible function in merkle/ returns int: 0 (MLOG_OK) on success or
 * a negative enum mlog_err. Callers that want to tell a user what went wrong
 * pass a struct mlog_error, which receives one line naming the problem
 * ("checkpoint: line 2: tree size has a leading zero"). The library never
 * prints and never exits.
 *
 * Invariants:
 *  (1) Codes are negative and stable; programs map them to HTTP statuses and
 *      exit codes, so existing values are never renumbered.
 *  (2) MLOG_ERR_MALFORMED means "does not parse"; MLOG_ERR_VERIFY means
 *      "parses, but a hash or signature does not check". Every proof or
 *      signature mismatch is MLOG_ERR_VERIFY and nothing else.
 *  (3) A message is a single line with no control characters (line breaks
 *      and tabs become spaces, other C0/C1 controls and DEL '?'), at most
 *      MLOG_ERROR_MSG_MAX - 1 bytes, truncated rather than overflowed:
 *      safe to print even when it quotes untrusted bytes.
 *
 * Thread-safety: no shared state; a struct mlog_error belongs to its caller.
 * Ownership: struct mlog_error is caller-allocated; a NULL pointer is allowed
 * wherever one is accepted and means "don't record a message".
 */
#ifndef MLOG_ERR_H
#define MLOG_ERR_H

#define MLOG_MUST_CHECK __attribute__((warn_unused_result))

enum mlog_err {
	MLOG_OK = 0,
	MLOG_ERR_MALFORMED = -1,   /* input does not parse */
	MLOG_ERR_VERIFY = -2,      /* well-formed, fails a hash/signature check */
	MLOG_ERR_NOMEM = -3,       /* allocation failed */
	MLOG_ERR_IO = -4,          /* file or socket error */
	MLOG_ERR_DB = -5,          /* storage backend error */
	MLOG_ERR_TOOBIG = -6,      /* input exceeds a documented size cap */
	MLOG_ERR_RANGE = -7,       /* well-formed numbers out of range */
	MLOG_ERR_NOTFOUND = -8,    /* unknown key, origin, index, ... */
	MLOG_ERR_UNTRUSTED = -9,   /* no signature from a trusted key at all */
	MLOG_ERR_CONFLICT = -10,   /* state disagrees (e.g. witness size) */
	MLOG_ERR_INTERNAL = -11,   /* a library or system call failed */
};

#define MLOG_ERROR_MSG_MAX 256

struct mlog_error {
	int code;                       /* last code recorded, 0 if none */
	char msg[MLOG_ERROR_MSG_MAX];   /* one line, NUL-terminated */
};

/*
 * Records code and a printf-style message in *err (if err is not NULL) and
 * returns code, so that callers can write
 *     return mlog_error_set(err, MLOG_ERR_MALFORMED, "note: no blank line");
 * Control characters in the formatted message are replaced (invariant 3).
 */
int mlog_error_set(struct mlog_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Prefixes the message already in *err with "prefix: ", keeping its code,
 * and returns that code. Used to add context on the way up:
 *     return mlog_error_wrap(err, rc, "line %d", n);
 */
int mlog_error_wrap(struct mlog_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Makes the NUL-terminated s one printable line in place, as every
 * message is (invariant 3): line breaks and tabs become spaces, other
 * control characters (C0, DEL, C1 in UTF-8) '?'. For text quoted from
 * untrusted sources outside a struct mlog_error (the daemons' log lines).
 */
void mlog_error_flatten(char *s);

/* A short constant name for a code ("malformed", "verification failed"). */
const char *mlog_err_name(int code);

#endif
