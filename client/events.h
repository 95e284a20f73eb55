/*
 * events.h — the JSON events `mlog check` and `mlog monitor` print for a
 * SIEM (docs/cli.md "SIEM events"): one compact JSON object per line,
 * members in insertion order, beginning with timestamp (RFC 3339 UTC,
 * seconds), event_type and severity (INFO, MEDIUM, HIGH, CRITICAL).
 *
 * Invariants: (1) an event is one line ('\n' only at its end: jansson
 * escapes control characters in strings); (2) the stream is flushed after
 * each event, so a pipe reader sees it at once.
 *
 * Thread-safety: single-threaded (writes to a FILE).
 * Ownership: cli_event_new returns a new object; cli_event_emit steals it.
 * The cli_json_* helpers of cli.h add members (they exit on OOM).
 */
#ifndef MLOG_CLI_EVENTS_H
#define MLOG_CLI_EVENTS_H

#include <stdio.h>

#include <jansson.h>

/* A new event with timestamp (now), event_type and severity. */
json_t *cli_event_new(const char *event_type, const char *severity);

/* Writes ev as one line to out and flushes; returns 0 or -1 (write
 * failed). Steals ev. */
int cli_event_emit(json_t *ev, FILE *out);

/* RFC 3339 UTC of t (seconds) into out[32]. */
void cli_event_time(char out[32], long long t);

#endif
