/*
 * cmd_check.c — `mlog check`: is this measurement approved, and not
 * revoked, according to the log? (SPEC §5; docs/cli.md "mlog check")
 *
 * 1. One checkpoint that satisfies the trust policy, quorum included.
 * 2. Candidates from the log's search: mrenclave=X, and mrsigner=Y when
 *    given (MRSIGNER approvals are filed under it).
 * 3. Each candidate read through the tiles of that checkpoint with its
 *    inclusion proof verified (gather.h), parsed; with --signers, an
 *    approval or revocation counts only if signed by a signer with the
 *    approval role (a revocation by nobody in the file is ignored too, and
 *    the event says how many were ignored).
 * 4. The decision of approvals.h (the same rule as audit and monitor).
 * Prints one JSON event (events.h) and exits 0 allowed, 1 not allowed,
 * 2 error (after arguments parse, an error prints a check_error event,
 * or verification_failure when the log failed a check, before exiting).
 *
 * What this cannot prove: that search showed every revocation. See
 * docs/cli.md "What search cannot prove".
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "approvals.h"
#include "cli.h"
#include "codec.h"
#include "events.h"
#include "gather.h"
#include "logclient.h"
#include "signerset.h"

struct check {
	struct cli_measure q;
	const char *mrenclave, *mrsigner;
	struct cli_log l;
	struct cli_checkpoint cp;
	int have_cp;
};

static unsigned parse_u16(const char *flag, const char *s)
{
	uint64_t v;

	if (mlog_codec_decimal_parse(&v, s, strlen(s)) != MLOG_OK ||
	    v > 65535)
		cli_usage(CLI_USAGE_CHECK, "%s %s: want a decimal 0..65535",
			flag, s);
	return (unsigned)v;
}

/* The measurement members every check event carries. */
static void add_measure(json_t *ev, const struct check *c)
{
	const char *s = cli_measure_get(&c->q, "mrsigner");

	cli_json_set(ev, "tee", cli_json_str(c->q.tee));
	cli_json_set(ev, "mrenclave", cli_json_str(c->mrenclave));
	cli_json_set(ev, "mrsigner", s != NULL ? cli_json_str(s)
					       : json_null());
	cli_json_set(ev, "isv_prodid", c->q.has_isvprodid
		? cli_json_int(c->q.isvprodid) : json_null());
	cli_json_set(ev, "isv_svn", c->q.has_isvsvn
		? cli_json_int(c->q.isvsvn) : json_null());
}

/* Prints the error event and exits 2. */
static void fail(struct check *c, int rc, const struct mlog_error *err)
	__attribute__((noreturn));

static void fail(struct check *c, int rc, const struct mlog_error *err)
{
	int verify = rc == MLOG_ERR_VERIFY || rc == MLOG_ERR_UNTRUSTED;
	json_t *ev = cli_event_new(verify ? "verification_failure"
					  : "check_error",
		verify ? "CRITICAL" : "HIGH");

	add_measure(ev, c);
	cli_json_set(ev, "policy_allowed", json_false());
	cli_json_set(ev, "error", cli_json_str(err->msg));
	cli_json_set(ev, "log_url", cli_json_str(c->l.url));
	if (cli_event_emit(ev, stdout) != 0)
		cli_errx("can't write to standard output");
	cli_errx("check: %s", err->msg);
}

/* Candidates of step 2. */
static uint64_t *candidates(struct check *c, size_t *n)
{
	struct mlog_error err = { 0, "" };
	uint64_t *all = NULL, *more = NULL;
	size_t nall = 0, nmore = 0;
	int rc;

	rc = cli_search(&c->l, "mrenclave", c->mrenclave, c->cp.cp.size, &all,
		&nall, &err);
	if (rc == MLOG_OK && c->mrsigner != NULL) {
		rc = cli_search(&c->l, "mrsigner", c->mrsigner, c->cp.cp.size,
			&more, &nmore, &err);
		if (rc == MLOG_OK && cli_index_merge(&all, &nall, more, nmore)
			!= MLOG_OK)
			rc = mlog_error_set(&err, MLOG_ERR_NOMEM,
				"out of memory");
		free(more);
	}
	if (rc != MLOG_OK) {
		free(all);
		fail(c, rc, &err);
	}
	*n = nall;
	return all;
}

int cli_cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mrenclave", required_argument, NULL, 'e' },
		{ "mrsigner", required_argument, NULL, 's' },
		{ "isvsvn", required_argument, NULL, 'v' },
		{ "isvprodid", required_argument, NULL, 'p' },
		{ "debug", required_argument, NULL, 'd' },
		{ "tee", required_argument, NULL, 't' },
		{ "signers", required_argument, NULL, 'S' },
		{ "log", required_argument, NULL, 'L' },
		{ "policy", required_argument, NULL, 'P' },
		{ "log-key", required_argument, NULL, 'K' },
		{ "cache", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *policy = NULL, *log_key = NULL, *cache = NULL;
	const char *signers_path = NULL, *tee = "sgx", *debug = NULL;
	const char *isvsvn = NULL, *isvprodid = NULL;
	struct mlog_error err = { 0, "" };
	struct cli_signerset signers = { NULL, 0 };
	struct cli_approvals ix;
	struct cli_decision d;
	struct cli_gathered *g;
	struct check c;
	uint64_t *idx;
	size_t n, ignored = 0;
	json_t *ev;
	int ch, rc;

	memset(&c, 0, sizeof(c));
	while ((ch = cli_getopt(argc, argv, opts, CLI_USAGE_CHECK)) != -1) {
		switch (ch) {
		case 'e':
			c.mrenclave = optarg;
			break;
		case 's':
			c.mrsigner = optarg;
			break;
		case 'v':
			isvsvn = optarg;
			break;
		case 'p':
			isvprodid = optarg;
			break;
		case 'd':
			debug = optarg;
			break;
		case 't':
			tee = optarg;
			break;
		case 'S':
			signers_path = optarg;
			break;
		case 'L':
			url = optarg;
			break;
		case 'P':
			policy = optarg;
			break;
		case 'K':
			log_key = optarg;
			break;
		case 'C':
			cache = optarg;
			break;
		case 'h':
			cli_usage(CLI_USAGE_CHECK, NULL);
		default:
			cli_usage(CLI_USAGE_CHECK, "unknown flag");
		}
	}
	if (optind != argc)
		cli_usage(CLI_USAGE_CHECK, "unexpected argument '%s'",
			argv[optind]);
	if (strcmp(tee, "sgx") != 0)
		cli_usage(CLI_USAGE_CHECK, "--tee %s: only sgx is supported",
			tee);
	if (c.mrenclave == NULL)
		cli_usage(CLI_USAGE_CHECK, "must specify --mrenclave");
	if (cli_measure_init(&c.q, "sgx", &err) != MLOG_OK ||
	    cli_measure_set(&c.q, "mrenclave", c.mrenclave, &err) != MLOG_OK)
		cli_usage(CLI_USAGE_CHECK, "--mrenclave: %s", err.msg);
	if (c.mrsigner != NULL &&
	    cli_measure_set(&c.q, "mrsigner", c.mrsigner, &err) != MLOG_OK)
		cli_usage(CLI_USAGE_CHECK, "--mrsigner: %s", err.msg);
	if (isvsvn != NULL) {
		c.q.has_isvsvn = 1;
		c.q.isvsvn = parse_u16("--isvsvn", isvsvn);
	}
	if (isvprodid != NULL) {
		c.q.has_isvprodid = 1;
		c.q.isvprodid = parse_u16("--isvprodid", isvprodid);
	}
	if (debug != NULL) {
		if (strcmp(debug, "true") != 0 && strcmp(debug, "false") != 0)
			cli_usage(CLI_USAGE_CHECK, "--debug %s: want true or "
				"false", debug);
		c.q.has_debug = 1;
		c.q.debug = strcmp(debug, "true") == 0;
	}
	if (signers_path != NULL &&
	    cli_signerset_load(&signers, signers_path, &err) != MLOG_OK)
		cli_errx("--signers %s", err.msg);
	cli_log_open(&c.l, url, policy, log_key, cache, 1);

	/* 1. */
	rc = cli_log_checkpoint(&c.l, &c.cp, 1, &err);
	if (rc != MLOG_OK)
		fail(&c, rc, &err);
	c.have_cp = 1;
	/* 2, 3. */
	idx = candidates(&c, &n);
	g = calloc(n + 1, sizeof(*g));
	if (g == NULL)
		cli_errx("out of memory");
	cli_approvals_init(&ix);
	for (size_t i = 0; i < n; i++) {
		rc = cli_gather_entry(&c.l, &c.cp, idx[i], 0, &g[i], &err);
		if (rc != MLOG_OK)
			fail(&c, rc, &err);
		if (g[i].rec.type != MLOG_STATEMENT_APPROVAL)
			continue;
		if (signers_path != NULL &&
		    cli_signerset_check(&signers, g[i].entry, g[i].len,
			MLOG_STATEMENT_ROLE_APPROVAL, NULL, 0, &err)
			!= MLOG_OK) {
			ignored++;
			continue;
		}
		if (cli_approvals_add(&ix, &g[i].rec) != MLOG_OK)
			cli_errx("out of memory");
	}
	cli_approvals_seal(&ix);
	/* 4. */
	if (cli_approvals_decide(&d, &ix, &c.q, UINT64_MAX) != MLOG_OK)
		cli_errx("out of memory");

	ev = cli_event_new(d.allowed ? "measurement_allowed"
				     : "measurement_not_allowed",
		d.allowed ? "INFO" : "HIGH");
	add_measure(ev, &c);
	cli_json_set(ev, "policy_allowed", json_boolean(d.allowed));
	cli_json_set(ev, "ticket", d.decisive != NULL
		? cli_json_str(d.decisive->ticket) : json_null());
	cli_json_set(ev, "log_index", d.decisive != NULL
		? cli_json_int((long long)d.decisive->index) : json_null());
	cli_json_set(ev, "checkpoint_size",
		cli_json_int((long long)c.cp.cp.size));
	cli_json_set(ev, "log_origin", cli_json_str(c.cp.cp.origin));
	cli_json_set(ev, "reason", cli_json_str(d.reason));
	cli_json_set(ev, "approval_index", d.approval != NULL
		? cli_json_int((long long)d.approval->index) : json_null());
	cli_json_set(ev, "revocation_index", d.revocation != NULL
		? cli_json_int((long long)d.revocation->index) : json_null());
	cli_json_set(ev, "entries_checked", cli_json_int((long long)n));
	if (signers_path != NULL)
		cli_json_set(ev, "approvals_ignored_unsigned",
			cli_json_int((long long)ignored));
	if (cli_event_emit(ev, stdout) != 0)
		cli_errx("can't write to standard output");

	for (size_t i = 0; i < n; i++)
		cli_gathered_clear(&g[i]);
	free(g);
	free(idx);
	cli_approvals_clear(&ix);
	cli_signerset_clear(&signers);
	cli_checkpoint_clear(&c.cp);
	cli_log_close(&c.l);
	return d.allowed ? CLI_EXIT_OK : CLI_EXIT_NO;
}
