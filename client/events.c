/*
 * events.c — SIEM events as JSON lines; see events.h.
 */
#include "events.h"

#include <stdlib.h>
#include <time.h>

#include "cli.h"

void cli_event_time(char out[32], long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *cli_event_new(const char *event_type, const char *severity)
{
	json_t *ev = json_object();
	char now[32];

	if (ev == NULL)
		cli_errx("out of memory building JSON");
	cli_event_time(now, (long long)time(NULL));
	cli_json_set(ev, "timestamp", cli_json_str(now));
	cli_json_set(ev, "event_type", cli_json_str(event_type));
	cli_json_set(ev, "severity", cli_json_str(severity));
	return ev;
}

int cli_event_emit(json_t *ev, FILE *out)
{
	char *s = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int rc = 0;

	json_decref(ev);
	if (s == NULL)
		cli_errx("out of memory building JSON");
	if (fputs(s, out) == EOF || fputc('\n', out) == EOF ||
	    fflush(out) != 0)
		rc = -1;
	free(s);
	return rc;
}
