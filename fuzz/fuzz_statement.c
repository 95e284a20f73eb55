/*
 * fuzz_statement.c — in-toto Statement validator (merkle/statement.c).
 *
 * Properties checked on every input:
 *  - parse answers 0, MALFORMED or TOOBIG; a failure carries one line
 *    starting "statement: ";
 *  - an accepted statement has a known type, the role that type needs,
 *    a decision only for approvals, and index keys that are unique,
 *    non-empty, of a known kind and well-formed for it;
 *  - parsing is deterministic (same keys twice);
 *  - the RFC 3339 and ticket checkers accept only what the grammar
 *    allows, when fed the raw input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "statement.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int lower_hex(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	}
	return 1;
}

static void check_key(const struct mlog_statement_key *k)
{
	const char *v = k->value;
	size_t n = strnlen(v, sizeof(k->value));

	if (n == 0 || n == sizeof(k->value) ||
	    mlog_statement_key_name(k->kind) == NULL)
		abort();
	switch (k->kind) {
	case MLOG_STATEMENT_KEY_DIGEST:
		if (!((strncmp(v, "sha256:", 7) == 0 && n == 7 + 64) ||
		      (strncmp(v, "sha384:", 7) == 0 && n == 7 + 96) ||
		      (strncmp(v, "sha512:", 7) == 0 && n == 7 + 128)) ||
		    !lower_hex(v + 7))
			abort();
		break;
	case MLOG_STATEMENT_KEY_TICKET:
		if (!mlog_statement_ticket_valid(v, n))
			abort();
		break;
	case MLOG_STATEMENT_KEY_MRENCLAVE:
	case MLOG_STATEMENT_KEY_MRSIGNER:
		if (n != 64 || !lower_hex(v))
			abort();
		break;
	default:
		if (n != 96 || !lower_hex(v))
			abort();
	}
}

static void check_statement(const struct mlog_statement *st)
{
	if (mlog_statement_type_uri(st->type) == NULL ||
	    st->role != mlog_statement_type_role(st->type) ||
	    mlog_statement_role_name(st->role) == NULL)
		abort();
	if ((st->type == MLOG_STATEMENT_APPROVAL) !=
	    (st->decision == MLOG_STATEMENT_APPROVED ||
	     st->decision == MLOG_STATEMENT_REVOKED))
		abort();
	if (st->type != MLOG_STATEMENT_APPROVAL && st->reviewed_at != 0)
		abort();
	for (size_t i = 0; i < st->nkeys; i++) {
		check_key(&st->keys[i]);
		for (size_t j = 0; j < i; j++) {
			if (st->keys[i].kind == st->keys[j].kind &&
			    strcmp(st->keys[i].value, st->keys[j].value) == 0)
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mlog_statement *st = NULL, *again = NULL;
	struct mlog_error err = { 0 };
	int64_t t;
	int rc;

	rc = mlog_statement_parse(&st, data, size, &err);
	if (rc == MLOG_OK) {
		check_statement(st);
		if (mlog_statement_parse(&again, data, size, NULL) != MLOG_OK ||
		    again->nkeys != st->nkeys ||
		    again->type != st->type ||
		    again->reviewed_at != st->reviewed_at ||
		    (st->nkeys > 0 && memcmp(again->keys, st->keys,
			st->nkeys * sizeof(st->keys[0])) != 0))
			abort();
	} else if (rc == MLOG_ERR_MALFORMED || rc == MLOG_ERR_TOOBIG) {
		if (strncmp(err.msg, "statement: ", 11) != 0 ||
		    strchr(err.msg, '\n') != NULL)
			abort();
	} else {
		abort();
	}
	mlog_statement_free(again);
	mlog_statement_free(st);

	/* The lexical checkers on raw bytes: a valid time has the fixed
	 * shape; a valid ticket has no byte outside its alphabet. */
	if (mlog_statement_time_parse(&t, (const char *)data, size) ==
	    MLOG_OK && (size < 20 || data[10] != 'T'))
		abort();
	if (mlog_statement_ticket_valid((const char *)data, size)) {
		if (size == 0 || size > MLOG_STATEMENT_TICKET_MAX)
			abort();
		for (size_t i = 0; i < size; i++) {
			if (data[i] == ' ' || data[i] == '/' || data[i] < 0x21
			    || data[i] > 0x7e)
				abort();
		}
	}
	return 0;
}
