/*
 * standalone.c — replays fuzz inputs without libFuzzer.
 *
 * Linked with a fuzz_<parser>.c target in ordinary (gcc or sanitizer)
 * builds, it feeds every file named on the command line, and every file in
 * every directory named there, to LLVMFuzzerTestOneInput once. meson test
 * runs it over the committed corpus, so every input a fuzzer ever found
 * interesting is re-checked under ASan/UBSan on each CI run.
 *
 * A path given as "?PATH" is optional: if it does not exist the driver says
 * "skipped: PATH not present" and goes on (used for ../shared vectors, which
 * a bare clone lacks). Any other unreadable path is an error (exit 2).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Inputs above this are skipped: libFuzzer's default -max_len is far
 * smaller, so a bigger file in a corpus is a mistake worth reporting. */
#define MAX_INPUT_BYTES (4u << 20)

static int run_file(const char *path, unsigned long *count)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long len;

	if (f == NULL) {
		fprintf(stderr, "standalone: can't open %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (unsigned long)len > MAX_INPUT_BYTES) {
		fprintf(stderr, "standalone: can't size %s (or over %u bytes)\n",
			path, MAX_INPUT_BYTES);
		fclose(f);
		return -1;
	}
	/* Exact-size allocation so ASan catches any read past the input. */
	buf = malloc(len > 0 ? (size_t)len : 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "standalone: can't read %s\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	(*count)++;
	return 0;
}

static int run_path(const char *path, unsigned long *count)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "standalone: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path, count);
	d = opendir(path);
	if (d == NULL) {
		fprintf(stderr, "standalone: can't open %s\n", path);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		char *child;

		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&child, "%s/%s", path, e->d_name) < 0) {
			rc = -1;
			break;
		}
		if (run_path(child, count) != 0)
			rc = -1;
		free(child);
	}
	closedir(d);
	return rc;
}

int main(int argc, char **argv)
{
	unsigned long count = 0;
	int rc = 0;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		const char *path = argv[i];
		struct stat st;

		if (path[0] == '?') {
			path++;
			if (stat(path, &st) != 0) {
				printf("skipped: %s not present\n", path);
				continue;
			}
		}
		if (run_path(path, &count) != 0)
			rc = 2;
	}
	printf("replayed %lu inputs\n", count);
	if (count == 0) {
		fprintf(stderr, "standalone: no inputs replayed\n");
		return 2;
	}
	return rc;
}
