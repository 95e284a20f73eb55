/*
 * fuzz_monitor_state.c — the monitor's state file (client/monitor.c:
 * DIR/state.json, read by cli_monitor_open), which a crash, a full disk
 * or a hand edit can leave in any shape.
 *
 * Each input is written to state.json in one temporary state directory,
 * then opened as `mlog monitor --state DIR` would.
 *
 * Properties checked on every input:
 *  - the answer is 0 or MALFORMED (IO, NOMEM and TOOBIG only for what
 *    the file system says), with a one-line message naming state.json on
 *    failure;
 *  - an accepted state names a checkpoint note that parses, whose size is
 *    the monitor's position; monitor.c's own invariants (every approval
 *    and pending entry below that position, approvals in index order) are
 *    asserted by cli_monitor_open itself in this build.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "monitor.h"
#include "note.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char state_dir[64];
static char state_path[96];

/* The state directory goes when the process exits normally. */
static void remove_state_dir(void)
{
	char lock[96];

	snprintf(lock, sizeof(lock), "%s/lock", state_dir);
	unlink(state_path);
	unlink(lock);
	rmdir(state_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* tmpfs when there is one: rewriting a file on ext4 starts its
	 * writeback at every close (auto_da_alloc), 4 ms per input. */
	snprintf(state_dir, sizeof(state_dir), "/dev/shm/mlog-fuzz-XXXXXX");
	if (mkdtemp(state_dir) == NULL) {
		snprintf(state_dir, sizeof(state_dir), "/tmp/mlog-fuzz-XXXXXX");
		if (mkdtemp(state_dir) == NULL)
			abort();
	}
	snprintf(state_path, sizeof(state_path), "%s/state.json", state_dir);
	atexit(remove_state_dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_monitor *m = NULL;
	struct mlog_error err = { 0, "" };
	FILE *f = fopen(state_path, "wb");
	int rc;

	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	rc = cli_monitor_open(&m, state_dir, &err);
	if (rc != MLOG_OK) {
		if (rc != MLOG_ERR_MALFORMED && rc != MLOG_ERR_IO &&
		    rc != MLOG_ERR_NOMEM && rc != MLOG_ERR_TOOBIG)
			abort();
		if (err.msg[0] == '\0' || strchr(err.msg, '\n') != NULL ||
		    (rc == MLOG_ERR_MALFORMED &&
		     strstr(err.msg, "state.json") == NULL))
			abort();
		if (m != NULL)
			abort();
		return 0;
	}
	{
		size_t len = 0;
		const char *note = cli_monitor_note(m, &len);

		if (note == NULL) {
			if (cli_monitor_size(m) != 0 || cli_monitor_pending(m))
				abort();
		} else {
			struct mlog_note *n = NULL;
			struct mlog_checkpoint cp;

			mlog_checkpoint_init(&cp);
			if (mlog_note_parse(&n, note, len, NULL) != MLOG_OK ||
			    mlog_checkpoint_parse(&cp, n->text, n->text_len,
				NULL) != MLOG_OK || cp.size != cli_monitor_size(m))
				abort();
			mlog_checkpoint_clear(&cp);
			mlog_note_free(n);
		}
	}
	cli_monitor_close(m);
	return 0;
}
