/*
 * dsse.h — DSSE envelope v1 (secure-systems-lab/dsse envelope.md and
 * protocol.md v1.0.0; SPEC §1 "signed entries" and §2): parse an envelope,
 * re-encode it canonically (that byte string is the log's leaf data), build
 * the PAE, load signing and verification keys (Ed25519 and ECDSA P-256
 * through OpenSSL 3 EVP), sign, and verify against a set of configured keys
 * (Ed25519 signatures are verified with libsodium, ECDSA with OpenSSL).
 *
 * Wire format: one JSON object of at most MLOG_DSSE_MAX_BYTES bytes,
 *
 *   {"payload":     base64(SERIALIZED_BODY),
 *    "payloadType": PAYLOAD_TYPE,
 *    "signatures":  [{"keyid": KEYID (optional), "sig": base64(SIGNATURE)}, …]}
 *
 *   SIGNATURE = Sign(PAE(PAYLOAD_TYPE, SERIALIZED_BODY))
 *   PAE(t, b) = "DSSEv1" SP LEN(t) SP t SP LEN(b) SP b
 *               (LEN = byte length in ASCII decimal, no leading zeros)
 *
 * Example (the DSSE protocol.md test vector; its signature is raw r||s, so
 * it parses but does not verify under rule 11):
 *
 *   {"payload": "aGVsbG8gd29ybGQ=",
 *    "payloadType": "http://example.com/HelloWorld",
 *    "signatures": [{"sig": "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR
 *                            6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="}]}
 *
 *   PAE = "DSSEv1 29 http://example.com/HelloWorld 11 hello world"
 *   canonical = {"payload":"aGVsbG8gd29ybGQ=","payloadType":"http://example
 *     .com/HelloWorld","signatures":[{"keyid":"","sig":"A3Jq…W2JIZA=="}]}
 *     (one line, no spaces)
 *
 * Validity rules (mlog_dsse_parse; failing (1) is MLOG_ERR_TOOBIG, any
 * other MLOG_ERR_MALFORMED with a message naming the member):
 *  (1) At most MLOG_DSSE_MAX_BYTES bytes (SPEC §2), checked before parsing.
 *  (2) Exactly one JSON object (RFC 8259, UTF-8) and nothing after it but
 *      whitespace; no duplicate member names at any depth; no \u0000.
 *  (3) Members payload, payloadType and signatures, all required, and no
 *      others. Unknown members are rejected rather than dropped: the leaf is
 *      the canonical re-encoding, so a dropped member would be silently
 *      missing from the log and two different submissions would share a
 *      leaf. Rejecting makes the loss visible to the submitter.
 *  (4) payloadType: a string of 1..MLOG_DSSE_TYPE_MAX bytes.
 *  (5) payload: strict standard base64 (codec.h rule 1: padded, standard
 *      alphabet, zero trailing bits); it may decode to zero bytes. The DSSE
 *      protocol asks verifiers to accept URL-safe base64 too; SPEC §2 and
 *      our canonical form use the standard alphabet only, so URL-safe input
 *      is MALFORMED here.
 *  (6) signatures: an array of 1..MLOG_DSSE_MAX_SIGS objects, each with
 *      "sig" (required; strict standard base64 of 1..MLOG_DSSE_SIG_MAX
 *      bytes) and "keyid" (optional; a string of 0..MLOG_DSSE_KEYID_MAX
 *      bytes), and no other members.
 *
 * Canonical encoding (mlog_dsse_format; SPEC §2 leaf data):
 *  (7) Compact JSON with members in byte order of their names:
 *      {"payload":…,"payloadType":…,"signatures":[{"keyid":…,"sig":…},…]}.
 *      keyid is always written, as "" when it was absent, so {"sig":S} and
 *      {"keyid":"","sig":S} are the same leaf. Base64 is re-encoded from
 *      the decoded bytes (identical text under rule 5). Strings are written
 *      by jansson with only the mandatory escapes: '"', '\\', and control
 *      characters below 0x20 (\b \f \n \r \t, others \u00XX with uppercase
 *      hex); '/', DEL and non-ASCII characters are written as they are.
 *  (8) Signatures keep their order. parse(format(e)) succeeds and formats
 *      to the same bytes: the canonical form is a fixed point. format fails
 *      with MLOG_ERR_TOOBIG when the canonical form would exceed
 *      MLOG_DSSE_MAX_BYTES (possible only when input omitted keyids).
 *
 * Keys and signatures:
 *  (9) Verification keys are PEM SubjectPublicKeyInfo ("PUBLIC KEY");
 *      signing keys are unencrypted PEM private keys (PKCS#8 "PRIVATE KEY",
 *      or "EC PRIVATE KEY"). Only Ed25519 and EC P-256 on the named curve
 *      are accepted; RSA, other curves and explicit curve parameters are
 *      refused with a message naming the key type.
 *  (10) keyid = lowercase hex SHA-256 of the key's DER SubjectPublicKeyInfo
 *      as OpenSSL encodes it (i2d_PUBKEY), i.e. what
 *      `openssl pkey -pubin -outform DER | sha256sum` prints.
 *  (11) Ed25519 signs PAE with pure Ed25519 (RFC 8032, 64 bytes; the
 *      verifier, libsodium's, rejects S >= L, non-canonical and
 *      small-order public keys and R values). ECDSA signs SHA-256(PAE) on P-256 and the signature
 *      is a DER ECDSA-Sig-Value, as cosign and OpenSSL produce; raw r||s is
 *      not accepted, and OpenSSL rejects non-minimal DER. ECDSA signatures
 *      are malleable ((r, s) and (r, n - s) both verify), so one statement
 *      can reach the log twice under different signatures: the log
 *      deduplicates envelopes, not statements.
 *
 * Verification (mlog_dsse_verify; SPEC §2):
 *  (12) Every signature has parsed (rule 6) before anything is verified. A
 *      signature whose keyid equals a configured key's keyid is checked
 *      against that key (against each such key) and no other; an empty or
 *      unknown keyid is tried against every key. The keyid is only a hint
 *      (DSSE protocol.md): it narrows the keys tried, never widens trust.
 *  (13) A key has verified when at least one signature checked against it
 *      verifies. A failing signature does not reject the envelope (DSSE
 *      multi-signature: "skip over if the verification fails"); the caller
 *      decides from the set of keys that verified (roles, SPEC §2).
 *  (14) Malformed and not-verifying stay apart: a shape problem is
 *      MLOG_ERR_MALFORMED from parse; mlog_dsse_verify only ever answers 0
 *      or MLOG_ERR_VERIFY (or NOMEM/INTERNAL for resource failures).
 *
 * Thread-safety: no shared mutable state. A struct mlog_dsse_key may be
 * used by several threads at once for verification and signing (it is
 * never modified after creation; OpenSSL 3 EVP_PKEYs are safe for
 * concurrent reads). libsodium must be initialised (sodium_init) by the
 * program first, for base64.
 *
 * Ownership: mlog_dsse_parse and mlog_dsse_sign return an envelope the
 * caller frees with mlog_dsse_free (NULL allowed); its fields belong to it
 * and are read-only for callers. Keys come from the mlog_dsse_key_*
 * constructors and are freed with mlog_dsse_key_free (NULL allowed), which
 * lets OpenSSL wipe private material. mlog_dsse_format and mlog_dsse_pae
 * return malloc'd buffers the caller frees with free().
 */
#ifndef MLOG_DSSE_H
#define MLOG_DSSE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define MLOG_DSSE_MAX_BYTES 65535      /* SPEC §2: an entry, and its input */
#define MLOG_DSSE_MAX_SIGS 16          /* bounds verification work */
#define MLOG_DSSE_TYPE_MAX 256         /* payloadType bytes */
#define MLOG_DSSE_KEYID_MAX 256        /* keyid bytes */
#define MLOG_DSSE_SIG_MAX 512          /* decoded signature bytes */
#define MLOG_DSSE_KEYID_HEX 64         /* our keyids: hex SHA-256 */
#define MLOG_DSSE_PEM_MAX 16384        /* key file input cap */
#define MLOG_DSSE_PEM_OUT_MAX 512      /* room for a formatted PEM key */

/* SPEC §2: the payloadType of every log entry. */
#define MLOG_DSSE_TYPE_INTOTO "application/vnd.in-toto+json"

enum mlog_dsse_alg {
	MLOG_DSSE_ALG_ED25519 = 1,      /* pure Ed25519 over PAE */
	MLOG_DSSE_ALG_ECDSA_P256 = 2,   /* ECDSA P-256, SHA-256, DER sig */
};

struct mlog_dsse_sig {
	char *keyid;          /* NUL-terminated UTF-8; "" when absent */
	uint8_t *sig;         /* decoded signature bytes */
	size_t sig_len;       /* 1..MLOG_DSSE_SIG_MAX */
};

struct mlog_dsse_envelope {
	char *payload_type;   /* NUL-terminated UTF-8, no NUL inside */
	uint8_t *payload;     /* decoded body; payload[payload_len] == 0 */
	size_t payload_len;
	struct mlog_dsse_sig *sigs;
	size_t nsigs;         /* 1..MLOG_DSSE_MAX_SIGS */
};

/* Opaque: an EVP_PKEY, its algorithm and its keyid. */
struct mlog_dsse_key;

/* Per-key outcome of mlog_dsse_verify. */
struct mlog_dsse_check {
	int verified;         /* 1 if a signature verified under this key */
	size_t sig;           /* index of the first such signature */
};

/*
 * Parses json[0..len) (rules 1-6) into a new envelope *out. Returns 0,
 * MLOG_ERR_TOOBIG, MLOG_ERR_MALFORMED or MLOG_ERR_NOMEM; on failure *out
 * is untouched.
 */
int mlog_dsse_parse(struct mlog_dsse_envelope **out /* OUT */,
	const char *json, size_t len, struct mlog_error *err) MLOG_MUST_CHECK;

/* Frees an envelope; NULL is a no-op. */
void mlog_dsse_free(struct mlog_dsse_envelope *e);

/*
 * Writes the canonical encoding of e (rules 7-8) to *out (malloc'd,
 * NUL-terminated, caller frees with free()) and its length to *out_len.
 * Returns 0, MLOG_ERR_MALFORMED (e breaks rules 4-6, e.g. built by hand),
 * MLOG_ERR_TOOBIG or MLOG_ERR_NOMEM; outputs untouched on failure.
 */
int mlog_dsse_format(char **out /* OUT */, size_t *out_len /* OUT */,
	const struct mlog_dsse_envelope *e, struct mlog_error *err)
	MLOG_MUST_CHECK;

/*
 * Builds PAE(type, body) into *out (malloc'd, caller frees with free()),
 * its length in *out_len. Returns 0 or MLOG_ERR_NOMEM.
 */
int mlog_dsse_pae(uint8_t **out /* OUT */, size_t *out_len /* OUT */,
	const char *type, size_t type_len, const uint8_t *body,
	size_t body_len) MLOG_MUST_CHECK;

/*
 * Loads a verification key from PEM SubjectPublicKeyInfo pem[0..len)
 * (rule 9; at most MLOG_DSSE_PEM_MAX bytes, else MLOG_ERR_TOOBIG). The
 * first "PUBLIC KEY" block is used. Returns 0, MLOG_ERR_MALFORMED
 * (no such block, bad DER, unsupported key type) or MLOG_ERR_NOMEM.
 */
int mlog_dsse_key_parse_public(struct mlog_dsse_key **out /* OUT */,
	const char *pem, size_t len, struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Loads a signing key from an unencrypted PEM private key pem[0..len)
 * (rule 9). Encrypted keys are refused (no passphrase prompt ever).
 * Returns as mlog_dsse_key_parse_public. The caller wipes pem.
 */
int mlog_dsse_key_parse_private(struct mlog_dsse_key **out /* OUT */,
	const char *pem, size_t len, struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Generates a fresh signing key of algorithm alg (enum mlog_dsse_alg).
 * Returns 0, MLOG_ERR_RANGE (unknown alg) or MLOG_ERR_INTERNAL.
 */
int mlog_dsse_key_generate(struct mlog_dsse_key **out /* OUT */, int alg,
	struct mlog_error *err) MLOG_MUST_CHECK;

/* Frees a key (OpenSSL wipes private material); NULL is a no-op. */
void mlog_dsse_key_free(struct mlog_dsse_key *k);

/* The key's keyid (rule 10): MLOG_DSSE_KEYID_HEX lowercase hex digits,
 * NUL-terminated, valid as long as k is. */
const char *mlog_dsse_key_id(const struct mlog_dsse_key *k);

/* The key's enum mlog_dsse_alg. */
int mlog_dsse_key_alg(const struct mlog_dsse_key *k);

/* 1 if k holds a private key (can sign), else 0. */
int mlog_dsse_key_has_private(const struct mlog_dsse_key *k);

/*
 * Writes k's public key as PEM SubjectPublicKeyInfo into out (capacity
 * cap, NUL-terminated; MLOG_DSSE_PEM_OUT_MAX is always enough). Returns
 * the length, MLOG_ERR_TOOBIG or MLOG_ERR_INTERNAL.
 */
int mlog_dsse_key_format_public(char *out, size_t cap,
	const struct mlog_dsse_key *k) MLOG_MUST_CHECK;

/*
 * Writes k's private key as unencrypted PKCS#8 PEM into out (as above).
 * Returns the length, MLOG_ERR_RANGE (k has no private key),
 * MLOG_ERR_TOOBIG or MLOG_ERR_INTERNAL. The caller wipes out after use
 * (sodium_memzero); no other copy outlives the call.
 */
int mlog_dsse_key_format_private(char *out, size_t cap,
	const struct mlog_dsse_key *k) MLOG_MUST_CHECK;

/*
 * Signs PAE(type, body) with k (rule 11) into sig (capacity sig_cap;
 * MLOG_DSSE_SIG_MAX is always enough) and stores the length in *sig_len.
 * Returns 0, MLOG_ERR_RANGE (k has no private key), MLOG_ERR_TOOBIG
 * (sig_cap too small), MLOG_ERR_NOMEM or MLOG_ERR_INTERNAL.
 */
int mlog_dsse_sign_one(uint8_t *sig, size_t sig_cap,
	size_t *sig_len /* OUT */, const char *type, size_t type_len,
	const uint8_t *body, size_t body_len, const struct mlog_dsse_key *k,
	struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Verifies one signature sig[0..sig_len) over PAE(type, body) under k
 * (rule 11). Returns 0, MLOG_ERR_VERIFY (including a signature that is
 * not even shaped right for k's algorithm), MLOG_ERR_NOMEM or
 * MLOG_ERR_INTERNAL.
 */
int mlog_dsse_verify_one(const char *type, size_t type_len,
	const uint8_t *body, size_t body_len, const uint8_t *sig,
	size_t sig_len, const struct mlog_dsse_key *k) MLOG_MUST_CHECK;

/*
 * Builds a new envelope *out over (type, body) with one signature per key
 * keys[0..nkeys), in that order, each with its keyid (rule 10). type is a
 * NUL-terminated string obeying rule 4. Requires 1 <= nkeys <=
 * MLOG_DSSE_MAX_SIGS and private keys. Returns 0, MLOG_ERR_MALFORMED (bad
 * type), MLOG_ERR_RANGE (nkeys, or a key without its private part),
 * MLOG_ERR_TOOBIG (body over MLOG_DSSE_MAX_BYTES), MLOG_ERR_NOMEM or
 * MLOG_ERR_INTERNAL; *out untouched on failure.
 */
int mlog_dsse_sign(struct mlog_dsse_envelope **out /* OUT */,
	const char *type, const uint8_t *body, size_t body_len,
	const struct mlog_dsse_key *const *keys, size_t nkeys,
	struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Verifies e against keys[0..nkeys) (rules 12-14). If checks is not NULL
 * it receives one entry per key, written whenever the answer is 0 or
 * MLOG_ERR_VERIFY (so a caller can log which keys failed). Returns 0
 * if at least one key verified, MLOG_ERR_VERIFY if none did (nkeys == 0
 * included), MLOG_ERR_NOMEM or MLOG_ERR_INTERNAL.
 */
int mlog_dsse_verify(const struct mlog_dsse_envelope *e,
	const struct mlog_dsse_key *const *keys, size_t nkeys,
	struct mlog_dsse_check *checks /* OUT, may be NULL */,
	struct mlog_error *err) MLOG_MUST_CHECK;

#endif
