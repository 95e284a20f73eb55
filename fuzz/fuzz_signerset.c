/*
 * fuzz_signerset.c — the signers file parser (client/signerset.c).
 *
 * Key paths are resolved under a directory that does not exist, so no
 * file is ever read: what is fuzzed is the line grammar (signerset.h
 * rules 1-3) up to the key load.
 *
 * Properties checked on every input:
 *  - the answer is 0, MALFORMED, TOOBIG, IO or NOMEM, with a one-line
 *    message on failure;
 *  - an accepted set (possible only with absolute key paths) has 1..256
 *    signers with valid, unique names and non-empty role sets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signerset.h"
#include "statement.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_signerset set;
	struct mlog_error err = { 0, "" };
	int rc = cli_signerset_parse(&set, (const char *)data, size,
		"/nonexistent/mlog-fuzz", &err);

	if (rc != MLOG_OK) {
		if (rc != MLOG_ERR_MALFORMED && rc != MLOG_ERR_TOOBIG &&
		    rc != MLOG_ERR_IO && rc != MLOG_ERR_NOMEM)
			abort();
		if (err.msg[0] == '\0' || strchr(err.msg, '\n') != NULL)
			abort();
		return 0;
	}
	if (set.n == 0 || set.n > CLI_SIGNERSET_MAX)
		abort();
	for (size_t i = 0; i < set.n; i++) {
		const struct cli_signer *s = &set.signers[i];

		if (s->name[0] == '\0' || s->roles == 0 ||
		    (s->roles & ~(MLOG_STATEMENT_ROLE_BUILD |
			MLOG_STATEMENT_ROLE_SBOM |
			MLOG_STATEMENT_ROLE_APPROVAL)) != 0 || s->key == NULL)
			abort();
		for (size_t k = 0; k < i; k++) {
			if (strcmp(set.signers[k].name, set.signers[i].name)
				== 0)
				abort();
		}
	}
	cli_signerset_clear(&set);
	return 0;
}
