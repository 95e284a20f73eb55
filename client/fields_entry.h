/*
 * fields_entry.h — log entries as diff sources (`mlog diff log:I`); see
 * fields_entry.c for the fields a build manifest flattens to.
 *
 * Thread-safety: single-threaded. Ownership: fills the caller's struct.
 */
#ifndef MLOG_CLI_FIELDS_ENTRY_H
#define MLOG_CLI_FIELDS_ENTRY_H

#include <stdint.h>

#include "fields.h"
#include "logclient.h"

/* Reads entry index under cp (authenticated through the tiles) and
 * flattens its statement; exits CLI_EXIT_ERROR naming label on failure. */
void cli_fields_from_entry(struct cli_fields *out, const char *label,
	struct cli_log *l, const struct cli_checkpoint *cp, uint64_t index);

#endif
