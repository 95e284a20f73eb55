/*
 * test_codec.c — base64, hex, decimal and UTF-8 codecs (merkle/codec.c).
 */
#include <sodium.h>
#include <string.h>

#include "codec.h"
#include "support.h"

static void init(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(codec, .init = init);

Test(codec, base64_round_trip)
{
	uint8_t in[70], out[70];
	char enc[MLOG_CODEC_B64_LEN(70) + 1];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 37 + 1);
	for (size_t n = 0; n <= sizeof(in); n++) {
		size_t got = 999;
		int len = mlog_codec_base64_encode(enc, sizeof(enc), in, n);

		cr_assert_eq(len, (int)MLOG_CODEC_B64_LEN(n));
		cr_assert_eq(mlog_codec_base64_decode(out, sizeof(out), &got,
			enc, (size_t)len), MLOG_OK);
		cr_assert_eq(got, n);
		cr_assert_arr_eq(out, in, n);
	}
}

Test(codec, base64_encode_refuses_small_buffer)
{
	char enc[9];

	cr_assert_eq(mlog_codec_base64_encode(enc, sizeof(enc),
		(const uint8_t *)"abcdefg", 7), MLOG_ERR_TOOBIG);
	cr_assert_eq(mlog_codec_base64_encode(enc, sizeof(enc),
		(const uint8_t *)"abcdef", 6), 8);
	cr_assert_str_eq(enc, "YWJjZGVm");
}

Test(codec, base64_strict_rejections)
{
	static const char *bad[] = {
		"6gx=",       /* non-zero trailing bits */
		"6go",        /* missing padding */
		"6g=",        /* short quantum */
		"QU JD",      /* space */
		"QUJD\n",     /* newline */
		"QUJ*",       /* bad alphabet */
		"QUJD=",      /* stray pad */
		"=QUJ",       /* pad first */
		"Q===",       /* too much padding */
		"QQ-_",       /* URL alphabet */
	};
	uint8_t out[16];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = 12345;

		cr_assert_neq(mlog_codec_base64_decode(out, sizeof(out), &n,
			bad[i], strlen(bad[i])), MLOG_OK, "accepted %s", bad[i]);
		cr_assert_eq(n, 12345, "touched out_len for %s", bad[i]);
	}
}

/* libsodium 1.0.18 decodes any byte >= 0x80 as '/': found by fuzz_note
 * (a signature line with "\xc3\xa9" inside its base64 parsed). */
Test(codec, base64_rejects_high_bytes)
{
	uint8_t out[8];

	for (int c = 0x80; c <= 0xff; c++) {
		char s[9] = "QUJDQUJ/";
		size_t n = 12345;

		s[7] = (char)c;
		cr_assert_eq(mlog_codec_base64_decode(out, sizeof(out), &n,
			s, 8), MLOG_ERR_MALFORMED, "accepted 0x%02x", c);
		cr_assert_eq(mlog_codec_base64_decode_lenient(out,
			sizeof(out), &n, s, 8), MLOG_ERR_MALFORMED,
			"lenient accepted 0x%02x", c);
		s[7] = '=';
		s[6] = (char)c;
		cr_assert_eq(mlog_codec_base64_decode_lenient(out,
			sizeof(out), &n, s, 8), MLOG_ERR_MALFORMED,
			"lenient accepted 0x%02x before '='", c);
		s[0] = (char)c;
		s[6] = 'J';
		cr_assert_eq(mlog_codec_base64_decode(out, sizeof(out), &n,
			s, 8), MLOG_ERR_MALFORMED, "accepted 0x%02x first", c);
		cr_assert_eq(n, 12345);
	}
	/* The '/' it would have been mistaken for is fine. */
	{
		size_t n = 0;

		cr_assert_eq(mlog_codec_base64_decode(out, sizeof(out), &n,
			"QUJDQUJ/", 8), MLOG_OK);
		cr_assert_eq(n, 6);
	}
}

Test(codec, base64_decode_respects_capacity)
{
	uint8_t out[2];
	size_t n = 0;

	cr_assert_eq(mlog_codec_base64_decode(out, sizeof(out), &n, "QUJD", 4),
		MLOG_ERR_TOOBIG);
	cr_assert_eq(mlog_codec_base64_decode(out, sizeof(out), &n, "QUI=", 4),
		MLOG_OK);
	cr_assert_eq(n, 2);
}

Test(codec, base64_lenient_ignores_pad_bits_like_go)
{
	uint8_t out[4];
	size_t n = 0;

	/* litewitness req02: "6gx=" is ea 0c to Go, where "6go=" is ea 0a. */
	cr_assert_eq(mlog_codec_base64_decode_lenient(out, sizeof(out), &n,
		"6gx=", 4), MLOG_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(out[0], 0xea);
	cr_assert_eq(out[1], 0x0c);
	cr_assert_eq(mlog_codec_base64_decode_lenient(out, sizeof(out), &n,
		"QUJDRA==", 8), MLOG_OK);
	cr_assert_eq(n, 4);
	cr_assert_arr_eq(out, "ABCD", 4);
	cr_assert_eq(mlog_codec_base64_decode_lenient(out, sizeof(out), &n,
		"QUJDRB==", 8), MLOG_OK);
	cr_assert_arr_eq(out, "ABCD", 4);
	/* Still strict about everything else. */
	cr_assert_neq(mlog_codec_base64_decode_lenient(out, sizeof(out), &n,
		"6g x", 4), MLOG_OK);
	cr_assert_neq(mlog_codec_base64_decode_lenient(out, sizeof(out), &n,
		"6gx", 3), MLOG_OK);
	/* Padding inside the input, before a lenient last quantum (found by
	 * fuzz_note): Go rejects it, so must we. */
	{
		uint8_t big[8];

		n = 99;
		cr_assert_eq(mlog_codec_base64_decode_lenient(big,
			sizeof(big), &n, "QQ==QUJ=", 8), MLOG_ERR_MALFORMED);
		cr_assert_eq(mlog_codec_base64_decode_lenient(big,
			sizeof(big), &n, "QQ==QUI=", 8), MLOG_ERR_MALFORMED);
		cr_assert_eq(mlog_codec_base64_decode_lenient(big,
			sizeof(big), &n, "QUI=QUJ=", 8), MLOG_ERR_MALFORMED);
		cr_assert_eq(n, 99);
		cr_assert_eq(mlog_codec_base64_decode_lenient(big,
			sizeof(big), &n, "QUJDQUJ=", 8), MLOG_OK);
		cr_assert_eq(n, 5);
	}
}

Test(codec, hex)
{
	uint8_t in[3] = { 0x00, 0xab, 0xff }, out[3];
	char enc[7];

	mlog_codec_hex_encode(enc, in, 3);
	cr_assert_str_eq(enc, "00abff");
	cr_assert_eq(mlog_codec_hex_decode(out, 3, "00abff", 6), MLOG_OK);
	cr_assert_arr_eq(out, in, 3);
	cr_assert_eq(mlog_codec_hex_decode(out, 3, "00ABFF", 6),
		MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_codec_hex_decode(out, 3, "00abf", 5),
		MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_codec_hex_decode(out, 3, "00abffaa", 8),
		MLOG_ERR_MALFORMED);
	cr_assert_eq(mlog_codec_hex_decode(out, 3, "00abfg", 6),
		MLOG_ERR_MALFORMED);
}

Test(codec, decimal)
{
	static const struct { const char *s; int ok; uint64_t v; } cases[] = {
		{ "0", 1, 0 },
		{ "7", 1, 7 },
		{ "20852163", 1, 20852163 },
		{ "9223372036854775807", 1, UINT64_C(9223372036854775807) },
		{ "9223372036854775808", 0, 0 },
		{ "18446744073709551616", 0, 0 },
		{ "99999999999999999999", 0, 0 },
		{ "", 0, 0 },
		{ "00", 0, 0 },
		{ "01", 0, 0 },
		{ "+1", 0, 0 },
		{ "-1", 0, 0 },
		{ " 1", 0, 0 },
		{ "1 ", 0, 0 },
		{ "1a", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 42;
		int rc = mlog_codec_decimal_parse(&v, cases[i].s,
			strlen(cases[i].s));

		if (cases[i].ok) {
			cr_assert_eq(rc, MLOG_OK, "%s", cases[i].s);
			cr_assert_eq(v, cases[i].v, "%s", cases[i].s);
		} else {
			cr_assert_eq(rc, MLOG_ERR_MALFORMED, "%s", cases[i].s);
			cr_assert_eq(v, 42, "%s touched output", cases[i].s);
		}
	}
}

Test(codec, utf8)
{
	cr_assert(mlog_codec_utf8_valid("plain", 5));
	cr_assert(mlog_codec_utf8_valid("\xe2\x80\x94 em dash", 11));
	cr_assert(mlog_codec_utf8_valid("\xf0\x9f\x98\x80", 4));
	cr_assert(!mlog_codec_utf8_valid("\xe2\x80", 2));        /* truncated */
	cr_assert(!mlog_codec_utf8_valid("\xc0\xaf", 2));        /* overlong */
	cr_assert(!mlog_codec_utf8_valid("\xe0\x80\xaf", 3));    /* overlong */
	cr_assert(!mlog_codec_utf8_valid("\xed\xa0\x80", 3));    /* surrogate */
	cr_assert(!mlog_codec_utf8_valid("\xf4\x90\x80\x80", 4)); /* > 10FFFF */
	cr_assert(!mlog_codec_utf8_valid("\xff", 1));
	cr_assert(!mlog_codec_utf8_valid("\x80", 1));
}

Test(codec, big_endian)
{
	uint8_t b[8];

	mlog_codec_be16_put(b, 0x1234);
	cr_assert_eq(b[0], 0x12);
	cr_assert_eq(mlog_codec_be16_get(b), 0x1234);
	mlog_codec_be32_put(b, 0xdeadbeef);
	cr_assert_eq(b[0], 0xde);
	cr_assert_eq(mlog_codec_be32_get(b), 0xdeadbeef);
	mlog_codec_be64_put(b, UINT64_C(0x0102030405060708));
	cr_assert_eq(b[0], 1);
	cr_assert_eq(b[7], 8);
	cr_assert_eq(mlog_codec_be64_get(b), UINT64_C(0x0102030405060708));
}
