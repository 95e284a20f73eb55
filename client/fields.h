/*
 * fields.h — the comparison model of `mlog diff`: a source (an enclave
 * file today; a log entry or build manifest later) is flattened into an
 * ordered list of named fields, and diff.h compares two such lists by
 * name. A new kind of source only needs a cli_fields_from_<kind>()
 * filling the same struct; the comparison and the three renderings stay.
 *
 * A field has a stable name (the JSON "field" value and the text label,
 * e.g. "attributemask.flags"), a display value, and what the diff needs
 * to say more than "changed":
 *   - FLAGS fields carry the bits and a namer, so the diff can list each
 *     bit turned on or off, and alert_on marks bits whose turning on is an
 *     alert ("!! DEBUG turned ON");
 *   - TEXT fields carry a risk rank; a change to a higher rank is an alert
 *     (debug_policy production-only -> either, signature valid -> invalid);
 *   - key fields (rank > 0) are named in the "unchanged" summary, grouped
 *     (attributes.flags and attributes.xfrm are summarised as
 *     "attributes").
 *
 * SGX fields, in SIGSTRUCT layout order and then derived ones (an ELF and
 * a raw SIGSTRUCT with the same SIGSTRUCT give the same list): header.type,
 * vendor, date, swdefined, reserved.44, mrsigner (standing for the
 * modulus), miscselect, miscmask, cet_attributes, cet_attributes_mask,
 * reserved.910, isvfamilyid, attributes.flags, attributes.xfrm,
 * attributemask.flags, attributemask.xfrm, mrenclave, reserved.992,
 * isvextprodid, isvprodid, isvsvn, debug_policy, signature, q1q2. Every
 * signed byte of the SIGSTRUCT is in one of them (HEADER and HEADER2 are
 * constants, checked by the reader), and the key is in mrsigner, so two
 * SIGSTRUCTs with no differing field have the same signed content and
 * signer.
 *
 * Invariants: (1) names are unique within a list; (2) at most
 * CLI_FIELDS_MAX fields; (3) text is NUL-terminated and holds the full
 * value (abbreviation is the renderer's business).
 *
 * Thread-safety: plain data. Ownership: a struct cli_fields is the
 * caller's and holds no pointers into the source; label points to the
 * caller's string (argv), and namers/groups are static.
 */
#ifndef MLOG_CLI_FIELDS_H
#define MLOG_CLI_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "sgx.h"

#define CLI_FIELDS_MAX 48
#define CLI_FIELD_NAME_MAX 64
#define CLI_FIELD_TEXT_MAX 200

enum cli_field_kind {
	CLI_FIELD_TEXT = 1,     /* compared as text */
	CLI_FIELD_FLAGS = 2,    /* compared as text; bits listed */
};

struct cli_field {
	char name[CLI_FIELD_NAME_MAX];
	int kind;                       /* enum cli_field_kind */
	char text[CLI_FIELD_TEXT_MAX];  /* display value, full */
	uint64_t bits;                  /* FLAGS: the value */
	const char *(*bit_name)(unsigned bit);  /* FLAGS: namer, may be NULL */
	uint64_t alert_on;              /* FLAGS: bits alerting when set */
	int risk;                       /* TEXT: higher is worse */
	int key;                        /* summary rank, 0: not a key field */
	const char *group;              /* summary name, NULL: name */
	int hash;                       /* long hex, abbreviated in text */
};

struct cli_fields {
	const char *label;      /* what the user named (argv) */
	const char *kind;       /* "sgx" */
	const char *format;     /* "sigstruct", "elf-sgxmeta", ... */
	size_t n;
	struct cli_field v[CLI_FIELDS_MAX];
};

/* Flattens a decoded enclave; sig_ok / q_ok are the results of
 * mlog_sgx_sigstruct_verify / _verify_q (1 = verified). */
void cli_fields_from_sgx(struct cli_fields *out /* OUT */, const char *label,
	const struct mlog_sgx_enclave *e, int sig_ok, int q_ok);

/* DATE as shown everywhere: "20161116" when every hex digit is a decimal
 * digit (yyyymmdd), else the raw value "0x2016111a". */
#define CLI_FIELDS_DATE_MAX 11
void cli_fields_date(char out[CLI_FIELDS_DATE_MAX], uint32_t date);

/* The field named name, or NULL. */
const struct cli_field *cli_fields_find(const struct cli_fields *fs,
	const char *name);

/* Writes the names of the set bits of v as "A, B, bit9" into out
 * (cap bytes), with namer (NULL: all "bitN"); "" when v is 0. */
void cli_fields_bit_names(char *out, size_t cap, uint64_t v,
	const char *(*namer)(unsigned bit));

#endif
