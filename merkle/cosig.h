/*
 * cosig.h — C2SP tlog-cosignature v1.0.1, Ed25519 "cosignature/v1"
 * (signature type 0x04): the signed message, the 72-byte signature blob,
 * and signing / verifying one cosignature. note.c uses it for type-0x04
 * keys; the key ID and the signature line itself belong to note.h.
 *
 * Blob (what follows the 4-byte key ID in the note signature line):
 *
 *   offset  size  field
 *        0     8  timestamp, big-endian POSIX seconds, <= 2^63-1
 *        8    64  Ed25519 signature over the message below
 *
 * Signed message, byte for byte:
 *
 *   "cosignature/v1\n" "time " decimal(timestamp) "\n" || note text
 *
 * where the note text is the whole checkpoint body including extension
 * lines and its final '\n' (the spec and transparency-dev/formats; the
 * 2025 litetlog signed only the first three lines). Example
 * (vectors/cosignature/sigsum-go-cosignature.txt, time 1234):
 *
 *   cosignature/v1
 *   time 1234
 *   example.org/log
 *   10
 *   HA5HAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=
 *
 * Invariants:
 *  (1) A blob is exactly MLOG_COSIG_BYTES bytes; anything else does not
 *      decode (Go requires exactly 72 bytes after the key ID).
 *  (2) A timestamp above MLOG_COSIG_TIME_MAX (2^63-1) is never encoded,
 *      decoded, signed or verified.
 *  (3) The decimal has no leading zeros ("0" for zero), so one timestamp
 *      has exactly one message.
 *
 * Thread-safety: pure functions; libsodium must be initialised
 * (sodium_init) by the program first.
 * Ownership: all buffers are caller-owned; mlog_cosig_message returns a
 * malloc'd buffer the caller frees.
 */
#ifndef MLOG_COSIG_H
#define MLOG_COSIG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define MLOG_COSIG_BYTES 72            /* timestamp + Ed25519 signature */
#define MLOG_COSIG_SIG_BYTES 64
#define MLOG_COSIG_TIME_MAX UINT64_C(0x7fffffffffffffff)
/* Longest header "cosignature/v1\ntime <19 digits>\n", without the NUL. */
#define MLOG_COSIG_HEADER_MAX (15 + 5 + 19 + 1)

/* A decoded cosignature blob. */
struct mlog_cosig {
	uint64_t timestamp;
	uint8_t sig[MLOG_COSIG_SIG_BYTES];
};

/*
 * Writes the header "cosignature/v1\ntime <T>\n" into out (capacity cap,
 * NUL-terminated). Returns its length, MLOG_ERR_RANGE if timestamp is above
 * MLOG_COSIG_TIME_MAX, or MLOG_ERR_TOOBIG if cap is too small
 * (MLOG_COSIG_HEADER_MAX + 1 always suffices).
 */
int mlog_cosig_header(char *out, size_t cap, uint64_t timestamp);

/*
 * Builds the whole signed message, header || text, into a new malloc'd
 * buffer *out (caller frees) of *out_len bytes. Returns 0, MLOG_ERR_RANGE
 * (timestamp) or MLOG_ERR_NOMEM; outputs untouched on failure.
 */
int mlog_cosig_message(uint8_t **out /* OUT */, size_t *out_len /* OUT */,
	uint64_t timestamp, const char *text, size_t text_len)
	MLOG_MUST_CHECK;

/*
 * Encodes c as the 72-byte blob. Returns 0 or MLOG_ERR_RANGE (timestamp
 * above MLOG_COSIG_TIME_MAX; out untouched).
 */
int mlog_cosig_encode(uint8_t out[MLOG_COSIG_BYTES],
	const struct mlog_cosig *c) MLOG_MUST_CHECK;

/*
 * Decodes blob[0..len). Returns 0 or MLOG_ERR_MALFORMED (len is not 72, or
 * the timestamp is above 2^63-1); *out untouched on failure.
 */
int mlog_cosig_decode(struct mlog_cosig *out /* OUT */, const uint8_t *blob,
	size_t len, struct mlog_error *err) MLOG_MUST_CHECK;

/*
 * Signs text[0..text_len) at timestamp with sk (libsodium's 64-byte
 * seed||pub secret key), filling *out. Returns 0, MLOG_ERR_RANGE,
 * MLOG_ERR_NOMEM or MLOG_ERR_INTERNAL (libsodium failed); *out untouched
 * on failure. The text is not checked: the
 * caller signs only a checkpoint it has parsed and verified.
 */
int mlog_cosig_sign(struct mlog_cosig *out /* OUT */, const char *text,
	size_t text_len, uint64_t timestamp, const uint8_t sk[64])
	MLOG_MUST_CHECK;

/*
 * Verifies c over text[0..text_len) with the 32-byte Ed25519 key pub.
 * Returns 0, MLOG_ERR_VERIFY (bad signature, or timestamp above 2^63-1) or
 * MLOG_ERR_NOMEM.
 */
int mlog_cosig_verify(const struct mlog_cosig *c, const char *text,
	size_t text_len, const uint8_t pub[32]) MLOG_MUST_CHECK;

#endif
