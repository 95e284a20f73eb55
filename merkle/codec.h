/*
 * codec.h — the byte encodings every wire format shares: standard base64
 * (RFC 4648 §4, with padding), lowercase hex, big-endian integers, C2SP
 * decimals and UTF-8 validation.
 *
 * Base64 goes through libsodium (sodium_bin2base64/sodium_base642bin with
 * the ORIGINAL variant); we only add the length and strictness rules.
 *
 * Invariants:
 *  (1) Decoders are strict: base64 must be padded, use the standard alphabet,
 *      have zero trailing pad bits and no whitespace; hex is lowercase and of
 *      even length; decimals have no sign, no leading zero (except "0") and
 *      fit in 63 bits (C2SP sizes are int64).
 *  (2) Decoders never write more than out_cap bytes, and leave *out_len
 *      untouched on failure.
 *  (3) Encoders NUL-terminate and fail with MLOG_ERR_TOOBIG rather than
 *      truncate.
 *
 * Thread-safety: pure functions. sodium_init() must have been called once
 * by the program before any base64 function (libsodium's requirement).
 * Ownership: all buffers are caller-owned.
 */
#ifndef MLOG_CODEC_H
#define MLOG_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Characters of the base64 encoding of n bytes, without the NUL. */
#define MLOG_CODEC_B64_LEN(n) ((((n) + 2) / 3) * 4)

/* Largest value a C2SP decimal may carry (int64 max). */
#define MLOG_CODEC_DECIMAL_MAX UINT64_C(0x7fffffffffffffff)

/*
 * Encodes in[0..len) as padded base64 into out (capacity out_cap, which must
 * hold MLOG_CODEC_B64_LEN(len) + 1). Returns the encoded length (without the
 * NUL) or MLOG_ERR_TOOBIG.
 */
int mlog_codec_base64_encode(char *out, size_t out_cap,
	const uint8_t *in, size_t len);

/*
 * Decodes strict base64 in[0..in_len) into out (capacity out_cap). On success
 * stores the decoded length in *out_len and returns 0. Returns
 * MLOG_ERR_MALFORMED for any non-canonical input (bad character, missing
 * padding, non-zero trailing bits, whitespace) and MLOG_ERR_TOOBIG when the
 * output would exceed out_cap.
 */
int mlog_codec_base64_decode(uint8_t *out, size_t out_cap,
	size_t *out_len /* OUT */, const char *in, size_t in_len)
	MLOG_MUST_CHECK;

/*
 * Like mlog_codec_base64_decode, but accepts non-zero trailing pad bits and
 * ignores them, as Go's encoding/base64 does. Only for interop paths that
 * must answer "bad signature" rather than "malformed" for such input
 * (C2SP-NOTES §1, litewitness req02); everything else uses the strict form.
 */
int mlog_codec_base64_decode_lenient(uint8_t *out, size_t out_cap,
	size_t *out_len /* OUT */, const char *in, size_t in_len)
	MLOG_MUST_CHECK;

/* Writes 2*len lowercase hex digits and a NUL into out (cap >= 2*len+1). */
void mlog_codec_hex_encode(char *out, const uint8_t *in, size_t len);

/*
 * Decodes exactly out_len bytes from 2*out_len lowercase hex digits.
 * Returns MLOG_ERR_MALFORMED if in_len != 2*out_len or a digit is not
 * [0-9a-f].
 */
int mlog_codec_hex_decode(uint8_t *out, size_t out_len,
	const char *in, size_t in_len) MLOG_MUST_CHECK;

/*
 * Parses a C2SP decimal (no sign, no leading zeros, "0" allowed, at most
 * MLOG_CODEC_DECIMAL_MAX) from s[0..len). Returns MLOG_ERR_MALFORMED.
 */
int mlog_codec_decimal_parse(uint64_t *out /* OUT */, const char *s,
	size_t len) MLOG_MUST_CHECK;

/*
 * Returns 1 if s[0..len) is valid UTF-8 (no overlongs, no surrogates, at
 * most U+10FFFF), else 0.
 */
int mlog_codec_utf8_valid(const char *s, size_t len);

static inline void mlog_codec_be16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t mlog_codec_be16_get(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline void mlog_codec_be32_put(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static inline uint32_t mlog_codec_be32_get(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline void mlog_codec_be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static inline uint64_t mlog_codec_be64_get(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

#endif
