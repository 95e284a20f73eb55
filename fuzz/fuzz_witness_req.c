/*
 * fuzz_witness_req.c — fuzz target for the tlog-witness add-checkpoint
 * parsers and decision (merkle/witness_req.c).
 *
 * Properties checked (a violation aborts):
 *  - a request that parses formats back to the same body (when its note
 *    has no lenient base64), and re-parses to the same fields;
 *  - the decision returns only 200/400/403/404/409/422 (404 exactly when
 *    no keys are configured, 403 when the keys list is empty), and 409
 *    exactly when old <= size and old differs from the stored size after
 *    the signature checks passed;
 *  - a 409 size body that parses formats back to itself;
 *  - a 200 body that parses verifies without crashing.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "note.h"
#include "witness_req.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The corpus's test log (seed 01..01) and the litewitness vectors' log. */
static const char *const vkeys[] = {
	"example.com/log+9be5d3c6+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c",
	"sigsum.org/v1/tree/"
		"4d6d8825a6bb689d459628312889dfbb"
		"0bcd41b5211d9e1ce768b0ff0309e562"
		"+5202289b+Af/cLU2Y5BJNP+r3iMDC+av9eWCD0fBJVDfzAux5zxAP",
};
static const char cosigner[] =
	"w1.example+c244f014+BIE5dw6ofRdfVqNUZsNMfszLjYqRtO43ol32D1uPybOU";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

static int valid_status(int s)
{
	return s == 200 || s == 400 || s == 403 || s == 404 || s == 409 ||
		s == 422;
}

static void fuzz_decide(struct mlog_hash *h, const struct mlog_witness_req *r)
{
	struct mlog_note_verifier keys[2];
	uint8_t root[32];
	uint64_t states[3];
	int s;

	for (size_t i = 0; i < 2; i++) {
		if (mlog_note_verifier_parse(&keys[i], vkeys[i],
			strlen(vkeys[i]), NULL) != MLOG_OK)
			abort();
	}
	if (mlog_witness_req_check(h, r, NULL, 0, 0, NULL, NULL) != 404)
		abort();
	if (mlog_witness_req_check(h, r, keys, 0, 0, NULL, NULL) != 403)
		abort();
	states[0] = 0;
	states[1] = r->old;
	states[2] = r->cp.size;
	for (size_t i = 0; i < 3; i++) {
		memcpy(root, r->cp.root, 32);
		root[0] ^= (uint8_t)i;
		s = mlog_witness_req_check(h, r, keys, 2, states[i], root,
			NULL);
		if (!valid_status(s))
			abort();
		if (s != 403 && s != 400 &&
		    (s == 409) != (r->old != states[i]))
			abort();
		if ((s == 400) != (s != 403 && r->old > r->cp.size))
			abort();
	}
}

static void fuzz_request(struct mlog_hash *h, const char *s, size_t size)
{
	struct mlog_witness_req r, q;
	char *note = NULL, *out = NULL;
	size_t note_len = 0, out_len = 0;
	int lenient = 0;

	if (mlog_witness_req_parse(&r, s, size, NULL) != MLOG_OK)
		return;
	if (mlog_note_format(&note, &note_len, r.note) != MLOG_OK)
		abort();
	if (mlog_witness_req_format(&out, &out_len, r.old,
		(const uint8_t (*)[MLOG_HASH_BYTES])r.proof, r.proof_len,
		note, note_len, NULL) != MLOG_OK)
		abort();
	for (size_t i = 0; i < r.note->nsigs; i++)
		lenient |= r.note->sigs[i].lenient;
	if (!lenient && (out_len != size || memcmp(out, s, size) != 0))
		abort();
	if (mlog_witness_req_parse(&q, out, out_len, NULL) != MLOG_OK ||
	    q.old != r.old || q.proof_len != r.proof_len ||
	    memcmp(q.proof, r.proof, r.proof_len * MLOG_HASH_BYTES) != 0 ||
	    q.cp.size != r.cp.size || strcmp(q.cp.origin, r.cp.origin) != 0)
		abort();
	fuzz_decide(h, &r);
	mlog_witness_req_clear(&q);
	mlog_witness_req_clear(&r);
	free(out);
	free(note);
}

static void fuzz_responses(const char *s, size_t size)
{
	static const char text[] = "example.com/log\n1\n"
		"KgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
	struct mlog_note_verifier w;
	struct mlog_note *n = NULL;
	char buf[MLOG_WITNESS_REQ_SIZE_BODY_MAX];
	uint64_t v;
	int rc;

	if (mlog_witness_req_size_parse(&v, s, size, NULL) == MLOG_OK) {
		rc = mlog_witness_req_size_format(buf, sizeof(buf), v);
		if (rc < 0 || (size_t)rc != size || memcmp(buf, s, size) != 0)
			abort();
	}
	if (mlog_witness_req_cosigs_parse(&n, text, sizeof(text) - 1, s, size,
		NULL) == MLOG_OK) {
		if (n->text_len != sizeof(text) - 1 || n->nsigs == 0)
			abort();
		if (mlog_note_verifier_parse(&w, cosigner,
			sizeof(cosigner) - 1, NULL) != MLOG_OK)
			abort();
		rc = mlog_note_verify(n, &w, 1, NULL, NULL);
		if (rc != MLOG_OK && rc != MLOG_ERR_VERIFY &&
		    rc != MLOG_ERR_UNTRUSTED)
			abort();
		mlog_note_free(n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlog_hash *h = mlog_hash_new();

	if (h == NULL)
		abort();
	fuzz_request(h, (const char *)data, size);
	fuzz_responses((const char *)data, size);
	mlog_hash_free(h);
	return 0;
}
