/*
 * witness_req.c — tlog-witness add-checkpoint request, decision and
 * responses; see witness_req.h.
 */
#include "witness_req.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "proof.h"

#define B64_HASH_LEN MLOG_CODEC_B64_LEN(MLOG_HASH_BYTES)
/* "— " + name + " " + base64(key ID || timestamp || signature) + "\n". */
#define COSIG_LINE_MAX (4 + MLOG_NOTE_NAME_MAX + 1 + \
	MLOG_CODEC_B64_LEN(4 + MLOG_NOTE_COSIG_BYTES) + 1)

static ptrdiff_t line_len(const char *s, size_t len)
{
	const char *nl = memchr(s, '\n', len);

	return nl == NULL ? -1 : nl - s;
}

int mlog_witness_req_parse(struct mlog_witness_req *out, const char *body,
	size_t len, struct mlog_error *err)
{
	struct mlog_witness_req r;
	const char *p = body, *end = body + len;
	ptrdiff_t n;
	int rc;

	/* Rule 1, before anything else. */
	if (len > MLOG_WITNESS_REQ_MAX_BYTES)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"add-checkpoint: body of %zu bytes, over %d", len,
			MLOG_WITNESS_REQ_MAX_BYTES);
	memset(&r, 0, sizeof(r));

	/* Rule 2: "old <N>". */
	n = line_len(p, len);
	if (n < 4 || memcmp(p, "old ", 4) != 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"add-checkpoint: first line is not \"old <size>\"");
	if (mlog_codec_decimal_parse(&r.old, p + 4, (size_t)n - 4) != MLOG_OK)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"add-checkpoint: old size is not a C2SP decimal");
	p += n + 1;

	/* Rules 3 and 4: proof lines up to the empty line. */
	for (;;) {
		size_t got = 0;

		n = line_len(p, (size_t)(end - p));
		if (n < 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"add-checkpoint: no empty line before the "
				"checkpoint");
		if (n == 0) {
			p++;
			break;
		}
		if (r.proof_len == MLOG_WITNESS_REQ_MAX_PROOF)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"add-checkpoint: more than %d proof lines",
				MLOG_WITNESS_REQ_MAX_PROOF);
		if ((size_t)n != B64_HASH_LEN ||
		    mlog_codec_base64_decode(r.proof[r.proof_len],
			MLOG_HASH_BYTES, &got, p, (size_t)n) != MLOG_OK ||
		    got != MLOG_HASH_BYTES)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"add-checkpoint: proof line %zu is not base64 "
				"of 32 bytes", r.proof_len + 1);
		r.proof_len++;
		p += n + 1;
	}

	/* Rule 5: the signed checkpoint. */
	rc = mlog_note_parse(&r.note, p, (size_t)(end - p), err);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "add-checkpoint: checkpoint");
	rc = mlog_checkpoint_parse(&r.cp, r.note->text, r.note->text_len,
		err);
	if (rc != MLOG_OK) {
		mlog_note_free(r.note);
		return mlog_error_wrap(err, rc, "add-checkpoint");
	}
	*out = r;
	return MLOG_OK;
}

void mlog_witness_req_clear(struct mlog_witness_req *r)
{
	if (r == NULL)
		return;
	mlog_note_free(r->note);
	mlog_checkpoint_clear(&r->cp);
	memset(r, 0, sizeof(*r));
}

int mlog_witness_req_format(char **out, size_t *out_len, uint64_t old,
	const uint8_t (*proof)[MLOG_HASH_BYTES], size_t proof_len,
	const char *note, size_t note_len, struct mlog_error *err)
{
	struct mlog_note *n = NULL;
	struct mlog_checkpoint cp;
	size_t total, head;
	char *buf, *p;
	int rc;

	if (proof_len > MLOG_WITNESS_REQ_MAX_PROOF)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"add-checkpoint: %zu proof lines, more than %d",
			proof_len, MLOG_WITNESS_REQ_MAX_PROOF);
	if (old > MLOG_CODEC_DECIMAL_MAX)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"add-checkpoint: old size above 2^63-1");
	/* "old " + 19 digits + "\n", the proof, the empty line, the note. */
	head = 4 + 20 + proof_len * (B64_HASH_LEN + 1) + 1;
	if (note_len > MLOG_WITNESS_REQ_MAX_BYTES)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"add-checkpoint: checkpoint over %d bytes",
			MLOG_WITNESS_REQ_MAX_BYTES);
	/* The result must parse: check the note now. */
	rc = mlog_note_parse(&n, note, note_len, err);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "add-checkpoint: checkpoint");
	rc = mlog_checkpoint_parse(&cp, n->text, n->text_len, err);
	mlog_note_free(n);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "add-checkpoint");
	mlog_checkpoint_clear(&cp);

	buf = malloc(head + note_len + 1);
	if (buf == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM,
			"add-checkpoint: out of memory");
	/* head bounds this line (24 bytes at most). */
	p = buf + snprintf(buf, head, "old %" PRIu64 "\n", old);
	for (size_t i = 0; i < proof_len; i++) {
		rc = mlog_codec_base64_encode(p, B64_HASH_LEN + 1, proof[i],
			MLOG_HASH_BYTES);
		if (rc < 0) {
			free(buf);
			return mlog_error_set(err, MLOG_ERR_INTERNAL,
				"add-checkpoint: base64 encoding failed");
		}
		p += rc;
		*p++ = '\n';
	}
	*p++ = '\n';
	memcpy(p, note, note_len);
	p += note_len;
	*p = '\0';
	total = (size_t)(p - buf);
	if (total > MLOG_WITNESS_REQ_MAX_BYTES) {
		free(buf);
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"add-checkpoint: body of %zu bytes, over %d", total,
			MLOG_WITNESS_REQ_MAX_BYTES);
	}
	*out = buf;
	*out_len = total;
	return MLOG_OK;
}

/* Records code and message for a non-200 decision and returns status. */
#define DECIDE(status, code, ...) \
	(mlog_error_set(err, (code), __VA_ARGS__), (status))

int mlog_witness_req_check(struct mlog_hash *h,
	const struct mlog_witness_req *r,
	const struct mlog_note_verifier *keys, size_t nkeys,
	uint64_t stored_size, const uint8_t *stored_root,
	struct mlog_error *err)
{
	const struct mlog_checkpoint *cp = &r->cp;
	uint8_t empty[MLOG_HASH_BYTES];
	int rc;

	/* Row 1: unknown origin. */
	if (keys == NULL)
		return DECIDE(404, MLOG_ERR_NOTFOUND,
			"unknown log \"%s\"", cp->origin);
	/* Row 2: a trusted log signature, and no bad one. */
	if (nkeys == 0)
		return DECIDE(403, MLOG_ERR_UNTRUSTED,
			"log \"%s\" has no trusted key", cp->origin);
	rc = mlog_note_verify(r->note, keys, nkeys, NULL, err);
	if (rc == MLOG_ERR_VERIFY || rc == MLOG_ERR_UNTRUSTED) {
		mlog_error_wrap(err, rc, "log signature");
		return 403;
	}
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "log signature");
	/* Row 3: old beyond the checkpoint. */
	if (r->old > cp->size)
		return DECIDE(400, MLOG_ERR_RANGE,
			"old size %" PRIu64 " is larger than the checkpoint "
			"size %" PRIu64, r->old, cp->size);
	/* Row 4: the client's idea of our state is wrong. */
	if (r->old != stored_size)
		return DECIDE(409, MLOG_ERR_CONFLICT,
			"old size %" PRIu64 " is not the witness's size %"
			PRIu64, r->old, stored_size);
	/* Row 5: the empty tree has one root. */
	mlog_hash_empty(empty);
	if (cp->size == 0 && memcmp(cp->root, empty, sizeof(empty)) != 0)
		return DECIDE(422, MLOG_ERR_VERIFY,
			"size 0 but root is not SHA-256(\"\")");
	/* Row 6: nothing to be consistent with. */
	if (r->old == 0) {
		if (r->proof_len != 0)
			return DECIDE(422, MLOG_ERR_VERIFY,
				"old size 0 needs an empty proof, got %zu "
				"lines", r->proof_len);
		return 200;
	}
	if (stored_root == NULL)
		return mlog_error_set(err, MLOG_ERR_INTERNAL,
			"witness state: size %" PRIu64 " without a root",
			stored_size);
	/* Rows 7 and 8. proof.h: old == size verifies iff the proof is
	 * empty and the roots are equal; RANGE (sizes beyond the library's
	 * 2^62) cannot be proven either. */
	rc = mlog_proof_verify_consistency(h, r->old, cp->size, stored_root,
		cp->root, (const uint8_t (*)[MLOG_HASH_BYTES])r->proof,
		r->proof_len);
	if (rc == MLOG_OK)
		return 200;
	if (rc != MLOG_ERR_VERIFY && rc != MLOG_ERR_RANGE)
		return mlog_error_set(err, rc,
			"consistency proof: %s", mlog_err_name(rc));
	if (r->old == cp->size)
		return DECIDE(422, MLOG_ERR_VERIFY, r->proof_len != 0 ?
			"same size %" PRIu64 " needs an empty proof" :
			"size %" PRIu64 " was cosigned with a different root",
			cp->size);
	return DECIDE(422, MLOG_ERR_VERIFY,
		"consistency proof %" PRIu64 " -> %" PRIu64 " does not verify",
		r->old, cp->size);
}

int mlog_witness_req_size_format(char *out, size_t cap, uint64_t size)
{
	int n;

	if (size > MLOG_CODEC_DECIMAL_MAX)
		return MLOG_ERR_RANGE;
	n = snprintf(out, cap, "%" PRIu64 "\n", size);
	if (n < 0 || (size_t)n >= cap)
		return MLOG_ERR_TOOBIG;
	return n;
}

int mlog_witness_req_size_parse(uint64_t *size, const char *body,
	size_t len, struct mlog_error *err)
{
	if (len < 2 || len > MLOG_WITNESS_REQ_SIZE_BODY_MAX - 1 ||
	    body[len - 1] != '\n' ||
	    mlog_codec_decimal_parse(size, body, len - 1) != MLOG_OK)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"%s body is not \"<size>\\n\"",
			MLOG_WITNESS_REQ_SIZE_TYPE);
	return MLOG_OK;
}

int mlog_witness_req_cosigs_format(char **out, size_t *out_len,
	const char *text, size_t text_len,
	const struct mlog_note_signer *signers, size_t nsigners,
	uint64_t timestamp, struct mlog_error *err)
{
	struct mlog_checkpoint cp;
	size_t cap, used = 0;
	char *buf;
	int rc;

	if (nsigners == 0 || nsigners > MLOG_NOTE_MAX_SIGS)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"cosignatures: %zu signers (want 1..%d)", nsigners,
			MLOG_NOTE_MAX_SIGS);
	for (size_t i = 0; i < nsigners; i++) {
		if (signers[i].type != MLOG_NOTE_TYPE_COSIG_V1)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"cosignatures: signer %s is not a "
				"cosignature/v1 key (type 0x%02x)",
				signers[i].name, signers[i].type);
	}
	/* HEAD forbids timestamp 0; the format caps it at 2^63-1. */
	if (timestamp == 0 || timestamp > MLOG_CODEC_DECIMAL_MAX)
		return mlog_error_set(err, MLOG_ERR_RANGE,
			"cosignatures: timestamp %" PRIu64 " out of range",
			timestamp);
	rc = mlog_checkpoint_parse(&cp, text, text_len, err);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "cosignatures");
	mlog_checkpoint_clear(&cp);

	cap = nsigners * COSIG_LINE_MAX + 1;
	buf = malloc(cap);
	if (buf == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM,
			"cosignatures: out of memory");
	for (size_t i = 0; i < nsigners; i++) {
		rc = mlog_note_sign_line(buf + used, cap - used, text,
			text_len, &signers[i], timestamp);
		if (rc < 0) {
			free(buf);
			return mlog_error_set(err, rc,
				"cosignatures: signing with %s failed: %s",
				signers[i].name, mlog_err_name(rc));
		}
		used += (size_t)rc;
	}
	*out = buf;
	*out_len = used;
	return MLOG_OK;
}

int mlog_witness_req_cosigs_parse(struct mlog_note **out, const char *text,
	size_t text_len, const char *body, size_t len,
	struct mlog_error *err)
{
	struct mlog_note *n = NULL;
	char *buf;
	int rc;

	if (len > MLOG_WITNESS_REQ_RESP_MAX_BYTES)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"cosignatures: response of %zu bytes, over %d", len,
			MLOG_WITNESS_REQ_RESP_MAX_BYTES);
	if (len == 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"cosignatures: empty response");
	if (text_len > MLOG_NOTE_MAX_BYTES - 1 - len)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"cosignatures: note over %d bytes",
			MLOG_NOTE_MAX_BYTES);
	/* The body is the signature block of the note text + "\n" + body;
	 * reuse the note parser so that the line rules are note.h's. */
	buf = malloc(text_len + 1 + len);
	if (buf == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM,
			"cosignatures: out of memory");
	memcpy(buf, text, text_len);
	buf[text_len] = '\n';
	memcpy(buf + text_len + 1, body, len);
	rc = mlog_note_parse(&n, buf, text_len + 1 + len, err);
	free(buf);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "cosignatures");
	/* A blank line in the body would move the text/signature split:
	 * insist that the split falls where the text ends. */
	if (n->text_len != text_len || memcmp(n->text, text, text_len) != 0) {
		mlog_note_free(n);
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"cosignatures: response is not only signature lines");
	}
	*out = n;
	return MLOG_OK;
}

static int same_key(const struct mlog_note_sig *s,
	const struct mlog_note_verifier *v)
{
	return s->key_id == v->key_id && strcmp(s->name, v->name) == 0;
}

int mlog_witness_req_cosigs_add(char **out, size_t *out_len,
	uint64_t *timestamp, const char *note, size_t note_len,
	const char *body, size_t body_len,
	const struct mlog_note_verifier *witness, struct mlog_error *err)
{
	struct mlog_note *n = NULL, *resp = NULL;
	struct mlog_note_verifier w;
	struct mlog_note_check check;
	struct mlog_note merged;
	struct mlog_note_sig *sigs = NULL;
	size_t k = 0;
	int rc;

	rc = mlog_note_parse(&n, note, note_len, err);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "checkpoint");
	rc = mlog_witness_req_cosigs_parse(&resp, n->text, n->text_len, body,
		body_len, err);
	if (rc != MLOG_OK)
		goto done;
	mlog_note_verifier_as_cosigner(&w, witness);
	rc = mlog_note_verify(resp, &w, 1, &check, err);
	if (rc != MLOG_OK) {
		rc = mlog_error_wrap(err, rc, "cosignature by %s", w.name);
		goto done;
	}
	sigs = calloc(n->nsigs + resp->nsigs, sizeof(*sigs));
	if (sigs == NULL) {
		rc = mlog_error_set(err, MLOG_ERR_NOMEM,
			"cosignatures: out of memory");
		goto done;
	}
	/* Shallow copies: the strings stay owned by n and resp, which
	 * outlive the format call. */
	for (size_t i = 0; i < n->nsigs; i++) {
		if (!same_key(&n->sigs[i], &w))
			sigs[k++] = n->sigs[i];
	}
	for (size_t i = 0; i < resp->nsigs; i++) {
		if (same_key(&resp->sigs[i], &w))
			sigs[k++] = resp->sigs[i];
	}
	if (k > MLOG_NOTE_MAX_SIGS) {
		rc = mlog_error_set(err, MLOG_ERR_TOOBIG,
			"checkpoint: more than %d signatures",
			MLOG_NOTE_MAX_SIGS);
		goto done;
	}
	merged.text = n->text;
	merged.text_len = n->text_len;
	merged.sigs = sigs;
	merged.nsigs = k;
	rc = mlog_note_format(out, out_len, &merged);
	if (rc != MLOG_OK) {
		rc = mlog_error_set(err, rc, "checkpoint: formatting: %s",
			mlog_err_name(rc));
		goto done;
	}
	if (timestamp != NULL)
		*timestamp = check.timestamp;
done:
	free(sigs);
	mlog_note_free(resp);
	mlog_note_free(n);
	return rc;
}
