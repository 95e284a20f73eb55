/*
 * cmd_monitor.c — `mlog monitor`: follows a log and prints SIEM events
 * (SPEC §5; docs/cli.md "mlog monitor"). monitor.c does the per-checkpoint
 * work and keeps the state; this file fetches, loops and checks the
 * witnesses.
 *
 * One cycle:
 *  1. GET /checkpoint, accepted only under the policy with its quorum
 *     (a checkpoint that fails is a verification_failure);
 *  2. cli_monitor_advance: consistency with the stored checkpoint, every
 *     new entry read from authenticated bundles, events, state saved;
 *  3. split-view check: for each policy witness with a URL, GET
 *     <url>/<hex SHA-256 of the origin>/checkpoint (SPEC §4); a checkpoint
 *     it cosigned that is signed by the log but inconsistent with the
 *     verified one is a split_view (CRITICAL). A witness that cannot be
 *     reached, or serves nothing usable, is a warning on stderr only: a
 *     witness being down is not evidence against the log;
 *  4. pending measurements older than --grace: unapproved_measurement.
 * --once runs one cycle: exit 0, or 1 if a verification_failure or
 * split_view was reported, or 2 on an error (no answer, bad state).
 * Otherwise cycles every --interval seconds until SIGINT or SIGTERM,
 * which end the current cycle early (nothing half-done is saved) and exit
 * 0; errors in a cycle are warnings and the next cycle retries.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli.h"
#include "codec.h"
#include "logclient.h"
#include "monitor.h"
#include "proof.h"
#include "signerset.h"

#define WITNESS_BODY_MAX (1u << 20)

/* Set by the signal handler, read by the loop and the walk: the one
 * mutable static of the client, as a handler can reach nothing else. */
static volatile int stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct mon {
	struct cli_log l;
	struct cli_monitor *m;
	struct cli_monitor_config cfg;
};

/* ---- the log as a walk source ------------------------------------------ */

static int read_bundle(void *ctx, const struct mlog_tile *t, uint8_t **buf,
	size_t *len, struct mlog_error *err)
{
	struct cli_log *l = ctx;
	char path[MLOG_TILE_PATH_MAX + 1], *body = NULL;
	long status;

	path[0] = '/';
	if (mlog_tile_format(path + 1, sizeof(path) - 1, t) < 0)
		return mlog_error_set(err, MLOG_ERR_RANGE, "bad bundle");
	status = cli_log_get(l, path, &body, len, NULL);
	if (status != 200) {
		free(body);
		if (status < 0)
			return mlog_error_set(err, MLOG_ERR_IO, "%s",
				l->last_error);
		return mlog_error_set(err, MLOG_ERR_IO, "GET %s%s: HTTP %ld",
			l->url, path, status);
	}
	*buf = (uint8_t *)body;
	return MLOG_OK;
}

/* ---- witnesses --------------------------------------------------------- */

struct wbuf {
	char *p;
	size_t len;
};

static size_t on_witness_body(char *p, size_t size, size_t n, void *ctx)
{
	struct wbuf *b = ctx;
	size_t add = size * n;
	char *g;

	if (b->len + add > WITNESS_BODY_MAX)
		return 0;
	g = realloc(b->p, b->len + add + 1);
	if (g == NULL)
		return 0;
	b->p = g;
	memcpy(b->p + b->len, p, add);
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

/* GET url; returns the body (malloc'd) on 200, else NULL with why. */
static char *witness_get(const char *url, size_t *len, char *why, size_t cap)
{
	CURL *c = curl_easy_init();
	struct wbuf b = { NULL, 0 };
	long status = 0;
	CURLcode rc;

	if (c == NULL) {
		snprintf(why, cap, "no curl handle");
		return NULL;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_witness_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "mlog/0.1");
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK || status != 200 || b.p == NULL) {
		if (rc != CURLE_OK)
			snprintf(why, cap, "%s", curl_easy_strerror(rc));
		else
			snprintf(why, cap, "HTTP %ld", status);
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

static void split_view(struct mon *mo, const struct mlog_policy_witness *w,
	const char *url, const struct cli_checkpoint *wc, const char *why)
{
	char wroot[64], lroot[64];
	size_t nlen = 0;
	const char *note = cli_monitor_note(mo->m, &nlen);
	struct cli_checkpoint ours;
	struct mlog_error err = { 0, "" };

	memset(&ours, 0, sizeof(ours));
	if (cli_checkpoint_from_note(&mo->l, &ours, note, nlen, 0, &err)
		!= MLOG_OK)
		return;
	if (mlog_codec_base64_encode(wroot, sizeof(wroot), wc->cp.root,
		MLOG_HASH_BYTES) < 0 ||
	    mlog_codec_base64_encode(lroot, sizeof(lroot), ours.cp.root,
		MLOG_HASH_BYTES) < 0)
		wroot[0] = lroot[0] = '\0';
	cli_monitor_report(mo->m, &mo->cfg, "split_view", "witness", why,
		json_pack("{s:s, s:s, s:I, s:s, s:I, s:s, s:s}", "witness",
		w->name, "witness_url", url, "witness_size",
		(json_int_t)wc->cp.size, "witness_root", wroot, "log_size",
		(json_int_t)ours.cp.size, "log_root", lroot,
		"witness_checkpoint", wc->note));
	cli_checkpoint_clear(&ours);
}

/* Step 3 for witness w. */
static void check_witness(struct mon *mo, const struct mlog_policy_witness *w,
	size_t windex)
{
	struct mlog_error err = { 0, "" };
	struct cli_checkpoint wc, ours;
	uint8_t d[MLOG_HASH_BYTES], old[MLOG_HASH_BYTES];
	uint8_t proof[MLOG_PROOF_MAX][MLOG_HASH_BYTES];
	char hex[2 * MLOG_HASH_BYTES + 1], why[200], *url = NULL, *body;
	const char *note, *origin;
	size_t len = 0, plen = 0, nlen = 0, ulen = strlen(w->url);
	int cosigned = 0, rc;

	note = cli_monitor_note(mo->m, &nlen);
	memset(&ours, 0, sizeof(ours));
	if (note == NULL || cli_checkpoint_from_note(&mo->l, &ours, note, nlen,
		0, &err) != MLOG_OK)
		return;
	origin = ours.cp.origin;
	mlog_hash_sha256(mo->l.h, d, origin, strlen(origin));
	mlog_codec_hex_encode(hex, d, MLOG_HASH_BYTES);
	while (ulen > 0 && w->url[ulen - 1] == '/')
		ulen--;
	if (asprintf(&url, "%.*s/%s/checkpoint", (int)ulen, w->url, hex) < 0)
		cli_errx("out of memory");
	body = witness_get(url, &len, why, sizeof(why));
	if (body == NULL) {
		cli_warnx("monitor: witness %s: GET %s: %s", w->name, url, why);
		goto out;
	}
	memset(&wc, 0, sizeof(wc));
	rc = cli_checkpoint_from_note(&mo->l, &wc, body, len, 0, &err);
	free(body);
	if (rc != MLOG_OK) {
		cli_warnx("monitor: witness %s: %s: %s", w->name, url,
			err.msg);
		goto out;
	}
	for (size_t i = 0; i < wc.res.ncosigs; i++)
		cosigned |= wc.res.cosigs[i].witness == windex;
	if (!cosigned) {
		cli_warnx("monitor: witness %s: %s carries no cosignature of "
			"its own", w->name, url);
	} else if (wc.cp.size == ours.cp.size) {
		if (memcmp(wc.cp.root, ours.cp.root, MLOG_HASH_BYTES) != 0)
			split_view(mo, w, url, &wc, "the witness co-signed "
				"another root for the same tree size");
	} else if (wc.cp.size < ours.cp.size) {
		rc = wc.cp.size == 0 ? MLOG_OK : cli_log_consistency(&mo->l,
			&ours, wc.cp.size, old, proof, &plen, &err);
		if (rc == MLOG_OK && wc.cp.size > 0 &&
		    memcmp(old, wc.cp.root, MLOG_HASH_BYTES) != 0)
			split_view(mo, w, url, &wc, "the witness co-signed a "
				"smaller tree that is not a prefix of the "
				"log's");
		else if (rc != MLOG_OK)
			cli_warnx("monitor: witness %s: %s", w->name,
				err.msg);
	} else {
		/* The witness saw a larger tree: prove ours is its prefix
		 * from the tiles of the witness's checkpoint. */
		rc = ours.cp.size == 0 ? MLOG_OK : cli_log_consistency(&mo->l,
			&wc, ours.cp.size, old, proof, &plen, &err);
		if (rc == MLOG_OK && ours.cp.size > 0 &&
		    memcmp(old, ours.cp.root, MLOG_HASH_BYTES) != 0)
			split_view(mo, w, url, &wc, "the witness co-signed a "
				"larger tree that does not extend the log's");
		else if (rc != MLOG_OK)
			cli_warnx("monitor: witness %s: size %llu ahead of the "
				"log's %llu, not checked: %s", w->name,
				(unsigned long long)wc.cp.size,
				(unsigned long long)ours.cp.size, err.msg);
	}
	cli_checkpoint_clear(&wc);
out:
	free(url);
	cli_checkpoint_clear(&ours);
}

/* ---- one cycle --------------------------------------------------------- */

static int is_verify(int rc)
{
	return rc == MLOG_ERR_VERIFY || rc == MLOG_ERR_UNTRUSTED ||
		rc == MLOG_ERR_MALFORMED || rc == MLOG_ERR_NOTFOUND;
}

/* Returns 0, CLI_MONITOR_STOPPED, or an error (message printed). */
static int cycle(struct mon *mo)
{
	struct mlog_error err = { 0, "" };
	struct cli_checkpoint cp;
	struct cli_walk_source src;
	int rc;

	memset(&cp, 0, sizeof(cp));
	rc = cli_log_checkpoint(&mo->l, &cp, 1, &err);
	if (rc != MLOG_OK) {
		if (!is_verify(rc)) {
			cli_warnx("monitor: %s", err.msg);
			return rc;
		}
		cli_monitor_report(mo->m, &mo->cfg, "verification_failure",
			"checkpoint", err.msg, NULL);
	} else {
		src.tiles = mo->l.tiles;
		src.read_bundle = read_bundle;
		src.ctx = &mo->l;
		rc = cli_monitor_advance(mo->m, &mo->cfg, cp.note, cp.note_len,
			&cp.cp, &cp.res, &src, &err);
		cli_checkpoint_clear(&cp);
		if (rc == CLI_MONITOR_STOPPED)
			return rc;
		if (rc != MLOG_OK) {
			cli_warnx("monitor: %s", err.msg);
			return rc;
		}
	}
	for (size_t i = 0; i < mo->l.policy->nwitnesses; i++) {
		if (mo->l.policy->witnesses[i].url != NULL)
			check_witness(mo, &mo->l.policy->witnesses[i], i);
	}
	rc = cli_monitor_expire(mo->m, &mo->cfg, (uint64_t)time(NULL), &err);
	if (rc != MLOG_OK)
		cli_warnx("monitor: %s", err.msg);
	return rc;
}

static uint64_t parse_seconds(const char *flag, const char *s, int zero_ok)
{
	uint64_t v;

	if (mlog_codec_decimal_parse(&v, s, strlen(s)) != MLOG_OK ||
	    v > 100u * 365 * 86400 || (!zero_ok && v == 0))
		cli_usage(CLI_USAGE_MONITOR, "%s %s: want a number of "
			"seconds%s", flag, s, zero_ok ? "" : " (at least 1)");
	return v;
}

int cli_cmd_monitor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "once", no_argument, NULL, '1' },
		{ "interval", required_argument, NULL, 'i' },
		{ "grace", required_argument, NULL, 'g' },
		{ "signers", required_argument, NULL, 'S' },
		{ "log", required_argument, NULL, 'L' },
		{ "policy", required_argument, NULL, 'P' },
		{ "log-key", required_argument, NULL, 'K' },
		{ "cache", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *policy = NULL, *log_key = NULL, *cache = NULL;
	const char *state = NULL, *signers_path = NULL;
	struct mlog_error err = { 0, "" };
	struct cli_signerset signers = { NULL, 0 };
	struct sigaction sa;
	struct mon mo;
	uint64_t interval = 60;
	int ch, once = 0, rc, code = CLI_EXIT_OK;

	memset(&mo, 0, sizeof(mo));
	mo.cfg.grace = 3600;
	while ((ch = cli_getopt(argc, argv, opts, CLI_USAGE_MONITOR)) != -1) {
		switch (ch) {
		case 's':
			state = optarg;
			break;
		case '1':
			once = 1;
			break;
		case 'i':
			interval = parse_seconds("--interval", optarg, 0);
			break;
		case 'g':
			mo.cfg.grace = parse_seconds("--grace", optarg, 1);
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
			cli_usage(CLI_USAGE_MONITOR, NULL);
		default:
			cli_usage(CLI_USAGE_MONITOR, "unknown flag");
		}
	}
	if (optind != argc)
		cli_usage(CLI_USAGE_MONITOR, "unexpected argument '%s'",
			argv[optind]);
	if (state == NULL || state[0] == '\0')
		cli_usage(CLI_USAGE_MONITOR, "must specify --state DIR");
	if (signers_path != NULL) {
		if (cli_signerset_load(&signers, signers_path, &err) != MLOG_OK)
			cli_errx("--signers %s", err.msg);
		mo.cfg.signers = &signers;
	}
	cli_log_open(&mo.l, url, policy, log_key, cache, 1);
	if (cli_monitor_open(&mo.m, state, &err) != MLOG_OK)
		cli_errx("monitor: %s", err.msg);
	mo.cfg.events = stdout;
	mo.cfg.progress = isatty(STDERR_FILENO);
	mo.cfg.stop = &stop_requested;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the sleep between cycles wakes up at once. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	for (;;) {
		rc = cycle(&mo);
		if (once) {
			if (rc != MLOG_OK && rc != CLI_MONITOR_STOPPED)
				code = CLI_EXIT_ERROR;
			else if (cli_monitor_failures(mo.m) > 0)
				code = CLI_EXIT_NO;
			break;
		}
		if (stop_requested)
			break;
		for (uint64_t s = 0; s < interval && !stop_requested; s++)
			sleep(1);
		if (stop_requested)
			break;
	}
	cli_monitor_close(mo.m);
	cli_signerset_clear(&signers);
	cli_log_close(&mo.l);
	return code;
}
