/*
 * cmd_publish.c — `mlog publish build|approval|sbom`: builds the in-toto
 * Statement of SPEC §2 from flags (and files it measures or hashes),
 * signs the DSSE envelope with a PEM key, submits it and verifies the
 * receipt (submit.h); --out saves a C2SP tlog-proof.
 *
 * The statement is checked with merkle/statement.h before anything is
 * signed, so a bad flag is reported here, naming the field, rather than
 * refused by the log.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli.h"
#include "codec.h"
#include "dsse.h"
#include "hash.h"
#include "logclient.h"
#include "statement.h"
#include "submit.h"

#define MAX_REPEAT 64

/* Everything the three kinds take; unused fields stay NULL. */
struct publish {
	const char *key_path;
	const char *out, *output;
	unsigned wait_s;
	int print_only;
	struct cli_log_opts lo;
	/* build */
	const char *enclave, *tee, *build_id, *source_uri, *commit, *builder;
	const char *mr[16];              /* measurement flags by slot */
	int debug;
	const char *artifacts[MAX_REPEAT], *subjects[MAX_REPEAT];
	const char *sboms[MAX_REPEAT], *toolchain[MAX_REPEAT];
	size_t nartifacts, nsubjects, nsboms, ntoolchain;
	/* approval */
	const char *mrenclave, *mrsigner, *min_isvsvn, *mrtd, *ticket;
	const char *decision, *approver, *reviewed_at, *build_entry, *comment;
	/* sbom */
	const char *uri, *sbom_format;
};

/* Measurement flags: name, TEE, JSON field, kind (h = hex, u = u16). */
static const struct mflag {
	const char *flag, *tee, *field;
	char kind;
} mflags[] = {
	{ "mrenclave", "sgx", "mrenclave", 'h' },
	{ "mrsigner", "sgx", "mrsigner", 'h' },
	{ "isvprodid", "sgx", "isvprodid", 'u' },
	{ "isvsvn", "sgx", "isvsvn", 'u' },
	{ "attributes", "sgx", "attributes", 'h' },
	{ "miscselect", "sgx", "miscselect", 'h' },
	{ "mrtd", "tdx", "mrtd", 'h' },
	{ "rtmr0", "tdx", "rtmr0", 'h' },
	{ "rtmr1", "tdx", "rtmr1", 'h' },
	{ "rtmr2", "tdx", "rtmr2", 'h' },
	{ "rtmr3", "tdx", "rtmr3", 'h' },
	{ "snp-measurement", "sev-snp", "measurement", 'h' },
	{ "pcr0", "nitro", "pcr0", 'h' },
	{ "pcr1", "nitro", "pcr1", 'h' },
	{ "pcr2", "nitro", "pcr2", 'h' },
	{ "pcr8", "nitro", "pcr8", 'h' },
};
#define NMFLAGS (sizeof(mflags) / sizeof(mflags[0]))

static void push(const char **list, size_t *n, const char *v,
	const char *usage)
{
	if (*n >= MAX_REPEAT)
		cli_usage(usage, "at most %d of a repeated flag", MAX_REPEAT);
	list[(*n)++] = v;
}

/* sha256 of a file's bytes, lowercase hex. */
static void file_sha256(char out[65], const char *path)
{
	struct cli_file f;
	struct mlog_hash *h = mlog_hash_new();
	uint8_t d[MLOG_HASH_BYTES];

	cli_file_read(&f, path, (size_t)1 << 32);
	mlog_hash_sha256(h, d, f.data, f.len);
	mlog_codec_hex_encode(out, d, MLOG_HASH_BYTES);
	cli_file_close(&f);
	mlog_hash_free(h);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

static json_t *digest_set(const char *alg, const char *hex)
{
	json_t *d = json_object();

	cli_json_set(d, alg, cli_json_str(hex));
	return d;
}

static void add_subject(json_t *subjects, const char *name,
	const char *alg, const char *hex)
{
	json_t *s = json_object();

	cli_json_set(s, "name", cli_json_str(name));
	cli_json_set(s, "digest", digest_set(alg, hex));
	json_array_append_new(subjects, s);
}

/* NAME=HEX subjects (sha256, or sha384 by length). */
static void add_named_subjects(json_t *subjects, const struct publish *p,
	const char *usage)
{
	for (size_t i = 0; i < p->nsubjects; i++) {
		const char *eq = strrchr(p->subjects[i], '=');
		char *name;

		if (eq == NULL || eq == p->subjects[i])
			cli_usage(usage, "--subject %s: want NAME=HEX",
				p->subjects[i]);
		name = strndup(p->subjects[i], (size_t)(eq - p->subjects[i]));
		add_subject(subjects, name, strlen(eq + 1) == 96 ? "sha384"
			: "sha256", eq + 1);
		free(name);
	}
	for (size_t i = 0; i < p->nartifacts; i++) {
		char hex[65];

		file_sha256(hex, p->artifacts[i]);
		add_subject(subjects, base_name(p->artifacts[i]), "sha256",
			hex);
	}
}

/* "spdx-2.3" / "cyclonedx-1.5" from an SBOM's content. */
static void sbom_format(char *out, size_t cap, const struct cli_file *f)
{
	json_t *j = json_loadb((const char *)f->data, f->len, 0, NULL);
	const char *v;

	out[0] = '\0';
	if (j != NULL) {
		v = json_string_value(json_object_get(j, "spdxVersion"));
		if (v != NULL && strncmp(v, "SPDX-", 5) == 0)
			snprintf(out, cap, "spdx-%s", v + 5);
		v = json_string_value(json_object_get(j, "bomFormat"));
		if (v != NULL && strcmp(v, "CycloneDX") == 0) {
			const char *ver = json_string_value(json_object_get(j,
				"specVersion"));

			if (ver != NULL)
				snprintf(out, cap, "cyclonedx-%s", ver);
		}
		json_decref(j);
		return;
	}
	/* SPDX tag-value: a "SPDXVersion: SPDX-x.y" line. */
	for (size_t i = 0; i + 19 < f->len; i++) {
		if ((i == 0 || f->data[i - 1] == '\n') &&
		    memcmp(f->data + i, "SPDXVersion: SPDX-", 18) == 0) {
			size_t n = 0;

			while (i + 18 + n < f->len && n + 6 < cap &&
			       f->data[i + 18 + n] != '\n' &&
			       f->data[i + 18 + n] != '\r')
				n++;
			snprintf(out, cap, "spdx-%.*s", (int)n,
				(const char *)f->data + i + 18);
			return;
		}
	}
}

static json_t *sbom_entry(const char *path, const char *forced,
	const char *uri, const char *usage)
{
	struct cli_file f;
	char fmt[72], hex[65];
	json_t *s = json_object();

	cli_file_read(&f, path, (size_t)1 << 32);
	if (forced != NULL)
		snprintf(fmt, sizeof(fmt), "%s", forced);
	else
		sbom_format(fmt, sizeof(fmt), &f);
	cli_file_close(&f);
	if (fmt[0] == '\0')
		cli_usage(usage, "can't tell the format of SBOM %s (want SPDX "
			"JSON or tag-value, or CycloneDX JSON): give "
			"--sbom-format", path);
	file_sha256(hex, path);
	cli_json_set(s, "format", cli_json_str(fmt));
	cli_json_set(s, "digest", digest_set("sha256", hex));
	if (uri != NULL)
		cli_json_set(s, "uri", cli_json_str(uri));
	return s;
}

static json_t *statement(json_t *subjects, const char *type,
	json_t *predicate)
{
	json_t *st = json_object();

	cli_json_set(st, "_type", cli_json_str(MLOG_STATEMENT_TYPE_V1));
	cli_json_set(st, "subject", subjects);
	cli_json_set(st, "predicateType", cli_json_str(type));
	cli_json_set(st, "predicate", predicate);
	return st;
}

/* The SGX measurement object of an enclave file. */
static json_t *enclave_measurement(const char *path, json_t *subjects)
{
	struct cli_enclave en;
	const struct mlog_sgx_sigstruct *s;
	json_t *m = json_object();
	char hex[65];

	cli_enclave_load(&en, path);
	s = &en.e.sig;
	if (!en.sig_ok)
		cli_errx("%s: the SIGSTRUCT signature does not verify (%s): "
			"refusing to publish its measurement", path,
			en.sig_err);
	cli_json_set(m, "tee", cli_json_str("sgx"));
	cli_json_set(m, "mrenclave", cli_json_hex(s->mrenclave,
		MLOG_SGX_HASH_BYTES));
	cli_json_set(m, "mrsigner", cli_json_hex(s->mrsigner,
		MLOG_SGX_HASH_BYTES));
	cli_json_set(m, "isvprodid", cli_json_int(s->isvprodid));
	cli_json_set(m, "isvsvn", cli_json_int(s->isvsvn));
	/* ATTRIBUTES (flags, xfrm) and MISCSELECT as stored (TEE-FORMATS
	 * §1: offsets 928 and 900 of the SIGSTRUCT). */
	cli_json_set(m, "attributes", cli_json_hex(s->raw + 928, 16));
	cli_json_set(m, "miscselect", cli_json_hex(s->raw + 900, 4));
	cli_json_set(m, "debug", json_boolean(s->attributes & 2));
	file_sha256(hex, path);
	add_subject(subjects, base_name(path), "sha256", hex);
	return m;
}

static json_t *flag_measurement(const struct publish *p, const char *usage)
{
	json_t *m = json_object();
	const char *tee = p->tee;

	for (size_t i = 0; i < NMFLAGS; i++) {
		if (p->mr[i] == NULL)
			continue;
		if (tee == NULL)
			tee = mflags[i].tee;
		if (strcmp(tee, mflags[i].tee) != 0)
			cli_usage(usage, "--%s is a %s field, not %s",
				mflags[i].flag, mflags[i].tee, tee);
		if (mflags[i].kind == 'u') {
			char *end;
			unsigned long v = strtoul(p->mr[i], &end, 10);

			if (*p->mr[i] == '\0' || *end != '\0' || v > 65535)
				cli_usage(usage, "--%s %s: want 0..65535",
					mflags[i].flag, p->mr[i]);
			cli_json_set(m, mflags[i].field,
				cli_json_int((long long)v));
		} else {
			cli_json_set(m, mflags[i].field,
				cli_json_str(p->mr[i]));
		}
	}
	if (tee == NULL) {
		json_decref(m);
		return NULL;
	}
	cli_json_set(m, "tee", cli_json_str(tee));
	if (strcmp(tee, "sgx") == 0)
		cli_json_set(m, "debug", json_boolean(p->debug));
	return m;
}

static json_t *build_statement(const struct publish *p, const char *usage)
{
	json_t *subjects = json_array(), *pred = json_object();
	json_t *build = json_object(), *source = json_object();
	json_t *meas = json_array(), *sbom = json_array(), *tools = json_array();
	json_t *m;

	if (p->build_id == NULL || p->source_uri == NULL || p->commit == NULL ||
	    p->builder == NULL)
		cli_usage(usage, "publish build needs --build-id, --source-uri, "
			"--commit and --builder");
	if (p->enclave != NULL)
		json_array_append_new(meas, enclave_measurement(p->enclave,
			subjects));
	m = flag_measurement(p, usage);
	if (m != NULL)
		json_array_append_new(meas, m);
	add_named_subjects(subjects, p, usage);
	if (json_array_size(subjects) == 0)
		cli_usage(usage, "publish build needs a subject: --enclave, "
			"--artifact or --subject");
	for (size_t i = 0; i < p->ntoolchain; i++) {
		const char *t = p->toolchain[i];
		const char *eq = strchr(t, '='), *eq2;
		json_t *o = json_object();
		char *name, *ver;

		eq2 = eq != NULL ? strchr(eq + 1, '=') : NULL;
		if (eq == NULL || eq2 == NULL)
			cli_usage(usage, "--toolchain %s: want "
				"NAME=VERSION=SHA256HEX", t);
		name = strndup(t, (size_t)(eq - t));
		ver = strndup(eq + 1, (size_t)(eq2 - eq - 1));
		cli_json_set(o, "name", cli_json_str(name));
		cli_json_set(o, "version", cli_json_str(ver));
		cli_json_set(o, "digest", digest_set("sha256", eq2 + 1));
		json_array_append_new(tools, o);
		free(name);
		free(ver);
	}
	for (size_t i = 0; i < p->nsboms; i++)
		json_array_append_new(sbom, sbom_entry(p->sboms[i],
			p->sbom_format, NULL, usage));
	cli_json_set(source, "uri", cli_json_str(p->source_uri));
	cli_json_set(source, "commit", cli_json_str(p->commit));
	cli_json_set(build, "id", cli_json_str(p->build_id));
	cli_json_set(build, "source", source);
	cli_json_set(build, "builder", cli_json_str(p->builder));
	cli_json_set(build, "toolchain", tools);
	cli_json_set(pred, "build", build);
	cli_json_set(pred, "measurements", meas);
	cli_json_set(pred, "sbom", sbom);
	return statement(subjects, "urn:mlog:build-manifest:v1", pred);
}

static json_t *approval_statement(const struct publish *p, const char *usage)
{
	json_t *subjects = json_array(), *pred = json_object();
	json_t *m = json_object();
	char now[32];

	if (p->ticket == NULL || p->approver == NULL)
		cli_usage(usage, "publish approval needs --ticket and "
			"--approver");
	if ((p->mrenclave != NULL) + (p->mrsigner != NULL) +
	    (p->mrtd != NULL) != 1)
		cli_usage(usage, "give one of --mrenclave, --mrsigner "
			"(with --min-isvsvn) or --mrtd");
	if (p->mrenclave != NULL) {
		add_subject(subjects, "sgx.mrenclave", "sha256", p->mrenclave);
		cli_json_set(m, "tee", cli_json_str("sgx"));
		cli_json_set(m, "mrenclave", cli_json_str(p->mrenclave));
	} else if (p->mrsigner != NULL) {
		char *end;
		unsigned long v;

		if (p->min_isvsvn == NULL)
			cli_usage(usage, "--mrsigner needs --min-isvsvn");
		v = strtoul(p->min_isvsvn, &end, 10);
		if (*p->min_isvsvn == '\0' || *end != '\0' || v > 65535)
			cli_usage(usage, "--min-isvsvn %s: want 0..65535",
				p->min_isvsvn);
		add_subject(subjects, "sgx.mrsigner", "sha256", p->mrsigner);
		cli_json_set(m, "tee", cli_json_str("sgx"));
		cli_json_set(m, "mrsigner", cli_json_str(p->mrsigner));
		cli_json_set(m, "min_isvsvn", cli_json_int((long long)v));
	} else {
		add_subject(subjects, "tdx.mrtd", "sha384", p->mrtd);
		cli_json_set(m, "tee", cli_json_str("tdx"));
		cli_json_set(m, "mrtd", cli_json_str(p->mrtd));
	}
	if (p->reviewed_at == NULL) {
		time_t t = time(NULL);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	cli_json_set(pred, "ticket", cli_json_str(p->ticket));
	cli_json_set(pred, "decision", cli_json_str(p->decision != NULL
		? p->decision : "approved"));
	cli_json_set(pred, "approver", cli_json_str(p->approver));
	cli_json_set(pred, "reviewed_at", cli_json_str(p->reviewed_at != NULL
		? p->reviewed_at : now));
	cli_json_set(pred, "measurement", m);
	if (p->build_entry != NULL) {
		char *end;
		unsigned long long v = strtoull(p->build_entry, &end, 10);

		if (*p->build_entry == '\0' || *end != '\0')
			cli_usage(usage, "--build-entry %s: want a log index",
				p->build_entry);
		cli_json_set(pred, "build_entry", cli_json_int((long long)v));
	}
	if (p->comment != NULL)
		cli_json_set(pred, "comment", cli_json_str(p->comment));
	return statement(subjects, "urn:mlog:approval:v1", pred);
}

static json_t *sbom_statement(const struct publish *p, const char *usage)
{
	json_t *subjects = json_array(), *pred;

	if (p->nsboms != 1)
		cli_usage(usage, "publish sbom takes exactly one --sbom FILE");
	add_named_subjects(subjects, p, usage);
	if (json_array_size(subjects) == 0)
		cli_usage(usage, "publish sbom needs the artifacts it "
			"describes: --artifact or --subject");
	pred = sbom_entry(p->sboms[0], p->sbom_format, p->uri, usage);
	return statement(subjects, "urn:mlog:sbom:v1", pred);
}

/* Checks, signs and submits (or prints) the statement. */
static int sign_and_send(const struct publish *p, json_t *st,
	const char *usage)
{
	struct mlog_error err = { 0, "" };
	struct mlog_statement *parsed = NULL;
	struct mlog_dsse_envelope *env = NULL;
	struct mlog_dsse_key *key = NULL;
	const struct mlog_dsse_key *keys[1];
	char *json = json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS), *pem;
	char *canon = NULL;
	size_t pem_len = 0, canon_len = 0;
	struct cli_log l;
	int rc;

	json_decref(st);
	if (json == NULL)
		cli_errx("out of memory");
	if (mlog_statement_parse(&parsed, (const uint8_t *)json, strlen(json),
		&err) != MLOG_OK)
		cli_usage(usage, "%s", err.msg);
	mlog_statement_free(parsed);
	if (p->key_path == NULL)
		cli_usage(usage, "need --key SIGNER.pem (a PEM private key)");
	pem = cli_slurp(p->key_path, MLOG_DSSE_PEM_MAX, &pem_len);
	rc = mlog_dsse_key_parse_private(&key, pem, pem_len, &err);
	memset(pem, 0, pem_len);
	free(pem);
	if (rc != MLOG_OK)
		cli_errx("%s: %s", p->key_path, err.msg);
	keys[0] = key;
	if (mlog_dsse_sign(&env, MLOG_DSSE_TYPE_INTOTO, (const uint8_t *)json,
		strlen(json), keys, 1, &err) != MLOG_OK ||
	    mlog_dsse_format(&canon, &canon_len, env, &err) != MLOG_OK)
		cli_errx("signing: %s", err.msg);
	mlog_dsse_free(env);
	mlog_dsse_key_free(key);
	free(json);
	if (p->print_only) {
		printf("%s\n", canon);
		cli_flush();
		free(canon);
		return CLI_EXIT_OK;
	}
	cli_log_open_opts(&l, &p->lo, 1);
	rc = cli_submit_and_report(&l, canon, canon_len, p->out, p->wait_s,
		p->output != NULL && strcmp(p->output, "json") == 0);
	free(canon);
	cli_log_close(&l);
	return rc;
}

int cli_cmd_publish(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_LOG_OPTIONS,
		{ "key", required_argument, NULL, 'k' },
		{ "out", required_argument, NULL, 'o' },
		{ "wait", required_argument, NULL, 'w' },
		{ "output", required_argument, NULL, 'f' },
		{ "print", no_argument, NULL, 'p' },
		{ "enclave", required_argument, NULL, 'e' },
		{ "tee", required_argument, NULL, 't' },
		{ "artifact", required_argument, NULL, 'a' },
		{ "subject", required_argument, NULL, 's' },
		{ "sbom", required_argument, NULL, 'S' },
		{ "sbom-format", required_argument, NULL, 'F' },
		{ "uri", required_argument, NULL, 'u' },
		{ "build-id", required_argument, NULL, 'b' },
		{ "source-uri", required_argument, NULL, 'U' },
		{ "commit", required_argument, NULL, 'c' },
		{ "builder", required_argument, NULL, 'B' },
		{ "toolchain", required_argument, NULL, 'T' },
		{ "debug", no_argument, NULL, 'D' },
		{ "min-isvsvn", required_argument, NULL, 'n' },
		{ "ticket", required_argument, NULL, 'K' },
		{ "decision", required_argument, NULL, 'd' },
		{ "approver", required_argument, NULL, 'A' },
		{ "reviewed-at", required_argument, NULL, 'r' },
		{ "build-entry", required_argument, NULL, 'E' },
		{ "comment", required_argument, NULL, 'C' },
		/* measurement flags: 0x200 + index into mflags[] */
		{ "mrenclave", required_argument, NULL, 0x200 },
		{ "mrsigner", required_argument, NULL, 0x201 },
		{ "isvprodid", required_argument, NULL, 0x202 },
		{ "isvsvn", required_argument, NULL, 0x203 },
		{ "attributes", required_argument, NULL, 0x204 },
		{ "miscselect", required_argument, NULL, 0x205 },
		{ "mrtd", required_argument, NULL, 0x206 },
		{ "rtmr0", required_argument, NULL, 0x207 },
		{ "rtmr1", required_argument, NULL, 0x208 },
		{ "rtmr2", required_argument, NULL, 0x209 },
		{ "rtmr3", required_argument, NULL, 0x20a },
		{ "snp-measurement", required_argument, NULL, 0x20b },
		{ "pcr0", required_argument, NULL, 0x20c },
		{ "pcr1", required_argument, NULL, 0x20d },
		{ "pcr2", required_argument, NULL, 0x20e },
		{ "pcr8", required_argument, NULL, 0x20f },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct publish p;
	const char *kind, *usage = CLI_USAGE_PUBLISH;
	int ch;

	memset(&p, 0, sizeof(p));
	p.wait_s = 30;
	if (argc < 2 || argv[1][0] == '-') {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0))
			cli_usage(usage, NULL);
		cli_usage(usage, "publish needs a kind: build, approval or "
			"sbom");
	}
	kind = argv[1];
	if (strcmp(kind, "build") != 0 && strcmp(kind, "approval") != 0 &&
	    strcmp(kind, "sbom") != 0)
		cli_usage(usage, "unknown kind '%s': want build, approval or "
			"sbom", kind);
	argc--;
	argv++;
	while ((ch = cli_getopt(argc, argv, opts, usage)) != -1) {
		if (cli_log_opt(&p.lo, ch, optarg))
			continue;
		if (ch >= 0x200 && ch < 0x200 + (int)NMFLAGS) {
			p.mr[ch - 0x200] = optarg;
			continue;
		}
		switch (ch) {
		case 'k': p.key_path = optarg; break;
		case 'o': p.out = optarg; break;
		case 'w': p.wait_s = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'f':
			cli_output_parse(optarg, CLI_OUTPUT_TEXT |
				CLI_OUTPUT_JSON, usage);
			p.output = optarg;
			break;
		case 'p': p.print_only = 1; break;
		case 'e': p.enclave = optarg; break;
		case 't': p.tee = optarg; break;
		case 'a': push(p.artifacts, &p.nartifacts, optarg, usage); break;
		case 's': push(p.subjects, &p.nsubjects, optarg, usage); break;
		case 'S': push(p.sboms, &p.nsboms, optarg, usage); break;
		case 'F': p.sbom_format = optarg; break;
		case 'u': p.uri = optarg; break;
		case 'b': p.build_id = optarg; break;
		case 'U': p.source_uri = optarg; break;
		case 'c': p.commit = optarg; break;
		case 'B': p.builder = optarg; break;
		case 'T': push(p.toolchain, &p.ntoolchain, optarg, usage); break;
		case 'D': p.debug = 1; break;
		case 'n': p.min_isvsvn = optarg; break;
		case 'K': p.ticket = optarg; break;
		case 'd': p.decision = optarg; break;
		case 'A': p.approver = optarg; break;
		case 'r': p.reviewed_at = optarg; break;
		case 'E': p.build_entry = optarg; break;
		case 'C': p.comment = optarg; break;
		case 'h': cli_usage(usage, NULL);
		}
	}
	if (optind != argc)
		cli_usage(usage, "unexpected argument '%s'", argv[optind]);
	if (strcmp(kind, "approval") == 0) {
		p.mrenclave = p.mr[0];
		p.mrsigner = p.mr[1];
		p.mrtd = p.mr[6];
		return sign_and_send(&p, approval_statement(&p, usage), usage);
	}
	if (strcmp(kind, "sbom") == 0)
		return sign_and_send(&p, sbom_statement(&p, usage), usage);
	return sign_and_send(&p, build_statement(&p, usage), usage);
}
