/*
 * test_err.c — merkle/err.c: one-line, printable, bounded messages
 * (err.h invariant 3), wrapping, and code names.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "err.h"

Test(err, set_returns_the_code_and_records_it)
{
	struct mlog_error err = { 0, "" };

	cr_assert_eq(mlog_error_set(&err, MLOG_ERR_VERIFY, "bad %s %d", "x",
		3), MLOG_ERR_VERIFY);
	cr_assert_eq(err.code, MLOG_ERR_VERIFY);
	cr_assert_str_eq(err.msg, "bad x 3");
	cr_assert_eq(mlog_error_set(NULL, MLOG_ERR_IO, "ignored"),
		MLOG_ERR_IO, "a NULL err records nothing");
}

Test(err, untrusted_bytes_cannot_break_lines_or_drive_a_terminal)
{
	struct mlog_error err = { 0, "" };
	/* What a hostile server could put in its {"error": ...}. */
	const char *quoted = "line1\nline2\r\tx\x1b[2J\x07y\x7fz"
		"\xc2\x9b" "31m" "caf\xc3\xa9";

	mlog_error_set(&err, MLOG_ERR_IO, "the log refused: %s", quoted);
	cr_assert_str_eq(err.msg, "the log refused: line1 line2  x?[2J?y?z"
		"??31mcaf\xc3\xa9", "%s", err.msg);
	for (const unsigned char *p = (const unsigned char *)err.msg;
	     *p != '\0'; p++)
		cr_assert(*p >= 0x20 && *p != 0x7f, "byte %02x", *p);
	/* The same through wrap, on both the prefix and the old message. */
	mlog_error_wrap(&err, MLOG_ERR_IO, "host\n%s", "a\x1b");
	cr_assert_str_eq(err.msg, "host a?: the log refused: line1 line2  "
		"x?[2J?y?z??31mcaf\xc3\xa9", "%s", err.msg);
}

Test(err, flatten_in_place)
{
	char line[] = "witness said: 409\r\x1b]0;owned\x07\n";

	mlog_error_flatten(line);
	cr_assert_str_eq(line, "witness said: 409 ?]0;owned? ");
}

Test(err, long_messages_are_truncated)
{
	struct mlog_error err = { 0, "" };
	char big[3 * MLOG_ERROR_MSG_MAX];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mlog_error_set(&err, MLOG_ERR_TOOBIG, "%s", big);
	cr_assert_eq(strlen(err.msg), MLOG_ERROR_MSG_MAX - 1);
	mlog_error_wrap(&err, MLOG_ERR_TOOBIG, "prefix");
	cr_assert_eq(strlen(err.msg), MLOG_ERROR_MSG_MAX - 1);
	cr_assert(strncmp(err.msg, "prefix: aaa", 11) == 0);
}

Test(err, wrap_adds_context_and_keeps_a_bare_prefix)
{
	struct mlog_error err = { 0, "" };

	mlog_error_set(&err, MLOG_ERR_MALFORMED, "tree size has a leading "
		"zero");
	mlog_error_wrap(&err, MLOG_ERR_MALFORMED, "line %d", 2);
	mlog_error_wrap(&err, MLOG_ERR_MALFORMED, "checkpoint");
	cr_assert_str_eq(err.msg, "checkpoint: line 2: tree size has a "
		"leading zero");
	err.msg[0] = '\0';
	mlog_error_wrap(&err, MLOG_ERR_IO, "only context");
	cr_assert_str_eq(err.msg, "only context");
	cr_assert_eq(err.code, MLOG_ERR_IO);
}

Test(err, every_code_has_a_name)
{
	for (int code = MLOG_ERR_INTERNAL; code <= MLOG_OK; code++)
		cr_assert_str_neq(mlog_err_name(code), "unknown error",
			"code %d", code);
	cr_assert_str_eq(mlog_err_name(-1000), "unknown error");
}
