/*
 * fuzz_tlogproof.c — fuzz target for the tlog-proof parser and verifier
 * (merkle/tlogproof.c).
 *
 * Properties checked (a violation aborts):
 *  - parse is canonical: format(parse(x)) == x byte for byte;
 *  - verification against a fixed policy returns only the documented
 *    codes, never succeeds with index >= size, and succeeds for the
 *    extra data exactly when it succeeds for the same bytes passed in.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "policy.h"
#include "tlogproof.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The corpus's test log and witnesses (seeds 01, 02, 03). */
static const char fixed_policy[] =
	"log example.com/log+9be5d3c6+"
		"AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c\n"
	"witness W1 w1.example+c244f014+"
		"BIE5dw6ofRdfVqNUZsNMfszLjYqRtO43ol32D1uPybOU\n"
	"witness W2 w2.example+335e0daf+"
		"BO1JKMYo0cLG6ukDOJBZlWEpWSc6XGP5NjbBRhSshzfR\n"
	"group G any W1 W2\n"
	"quorum G\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

static int allowed(int rc)
{
	return rc == MLOG_OK || rc == MLOG_ERR_TOOBIG ||
		rc == MLOG_ERR_MALFORMED || rc == MLOG_ERR_NOTFOUND ||
		rc == MLOG_ERR_UNTRUSTED || rc == MLOG_ERR_VERIFY;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct mlog_tlogproof p;
	struct mlog_policy *pol = NULL;
	struct mlog_hash *h;
	char *out = NULL;
	size_t out_len = 0;
	int rc, rc2;

	if (mlog_tlogproof_parse(&p, s, size, NULL) != MLOG_OK)
		return 0;
	if (mlog_tlogproof_format(&out, &out_len, p.extra, p.extra_len,
		p.index, (const uint8_t (*)[MLOG_HASH_BYTES])p.proof,
		p.proof_len, p.note, p.note_len, NULL) != MLOG_OK ||
	    out_len != size || memcmp(out, s, size) != 0)
		abort();
	free(out);

	h = mlog_hash_new();
	if (h == NULL || mlog_policy_parse(&pol, fixed_policy,
		sizeof(fixed_policy) - 1, NULL) != MLOG_OK)
		abort();
	rc = mlog_tlogproof_verify(h, NULL, &p, pol, NULL, 0, NULL);
	if (!allowed(rc) || (rc == MLOG_OK && p.index >= p.cp.size))
		abort();
	if (p.extra == NULL) {
		if (rc != MLOG_ERR_NOTFOUND)
			abort();
	} else {
		rc2 = mlog_tlogproof_verify(h, NULL, &p, pol, p.extra,
			p.extra_len, NULL);
		if (rc2 != rc)
			abort();
	}
	mlog_policy_free(pol);
	mlog_hash_free(h);
	mlog_tlogproof_clear(&p);
	return 0;
}
