/*
 * fuzz_evidence.c — offline verification of an evidence bundle
 * (client/evidence.c: cli_evidence_verify, what `mlog verify DIR` runs),
 * which an auditor receives from someone else.
 *
 * fuzz/evidence/ is a real bundle (8 entries, made by bench_client). Each
 * input replaces one of its files: the first byte chooses which
 * (manifest.json, checkpoint, policy, report.md, entries/0..7.tlogproof),
 * the rest is the file's new content. The bundle lives in a private copy
 * (on tmpfs when there is one); the file is restored after each input.
 *
 * Properties checked on every input:
 *  - the answer is 0 (valid), VERIFY, UNTRUSTED or MALFORMED (NOMEM and
 *    IO only for what the system says), with a one-line message on
 *    failure;
 *  - the unmodified bundle verifies (checked once at start-up), so a
 *    failure is the input's doing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evidence.h"

#ifndef MLOG_FUZZ_EVIDENCE_DIR
#error "fuzz/meson.build defines MLOG_FUZZ_EVIDENCE_DIR"
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const files[] = {
	"manifest.json", "checkpoint", "policy", "report.md",
	"entries/0.tlogproof", "entries/1.tlogproof", "entries/2.tlogproof",
	"entries/3.tlogproof", "entries/4.tlogproof", "entries/5.tlogproof",
	"entries/6.tlogproof", "entries/7.tlogproof",
};
#define NFILES (sizeof(files) / sizeof(files[0]))

/* One basic block per file: coverage tells the seeds apart (each is a
 * valid bundle, so they share every other edge), and libFuzzer keeps one
 * seed per file instead of merging them into the smallest. */
static volatile unsigned replaced[NFILES];

static void count_replaced(size_t which)
{
	switch (which) {
	case 0: replaced[0]++; break;
	case 1: replaced[1]++; break;
	case 2: replaced[2]++; break;
	case 3: replaced[3]++; break;
	case 4: replaced[4]++; break;
	case 5: replaced[5]++; break;
	case 6: replaced[6]++; break;
	case 7: replaced[7]++; break;
	case 8: replaced[8]++; break;
	case 9: replaced[9]++; break;
	case 10: replaced[10]++; break;
	default: replaced[11]++; break;
	}
}

static char work[64];
static char *original[NFILES];
static size_t original_len[NFILES];

static char *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 20);
	size_t n;

	if (f == NULL || buf == NULL)
		abort();
	n = fread(buf, 1, 1 << 20, f);
	if (ferror(f) || n == 1 << 20)
		abort();
	fclose(f);
	*len = n;
	return buf;
}

static void write_whole(const char *rel, const void *data, size_t len)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", work, rel);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
}

static void remove_work(void)
{
	char path[160];

	for (size_t i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", work, files[i]);
		unlink(path);
		free(original[i]);
	}
	snprintf(path, sizeof(path), "%s/entries", work);
	rmdir(path);
	rmdir(work);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct mlog_error err = { 0, "" };
	char path[160];

	(void)argc;
	(void)argv;
	snprintf(work, sizeof(work), "/dev/shm/mlog-fuzz-XXXXXX");
	if (mkdtemp(work) == NULL) {
		snprintf(work, sizeof(work), "/tmp/mlog-fuzz-XXXXXX");
		if (mkdtemp(work) == NULL)
			abort();
	}
	snprintf(path, sizeof(path), "%s/entries", work);
	if (mkdir(path, 0700) != 0)
		abort();
	for (size_t i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", MLOG_FUZZ_EVIDENCE_DIR,
			files[i]);
		original[i] = read_whole(path, &original_len[i]);
		write_whole(files[i], original[i], original_len[i]);
	}
	atexit(remove_work);
	if (cli_evidence_verify(work, NULL, &err) != MLOG_OK) {
		fprintf(stderr, "fuzz_evidence: the template bundle does not "
			"verify: %s\n", err.msg);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlog_error err = { 0, "" };
	size_t which;
	int rc;

	if (size == 0)
		return 0;
	which = data[0] % NFILES;
	count_replaced(which);
	write_whole(files[which], data + 1, size - 1);
	rc = cli_evidence_verify(work, NULL, &err);
	write_whole(files[which], original[which], original_len[which]);
	if (rc != MLOG_OK) {
		if (rc != MLOG_ERR_VERIFY && rc != MLOG_ERR_UNTRUSTED &&
		    rc != MLOG_ERR_MALFORMED && rc != MLOG_ERR_NOMEM &&
		    rc != MLOG_ERR_IO)
			abort();
		if (err.msg[0] == '\0' || strchr(err.msg, '\n') != NULL)
			abort();
	}
	return 0;
}
