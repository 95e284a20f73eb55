/*
 * cmd_submit.c — `mlog submit ENVELOPE`: a DSSE envelope made elsewhere
 * (e.g. SLSA provenance from existing CI tooling) into the log, with the
 * receipt verified and optionally saved as a C2SP tlog-proof.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dsse.h"
#include "logclient.h"
#include "submit.h"

int cli_cmd_submit(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_LOG_OPTIONS,
		{ "out", required_argument, NULL, 'o' },
		{ "wait", required_argument, NULL, 'w' },
		{ "output", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_log_opts lo = { NULL, NULL, NULL, NULL };
	struct cli_log l;
	const char *out = NULL;
	unsigned wait_s = 30;
	enum cli_output fmt = CLI_OUTPUT_TEXT;
	char *env;
	size_t len = 0;
	int ch, rc;

	while ((ch = cli_getopt(argc, argv, opts, CLI_USAGE_SUBMIT)) != -1) {
		if (cli_log_opt(&lo, ch, optarg))
			continue;
		switch (ch) {
		case 'o': out = optarg; break;
		case 'w': wait_s = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'f':
			fmt = cli_output_parse(optarg, CLI_OUTPUT_TEXT |
				CLI_OUTPUT_JSON, CLI_USAGE_SUBMIT);
			break;
		case 'h': cli_usage(CLI_USAGE_SUBMIT, NULL);
		}
	}
	if (optind + 1 != argc)
		cli_usage(CLI_USAGE_SUBMIT, "submit takes one ENVELOPE file");
	env = cli_slurp(argv[optind], MLOG_DSSE_MAX_BYTES, &len);
	cli_log_open_opts(&l, &lo, 1);
	rc = cli_submit_and_report(&l, env, len, out, wait_s,
		fmt == CLI_OUTPUT_JSON);
	free(env);
	cli_log_close(&l);
	return rc;
}
