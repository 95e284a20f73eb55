/*
 * test_cli_enclave.c — process-level tests of `mlog measure`, `mlog diff`
 * and `mlog keygen`: the built binary ($MLOG_BIN, set by meson) is run with
 * fork/exec, and its exit code, stdout and stderr are checked.
 *
 * Covered: --help on the program and each subcommand; bad flags, missing
 * and extra arguments (usage on stderr, exit 2); measure of the three real
 * samples in text and JSON against samples/sgx/README.md, from a file and
 * from stdin, and of broken files (exit 2); --require-valid (exit 1 on a
 * bad signature); the README's "Expected diff" byte for byte; diff of a
 * DEBUG-only pair signed here (the "!! DEBUG turned ON" alert in all three
 * formats); a non-decimal DATE shown raw; an ELF against the raw
 * SIGSTRUCT it carries (same, exit 0); every signed SIGSTRUCT byte changed
 * and re-signed is reported as a difference; keygen for Ed25519 and P-256
 * (modes, keyid against OpenSSL, sign/verify round trip, refusal to
 * overwrite).
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sgxsynth.h"
#include "support.h"

static void init(void)
{
	cr_assert_geq(sodium_init(), 0);
	signal(SIGPIPE, SIG_IGN);
}

TestSuite(cli_enclave, .init = init, .timeout = 300);

struct run {
	int code;               /* exit code; 128 + signal if killed */
	char *out, *err;        /* NUL-terminated, caller frees */
	size_t out_len, err_len;
};

static const char *mlog_bin(void)
{
	const char *bin = getenv("MLOG_BIN");

	cr_assert(bin != NULL && bin[0] != '\0', "MLOG_BIN is not set");
	return bin;
}

static void append(char **buf, size_t *len, const char *p, size_t n)
{
	char *nb = realloc(*buf, *len + n + 1);

	cr_assert_not_null(nb);
	memcpy(nb + *len, p, n);
	*len += n;
	nb[*len] = '\0';
	*buf = nb;
}

/* Runs mlog with args (NULL-terminated), in dir cwd (NULL: here), with
 * in[0..in_len) on stdin. */
static void run_in(struct run *r, const char *cwd, const char *in,
	size_t in_len, const char *const *args)
{
	int pin[2], pout[2], perr[2], status;
	const char *argv[32];
	size_t argc = 0, in_off = 0;
	pid_t pid;

	argv[argc++] = "mlog";
	for (; args[argc - 1] != NULL; argc++) {
		cr_assert_lt(argc, 31);
		argv[argc] = args[argc - 1];
	}
	argv[argc] = NULL;
	memset(r, 0, sizeof(*r));
	append(&r->out, &r->out_len, "", 0);
	append(&r->err, &r->err_len, "", 0);
	cr_assert_eq(pipe(pin), 0);
	cr_assert_eq(pipe(pout), 0);
	cr_assert_eq(pipe(perr), 0);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		dup2(perr[1], 2);
		close(pin[1]);
		close(pout[0]);
		close(perr[0]);
		if (cwd != NULL && chdir(cwd) != 0)
			_exit(126);
		execv(mlog_bin(), (char *const *)argv);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	if (in == NULL || in_len == 0) {
		close(pin[1]);
		pin[1] = -1;
	}
	for (int open_fds = 2; open_fds > 0;) {
		struct pollfd pf[3] = {
			{ pout[0], POLLIN, 0 }, { perr[0], POLLIN, 0 },
			{ pin[1], POLLOUT, 0 },
		};
		char buf[8192];

		cr_assert_geq(poll(pf, 3, 60000), 1, "mlog hangs");
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (pf[i].fd < 0 || pf[i].revents == 0)
				continue;
			n = read(pf[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				close(pf[i].fd);
				if (i == 0)
					pout[0] = -1;
				else
					perr[0] = -1;
				open_fds--;
				continue;
			}
			if (i == 0)
				append(&r->out, &r->out_len, buf, (size_t)n);
			else
				append(&r->err, &r->err_len, buf, (size_t)n);
		}
		if (pin[1] >= 0 && pf[2].revents != 0) {
			ssize_t n = write(pin[1], in + in_off, in_len - in_off);

			if (n > 0)
				in_off += (size_t)n;
			if (n <= 0 || in_off == in_len) {
				close(pin[1]);
				pin[1] = -1;
			}
		}
	}
	if (pin[1] >= 0)
		close(pin[1]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	r->code = WIFEXITED(status) ? WEXITSTATUS(status) :
		128 + WTERMSIG(status);
	cr_assert_neq(r->code, 127, "can't exec %s", mlog_bin());
}

static void run(struct run *r, const char *const *args)
{
	run_in(r, NULL, NULL, 0, args);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void expect(const struct run *r, int code, const char *out_sub,
	const char *err_sub)
{
	cr_assert_eq(r->code, code, "exit %d, want %d; stderr: %s", r->code,
		code, r->err);
	if (out_sub != NULL)
		cr_assert_not_null(strstr(r->out, out_sub),
			"stdout lacks '%s':\n%s", out_sub, r->out);
	if (err_sub != NULL)
		cr_assert_not_null(strstr(r->err, err_sub),
			"stderr lacks '%s':\n%s", err_sub, r->err);
}

/* A scratch directory, removed with its files by rm_tmpdir. */
static char *tmpdir(void)
{
	char *d = strdup("/tmp/mlog-cli-test-XXXXXX");

	cr_assert_not_null(d);
	cr_assert_not_null(mkdtemp(d));
	return d;
}

static void rm_tmpdir(char *d)
{
	char cmd[256];

	/* Only ever our own mkdtemp directory. */
	cr_assert_eq(strncmp(d, "/tmp/mlog-cli-test-", 19), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", d);
	cr_assert_eq(system(cmd), 0);
	free(d);
}

static char *path_in(const char *dir, const char *name)
{
	char *p;

	cr_assert_neq(asprintf(&p, "%s/%s", dir, name), -1);
	return p;
}

static char *write_file(const char *dir, const char *name,
	const uint8_t *data, size_t len)
{
	char *p = path_in(dir, name);
	FILE *f = fopen(p, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
	return p;
}

static void signed_ss(uint8_t ss[SYNTH_SS], uint64_t flags)
{
	EVP_PKEY *key = synth_key();

	synth_body(ss);
	synth_le64(ss + 928, flags);
	synth_sign(ss, key);
	EVP_PKEY_free(key);
}

/* ---- help and usage ------------------------------------------------------ */

Test(cli_enclave, help)
{
	static const char *const cmds[] = { "measure", "diff", "keygen" };
	struct run r;

	run(&r, ARGS("--help"));
	expect(&r, 0, "usage: mlog COMMAND", NULL);
	for (size_t i = 0; i < 3; i++)
		cr_assert_not_null(strstr(r.out, cmds[i]));
	cr_assert_eq(r.err_len, 0);
	run_free(&r);
	for (size_t i = 0; i < 3; i++) {
		char want[64];

		snprintf(want, sizeof(want), "usage: mlog %s", cmds[i]);
		run(&r, ARGS(cmds[i], "--help"));
		expect(&r, 0, want, NULL);
		cr_assert_eq(strncmp(r.out, want, strlen(want)), 0);
		cr_assert_eq(r.err_len, 0, "stderr: %s", r.err);
		run_free(&r);
		run(&r, ARGS(cmds[i], "-h"));
		expect(&r, 0, want, NULL);
		run_free(&r);
	}
	run(&r, ARGS("help"));
	expect(&r, 0, "commands:", NULL);
	run_free(&r);
}

Test(cli_enclave, usage_errors)
{
	const struct {
		const char *const *args;
		const char *err;
	} cases[] = {
		{ ARGS("nope"), "unknown command 'nope'" },
		{ ARGS("measure"), "exactly one FILE (got 0)" },
		{ ARGS("measure", "a", "b"), "exactly one FILE (got 2)" },
		{ ARGS("measure", "--bogus", "x"), "unknown flag --bogus" },
		{ ARGS("measure", "-x", "x"), "unknown flag -x" },
		{ ARGS("measure", "x", "--output", "xml"),
		  "unknown --output format 'xml'" },
		{ ARGS("measure", "x", "--output", "markdown"),
		  "unknown --output format 'markdown'" },
		{ ARGS("measure", "x", "--output"),
		  "--output needs an argument" },
		{ ARGS("diff", "a"), "exactly two files" },
		{ ARGS("diff", "a", "b", "c"), "exactly two files" },
		{ ARGS("diff", "-", "-"), "only one of OLD and NEW" },
		{ ARGS("diff", "a", "b", "--full=1"),
		  "flag --full takes no argument" },
		{ ARGS("diff", "a", "b", "--output", "html"),
		  "unknown --output format 'html'" },
		{ ARGS("keygen"), "must specify --type" },
		{ ARGS("keygen", "--type", "ed25519"), "must specify --out" },
		{ ARGS("keygen", "--type", "rsa", "--out", "/tmp/x"),
		  "unknown --type 'rsa'" },
		{ ARGS("keygen", "--type"), "--type needs an argument" },
		{ ARGS("keygen", "--type", "ed25519", "--out", "p", "extra"),
		  "no arguments" },
	};
	struct run r;

	run(&r, ARGS(""));
	expect(&r, 2, NULL, "unknown command ''");
	run_free(&r);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run(&r, cases[i].args);
		expect(&r, 2, NULL, cases[i].err);
		cr_assert_not_null(strstr(r.err, "usage: mlog"),
			"case %zu: no usage on stderr: %s", i, r.err);
		cr_assert_eq(r.out_len, 0, "case %zu: stdout: %s", i, r.out);
		run_free(&r);
	}
	/* No arguments at all. */
	{
		const char *const none[] = { NULL };

		run(&r, none);
		expect(&r, 2, NULL, "missing command");
		run_free(&r);
	}
}

/* ---- measure ------------------------------------------------------------- */

Test(cli_enclave, measure_text_samples)
{
	static const struct {
		const char *file;
		const char *lines[8];
	} cases[] = {
		{ "samples/sgx/intel-le_prod_css-sdk1.7.bin", {
		  "mrenclave            8050122c5f999a28624b23ddd85b0483caedae"
		  "3f38a29d192758798e6785d090\n",
		  "mrsigner             acb77012053e05a63d413b8bbae8fb6c5d73b3"
		  "f2996d91c43bbbf90959c0f8d4\n",
		  "attributes.flags     0x24 (MODE64BIT, EINITTOKENKEY)\n",
		  "attributemask.flags  0xffffffffffffffff\n",
		  "debug_policy         production-only\n",
		  "vendor               0x8086 (Intel)\n",
		  "date                 20161116\n",
		  "signature_valid      yes\n" } },
		{ "samples/sgx/intel-le_prod_css-sdk2.25.bin", {
		  "isvsvn               7\n",
		  "isvprodid            32\n",
		  "attributemask.xfrm   0xffffffffffffff1b\n",
		  "swdefined            0x10\n",
		  "date                 20240811\n",
		  "q1q2_valid           yes\n",
		  "format               sigstruct (1808 bytes)\n",
		  "exponent             3\n" } },
		{ "samples/sgx/gardener-Enclave.signed.so", {
		  "mrenclave            c22640280b88c2a5c1a4050b5be05645561bc1"
		  "43c005cf86b231f066e01109b4\n",
		  "mrsigner             ab3189aec6971dd8a279a8d51ce9ef185a403d"
		  "aef36dda78063f6909902c68c7\n",
		  "attributes.flags     0x4 (MODE64BIT)\n",
		  "attributes.xfrm      0x3 (X87, SSE)\n",
		  "debug_policy         either\n",
		  "sigstruct_offset     0x19971\n",
		  "metadata[2]          offset 0x1b911, version 1.4, "
		  "size 0xff0",
		  "metadata_agree       yes\n" } },
	};
	struct run r;

	TEST_REQUIRE_SHARED();
	for (size_t i = 0; i < 3; i++) {
		char *path = test_shared_path(cases[i].file);

		run(&r, ARGS("measure", path));
		expect(&r, 0, NULL, NULL);
		cr_assert_eq(r.err_len, 0, "stderr: %s", r.err);
		for (size_t j = 0; j < 8; j++)
			cr_assert_not_null(strstr(r.out, cases[i].lines[j]),
				"%s lacks '%s':\n%s", cases[i].file,
				cases[i].lines[j], r.out);
		run_free(&r);
		free(path);
	}
}

static void json_has(json_t *o, const char *key, const char *want)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_string(v), "%s missing", key);
	cr_assert_str_eq(json_string_value(v), want, "%s", key);
}

static void json_int(json_t *o, const char *key, long long want)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_integer(v), "%s missing", key);
	cr_assert_eq(json_integer_value(v), want, "%s", key);
}

static void json_bool(json_t *o, const char *key, int want)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_boolean(v), "%s missing", key);
	cr_assert_eq(json_is_true(v), want, "%s", key);
}

static json_t *parse_json(const struct run *r)
{
	json_error_t e;
	json_t *j = json_loadb(r->out, r->out_len, 0, &e);

	cr_assert_not_null(j, "bad JSON (%s): %s", e.text, r->out);
	return j;
}

Test(cli_enclave, measure_json_samples)
{
	static const struct {
		const char *file, *format, *vendor, *date, *swdefined, *flags;
		const char *mask, *xmask, *policy, *mrenclave, *mrsigner;
		int prodid, svn;
	} cases[] = {
		{ "samples/sgx/intel-le_prod_css-sdk1.7.bin", "sigstruct",
		  "0x8086", "20161116", "0x10", "0x24", "0xffffffffffffffff",
		  "0xfffffffffffffffb", "production-only",
		  "8050122c5f999a28624b23ddd85b0483"
		  "caedae3f38a29d192758798e6785d090",
		  "acb77012053e05a63d413b8bbae8fb6c"
		  "5d73b3f2996d91c43bbbf90959c0f8d4",
		  32, 1 },
		{ "samples/sgx/intel-le_prod_css-sdk2.25.bin", "sigstruct",
		  "0x8086", "20240811", "0x10", "0x24", "0xff00ffffffffffff",
		  "0xffffffffffffff1b", "production-only",
		  "7881af9f9def547da9908c008f29cde9"
		  "bd78064e36ac7e14c83c294ca4806150",
		  "acb77012053e05a63d413b8bbae8fb6c"
		  "5d73b3f2996d91c43bbbf90959c0f8d4",
		  32, 7 },
		{ "samples/sgx/gardener-Enclave.signed.so", "elf-sgxmeta",
		  "0x0", "20190722", "0x0", "0x4", "0xfffffffffffffffd",
		  "0xffffffffffffff1b", "either",
		  "c22640280b88c2a5c1a4050b5be05645"
		  "561bc143c005cf86b231f066e01109b4",
		  "ab3189aec6971dd8a279a8d51ce9ef18"
		  "5a403daef36dda78063f6909902c68c7",
		  0, 0 },
	};
	struct run r;

	TEST_REQUIRE_SHARED();
	for (size_t i = 0; i < 3; i++) {
		char *path = test_shared_path(cases[i].file);
		json_t *j, *m;

		run(&r, ARGS("measure", "--output", "json", path));
		expect(&r, 0, NULL, NULL);
		j = parse_json(&r);
		json_has(j, "file", path);
		json_has(j, "format", cases[i].format);
		json_has(j, "header", "06000000e10000000000010000000000");
		json_has(j, "vendor", cases[i].vendor);
		json_has(j, "date", cases[i].date);
		json_has(j, "swdefined", cases[i].swdefined);
		json_int(j, "exponent", 3);
		json_has(j, "miscselect", "0x0");
		json_has(j, "miscmask", "0xffffffff");
		json_has(j, "cet_attributes", "0x0");
		json_has(j, "cet_attributes_mask", "0x0");
		json_has(j, "attributes_flags", cases[i].flags);
		json_has(j, "attributes_xfrm", "0x3");
		json_has(j, "attributemask_flags", cases[i].mask);
		json_has(j, "attributemask_xfrm", cases[i].xmask);
		json_has(j, "debug_policy", cases[i].policy);
		json_int(j, "isvprodid", cases[i].prodid);
		json_int(j, "isvsvn", cases[i].svn);
		json_has(j, "isvfamilyid", "00000000000000000000000000000000");
		json_has(j, "isvextprodid", "00000000000000000000000000000000");
		json_has(j, "mrenclave", cases[i].mrenclave);
		json_has(j, "mrsigner", cases[i].mrsigner);
		json_bool(j, "signature_valid", 1);
		json_bool(j, "q1q2_valid", 1);
		json_bool(j, "debug_signed", 0);
		cr_assert_eq(strlen(json_string_value(json_object_get(j,
			"modulus"))), 768);
		cr_assert_eq(json_array_size(json_object_get(j,
			"attributes_xfrm_names")), 2);
		m = json_object_get(j, "measurement");
		json_has(m, "tee", "sgx");
		json_has(m, "mrenclave", cases[i].mrenclave);
		json_int(m, "isvsvn", cases[i].svn);
		json_bool(m, "debug", strcmp(cases[i].policy,
			"production-only") != 0);
		if (i == 2) {
			json_t *meta = json_object_get(j, "metadata");

			cr_assert_eq(json_array_size(meta), 3);
			json_has(json_array_get(meta, 1), "version", "2.1");
			json_int(json_array_get(meta, 1), "offset", 0x1a921);
			json_bool(j, "metadata_agree", 1);
			json_int(j, "sigstruct_offset", 0x19971);
			json_int(json_object_get(j, "section"), "offset",
				0x19918);
		} else {
			json_has(m, "attributes",
				"24000000000000000300000000000000");
		}
		json_decref(j);
		run_free(&r);
		free(path);
	}
}

Test(cli_enclave, measure_stdin)
{
	struct run r;
	size_t len;
	char *data;

	TEST_REQUIRE_SHARED();
	data = test_read_shared("samples/sgx/intel-le_prod_css-sdk2.25.bin",
		&len);
	run_in(&r, NULL, data, len, ARGS("measure", "-"));
	expect(&r, 0, "7881af9f9def547da9908c008f29cde9bd78064e36ac7e14c83c"
		"294ca4806150", NULL);
	run_free(&r);
	free(data);
}

Test(cli_enclave, measure_errors)
{
	char *dir = tmpdir(), *p;
	uint8_t ss[SYNTH_SS];
	struct run r;

	run(&r, ARGS("measure", "/nonexistent/enclave.so"));
	expect(&r, 2, NULL, "can't open /nonexistent/enclave.so");
	run_free(&r);
	run(&r, ARGS("measure", dir));
	expect(&r, 2, NULL, "is a directory");
	run_free(&r);
	p = write_file(dir, "text", (const uint8_t *)"hello\n", 6);
	run(&r, ARGS("measure", p));
	expect(&r, 2, NULL, "neither an ELF");
	cr_assert_not_null(strstr(r.err, p), "message names no file");
	run_free(&r);
	free(p);
	p = write_file(dir, "empty", (const uint8_t *)"", 0);
	run(&r, ARGS("measure", p));
	expect(&r, 2, NULL, "(0 bytes)");
	run_free(&r);
	free(p);
	signed_ss(ss, 0x4);
	p = write_file(dir, "short.sig", ss, SYNTH_SS - 1);
	run(&r, ARGS("measure", p));
	expect(&r, 2, NULL, "1807 bytes");
	run_free(&r);
	free(p);
	p = write_file(dir, "elf", (const uint8_t *)"\x7f" "ELF\x02\x01\x01",
		7);
	run(&r, ARGS("measure", p));
	expect(&r, 2, NULL, "truncated identification");
	run_free(&r);
	free(p);
	rm_tmpdir(dir);
}

Test(cli_enclave, measure_require_valid)
{
	char *dir = tmpdir(), *good, *bad;
	uint8_t ss[SYNTH_SS];
	struct run r;
	json_t *j;

	signed_ss(ss, 0x4);
	good = write_file(dir, "good.sig", ss, SYNTH_SS);
	ss[1024] ^= 1;          /* ISVPRODID: signed, not re-signed */
	bad = write_file(dir, "bad.sig", ss, SYNTH_SS);
	run(&r, ARGS("measure", "--require-valid", good));
	expect(&r, 0, "signature_valid      yes\n", NULL);
	run_free(&r);
	run(&r, ARGS("measure", bad));
	expect(&r, 0, "signature_valid      no: SIGSTRUCT: RSA signature "
		"does not verify", NULL);
	run_free(&r);
	run(&r, ARGS("measure", "--output", "json", bad));
	expect(&r, 0, NULL, NULL);
	j = parse_json(&r);
	json_bool(j, "signature_valid", 0);
	json_bool(j, "q1q2_valid", 1);
	json_has(j, "signature_error",
		"SIGSTRUCT: RSA signature does not verify");
	json_int(j, "isvprodid", 6);
	json_decref(j);
	run_free(&r);
	run(&r, ARGS("measure", "--require-valid", "--output", "json", bad));
	expect(&r, 1, "\"signature_valid\": false", "does not verify");
	run_free(&r);
	free(good);
	free(bad);
	rm_tmpdir(dir);
}

/* A DATE whose hex digits are not all decimal is shown raw, "0x...". */
Test(cli_enclave, measure_odd_date)
{
	char *dir = tmpdir(), *a, *b;
	EVP_PKEY *key = synth_key();
	uint8_t ss[SYNTH_SS];
	struct run r;

	signed_ss(ss, 0x4);
	a = write_file(dir, "a.sig", ss, SYNTH_SS);
	synth_le32(ss + 20, 0x2025013a);
	synth_sign(ss, key);
	b = write_file(dir, "b.sig", ss, SYNTH_SS);
	run(&r, ARGS("measure", b));
	expect(&r, 0, "date                 0x2025013a\n", NULL);
	expect(&r, 0, "signature_valid      yes\n", NULL);
	run_free(&r);
	run(&r, ARGS("measure", "--output", "json", b));
	expect(&r, 0, "\"date\": \"0x2025013a\"", NULL);
	run_free(&r);
	run(&r, ARGS("diff", a, b));
	expect(&r, 1, "  date                 20250131 -> 0x2025013a\n", NULL);
	run_free(&r);
	free(a);
	free(b);
	EVP_PKEY_free(key);
	rm_tmpdir(dir);
}

/* ---- diff ---------------------------------------------------------------- */

Test(cli_enclave, diff_readme_expected)
{
	char *dir, *readme, *want, *end;
	struct run r;
	size_t len;

	TEST_REQUIRE_SHARED();
	readme = test_read_shared("samples/sgx/README.md", &len);
	want = strstr(readme, "## Expected diff");
	cr_assert_not_null(want);
	want = strstr(want, "```\n");
	cr_assert_not_null(want);
	want += 4;
	end = strstr(want, "```");
	cr_assert_not_null(end);
	*end = '\0';
	dir = test_shared_path("samples/sgx");
	run_in(&r, dir, NULL, 0, ARGS("diff", "intel-le_prod_css-sdk1.7.bin",
		"intel-le_prod_css-sdk2.25.bin"));
	expect(&r, 1, NULL, NULL);
	cr_assert_str_eq(r.out, want);
	cr_assert_eq(r.err_len, 0);
	run_free(&r);
	run_in(&r, dir, NULL, 0, ARGS("diff", "--full",
		"intel-le_prod_css-sdk1.7.bin",
		"intel-le_prod_css-sdk2.25.bin"));
	expect(&r, 1, "mrenclave            8050122c5f999a28624b23ddd85b0483"
		"caedae3f38a29d192758798e6785d090 -> 7881af9f9def547da9908c0"
		"08f29cde9bd78064e36ac7e14c83c294ca4806150\n", NULL);
	run_free(&r);
	run_in(&r, dir, NULL, 0, ARGS("diff", "--output", "json",
		"intel-le_prod_css-sdk1.7.bin",
		"intel-le_prod_css-sdk2.25.bin"));
	expect(&r, 1, NULL, NULL);
	{
		json_t *j = parse_json(&r), *c = json_object_get(j, "changes");
		static const char *const fields[] = { "date",
			"attributemask.flags", "attributemask.xfrm",
			"mrenclave", "isvsvn" };

		json_bool(j, "same", 0);
		cr_assert_eq(json_array_size(c), 5);
		for (size_t i = 0; i < 5; i++)
			json_has(json_array_get(c, i), "field", fields[i]);
		json_has(json_array_get(c, 4), "old", "1");
		json_has(json_array_get(c, 4), "new", "7");
		cr_assert_eq(json_array_size(json_object_get(j, "alerts")), 0);
		cr_assert_eq(json_array_size(json_object_get(j, "unchanged")),
			19);
		json_decref(j);
	}
	run_free(&r);
	free(dir);
	free(readme);
}

Test(cli_enclave, diff_same_across_formats)
{
	uint8_t ss[SYNTH_SS];
	const uint8_t *list[2] = { ss, ss };
	struct synth_section secs[1] = { { ".note.sgxmeta", 7, NULL, 0, 4 } };
	struct synth_elf elf;
	char *dir = tmpdir(), *raw, *so;
	uint8_t *note;
	struct run r;

	signed_ss(ss, 0x4);
	note = synth_sgxmeta(&secs[0].len, list, 2, 2048, 0, 4);
	secs[0].data = note;
	synth_elf_build(&elf, 64, secs, 1, 0);
	raw = write_file(dir, "enclave.sig", ss, SYNTH_SS);
	so = write_file(dir, "enclave.signed.so", elf.data, elf.len);
	run(&r, ARGS("diff", so, raw));
	expect(&r, 0, "  no differences\n  (mrenclave, mrsigner, isvprodid, "
		"isvsvn, attributes, debug_policy unchanged)\n", NULL);
	run_free(&r);
	run(&r, ARGS("diff", raw, so, "--output", "markdown"));
	expect(&r, 0, "No differences.", NULL);
	run_free(&r);
	run(&r, ARGS("diff", "--output", "json", raw, so));
	expect(&r, 0, "\"same\": true", NULL);
	run_free(&r);
	free(note);
	free(elf.data);
	free(raw);
	free(so);
	rm_tmpdir(dir);
}

Test(cli_enclave, diff_debug_flip)
{
	uint8_t a[SYNTH_SS], b[SYNTH_SS];
	char *dir = tmpdir(), *prod, *dbg;
	struct run r;
	json_t *j, *c;

	signed_ss(a, 0x4);
	signed_ss(b, 0x6);
	prod = write_file(dir, "prod.sig", a, SYNTH_SS);
	dbg = write_file(dir, "debug.sig", b, SYNTH_SS);

	run(&r, ARGS("diff", prod, dbg));
	expect(&r, 1, "  attributes.flags     0x4 -> 0x6\n"
		"  !! DEBUG turned ON\n", NULL);
	cr_assert_not_null(strstr(r.out, "  debug_policy         "
		"production-only -> debug-only\n  !! debug_policy "
		"production-only -> debug-only\n"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "  (mrenclave, mrsigner, isvprodid, "
		"isvsvn unchanged)\n"), "%s", r.out);
	run_free(&r);

	run(&r, ARGS("diff", dbg, prod));
	expect(&r, 1, "DEBUG turned off\n", NULL);
	cr_assert_null(strstr(r.out, "!!"), "%s", r.out);
	run_free(&r);

	run(&r, ARGS("diff", "--output", "markdown", prod, dbg));
	expect(&r, 1, "> **!! DEBUG turned ON**\n", NULL);
	cr_assert_not_null(strstr(r.out, "| Field | Old | New | Bits |\n"
		"| --- | --- | --- | --- |\n| attributes.flags | `0x4` | "
		"`0x6` | **!! DEBUG ON** |\n"), "%s", r.out);
	run_free(&r);

	run(&r, ARGS("diff", "--output", "json", prod, dbg));
	expect(&r, 1, NULL, NULL);
	j = parse_json(&r);
	c = json_object_get(j, "changes");
	cr_assert_eq(json_array_size(c), 2);
	json_has(json_array_get(c, 0), "field", "attributes.flags");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(
		json_array_get(c, 0), "bits_on"), 0)), "DEBUG");
	cr_assert_eq(json_array_size(json_object_get(json_array_get(c, 0),
		"bits_off")), 0);
	json_has(json_array_get(c, 1), "field", "debug_policy");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(j,
		"alerts"), 0)), "DEBUG turned ON");
	json_decref(j);
	run_free(&r);
	free(prod);
	free(dbg);
	rm_tmpdir(dir);
}

/* Every signed byte of the SIGSTRUCT that can change (not the HEADER and
 * HEADER2 constants, not the exponent), changed and re-signed so that both
 * signatures verify, must make the diff say "different". */
Test(cli_enclave, diff_sees_every_signed_byte)
{
	EVP_PKEY *key = synth_key();
	uint8_t base[SYNTH_SS], ss[SYNTH_SS];
	char *dir = tmpdir(), *a;
	size_t checked = 0;

	signed_ss(base, 0x4);
	a = write_file(dir, "a.sig", base, SYNTH_SS);
	for (size_t off = 12; off < 1028; off++) {
		struct run r;
		char *b;

		if ((off >= 24 && off < 40) || (off >= 128 && off < 900))
			continue;
		if (off >= 12 && off < 16 && off != 15)
			continue;       /* HEADER type: only bit 31 is valid */
		memcpy(ss, base, SYNTH_SS);
		ss[off] ^= off == 15 ? 0x80 : 0x01;
		synth_sign(ss, key);
		b = write_file(dir, "b.sig", ss, SYNTH_SS);
		run(&r, ARGS("diff", "--output", "json", a, b));
		cr_assert_eq(r.code, 1, "byte %zu: exit %d: %s", off, r.code,
			r.err);
		cr_assert_null(strstr(r.out, "\"field\": \"signature\""),
			"byte %zu", off);
		run_free(&r);
		free(b);
		checked++;
	}
	cr_assert_eq(checked, 1 + 8 + 88 + 128);
	/* And a new key alone is "mrsigner" and nothing else. */
	{
		EVP_PKEY *other = synth_key_generate();
		struct run r;
		char *b;

		memcpy(ss, base, SYNTH_SS);
		synth_sign(ss, other);
		b = write_file(dir, "b.sig", ss, SYNTH_SS);
		run(&r, ARGS("diff", a, b));
		expect(&r, 1, NULL, NULL);
		/* "a -> b", the mrsigner line, the summary: three lines. */
		cr_assert_eq(strncmp(strchr(r.out, '\n') + 1,
			"  mrsigner             ", 23), 0, "%s", r.out);
		cr_assert_eq(strchr(strchr(strchr(r.out, '\n') + 1, '\n') + 1,
			'\n') + 1 - r.out, (long)r.out_len, "%s", r.out);
		cr_assert_not_null(strstr(r.out, "  (mrenclave, isvprodid, "
			"isvsvn, attributes, debug_policy unchanged)\n"));
		run_free(&r);
		free(b);
		EVP_PKEY_free(other);
	}
	free(a);
	EVP_PKEY_free(key);
	rm_tmpdir(dir);
}

Test(cli_enclave, diff_errors)
{
	char *dir = tmpdir(), *good, *junk;
	uint8_t ss[SYNTH_SS];
	struct run r;

	signed_ss(ss, 0x4);
	good = write_file(dir, "good.sig", ss, SYNTH_SS);
	junk = write_file(dir, "junk", (const uint8_t *)"junk", 4);
	run(&r, ARGS("diff", good, junk));
	expect(&r, 2, NULL, "junk: neither an ELF");
	cr_assert_eq(r.out_len, 0);
	run_free(&r);
	run(&r, ARGS("diff", "/nonexistent", good));
	expect(&r, 2, NULL, "can't open /nonexistent");
	run_free(&r);
	/* log:I needs a log and a trust anchor; without them it is a usage
	 * error naming what is missing. */
	run(&r, ARGS("diff", "log:3", good));
	expect(&r, 2, NULL, "need a trust anchor");
	run_free(&r);
	run(&r, ARGS("diff", "log:x", good));
	expect(&r, 2, NULL, "log:x: want log:INDEX");
	run_free(&r);
	run_in(&r, NULL, (const char *)ss, SYNTH_SS, ARGS("diff", "-", good));
	expect(&r, 0, "no differences", NULL);
	run_free(&r);
	/* A file name that is not UTF-8 still gives valid JSON. */
	{
		char *odd = write_file(dir, "odd\xff.sig", ss, SYNTH_SS);
		json_t *j;

		run(&r, ARGS("diff", "--output", "json", odd, good));
		expect(&r, 0, "odd?.sig", NULL);
		j = parse_json(&r);
		json_decref(j);
		run_free(&r);
		free(odd);
	}
	free(good);
	free(junk);
	rm_tmpdir(dir);
}

/* ---- keygen -------------------------------------------------------------- */

static void check_keypair(const char *dir, const char *type,
	const char *ossl_name)
{
	char *prefix = path_in(dir, type), *key_path, *pub_path, *hex;
	unsigned char *der = NULL, id[32];
	EVP_PKEY *pub, *priv;
	EVP_MD_CTX *md;
	unsigned char sig[128];
	size_t sig_len = sizeof(sig);
	struct stat st;
	struct run r;
	FILE *f;
	int der_len;

	run(&r, ARGS("keygen", "--type", type, "--out", prefix));
	expect(&r, 0, NULL, NULL);
	cr_assert_eq(r.out_len, 65, "stdout: %s", r.out);
	cr_assert_eq(strspn(r.out, "0123456789abcdef"), 64);
	cr_assert_neq(asprintf(&key_path, "%s.key", prefix), -1);
	cr_assert_neq(asprintf(&pub_path, "%s.pub", prefix), -1);
	cr_assert_eq(stat(key_path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(stat(pub_path, &st), 0);
	cr_assert_eq(st.st_mode & 0600, 0600);
	cr_assert_eq(st.st_mode & 0022, 0);

	f = fopen(pub_path, "r");
	cr_assert_not_null(f);
	pub = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	cr_assert_not_null(pub);
	cr_assert(EVP_PKEY_is_a(pub, ossl_name));
	der_len = i2d_PUBKEY(pub, &der);
	cr_assert_gt(der_len, 0);
	cr_assert_eq(EVP_Digest(der, (size_t)der_len, id, NULL, EVP_sha256(),
		NULL), 1);
	OPENSSL_free(der);
	hex = malloc(65);
	cr_assert_not_null(hex);
	sodium_bin2hex(hex, 65, id, 32);
	cr_assert_eq(strncmp(r.out, hex, 64), 0, "keyid %s, want %s", r.out,
		hex);
	free(hex);

	f = fopen(key_path, "r");
	cr_assert_not_null(f);
	priv = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	cr_assert_not_null(priv);
	cr_assert_eq(EVP_PKEY_eq(priv, pub), 1);
	md = EVP_MD_CTX_new();
	cr_assert_not_null(md);
	cr_assert_eq(EVP_DigestSignInit(md, NULL, strcmp(type, "ed25519") == 0
		? NULL : EVP_sha256(), NULL, priv), 1);
	cr_assert_eq(EVP_DigestSign(md, sig, &sig_len,
		(const unsigned char *)"DSSEv1", 6), 1);
	EVP_MD_CTX_free(md);
	md = EVP_MD_CTX_new();
	cr_assert_eq(EVP_DigestVerifyInit(md, NULL, strcmp(type, "ed25519")
		== 0 ? NULL : EVP_sha256(), NULL, pub), 1);
	cr_assert_eq(EVP_DigestVerify(md, sig, sig_len,
		(const unsigned char *)"DSSEv1", 6), 1);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
	run_free(&r);

	/* Never overwrites: the second run fails and changes nothing. */
	{
		struct stat before, after;

		cr_assert_eq(stat(key_path, &before), 0);
		run(&r, ARGS("keygen", "--type", type, "--out", prefix));
		expect(&r, 2, NULL, "File exists");
		cr_assert_eq(r.out_len, 0);
		cr_assert_eq(stat(key_path, &after), 0);
		cr_assert_eq(before.st_ino, after.st_ino);
		cr_assert_eq(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
		run_free(&r);
	}
	free(key_path);
	free(pub_path);
	free(prefix);
}

Test(cli_enclave, keygen_ed25519)
{
	char *dir = tmpdir();

	check_keypair(dir, "ed25519", "ED25519");
	rm_tmpdir(dir);
}

Test(cli_enclave, keygen_ecdsa_p256)
{
	char *dir = tmpdir();

	check_keypair(dir, "ecdsa-p256", "EC");
	rm_tmpdir(dir);
}

Test(cli_enclave, keygen_refuses_and_cleans_up)
{
	char *dir = tmpdir(), *prefix = path_in(dir, "k"), *pub, *key;
	struct stat st;
	struct run r;

	/* An existing PREFIX.pub: fail, and leave no PREFIX.key behind. */
	pub = write_file(dir, "k.pub", (const uint8_t *)"x", 1);
	key = path_in(dir, "k.key");
	run(&r, ARGS("keygen", "--type", "ed25519", "--out", prefix));
	expect(&r, 2, NULL, "k.pub");
	cr_assert_neq(stat(key, &st), 0);
	cr_assert_eq(errno, ENOENT);
	run_free(&r);
	/* A directory that does not exist. */
	run(&r, ARGS("keygen", "--type", "ecdsa-p256", "--out",
		"/nonexistent/dir/k"));
	expect(&r, 2, NULL, "can't create /nonexistent/dir/k.key");
	run_free(&r);
	free(pub);
	free(key);
	free(prefix);
	rm_tmpdir(dir);
}
