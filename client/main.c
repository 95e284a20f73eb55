/*
 * main.c — mlog, the client (SPEC §5): a table of subcommands and a
 * dispatcher. Each subcommand lives in cmd_<name>.c (cli.h says how to add
 * one); this file only finds the row and calls it.
 *
 * Exit codes (docs/cli.md, frozen): 0 ok, 1 negative answer (differ, not
 * allowed, invalid), 2 error (usage, I/O, malformed input).
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include "cli.h"

/* Alphabetical; `mlog --help` lists them in this order. */
static const struct cli_cmd cli_cmds[] = {
	{ "audit", cli_cmd_audit, CLI_USAGE_AUDIT,
		"evidence bundle for a ticket, MRENCLAVE or MRSIGNER" },
	{ "check", cli_cmd_check, CLI_USAGE_CHECK,
		"is a measurement approved and not revoked? (SIEM event)" },
	{ "diff", cli_cmd_diff, CLI_USAGE_DIFF,
		"compare two enclaves or SIGSTRUCTs" },
	{ "keygen", cli_cmd_keygen, CLI_USAGE_KEYGEN,
		"new key pair: DSSE signer (PEM) or log/witness note key" },
	{ "measure", cli_cmd_measure, CLI_USAGE_MEASURE,
		"print an SGX enclave's SIGSTRUCT and check its signature" },
	{ "monitor", cli_cmd_monitor, CLI_USAGE_MONITOR,
		"follow the log, verify everything, print SIEM events" },
	{ "prove", cli_cmd_prove, CLI_USAGE_PROVE,
		"inclusion or consistency proof from the log's tiles" },
	{ "publish", cli_cmd_publish, CLI_USAGE_PUBLISH,
		"sign and submit a build manifest, approval or SBOM" },
	{ "submit", cli_cmd_submit, CLI_USAGE_SUBMIT,
		"submit a ready DSSE envelope and verify the receipt" },
	{ "verify", cli_cmd_verify, CLI_USAGE_VERIFY,
		"check a proof, checkpoint or consistency proof offline" },
};

#define NCMDS (sizeof(cli_cmds) / sizeof(cli_cmds[0]))

static void usage(FILE *out)
{
	fputs("usage: mlog COMMAND [ARGS...]\n"
		"       mlog COMMAND --help\n\ncommands:\n", out);
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(out, "  %-10s %s\n", cli_cmds[i].name,
			cli_cmds[i].summary);
	fputs("\nexit codes: 0 ok, 1 negative answer (differ, invalid), "
		"2 error\n", out);
}

int main(int argc, char **argv)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		cli_errx("libcurl failed to initialise");
	if (sodium_init() < 0)
		cli_errx("can't initialise libsodium");
	if (argc < 2) {
		fputs("mlog: missing command\n", stderr);
		usage(stderr);
		return CLI_EXIT_ERROR;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		cli_flush();
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < NCMDS; i++) {
		if (strcmp(argv[1], cli_cmds[i].name) == 0)
			return cli_cmds[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "mlog: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return CLI_EXIT_ERROR;
}
