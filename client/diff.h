/*
 * diff.h — compares two field lists (fields.h) and renders the result as
 * text, JSON or a Markdown table for a pull-request comment (SPEC §5
 * `mlog diff`).
 *
 * Comparison: fields are matched by name, in OLD's order, then NEW's
 * fields that OLD lacks. A field changed when its text differs or it is
 * present on one side only. For a FLAGS field the bits turned on and off
 * are listed by name. Alerts: a FLAGS bit in alert_on turning on ("DEBUG
 * turned ON"), or a TEXT field moving to a higher risk rank
 * ("debug_policy production-only -> either").
 *
 * Text (reproduces samples/sgx/README.md "Expected diff"):
 *
 *   intel-le_prod_css-sdk1.7.bin -> intel-le_prod_css-sdk2.25.bin
 *     date                 20161116 -> 20240811
 *     attributemask.flags  0xffffffffffffffff -> 0xff00ffffffffffff
 *     attributemask.xfrm   0xfffffffffffffffb -> 0xffffffffffffff1b
 *     mrenclave            8050122c... -> 7881af9f...
 *     isvsvn               1 -> 7
 *     (mrsigner, isvprodid, attributes, debug_policy unchanged)
 *
 * Long hex values are cut to 8 digits and "..." unless full is set, or
 * unless the two cut values would read the same. Bit changes follow their
 * field on lines of their own ("PROVISIONKEY turned on"); an alert is a
 * line "  !! DEBUG turned ON". The summary names the key fields (fields.h)
 * that did not change, by group, in key order.
 *
 * Invariants: (1) same == (nchanges == 0); (2) every field of either list
 * is in exactly one of changes[] and same[].
 *
 * Thread-safety: plain data. Ownership: a struct cli_diff points into the
 * two lists it was computed from, which must outlive it.
 */
#ifndef MLOG_CLI_DIFF_H
#define MLOG_CLI_DIFF_H

#include <stdio.h>

#include "cli.h"
#include "fields.h"

#define CLI_DIFF_ALERTS_MAX 16
#define CLI_DIFF_ALERT_MAX 160

struct cli_change {
	const struct cli_field *old;    /* NULL: only in NEW */
	const struct cli_field *new;    /* NULL: only in OLD */
	uint64_t on;                    /* FLAGS: bits turned on */
	uint64_t off;                   /* FLAGS: bits turned off */
};

struct cli_diff {
	const struct cli_fields *a;     /* OLD */
	const struct cli_fields *b;     /* NEW */
	int same;
	size_t nchanges;
	struct cli_change changes[2 * CLI_FIELDS_MAX];
	size_t nsame;
	const struct cli_field *unchanged[CLI_FIELDS_MAX];  /* OLD's */
	size_t nalerts;
	char alerts[CLI_DIFF_ALERTS_MAX][CLI_DIFF_ALERT_MAX];
};

/* Compares a (OLD) with b (NEW) into *d. */
void cli_diff_compute(struct cli_diff *d /* OUT */,
	const struct cli_fields *a, const struct cli_fields *b);

/* Renders d to out in the given format; full turns off abbreviation of
 * long hex values in text. Write errors are the caller's to check. */
void cli_diff_print(FILE *out, const struct cli_diff *d,
	enum cli_output fmt, int full);

#endif
