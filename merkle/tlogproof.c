/*
 * tlogproof.c — C2SP tlog-proof files; see tlogproof.h.
 */
#include "tlogproof.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

#define B64_HASH_LEN MLOG_CODEC_B64_LEN(MLOG_HASH_BYTES)
#define B64_EXTRA_MAX MLOG_CODEC_B64_LEN(MLOG_TLOGPROOF_EXTRA_MAX)
#define HEADER_LEN (sizeof(MLOG_TLOGPROOF_HEADER) - 1)

static ptrdiff_t line_len(const char *s, size_t len)
{
	const char *nl = memchr(s, '\n', len);

	return nl == NULL ? -1 : nl - s;
}

static int starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

void mlog_tlogproof_clear(struct mlog_tlogproof *p)
{
	if (p == NULL)
		return;
	free(p->extra);
	free(p->note);
	mlog_checkpoint_clear(&p->cp);
	memset(p, 0, sizeof(*p));
}

/* Rules 5-6 on the part after "index <n>\n"; fills proof, note, cp. */
static int parse_tail(struct mlog_tlogproof *t, const char *p,
	const char *end, struct mlog_error *err)
{
	struct mlog_note *n = NULL;
	ptrdiff_t len;
	int rc;

	for (;;) {
		size_t got = 0;

		len = line_len(p, (size_t)(end - p));
		if (len < 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"tlog-proof: no empty line before the "
				"checkpoint");
		if (len == 0) {
			p++;
			break;
		}
		if (t->proof_len == MLOG_PROOF_MAX)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"tlog-proof: more than %d proof lines",
				MLOG_PROOF_MAX);
		if ((size_t)len != B64_HASH_LEN ||
		    mlog_codec_base64_decode(t->proof[t->proof_len],
			MLOG_HASH_BYTES, &got, p, (size_t)len) != MLOG_OK ||
		    got != MLOG_HASH_BYTES)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"tlog-proof: proof line %zu is not base64 of "
				"32 bytes", t->proof_len + 1);
		t->proof_len++;
		p += len + 1;
	}
	rc = mlog_note_parse(&n, p, (size_t)(end - p), err);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "tlog-proof: checkpoint");
	rc = mlog_checkpoint_parse(&t->cp, n->text, n->text_len, err);
	mlog_note_free(n);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "tlog-proof");
	t->note_len = (size_t)(end - p);
	t->note = malloc(t->note_len + 1);
	if (t->note == NULL) {
		mlog_checkpoint_clear(&t->cp);
		return mlog_error_set(err, MLOG_ERR_NOMEM,
			"tlog-proof: out of memory");
	}
	memcpy(t->note, p, t->note_len);
	t->note[t->note_len] = '\0';
	return MLOG_OK;
}

int mlog_tlogproof_parse(struct mlog_tlogproof *out, const char *text,
	size_t len, struct mlog_error *err)
{
	struct mlog_tlogproof *t;
	const char *p = text, *end = text + len;
	ptrdiff_t n;
	int rc;

	/* Rule 1. */
	if (len > MLOG_TLOGPROOF_MAX_BYTES)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"tlog-proof: %zu bytes, over the %d-byte cap", len,
			MLOG_TLOGPROOF_MAX_BYTES);
	/* Rule 2. */
	n = line_len(p, len);
	if (n != (ptrdiff_t)HEADER_LEN ||
	    memcmp(p, MLOG_TLOGPROOF_HEADER, HEADER_LEN) != 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"tlog-proof: first line is not \"%s\"",
			MLOG_TLOGPROOF_HEADER);
	p += n + 1;
	/* The struct holds 2 KiB of proof: keep it off the stack. */
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM,
			"tlog-proof: out of memory");

	/* Rule 3. */
	n = line_len(p, (size_t)(end - p));
	if (n >= 0 && starts_with(p, (size_t)n, "extra ")) {
		size_t b64 = (size_t)n - 6;

		if (b64 == 0) {
			rc = mlog_error_set(err, MLOG_ERR_MALFORMED,
				"tlog-proof: empty extra line");
			goto fail;
		}
		if (b64 > B64_EXTRA_MAX) {
			rc = mlog_error_set(err, MLOG_ERR_TOOBIG,
				"tlog-proof: extra data over %d bytes",
				MLOG_TLOGPROOF_EXTRA_MAX);
			goto fail;
		}
		t->extra = malloc(b64 / 4 * 3);
		if (t->extra == NULL) {
			rc = mlog_error_set(err, MLOG_ERR_NOMEM,
				"tlog-proof: out of memory");
			goto fail;
		}
		rc = mlog_codec_base64_decode(t->extra, b64 / 4 * 3,
			&t->extra_len, p + 6, b64);
		if (rc != MLOG_OK || t->extra_len == 0) {
			rc = mlog_error_set(err, rc == MLOG_ERR_TOOBIG ?
				MLOG_ERR_TOOBIG : MLOG_ERR_MALFORMED,
				"tlog-proof: extra is not strict base64 of 1 "
				"to %d bytes", MLOG_TLOGPROOF_EXTRA_MAX);
			goto fail;
		}
		if (t->extra_len > MLOG_TLOGPROOF_EXTRA_MAX) {
			rc = mlog_error_set(err, MLOG_ERR_TOOBIG,
				"tlog-proof: extra data over %d bytes",
				MLOG_TLOGPROOF_EXTRA_MAX);
			goto fail;
		}
		p += n + 1;
		n = line_len(p, (size_t)(end - p));
	}

	/* Rule 4. */
	if (n < 0 || !starts_with(p, (size_t)n, "index ") ||
	    mlog_codec_decimal_parse(&t->index, p + 6, (size_t)n - 6) !=
		MLOG_OK) {
		rc = mlog_error_set(err, MLOG_ERR_MALFORMED,
			"tlog-proof: no \"index <n>\" line");
		goto fail;
	}
	p += n + 1;

	/* Rules 5-6. */
	rc = parse_tail(t, p, end, err);
	if (rc != MLOG_OK)
		goto fail;
	*out = *t;
	free(t);
	return MLOG_OK;
fail:
	mlog_tlogproof_clear(t);
	free(t);
	return rc;
}

int mlog_tlogproof_format(char **out, size_t *out_len,
	const uint8_t *extra, size_t extra_len, uint64_t index,
	const uint8_t (*proof)[MLOG_HASH_BYTES], size_t proof_len,
	const char *note, size_t note_len, struct mlog_error *err)
{
	struct mlog_note *n = NULL;
	struct mlog_checkpoint cp;
	size_t cap;
	char *buf, *p;
	int rc;

	if (extra != NULL && (extra_len == 0 ||
	    extra_len > MLOG_TLOGPROOF_EXTRA_MAX))
		return mlog_error_set(err, extra_len == 0 ?
			MLOG_ERR_MALFORMED : MLOG_ERR_TOOBIG,
			"tlog-proof: extra data of %zu bytes (want 1..%d)",
			extra_len, MLOG_TLOGPROOF_EXTRA_MAX);
	if (proof_len > MLOG_PROOF_MAX || index > MLOG_CODEC_DECIMAL_MAX)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"tlog-proof: index above 2^63-1 or more than %d "
			"proof lines", MLOG_PROOF_MAX);
	if (note_len > MLOG_NOTE_MAX_BYTES)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"tlog-proof: checkpoint over %d bytes",
			MLOG_NOTE_MAX_BYTES);
	rc = mlog_note_parse(&n, note, note_len, err);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "tlog-proof: checkpoint");
	rc = mlog_checkpoint_parse(&cp, n->text, n->text_len, err);
	mlog_note_free(n);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "tlog-proof");
	mlog_checkpoint_clear(&cp);

	cap = HEADER_LEN + 1 +
		(extra != NULL ? 6 + MLOG_CODEC_B64_LEN(extra_len) + 1 : 0) +
		6 + 20 + proof_len * (B64_HASH_LEN + 1) + 1 + note_len + 1;
	buf = malloc(cap);
	if (buf == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM,
			"tlog-proof: out of memory");
	p = buf;
	memcpy(p, MLOG_TLOGPROOF_HEADER "\n", HEADER_LEN + 1);
	p += HEADER_LEN + 1;
	if (extra != NULL) {
		memcpy(p, "extra ", 6);
		p += 6;
		rc = mlog_codec_base64_encode(p, cap - (size_t)(p - buf),
			extra, extra_len);
		if (rc < 0)
			goto internal;
		p += rc;
		*p++ = '\n';
	}
	/* cap reserves 6 + 20 bytes for this line. */
	p += snprintf(p, cap - (size_t)(p - buf), "index %" PRIu64 "\n",
		index);
	for (size_t i = 0; i < proof_len; i++) {
		rc = mlog_codec_base64_encode(p, cap - (size_t)(p - buf),
			proof[i], MLOG_HASH_BYTES);
		if (rc < 0)
			goto internal;
		p += rc;
		*p++ = '\n';
	}
	*p++ = '\n';
	memcpy(p, note, note_len);
	p += note_len;
	*p = '\0';
	if ((size_t)(p - buf) > MLOG_TLOGPROOF_MAX_BYTES) {
		free(buf);
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"tlog-proof: over the %d-byte cap",
			MLOG_TLOGPROOF_MAX_BYTES);
	}
	*out = buf;
	*out_len = (size_t)(p - buf);
	return MLOG_OK;
internal:
	free(buf);
	return mlog_error_set(err, MLOG_ERR_INTERNAL,
		"tlog-proof: base64 encoding failed");
}

int mlog_tlogproof_verify(struct mlog_hash *h, struct mlog_policy_result *res,
	const struct mlog_tlogproof *p, const struct mlog_policy *pol,
	const uint8_t *entry, size_t entry_len, struct mlog_error *err)
{
	struct mlog_policy_result r;
	uint8_t leaf[MLOG_HASH_BYTES];
	int rc;

	if (entry == NULL) {
		if (p->extra == NULL)
			return mlog_error_set(err, MLOG_ERR_NOTFOUND,
				"tlog-proof: no entry given and no extra "
				"data");
		entry = p->extra;
		entry_len = p->extra_len;
	}
	/* Rule 7. */
	rc = mlog_policy_verify(&r, NULL, pol, p->note, p->note_len, err);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "tlog-proof");
	/* Rule 8. */
	if (p->index >= p->cp.size)
		return mlog_error_set(err, MLOG_ERR_VERIFY,
			"tlog-proof: index %" PRIu64 " is not below the "
			"checkpoint size %" PRIu64, p->index, p->cp.size);
	mlog_hash_leaf(h, leaf, entry, entry_len);
	rc = mlog_proof_verify_inclusion(h, p->index, p->cp.size, leaf,
		(const uint8_t (*)[MLOG_HASH_BYTES])p->proof, p->proof_len,
		p->cp.root);
	if (rc != MLOG_OK)
		return mlog_error_set(err, MLOG_ERR_VERIFY,
			"tlog-proof: inclusion proof of index %" PRIu64
			" in %s at size %" PRIu64 " does not verify",
			p->index, p->cp.origin, p->cp.size);
	if (res != NULL)
		*res = r;
	return MLOG_OK;
}
