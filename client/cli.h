/*
 * cli.h — what the files of the mlog client share (SPEC §5): the
 * subcommand table's entries, exit codes, signify-style usage and error
 * helpers, bounded file input and output-format parsing.
 *
 * Layout: main.c holds the table of { name, fn, usage, summary } and
 * dispatches; each subcommand is cmd_<name>.c exporting
 * cli_cmd_<name>(argc, argv), where argv[0] is the subcommand's name and
 * getopt_long starts at argv[1]. A new subcommand adds its file, its
 * prototype and CLI_USAGE_<NAME> here, and one row in main.c.
 *
 * Invariants:
 *  (1) Exit codes are frozen (docs/cli.md "Exit codes"): 0 ok, 1 a negative
 *      answer (differ, not allowed, invalid), 2 an error (usage, I/O,
 *      malformed input). They are never renumbered.
 *  (2) Every error message is one line on stderr starting "mlog: " and
 *      naming the file or argument concerned.
 *  (3) --help prints the usage to stdout and exits 0; a usage error prints
 *      the reason and the usage to stderr and exits 2.
 *
 * Thread-safety: the client is single-threaded.
 * Ownership: struct cli_file owns its mapping or buffer until
 * cli_file_close; everything else is the caller's.
 */
#ifndef MLOG_CLI_H
#define MLOG_CLI_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"
#include "sgx.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_NO 1           /* differ, not allowed, invalid */
#define CLI_EXIT_ERROR 2        /* usage, I/O, malformed input */

/* One subcommand: a row of main.c's table. */
struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);   /* returns an exit code */
	const char *usage;      /* synopsis line(s), each ending in '\n' */
	const char *summary;    /* one line for `mlog --help` */
};

/* Subcommands (one file each). */
int cli_cmd_audit(int argc, char **argv);
int cli_cmd_check(int argc, char **argv);
int cli_cmd_diff(int argc, char **argv);
int cli_cmd_keygen(int argc, char **argv);
int cli_cmd_measure(int argc, char **argv);
int cli_cmd_prove(int argc, char **argv);
int cli_cmd_publish(int argc, char **argv);
int cli_cmd_submit(int argc, char **argv);
int cli_cmd_verify(int argc, char **argv);

/* The log flags every log-talking command takes (logclient.h). */
#define CLI_USAGE_LOG \
	"  --log URL         the log (default: the policy's log URL)\n" \
	"  --policy FILE     C2SP tlog-policy: log key, witnesses, quorum\n" \
	"  --log-key VKEY    trust this log key alone (no witnesses)\n" \
	"  --cache DIR       keep full tiles here between runs\n"

#define CLI_USAGE_SUBMIT \
	"usage: mlog submit ENVELOPE [--out PROOF] [--wait SECONDS]\n" \
	"                   [--output text|json] LOG-FLAGS\n" \
	"  submits a DSSE envelope made elsewhere, verifies the receipt\n" \
	"  --out PROOF       save a C2SP tlog-proof meeting the policy\n" \
	"  --wait SECONDS    for a witnessed checkpoint (default 30)\n" \
	CLI_USAGE_LOG \
	"exit: 0 ok, 1 the receipt does not verify, 2 error or refused\n"
#define CLI_USAGE_PUBLISH \
	"usage: mlog publish build --key PEM --build-id ID --source-uri URI\n" \
	"         --commit HEX --builder ID [--enclave FILE] [--tee T]\n" \
	"         [--mrenclave H --mrsigner H --isvprodid N --isvsvn N\n" \
	"          --attributes H --miscselect H --debug | --mrtd H\n" \
	"          --rtmr0..3 H | --snp-measurement H | --pcr0..2,8 H]\n" \
	"         [--artifact FILE]... [--subject NAME=HEX]...\n" \
	"         [--sbom FILE]... [--toolchain NAME=VERSION=SHA256]...\n" \
	"       mlog publish approval --key PEM --ticket T --approver WHO\n" \
	"         (--mrenclave H | --mrsigner H --min-isvsvn N | --mrtd H)\n" \
	"         [--decision approved|revoked] [--reviewed-at RFC3339]\n" \
	"         [--build-entry INDEX] [--comment TEXT]\n" \
	"       mlog publish sbom --key PEM --sbom FILE [--sbom-format F]\n" \
	"         [--uri URI] (--artifact FILE | --subject NAME=HEX)...\n" \
	"  common: [--out PROOF] [--wait S] [--output text|json] [--print]\n" \
	"  --print           print the signed envelope, don't submit\n" \
	CLI_USAGE_LOG \
	"exit: 0 ok, 1 the receipt does not verify, 2 error or refused\n"
#define CLI_USAGE_PROVE \
	"usage: mlog prove inclusion (--index I | --entry ENVELOPE)\n" \
	"                  [--output tlog-proof|json] [--out FILE] LOG-FLAGS\n" \
	"       mlog prove consistency (--old M | --old-checkpoint FILE)\n" \
	"                  LOG-FLAGS\n" \
	"  proofs are computed here from the log's tiles, against a\n" \
	"  checkpoint that meets the policy\n" \
	CLI_USAGE_LOG \
	"exit: 0 ok, 1 the old checkpoint is not in the log's history,\n" \
	"      2 error\n"
#define CLI_USAGE_VERIFY \
	"usage: mlog verify FILE (--policy FILE | --log-key VKEY)\n" \
	"                   [--entry ENVELOPE]\n" \
	"       mlog verify DIR [--policy FILE | --log-key VKEY]\n" \
	"  FILE: a C2SP tlog-proof, a signed checkpoint, or the JSON of\n" \
	"  mlog prove consistency; DIR: an evidence bundle (mlog audit),\n" \
	"  against the policy given or else its own; checked offline\n" \
	"exit: 0 valid, 1 invalid, 2 error\n"
int cli_cmd_monitor(int argc, char **argv);

/* The flags every command that talks to a log takes. */
#define CLI_USAGE_LOG_FLAGS \
	"  --log URL        the log (default: the URL on the policy's log " \
	"line)\n" \
	"  --policy FILE    C2SP tlog-policy: log key, witnesses, quorum\n" \
	"  --log-key VKEY   or the log's note key alone (quorum none)\n" \
	"  --cache DIR      keep full tiles there (re-checked on every use)\n"

#define CLI_USAGE_AUDIT \
	"usage: mlog audit (--ticket T | --mrenclave HEX | --mrsigner HEX) " \
	"--out DIR\n" \
	"                  [--max-entries N] --log URL (--policy FILE | " \
	"--log-key VKEY)\n" \
	"                  [--cache DIR]\n" \
	"  writes an evidence bundle to DIR (new): every matching entry and " \
	"the\n" \
	"  related approvals, revocations and build manifests, each with its " \
	"tlog-proof\n" \
	"  against one checkpoint satisfying the policy, and report.md; " \
	"check it\n" \
	"  offline with `mlog verify DIR`\n" \
	"  --max-entries N  refuse to read more than N entries (default " \
	"10000)\n" \
	CLI_USAGE_LOG_FLAGS \
	"exit: 0 written, 2 error\n"
#define CLI_USAGE_CHECK \
	"usage: mlog check --mrenclave HEX [--mrsigner HEX] [--isvsvn N] " \
	"[--isvprodid N]\n" \
	"                  [--debug true|false] [--tee sgx] [--signers FILE]" \
	"\n" \
	"                  --log URL (--policy FILE | --log-key VKEY) " \
	"[--cache DIR]\n" \
	"  allowed iff an approval in the log covers the measurement (every " \
	"field it\n" \
	"  names must be given and match; min_isvsvn <= --isvsvn) and no " \
	"later\n" \
	"  revocation covers it; prints one JSON event for a SIEM\n" \
	"  --signers FILE   count only approvals signed by a signer with " \
	"the approval\n" \
	"                   role (lines: NAME ROLE[,ROLE] PUBKEY.pem)\n" \
	CLI_USAGE_LOG_FLAGS \
	"exit: 0 allowed, 1 not allowed, 2 error\n"
#define CLI_USAGE_MONITOR \
	"usage: mlog monitor --state DIR [--once] [--interval SECONDS] " \
	"[--grace SECONDS]\n" \
	"                    [--signers FILE] --log URL (--policy FILE | " \
	"--log-key VKEY)\n" \
	"                    [--cache DIR]\n" \
	"  verifies every new checkpoint (policy, quorum, consistency), " \
	"reads every\n" \
	"  new entry and prints JSON lines: measurement_published, " \
	"measurement_approved,\n" \
	"  approval_revoked, unapproved_measurement, measurement_drift, " \
	"split_view,\n" \
	"  verification_failure\n" \
	"  --state DIR      last verified checkpoint, pending measurements " \
	"(created)\n" \
	"  --once           one pass, then exit\n" \
	"  --interval S     seconds between passes (default 60)\n" \
	"  --grace S        unapproved_measurement after S seconds without " \
	"approval\n" \
	"                   (default 3600)\n" \
	"  --signers FILE   check every entry's DSSE signatures (NAME " \
	"ROLE[,ROLE] PEM)\n" \
	CLI_USAGE_LOG_FLAGS \
	"exit: 0 ok (or stopped by SIGINT/SIGTERM), 1 a verification " \
	"failure or split\n" \
	"  view was reported (--once), 2 error\n"

#define CLI_USAGE_DIFF \
	"usage: mlog diff OLD NEW [--output text|json|markdown] [--full]\n" \
	"                 [LOG-FLAGS]\n" \
	"  OLD, NEW         enclaves or SIGSTRUCTs, any mix of formats " \
	"(- for stdin),\n" \
	"                   or log entries log:INDEX (with --log and " \
	"--policy/--log-key)\n" \
	"  --output FORMAT  text (default), json, or markdown (a table for " \
	"a PR)\n" \
	"  --full           text: print long hex values in full\n" \
	"exit: 0 same, 1 different, 2 error\n"
#define CLI_USAGE_KEYGEN \
	"usage: mlog keygen --type ed25519|ecdsa-p256 --out PREFIX\n" \
	"  writes PREFIX.key (PEM private key, mode 0600) and PREFIX.pub " \
	"(PEM)\n" \
	"  and prints the DSSE keyid (hex SHA-256 of the DER public key)\n" \
	"       mlog keygen --type note --name NAME [--cosigner] --out PREFIX\n" \
	"  a signed-note key for a log (or, --cosigner, a witness): writes\n" \
	"  PREFIX.key (skey, mode 0600) and PREFIX.vkey, prints the vkey\n" \
	"exit: 0 ok, 2 error\n"
#define CLI_USAGE_MEASURE \
	"usage: mlog measure FILE [--output text|json] [--require-valid]\n" \
	"  FILE             SGX .signed.so ELF (.note.sgxmeta or .oeinfo) " \
	"or raw\n" \
	"                   1808-byte SIGSTRUCT (Gramine/Fortanix .sig); " \
	"- for stdin\n" \
	"  --output FORMAT  text (default) or json\n" \
	"  --require-valid  exit 1 unless the signature, q1/q2 and metadata " \
	"entries check\n" \
	"exit: 0 read, 1 a check failed (--require-valid), 2 error\n"

/*
 * Usage error or help. With fmt NULL: prints usage to stdout, exits 0
 * (--help). Otherwise prints "mlog: <message>" and usage to stderr and
 * exits CLI_EXIT_ERROR.
 */
void cli_usage(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* "mlog: <message>: <strerror(errno)>", exit CLI_EXIT_ERROR (signify err). */
void cli_err(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* "mlog: <message>", exit CLI_EXIT_ERROR (signify errx). */
void cli_errx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* "mlog: <message>" on stderr; returns. */
void cli_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * getopt_long over argv with our conventions: opterr off, a leading ':'
 * so a missing argument is reported as such, and every problem turned into
 * cli_usage(usage, "...") naming the flag. Returns the option's val, or -1
 * at the end of the options.
 */
struct option;
int cli_getopt(int argc, char **argv, const struct option *opts,
	const char *usage);

/* Output formats; a subcommand passes the set it accepts. */
enum cli_output {
	CLI_OUTPUT_TEXT = 1,
	CLI_OUTPUT_JSON = 2,
	CLI_OUTPUT_MARKDOWN = 4,
};

/* Parses --output's argument against the accepted set; a bad value is a
 * usage error naming it. */
enum cli_output cli_output_parse(const char *arg, unsigned accepted,
	const char *usage);

/* A whole input file, mapped read-only (regular files) or read into a
 * buffer (pipes, "-" for stdin), at most max bytes. */
struct cli_file {
	const char *path;       /* as given; "-" is stdin */
	const uint8_t *data;    /* len bytes (NULL when len is 0) */
	size_t len;
	void *map;              /* mmap'd region, or NULL */
	uint8_t *buf;           /* malloc'd buffer, or NULL */
};

/* Reads path into *f. Errors (missing, directory, over max bytes,
 * unreadable) exit CLI_EXIT_ERROR with a message naming path. */
void cli_file_read(struct cli_file *f /* OUT */, const char *path,
	size_t max);

/* Releases what cli_file_read took; safe on a zeroed struct. */
void cli_file_close(struct cli_file *f);

/* Writes j to stdout as indented JSON in insertion order, then '\n'.
 * Exits CLI_EXIT_ERROR if stdout cannot be written. Steals j. */
void cli_json_print(json_t *j);

/* Adds key = value to a JSON object; the value is stolen. Exits on
 * allocation failure so that callers need no checks. */
void cli_json_set(json_t *obj, const char *key, json_t *value);

/* json_string / json_integer / ... that exit on allocation failure. */
json_t *cli_json_str(const char *s);
json_t *cli_json_int(long long v);
json_t *cli_json_hex(const uint8_t *p, size_t n);

/* fflush(stdout) and exit CLI_EXIT_ERROR if any write failed. */
void cli_flush(void);

/* Lowercase hex of p[0..n) in a malloc'd string (exits on failure). */
char *cli_hex(const uint8_t *p, size_t n);

/* An enclave file read and checked (enclave.c), for measure and diff. */
struct cli_enclave {
	struct mlog_sgx_enclave e;
	int sig_ok;                     /* RSA signature verified */
	int q_ok;                       /* q1 and q2 match */
	char sig_err[MLOG_ERROR_MSG_MAX];   /* why not, when !sig_ok */
	char q_err[MLOG_ERROR_MSG_MAX];     /* why not, when !q_ok */
};

/*
 * Reads path (at most MLOG_SGX_MAX_INPUT bytes; "-" is stdin), decodes it
 * with mlog_sgx_enclave_decode and runs both signature checks. A file
 * that cannot be read or decoded exits CLI_EXIT_ERROR with
 * "mlog: PATH: <reason>"; a failed check is recorded, not fatal.
 */
void cli_enclave_load(struct cli_enclave *out /* OUT */, const char *path);

#endif
