/*
 * main.c — mlogd, the mlog log server: `init` creates a log (key +
 * database), `serve` runs it (SPEC §3, §6).
 *
 * Exit codes (docs/exit-codes.md): 0 ok (including a clean SIGTERM
 * shutdown), 1 the log refused to start (damaged database, key file with
 * loose permissions, port taken, data directory in use by another
 * mlogd), 2 usage or configuration error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "checkpoint.h"
#include "log.h"
#include "mirror.h"
#include "witnessing.h"
#include "mlogd.h"
#include "note.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2

/* Held (flock) by the one server of a data directory. */
#define LOCK_FILE "mlogd.lock"

static const char usage_text[] =
	"usage: mlogd init  --data DIR --origin ORIGIN\n"
	"       mlogd serve --data DIR [--listen HOST:PORT]\n"
	"             [--signer NAME=ROLE[,ROLE...]:PUBKEY.pem]...\n"
	"             [--batch-ms N] [--batch-idle-ms N] [--batch-max N]\n"
	"             [--queue-max N] [--threads N] [--max-connections N]\n"
	"             [--timeout SECONDS] [--mirror-dir DIR]\n"
	"             [--witness VKEY@URL]... [--witness-quorum N]\n"
	"             [--witness-interval-ms N] [--witness-timeout-ms N]\n"
	"Every serve flag may also be set in DIR/mlogd.conf "
	"(see docs/mlogd.md).\n";

static void usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "mlogd: %s\n", why);
	fputs(usage_text, why != NULL ? stderr : stdout);
	exit(why != NULL ? EXIT_USAGE : 0);
}

static void die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("mlogd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static char *join(const char *dir, const char *file)
{
	char *path;

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		die(EXIT_REFUSED, "out of memory");
	return path;
}

/* Writes a whole small file with the given mode, refusing to overwrite. */
static void write_new_file(const char *path, const char *data, size_t len,
	mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

	if (fd < 0)
		die(EXIT_REFUSED, "can't create %s: %s", path,
			strerror(errno));
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) != 0 ||
	    close(fd) != 0)
		die(EXIT_REFUSED, "can't write %s: %s", path, strerror(errno));
}

/* ---- init ----------------------------------------------------------------- */

static int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "origin", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *origin = NULL;
	struct mlog_note_signer signer;
	struct mlog_note_verifier vk;
	struct mlog_checkpoint c;
	struct mlog_error err = { 0, "" };
	char skey[MLOG_NOTE_SKEY_MAX + 2], vkey[MLOG_NOTE_VKEY_MAX + 2];
	char *note = NULL, *key_path, *vkey_path, *db_path;
	size_t note_len = 0;
	int ch, n;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': data = optarg; break;
		case 'o': origin = optarg; break;
		case 'h': usage(NULL); break;
		default: usage("unknown flag for init");
		}
	}
	if (optind != argc)
		usage("init takes no arguments besides flags");
	if (data == NULL || origin == NULL)
		usage("init needs --data and --origin");
	/* Our logs sign with a key named after the origin (C2SP
	 * tlog-checkpoint recommends it; witnesses look keys up by it). */
	if (mlog_note_signer_generate(&signer, origin,
		MLOG_NOTE_TYPE_ED25519) != MLOG_OK)
		die(EXIT_USAGE, "origin '%s' is not a valid key name (non-empty, "
			"no '+', no spaces; e.g. log.example.com/prod)",
			origin);
	if (mkdir(data, 0700) != 0 && errno != EEXIST)
		die(EXIT_REFUSED, "can't create %s: %s", data,
			strerror(errno));
	key_path = join(data, MLOGD_KEY_FILE);
	vkey_path = join(data, MLOGD_VKEY_FILE);
	db_path = join(data, MLOGD_STORE_FILE);
	if (access(key_path, F_OK) == 0 || access(db_path, F_OK) == 0)
		die(EXIT_REFUSED, "%s already holds a log: refusing to "
			"overwrite it", data);
	mlog_checkpoint_init(&c);
	c.origin = (char *)origin;
	c.size = 0;
	mlog_hash_empty(c.root);
	if (mlog_checkpoint_sign(&note, &note_len, &c, &signer, 1, &err)
		!= MLOG_OK)
		die(EXIT_REFUSED, "can't sign the empty checkpoint: %s",
			err.msg);
	n = mlog_note_signer_format(skey, sizeof(skey) - 1, &signer);
	mlog_note_signer_verifier(&vk, &signer);
	mlog_note_signer_clear(&signer);
	if (n < 0 || mlog_note_verifier_format(vkey, sizeof(vkey) - 1, &vk)
		< 0)
		die(EXIT_REFUSED, "can't format the log key");
	strcat(skey, "\n");
	strcat(vkey, "\n");
	write_new_file(key_path, skey, strlen(skey), 0600);
	sodium_memzero(skey, sizeof(skey));
	write_new_file(vkey_path, vkey, strlen(vkey), 0644);
	if (mlogd_store_create(db_path, origin, note, note_len,
		(int64_t)time(NULL), &err) != MLOG_OK)
		die(EXIT_REFUSED, "%s", err.msg);
	fputs(vkey, stdout);
	free(note);
	free(key_path);
	free(vkey_path);
	free(db_path);
	return 0;
}

/* ---- serve ---------------------------------------------------------------- */

/* Reads the log key, refusing one that group or others can read. */
static void load_log_key(const char *data, const char *origin,
	struct mlog_note_signer *out)
{
	char *path = join(data, MLOGD_KEY_FILE);
	char buf[MLOG_NOTE_SKEY_MAX + 2];
	struct mlog_error err = { 0, "" };
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		die(EXIT_REFUSED, "can't open %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0)
		die(EXIT_REFUSED, "can't stat %s: %s", path, strerror(errno));
	if (st.st_mode & 077)
		die(EXIT_REFUSED, "%s is readable by group or others (mode "
			"%03o): chmod 600 it", path,
			(unsigned)(st.st_mode & 0777));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		die(EXIT_REFUSED, "can't read %s", path);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (mlog_note_signer_parse(out, buf, (size_t)n, &err) != MLOG_OK)
		die(EXIT_REFUSED, "%s: %s", path, err.msg);
	sodium_memzero(buf, sizeof(buf));
	if (out->type != MLOG_NOTE_TYPE_ED25519 ||
	    strcmp(out->name, origin) != 0)
		die(EXIT_REFUSED, "%s: key '%s' does not belong to log '%s'",
			path, out->name, origin);
	free(path);
}

/* One server per data directory: two sequencers on one database would
 * each believe they own the tree (the second one's commits conflict and it
 * answers 503 to everything, while serving a stale checkpoint). Returns the
 * descriptor holding the lock until exit. */
static int lock_data_dir(const char *data)
{
	char *path = join(data, LOCK_FILE);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		die(EXIT_REFUSED, "can't open %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0)
		die(EXIT_REFUSED, "%s is in use by another mlogd (%s is "
			"locked)", data, path);
	free(path);
	return fd;
}

/* Fans a new head out to everything that follows the log. */
struct followers {
	struct mlogd_mirror *mirror;
	struct mlogd_witnessing *witnessing;
};

static void on_head(void *ctx, struct mlogd_head *head)
{
	struct followers *f = ctx;

	if (f->mirror != NULL)
		mlogd_mirror_notify(f->mirror, head);
	if (f->witnessing != NULL)
		mlogd_witnessing_notify(f->witnessing, head);
}

static void parse_serve_flags(int argc, char **argv,
	struct mlogd_config *cfg)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "signer", required_argument, NULL, 's' },
		{ "batch-ms", required_argument, NULL, 'b' },
		{ "batch-idle-ms", required_argument, NULL, 'i' },
		{ "batch-max", required_argument, NULL, 'B' },
		{ "queue-max", required_argument, NULL, 'q' },
		{ "threads", required_argument, NULL, 't' },
		{ "max-connections", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "mirror-dir", required_argument, NULL, 'm' },
		{ "witness", required_argument, NULL, 'w' },
		{ "witness-quorum", required_argument, NULL, 'Q' },
		{ "witness-interval-ms", required_argument, NULL, 'I' },
		{ "witness-timeout-ms", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mlog_error err = { 0, "" };
	int ch, idx;

	/* Pass 1: --data, so that the config file is read first and flags
	 * override it. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h")
			== 0)
			usage(NULL);
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			cfg->data_dir = strdup(argv[i + 1]);
		else if (strncmp(argv[i], "--data=", 7) == 0)
			cfg->data_dir = strdup(argv[i] + 7);
	}
	if (cfg->data_dir == NULL)
		usage("serve needs --data");
	if (mlogd_config_load(cfg, cfg->data_dir, &err) != MLOG_OK)
		die(EXIT_USAGE, "%s", err.msg);
	while ((ch = getopt_long(argc, argv, "", opts, &idx)) != -1) {
		if (ch == '?' || ch == ':')
			usage("unknown flag or missing value for serve");
		if (ch == 'h')
			usage(NULL);
		if (ch == 'd')
			continue;
		if (mlogd_config_set(cfg, opts[idx].name, optarg, &err)
			!= MLOG_OK)
			die(EXIT_USAGE, "--%s: %s", opts[idx].name, err.msg);
	}
	if (optind != argc)
		usage("serve takes no arguments besides flags");
}

static int cmd_serve(int argc, char **argv)
{
	struct mlogd_config cfg;
	struct mlogd d;
	struct mlog_note_signer key;
	struct mlog_error err = { 0, "" };
	struct followers followers = { NULL, NULL };
	struct mlogd_seq_config sc;
	struct mlogd_store *probe = NULL;
	struct mlogd_head *head;
	char *db_path;
	sigset_t sigs;
	int sig = 0, lock_fd;

	mlogd_config_init(&cfg);
	parse_serve_flags(argc, argv, &cfg);
	memset(&d, 0, sizeof(d));
	d.cfg = &cfg;
	db_path = join(cfg.data_dir, MLOGD_STORE_FILE);
	if (access(db_path, F_OK) != 0)
		die(EXIT_REFUSED, "%s: no log database (run mlogd init)",
			db_path);
	lock_fd = lock_data_dir(cfg.data_dir);
	/* Read-write, under the lock: this is where an older schema is
	 * upgraded (store.h), before any reader opens the database. */
	if (mlogd_store_open(&probe, db_path, 0, &err) != MLOG_OK)
		die(EXIT_REFUSED, "%s", err.msg);
	load_log_key(cfg.data_dir, mlogd_store_origin(probe), &key);
	mlogd_store_close(probe);

	d.signers = mlogd_signers_new();
	d.metrics = mlogd_metrics_new();
	if (d.signers == NULL || d.metrics == NULL)
		die(EXIT_REFUSED, "out of memory");
	for (size_t i = 0; i < cfg.nsigners; i++) {
		if (mlogd_signers_add(d.signers, cfg.signers[i], &err)
			!= MLOG_OK)
			die(EXIT_USAGE, "%s", err.msg);
	}
	if (d.signers->n == 0)
		mlogd_log("warning: no --signer configured: every submission "
			"will be refused with 403");

	/* Signals are taken synchronously by main only: block them before
	 * any thread starts so that every thread inherits the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	pthread_mutex_init(&d.inflight_lock, NULL);
	sc = (struct mlogd_seq_config){
		.db_path = db_path,
		.signer = &key,
		.batch_ms = cfg.batch_ms,
		.batch_idle_ms = cfg.batch_idle_ms,
		.batch_max = cfg.batch_max,
		.queue_max = cfg.queue_max,
		.listener = { on_head, &followers },
		.metrics = d.metrics,
	};
	if (mlogd_seq_start(&d.seq, &sc, &err) != MLOG_OK)
		die(EXIT_REFUSED, "%s", err.msg);
	if (mlogd_pool_init(&d.pool, db_path, cfg.threads, &err) != MLOG_OK)
		die(EXIT_REFUSED, "%s", err.msg);
	head = mlogd_seq_head(d.seq);
	if (cfg.mirror_dir != NULL &&
	    mlogd_mirror_start(&followers.mirror, cfg.mirror_dir, db_path,
		head, &err) != MLOG_OK)
		die(EXIT_REFUSED, "%s", err.msg);
	if (cfg.nwitnesses > 0) {
		struct mlogd_witnessing_config wc = {
			.db_path = db_path,
			.witnesses = cfg.witnesses,
			.nwitnesses = cfg.nwitnesses,
			.quorum = cfg.witness_quorum != 0 ? cfg.witness_quorum
				: (unsigned)cfg.nwitnesses,
			.interval_ms = cfg.witness_interval_ms,
			.timeout_ms = cfg.witness_timeout_ms,
		};

		if (mlogd_witnessing_start(&followers.witnessing, &wc, head,
			&err) != MLOG_OK)
			die(EXIT_USAGE, "%s", err.msg);
		d.cosigned = (struct mlogd_cosigned){
			mlogd_witnessing_checkpoint, followers.witnessing };
		d.witnessing = followers.witnessing;
	}
	if (mlogd_http_start(&d, &err) != MLOG_OK)
		die(EXIT_REFUSED, "%s", err.msg);
	mlogd_log("serving %s on %s:%u: tree size %" PRIu64 ", %zu signers, "
		"batch %u ms", mlogd_store_origin(d.pool.all[0].store),
		cfg.listen_host, cfg.listen_port, head->size, d.signers->n,
		cfg.batch_ms);
	mlogd_seq_head_unref(d.seq, head);

	while (sigwait(&sigs, &sig) != 0)
		;
	/* Shutdown (SPEC §6): stop accepting, commit or refuse everything
	 * accepted, answer it, exit 0. */
	mlogd_log("signal %d: shutting down", sig);
	mlogd_http_quiesce(&d);
	mlogd_seq_stop(d.seq);
	/* Requests begun before the signal finish (a body still arriving is
	 * then refused with 503); one that stalls is given as long as MHD
	 * would give it before timing it out. */
	for (unsigned waited = 0;; waited++) {
		unsigned left;

		pthread_mutex_lock(&d.inflight_lock);
		left = d.inflight;
		pthread_mutex_unlock(&d.inflight_lock);
		if (left == 0)
			break;
		if (waited >= 100 * (cfg.timeout_s + 1)) {
			mlogd_log("closing %u requests still unfinished after "
				"%u s", left, cfg.timeout_s + 1);
			break;
		}
		usleep(10000);
	}
	mlogd_http_stop(&d);
	mlogd_mirror_stop(followers.mirror);
	mlogd_witnessing_stop(followers.witnessing);
	mlogd_pool_clear(&d.pool);
	mlogd_seq_free(d.seq);
	mlogd_signers_free(d.signers);
	mlogd_metrics_free(d.metrics);
	mlog_note_signer_clear(&key);
	pthread_mutex_destroy(&d.inflight_lock);
	mlogd_config_clear(&cfg);
	free(db_path);
	close(lock_fd);
	mlogd_log("stopped");
	return 0;
}

int main(int argc, char **argv)
{
	mlogd_log_init("mlogd");
	mlogd_store_global_init();
	if (sodium_init() < 0)
		die(EXIT_REFUSED, "libsodium failed to initialise");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		die(EXIT_REFUSED, "libcurl failed to initialise");
	if (argc < 2)
		usage("missing command");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)
		usage(NULL);
	if (strcmp(argv[1], "init") == 0)
		return cmd_init(argc - 1, argv + 1);
	if (strcmp(argv[1], "serve") == 0)
		return cmd_serve(argc - 1, argv + 1);
	usage("unknown command");
	return EXIT_USAGE;
}
