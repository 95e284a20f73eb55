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
#include "fields.h"

int cli_cmd_diff(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "full", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum cli_output fmt = CLI_OUTPUT_TEXT;
	struct cli_enclave old, new;
	struct cli_fields fa, fb;
	struct cli_diff d;
	int ch, full = 0;

	while ((ch = cli_getopt(argc, argv, opts, CLI_USAGE_DIFF)) != -1) {
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

	cli_enclave_load(&old, argv[optind]);
	cli_enclave_load(&new, argv[optind + 1]);
	cli_fields_from_sgx(&fa, argv[optind], &old.e, old.sig_ok, old.q_ok);
	cli_fields_from_sgx(&fb, argv[optind + 1], &new.e, new.sig_ok,
		new.q_ok);
	cli_diff_compute(&d, &fa, &fb);
	cli_diff_print(stdout, &d, fmt, full);
	cli_flush();
	return d.same ? CLI_EXIT_OK : CLI_EXIT_NO;
}
