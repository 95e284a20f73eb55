/*
 * policy.c — C2SP tlog-policy files and quorum evaluation; see policy.h.
 *
 * Parsing is one pass over the lines: each line is split into items and
 * handled by the function for its keyword, which appends to the policy
 * being built. Names resolve against what is already defined, which is
 * what makes "defined before use" and acyclic groups hold by
 * construction. Evaluation is then a single forward sweep over the groups
 * in definition order: every member of a group is a witness or an earlier
 * group, so its state is known when the group is reached.
 */
#include "policy.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "hash.h"

/* Most items a valid line can have: "group", name, k, and every witness
 * and group once. */
#define MAX_ITEMS (3 + MLOG_POLICY_MAX_WITNESSES + MLOG_POLICY_MAX_GROUPS)

struct item {
	const char *s;
	size_t len;
};

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Rule 1: tab, newline, printable ASCII, and opaque high-bit octets. */
static int octet_allowed(unsigned char c)
{
	return c == 0x09 || c == 0x0a || (c >= 0x20 && c <= 0x7e) ||
		c >= 0x80;
}

static int item_is(const struct item *it, const char *s)
{
	size_t n = strlen(s);

	return it->len == n && memcmp(it->s, s, n) == 0;
}

static char *item_dup(const struct item *it)
{
	char *p = malloc(it->len + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, it->s, it->len);
	p[it->len] = '\0';
	return p;
}

/* Grows *arr (elements of size elem) so that it holds n + 1. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	void *p;
	size_t c;

	if (n < *cap)
		return MLOG_OK;
	c = *cap ? *cap * 2 : 4;
	p = realloc(*arr, c * elem);
	if (p == NULL)
		return MLOG_ERR_NOMEM;
	*arr = p;
	*cap = c;
	return MLOG_OK;
}

void mlog_policy_free(struct mlog_policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nlogs; i++)
		free(p->logs[i].url);
	for (size_t i = 0; i < p->nwitnesses; i++) {
		free(p->witnesses[i].name);
		free(p->witnesses[i].url);
	}
	for (size_t i = 0; i < p->ngroups; i++) {
		free(p->groups[i].name);
		free(p->groups[i].members);
	}
	free(p->logs);
	free(p->witnesses);
	free(p->groups);
	free(p);
}

/* Parser state: the policy being built and its array capacities. */
struct parser {
	struct mlog_policy *p;
	size_t cap_logs, cap_witnesses, cap_groups;
	int have_quorum;
	size_t line;
	struct mlog_error *err;
};

#define FAIL(ps, code, fmt, ...) \
	mlog_error_set((ps)->err, (code), "policy: line %zu: " fmt, \
		(ps)->line, ##__VA_ARGS__)

/* Resolves a witness or group name; 0 if found, else -1. */
static int lookup(const struct mlog_policy *p, const struct item *it,
	struct mlog_policy_ref *ref)
{
	for (size_t i = 0; i < p->nwitnesses; i++) {
		if (item_is(it, p->witnesses[i].name)) {
			ref->kind = MLOG_POLICY_WITNESS;
			ref->index = i;
			return 0;
		}
	}
	for (size_t i = 0; i < p->ngroups; i++) {
		if (item_is(it, p->groups[i].name)) {
			ref->kind = MLOG_POLICY_GROUP;
			ref->index = i;
			return 0;
		}
	}
	return -1;
}

/* Rule 4 for a name about to be defined. */
static int check_new_name(struct parser *ps, const struct item *it)
{
	struct mlog_policy_ref ref;

	if (it->len > MLOG_POLICY_NAME_MAX)
		return FAIL(ps, MLOG_ERR_MALFORMED,
			"name longer than %d bytes", MLOG_POLICY_NAME_MAX);
	if (item_is(it, "none"))
		return FAIL(ps, MLOG_ERR_MALFORMED,
			"\"none\" is predefined");
	if (lookup(ps->p, it, &ref) == 0)
		return FAIL(ps, MLOG_ERR_MALFORMED,
			"name \"%.*s\" is already defined", (int)it->len,
			it->s);
	return MLOG_OK;
}

static int check_url(struct parser *ps, const struct item *it, char **url)
{
	if (it->len > MLOG_POLICY_URL_MAX)
		return FAIL(ps, MLOG_ERR_TOOBIG, "URL longer than %d bytes",
			MLOG_POLICY_URL_MAX);
	*url = item_dup(it);
	if (*url == NULL)
		return FAIL(ps, MLOG_ERR_NOMEM, "out of memory");
	return MLOG_OK;
}

static int parse_key(struct parser *ps, const struct item *it,
	struct mlog_note_verifier *v)
{
	int rc = mlog_note_verifier_parse(v, it->s, it->len, ps->err);

	if (rc != MLOG_OK)
		return mlog_error_wrap(ps->err, rc, "policy: line %zu: vkey",
			ps->line);
	return MLOG_OK;
}

/* log <vkey> [<url>] */
static int parse_log(struct parser *ps, const struct item *it, size_t n)
{
	struct mlog_policy *p = ps->p;
	struct mlog_policy_log log = {0};
	int rc;

	if (n != 2 && n != 3)
		return FAIL(ps, MLOG_ERR_MALFORMED,
			"want \"log <vkey> [<url>]\"");
	if (p->nlogs == MLOG_POLICY_MAX_LOGS)
		return FAIL(ps, MLOG_ERR_TOOBIG, "more than %d logs",
			MLOG_POLICY_MAX_LOGS);
	rc = parse_key(ps, &it[1], &log.key);
	if (rc != MLOG_OK)
		return rc;
	/* Rule 2. */
	if (log.key.type != MLOG_NOTE_TYPE_ED25519)
		return FAIL(ps, MLOG_ERR_MALFORMED,
			"log key is not an Ed25519 note key (type 0x01)");
	for (size_t i = 0; i < p->nlogs; i++) {
		if (memcmp(p->logs[i].key.pub, log.key.pub,
			MLOG_NOTE_PUBKEY_BYTES) == 0)
			return FAIL(ps, MLOG_ERR_MALFORMED,
				"duplicate log key");
	}
	if (grow((void **)&p->logs, &ps->cap_logs, p->nlogs,
		sizeof(*p->logs)) != MLOG_OK)
		return FAIL(ps, MLOG_ERR_NOMEM, "out of memory");
	if (n == 3) {
		rc = check_url(ps, &it[2], &log.url);
		if (rc != MLOG_OK)
			return rc;
	}
	p->logs[p->nlogs++] = log;
	return MLOG_OK;
}

/* witness <name> <vkey> [<url>] */
static int parse_witness(struct parser *ps, const struct item *it, size_t n)
{
	struct mlog_policy *p = ps->p;
	struct mlog_policy_witness w = {0};
	int rc;

	if (n != 3 && n != 4)
		return FAIL(ps, MLOG_ERR_MALFORMED,
			"want \"witness <name> <vkey> [<url>]\"");
	rc = check_new_name(ps, &it[1]);
	if (rc != MLOG_OK)
		return rc;
	if (p->nwitnesses == MLOG_POLICY_MAX_WITNESSES)
		return FAIL(ps, MLOG_ERR_TOOBIG, "more than %d witnesses",
			MLOG_POLICY_MAX_WITNESSES);
	rc = parse_key(ps, &it[2], &w.key);
	if (rc != MLOG_OK)
		return rc;
	/* Rule 3. */
	if (w.key.type != MLOG_NOTE_TYPE_COSIG_V1 &&
	    w.key.type != MLOG_NOTE_TYPE_ED25519)
		return FAIL(ps, MLOG_ERR_MALFORMED,
			"witness key type 0x%02x is not 0x04 or 0x01",
			w.key.type);
	for (size_t i = 0; i < p->nwitnesses; i++) {
		if (memcmp(p->witnesses[i].key.pub, w.key.pub,
			MLOG_NOTE_PUBKEY_BYTES) == 0)
			return FAIL(ps, MLOG_ERR_MALFORMED,
				"duplicate witness key (also \"%s\")",
				p->witnesses[i].name);
	}
	mlog_note_verifier_as_cosigner(&w.cosigner, &w.key);
	if (grow((void **)&p->witnesses, &ps->cap_witnesses, p->nwitnesses,
		sizeof(*p->witnesses)) != MLOG_OK)
		return FAIL(ps, MLOG_ERR_NOMEM, "out of memory");
	w.name = item_dup(&it[1]);
	if (w.name == NULL)
		return FAIL(ps, MLOG_ERR_NOMEM, "out of memory");
	if (n == 4) {
		rc = check_url(ps, &it[3], &w.url);
		if (rc != MLOG_OK) {
			free(w.name);
			return rc;
		}
	}
	p->witnesses[p->nwitnesses++] = w;
	return MLOG_OK;
}

/* group <name> <k|any|all> <member>... */
static int parse_group(struct parser *ps, const struct item *it, size_t n)
{
	struct mlog_policy *p = ps->p;
	struct mlog_policy_group g = {0};
	uint8_t seen_w[MLOG_POLICY_MAX_WITNESSES] = {0};
	uint8_t seen_g[MLOG_POLICY_MAX_GROUPS] = {0};
	uint64_t k;
	int rc;

	if (n < 4)
		return FAIL(ps, MLOG_ERR_MALFORMED,
			"want \"group <name> <k|any|all> <member>...\"");
	rc = check_new_name(ps, &it[1]);
	if (rc != MLOG_OK)
		return rc;
	if (p->ngroups == MLOG_POLICY_MAX_GROUPS)
		return FAIL(ps, MLOG_ERR_TOOBIG, "more than %d groups",
			MLOG_POLICY_MAX_GROUPS);
	g.nmembers = n - 3;
	/* Rule 5: the threshold. */
	if (item_is(&it[2], "any")) {
		k = 1;
	} else if (item_is(&it[2], "all")) {
		k = g.nmembers;
	} else if (mlog_codec_decimal_parse(&k, it[2].s, it[2].len) !=
		MLOG_OK) {
		return FAIL(ps, MLOG_ERR_MALFORMED,
			"threshold \"%.*s\" is not a number, any or all",
			(int)it[2].len, it[2].s);
	}
	if (k < 1 || k > g.nmembers)
		return FAIL(ps, MLOG_ERR_MALFORMED,
			"threshold %" PRIu64 " not in 1..%zu", k, g.nmembers);
	g.k = (size_t)k;
	/* Rule 5: members defined earlier, none twice. Every defined name
	 * can appear once, so a longer list has a repeat or an unknown
	 * name, caught below. */
	g.members = calloc(g.nmembers, sizeof(*g.members));
	if (g.members == NULL)
		return FAIL(ps, MLOG_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < g.nmembers; i++) {
		const struct item *m = &it[3 + i];
		uint8_t *seen;

		if (item_is(m, "none")) {
			rc = FAIL(ps, MLOG_ERR_MALFORMED,
				"\"none\" cannot be a group member");
			goto fail;
		}
		if (lookup(p, m, &g.members[i]) != 0) {
			rc = FAIL(ps, MLOG_ERR_MALFORMED,
				"unknown name \"%.*s\"", (int)m->len, m->s);
			goto fail;
		}
		seen = g.members[i].kind == MLOG_POLICY_WITNESS ? seen_w :
			seen_g;
		if (seen[g.members[i].index]) {
			rc = FAIL(ps, MLOG_ERR_MALFORMED,
				"member \"%.*s\" listed twice", (int)m->len,
				m->s);
			goto fail;
		}
		seen[g.members[i].index] = 1;
	}
	if (grow((void **)&p->groups, &ps->cap_groups, p->ngroups,
		sizeof(*p->groups)) != MLOG_OK) {
		rc = FAIL(ps, MLOG_ERR_NOMEM, "out of memory");
		goto fail;
	}
	g.name = item_dup(&it[1]);
	if (g.name == NULL) {
		rc = FAIL(ps, MLOG_ERR_NOMEM, "out of memory");
		goto fail;
	}
	p->groups[p->ngroups++] = g;
	return MLOG_OK;
fail:
	free(g.members);
	return rc;
}

/* quorum <name|none> */
static int parse_quorum(struct parser *ps, const struct item *it, size_t n)
{
	if (n != 2)
		return FAIL(ps, MLOG_ERR_MALFORMED,
			"want \"quorum <name|none>\"");
	if (ps->have_quorum)
		return FAIL(ps, MLOG_ERR_MALFORMED, "second quorum line");
	if (item_is(&it[1], "none")) {
		ps->p->quorum.kind = MLOG_POLICY_NONE;
		ps->p->quorum.index = 0;
	} else if (lookup(ps->p, &it[1], &ps->p->quorum) != 0) {
		return FAIL(ps, MLOG_ERR_MALFORMED, "unknown name \"%.*s\"",
			(int)it[1].len, it[1].s);
	}
	ps->have_quorum = 1;
	return MLOG_OK;
}

static int parse_line(struct parser *ps, const char *s, size_t len)
{
	struct item it[MAX_ITEMS];
	size_t n = 0, i = 0;

	while (i < len) {
		size_t start;

		while (i < len && is_space(s[i]))
			i++;
		if (i == len)
			break;
		if (n == MAX_ITEMS)
			return FAIL(ps, MLOG_ERR_MALFORMED,
				"more than %d items", MAX_ITEMS);
		start = i;
		while (i < len && !is_space(s[i]))
			i++;
		it[n].s = s + start;
		it[n].len = i - start;
		n++;
	}
	if (n == 0 || it[0].s[0] == '#')
		return MLOG_OK;
	if (item_is(&it[0], "log"))
		return parse_log(ps, it, n);
	if (item_is(&it[0], "witness"))
		return parse_witness(ps, it, n);
	if (item_is(&it[0], "group"))
		return parse_group(ps, it, n);
	if (item_is(&it[0], "quorum"))
		return parse_quorum(ps, it, n);
	return FAIL(ps, MLOG_ERR_MALFORMED, "unknown keyword \"%.*s\"",
		(int)(it[0].len > 32 ? 32 : it[0].len), it[0].s);
}

int mlog_policy_parse(struct mlog_policy **out, const char *text, size_t len,
	struct mlog_error *err)
{
	struct parser ps = {0};
	size_t pos = 0;
	int rc;

	if (len > MLOG_POLICY_MAX_BYTES)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"policy: %zu bytes, over the %d-byte cap", len,
			MLOG_POLICY_MAX_BYTES);
	ps.err = err;
	ps.line = 1;
	for (size_t i = 0; i < len; i++) {
		if (!octet_allowed((unsigned char)text[i]))
			return FAIL(&ps, MLOG_ERR_MALFORMED,
				"forbidden octet 0x%02x",
				(unsigned char)text[i]);
		if (text[i] == '\n')
			ps.line++;
	}
	ps.p = calloc(1, sizeof(*ps.p));
	if (ps.p == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM,
			"policy: out of memory");
	ps.line = 1;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl == NULL ? len : (size_t)(nl - text);

		rc = parse_line(&ps, text + pos, end - pos);
		if (rc != MLOG_OK)
			goto fail;
		pos = end + 1;
		ps.line++;
	}
	if (!ps.have_quorum) {
		rc = mlog_error_set(err, MLOG_ERR_MALFORMED,
			"policy: no quorum line");
		goto fail;
	}
	*out = ps.p;
	return MLOG_OK;
fail:
	mlog_policy_free(ps.p);
	return rc;
}

/* ---- formatting ------------------------------------------------------ */

struct buf {
	char *p;
	size_t len, cap;
	int failed;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (n > MLOG_POLICY_MAX_BYTES || b->len + n > MLOG_POLICY_MAX_BYTES) {
		b->failed = MLOG_ERR_TOOBIG;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t c = b->cap ? b->cap : 1024;
		char *q;

		while (c < b->len + n + 1)
			c *= 2;
		q = realloc(b->p, c);
		if (q == NULL) {
			b->failed = MLOG_ERR_NOMEM;
			return;
		}
		b->p = q;
		b->cap = c;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_key(struct buf *b, const struct mlog_note_verifier *v)
{
	char vkey[MLOG_NOTE_VKEY_MAX + 1];
	int n = mlog_note_verifier_format(vkey, sizeof(vkey), v);

	if (n < 0) {
		if (!b->failed)
			b->failed = n;
		return;
	}
	put(b, vkey, (size_t)n);
}

static const char *ref_name(const struct mlog_policy *p,
	const struct mlog_policy_ref *r)
{
	switch (r->kind) {
	case MLOG_POLICY_WITNESS:
		return p->witnesses[r->index].name;
	case MLOG_POLICY_GROUP:
		return p->groups[r->index].name;
	default:
		return "none";
	}
}

int mlog_policy_format(char **out, size_t *out_len,
	const struct mlog_policy *p)
{
	struct buf b = {0};
	char num[24];

	for (size_t i = 0; i < p->nlogs; i++) {
		puts_(&b, "log ");
		put_key(&b, &p->logs[i].key);
		if (p->logs[i].url != NULL) {
			puts_(&b, " ");
			puts_(&b, p->logs[i].url);
		}
		puts_(&b, "\n");
	}
	for (size_t i = 0; i < p->nwitnesses; i++) {
		puts_(&b, "witness ");
		puts_(&b, p->witnesses[i].name);
		puts_(&b, " ");
		put_key(&b, &p->witnesses[i].key);
		if (p->witnesses[i].url != NULL) {
			puts_(&b, " ");
			puts_(&b, p->witnesses[i].url);
		}
		puts_(&b, "\n");
	}
	for (size_t i = 0; i < p->ngroups; i++) {
		const struct mlog_policy_group *g = &p->groups[i];

		puts_(&b, "group ");
		puts_(&b, g->name);
		snprintf(num, sizeof(num), " %zu", g->k);
		puts_(&b, num);
		for (size_t j = 0; j < g->nmembers; j++) {
			puts_(&b, " ");
			puts_(&b, ref_name(p, &g->members[j]));
		}
		puts_(&b, "\n");
	}
	puts_(&b, "quorum ");
	puts_(&b, ref_name(p, &p->quorum));
	puts_(&b, "\n");
	if (b.failed) {
		free(b.p);
		return b.failed;
	}
	*out = b.p;
	*out_len = b.len;
	return MLOG_OK;
}

/* ---- evaluation ------------------------------------------------------ */

int mlog_policy_evaluate(struct mlog_policy_result *res,
	struct mlog_checkpoint *cp_out, const struct mlog_policy *p,
	const char *note, size_t len, struct mlog_error *err)
{
	struct mlog_policy_result r;
	struct mlog_note *n = NULL;
	struct mlog_checkpoint cp;
	struct mlog_note_verifier *keys = NULL;
	struct mlog_note_check *checks = NULL;
	size_t *log_index = NULL, nkeys = 0, nmax;
	uint8_t witnessed[MLOG_POLICY_MAX_WITNESSES] = {0};
	uint8_t *group_ok = NULL;
	uint8_t empty[MLOG_HASH_BYTES];
	int rc;

	mlog_checkpoint_init(&cp);
	memset(&r, 0, sizeof(r));
	/* Rule 8. */
	rc = mlog_note_parse(&n, note, len, err);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "checkpoint");
	rc = mlog_checkpoint_parse(&cp, n->text, n->text_len, err);
	if (rc != MLOG_OK)
		goto done;

	nmax = p->nlogs > p->nwitnesses ? p->nlogs : p->nwitnesses;
	keys = calloc(nmax + 1, sizeof(*keys));
	checks = calloc(nmax + 1, sizeof(*checks));
	log_index = calloc(p->nlogs + 1, sizeof(*log_index));
	group_ok = calloc(p->ngroups + 1, 1);
	if (keys == NULL || checks == NULL || log_index == NULL ||
	    group_ok == NULL) {
		rc = mlog_error_set(err, MLOG_ERR_NOMEM,
			"policy: out of memory");
		goto done;
	}

	/* Rule 9: the log signature. */
	for (size_t i = 0; i < p->nlogs; i++) {
		if (strcmp(p->logs[i].key.name, cp.origin) == 0) {
			log_index[nkeys] = i;
			keys[nkeys++] = p->logs[i].key;
		}
	}
	if (nkeys == 0) {
		rc = mlog_error_set(err, MLOG_ERR_NOTFOUND,
			"policy: no log with origin \"%s\"", cp.origin);
		goto done;
	}
	rc = mlog_note_verify(n, keys, nkeys, checks, err);
	if (rc != MLOG_OK) {
		rc = mlog_error_wrap(err, rc, "checkpoint %s: log signature",
			cp.origin);
		goto done;
	}
	for (size_t i = nkeys; i-- > 0; ) {
		if (checks[i].verified)
			r.log = log_index[i];
	}
	mlog_hash_empty(empty);
	if (cp.size == 0 && memcmp(cp.root, empty, sizeof(empty)) != 0) {
		rc = mlog_error_set(err, MLOG_ERR_VERIFY,
			"checkpoint %s: size 0 but root is not SHA-256(\"\")",
			cp.origin);
		goto done;
	}

	/* Rule 10: witness cosignatures. */
	if (p->nwitnesses > 0) {
		for (size_t i = 0; i < p->nwitnesses; i++)
			keys[i] = p->witnesses[i].cosigner;
		memset(checks, 0, (nmax + 1) * sizeof(*checks));
		rc = mlog_note_verify(n, keys, p->nwitnesses, checks, err);
		if (rc == MLOG_ERR_UNTRUSTED) {
			/* No cosignature at all: fine, the quorum decides. */
			memset(checks, 0, (nmax + 1) * sizeof(*checks));
			rc = MLOG_OK;
		} else if (rc != MLOG_OK) {
			rc = mlog_error_wrap(err, rc,
				"checkpoint %s: witness cosignature",
				cp.origin);
			goto done;
		}
		for (size_t i = 0; i < p->nwitnesses; i++) {
			if (!checks[i].verified)
				continue;
			witnessed[i] = 1;
			r.cosigs[r.ncosigs].witness = i;
			r.cosigs[r.ncosigs].timestamp = checks[i].timestamp;
			r.ncosigs++;
		}
	}

	/* Rule 11: groups in definition order, then the quorum. */
	for (size_t i = 0; i < p->ngroups; i++) {
		const struct mlog_policy_group *g = &p->groups[i];
		size_t count = 0;

		for (size_t j = 0; j < g->nmembers; j++) {
			const struct mlog_policy_ref *m = &g->members[j];

			if (m->kind == MLOG_POLICY_WITNESS ?
			    witnessed[m->index] : group_ok[m->index])
				count++;
		}
		group_ok[i] = count >= g->k;
	}
	switch (p->quorum.kind) {
	case MLOG_POLICY_WITNESS:
		r.quorum_met = witnessed[p->quorum.index];
		break;
	case MLOG_POLICY_GROUP:
		r.quorum_met = group_ok[p->quorum.index];
		break;
	default:
		r.quorum_met = 1;
		break;
	}
	*res = r;
	if (cp_out != NULL) {
		*cp_out = cp;
		mlog_checkpoint_init(&cp);
	}
	rc = MLOG_OK;
done:
	mlog_checkpoint_clear(&cp);
	free(group_ok);
	free(log_index);
	free(checks);
	free(keys);
	mlog_note_free(n);
	return rc;
}

int mlog_policy_verify(struct mlog_policy_result *res,
	struct mlog_checkpoint *cp_out, const struct mlog_policy *p,
	const char *note, size_t len, struct mlog_error *err)
{
	struct mlog_policy_result r;
	struct mlog_checkpoint cp;
	int rc;

	rc = mlog_policy_evaluate(&r, &cp, p, note, len, err);
	if (rc != MLOG_OK)
		return rc;
	if (!r.quorum_met) {
		rc = mlog_error_set(err, MLOG_ERR_VERIFY,
			"checkpoint %s: witness quorum \"%s\" not met (%zu "
			"cosignature%s)", cp.origin, ref_name(p, &p->quorum),
			r.ncosigs, r.ncosigs == 1 ? "" : "s");
		mlog_checkpoint_clear(&cp);
		return rc;
	}
	if (res != NULL)
		*res = r;
	if (cp_out != NULL)
		*cp_out = cp;
	else
		mlog_checkpoint_clear(&cp);
	return MLOG_OK;
}
