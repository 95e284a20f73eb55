/*
 * fakewitness.h — a C2SP tlog-witness for tests (libmicrohttpd, on a
 * loopback port): POST /add-checkpoint checked with mlog_witness_req_check
 * against the log's key and its own state (in memory), answered with a
 * cosignature/v1 line by a key made in the test; GET
 * /<hex sha256(origin)>/checkpoint serves the latest checkpoint it
 * cosigned, or a forged note the test sets (to show a split view).
 *
 * Thread-safety: the server runs in its own thread; the fw_* calls lock.
 * Ownership: fw_start / fw_stop.
 */
#ifndef MLOG_ITEST_FAKEWITNESS_H
#define MLOG_ITEST_FAKEWITNESS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "note.h"

struct fakewitness {
	void *daemon;                      /* struct MHD_Daemon * */
	unsigned port;
	char url[64];                      /* http://127.0.0.1:<port> */
	struct mlog_note_signer key;       /* cosignature/v1 signer */
	struct mlog_note_verifier log;     /* the log it witnesses */
	pthread_mutex_t mu;
	uint64_t size;
	uint8_t root[32];
	char *note;                        /* last cosigned, with our line */
	char *forged;                      /* served instead, if set */
	unsigned adds;                     /* 200 answers given */
};

void fw_start(struct fakewitness *w, const char *name,
	const struct mlog_note_verifier *log);
void fw_stop(struct fakewitness *w);

/* The witness's vkey (cosignature/v1 form) for a policy. */
void fw_vkey(const struct fakewitness *w, char *out, size_t cap);

/* Serves note (copied; NULL: back to the real one) on GET. */
void fw_set_forged(struct fakewitness *w, const char *note);

/* Size of the last checkpoint cosigned. */
uint64_t fw_size(struct fakewitness *w);

#endif
