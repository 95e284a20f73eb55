/*
 * mirror.h — --mirror-dir: the static read path (C2SP tlog-tiles) written
 * as plain files, so that nginx, an object store or a CDN can serve reads
 * at any scale while mlogd only sequences.
 *
 * Layout under DIR: checkpoint, tile/<L>/<N>[.p/<W>], tile/entries/<N>
 * [.p/<W>] — exactly the URL paths, so DIR can be served as the log's
 * prefix. Every file is written to a temporary name in its directory,
 * fsynced and renamed, so a reader never sees a half-written file; the
 * checkpoint is renamed last, after every tile it needs, so whatever
 * checkpoint a reader sees, the tiles for it are already there. Partial
 * tiles of older sizes are kept, so clients holding an older checkpoint
 * can still read them.
 *
 * A mirror thread follows the published heads (sequencer listener); it
 * never blocks sequencing. On start it resumes from the size of the
 * checkpoint file already in DIR (0 if none).
 *
 * Thread-safety: mlogd_mirror_notify from any thread (the sequencer's);
 * the rest from main. Ownership: start/stop pair.
 */
#ifndef MLOGD_MIRROR_H
#define MLOGD_MIRROR_H

#include "err.h"
#include "sequencer.h"

struct mlogd_mirror;

int mlogd_mirror_start(struct mlogd_mirror **out /* OUT */, const char *dir,
	const char *db_path, struct mlogd_head *head, struct mlog_error *err)
	MLOG_MUST_CHECK;

/* Listener callback: a new head was published. */
void mlogd_mirror_notify(void *ctx, struct mlogd_head *head);

/* Writes everything up to the last notified head, then stops. */
void mlogd_mirror_stop(struct mlogd_mirror *m);

#endif
