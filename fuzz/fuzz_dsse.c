/*
 * fuzz_dsse.c — DSSE envelope parser (merkle/dsse.c).
 *
 * Properties checked on every input:
 *  - parse answers 0, MALFORMED or TOOBIG, with a one-line message;
 *  - the canonical form of a parsed envelope parses back to the same
 *    fields and formats to the same bytes (dsse.h rule 8: fixed point);
 *  - verification of a parsed envelope answers 0 or VERIFY, never
 *    MALFORMED (rule 14), and a statement parse of it never crashes.
 * Any violation aborts, which libFuzzer and the standalone replay report.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dsse.h"
#include "statement.h"

/* RFC 8032 test 1 public key: the seed corpus holds envelopes it signed,
 * so the fuzzer reaches the verifying path too. */
static const char pub_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
	"-----END PUBLIC KEY-----\n";

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

static void check_message(const struct mlog_error *err)
{
	if (err->msg[0] == '\0' || strchr(err->msg, '\n') != NULL)
		abort();
}

static void same_envelope(const struct mlog_dsse_envelope *a,
	const struct mlog_dsse_envelope *b)
{
	if (strcmp(a->payload_type, b->payload_type) != 0 ||
	    a->payload_len != b->payload_len ||
	    memcmp(a->payload, b->payload, a->payload_len) != 0 ||
	    a->nsigs != b->nsigs)
		abort();
	for (size_t i = 0; i < a->nsigs; i++) {
		if (strcmp(a->sigs[i].keyid, b->sigs[i].keyid) != 0 ||
		    a->sigs[i].sig_len != b->sigs[i].sig_len ||
		    memcmp(a->sigs[i].sig, b->sigs[i].sig,
			a->sigs[i].sig_len) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlog_dsse_envelope *e = NULL, *back = NULL;
	struct mlog_dsse_key *key = NULL;
	const struct mlog_dsse_key *keys[1];
	struct mlog_dsse_check chk[1];
	struct mlog_statement *st = NULL;
	struct mlog_error err = { 0 };
	char *c1 = NULL, *c2 = NULL;
	size_t n1 = 0, n2 = 0;
	int rc;

	rc = mlog_dsse_parse(&e, (const char *)data, size, &err);
	if (rc != MLOG_OK) {
		if (rc != MLOG_ERR_MALFORMED && rc != MLOG_ERR_TOOBIG)
			abort();
		check_message(&err);
		return 0;
	}
	if (e->nsigs == 0 || e->nsigs > MLOG_DSSE_MAX_SIGS ||
	    e->payload[e->payload_len] != 0)
		abort();

	/* Canonical form: re-parse, compare, re-format, compare bytes. */
	rc = mlog_dsse_format(&c1, &n1, e, &err);
	if (rc == MLOG_OK) {
		if (mlog_dsse_parse(&back, c1, n1, &err) != MLOG_OK)
			abort();
		same_envelope(e, back);
		if (mlog_dsse_format(&c2, &n2, back, &err) != MLOG_OK ||
		    n1 != n2 || memcmp(c1, c2, n1) != 0)
			abort();
	} else if (rc != MLOG_ERR_TOOBIG) {
		abort();
	}

	/* Verification never calls a parsed envelope malformed. */
	if (mlog_dsse_key_parse_public(&key, pub_pem, strlen(pub_pem),
		NULL) != MLOG_OK)
		abort();
	keys[0] = key;
	rc = mlog_dsse_verify(e, keys, 1, chk, NULL);
	if (rc != MLOG_OK && rc != MLOG_ERR_VERIFY)
		abort();
	if ((rc == MLOG_OK) != (chk[0].verified == 1) ||
	    (rc == MLOG_OK && chk[0].sig >= e->nsigs))
		abort();

	/* Shape of the payload, as the server judges it next. */
	rc = mlog_statement_parse_envelope(&st, e, &err);
	if (rc != MLOG_OK && rc != MLOG_ERR_MALFORMED &&
	    rc != MLOG_ERR_TOOBIG)
		abort();

	mlog_statement_free(st);
	mlog_dsse_key_free(key);
	free(c1);
	free(c2);
	mlog_dsse_free(back);
	mlog_dsse_free(e);
	return 0;
}
