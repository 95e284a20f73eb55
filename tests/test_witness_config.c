/*
 * test_witness_config.c — witness/config.c: settings, ranges, and the
 * DIR/mlog-witness.conf file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "config.h"
#include "witness_fixture.h"

Test(witness_config, defaults_and_settings)
{
	struct witness_config c;
	struct mlog_error err = { 0, "" };
	static const struct { const char *key, *value; int ok; } cases[] = {
		{ "listen", "0.0.0.0:9000", 1 },
		{ "listen", "localhost:1", 1 },
		{ "listen", "9000", 0 },
		{ "listen", ":9000", 0 },
		{ "listen", "host:0", 0 },
		{ "listen", "host:65536", 0 },
		{ "rate", "0", 1 },
		{ "rate", "1000000", 1 },
		{ "rate", "1000001", 0 },
		{ "rate", "-1", 0 },
		{ "rate", "1.5", 0 },
		{ "rate", " 1", 0 },
		{ "burst", "0", 0 },
		{ "burst", "5", 1 },
		{ "threads", "0", 0 },
		{ "threads", "8", 1 },
		{ "max-connections", "100001", 0 },
		{ "timeout", "3601", 0 },
		{ "batch-max", "1", 1 },
		{ "batch-max", "", 0 },
		{ "colour", "blue", 0 },
	};

	witness_config_init(&c);
	cr_assert_str_eq(c.listen_host, "127.0.0.1");
	cr_assert_eq(c.listen_port, 8081);
	cr_assert_eq(c.rate, 20);
	cr_assert_eq(witness_config_burst(&c), 40);
	cr_assert_eq(c.batch_max, 256);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = witness_config_set(&c, cases[i].key, cases[i].value,
			&err);

		cr_assert_eq(rc == MLOG_OK, cases[i].ok, "%s = '%s': %d %s",
			cases[i].key, cases[i].value, rc, err.msg);
		if (!cases[i].ok)
			cr_assert_not_null(strstr(err.msg, cases[i].key),
				"the message names the setting: %s", err.msg);
	}
	cr_assert_str_eq(c.listen_host, "localhost");
	cr_assert_eq(c.listen_port, 1);
	cr_assert_eq(c.rate, 1000000);
	cr_assert_eq(witness_config_burst(&c), 5);
	cr_assert_eq(c.threads, 8);
	cr_assert_eq(witness_config_set(&c, "rate", "0", NULL), MLOG_OK);
	c.burst = 0;
	cr_assert_eq(witness_config_burst(&c), 1);
	witness_config_clear(&c);
}

static void write_conf(const char *dir, const char *text)
{
	char path[400];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, WITNESS_CONFIG_FILE);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

Test(witness_config, file)
{
	struct witness_config c;
	struct mlog_error err = { 0, "" };
	char dir[256];

	fx_tmpdir(dir, sizeof(dir));
	witness_config_init(&c);
	cr_assert_eq(witness_config_load(&c, dir, &err), MLOG_OK,
		"no file is fine");
	write_conf(dir, "# comment\n\n  listen = 127.0.0.1:7000  \n"
		"log = a#1+0123abcd+AQ==   # '#' inside a value stays\n"
		"log=b+0123abcd+AQ==\n\trate\t=\t3\t\n");
	cr_assert_eq(witness_config_load(&c, dir, &err), MLOG_OK, "%s",
		err.msg);
	cr_assert_eq(c.listen_port, 7000);
	cr_assert_eq(c.nlogs, 2);
	cr_assert_str_eq(c.logs[0], "a#1+0123abcd+AQ==");
	cr_assert_str_eq(c.logs[1], "b+0123abcd+AQ==");
	cr_assert_eq(c.rate, 3);
	witness_config_clear(&c);

	witness_config_init(&c);
	write_conf(dir, "rate = 3\nthreads = lots\n");
	cr_assert_eq(witness_config_load(&c, dir, &err), MLOG_ERR_MALFORMED);
	cr_assert_not_null(strstr(err.msg, "mlog-witness.conf:2"), "%s",
		err.msg);
	write_conf(dir, "just words\n");
	cr_assert_eq(witness_config_load(&c, dir, &err), MLOG_ERR_MALFORMED);
	cr_assert_not_null(strstr(err.msg, ":1: want 'key = value'"), "%s",
		err.msg);
	write_conf(dir, "data = /elsewhere\n");
	cr_assert_eq(witness_config_load(&c, dir, &err), MLOG_ERR_MALFORMED);
	cr_assert_not_null(strstr(err.msg, "'data'"), "%s", err.msg);
	witness_config_clear(&c);
	fx_rmtree(dir);
}
