/*
 * test_mlogd_submit.c — POST /v1/entries against a real mlogd (SPEC §2,
 * §3): receipts from Ed25519 and ECDSA P-256 signers, every refusal
 * status for every class of bad input (and the server keeps serving after
 * each), duplicates (resubmitted, re-serialised, raced inside one batch),
 * and backpressure (429 with Retry-After).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jansson.h>
#include <sodium.h>

#include "codec.h"
#include "dsse.h"
#include "hash.h"
#include "harness.h"

static void init(void)
{
	itest_init();
}

TestSuite(submit, .init = init);

/* The signers every test here configures. */
enum { ED_BUILD, EC_BUILD_APPROVAL, ED_APPROVAL, ED_STRANGER, NSIGNERS };

struct fixture {
	struct itest_log log;
	struct itest_signer s[NSIGNERS];
	char flags[NSIGNERS][400];
	char url[128];
};

/* A log with three configured signers (a fourth, "stranger", is not) and
 * extra serve flags. */
static void fixture_start(struct fixture *f, const char *const *extra)
{
	const char *argv[32];
	size_t n = 0;

	itest_log_init(&f->log, "example.com/submit");
	itest_signer_new(&f->s[ED_BUILD], f->log.dir, "ci-ed",
		MLOG_DSSE_ALG_ED25519);
	itest_signer_new(&f->s[EC_BUILD_APPROVAL], f->log.dir, "ci-ec",
		MLOG_DSSE_ALG_ECDSA_P256);
	itest_signer_new(&f->s[ED_APPROVAL], f->log.dir, "approver",
		MLOG_DSSE_ALG_ED25519);
	itest_signer_new(&f->s[ED_STRANGER], f->log.dir, "stranger",
		MLOG_DSSE_ALG_ED25519);
	itest_signer_flag(f->flags[0], sizeof(f->flags[0]), &f->s[ED_BUILD],
		"build");
	itest_signer_flag(f->flags[1], sizeof(f->flags[1]),
		&f->s[EC_BUILD_APPROVAL], "build,approval");
	itest_signer_flag(f->flags[2], sizeof(f->flags[2]),
		&f->s[ED_APPROVAL], "approval");
	for (int i = 0; i < 3; i++) {
		argv[n++] = "--signer";
		argv[n++] = f->flags[i];
	}
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	itest_log_start(&f->log, argv);
	snprintf(f->url, sizeof(f->url), "%s/v1/entries", f->log.url);
}

static void fixture_stop(struct fixture *f)
{
	cr_assert_eq(itest_log_stop(&f->log), 0, "mlogd did not exit 0");
	for (int i = 0; i < NSIGNERS; i++)
		itest_signer_clear(&f->s[i]);
	itest_log_cleanup(&f->log);
}

/* An envelope of statement signed by the signers listed (up to 2). */
static char *sign1(const struct fixture *f, int who, const char *statement,
	size_t *len)
{
	const struct itest_signer *s[1] = { &f->s[who] };

	return itest_envelope(s, 1, statement, len);
}

static char *build_env(const struct fixture *f, int who, uint64_t seed,
	size_t *len)
{
	char *st = itest_build_statement(seed);
	char *env = sign1(f, who, st, len);

	free(st);
	return env;
}

static char *approval_env(const struct fixture *f, int who, uint64_t seed,
	const char *ticket, size_t *len)
{
	char mre[65], *st, *env;

	itest_mrenclave(mre, seed);
	st = itest_approval_statement(mre, ticket, "approved");
	env = sign1(f, who, st, len);
	free(st);
	return env;
}

/* Posts a valid new entry and asserts 201 with a receipt that verifies:
 * the server still serves. Returns the index. */
static uint64_t post_ok(const struct fixture *f, const char *env, size_t len,
	long want)
{
	struct itest_http r;
	uint64_t index;

	itest_post(&r, f->url, env, len);
	cr_assert_eq(r.status, want, "want %ld, got %ld: %s", want, r.status,
		r.body);
	cr_assert(strncmp(r.content_type, "application/json", 16) == 0);
	index = itest_check_receipt(&f->log, r.body, env, len, NULL, NULL);
	itest_http_clear(&r);
	return index;
}

static uint64_t post_new_build(const struct fixture *f, uint64_t seed)
{
	size_t len;
	char *env = build_env(f, ED_BUILD, seed, &len);
	uint64_t index = post_ok(f, env, len, 201);

	free(env);
	return index;
}

static json_t *get_entry(const struct fixture *f, uint64_t index)
{
	struct itest_http r;
	json_t *j;

	itest_getf(&r, "%s/v1/entries/%llu", f->log.url,
		(unsigned long long)index);
	cr_assert_eq(r.status, 200, "/v1/entries/%llu: %ld %s",
		(unsigned long long)index, r.status, r.body);
	j = itest_json(&r);
	itest_http_clear(&r);
	return j;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names in an entry's "signers", sorted, as "a,b". */
static void signer_names(char *out, size_t cap, const json_t *entry)
{
	const json_t *arr = json_object_get(entry, "signers");
	const char *names[NSIGNERS];
	size_t n = json_array_size(arr);

	cr_assert(json_is_array(arr) && n <= NSIGNERS);
	for (size_t i = 0; i < n; i++) {
		names[i] = json_string_value(json_array_get(arr, i));
		cr_assert_not_null(names[i]);
	}
	qsort(names, n, sizeof(names[0]), cmp_str);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(out);

		snprintf(out + used, cap - used, "%s%s", i ? "," : "",
			names[i]);
	}
}

Test(submit, mixed_signers_receipts_and_indexes, .timeout = 120)
{
	struct fixture f;
	const struct itest_signer *both[2];
	struct itest_job jobs[48];
	char *envs[48];
	size_t lens[48], len;
	uint8_t seen[48] = { 0 };
	uint64_t next = 0;

	fixture_start(&f, NULL);
	both[0] = &f.s[ED_BUILD];
	both[1] = &f.s[EC_BUILD_APPROVAL];
	/* One at a time: each receipt's index is the next one. */
	for (uint64_t i = 0; i < 12; i++) {
		char *env, *st, names[128];
		const char *want;
		json_t *e;

		switch (i % 4) {
		case 0:
			env = build_env(&f, ED_BUILD, 100 + i, &len);
			want = "ci-ed";
			break;
		case 1:
			env = build_env(&f, EC_BUILD_APPROVAL, 100 + i, &len);
			want = "ci-ec";
			break;
		case 2:
			env = approval_env(&f, i % 8 == 2 ? ED_APPROVAL
				: EC_BUILD_APPROVAL, 100 + i, "CHG-1", &len);
			want = i % 8 == 2 ? "approver" : "ci-ec";
			break;
		default:
			st = itest_build_statement(100 + i);
			env = itest_envelope(both, 2, st, &len);
			free(st);
			want = "ci-ec,ci-ed";
			break;
		}
		cr_assert_eq(post_ok(&f, env, len, 201), next,
			"entry %llu not at the next index",
			(unsigned long long)i);
		e = get_entry(&f, next);
		signer_names(names, sizeof(names), e);
		cr_assert_str_eq(names, want, "entry %llu signers",
			(unsigned long long)next);
		json_decref(e);
		free(env);
		next++;
	}
	/* Then 48 at once from 8 threads: the indexes are exactly the next
	 * 48, each receipt verifies and the leaf is the canonical envelope. */
	for (size_t i = 0; i < 48; i++) {
		envs[i] = i % 2 ? build_env(&f, EC_BUILD_APPROVAL, 200 + i,
			&lens[i]) : build_env(&f, ED_BUILD, 200 + i, &lens[i]);
		jobs[i].body = envs[i];
		jobs[i].len = lens[i];
	}
	itest_post_many(&f.log, jobs, 48, 8, NULL);
	for (size_t i = 0; i < 48; i++) {
		uint64_t index;

		cr_assert_eq(jobs[i].r.status, 201, "job %zu: %ld %s", i,
			jobs[i].r.status, jobs[i].r.body);
		index = itest_check_receipt(&f.log, jobs[i].r.body, envs[i],
			lens[i], NULL, NULL);
		cr_assert(index >= next && index < next + 48,
			"index %llu outside the batch",
			(unsigned long long)index);
		cr_assert_eq(seen[index - next], 0, "index %llu given twice",
			(unsigned long long)index);
		seen[index - next] = 1;
		free(envs[i]);
	}
	itest_jobs_clear(jobs, 48);
	{
		uint64_t size;

		itest_checkpoint(&f.log, &size, NULL, NULL);
		cr_assert_eq(size, next + 48);
	}
	fixture_stop(&f);
}

/* ---- bad input ----------------------------------------------------------- */

static char *b64(const void *data, size_t len)
{
	char *out = malloc(MLOG_CODEC_B64_LEN(len) + 1);

	cr_assert_not_null(out);
	cr_assert_geq(mlog_codec_base64_encode(out, MLOG_CODEC_B64_LEN(len) +
		1, data, len), 0);
	return out;
}

/* {"payload":P,"payloadType":T,"signatures":[{"keyid":"","sig":S}]} */
static char *raw_envelope(const char *payload_b64, const char *type,
	const char *sig_b64)
{
	char *out;

	cr_assert_neq(asprintf(&out, "{\"payload\":\"%s\",\"payloadType\":"
		"\"%s\",\"signatures\":[{\"keyid\":\"\",\"sig\":\"%s\"}]}",
		payload_b64, type, sig_b64), -1);
	return out;
}

/* An envelope over body (any bytes) with a real signature by who. */
static char *signed_raw(const struct fixture *f, int who, const char *type,
	const void *body, size_t body_len)
{
	uint8_t sig[MLOG_DSSE_SIG_MAX];
	size_t sig_len = 0;
	struct mlog_error err = { 0, "" };
	char *p, *s, *out;

	cr_assert_eq(mlog_dsse_sign_one(sig, sizeof(sig), &sig_len, type,
		strlen(type), body, body_len, f->s[who].key, &err), MLOG_OK,
		"%s", err.msg);
	p = b64(body, body_len);
	s = b64(sig, sig_len);
	out = raw_envelope(p, type, s);
	free(p);
	free(s);
	return out;
}

static char *signed_statement(const struct fixture *f, int who,
	const char *st)
{
	return signed_raw(f, who, MLOG_DSSE_TYPE_INTOTO, st, strlen(st));
}

/* statement with the first occurrence of from replaced by to. */
static char *replace(const char *statement, const char *from, const char *to)
{
	const char *at = strstr(statement, from);
	char *out;

	cr_assert_not_null(at, "'%s' not in the statement", from);
	cr_assert_neq(asprintf(&out, "%.*s%s%s", (int)(at - statement),
		statement, to, at + strlen(from)), -1);
	return out;
}

struct bad_case {
	const char *what;
	char *body;
	size_t len;
	long status;
};

Test(submit, every_bad_input_is_refused_and_the_server_keeps_serving,
	.timeout = 120)
{
	struct fixture f;
	struct bad_case cases[40];
	size_t ncases = 0;
	char mre[65], *st, *other, *tmp, *big;
	uint64_t seed = 1000, index = 0;

	fixture_start(&f, NULL);
	st = itest_build_statement(7);
	itest_mrenclave(mre, 7);
#define ADD(w, b, l, s) do {                                               \
		cr_assert_lt(ncases, sizeof(cases) / sizeof(cases[0]));    \
		cases[ncases++] = (struct bad_case){ w, b, l, s };         \
	} while (0)
#define ADDS(w, b, s) do {                                                 \
		char *b_ = (b);                                            \
		ADD(w, b_, strlen(b_), s);                                 \
	} while (0)
	/* Does not parse: 400. */
	ADDS("empty body", strdup(""), 400);
	ADDS("malformed JSON", strdup("{\"payload\":"), 400);
	ADDS("JSON array", strdup("[]"), 400);
	ADDS("JSON string", strdup("\"x\""), 400);
	ADDS("trailing garbage", strdup("{} x"), 400);
	tmp = signed_statement(&f, ED_BUILD, st);
	ADDS("extra envelope member", replace(tmp, "{\"payload\"",
		"{\"extra\":1,\"payload\""), 400);
	ADDS("duplicate member", replace(tmp, "{\"payload\"",
		"{\"payloadType\":\"x\",\"payload\""), 400);
	free(tmp);
	ADDS("invalid UTF-8", strdup("{\"payload\":\"\xff\",\"payloadType\":"
		"\"a\",\"signatures\":[{\"sig\":\"AA==\"}]}"), 400);
	{
		char *p = b64(st, strlen(st));

		ADDS("bad base64 payload", raw_envelope("!!!!",
			MLOG_DSSE_TYPE_INTOTO, "AAAA"), 400);
		ADDS("unpadded base64 payload", raw_envelope("eyJ",
			MLOG_DSSE_TYPE_INTOTO, "AAAA"), 400);
		ADDS("bad base64 sig", raw_envelope(p, MLOG_DSSE_TYPE_INTOTO,
			"not*base64"), 400);
		ADDS("url-safe base64 sig", raw_envelope(p,
			MLOG_DSSE_TYPE_INTOTO, "__-_"), 400);
		cr_assert_neq(asprintf(&tmp, "{\"payload\":\"%s\","
			"\"payloadType\":\"%s\",\"signatures\":[]}", p,
			MLOG_DSSE_TYPE_INTOTO), -1);
		ADDS("no signatures", tmp, 400);
		free(p);
	}
	/* Parses, but the payload is not a valid Statement: 400 whatever the
	 * signature (shape before signatures). */
	ADDS("payload not JSON", signed_raw(&f, ED_BUILD,
		MLOG_DSSE_TYPE_INTOTO, "hello world", 11), 400);
	ADDS("payload not a Statement", signed_raw(&f, ED_BUILD,
		MLOG_DSSE_TYPE_INTOTO, "{\"a\":1}", 7), 400);
	ADDS("wrong payloadType", signed_raw(&f, ED_BUILD, "text/plain", st,
		strlen(st)), 400);
	tmp = replace(st, "urn:mlog:build-manifest:v1", "urn:mlog:unknown:v1");
	ADDS("unknown predicateType", signed_statement(&f, ED_BUILD, tmp),
		400);
	free(tmp);
	{
		char short_mre[64], *needle;

		memcpy(short_mre, mre, 63);
		short_mre[63] = '\0';
		cr_assert_neq(asprintf(&needle, "\"mrenclave\":\"%s\"", mre),
			-1);
		cr_assert_neq(asprintf(&other, "\"mrenclave\":\"%s\"",
			short_mre), -1);
		tmp = replace(st, needle, other);
		ADDS("mrenclave of 63 hex digits", signed_statement(&f,
			ED_BUILD, tmp), 400);
		free(tmp);
		free(other);
		free(needle);
	}
	tmp = replace(st, "\"_type\":\"https://in-toto.io/Statement/v1\",",
		"");
	ADDS("no _type", signed_statement(&f, ED_BUILD, tmp), 400);
	free(tmp);
	tmp = itest_approval_statement(mre, "", "approved");
	ADDS("empty ticket", signed_statement(&f, ED_APPROVAL, tmp), 400);
	free(tmp);
	tmp = itest_approval_statement(mre, "CHG 1", "approved");
	ADDS("ticket with a space", signed_statement(&f, ED_APPROVAL, tmp),
		400);
	free(tmp);
	tmp = itest_approval_statement(mre, "CHG-1", "maybe");
	ADDS("bad decision", signed_statement(&f, ED_APPROVAL, tmp), 400);
	free(tmp);
	/* Well-formed, but no valid signature from an allowed signer: 403. */
	{
		struct mlog_dsse_envelope *env = NULL;
		const struct mlog_dsse_key *k[1] = { f.s[ED_BUILD].key };
		char *out = NULL;
		size_t out_len = 0;

		cr_assert_eq(mlog_dsse_sign(&env, MLOG_DSSE_TYPE_INTOTO,
			(const uint8_t *)st, strlen(st), k, 1, NULL), MLOG_OK);
		env->sigs[0].sig[5] ^= 0x10;
		cr_assert_eq(mlog_dsse_format(&out, &out_len, env, NULL),
			MLOG_OK);
		ADD("bad signature", out, out_len, 403);
		mlog_dsse_free(env);
	}
	ADDS("unknown signer", signed_statement(&f, ED_STRANGER, st), 403);
	tmp = itest_approval_statement(mre, "CHG-1", "approved");
	ADDS("wrong role (build signer, approval)", signed_statement(&f,
		ED_BUILD, tmp), 403);
	free(tmp);
	ADDS("wrong role (approval signer, build)", signed_statement(&f,
		ED_APPROVAL, st), 403);
	{
		/* A valid signature over statement 7, payload swapped for the
		 * (valid) statement 8. */
		char *st8 = itest_build_statement(8);
		char *env7 = signed_statement(&f, ED_BUILD, st);
		char *p7 = b64(st, strlen(st)), *p8 = b64(st8, strlen(st8));

		ADDS("payload swapped under a valid signature",
			replace(env7, p7, p8), 403);
		free(st8);
		free(env7);
		free(p7);
		free(p8);
	}
	/* Too large: 413. */
	big = malloc(70000);
	cr_assert_not_null(big);
	memset(big, ' ', 70000);
	big[0] = '{';
	big[69999] = '}';
	ADD("body of 70,000 bytes", big, 70000, 413);
	big = malloc(65536);
	cr_assert_not_null(big);
	memset(big, ' ', 65536);
	ADD("body of 65,536 bytes", big, 65536, 413);
#undef ADDS
#undef ADD

	for (size_t i = 0; i < ncases; i++) {
		struct itest_http r;

		itest_post(&r, f.url, cases[i].body, cases[i].len);
		cr_assert_eq(r.status, cases[i].status, "%s: want %ld, got "
			"%ld: %s", cases[i].what, cases[i].status, r.status,
			r.body);
		itest_assert_error(&r, cases[i].status);
		itest_http_clear(&r);
		/* Still serving: a valid new entry gets the next index. */
		cr_assert_eq(post_new_build(&f, seed++), index, "after %s",
			cases[i].what);
		index++;
		free(cases[i].body);
	}
	free(st);
	fixture_stop(&f);
}

/* A body larger than the limit is refused from its announced length, before
 * it is sent; a chunked one as it arrives. */
Test(submit, oversize_is_refused_without_reading_it, .timeout = 60)
{
	struct fixture f;
	char *reply = NULL, *req, *chunk;
	long status;
	size_t len;

	fixture_start(&f, NULL);
	/* Announce 100 MB, send nothing: the answer must come anyway. */
	cr_assert_neq(asprintf(&req, "POST /v1/entries HTTP/1.1\r\n"
		"Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
		"Content-Length: 100000000\r\n\r\n"), -1);
	status = itest_raw(&f.log, req, strlen(req), &reply, 5000);
	cr_assert_eq(status, 413, "announced 100 MB: %s", reply);
	cr_assert_not_null(strstr(reply, "{\"error\":"), "%s", reply);
	free(reply);
	free(req);
	/* Just over the limit, announced. */
	cr_assert_neq(asprintf(&req, "POST /v1/entries HTTP/1.1\r\n"
		"Host: 127.0.0.1\r\nContent-Length: 65536\r\n\r\n{"), -1);
	status = itest_raw(&f.log, req, strlen(req), &reply, 5000);
	cr_assert_eq(status, 413, "announced 65,536: %s", reply);
	free(reply);
	free(req);
	/* Chunked, no length announced: 3 chunks of 30,000 bytes. */
	chunk = malloc(30000);
	cr_assert_not_null(chunk);
	memset(chunk, ' ', 30000);
	len = strlen("POST /v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		"Transfer-Encoding: chunked\r\n\r\n");
	req = malloc(len + 3 * (30000 + 16) + 8);
	cr_assert_not_null(req);
	memcpy(req, "POST /v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		"Transfer-Encoding: chunked\r\n\r\n", len);
	for (int i = 0; i < 3; i++) {
		len += (size_t)sprintf(req + len, "7530\r\n");
		memcpy(req + len, chunk, 30000);
		len += 30000;
		memcpy(req + len, "\r\n", 2);
		len += 2;
	}
	memcpy(req + len, "0\r\n\r\n", 5);
	len += 5;
	status = itest_raw(&f.log, req, len, &reply, 5000);
	cr_assert_eq(status, 413, "chunked 90,000 bytes: %.200s", reply);
	free(reply);
	free(req);
	free(chunk);
	/* And the server still takes a valid entry. */
	cr_assert_eq(post_new_build(&f, 1), 0);
	fixture_stop(&f);
}

/* ---- size limit ------------------------------------------------------- */

/* Statement 7 with a padding string of n bytes in its predicate (unknown
 * members are kept). */
static char *padded_statement(size_t n)
{
	char *st = itest_build_statement(7), *pad = malloc(n + 1), *out;
	const char *at = strstr(st, "\"predicate\":{");

	cr_assert(pad != NULL && at != NULL);
	memset(pad, 'p', n);
	pad[n] = '\0';
	cr_assert_neq(asprintf(&out, "%.*s\"predicate\":{\"padding\":\"%s\",%s",
		(int)(at - st), st, pad, at + 13), -1);
	free(st);
	free(pad);
	return out;
}

/* An envelope signed by ED_BUILD, its keyid present or absent (then the
 * canonical form is 11 bytes longer: "keyid":"",). */
static char *padded_envelope(const struct fixture *f, size_t pad, int keyid)
{
	char *st = padded_statement(pad), *env = signed_statement(f, ED_BUILD,
		st);

	free(st);
	if (!keyid) {
		char *bare = replace(env, "{\"keyid\":\"\",", "{");

		free(env);
		env = bare;
	}
	return env;
}

/* An envelope of exactly want bytes, or NULL if base64's steps of 4 skip
 * that length. */
static char *envelope_of_length(const struct fixture *f, size_t want,
	int keyid)
{
	char *st = padded_statement(0), *env = padded_envelope(f, 0, keyid);
	size_t base = strlen(st);
	size_t fixed = strlen(env) - MLOG_CODEC_B64_LEN(base), b64;

	free(st);
	free(env);
	b64 = want - fixed;
	if (b64 % 4 != 0)
		return NULL;
	env = padded_envelope(f, b64 / 4 * 3 - base, keyid);
	cr_assert_eq(strlen(env), want);
	return env;
}

Test(submit, entries_at_the_size_limit, .timeout = 120)
{
	struct fixture f;
	struct itest_http r;
	char *env = NULL;
	size_t len;
	uint64_t index;

	fixture_start(&f, NULL);
	/* The largest entry: 65,535 bytes (or just under, as base64
	 * allows), accepted and read back whole. */
	for (size_t want = 65535; env == NULL && want > 65530; want--)
		env = envelope_of_length(&f, want, 1);
	cr_assert_not_null(env);
	len = strlen(env);
	index = post_ok(&f, env, len, 201);
	cr_assert_eq(post_ok(&f, env, len, 200), index);
	{
		json_t *e = get_entry(&f, index), *want = json_loads(env, 0,
			NULL);

		cr_assert(json_equal(json_object_get(e, "envelope"), want),
			"the largest entry does not read back");
		json_decref(e);
		json_decref(want);
	}
	itest_getf(&r, "%s/tile/entries/000.p/1", f.log.url);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(r.len, 2 + len);
	cr_assert_arr_eq(r.body + 2, env, len);
	itest_http_clear(&r);
	free(env);
	/* At most 65,535 bytes in, but over it once re-encoded (the absent
	 * keyid becomes "keyid":""): 413, not a truncated leaf. */
	env = NULL;
	for (size_t want = 65535; env == NULL && want > 65525; want--)
		env = envelope_of_length(&f, want, 0);
	cr_assert_not_null(env);
	itest_post(&r, f.url, env, strlen(env));
	itest_assert_error(&r, 413);
	itest_http_clear(&r);
	free(env);
	cr_assert_eq(post_new_build(&f, 1), 1);
	fixture_stop(&f);
}

/* ---- duplicates ---------------------------------------------------------- */

/* env re-serialised: members in reverse order, indented. */
static char *reserialise(const char *env)
{
	json_t *in = json_loads(env, 0, NULL), *out = json_object();
	const char *keys[3] = { "signatures", "payloadType", "payload" };
	char *text;

	cr_assert_not_null(in);
	for (int i = 0; i < 3; i++)
		json_object_set(out, keys[i], json_object_get(in, keys[i]));
	text = json_dumps(out, JSON_INDENT(3) | JSON_PRESERVE_ORDER);
	cr_assert_not_null(text);
	cr_assert_str_neq(text, env);
	json_decref(in);
	json_decref(out);
	return text;
}

static uint64_t tree_size(const struct fixture *f)
{
	uint64_t size;

	itest_checkpoint(&f->log, &size, NULL, NULL);
	return size;
}

Test(submit, duplicates_get_the_existing_index, .timeout = 120)
{
	const char *extra[] = { "--batch-ms", "400", "--batch-idle-ms", "0",
		NULL };
	struct fixture f;
	struct itest_job jobs[8];
	char *env, *again, *bodies[8];
	size_t len;
	uint64_t first, index = UINT64_MAX;
	int created = 0;

	fixture_start(&f, extra);
	cr_assert_eq(post_new_build(&f, 1), 0);
	env = build_env(&f, ED_BUILD, 2, &len);
	first = post_ok(&f, env, len, 201);
	cr_assert_eq(first, 1);
	/* The same bytes again, twice. */
	cr_assert_eq(post_ok(&f, env, len, 200), first);
	cr_assert_eq(post_ok(&f, env, len, 200), first);
	/* Re-serialised: other member order and whitespace, same leaf. */
	again = reserialise(env);
	{
		struct itest_http r;

		itest_post(&r, f.url, again, strlen(again));
		cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
		cr_assert_eq(itest_check_receipt(&f.log, r.body, env, len,
			NULL, NULL), first);
		itest_http_clear(&r);
	}
	free(again);
	cr_assert_eq(tree_size(&f), 2);
	free(env);
	/* Raced: the same new envelope from 8 threads lands in one batch
	 * (400 ms) and gets one index; the others are its duplicates. Every
	 * other body is re-serialised. */
	env = build_env(&f, EC_BUILD_APPROVAL, 3, &len);
	for (int i = 0; i < 8; i++) {
		bodies[i] = i % 2 ? reserialise(env) : strdup(env);
		jobs[i].body = bodies[i];
		jobs[i].len = strlen(bodies[i]);
	}
	itest_post_many(&f.log, jobs, 8, 8, NULL);
	for (int i = 0; i < 8; i++) {
		uint64_t got;

		cr_assert(jobs[i].r.status == 200 || jobs[i].r.status == 201,
			"racer %d: %ld %s", i, jobs[i].r.status,
			jobs[i].r.body);
		created += jobs[i].r.status == 201;
		got = itest_check_receipt(&f.log, jobs[i].r.body, env, len,
			NULL, NULL);
		if (index == UINT64_MAX)
			index = got;
		cr_assert_eq(got, index, "racer %d got another index", i);
		free(bodies[i]);
	}
	itest_jobs_clear(jobs, 8);
	cr_assert_eq(created, 1, "%d racers were told 201", created);
	cr_assert_eq(index, 2);
	cr_assert_eq(tree_size(&f), 3);
	free(env);
	fixture_stop(&f);
}

/* ---- backpressure -------------------------------------------------------- */

Test(submit, full_queue_answers_429_with_retry_after, .timeout = 60)
{
	const char *extra[] = { "--queue-max", "1", "--batch-ms", "2000",
		"--batch-idle-ms", "0", NULL };
	struct fixture f;
	struct itest_job jobs[8];
	char *envs[8];
	size_t lens[8];
	int created = 0, refused = 0;

	fixture_start(&f, extra);
	for (int i = 0; i < 8; i++) {
		envs[i] = build_env(&f, ED_BUILD, 50 + (uint64_t)i, &lens[i]);
		jobs[i].body = envs[i];
		jobs[i].len = lens[i];
	}
	itest_post_many(&f.log, jobs, 8, 8, NULL);
	for (int i = 0; i < 8; i++) {
		if (jobs[i].r.status == 201) {
			created++;
			(void)itest_check_receipt(&f.log, jobs[i].r.body,
				envs[i], lens[i], NULL, NULL);
			continue;
		}
		cr_assert_eq(jobs[i].r.status, 429, "job %d: %ld %s", i,
			jobs[i].r.status, jobs[i].r.body);
		refused++;
		cr_assert(jobs[i].r.retry_after[0] >= '1' &&
			jobs[i].r.retry_after[0] <= '9' &&
			strspn(jobs[i].r.retry_after, "0123456789") ==
			strlen(jobs[i].r.retry_after),
			"429 without a Retry-After in seconds: '%s'",
			jobs[i].r.retry_after);
		itest_assert_error(&jobs[i].r, 429);
	}
	/* The queue holds one entry for 2 s, so in 8 concurrent posts some
	 * (all but the first, unless a batch was cut meanwhile) are 429. */
	cr_assert_geq(created, 1);
	cr_assert_geq(refused, 1);
	cr_assert_eq(created + refused, 8);
	/* A refused entry goes in when retried. */
	for (int i = 0; i < 8; i++) {
		if (jobs[i].r.status == 429) {
			cr_assert_eq(post_ok(&f, envs[i], lens[i], 201),
				(uint64_t)created);
			break;
		}
	}
	itest_jobs_clear(jobs, 8);
	for (int i = 0; i < 8; i++)
		free(envs[i]);
	fixture_stop(&f);
}
