/*
 * signers.h — the DSSE signers a log accepts entries from (SPEC §2, §6):
 * each has a name, a set of roles (build, sbom, approval) and a public key
 * (PEM SubjectPublicKeyInfo, Ed25519 or ECDSA P-256).
 *
 * Configured as NAME=ROLE[,ROLE...]:PUBKEY.pem (flag --signer or the
 * `signer` config key), e.g. "ci=build,sbom:/etc/mlog/ci.pub".
 *
 * Invariants: (1) names are unique, non-empty, [A-Za-z0-9._-]{1,64};
 * (2) every signer has at least one role; (3) keys are distinct.
 *
 * Thread-safety: immutable after loading; any number of readers.
 * Ownership: mlogd_signers_new/mlogd_signers_free.
 */
#ifndef MLOGD_SIGNERS_H
#define MLOGD_SIGNERS_H

#include <stddef.h>

#include "dsse.h"
#include "err.h"

#define MLOGD_SIGNERS_MAX 64
#define MLOGD_SIGNER_NAME_MAX 64

struct mlogd_signer {
	char name[MLOGD_SIGNER_NAME_MAX + 1];
	unsigned roles;                 /* MLOG_STATEMENT_ROLE_* bits */
	struct mlog_dsse_key *key;
};

struct mlogd_signers {
	struct mlogd_signer list[MLOGD_SIGNERS_MAX];
	const struct mlog_dsse_key *keys[MLOGD_SIGNERS_MAX]; /* list[i].key */
	size_t n;
};

struct mlogd_signers *mlogd_signers_new(void);
void mlogd_signers_free(struct mlogd_signers *s);

/*
 * Adds a signer from its NAME=ROLE[,ROLE...]:PATH spec, reading the key
 * file. Returns 0, MLOG_ERR_MALFORMED (bad spec, key or duplicate),
 * MLOG_ERR_IO (unreadable file), MLOG_ERR_TOOBIG (too many signers).
 */
int mlogd_signers_add(struct mlogd_signers *s, const char *spec,
	struct mlog_error *err) MLOG_MUST_CHECK;

#endif
