/*
 * test_statement.c — in-toto Statement v1 validation, roles and index keys
 * (merkle/statement.c).
 *
 * Four valid statements, one per predicate type, are the base. Tables of
 * mutations (a member set to a bad value or removed, by JSON path) must
 * each give MLOG_ERR_MALFORMED with a message naming that path; a sweep
 * corrupts every hex string and every integer of every base the same way.
 * Other tables cover what must still be accepted, RFC 3339 times, ticket
 * IDs and SBOM formats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "codec.h"
#include "dsse.h"
#include "statement.h"
#include "support.h"

static void init(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(statement, .init = init);

/* Hex strings of n digits made of one repeated digit. */
#define R8(x) x x x x x x x x
#define H8(x) R8(x)
#define H16(x) H8(x) H8(x)
#define H32(x) H16(x) H16(x)
#define H40(x) H32(x) H8(x)
#define H64(x) H32(x) H32(x)
#define H96(x) H64(x) H32(x)
#define H128(x) H64(x) H64(x)

#define STMT_HEAD(ptype) \
	"{\"_type\":\"https://in-toto.io/Statement/v1\"," \
	"\"predicateType\":\"" ptype "\","

static const char manifest[] = STMT_HEAD("urn:mlog:build-manifest:v1")
	"\"subject\":["
	  "{\"name\":\"enclave.signed.so\",\"digest\":{\"sha256\":\""
	    H64("a") "\"}},"
	  "{\"name\":\"app.tar\",\"digest\":{\"sha256\":\"" H64("b") "\","
	    "\"sha512\":\"" H128("c") "\",\"sha1\":\"" H40("d") "\"}},"
	  "{\"name\":\"copy-of-enclave\",\"digest\":{\"sha256\":\""
	    H64("a") "\"}}],"
	"\"predicate\":{"
	  "\"build\":{\"id\":\"ci-run-4711\",\"source\":{\"uri\":"
	    "\"git+https://example.com/enclave.git\",\"commit\":\""
	    H40("e") "\"},\"builder\":\"github-actions\","
	    "\"toolchain\":[{\"name\":\"gcc\",\"version\":\"12.2.0\","
	    "\"digest\":{\"sha256\":\"" H64("f") "\"}}]},"
	  "\"measurements\":["
	    "{\"tee\":\"sgx\",\"mrenclave\":\"" H64("1") "\",\"mrsigner\":\""
	      H64("2") "\",\"isvprodid\":1,\"isvsvn\":3,\"attributes\":\""
	      H32("3") "\",\"miscselect\":\"00000000\",\"debug\":false},"
	    "{\"tee\":\"tdx\",\"mrtd\":\"" H96("4") "\",\"rtmr0\":\""
	      H96("5") "\",\"rtmr1\":\"" H96("5") "\",\"rtmr2\":\"" H96("5")
	      "\",\"rtmr3\":\"" H96("5") "\",\"mrconfigid\":\"" H96("0")
	      "\"},"
	    "{\"tee\":\"sev-snp\",\"measurement\":\"" H96("6") "\","
	      "\"host_data\":\"" H64("0") "\",\"id_key_digest\":\"" H96("7")
	      "\",\"policy\":\"0000030000000000\"},"
	    "{\"tee\":\"nitro\",\"pcr0\":\"" H96("8") "\",\"pcr1\":\""
	      H96("0") "\",\"pcr2\":\"" H96("0") "\",\"pcr8\":\"" H96("9")
	      "\"}],"
	  "\"sbom\":[{\"format\":\"spdx-2.3\",\"digest\":{\"sha256\":\""
	    H64("a") "\"},\"uri\":\"https://example.com/sbom.json\"}],"
	  "\"x-extension\":{\"note\":\"unknown members are kept\"}},"
	"\"x-top\":\"kept too\"}";

static const char slsa[] = STMT_HEAD("https://slsa.dev/provenance/v1")
	"\"subject\":[{\"name\":\"pkg.tgz\",\"digest\":{\"sha512\":\""
	  H128("a") "\"}}],"
	"\"predicate\":{"
	  "\"buildDefinition\":{\"buildType\":"
	    "\"https://slsa-framework.github.io/github-actions-buildtypes/"
	    "workflow/v1\",\"externalParameters\":{\"workflow\":{\"ref\":"
	    "\"refs/heads/main\",\"repository\":\"https://github.com/o/r\","
	    "\"path\":\".github/workflows/release.yml\"}},"
	    "\"resolvedDependencies\":[{\"uri\":\"git+https://github.com/o/r"
	    "@refs/heads/main\",\"digest\":{\"gitCommit\":\"" H40("b")
	    "\"}}]},"
	  "\"runDetails\":{\"builder\":{\"id\":\"https://github.com/"
	    "slsa-framework/slsa-github-generator/.github/workflows/"
	    "generator_generic_slsa3.yml@refs/tags/v2.0.0\"},"
	    "\"metadata\":{\"invocationId\":\"run-1\"}}}}";

static const char sbom[] = STMT_HEAD("urn:mlog:sbom:v1")
	"\"subject\":[{\"name\":\"enclave.signed.so\",\"digest\":{\"sha256\":\""
	  H64("a") "\"}}],"
	"\"predicate\":{\"format\":\"cyclonedx-1.5\",\"digest\":{\"sha256\":\""
	  H64("c") "\"},\"uri\":\"https://example.com/bom.cdx.json\"}}";

static const char approval[] = STMT_HEAD("urn:mlog:approval:v1")
	"\"subject\":[{\"name\":\"sgx.mrenclave\",\"digest\":{\"sha256\":\""
	  H64("1") "\"}}],"
	"\"predicate\":{\"ticket\":\"CHG-1234\",\"decision\":\"approved\","
	  "\"approver\":\"alice@example.com\","
	  "\"reviewed_at\":\"2025-01-31T09:30:00Z\","
	  "\"measurement\":{\"tee\":\"sgx\",\"mrenclave\":\"" H64("1") "\"},"
	  "\"build_entry\":42,\"comment\":\"reviewed diff of v1.3\"}}";

/* Approval of every enclave signed by a key from a minimum SVN on. */
static const char approval_signer[] = STMT_HEAD("urn:mlog:approval:v1")
	"\"subject\":[{\"name\":\"sgx.mrsigner\",\"digest\":{\"sha256\":\""
	  H64("2") "\"}}],"
	"\"predicate\":{\"ticket\":\"CHG0030001\",\"decision\":\"revoked\","
	  "\"approver\":\"bob\","
	  "\"reviewed_at\":\"2000-02-29T12:00:00+01:00\","
	  "\"measurement\":{\"tee\":\"sgx\",\"mrsigner\":\"" H64("2") "\","
	  "\"isvprodid\":1,\"min_isvsvn\":4}}}";

static const char approval_tdx[] = STMT_HEAD("urn:mlog:approval:v1")
	"\"subject\":[{\"name\":\"tdx.mrtd\",\"digest\":{\"sha384\":\""
	  H96("4") "\"}},{\"name\":\"tdx.rtmr1\",\"digest\":{\"sha384\":\""
	  H96("5") "\"}}],"
	"\"predicate\":{\"ticket\":\"OPS.7_a-1\",\"decision\":\"approved\","
	  "\"approver\":\"carol\",\"reviewed_at\":"
	  "\"2025-01-31T09:30:00.123456789-05:30\","
	  "\"measurement\":{\"tee\":\"tdx\",\"mrtd\":\"" H96("4") "\","
	  "\"rtmr1\":\"" H96("5") "\"},\"comment\":\"\"}}";

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static struct mlog_statement *parse_ok(const char *json, size_t len)
{
	struct mlog_statement *st = NULL;
	struct mlog_error err = { 0 };

	cr_assert_eq(mlog_statement_parse(&st, (const uint8_t *)json, len,
		&err), MLOG_OK, "parse: %s\ninput: %.*s", err.msg,
		(int)(len > 300 ? 300 : len), json);
	cr_assert_not_null(st);
	return st;
}

static void expect_bad(const char *json, size_t len, int code,
	const char *msg, const char *what)
{
	struct mlog_statement *st = (struct mlog_statement *)1;
	struct mlog_error err = { 0 };
	int rc = mlog_statement_parse(&st, (const uint8_t *)json, len, &err);

	cr_assert_eq(rc, code, "%s: rc %d (%s), want %d", what, rc, err.msg,
		code);
	cr_assert_eq(st, (struct mlog_statement *)1, "%s: output touched",
		what);
	cr_assert(strstr(err.msg, msg) != NULL, "%s: message \"%s\" lacks "
		"\"%s\"", what, err.msg, msg);
	cr_assert(strchr(err.msg, '\n') == NULL);
}

/*
 * Finds the value at path ("predicate.measurements[0].tee") in root and
 * returns its parent container and the member name or index, so that a
 * test can replace or delete it.
 */
static json_t *resolve(json_t *root, const char *path, char *last,
	size_t *index)
{
	json_t *cur = root, *parent = NULL;
	const char *p = path;

	*index = (size_t)-1;
	while (*p != '\0') {
		if (*p == '[') {
			char *end;

			*index = strtoul(p + 1, &end, 10);
			cr_assert_eq(*end, ']', "bad path %s", path);
			parent = cur;
			cur = json_array_get(cur, *index);
			last[0] = '\0';
			p = end + 1;
		} else {
			size_t n;

			if (*p == '.')
				p++;
			n = strcspn(p, ".[");
			memcpy(last, p, n);
			last[n] = '\0';
			*index = (size_t)-1;
			parent = cur;
			cur = json_object_get(cur, last);
			p += n;
		}
		if (*p != '\0')
			cr_assert_not_null(cur, "path %s: no %s", path, last);
	}
	return parent;
}

/* A copy of base with path set to the JSON text value (NULL: removed),
 * dumped compactly; caller frees. */
static char *mutate(const char *base, const char *path, const char *value)
{
	json_error_t jerr;
	json_t *root = json_loads(base, JSON_REJECT_DUPLICATES, &jerr);
	json_t *parent, *v = NULL;
	char last[128];
	size_t index;
	char *out;

	cr_assert_not_null(root, "base: %s", jerr.text);
	parent = resolve(root, path, last, &index);
	cr_assert_not_null(parent, "path %s", path);
	if (value != NULL) {
		v = json_loads(value, JSON_DECODE_ANY, &jerr);
		cr_assert_not_null(v, "value %s: %s", value, jerr.text);
	}
	if (index != (size_t)-1) {
		if (v != NULL)
			cr_assert_eq(json_array_set_new(parent, index, v), 0);
		else
			cr_assert_eq(json_array_remove(parent, index), 0);
	} else if (v != NULL) {
		cr_assert_eq(json_object_set_new(parent, last, v), 0);
	} else {
		cr_assert_eq(json_object_del(parent, last), 0, "no %s", path);
	}
	out = json_dumps(root, JSON_COMPACT);
	cr_assert_not_null(out);
	json_decref(root);
	return out;
}

struct mutation {
	const char *base;
	const char *path;
	const char *value;      /* JSON text, or NULL to delete */
	const char *msg;        /* expected message substring */
};

static void run_mutations(const struct mutation *t, size_t n, int valid)
{
	for (size_t i = 0; i < n; i++) {
		char *json = mutate(t[i].base, t[i].path, t[i].value);
		char what[256];

		snprintf(what, sizeof(what), "case %zu (%s = %s)", i,
			t[i].path, t[i].value ? t[i].value : "deleted");
		if (valid)
			mlog_statement_free(parse_ok(json, strlen(json)));
		else
			expect_bad(json, strlen(json), MLOG_ERR_MALFORMED,
				t[i].msg, what);
		free(json);
	}
}

/* ------------------------------------------------------------------ */
/* Valid statements                                                    */
/* ------------------------------------------------------------------ */

struct want_key {
	int kind;
	const char *value;
};

static void check_keys(const struct mlog_statement *st,
	const struct want_key *want, size_t n)
{
	for (size_t i = 0; i < st->nkeys && i < n; i++) {
		cr_assert_eq(st->keys[i].kind, want[i].kind, "key %zu kind %d "
			"(%s), want %d", i, st->keys[i].kind,
			st->keys[i].value, want[i].kind);
		cr_assert_str_eq(st->keys[i].value, want[i].value, "key %zu",
			i);
	}
	cr_assert_eq(st->nkeys, n, "%zu keys, want %zu", st->nkeys, n);
}

Test(statement, valid_build_manifest)
{
	static const struct want_key want[] = {
		{ MLOG_STATEMENT_KEY_DIGEST, "sha256:" H64("a") },
		{ MLOG_STATEMENT_KEY_DIGEST, "sha256:" H64("b") },
		{ MLOG_STATEMENT_KEY_DIGEST, "sha512:" H128("c") },
		/* the third subject repeats the first: deduplicated; sha1
		 * is kept in the statement but not indexed */
		{ MLOG_STATEMENT_KEY_MRENCLAVE, H64("1") },
		{ MLOG_STATEMENT_KEY_MRSIGNER, H64("2") },
		{ MLOG_STATEMENT_KEY_MRTD, H96("4") },
		{ MLOG_STATEMENT_KEY_SNP_MEASUREMENT, H96("6") },
		{ MLOG_STATEMENT_KEY_SNP_ID_KEY, H96("7") },
		{ MLOG_STATEMENT_KEY_NITRO_PCR0, H96("8") },
		{ MLOG_STATEMENT_KEY_NITRO_PCR8, H96("9") },
		/* sbom[0].digest.sha256 equals subject[0]'s: deduplicated */
	};
	struct mlog_statement *st = parse_ok(manifest, strlen(manifest));

	cr_assert_eq(st->type, MLOG_STATEMENT_BUILD_MANIFEST);
	cr_assert_eq(st->role, MLOG_STATEMENT_ROLE_BUILD);
	cr_assert_eq(st->decision, 0);
	cr_assert_eq(st->reviewed_at, 0);
	check_keys(st, want, sizeof(want) / sizeof(want[0]));
	mlog_statement_free(st);
}

Test(statement, valid_slsa_provenance)
{
	static const struct want_key want[] = {
		{ MLOG_STATEMENT_KEY_DIGEST, "sha512:" H128("a") },
	};
	struct mlog_statement *st = parse_ok(slsa, strlen(slsa));

	cr_assert_eq(st->type, MLOG_STATEMENT_SLSA_PROVENANCE);
	cr_assert_eq(st->role, MLOG_STATEMENT_ROLE_BUILD);
	check_keys(st, want, 1);
	mlog_statement_free(st);
}

Test(statement, valid_sbom)
{
	static const struct want_key want[] = {
		{ MLOG_STATEMENT_KEY_DIGEST, "sha256:" H64("a") },
		{ MLOG_STATEMENT_KEY_DIGEST, "sha256:" H64("c") },
	};
	struct mlog_statement *st = parse_ok(sbom, strlen(sbom));

	cr_assert_eq(st->type, MLOG_STATEMENT_SBOM);
	cr_assert_eq(st->role, MLOG_STATEMENT_ROLE_SBOM);
	check_keys(st, want, 2);
	mlog_statement_free(st);
}

Test(statement, valid_approvals)
{
	static const struct want_key want1[] = {
		{ MLOG_STATEMENT_KEY_DIGEST, "sha256:" H64("1") },
		{ MLOG_STATEMENT_KEY_TICKET, "CHG-1234" },
		{ MLOG_STATEMENT_KEY_MRENCLAVE, H64("1") },
	};
	static const struct want_key want2[] = {
		{ MLOG_STATEMENT_KEY_DIGEST, "sha256:" H64("2") },
		{ MLOG_STATEMENT_KEY_TICKET, "CHG0030001" },
		{ MLOG_STATEMENT_KEY_MRSIGNER, H64("2") },
	};
	static const struct want_key want3[] = {
		{ MLOG_STATEMENT_KEY_DIGEST, "sha384:" H96("4") },
		{ MLOG_STATEMENT_KEY_DIGEST, "sha384:" H96("5") },
		{ MLOG_STATEMENT_KEY_TICKET, "OPS.7_a-1" },
		{ MLOG_STATEMENT_KEY_MRTD, H96("4") },
	};
	struct mlog_statement *st = parse_ok(approval, strlen(approval));

	cr_assert_eq(st->type, MLOG_STATEMENT_APPROVAL);
	cr_assert_eq(st->role, MLOG_STATEMENT_ROLE_APPROVAL);
	cr_assert_eq(st->decision, MLOG_STATEMENT_APPROVED);
	cr_assert_eq(st->reviewed_at, 1738315800);
	check_keys(st, want1, 3);
	mlog_statement_free(st);

	st = parse_ok(approval_signer, strlen(approval_signer));
	cr_assert_eq(st->decision, MLOG_STATEMENT_REVOKED);
	cr_assert_eq(st->reviewed_at, 951822000);
	check_keys(st, want2, 3);
	mlog_statement_free(st);

	st = parse_ok(approval_tdx, strlen(approval_tdx));
	cr_assert_eq(st->decision, MLOG_STATEMENT_APPROVED);
	cr_assert_eq(st->reviewed_at, 1738335600);
	check_keys(st, want3, 4);
	mlog_statement_free(st);
}

/* Mutations that must still be accepted. */
static const struct mutation still_valid[] = {
	/* unknown members are kept, at every level (rule 6) */
	{ manifest, "x-new", "{\"a\":[1,2,3]}", NULL },
	{ manifest, "predicate.measurements[0].x-field", "42", NULL },
	{ manifest, "predicate.build.x", "null", NULL },
	{ manifest, "subject[0].annotations", "{\"k\":\"v\"}", NULL },
	{ approval, "predicate.measurement.x", "\"kept\"", NULL },
	{ slsa, "predicate.buildDefinition.internalParameters", "{}", NULL },
	/* optional members absent or empty */
	{ manifest, "predicate.measurements", NULL, NULL },
	{ manifest, "predicate.measurements", "[]", NULL },
	{ manifest, "predicate.sbom", NULL, NULL },
	{ manifest, "predicate.build.toolchain", NULL, NULL },
	{ manifest, "predicate.build.toolchain", "[]", NULL },
	{ manifest, "predicate.measurements[0].attributes", NULL, NULL },
	{ manifest, "predicate.measurements[0].miscselect", NULL, NULL },
	{ manifest, "predicate.measurements[0].debug", NULL, NULL },
	{ manifest, "predicate.measurements[1].rtmr0", NULL, NULL },
	{ manifest, "predicate.measurements[2].policy", NULL, NULL },
	{ manifest, "predicate.measurements[3].pcr8", NULL, NULL },
	{ manifest, "predicate.sbom[0].uri", NULL, NULL },
	{ sbom, "predicate.uri", NULL, NULL },
	{ approval, "predicate.build_entry", NULL, NULL },
	{ approval, "predicate.comment", NULL, NULL },
	{ approval, "predicate.comment", "\"\"", NULL },
	/* boundaries */
	{ manifest, "predicate.measurements[0].isvsvn", "65535", NULL },
	{ manifest, "predicate.measurements[0].isvprodid", "0", NULL },
	{ manifest, "predicate.measurements[0].debug", "true", NULL },
	{ manifest, "predicate.build.source.commit", "\"" H64("0") "\"",
		NULL },
	{ approval, "predicate.build_entry", "0", NULL },
	{ approval, "predicate.build_entry", "9223372036854775807", NULL },
	/* other digest algorithms beside a known one */
	{ manifest, "subject[0].digest.sha3_256", "\"" H64("0") "\"", NULL },
	{ manifest, "subject[0].digest.gitCommit", "\"" H40("0") "\"", NULL },
	{ manifest, "subject[0].digest.sha384", "\"" H96("0") "\"", NULL },
	{ slsa, "subject[0].digest", "{\"sha256\":\"" H64("0") "\"}", NULL },
	/* tickets, formats, times */
	{ approval, "predicate.ticket", "\"PROJ-1\"", NULL },
	{ approval, "predicate.ticket", "\"7\"", NULL },
	{ approval, "predicate.ticket", "\"" H64("A") "\"", NULL },
	{ approval, "predicate.ticket", "\"a.b_c-d\"", NULL },
	{ sbom, "predicate.format", "\"spdx-2.3\"", NULL },
	{ sbom, "predicate.format", "\"spdx-3.0.1\"", NULL },
	{ sbom, "predicate.format", "\"syft-json-16\"", NULL },
	{ approval, "predicate.reviewed_at", "\"2024-02-29T23:59:59.5Z\"",
		NULL },
	{ approval, "predicate.reviewed_at", "\"2025-01-31T09:30:00-00:00\"",
		NULL },
	/* approval naming both SGX identities */
	{ approval, "predicate.measurement",
		"{\"tee\":\"sgx\",\"mrenclave\":\"" H64("1") "\","
		"\"mrsigner\":\"" H64("2") "\"}", NULL },
};

Test(statement, accepted_variations)
{
	struct mlog_statement *st;
	char *json;

	run_mutations(still_valid, sizeof(still_valid) /
		sizeof(still_valid[0]), 1);
	/* An approval by SNP ID key, its subject matching. */
	json = mutate(approval, "predicate.measurement",
		"{\"tee\":\"sev-snp\",\"id_key_digest\":\"" H96("7") "\"}");
	{
		char *json2 = mutate(json, "subject", "[{\"name\":"
			"\"sev-snp.id_key_digest\",\"digest\":{\"sha384\":\""
			H96("7") "\"}}]");

		st = parse_ok(json2, strlen(json2));
		cr_assert_eq(st->keys[st->nkeys - 1].kind,
			MLOG_STATEMENT_KEY_SNP_ID_KEY);
		mlog_statement_free(st);
		free(json2);
	}
	free(json);
	{
		static const char nitro[] = STMT_HEAD("urn:mlog:approval:v1")
			"\"subject\":[{\"name\":\"nitro.pcr0\",\"digest\":"
			"{\"sha384\":\"" H96("8") "\"}}],\"predicate\":"
			"{\"ticket\":\"T-1\",\"decision\":\"approved\","
			"\"approver\":\"x\",\"reviewed_at\":"
			"\"2025-01-01T00:00:00Z\",\"measurement\":{\"tee\":"
			"\"nitro\",\"pcr0\":\"" H96("8") "\"}}}";

		st = parse_ok(nitro, strlen(nitro));
		cr_assert_eq(st->nkeys, 3);
		cr_assert_eq(st->keys[2].kind, MLOG_STATEMENT_KEY_NITRO_PCR0);
		mlog_statement_free(st);
	}
}

/* ------------------------------------------------------------------ */
/* Malformed statements                                                */
/* ------------------------------------------------------------------ */

#define BADHEX64 "\"" H32("a") H16("a") H8("a") "aaaaaaa\""  /* 63 */
#define UPPER64 "\"" H64("A") "\""

static const struct mutation malformed[] = {
	/* statement layer */
	{ manifest, "_type", NULL, "_type: missing" },
	{ manifest, "_type", "\"https://in-toto.io/Statement/v0.1\"",
		"_type: want https://in-toto.io/Statement/v1" },
	{ manifest, "_type", "1", "_type: want a string" },
	{ manifest, "predicateType", NULL, "predicateType: missing" },
	{ manifest, "predicateType", "\"urn:mlog:other:v1\"",
		"predicateType: unknown predicate type" },
	{ manifest, "predicateType", "\"https://slsa.dev/provenance/v0.2\"",
		"predicateType: unknown" },
	{ manifest, "predicate", NULL, "predicate: missing" },
	{ manifest, "predicate", "[]", "predicate: want an object" },
	{ manifest, "subject", NULL, "subject: missing" },
	{ manifest, "subject", "[]", "subject: empty" },
	{ manifest, "subject", "{}", "subject: want an array" },
	{ manifest, "subject[1]", "\"app.tar\"", "subject[1]: want an object" },
	{ manifest, "subject[0].name", NULL, "subject[0].name: missing" },
	{ manifest, "subject[0].name", "\"\"", "subject[0].name: empty" },
	{ manifest, "subject[0].name", "5", "subject[0].name: want a string" },
	/* digest sets (rule 5) */
	{ manifest, "subject[0].digest", NULL, "subject[0].digest: missing" },
	{ manifest, "subject[0].digest", "{}", "subject[0].digest: empty" },
	{ manifest, "subject[0].digest", "[]",
		"subject[0].digest: want an object" },
	{ manifest, "subject[0].digest.sha256", BADHEX64,
		"subject[0].digest.sha256: want 64 lowercase hex digits" },
	{ manifest, "subject[0].digest.sha256", UPPER64,
		"subject[0].digest.sha256: want 64 lowercase hex digits" },
	{ manifest, "subject[0].digest.sha256", "1",
		"subject[0].digest.sha256: want a string" },
	{ manifest, "subject[1].digest.sha512", "\"" H96("c") "\"",
		"subject[1].digest.sha512: want 128 lowercase hex digits" },
	{ manifest, "subject[1].digest.sha384", "\"" H64("c") "\"",
		"subject[1].digest.sha384: want 96 lowercase hex digits" },
	{ manifest, "subject[1].digest.sha1", "\"abc\"",
		"subject[1].digest.sha1: want 2..128 lowercase hex digits" },
	{ manifest, "subject[1].digest.sha1", "\"ABCD\"",
		"subject[1].digest.sha1: want 2..128" },
	{ manifest, "subject[1].digest.sha1", "\"\"",
		"subject[1].digest.sha1: want 2..128" },
	{ manifest, "subject[1].digest.sha1", "\"" H128("a") "ab\"",
		"subject[1].digest.sha1: want 2..128" },
	{ manifest, "subject[1].digest.bad alg", "\"ab\"",
		"subject[1].digest.bad alg: bad algorithm name" },
	{ manifest, "subject[1].digest." H40("x"), "\"ab\"",
		"bad algorithm name" },
	{ manifest, "subject[0].digest", "{\"sha512\":\"" H128("a") "\"}",
		"subject[0].digest.sha256: missing" },
	{ sbom, "subject[0].digest", "{\"sha384\":\"" H96("a") "\"}",
		"subject[0].digest.sha256: missing" },
	{ slsa, "subject[0].digest", "{\"sha1\":\"" H40("a") "\"}",
		"subject[0].digest: want a sha256, sha384 or sha512 digest" },
	/* build manifest (rule 9) */
	{ manifest, "predicate.build", NULL, "predicate.build: missing" },
	{ manifest, "predicate.build", "\"ci\"",
		"predicate.build: want an object" },
	{ manifest, "predicate.build.id", NULL, "predicate.build.id: missing" },
	{ manifest, "predicate.build.id", "\"\"", "predicate.build.id: empty" },
	{ manifest, "predicate.build.source", NULL,
		"predicate.build.source: missing" },
	{ manifest, "predicate.build.source.uri", NULL,
		"predicate.build.source.uri: missing" },
	{ manifest, "predicate.build.source.commit", NULL,
		"predicate.build.source.commit: missing" },
	{ manifest, "predicate.build.source.commit", "\"abc123\"",
		"predicate.build.source.commit: want 40 or 64 lowercase hex" },
	{ manifest, "predicate.build.source.commit", "\"" H40("E") "\"",
		"predicate.build.source.commit: want 40 or 64" },
	{ manifest, "predicate.build.builder", NULL,
		"predicate.build.builder: missing" },
	{ manifest, "predicate.build.builder", "{\"id\":\"x\"}",
		"predicate.build.builder: want a string" },
	{ manifest, "predicate.build.toolchain", "{}",
		"predicate.build.toolchain: want an array" },
	{ manifest, "predicate.build.toolchain[0]", "\"gcc\"",
		"predicate.build.toolchain[0]: want an object" },
	{ manifest, "predicate.build.toolchain[0].name", NULL,
		"predicate.build.toolchain[0].name: missing" },
	{ manifest, "predicate.build.toolchain[0].version", NULL,
		"predicate.build.toolchain[0].version: missing" },
	{ manifest, "predicate.build.toolchain[0].digest", NULL,
		"predicate.build.toolchain[0].digest: missing" },
	{ manifest, "predicate.build.toolchain[0].digest.sha256", BADHEX64,
		"predicate.build.toolchain[0].digest.sha256: want 64" },
	{ manifest, "predicate.measurements", "{}",
		"predicate.measurements: want an array" },
	{ manifest, "predicate.measurements[0]", "\"sgx\"",
		"predicate.measurements[0]: want an object" },
	/* measurement objects (rule 8) */
	{ manifest, "predicate.measurements[0].tee", NULL,
		"predicate.measurements[0].tee: missing" },
	{ manifest, "predicate.measurements[0].tee", "\"SGX\"",
		"predicate.measurements[0].tee: unknown TEE \"SGX\"" },
	{ manifest, "predicate.measurements[0].tee", "\"sev\"",
		"predicate.measurements[0].tee: unknown TEE" },
	{ manifest, "predicate.measurements[0].mrenclave", NULL,
		"predicate.measurements[0].mrenclave: missing" },
	{ manifest, "predicate.measurements[0].mrenclave", BADHEX64,
		"predicate.measurements[0].mrenclave: want 64 lowercase hex "
		"digits" },
	{ manifest, "predicate.measurements[0].mrenclave", UPPER64,
		"predicate.measurements[0].mrenclave: want 64 lowercase hex" },
	{ manifest, "predicate.measurements[0].mrenclave",
		"\"" H96("1") "\"",
		"predicate.measurements[0].mrenclave: want 64" },
	{ manifest, "predicate.measurements[0].mrsigner", NULL,
		"predicate.measurements[0].mrsigner: missing" },
	{ manifest, "predicate.measurements[0].mrsigner", "\"0x" H64("2")
		"\"", "predicate.measurements[0].mrsigner: want 64" },
	{ manifest, "predicate.measurements[0].isvprodid", NULL,
		"predicate.measurements[0].isvprodid: missing" },
	{ manifest, "predicate.measurements[0].isvprodid", "-1",
		"predicate.measurements[0].isvprodid: want an integer "
		"0..65535" },
	{ manifest, "predicate.measurements[0].isvprodid", "65536",
		"predicate.measurements[0].isvprodid: want an integer" },
	{ manifest, "predicate.measurements[0].isvprodid", "1.0",
		"predicate.measurements[0].isvprodid: want an integer" },
	{ manifest, "predicate.measurements[0].isvprodid", "\"1\"",
		"predicate.measurements[0].isvprodid: want an integer" },
	{ manifest, "predicate.measurements[0].isvsvn", NULL,
		"predicate.measurements[0].isvsvn: missing" },
	{ manifest, "predicate.measurements[0].isvsvn", "70000",
		"predicate.measurements[0].isvsvn: want an integer 0..65535" },
	{ manifest, "predicate.measurements[0].isvsvn", "1e2",
		"predicate.measurements[0].isvsvn: want an integer" },
	{ manifest, "predicate.measurements[0].attributes",
		"\"" H16("3") "\"",
		"predicate.measurements[0].attributes: want 32 lowercase hex" },
	{ manifest, "predicate.measurements[0].miscselect", "\"000000\"",
		"predicate.measurements[0].miscselect: want 8 lowercase hex" },
	{ manifest, "predicate.measurements[0].miscselect", "0",
		"predicate.measurements[0].miscselect: want 8 lowercase hex" },
	{ manifest, "predicate.measurements[0].debug", "\"false\"",
		"predicate.measurements[0].debug: want true or false" },
	{ manifest, "predicate.measurements[0].debug", "0",
		"predicate.measurements[0].debug: want true or false" },
	{ manifest, "predicate.measurements[0].min_isvsvn", "-3",
		"predicate.measurements[0].min_isvsvn: want an integer" },
	{ manifest, "predicate.measurements[1].mrtd", NULL,
		"predicate.measurements[1].mrtd: missing" },
	{ manifest, "predicate.measurements[1].mrtd", "\"" H64("4") "\"",
		"predicate.measurements[1].mrtd: want 96 lowercase hex "
		"digits" },
	{ manifest, "predicate.measurements[1].rtmr0", BADHEX64,
		"predicate.measurements[1].rtmr0: want 96" },
	{ manifest, "predicate.measurements[1].rtmr1", "null",
		"predicate.measurements[1].rtmr1: want 96" },
	{ manifest, "predicate.measurements[1].rtmr2", "\"\"",
		"predicate.measurements[1].rtmr2: want 96" },
	{ manifest, "predicate.measurements[1].rtmr3", "\"" H96("G") "\"",
		"predicate.measurements[1].rtmr3: want 96" },
	{ manifest, "predicate.measurements[1].mrconfigid", "\"" H32("0")
		"\"", "predicate.measurements[1].mrconfigid: want 96" },
	{ manifest, "predicate.measurements[2].measurement", NULL,
		"predicate.measurements[2].measurement: missing" },
	{ manifest, "predicate.measurements[2].measurement", UPPER64,
		"predicate.measurements[2].measurement: want 96" },
	{ manifest, "predicate.measurements[2].host_data", "\"" H96("0")
		"\"", "predicate.measurements[2].host_data: want 64" },
	{ manifest, "predicate.measurements[2].id_key_digest", BADHEX64,
		"predicate.measurements[2].id_key_digest: want 96" },
	{ manifest, "predicate.measurements[2].policy", "196608",
		"predicate.measurements[2].policy: want 16 lowercase hex" },
	{ manifest, "predicate.measurements[2].policy", "\"30000\"",
		"predicate.measurements[2].policy: want 16" },
	{ manifest, "predicate.measurements[3].pcr0", NULL,
		"predicate.measurements[3].pcr0: missing" },
	{ manifest, "predicate.measurements[3].pcr1", NULL,
		"predicate.measurements[3].pcr1: missing" },
	{ manifest, "predicate.measurements[3].pcr2", NULL,
		"predicate.measurements[3].pcr2: missing" },
	{ manifest, "predicate.measurements[3].pcr2", BADHEX64,
		"predicate.measurements[3].pcr2: want 96" },
	{ manifest, "predicate.measurements[3].pcr8", "\"" H128("9") "\"",
		"predicate.measurements[3].pcr8: want 96" },
	/* SBOM references in a manifest */
	{ manifest, "predicate.sbom", "{}", "predicate.sbom: want an array" },
	{ manifest, "predicate.sbom[0].format", NULL,
		"predicate.sbom[0].format: missing" },
	{ manifest, "predicate.sbom[0].format", "\"spdx\"",
		"predicate.sbom[0].format: want <name>-<version>" },
	{ manifest, "predicate.sbom[0].digest", NULL,
		"predicate.sbom[0].digest: missing" },
	{ manifest, "predicate.sbom[0].digest", "{\"sha512\":\"" H128("a")
		"\"}", "predicate.sbom[0].digest.sha256: missing" },
	{ manifest, "predicate.sbom[0].uri", "1",
		"predicate.sbom[0].uri: want a string" },
	/* SLSA (rule 10) */
	{ slsa, "predicate.buildDefinition", NULL,
		"predicate.buildDefinition: missing" },
	{ slsa, "predicate.buildDefinition.buildType", NULL,
		"predicate.buildDefinition.buildType: missing" },
	{ slsa, "predicate.buildDefinition.externalParameters", NULL,
		"predicate.buildDefinition.externalParameters: missing" },
	{ slsa, "predicate.buildDefinition.externalParameters", "\"x\"",
		"predicate.buildDefinition.externalParameters: want an "
		"object" },
	{ slsa, "predicate.runDetails", NULL, "predicate.runDetails: missing" },
	{ slsa, "predicate.runDetails.builder", NULL,
		"predicate.runDetails.builder: missing" },
	{ slsa, "predicate.runDetails.builder.id", NULL,
		"predicate.runDetails.builder.id: missing" },
	{ slsa, "predicate.runDetails.builder.id", "\"\"",
		"predicate.runDetails.builder.id: empty" },
	/* SBOM (rule 11) */
	{ sbom, "predicate.format", NULL, "predicate.format: missing" },
	{ sbom, "predicate.format", "\"SPDX-2.3\"",
		"predicate.format: want <name>-<version>" },
	{ sbom, "predicate.digest", NULL, "predicate.digest: missing" },
	{ sbom, "predicate.digest.sha256", BADHEX64,
		"predicate.digest.sha256: want 64" },
	{ sbom, "predicate.uri", "false", "predicate.uri: want a string" },
	{ sbom, "subject[0].digest.sha256", NULL,
		"subject[0].digest: empty" },
	/* approval (rule 12) */
	{ approval, "predicate.ticket", NULL, "predicate.ticket: missing" },
	{ approval, "predicate.ticket", "\"\"", "predicate.ticket: empty" },
	{ approval, "predicate.ticket", "\"CHG 1234\"",
		"predicate.ticket: want [A-Za-z0-9][A-Za-z0-9._-]{0,63}" },
	{ approval, "predicate.ticket", "1234", "predicate.ticket: want a "
		"string" },
	{ approval, "predicate.decision", NULL, "predicate.decision: missing" },
	{ approval, "predicate.decision", "\"Approved\"",
		"predicate.decision: want \"approved\" or \"revoked\"" },
	{ approval, "predicate.decision", "\"pending\"",
		"predicate.decision: want \"approved\"" },
	{ approval, "predicate.decision", "true",
		"predicate.decision: want a string" },
	{ approval, "predicate.approver", NULL, "predicate.approver: missing" },
	{ approval, "predicate.approver", "\"\"", "predicate.approver: empty" },
	{ approval, "predicate.reviewed_at", NULL,
		"predicate.reviewed_at: missing" },
	{ approval, "predicate.reviewed_at", "\"2025-01-31\"",
		"predicate.reviewed_at: want an RFC 3339 date-time" },
	{ approval, "predicate.reviewed_at", "\"2025-02-29T00:00:00Z\"",
		"predicate.reviewed_at: want an RFC 3339" },
	{ approval, "predicate.reviewed_at", "1738315800",
		"predicate.reviewed_at: want a string" },
	{ approval, "predicate.measurement", NULL,
		"predicate.measurement: missing" },
	{ approval, "predicate.measurement", "[]",
		"predicate.measurement: want an object" },
	{ approval, "predicate.measurement.tee", NULL,
		"predicate.measurement.tee: missing" },
	{ approval, "predicate.measurement", "{\"tee\":\"sgx\"}",
		"predicate.measurement: want at least one of mrenclave, "
		"mrsigner" },
	{ approval, "predicate.measurement", "{\"tee\":\"sgx\","
		"\"isvsvn\":1,\"min_isvsvn\":1}",
		"predicate.measurement: want at least one of mrenclave" },
	{ approval, "predicate.measurement", "{\"tee\":\"tdx\","
		"\"rtmr0\":\"" H96("0") "\"}",
		"predicate.measurement: want at least one of mrtd" },
	{ approval, "predicate.measurement", "{\"tee\":\"nitro\","
		"\"pcr1\":\"" H96("0") "\"}",
		"predicate.measurement: want at least one of pcr0, pcr8" },
	{ approval, "predicate.measurement.mrenclave", BADHEX64,
		"predicate.measurement.mrenclave: want 64 lowercase hex" },
	{ approval, "predicate.measurement.min_isvsvn", "65536",
		"predicate.measurement.min_isvsvn: want an integer 0..65535" },
	{ approval, "predicate.build_entry", "-1",
		"predicate.build_entry: want an integer" },
	{ approval, "predicate.build_entry", "\"42\"",
		"predicate.build_entry: want an integer" },
	{ approval, "predicate.build_entry", "4.2",
		"predicate.build_entry: want an integer" },
	{ approval, "predicate.comment", "5", "predicate.comment: want a "
		"string" },
	/* approval subjects (rule 12) */
	{ approval, "subject[0].name", "\"mrenclave\"",
		"subject[0].name: \"mrenclave\": want <tee>.<field>" },
	{ approval, "subject[0].name", "\"sgx.isvsvn\"",
		"subject[0].name: \"sgx.isvsvn\": want <tee>.<field>" },
	{ approval, "subject[0].name", "\"sgx.attributes\"",
		"subject[0].name: \"sgx.attributes\": want" },
	{ approval, "subject[0].name", "\"enclave.signed.so\"",
		"subject[0].name: \"enclave.signed.so\": want" },
	{ approval, "subject[0].name", "\"tdx.mrtd\"",
		"subject[0].name: TEE tdx differs from "
		"predicate.measurement.tee sgx" },
	{ approval, "subject[0].name", "\"sgx.mrsigner\"",
		"subject[0].name: predicate.measurement has no mrsigner" },
	{ approval, "subject[0].digest.sha256", "\"" H64("9") "\"",
		"subject[0].digest.sha256: differs from "
		"predicate.measurement.mrenclave" },
	{ approval, "subject[0].digest", "{\"sha512\":\"" H128("1") "\"}",
		"subject[0].digest.sha256: missing" },
	{ approval_tdx, "subject[0].digest", "{\"sha256\":\"" H64("4") "\"}",
		"subject[0].digest.sha384: missing" },
	{ approval_tdx, "subject[1].digest.sha384", "\"" H96("4") "\"",
		"subject[1].digest.sha384: differs from "
		"predicate.measurement.rtmr1" },
};

Test(statement, malformed_table)
{
	run_mutations(malformed, sizeof(malformed) / sizeof(malformed[0]), 0);
}

Test(statement, malformed_json)
{
	static const struct {
		const char *json;
		const char *msg;
	} t[] = {
		{ "", "not a JSON object" },
		{ "{", "not a JSON object" },
		{ "[]", "want a JSON object" },
		{ "[{}]", "want a JSON object" },
		{ "{} {}", "not a JSON object" },
		{ "{}", "_type: missing" },
		{ "{\"_type\":\"https://in-toto.io/Statement/v1\","
		  "\"_type\":\"https://in-toto.io/Statement/v1\"}",
		  "duplicate" },
		{ "{\"a\":\"\\u0000\"}", "not a JSON object" },
		{ "{\"a\":\"\xc3\x28\"}", "not a JSON object" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char what[32];

		snprintf(what, sizeof(what), "case %zu", i);
		expect_bad(t[i].json, strlen(t[i].json), MLOG_ERR_MALFORMED,
			t[i].msg, what);
	}
}

Test(statement, duplicates_rejected_at_depth)
{
	/* A duplicate member deep inside the predicate, and one inside an
	 * unknown member (kept, but it must still parse one way only). */
	static const char dup_known[] = STMT_HEAD("urn:mlog:sbom:v1")
		"\"subject\":[{\"name\":\"a\",\"digest\":{\"sha256\":\""
		H64("a") "\"}}],\"predicate\":{\"format\":\"spdx-2.3\","
		"\"digest\":{\"sha256\":\"" H64("c") "\",\"sha256\":\""
		H64("d") "\"}}}";
	static const char dup_unknown[] = STMT_HEAD("urn:mlog:sbom:v1")
		"\"subject\":[{\"name\":\"a\",\"digest\":{\"sha256\":\""
		H64("a") "\"}}],\"predicate\":{\"format\":\"spdx-2.3\","
		"\"digest\":{\"sha256\":\"" H64("c") "\"},\"x\":{\"k\":1,"
		"\"k\":2}}}";

	expect_bad(dup_known, strlen(dup_known), MLOG_ERR_MALFORMED,
		"duplicate", "nested duplicate");
	expect_bad(dup_unknown, strlen(dup_unknown), MLOG_ERR_MALFORMED,
		"duplicate", "duplicate in unknown member");
}

Test(statement, size_limit)
{
	size_t n = MLOG_STATEMENT_MAX_BYTES + 1;
	char *big = malloc(n + 1);
	size_t len = strlen(sbom);

	/* The SBOM statement padded with spaces: fine at the limit,
	 * TOOBIG one byte over, before any parsing. */
	memset(big, ' ', n);
	memcpy(big, sbom, len);
	mlog_statement_free(parse_ok(big, n - 1));
	expect_bad(big, n, MLOG_ERR_TOOBIG, "over 65535", "oversize");
	memset(big, '[', n);
	expect_bad(big, n, MLOG_ERR_TOOBIG, "over", "oversize garbage");
	free(big);
}

/*
 * Corruption sweep: every hex string of 32 or more digits and every
 * integer in every base statement is corrupted in several ways; each probe
 * must be MALFORMED and name the corrupted member's path.
 */
struct sweep {
	const char *base;
	json_t *root;
	size_t probes;
};

static void probe(struct sweep *s, json_t *node, const char *path,
	json_t *bad_value, const char *how)
{
	json_t *saved = json_deep_copy(node);
	char *json;
	char what[256];

	cr_assert_not_null(saved);
	cr_assert_eq(json_equal(node, saved), 1);
	/* Replace node's value in place, dump, restore. */
	if (json_is_string(node)) {
		cr_assert(json_is_string(bad_value));
		cr_assert_eq(json_string_setn(node,
			json_string_value(bad_value),
			json_string_length(bad_value)), 0);
	} else {
		cr_assert(json_is_integer(node));
		cr_assert(json_is_integer(bad_value));
		cr_assert_eq(json_integer_set(node,
			json_integer_value(bad_value)), 0);
	}
	json = json_dumps(s->root, JSON_COMPACT);
	snprintf(what, sizeof(what), "%s %s", how, path);
	expect_bad(json, strlen(json), MLOG_ERR_MALFORMED, path, what);
	free(json);
	if (json_is_string(node))
		cr_assert_eq(json_string_set(node,
			json_string_value(saved)), 0);
	else
		cr_assert_eq(json_integer_set(node,
			json_integer_value(saved)), 0);
	json_decref(saved);
	json_decref(bad_value);
	s->probes++;
}

static int is_hex(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!strchr("0123456789abcdef", v[i]))
			return 0;
	}
	return 1;
}

static void sweep_node(struct sweep *s, json_t *node, char *path,
	size_t plen, size_t cap)
{
	if (json_is_object(node)) {
		const char *k;
		json_t *v;

		json_object_foreach(node, k, v) {
			int n = snprintf(path + plen, cap - plen,
				plen ? ".%s" : "%s", k);

			/* unknown members are not checked: skip them */
			if (strncmp(k, "x-", 2) == 0 ||
			    strcmp(k, "resolvedDependencies") == 0 ||
			    strcmp(k, "sha1") == 0)
				continue;
			sweep_node(s, v, path, plen + (size_t)n, cap);
		}
	} else if (json_is_array(node)) {
		for (size_t i = 0; i < json_array_size(node); i++) {
			int n = snprintf(path + plen, cap - plen, "[%zu]", i);

			sweep_node(s, json_array_get(node, i), path,
				plen + (size_t)n, cap);
		}
	} else if (json_is_string(node)) {
		size_t n = json_string_length(node);
		char v[260], buf[260];

		/* probe() replaces node's string: work on a copy */
		path[plen] = '\0';
		if (n < 32 || n + 2 > sizeof(buf))
			return;
		memcpy(v, json_string_value(node), n);
		if (!is_hex(v, n))
			return;
		/* truncated */
		probe(s, node, path, json_stringn(v, n - 1), "truncated");
		/* extended */
		memcpy(buf, v, n);
		buf[n] = v[0];
		probe(s, node, path, json_stringn(buf, n + 1), "extended");
		/* uppercase digit */
		memcpy(buf, v, n);
		buf[n / 2] = 'A';
		probe(s, node, path, json_stringn(buf, n), "uppercased");
		/* non-hex */
		buf[n / 2] = 'g';
		probe(s, node, path, json_stringn(buf, n), "non-hex");
		/* halved: a hash of another length */
		probe(s, node, path, json_stringn(v, n / 2), "halved");
	} else if (json_is_integer(node)) {
		path[plen] = '\0';
		probe(s, node, path, json_integer(-1), "negative");
		if (strstr(path, "build_entry") == NULL)
			probe(s, node, path, json_integer(65536), "too big");
	}
}

Test(statement, corruption_sweep)
{
	static const char *bases[] = {
		manifest, slsa, sbom, approval, approval_signer, approval_tdx,
	};
	size_t total = 0;

	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		struct sweep s = { bases[i], NULL, 0 };
		json_error_t jerr;
		char path[256];

		s.root = json_loads(bases[i], JSON_REJECT_DUPLICATES, &jerr);
		cr_assert_not_null(s.root);
		mlog_statement_free(parse_ok(bases[i], strlen(bases[i])));
		path[0] = '\0';
		sweep_node(&s, s.root, path, 0, sizeof(path));
		cr_assert_gt(s.probes, 0, "base %zu had nothing to probe", i);
		/* the restored tree is the base again */
		{
			char *back = json_dumps(s.root, JSON_COMPACT);

			mlog_statement_free(parse_ok(back, strlen(back)));
			free(back);
		}
		json_decref(s.root);
		total += s.probes;
	}
	/* 4 SGX, 6 TDX, 3 SNP, 4 Nitro fields, digests, commit, ... */
	cr_assert_geq(total, 150, "only %zu probes", total);
}

/* ------------------------------------------------------------------ */
/* Envelopes, roles, names                                             */
/* ------------------------------------------------------------------ */

static struct mlog_dsse_envelope *envelope_of(const char *type,
	const char *payload)
{
	size_t n = strlen(payload), cap = MLOG_CODEC_B64_LEN(n) + 1;
	char *b64 = malloc(cap), *json = malloc(cap + 256);
	struct mlog_dsse_envelope *e = NULL;

	cr_assert_gt(mlog_codec_base64_encode(b64, cap,
		(const uint8_t *)payload, n), 0);
	sprintf(json, "{\"payloadType\":\"%s\",\"payload\":\"%s\","
		"\"signatures\":[{\"sig\":\"AQ==\"}]}", type, b64);
	cr_assert_eq(mlog_dsse_parse(&e, json, strlen(json), NULL), MLOG_OK);
	free(b64);
	free(json);
	return e;
}

Test(statement, from_envelope)
{
	struct mlog_dsse_envelope *e = envelope_of(MLOG_DSSE_TYPE_INTOTO,
		approval);
	struct mlog_statement *st = NULL;
	struct mlog_error err = { 0 };

	cr_assert_eq(mlog_statement_parse_envelope(&st, e, &err), MLOG_OK,
		"%s", err.msg);
	cr_assert_eq(st->type, MLOG_STATEMENT_APPROVAL);
	mlog_statement_free(st);
	mlog_dsse_free(e);

	st = (struct mlog_statement *)1;
	e = envelope_of("application/json", approval);
	cr_assert_eq(mlog_statement_parse_envelope(&st, e, &err),
		MLOG_ERR_MALFORMED);
	cr_assert(strstr(err.msg, "payloadType: want "
		"application/vnd.in-toto+json") != NULL, "%s", err.msg);
	cr_assert_eq(st, (struct mlog_statement *)1);
	mlog_dsse_free(e);

	e = envelope_of(MLOG_DSSE_TYPE_INTOTO, "{\"_type\":1}");
	cr_assert_eq(mlog_statement_parse_envelope(&st, e, &err),
		MLOG_ERR_MALFORMED);
	cr_assert(strstr(err.msg, "_type") != NULL, "%s", err.msg);
	mlog_dsse_free(e);
}

Test(statement, types_and_roles)
{
	static const struct {
		int type;
		const char *uri;
		unsigned role;
		const char *role_name;
	} t[] = {
		{ MLOG_STATEMENT_BUILD_MANIFEST, "urn:mlog:build-manifest:v1",
			MLOG_STATEMENT_ROLE_BUILD, "build" },
		{ MLOG_STATEMENT_SLSA_PROVENANCE,
			"https://slsa.dev/provenance/v1",
			MLOG_STATEMENT_ROLE_BUILD, "build" },
		{ MLOG_STATEMENT_SBOM, "urn:mlog:sbom:v1",
			MLOG_STATEMENT_ROLE_SBOM, "sbom" },
		{ MLOG_STATEMENT_APPROVAL, "urn:mlog:approval:v1",
			MLOG_STATEMENT_ROLE_APPROVAL, "approval" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		unsigned role = 0;

		cr_assert_str_eq(mlog_statement_type_uri(t[i].type), t[i].uri);
		cr_assert_eq(mlog_statement_type_role(t[i].type), t[i].role);
		cr_assert_str_eq(mlog_statement_role_name(t[i].role),
			t[i].role_name);
		cr_assert_eq(mlog_statement_role_parse(&role, t[i].role_name,
			strlen(t[i].role_name)), MLOG_OK);
		cr_assert_eq(role, t[i].role);
	}
	cr_assert_null(mlog_statement_type_uri(0));
	cr_assert_null(mlog_statement_type_uri(5));
	cr_assert_eq(mlog_statement_type_role(0), 0);
	cr_assert_null(mlog_statement_role_name(0));
	cr_assert_null(mlog_statement_role_name(MLOG_STATEMENT_ROLE_BUILD |
		MLOG_STATEMENT_ROLE_SBOM));
	{
		static const char *bad[] = { "", "Build", "builds", "admin",
			"build,sbom", "sbom " };
		unsigned role = 77;

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			cr_assert_eq(mlog_statement_role_parse(&role, bad[i],
				strlen(bad[i])), MLOG_ERR_MALFORMED, "%s",
				bad[i]);
		cr_assert_eq(role, 77);
		/* length-bounded: "build" inside a longer buffer */
		cr_assert_eq(mlog_statement_role_parse(&role, "buildx", 5),
			MLOG_OK);
		cr_assert_eq(role, MLOG_STATEMENT_ROLE_BUILD);
	}
}

Test(statement, key_names)
{
	static const char *names[] = {
		NULL, "digest", "sgx.mrenclave", "sgx.mrsigner", "tdx.mrtd",
		"sev-snp.measurement", "sev-snp.id_key_digest", "nitro.pcr0",
		"nitro.pcr8", "ticket",
	};

	for (int k = 1; k < (int)(sizeof(names) / sizeof(names[0])); k++)
		cr_assert_str_eq(mlog_statement_key_name(k), names[k]);
	cr_assert_null(mlog_statement_key_name(0));
	cr_assert_null(mlog_statement_key_name(10));
}

/* ------------------------------------------------------------------ */
/* Lexical rules                                                       */
/* ------------------------------------------------------------------ */

Test(statement, rfc3339_times)
{
	static const struct {
		const char *s;
		int64_t t;
	} good[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1969-12-31T23:59:59Z", -1 },
		{ "2025-01-31T09:30:00Z", 1738315800 },
		{ "2000-02-29T12:00:00+01:00", 951822000 },
		{ "2025-01-31T09:30:00.123456789-05:30", 1738335600 },
		{ "2024-02-29T00:00:00+00:00", 1709164800 },
		{ "2000-01-01T00:00:00-00:00", 946684800 },
		{ "2024-12-31T23:59:59-23:59", 1735775939 },
		{ "0001-01-01T00:00:00Z", -62135596800 },
		{ "9999-12-31T23:59:59Z", 253402300799 },
		{ "2025-01-31T09:30:00.5Z", 1738315800 },
	};
	static const char *bad[] = {
		"", "2025", "2025-01-31", "2025-01-31T09:30:00",
		"2025-01-31T09:30Z", "2025-01-31t09:30:00Z",
		"2025-01-31T09:30:00z", "2025-01-31 09:30:00Z",
		"2025-01-31T09:30:00ZZ", "2025-01-31T09:30:00Z ",
		" 2025-01-31T09:30:00Z", "2025-1-31T09:30:00Z",
		"25-01-31T09:30:00Z", "+2025-01-31T09:30:00Z",
		"2025/01/31T09:30:00Z", "2025-01-31T09.30.00Z",
		"2025-00-10T00:00:00Z", "2025-13-10T00:00:00Z",
		"2025-01-00T00:00:00Z", "2025-01-32T00:00:00Z",
		"2025-02-29T00:00:00Z", "1900-02-29T00:00:00Z",
		"2025-04-31T00:00:00Z", "2025-06-31T00:00:00Z",
		"2025-01-31T24:00:00Z", "2025-01-31T23:60:00Z",
		"2025-01-31T23:59:60Z", "2025-01-31T09:30:00+24:00",
		"2025-01-31T09:30:00+05:60", "2025-01-31T09:30:00+0530",
		"2025-01-31T09:30:00+05", "2025-01-31T09:30:00+05:30:00",
		"2025-01-31T09:30:00.Z", "2025-01-31T09:30:00.1234567890Z",
		"2025-01-31T09:30:00,5Z", "2025-01-31T09:30:00.5",
		"2025-01-31T0a:30:00Z", "2025-01-31T09:30:00-5:30",
		"2025-01-31T09:30:00+05:3a", "２０２５-01-31T09:30:00Z",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int64_t t = 12345;

		cr_assert_eq(mlog_statement_time_parse(&t, good[i].s,
			strlen(good[i].s)), MLOG_OK, "%s", good[i].s);
		cr_assert_eq(t, good[i].t, "%s: %lld, want %lld", good[i].s,
			(long long)t, (long long)good[i].t);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t t = 12345;

		cr_assert_eq(mlog_statement_time_parse(&t, bad[i],
			strlen(bad[i])), MLOG_ERR_MALFORMED, "accepted \"%s\"",
			bad[i]);
		cr_assert_eq(t, 12345, "output touched for %s", bad[i]);
	}
	/* length-bounded: a valid prefix of a longer buffer */
	{
		int64_t t = 0;

		cr_assert_eq(mlog_statement_time_parse(&t,
			"1970-01-01T00:00:01Zjunk", 20), MLOG_OK);
		cr_assert_eq(t, 1);
	}
}

Test(statement, ticket_grammar)
{
	static const char *good[] = {
		"CHG-1234", "CHG0030001", "INC-1", "1", "a", "JIRA-12.3",
		"x_y-z.0", H64("Z"),
	};
	static const char *bad[] = {
		"", "-CHG", ".CHG", "_x", "CHG 1234", "CHG/1234", "#1234",
		"org/repo#12", "CHG:1", "CHG-1234\n", "\tCHG", "é-1",
		H64("Z") "Z", "CHG+1", "CHG@1",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert_eq(mlog_statement_ticket_valid(good[i],
			strlen(good[i])), 1, "rejected %s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(mlog_statement_ticket_valid(bad[i],
			strlen(bad[i])), 0, "accepted %s", bad[i]);
}

Test(statement, sbom_format_grammar)
{
	static const char *good[] = {
		"spdx-2.3", "cyclonedx-1.5", "spdx-3.0.1", "syft-json-16",
		"a-0", "cyclonedx-1", "x1-y2-3",
	};
	static const char *bad[] = {
		"spdx", "SPDX-2.3", "spdx-", "spdx-2.", "spdx-.3", "-2.3",
		"spdx--x-2", "spdx-x-", "spdx 2.3", "spdx-2..3", "spdx-v2",
		"1spdx-2", "spdx_2.3", "spdx-json-", "spdx-2.3-",
		"a-" H64("1"),
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char val[96];
		char *json;

		snprintf(val, sizeof(val), "\"%s\"", good[i]);
		json = mutate(sbom, "predicate.format", val);
		mlog_statement_free(parse_ok(json, strlen(json)));
		free(json);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char val[96];
		char *json;

		snprintf(val, sizeof(val), "\"%s\"", bad[i]);
		json = mutate(sbom, "predicate.format", val);
		expect_bad(json, strlen(json), MLOG_ERR_MALFORMED,
			"predicate.format: want <name>-<version>", bad[i]);
		free(json);
	}
}
