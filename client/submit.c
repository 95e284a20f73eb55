/*
 * submit.c — submission and receipt verification; see submit.h.
 */
#include "submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "codec.h"
#include "dsse.h"
#include "proof.h"

void cli_receipt_clear(struct cli_receipt *r)
{
	cli_checkpoint_clear(&r->cp);
	free(r->entry);
	memset(r, 0, sizeof(*r));
}

static int b64_hash(const char *s, uint8_t out[MLOG_HASH_BYTES])
{
	size_t n = 0;

	return s != NULL && mlog_codec_base64_decode(out, MLOG_HASH_BYTES, &n,
		s, strlen(s)) == MLOG_OK && n == MLOG_HASH_BYTES;
}

/* The canonical encoding of the envelope: what the log must store. */
static int canonical(const char *envelope, size_t len, uint8_t **out,
	size_t *out_len, struct mlog_error *err)
{
	struct mlog_dsse_envelope *e = NULL;
	char *canon = NULL;
	int rc = mlog_dsse_parse(&e, envelope, len, err);

	if (rc == MLOG_OK)
		rc = mlog_dsse_format(&canon, out_len, e, err);
	mlog_dsse_free(e);
	if (rc == MLOG_OK)
		*out = (uint8_t *)canon;
	return rc;
}

static int check_receipt(struct cli_log *l, const char *body,
	struct cli_receipt *r, struct mlog_error *err)
{
	uint8_t (*proof)[MLOG_HASH_BYTES] = r->proof, leaf[MLOG_HASH_BYTES];
	json_t *j = json_loads(body, 0, NULL), *arr;
	const char *note;
	size_t n;
	int rc = MLOG_OK;

	arr = json_object_get(j, "inclusion_proof");
	note = json_string_value(json_object_get(j, "checkpoint"));
	if (j == NULL || !json_is_integer(json_object_get(j, "index")) ||
	    json_integer_value(json_object_get(j, "index")) < 0 ||
	    note == NULL || !json_is_array(arr) ||
	    json_array_size(arr) > MLOG_PROOF_MAX ||
	    !b64_hash(json_string_value(json_object_get(j, "leaf_hash")),
		leaf)) {
		json_decref(j);
		return mlog_error_set(err, MLOG_ERR_VERIFY,
			"the log's receipt is not a receipt: %.80s", body);
	}
	r->index = (uint64_t)json_integer_value(json_object_get(j, "index"));
	n = json_array_size(arr);
	r->proof_len = n;
	for (size_t i = 0; i < n && rc == MLOG_OK; i++) {
		if (!b64_hash(json_string_value(json_array_get(arr, i)),
			proof[i]))
			rc = mlog_error_set(err, MLOG_ERR_VERIFY,
				"receipt: proof element %zu is not a base64 "
				"hash", i);
	}
	if (rc == MLOG_OK && memcmp(leaf, r->leaf, MLOG_HASH_BYTES) != 0)
		rc = mlog_error_set(err, MLOG_ERR_VERIFY,
			"receipt: leaf_hash is not the hash of the canonical "
			"envelope this client sent");
	if (rc == MLOG_OK) {
		rc = cli_checkpoint_from_note(l, &r->cp, note, strlen(note), 0,
			err);
		if (rc != MLOG_OK) {
			mlog_error_wrap(err, MLOG_ERR_VERIFY,
				"receipt checkpoint");
			rc = MLOG_ERR_VERIFY;
		}
	}
	if (rc == MLOG_OK && mlog_proof_verify_inclusion(l->h, r->index,
		r->cp.cp.size, r->leaf, (const uint8_t (*)[MLOG_HASH_BYTES])
		proof, n, r->cp.cp.root) != MLOG_OK)
		rc = mlog_error_set(err, MLOG_ERR_VERIFY,
			"receipt: the inclusion proof of entry %llu does not "
			"verify against the checkpoint of size %llu",
			(unsigned long long)r->index,
			(unsigned long long)r->cp.cp.size);
	json_decref(j);
	return rc;
}

int cli_submit(struct cli_log *l, const char *envelope, size_t len,
	struct cli_receipt *out, long *http_status, struct mlog_error *err)
{
	struct cli_receipt r;
	char *body = NULL;
	long status;
	int rc;

	memset(&r, 0, sizeof(r));
	*http_status = 0;
	rc = canonical(envelope, len, &r.entry, &r.entry_len, err);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, MLOG_ERR_MALFORMED, "envelope");
	mlog_hash_leaf(l->h, r.leaf, r.entry, r.entry_len);
	status = cli_log_post(l, "/v1/entries", r.entry, r.entry_len, &body,
		NULL);
	*http_status = status;
	if (status != 200 && status != 201) {
		json_t *j = json_loads(body, 0, NULL);
		const char *msg = json_string_value(json_object_get(j,
			"error"));

		if (status < 0)
			rc = mlog_error_set(err, MLOG_ERR_IO, "%s",
				l->last_error);
		else
			rc = mlog_error_set(err, MLOG_ERR_IO,
				"the log refused the entry: HTTP %ld: %s",
				status, msg != NULL ? msg : "(no message)");
		json_decref(j);
		free(body);
		cli_receipt_clear(&r);
		return rc;
	}
	r.fresh = status == 201;
	rc = check_receipt(l, body, &r, err);
	free(body);
	if (rc != MLOG_OK) {
		cli_receipt_clear(&r);
		return rc;
	}
	*out = r;
	return MLOG_OK;
}

int cli_receipt_save(struct cli_log *l, const struct cli_receipt *r,
	const char *path, unsigned wait_s, struct mlog_error *err)
{
	uint8_t proof[MLOG_PROOF_MAX][MLOG_HASH_BYTES], leaf[MLOG_HASH_BYTES];
	struct cli_checkpoint cp;
	uint8_t *entry = NULL;
	size_t entry_len = 0, n = 0;
	int rc;

	/* The receipt's checkpoint is enough if it meets the quorum. */
	if (mlog_policy_verify(NULL, NULL, l->policy, r->cp.note,
		r->cp.note_len, NULL) == MLOG_OK)
		return cli_tlogproof_write(path, &r->cp, r->index, r->entry,
			r->entry_len, (const uint8_t (*)[MLOG_HASH_BYTES])
			r->proof, r->proof_len, err) == MLOG_OK
			? MLOG_OK
			: mlog_error_wrap(err, MLOG_ERR_IO, "saving");
	/* Otherwise a witnessed checkpoint covering the entry. */
	for (unsigned waited = 0;; waited++) {
		struct mlog_error e2 = { 0, "" };

		rc = cli_log_checkpoint(l, &cp, 1, &e2);
		if (rc == MLOG_OK && cp.cp.size > r->index)
			break;
		if (rc == MLOG_OK)
			cli_checkpoint_clear(&cp);
		if (waited >= wait_s)
			return mlog_error_set(err, MLOG_ERR_IO,
				"no checkpoint meeting the policy's witness "
				"quorum covers entry %llu after %u s%s%s",
				(unsigned long long)r->index, wait_s,
				rc != MLOG_OK ? ": " : "",
				rc != MLOG_OK ? e2.msg : "");
		sleep(1);
	}
	rc = cli_log_entry(l, &cp, r->index, &entry, &entry_len, leaf, proof,
		&n, err);
	if (rc == MLOG_OK && (entry_len != r->entry_len ||
	    memcmp(entry, r->entry, entry_len) != 0))
		rc = mlog_error_set(err, MLOG_ERR_VERIFY,
			"entry %llu in the witnessed tree is not the one "
			"submitted", (unsigned long long)r->index);
	if (rc == MLOG_OK)
		rc = cli_tlogproof_write(path, &cp, r->index, entry, entry_len,
			(const uint8_t (*)[MLOG_HASH_BYTES])proof, n, err);
	free(entry);
	cli_checkpoint_clear(&cp);
	return rc;
}

void cli_receipt_print(const struct cli_log *l, const struct cli_receipt *r,
	const char *saved_to, int json)
{
	char hex[2 * MLOG_HASH_BYTES + 1];

	mlog_codec_hex_encode(hex, r->leaf, MLOG_HASH_BYTES);
	if (json) {
		json_t *o = json_object();

		cli_json_set(o, "index", cli_json_int((long long)r->index));
		cli_json_set(o, "status", cli_json_str(r->fresh ? "new"
			: "already_present"));
		cli_json_set(o, "leaf_hash", cli_json_str(hex));
		cli_json_set(o, "origin", cli_json_str(r->cp.cp.origin));
		cli_json_set(o, "checkpoint_size",
			cli_json_int((long long)r->cp.cp.size));
		cli_json_set(o, "log", cli_json_str(l->url));
		if (saved_to != NULL)
			cli_json_set(o, "proof", cli_json_str(saved_to));
		cli_json_print(o);
		return;
	}
	printf("entry %llu %s in %s (tree size %llu, receipt verified)\n"
		"leaf hash %s\n", (unsigned long long)r->index,
		r->fresh ? "added" : "was already present", r->cp.cp.origin,
		(unsigned long long)r->cp.cp.size, hex);
	if (saved_to != NULL)
		printf("proof saved to %s\n", saved_to);
	cli_flush();
}

int cli_submit_and_report(struct cli_log *l, const char *envelope,
	size_t len, const char *out_path, unsigned wait_s, int json)
{
	struct mlog_error err = { 0, "" };
	struct cli_receipt r;
	long status = 0;
	int rc;

	rc = cli_submit(l, envelope, len, &r, &status, &err);
	if (rc == MLOG_ERR_VERIFY) {
		cli_warnx("the log's receipt does not verify: %s", err.msg);
		return CLI_EXIT_NO;
	}
	if (rc != MLOG_OK)
		cli_errx("%s", err.msg);
	if (out_path != NULL) {
		rc = cli_receipt_save(l, &r, out_path, wait_s, &err);
		if (rc == MLOG_ERR_VERIFY) {
			cli_warnx("%s", err.msg);
			cli_receipt_clear(&r);
			return CLI_EXIT_NO;
		}
		if (rc != MLOG_OK)
			cli_errx("%s: %s", out_path, err.msg);
	}
	cli_receipt_print(l, &r, out_path, json);
	cli_receipt_clear(&r);
	return CLI_EXIT_OK;
}
