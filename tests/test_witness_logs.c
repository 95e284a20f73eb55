/*
 * test_witness_logs.c — witness/logs.c: the table of configured logs
 * (grouping keys by origin, lookups) and the token bucket.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "codec.h"
#include "hash.h"
#include "logs.h"

static void setup(void)
{
	cr_assert_geq(sodium_init(), 0);
}

TestSuite(witness_logs, .init = setup);

/* The vkey of a key named name from seed, of type type. */
static void vkey_of(char *out, size_t cap, const char *name, uint8_t seed,
	uint8_t type)
{
	struct mlog_note_signer s;
	struct mlog_note_verifier v;
	uint8_t sd[32];

	memset(sd, seed, sizeof(sd));
	cr_assert_eq(mlog_note_signer_from_seed(&s, name, type, sd), MLOG_OK);
	mlog_note_signer_verifier(&v, &s);
	cr_assert_gt(mlog_note_verifier_format(out, cap, &v), 0);
	mlog_note_signer_clear(&s);
}

static int add(struct witness_logs *ls, const char *vkey)
{
	return witness_logs_add(ls, vkey, strlen(vkey), NULL);
}

Test(witness_logs, keys_group_by_origin)
{
	struct witness_logs ls;
	char k[4][MLOG_NOTE_VKEY_MAX + 1], hex[65];
	struct witness_log *l;
	struct mlog_hash *h = mlog_hash_new();
	uint8_t d[32];

	vkey_of(k[0], sizeof(k[0]), "log.b", 1, MLOG_NOTE_TYPE_ED25519);
	vkey_of(k[1], sizeof(k[1]), "log.a", 2, MLOG_NOTE_TYPE_ED25519);
	vkey_of(k[2], sizeof(k[2]), "log.b", 3, MLOG_NOTE_TYPE_ED25519);
	vkey_of(k[3], sizeof(k[3]), "log.c", 4, MLOG_NOTE_TYPE_ED25519);
	witness_logs_init(&ls);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(add(&ls, k[i]), MLOG_OK);
	cr_assert_eq(add(&ls, k[0]), MLOG_OK, "a key given twice is one key");
	cr_assert_eq(witness_logs_seal(&ls), MLOG_OK);
	cr_assert_eq(ls.n, 3);
	cr_assert_str_eq(ls.v[0].origin, "log.a");
	cr_assert_str_eq(ls.v[1].origin, "log.b");
	cr_assert_str_eq(ls.v[2].origin, "log.c");
	l = witness_logs_find(&ls, "log.b");
	cr_assert_not_null(l);
	cr_assert_eq(l->nkeys, 2, "two keys for one origin: rotation");
	cr_assert_null(witness_logs_find(&ls, "log.d"));
	cr_assert_null(witness_logs_find(&ls, "log."));
	mlog_hash_sha256(h, d, "log.c", 5);
	mlog_codec_hex_encode(hex, d, 32);
	cr_assert_str_eq(ls.v[2].origin_hex, hex);
	cr_assert_eq(witness_logs_find_hex(&ls, hex, 64), &ls.v[2]);
	cr_assert_null(witness_logs_find_hex(&ls, hex, 63));
	hex[0] = hex[0] == 'a' ? 'b' : 'a';
	cr_assert_null(witness_logs_find_hex(&ls, hex, 64));
	mlog_hash_free(h);
	witness_logs_clear(&ls);
}

Test(witness_logs, refuses_what_is_not_a_log_key)
{
	struct witness_logs ls;
	struct mlog_error err = { 0, "" };
	char k[MLOG_NOTE_VKEY_MAX + 1];

	witness_logs_init(&ls);
	vkey_of(k, sizeof(k), "w.example", 1, MLOG_NOTE_TYPE_COSIG_V1);
	cr_assert_eq(witness_logs_add(&ls, k, strlen(k), &err),
		MLOG_ERR_MALFORMED);
	cr_assert_not_null(strstr(err.msg, "0x04"), "%s", err.msg);
	cr_assert_eq(add(&ls, "log.a"), MLOG_ERR_MALFORMED);
	cr_assert_eq(add(&ls, ""), MLOG_ERR_MALFORMED);
	vkey_of(k, sizeof(k), "log.a", 1, MLOG_NOTE_TYPE_ED25519);
	k[strlen(k) - 2] ^= 1;      /* the key no longer matches its ID */
	cr_assert_eq(add(&ls, k), MLOG_ERR_MALFORMED);
	cr_assert_eq(ls.n, 0);
	for (int i = 0; i < WITNESS_LOG_MAX_KEYS; i++) {
		vkey_of(k, sizeof(k), "log.a", (uint8_t)(10 + i),
			MLOG_NOTE_TYPE_ED25519);
		cr_assert_eq(add(&ls, k), MLOG_OK);
	}
	vkey_of(k, sizeof(k), "log.a", 99, MLOG_NOTE_TYPE_ED25519);
	cr_assert_eq(add(&ls, k), MLOG_ERR_TOOBIG);
	witness_logs_clear(&ls);
}

Test(witness_logs, bucket_starts_full_refills_and_caps)
{
	struct witness_bucket b = { 0, 0, 0 };
	double wait = -1;

	/* rate 2/s, burst 3: three at once, then one per half second. */
	for (int i = 0; i < 3; i++)
		cr_assert_eq(witness_bucket_take(&b, 10.0, 2, 3, &wait), 1);
	cr_assert_eq(witness_bucket_take(&b, 10.0, 2, 3, &wait), 0);
	cr_assert_float_eq(wait, 0.5, 1e-9);
	cr_assert_eq(witness_bucket_take(&b, 10.25, 2, 3, &wait), 0);
	cr_assert_float_eq(wait, 0.25, 1e-9);
	cr_assert_eq(witness_bucket_take(&b, 10.5, 2, 3, &wait), 1);
	cr_assert_eq(witness_bucket_take(&b, 10.5, 2, 3, &wait), 0);
	/* A long pause refills to burst, not beyond. */
	for (int i = 0; i < 3; i++)
		cr_assert_eq(witness_bucket_take(&b, 100.0, 2, 3, NULL), 1);
	cr_assert_eq(witness_bucket_take(&b, 100.0, 2, 3, NULL), 0);
	/* A clock that does not move forward adds nothing. */
	cr_assert_eq(witness_bucket_take(&b, 50.0, 2, 3, NULL), 0);
	cr_assert(b.tokens >= 0 && b.tokens <= 3);
	/* rate 0: unlimited. */
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(witness_bucket_take(&b, 100.0, 0, 3, NULL), 1);
}
