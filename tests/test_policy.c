/*
 * test_policy.c — C2SP tlog-policy files and quorum evaluation
 * (merkle/policy.c).
 *
 * Self-contained: a log and three witnesses from fixed seeds (the third
 * published as a 0x01 vkey), checkpoints cosigned by every subset of the
 * witnesses, and policies with k-of-n, any, all, nested groups, a single
 * witness and quorum none, each checked against a reference predicate.
 * Known answers: the sigsum-go cosignature vector and the omniwitness
 * "monkeys" keys. Plus parser tables, caps and a corruption sweep over a
 * cosignature.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "codec.h"
#include "note.h"
#include "policy.h"
#include "support.h"

static void init(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(policy, .init = init);

/* ---- fixture --------------------------------------------------------- */

struct fixture {
	struct mlog_note_signer log, w[3];
	struct mlog_note_verifier logv, wv[3];
	char vk_log[MLOG_NOTE_VKEY_MAX + 1];
	char vk_w[3][MLOG_NOTE_VKEY_MAX + 1];
};

static void seed_signer(struct mlog_note_signer *s, const char *name,
	uint8_t type, uint8_t seed_byte)
{
	uint8_t seed[32];

	memset(seed, seed_byte, sizeof(seed));
	cr_assert_eq(mlog_note_signer_from_seed(s, name, type, seed), MLOG_OK);
}

static void fixture_init(struct fixture *f)
{
	static const char *const names[3] = { "w1.example", "w2.example",
		"w3.example" };

	seed_signer(&f->log, "example.com/log", MLOG_NOTE_TYPE_ED25519, 1);
	mlog_note_signer_verifier(&f->logv, &f->log);
	cr_assert_gt(mlog_note_verifier_format(f->vk_log, sizeof(f->vk_log),
		&f->logv), 0);
	for (int i = 0; i < 3; i++) {
		seed_signer(&f->w[i], names[i], MLOG_NOTE_TYPE_COSIG_V1,
			(uint8_t)(0x11 + i));
		mlog_note_signer_verifier(&f->wv[i], &f->w[i]);
		if (i == 2) {
			/* W3 publishes its key in 0x01 form (rule 3). */
			struct mlog_note_signer s01;

			seed_signer(&s01, names[i], MLOG_NOTE_TYPE_ED25519,
				(uint8_t)(0x11 + i));
			mlog_note_signer_verifier(&f->wv[i], &s01);
			mlog_note_signer_clear(&s01);
		}
		cr_assert_gt(mlog_note_verifier_format(f->vk_w[i],
			sizeof(f->vk_w[i]), &f->wv[i]), 0);
	}
}

static void fixture_clear(struct fixture *f)
{
	mlog_note_signer_clear(&f->log);
	for (int i = 0; i < 3; i++)
		mlog_note_signer_clear(&f->w[i]);
}

/* Replaces $L, $W1, $W2, $W3 in tmpl by the fixture's vkeys. */
static char *expand(const struct fixture *f, const char *tmpl, size_t *len)
{
	size_t cap = strlen(tmpl) * 4 + 4096, n = 0;
	char *out = malloc(cap);

	cr_assert_not_null(out);
	for (const char *p = tmpl; *p != '\0'; ) {
		const char *rep = NULL;
		size_t skip = 0;

		if (strncmp(p, "$L", 2) == 0) {
			rep = f->vk_log;
			skip = 2;
		} else if (p[0] == '$' && p[1] == 'W' && p[2] >= '1' &&
			   p[2] <= '3') {
			rep = f->vk_w[p[2] - '1'];
			skip = 3;
		}
		if (rep != NULL) {
			size_t r = strlen(rep);

			cr_assert_lt(n + r, cap);
			memcpy(out + n, rep, r);
			n += r;
			p += skip;
		} else {
			cr_assert_lt(n + 1, cap);
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	*len = n;
	return out;
}

static struct mlog_policy *policy(const struct fixture *f, const char *tmpl)
{
	struct mlog_policy *p = NULL;
	struct mlog_error err = {0};
	size_t len;
	char *text = expand(f, tmpl, &len);

	cr_assert_eq(mlog_policy_parse(&p, text, len, &err), MLOG_OK,
		"%s: %s", tmpl, err.msg);
	free(text);
	return p;
}

/* Appends one line to a malloc'd note. */
static char *append(char *note, size_t *len, const char *line)
{
	size_t l = strlen(line);

	note = realloc(note, *len + l + 1);
	cr_assert_not_null(note);
	memcpy(note + *len, line, l + 1);
	*len += l;
	return note;
}

/* The checkpoint (example.com/log, size, root 0x2a..), log-signed, plus
 * cosignatures by the witnesses in subset (bit i = witness i) at time
 * 1000 + i. */
static char *cosigned(const struct fixture *f, uint64_t size,
	unsigned subset, size_t *len)
{
	struct mlog_checkpoint c = {0};
	char *m = NULL, line[512];
	size_t text_len;

	c.origin = (char *)"example.com/log";
	c.size = size;
	memset(c.root, 0x2a, 32);
	if (size == 0)
		mlog_hash_empty(c.root);
	cr_assert_eq(mlog_checkpoint_sign(&m, len, &c, &f->log, 1, NULL),
		MLOG_OK);
	text_len = (size_t)(strstr(m, "\n\n") - m) + 1;
	for (int i = 0; i < 3; i++) {
		if (!(subset & (1u << i)))
			continue;
		cr_assert_gt(mlog_note_sign_line(line, sizeof(line), m,
			text_len, &f->w[i], 1000 + (uint64_t)i), 0);
		m = append(m, len, line);
	}
	return m;
}

/* ---- parsing --------------------------------------------------------- */

struct good_policy {
	const char *text;
	size_t nlogs, nwitnesses, ngroups;
	enum mlog_policy_kind qkind;
	size_t qindex;
};

static const struct good_policy good_policies[] = {
	{ "quorum none\n", 0, 0, 0, MLOG_POLICY_NONE, 0 },
	{ "quorum none", 0, 0, 0, MLOG_POLICY_NONE, 0 },
	{ "log $L\nquorum none\n", 1, 0, 0, MLOG_POLICY_NONE, 0 },
	{ "# a comment\n\n   \t\n  # indented comment\n"
	  "log $L https://log.example/\n"
	  "\twitness   W1\t$W1   https://w1.example/add  \n"
	  "quorum W1  \n", 1, 1, 0, MLOG_POLICY_WITNESS, 0 },
	{ "witness W1 $W1\nwitness W2 $W2\nwitness W3 $W3\n"
	  "group G 2 W1 W2 W3\nquorum G\n", 0, 3, 1, MLOG_POLICY_GROUP, 0 },
	{ "witness W1 $W1\nwitness W2 $W2\ngroup A any W1 W2\n"
	  "witness W3 $W3\ngroup B all A W3\nquorum B\nlog $L\n",
	  1, 3, 2, MLOG_POLICY_GROUP, 1 },
	{ "witness K $W1\nwitness \xe2\x84\xaa $W2\n"
	  "group \xc3\xa9quipe 2 K \xe2\x84\xaa\nquorum \xc3\xa9quipe\n",
	  0, 2, 1, MLOG_POLICY_GROUP, 0 },
	{ "witness all $W1\nwitness any $W2\ngroup 2 any all any\n"
	  "quorum 2\n", 0, 2, 1, MLOG_POLICY_GROUP, 0 },
	{ "witness #w $W1\nquorum #w\n", 0, 1, 0, MLOG_POLICY_WITNESS, 0 },
};

Test(policy, parse_valid_table_and_format_round_trip)
{
	struct fixture f;

	fixture_init(&f);
	for (size_t i = 0; i < sizeof(good_policies) /
	     sizeof(good_policies[0]); i++) {
		const struct good_policy *g = &good_policies[i];
		struct mlog_policy *p = policy(&f, g->text), *q = NULL;
		char *out = NULL, *out2 = NULL;
		size_t out_len = 0, out2_len = 0;

		cr_assert_eq(p->nlogs, g->nlogs, "case %zu", i);
		cr_assert_eq(p->nwitnesses, g->nwitnesses, "case %zu", i);
		cr_assert_eq(p->ngroups, g->ngroups, "case %zu", i);
		cr_assert_eq(p->quorum.kind, g->qkind, "case %zu", i);
		cr_assert_eq(p->quorum.index, g->qindex, "case %zu", i);
		/* format is canonical: format(parse(format(p))) is a fixed
		 * point, and describes the same policy. */
		cr_assert_eq(mlog_policy_format(&out, &out_len, p), MLOG_OK);
		cr_assert_eq(mlog_policy_parse(&q, out, out_len, NULL),
			MLOG_OK, "%s", out);
		cr_assert_eq(mlog_policy_format(&out2, &out2_len, q), MLOG_OK);
		cr_assert_str_eq(out, out2);
		cr_assert_eq(q->nlogs, p->nlogs);
		cr_assert_eq(q->nwitnesses, p->nwitnesses);
		cr_assert_eq(q->ngroups, p->ngroups);
		for (size_t k = 0; k < p->nwitnesses; k++) {
			cr_assert_str_eq(q->witnesses[k].name,
				p->witnesses[k].name);
			cr_assert_eq(q->witnesses[k].cosigner.key_id,
				p->witnesses[k].cosigner.key_id);
		}
		for (size_t k = 0; k < p->ngroups; k++) {
			cr_assert_eq(q->groups[k].k, p->groups[k].k);
			cr_assert_eq(q->groups[k].nmembers,
				p->groups[k].nmembers);
		}
		free(out);
		free(out2);
		mlog_policy_free(q);
		mlog_policy_free(p);
	}
	fixture_clear(&f);
}

Test(policy, parsed_fields)
{
	struct fixture f;
	struct mlog_policy *p;

	fixture_init(&f);
	p = policy(&f, "log $L https://log.example/\n"
		"witness W1 $W1\nwitness W2 $W2 https://w2.example/\n"
		"witness W3 $W3\ngroup A 1 W1 W2\ngroup B all A W3\n"
		"quorum B\n");
	cr_assert_str_eq(p->logs[0].key.name, "example.com/log");
	cr_assert_str_eq(p->logs[0].url, "https://log.example/");
	cr_assert_null(p->witnesses[0].url);
	cr_assert_str_eq(p->witnesses[1].url, "https://w2.example/");
	/* W3 was written in 0x01 form; its cosigner form is 0x04 with the
	 * key ID of the key W3 actually cosigns with. */
	cr_assert_eq(p->witnesses[2].key.type, MLOG_NOTE_TYPE_ED25519);
	cr_assert_eq(p->witnesses[2].cosigner.type, MLOG_NOTE_TYPE_COSIG_V1);
	cr_assert_eq(p->witnesses[2].cosigner.key_id, f.w[2].key_id);
	cr_assert_eq(p->groups[0].k, 1);
	cr_assert_eq(p->groups[1].k, 2);
	cr_assert_eq(p->groups[1].members[0].kind, MLOG_POLICY_GROUP);
	cr_assert_eq(p->groups[1].members[0].index, 0);
	cr_assert_eq(p->groups[1].members[1].kind, MLOG_POLICY_WITNESS);
	cr_assert_eq(p->groups[1].members[1].index, 2);
	mlog_policy_free(p);
	fixture_clear(&f);
}

struct bad_policy {
	const char *text;
	int code;
	const char *msg;   /* a substring of the message */
};

static const struct bad_policy bad_policies[] = {
	{ "", MLOG_ERR_MALFORMED, "no quorum" },
	{ "log $L\n", MLOG_ERR_MALFORMED, "no quorum" },
	{ "# only a comment\n", MLOG_ERR_MALFORMED, "no quorum" },
	{ "quorum X\n", MLOG_ERR_MALFORMED, "line 1" },
	{ "quorum none\nquorum none\n", MLOG_ERR_MALFORMED, "line 2" },
	{ "quorum\n", MLOG_ERR_MALFORMED, "line 1" },
	{ "quorum none none\n", MLOG_ERR_MALFORMED, "line 1" },
	{ "quorum none # comment\n", MLOG_ERR_MALFORMED, "line 1" },
	{ "log\nquorum none\n", MLOG_ERR_MALFORMED, "line 1" },
	{ "log $L url more\nquorum none\n", MLOG_ERR_MALFORMED, "line 1" },
	{ "log $L # comment\nquorum none\n", MLOG_ERR_MALFORMED, "line 1" },
	{ "log notavkey\nquorum none\n", MLOG_ERR_MALFORMED, "line 1" },
	{ "log $W1\nquorum none\n", MLOG_ERR_MALFORMED, "line 1" },
	{ "log $L\nlog $L\nquorum none\n", MLOG_ERR_MALFORMED, "line 2" },
	{ "witness W1\nquorum none\n", MLOG_ERR_MALFORMED, "line 1" },
	{ "witness W1 $W1 url more\nquorum none\n", MLOG_ERR_MALFORMED,
		"line 1" },
	{ "witness none $W1\nquorum none\n", MLOG_ERR_MALFORMED, "line 1" },
	{ "witness W1 $W1\nwitness W1 $W2\nquorum none\n", MLOG_ERR_MALFORMED,
		"line 2" },
	{ "witness W1 $W1\nwitness W2 $W1\nquorum none\n", MLOG_ERR_MALFORMED,
		"line 2" },
	{ "witness W1 notavkey\nquorum none\n", MLOG_ERR_MALFORMED, "line 1" },
	{ "witness W1 $W1\ngroup W1 any W1\nquorum none\n",
		MLOG_ERR_MALFORMED, "line 2" },
	{ "witness W1 $W1\ngroup G any W1\nwitness G $W2\nquorum none\n",
		MLOG_ERR_MALFORMED, "line 3" },
	{ "witness W1 $W1\ngroup G any\nquorum none\n", MLOG_ERR_MALFORMED,
		"line 2" },
	{ "witness W1 $W1\ngroup G\nquorum none\n", MLOG_ERR_MALFORMED,
		"line 2" },
	{ "witness W1 $W1\ngroup G 0 W1\nquorum none\n", MLOG_ERR_MALFORMED,
		"line 2" },
	{ "witness W1 $W1\ngroup G 2 W1\nquorum none\n", MLOG_ERR_MALFORMED,
		"line 2" },
	{ "witness W1 $W1\ngroup G 01 W1\nquorum none\n", MLOG_ERR_MALFORMED,
		"line 2" },
	{ "witness W1 $W1\ngroup G -1 W1\nquorum none\n", MLOG_ERR_MALFORMED,
		"line 2" },
	{ "witness W1 $W1\ngroup G one W1\nquorum none\n",
		MLOG_ERR_MALFORMED, "line 2" },
	{ "witness W1 $W1\ngroup G ANY W1\nquorum none\n",
		MLOG_ERR_MALFORMED, "line 2" },
	{ "witness W1 $W1\ngroup G All W1\nquorum none\n",
		MLOG_ERR_MALFORMED, "line 2" },
	{ "witness W1 $W1\ngroup G any W2\nquorum none\n",
		MLOG_ERR_MALFORMED, "line 2" },
	{ "witness W1 $W1\ngroup G any none\nquorum none\n",
		MLOG_ERR_MALFORMED, "line 2" },
	{ "witness W1 $W1\ngroup G 2 W1 W1\nquorum none\n",
		MLOG_ERR_MALFORMED, "line 2" },
	{ "witness W1 $W1\ngroup G any G\nquorum none\n",
		MLOG_ERR_MALFORMED, "line 2" },
	{ "witness W1 $W1\ngroup G any H\ngroup H any W1\nquorum none\n",
		MLOG_ERR_MALFORMED, "line 2" },
	{ "witness W1 $W1\ngroup none any W1\nquorum none\n",
		MLOG_ERR_MALFORMED, "line 2" },
	{ "quorum W1\nwitness W1 $W1\n", MLOG_ERR_MALFORMED, "line 1" },
	{ "Log $L\nquorum none\n", MLOG_ERR_MALFORMED, "line 1" },
	{ "logs $L\nquorum none\n", MLOG_ERR_MALFORMED, "line 1" },
	{ "quorum none\r\n", MLOG_ERR_MALFORMED, "line 1" },
	{ "quorum none\n\x01\n", MLOG_ERR_MALFORMED, "line 2" },
	{ "quorum none\n#\x7f\n", MLOG_ERR_MALFORMED, "line 2" },
	{ "quorum none\n\x0b\n", MLOG_ERR_MALFORMED, "line 2" },
	{ "quorum none\n\x0c\n", MLOG_ERR_MALFORMED, "line 2" },
};

Test(policy, parse_invalid_table)
{
	struct fixture f;

	fixture_init(&f);
	for (size_t i = 0; i < sizeof(bad_policies) /
	     sizeof(bad_policies[0]); i++) {
		struct mlog_policy *p = (struct mlog_policy *)0x1;
		struct mlog_error err = {0};
		size_t len;
		char *text = expand(&f, bad_policies[i].text, &len);

		cr_assert_eq(mlog_policy_parse(&p, text, len, &err),
			bad_policies[i].code, "case %zu: %s", i,
			bad_policies[i].text);
		cr_assert_eq(err.code, bad_policies[i].code);
		cr_assert_not_null(strstr(err.msg, bad_policies[i].msg),
			"case %zu: message \"%s\"", i, err.msg);
		cr_assert_eq(p, (struct mlog_policy *)0x1);
		free(text);
	}
	/* A NUL byte (not expressible in the table). */
	{
		struct mlog_policy *p = NULL;

		cr_assert_eq(mlog_policy_parse(&p, "quorum none\n\0\n", 14,
			NULL), MLOG_ERR_MALFORMED);
	}
	fixture_clear(&f);
}

Test(policy, same_key_in_both_forms_is_a_duplicate)
{
	struct fixture f;
	struct mlog_note_signer s01;
	struct mlog_note_verifier v01;
	char vk01[MLOG_NOTE_VKEY_MAX + 1], *text;
	struct mlog_policy *p = NULL;

	fixture_init(&f);
	/* W1's key in 0x01 form, under another key name. */
	seed_signer(&s01, "other.example", MLOG_NOTE_TYPE_ED25519, 0x11);
	mlog_note_signer_verifier(&v01, &s01);
	cr_assert_gt(mlog_note_verifier_format(vk01, sizeof(vk01), &v01), 0);
	cr_assert_neq(asprintf(&text, "witness A %s\nwitness B %s\n"
		"quorum none\n", f.vk_w[0], vk01), -1);
	cr_assert_eq(mlog_policy_parse(&p, text, strlen(text), NULL),
		MLOG_ERR_MALFORMED);
	free(text);
	mlog_note_signer_clear(&s01);
	fixture_clear(&f);
}

Test(policy, names_lengths_and_urls)
{
	struct mlog_policy *p = NULL;
	struct fixture f;
	char *text, name[MLOG_POLICY_NAME_MAX + 2];
	char url[MLOG_POLICY_URL_MAX + 2];

	fixture_init(&f);
	memset(name, 'n', sizeof(name));
	name[MLOG_POLICY_NAME_MAX] = '\0';
	cr_assert_neq(asprintf(&text, "witness %s %s\nquorum %s\n", name,
		f.vk_w[0], name), -1);
	cr_assert_eq(mlog_policy_parse(&p, text, strlen(text), NULL),
		MLOG_OK);
	mlog_policy_free(p);
	free(text);
	name[MLOG_POLICY_NAME_MAX] = 'n';
	name[MLOG_POLICY_NAME_MAX + 1] = '\0';
	cr_assert_neq(asprintf(&text, "witness %s %s\nquorum %s\n", name,
		f.vk_w[0], name), -1);
	cr_assert_eq(mlog_policy_parse(&p, text, strlen(text), NULL),
		MLOG_ERR_MALFORMED);
	free(text);

	memset(url, 'u', sizeof(url));
	url[MLOG_POLICY_URL_MAX] = '\0';
	cr_assert_neq(asprintf(&text, "log %s %s\nquorum none\n", f.vk_log,
		url), -1);
	cr_assert_eq(mlog_policy_parse(&p, text, strlen(text), NULL),
		MLOG_OK);
	mlog_policy_free(p);
	free(text);
	url[MLOG_POLICY_URL_MAX] = 'u';
	url[MLOG_POLICY_URL_MAX + 1] = '\0';
	cr_assert_neq(asprintf(&text, "log %s %s\nquorum none\n", f.vk_log,
		url), -1);
	cr_assert_eq(mlog_policy_parse(&p, text, strlen(text), NULL),
		MLOG_ERR_TOOBIG);
	free(text);
	fixture_clear(&f);
}

Test(policy, file_size_cap_checked_first)
{
	struct mlog_policy *p = NULL;
	size_t n = MLOG_POLICY_MAX_BYTES + 1;
	char *big = malloc(n);

	cr_assert_not_null(big);
	memset(big, 0, n);
	cr_assert_eq(mlog_policy_parse(&p, big, n, NULL), MLOG_ERR_TOOBIG);
	/* At the cap, comments and a quorum are fine. */
	memset(big, '#', n);
	memcpy(big + n - 1 - 13, "\nquorum none\n", 13);
	cr_assert_eq(mlog_policy_parse(&p, big, n - 1, NULL), MLOG_OK);
	mlog_policy_free(p);
	free(big);
}

/* Builds a policy of n logs, n witnesses and n groups (a chain: group i
 * = all of witness i and group i-1); each count may exceed the cap. */
static char *big_policy(size_t nlogs, size_t nwit, size_t ngroups)
{
	size_t cap = (nlogs + nwit + ngroups + 2) * 200, len = 0;
	char *text = malloc(cap);

	cr_assert_not_null(text);
	for (size_t i = 0; i < nlogs || i < nwit; i++) {
		struct mlog_note_signer s;
		struct mlog_note_verifier v;
		char vk[MLOG_NOTE_VKEY_MAX + 1], name[32];
		uint8_t seed[32] = {0};

		seed[0] = (uint8_t)i;
		seed[1] = (uint8_t)(i >> 8);
		if (i < nlogs) {
			snprintf(name, sizeof(name), "log%zu.example", i);
			seed[2] = 1;
			cr_assert_eq(mlog_note_signer_from_seed(&s, name,
				MLOG_NOTE_TYPE_ED25519, seed), MLOG_OK);
			mlog_note_signer_verifier(&v, &s);
			cr_assert_gt(mlog_note_verifier_format(vk, sizeof(vk),
				&v), 0);
			len += (size_t)snprintf(text + len, cap - len,
				"log %s\n", vk);
		}
		if (i < nwit) {
			snprintf(name, sizeof(name), "w%zu.example", i);
			seed[2] = 2;
			cr_assert_eq(mlog_note_signer_from_seed(&s, name,
				MLOG_NOTE_TYPE_COSIG_V1, seed), MLOG_OK);
			mlog_note_signer_verifier(&v, &s);
			cr_assert_gt(mlog_note_verifier_format(vk, sizeof(vk),
				&v), 0);
			len += (size_t)snprintf(text + len, cap - len,
				"witness W%zu %s\n", i, vk);
		}
		mlog_note_signer_clear(&s);
	}
	for (size_t i = 0; i < ngroups; i++) {
		if (i == 0)
			len += (size_t)snprintf(text + len, cap - len,
				"group G0 all W0\n");
		else
			len += (size_t)snprintf(text + len, cap - len,
				"group G%zu all W%zu G%zu\n", i,
				i % (nwit ? nwit : 1), i - 1);
	}
	snprintf(text + len, cap - len, "quorum %s\n",
		ngroups ? "G0" : "none");
	return text;
}

Test(policy, caps)
{
	static const struct {
		size_t logs, wit, groups;
		int code;
	} cases[] = {
		{ 32, 32, 32, MLOG_OK },
		{ MLOG_POLICY_MAX_LOGS, MLOG_POLICY_MAX_WITNESSES,
			MLOG_POLICY_MAX_GROUPS, MLOG_OK },
		{ MLOG_POLICY_MAX_LOGS + 1, 1, 1, MLOG_ERR_TOOBIG },
		{ 1, MLOG_POLICY_MAX_WITNESSES + 1, 1, MLOG_ERR_TOOBIG },
		{ 1, MLOG_POLICY_MAX_WITNESSES, MLOG_POLICY_MAX_GROUPS + 1,
			MLOG_ERR_TOOBIG },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mlog_policy *p = NULL;
		char *text = big_policy(cases[i].logs, cases[i].wit,
			cases[i].groups);
		int rc = mlog_policy_parse(&p, text, strlen(text), NULL);

		cr_assert_eq(rc, cases[i].code, "case %zu", i);
		if (rc == MLOG_OK) {
			cr_assert_eq(p->nlogs, cases[i].logs);
			cr_assert_eq(p->nwitnesses, cases[i].wit);
			cr_assert_eq(p->ngroups, cases[i].groups);
			mlog_policy_free(p);
		}
		free(text);
	}
}

/* ---- evaluation ------------------------------------------------------ */

/* Reference predicates over the subset of witnesses that cosigned. */
static int q_none(unsigned s)
{
	(void)s;
	return 1;
}

static int q_w1(unsigned s)
{
	return (s & 1) != 0;
}

static int popcount3(unsigned s)
{
	return (int)(s & 1) + (int)((s >> 1) & 1) + (int)((s >> 2) & 1);
}

static int q_two_of_three(unsigned s)
{
	return popcount3(s) >= 2;
}

static int q_any(unsigned s)
{
	return popcount3(s) >= 1;
}

static int q_all(unsigned s)
{
	return popcount3(s) == 3;
}

static int q_nested(unsigned s)
{
	return ((s & 1) || (s & 2)) && (s & 4);
}

static int q_w3_only(unsigned s)
{
	return (s & 4) != 0;
}

Test(policy, quorum_over_every_subset)
{
	static const struct {
		const char *tmpl;
		int (*want)(unsigned);
	} cases[] = {
		{ "log $L\nquorum none\n", q_none },
		{ "log $L\nwitness W1 $W1\nwitness W2 $W2\nwitness W3 $W3\n"
		  "quorum none\n", q_none },
		{ "log $L\nwitness W1 $W1\nquorum W1\n", q_w1 },
		{ "log $L\nwitness W1 $W1\nwitness W2 $W2\nwitness W3 $W3\n"
		  "group G 2 W1 W2 W3\nquorum G\n", q_two_of_three },
		{ "log $L\nwitness W1 $W1\nwitness W2 $W2\nwitness W3 $W3\n"
		  "group G any W1 W2 W3\nquorum G\n", q_any },
		{ "log $L\nwitness W1 $W1\nwitness W2 $W2\nwitness W3 $W3\n"
		  "group G all W1 W2 W3\nquorum G\n", q_all },
		{ "log $L\nwitness W1 $W1\nwitness W2 $W2\n"
		  "group A any W1 W2\nwitness W3 $W3\ngroup B all A W3\n"
		  "quorum B\n", q_nested },
		{ "log $L\nwitness W1 $W1\nwitness W2 $W2\nwitness W3 $W3\n"
		  "group A 1 W3\ngroup B 1 A\ngroup C all B\nquorum C\n",
		  q_w3_only },
	};
	struct fixture f;

	fixture_init(&f);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct mlog_policy *p = policy(&f, cases[c].tmpl);

		for (unsigned s = 0; s < 8; s++) {
			struct mlog_policy_result r;
			struct mlog_checkpoint cp;
			struct mlog_error err = {0};
			size_t len;
			char *m = cosigned(&f, 7, s, &len);
			int want = cases[c].want(s);
			size_t k = 0;

			cr_assert_eq(mlog_policy_evaluate(&r, &cp, p, m, len,
				&err), MLOG_OK, "case %zu subset %u: %s", c, s,
				err.msg);
			cr_assert_eq(r.quorum_met, want, "case %zu subset %u",
				c, s);
			cr_assert_eq(r.log, 0);
			cr_assert_eq(cp.size, 7);
			cr_assert_str_eq(cp.origin, "example.com/log");
			mlog_checkpoint_clear(&cp);
			/* Every cosignature by a listed witness is reported,
			 * in witnesses[] order, with its time. */
			for (size_t w = 0; w < p->nwitnesses; w++) {
				if (!(s & (1u << w)))
					continue;
				cr_assert_lt(k, r.ncosigs);
				cr_assert_eq(r.cosigs[k].witness, w);
				cr_assert_eq(r.cosigs[k].timestamp, 1000 + w);
				k++;
			}
			cr_assert_eq(r.ncosigs, k);
			/* verify agrees, and leaves res alone on failure. */
			memset(&r, 0x77, sizeof(r));
			err.msg[0] = '\0';
			cr_assert_eq(mlog_policy_verify(&r, NULL, p, m, len,
				&err), want ? MLOG_OK : MLOG_ERR_VERIFY);
			if (!want) {
				cr_assert_eq(r.log, (size_t)0x7777777777777777);
				cr_assert_not_null(strstr(err.msg, "quorum"));
			} else {
				cr_assert_eq(r.quorum_met, 1);
			}
			free(m);
		}
		mlog_policy_free(p);
	}
	fixture_clear(&f);
}

Test(policy, deep_nesting_evaluates)
{
	struct fixture f;
	struct mlog_policy *p = NULL;
	size_t cap = 64 * 1024, len;
	char *tmpl = malloc(cap), *text;

	/* A chain of MLOG_POLICY_MAX_GROUPS groups, each needing one
	 * witness (alternately W1 and W2) and the group before it: the
	 * quorum (the last group) needs both W1 and W2. */
	fixture_init(&f);
	cr_assert_not_null(tmpl);
	len = (size_t)snprintf(tmpl, cap, "log $L\nwitness W1 $W1\n"
		"witness W2 $W2\nwitness W3 $W3\ngroup G0 all W1\n");
	for (int i = 1; i < MLOG_POLICY_MAX_GROUPS; i++)
		len += (size_t)snprintf(tmpl + len, cap - len,
			"group G%d all W%d G%d\n", i, 1 + i % 2, i - 1);
	snprintf(tmpl + len, cap - len, "quorum G%d\n",
		MLOG_POLICY_MAX_GROUPS - 1);
	text = expand(&f, tmpl, &len);
	cr_assert_eq(mlog_policy_parse(&p, text, len, NULL), MLOG_OK);
	cr_assert_eq(p->ngroups, MLOG_POLICY_MAX_GROUPS);
	cr_assert_eq(p->quorum.index, MLOG_POLICY_MAX_GROUPS - 1);
	for (unsigned s = 0; s < 8; s++) {
		struct mlog_policy_result r;
		size_t mlen;
		char *m = cosigned(&f, 4, s, &mlen);

		cr_assert_eq(mlog_policy_evaluate(&r, NULL, p, m, mlen, NULL),
			MLOG_OK);
		cr_assert_eq(r.quorum_met, (s & 3) == 3, "subset %u", s);
		free(m);
	}
	mlog_policy_free(p);
	free(text);
	free(tmpl);
	fixture_clear(&f);
}

Test(policy, key_rotation_reports_the_signing_log)
{
	struct fixture f;
	struct mlog_note_signer old;
	struct mlog_note_verifier oldv;
	char vk[MLOG_NOTE_VKEY_MAX + 1], *text, *m;
	struct mlog_policy *p = NULL;
	struct mlog_policy_result r;
	size_t len;

	fixture_init(&f);
	seed_signer(&old, "example.com/log", MLOG_NOTE_TYPE_ED25519, 0x99);
	mlog_note_signer_verifier(&oldv, &old);
	cr_assert_gt(mlog_note_verifier_format(vk, sizeof(vk), &oldv), 0);
	cr_assert_neq(asprintf(&text, "log %s\nlog %s\nquorum none\n", vk,
		f.vk_log), -1);
	cr_assert_eq(mlog_policy_parse(&p, text, strlen(text), NULL),
		MLOG_OK);
	m = cosigned(&f, 3, 0, &len);
	cr_assert_eq(mlog_policy_evaluate(&r, NULL, p, m, len, NULL), MLOG_OK);
	cr_assert_eq(r.log, 1);
	free(m);
	free(text);
	mlog_policy_free(p);
	mlog_note_signer_clear(&old);
	fixture_clear(&f);
}

Test(policy, evaluation_errors)
{
	struct fixture f;
	struct mlog_policy *p;
	struct mlog_policy_result r;
	struct mlog_error err = {0};
	char *m, *m2, line[512];
	size_t len, len2;

	fixture_init(&f);
	p = policy(&f, "log $L\nwitness W1 $W1\nwitness W2 $W2\n"
		"group G any W1 W2\nquorum G\n");
	m = cosigned(&f, 5, 3, &len);
	cr_assert_eq(mlog_policy_verify(&r, NULL, p, m, len, NULL), MLOG_OK);

	/* Origin unknown to the policy. */
	{
		struct mlog_checkpoint c = {0};
		struct mlog_note_signer o;

		seed_signer(&o, "other.example/log", MLOG_NOTE_TYPE_ED25519,
			1);
		c.origin = (char *)"other.example/log";
		c.size = 1;
		cr_assert_eq(mlog_checkpoint_sign(&m2, &len2, &c, &o, 1, NULL),
			MLOG_OK);
		cr_assert_eq(mlog_policy_evaluate(&r, NULL, p, m2, len2, &err),
			MLOG_ERR_NOTFOUND);
		free(m2);
		/* The right origin signed by another key. */
		mlog_note_signer_clear(&o);
		seed_signer(&o, "example.com/log", MLOG_NOTE_TYPE_ED25519, 2);
		c.origin = (char *)"example.com/log";
		cr_assert_eq(mlog_checkpoint_sign(&m2, &len2, &c, &o, 1, NULL),
			MLOG_OK);
		cr_assert_eq(mlog_policy_evaluate(&r, NULL, p, m2, len2, &err),
			MLOG_ERR_UNTRUSTED);
		free(m2);
		mlog_note_signer_clear(&o);
	}
	/* A cosignature by an unlisted witness is ignored. */
	m2 = cosigned(&f, 5, 4, &len2);
	cr_assert_eq(mlog_policy_evaluate(&r, NULL, p, m2, len2, NULL),
		MLOG_OK);
	cr_assert_eq(r.ncosigs, 0);
	cr_assert_eq(r.quorum_met, 0);
	free(m2);
	/* A cosignature over another checkpoint, pasted on: VERIFY. */
	{
		char *other = cosigned(&f, 6, 0, &len2);
		size_t tl = (size_t)(strstr(other, "\n\n") - other) + 1;

		cr_assert_gt(mlog_note_sign_line(line, sizeof(line), other, tl,
			&f.w[1], 5), 0);
		free(other);
		m2 = cosigned(&f, 5, 1, &len2);
		m2 = append(m2, &len2, line);
		cr_assert_eq(mlog_policy_evaluate(&r, NULL, p, m2, len2, &err),
			MLOG_ERR_VERIFY);
		cr_assert_not_null(strstr(err.msg, "witness"));
		free(m2);
	}
	/* Malformed notes and checkpoints. */
	cr_assert_eq(mlog_policy_evaluate(&r, NULL, p, "junk", 4, NULL),
		MLOG_ERR_MALFORMED);
	{
		static const char bad_text[] = "example.com/log\n01\nAAAA\n\n"
			"— example.com/log AAAAAAA=\n";

		cr_assert_eq(mlog_policy_evaluate(&r, NULL, p, bad_text,
			sizeof(bad_text) - 1, NULL), MLOG_ERR_MALFORMED);
	}
	{
		char *big = calloc(1, MLOG_NOTE_MAX_BYTES + 1);

		cr_assert_eq(mlog_policy_evaluate(&r, NULL, p, big,
			MLOG_NOTE_MAX_BYTES + 1, NULL), MLOG_ERR_TOOBIG);
		free(big);
	}
	/* Size 0 with a wrong root, properly signed. */
	{
		struct mlog_checkpoint c = {0};

		c.origin = (char *)"example.com/log";
		memset(c.root, 1, 32);
		cr_assert_eq(mlog_checkpoint_sign(&m2, &len2, &c, &f.log, 1,
			NULL), MLOG_OK);
		cr_assert_eq(mlog_policy_evaluate(&r, NULL, p, m2, len2, NULL),
			MLOG_ERR_VERIFY);
		free(m2);
		m2 = cosigned(&f, 0, 3, &len2);
		cr_assert_eq(mlog_policy_verify(&r, NULL, p, m2, len2, NULL),
			MLOG_OK);
		free(m2);
	}
	free(m);
	mlog_policy_free(p);
	fixture_clear(&f);
}

/* Every bit of a witness cosignature: key ID bits make it someone else's
 * (ignored, so the quorum fails), other bits make it fail (VERIFY). */
Test(policy, cosignature_corruption_sweep)
{
	struct fixture f;
	struct mlog_policy *p;
	size_t len, b64_off, b64_len, blob_len;
	char *m, b64[256];
	uint8_t blob[128];

	fixture_init(&f);
	p = policy(&f, "log $L\nwitness W2 $W2\nquorum W2\n");
	m = cosigned(&f, 9, 2, &len);
	b64_off = (size_t)(strrchr(m, ' ') - m) + 1;
	b64_len = len - 1 - b64_off;
	cr_assert_eq(mlog_codec_base64_decode(blob, sizeof(blob), &blob_len,
		m + b64_off, b64_len), MLOG_OK);
	cr_assert_eq(blob_len, 4 + MLOG_NOTE_COSIG_BYTES);
	for (size_t bit = 0; bit < blob_len * 8; bit++) {
		struct mlog_policy_result r;
		char *p2 = malloc(len + 1);
		int k, rc;

		blob[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		k = mlog_codec_base64_encode(b64, sizeof(b64), blob, blob_len);
		blob[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		cr_assert_eq(k, (int)b64_len);
		memcpy(p2, m, len + 1);
		memcpy(p2 + b64_off, b64, b64_len);
		rc = mlog_policy_evaluate(&r, NULL, p, p2, len, NULL);
		if (bit < 32) {
			cr_assert_eq(rc, MLOG_OK, "bit %zu", bit);
			cr_assert_eq(r.quorum_met, 0);
			cr_assert_eq(mlog_policy_verify(&r, NULL, p, p2, len,
				NULL), MLOG_ERR_VERIFY);
		} else {
			cr_assert_eq(rc, MLOG_ERR_VERIFY, "bit %zu", bit);
		}
		free(p2);
	}
	/* Truncated: the cosignature line loses its newline. */
	{
		struct mlog_policy_result r;

		cr_assert_eq(mlog_policy_evaluate(&r, NULL, p, m, len - 1,
			NULL), MLOG_ERR_MALFORMED);
	}
	free(m);
	mlog_policy_free(p);
	fixture_clear(&f);
}

/* ---- known answers ---------------------------------------------------- */

static char *manifest_value(const char *rel, const char *key)
{
	size_t len, klen = strlen(key);
	char *buf = test_read_shared(rel, &len), *line, *save = NULL;
	char *val = NULL;

	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, key, klen) == 0 && line[klen] == '=') {
			val = strdup(line + klen + 1);
			break;
		}
	}
	free(buf);
	cr_assert_not_null(val, "%s: no %s", rel, key);
	return val;
}

Test(policy, sigsum_cosignature_vector_meets_quorum)
{
	static const char rel[] =
		"vectors/cosignature/sigsum-go-cosignature.txt";
	struct mlog_note_signer log, w;
	struct mlog_note_verifier logv, wv;
	struct mlog_policy *p = NULL;
	struct mlog_policy_result r;
	char vk_log[MLOG_NOTE_VKEY_MAX + 1], vk_w[MLOG_NOTE_VKEY_MAX + 1];
	char *seed_hex, *name, *l[4], *text, *body, *note = NULL, *ptext;
	size_t body_len, note_len = 0;
	uint8_t seed[32];
	static const char *const keys[] = { "sigline_1_wrong_keyid",
		"sigline_2_valid", "sigline_3_other_name",
		"sigline_4_bad_length" };

	TEST_REQUIRE_SHARED();
	seed_hex = manifest_value(rel, "witness_seed_hex");
	name = manifest_value(rel, "witness_name");
	for (int i = 0; i < 4; i++)
		l[i] = manifest_value(rel, keys[i]);
	body = test_read_shared(
		"vectors/cosignature/sigsum-go-cosigned.checkpoint-body",
		&body_len);
	test_hex(seed, 32, seed_hex);
	cr_assert_eq(mlog_note_signer_from_seed(&w, name,
		MLOG_NOTE_TYPE_COSIG_V1, seed), MLOG_OK);
	mlog_note_signer_verifier(&wv, &w);
	cr_assert_gt(mlog_note_verifier_format(vk_w, sizeof(vk_w), &wv), 0);
	/* The vector has no log signature: sign its body with a test key
	 * named after its origin, then add the vector's lines. */
	seed_signer(&log, "example.org/log", MLOG_NOTE_TYPE_ED25519, 0x44);
	mlog_note_signer_verifier(&logv, &log);
	cr_assert_gt(mlog_note_verifier_format(vk_log, sizeof(vk_log), &logv),
		0);
	cr_assert_eq(mlog_note_sign(&note, &note_len, body, body_len, &log, 1,
		0, NULL), MLOG_OK);
	cr_assert_neq(asprintf(&ptext, "log %s\nwitness W %s\nquorum W\n",
		vk_log, vk_w), -1);
	cr_assert_eq(mlog_policy_parse(&p, ptext, strlen(ptext), NULL),
		MLOG_OK);

	/* Without cosignatures: not met. */
	cr_assert_eq(mlog_policy_evaluate(&r, NULL, p, note, note_len, NULL),
		MLOG_OK);
	cr_assert_eq(r.quorum_met, 0);
	/* Lines 1-3: line 2 is W's, at time 1234. */
	for (int i = 0; i < 3; i++) {
		char *line;

		cr_assert_neq(asprintf(&line, "%s\n", l[i]), -1);
		note = append(note, &note_len, line);
		free(line);
	}
	cr_assert_eq(mlog_policy_verify(&r, NULL, p, note, note_len, NULL),
		MLOG_OK);
	cr_assert_eq(r.ncosigs, 1);
	cr_assert_eq(r.cosigs[0].witness, 0);
	cr_assert_eq(r.cosigs[0].timestamp, 1234);
	/* Line 4 claims W's key with a blob that is not 72 bytes: not a
	 * cosignature/v1, so it is skipped (note.h rule 5) and line 2 still
	 * meets the quorum, as the vector requires. */
	text = NULL;
	cr_assert_neq(asprintf(&text, "%s\n", l[3]), -1);
	note = append(note, &note_len, text);
	free(text);
	cr_assert_eq(mlog_policy_evaluate(&r, NULL, p, note, note_len, NULL),
		MLOG_OK);
	cr_assert_eq(r.ncosigs, 1);
	cr_assert_eq(r.cosigs[0].timestamp, 1234);

	for (int i = 0; i < 4; i++)
		free(l[i]);
	free(ptext);
	free(note);
	free(body);
	free(seed_hex);
	free(name);
	mlog_policy_free(p);
	mlog_note_signer_clear(&w);
	mlog_note_signer_clear(&log);
}

Test(policy, monkeys_witness_published_in_0x01_form)
{
	static const char man[] =
		"vectors/witness/omniwitness-monkeys/MANIFEST.txt";
	struct mlog_note_signer ws01, ws;
	struct mlog_policy *p = NULL;
	struct mlog_policy_result r;
	char *log_vkey, *wvkey, *wskey, *other, *ptext, *note, line[512];
	size_t note_len, tl;

	TEST_REQUIRE_SHARED();
	log_vkey = manifest_value(man, "log_vkey");
	wvkey = manifest_value(man, "witness_vkey");
	wskey = manifest_value(man, "witness_skey");
	other = manifest_value(man, "other_log_vkey");
	note = test_read_shared(
		"vectors/witness/omniwitness-monkeys/monkeys-8.checkpoint",
		&note_len);
	cr_assert_eq(mlog_note_signer_parse(&ws01, wskey, strlen(wskey), NULL),
		MLOG_OK);
	cr_assert_eq(ws01.type, MLOG_NOTE_TYPE_ED25519);
	/* The witness cosigns with the same key as cosignature/v1. */
	cr_assert_eq(mlog_note_signer_from_seed(&ws, ws01.name,
		MLOG_NOTE_TYPE_COSIG_V1, ws01.sk), MLOG_OK);
	cr_assert_neq(asprintf(&ptext, "log %s\nlog %s\nwitness W %s\n"
		"quorum W\n", other, log_vkey, wvkey), -1);
	cr_assert_eq(mlog_policy_parse(&p, ptext, strlen(ptext), NULL),
		MLOG_OK);

	cr_assert_eq(mlog_policy_verify(&r, NULL, p, note, note_len, NULL),
		MLOG_ERR_VERIFY);
	tl = (size_t)(strstr(note, "\n\n") - note) + 1;
	cr_assert_gt(mlog_note_sign_line(line, sizeof(line), note, tl, &ws,
		1700000000), 0);
	note = append(note, &note_len, line);
	cr_assert_eq(mlog_policy_verify(&r, NULL, p, note, note_len, NULL),
		MLOG_OK);
	cr_assert_eq(r.log, 1);
	cr_assert_eq(r.ncosigs, 1);
	cr_assert_eq(r.cosigs[0].timestamp, 1700000000);
	cr_assert_str_eq(p->witnesses[r.cosigs[0].witness].name, "W");
	/* A plain Ed25519 (0x01) line by the witness key is not a
	 * cosignature: the witness's 0x04 identity never matches it. */
	{
		char *n2 = test_read_shared("vectors/witness/"
			"omniwitness-monkeys/monkeys-8.checkpoint", &note_len);

		cr_assert_gt(mlog_note_sign_line(line, sizeof(line), n2, tl,
			&ws01, 0), 0);
		n2 = append(n2, &note_len, line);
		cr_assert_eq(mlog_policy_evaluate(&r, NULL, p, n2, note_len,
			NULL), MLOG_OK);
		cr_assert_eq(r.quorum_met, 0);
		free(n2);
	}
	mlog_note_signer_clear(&ws01);
	mlog_note_signer_clear(&ws);
	mlog_policy_free(p);
	free(ptext);
	free(note);
	free(log_vkey);
	free(wvkey);
	free(wskey);
	free(other);
}
