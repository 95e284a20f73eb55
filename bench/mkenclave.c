/*
 * mkenclave.c — writes a synthetic signed SGX enclave signature: a raw
 * 1808-byte SIGSTRUCT, the `.sig` file Gramine and Fortanix ship beside
 * an enclave (TEE-FORMATS.md §1), signed with an RSA-3072, e = 3 key as
 * sgx_sign does (merkle/sgx.h mlog_sgx_sigstruct_sign). `mlog measure`,
 * `mlog diff` and `mlog publish build --enclave` read it like a real one.
 * scripts/demo uses it so that a fresh clone, with no SGX SDK and no
 * sample enclaves, can walk real-looking builds through the log. Not a
 * test and not a benchmark: a data generator, like bulkload.
 *
 *   mkenclave --key KEY.pem --seed TEXT --out FILE.sig
 *             [--isvprodid N] [--isvsvn N] [--debug] [--date YYYYMMDD]
 *
 * KEY.pem is created (mode 0600, RSA-3072 e = 3, PKCS#8) when it does
 * not exist, and reused when it does, so that several builds share one
 * MRSIGNER. No real enclave is measured: MRENCLAVE = SHA-256(TEXT), so
 * that a seed such as "app-1.4.2" names a build reproducibly. The other
 * fields are those of a typical 64-bit production enclave: ATTRIBUTES
 * MODE64BIT (plus DEBUG with --debug), XFRM X87|SSE, ATTRIBUTEMASK all
 * ones (so DEBUG is enforced: production-only, or debug-only with
 * --debug), MISCMASK all ones, vendor 0, ISVPRODID 1, ISVSVN 1, date
 * today (UTC).
 *
 * Prints FILE, then MRENCLAVE, MRSIGNER, ISVSVN and the debug policy, one
 * per line. Exit 0 ok, 2 usage or error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "codec.h"
#include "hash.h"
#include "sgx.h"

static const char usage_text[] =
	"usage: mkenclave --key KEY.pem --seed TEXT --out FILE.sig\n"
	"                 [--isvprodid N] [--isvsvn N] [--debug] "
	"[--date YYYYMMDD]\n"
	"  writes a raw SIGSTRUCT with MRENCLAVE = SHA-256(TEXT), signed "
	"with KEY.pem\n"
	"  (RSA-3072, e = 3; created if missing)\n";

static void usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "mkenclave: %s\n", why);
	fputs(usage_text, why != NULL ? stderr : stdout);
	exit(why != NULL ? 2 : 0);
}

static void die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("mkenclave: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void write_all(int fd, const void *data, size_t len,
	const char *path)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("can't write %s: %s", path, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

/* Reads KEY.pem, or creates it (O_EXCL, 0600) when it does not exist.
 * Returns a malloc'd PEM the caller wipes and frees. */
static char *load_or_create_key(const char *path, size_t *len)
{
	struct mlog_error err = { 0, "" };
	char *pem = NULL;
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno != ENOENT)
		die("can't open %s: %s", path, strerror(errno));
	if (fd < 0) {
		if (mlog_sgx_key_generate(&pem, len, &err) != MLOG_OK)
			die("%s", err.msg);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
			O_NOFOLLOW, 0600);
		if (fd < 0)
			die("can't create %s: %s", path, strerror(errno));
		write_all(fd, pem, *len, path);
		if (fsync(fd) != 0 || close(fd) != 0)
			die("can't write %s: %s", path, strerror(errno));
		return pem;
	}
	if (fstat(fd, &st) != 0)
		die("can't stat %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > MLOG_SGX_KEY_PEM_MAX)
		die("%s: not a key file (want a PEM of at most %d bytes)",
			path, MLOG_SGX_KEY_PEM_MAX);
	pem = malloc((size_t)st.st_size + 1);
	if (pem == NULL)
		die("out of memory");
	n = read(fd, pem, (size_t)st.st_size);
	close(fd);
	if (n != (ssize_t)st.st_size)
		die("can't read %s", path);
	pem[n] = '\0';
	*len = (size_t)n;
	return pem;
}

/* 0..65535 from a decimal flag value, or a usage error naming it. */
static uint16_t parse_u16(const char *flag, const char *v)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n > 65535) {
		fprintf(stderr, "mkenclave: --%s %s: want 0..65535\n", flag, v);
		usage("bad number");
	}
	return (uint16_t)n;
}

/* YYYYMMDD as SGX stores it: the digits read as hex (0x20250131). */
static uint32_t parse_date(const char *v)
{
	uint32_t d = 0;

	if (strlen(v) != 8)
		usage("--date: want YYYYMMDD");
	for (int i = 0; i < 8; i++) {
		if (v[i] < '0' || v[i] > '9')
			usage("--date: want YYYYMMDD");
		d = (d << 4) | (uint32_t)(v[i] - '0');
	}
	return d;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "isvprodid", required_argument, NULL, 'p' },
		{ "isvsvn", required_argument, NULL, 'v' },
		{ "debug", no_argument, NULL, 'd' },
		{ "date", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *key_path = NULL, *seed = NULL, *out = NULL;
	const char *date_arg = NULL;
	uint16_t isvprodid = 1, isvsvn = 1;
	int debug = 0, ch, fd;
	uint8_t ss[MLOG_SGX_SIGSTRUCT_BYTES];
	char date[9], mre[2 * MLOG_SGX_HASH_BYTES + 1];
	char mrs[2 * MLOG_SGX_HASH_BYTES + 1];
	struct mlog_sgx_sigstruct check;
	struct mlog_error err = { 0, "" };
	struct mlog_hash *h;
	char *pem;
	size_t pem_len = 0;
	int rc;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'k': key_path = optarg; break;
		case 's': seed = optarg; break;
		case 'o': out = optarg; break;
		case 'p': isvprodid = parse_u16("isvprodid", optarg); break;
		case 'v': isvsvn = parse_u16("isvsvn", optarg); break;
		case 'd': debug = 1; break;
		case 'D': date_arg = optarg; break;
		case 'h': usage(NULL); break;
		default: usage("unknown flag or missing value");
		}
	}
	if (optind != argc)
		usage("no arguments besides flags");
	if (key_path == NULL || seed == NULL || out == NULL)
		usage("need --key, --seed and --out");
	if (date_arg == NULL) {
		time_t t = time(NULL);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(date, sizeof(date), "%Y%m%d", &tm);
		date_arg = date;
	}

	mlog_sgx_sigstruct_init(ss);
	put_le32(ss + MLOG_SGX_OFF_DATE, parse_date(date_arg));
	put_le32(ss + MLOG_SGX_OFF_MISCMASK, 0xffffffffu);
	put_le64(ss + MLOG_SGX_OFF_ATTRIBUTES, MLOG_SGX_FLAG_MODE64BIT |
		(debug ? MLOG_SGX_FLAG_DEBUG : 0));
	put_le64(ss + MLOG_SGX_OFF_XFRM, 0x3);             /* X87 | SSE */
	put_le64(ss + MLOG_SGX_OFF_ATTRIBUTEMASK, UINT64_MAX);
	put_le64(ss + MLOG_SGX_OFF_XFRMMASK, UINT64_C(0xfffffffffffffffb));
	put_le16(ss + MLOG_SGX_OFF_ISVPRODID, isvprodid);
	put_le16(ss + MLOG_SGX_OFF_ISVSVN, isvsvn);
	h = mlog_hash_new();
	if (h == NULL)
		die("out of memory");
	mlog_hash_sha256(h, ss + MLOG_SGX_OFF_MRENCLAVE,
		(const uint8_t *)seed, strlen(seed));
	mlog_hash_free(h);

	pem = load_or_create_key(key_path, &pem_len);
	rc = mlog_sgx_sigstruct_sign(ss, pem, pem_len, &err);
	OPENSSL_cleanse(pem, pem_len);
	free(pem);
	if (rc != MLOG_OK)
		die("%s: %s", key_path, err.msg);
	/* What we write must read back and check, as measure will. */
	if (mlog_sgx_sigstruct_decode(&check, ss, sizeof(ss), &err) !=
	    MLOG_OK || mlog_sgx_sigstruct_verify(&check, &err) != MLOG_OK ||
	    mlog_sgx_sigstruct_verify_q(&check, &err) != MLOG_OK)
		die("the SIGSTRUCT made does not check: %s", err.msg);

	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		0644);
	if (fd < 0)
		die("can't create %s: %s", out, strerror(errno));
	write_all(fd, ss, sizeof(ss), out);
	if (close(fd) != 0)
		die("can't write %s: %s", out, strerror(errno));
	mlog_codec_hex_encode(mre, check.mrenclave, MLOG_SGX_HASH_BYTES);
	mlog_codec_hex_encode(mrs, check.mrsigner, MLOG_SGX_HASH_BYTES);
	printf("%s\n  mrenclave %s\n  mrsigner  %s\n  isvsvn    %u\n"
		"  debug     %s\n", out, mre, mrs, (unsigned)isvsvn,
		debug ? "debug-only (DEBUG set)" : "production-only");
	return 0;
}
