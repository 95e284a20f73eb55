/*
 * note.h — C2SP signed-note v1.0.0: parse, format, sign and verify notes;
 * vkey/skey parse and format; key IDs. Ed25519 through libsodium.
 *
 * Wire format (C2SP-NOTES §1):
 *
 *   <text, one or more lines each ending in '\n'>
 *   \n
 *   — <key name> <base64(key ID[4] big-endian || signature)>\n   (1..100)
 *
 * "—" is U+2014 (E2 80 94) followed by a space. The text is everything up
 * to and including the '\n' before the *last* "\n\n". Example
 * (vectors/note/peterneumann.note):
 *
 *   If you think cryptography is the answer to your problem,
 *   then you don't know what your problem is.
 *
 *   — PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=
 *
 * Keys:  vkey  <name>+<8 hex key ID>+base64(type || 32-byte public key)
 *        skey  PRIVATE+KEY+<name>+<8 hex key ID>+base64(type || 32-byte seed)
 *        key ID = SHA-256(name || 0x0A || type || public key)[:4]
 * Types: 0x01 Ed25519 over the note text; 0x04 cosignature/v1 (cosig.h):
 *        Ed25519 over "cosignature/v1\ntime <T>\n" || text, blob = 8-byte
 *        big-endian T || 64-byte signature.
 *
 * Validity rules (a note failing any is MLOG_ERR_MALFORMED):
 *  (1) At most MLOG_NOTE_MAX_BYTES bytes, checked before any work; valid
 *      UTF-8; no byte below 0x20 except '\n'.
 *  (2) Contains "\n\n"; the text is non-empty; the signature block is
 *      1..MLOG_NOTE_MAX_SIGS lines, each ending in '\n'.
 *  (3) Each signature line is "— " name " " base64 with a valid name
 *      (non-empty, <= MLOG_NOTE_NAME_MAX bytes, no '+', no Unicode space)
 *      and base64 decoding to at least 5 bytes.
 *  (4) Base64 is strict, with one exception kept for interop: non-zero
 *      trailing pad bits are decoded as Go does (ignored) and the signature
 *      is flagged `lenient`; such a signature never verifies (litewitness
 *      KAT req02 must be a 403, not a 400).
 *
 * Verification rules (mlog_note_verify):
 *  (5) Signatures are identified by (name, key ID); those matching no
 *      verifier are ignored, even if the name or the ID alone matches.
 *      For a cosignature/v1 (0x04) verifier a line also needs the 72-byte
 *      blob to match: a line of another length is not a cosignature/v1
 *      and is ignored, as sigsum-go does (vectors/cosignature, line 4).
 *  (6) Every signature matching a verifier is verified; one failure
 *      rejects the whole note (MLOG_ERR_VERIFY).
 *  (7) If no signature matches a verifier: MLOG_ERR_UNTRUSTED.
 *
 * Thread-safety: no shared state; libsodium must be initialised
 * (sodium_init) by the program first.
 * Ownership: mlog_note_parse returns a note the caller frees with
 * mlog_note_free (NULL allowed). Verifiers and signers are plain structs the
 * caller owns; mlog_note_signer_clear wipes the secret key.
 */
#ifndef MLOG_NOTE_H
#define MLOG_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define MLOG_NOTE_MAX_BYTES 1000000    /* Go tlog.ParseTree's cap */
#define MLOG_NOTE_MAX_SIGS 100         /* Go note.Open's cap */
#define MLOG_NOTE_NAME_MAX 255         /* transparency-dev/formats */
#define MLOG_NOTE_TYPE_ED25519 0x01
#define MLOG_NOTE_TYPE_COSIG_V1 0x04
#define MLOG_NOTE_PUBKEY_BYTES 32
#define MLOG_NOTE_SIG_BYTES 64         /* Ed25519 signature */
#define MLOG_NOTE_COSIG_BYTES 72       /* timestamp + Ed25519 signature */
/* Longest vkey / skey string, without the NUL. */
#define MLOG_NOTE_VKEY_MAX (MLOG_NOTE_NAME_MAX + 1 + 8 + 1 + 44)
#define MLOG_NOTE_SKEY_MAX (12 + MLOG_NOTE_VKEY_MAX)

struct mlog_note_sig {
	char *name;          /* key name, NUL-terminated */
	uint32_t key_id;
	uint8_t *sig;        /* signature bytes after the key ID */
	size_t sig_len;
	int lenient;         /* base64 had non-zero pad bits (rule 4) */
};

struct mlog_note {
	char *text;          /* note text incl. its final '\n', NUL-ended */
	size_t text_len;
	struct mlog_note_sig *sigs;
	size_t nsigs;
};

/* A verifier key (vkey). type is MLOG_NOTE_TYPE_ED25519 or _COSIG_V1. */
struct mlog_note_verifier {
	char name[MLOG_NOTE_NAME_MAX + 1];
	uint32_t key_id;
	uint8_t type;
	uint8_t pub[MLOG_NOTE_PUBKEY_BYTES];
};

/* A signer key (skey). sk is libsodium's 64-byte secret key (seed||pub). */
struct mlog_note_signer {
	char name[MLOG_NOTE_NAME_MAX + 1];
	uint32_t key_id;
	uint8_t type;
	uint8_t pub[MLOG_NOTE_PUBKEY_BYTES];
	uint8_t sk[64];
};

/* Per-verifier outcome of mlog_note_verify. */
struct mlog_note_check {
	int verified;        /* 1 if a signature by this key verified */
	uint64_t timestamp;  /* cosignature/v1 time (type 0x04 keys), else 0 */
};

/* key ID = SHA-256(name || '\n' || type || pub)[:4], big-endian. */
uint32_t mlog_note_key_id(const char *name, uint8_t type,
	const uint8_t *pub, size_t pub_len);

/* 1 if name is a valid key name (rule 3), else 0. Also refuses control
 * characters (a name holding one could never appear in a note). */
int mlog_note_name_valid(const char *name, size_t len);

/*
 * Parses msg[0..len) into a new note (*out). Returns 0, MLOG_ERR_TOOBIG
 * (over MLOG_NOTE_MAX_BYTES), MLOG_ERR_MALFORMED, or MLOG_ERR_NOMEM; on
 * failure *out is untouched.
 */
int mlog_note_parse(struct mlog_note **out /* OUT */, const char *msg,
	size_t len, struct mlog_error *err) MLOG_MUST_CHECK;

/* Frees a parsed note; NULL is a no-op. */
void mlog_note_free(struct mlog_note *n);

/*
 * Verifies n against keys[0..nkeys) (rules 5-7). If checks is not NULL it
 * receives one entry per key (only on success; the timestamp is that of
 * the key's first cosignature line). Returns 0 if at least one key
 * verified and no matching signature failed; MLOG_ERR_VERIFY if a matching
 * signature failed (wrong length or lenient base64 included);
 * MLOG_ERR_UNTRUSTED if no signature matched any key; MLOG_ERR_NOMEM.
 */
int mlog_note_verify(const struct mlog_note *n,
	const struct mlog_note_verifier *keys, size_t nkeys,
	struct mlog_note_check *checks /* OUT, may be NULL */,
	struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Formats one signature line "— <name> <base64>\n" for text by s into
 * out (capacity cap, NUL-terminated). For type 0x04 signers the line is a
 * cosignature/v1 over text at time timestamp; for 0x01 timestamp is
 * ignored. Returns the line length or MLOG_ERR_TOOBIG / MLOG_ERR_RANGE
 * (timestamp > 2^63-1); MLOG_ERR_MALFORMED if text is not valid note text
 * (non-empty, final '\n', rule 1) or s is inconsistent (bad name or type,
 * key ID or public key not matching its secret key); MLOG_ERR_NOMEM.
 */
int mlog_note_sign_line(char *out, size_t cap, const char *text,
	size_t text_len, const struct mlog_note_signer *s, uint64_t timestamp);

/*
 * Builds a complete signed note: text, blank line, one line per signer
 * (1..MLOG_NOTE_MAX_SIGS signers). text must be valid note text (non-empty,
 * ends in '\n', rule 1). *out is malloc'd and NUL-terminated (caller
 * frees), *out_len its length. Returns 0, MLOG_ERR_MALFORMED,
 * MLOG_ERR_RANGE, MLOG_ERR_TOOBIG (result over MLOG_NOTE_MAX_BYTES) or
 * MLOG_ERR_NOMEM.
 */
int mlog_note_sign(char **out /* OUT */, size_t *out_len /* OUT */,
	const char *text, size_t text_len,
	const struct mlog_note_signer *signers, size_t nsigners,
	uint64_t timestamp, struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Formats n back to bytes (text, blank line, signature lines in order);
 * parse(format(n)) == n. A lenient signature is written with its lowest
 * pad bit set, so it re-parses lenient (the original pad bits are not
 * kept); every other parsed note formats back byte for byte. *out
 * malloc'd, caller frees. Returns 0, MLOG_ERR_MALFORMED (n breaks a rule
 * 1-3), MLOG_ERR_TOOBIG or MLOG_ERR_NOMEM.
 */
int mlog_note_format(char **out /* OUT */, size_t *out_len /* OUT */,
	const struct mlog_note *n) MLOG_MUST_CHECK;

/* Parses a vkey string (no trailing newline). Checks the key ID (exactly
 * 8 lowercase hex digits), strict base64 and the 32-byte key length; type
 * must be 0x01 or 0x04. Returns 0 or MLOG_ERR_MALFORMED. */
int mlog_note_verifier_parse(struct mlog_note_verifier *out /* OUT */,
	const char *vkey, size_t len, struct mlog_error *err) MLOG_MUST_CHECK;

/* Formats v as a vkey string into out (cap >= MLOG_NOTE_VKEY_MAX + 1).
 * Returns the length, MLOG_ERR_TOOBIG, or MLOG_ERR_MALFORMED (invalid name
 * or type). */
int mlog_note_verifier_format(char *out, size_t cap,
	const struct mlog_note_verifier *v);

/* The cosignature/v1 form of v: same name and key, type 0x04, key ID
 * recomputed (accepts 0x01-form witness vkeys, as transparency-dev/formats
 * NewVerifierForCosignatureV1 does). out may equal v. */
void mlog_note_verifier_as_cosigner(struct mlog_note_verifier *out,
	const struct mlog_note_verifier *v);

/* Parses an skey string; derives the public key from the seed and checks
 * the key ID. Types 0x01 and 0x04. Returns 0 or MLOG_ERR_MALFORMED. */
int mlog_note_signer_parse(struct mlog_note_signer *out /* OUT */,
	const char *skey, size_t len, struct mlog_error *err) MLOG_MUST_CHECK;

/* Formats s as an skey string into out (cap >= MLOG_NOTE_SKEY_MAX + 1).
 * Returns the length, MLOG_ERR_TOOBIG, or MLOG_ERR_MALFORMED (invalid name
 * or type). The caller wipes out after use. */
int mlog_note_signer_format(char *out, size_t cap,
	const struct mlog_note_signer *s);

/* Generates a fresh key pair for name with the given type. Returns 0 or
 * MLOG_ERR_MALFORMED (bad name or type). */
int mlog_note_signer_generate(struct mlog_note_signer *out /* OUT */,
	const char *name, uint8_t type) MLOG_MUST_CHECK;

/* Same, from a 32-byte seed (deterministic; tests and known answers). */
int mlog_note_signer_from_seed(struct mlog_note_signer *out /* OUT */,
	const char *name, uint8_t type, const uint8_t seed[32]) MLOG_MUST_CHECK;

/* The verifier matching s. */
void mlog_note_signer_verifier(struct mlog_note_verifier *out,
	const struct mlog_note_signer *s);

/* Wipes the secret key (sodium_memzero). */
void mlog_note_signer_clear(struct mlog_note_signer *s);

#endif
