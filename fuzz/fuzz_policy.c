/*
 * fuzz_policy.c — fuzz target for the tlog-policy parser and evaluator
 * (merkle/policy.c).
 *
 * Properties checked (a violation aborts):
 *  - format(parse(x)) parses, describes the same policy, and is a fixed
 *    point of format(parse(.));
 *  - every group's threshold is within 1..members and every reference
 *    points at an earlier definition;
 *  - evaluating a fixed cosigned checkpoint against the fuzzed policy, and
 *    the input as a checkpoint against a fixed policy, returns only the
 *    documented codes, and verify agrees with evaluate's quorum_met.
 */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The corpus's test log and witnesses (seeds 01, 02, 03; see
 * fuzz/corpus/policy). */
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

static void check_structure(const struct mlog_policy *p)
{
	for (size_t g = 0; g < p->ngroups; g++) {
		const struct mlog_policy_group *gr = &p->groups[g];

		if (gr->k < 1 || gr->k > gr->nmembers)
			abort();
		for (size_t m = 0; m < gr->nmembers; m++) {
			const struct mlog_policy_ref *r = &gr->members[m];

			if (r->kind == MLOG_POLICY_WITNESS ?
			    r->index >= p->nwitnesses :
			    r->kind != MLOG_POLICY_GROUP || r->index >= g)
				abort();
		}
	}
	if ((p->quorum.kind == MLOG_POLICY_WITNESS &&
	     p->quorum.index >= p->nwitnesses) ||
	    (p->quorum.kind == MLOG_POLICY_GROUP &&
	     p->quorum.index >= p->ngroups))
		abort();
}

static void evaluate(const struct mlog_policy *p, const char *note,
	size_t len)
{
	struct mlog_policy_result r;
	int rc = mlog_policy_evaluate(&r, NULL, p, note, len, NULL), rv;

	switch (rc) {
	case MLOG_OK:
		if (r.log >= p->nlogs || r.ncosigs > p->nwitnesses)
			abort();
		rv = mlog_policy_verify(NULL, NULL, p, note, len, NULL);
		if (rv != (r.quorum_met ? MLOG_OK : MLOG_ERR_VERIFY))
			abort();
		break;
	case MLOG_ERR_TOOBIG:
	case MLOG_ERR_MALFORMED:
	case MLOG_ERR_NOTFOUND:
	case MLOG_ERR_UNTRUSTED:
	case MLOG_ERR_VERIFY:
		break;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A checkpoint by the fixed log, cosigned by W1 at time 1. */
	static const char note[] =
		"example.com/log\n3\n"
		"KgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
		"\n— example.com/log m+XTxn3zgODrKuPicXCE8XVyJ9M4X7G4GpFlS/2dY0"
		"LHQrTMrrG5dajmGRFun3nxC0B3E7/83hErfPb54EXCM9WjQwA=\n"
		"— w1.example wkTwFAAAAAAAAAABNjF4v+IpiPB3uqeMgnnT28oYYJjyf6zJ"
		"R1NK5+ffMhwFMuX3WkfYOPhAW0M3KzSzdZdcq+YbULIb6F/+TD5/AA==\n";
	const char *s = (const char *)data;
	struct mlog_policy *p = NULL, *q = NULL, *fixed = NULL;
	char *out = NULL, *out2 = NULL;
	size_t out_len = 0, out2_len = 0;

	if (mlog_policy_parse(&fixed, fixed_policy, sizeof(fixed_policy) - 1,
		NULL) != MLOG_OK)
		abort();
	evaluate(fixed, s, size);
	mlog_policy_free(fixed);

	if (mlog_policy_parse(&p, s, size, NULL) != MLOG_OK)
		return 0;
	check_structure(p);
	if (mlog_policy_format(&out, &out_len, p) != MLOG_OK)
		abort();
	if (mlog_policy_parse(&q, out, out_len, NULL) != MLOG_OK)
		abort();
	if (q->nlogs != p->nlogs || q->nwitnesses != p->nwitnesses ||
	    q->ngroups != p->ngroups || q->quorum.kind != p->quorum.kind ||
	    q->quorum.index != p->quorum.index)
		abort();
	if (mlog_policy_format(&out2, &out2_len, q) != MLOG_OK ||
	    out2_len != out_len || memcmp(out, out2, out_len) != 0)
		abort();
	evaluate(p, note, sizeof(note) - 1);
	free(out);
	free(out2);
	mlog_policy_free(q);
	mlog_policy_free(p);
	return 0;
}
