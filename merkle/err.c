/*
 * err.c — error codes and one-line messages; see err.h.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Line breaks and tabs become spaces, every other control character
 * (C0, DEL, and C1 as UTF-8: U+0080..U+009F) becomes '?'. */
void mlog_error_flatten(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
		else if (*p < 0x20 || *p == 0x7f)
			*p = '?';
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			p[0] = '?';
			p[1] = '?';
			p++;
		}
	}
}

int mlog_error_set(struct mlog_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	mlog_error_flatten(err->msg);
	err->code = code;
	return code;
}

int mlog_error_wrap(struct mlog_error *err, int code, const char *fmt, ...)
{
	char prefix[MLOG_ERROR_MSG_MAX];
	char old[MLOG_ERROR_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	/* Truncation is the documented behaviour (invariant 3). */
	if (snprintf(err->msg, sizeof(err->msg), old[0] == '\0' ? "%s%s"
		: "%s: %s", prefix, old) < 0)
		err->msg[0] = '\0';
	mlog_error_flatten(err->msg);
	err->code = code;
	return code;
}

const char *mlog_err_name(int code)
{
	switch (code) {
	case MLOG_OK: return "ok";
	case MLOG_ERR_MALFORMED: return "malformed";
	case MLOG_ERR_VERIFY: return "verification failed";
	case MLOG_ERR_NOMEM: return "out of memory";
	case MLOG_ERR_IO: return "i/o error";
	case MLOG_ERR_DB: return "database error";
	case MLOG_ERR_TOOBIG: return "too large";
	case MLOG_ERR_RANGE: return "out of range";
	case MLOG_ERR_NOTFOUND: return "not found";
	case MLOG_ERR_UNTRUSTED: return "no trusted signature";
	case MLOG_ERR_CONFLICT: return "conflict";
	case MLOG_ERR_INTERNAL: return "internal error";
	}
	return "unknown error";
}
