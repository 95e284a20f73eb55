/*
 * support.h — helpers shared by the Criterion test programs: locating
 * ../shared (vectors and samples), reading files, decoding test data.
 *
 * Tests that need ../shared call TEST_REQUIRE_SHARED() first: on a bare
 * clone they are reported as skipped with the reason, never passed
 * silently.
 */
#ifndef MLOG_TEST_SUPPORT_H
#define MLOG_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include <criterion/criterion.h>

/* Absolute or relative path of ../shared, or NULL when it is absent.
 * Taken from $MLOG_SHARED_DIR, which tests/meson.build sets. */
const char *test_shared_dir(void);

#define TEST_REQUIRE_SHARED()                                              \
	do {                                                               \
		if (test_shared_dir() == NULL)                             \
			cr_skip_test("skipped: ../shared not present");    \
	} while (0)

/* Returns a malloc'd "<shared>/<rel>" (caller frees); requires shared. */
char *test_shared_path(const char *rel);

/* Reads a whole file into a malloc'd NUL-terminated buffer (caller frees)
 * and stores its length; fails the test if the file cannot be read. */
char *test_read_file(const char *path, size_t *len);

/* Reads <shared>/<rel>; fails the test if it cannot. */
char *test_read_shared(const char *rel, size_t *len);

/* Decodes hex (either case) into out[0..out_len); fails the test on
 * anything else. */
void test_hex(uint8_t *out, size_t out_len, const char *hex);

/* Decodes standard base64 into out; fails the test on bad input. Returns
 * the decoded length. */
size_t test_b64(uint8_t *out, size_t out_cap, const char *b64);

/* Strips one trailing "\n" in place; returns s. */
char *test_chomp(char *s);

#endif
