/*
 * checkpoint.c — C2SP tlog-checkpoint text and signed checkpoints; see
 * checkpoint.h.
 */
#include "checkpoint.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

#define B64_ROOT_LEN MLOG_CODEC_B64_LEN(MLOG_HASH_BYTES)

void mlog_checkpoint_init(struct mlog_checkpoint *c)
{
	memset(c, 0, sizeof(*c));
}

void mlog_checkpoint_clear(struct mlog_checkpoint *c)
{
	if (c == NULL)
		return;
	free(c->origin);
	free(c->ext);
	memset(c, 0, sizeof(*c));
}

/* Rule (1): valid UTF-8, no control byte but '\n'. */
static int text_chars_valid(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 && s[i] != '\n')
			return 0;
	}
	return mlog_codec_utf8_valid(s, len);
}

/* Length of the line starting at s (up to, not including, '\n'), or -1 if
 * no '\n' follows within len bytes. */
static ptrdiff_t line_len(const char *s, size_t len)
{
	const char *nl = memchr(s, '\n', len);

	return nl == NULL ? -1 : nl - s;
}

static char *dup_bytes(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

int mlog_checkpoint_parse(struct mlog_checkpoint *out, const char *text,
	size_t len, struct mlog_error *err)
{
	struct mlog_checkpoint c;
	const char *p = text, *end = text + len;
	ptrdiff_t n;
	size_t got, origin_len;

	if (len > MLOG_CHECKPOINT_MAX_BYTES)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"checkpoint: %zu bytes, over the %d-byte cap", len,
			MLOG_CHECKPOINT_MAX_BYTES);
	if (!text_chars_valid(text, len))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"checkpoint: not UTF-8 or has a control character");
	if (len == 0 || text[len - 1] != '\n')
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"checkpoint: text does not end in a newline");
	mlog_checkpoint_init(&c);

	/* Line 1: origin. */
	n = line_len(p, (size_t)(end - p));
	if (n <= 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"checkpoint: line 1: empty origin");
	origin_len = (size_t)n;
	p += n + 1;

	/* Line 2: tree size. */
	n = line_len(p, (size_t)(end - p));
	if (n < 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"checkpoint: fewer than 3 lines");
	if (mlog_codec_decimal_parse(&c.size, p, (size_t)n) != MLOG_OK)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"checkpoint: line 2: tree size is not a C2SP decimal");
	p += n + 1;

	/* Line 3: root hash. */
	n = line_len(p, (size_t)(end - p));
	if (n < 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"checkpoint: fewer than 3 lines");
	if ((size_t)n != B64_ROOT_LEN ||
	    mlog_codec_base64_decode(c.root, sizeof(c.root), &got, p,
		(size_t)n) != MLOG_OK || got != MLOG_HASH_BYTES)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"checkpoint: line 3: root is not base64 of 32 bytes");
	p += n + 1;

	/* Extension lines: whatever is left, each non-empty. The text ends
	 * in '\n' (checked above), so every line is terminated. */
	for (const char *q = p; q < end; ) {
		n = line_len(q, (size_t)(end - q));
		if (n == 0)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"checkpoint: empty extension line");
		q += n + 1;
	}

	c.origin = dup_bytes(text, origin_len);
	if (c.origin == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM,
			"checkpoint: out of memory");
	if (p < end) {
		c.ext_len = (size_t)(end - p);
		c.ext = dup_bytes(p, c.ext_len);
		if (c.ext == NULL) {
			mlog_checkpoint_clear(&c);
			return mlog_error_set(err, MLOG_ERR_NOMEM,
				"checkpoint: out of memory");
		}
	}
	*out = c;
	return MLOG_OK;
}

/* Checks that c could have come out of mlog_checkpoint_parse. */
static int validate(const struct mlog_checkpoint *c, struct mlog_error *err)
{
	size_t olen;

	if (c->origin == NULL || c->origin[0] == '\0')
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"checkpoint: empty origin");
	olen = strlen(c->origin);
	if (memchr(c->origin, '\n', olen) != NULL ||
	    !text_chars_valid(c->origin, olen))
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"checkpoint: origin has a control character or bad "
			"UTF-8");
	if (c->size > MLOG_CODEC_DECIMAL_MAX)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"checkpoint: tree size above 2^63-1");
	if (c->ext_len > 0) {
		if (c->ext == NULL || c->ext[c->ext_len - 1] != '\n' ||
		    !text_chars_valid(c->ext, c->ext_len))
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"checkpoint: extension lines must be text "
				"lines ending in a newline");
		for (size_t i = 0; i < c->ext_len; i++) {
			if (c->ext[i] == '\n' &&
			    (i == 0 || c->ext[i - 1] == '\n'))
				return mlog_error_set(err, MLOG_ERR_MALFORMED,
					"checkpoint: empty extension line");
		}
	}
	return MLOG_OK;
}

int mlog_checkpoint_format(char **out, size_t *out_len,
	const struct mlog_checkpoint *c, struct mlog_error *err)
{
	char size[24], root[B64_ROOT_LEN + 1];
	size_t olen, slen, total;
	char *buf, *p;
	int rc;

	rc = validate(c, err);
	if (rc != MLOG_OK)
		return rc;
	olen = strlen(c->origin);
	slen = (size_t)snprintf(size, sizeof(size), "%" PRIu64, c->size);
	if (mlog_codec_base64_encode(root, sizeof(root), c->root,
		sizeof(c->root)) != (int)B64_ROOT_LEN)
		return mlog_error_set(err, MLOG_ERR_INTERNAL,
			"checkpoint: base64 encoding failed");
	if (olen > MLOG_CHECKPOINT_MAX_BYTES ||
	    c->ext_len > MLOG_CHECKPOINT_MAX_BYTES)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"checkpoint: text over the %d-byte cap",
			MLOG_CHECKPOINT_MAX_BYTES);
	total = olen + 1 + slen + 1 + B64_ROOT_LEN + 1 + c->ext_len;
	if (total > MLOG_CHECKPOINT_MAX_BYTES)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"checkpoint: text over the %d-byte cap",
			MLOG_CHECKPOINT_MAX_BYTES);
	buf = malloc(total + 1);
	if (buf == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM,
			"checkpoint: out of memory");
	p = buf;
	memcpy(p, c->origin, olen);
	p += olen;
	*p++ = '\n';
	memcpy(p, size, slen);
	p += slen;
	*p++ = '\n';
	memcpy(p, root, B64_ROOT_LEN);
	p += B64_ROOT_LEN;
	*p++ = '\n';
	if (c->ext_len > 0)
		memcpy(p, c->ext, c->ext_len);
	p += c->ext_len;
	*p = '\0';
	*out = buf;
	*out_len = total;
	return MLOG_OK;
}

int mlog_checkpoint_open(struct mlog_checkpoint *out,
	struct mlog_note **note_out, const char *msg, size_t len,
	const char *origin, const struct mlog_note_verifier *keys,
	size_t nkeys, struct mlog_note_check *checks, struct mlog_error *err)
{
	struct mlog_note *note = NULL;
	struct mlog_checkpoint c;
	uint8_t empty[MLOG_HASH_BYTES];
	int rc;

	if (len > MLOG_CHECKPOINT_MAX_BYTES)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"checkpoint: %zu bytes, over the %d-byte cap", len,
			MLOG_CHECKPOINT_MAX_BYTES);
	/* Rule 6: the whole shape first. */
	rc = mlog_note_parse(&note, msg, len, err);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "checkpoint");
	rc = mlog_checkpoint_parse(&c, note->text, note->text_len, err);
	if (rc != MLOG_OK) {
		mlog_note_free(note);
		return rc;
	}
	/* Rule 7. */
	rc = mlog_note_verify(note, keys, nkeys, checks, err);
	if (rc != MLOG_OK) {
		rc = mlog_error_wrap(err, rc, "checkpoint %s", c.origin);
		goto fail;
	}
	if (origin != NULL && strcmp(origin, c.origin) != 0) {
		rc = mlog_error_set(err, MLOG_ERR_VERIFY,
			"checkpoint: origin \"%s\" is not the expected \"%s\"",
			c.origin, origin);
		goto fail;
	}
	/* Rule 8. */
	mlog_hash_empty(empty);
	if (c.size == 0 && memcmp(c.root, empty, sizeof(empty)) != 0) {
		rc = mlog_error_set(err, MLOG_ERR_VERIFY,
			"checkpoint %s: size 0 but root is not SHA-256(\"\")",
			c.origin);
		goto fail;
	}
	*out = c;
	if (note_out != NULL)
		*note_out = note;
	else
		mlog_note_free(note);
	return MLOG_OK;
fail:
	mlog_checkpoint_clear(&c);
	mlog_note_free(note);
	return rc;
}

int mlog_checkpoint_sign(char **out, size_t *out_len,
	const struct mlog_checkpoint *c,
	const struct mlog_note_signer *signers, size_t nsigners,
	struct mlog_error *err)
{
	char *text = NULL;
	size_t text_len = 0;
	int rc;

	if (nsigners == 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"checkpoint: no signer");
	for (size_t i = 0; i < nsigners; i++) {
		if (signers[i].type != MLOG_NOTE_TYPE_ED25519)
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"checkpoint: signer %s is not an Ed25519 log "
				"key (type 0x%02x)", signers[i].name,
				signers[i].type);
	}
	rc = mlog_checkpoint_format(&text, &text_len, c, err);
	if (rc != MLOG_OK)
		return rc;
	rc = mlog_note_sign(out, out_len, text, text_len, signers, nsigners,
		0, err);
	free(text);
	if (rc != MLOG_OK)
		return mlog_error_wrap(err, rc, "checkpoint");
	return MLOG_OK;
}
