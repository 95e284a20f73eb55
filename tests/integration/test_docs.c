/*
 * test_docs.c — keeps the documentation true (docs/building.md
 * "Documentation checks"). Every `mlog`, `mlogd` and `mlog-witness`
 * command line in README.md and the .md files of docs/ must name a
 * subcommand the program has and use only flags its --help lists; every
 * key of a documented mlogd.conf or mlog-witness.conf must be a `serve`
 * flag; and every relative link must lead to a file that exists and,
 * with "#anchor", to a heading it has (GitHub's anchor rules). A renamed
 * or removed flag, file or section fails this test until the documents
 * follow.
 *
 * What counts as a command line:
 *  (1) in a fenced code block, or a line indented by 4 or more spaces: a
 *      line whose first word (after an optional "$ " prompt, "sudo -u
 *      USER", VAR=value words or an "ExecStart=" prefix) is one of the
 *      programs, by its base name (build-release/server/mlogd counts);
 *      a line ending in '\' continues on the next, and so does a more
 *      indented next line starting with '-', '[', '(' or '|' (the
 *      synopses of docs/cli.md);
 *  (2) in prose and tables: an inline code span starting with a program
 *      and at least one more word ("\|" in tables reads as "|").
 * The command ends at a shell operator outside brackets (" | ", ">",
 * ";", "&&", "&"), so the flags of grep in `mlog … | grep -E …` are not
 * taken for mlog's. Words in capitals (COMMAND) are placeholders. A flag
 * is "--" and the [a-z0-9-] characters after it; `--rtmr0..3` in a usage
 * text stands for --rtmr0 to --rtmr3 and `--pcr0..2,8` for --pcr0 to
 * --pcr2 and --pcr8.
 *
 * Binaries come from $MLOG_BIN, $MLOGD_BIN and $MLOG_WITNESS_BIN, the
 * documents from $MLOG_SOURCE_ROOT (all set by meson). The checker
 * itself is tested first on small documents with known mistakes, so that
 * an extractor that finds nothing cannot pass.
 */
#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "support.h"

extern char **environ;

static void init(void)
{
	signal(SIGPIPE, SIG_IGN);
}

TestSuite(docs, .init = init, .timeout = 120);

#define MAX_HELP 32
#define MAX_WORDS 256

/* One program's --help text for one subcommand ("" for none). */
struct help {
	char prog[16];
	char sub[32];
	char *text;
};

struct checker {
	struct help cache[MAX_HELP];
	size_t ncache;
	char *report;           /* one line per problem */
	size_t report_len;
	size_t ncommands;       /* command lines checked */
	size_t nkeys;           /* config keys checked */
	size_t nlinks;          /* relative links checked */
	size_t nproblems;
};

/* ---- running the programs --------------------------------------------- */

static const char *bin_of(const char *prog)
{
	const char *var = strcmp(prog, "mlog") == 0 ? "MLOG_BIN" :
		strcmp(prog, "mlogd") == 0 ? "MLOGD_BIN" : "MLOG_WITNESS_BIN";
	const char *v = getenv(var);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Runs argv (argv[0] is the binary) and returns its stdout (malloc'd). */
static char *capture(char *const *argv)
{
	posix_spawn_file_actions_t fa;
	int fds[2], status;
	char *out = NULL;
	size_t len = 0;
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	cr_assert_eq(posix_spawn_file_actions_init(&fa), 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
	cr_assert_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0,
		"can't run %s", argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	for (;;) {
		char buf[4096];
		ssize_t n = read(fds[0], buf, sizeof(buf));
		char *grown;

		if (n <= 0)
			break;
		grown = realloc(out, len + (size_t)n + 1);
		cr_assert_not_null(grown);
		out = grown;
		memcpy(out + len, buf, (size_t)n);
		len += (size_t)n;
	}
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	if (out == NULL) {
		out = strdup("");
		cr_assert_not_null(out);
	}
	out[len] = '\0';
	return out;
}

/* The help text of prog (sub "" for the program's own). NULL when the
 * program's binary is not configured. */
static const char *help_of(struct checker *c, const char *prog,
	const char *sub)
{
	char *argv[4];
	const char *bin = bin_of(prog);
	struct help *h;

	for (size_t i = 0; i < c->ncache; i++) {
		if (strcmp(c->cache[i].prog, prog) == 0 &&
		    strcmp(c->cache[i].sub, sub) == 0)
			return c->cache[i].text;
	}
	if (bin == NULL)
		return NULL;
	cr_assert_lt(c->ncache, MAX_HELP);
	h = &c->cache[c->ncache++];
	snprintf(h->prog, sizeof(h->prog), "%s", prog);
	snprintf(h->sub, sizeof(h->sub), "%s", sub);
	argv[0] = (char *)bin;
	if (sub[0] != '\0') {
		argv[1] = (char *)sub;
		argv[2] = "--help";
		argv[3] = NULL;
	} else {
		argv[1] = "--help";
		argv[2] = NULL;
	}
	h->text = capture(argv);
	cr_assert_neq(h->text[0], '\0', "%s %s --help printed nothing", prog,
		sub);
	return h->text;
}

static void checker_clear(struct checker *c)
{
	for (size_t i = 0; i < c->ncache; i++)
		free(c->cache[i].text);
	free(c->report);
	memset(c, 0, sizeof(*c));
}

__attribute__((format(printf, 4, 5)))
static void problem(struct checker *c, const char *file, int line,
	const char *fmt, ...)
{
	char msg[1024];
	int n;
	va_list ap;
	char *grown;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = snprintf(NULL, 0, "%s:%d: %s\n", file, line, msg);
	grown = realloc(c->report, c->report_len + (size_t)n + 1);
	cr_assert_not_null(grown);
	c->report = grown;
	snprintf(c->report + c->report_len, (size_t)n + 1, "%s:%d: %s\n", file,
		line, msg);
	c->report_len += (size_t)n;
	c->nproblems++;
}

/* ---- what a help text offers --------------------------------------------- */

static int flag_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-';
}

/* Does help list flag (e.g. "--policy")? Either as a word of its own, or
 * inside a range such as --rtmr0..3 or --pcr0..2,8. */
static int help_has_flag(const char *help, const char *flag)
{
	size_t fl = strlen(flag);

	for (const char *p = strstr(help, "--"); p != NULL;
	     p = strstr(p + 2, "--")) {
		size_t n = 2, stem;
		long lo, hi;
		char *end;

		while (flag_char(p[n]))
			n++;
		if (n == fl && strncmp(p, flag, fl) == 0)
			return 1;
		/* A range: "--name" digits ".." digits ("," digits)*. */
		stem = n;
		while (stem > 2 && isdigit((unsigned char)p[stem - 1]))
			stem--;
		if (stem == n || stem == 2 || strncmp(p + n, "..", 2) != 0 ||
		    fl <= stem || strncmp(p, flag, stem) != 0)
			continue;
		for (size_t i = stem; i < fl; i++) {
			if (!isdigit((unsigned char)flag[i]))
				goto next;
		}
		{
			long want = strtol(flag + stem, NULL, 10);

			lo = strtol(p + stem, NULL, 10);
			hi = strtol(p + n + 2, &end, 10);
			if (want >= lo && want <= hi)
				return 1;
			while (*end == ',') {
				long one = strtol(end + 1, &end, 10);

				if (one == want)
					return 1;
			}
		}
next:
		;
	}
	return 0;
}

/* The subcommands a program's help lists. mlog: the "commands:" section
 * ("  name   summary"); mlogd, mlog-witness: the word after the program
 * name on each usage line. */
static int help_has_sub(const char *help, const char *prog, const char *sub)
{
	size_t sl = strlen(sub), pl = strlen(prog);
	const char *p;

	if (strcmp(prog, "mlog") == 0) {
		p = strstr(help, "commands:\n");
		if (p == NULL)
			return 0;
		for (p = strchr(p, '\n'); p != NULL; p = strchr(p + 1, '\n')) {
			const char *w = p + 1;

			while (*w == ' ')
				w++;
			if (w > p + 1 && strncmp(w, sub, sl) == 0 &&
			    (w[sl] == ' ' || w[sl] == '\n'))
				return 1;
		}
		return 0;
	}
	for (p = help; p != NULL; p = strchr(p, '\n')) {
		const char *w;

		if (*p == '\n')
			p++;
		w = p;
		if (strncmp(w, "usage:", 6) == 0)
			w += 6;
		while (*w == ' ')
			w++;
		if (strncmp(w, prog, pl) != 0 || w[pl] != ' ')
			continue;
		w += pl;
		while (*w == ' ')
			w++;
		if (strncmp(w, sub, sl) == 0 && (w[sl] == ' ' || w[sl] == '\n'))
			return 1;
	}
	return 0;
}

/* ---- one command line ---------------------------------------------------- */

/* Splits s into words (quotes removed, "\|" as "|"). Returns the count. */
static size_t split_words(char *buf, size_t cap, char **words,
	const char *s)
{
	size_t n = 0, o = 0;

	while (*s != '\0' && n < MAX_WORDS) {
		char quote = 0;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		words[n++] = buf + o;
		while (*s != '\0' &&
		       (quote != 0 || (*s != ' ' && *s != '\t'))) {
			if (quote == 0 && (*s == '\'' || *s == '"')) {
				quote = *s++;
				continue;
			}
			if (quote != 0 && *s == quote) {
				quote = 0;
				s++;
				continue;
			}
			if (quote == 0 && s[0] == '\\' && s[1] == '|')
				s++;
			cr_assert_lt(o + 2, cap);
			buf[o++] = *s++;
		}
		buf[o++] = '\0';
	}
	return n;
}

static const char *base_name(const char *w)
{
	const char *slash = strrchr(w, '/');

	return slash != NULL ? slash + 1 : w;
}

static const char *program_of(const char *w)
{
	static const char *const progs[] = { "mlog", "mlogd", "mlog-witness" };
	const char *b = base_name(w);

	if (strchr(w, '=') != NULL)         /* ReadWritePaths=/var/lib/mlog */
		return NULL;
	for (size_t i = 0; i < 3; i++) {
		if (strcmp(b, progs[i]) == 0)
			return progs[i];
	}
	return NULL;
}

/* An environment assignment, NAME=value with NAME [A-Z_][A-Z0-9_]*. */
static int is_assignment(const char *w)
{
	const char *eq = strchr(w, '=');

	if (eq == NULL || eq == w)
		return 0;
	for (const char *p = w; p < eq; p++) {
		if (!(isupper((unsigned char)*p) || *p == '_' ||
		    (p > w && isdigit((unsigned char)*p))))
			return 0;
	}
	return 1;
}

/* Index of the program word in words, or -1: skips a "$" prompt, sudo
 * (and exec, env, time) with their options, NAME=value words, and strips
 * a systemd "Exec…=" prefix. */
static int find_program(char **words, size_t n)
{
	size_t i = 0;

	while (i < n && i < 16) {
		char *eq = strchr(words[i], '=');

		if (program_of(words[i]) != NULL)
			return (int)i;
		if (eq != NULL && strncmp(words[i], "Exec", 4) == 0 &&
		    program_of(eq + 1) != NULL) {
			memmove(words[i], eq + 1, strlen(eq + 1) + 1);
			return (int)i;
		}
		if (strcmp(words[i], "$") == 0 || is_assignment(words[i])) {
			i++;
			continue;
		}
		if (strcmp(words[i], "sudo") != 0 &&
		    strcmp(words[i], "exec") != 0 &&
		    strcmp(words[i], "env") != 0 &&
		    strcmp(words[i], "time") != 0)
			return -1;
		for (i++; i < n && words[i][0] == '-'; i++) {
			if ((strcmp(words[i], "-u") == 0 ||
			    strcmp(words[i], "-g") == 0) && i + 1 < n)
				i++;
		}
	}
	return -1;
}

static int is_placeholder(const char *w)
{
	int upper = 0;

	for (const char *p = w; *p != '\0'; p++) {
		if (islower((unsigned char)*p))
			return 0;
		if (isupper((unsigned char)*p))
			upper = 1;
	}
	return upper;
}

static int is_operator(const char *w)
{
	static const char *const ops[] = {
		"|", "||", "&&", "&", ";", ">", ">>", "<", "2>", "2>&1",
		"2>/dev/null", ">/dev/null",
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(w, ops[i]) == 0)
			return 1;
	}
	return w[0] == '>' || w[0] == '<' || strncmp(w, "2>", 2) == 0;
}

/* Checks one command line; returns 1 if it was a command. */
static int check_command(struct checker *c, const char *file, int line,
	const char *text)
{
	char buf[8192], *words[MAX_WORDS];
	const char *prog, *help, *sub = "";
	size_t n, i;
	int at, depth = 0;

	if (strlen(text) >= sizeof(buf) / 2)
		return 0;
	n = split_words(buf, sizeof(buf), words, text);
	at = find_program(words, n);
	if (at < 0 || (size_t)at + 1 >= n)
		return 0;
	prog = program_of(words[at]);
	i = (size_t)at + 1;
	if (words[i][0] != '-' && !is_placeholder(words[i]) &&
	    strchr(words[i], '|') == NULL) {
		sub = words[i];
		help = help_of(c, prog, "");
		if (help == NULL)
			return 0;
		if (!help_has_sub(help, prog, sub)) {
			c->ncommands++;
			problem(c, file, line, "%s has no subcommand '%s' (%s)",
				prog, sub, text);
			return 1;
		}
		i++;
	} else if (words[i][0] != '-') {
		i++;            /* COMMAND, build|sbom|approval, ... */
	}
	help = help_of(c, prog, sub);
	if (help == NULL)
		return 0;
	c->ncommands++;
	for (; i < n; i++) {
		const char *w = words[i];
		char flag[64];
		size_t fl = 0;

		if (depth == 0 && is_operator(w))
			break;
		for (const char *p = w; *p != '\0'; p++) {
			if (*p == '[' || *p == '(')
				depth++;
			else if ((*p == ']' || *p == ')') && depth > 0)
				depth--;
		}
		while (*w == '[' || *w == '(')
			w++;
		if (strncmp(w, "--", 2) != 0)
			continue;
		while (fl < sizeof(flag) - 1 && (fl < 2 || flag_char(w[fl]))) {
			flag[fl] = w[fl];
			fl++;
		}
		flag[fl] = '\0';
		/* Every program takes --help (SPEC §6). */
		if (fl <= 2 || strcmp(flag, "--help") == 0)
			continue;
		if (!help_has_flag(help, flag))
			problem(c, file, line, "%s%s%s --help does not list %s "
				"(%s)", prog, sub[0] != '\0' ? " " : "", sub,
				flag, text);
	}
	return 1;
}

/* ---- finding command lines in Markdown -------------------------------- */

static size_t indent_of(const char *l)
{
	size_t n = 0;

	for (; *l == ' ' || *l == '\t'; l++)
		n += *l == '\t' ? 8 : 1;
	return n;
}

/* Lines of md as a NULL-terminated array of malloc'd strings. */
static char **split_lines(const char *md, size_t *count)
{
	size_t n = 0, cap = 64;
	char **v = malloc(cap * sizeof(*v));

	cr_assert_not_null(v);
	while (*md != '\0') {
		const char *nl = strchr(md, '\n');
		size_t len = nl != NULL ? (size_t)(nl - md) : strlen(md);

		if (n + 1 >= cap) {
			cap *= 2;
			v = realloc(v, cap * sizeof(*v));
			cr_assert_not_null(v);
		}
		v[n] = strndup(md, len);
		cr_assert_not_null(v[n]);
		n++;
		md += len + (nl != NULL);
	}
	v[n] = NULL;
	*count = n;
	return v;
}

/* A code line that starts a command: the joined command, or NULL.
 * Advances *k over continuation lines. */
static char *code_command(char **lines, size_t count, size_t *k)
{
	const char *l = lines[*k];
	size_t ind = indent_of(l), len, cap;
	char words[8192], *w[MAX_WORDS], *out;
	size_t n;

	while (*l == ' ' || *l == '\t')
		l++;
	if (strncmp(l, "$ ", 2) == 0)
		l += 2;
	if (strlen(l) >= sizeof(words) / 2)
		return NULL;
	n = split_words(words, sizeof(words), w, l);
	if (find_program(w, n) < 0)
		return NULL;
	cap = strlen(l) + 1;
	out = malloc(cap);
	cr_assert_not_null(out);
	memcpy(out, l, cap);
	for (;;) {
		const char *next;

		len = strlen(out);
		while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '\t'))
			out[--len] = '\0';
		if (*k + 1 >= count)
			break;
		next = lines[*k + 1];
		if (len > 0 && out[len - 1] == '\\') {
			out[--len] = '\0';
		} else {
			const char *t = next;

			while (*t == ' ' || *t == '\t')
				t++;
			if (indent_of(next) <= ind || strchr("-[(|", *t) ==
			    NULL || *t == '\0')
				break;
		}
		(*k)++;
		while (*next == ' ' || *next == '\t')
			next++;
		cap = len + strlen(next) + 2;
		out = realloc(out, cap);
		cr_assert_not_null(out);
		snprintf(out + len, cap - len, " %s", next);
	}
	return out;
}

/* `key = value` lines of a config block: each key must be a serve flag. */
static void check_conf_line(struct checker *c, const char *file, int line,
	const char *prog, const char *l)
{
	char key[64], flag[70];
	size_t n = 0;
	const char *help;

	while (*l == ' ' || *l == '\t')
		l++;
	if (*l == '#' || *l == '\0' || strchr(l, '=') == NULL)
		return;
	while (n < sizeof(key) - 1 && (flag_char(l[n]) || l[n] == '_'))
		n++;
	memcpy(key, l, n);
	key[n] = '\0';
	help = help_of(c, prog, "serve");
	if (help == NULL || n == 0)
		return;
	c->nkeys++;
	snprintf(flag, sizeof(flag), "--%s", key);
	if (!help_has_flag(help, flag))
		problem(c, file, line, "%s serve --help does not list %s, the "
			"config key '%s'", prog, flag, key);
}

static void check_spans(struct checker *c, const char *file, int line,
	const char *l)
{
	for (const char *p = strchr(l, '`'); p != NULL;) {
		const char *end = strchr(p + 1, '`');
		char *span;

		if (end == NULL)
			break;
		span = strndup(p + 1, (size_t)(end - p - 1));
		cr_assert_not_null(span);
		check_command(c, file, line, span);
		free(span);
		p = strchr(end + 1, '`');
	}
}

/* Prose is checked a paragraph at a time, so that an inline code span
 * may run over a line break. */
struct para {
	char *text;
	size_t len;
	int line;               /* of its first line */
};

static void para_add(struct para *p, const char *l, int line)
{
	size_t n = strlen(l);
	char *grown = realloc(p->text, p->len + n + 2);

	cr_assert_not_null(grown);
	p->text = grown;
	if (p->len == 0)
		p->line = line;
	else
		p->text[p->len++] = ' ';
	memcpy(p->text + p->len, l, n + 1);
	p->len += n;
}

static void para_flush(struct checker *c, const char *file, struct para *p)
{
	if (p->len > 0)
		check_spans(c, file, p->line, p->text);
	p->len = 0;
}

/* Whose config file a ```conf block starting at lines[k] shows: the
 * witness's if the block names mlog-witness.conf, else mlogd's. */
static const char *conf_program(char **lines, size_t k)
{
	for (; lines[k] != NULL && strncmp(lines[k], "```", 3) != 0; k++) {
		if (strstr(lines[k], "mlog-witness.conf") != NULL)
			return "mlog-witness";
	}
	return "mlogd";
}

/* Checks every command line of one Markdown document. */
static void check_markdown(struct checker *c, const char *file,
	const char *md)
{
	size_t count = 0;
	char **lines = split_lines(md, &count);
	struct para para = { NULL, 0, 0 };
	int fenced = 0;
	const char *conf_prog = NULL;

	for (size_t k = 0; k < count; k++) {
		const char *l = lines[k], *t = l;
		char *cmd;
		size_t start = k;

		while (*t == ' ')
			t++;
		if (strncmp(t, "```", 3) == 0) {
			para_flush(c, file, &para);
			fenced = !fenced;
			conf_prog = NULL;
			if (fenced && strncmp(t + 3, "conf", 4) == 0)
				conf_prog = conf_program(lines, k + 1);
			continue;
		}
		if (conf_prog != NULL) {
			check_conf_line(c, file, (int)k + 1, conf_prog, l);
			continue;
		}
		if (fenced || (indent_of(l) >= 4 && para.len == 0)) {
			cmd = code_command(lines, count, &k);
			if (cmd != NULL) {
				check_command(c, file, (int)start + 1, cmd);
				free(cmd);
			}
			continue;
		}
		if (*t == '\0') {
			para_flush(c, file, &para);
			continue;
		}
		para_add(&para, t, (int)k + 1);
	}
	para_flush(c, file, &para);
	free(para.text);
	for (size_t k = 0; k < count; k++)
		free(lines[k]);
	free(lines);
}

/* ---- links between the documents ----------------------------------------- */

/*
 * GitHub's heading anchors: the heading's text (after the #s) with HTML
 * entities &lt; &gt; &amp; decoded, lowercased, every character but
 * letters, digits, '-', '_' and spaces dropped (non-ASCII bytes too: our
 * headings use them only for punctuation such as "—" and "§"), spaces
 * turned into '-'. A repeated anchor gets "-1", "-2", ...
 */
static void slug_of(char *out, size_t cap, const char *h)
{
	size_t o = 0;

	for (const char *p = h; *p != '\0' && o + 1 < cap; p++) {
		unsigned char ch = (unsigned char)*p;

		if (strncmp(p, "&lt;", 4) == 0 || strncmp(p, "&gt;", 4) == 0) {
			p += 3;
			continue;
		}
		if (strncmp(p, "&amp;", 5) == 0) {
			p += 4;
			continue;
		}
		if (isalnum(ch) || ch == '-' || ch == '_')
			out[o++] = (char)tolower(ch);
		else if (ch == ' ')
			out[o++] = '-';
	}
	out[o] = '\0';
}

/* The anchors of md, one per line in a malloc'd string ("\nslug\n..."). */
static char *anchors_of(const char *md)
{
	size_t count = 0, len = 1, cap = 256;
	char **lines = split_lines(md, &count);
	char *out = malloc(cap);
	int fenced = 0;

	cr_assert_not_null(out);
	out[0] = '\n';
	out[1] = '\0';
	for (size_t k = 0; k < count; k++) {
		const char *l = lines[k], *t = l;
		char slug[256], uniq[300], probe[310];
		int level = 0;

		while (*t == ' ')
			t++;
		if (strncmp(t, "```", 3) == 0)
			fenced = !fenced;
		while (l[level] == '#')
			level++;
		if (fenced || level == 0 || level > 6 || l[level] != ' ')
			continue;
		slug_of(slug, sizeof(slug), l + level + 1);
		snprintf(uniq, sizeof(uniq), "%s", slug);
		for (int i = 1;; i++) {
			snprintf(probe, sizeof(probe), "\n%s\n", uniq);
			if (strstr(out, probe) == NULL)
				break;
			snprintf(uniq, sizeof(uniq), "%s-%d", slug, i);
		}
		if (len + strlen(uniq) + 2 >= cap) {
			cap = 2 * cap + strlen(uniq) + 2;
			out = realloc(out, cap);
			cr_assert_not_null(out);
		}
		len += (size_t)snprintf(out + len, cap - len, "%s\n", uniq);
	}
	for (size_t k = 0; k < count; k++)
		free(lines[k]);
	free(lines);
	return out;
}

/* Reads a whole file, or NULL if it does not exist or is not a file. */
static char *read_if_exists(const char *path)
{
	struct stat st;
	size_t len = 0;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return NULL;
	return test_read_file(path, &len);
}

/* One link target of root/dir/file at line: a file, "#anchor" or
 * "file#anchor". */
static void check_link(struct checker *c, const char *root,
	const char *dir, const char *file, int line, const char *target)
{
	const char *hash = strchr(target, '#');
	char path[1200], want[300], *doc, *anchors;
	int plen = hash != NULL ? (int)(hash - target) : (int)strlen(target);

	c->nlinks++;
	if (plen == 0)
		snprintf(path, sizeof(path), "%s/%s", root, file);
	else
		snprintf(path, sizeof(path), "%s/%s%.*s", root, dir, plen,
			target);
	doc = read_if_exists(path);
	if (doc == NULL) {
		problem(c, file, line, "link to %s: no such file", target);
		return;
	}
	if (hash != NULL && hash[1] != '\0') {
		anchors = anchors_of(doc);
		snprintf(want, sizeof(want), "\n%s\n", hash + 1);
		if (strstr(anchors, want) == NULL)
			problem(c, file, line, "link to %s: no such heading",
				target);
		free(anchors);
	}
	free(doc);
}

/*
 * Every relative link of the document at root/file ([text](target),
 * outside code blocks) must name a file that exists and, for
 * "doc.md#anchor" or "#anchor", a heading that document has.
 */
static void check_links(struct checker *c, const char *root,
	const char *file, const char *md)
{
	size_t count = 0;
	char **lines = split_lines(md, &count);
	char dir[512];
	const char *slash = strrchr(file, '/');
	int fenced = 0;

	snprintf(dir, sizeof(dir), "%.*s", slash != NULL ?
		(int)(slash - file + 1) : 0, file);
	for (size_t k = 0; k < count; k++) {
		const char *t = lines[k];

		while (*t == ' ')
			t++;
		if (strncmp(t, "```", 3) == 0)
			fenced = !fenced;
		if (fenced)
			continue;
		for (const char *p = strstr(lines[k], "]("); p != NULL;
		     p = strstr(p + 2, "](")) {
			const char *end = strchr(p + 2, ')');
			char target[512];
			size_t n;

			if (end == NULL)
				continue;
			n = (size_t)(end - p - 2);
			if (n >= sizeof(target))
				continue;
			memcpy(target, p + 2, n);
			target[n] = '\0';
			if (strstr(target, "://") != NULL ||
			    strncmp(target, "mailto:", 7) == 0 ||
			    strchr(target, ' ') != NULL)
				continue;
			check_link(c, root, dir, file, (int)k + 1, target);
		}
	}
	for (size_t k = 0; k < count; k++)
		free(lines[k]);
	free(lines);
}

/* ---- the checker on known inputs ------------------------------------- */

static void require_bins(void)
{
	cr_assert_not_null(bin_of("mlog"), "MLOG_BIN is not set");
	cr_assert_not_null(bin_of("mlogd"), "MLOGD_BIN is not set");
}

/* Runs the checker on md; returns the number of problems, and the number
 * of command lines checked in *ncommands. */
static size_t run_checker(const char *md, size_t *ncommands, char **report)
{
	struct checker c;
	size_t n;

	memset(&c, 0, sizeof(c));
	check_markdown(&c, "t.md", md);
	n = c.nproblems;
	*ncommands = c.ncommands + c.nkeys;
	*report = c.report != NULL ? strdup(c.report) : strdup("");
	checker_clear(&c);
	return n;
}

struct probe {
	const char *what;
	const char *md;
	size_t problems;        /* expected */
	size_t commands;        /* expected command lines + config keys */
	const char *mentions;   /* the report names this (or NULL) */
};

static const struct probe probes[] = {
	{ "clean fenced command",
	  "```sh\n$ mlog verify x.tlogproof --policy p.txt\n```\n", 0, 1,
	  NULL },
	{ "misspelt flag",
	  "```sh\n$ mlog verify x.tlogproof --polcy p.txt\n```\n", 1, 1,
	  "--polcy" },
	{ "flag of another subcommand",
	  "```\nmlog verify x --ticket CHG-1\n```\n", 1, 1, "--ticket" },
	{ "unknown subcommand in prose",
	  "Run `mlog frobnicate --now` first.\n", 1, 1, "frobnicate" },
	{ "backslash continuation",
	  "    mlogd serve --data D \\\n        --no-such-flag 1\n", 1, 1,
	  "--no-such-flag" },
	{ "synopsis continuation without backslash",
	  "    mlog prove inclusion --index I\n        [--bogus X]\n", 1, 1,
	  "--bogus" },
	{ "continuation ends at a less indented line",
	  "    mlog prove inclusion --index I\n--bogus\n", 0, 1, NULL },
	{ "grep's flags are grep's",
	  "```\n$ mlog measure a.sig | grep --count x\n```\n", 0, 1, NULL },
	{ "bracketed alternatives are not a pipe",
	  "    mlog prove inclusion (--index I | --entry E) [--bogus2]\n", 1,
	  1, "--bogus2" },
	{ "table cell with escaped pipes",
	  "| `mlog diff OLD NEW --output text\\|json\\|yaml` | x |\n", 0, 1,
	  NULL },
	{ "placeholders are not subcommands",
	  "`mlog COMMAND --help` prints one command's usage.\n", 0, 1, NULL },
	{ "flag ranges of a usage text",
	  "```\nmlog publish build --rtmr2 H --pcr8 H --pcr3 H\n```\n", 1, 1,
	  "--pcr3" },
	{ "paths and sudo",
	  "    sudo -u mlog build-release/server/mlogd init --data D "
	  "--origin O --bogus3\n", 1, 1, "--bogus3" },
	{ "systemd ExecStart",
	  "```ini\nExecStart=/usr/local/bin/mlogd serve --data /x --bogus4\n"
	  "```\n", 1, 1, "--bogus4" },
	{ "config keys",
	  "```conf\n# mlogd.conf\nlisten = 127.0.0.1:1\nbogus-key = 1\n```\n",
	  1, 2, "bogus-key" },
	{ "a span over a line break",
	  "Run `mlog verify x.tlogproof\n--polcy p` now.\n", 1, 1,
	  "--polcy" },
	{ "systemd keys are not commands",
	  "```ini\nDescription=mlog transparency log (mlogd)\n```\n", 0, 0,
	  NULL },
	{ "systemd paths are not commands",
	  "```ini\nReadWritePaths=/var/lib/mlog /srv/mlog-mirror\n```\n", 0,
	  0, NULL },
	{ "not a program",
	  "```\n$ mlogdx serve --bogus\n$ echo mlog --bogus\n```\n"
	  "See `docs/mlogd.md` and `mlog`.\n", 0, 0, NULL },
};

/* Each probe in turn (a plain loop: Criterion's parameterized tests copy
 * their parameters into another process, where these pointers would not
 * hold). */
Test(docs, checker_probes)
{
	require_bins();
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		const struct probe *p = &probes[i];
		size_t ncommands = 0, n;
		char *report = NULL;

		n = run_checker(p->md, &ncommands, &report);
		cr_expect_eq(n, p->problems, "%s: %zu problems, want %zu:\n%s",
			p->what, n, p->problems, report);
		cr_expect_eq(ncommands, p->commands, "%s: %zu commands, want "
			"%zu", p->what, ncommands, p->commands);
		if (p->mentions != NULL)
			cr_expect_not_null(strstr(report, p->mentions),
				"%s: report does not name %s:\n%s", p->what,
				p->mentions, report);
		free(report);
	}
}

static void write_text_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "can't create %s", path);
	cr_assert_eq(fputs(text, f) >= 0, 1);
	cr_assert_eq(fclose(f), 0);
}

/* Links: files that exist, GitHub's anchors (punctuation dropped,
 * entities decoded, duplicates numbered), code blocks and URLs skipped. */
Test(docs, link_checker)
{
	char dir[] = "/tmp/mlog-docs-test-XXXXXX", path[128];
	struct checker c;
	size_t len = 0;
	char *md;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.md", dir);
	write_text_file(path,
		"# Title\n"
		"## Some — Thing (SPEC §2)\n"
		"### GET /&lt;hex&gt;/checkpoint\n"
		"## Dup\n"
		"## Dup\n"
		"See [x](b.md), [y](b.md#missing), [z](#some--thing-spec-2),\n"
		"[w](#get-hexcheckpoint), [d](#dup-1), [n](nofile.md),\n"
		"[u](https://example.com/a#b).\n"
		"```\n[in code](nofile2.md)\n```\n");
	snprintf(path, sizeof(path), "%s/b.md", dir);
	write_text_file(path, "# B\n");
	memset(&c, 0, sizeof(c));
	snprintf(path, sizeof(path), "%s/a.md", dir);
	md = test_read_file(path, &len);
	check_links(&c, dir, "a.md", md);
	free(md);
	cr_expect_eq(c.nlinks, 6, "%zu links", c.nlinks);
	cr_expect_eq(c.nproblems, 2, "%s", c.report != NULL ? c.report : "");
	cr_expect_not_null(c.report != NULL ? strstr(c.report,
		"b.md#missing: no such heading") : NULL);
	cr_expect_not_null(c.report != NULL ? strstr(c.report,
		"nofile.md: no such file") : NULL);
	checker_clear(&c);
	snprintf(path, sizeof(path), "%s/a.md", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/b.md", dir);
	unlink(path);
	rmdir(dir);
}

/* ---- the real documents ------------------------------------------------ */

static int md_name(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 3 && strcmp(e->d_name + n - 3, ".md") == 0;
}

Test(docs, every_documented_command_uses_real_flags)
{
	const char *root = getenv("MLOG_SOURCE_ROOT");
	struct checker c;
	struct dirent **names = NULL;
	char path[4096];
	size_t len = 0, files = 0;
	char *md;
	int n;

	require_bins();
	cr_assert(root != NULL && root[0] != '\0',
		"MLOG_SOURCE_ROOT is not set");
	memset(&c, 0, sizeof(c));
	snprintf(path, sizeof(path), "%s/README.md", root);
	md = test_read_file(path, &len);
	check_markdown(&c, "README.md", md);
	check_links(&c, root, "README.md", md);
	free(md);
	files++;
	snprintf(path, sizeof(path), "%s/docs", root);
	n = scandir(path, &names, md_name, alphasort);
	cr_assert_geq(n, 1, "no documents in %s", path);
	for (int i = 0; i < n; i++) {
		char rel[300];

		snprintf(path, sizeof(path), "%s/docs/%s", root,
			names[i]->d_name);
		snprintf(rel, sizeof(rel), "docs/%s", names[i]->d_name);
		md = test_read_file(path, &len);
		check_markdown(&c, rel, md);
		check_links(&c, root, rel, md);
		free(md);
		free(names[i]);
		files++;
	}
	free(names);
	if (bin_of("mlog-witness") == NULL)
		cr_log_warn("MLOG_WITNESS_BIN is not set: mlog-witness command "
			"lines were not checked");
	cr_log_info("%zu documents, %zu command lines, %zu config keys, "
		"%zu links checked", files, c.ncommands, c.nkeys, c.nlinks);
	/* The documents hold well over a hundred command lines; far fewer
	 * means the extractor broke, not that the documents are right. */
	cr_assert_geq(c.ncommands, 100, "only %zu command lines found",
		c.ncommands);
	cr_assert_geq(c.nlinks, 50, "only %zu links found", c.nlinks);
	cr_assert_eq(c.nproblems, 0, "%zu problems in the documents (command "
		"lines that do not match the programs, broken links):\n%s",
		c.nproblems,
		c.report != NULL ? c.report : "");
	checker_clear(&c);
}
