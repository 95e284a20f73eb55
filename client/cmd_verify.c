/*
 * cmd_verify.c — `mlog verify FILE`: checks, fully offline, against a trust
 * policy (--policy FILE or --log-key VKEY):
 *
 *   a C2SP tlog-proof     the checkpoint meets the policy (log signature,
 *                         witness quorum) and the entry (its extra data,
 *                         or --entry FILE) is included;
 *   a signed checkpoint   it meets the policy;
 *   a consistency proof   the JSON of `mlog prove consistency`: both
 *                         checkpoints are the log's and the newer tree
 *                         extends the older;
 *   a directory           an evidence bundle of `mlog audit`
 *                         (evidence.h), against the policy given, or
 *                         else against the bundle's own.
 *
 * Exit 0 valid, 1 invalid (including evidence that does not even parse:
 * a changed byte must never pass), 2 error (usage, unreadable file, bad
 * policy).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"
#include "codec.h"
#include "evidence.h"
#include "logclient.h"
#include "proof.h"
#include "tlogproof.h"

#define VERIFY_MAX MLOG_TLOGPROOF_MAX_BYTES

static int invalid(const char *path, const char *why)
{
	printf("invalid: %s: %s\n", path, why);
	cli_flush();
	return CLI_EXIT_NO;
}

static void print_witnesses(const struct cli_log *l,
	const struct mlog_policy_result *res)
{
	for (size_t i = 0; i < res->ncosigs; i++)
		printf("  cosigned by %s at %llu\n",
			l->policy->witnesses[res->cosigs[i].witness].name,
			(unsigned long long)res->cosigs[i].timestamp);
}

static int verify_tlogproof(struct cli_log *l, const char *path,
	const char *text, size_t len, const char *entry_path)
{
	struct mlog_tlogproof p;
	struct mlog_policy_result res;
	struct mlog_error err = { 0, "" };
	char *entry = NULL;
	size_t entry_len = 0;
	int rc;

	memset(&p, 0, sizeof(p));
	if (mlog_tlogproof_parse(&p, text, len, &err) != MLOG_OK)
		return invalid(path, err.msg);
	if (entry_path != NULL)
		entry = cli_slurp(entry_path, MLOG_TLOGPROOF_EXTRA_MAX,
			&entry_len);
	rc = mlog_tlogproof_verify(l->h, &res, &p, l->policy,
		(const uint8_t *)entry, entry_len, &err);
	free(entry);
	if (rc != MLOG_OK) {
		mlog_tlogproof_clear(&p);
		return invalid(path, err.msg);
	}
	printf("valid: entry %llu is in %s at tree size %llu\n",
		(unsigned long long)p.index, p.cp.origin,
		(unsigned long long)p.cp.size);
	print_witnesses(l, &res);
	cli_flush();
	mlog_tlogproof_clear(&p);
	return CLI_EXIT_OK;
}

static int verify_checkpoint(struct cli_log *l, const char *path,
	const char *text, size_t len)
{
	struct cli_checkpoint cp;
	struct mlog_error err = { 0, "" };

	if (cli_checkpoint_from_note(l, &cp, text, len, 1, &err) != MLOG_OK)
		return invalid(path, err.msg);
	printf("valid: checkpoint of %s at tree size %llu\n", cp.cp.origin,
		(unsigned long long)cp.cp.size);
	print_witnesses(l, &cp.res);
	cli_flush();
	cli_checkpoint_clear(&cp);
	return CLI_EXIT_OK;
}

static int hash_field(json_t *j, const char *name, uint8_t out[MLOG_HASH_BYTES])
{
	const char *s = json_string_value(json_object_get(j, name));
	size_t n = 0;

	return s != NULL && mlog_codec_base64_decode(out, MLOG_HASH_BYTES, &n,
		s, strlen(s)) == MLOG_OK && n == MLOG_HASH_BYTES;
}

static int verify_consistency(struct cli_log *l, const char *path,
	const char *text, size_t len)
{
	uint8_t proof[MLOG_PROOF_MAX][MLOG_HASH_BYTES];
	uint8_t old_root[MLOG_HASH_BYTES];
	struct cli_checkpoint cp, oldcp;
	struct mlog_error err = { 0, "" };
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL), *arr;
	const char *note, *old_note;
	size_t n;
	int rc = CLI_EXIT_OK;

	memset(&oldcp, 0, sizeof(oldcp));
	arr = json_object_get(j, "proof");
	note = json_string_value(json_object_get(j, "checkpoint"));
	old_note = json_string_value(json_object_get(j, "old_checkpoint"));
	if (j == NULL || note == NULL || !json_is_array(arr) ||
	    json_array_size(arr) > MLOG_PROOF_MAX ||
	    !json_is_integer(json_object_get(j, "old")) ||
	    json_integer_value(json_object_get(j, "old")) < 1) {
		json_decref(j);
		return invalid(path, "not a consistency proof (want the JSON "
			"of mlog prove consistency)");
	}
	n = json_array_size(arr);
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(arr, i));
		size_t got = 0;

		if (s == NULL || mlog_codec_base64_decode(proof[i],
			MLOG_HASH_BYTES, &got, s, strlen(s)) != MLOG_OK ||
		    got != MLOG_HASH_BYTES) {
			json_decref(j);
			return invalid(path, "a proof element is not a base64 "
				"hash");
		}
	}
	if (cli_checkpoint_from_note(l, &cp, note, strlen(note), 1, &err)
		!= MLOG_OK) {
		json_decref(j);
		return invalid(path, err.msg);
	}
	if (old_note != NULL) {
		if (cli_checkpoint_from_note(l, &oldcp, old_note,
			strlen(old_note), 0, &err) != MLOG_OK) {
			rc = invalid(path, err.msg);
			goto out;
		}
		memcpy(old_root, oldcp.cp.root, MLOG_HASH_BYTES);
		if (oldcp.cp.size != (uint64_t)json_integer_value(
			json_object_get(j, "old"))) {
			rc = invalid(path, "old is not the old checkpoint's "
				"size");
			goto out;
		}
	} else if (!hash_field(j, "old_root", old_root)) {
		rc = invalid(path, "no old_checkpoint and no old_root");
		goto out;
	}
	if (mlog_proof_verify_consistency(l->h,
		(uint64_t)json_integer_value(json_object_get(j, "old")),
		cp.cp.size, old_root, cp.cp.root,
		(const uint8_t (*)[MLOG_HASH_BYTES])proof, n) != MLOG_OK) {
		rc = invalid(path, "the consistency proof does not verify");
		goto out;
	}
	printf("valid: %s at size %llu extends its tree of size %lld%s\n",
		cp.cp.origin, (unsigned long long)cp.cp.size,
		(long long)json_integer_value(json_object_get(j, "old")),
		old_note != NULL ? " (signed checkpoint)" : " (root only)");
	print_witnesses(l, &cp.res);
	cli_flush();
out:
	cli_checkpoint_clear(&cp);
	cli_checkpoint_clear(&oldcp);
	json_decref(j);
	return rc;
}

/* An evidence bundle (evidence.h): against the caller's policy when one
 * is given, else against the bundle's own (which only proves that the log
 * whose key it names signed it: the report says which key). */
static int verify_bundle(const char *dir, const char *policy,
	const char *vkey)
{
	struct mlog_error err = { 0, "" };
	int rc;

	if (policy != NULL || vkey != NULL) {
		struct cli_log l;

		cli_log_open(&l, NULL, policy, vkey, NULL, 0);
		rc = cli_evidence_verify_trusted(dir, l.policy, stdout, &err);
		cli_log_close(&l);
	} else {
		rc = cli_evidence_verify(dir, stdout, &err);
	}
	if (rc != MLOG_OK && cli_evidence_exit_code(rc) == CLI_EXIT_NO)
		printf("invalid: %s: %s\n", dir, err.msg);
	cli_flush();
	if (cli_evidence_exit_code(rc) == CLI_EXIT_ERROR)
		cli_errx("%s: %s", dir, err.msg);
	return cli_evidence_exit_code(rc);
}

int cli_cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy", required_argument, NULL, 'p' },
		{ "log-key", required_argument, NULL, 'k' },
		{ "entry", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *usage = CLI_USAGE_VERIFY, *policy = NULL, *vkey = NULL;
	const char *entry = NULL, *path;
	struct cli_log l;
	struct stat st;
	char *text;
	size_t len = 0;
	int ch, rc;

	while ((ch = cli_getopt(argc, argv, opts, usage)) != -1) {
		switch (ch) {
		case 'p': policy = optarg; break;
		case 'k': vkey = optarg; break;
		case 'e': entry = optarg; break;
		case 'h': cli_usage(usage, NULL);
		}
	}
	if (optind + 1 != argc)
		cli_usage(usage, "verify takes one FILE");
	path = argv[optind];
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return verify_bundle(path, policy, vkey);
	cli_log_open(&l, NULL, policy, vkey, NULL, 0);
	text = cli_slurp(path, VERIFY_MAX, &len);
	if (len >= 23 && memcmp(text, "c2sp.org/tlog-proof@v1\n", 23) == 0)
		rc = verify_tlogproof(&l, path, text, len, entry);
	else if (len > 0 && text[0] == '{')
		rc = verify_consistency(&l, path, text, len);
	else
		rc = verify_checkpoint(&l, path, text, len);
	free(text);
	cli_log_close(&l);
	return rc;
}
