/*
 * evidence.c — evidence bundles: writing, deriving and verifying; see
 * evidence.h.
 *
 * Writer and verifier share one model (struct model): the policy, the
 * checkpoint and its policy result, the entries as records, and the
 * inputs of evidence.h rule 7. manifest.json and report.md are pure
 * functions of the model (derive_manifest, render_report), so the
 * verifier checks every derived claim by deriving it again and comparing
 * bytes.
 */
#include "evidence.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "approvals.h"
#include "checkpoint.h"
#include "codec.h"
#include "note.h"
#include "proof.h"
#include "statement.h"
#include "tlogproof.h"

#define GENERATOR "mlog 0.1.0"
#define REPORT_MAX (256u << 20)
#define QUERY_VALUE_MAX 256
/* Verifying threads for bundles of at least VERIFY_THREADED_MIN
 * entries (smaller ones are not worth a thread). */
#define VERIFY_THREADS 2
#define VERIFY_THREADED_MIN 256

struct ev_entry {
	uint64_t index;
	uint8_t *entry;                 /* leaf data, owned */
	size_t len;
	struct cli_record rec;
	json_t *server;                 /* reference, or NULL */
	int matches;                    /* matches the query */
	uint8_t sha[MLOG_HASH_BYTES];   /* of its .tlogproof file */
	const uint8_t (*proof)[MLOG_HASH_BYTES];   /* writer: borrowed */
	size_t proof_len;
};

struct model {
	const struct mlog_policy *pol;
	char *policy_text;              /* canonical */
	size_t policy_len;
	char *note;                     /* the bundle's checkpoint */
	size_t note_len;
	struct mlog_checkpoint cp;
	struct mlog_policy_result res;
	struct ev_entry *e;             /* ascending index */
	size_t n;
	struct cli_approvals ix;
	char *kind, *value, *url, *generated_at, *generator;
	uint8_t policy_sha[MLOG_HASH_BYTES];
	uint8_t note_sha[MLOG_HASH_BYTES];
	uint8_t report_sha[MLOG_HASH_BYTES];
	struct mlog_hash *h;
};

static void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	mlog_checkpoint_init(&m->cp);
	cli_approvals_init(&m->ix);
}

static void model_clear(struct model *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->e[i].entry);
		cli_record_clear(&m->e[i].rec);
		json_decref(m->e[i].server);
	}
	free(m->e);
	free(m->policy_text);
	free(m->note);
	mlog_checkpoint_clear(&m->cp);
	cli_approvals_clear(&m->ix);
	free(m->kind);
	free(m->value);
	free(m->url);
	free(m->generated_at);
	free(m->generator);
	mlog_hash_free(m->h);
	memset(m, 0, sizeof(*m));
}

static int nomem(struct mlog_error *err)
{
	return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
}

static void rfc3339(char out[32], uint64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int query_kind_valid(const char *k)
{
	return strcmp(k, "mrenclave") == 0 || strcmp(k, "mrsigner") == 0 ||
		strcmp(k, "ticket") == 0;
}

/* Does record r match the query itself (rather than being related)? */
static int record_matches(const struct cli_record *r, const char *kind,
	const char *value)
{
	if (strcmp(kind, "ticket") == 0)
		return r->ticket != NULL && strcmp(r->ticket, value) == 0;
	if (r->type == MLOG_STATEMENT_APPROVAL) {
		const char *v = cli_measure_get(&r->approval, kind);

		return v != NULL && strcmp(v, value) == 0;
	}
	for (size_t i = 0; i < r->nmeasures; i++) {
		const char *v = cli_measure_get(&r->measures[i], kind);

		if (v != NULL && strcmp(v, value) == 0)
			return 1;
	}
	return 0;
}

/* ---- the checkpoint ---------------------------------------------------- */

/* Is signature s by the log that signed, or by a witness that verified? */
static int sig_accounted(const struct model *m, const struct mlog_note_sig *s)
{
	const struct mlog_note_verifier *lk = &m->pol->logs[m->res.log].key;

	if (strcmp(s->name, lk->name) == 0 && s->key_id == lk->key_id)
		return 1;
	for (size_t i = 0; i < m->res.ncosigs; i++) {
		const struct mlog_note_verifier *w =
			&m->pol->witnesses[m->res.cosigs[i].witness].cosigner;

		if (strcmp(s->name, w->name) == 0 && s->key_id == w->key_id)
			return 1;
	}
	return 0;
}

/*
 * Rule 4 for note[0..len) under m->pol. With strip, signature lines that
 * are not accounted for are dropped and m->note is the result; without,
 * such a line is MLOG_ERR_VERIFY and m->note a copy.
 */
static int model_checkpoint(struct model *m, const char *note, size_t len,
	int strip, struct mlog_error *err)
{
	struct mlog_note *parsed = NULL;
	size_t kept = 0;
	int rc;

	rc = mlog_policy_verify(&m->res, &m->cp, m->pol, note, len, err);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "checkpoint");
	rc = mlog_note_parse(&parsed, note, len, err);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "checkpoint");
	for (size_t i = 0; i < parsed->nsigs; i++) {
		if (sig_accounted(m, &parsed->sigs[i])) {
			struct mlog_note_sig t = parsed->sigs[kept];

			parsed->sigs[kept++] = parsed->sigs[i];
			parsed->sigs[i] = t;
		} else if (!strip) {
			rc = mlog_error_set(err, MLOG_ERR_VERIFY, "checkpoint: "
				"signature line by '%s' is neither the log's "
				"nor a cosigning policy witness's",
				parsed->sigs[i].name);
			mlog_note_free(parsed);
			return rc;
		}
	}
	if (strip) {
		size_t all = parsed->nsigs;

		/* Format only the kept lines, then restore the count so
		 * that mlog_note_free releases every line. */
		parsed->nsigs = kept;
		rc = mlog_note_format(&m->note, &m->note_len, parsed);
		parsed->nsigs = all;
		mlog_note_free(parsed);
		if (rc != MLOG_OK)
			return mlog_error_set(err, rc, "checkpoint: can't "
				"format");
		return MLOG_OK;
	}
	mlog_note_free(parsed);
	m->note = malloc(len + 1);
	if (m->note == NULL)
		return nomem(err);
	memcpy(m->note, note, len);
	m->note[len] = '\0';
	m->note_len = len;
	return MLOG_OK;
}

/* ---- deriving the manifest --------------------------------------------- */

struct mkey {
	char *key;          /* canonical JSON of the measurement */
	size_t first;       /* order of first appearance */
	const struct cli_measure *m;
};

static int mkey_cmp(const void *a, const void *b)
{
	const struct mkey *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c != 0)
		return c;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int mkey_first_cmp(const void *a, const void *b)
{
	const struct mkey *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/*
 * The measurements the report judges: every measurement of every build
 * manifest in the bundle, once each, in order of first appearance; then,
 * for an mrenclave or mrsigner query that none of them has, the query
 * itself as an SGX measurement. *out is malloc'd (the query measurement,
 * if any, in *extra).
 */
static int measurements(const struct model *m, struct mkey **out,
	size_t *n, struct cli_measure *extra)
{
	struct mkey *k = NULL;
	size_t count = 0, cap = 0, kept = 0;
	int have_query = 0;

	for (size_t i = 0; i < m->n; i++) {
		const struct cli_record *r = &m->e[i].rec;

		for (size_t j = 0; j < r->nmeasures; j++) {
			json_t *js = cli_measure_to_json(&r->measures[j]);

			if (count == cap) {
				size_t c = cap == 0 ? 64 : 2 * cap;
				struct mkey *g = realloc(k, c * sizeof(*g));

				if (g == NULL) {
					json_decref(js);
					goto fail;
				}
				k = g;
				cap = c;
			}
			k[count].key = js != NULL ? json_dumps(js,
				JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
			json_decref(js);
			if (k[count].key == NULL)
				goto fail;
			k[count].first = count;
			k[count].m = &r->measures[j];
			count++;
			if (strcmp(m->kind, "ticket") != 0 &&
			    cli_measure_get(&r->measures[j], m->kind) != NULL &&
			    strcmp(cli_measure_get(&r->measures[j], m->kind),
				m->value) == 0)
				have_query = 1;
		}
	}
	if (count > 1)
		qsort(k, count, sizeof(*k), mkey_cmp);
	for (size_t i = 0; i < count; i++) {
		if (kept > 0 && strcmp(k[kept - 1].key, k[i].key) == 0) {
			free(k[i].key);
			continue;
		}
		k[kept++] = k[i];
	}
	if (kept > 1)
		qsort(k, kept, sizeof(*k), mkey_first_cmp);
	if (strcmp(m->kind, "ticket") != 0 && !have_query &&
	    cli_measure_init(extra, "sgx", NULL) == MLOG_OK &&
	    cli_measure_set(extra, m->kind, m->value, NULL) == MLOG_OK) {
		struct mkey *g = realloc(k, (kept + 1) * sizeof(*g));

		if (g == NULL)
			goto fail_kept;
		k = g;
		k[kept].key = NULL;
		k[kept].first = kept;
		k[kept].m = extra;
		kept++;
	}
	*out = k;
	*n = kept;
	return MLOG_OK;
fail:
	for (size_t i = 0; i < count; i++)
		free(k[i].key);
	free(k);
	return MLOG_ERR_NOMEM;
fail_kept:
	for (size_t i = 0; i < kept; i++)
		free(k[i].key);
	free(k);
	return MLOG_ERR_NOMEM;
}

static void mkeys_free(struct mkey *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(k[i].key);
	free(k);
}

/* Judgement of one measurement: decision plus the covering records. */
struct judged {
	const struct cli_measure *m;
	struct cli_decision d;
	const struct cli_record **cov;
	size_t ncov;
};

static int judge(const struct model *m, const struct cli_measure *q,
	struct judged *j)
{
	size_t cap = 8;

	j->m = q;
	if (cli_approvals_decide(&j->d, &m->ix, q, UINT64_MAX) != MLOG_OK)
		return MLOG_ERR_NOMEM;
	for (;;) {
		j->cov = malloc(cap * sizeof(*j->cov));
		if (j->cov == NULL)
			return MLOG_ERR_NOMEM;
		j->ncov = cli_approvals_covering(&m->ix, q, UINT64_MAX,
			j->cov, cap);
		if (j->ncov <= cap)
			return MLOG_OK;
		cap = j->ncov;
		free(j->cov);
	}
}

static const char *status_of(const struct judged *j)
{
	if (j->d.allowed)
		return "allowed";
	return j->d.revocation != NULL ? "revoked" : "not approved";
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
	char hex[2 * MLOG_HASH_BYTES + 1];

	mlog_codec_hex_encode(hex, p, n);
	return json_string(hex);
}

static json_t *b64_json(const uint8_t *p, size_t n)
{
	char b64[64];

	if (mlog_codec_base64_encode(b64, sizeof(b64), p, n) < 0)
		return NULL;
	return json_string(b64);
}

static char *entry_path(uint64_t index)
{
	char *p = NULL;

	if (asprintf(&p, "entries/%llu.tlogproof",
		(unsigned long long)index) < 0)
		return NULL;
	return p;
}

static json_t *derive_checkpoint(const struct model *m)
{
	char vkey[MLOG_NOTE_VKEY_MAX + 1], when[32];
	const struct mlog_policy_ref *q = &m->pol->quorum;
	const char *quorum = "none";
	json_t *cos = json_array();

	if (mlog_note_verifier_format(vkey, sizeof(vkey),
		&m->pol->logs[m->res.log].key) < 0 || cos == NULL) {
		json_decref(cos);
		return NULL;
	}
	if (q->kind == MLOG_POLICY_WITNESS)
		quorum = m->pol->witnesses[q->index].name;
	else if (q->kind == MLOG_POLICY_GROUP)
		quorum = m->pol->groups[q->index].name;
	for (size_t i = 0; i < m->res.ncosigs; i++) {
		const struct mlog_policy_cosig *c = &m->res.cosigs[i];

		rfc3339(when, c->timestamp);
		json_array_append_new(cos, json_pack("{s:s, s:I, s:s}",
			"witness", m->pol->witnesses[c->witness].name,
			"timestamp", (json_int_t)c->timestamp, "time", when));
	}
	return json_pack("{s:s, s:I, s:o, s:s, s:s, s:o}", "file",
		"checkpoint", "size", (json_int_t)m->cp.size, "root",
		b64_json(m->cp.root, MLOG_HASH_BYTES), "log_key", vkey,
		"quorum", quorum, "cosignatures", cos);
}

static json_t *derive_measurements(const struct model *m)
{
	struct cli_measure extra;
	struct mkey *k = NULL;
	size_t n = 0;
	json_t *arr = json_array();

	if (arr == NULL || measurements(m, &k, &n, &extra) != MLOG_OK) {
		json_decref(arr);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		struct judged j;
		json_t *cov = json_array(), *o;

		memset(&j, 0, sizeof(j));
		if (cov == NULL || judge(m, k[i].m, &j) != MLOG_OK) {
			free(j.cov);
			json_decref(cov);
			json_decref(arr);
			mkeys_free(k, n);
			return NULL;
		}
		for (size_t c = 0; c < j.ncov; c++)
			json_array_append_new(cov,
				json_integer((json_int_t)j.cov[c]->index));
		o = json_pack("{s:o, s:s, s:o, s:o, s:o}",
			"measurement", cli_measure_to_json(k[i].m),
			"status", status_of(&j),
			"decided_by", j.d.decisive != NULL
				? json_integer((json_int_t)j.d.decisive->index)
				: json_null(),
			"ticket", j.d.decisive != NULL
				? json_string(j.d.decisive->ticket)
				: json_null(),
			"covered_by", cov);
		free(j.cov);
		if (o == NULL || json_array_append_new(arr, o) != 0) {
			json_decref(arr);
			mkeys_free(k, n);
			return NULL;
		}
	}
	mkeys_free(k, n);
	return arr;
}

/* manifest.json from the model (evidence.h); NULL on OOM. */
static json_t *derive_manifest(const struct model *m)
{
	json_t *entries = json_array(), *files = json_array(), *o;

	if (entries == NULL || files == NULL)
		goto fail;
	json_array_append_new(files, json_pack("{s:s, s:o}", "path",
		"policy", "sha256", hex_json(m->policy_sha, MLOG_HASH_BYTES)));
	json_array_append_new(files, json_pack("{s:s, s:o}", "path",
		"checkpoint", "sha256", hex_json(m->note_sha,
		MLOG_HASH_BYTES)));
	json_array_append_new(files, json_pack("{s:s, s:o}", "path",
		"report.md", "sha256", hex_json(m->report_sha,
		MLOG_HASH_BYTES)));
	for (size_t i = 0; i < m->n; i++) {
		const struct ev_entry *e = &m->e[i];
		char *path = entry_path(e->index);

		if (path == NULL)
			goto fail;
		o = json_pack("{s:I, s:s, s:o, s:s, s:b, s:O}", "index",
			(json_int_t)e->index, "file", path, "sha256",
			hex_json(e->sha, MLOG_HASH_BYTES), "kind",
			cli_record_kind(&e->rec), "matches_query", e->matches,
			"server", e->server != NULL ? e->server : json_null());
		free(path);
		if (o == NULL || json_array_append_new(entries, o) != 0)
			goto fail;
	}
	o = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:o}, s:o, "
		"s:{s:s}, s:o, s:o, s:o}",
		"format", CLI_EVIDENCE_FORMAT,
		"generator", m->generator,
		"generated_at", m->generated_at,
		"query", "kind", m->kind, "value", m->value,
		"log", "origin", m->cp.origin, "url",
		m->url != NULL ? json_string(m->url) : json_null(),
		"checkpoint", derive_checkpoint(m),
		"policy", "file", "policy",
		"files", files,
		"entries", entries,
		"measurements", derive_measurements(m));
	return o;
fail:
	json_decref(entries);
	json_decref(files);
	return NULL;
}

static char *dump_manifest(const json_t *j, size_t *len)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	char *t;

	if (s == NULL)
		return NULL;
	*len = strlen(s);
	t = realloc(s, *len + 2);
	if (t == NULL) {
		free(s);
		return NULL;
	}
	t[(*len)++] = '\n';
	t[*len] = '\0';
	return t;
}

/* ---- rendering the report ---------------------------------------------- */

/* A code span of s: backticks, '|' and control bytes become '?', so no
 * string from an entry or the server can break out of it. */
static void md_code(FILE *f, const char *s)
{
	fputc('`', f);
	while (s != NULL && *s != '\0') {
		size_t run = 0;

		/* Runs of safe bytes in one write; each unsafe one as '?'. */
		while (s[run] != '\0' && (unsigned char)s[run] >= 0x20 &&
		       s[run] != 0x7f && s[run] != '`' && s[run] != '|')
			run++;
		fwrite(s, 1, run, f);
		s += run;
		if (*s != '\0') {
			fputc('?', f);
			s++;
		}
	}
	fputc('`', f);
}

static void md_measure(FILE *f, const struct cli_measure *q)
{
	fputs(q->tee, f);
	for (size_t i = 0; i < q->nhex; i++) {
		fprintf(f, " %s ", q->hex[i].name);
		md_code(f, q->hex[i].hex);
	}
	if (q->has_isvprodid)
		fprintf(f, " isvprodid %u", q->isvprodid);
	if (q->has_isvsvn)
		fprintf(f, " isvsvn %u", q->isvsvn);
	if (q->has_min_isvsvn)
		fprintf(f, " min_isvsvn %u", q->min_isvsvn);
	if (q->has_debug)
		fprintf(f, " debug %s", q->debug ? "true" : "false");
}

static const struct ev_entry *find_entry(const struct model *m, uint64_t i)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->e[mid].index < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->n && m->e[lo].index == i ? &m->e[lo] : NULL;
}

static void render_head(FILE *f, const struct model *m)
{
	char vkey[MLOG_NOTE_VKEY_MAX + 1], when[32], root[64];
	size_t matches = 0;

	for (size_t i = 0; i < m->n; i++)
		matches += m->e[i].matches ? 1 : 0;
	if (mlog_note_verifier_format(vkey, sizeof(vkey),
		&m->pol->logs[m->res.log].key) < 0)
		vkey[0] = '\0';
	if (mlog_codec_base64_encode(root, sizeof(root), m->cp.root,
		MLOG_HASH_BYTES) < 0)
		root[0] = '\0';
	fputs("# mlog evidence report\n\n| | |\n| --- | --- |\n", f);
	fprintf(f, "| query | %s ", m->kind);
	md_code(f, m->value);
	fputs(" |\n| generated | ", f);
	md_code(f, m->generated_at);
	fputs(" by ", f);
	md_code(f, m->generator);
	fputs(" (the writer's clock; not verifiable) |\n| log | origin ", f);
	md_code(f, m->cp.origin);
	if (m->url != NULL) {
		fputs(", read from ", f);
		md_code(f, m->url);
	}
	fprintf(f, " |\n| checkpoint | size %llu, root ",
		(unsigned long long)m->cp.size);
	md_code(f, root);
	fprintf(f, " |\n| entries | %zu: %zu matching the query, %zu "
		"related |\n\n", m->n, matches, m->n - matches);

	fputs("## Checkpoint and witnesses\n\n", f);
	fputs("The checkpoint (file `checkpoint`) is signed by the log key ",
		f);
	md_code(f, vkey);
	fputs(" of the policy (file `policy`)", f);
	if (m->res.ncosigs == 0) {
		fputs(" and co-signed by no witness.\n\n", f);
	} else {
		fputs(" and co-signed by these policy witnesses (times are "
			"the witnesses' cosignature timestamps):\n\n"
			"| witness | co-signed at (UTC) |\n| --- | --- |\n", f);
		for (size_t i = 0; i < m->res.ncosigs; i++) {
			const struct mlog_policy_cosig *c = &m->res.cosigs[i];

			rfc3339(when, c->timestamp);
			fputs("| ", f);
			md_code(f, m->pol->witnesses[c->witness].name);
			fprintf(f, " | %s |\n", when);
		}
		fputc('\n', f);
	}
	if (m->pol->quorum.kind == MLOG_POLICY_NONE) {
		fputs("Quorum: `none` (the policy requires no witness).\n\n",
			f);
	} else {
		fputs("Quorum: ", f);
		md_code(f, m->pol->quorum.kind == MLOG_POLICY_WITNESS
			? m->pol->witnesses[m->pol->quorum.index].name
			: m->pol->groups[m->pol->quorum.index].name);
		fputs(", met.\n\n", f);
	}
}

static int render_measurements(FILE *f, const struct model *m)
{
	struct cli_measure extra;
	struct mkey *k = NULL;
	size_t n = 0;

	if (measurements(m, &k, &n, &extra) != MLOG_OK)
		return MLOG_ERR_NOMEM;
	fputs("## Measurements\n\n", f);
	if (n == 0)
		fputs("No build manifest in this bundle states a "
			"measurement.\n\n", f);
	for (size_t i = 0; i < n; i++) {
		struct judged j;

		memset(&j, 0, sizeof(j));
		if (judge(m, k[i].m, &j) != MLOG_OK) {
			free(j.cov);
			mkeys_free(k, n);
			return MLOG_ERR_NOMEM;
		}
		fputs("- ", f);
		md_measure(f, k[i].m);
		if (k[i].key == NULL)
			fputs(" (the query; no build manifest in this bundle "
				"states it)", f);
		fprintf(f, "\n  - **%s**: ", status_of(&j));
		md_code(f, j.d.reason);
		fputc('\n', f);
		for (size_t c = 0; c < j.ncov; c++) {
			const struct cli_record *r = j.cov[c];

			fprintf(f, "  - %s, entry %llu: ticket ",
				cli_record_kind(r),
				(unsigned long long)r->index);
			md_code(f, r->ticket);
			fputs(", approver ", f);
			md_code(f, r->approver);
			fputs(", reviewed_at ", f);
			md_code(f, r->reviewed_at);
			fputc('\n', f);
		}
		free(j.cov);
	}
	if (n > 0)
		fputs("\nStatuses follow the log order of the approvals and "
			"revocations in this bundle (docs/cli.md \"mlog "
			"check\"): the latest one covering a measurement "
			"decides.\n\n", f);
	mkeys_free(k, n);
	return MLOG_OK;
}

static void render_entry(FILE *f, const struct model *m,
	const struct ev_entry *e)
{
	const struct cli_record *r = &e->rec;
	const json_t *signers = json_object_get(e->server, "signers");
	size_t i;
	const json_t *v;

	fprintf(f, "### Entry %llu: %s (%s)\n\n", (unsigned long long)e->index,
		cli_record_kind(r), e->matches ? "matches the query"
					       : "related");
	fprintf(f, "- proof: `entries/%llu.tlogproof`\n",
		(unsigned long long)e->index);
	fputs("- type: ", f);
	md_code(f, r->type_uri);
	fputs("\n- DSSE keyids (signed entry): ", f);
	for (size_t k = 0; k < r->nkeyids; k++) {
		if (k > 0)
			fputs(", ", f);
		md_code(f, r->keyids[k][0] != '\0' ? r->keyids[k] : "(none)");
	}
	fputc('\n', f);
	if (e->server != NULL) {
		fputs("- signers (server claim): ", f);
		json_array_foreach(signers, i, v) {
			if (i > 0)
				fputs(", ", f);
			md_code(f, json_string_value(v));
		}
		if (json_array_size(signers) == 0)
			fputs("none named", f);
		fputs("\n- integrated at (server claim): ", f);
		md_code(f, json_string_value(json_object_get(e->server,
			"integrated_at")));
		fputc('\n', f);
	} else {
		fputs("- signers, integration time: not recorded\n", f);
	}
	for (size_t s = 0; s < r->nsubjects; s++) {
		fputs("- subject ", f);
		md_code(f, r->subjects[s].name);
		if (r->subjects[s].sha256[0] != '\0') {
			fputs(" sha256 ", f);
			md_code(f, r->subjects[s].sha256);
		}
		fputc('\n', f);
	}
	if (r->build_id != NULL) {
		fputs("- build ", f);
		md_code(f, r->build_id);
		fputc('\n', f);
	}
	for (size_t k = 0; k < r->nmeasures; k++) {
		fputs("- measurement: ", f);
		md_measure(f, &r->measures[k]);
		fputc('\n', f);
	}
	if (r->type == MLOG_STATEMENT_APPROVAL) {
		fputs("- ticket ", f);
		md_code(f, r->ticket);
		fprintf(f, ", decision **%s**, approver ",
			r->decision == MLOG_STATEMENT_REVOKED ? "revoked"
							      : "approved");
		md_code(f, r->approver);
		fputs(", reviewed_at ", f);
		md_code(f, r->reviewed_at);
		fputs(" (the approver's signed statement)\n- covers: ", f);
		md_measure(f, &r->approval);
		fputc('\n', f);
		if (r->has_build_entry)
			fprintf(f, "- build_entry: %llu (%s)\n",
				(unsigned long long)r->build_entry,
				find_entry(m, r->build_entry) != NULL
					? "in this bundle"
					: "not in this bundle");
	}
	fputc('\n', f);
}

/* report.md from the model; *out malloc'd. */
static int render_report(const struct model *m, char **out, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	int rc;

	if (f == NULL)
		return MLOG_ERR_NOMEM;
	render_head(f, m);
	rc = render_measurements(f, m);
	fputs("## Entries\n\n", f);
	if (m->n == 0)
		fputs("The log's search found no entry.\n\n", f);
	for (size_t i = 0; rc == MLOG_OK && i < m->n; i++)
		render_entry(f, m, &m->e[i]);
	fputs("## What this bundle shows, and what it does not\n\n"
		"- Each entry above is in the log at the index shown: its "
		"tlog-proof's inclusion proof leads from the entry to the "
		"root of the checkpoint, which the log signed and the "
		"witnesses listed co-signed. `mlog verify` checks this "
		"offline.\n"
		"- The DSSE keyids, statements, tickets, approvers and "
		"reviewed_at times are part of the signed entries, so they "
		"are covered by the proofs; whether a keyid belongs to whom "
		"you expect is yours to check.\n"
		"- Signer names and integration times are the log server's "
		"claims (GET /v1/entries/<I>), recorded as given.\n"
		"- Completeness is not proven: the entries were found through "
		"the server's search index, which can leave out an entry "
		"(a revocation, say). Only reading every entry, as `mlog "
		"monitor` does, closes that gap.\n", f);
	if (fclose(f) != 0 || buf == NULL || rc != MLOG_OK) {
		free(buf);
		return MLOG_ERR_NOMEM;
	}
	*out = buf;
	*len = n;
	return MLOG_OK;
}

static int vfail(struct mlog_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int vfail(struct mlog_error *err, const char *fmt, ...)
{
	char msg[MLOG_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mlog_error_set(err, MLOG_ERR_VERIFY, "%s", msg);
}

/* render_report on another thread (cli_evidence_verify_trusted). */
struct render_job {
	const struct model *m;
	char *out;
	size_t len;
	int rc;
};

static void *render_thread(void *arg)
{
	struct render_job *j = arg;

	j->rc = render_report(j->m, &j->out, &j->len);
	return NULL;
}

/* ---- common model steps ------------------------------------------------ */

/* Parses entry e into its record and marks a match (no shared state). A
 * bad entry is MLOG_ERR_VERIFY: it is in the log, but no SPEC §2 entry. */
static int record_of(const struct model *m, struct ev_entry *e,
	struct mlog_error *err)
{
	int rc = cli_record_parse(&e->rec, e->index, e->entry, e->len, err);

	if (rc == MLOG_ERR_NOMEM)
		return rc;
	if (rc != MLOG_OK)
		return vfail(err, "%s", err != NULL ? err->msg
			: "entry is not a SPEC entry");
	e->matches = record_matches(&e->rec, m->kind, m->value);
	return MLOG_OK;
}

/* record_of and indexing for every entry, then the index sealed (the
 * writer: there a bad entry is a bad argument, MLOG_ERR_MALFORMED). */
static int model_records(struct model *m, struct mlog_error *err)
{
	for (size_t i = 0; i < m->n; i++) {
		int rc = record_of(m, &m->e[i], err);

		if (rc == MLOG_ERR_VERIFY)
			rc = MLOG_ERR_MALFORMED;
		if (rc != MLOG_OK)
			return rc;
		if (cli_approvals_add(&m->ix, &m->e[i].rec) != MLOG_OK)
			return nomem(err);
	}
	cli_approvals_seal(&m->ix);
	return MLOG_OK;
}

static int set_str(char **dst, const char *s)
{
	*dst = strdup(s);
	return *dst != NULL ? MLOG_OK : MLOG_ERR_NOMEM;
}

/* ---- writing ----------------------------------------------------------- */

static int write_at(int dirfd, const char *dir, const char *name,
	const void *data, size_t len, struct mlog_error *err)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		O_CLOEXEC, 0644);
	const uint8_t *p = data;
	size_t done = 0;

	if (fd < 0)
		return mlog_error_set(err, MLOG_ERR_IO, "%s/%s: %s", dir,
			name, strerror(errno));
	while (done < len) {
		ssize_t w = write(fd, p + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = errno;

			close(fd);
			return mlog_error_set(err, MLOG_ERR_IO, "%s/%s: %s",
				dir, name, strerror(e));
		}
		done += (size_t)w;
	}
	if (close(fd) != 0)
		return mlog_error_set(err, MLOG_ERR_IO, "%s/%s: %s", dir,
			name, strerror(errno));
	return MLOG_OK;
}

/* rename(tmp, dir), refusing to replace a dir made meanwhile (plain
 * rename would replace an empty one); where the file system lacks
 * RENAME_NOREPLACE, an existing dir is checked for just before. */
static int publish(const char *tmp, const char *dir)
{
	struct stat st;

	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (lstat(dir, &st) == 0) {
		errno = EEXIST;
		return -1;
	}
	return rename(tmp, dir);
}

static int item_cmp(const void *a, const void *b)
{
	const struct cli_evidence_item *x = *(const struct cli_evidence_item
		*const *)a;
	const struct cli_evidence_item *y = *(const struct cli_evidence_item
		*const *)b;

	return x->index < y->index ? -1 : x->index > y->index;
}

/* Fills m from the writer's arguments (checks included). */
static int model_from_items(struct model *m, const struct mlog_policy *pol,
	const char *note, size_t note_len,
	const struct cli_evidence_item *items, size_t n,
	const struct cli_evidence_meta *meta, struct mlog_error *err)
{
	const struct cli_evidence_item **sorted = NULL;
	char now[32];
	int rc;

	if (meta == NULL || meta->query_kind == NULL ||
	    meta->query_value == NULL || !query_kind_valid(meta->query_kind) ||
	    meta->query_value[0] == '\0' ||
	    strlen(meta->query_value) > QUERY_VALUE_MAX)
		return mlog_error_set(err, MLOG_ERR_MALFORMED, "evidence: "
			"want a query kind (mrenclave, mrsigner, ticket) and a "
			"value of 1..%d bytes", QUERY_VALUE_MAX);
	if (n > CLI_EVIDENCE_MAX_ENTRIES)
		return mlog_error_set(err, MLOG_ERR_TOOBIG, "evidence: more "
			"than %d entries", CLI_EVIDENCE_MAX_ENTRIES);
	rfc3339(now, (uint64_t)time(NULL));
	m->pol = pol;
	m->h = mlog_hash_new();
	if (m->h == NULL ||
	    set_str(&m->kind, meta->query_kind) != MLOG_OK ||
	    set_str(&m->value, meta->query_value) != MLOG_OK ||
	    set_str(&m->generated_at, meta->generated_at != NULL
		? meta->generated_at : now) != MLOG_OK ||
	    set_str(&m->generator, meta->generator != NULL ? meta->generator
		: GENERATOR) != MLOG_OK ||
	    (meta->log_url != NULL && set_str(&m->url, meta->log_url)
		!= MLOG_OK))
		return nomem(err);
	rc = model_checkpoint(m, note, note_len, 1, err);
	if (rc != MLOG_OK)
		return rc;
	rc = mlog_policy_format(&m->policy_text, &m->policy_len, pol);
	if (rc != MLOG_OK)
		return mlog_error_set(err, rc, "evidence: can't format the "
			"policy");
	sorted = malloc((n + 1) * sizeof(*sorted));
	m->e = calloc(n + 1, sizeof(*m->e));
	if (sorted == NULL || m->e == NULL) {
		free(sorted);
		return nomem(err);
	}
	for (size_t i = 0; i < n; i++)
		sorted[i] = &items[i];
	qsort(sorted, n, sizeof(*sorted), item_cmp);
	for (size_t i = 0; i < n; i++) {
		const struct cli_evidence_item *it = sorted[i];
		struct ev_entry *e = &m->e[i];
		uint8_t leaf[MLOG_HASH_BYTES];

		if (i > 0 && sorted[i - 1]->index == it->index) {
			rc = mlog_error_set(err, MLOG_ERR_MALFORMED, "evidence:"
				" entry %llu given twice",
				(unsigned long long)it->index);
			break;
		}
		mlog_hash_leaf(m->h, leaf, it->entry, it->entry_len);
		if (it->index >= m->cp.size ||
		    mlog_proof_verify_inclusion(m->h, it->index, m->cp.size,
			leaf, it->proof, it->proof_len, m->cp.root)
			!= MLOG_OK) {
			rc = mlog_error_set(err, MLOG_ERR_VERIFY, "evidence: "
				"entry %llu: inclusion proof does not verify "
				"against the checkpoint of size %llu",
				(unsigned long long)it->index,
				(unsigned long long)m->cp.size);
			break;
		}
		e->index = it->index;
		e->proof = it->proof;
		e->proof_len = it->proof_len;
		e->entry = malloc(it->entry_len + 1);
		if (e->entry == NULL) {
			rc = nomem(err);
			break;
		}
		memcpy(e->entry, it->entry, it->entry_len);
		e->len = it->entry_len;
		if (it->server != NULL)
			e->server = json_deep_copy(it->server);
		m->n++;
	}
	free(sorted);
	if (rc == MLOG_OK)
		rc = model_records(m, err);
	return rc;
}

int cli_evidence_write(const char *dir, const struct mlog_policy *pol,
	const char *note, size_t note_len,
	const struct cli_evidence_item *items, size_t n,
	const struct cli_evidence_meta *meta, struct mlog_error *err)
{
	struct model m;
	char *tmp = NULL, *report = NULL, *manifest = NULL;
	size_t report_len = 0, manifest_len = 0;
	json_t *mj = NULL;
	int rc, dirfd = -1, entfd = -1;
	struct stat st;

	model_init(&m);
	rc = model_from_items(&m, pol, note, note_len, items, n, meta, err);
	if (rc != MLOG_OK)
		goto out;
	if (lstat(dir, &st) == 0) {
		rc = mlog_error_set(err, MLOG_ERR_IO, "%s: exists; an evidence "
			"bundle goes into a new directory", dir);
		goto out;
	}
	if (asprintf(&tmp, "%s.partial-%d", dir, (int)getpid()) < 0) {
		tmp = NULL;
		rc = nomem(err);
		goto out;
	}
	if (mkdir(tmp, 0755) != 0) {
		rc = mlog_error_set(err, MLOG_ERR_IO, "%s: %s", tmp,
			strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	dirfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd >= 0 && mkdirat(dirfd, "entries", 0755) == 0)
		entfd = openat(dirfd, "entries", O_RDONLY | O_DIRECTORY |
			O_CLOEXEC);
	if (entfd < 0) {
		rc = mlog_error_set(err, MLOG_ERR_IO, "%s: %s", tmp,
			strerror(errno));
		goto out;
	}
	mlog_hash_sha256(m.h, m.policy_sha, m.policy_text, m.policy_len);
	mlog_hash_sha256(m.h, m.note_sha, m.note, m.note_len);
	rc = write_at(dirfd, tmp, "policy", m.policy_text, m.policy_len, err);
	if (rc == MLOG_OK)
		rc = write_at(dirfd, tmp, "checkpoint", m.note, m.note_len,
			err);
	for (size_t i = 0; rc == MLOG_OK && i < m.n; i++) {
		struct ev_entry *e = &m.e[i];
		char *text = NULL, name[40];
		size_t len = 0;

		rc = mlog_tlogproof_format(&text, &len, e->entry, e->len,
			e->index, e->proof, e->proof_len, m.note,
			m.note_len, err);
		if (rc != MLOG_OK)
			break;
		mlog_hash_sha256(m.h, e->sha, text, len);
		snprintf(name, sizeof(name), "%llu.tlogproof",
			(unsigned long long)e->index);
		rc = write_at(entfd, tmp, name, text, len, err);
		free(text);
	}
	if (rc == MLOG_OK) {
		rc = render_report(&m, &report, &report_len);
		if (rc != MLOG_OK)
			rc = nomem(err);
	}
	if (rc == MLOG_OK) {
		mlog_hash_sha256(m.h, m.report_sha, report, report_len);
		rc = write_at(dirfd, tmp, "report.md", report, report_len,
			err);
	}
	if (rc == MLOG_OK) {
		mj = derive_manifest(&m);
		manifest = mj != NULL ? dump_manifest(mj, &manifest_len)
				      : NULL;
		rc = manifest != NULL ? write_at(dirfd, tmp, "manifest.json",
			manifest, manifest_len, err) : nomem(err);
	}
	/* One syncfs for the whole bundle rather than an fsync per file;
	 * then the rename publishes it complete. A crash before the rename
	 * leaves only the .partial directory. */
	if (rc == MLOG_OK && (syncfs(dirfd) != 0 || publish(tmp, dir) != 0))
		rc = mlog_error_set(err, MLOG_ERR_IO, "%s: %s", dir,
			strerror(errno));
out:
	if (entfd >= 0)
		close(entfd);
	if (dirfd >= 0)
		close(dirfd);
	if (rc != MLOG_OK && tmp != NULL) {
		/* Remove what we wrote: our own files in our own new
		 * directory, by name. */
		DIR *d = opendir(tmp);
		char *ents = NULL;

		if (asprintf(&ents, "%s/entries", tmp) >= 0) {
			DIR *de = opendir(ents);
			struct dirent *x;

			while (de != NULL && (x = readdir(de)) != NULL) {
				if (x->d_name[0] != '.') {
					char *p = NULL;

					if (asprintf(&p, "%s/%s", ents,
						x->d_name) >= 0)
						unlink(p);
					free(p);
				}
			}
			if (de != NULL)
				closedir(de);
			rmdir(ents);
			free(ents);
		}
		while (d != NULL) {
			struct dirent *x = readdir(d);
			char *p = NULL;

			if (x == NULL)
				break;
			if (x->d_name[0] == '.')
				continue;
			if (asprintf(&p, "%s/%s", tmp, x->d_name) >= 0)
				unlink(p);
			free(p);
		}
		if (d != NULL)
			closedir(d);
		rmdir(tmp);
	}
	free(tmp);
	free(report);
	free(manifest);
	json_decref(mj);
	model_clear(&m);
	return rc;
}

/* ---- verifying --------------------------------------------------------- */

/* Reads regular file name under dirfd (no symlinks), at most max bytes;
 * *out malloc'd and NUL-terminated. Returns 0, MLOG_ERR_IO (message),
 * MLOG_ERR_VERIFY (not a regular file, too big) or MLOG_ERR_NOMEM. */
static int read_at(int dirfd, const char *shown, const char *name,
	size_t max, char **out, size_t *len, struct mlog_error *err)
{
	/* O_NONBLOCK: a FIFO planted in a bundle must not hang us; it is
	 * then refused as not a regular file. */
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		O_CLOEXEC);
	struct stat st;
	char *buf;
	size_t done = 0;

	if (fd < 0) {
		if (errno == ENOENT || errno == ELOOP)
			return vfail(err, "%s: %s", shown, strerror(errno));
		return mlog_error_set(err, MLOG_ERR_IO, "%s: %s", shown,
			strerror(errno));
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > max) {
		close(fd);
		return vfail(err, "%s: not a regular file of at most %zu "
			"bytes", shown, max);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return nomem(err);
	}
	while (done < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + done, (size_t)st.st_size - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(buf);
			close(fd);
			return mlog_error_set(err, MLOG_ERR_IO, "%s: short "
				"read", shown);
		}
		done += (size_t)r;
	}
	close(fd);
	buf[done] = '\0';
	*out = buf;
	*len = done;
	return MLOG_OK;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory fd (without . and ..), sorted; checks each is
 * a regular file, or a directory where dir_name says. */
static int list_dir(int fd, const char *shown, const char *dir_name,
	char ***out, size_t *n, struct mlog_error *err)
{
	DIR *d = fdopendir(dup(fd));
	char **names = NULL;
	size_t count = 0, cap = 0;
	struct dirent *x;
	int rc = MLOG_OK;

	if (d == NULL)
		return mlog_error_set(err, MLOG_ERR_IO, "%s: %s", shown,
			strerror(errno));
	rewinddir(d);
	while (rc == MLOG_OK && (x = readdir(d)) != NULL) {
		struct stat st;
		int want_dir;

		if (strcmp(x->d_name, ".") == 0 || strcmp(x->d_name, "..") == 0)
			continue;
		want_dir = dir_name != NULL && strcmp(x->d_name, dir_name) == 0;
		/* d_type when the file system gives it (one stat per file
		 * less: bundles hold thousands); lstat otherwise. */
		if (x->d_type != DT_UNKNOWN) {
			if (x->d_type == (want_dir ? DT_DIR : DT_REG))
				st.st_mode = want_dir ? S_IFDIR : S_IFREG;
			else
				st.st_mode = 0;
		} else if (fstatat(fd, x->d_name, &st, AT_SYMLINK_NOFOLLOW)
			!= 0) {
			st.st_mode = 0;
		}
		if (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
			rc = vfail(err, "%s/%s: not a %s", shown, x->d_name,
				want_dir ? "directory" : "regular file");
			break;
		}
		if (count > CLI_EVIDENCE_MAX_ENTRIES) {
			rc = vfail(err, "%s: too many files", shown);
			break;
		}
		if (count == cap) {
			size_t c = cap == 0 ? 64 : 2 * cap;
			char **g = realloc(names, c * sizeof(*g));

			if (g == NULL) {
				rc = nomem(err);
				break;
			}
			names = g;
			cap = c;
		}
		names[count] = strdup(x->d_name);
		if (names[count] == NULL)
			rc = nomem(err);
		else
			count++;
	}
	closedir(d);
	if (rc != MLOG_OK) {
		for (size_t i = 0; i < count; i++)
			free(names[i]);
		free(names);
		return rc;
	}
	if (count > 1)
		qsort(names, count, sizeof(*names), str_cmp);
	*out = names;
	*n = count;
	return MLOG_OK;
}

static void names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Rule 1: the non-derived inputs from the parsed manifest. */
static int manifest_inputs(struct model *m, const json_t *j,
	struct mlog_error *err)
{
	const json_t *q = json_object_get(j, "query");
	const json_t *log = json_object_get(j, "log");
	const json_t *ents = json_object_get(j, "entries");
	const char *gen = json_string_value(json_object_get(j, "generator"));
	const char *at = json_string_value(json_object_get(j,
		"generated_at"));
	const char *kind = json_string_value(json_object_get(q, "kind"));
	const char *value = json_string_value(json_object_get(q, "value"));
	const json_t *url = json_object_get(log, "url");
	int64_t t;
	size_t i;
	const json_t *v;

	if (gen == NULL || at == NULL || kind == NULL || value == NULL ||
	    !json_is_array(ents) || (url != NULL && !json_is_null(url) &&
	    !json_is_string(url)))
		return vfail(err, "manifest.json: generator, generated_at, "
			"query, log or entries missing or of the wrong type");
	if (mlog_statement_time_parse(&t, at, strlen(at)) != MLOG_OK)
		return vfail(err, "manifest.json: generated_at is not RFC "
			"3339");
	if (!query_kind_valid(kind) || value[0] == '\0' ||
	    strlen(value) > QUERY_VALUE_MAX)
		return vfail(err, "manifest.json: bad query");
	if (json_array_size(ents) > CLI_EVIDENCE_MAX_ENTRIES)
		return vfail(err, "manifest.json: more than %d entries",
			CLI_EVIDENCE_MAX_ENTRIES);
	if (set_str(&m->generator, gen) != MLOG_OK ||
	    set_str(&m->generated_at, at) != MLOG_OK ||
	    set_str(&m->kind, kind) != MLOG_OK ||
	    set_str(&m->value, value) != MLOG_OK ||
	    (json_is_string(url) && set_str(&m->url,
		json_string_value(url)) != MLOG_OK))
		return nomem(err);
	m->e = calloc(json_array_size(ents) + 1, sizeof(*m->e));
	if (m->e == NULL)
		return nomem(err);
	json_array_foreach(ents, i, v) {
		const json_t *idx = json_object_get(v, "index");
		const json_t *srv = json_object_get(v, "server");
		struct ev_entry *e = &m->e[i];

		if (!json_is_integer(idx) || json_integer_value(idx) < 0)
			return vfail(err, "manifest.json: entries[%zu]: no "
				"index", i);
		e->index = (uint64_t)json_integer_value(idx);
		if (i > 0 && e->index <= m->e[i - 1].index)
			return vfail(err, "manifest.json: entries do not "
				"ascend at %zu", i);
		if (srv != NULL && !json_is_null(srv)) {
			const json_t *sg = json_object_get(srv, "signers");
			size_t k;
			const json_t *s;

			if (!json_is_object(srv) || json_object_size(srv) != 2
			    || !json_is_array(sg) || !json_is_string(
				json_object_get(srv, "integrated_at")))
				return vfail(err, "manifest.json: entries[%zu]"
					".server: want signers and "
					"integrated_at", i);
			json_array_foreach(sg, k, s) {
				if (!json_is_string(s))
					return vfail(err, "manifest.json: "
						"entries[%zu].server.signers: "
						"want strings", i);
			}
			e->server = json_deep_copy(srv);
			if (e->server == NULL)
				return nomem(err);
		}
		m->n++;
	}
	return MLOG_OK;
}

/* Rule 2, first half: the directory's names are exactly the bundle's. */
static int check_listing(const struct model *m, int dirfd, int entfd,
	const char *dir, struct mlog_error *err)
{
	static const char *const top[] = { "checkpoint", "entries",
		"manifest.json", "policy", "report.md" };
	char **names = NULL, **want = NULL;
	size_t n = 0;
	int rc;

	rc = list_dir(dirfd, dir, "entries", &names, &n, err);
	if (rc != MLOG_OK)
		return rc;
	if (n != 5)
		rc = vfail(err, "%s: holds %zu names, want the 5 of a bundle",
			dir, n);
	for (size_t i = 0; rc == MLOG_OK && i < 5; i++) {
		if (strcmp(names[i], top[i]) != 0)
			rc = vfail(err, "%s: unexpected %s", dir, names[i]);
	}
	names_free(names, n);
	if (rc != MLOG_OK)
		return rc;
	rc = list_dir(entfd, "entries", NULL, &names, &n, err);
	if (rc != MLOG_OK)
		return rc;
	want = calloc(m->n + 1, sizeof(*want));
	if (want == NULL) {
		names_free(names, n);
		return nomem(err);
	}
	for (size_t i = 0; i < m->n && rc == MLOG_OK; i++) {
		if (asprintf(&want[i], "%llu.tlogproof",
			(unsigned long long)m->e[i].index) < 0) {
			want[i] = NULL;
			rc = nomem(err);
		}
	}
	if (rc == MLOG_OK) {
		qsort(want, m->n, sizeof(*want), str_cmp);
		if (n != m->n)
			rc = vfail(err, "%s/entries: %zu files, the manifest "
				"lists %zu", dir, n, m->n);
		for (size_t i = 0; rc == MLOG_OK && i < n; i++) {
			if (strcmp(names[i], want[i]) != 0)
				rc = vfail(err, "%s/entries/%s: not in the "
					"manifest", dir, names[i]);
		}
	}
	names_free(want, m->n);
	names_free(names, n);
	return rc;
}

/* Rule 2, second half: the SHA-256 manifest.json lists for path, in
 * obj (a files[] item or an entries[] item) whose path member is key. */
static int listed_sha(const json_t *obj, const char *key, const char *path,
	const uint8_t got[MLOG_HASH_BYTES], struct mlog_error *err)
{
	const char *p = json_string_value(json_object_get(obj, key));
	const char *hex = json_string_value(json_object_get(obj, "sha256"));
	char want[2 * MLOG_HASH_BYTES + 1];

	if (p == NULL || hex == NULL || strcmp(p, path) != 0)
		return vfail(err, "manifest.json: no SHA-256 listed for %s",
			path);
	mlog_codec_hex_encode(want, got, MLOG_HASH_BYTES);
	if (strcmp(hex, want) != 0)
		return vfail(err, "%s: SHA-256 is not the one manifest.json "
			"lists", path);
	return MLOG_OK;
}

/* Rules 5 and 6 for entry i, with hash context h (one per thread): the
 * only shared state it touches is e = &m->e[i], and the manifest's
 * entries array, read only. */
static int verify_one(struct model *m, struct mlog_hash *h, int entfd,
	const json_t *ents, size_t i, struct mlog_error *err)
{
	struct ev_entry *e = &m->e[i];
	struct mlog_tlogproof p;
	char name[40], shown[60], *text = NULL;
	uint8_t leaf[MLOG_HASH_BYTES];
	size_t len = 0;
	int rc;

	snprintf(name, sizeof(name), "%llu.tlogproof",
		(unsigned long long)e->index);
	snprintf(shown, sizeof(shown), "entries/%s", name);
	rc = read_at(entfd, shown, name, MLOG_TLOGPROOF_MAX_BYTES, &text, &len,
		err);
	if (rc != MLOG_OK)
		return rc;
	mlog_hash_sha256(h, e->sha, text, len);
	rc = listed_sha(json_array_get(ents, i), "file", shown, e->sha, err);
	if (rc == MLOG_OK) {
		rc = mlog_tlogproof_parse(&p, text, len, err);
		if (rc != MLOG_OK)
			rc = vfail(err, "%s: %s", shown, err != NULL ? err->msg
				: "malformed");
	}
	free(text);
	if (rc != MLOG_OK)
		return rc;
	/* Rule 5: same checkpoint bytes, whose signatures rule 4 verified;
	 * then the inclusion proof for the extra data. */
	if (p.index != e->index)
		rc = vfail(err, "%s: says index %llu", shown,
			(unsigned long long)p.index);
	else if (p.note_len != m->note_len ||
		 memcmp(p.note, m->note, m->note_len) != 0)
		rc = vfail(err, "%s: its checkpoint is not the bundle's",
			shown);
	else if (p.extra == NULL)
		rc = vfail(err, "%s: no entry (extra data)", shown);
	if (rc == MLOG_OK) {
		mlog_hash_leaf(h, leaf, p.extra, p.extra_len);
		if (e->index >= m->cp.size ||
		    mlog_proof_verify_inclusion(h, e->index, m->cp.size, leaf,
			(const uint8_t (*)[MLOG_HASH_BYTES])p.proof,
			p.proof_len, m->cp.root) != MLOG_OK)
			rc = vfail(err, "%s: inclusion proof does not verify "
				"against the checkpoint", shown);
	}
	if (rc == MLOG_OK) {
		e->entry = p.extra;     /* taken over */
		e->len = p.extra_len;
		p.extra = NULL;
	}
	mlog_tlogproof_clear(&p);
	/* Rule 6 while the entry is still in cache. */
	if (rc == MLOG_OK)
		rc = record_of(m, e, err);
	return rc;
}

/* One verifying thread's share: entries [lo, hi). */
struct vjob {
	struct model *m;
	int entfd;
	const json_t *ents;
	size_t lo, hi;
	size_t bad;                 /* first failing entry, or hi */
	int rc;
	struct mlog_error err;
};

static void *verify_range(void *arg)
{
	struct vjob *j = arg;
	struct mlog_hash *h = mlog_hash_new();

	j->bad = j->hi;
	j->rc = h == NULL ? mlog_error_set(&j->err, MLOG_ERR_NOMEM,
		"out of memory") : MLOG_OK;
	for (size_t i = j->lo; j->rc == MLOG_OK && i < j->hi; i++) {
		j->rc = verify_one(j->m, h, j->entfd, j->ents, i, &j->err);
		if (j->rc != MLOG_OK)
			j->bad = i;
	}
	mlog_hash_free(h);
	return NULL;
}

/*
 * Rules 5 and 6 for every entry. The per-entry work (read, hash, parse,
 * prove, parse the entry) is independent, so a large bundle is split
 * between VERIFY_THREADS threads (the 10,000-entry goal of
 * docs/performance.md); the approval index is built afterwards, on this
 * thread. The error reported is that of the lowest failing entry, as a
 * single thread would report it.
 */
static int verify_entries(struct model *m, int entfd, const json_t *ents,
	struct mlog_error *err)
{
	struct vjob jobs[VERIFY_THREADS];
	pthread_t tid[VERIFY_THREADS];
	int started[VERIFY_THREADS];
	size_t nj = m->n >= VERIFY_THREADED_MIN ? VERIFY_THREADS : 1;
	const struct vjob *first = NULL;

	for (size_t t = 0; t < nj; t++) {
		memset(&jobs[t], 0, sizeof(jobs[t]));
		jobs[t].m = m;
		jobs[t].entfd = entfd;
		jobs[t].ents = ents;
		jobs[t].lo = m->n * t / nj;
		jobs[t].hi = m->n * (t + 1) / nj;
		/* Job 0 runs here; the others in threads, or here too if
		 * a thread cannot be made. */
		started[t] = t > 0 && pthread_create(&tid[t], NULL,
			verify_range, &jobs[t]) == 0;
	}
	verify_range(&jobs[0]);
	for (size_t t = 1; t < nj; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			verify_range(&jobs[t]);
	}
	for (size_t t = 0; t < nj; t++) {
		if (jobs[t].rc != MLOG_OK && (first == NULL ||
		    jobs[t].bad < first->bad))
			first = &jobs[t];
	}
	if (first != NULL) {
		if (err != NULL)
			*err = first->err;
		return first->rc;
	}
	for (size_t i = 0; i < m->n; i++) {
		if (cli_approvals_add(&m->ix, &m->e[i].rec) != MLOG_OK)
			return nomem(err);
	}
	cli_approvals_seal(&m->ix);
	return MLOG_OK;
}

static void report_ok(FILE *f, const char *dir, const struct model *m,
	const struct mlog_policy *trusted)
{
	char vkey[MLOG_NOTE_VKEY_MAX + 1], when[32];

	if (f == NULL)
		return;
	if (mlog_note_verifier_format(vkey, sizeof(vkey),
		&m->pol->logs[m->res.log].key) < 0)
		vkey[0] = '\0';
	fprintf(f, "%s: valid evidence bundle\n", dir);
	fprintf(f, "  query: %s %s\n", m->kind, m->value);
	fprintf(f, "  checkpoint: %s size %llu, signed by log key %s\n",
		m->cp.origin, (unsigned long long)m->cp.size, vkey);
	for (size_t i = 0; i < m->res.ncosigs; i++) {
		rfc3339(when, m->res.cosigs[i].timestamp);
		fprintf(f, "  cosigned by witness %s at %s\n",
			m->pol->witnesses[m->res.cosigs[i].witness].name, when);
	}
	fprintf(f, "  quorum: met under the bundle's policy%s\n",
		trusted != NULL ? " and under the trusted policy" : "");
	fprintf(f, "  entries: %zu, each proven included in that "
		"checkpoint\n", m->n);
	fputs("  manifest.json and report.md: re-derived, identical\n", f);
	fputs("  not verifiable offline: signer names and integration "
		"times (server claims), completeness of the search\n", f);
	if (trusted == NULL)
		fputs("  note: checked against the bundle's own policy; "
			"compare its log key with the one you trust\n", f);
}

int cli_evidence_verify_trusted(const char *dir,
	const struct mlog_policy *trusted, FILE *report_to,
	struct mlog_error *err)
{
	struct model m;
	struct mlog_policy *pol = NULL;
	json_t *j = NULL, *derived = NULL;
	const json_t *files;
	char *text = NULL, *again = NULL, *report = NULL, *mtext = NULL;
	size_t len = 0, again_len = 0, report_len = 0, mlen = 0;
	int rc, dirfd, entfd = -1;
	json_error_t jerr;

	model_init(&m);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		rc = mlog_error_set(err, errno == ENOTDIR ? MLOG_ERR_MALFORMED
			: MLOG_ERR_IO, "%s: %s", dir, strerror(errno));
		goto out;
	}
	/* Rule 1. */
	rc = read_at(dirfd, "manifest.json", "manifest.json",
		CLI_EVIDENCE_MANIFEST_MAX, &mtext, &mlen, err);
	if (rc == MLOG_ERR_VERIFY)
		rc = mlog_error_set(err, MLOG_ERR_MALFORMED, "%s: no "
			"manifest.json: not an evidence bundle", dir);
	if (rc != MLOG_OK)
		goto out;
	j = json_loadb(mtext, mlen, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL || !json_is_string(json_object_get(j, "format")) ||
	    strcmp(json_string_value(json_object_get(j, "format")),
		CLI_EVIDENCE_FORMAT) != 0) {
		rc = mlog_error_set(err, MLOG_ERR_MALFORMED, "%s/manifest.json:"
			" %s", dir, j == NULL ? jerr.text
			: "not a mlog-evidence/v1 manifest");
		goto out;
	}
	m.h = mlog_hash_new();
	if (m.h == NULL) {
		rc = nomem(err);
		goto out;
	}
	rc = manifest_inputs(&m, j, err);
	if (rc != MLOG_OK)
		goto out;
	files = json_object_get(j, "files");
	if (!json_is_array(files) || json_array_size(files) != 3) {
		rc = vfail(err, "manifest.json: files: want 3");
		goto out;
	}
	/* Rule 2. */
	entfd = openat(dirfd, "entries", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		O_CLOEXEC);
	if (entfd < 0) {
		rc = vfail(err, "%s/entries: %s", dir, strerror(errno));
		goto out;
	}
	rc = check_listing(&m, dirfd, entfd, dir, err);
	if (rc != MLOG_OK)
		goto out;
	/* Rule 3: the policy, canonical. */
	rc = read_at(dirfd, "policy", "policy", MLOG_POLICY_MAX_BYTES, &text,
		&len, err);
	if (rc != MLOG_OK)
		goto out;
	mlog_hash_sha256(m.h, m.policy_sha, text, len);
	rc = listed_sha(json_array_get(files, 0), "path", "policy",
		m.policy_sha, err);
	if (rc != MLOG_OK)
		goto out;
	if (mlog_policy_parse(&pol, text, len, err) != MLOG_OK) {
		rc = vfail(err, "policy: %s", err != NULL ? err->msg
			: "malformed");
		goto out;
	}
	m.pol = pol;
	rc = mlog_policy_format(&m.policy_text, &m.policy_len, pol);
	if (rc != MLOG_OK) {
		rc = nomem(err);
		goto out;
	}
	if (m.policy_len != len || memcmp(m.policy_text, text, len) != 0) {
		rc = vfail(err, "policy: not in canonical form");
		goto out;
	}
	/* Rule 4: the checkpoint. */
	free(text);
	text = NULL;
	rc = read_at(dirfd, "checkpoint", "checkpoint", MLOG_NOTE_MAX_BYTES,
		&text, &len, err);
	if (rc != MLOG_OK)
		goto out;
	mlog_hash_sha256(m.h, m.note_sha, text, len);
	rc = listed_sha(json_array_get(files, 1), "path", "checkpoint",
		m.note_sha, err);
	if (rc != MLOG_OK)
		goto out;
	rc = model_checkpoint(&m, text, len, 0, err);
	if (rc != MLOG_OK) {
		if (rc != MLOG_ERR_NOMEM)
			rc = vfail(err, "%s", err != NULL ? err->msg
				: "checkpoint does not verify");
		goto out;
	}
	if (trusted != NULL &&
	    mlog_policy_verify(NULL, NULL, trusted, m.note, m.note_len, err)
		!= MLOG_OK) {
		rc = vfail(err, "checkpoint: not accepted by the trusted "
			"policy: %s", err != NULL ? err->msg : "");
		goto out;
	}
	/* Rules 5 and 6. */
	rc = verify_entries(&m, entfd, json_object_get(j, "entries"), err);
	if (rc != MLOG_OK)
		goto out;
	/* Rule 7: report.md, then manifest.json, derived again. */
	free(text);
	text = NULL;
	rc = read_at(dirfd, "report.md", "report.md", REPORT_MAX, &text, &len,
		err);
	if (rc != MLOG_OK)
		goto out;
	mlog_hash_sha256(m.h, m.report_sha, text, len);
	rc = listed_sha(json_array_get(files, 2), "path", "report.md",
		m.report_sha, err);
	if (rc != MLOG_OK)
		goto out;
	/* The report and the manifest are derived from the same read-only
	 * model, so for a large bundle the report is rendered on a second
	 * thread meanwhile (render_report only reads shared JSON, it takes
	 * no reference). */
	{
		struct render_job rj = { &m, NULL, 0, MLOG_OK };
		pthread_t tid;
		int threaded = m.n >= VERIFY_THREADED_MIN &&
			pthread_create(&tid, NULL, render_thread, &rj) == 0;

		if (!threaded)
			render_thread(&rj);
		derived = derive_manifest(&m);
		again = derived != NULL ? dump_manifest(derived, &again_len)
					: NULL;
		if (threaded)
			pthread_join(tid, NULL);
		report = rj.out;
		report_len = rj.len;
		if (rj.rc != MLOG_OK || again == NULL) {
			rc = nomem(err);
			goto out;
		}
	}
	if (report_len != len || memcmp(report, text, len) != 0) {
		rc = vfail(err, "report.md: not the report its entries give");
		goto out;
	}
	if (again_len != mlen || memcmp(again, mtext, mlen) != 0) {
		rc = vfail(err, "manifest.json: not what its files give "
			"(a derived field or the layout differs)");
		goto out;
	}
	report_ok(report_to, dir, &m, trusted);
out:
	if (rc != MLOG_OK && report_to != NULL)
		fprintf(report_to, "%s: %s: %s\n", dir,
			rc == MLOG_ERR_VERIFY ? "INVALID evidence bundle"
					      : "cannot verify",
			err != NULL ? err->msg : mlog_err_name(rc));
	if (entfd >= 0)
		close(entfd);
	if (dirfd >= 0)
		close(dirfd);
	free(text);
	free(mtext);
	free(again);
	free(report);
	json_decref(j);
	json_decref(derived);
	model_clear(&m);
	mlog_policy_free(pol);
	return rc;
}

int cli_evidence_verify(const char *dir, FILE *report_to,
	struct mlog_error *err)
{
	return cli_evidence_verify_trusted(dir, NULL, report_to, err);
}

int cli_evidence_exit_code(int rc)
{
	if (rc == MLOG_OK)
		return 0;
	if (rc == MLOG_ERR_VERIFY || rc == MLOG_ERR_UNTRUSTED)
		return 1;
	return 2;
}
