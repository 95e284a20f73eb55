/*
 * log.c — event lines on stderr; see log.h.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

/* Set once by main before any thread starts; read-only afterwards. */
static const char *log_program = "mlogd";

void mlogd_log_init(const char *program)
{
	log_program = program;
}

void mlogd_log(const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	size_t n;
	va_list ap;
	int w;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	w = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s: ",
		ts.tv_nsec / 1000000, log_program);
	if (w > 0)
		n += (size_t)w;
	va_start(ap, fmt);
	w = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (w > 0)
		n += (size_t)w < sizeof(line) - n - 1 ? (size_t)w
						      : sizeof(line) - n - 2;
	/* One printable line whatever the arguments quote (a witness's
	 * answer, a client's bytes): err.h invariant 3. */
	line[n] = '\0';
	mlog_error_flatten(line);
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}
