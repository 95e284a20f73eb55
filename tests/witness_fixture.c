/*
 * witness_fixture.c — see witness_fixture.h.
 */
#include "witness_fixture.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "checkpoint.h"
#include "proof.h"
#include "witness_req.h"

void fx_tmpdir(char *out, size_t cap)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	cr_assert_lt((size_t)snprintf(out, cap, "%s/mlog-wunit-XXXXXX",
		base), cap);
	cr_assert_not_null(mkdtemp(out), "mkdtemp: %s", strerror(errno));
}

static int rm_one(const char *path, const struct stat *st, int flag,
	struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void fx_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void fx_log_new(struct fx_log *l, const char *origin, uint8_t seed,
	uint64_t fork_at)
{
	struct mlog_note_verifier v;
	uint8_t s[32];

	memset(l, 0, sizeof(*l));
	memset(s, seed, sizeof(s));
	cr_assert_eq(mlog_note_signer_from_seed(&l->key, origin,
		MLOG_NOTE_TYPE_ED25519, s), MLOG_OK);
	mlog_note_signer_verifier(&v, &l->key);
	cr_assert_gt(mlog_note_verifier_format(l->vkey, sizeof(l->vkey), &v),
		0);
	memtree_init(&l->tree);
	l->fork_at = fork_at;
}

void fx_log_free(struct fx_log *l)
{
	memtree_clear(&l->tree);
	mlog_note_signer_clear(&l->key);
}

static void grow(struct fx_log *l, uint64_t size)
{
	while (l->tree.size < size) {
		char leaf[48];
		int n = snprintf(leaf, sizeof(leaf), "%s-%llu",
			l->fork_at > 0 && l->tree.size >= l->fork_at ? "fork"
			: "leaf", (unsigned long long)l->tree.size);

		memtree_append(&l->tree, leaf, (size_t)n);
	}
}

char *fx_log_checkpoint(struct fx_log *l, uint64_t size,
	const struct mlog_note_signer *extra, size_t nextra, size_t *len)
{
	struct mlog_note_signer signers[8];
	struct mlog_checkpoint c;
	struct mlog_error err = { 0, "" };
	char *note = NULL;

	cr_assert_lt(nextra, 8);
	signers[0] = l->key;
	for (size_t i = 0; i < nextra; i++)
		signers[1 + i] = extra[i];
	grow(l, size);
	mlog_checkpoint_init(&c);
	c.origin = l->key.name;
	c.size = size;
	if (size == 0)
		mlog_hash_empty(c.root);
	else
		memtree_root(&l->tree, size, c.root);
	cr_assert_eq(mlog_checkpoint_sign(&note, len, &c, signers,
		1 + nextra, &err), MLOG_OK, "%s", err.msg);
	return note;
}

char *fx_log_body(struct fx_log *l, uint64_t old, uint64_t size,
	size_t *len)
{
	uint8_t proof[MLOG_PROOF_MAX][MLOG_HASH_BYTES];
	struct mlog_error err = { 0, "" };
	size_t n = 0, note_len;
	char *note, *body = NULL;

	note = fx_log_checkpoint(l, size, NULL, 0, &note_len);
	if (old > 0 && old < size)
		n = memtree_consistency(&l->tree, old, size, proof);
	cr_assert_eq(mlog_witness_req_format(&body, len, old,
		(const uint8_t (*)[MLOG_HASH_BYTES])proof, n, note, note_len,
		&err), MLOG_OK, "%s", err.msg);
	free(note);
	return body;
}
