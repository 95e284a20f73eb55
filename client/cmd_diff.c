/*
 * cmd_diff.c — `mlog diff OLD NEW`: compares two enclaves or SIGSTRUCTs
 * (any mix of raw SIGSTRUCT, .note.sgxmeta ELF and .oeinfo ELF) field by
 * field (fields.h, diff.h). Exit 0 same, 1 different, 2 error.
 *
 * Only files are accepted as OLD and NEW today. Log entries (log:I) and
 * build-manifest toolchain/SBOM changes come with the log client, as one
 * more cli_fields_from_<kind>() source.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "diff.h"
#include "codec.h"
#include "fields.h"
#include "fields_entry.h"
#include "logclient.h"

/* The log, opened once if an argument is log:I. */
struct diff_log {
	int open;
	struct cli_log l;
	struct cli_checkpoint cp;
};

static void load(struct cli_fields *out, const char *arg,
	const struct cli_log_opts *lo, struct diff_log *dl)
{
	struct cli_enclave en;

	if (strncmp(arg, "log:", 4) == 0) {
		struct mlog_error err = { 0, "" };
		uint64_t index;

		if (mlog_codec_decimal_parse(&index, arg + 4, strlen(arg + 4))
			!= MLOG_OK)
			cli_usage(CLI_USAGE_DIFF, "%s: want log:INDEX", arg);
		if (!dl->open) {
			cli_log_open_opts(&dl->l, lo, 1);
			if (cli_log_checkpoint(&dl->l, &dl->cp, 0, &err)
				!= MLOG_OK)
				cli_errx("%s", err.msg);
			dl->open = 1;
		}
		cli_fields_from_entry(out, arg, &dl->l, &dl->cp, index);
		return;
	}
	cli_enclave_load(&en, arg);
	cli_fields_from_sgx(out, arg, &en.e, en.sig_ok, en.q_ok);
}

int cli_cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_LOG_OPTIONS,
		{ "output", required_argument, NULL, 'o' },
		{ "full", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum cli_output fmt = CLI_OUTPUT_TEXT;
	struct cli_log_opts lo = { NULL, NULL, NULL, NULL };
	struct cli_fields fa, fb;
	struct diff_log logs;
	struct cli_diff d;
	int ch, full = 0;

	memset(&logs, 0, sizeof(logs));

	while ((ch = cli_getopt(argc, argv, opts, CLI_USAGE_DIFF)) != -1) {
		if (cli_log_opt(&lo, ch, optarg))
			continue;
		switch (ch) {
		case 'o':
			fmt = cli_output_parse(optarg, CLI_OUTPUT_TEXT |
				CLI_OUTPUT_JSON | CLI_OUTPUT_MARKDOWN,
				CLI_USAGE_DIFF);
			break;
		case 'f':
			full = 1;
			break;
		case 'h':
			cli_usage(CLI_USAGE_DIFF, NULL);
		default:
			cli_usage(CLI_USAGE_DIFF, "unknown flag");
		}
	}
	if (argc - optind != 2)
		cli_usage(CLI_USAGE_DIFF, "diff needs exactly two files, OLD "
			"and NEW (got %d)", argc - optind);
	if (strcmp(argv[optind], "-") == 0 &&
	    strcmp(argv[optind + 1], "-") == 0)
		cli_usage(CLI_USAGE_DIFF, "only one of OLD and NEW can be - "
			"(standard input)");

	load(&fa, argv[optind], &lo, &logs);
	load(&fb, argv[optind + 1], &lo, &logs);
	if ((strcmp(fa.kind, "entry") == 0) != (strcmp(fb.kind, "entry") == 0))
		cli_usage(CLI_USAGE_DIFF, "compare enclaves with enclaves and "
			"log entries with log entries");
	if (logs.open) {
		cli_checkpoint_clear(&logs.cp);
		cli_log_close(&logs.l);
	}
	cli_diff_compute(&d, &fa, &fb);
	cli_diff_print(stdout, &d, fmt, full);
	cli_flush();
	return d.same ? CLI_EXIT_OK : CLI_EXIT_NO;
}
