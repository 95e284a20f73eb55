/*
 * test_cli_evidence.c — the client's modules without a server: the
 * approval rule (approvals.c), evidence bundles written and verified
 * against checkpoints cosigned here by witness keys made in the test
 * (evidence.c: quorum met or not, unknown cosignatures, tampering of
 * every kind, with and without re-sealing manifest.json), the bulk entry
 * reader (walk.c), the signers file (signerset.c) and the monitor's core
 * (monitor.c) over an in-memory log (tests/memlog.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <sodium.h>

#include "approvals.h"
#include "bundletest.h"
#include "evidence.h"
#include "harness.h"
#include "memlog.h"
#include "monitor.h"
#include "policy.h"
#include "signerset.h"
#include "tlogproof.h"
#include "walk.h"

static void setup(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(approvals, .init = setup);
TestSuite(evidence, .init = setup, .timeout = 300);
TestSuite(walk, .init = setup);
TestSuite(signerset, .init = setup);
TestSuite(monitor, .init = setup, .timeout = 300);

/* ---- approvals --------------------------------------------------------- */

static void measure(struct cli_measure *m, const char *json)
{
	json_t *j = json_loads(json, 0, NULL);
	struct mlog_error err = { 0, "" };

	cr_assert_not_null(j, "bad JSON %s", json);
	cr_assert_eq(cli_measure_from_json(m, j, &err), MLOG_OK, "%s: %s",
		json, err.msg);
	json_decref(j);
}

#define E1 "1111111111111111111111111111111111111111111111111111111111111111"
#define E2 "2222222222222222222222222222222222222222222222222222222222222222"
#define S1 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define S2 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

Test(approvals, covers_table)
{
	static const struct {
		const char *approval, *query;
		int covers;
	} cases[] = {
		/* exact MRENCLAVE */
		{ "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\"}",
		  "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\"}", 1 },
		{ "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\"}",
		  "{\"tee\":\"sgx\",\"mrenclave\":\"" E2 "\"}", 0 },
		/* fields the query gives but the approval does not name are
		 * free */
		{ "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\"}",
		  "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\",\"mrsigner\":\""
		  S1 "\",\"isvsvn\":3}", 1 },
		/* fail closed: named but not given */
		{ "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\",\"mrsigner\":\""
		  S1 "\"}", "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\"}", 0 },
		{ "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\",\"mrsigner\":\""
		  S1 "\"}", "{\"tee\":\"sgx\",\"mrenclave\":\"" E1
		  "\",\"mrsigner\":\"" S2 "\"}", 0 },
		/* MRSIGNER with min_isvsvn */
		{ "{\"tee\":\"sgx\",\"mrsigner\":\"" S1 "\",\"min_isvsvn\":3}",
		  "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\",\"mrsigner\":\""
		  S1 "\",\"isvsvn\":3}", 1 },
		{ "{\"tee\":\"sgx\",\"mrsigner\":\"" S1 "\",\"min_isvsvn\":3}",
		  "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\",\"mrsigner\":\""
		  S1 "\",\"isvsvn\":65535}", 1 },
		{ "{\"tee\":\"sgx\",\"mrsigner\":\"" S1 "\",\"min_isvsvn\":3}",
		  "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\",\"mrsigner\":\""
		  S1 "\",\"isvsvn\":2}", 0 },
		{ "{\"tee\":\"sgx\",\"mrsigner\":\"" S1 "\",\"min_isvsvn\":3}",
		  "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\",\"mrsigner\":\""
		  S1 "\"}", 0 },
		{ "{\"tee\":\"sgx\",\"mrsigner\":\"" S1 "\"}",
		  "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\",\"mrsigner\":\""
		  S1 "\"}", 1 },
		{ "{\"tee\":\"sgx\",\"mrsigner\":\"" S1 "\",\"isvprodid\":2}",
		  "{\"tee\":\"sgx\",\"mrsigner\":\"" S1 "\",\"isvprodid\":1}",
		  0 },
		{ "{\"tee\":\"sgx\",\"mrsigner\":\"" S1 "\",\"isvprodid\":2}",
		  "{\"tee\":\"sgx\",\"mrsigner\":\"" S1 "\",\"isvprodid\":2}",
		  1 },
		{ "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\",\"debug\":false}",
		  "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\",\"debug\":true}",
		  0 },
		{ "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\",\"debug\":false}",
		  "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\"}", 0 },
		/* another TEE never covers */
		{ "{\"tee\":\"tdx\",\"mrtd\":\"" E1
		  "11111111111111111111111111111111\"}",
		  "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\"}", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cli_measure a, q;
		char why[160] = "";

		measure(&a, cases[i].approval);
		measure(&q, cases[i].query);
		cr_expect_eq(cli_measure_covers(&a, &q, why, sizeof(why)),
			cases[i].covers, "case %zu: %s / %s (%s)", i,
			cases[i].approval, cases[i].query, why);
		if (!cases[i].covers)
			cr_expect_neq(why[0], '\0', "case %zu: no reason", i);
	}
}

Test(approvals, measure_rejects_bad_fields)
{
	struct cli_measure m;
	struct mlog_error err = { 0, "" };

	cr_assert_eq(cli_measure_init(&m, "sgx", NULL), MLOG_OK);
	cr_expect_eq(cli_measure_set(&m, "mrenclave", "ABCD", &err),
		MLOG_ERR_MALFORMED);
	cr_expect_eq(cli_measure_set(&m, "mrenclave", E1 "0", &err),
		MLOG_ERR_MALFORMED);
	cr_expect_eq(cli_measure_set(&m, "mrtd", E1, &err),
		MLOG_ERR_MALFORMED);
	cr_expect_eq(cli_measure_init(&m, "sev", &err), MLOG_ERR_MALFORMED);
	cr_expect_eq(cli_measure_set(&m, "mrenclave", E1, &err), MLOG_OK);
	cr_expect_eq(cli_measure_set(&m, "mrenclave", E2, &err), MLOG_OK);
	cr_expect_eq(m.nhex, 1);
	cr_expect_str_eq(cli_measure_get(&m, "mrenclave"), E2);
}

/* Records made straight from statements (no envelope needed for the
 * rule), in log order. */
static void record(struct cli_record *r, uint64_t index, const char *stmt,
	struct itest_signer *s)
{
	const struct itest_signer *ss[1] = { s };
	size_t len = 0;
	char *env = itest_envelope(ss, 1, stmt, &len);
	struct mlog_error err = { 0, "" };

	cr_assert_eq(cli_record_parse(r, index, (const uint8_t *)env, len,
		&err), MLOG_OK, "%s", err.msg);
	free(env);
}

Test(approvals, decide_follows_log_order)
{
	char dir[256];
	struct itest_signer s;
	struct cli_record r[5];
	struct cli_approvals ix;
	struct cli_decision d;
	struct cli_measure q;
	const char *m1 = "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\"}";
	const char *ms = "{\"tee\":\"sgx\",\"mrsigner\":\"" S1
		"\",\"min_isvsvn\":2}";
	char *st;

	itest_tmpdir(dir, sizeof(dir));
	itest_signer_new(&s, dir, "a", MLOG_DSSE_ALG_ED25519);
	st = bt_approval(m1, "CHG-1", "approved", -1);
	record(&r[0], 10, st, &s);
	free(st);
	st = bt_approval(m1, "CHG-2", "revoked", -1);
	record(&r[1], 20, st, &s);
	free(st);
	st = bt_approval(ms, "CHG-3", "approved", -1);
	record(&r[2], 30, st, &s);
	free(st);
	st = bt_manifest("b-1", E1, S1, 2, E2);
	record(&r[3], 5, st, &s);
	free(st);
	st = bt_approval(m1, "CHG-4", "revoked", 12);
	record(&r[4], 40, st, &s);
	free(st);
	cli_approvals_init(&ix);
	for (size_t i = 0; i < 5; i++)
		cr_assert_eq(cli_approvals_add(&ix, &r[i]), MLOG_OK);
	cli_approvals_seal(&ix);
	cr_assert_eq(r[3].type, MLOG_STATEMENT_BUILD_MANIFEST);
	cr_assert_eq(r[4].has_build_entry, 1);
	cr_assert_eq(r[4].build_entry, 12);

	measure(&q, "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\"}");
	/* Before the revocation: approved by CHG-1. */
	cr_assert_eq(cli_approvals_decide(&d, &ix, &q, 20), MLOG_OK);
	cr_expect(d.allowed);
	cr_expect_eq(d.decisive->index, 10);
	/* After it: revoked. */
	cr_assert_eq(cli_approvals_decide(&d, &ix, &q, 21), MLOG_OK);
	cr_expect(!d.allowed);
	cr_expect_eq(d.decisive->index, 20);
	cr_expect_not_null(strstr(d.reason, "CHG-2"), "%s", d.reason);
	/* The MRSIGNER approval needs mrsigner and isvsvn. */
	cr_assert_eq(cli_approvals_decide(&d, &ix, &q, 31), MLOG_OK);
	cr_expect(!d.allowed);
	measure(&q, "{\"tee\":\"sgx\",\"mrenclave\":\"" E1 "\",\"mrsigner\":\""
		S1 "\",\"isvsvn\":2}");
	cr_assert_eq(cli_approvals_decide(&d, &ix, &q, 31), MLOG_OK);
	cr_expect(d.allowed, "a later approval lifts a revocation: %s",
		d.reason);
	cr_expect_eq(d.decisive->index, 30);
	cr_assert_eq(cli_approvals_decide(&d, &ix, &q, UINT64_MAX), MLOG_OK);
	cr_expect(!d.allowed, "revoked again at 40");
	cr_expect_eq(d.revocation->index, 40);
	cr_expect_eq(d.approval->index, 30);
	{
		const struct cli_record *cov[8];

		cr_expect_eq(cli_approvals_covering(&ix, &q, UINT64_MAX, cov,
			8), 4);
		cr_expect_eq(cov[0]->index, 10);
		cr_expect_eq(cov[3]->index, 40);
		cr_expect_eq(cli_approvals_covering(&ix, &q, UINT64_MAX, cov,
			1), 4, "more than cap: reports the count");
	}
	/* svn below the minimum: only the MRENCLAVE entries apply. */
	q.isvsvn = 1;
	cr_assert_eq(cli_approvals_decide(&d, &ix, &q, 31), MLOG_OK);
	cr_expect(!d.allowed);
	cr_expect_eq(d.decisive->index, 20);
	/* Nothing about E2. */
	measure(&q, "{\"tee\":\"sgx\",\"mrenclave\":\"" E2 "\"}");
	cr_assert_eq(cli_approvals_decide(&d, &ix, &q, UINT64_MAX), MLOG_OK);
	cr_expect(!d.allowed);
	cr_expect_null(d.decisive);
	cli_approvals_clear(&ix);
	for (size_t i = 0; i < 5; i++)
		cli_record_clear(&r[i]);
	itest_signer_clear(&s);
	itest_rmtree(dir);
}

Test(approvals, record_rejects_non_entries)
{
	struct cli_record r;
	struct mlog_error err = { 0, "" };
	const char *bad[] = { "", "{}", "not json",
		"{\"payload\":\"e30=\",\"payloadType\":\"text/plain\","
		"\"signatures\":[{\"keyid\":\"\",\"sig\":\"AA==\"}]}",
		"{\"payload\":\"e30=\",\"payloadType\":"
		"\"application/vnd.in-toto+json\",\"signatures\":[{\"keyid\":"
		"\"\",\"sig\":\"AA==\"}]}" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_neq(cli_record_parse(&r, 0, (const uint8_t *)bad[i],
			strlen(bad[i]), &err), MLOG_OK, "case %zu", i);
}

/* ---- a scenario in memory ---------------------------------------------- */

struct scene {
	char dir[256];
	struct memlog log;
	struct itest_signer signer;
	struct mlog_note_signer w1, w2, w9;
	char mr[4][65], ms[65];
};

static void append(struct scene *s, const char *stmt)
{
	const struct itest_signer *ss[1] = { &s->signer };
	size_t len = 0;
	char *env = itest_envelope(ss, 1, stmt, &len);

	cr_assert_eq(memlog_append(&s->log, env, len), MLOG_OK);
	free(env);
}

/*
 *  0 manifest M0 (svn 1)        4 revocation M1 CHG-3
 *  1 manifest M1 (svn 2)        5 approval mrsigner min 2 CHG-4
 *  2 approval M0 CHG-1          6 manifest M2 (svn 3)
 *  3 approval M1 CHG-2          7 revocation M2 CHG-5
 *                               8 manifest M3 (svn 1), unapproved
 */
static void scene_init(struct scene *s)
{
	char *st, m[512], sub[65];

	memset(s, 0, sizeof(*s));
	itest_tmpdir(s->dir, sizeof(s->dir));
	cr_assert_eq(memlog_init(&s->log, "example.com/log", NULL), MLOG_OK);
	itest_signer_new(&s->signer, s->dir, "ci", MLOG_DSSE_ALG_ED25519);
	cr_assert_eq(mlog_note_signer_generate(&s->w1, "w1.example",
		MLOG_NOTE_TYPE_COSIG_V1), MLOG_OK);
	cr_assert_eq(mlog_note_signer_generate(&s->w2, "w2.example",
		MLOG_NOTE_TYPE_COSIG_V1), MLOG_OK);
	cr_assert_eq(mlog_note_signer_generate(&s->w9, "w9.example",
		MLOG_NOTE_TYPE_COSIG_V1), MLOG_OK);
	for (int i = 0; i < 4; i++) {
		char label[32];

		snprintf(label, sizeof(label), "mrenclave-%d", i);
		bt_hex32(s->mr[i], label);
	}
	bt_hex32(s->ms, "mrsigner");
	bt_hex32(sub, "subject-0");
	st = bt_manifest("build-0", s->mr[0], s->ms, 1, sub);
	append(s, st);
	free(st);
	bt_hex32(sub, "subject-1");
	st = bt_manifest("build-1", s->mr[1], s->ms, 2, sub);
	append(s, st);
	free(st);
	snprintf(m, sizeof(m), "{\"tee\":\"sgx\",\"mrenclave\":\"%s\"}",
		s->mr[0]);
	st = bt_approval(m, "CHG-1", "approved", 0);
	append(s, st);
	free(st);
	snprintf(m, sizeof(m), "{\"tee\":\"sgx\",\"mrenclave\":\"%s\"}",
		s->mr[1]);
	st = bt_approval(m, "CHG-2", "approved", -1);
	append(s, st);
	free(st);
	st = bt_approval(m, "CHG-3", "revoked", -1);
	append(s, st);
	free(st);
	snprintf(m, sizeof(m), "{\"tee\":\"sgx\",\"mrsigner\":\"%s\","
		"\"min_isvsvn\":2}", s->ms);
	st = bt_approval(m, "CHG-4", "approved", -1);
	append(s, st);
	free(st);
	bt_hex32(sub, "subject-2");
	st = bt_manifest("build-2", s->mr[2], s->ms, 3, sub);
	append(s, st);
	free(st);
	snprintf(m, sizeof(m), "{\"tee\":\"sgx\",\"mrenclave\":\"%s\"}",
		s->mr[2]);
	st = bt_approval(m, "CHG-5", "revoked", -1);
	append(s, st);
	free(st);
	bt_hex32(sub, "subject-3");
	st = bt_manifest("build-3", s->mr[3], s->ms, 1, sub);
	append(s, st);
	free(st);
}

static void scene_clear(struct scene *s)
{
	memlog_clear(&s->log);
	itest_signer_clear(&s->signer);
	mlog_note_signer_clear(&s->w1);
	mlog_note_signer_clear(&s->w2);
	mlog_note_signer_clear(&s->w9);
	if (getenv("MLOG_TEST_KEEP") == NULL)
		itest_rmtree(s->dir);
}

static void vkey_of(char *out, size_t cap, const struct mlog_note_signer *k)
{
	struct mlog_note_verifier v;

	mlog_note_signer_verifier(&v, k);
	cr_assert_gt(mlog_note_verifier_format(out, cap, &v), 0);
}

/* A policy: the log, witnesses w1 and w2, and the quorum line given. */
static struct mlog_policy *policy(struct scene *s, const char *quorum)
{
	char text[2048], line[512], v1[300], v2[300];
	struct mlog_policy *p = NULL;
	struct mlog_error err = { 0, "" };

	cr_assert_eq(memlog_policy_line(&s->log, line, sizeof(line)), MLOG_OK);
	vkey_of(v1, sizeof(v1), &s->w1);
	vkey_of(v2, sizeof(v2), &s->w2);
	snprintf(text, sizeof(text), "%switness W1 %s\nwitness W2 %s\n"
		"group both all W1 W2\nquorum %s\n", line, v1, v2, quorum);
	cr_assert_eq(mlog_policy_parse(&p, text, strlen(text), &err), MLOG_OK,
		"%s", err.msg);
	return p;
}

/* Writes a bundle of entries [0, n) under the checkpoint note. */
static int write_bundle(struct scene *s, const char *out,
	const struct mlog_policy *pol, const char *note, size_t note_len,
	uint64_t size, const char *kind, const char *value,
	struct mlog_error *err)
{
	struct cli_evidence_item *items = calloc(size + 1, sizeof(*items));
	uint8_t (*proofs)[MLOG_PROOF_MAX][MLOG_HASH_BYTES] =
		calloc(size + 1, sizeof(*proofs));
	struct cli_evidence_meta meta = { kind, value, "http://log.example",
		"2026-11-25T12:00:00Z", NULL };
	int rc;

	cr_assert(items != NULL && proofs != NULL);
	for (uint64_t i = 0; i < size; i++) {
		items[i].index = i;
		items[i].entry = s->log.entries[i];
		items[i].entry_len = s->log.lens[i];
		cr_assert_eq(memlog_prove(&s->log, i, size, proofs[i],
			&items[i].proof_len), MLOG_OK);
		items[i].proof = (const uint8_t (*)[MLOG_HASH_BYTES])proofs[i];
	}
	rc = cli_evidence_write(out, pol, note, note_len, items, size, &meta,
		err);
	free(items);
	free(proofs);
	return rc;
}

/* A bundle of the whole scene, cosigned by w1 (and w9 if extra). */
static void scene_bundle(struct scene *s, const char *out, int extra)
{
	struct mlog_policy *pol = policy(s, "W1");
	struct mlog_error err = { 0, "" };
	char *note = NULL;
	size_t len = 0;

	cr_assert_eq(memlog_checkpoint(&s->log, s->log.n, &note, &len),
		MLOG_OK);
	cr_assert_eq(memlog_cosign(&note, &len, &s->w1, 1764072000),
		MLOG_OK);
	if (extra)
		cr_assert_eq(memlog_cosign(&note, &len, &s->w9, 1764072001),
			MLOG_OK);
	cr_assert_eq(write_bundle(s, out, pol, note, len, s->log.n,
		"mrsigner", s->ms, &err), MLOG_OK, "%s", err.msg);
	free(note);
	mlog_policy_free(pol);
}

static const json_t *measurement_of(const json_t *man, const char *mr)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(man, "measurements"), i, v) {
		const char *e = json_string_value(json_object_get(
			json_object_get(v, "measurement"), "mrenclave"));

		if (e != NULL && strcmp(e, mr) == 0)
			return v;
	}
	cr_assert_fail("no measurement %s in the manifest", mr);
	return NULL;
}

Test(evidence, round_trip_with_witness_quorum)
{
	struct scene s;
	struct mlog_error err = { 0, "" };
	char out[300], *text;
	json_t *man;
	struct mlog_policy *both, *w1;
	FILE *rep;
	char *rbuf = NULL;
	size_t rlen = 0;

	scene_init(&s);
	snprintf(out, sizeof(out), "%s/bundle", s.dir);
	scene_bundle(&s, out, 0);
	rep = open_memstream(&rbuf, &rlen);
	cr_assert_eq(cli_evidence_verify(out, rep, &err), MLOG_OK, "%s",
		err.msg);
	fclose(rep);
	cr_expect_not_null(strstr(rbuf, "valid evidence bundle"), "%s", rbuf);
	cr_expect_not_null(strstr(rbuf, "cosigned by witness W1"), "%s",
		rbuf);
	free(rbuf);
	cr_expect_eq(cli_evidence_exit_code(MLOG_OK), 0);

	/* The auditor's own policy: W1 alone is fine, both is not. */
	w1 = policy(&s, "W1");
	both = policy(&s, "both");
	cr_expect_eq(cli_evidence_verify_trusted(out, w1, NULL, &err),
		MLOG_OK, "%s", err.msg);
	cr_expect_eq(cli_evidence_verify_trusted(out, both, NULL, &err),
		MLOG_ERR_VERIFY);
	cr_expect_eq(cli_evidence_exit_code(MLOG_ERR_VERIFY), 1);
	mlog_policy_free(w1);
	mlog_policy_free(both);

	/* Derived claims: the statuses of approvals.c. */
	text = bt_read(out, "manifest.json", NULL);
	man = json_loads(text, 0, NULL);
	free(text);
	cr_assert_not_null(man);
	cr_expect_eq(json_array_size(json_object_get(man, "entries")), 9);
	cr_expect_str_eq(json_string_value(json_object_get(measurement_of(man,
		s.mr[0]), "status")), "allowed");
	cr_expect_eq(json_integer_value(json_object_get(measurement_of(man,
		s.mr[0]), "decided_by")), 2);
	cr_expect_str_eq(json_string_value(json_object_get(measurement_of(man,
		s.mr[1]), "status")), "allowed", "CHG-4 (mrsigner, index 5) "
		"comes after the revocation at 4");
	cr_expect_str_eq(json_string_value(json_object_get(measurement_of(man,
		s.mr[2]), "status")), "revoked");
	cr_expect_str_eq(json_string_value(json_object_get(measurement_of(man,
		s.mr[3]), "status")), "not approved");
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(
		man, "checkpoint"), "quorum")), "W1");
	cr_expect_eq(json_array_size(json_object_get(json_object_get(man,
		"checkpoint"), "cosignatures")), 1);
	json_decref(man);
	text = bt_read(out, "report.md", NULL);
	cr_expect_not_null(strstr(text, "| `W1` | 2025-11-25T12:00:00Z |"),
		"%s", text);
	cr_expect_not_null(strstr(text, "### Entry 7: revocation"), "%s",
		text);
	cr_expect_not_null(strstr(text, "server's search index"));
	free(text);
	scene_clear(&s);
}

Test(evidence, writer_refuses_what_fails)
{
	struct scene s;
	struct mlog_error err = { 0, "" };
	struct mlog_policy *pol;
	char out[300], *note = NULL;
	size_t len = 0;
	struct stat st;

	scene_init(&s);
	snprintf(out, sizeof(out), "%s/bundle", s.dir);
	cr_assert_eq(memlog_checkpoint(&s.log, s.log.n, &note, &len),
		MLOG_OK);
	/* No cosignature: the quorum W1 is not met. */
	pol = policy(&s, "W1");
	cr_expect_eq(write_bundle(&s, out, pol, note, len, s.log.n,
		"mrsigner", s.ms, &err), MLOG_ERR_VERIFY);
	cr_expect_neq(lstat(out, &st), 0, "nothing written");
	mlog_policy_free(pol);
	/* Quorum both, with only W1. */
	cr_assert_eq(memlog_cosign(&note, &len, &s.w1, 1764072000), MLOG_OK);
	pol = policy(&s, "both");
	cr_expect_eq(write_bundle(&s, out, pol, note, len, s.log.n,
		"mrsigner", s.ms, &err), MLOG_ERR_VERIFY);
	mlog_policy_free(pol);
	/* A proof against another tree size. */
	pol = policy(&s, "W1");
	free(note);
	cr_assert_eq(memlog_checkpoint(&s.log, s.log.n - 1, &note, &len),
		MLOG_OK);
	cr_assert_eq(memlog_cosign(&note, &len, &s.w1, 1764072000), MLOG_OK);
	cr_expect_eq(write_bundle(&s, out, pol, note, len, s.log.n - 1,
		"mrsigner", s.ms, &err), MLOG_OK, "%s", err.msg);
	cr_expect_eq(cli_evidence_verify(out, NULL, &err), MLOG_OK, "%s",
		err.msg);
	/* The directory now exists: a second write is refused. */
	cr_expect_eq(write_bundle(&s, out, pol, note, len, s.log.n - 1,
		"mrsigner", s.ms, &err), MLOG_ERR_IO);
	/* Bad query. */
	snprintf(out, sizeof(out), "%s/other", s.dir);
	cr_expect_eq(write_bundle(&s, out, pol, note, len, s.log.n - 1,
		"digest", s.ms, &err), MLOG_ERR_MALFORMED);
	mlog_policy_free(pol);
	free(note);
	scene_clear(&s);
}

Test(evidence, unknown_cosignatures_are_dropped)
{
	struct scene s;
	struct mlog_error err = { 0, "" };
	char out[300], *cp;

	scene_init(&s);
	snprintf(out, sizeof(out), "%s/bundle", s.dir);
	scene_bundle(&s, out, 1);
	cp = bt_read(out, "checkpoint", NULL);
	cr_expect_null(strstr(cp, "w9.example"), "%s", cp);
	cr_expect_not_null(strstr(cp, "w1.example"), "%s", cp);
	free(cp);
	cr_expect_eq(cli_evidence_verify(out, NULL, &err), MLOG_OK, "%s",
		err.msg);
	scene_clear(&s);
}

/* Applies one edit to a fresh copy of the bundle and expects code. */
struct edit {
	const char *name;
	void (*fn)(const char *dir, struct scene *s);
	int code;
};

static void e_remove_proof(const char *dir, struct scene *s)
{
	char p[512];

	(void)s;
	snprintf(p, sizeof(p), "%s/entries/3.tlogproof", dir);
	cr_assert_eq(unlink(p), 0);
}

static void e_extra_file(const char *dir, struct scene *s)
{
	(void)s;
	bt_write(dir, "notes.txt", "x", 1);
}

static void e_extra_proof(const char *dir, struct scene *s)
{
	size_t len = 0;
	char *t = bt_read(dir, "entries/3.tlogproof", &len);

	(void)s;
	bt_write(dir, "entries/30.tlogproof", t, len);
	free(t);
}

static void e_swap_proofs(const char *dir, struct scene *s)
{
	size_t l2 = 0, l3 = 0;
	char *t2 = bt_read(dir, "entries/2.tlogproof", &l2);
	char *t3 = bt_read(dir, "entries/3.tlogproof", &l3);

	(void)s;
	bt_write(dir, "entries/2.tlogproof", t3, l3);
	bt_write(dir, "entries/3.tlogproof", t2, l2);
	bt_reseal(dir, "entries/2.tlogproof");
	bt_reseal(dir, "entries/3.tlogproof");
	free(t2);
	free(t3);
}

/* Entry 4 (the revocation of M1) replaced by another log's proof of the
 * same entry: a valid tlog-proof, but not for this checkpoint. */
static void e_other_checkpoint(const char *dir, struct scene *s)
{
	uint8_t proof[MLOG_PROOF_MAX][MLOG_HASH_BYTES];
	char *note = NULL, *text = NULL;
	size_t len = 0, plen = 0, tlen = 0;

	cr_assert_eq(memlog_checkpoint(&s->log, 6, &note, &len), MLOG_OK);
	cr_assert_eq(memlog_cosign(&note, &len, &s->w1, 1764072000), MLOG_OK);
	cr_assert_eq(memlog_prove(&s->log, 4, 6, proof, &plen), MLOG_OK);
	cr_assert_eq(mlog_tlogproof_format(&text, &tlen, s->log.entries[4],
		s->log.lens[4], 4, (const uint8_t (*)[32])proof, plen, note,
		len, NULL), MLOG_OK);
	bt_write(dir, "entries/4.tlogproof", text, tlen);
	bt_reseal(dir, "entries/4.tlogproof");
	free(text);
	free(note);
}

/* The revocation at 7 left out: the report no longer matches. */
static void e_drop_entry(const char *dir, struct scene *s)
{
	char p[512], *text;
	json_t *m, *ents;
	size_t len;

	(void)s;
	snprintf(p, sizeof(p), "%s/entries/7.tlogproof", dir);
	cr_assert_eq(unlink(p), 0);
	text = bt_read(dir, "manifest.json", NULL);
	m = json_loads(text, 0, NULL);
	free(text);
	ents = json_object_get(m, "entries");
	json_array_remove(ents, 7);
	text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	len = strlen(text);
	text = realloc(text, len + 2);
	text[len++] = '\n';
	bt_write(dir, "manifest.json", text, len);
	free(text);
	json_decref(m);
}

static void e_report_claim(const char *dir, struct scene *s)
{
	size_t len = 0;
	char *t = bt_read(dir, "report.md", &len);
	char *p = strstr(t, "**revoked**");

	(void)s;
	cr_assert_not_null(p);
	memcpy(p, "**allowed**", 11);
	bt_write(dir, "report.md", t, len);
	bt_reseal(dir, "report.md");
	free(t);
}

/* A derived claim: manifest.json is not itself hashed, so re-deriving it
 * is what catches this. */
static void e_manifest_claim(const char *dir, struct scene *s)
{
	size_t len = 0;
	char *t = bt_read(dir, "manifest.json", &len);
	char *p = strstr(t, "\"status\": \"revoked\"");

	(void)s;
	cr_assert_not_null(p);
	memcpy(p, "\"status\": \"allowed\"", 19);
	bt_write(dir, "manifest.json", t, len);
	free(t);
}

static void e_checkpoint_extra_sig(const char *dir, struct scene *s)
{
	size_t len = 0;
	char *t = bt_read(dir, "checkpoint", &len);

	cr_assert_eq(memlog_cosign(&t, &len, &s->w9, 1764072009), MLOG_OK);
	bt_write(dir, "checkpoint", t, len);
	bt_reseal(dir, "checkpoint");
	free(t);
}

static void e_policy_comment(const char *dir, struct scene *s)
{
	size_t len = 0;
	char *t = bt_read(dir, "policy", &len), *u = NULL;

	(void)s;
	cr_assert_neq(asprintf(&u, "# hello\n%s", t), -1);
	bt_write(dir, "policy", u, strlen(u));
	bt_reseal(dir, "policy");
	free(t);
	free(u);
}

/* Another log key in the policy: the checkpoint is then unsigned. */
static void e_policy_other_log(const char *dir, struct scene *s)
{
	struct memlog other;
	char line[512], *t, *rest, *u = NULL;

	(void)s;
	cr_assert_eq(memlog_init(&other, "example.com/log", NULL), MLOG_OK);
	cr_assert_eq(memlog_policy_line(&other, line, sizeof(line)), MLOG_OK);
	t = bt_read(dir, "policy", NULL);
	rest = strchr(t, '\n') + 1;
	cr_assert_neq(asprintf(&u, "%s%s", line, rest), -1);
	bt_write(dir, "policy", u, strlen(u));
	bt_reseal(dir, "policy");
	free(t);
	free(u);
	memlog_clear(&other);
}

static void e_symlink(const char *dir, struct scene *s)
{
	char p[512], q[512];

	(void)s;
	snprintf(p, sizeof(p), "%s/report.md", dir);
	snprintf(q, sizeof(q), "%s/report.copy", dir);
	cr_assert_eq(rename(p, q), 0);
	cr_assert_eq(symlink("report.copy", p), 0);
}

static void fifo_for(const char *dir, const char *name)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	cr_assert_eq(unlink(p), 0);
	cr_assert_eq(mkfifo(p, 0644), 0);
}

static void e_fifo_report(const char *dir, struct scene *s)
{
	(void)s;
	fifo_for(dir, "report.md");
}

static void e_fifo_manifest(const char *dir, struct scene *s)
{
	(void)s;
	fifo_for(dir, "manifest.json");
}

static void e_not_json(const char *dir, struct scene *s)
{
	(void)s;
	bt_write(dir, "manifest.json", "{", 1);
}

Test(evidence, tampering_fails)
{
	static const struct edit edits[] = {
		{ "a proof removed", e_remove_proof, MLOG_ERR_VERIFY },
		{ "an extra file", e_extra_file, MLOG_ERR_VERIFY },
		{ "an extra proof", e_extra_proof, MLOG_ERR_VERIFY },
		{ "two proofs swapped, resealed", e_swap_proofs,
		  MLOG_ERR_VERIFY },
		{ "a proof against another checkpoint, resealed",
		  e_other_checkpoint, MLOG_ERR_VERIFY },
		{ "the revocation dropped, manifest rewritten", e_drop_entry,
		  MLOG_ERR_VERIFY },
		{ "a report claim changed, resealed", e_report_claim,
		  MLOG_ERR_VERIFY },
		{ "a manifest claim changed", e_manifest_claim,
		  MLOG_ERR_VERIFY },
		{ "an unknown cosignature added, resealed",
		  e_checkpoint_extra_sig, MLOG_ERR_VERIFY },
		{ "a comment in the policy, resealed", e_policy_comment,
		  MLOG_ERR_VERIFY },
		{ "another log key in the policy, resealed",
		  e_policy_other_log, MLOG_ERR_VERIFY },
		{ "report.md a symlink", e_symlink, MLOG_ERR_VERIFY },
		{ "manifest.json not JSON", e_not_json, MLOG_ERR_MALFORMED },
		{ "report.md a FIFO (no hang)", e_fifo_report,
		  MLOG_ERR_VERIFY },
		{ "manifest.json a FIFO (no hang)", e_fifo_manifest,
		  MLOG_ERR_MALFORMED },
	};
	struct scene s;
	char master[300];

	scene_init(&s);
	snprintf(master, sizeof(master), "%s/master", s.dir);
	scene_bundle(&s, master, 0);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		struct mlog_error err = { 0, "" };
		char copy[320];
		int rc;

		snprintf(copy, sizeof(copy), "%s/copy%zu", s.dir, i);
		bt_copy_tree(master, copy);
		cr_assert_eq(cli_evidence_verify(copy, NULL, &err), MLOG_OK,
			"%s: the copy is valid: %s", edits[i].name, err.msg);
		edits[i].fn(copy, &s);
		rc = cli_evidence_verify(copy, NULL, &err);
		cr_expect_eq(rc, edits[i].code, "%s: got %d (%s)",
			edits[i].name, rc, err.msg);
		cr_expect_neq(err.msg[0], '\0', "%s: no message",
			edits[i].name);
	}
	scene_clear(&s);
}

/* A bundle large enough to be verified on two threads: valid, and a
 * tampered entry in either half is found, the lower one reported. */
Test(evidence, large_bundle_on_two_threads)
{
	struct scene s;
	struct mlog_policy *pol;
	struct mlog_error err = { 0, "" };
	char out[300], *note = NULL, *st, sub[65], mr[65], label[32];
	size_t len = 0;
	uint64_t n;

	scene_init(&s);
	for (int i = 0; i < 300; i++) {
		snprintf(label, sizeof(label), "big-%d", i);
		bt_hex32(mr, label);
		bt_hex32(sub, label + 1);
		snprintf(label, sizeof(label), "build-big-%d", i);
		st = bt_manifest(label, mr, s.ms, 7, sub);
		append(&s, st);
		free(st);
	}
	n = s.log.n;
	cr_assert_gt(n, 256);
	pol = policy(&s, "W1");
	cr_assert_eq(memlog_checkpoint(&s.log, n, &note, &len), MLOG_OK);
	cr_assert_eq(memlog_cosign(&note, &len, &s.w1, 1764072000), MLOG_OK);
	snprintf(out, sizeof(out), "%s/big", s.dir);
	cr_assert_eq(write_bundle(&s, out, pol, note, len, n, "mrsigner",
		s.ms, &err), MLOG_OK, "%s", err.msg);
	cr_expect_eq(cli_evidence_verify(out, NULL, &err), MLOG_OK, "%s",
		err.msg);
	/* Entry 250 (second half) swapped for entry 251, resealed. */
	{
		size_t l1 = 0;
		char *t1 = bt_read(out, "entries/251.tlogproof", &l1);

		bt_write(out, "entries/250.tlogproof", t1, l1);
		bt_reseal(out, "entries/250.tlogproof");
		cr_expect_eq(cli_evidence_verify(out, NULL, &err),
			MLOG_ERR_VERIFY);
		cr_expect_not_null(strstr(err.msg, "entries/250.tlogproof"),
			"%s", err.msg);
		/* And entry 3 (first half): the lower one is reported. */
		bt_write(out, "entries/3.tlogproof", t1, l1);
		bt_reseal(out, "entries/3.tlogproof");
		cr_expect_eq(cli_evidence_verify(out, NULL, &err),
			MLOG_ERR_VERIFY);
		cr_expect_not_null(strstr(err.msg, "entries/3.tlogproof"),
			"%s", err.msg);
		free(t1);
	}
	free(note);
	mlog_policy_free(pol);
	scene_clear(&s);
}

Test(evidence, not_a_bundle)
{
	char dir[256], file[300];
	struct mlog_error err = { 0, "" };

	itest_tmpdir(dir, sizeof(dir));
	cr_expect_eq(cli_evidence_verify(dir, NULL, &err),
		MLOG_ERR_MALFORMED);
	cr_expect_eq(cli_evidence_exit_code(MLOG_ERR_MALFORMED), 2);
	snprintf(file, sizeof(file), "%s/f", dir);
	bt_write(dir, "f", "x", 1);
	cr_expect_eq(cli_evidence_verify(file, NULL, &err),
		MLOG_ERR_MALFORMED);
	snprintf(file, sizeof(file), "%s/absent", dir);
	cr_expect_eq(cli_evidence_verify(file, NULL, &err), MLOG_ERR_IO);
	cr_expect_eq(cli_evidence_exit_code(MLOG_ERR_IO), 2);
	itest_rmtree(dir);
}

/* ---- walk -------------------------------------------------------------- */

struct counted {
	uint64_t n, first, last;
};

static int count_entry(void *ctx, uint64_t index, const uint8_t *e,
	size_t len)
{
	struct counted *c = ctx;

	(void)e;
	(void)len;
	if (c->n == 0)
		c->first = index;
	cr_assert(c->n == 0 || index == c->last + 1, "out of order");
	c->last = index;
	c->n++;
	return 0;
}

Test(walk, ranges_and_corruption)
{
	struct memlog l;
	struct cli_walk_source src;
	struct mlog_error err = { 0, "" };
	uint8_t root[32];
	static const uint64_t ranges[][2] = { { 0, 0 }, { 0, 1 }, { 0, 600 },
		{ 255, 257 }, { 256, 512 }, { 599, 600 }, { 300, 300 } };

	cr_assert_eq(memlog_init(&l, "example.com/walk", NULL), MLOG_OK);
	for (int i = 0; i < 600; i++) {
		char e[32];

		snprintf(e, sizeof(e), "entry-%d", i);
		cr_assert_eq(memlog_append(&l, e, strlen(e)), MLOG_OK);
	}
	memlog_source(&l, &src);
	cr_assert_eq(memlog_root(&l, 600, root), MLOG_OK);
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		struct counted c = { 0, 0, 0 };

		cr_expect_eq(cli_walk_entries(&src, 600, root, ranges[i][0],
			ranges[i][1], count_entry, &c, &err), MLOG_OK, "%s",
			err.msg);
		cr_expect_eq(c.n, ranges[i][1] - ranges[i][0]);
		if (c.n > 0)
			cr_expect_eq(c.first, ranges[i][0]);
	}
	{
		struct counted c = { 0, 0, 0 };

		cr_expect_eq(cli_walk_entries(&src, 600, root, 10, 601,
			count_entry, &c, &err), MLOG_ERR_RANGE);
		l.corrupt_index = 300;
		cr_expect_eq(cli_walk_entries(&src, 600, root, 256, 512,
			count_entry, &c, &err), MLOG_ERR_VERIFY);
		cr_expect_eq(c.n, 300 - 256, "stops at the bad entry");
		cr_expect_not_null(strstr(err.msg, "300"), "%s", err.msg);
		l.corrupt_index = UINT64_MAX;
		root[0] ^= 1;
		cr_expect_eq(cli_walk_entries(&src, 600, root, 0, 1,
			count_entry, &c, &err), MLOG_ERR_VERIFY);
		root[0] ^= 1;
		l.fail_reads = 1;
		cr_expect_eq(cli_walk_entries(&src, 600, root, 0, 1,
			count_entry, &c, &err), MLOG_ERR_IO);
	}
	memlog_clear(&l);
}

/* ---- signerset --------------------------------------------------------- */

Test(signerset, parse_and_check)
{
	char dir[256], text[2048];
	struct itest_signer a, b;
	struct cli_signerset set;
	struct mlog_error err = { 0, "" };
	const struct itest_signer *sa[1] = { &a }, *sb[1] = { &b };
	char *stmt, *env, names[128];
	size_t len = 0;
	const char *bad[] = {
		"",
		"# only a comment\n",
		"a build\n",
		"a build x.pub extra\n",
		"a b@d! x.pub\n",
		"a/b build a.pub\n",
		"a build,build a.pub\n",
		"a build, a.pub\n",
		"a notarole a.pub\n",
		"a build a.pub\na sbom a.pub\n",
		"a build missing.pub\n",
	};

	itest_tmpdir(dir, sizeof(dir));
	itest_signer_new(&a, dir, "a", MLOG_DSSE_ALG_ED25519);
	itest_signer_new(&b, dir, "b", MLOG_DSSE_ALG_ECDSA_P256);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_neq(cli_signerset_parse(&set, bad[i], strlen(bad[i]),
			dir, &err), MLOG_OK, "case %zu: %s", i, bad[i]);
	snprintf(text, sizeof(text), "# signers\n\nci build,sbom a.pub\n"
		"  alice\tapproval  %s  \n", b.pub_path);
	cr_assert_eq(cli_signerset_parse(&set, text, strlen(text), dir, &err),
		MLOG_OK, "%s", err.msg);
	cr_expect_eq(set.n, 2);
	cr_expect_eq(set.signers[0].roles, MLOG_STATEMENT_ROLE_BUILD |
		MLOG_STATEMENT_ROLE_SBOM);
	stmt = itest_build_statement(7);
	env = itest_envelope(sa, 1, stmt, &len);
	cr_expect_eq(cli_signerset_check(&set, (uint8_t *)env, len,
		MLOG_STATEMENT_ROLE_BUILD, names, sizeof(names), &err),
		MLOG_OK, "%s", err.msg);
	cr_expect_str_eq(names, "ci");
	cr_expect_eq(cli_signerset_check(&set, (uint8_t *)env, len,
		MLOG_STATEMENT_ROLE_APPROVAL, names, sizeof(names), &err),
		MLOG_ERR_VERIFY, "ci may not approve");
	cr_expect_not_null(strstr(err.msg, "ci"), "%s", err.msg);
	free(env);
	env = itest_envelope(sb, 1, stmt, &len);
	cr_expect_eq(cli_signerset_check(&set, (uint8_t *)env, len,
		MLOG_STATEMENT_ROLE_BUILD, names, sizeof(names), &err),
		MLOG_ERR_VERIFY, "alice may not sign builds");
	cr_expect_eq(cli_signerset_check(&set, (uint8_t *)env, len,
		MLOG_STATEMENT_ROLE_APPROVAL, names, sizeof(names), &err),
		MLOG_OK);
	cr_expect_str_eq(names, "alice");
	cr_expect_eq(cli_signerset_check(&set, (uint8_t *)"{}", 2,
		MLOG_STATEMENT_ROLE_BUILD, names, sizeof(names), &err),
		MLOG_ERR_MALFORMED);
	free(env);
	free(stmt);
	cli_signerset_clear(&set);
	/* From a file, with relative key paths. */
	bt_write(dir, "signers", "ci build a.pub\n", 15);
	snprintf(text, sizeof(text), "%s/signers", dir);
	cr_expect_eq(cli_signerset_load(&set, text, &err), MLOG_OK, "%s",
		err.msg);
	cli_signerset_clear(&set);
	snprintf(text, sizeof(text), "%s/absent", dir);
	cr_expect_eq(cli_signerset_load(&set, text, &err), MLOG_ERR_IO);
	itest_signer_clear(&a);
	itest_signer_clear(&b);
	itest_rmtree(dir);
}

/* ---- monitor ----------------------------------------------------------- */

/* Runs one advance (and expire at now) and returns the events. */
static json_t *advance(struct cli_monitor *m, struct memlog *l,
	uint64_t size, uint64_t grace, uint64_t now,
	const struct cli_signerset *signers)
{
	struct cli_monitor_config cfg;
	struct cli_walk_source src;
	struct mlog_policy_result res;
	struct mlog_checkpoint cp;
	struct mlog_error err = { 0, "" };
	char *note = NULL, *buf = NULL;
	size_t len = 0, blen = 0;
	json_t *events;
	const char *nl;

	memset(&cfg, 0, sizeof(cfg));
	memset(&res, 0, sizeof(res));
	cfg.grace = grace;
	cfg.signers = signers;
	cfg.events = open_memstream(&buf, &blen);
	cr_assert_not_null(cfg.events);
	memlog_source(l, &src);
	cr_assert_eq(memlog_checkpoint(l, size, &note, &len), MLOG_OK);
	nl = strstr(note, "\n\n");
	mlog_checkpoint_init(&cp);
	cr_assert_eq(mlog_checkpoint_parse(&cp, note, (size_t)(nl - note) + 1,
		NULL), MLOG_OK);
	cr_assert_eq(cli_monitor_advance(m, &cfg, note, len, &cp, &res, &src,
		&err), MLOG_OK, "%s", err.msg);
	cr_assert_eq(cli_monitor_expire(m, &cfg, now, &err), MLOG_OK, "%s",
		err.msg);
	fclose(cfg.events);
	events = bt_json_lines(buf);
	free(buf);
	free(note);
	mlog_checkpoint_clear(&cp);
	return events;
}

static size_t count(const json_t *ev, const char *type)
{
	json_t *of = bt_events_of(ev, type);
	size_t n = json_array_size(of);

	json_decref(of);
	return n;
}

Test(monitor, events_state_and_forks)
{
	struct scene s;
	struct cli_monitor *m = NULL, *m2 = NULL;
	struct mlog_error err = { 0, "" };
	char state[300], *st, sub[65];
	json_t *ev, *of;
	uint64_t now = (uint64_t)time(NULL);

	scene_init(&s);
	snprintf(state, sizeof(state), "%s/state", s.dir);
	cr_assert_eq(cli_monitor_open(&m, state, &err), MLOG_OK, "%s",
		err.msg);
	cr_expect_eq(cli_monitor_open(&m2, state, &err), MLOG_ERR_CONFLICT,
		"the state is locked");
	/* First pass over entries 0..5, long grace. */
	ev = advance(m, &s.log, 6, 3600, now, NULL);
	cr_expect_eq(count(ev, "measurement_published"), 2);
	cr_expect_eq(count(ev, "measurement_approved"), 3);
	cr_expect_eq(count(ev, "approval_revoked"), 1);
	cr_expect_eq(count(ev, "unapproved_measurement"), 0);
	of = bt_events_of(ev, "measurement_approved");
	cr_expect_eq(json_integer_value(json_array_get(json_object_get(
		json_array_get(of, 0), "covers_pending"), 0)), 0,
		"CHG-1 settles the build at 0");
	json_decref(of);
	json_decref(ev);
	cr_expect_eq(cli_monitor_size(m), 6);
	cr_expect_eq(cli_monitor_pending(m), 0);
	/* Same checkpoint again: nothing. */
	ev = advance(m, &s.log, 6, 3600, now, NULL);
	cr_expect_eq(json_array_size(ev), 0);
	json_decref(ev);
	cli_monitor_close(m);

	/* Reopen: the state carries the approvals (the MRSIGNER one
	 * approves build 6 as it is published) and the pending list. */
	cr_assert_eq(cli_monitor_open(&m, state, &err), MLOG_OK, "%s",
		err.msg);
	cr_expect_eq(cli_monitor_size(m), 6);
	ev = advance(m, &s.log, 9, 3600, now, NULL);
	of = bt_events_of(ev, "measurement_published");
	cr_assert_eq(json_array_size(of), 2);
	cr_expect(json_is_true(json_object_get(json_array_get(of, 0),
		"approved")), "build 6 is covered by CHG-4");
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(of,
		0), "ticket")), "CHG-4");
	cr_expect(json_is_false(json_object_get(json_array_get(of, 1),
		"approved")), "build 8 (svn 1) is not");
	json_decref(of);
	cr_expect_eq(count(ev, "approval_revoked"), 1);
	json_decref(ev);
	cr_expect_eq(cli_monitor_pending(m), 1);
	/* Grace passes: reported once. */
	ev = advance(m, &s.log, 9, 60, now + 61, NULL);
	cr_expect_eq(count(ev, "unapproved_measurement"), 1);
	json_decref(ev);
	ev = advance(m, &s.log, 9, 60, now + 120, NULL);
	cr_expect_eq(json_array_size(ev), 0);
	json_decref(ev);

	/* Drift: build-0's ID again with another MRENCLAVE; and the same
	 * subject digest as build-1 under a new ID. */
	bt_hex32(sub, "subject-9");
	st = bt_manifest("build-0", s.mr[3], s.ms, 4, sub);
	append(&s, st);
	free(st);
	bt_hex32(sub, "subject-1");
	st = bt_manifest("build-10", s.mr[2], s.ms, 4, sub);
	append(&s, st);
	free(st);
	ev = advance(m, &s.log, 11, 3600, now, NULL);
	of = bt_events_of(ev, "measurement_drift");
	cr_expect_eq(json_array_size(of), 2);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(of,
		0), "same")), "build_id");
	cr_expect_eq(json_integer_value(json_object_get(json_array_get(of, 0),
		"previous_index")), 0);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(of,
		1), "same")), "subject");
	json_decref(of);
	json_decref(ev);
	cr_expect_eq(cli_monitor_failures(m), 0);

	/* A fork: a log with the same key whose entry 10 differs. */
	{
		struct memlog fork;

		cr_assert_eq(memlog_init(&fork, "example.com/log", NULL),
			MLOG_OK);
		fork.key = s.log.key;
		for (uint64_t i = 0; i < 10; i++)
			cr_assert_eq(memlog_append(&fork, s.log.entries[i],
				s.log.lens[i]), MLOG_OK);
		cr_assert_eq(memlog_append(&fork, "{}", 2), MLOG_OK);
		cr_assert_eq(memlog_append(&fork, "{}", 2), MLOG_OK);
		ev = advance(m, &fork, 11, 3600, now, NULL);
		of = bt_events_of(ev, "verification_failure");
		cr_expect_eq(json_array_size(of), 1, "same size, two roots");
		json_decref(of);
		json_decref(ev);
		ev = advance(m, &fork, 12, 3600, now, NULL);
		of = bt_events_of(ev, "verification_failure");
		cr_expect_eq(json_array_size(of), 1, "not consistent");
		cr_expect_str_eq(json_string_value(json_object_get(
			json_array_get(of, 0), "check")), "consistency");
		json_decref(of);
		json_decref(ev);
		cr_expect_eq(cli_monitor_size(m), 11, "state kept");
		/* An older checkpoint of the real log: stale, no event. */
		ev = advance(m, &s.log, 5, 3600, now, NULL);
		cr_expect_eq(json_array_size(ev), 0);
		json_decref(ev);
		/* An older checkpoint while the log serves the fork's tiles:
		 * they do not hash to the verified root, so the prefix
		 * cannot be shown. */
		ev = advance(m, &fork, 10, 3600, now, NULL);
		cr_expect_eq(count(ev, "verification_failure"), 1);
		json_decref(ev);
		memset(&fork.key, 0, sizeof(fork.key));
		memlog_clear(&fork);
	}
	cr_expect_eq(cli_monitor_failures(m), 3);
	cli_monitor_close(m);
	scene_clear(&s);
}

Test(monitor, bad_entries_and_signers)
{
	struct scene s;
	struct cli_monitor *m = NULL;
	struct mlog_error err = { 0, "" };
	struct cli_signerset set;
	struct itest_signer other;
	char state[300], text[512];
	json_t *ev, *of;

	scene_init(&s);
	itest_signer_new(&other, s.dir, "other", MLOG_DSSE_ALG_ED25519);
	/* The signers file knows only "other": every entry fails. */
	snprintf(text, sizeof(text), "other build,sbom,approval %s\n",
		other.pub_path);
	cr_assert_eq(cli_signerset_parse(&set, text, strlen(text), s.dir,
		&err), MLOG_OK, "%s", err.msg);
	cr_assert_eq(memlog_append(&s.log, "not an entry", 12), MLOG_OK);
	snprintf(state, sizeof(state), "%s/state", s.dir);
	cr_assert_eq(cli_monitor_open(&m, state, &err), MLOG_OK, "%s",
		err.msg);
	ev = advance(m, &s.log, s.log.n, 3600, (uint64_t)time(NULL), &set);
	of = bt_events_of(ev, "verification_failure");
	cr_expect_eq(json_array_size(of), s.log.n);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(of,
		s.log.n - 1), "check")), "entry");
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(of,
		0), "severity")), "CRITICAL");
	json_decref(of);
	cr_expect_eq(count(ev, "measurement_approved"), 0, "unsigned "
		"approvals do not count");
	cr_expect_eq(count(ev, "measurement_published"), 4);
	json_decref(ev);
	cr_expect_eq(cli_monitor_pending(m), 4);
	cli_monitor_close(m);
	cli_signerset_clear(&set);
	itest_signer_clear(&other);
	/* A saved state whose pending entry lies at or past its position (a
	 * hand edit, a torn copy) is refused, not loaded inconsistent. */
	{
		char *saved = bt_read(state, "state.json", NULL);
		json_t *st = json_loads(saved, 0, NULL), *first;
		char *edited;

		cr_assert_not_null(st);
		first = json_array_get(json_object_get(st, "pending"), 0);
		cr_assert_not_null(first);
		json_object_set_new(first, "index", json_integer(
			json_integer_value(json_object_get(st, "position"))));
		edited = json_dumps(st, JSON_INDENT(1));
		bt_write(state, "state.json", edited, strlen(edited));
		cr_expect_eq(cli_monitor_open(&m, state, &err),
			MLOG_ERR_MALFORMED);
		cr_expect_not_null(strstr(err.msg, "state.json"), "%s",
			err.msg);
		free(edited);
		json_decref(st);
		free(saved);
	}
	/* A state file that is not one is never overwritten. */
	bt_write(state, "state.json", "{\"version\":2}", 13);
	cr_expect_eq(cli_monitor_open(&m, state, &err), MLOG_ERR_MALFORMED);
	scene_clear(&s);
}
