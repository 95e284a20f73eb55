/*
 * codec.c — base64, hex, decimal and UTF-8 codecs; see codec.h.
 */
#include "codec.h"

#include <sodium.h>
#include <string.h>

int mlog_codec_base64_encode(char *out, size_t out_cap,
	const uint8_t *in, size_t len)
{
	size_t need = MLOG_CODEC_B64_LEN(len);

	if (len > SIZE_MAX / 2 || out_cap < need + 1)
		return MLOG_ERR_TOOBIG;
	sodium_bin2base64(out, out_cap, in, len,
		sodium_base64_VARIANT_ORIGINAL);
	return (int)need;
}

/* 1 if c is in the standard base64 alphabet or is '='. */
static int base64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

int mlog_codec_base64_decode(uint8_t *out, size_t out_cap, size_t *out_len,
	const char *in, size_t in_len)
{
	const char *end = NULL;
	size_t n = 0, want;

	if (in_len % 4 != 0)
		return MLOG_ERR_MALFORMED;
	/* libsodium 1.0.18 reads the input as signed char and decodes every
	 * byte >= 0x80 as '/' (value 63), so "QUJ\xff" decodes like "QUJ/".
	 * Check the alphabet ourselves first. */
	for (size_t i = 0; i < in_len; i++) {
		if (!base64_char(in[i]))
			return MLOG_ERR_MALFORMED;
	}
	/* Exact decoded size from the padding, so that "too big" is told
	 * apart from "malformed" before decoding anything. */
	want = in_len / 4 * 3;
	if (in_len > 0 && in[in_len - 1] == '=')
		want -= in[in_len - 2] == '=' ? 2 : 1;
	if (want > out_cap)
		return MLOG_ERR_TOOBIG;
	/* libsodium rejects non-zero trailing bits and wrong padding, but
	 * stops quietly at the first byte outside the alphabet: insist that
	 * it consumed everything. */
	if (sodium_base642bin(out, out_cap, in, in_len, NULL, &n, &end,
		sodium_base64_VARIANT_ORIGINAL) != 0)
		return MLOG_ERR_MALFORMED;
	if (end != in + in_len || n != want)
		return MLOG_ERR_MALFORMED;
	*out_len = n;
	return MLOG_OK;
}

int mlog_codec_base64_decode_lenient(uint8_t *out, size_t out_cap,
	size_t *out_len, const char *in, size_t in_len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char fixed[4];
	size_t pad = 0;
	int rc;

	rc = mlog_codec_base64_decode(out, out_cap, out_len, in, in_len);
	if (rc != MLOG_ERR_MALFORMED || in_len < 4 || in_len % 4 != 0)
		return rc;
	/* Padding may only end the input: the head below is decoded on its
	 * own, and would otherwise accept "QQ==QUI=" (Go rejects it). */
	if (memchr(in, '=', in_len - 4) != NULL)
		return MLOG_ERR_MALFORMED;
	/* Retry with the unused bits of the last quantum cleared. */
	memcpy(fixed, in + in_len - 4, 4);
	if (fixed[3] == '=')
		pad = fixed[2] == '=' ? 2 : 1;
	if (pad == 0)
		return MLOG_ERR_MALFORMED;
	{
		const char *p = strchr(alphabet, fixed[3 - pad]);
		unsigned v, mask = pad == 2 ? 0x0f : 0x03;

		if (p == NULL || *p == '\0')
			return MLOG_ERR_MALFORMED;
		v = (unsigned)(p - alphabet) & ~mask;
		fixed[3 - pad] = alphabet[v];
	}
	{
		uint8_t tail[3];
		size_t tail_len = 0, head_len = 0;
		size_t head = in_len - 4;

		if (head > 0) {
			rc = mlog_codec_base64_decode(out, out_cap, &head_len,
				in, head);
			if (rc != MLOG_OK)
				return rc;
		}
		rc = mlog_codec_base64_decode(tail, sizeof(tail), &tail_len,
			fixed, 4);
		if (rc != MLOG_OK)
			return rc;
		if (head_len + tail_len > out_cap)
			return MLOG_ERR_TOOBIG;
		memcpy(out + head_len, tail, tail_len);
		*out_len = head_len + tail_len;
	}
	return MLOG_OK;
}

void mlog_codec_hex_encode(char *out, const uint8_t *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int mlog_codec_hex_decode(uint8_t *out, size_t out_len,
	const char *in, size_t in_len)
{
	if (out_len > SIZE_MAX / 2 || in_len != 2 * out_len)
		return MLOG_ERR_MALFORMED;
	for (size_t i = 0; i < in_len; i++) {
		if (hex_digit(in[i]) < 0)
			return MLOG_ERR_MALFORMED;
	}
	for (size_t i = 0; i < out_len; i++)
		out[i] = (uint8_t)(hex_digit(in[2 * i]) << 4 |
			hex_digit(in[2 * i + 1]));
	return MLOG_OK;
}

int mlog_codec_decimal_parse(uint64_t *out, const char *s, size_t len)
{
	uint64_t v = 0;

	if (len == 0 || len > 19)
		return MLOG_ERR_MALFORMED;
	if (s[0] == '0' && len > 1)
		return MLOG_ERR_MALFORMED;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return MLOG_ERR_MALFORMED;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	/* 19 digits fit in uint64_t without wrapping (max 9999999999999999999
	 * < 2^64), so one comparison enforces the int64 bound. */
	if (v > MLOG_CODEC_DECIMAL_MAX)
		return MLOG_ERR_MALFORMED;
	*out = v;
	return MLOG_OK;
}

int mlog_codec_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned c = p[i];
		size_t n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (len - i <= n)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}
