/*
 * main.c — mlog-witness, a C2SP tlog-witness for mlog logs (SPEC §4, §6):
 * `init` creates a witness (key + state database), `serve` runs it.
 *
 * Files in the data directory:
 *   witness.key        the skey, mode 0600, created with O_EXCL
 *   witness.vkey       the cosignature/v1 (type 0x04) vkey
 *   witness.db         the state (store.h), with -wal and -shm beside it
 *   mlog-witness.conf  optional settings (config.h)
 *
 * Exit codes (docs/witness.md; never renumbered): 0 ok (including a
 * clean SIGTERM shutdown), 1 the witness refused to start (key file
 * readable by others, damaged or foreign state, directory in use, port
 * taken), 2 usage or configuration error.
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
#include <unistd.h>

#include <sodium.h>

#include "../server/log.h"
#include "committer.h"
#include "config.h"
#include "logs.h"
#include "metrics.h"
#include "note.h"
#include "store.h"
#include "witness.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2

static const char usage_text[] =
	"usage: mlog-witness init  --data DIR --name NAME\n"
	"       mlog-witness serve --data DIR [--listen HOST:PORT] "
	"--log VKEY...\n"
	"             [--rate N] [--burst N] [--threads N] "
	"[--max-connections N]\n"
	"             [--timeout SECONDS] [--batch-max N]\n"
	"Every serve flag may also be set in DIR/mlog-witness.conf "
	"(see docs/witness.md).\n";

static void usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "mlog-witness: %s\n", why);
	fputs(usage_text, why != NULL ? stderr : stdout);
	exit(why != NULL ? EXIT_USAGE : 0);
}

static void die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("mlog-witness: ", stderr);
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
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		O_NOFOLLOW, mode);

	if (fd < 0)
		die(EXIT_REFUSED, "can't create %s: %s", path,
			strerror(errno));
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) != 0 ||
	    close(fd) != 0)
		die(EXIT_REFUSED, "can't write %s: %s", path, strerror(errno));
}

/* ---- init ---------------------------------------------------------------- */

static int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *name = NULL;
	struct mlog_note_signer key;
	struct mlog_note_verifier vk;
	struct mlog_error err = { 0, "" };
	char skey[MLOG_NOTE_SKEY_MAX + 2], vkey[MLOG_NOTE_VKEY_MAX + 2];
	char *key_path, *vkey_path, *db_path;
	int ch, n;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': data = optarg; break;
		case 'n': name = optarg; break;
		case 'h': usage(NULL); break;
		default: usage("unknown flag for init");
		}
	}
	if (optind != argc)
		usage("init takes no arguments besides flags");
	if (data == NULL || name == NULL)
		usage("init needs --data and --name");
	/* A cosignature/v1 (type 0x04) key: the vkey printed is the one
	 * logs and verifiers configure (the 0x01 form of the same key is
	 * accepted too: mlog_note_verifier_as_cosigner). */
	if (mlog_note_signer_generate(&key, name, MLOG_NOTE_TYPE_COSIG_V1)
		!= MLOG_OK)
		die(EXIT_USAGE, "name '%s' is not a valid key name (non-empty, "
			"no '+', no spaces; e.g. witness.example.com)", name);
	if (mkdir(data, 0700) != 0 && errno != EEXIST)
		die(EXIT_REFUSED, "can't create %s: %s", data,
			strerror(errno));
	key_path = join(data, WITNESS_KEY_FILE);
	vkey_path = join(data, WITNESS_VKEY_FILE);
	db_path = join(data, WITNESS_STORE_FILE);
	if (access(key_path, F_OK) == 0 || access(db_path, F_OK) == 0)
		die(EXIT_REFUSED, "%s already holds a witness: refusing to "
			"overwrite it", data);
	n = mlog_note_signer_format(skey, sizeof(skey) - 1, &key);
	mlog_note_signer_verifier(&vk, &key);
	mlog_note_signer_clear(&key);
	if (n < 0 || mlog_note_verifier_format(vkey, sizeof(vkey) - 1, &vk)
		< 0)
		die(EXIT_REFUSED, "can't format the witness key");
	if (witness_store_create(db_path, vkey, &err) != MLOG_OK)
		die(EXIT_REFUSED, "%s", err.msg);
	strcat(skey, "\n");
	strcat(vkey, "\n");
	write_new_file(key_path, skey, strlen(skey), 0600);
	sodium_memzero(skey, sizeof(skey));
	write_new_file(vkey_path, vkey, strlen(vkey), 0644);
	fputs(vkey, stdout);
	free(key_path);
	free(vkey_path);
	free(db_path);
	return 0;
}

/* ---- serve --------------------------------------------------------------- */

/* Reads the witness key, refusing one that group or others can read, and
 * returns its cosignature/v1 form (an skey of type 0x01 is accepted and
 * converted: same seed, key ID recomputed). */
static void load_key(const char *data, struct mlog_note_signer *out)
{
	char *path = join(data, WITNESS_KEY_FILE);
	char buf[MLOG_NOTE_SKEY_MAX + 2];
	struct mlog_error err = { 0, "" };
	struct mlog_note_signer parsed;
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
	if (mlog_note_signer_parse(&parsed, buf, (size_t)n, &err) != MLOG_OK)
		die(EXIT_REFUSED, "%s: %s", path, err.msg);
	sodium_memzero(buf, sizeof(buf));
	if (parsed.type == MLOG_NOTE_TYPE_COSIG_V1) {
		*out = parsed;
	} else if (mlog_note_signer_from_seed(out, parsed.name,
		MLOG_NOTE_TYPE_COSIG_V1, parsed.sk) != MLOG_OK) {
		die(EXIT_REFUSED, "%s: can't use it as a cosignature key",
			path);
	}
	mlog_note_signer_clear(&parsed);
	free(path);
}

static void parse_serve_flags(int argc, char **argv,
	struct witness_config *cfg)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "log", required_argument, NULL, 'L' },
		{ "rate", required_argument, NULL, 'r' },
		{ "burst", required_argument, NULL, 'b' },
		{ "threads", required_argument, NULL, 't' },
		{ "max-connections", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "batch-max", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mlog_error err = { 0, "" };
	int ch, idx;

	/* Pass 1: --help, and --data so that the config file is read
	 * before the flags that override it. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h")
			== 0)
			usage(NULL);
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
			free(cfg->data_dir);
			cfg->data_dir = strdup(argv[i + 1]);
		} else if (strncmp(argv[i], "--data=", 7) == 0) {
			free(cfg->data_dir);
			cfg->data_dir = strdup(argv[i] + 7);
		}
	}
	if (cfg->data_dir == NULL)
		usage("serve needs --data");
	if (witness_config_load(cfg, cfg->data_dir, &err) != MLOG_OK)
		die(EXIT_USAGE, "%s", err.msg);
	while ((ch = getopt_long(argc, argv, "", opts, &idx)) != -1) {
		if (ch == '?' || ch == ':')
			usage("unknown flag or missing value for serve");
		if (ch == 'h')
			usage(NULL);
		if (ch == 'd')
			continue;
		if (witness_config_set(cfg, opts[idx].name, optarg, &err)
			!= MLOG_OK)
			die(EXIT_USAGE, "--%s: %s", opts[idx].name, err.msg);
	}
	if (optind != argc)
		usage("serve takes no arguments besides flags");
	if (cfg->nlogs == 0)
		usage("serve needs at least one --log VKEY (flag or 'log = "
			"VKEY' in DIR/" WITNESS_CONFIG_FILE ")");
}

/* One serve per data directory: a second one would share the state
 * behind the first's back. The lock goes away with the process. */
static int lock_data_dir(const char *data)
{
	int fd = open(data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		die(EXIT_REFUSED, "can't open %s: %s", data, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0)
		die(EXIT_REFUSED, "%s is in use by another mlog-witness", data);
	return fd;
}

/* Creates each configured log's row and loads its state into the live
 * copy, through the same store calls the committer makes. */
static void load_logs(struct witness_store *s, struct witness_logs *ls)
{
	struct mlog_error err = { 0, "" };

	for (size_t i = 0; i < ls->n; i++) {
		struct witness_log *l = &ls->v[i];
		struct witness_state st;
		int64_t nev;

		if (witness_store_add_log(s, l->origin, &err) != MLOG_OK ||
		    witness_store_state(s, l->origin, &st, &err) != MLOG_OK)
			die(EXIT_REFUSED, "log %s: %s", l->origin, err.msg);
		l->size = st.size;
		l->last_cosign = st.cosigned_at;
		if (st.has_root &&
		    witness_store_cosigned(s, l->origin, st.size, NULL,
			&l->note, &l->note_len, NULL) != MLOG_OK)
			die(EXIT_REFUSED, "log %s: can't read its co-signed "
				"checkpoint at size %" PRIu64, l->origin,
				st.size);
		nev = witness_store_evidence_count(s, l->origin);
		if (nev < 0)
			die(EXIT_REFUSED, "log %s: can't count its evidence",
				l->origin);
		l->evidence_stored = (uint64_t)nev;
		if (nev > 0)
			mlogd_log("log %s: %" PRId64 " evidence records "
				"stored (see docs/witness.md)", l->origin, nev);
	}
}

static int cmd_serve(int argc, char **argv)
{
	struct witness_config cfg;
	struct witness_logs logs;
	struct witness w;
	struct witness_store *store = NULL;
	struct mlog_note_signer key;
	struct mlog_note_verifier vk;
	struct mlog_error err = { 0, "" };
	struct witness_committer_config cc;
	char vkey[MLOG_NOTE_VKEY_MAX + 1];
	char *db_path;
	sigset_t sigs;
	int sig = 0, dir_fd;

	witness_config_init(&cfg);
	witness_logs_init(&logs);
	parse_serve_flags(argc, argv, &cfg);
	for (size_t i = 0; i < cfg.nlogs; i++) {
		if (witness_logs_add(&logs, cfg.logs[i], strlen(cfg.logs[i]),
			&err) != MLOG_OK)
			die(EXIT_USAGE, "--log %s: %s", cfg.logs[i], err.msg);
	}
	if (witness_logs_seal(&logs) != MLOG_OK)
		die(EXIT_REFUSED, "couldn't set up the logs");
	dir_fd = lock_data_dir(cfg.data_dir);
	load_key(cfg.data_dir, &key);
	mlog_note_signer_verifier(&vk, &key);
	if (mlog_note_verifier_format(vkey, sizeof(vkey), &vk) < 0)
		die(EXIT_REFUSED, "can't format the witness key");

	db_path = join(cfg.data_dir, WITNESS_STORE_FILE);
	if (witness_store_open(&store, db_path, &err) != MLOG_OK)
		die(EXIT_REFUSED, "%s", err.msg);
	if (strcmp(witness_store_vkey(store), vkey) != 0)
		die(EXIT_REFUSED, "%s belongs to witness key %s, but %s/%s is "
			"%s: refusing to mix them", db_path,
			witness_store_vkey(store), cfg.data_dir,
			WITNESS_KEY_FILE, vkey);
	load_logs(store, &logs);

	memset(&w, 0, sizeof(w));
	w.cfg = &cfg;
	w.logs = &logs;
	w.rate = cfg.rate;
	w.burst = witness_config_burst(&cfg);
	w.metrics = witness_metrics_new();
	if (w.metrics == NULL)
		die(EXIT_REFUSED, "out of memory");
	pthread_mutex_init(&w.inflight_lock, NULL);

	/* Signals are taken synchronously by main only: block them before
	 * any thread starts so that every thread inherits the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	cc = (struct witness_committer_config){
		.store = store,
		.key = &key,
		.batch_max = cfg.batch_max,
		.metrics = w.metrics,
	};
	if (witness_committer_start(&w.committer, &cc, &err) != MLOG_OK)
		die(EXIT_REFUSED, "%s", err.msg);
	if (witness_http_start(&w, &err) != MLOG_OK)
		die(EXIT_REFUSED, "%s", err.msg);
	mlogd_log("witness %s serving %zu logs on %s:%u (rate %u/s, burst "
		"%u per log)", vk.name, logs.n, cfg.listen_host,
		cfg.listen_port, w.rate, w.burst);
	for (size_t i = 0; i < logs.n; i++)
		mlogd_log("log %s: %zu keys, size %" PRIu64, logs.v[i].origin,
			logs.v[i].nkeys, logs.v[i].size);

	while (sigwait(&sigs, &sig) != 0)
		;
	/* Shutdown (SPEC §6): stop accepting, answer everything begun (a
	 * suspended request is answered when its batch commits), exit 0. */
	mlogd_log("signal %d: shutting down", sig);
	witness_http_quiesce(&w);
	for (unsigned waited = 0; waited < 100 * (cfg.timeout_s + 5);
	     waited++) {
		if (witness_http_inflight(&w) == 0)
			break;
		usleep(10000);
	}
	witness_committer_stop(w.committer);
	witness_http_stop(&w);
	witness_committer_free(w.committer);
	witness_store_close(store);
	witness_metrics_free(w.metrics);
	pthread_mutex_destroy(&w.inflight_lock);
	mlog_note_signer_clear(&key);
	witness_logs_clear(&logs);
	witness_config_clear(&cfg);
	free(db_path);
	close(dir_fd);
	mlogd_log("stopped");
	return 0;
}

/* The subcommands (STYLE rule 5): one static function each. */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "init", cmd_init },
	{ "serve", cmd_serve },
};

int main(int argc, char **argv)
{
	mlogd_log_init("mlog-witness");
	if (sodium_init() < 0)
		die(EXIT_REFUSED, "libsodium failed to initialise");
	if (argc < 2)
		usage("missing command");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)
		usage(NULL);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	}
	usage("unknown command");
	return EXIT_USAGE;
}
