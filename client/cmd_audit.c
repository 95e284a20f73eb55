/*
 * cmd_audit.c — `mlog audit`: an evidence bundle (evidence.h) for a
 * ticket, an MRENCLAVE or an MRSIGNER (SPEC §5; docs/cli.md "mlog
 * audit").
 *
 * 1. One checkpoint that satisfies the trust policy, quorum included;
 *    everything below is read and proven against it.
 * 2. The matching entries: every index the log's search returns for the
 *    query (all pages; indexes beyond the checkpoint dropped), each read
 *    through the tiles with its inclusion proof verified (gather.h), plus
 *    the server's claims about it (signer names, integration time).
 * 3. The related entries an auditor needs, found by further searches and
 *    kept by these rules, repeated until nothing new is kept (at most
 *    AUDIT_ROUNDS rounds):
 *    - the measurements of interest M are those of every build manifest
 *      kept so far, plus the query's own MRENCLAVE/MRSIGNER, plus what
 *      each approval matching the query names;
 *    - an approval or revocation is kept if it covers a measurement of M
 *      (approvals.h rule 1): for an MRENCLAVE, the MRSIGNER approvals
 *      that reach it too; for an MRSIGNER, the per-enclave approvals and
 *      revocations of its builds;
 *    - a build manifest is kept if it is the build_entry of a kept
 *      approval, or one of its measurements is covered by an approval
 *      that matches the query (for a ticket: the builds it approves,
 *      named by build_entry or by MRENCLAVE/MRSIGNER);
 *    - the searches are, per measurement of M and per approval that
 *      matches the query, one per identifying field (mrenclave,
 *      mrsigner, ...).
 * 4. cli_evidence_write into --out DIR (which must not exist).
 * Exit 0 written, 2 error (nothing is left at DIR on error).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "approvals.h"
#include "cli.h"
#include "evidence.h"
#include "gather.h"
#include "logclient.h"
#include "statement.h"

#define AUDIT_ROUNDS 4
#define AUDIT_MAX_ENTRIES_DEFAULT 10000

struct audit {
	struct cli_log l;
	struct cli_checkpoint cp;
	const char *kind, *value;
	struct cli_gathered **pool;     /* every entry read, by index */
	size_t npool, cap;
	unsigned char *kept;            /* parallel to pool */
	char **searched;                /* "key=value" already searched */
	size_t nsearched;
	uint64_t max_entries;
};

static struct cli_gathered *pool_find(const struct audit *a, uint64_t index,
	size_t *pos)
{
	size_t lo = 0, hi = a->npool;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a->pool[mid]->index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (pos != NULL)
		*pos = lo;
	return lo < a->npool && a->pool[lo]->index == index ? a->pool[lo]
							    : NULL;
}

/* Reads entry index into the pool (once). */
static void pool_read(struct audit *a, uint64_t index)
{
	struct mlog_error err = { 0, "" };
	struct cli_gathered *g;
	size_t pos;

	if (index >= a->cp.cp.size || pool_find(a, index, &pos) != NULL)
		return;
	if (a->npool >= a->max_entries)
		cli_errx("audit: more than %llu entries to read; raise "
			"--max-entries", (unsigned long long)a->max_entries);
	g = malloc(sizeof(*g));
	if (g == NULL)
		cli_errx("out of memory");
	if (cli_gather_entry(&a->l, &a->cp, index, 1, g, &err) != MLOG_OK)
		cli_errx("audit: %s", err.msg);
	if (a->npool == a->cap) {
		size_t c = a->cap == 0 ? 64 : 2 * a->cap;

		a->pool = realloc(a->pool, c * sizeof(*a->pool));
		a->kept = realloc(a->kept, c);
		if (a->pool == NULL || a->kept == NULL)
			cli_errx("out of memory");
		a->cap = c;
	}
	memmove(&a->pool[pos + 1], &a->pool[pos],
		(a->npool - pos) * sizeof(*a->pool));
	memmove(&a->kept[pos + 1], &a->kept[pos], a->npool - pos);
	a->pool[pos] = g;
	a->kept[pos] = 0;
	a->npool++;
}

/* Searches key=value once per run; reads every hit into the pool. */
static void search_into_pool(struct audit *a, const char *key,
	const char *value)
{
	struct mlog_error err = { 0, "" };
	uint64_t *idx = NULL;
	size_t n = 0;
	char *tag;

	if (asprintf(&tag, "%s=%s", key, value) < 0)
		cli_errx("out of memory");
	for (size_t i = 0; i < a->nsearched; i++) {
		if (strcmp(a->searched[i], tag) == 0) {
			free(tag);
			return;
		}
	}
	a->searched = realloc(a->searched, (a->nsearched + 1) *
		sizeof(*a->searched));
	if (a->searched == NULL)
		cli_errx("out of memory");
	a->searched[a->nsearched++] = tag;
	if (cli_search(&a->l, key, value, a->cp.cp.size, &idx, &n, &err)
		!= MLOG_OK)
		cli_errx("audit: %s", err.msg);
	for (size_t i = 0; i < n; i++)
		pool_read(a, idx[i]);
	free(idx);
}

static void search_measure(struct audit *a, const struct cli_measure *m)
{
	for (size_t i = 0; i < m->nhex; i++) {
		/* The server indexes every id field (statement.h rule 16)
		 * under these names (SPEC §3 /v1/search). */
		static const char *const names[][2] = {
			{ "mrenclave", "mrenclave" },
			{ "mrsigner", "mrsigner" },
			{ "mrtd", "mrtd" },
			{ "measurement", "snp_measurement" },
			{ "pcr0", "pcr0" },
		};

		if (!m->hex[i].id)
			continue;
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			if (strcmp(m->hex[i].name, names[k][0]) == 0)
				search_into_pool(a, names[k][1],
					m->hex[i].hex);
		}
	}
}

static int matches_query(const struct audit *a, const struct cli_record *r)
{
	if (strcmp(a->kind, "ticket") == 0)
		return r->ticket != NULL && strcmp(r->ticket, a->value) == 0;
	if (r->type == MLOG_STATEMENT_APPROVAL) {
		const char *v = cli_measure_get(&r->approval, a->kind);

		return v != NULL && strcmp(v, a->value) == 0;
	}
	for (size_t i = 0; i < r->nmeasures; i++) {
		const char *v = cli_measure_get(&r->measures[i], a->kind);

		if (v != NULL && strcmp(v, a->value) == 0)
			return 1;
	}
	return 0;
}

/* Does approval r cover one of the kept manifests' measurements (or the
 * query measurement q)? */
static int covers_interest(const struct audit *a, const struct cli_record *r,
	const struct cli_measure *q)
{
	if (q != NULL && cli_measure_covers(&r->approval, q, NULL, 0))
		return 1;
	for (size_t i = 0; i < a->npool; i++) {
		const struct cli_record *m = &a->pool[i]->rec;

		/* What an approval matching the query names is of interest
		 * too (a revocation of it, with no manifest in the log). */
		if (a->kept[i] && m->type == MLOG_STATEMENT_APPROVAL &&
		    m != r && matches_query(a, m) &&
		    cli_measure_covers(&r->approval, &m->approval, NULL, 0))
			return 1;
		if (!a->kept[i] || m->type != MLOG_STATEMENT_BUILD_MANIFEST)
			continue;
		for (size_t k = 0; k < m->nmeasures; k++) {
			if (cli_measure_covers(&r->approval, &m->measures[k],
				NULL, 0))
				return 1;
		}
	}
	return 0;
}

/* Is manifest m wanted by a kept approval (build_entry), or covered by
 * an approval matching the query? */
static int manifest_wanted(const struct audit *a, const struct cli_record *m)
{
	for (size_t i = 0; i < a->npool; i++) {
		const struct cli_record *r = &a->pool[i]->rec;

		if (!a->kept[i] || r->type != MLOG_STATEMENT_APPROVAL)
			continue;
		if (r->has_build_entry && r->build_entry == m->index)
			return 1;
		if (!matches_query(a, r))
			continue;
		for (size_t k = 0; k < m->nmeasures; k++) {
			if (cli_measure_covers(&r->approval, &m->measures[k],
				NULL, 0))
				return 1;
		}
	}
	return 0;
}

/* One round of step 3; returns how many entries it newly kept. The
 * searches insert into the pool, so they walk a snapshot of the kept
 * entries (each struct cli_gathered stays where it was allocated). The
 * keep test is O(approvals x kept measurements): audits are small. */
static size_t round_once(struct audit *a, const struct cli_measure *q)
{
	struct cli_gathered **snap = malloc((a->npool + 1) * sizeof(*snap));
	size_t added = 0, nsnap = 0;

	if (snap == NULL)
		cli_errx("out of memory");
	for (size_t i = 0; i < a->npool; i++) {
		if (a->kept[i])
			snap[nsnap++] = a->pool[i];
	}
	for (size_t i = 0; i < nsnap; i++) {
		const struct cli_record *r = &snap[i]->rec;

		for (size_t k = 0; k < r->nmeasures; k++)
			search_measure(a, &r->measures[k]);
		if (r->type == MLOG_STATEMENT_APPROVAL) {
			if (matches_query(a, r))
				search_measure(a, &r->approval);
			if (r->has_build_entry)
				pool_read(a, r->build_entry);
		}
	}
	free(snap);
	if (q != NULL)
		search_measure(a, q);
	for (size_t i = 0; i < a->npool; i++) {
		const struct cli_record *r = &a->pool[i]->rec;
		int keep = 0;

		if (a->kept[i])
			continue;
		if (r->type == MLOG_STATEMENT_APPROVAL)
			keep = covers_interest(a, r, q);
		else if (r->type == MLOG_STATEMENT_BUILD_MANIFEST)
			keep = manifest_wanted(a, r);
		if (keep) {
			a->kept[i] = 1;
			added++;
		}
	}
	return added;
}

int cli_cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ticket", required_argument, NULL, 't' },
		{ "mrenclave", required_argument, NULL, 'e' },
		{ "mrsigner", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "max-entries", required_argument, NULL, 'm' },
		{ "log", required_argument, NULL, 'L' },
		{ "policy", required_argument, NULL, 'P' },
		{ "log-key", required_argument, NULL, 'K' },
		{ "cache", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *policy = NULL, *log_key = NULL, *cache = NULL;
	const char *out = NULL, *max = NULL;
	struct mlog_error err = { 0, "" };
	struct cli_evidence_item *items;
	struct cli_evidence_meta meta;
	struct cli_measure qm, *q = NULL;
	struct audit a;
	size_t nitems = 0, nmatch = 0;
	struct stat st;
	int ch, rc;

	memset(&a, 0, sizeof(a));
	a.max_entries = AUDIT_MAX_ENTRIES_DEFAULT;
	while ((ch = cli_getopt(argc, argv, opts, CLI_USAGE_AUDIT)) != -1) {
		switch (ch) {
		case 't':
		case 'e':
		case 's':
			if (a.kind != NULL)
				cli_usage(CLI_USAGE_AUDIT, "give one of "
					"--ticket, --mrenclave, --mrsigner");
			a.kind = ch == 't' ? "ticket" : ch == 'e'
				? "mrenclave" : "mrsigner";
			a.value = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'm':
			max = optarg;
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
			cli_usage(CLI_USAGE_AUDIT, NULL);
		default:
			cli_usage(CLI_USAGE_AUDIT, "unknown flag");
		}
	}
	if (optind != argc)
		cli_usage(CLI_USAGE_AUDIT, "unexpected argument '%s'",
			argv[optind]);
	if (a.kind == NULL)
		cli_usage(CLI_USAGE_AUDIT, "must specify --ticket, "
			"--mrenclave or --mrsigner");
	if (out == NULL || out[0] == '\0')
		cli_usage(CLI_USAGE_AUDIT, "must specify --out DIR");
	if (max != NULL) {
		char *end;

		a.max_entries = strtoull(max, &end, 10);
		if (*max < '1' || *max > '9' || *end != '\0' ||
		    a.max_entries > CLI_EVIDENCE_MAX_ENTRIES)
			cli_usage(CLI_USAGE_AUDIT, "--max-entries %s: want "
				"1..%d", max, CLI_EVIDENCE_MAX_ENTRIES);
	}
	if (strcmp(a.kind, "ticket") == 0) {
		if (!mlog_statement_ticket_valid(a.value, strlen(a.value)))
			cli_usage(CLI_USAGE_AUDIT, "--ticket %s: not a ticket "
				"ID ([A-Za-z0-9][A-Za-z0-9._-]{0,63})",
				a.value);
	} else {
		if (cli_measure_init(&qm, "sgx", &err) != MLOG_OK ||
		    cli_measure_set(&qm, a.kind, a.value, &err) != MLOG_OK)
			cli_usage(CLI_USAGE_AUDIT, "--%s: %s", a.kind,
				err.msg);
		q = &qm;
	}
	if (lstat(out, &st) == 0)
		cli_errx("--out %s: exists; give a new directory", out);
	cli_log_open(&a.l, url, policy, log_key, cache, 1);

	/* 1. */
	rc = cli_log_checkpoint(&a.l, &a.cp, 1, &err);
	if (rc != MLOG_OK)
		cli_errx("audit: %s", err.msg);
	/* 2. */
	search_into_pool(&a, a.kind, a.value);
	for (size_t i = 0; i < a.npool; i++)
		a.kept[i] = matches_query(&a, &a.pool[i]->rec);
	/* 3. */
	for (int r = 0; r < AUDIT_ROUNDS; r++) {
		if (round_once(&a, q) == 0)
			break;
	}
	/* 4. */
	items = calloc(a.npool + 1, sizeof(*items));
	if (items == NULL)
		cli_errx("out of memory");
	for (size_t i = 0; i < a.npool; i++) {
		const struct cli_gathered *g = a.pool[i];

		if (!a.kept[i])
			continue;
		nmatch += matches_query(&a, &g->rec) ? 1 : 0;
		items[nitems].index = g->index;
		items[nitems].entry = g->entry;
		items[nitems].entry_len = g->len;
		items[nitems].proof = (const uint8_t (*)[MLOG_HASH_BYTES])
			g->proof;
		items[nitems].proof_len = g->proof_len;
		items[nitems].server = g->server;
		nitems++;
	}
	memset(&meta, 0, sizeof(meta));
	meta.query_kind = a.kind;
	meta.query_value = a.value;
	meta.log_url = a.l.url;
	rc = cli_evidence_write(out, a.l.policy, a.cp.note, a.cp.note_len,
		items, nitems, &meta, &err);
	if (rc != MLOG_OK)
		cli_errx("audit: %s", err.msg);
	printf("%s: %zu entries (%zu matching %s %s, %zu related) proven "
		"against checkpoint %s size %llu\n", out, nitems, nmatch,
		a.kind, a.value, nitems - nmatch, a.cp.cp.origin,
		(unsigned long long)a.cp.cp.size);
	cli_flush();

	free(items);
	for (size_t i = 0; i < a.npool; i++) {
		cli_gathered_clear(a.pool[i]);
		free(a.pool[i]);
	}
	free(a.pool);
	free(a.kept);
	for (size_t i = 0; i < a.nsearched; i++)
		free(a.searched[i]);
	free(a.searched);
	cli_checkpoint_clear(&a.cp);
	cli_log_close(&a.l);
	return CLI_EXIT_OK;
}
