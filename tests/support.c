/*
 * support.c — shared test helpers; see support.h.
 */
#include "support.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

const char *test_shared_dir(void)
{
	const char *dir = getenv("MLOG_SHARED_DIR");
	struct stat st;

	if (dir == NULL || dir[0] == '\0')
		return NULL;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return dir;
}

char *test_shared_path(const char *rel)
{
	const char *dir = test_shared_dir();
	char *path;

	cr_assert_not_null(dir, "../shared not present");
	cr_assert_neq(asprintf(&path, "%s/%s", dir, rel), -1);
	return path;
}

char *test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	cr_assert_not_null(f, "cannot open %s: %s", path, strerror(errno));
	for (;;) {
		size_t got;

		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	cr_assert(!ferror(f), "cannot read %s", path);
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

char *test_read_shared(const char *rel, size_t *len)
{
	char *path = test_shared_path(rel);
	char *buf = test_read_file(path, len);

	free(path);
	return buf;
}

void test_hex(uint8_t *out, size_t out_len, const char *hex)
{
	size_t n = strlen(hex);

	cr_assert_eq(n, 2 * out_len, "hex %s: want %zu bytes", hex, out_len);
	for (size_t i = 0; i < out_len; i++) {
		unsigned v;

		cr_assert(isxdigit((unsigned char)hex[2 * i]) &&
			isxdigit((unsigned char)hex[2 * i + 1]), "bad hex %s",
			hex);
		cr_assert_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

size_t test_b64(uint8_t *out, size_t out_cap, const char *b64)
{
	size_t n = 0;

	cr_assert_eq(sodium_base642bin(out, out_cap, b64, strlen(b64), NULL,
		&n, NULL, sodium_base64_VARIANT_ORIGINAL), 0,
		"bad base64 %s", b64);
	return n;
}

char *test_chomp(char *s)
{
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '\n')
		s[n - 1] = '\0';
	return s;
}
