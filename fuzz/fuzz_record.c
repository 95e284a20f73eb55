/*
 * fuzz_record.c — the client's reading of an entry (client/approvals.c:
 * cli_record_parse, measurement objects, the approval rule).
 *
 * The input is an in-toto Statement; it is wrapped in a DSSE envelope
 * (canonical, one dummy signature) as the log stores entries, so that
 * the fuzzer works on the statement rather than on base64.
 *
 * Properties checked on every input:
 *  - cli_record_parse answers 0, MALFORMED or TOOBIG, with a one-line
 *    message on failure, exactly when merkle/statement.c rejects the
 *    statement (the client adds no rule of its own, and drops none);
 *  - an accepted record has a known type and kind; an approval has a
 *    ticket, approver and reviewed_at and names an id field; a manifest
 *    has a build ID;
 *  - every measurement survives cli_measure_to_json ->
 *    cli_measure_from_json unchanged;
 *  - a measurement covers itself (approvals.h rule 1) unless it has a
 *    min_isvsvn that its own isvsvn does not reach;
 *  - the approval index decides every measurement of the record, and an
 *    allowed decision comes with a covering approval.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "approvals.h"
#include "dsse.h"
#include "statement.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const struct cli_measure *m)
{
	struct cli_measure back;
	json_t *j = cli_measure_to_json(m), *j2;

	if (j == NULL)
		abort();
	if (cli_measure_from_json(&back, j, NULL) != MLOG_OK)
		abort();
	j2 = cli_measure_to_json(&back);
	if (j2 == NULL || !json_equal(j, j2))
		abort();
	json_decref(j);
	json_decref(j2);
	if ((!m->has_min_isvsvn || (m->has_isvsvn &&
	    m->isvsvn >= m->min_isvsvn)) &&
	    !cli_measure_covers(m, m, NULL, 0))
		abort();
}

static void decide(const struct cli_approvals *ix, const struct cli_measure *q)
{
	struct cli_decision d;
	const struct cli_record *cov[4];

	if (cli_approvals_decide(&d, ix, q, UINT64_MAX) != MLOG_OK)
		abort();
	if (d.allowed && (d.approval == NULL ||
	    cli_approvals_covering(ix, q, UINT64_MAX, cov, 4) == 0))
		abort();
	if (memchr(d.reason, '\n', sizeof(d.reason)) != NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlog_dsse_envelope env;
	struct mlog_dsse_sig sig;
	struct mlog_statement *st = NULL;
	struct cli_record r;
	struct cli_approvals ix;
	struct mlog_error err = { 0, "" };
	uint8_t one = 1, *payload;
	char *text = NULL, keyid[] = "";
	size_t len = 0;
	int rc, want;

	if (size > MLOG_STATEMENT_MAX_BYTES)
		return 0;
	payload = malloc(size + 1);
	if (payload == NULL)
		return 0;
	if (size > 0)
		memcpy(payload, data, size);
	payload[size] = 0;
	sig.keyid = keyid;
	sig.sig = &one;
	sig.sig_len = 1;
	env.payload_type = (char *)MLOG_DSSE_TYPE_INTOTO;
	env.payload = payload;
	env.payload_len = size;
	env.sigs = &sig;
	env.nsigs = 1;
	if (mlog_dsse_format(&text, &len, &env, NULL) != MLOG_OK) {
		free(payload);
		return 0;      /* too big once wrapped */
	}
	want = mlog_statement_parse(&st, payload, size, NULL);
	mlog_statement_free(st);
	free(payload);
	rc = cli_record_parse(&r, 7, (const uint8_t *)text, len, &err);
	free(text);
	if ((rc == MLOG_OK) != (want == MLOG_OK))
		abort();
	if (rc != MLOG_OK) {
		if (rc != MLOG_ERR_MALFORMED && rc != MLOG_ERR_TOOBIG &&
		    rc != MLOG_ERR_NOMEM)
			abort();
		if (err.msg[0] == '\0' || strchr(err.msg, '\n') != NULL)
			abort();
		return 0;
	}
	if (mlog_statement_type_uri(r.type) == NULL || r.index != 7 ||
	    cli_record_kind(&r) == NULL || r.nkeyids != 1)
		abort();
	if (r.type == MLOG_STATEMENT_APPROVAL) {
		int id = 0;

		if (r.ticket == NULL || r.approver == NULL ||
		    r.reviewed_at == NULL)
			abort();
		for (size_t i = 0; i < r.approval.nhex; i++)
			id |= r.approval.hex[i].id;
		if (!id)
			abort();
		round_trip(&r.approval);
	}
	if (r.type == MLOG_STATEMENT_BUILD_MANIFEST && r.build_id == NULL)
		abort();
	for (size_t i = 0; i < r.nmeasures; i++)
		round_trip(&r.measures[i]);
	cli_approvals_init(&ix);
	if (cli_approvals_add(&ix, &r) != MLOG_OK)
		abort();
	cli_approvals_seal(&ix);
	for (size_t i = 0; i < r.nmeasures; i++)
		decide(&ix, &r.measures[i]);
	if (r.type == MLOG_STATEMENT_APPROVAL)
		decide(&ix, &r.approval);
	cli_approvals_clear(&ix);
	cli_record_clear(&r);
	return 0;
}
