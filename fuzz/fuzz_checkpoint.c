/*
 * fuzz_checkpoint.c — fuzz target for the checkpoint parser
 * (merkle/checkpoint.c).
 *
 * Properties checked (a violation aborts):
 *  - parse is canonical: format(parse(x)) == x byte for byte;
 *  - open returns only 0 / TOOBIG / MALFORMED / UNTRUSTED / VERIFY, leaves
 *    its outputs alone on failure, and when it succeeds the text parses
 *    to the same checkpoint;
 *  - any checkpoint that parses, signed with a fixed test key, opens with
 *    that key (VERIFY only for a size-0 tree with another root).
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "note.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keys of the seed corpora: the test log key of fuzz/corpus (seed 01..01,
 * "example.com/log"), Tessera's test log and the Go sumdb. */
static const char *const vkeys[] = {
	"example.com/log+9be5d3c6+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c",
	("example.com/log/testdata+33d7b496+"
		"AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx"),
	"sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

static int same(const struct mlog_checkpoint *a,
	const struct mlog_checkpoint *b)
{
	return strcmp(a->origin, b->origin) == 0 && a->size == b->size &&
		memcmp(a->root, b->root, sizeof(a->root)) == 0 &&
		a->ext_len == b->ext_len &&
		(a->ext_len == 0 || memcmp(a->ext, b->ext, a->ext_len) == 0);
}

static void fuzz_text(const char *s, size_t size)
{
	struct mlog_checkpoint c, d;
	struct mlog_note_signer signer;
	struct mlog_note_verifier v;
	uint8_t seed[32], empty[32];
	char *out = NULL, *note = NULL;
	size_t out_len = 0, note_len = 0;
	int rc;

	if (mlog_checkpoint_parse(&c, s, size, NULL) != MLOG_OK)
		return;
	if (mlog_checkpoint_format(&out, &out_len, &c, NULL) != MLOG_OK ||
	    out_len != size || memcmp(out, s, size) != 0)
		abort();
	/* Sign and open again. */
	memset(seed, 0x01, sizeof(seed));
	if (mlog_note_signer_from_seed(&signer, "fuzz.example/log",
		MLOG_NOTE_TYPE_ED25519, seed) != MLOG_OK)
		abort();
	mlog_note_signer_verifier(&v, &signer);
	rc = mlog_checkpoint_sign(&note, &note_len, &c, &signer, 1, NULL);
	mlog_note_signer_clear(&signer);
	if (rc == MLOG_OK) {
		mlog_hash_empty(empty);
		rc = mlog_checkpoint_open(&d, NULL, note, note_len, c.origin,
			&v, 1, NULL, NULL);
		if (c.size == 0 && memcmp(c.root, empty, 32) != 0) {
			if (rc != MLOG_ERR_VERIFY)
				abort();
		} else {
			if (rc != MLOG_OK || !same(&c, &d))
				abort();
			mlog_checkpoint_clear(&d);
		}
	} else if (rc != MLOG_ERR_TOOBIG) {
		/* Only the note cap can stop a valid text being signed. */
		abort();
	}
	free(note);
	free(out);
	mlog_checkpoint_clear(&c);
}

static void fuzz_open(const char *s, size_t size)
{
	struct mlog_note_verifier keys[3];
	struct mlog_checkpoint c, d;
	struct mlog_note *n = (struct mlog_note *)0x1;
	int rc;

	for (size_t i = 0; i < 3; i++) {
		if (mlog_note_verifier_parse(&keys[i], vkeys[i],
			strlen(vkeys[i]), NULL) != MLOG_OK)
			abort();
	}
	memset(&c, 0x5a, sizeof(c));
	rc = mlog_checkpoint_open(&c, &n, s, size, NULL, keys, 3, NULL, NULL);
	switch (rc) {
	case MLOG_OK:
		if (mlog_checkpoint_parse(&d, n->text, n->text_len, NULL) !=
		    MLOG_OK || !same(&c, &d))
			abort();
		mlog_checkpoint_clear(&d);
		mlog_checkpoint_clear(&c);
		mlog_note_free(n);
		break;
	case MLOG_ERR_TOOBIG:
	case MLOG_ERR_MALFORMED:
	case MLOG_ERR_UNTRUSTED:
	case MLOG_ERR_VERIFY:
		if (n != (struct mlog_note *)0x1 || c.size !=
		    UINT64_C(0x5a5a5a5a5a5a5a5a))
			abort();
		break;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;

	fuzz_text(s, size);
	/* A signed checkpoint's text, too. */
	for (size_t i = 0; i + 1 < size; i++) {
		if (s[i] == '\n' && s[i + 1] == '\n') {
			fuzz_text(s, i + 1);
			break;
		}
	}
	fuzz_open(s, size);
	return 0;
}
