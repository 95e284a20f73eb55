/*
 * cmd_prove.c — `mlog prove inclusion|consistency`: proofs computed by the
 * client from the log's tiles, authenticated against a checkpoint that
 * satisfies the trust policy (logclient.h), never taken from the server.
 *
 *   prove inclusion  --index I | --entry ENVELOPE  -> C2SP tlog-proof
 *                    (default) or JSON
 *   prove consistency --old M | --old-checkpoint FILE -> JSON; with an old
 *                    checkpoint its root is compared with the one the
 *                    current tree implies (a fork check: exit 1 if they
 *                    differ)
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "codec.h"
#include "dsse.h"
#include "logclient.h"
#include "proof.h"

static json_t *b64(const uint8_t *p, size_t n)
{
	char out[MLOG_CODEC_B64_LEN(MLOG_HASH_BYTES) + 1];

	if (n > MLOG_HASH_BYTES ||
	    mlog_codec_base64_encode(out, sizeof(out), p, n) < 0)
		cli_errx("internal: base64");
	return cli_json_str(out);
}

static json_t *proof_array(const uint8_t (*proof)[MLOG_HASH_BYTES], size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, b64(proof[i], MLOG_HASH_BYTES));
	return a;
}

static uint64_t parse_u64(const char *s, const char *what, const char *usage)
{
	uint64_t v;

	if (mlog_codec_decimal_parse(&v, s, strlen(s)) != MLOG_OK)
		cli_usage(usage, "%s %s: want a decimal", what, s);
	return v;
}

/* The index of an envelope, as the log claims it (then proven). */
static uint64_t index_of_entry(struct cli_log *l, const char *path,
	uint8_t leaf[MLOG_HASH_BYTES], size_t size)
{
	struct mlog_dsse_envelope *e = NULL;
	struct mlog_error err = { 0, "" };
	char *env, *canon = NULL, hex[2 * MLOG_HASH_BYTES + 1], q[160];
	char *body = NULL;
	size_t len = 0, clen = 0;
	long status;
	json_t *j;
	uint64_t index;

	env = cli_slurp(path, MLOG_DSSE_MAX_BYTES, &len);
	if (mlog_dsse_parse(&e, env, len, &err) != MLOG_OK ||
	    mlog_dsse_format(&canon, &clen, e, &err) != MLOG_OK)
		cli_errx("%s: %s", path, err.msg);
	mlog_hash_leaf(l->h, leaf, canon, clen);
	mlog_codec_hex_encode(hex, leaf, MLOG_HASH_BYTES);
	snprintf(q, sizeof(q), "/v1/proof/inclusion?leaf_hash=%s&size=%zu",
		hex, size);
	status = cli_log_get(l, q, &body, NULL, NULL);
	if (status == 404)
		cli_errx("%s: not in the log at size %zu", path, size);
	if (status != 200)
		cli_errx("%s: looking up the entry: %s", path,
			status < 0 ? l->last_error : "HTTP error");
	j = json_loads(body, 0, NULL);
	if (!json_is_integer(json_object_get(j, "index")))
		cli_errx("%s: the log's answer has no index", path);
	index = (uint64_t)json_integer_value(json_object_get(j, "index"));
	json_decref(j);
	free(body);
	free(canon);
	free(env);
	mlog_dsse_free(e);
	return index;
}

static int prove_inclusion(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_LOG_OPTIONS,
		{ "index", required_argument, NULL, 'i' },
		{ "entry", required_argument, NULL, 'e' },
		{ "output", required_argument, NULL, 'f' },
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = CLI_USAGE_PROVE;
	struct cli_log_opts lo = { NULL, NULL, NULL, NULL };
	struct mlog_error err = { 0, "" };
	struct cli_checkpoint cp;
	struct cli_log l;
	uint8_t proof[MLOG_PROOF_MAX][MLOG_HASH_BYTES], leaf[MLOG_HASH_BYTES];
	uint8_t want[MLOG_HASH_BYTES], *entry = NULL;
	const char *index_arg = NULL, *entry_path = NULL, *out = "-";
	int json = 0, ch;
	size_t n = 0, entry_len = 0;
	uint64_t index;

	while ((ch = cli_getopt(argc, argv, opts, usage)) != -1) {
		if (cli_log_opt(&lo, ch, optarg))
			continue;
		switch (ch) {
		case 'i': index_arg = optarg; break;
		case 'e': entry_path = optarg; break;
		case 'o': out = optarg; break;
		case 'f':
			if (strcmp(optarg, "tlog-proof") == 0)
				json = 0;
			else if (strcmp(optarg, "json") == 0)
				json = 1;
			else
				cli_usage(usage, "--output %s: want tlog-proof "
					"or json", optarg);
			break;
		case 'h': cli_usage(usage, NULL);
		}
	}
	if (optind != argc || (index_arg == NULL) == (entry_path == NULL))
		cli_usage(usage, "prove inclusion takes --index I or --entry "
			"ENVELOPE");
	cli_log_open_opts(&l, &lo, 1);
	if (cli_log_checkpoint(&l, &cp, 1, &err) != MLOG_OK)
		cli_errx("%s", err.msg);
	if (entry_path != NULL)
		index = index_of_entry(&l, entry_path, want, cp.cp.size);
	else
		index = parse_u64(index_arg, "--index", usage);
	if (cli_log_entry(&l, &cp, index, &entry, &entry_len, leaf, proof, &n,
		&err) != MLOG_OK)
		cli_errx("%s", err.msg);
	if (entry_path != NULL && memcmp(leaf, want, MLOG_HASH_BYTES) != 0)
		cli_errx("the log placed %s at index %llu, but that entry is "
			"another one", entry_path, (unsigned long long)index);
	if (json) {
		json_t *o = json_object();

		cli_json_set(o, "index", cli_json_int((long long)index));
		cli_json_set(o, "size", cli_json_int((long long)cp.cp.size));
		cli_json_set(o, "leaf_hash", b64(leaf, MLOG_HASH_BYTES));
		cli_json_set(o, "root", b64(cp.cp.root, MLOG_HASH_BYTES));
		cli_json_set(o, "proof", proof_array(
			(const uint8_t (*)[MLOG_HASH_BYTES])proof, n));
		cli_json_set(o, "checkpoint", cli_json_str(cp.note));
		cli_json_print(o);
	} else if (cli_tlogproof_write(out, &cp, index, entry, entry_len,
		(const uint8_t (*)[MLOG_HASH_BYTES])proof, n, &err)
		!= MLOG_OK) {
		cli_errx("%s: %s", out, err.msg);
	}
	cli_flush();
	free(entry);
	cli_checkpoint_clear(&cp);
	cli_log_close(&l);
	return CLI_EXIT_OK;
}

static int prove_consistency(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_LOG_OPTIONS,
		{ "old", required_argument, NULL, 'm' },
		{ "old-checkpoint", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = CLI_USAGE_PROVE;
	struct cli_log_opts lo = { NULL, NULL, NULL, NULL };
	struct mlog_error err = { 0, "" };
	struct cli_checkpoint cp, oldcp;
	struct cli_log l;
	uint8_t proof[MLOG_PROOF_MAX][MLOG_HASH_BYTES];
	uint8_t old_root[MLOG_HASH_BYTES];
	const char *old_arg = NULL, *old_path = NULL;
	size_t n = 0;
	uint64_t old;
	json_t *o;
	int ch, rc = CLI_EXIT_OK;

	memset(&oldcp, 0, sizeof(oldcp));
	while ((ch = cli_getopt(argc, argv, opts, usage)) != -1) {
		if (cli_log_opt(&lo, ch, optarg))
			continue;
		switch (ch) {
		case 'm': old_arg = optarg; break;
		case 'c': old_path = optarg; break;
		case 'h': cli_usage(usage, NULL);
		}
	}
	if (optind != argc || (old_arg == NULL) == (old_path == NULL))
		cli_usage(usage, "prove consistency takes --old M or "
			"--old-checkpoint FILE");
	cli_log_open_opts(&l, &lo, 1);
	if (old_path != NULL) {
		size_t len = 0;
		char *note = cli_slurp(old_path, MLOG_NOTE_MAX_BYTES, &len);

		if (cli_checkpoint_from_note(&l, &oldcp, note, len, 0, &err)
			!= MLOG_OK)
			cli_errx("%s: %s", old_path, err.msg);
		free(note);
		old = oldcp.cp.size;
	} else {
		old = parse_u64(old_arg, "--old", usage);
	}
	if (cli_log_checkpoint(&l, &cp, 1, &err) != MLOG_OK)
		cli_errx("%s", err.msg);
	if (cli_log_consistency(&l, &cp, old, old_root, proof, &n, &err)
		!= MLOG_OK)
		cli_errx("%s", err.msg);
	o = json_object();
	cli_json_set(o, "old", cli_json_int((long long)old));
	cli_json_set(o, "size", cli_json_int((long long)cp.cp.size));
	cli_json_set(o, "old_root", b64(old_root, MLOG_HASH_BYTES));
	cli_json_set(o, "root", b64(cp.cp.root, MLOG_HASH_BYTES));
	cli_json_set(o, "proof", proof_array(
		(const uint8_t (*)[MLOG_HASH_BYTES])proof, n));
	cli_json_set(o, "checkpoint", cli_json_str(cp.note));
	if (old_path != NULL) {
		cli_json_set(o, "old_checkpoint", cli_json_str(oldcp.note));
		if (memcmp(oldcp.cp.root, old_root, MLOG_HASH_BYTES) != 0) {
			char a[2 * MLOG_HASH_BYTES + 1], b[2 * MLOG_HASH_BYTES + 1];

			mlog_codec_hex_encode(a, oldcp.cp.root, MLOG_HASH_BYTES);
			mlog_codec_hex_encode(b, old_root, MLOG_HASH_BYTES);
			cli_warnx("%s: the log signed root %s for size %llu, "
				"but its current tree implies %s: the log "
				"forked", old_path, a, (unsigned long long)old,
				b);
			rc = CLI_EXIT_NO;
		}
	}
	cli_json_print(o);
	cli_checkpoint_clear(&cp);
	cli_checkpoint_clear(&oldcp);
	cli_log_close(&l);
	return rc;
}

int cli_cmd_prove(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "inclusion") == 0)
		return prove_inclusion(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "consistency") == 0)
		return prove_consistency(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0))
		cli_usage(CLI_USAGE_PROVE, NULL);
	cli_usage(CLI_USAGE_PROVE, "prove needs inclusion or consistency");
}
