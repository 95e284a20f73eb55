/*
 * cmd_keygen.c — `mlog keygen`: a new key pair for a DSSE signer (SPEC §2,
 * §5): Ed25519 or ECDSA P-256 through OpenSSL (EVP_PKEY_Q_keygen).
 *
 * Writes PREFIX.key (PKCS#8 PEM private key, mode 0600) and PREFIX.pub
 * (PEM SubjectPublicKeyInfo, mode 0644), both created with O_EXCL so an
 * existing key is never overwritten, and prints the DSSE keyid: lowercase
 * hex SHA-256 of the DER SubjectPublicKeyInfo (what `openssl pkey -pubin
 * -outform DER | sha256sum` prints). Exit 0, or 2 on any error (and then
 * no file is left behind).
 *
 * --type note --name NAME: a signed-note key pair (C2SP signed-note) for a
 * log or a witness: PREFIX.key holds the skey (mode 0600),
 * PREFIX.vkey the vkey, which is also printed. --cosigner makes it a
 * cosignature/v1 (type 0x04) key, as witnesses use.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <sodium.h>

#include "cli.h"
#include "note.h"

/* Creates path exclusively with mode and writes pkey's PEM into it:
 * the private key when private, else the public key. The PEM goes
 * straight from OpenSSL to the descriptor (no copy of the secret in our
 * buffers). Returns 0, or -1 with errno set and no file left behind. */
static int write_pem(const char *path, mode_t mode, EVP_PKEY *pkey,
	int private)
{
	BIO *bio;
	int fd, ok, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		mode);
	if (fd < 0)
		return -1;
	bio = BIO_new_fd(fd, BIO_NOCLOSE);
	ok = bio != NULL;
	if (ok && private)
		ok = PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
			NULL) == 1;
	else if (ok)
		ok = PEM_write_bio_PUBKEY(bio, pkey) == 1;
	ok = ok && BIO_flush(bio) == 1;
	BIO_free(bio);
	ERR_clear_error();
	if (!ok)
		errno = EIO;
	if (ok && fsync(fd) != 0)
		ok = 0;
	saved = errno;
	if (close(fd) != 0 && ok) {
		ok = 0;
		saved = errno;
	}
	if (!ok) {
		unlink(path);
		errno = saved;
		return -1;
	}
	return 0;
}

static char *join(const char *prefix, const char *suffix)
{
	char *s;

	if (asprintf(&s, "%s%s", prefix, suffix) < 0)
		cli_errx("out of memory");
	return s;
}

/* Writes a small text file exclusively with mode. */
static int write_text(const char *path, mode_t mode, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	size_t len = strlen(text);

	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
		close(fd);
		unlink(path);
		return -1;
	}
	return close(fd);
}

static int note_keygen(const char *prefix, const char *name, int cosigner)
{
	struct mlog_note_signer s;
	struct mlog_note_verifier v;
	char skey[MLOG_NOTE_SKEY_MAX + 2], vkey[MLOG_NOTE_VKEY_MAX + 2];
	char *key_path, *vkey_path;

	if (name == NULL)
		cli_usage(CLI_USAGE_KEYGEN, "--type note needs --name NAME");
	if (mlog_note_signer_generate(&s, name, cosigner
		? MLOG_NOTE_TYPE_COSIG_V1 : MLOG_NOTE_TYPE_ED25519) != MLOG_OK)
		cli_usage(CLI_USAGE_KEYGEN, "--name %s: not a valid key name "
			"(non-empty, no '+', no spaces)", name);
	mlog_note_signer_verifier(&v, &s);
	if (mlog_note_signer_format(skey, sizeof(skey) - 1, &s) < 0 ||
	    mlog_note_verifier_format(vkey, sizeof(vkey) - 1, &v) < 0)
		cli_errx("can't format the note key");
	mlog_note_signer_clear(&s);
	strcat(skey, "\n");
	strcat(vkey, "\n");
	key_path = join(prefix, ".key");
	vkey_path = join(prefix, ".vkey");
	if (write_text(key_path, 0600, skey) != 0)
		cli_err("can't create %s", key_path);
	sodium_memzero(skey, sizeof(skey));
	if (write_text(vkey_path, 0644, vkey) != 0) {
		int saved = errno;

		unlink(key_path);
		errno = saved;
		cli_err("can't create %s", vkey_path);
	}
	fputs(vkey, stdout);
	cli_flush();
	free(key_path);
	free(vkey_path);
	return CLI_EXIT_OK;
}

int cli_cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "out", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'n' },
		{ "cosigner", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *type = NULL, *prefix = NULL, *name = NULL;
	int cosigner = 0;
	unsigned char *der = NULL;
	unsigned char id[32];
	char *key_path, *pub_path, *hex;
	EVP_PKEY *pkey;
	int ch, der_len;

	while ((ch = cli_getopt(argc, argv, opts, CLI_USAGE_KEYGEN)) != -1) {
		switch (ch) {
		case 't':
			type = optarg;
			break;
		case 'o':
			prefix = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'c':
			cosigner = 1;
			break;
		case 'h':
			cli_usage(CLI_USAGE_KEYGEN, NULL);
		default:
			cli_usage(CLI_USAGE_KEYGEN, "unknown flag");
		}
	}
	if (optind != argc)
		cli_usage(CLI_USAGE_KEYGEN, "keygen takes no arguments besides "
			"flags (got '%s')", argv[optind]);
	if (type == NULL)
		cli_usage(CLI_USAGE_KEYGEN, "must specify --type");
	if (prefix == NULL || prefix[0] == '\0')
		cli_usage(CLI_USAGE_KEYGEN, "must specify --out PREFIX");
	if (strcmp(type, "note") == 0)
		return note_keygen(prefix, name, cosigner);
	if (name != NULL || cosigner)
		cli_usage(CLI_USAGE_KEYGEN, "--name and --cosigner are for "
			"--type note");
	if (strcmp(type, "ed25519") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else if (strcmp(type, "ecdsa-p256") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else
		cli_usage(CLI_USAGE_KEYGEN, "unknown --type '%s' (ed25519, "
			"ecdsa-p256 or note)", type);
	if (pkey == NULL)
		cli_errx("can't generate a %s key", type);

	der_len = i2d_PUBKEY(pkey, &der);
	if (der_len <= 0 ||
	    EVP_Digest(der, (size_t)der_len, id, NULL, EVP_sha256(), NULL)
		!= 1)
		cli_errx("can't encode the %s public key", type);
	OPENSSL_free(der);

	key_path = join(prefix, ".key");
	pub_path = join(prefix, ".pub");
	/* On failure the key is freed before exiting, so that a refusal
	 * (an existing file) leaves no leak for the sanitizer builds. */
	if (write_pem(key_path, 0600, pkey, 1) != 0) {
		int saved = errno;

		EVP_PKEY_free(pkey);
		errno = saved;
		cli_err("can't create %s", key_path);
	}
	if (write_pem(pub_path, 0644, pkey, 0) != 0) {
		int saved = errno;

		EVP_PKEY_free(pkey);
		unlink(key_path);   /* no private key without its public half */
		errno = saved;
		cli_err("can't create %s", pub_path);
	}
	EVP_PKEY_free(pkey);
	ERR_clear_error();

	hex = cli_hex(id, sizeof(id));
	printf("%s\n", hex);
	cli_flush();
	free(hex);
	free(key_path);
	free(pub_path);
	return CLI_EXIT_OK;
}
