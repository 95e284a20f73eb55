/*
 * enclave.c — reading an enclave file for measure and diff; see cli.h.
 */
#include <string.h>

#include "cli.h"

void cli_enclave_load(struct cli_enclave *out, const char *path)
{
	struct mlog_error err = { 0, "" };
	struct cli_file f;
	int rc;

	memset(out, 0, sizeof(*out));
	cli_file_read(&f, path, MLOG_SGX_MAX_INPUT);
	rc = mlog_sgx_enclave_decode(&out->e, f.data, f.len, &err);
	cli_file_close(&f);
	if (rc != MLOG_OK)
		cli_errx("%s: %s", path, err.msg);

	rc = mlog_sgx_sigstruct_verify(&out->e.sig, &err);
	if (rc != MLOG_OK && rc != MLOG_ERR_VERIFY)
		cli_errx("%s: %s", path, err.msg);
	out->sig_ok = rc == MLOG_OK;
	if (!out->sig_ok)
		memcpy(out->sig_err, err.msg, sizeof(out->sig_err));

	rc = mlog_sgx_sigstruct_verify_q(&out->e.sig, &err);
	if (rc != MLOG_OK && rc != MLOG_ERR_VERIFY)
		cli_errx("%s: %s", path, err.msg);
	out->q_ok = rc == MLOG_OK;
	if (!out->q_ok)
		memcpy(out->q_err, err.msg, sizeof(out->q_err));
}
