/*
 * test_conf.c — merkle/conf.c: the settings-file grammar (conf.h rules
 * 1-5) and the value parsers both daemons use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "conf.h"

/* A setter that records "key=value;" and refuses the key "bad". */
struct record {
	char text[4096];
	int calls;
};

static int record_set(void *ctx, const char *key, const char *value,
	struct mlog_error *err)
{
	struct record *r = ctx;
	size_t used = strlen(r->text);

	r->calls++;
	if (strcmp(key, "bad") == 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"bad %s: want good", value);
	snprintf(r->text + used, sizeof(r->text) - used, "%s=%s;", key,
		value);
	return MLOG_OK;
}

static int parse(struct record *r, const char *text, size_t len,
	struct mlog_error *err)
{
	memset(r, 0, sizeof(*r));
	return mlog_conf_parse(text, len, "t.conf", record_set, r, err);
}

Test(conf, grammar)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "", "" },
		{ "\n\n\n", "" },
		{ "# only a comment\n   # indented comment\n", "" },
		{ "a = 1\n", "a=1;" },
		{ "a=1", "a=1;" },                      /* no final newline */
		{ "a = 1\r\nb = 2\r\n", "a=1;b=2;" },   /* CRLF */
		{ "\t a \t=\t 1 \t\n", "a=1;" },
		{ "a = x # comment\n", "a=x;" },
		{ "\r# a CR is a blank too = x\n", "" },
		{ "a = x\r# comment\n", "a=x;" },
		{ "a = x#y\n", "a=x#y;" },              /* '#' inside a value */
		{ "k#1 = v\n", "k#1=v;" },              /* and inside a key */
		{ "a =\n", "a=;" },                     /* empty value: setter's */
		{ "a = b = c\n", "a=b = c;" },          /* first '=' splits */
		{ "s = ci=build:/etc/ci#2.pem # the CI key\n",
			"s=ci=build:/etc/ci#2.pem;" },
		{ "a = 1\na = 2\n", "a=1;a=2;" },       /* file order */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct record r;
		struct mlog_error err = { 0, "" };

		cr_assert_eq(parse(&r, cases[i].text, strlen(cases[i].text),
			&err), MLOG_OK, "case %zu: %s", i, err.msg);
		cr_assert_str_eq(r.text, cases[i].want, "case %zu", i);
	}
}

Test(conf, refusals_name_file_and_line)
{
	static const struct {
		const char *text;
		int rc;
		const char *msg;
		int calls;      /* setter calls before the refusal */
	} cases[] = {
		{ "a = 1\njust words\n", MLOG_ERR_MALFORMED,
			"t.conf:2: want 'key = value'", 1 },
		{ " = 1\n", MLOG_ERR_MALFORMED, "t.conf:1: no key before '='",
			0 },
		{ "a = 1\n\ndata = /elsewhere\n", MLOG_ERR_MALFORMED,
			"t.conf:3: 'data' cannot be set", 1 },
		{ "a = 1\nbad = x\nc = 3\n", MLOG_ERR_MALFORMED,
			"t.conf:2: bad x: want good", 2 },
		{ "#a\n#b\n#c\nwords # '=' in a comment does not count\n",
			MLOG_ERR_MALFORMED, "t.conf:4: want", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct record r;
		struct mlog_error err = { 0, "" };

		cr_assert_eq(parse(&r, cases[i].text, strlen(cases[i].text),
			&err), cases[i].rc, "case %zu", i);
		cr_assert_not_null(strstr(err.msg, cases[i].msg),
			"case %zu: %s", i, err.msg);
		cr_assert_null(strchr(err.msg, '\n'), "one line");
		cr_assert_eq(r.calls, cases[i].calls, "case %zu", i);
	}
}

Test(conf, sizes_and_bytes)
{
	size_t big = MLOG_CONF_LINE_MAX + 16;
	char *text = malloc(MLOG_CONF_FILE_MAX + 2);
	struct record r;
	struct mlog_error err = { 0, "" };

	cr_assert_not_null(text);
	/* A line of exactly MLOG_CONF_LINE_MAX bytes (then CRLF) is fine. */
	memset(text, 'v', big);
	memcpy(text, "k = ", 4);
	memcpy(text + MLOG_CONF_LINE_MAX, "\r\n", 2);
	cr_assert_eq(parse(&r, text, MLOG_CONF_LINE_MAX + 2, &err), MLOG_OK,
		"%s", err.msg);
	cr_assert_eq(r.calls, 1);
	/* One byte more is refused, not cut. */
	memset(text, 'v', big);
	memcpy(text, "k = ", 4);
	text[MLOG_CONF_LINE_MAX + 1] = '\n';
	cr_assert_eq(parse(&r, text, MLOG_CONF_LINE_MAX + 2, &err),
		MLOG_ERR_MALFORMED);
	cr_assert_not_null(strstr(err.msg, "t.conf:1: line over"), "%s",
		err.msg);
	cr_assert_eq(r.calls, 0);
	/* A NUL byte anywhere: not a text file, nothing applied. */
	memcpy(text, "a = 1\nb = \0\n", 12);
	cr_assert_eq(parse(&r, text, 12, &err), MLOG_ERR_MALFORMED);
	cr_assert_not_null(strstr(err.msg, "NUL"), "%s", err.msg);
	cr_assert_eq(r.calls, 0);
	/* The whole file's cap, checked before any work. */
	memset(text, '\n', MLOG_CONF_FILE_MAX + 1);
	cr_assert_eq(parse(&r, text, MLOG_CONF_FILE_MAX, &err), MLOG_OK);
	cr_assert_eq(parse(&r, text, MLOG_CONF_FILE_MAX + 1, &err),
		MLOG_ERR_TOOBIG);
	cr_assert_eq(r.calls, 0);
	free(text);
}

Test(conf, load_from_disk)
{
	char dir[] = "/tmp/mlog-conf-XXXXXX";
	char path[128];
	struct record r;
	struct mlog_error err = { 0, "" };
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.conf", dir);
	memset(&r, 0, sizeof(r));
	cr_assert_eq(mlog_conf_load(path, record_set, &r, &err), MLOG_OK,
		"an absent file is an empty one");
	cr_assert_eq(r.calls, 0);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("a = 1\nb = 2\n", f);
	fclose(f);
	cr_assert_eq(mlog_conf_load(path, record_set, &r, &err), MLOG_OK);
	cr_assert_str_eq(r.text, "a=1;b=2;");
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("a = 1\nbad = 2\n", f);
	fclose(f);
	memset(&r, 0, sizeof(r));
	cr_assert_eq(mlog_conf_load(path, record_set, &r, &err),
		MLOG_ERR_MALFORMED);
	cr_assert_not_null(strstr(err.msg, "x.conf:2: bad 2"), "%s", err.msg);
	/* A directory where the file should be: an I/O error, named. */
	cr_assert_eq(mlog_conf_load(dir, record_set, &r, &err), MLOG_ERR_IO);
	cr_assert_not_null(strstr(err.msg, dir), "%s", err.msg);
	unlink(path);
	rmdir(dir);
}

Test(conf, uint_values)
{
	static const struct {
		const char *s;
		int ok;
		unsigned long want;
	} cases[] = {
		{ "0", 1, 0 }, { "7", 1, 7 }, { "100", 1, 100 },
		{ "101", 0, 0 }, { "", 0, 0 }, { "-1", 0, 0 }, { "+1", 0, 0 },
		{ " 1", 0, 0 }, { "1 ", 0, 0 }, { "1.5", 0, 0 }, { "0x10", 0, 0 },
		{ "99999999999999999999999", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned long v = 12345;
		int rc = mlog_conf_parse_uint(&v, cases[i].s, 0, 100);

		cr_assert_eq(rc == MLOG_OK, cases[i].ok, "'%s'", cases[i].s);
		cr_assert_eq(v, cases[i].ok ? cases[i].want : 12345,
			"'%s': out untouched on failure", cases[i].s);
	}
}

Test(conf, listen_values)
{
	char *host = strdup("before");
	unsigned port = 1;

	cr_assert_eq(mlog_conf_parse_listen(&host, &port, "0.0.0.0:9000"),
		MLOG_OK);
	cr_assert_str_eq(host, "0.0.0.0");
	cr_assert_eq(port, 9000);
	cr_assert_eq(mlog_conf_parse_listen(&host, &port, "[::1]:65535"),
		MLOG_OK);
	cr_assert_str_eq(host, "[::1]");
	cr_assert_eq(port, 65535);
	static const char *const bad[] = {
		"9000", ":9000", "host:0", "host:65536", "host:", "host:x",
		"host:-1", "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(mlog_conf_parse_listen(&host, &port, bad[i]),
			MLOG_ERR_MALFORMED, "'%s'", bad[i]);
		cr_assert_str_eq(host, "[::1]", "unchanged on failure");
		cr_assert_eq(port, 65535);
	}
	free(host);
}

struct settings {
	unsigned small;
	size_t large;
};

Test(conf, uint_table)
{
	static const struct mlog_conf_uint table[] = {
		{ "small", offsetof(struct settings, small), sizeof(unsigned),
			1, 10, " things" },
		{ "large", offsetof(struct settings, large), sizeof(size_t), 0,
			10000000000UL, "" },
	};
	struct settings s = { 5, 5 };
	struct mlog_error err = { 0, "" };

	cr_assert_eq(mlog_conf_set_uint(&s, table, 2, "small", "10", &err),
		MLOG_OK);
	cr_assert_eq(mlog_conf_set_uint(&s, table, 2, "large", "9000000000",
		&err), MLOG_OK);
	cr_assert_eq(s.small, 10);
	cr_assert_eq(s.large, 9000000000UL);
	cr_assert_eq(mlog_conf_set_uint(&s, table, 2, "small", "11", &err),
		MLOG_ERR_MALFORMED);
	cr_assert_str_eq(err.msg, "small 11: want 1..10 things");
	cr_assert_eq(s.small, 10);
	cr_assert_eq(mlog_conf_set_uint(&s, table, 2, "other", "1", &err),
		MLOG_ERR_MALFORMED);
	cr_assert_str_eq(err.msg, "unknown setting 'other'");
}

Test(conf, strings_and_lists)
{
	char *field = NULL;
	char **list = NULL;
	size_t n = 0;

	cr_assert_eq(mlog_conf_string_set(&field, "one"), MLOG_OK);
	cr_assert_eq(mlog_conf_string_set(&field, "two"), MLOG_OK);
	cr_assert_str_eq(field, "two");
	free(field);
	for (int i = 0; i < 5; i++) {
		char item[8];

		snprintf(item, sizeof(item), "i%d", i);
		cr_assert_eq(mlog_conf_list_add(&list, &n, item), MLOG_OK);
	}
	cr_assert_eq(n, 5);
	cr_assert_str_eq(list[0], "i0");
	cr_assert_str_eq(list[4], "i4");
	mlog_conf_list_free(list, n);
	mlog_conf_list_free(NULL, 0);
}
