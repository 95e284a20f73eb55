/*
 * approvals.c — entries as records, and the approval rule; see
 * approvals.h.
 */
#include "approvals.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsse.h"

/* The hex fields of each TEE (SPEC §2, statement.h rule 8). */
static const struct field_def {
	const char *tee;
	const char *name;
	size_t bytes;
	int id;
} fields[] = {
	{ "sgx", "mrenclave", 32, 1 },
	{ "sgx", "mrsigner", 32, 1 },
	{ "sgx", "attributes", 16, 0 },
	{ "sgx", "miscselect", 4, 0 },
	{ "tdx", "mrtd", 48, 1 },
	{ "tdx", "rtmr0", 48, 0 },
	{ "tdx", "rtmr1", 48, 0 },
	{ "tdx", "rtmr2", 48, 0 },
	{ "tdx", "rtmr3", 48, 0 },
	{ "tdx", "mrconfigid", 48, 0 },
	{ "sev-snp", "measurement", 48, 1 },
	{ "sev-snp", "host_data", 32, 0 },
	{ "sev-snp", "id_key_digest", 48, 1 },
	{ "sev-snp", "policy", 8, 0 },
	{ "nitro", "pcr0", 48, 1 },
	{ "nitro", "pcr1", 48, 0 },
	{ "nitro", "pcr2", 48, 0 },
	{ "nitro", "pcr8", 48, 1 },
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static const struct field_def *field_find(const char *tee, const char *name)
{
	for (size_t i = 0; i < NFIELDS; i++) {
		if (strcmp(fields[i].tee, tee) == 0 &&
		    strcmp(fields[i].name, name) == 0)
			return &fields[i];
	}
	return NULL;
}

static int tee_known(const char *tee)
{
	for (size_t i = 0; i < NFIELDS; i++) {
		if (strcmp(fields[i].tee, tee) == 0)
			return 1;
	}
	return 0;
}

static int lower_hex(const char *s, size_t want)
{
	if (strlen(s) != want)
		return 0;
	for (; *s != '\0'; s++) {
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	}
	return 1;
}

int cli_measure_init(struct cli_measure *m, const char *tee,
	struct mlog_error *err)
{
	if (!tee_known(tee))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"unknown tee '%s' (sgx, tdx, sev-snp or nitro)", tee);
	memset(m, 0, sizeof(*m));
	snprintf(m->tee, sizeof(m->tee), "%s", tee);
	return MLOG_OK;
}

const char *cli_measure_get(const struct cli_measure *m, const char *name)
{
	for (size_t i = 0; i < m->nhex; i++) {
		if (strcmp(m->hex[i].name, name) == 0)
			return m->hex[i].hex;
	}
	return NULL;
}

int cli_measure_set(struct cli_measure *m, const char *name,
	const char *hex, struct mlog_error *err)
{
	const struct field_def *f = field_find(m->tee, name);
	struct cli_measure_hex *slot = NULL;

	if (f == NULL)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"%s has no field %s", m->tee, name);
	if (!lower_hex(hex, 2 * f->bytes))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"%s: want %zu lowercase hex digits", name,
			2 * f->bytes);
	for (size_t i = 0; i < m->nhex; i++) {
		if (m->hex[i].name == f->name)
			slot = &m->hex[i];
	}
	if (slot == NULL) {
		/* A tee has at most CLI_MEASURE_MAX_FIELDS fields, and each
		 * gets one slot, so this cannot overflow. */
		slot = &m->hex[m->nhex++];
	}
	slot->name = f->name;
	slot->id = f->id;
	memcpy(slot->hex, hex, 2 * f->bytes + 1);
	return MLOG_OK;
}

static int get_u16(const json_t *obj, const char *name, int *has,
	unsigned *v)
{
	const json_t *j = json_object_get(obj, name);

	if (j == NULL)
		return 0;
	if (!json_is_integer(j) || json_integer_value(j) < 0 ||
	    json_integer_value(j) > 65535)
		return -1;
	*has = 1;
	*v = (unsigned)json_integer_value(j);
	return 0;
}

int cli_measure_from_json(struct cli_measure *out, const json_t *obj,
	struct mlog_error *err)
{
	struct cli_measure m;
	const char *tee = json_string_value(json_object_get(obj, "tee"));
	const json_t *debug;
	int rc;

	if (!json_is_object(obj) || tee == NULL)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"measurement: want an object with a tee");
	rc = cli_measure_init(&m, tee, err);
	if (rc != MLOG_OK)
		return rc;
	for (size_t i = 0; i < NFIELDS; i++) {
		const char *hex;

		if (strcmp(fields[i].tee, tee) != 0)
			continue;
		hex = json_string_value(json_object_get(obj,
			fields[i].name));
		if (json_object_get(obj, fields[i].name) == NULL)
			continue;
		if (hex == NULL)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"measurement.%s: want a string",
				fields[i].name);
		rc = cli_measure_set(&m, fields[i].name, hex, err);
		if (rc != MLOG_OK)
			return rc;
	}
	if (strcmp(tee, "sgx") == 0) {
		if (get_u16(obj, "isvprodid", &m.has_isvprodid,
			&m.isvprodid) != 0 ||
		    get_u16(obj, "isvsvn", &m.has_isvsvn, &m.isvsvn) != 0 ||
		    get_u16(obj, "min_isvsvn", &m.has_min_isvsvn,
			&m.min_isvsvn) != 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"measurement: isvprodid, isvsvn and "
				"min_isvsvn want integers 0..65535");
		debug = json_object_get(obj, "debug");
		if (debug != NULL) {
			if (!json_is_boolean(debug))
				return mlog_error_set(err, MLOG_ERR_MALFORMED,
					"measurement.debug: want a boolean");
			m.has_debug = 1;
			m.debug = json_is_true(debug);
		}
	}
	*out = m;
	return MLOG_OK;
}

json_t *cli_measure_to_json(const struct cli_measure *m)
{
	json_t *o = json_object();
	int bad = o == NULL;

	bad = bad || json_object_set_new(o, "tee", json_string(m->tee)) != 0;
	for (size_t i = 0; i < NFIELDS && !bad; i++) {
		const char *hex;

		if (strcmp(fields[i].tee, m->tee) != 0)
			continue;
		hex = cli_measure_get(m, fields[i].name);
		if (hex != NULL)
			bad = json_object_set_new(o, fields[i].name,
				json_string(hex)) != 0;
	}
	if (!bad && m->has_isvprodid)
		bad = json_object_set_new(o, "isvprodid",
			json_integer(m->isvprodid)) != 0;
	if (!bad && m->has_isvsvn)
		bad = json_object_set_new(o, "isvsvn",
			json_integer(m->isvsvn)) != 0;
	if (!bad && m->has_min_isvsvn)
		bad = json_object_set_new(o, "min_isvsvn",
			json_integer(m->min_isvsvn)) != 0;
	if (!bad && m->has_debug)
		bad = json_object_set_new(o, "debug",
			json_boolean(m->debug)) != 0;
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

const char *cli_measure_primary(const struct cli_measure *m)
{
	static const char *const primary[][2] = {
		{ "sgx", "mrenclave" }, { "tdx", "mrtd" },
		{ "sev-snp", "measurement" }, { "nitro", "pcr0" },
	};
	const char *v;

	for (size_t i = 0; i < sizeof(primary) / sizeof(primary[0]); i++) {
		if (strcmp(m->tee, primary[i][0]) != 0)
			continue;
		v = cli_measure_get(m, primary[i][1]);
		if (v != NULL)
			return v;
	}
	for (size_t i = 0; i < m->nhex; i++) {
		if (m->hex[i].id)
			return m->hex[i].hex;
	}
	return "";
}

static int miss(char *why, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int miss(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && cap > 0) {
		va_start(ap, fmt);
		vsnprintf(why, cap, fmt, ap);
		va_end(ap);
	}
	return 0;
}

int cli_measure_covers(const struct cli_measure *a, const struct cli_measure *q,
	char *why, size_t cap)
{
	if (strcmp(a->tee, q->tee) != 0)
		return miss(why, cap, "tee %s, not %s", a->tee, q->tee);
	for (size_t i = 0; i < a->nhex; i++) {
		const char *v = cli_measure_get(q, a->hex[i].name);

		if (v == NULL)
			return miss(why, cap, "it names %s, which was not "
				"given", a->hex[i].name);
		if (strcmp(v, a->hex[i].hex) != 0)
			return miss(why, cap, "%s differs", a->hex[i].name);
	}
	if (a->has_isvprodid && !q->has_isvprodid)
		return miss(why, cap, "it names isvprodid, which was not "
			"given");
	if (a->has_isvprodid && a->isvprodid != q->isvprodid)
		return miss(why, cap, "isvprodid %u, not %u", q->isvprodid,
			a->isvprodid);
	if ((a->has_isvsvn || a->has_min_isvsvn) && !q->has_isvsvn)
		return miss(why, cap, "it names %s, and isvsvn was not given",
			a->has_isvsvn ? "isvsvn" : "min_isvsvn");
	if (a->has_isvsvn && a->isvsvn != q->isvsvn)
		return miss(why, cap, "isvsvn %u, not %u", q->isvsvn,
			a->isvsvn);
	if (a->has_min_isvsvn && q->isvsvn < a->min_isvsvn)
		return miss(why, cap, "isvsvn %u < min_isvsvn %u", q->isvsvn,
			a->min_isvsvn);
	if (a->has_debug && !q->has_debug)
		return miss(why, cap, "it names debug, which was not given");
	if (a->has_debug && a->debug != q->debug)
		return miss(why, cap, "debug %s, not %s",
			q->debug ? "true" : "false",
			a->debug ? "true" : "false");
	return 1;
}

/* ---- records ----------------------------------------------------------- */

static char *dup_str(const json_t *j)
{
	const char *s = json_string_value(j);

	return s != NULL ? strdup(s) : NULL;
}

const char *cli_record_kind(const struct cli_record *r)
{
	switch (r->type) {
	case MLOG_STATEMENT_BUILD_MANIFEST:
		return "build manifest";
	case MLOG_STATEMENT_SLSA_PROVENANCE:
		return "SLSA provenance";
	case MLOG_STATEMENT_SBOM:
		return "SBOM";
	case MLOG_STATEMENT_APPROVAL:
		return r->decision == MLOG_STATEMENT_REVOKED ? "revocation"
							     : "approval";
	default:
		return "entry";
	}
}

void cli_record_clear(struct cli_record *r)
{
	for (size_t i = 0; i < r->nkeyids; i++)
		free(r->keyids[i]);
	free(r->keyids);
	for (size_t i = 0; i < r->nsubjects; i++)
		free(r->subjects[i].name);
	free(r->subjects);
	free(r->build_id);
	free(r->measures);
	free(r->ticket);
	free(r->approver);
	free(r->reviewed_at);
	memset(r, 0, sizeof(*r));
}

/* Fills r's fields from the validated statement st. */
static int record_fields(struct cli_record *r, const json_t *st,
	struct mlog_error *err)
{
	const json_t *pred = json_object_get(st, "predicate");
	const json_t *subj = json_object_get(st, "subject");
	size_t i;
	const json_t *v;
	int rc;

	r->nsubjects = json_array_size(subj);
	r->subjects = calloc(r->nsubjects + 1, sizeof(*r->subjects));
	if (r->subjects == NULL)
		return MLOG_ERR_NOMEM;
	json_array_foreach(subj, i, v) {
		const char *d = json_string_value(json_object_get(
			json_object_get(v, "digest"), "sha256"));

		r->subjects[i].name = dup_str(json_object_get(v, "name"));
		if (r->subjects[i].name == NULL)
			return MLOG_ERR_NOMEM;
		if (d != NULL && strlen(d) == 64)
			memcpy(r->subjects[i].sha256, d, 65);
	}
	if (r->type == MLOG_STATEMENT_BUILD_MANIFEST) {
		const json_t *ms = json_object_get(pred, "measurements");

		r->build_id = dup_str(json_object_get(
			json_object_get(pred, "build"), "id"));
		if (r->build_id == NULL)
			return MLOG_ERR_NOMEM;
		r->nmeasures = json_array_size(ms);
		r->measures = calloc(r->nmeasures + 1, sizeof(*r->measures));
		if (r->measures == NULL)
			return MLOG_ERR_NOMEM;
		json_array_foreach(ms, i, v) {
			rc = cli_measure_from_json(&r->measures[i], v, err);
			if (rc != MLOG_OK)
				return mlog_error_wrap(err, rc,
					"predicate.measurements[%zu]", i);
		}
	} else if (r->type == MLOG_STATEMENT_APPROVAL) {
		const json_t *be = json_object_get(pred, "build_entry");

		r->ticket = dup_str(json_object_get(pred, "ticket"));
		r->approver = dup_str(json_object_get(pred, "approver"));
		r->reviewed_at = dup_str(json_object_get(pred,
			"reviewed_at"));
		if (r->ticket == NULL || r->approver == NULL ||
		    r->reviewed_at == NULL)
			return MLOG_ERR_NOMEM;
		if (json_is_integer(be) && json_integer_value(be) >= 0) {
			r->has_build_entry = 1;
			r->build_entry = (uint64_t)json_integer_value(be);
		}
		rc = cli_measure_from_json(&r->approval,
			json_object_get(pred, "measurement"), err);
		if (rc != MLOG_OK)
			return mlog_error_wrap(err, rc, "predicate");
	}
	return MLOG_OK;
}

int cli_record_parse(struct cli_record *out, uint64_t index,
	const uint8_t *entry, size_t len, struct mlog_error *err)
{
	struct mlog_dsse_envelope *env = NULL;
	struct mlog_statement *st = NULL;
	struct cli_record r;
	json_t *st_json;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = mlog_dsse_parse(&env, (const char *)entry, len, err);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "entry %llu",
			(unsigned long long)index);
	rc = mlog_statement_parse_envelope(&st, env, err);
	if (rc != MLOG_OK) {
		mlog_dsse_free(env);
		return mlog_error_wrap(err, rc, "entry %llu",
			(unsigned long long)index);
	}
	r.index = index;
	r.type = st->type;
	r.type_uri = mlog_statement_type_uri(st->type);
	r.decision = st->decision;
	mlog_statement_free(st);
	/* statement.h validated this payload; it is parsed again here
	 * for the fields, and not kept. */
	st_json = json_loadb((const char *)env->payload, env->payload_len,
		JSON_REJECT_DUPLICATES, NULL);
	r.keyids = calloc(env->nsigs, sizeof(*r.keyids));
	rc = st_json == NULL || r.keyids == NULL ? MLOG_ERR_NOMEM : MLOG_OK;
	for (size_t i = 0; rc == MLOG_OK && i < env->nsigs; i++) {
		r.keyids[i] = strdup(env->sigs[i].keyid);
		if (r.keyids[i] == NULL)
			rc = MLOG_ERR_NOMEM;
		else
			r.nkeyids++;
	}
	mlog_dsse_free(env);
	if (rc == MLOG_OK)
		rc = record_fields(&r, st_json, err);
	json_decref(st_json);
	if (rc != MLOG_OK) {
		cli_record_clear(&r);
		if (rc == MLOG_ERR_NOMEM)
			return mlog_error_set(err, rc, "entry %llu: out of "
				"memory", (unsigned long long)index);
		return mlog_error_wrap(err, rc, "entry %llu",
			(unsigned long long)index);
	}
	*out = r;
	return MLOG_OK;
}

/* ---- the index and the decision ---------------------------------------- */

struct cli_approval_key {
	char value[CLI_MEASURE_HEX_MAX + 1];
	const struct cli_record *r;
};

void cli_approvals_init(struct cli_approvals *ix)
{
	memset(ix, 0, sizeof(*ix));
}

void cli_approvals_clear(struct cli_approvals *ix)
{
	free(ix->keys);
	memset(ix, 0, sizeof(*ix));
}

int cli_approvals_add(struct cli_approvals *ix, const struct cli_record *r)
{
	if (r->type != MLOG_STATEMENT_APPROVAL)
		return MLOG_OK;
	for (size_t i = 0; i < r->approval.nhex; i++) {
		if (!r->approval.hex[i].id)
			continue;
		if (ix->nkeys == ix->cap) {
			size_t cap = ix->cap == 0 ? 64 : 2 * ix->cap;
			struct cli_approval_key *k = realloc(ix->keys,
				cap * sizeof(*k));

			if (k == NULL)
				return MLOG_ERR_NOMEM;
			ix->keys = k;
			ix->cap = cap;
		}
		memcpy(ix->keys[ix->nkeys].value, r->approval.hex[i].hex,
			sizeof(ix->keys[0].value));
		ix->keys[ix->nkeys].r = r;
		ix->nkeys++;
	}
	return MLOG_OK;
}

static int key_cmp(const void *a, const void *b)
{
	const struct cli_approval_key *x = a, *y = b;
	int c = strcmp(x->value, y->value);

	if (c != 0)
		return c;
	return x->r->index < y->r->index ? -1 : x->r->index > y->r->index;
}

void cli_approvals_seal(struct cli_approvals *ix)
{
	if (ix->nkeys > 1)
		qsort(ix->keys, ix->nkeys, sizeof(ix->keys[0]), key_cmp);
}

/* First key with value v (lower bound), or nkeys. */
static size_t lower_bound(const struct cli_approvals *ix, const char *v)
{
	size_t lo = 0, hi = ix->nkeys;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(ix->keys[mid].value, v) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct cli_record *x = *(const struct cli_record *const *)a;
	const struct cli_record *y = *(const struct cli_record *const *)b;

	return x->index < y->index ? -1 : x->index > y->index;
}

size_t cli_approvals_covering(const struct cli_approvals *ix,
	const struct cli_measure *q, uint64_t limit,
	const struct cli_record **out, size_t cap)
{
	size_t n = 0, kept;

	/* Candidates as in cli_approvals_decide; collected, sorted, then
	 * deduplicated (a record indexed under two of q's values). */
	for (size_t f = 0; f < q->nhex; f++) {
		if (!q->hex[f].id)
			continue;
		for (size_t k = lower_bound(ix, q->hex[f].hex);
		     k < ix->nkeys && strcmp(ix->keys[k].value,
			q->hex[f].hex) == 0; k++) {
			const struct cli_record *r = ix->keys[k].r;

			if (r->index >= limit ||
			    !cli_measure_covers(&r->approval, q, NULL, 0))
				continue;
			if (n < cap)
				out[n] = r;
			n++;
		}
	}
	if (n > cap)
		return n;   /* the caller asks again with more room */
	if (n > 1)
		qsort(out, n, sizeof(*out), rec_cmp);
	kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (kept == 0 || out[kept - 1] != out[i])
			out[kept++] = out[i];
	}
	return kept;
}

int cli_approvals_decide(struct cli_decision *out,
	const struct cli_approvals *ix, const struct cli_measure *q,
	uint64_t limit)
{
	struct cli_decision d;
	char why[160] = "", first_why[200] = "";

	memset(&d, 0, sizeof(d));
	/* Every approval names an id field (statement.h rule 12) and
	 * covers q only if q has the same value there (invariant 1), so the
	 * candidates are the records indexed under q's id values. A record
	 * indexed under two of them is judged twice, harmlessly. */
	for (size_t f = 0; f < q->nhex; f++) {
		if (!q->hex[f].id)
			continue;
		for (size_t k = lower_bound(ix, q->hex[f].hex);
		     k < ix->nkeys && strcmp(ix->keys[k].value,
			q->hex[f].hex) == 0; k++) {
			const struct cli_record *r = ix->keys[k].r;

			if (r->index >= limit)
				continue;
			if (!cli_measure_covers(&r->approval, q, why,
				sizeof(why))) {
				if (first_why[0] == '\0')
					snprintf(first_why, sizeof(first_why),
						"%s #%llu (%s) does not cover "
						"it: %s", cli_record_kind(r),
						(unsigned long long)r->index,
						r->ticket, why);
				continue;
			}
			if (r->decision == MLOG_STATEMENT_REVOKED) {
				if (d.revocation == NULL ||
				    r->index > d.revocation->index)
					d.revocation = r;
			} else if (d.approval == NULL ||
				   r->index > d.approval->index) {
				d.approval = r;
			}
		}
	}
	if (d.approval != NULL && (d.revocation == NULL ||
	    d.revocation->index < d.approval->index)) {
		d.allowed = 1;
		d.decisive = d.approval;
		snprintf(d.reason, sizeof(d.reason), "approved by entry %llu "
			"(ticket %s)", (unsigned long long)d.approval->index,
			d.approval->ticket);
	} else if (d.revocation != NULL) {
		d.decisive = d.revocation;
		if (d.approval != NULL)
			snprintf(d.reason, sizeof(d.reason), "revoked by "
				"entry %llu (ticket %s) after approval %llu "
				"(ticket %s)",
				(unsigned long long)d.revocation->index,
				d.revocation->ticket,
				(unsigned long long)d.approval->index,
				d.approval->ticket);
		else
			snprintf(d.reason, sizeof(d.reason), "revoked by "
				"entry %llu (ticket %s), never approved",
				(unsigned long long)d.revocation->index,
				d.revocation->ticket);
	} else if (first_why[0] != '\0') {
		snprintf(d.reason, sizeof(d.reason), "no approval covers it; "
			"%s", first_why);
	} else {
		snprintf(d.reason, sizeof(d.reason), "no approval covers it");
	}
	*out = d;
	return MLOG_OK;
}
