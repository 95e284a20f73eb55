/*
 * cosig.c — tlog-cosignature cosignature/v1 (type 0x04); see cosig.h.
 */
#include "cosig.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

int mlog_cosig_header(char *out, size_t cap, uint64_t timestamp)
{
	char tmp[MLOG_COSIG_HEADER_MAX + 1];
	int n;

	if (timestamp > MLOG_COSIG_TIME_MAX)
		return MLOG_ERR_RANGE;
	/* %llu prints no leading zeros and "0" for zero (invariant 3). */
	n = snprintf(tmp, sizeof(tmp), "cosignature/v1\ntime %llu\n",
		(unsigned long long)timestamp);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return MLOG_ERR_INTERNAL;
	if ((size_t)n >= cap)
		return MLOG_ERR_TOOBIG;
	memcpy(out, tmp, (size_t)n + 1);
	return n;
}

int mlog_cosig_message(uint8_t **out, size_t *out_len, uint64_t timestamp,
	const char *text, size_t text_len)
{
	char head[MLOG_COSIG_HEADER_MAX + 1];
	uint8_t *msg;
	int n;

	n = mlog_cosig_header(head, sizeof(head), timestamp);
	if (n < 0)
		return n;
	if (text_len > SIZE_MAX - (size_t)n - 1)
		return MLOG_ERR_TOOBIG;
	/* One spare byte so that an empty text still gets a real buffer. */
	msg = malloc((size_t)n + text_len + 1);
	if (msg == NULL)
		return MLOG_ERR_NOMEM;
	memcpy(msg, head, (size_t)n);
	if (text_len > 0)
		memcpy(msg + n, text, text_len);
	*out = msg;
	*out_len = (size_t)n + text_len;
	return MLOG_OK;
}

int mlog_cosig_encode(uint8_t out[MLOG_COSIG_BYTES],
	const struct mlog_cosig *c)
{
	if (c->timestamp > MLOG_COSIG_TIME_MAX)
		return MLOG_ERR_RANGE;
	mlog_codec_be64_put(out, c->timestamp);
	memcpy(out + 8, c->sig, MLOG_COSIG_SIG_BYTES);
	return MLOG_OK;
}

int mlog_cosig_decode(struct mlog_cosig *out, const uint8_t *blob,
	size_t len, struct mlog_error *err)
{
	uint64_t ts;

	if (len != MLOG_COSIG_BYTES)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"cosignature: blob is %zu bytes, want %d", len,
			MLOG_COSIG_BYTES);
	ts = mlog_codec_be64_get(blob);
	if (ts > MLOG_COSIG_TIME_MAX)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"cosignature: timestamp above 2^63-1");
	out->timestamp = ts;
	memcpy(out->sig, blob + 8, MLOG_COSIG_SIG_BYTES);
	return MLOG_OK;
}

int mlog_cosig_sign(struct mlog_cosig *out, const char *text,
	size_t text_len, uint64_t timestamp, const uint8_t sk[64])
{
	uint8_t sig[MLOG_COSIG_SIG_BYTES];
	uint8_t *msg = NULL;
	size_t msg_len = 0;
	int rc;

	rc = mlog_cosig_message(&msg, &msg_len, timestamp, text, text_len);
	if (rc != MLOG_OK)
		return rc;
	/* crypto_sign_detached cannot fail for Ed25519; check anyway. */
	rc = crypto_sign_detached(sig, NULL, msg, msg_len, sk) == 0 ?
		MLOG_OK : MLOG_ERR_INTERNAL;
	free(msg);
	if (rc != MLOG_OK)
		return rc;
	out->timestamp = timestamp;
	memcpy(out->sig, sig, sizeof(sig));
	return MLOG_OK;
}

int mlog_cosig_verify(const struct mlog_cosig *c, const char *text,
	size_t text_len, const uint8_t pub[32])
{
	uint8_t *msg = NULL;
	size_t msg_len = 0;
	int rc;

	if (c->timestamp > MLOG_COSIG_TIME_MAX)
		return MLOG_ERR_VERIFY;
	rc = mlog_cosig_message(&msg, &msg_len, c->timestamp, text, text_len);
	if (rc != MLOG_OK)
		return rc;
	rc = crypto_sign_verify_detached(c->sig, msg, msg_len, pub) == 0 ?
		MLOG_OK : MLOG_ERR_VERIFY;
	free(msg);
	return rc;
}
