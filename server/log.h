/*
 * log.h — one line per event on stderr: "<RFC 3339 UTC time> <program>:
 * <message>". Lines are written with a single write(2) so that lines from
 * different threads never interleave, and are one printable line whatever
 * the message quotes (control characters replaced as in merkle/err.h).
 *
 * Thread-safety: any thread. Ownership: nothing retained.
 */
#ifndef MLOGD_LOG_H
#define MLOGD_LOG_H

/* Sets the program name shown on every line (a static string). */
void mlogd_log_init(const char *program);

void mlogd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
