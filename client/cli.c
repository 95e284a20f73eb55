/*
 * cli.c — helpers shared by the mlog subcommands; see cli.h.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec.h"

void cli_usage(const char *usage, const char *fmt, ...)
{
	va_list ap;

	if (fmt == NULL) {
		fputs(usage, stdout);
		cli_flush();
		exit(CLI_EXIT_OK);
	}
	fputs("mlog: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage, stderr);
	exit(CLI_EXIT_ERROR);
}

__attribute__((format(printf, 1, 0)))
static void vwarn(const char *fmt, va_list ap, const char *errstr)
	__attribute__((format(printf, 1, 0)));

static void vwarn(const char *fmt, va_list ap, const char *errstr)
{
	fputs("mlog: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (errstr != NULL)
		fprintf(stderr, ": %s", errstr);
	fputc('\n', stderr);
}

void cli_err(const char *fmt, ...)
{
	const char *errstr = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap, errstr);
	va_end(ap);
	exit(CLI_EXIT_ERROR);
}

void cli_errx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap, NULL);
	va_end(ap);
	exit(CLI_EXIT_ERROR);
}

void cli_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap, NULL);
	va_end(ap);
}

int cli_getopt(int argc, char **argv, const struct option *opts,
	const char *usage)
{
	int ch;

	opterr = 0;
	/* ':' first: a missing argument is ':' rather than '?'. */
	ch = getopt_long(argc, argv, ":h", opts, NULL);
	if (ch == '?') {
		const char *arg = argv[optind - 1];
		const char *eq = strchr(arg, '=');

		/* A known long flag given "=value" it does not take. */
		if (optopt != 0 && strncmp(arg, "--", 2) == 0 && eq != NULL)
			cli_usage(usage, "flag %.*s takes no argument",
				(int)(eq - arg), arg);
		if (optopt != 0)
			cli_usage(usage, "unknown flag -%c", optopt);
		cli_usage(usage, "unknown flag %s", arg);
	}
	if (ch == ':')
		cli_usage(usage, "flag %s needs an argument",
			argv[optind - 1]);
	return ch;
}

enum cli_output cli_output_parse(const char *arg, unsigned accepted,
	const char *usage)
{
	static const struct {
		const char *name;
		enum cli_output fmt;
	} formats[] = {
		{ "text", CLI_OUTPUT_TEXT },
		{ "json", CLI_OUTPUT_JSON },
		{ "markdown", CLI_OUTPUT_MARKDOWN },
	};

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (strcmp(arg, formats[i].name) == 0 &&
		    (accepted & formats[i].fmt) != 0)
			return formats[i].fmt;
	}
	cli_usage(usage, "unknown --output format '%s'", arg);
}

/* Reads a non-seekable input (pipe, stdin) up to max bytes. */
static void read_stream(struct cli_file *f, int fd, size_t max)
{
	size_t cap = 65536, len = 0;
	uint8_t *buf = malloc(cap);

	if (buf == NULL)
		cli_errx("%s: out of memory", f->path);
	for (;;) {
		ssize_t n;

		if (len == cap) {
			uint8_t *nb;

			if (cap > max)
				cli_errx("%s: more than the %zu-byte limit",
					f->path, max);
			cap *= 2;
			nb = realloc(buf, cap);
			if (nb == NULL)
				cli_errx("%s: out of memory", f->path);
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			cli_err("can't read %s", f->path);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max)
		cli_errx("%s: more than the %zu-byte limit", f->path, max);
	f->buf = buf;
	f->data = len > 0 ? buf : NULL;
	f->len = len;
}

void cli_file_read(struct cli_file *f, const char *path, size_t max)
{
	struct stat st;
	int fd;

	memset(f, 0, sizeof(*f));
	f->path = path;
	if (strcmp(path, "-") == 0) {
		read_stream(f, STDIN_FILENO, max);
		return;
	}
	/* No O_NOFOLLOW: enclaves are often reached through a symlink
	 * (libfoo.so -> libfoo.so.1), and we only read. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		cli_err("can't open %s", path);
	if (fstat(fd, &st) != 0)
		cli_err("can't stat %s", path);
	if (S_ISDIR(st.st_mode))
		cli_errx("%s is a directory", path);
	if (!S_ISREG(st.st_mode)) {
		read_stream(f, fd, max);
		close(fd);
		return;
	}
	if ((unsigned long long)st.st_size > max)
		cli_errx("%s: %lld bytes, more than the %zu-byte limit", path,
			(long long)st.st_size, max);
	f->len = (size_t)st.st_size;
	if (f->len > 0) {
		/* A file truncated by someone else while mapped would raise
		 * SIGBUS; we accept that for files the user hands us, as
		 * every mmap reader does. */
		f->map = mmap(NULL, f->len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (f->map == MAP_FAILED)
			cli_err("can't map %s", path);
		f->data = f->map;
	}
	close(fd);
}

void cli_file_close(struct cli_file *f)
{
	if (f->map != NULL)
		munmap(f->map, f->len);
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

void cli_flush(void)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		cli_err("can't write to standard output");
}

void cli_json_print(json_t *j)
{
	if (json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
		cli_errx("can't write JSON to standard output");
	fputc('\n', stdout);
	json_decref(j);
	cli_flush();
}

static json_t *must(json_t *v)
{
	if (v == NULL)
		cli_errx("out of memory building JSON");
	return v;
}

void cli_json_set(json_t *obj, const char *key, json_t *value)
{
	if (json_object_set_new(obj, key, must(value)) != 0)
		cli_errx("out of memory building JSON");
}

json_t *cli_json_str(const char *s)
{
	size_t len = strlen(s);
	json_t *v;
	char *copy;

	if (mlog_codec_utf8_valid(s, len))
		return must(json_string(s));
	/* A file name need not be UTF-8; JSON strings must be. Show the
	 * bytes that are not as '?' rather than failing. */
	copy = strdup(s);
	if (copy == NULL)
		cli_errx("out of memory");
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)copy[i] >= 0x80)
			copy[i] = '?';
	}
	v = must(json_string(copy));
	free(copy);
	return v;
}

json_t *cli_json_int(long long v)
{
	return must(json_integer(v));
}

json_t *cli_json_hex(const uint8_t *p, size_t n)
{
	char *s = cli_hex(p, n);
	json_t *v = cli_json_str(s);

	free(s);
	return v;
}

char *cli_hex(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);

	if (s == NULL)
		cli_errx("out of memory");
	mlog_codec_hex_encode(s, p, n);
	return s;
}
