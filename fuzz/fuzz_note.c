/*
 * fuzz_note.c — fuzz target for the signed-note parsers (merkle/note.c,
 * merkle/cosig.c).
 *
 * Properties checked (a violation aborts):
 *  - parse → format → parse gives the same note, and format is a fixed
 *    point; without lenient signatures, format(parse(x)) == x;
 *  - verify never crashes and returns only 0 / VERIFY / UNTRUSTED, and a
 *    key with a made-up public key never verifies anything;
 *  - a vkey or skey that parses formats back to the exact input;
 *  - a 72-byte input that decodes as a cosignature blob encodes back.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cosig.h"
#include "note.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

static void same_note(const struct mlog_note *a, const struct mlog_note *b)
{
	if (a->text_len != b->text_len ||
	    memcmp(a->text, b->text, a->text_len) != 0 ||
	    a->nsigs != b->nsigs)
		abort();
	for (size_t i = 0; i < a->nsigs; i++) {
		const struct mlog_note_sig *x = &a->sigs[i], *y = &b->sigs[i];

		if (strcmp(x->name, y->name) != 0 || x->key_id != y->key_id ||
		    x->sig_len != y->sig_len || x->lenient != y->lenient ||
		    memcmp(x->sig, y->sig, x->sig_len) != 0)
			abort();
	}
}

/* Verifies n with keys that match its lines by name and ID but hold a
 * public key nobody has the secret for: nothing may verify. */
static void check_verify(const struct mlog_note *n)
{
	struct mlog_note_verifier keys[4];
	struct mlog_note_check checks[4];
	size_t nk = 0;
	int rc;

	for (size_t i = 0; i < n->nsigs && nk < 4; i++) {
		struct mlog_note_verifier *k = &keys[nk++];

		memset(k, 0, sizeof(*k));
		strcpy(k->name, n->sigs[i].name);
		k->key_id = n->sigs[i].key_id;
		k->type = i % 2 ? MLOG_NOTE_TYPE_COSIG_V1 :
			MLOG_NOTE_TYPE_ED25519;
		memset(k->pub, 0x5a, sizeof(k->pub));
	}
	rc = mlog_note_verify(n, keys, nk, checks, NULL);
	if (rc != MLOG_ERR_VERIFY && rc != MLOG_ERR_UNTRUSTED)
		abort();
	rc = mlog_note_verify(n, keys, 0, NULL, NULL);
	if (rc != MLOG_ERR_UNTRUSTED)
		abort();
}

static void fuzz_note(const char *msg, size_t size)
{
	struct mlog_note *n = NULL, *m = NULL;
	char *out = NULL, *out2 = NULL;
	size_t out_len = 0, out2_len = 0;
	int lenient = 0;

	if (mlog_note_parse(&n, msg, size, NULL) != MLOG_OK)
		return;
	if (mlog_note_format(&out, &out_len, n) != MLOG_OK)
		abort();
	for (size_t i = 0; i < n->nsigs; i++)
		lenient |= n->sigs[i].lenient;
	if (!lenient && (out_len != size || memcmp(out, msg, size) != 0))
		abort();
	if (mlog_note_parse(&m, out, out_len, NULL) != MLOG_OK)
		abort();
	same_note(n, m);
	if (mlog_note_format(&out2, &out2_len, m) != MLOG_OK ||
	    out2_len != out_len || memcmp(out, out2, out_len) != 0)
		abort();
	check_verify(n);
	free(out);
	free(out2);
	mlog_note_free(m);
	mlog_note_free(n);
}

static void fuzz_keys(const char *s, size_t size)
{
	struct mlog_note_verifier v;
	struct mlog_note_signer sk;
	char buf[MLOG_NOTE_SKEY_MAX + 1];
	int n;

	if (mlog_note_verifier_parse(&v, s, size, NULL) == MLOG_OK) {
		n = mlog_note_verifier_format(buf, sizeof(buf), &v);
		if (n < 0 || (size_t)n != size || memcmp(buf, s, size) != 0)
			abort();
	}
	if (mlog_note_signer_parse(&sk, s, size, NULL) == MLOG_OK) {
		n = mlog_note_signer_format(buf, sizeof(buf), &sk);
		if (n < 0 || (size_t)n != size || memcmp(buf, s, size) != 0)
			abort();
		mlog_note_signer_clear(&sk);
		sodium_memzero(buf, sizeof(buf));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct mlog_cosig c;

	fuzz_note(s, size);
	fuzz_keys(s, size);
	/* Key files end in a newline: try without it too. */
	if (size > 0 && s[size - 1] == '\n')
		fuzz_keys(s, size - 1);
	if (size == MLOG_COSIG_BYTES &&
	    mlog_cosig_decode(&c, data, size, NULL) == MLOG_OK) {
		uint8_t blob[MLOG_COSIG_BYTES];

		if (mlog_cosig_encode(blob, &c) != MLOG_OK ||
		    memcmp(blob, data, size) != 0)
			abort();
	}
	return 0;
}
