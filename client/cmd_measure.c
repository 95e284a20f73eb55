/*
 * cmd_measure.c — `mlog measure FILE`: reads an SGX enclave or SIGSTRUCT
 * (merkle/sgx.h), prints every SIGSTRUCT field, the derived MRSIGNER and
 * debug policy, the metadata entries or .oeinfo properties, and whether
 * the RSA signature and q1/q2 check (SPEC §5).
 *
 * Exit: 0 when the file was read, whatever the checks say (they are in the
 * output: "signature_valid"); with --require-valid, 1 when the signature
 * or q1/q2 fails or metadata entries disagree; 2 on any error. The JSON
 * field names are listed in docs/cli.md and are stable.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fields.h"

/* Text label column: 20 wide and a space, like mlog diff. */
#define LABEL "%-20s "

/* ---- text -------------------------------------------------------------- */

static void text_hex(const char *label, const uint8_t *p, size_t n)
{
	char *h = cli_hex(p, n);

	printf(LABEL "%s\n", label, h);
	free(h);
}

static void text_flags(const char *label, uint64_t v,
	const char *(*namer)(unsigned bit))
{
	char names[512];

	cli_fields_bit_names(names, sizeof(names), v, namer);
	if (names[0] != '\0')
		printf(LABEL "0x%" PRIx64 " (%s)\n", label, v, names);
	else
		printf(LABEL "0x%" PRIx64 "\n", label, v);
}

static void text_reserved(const struct mlog_sgx_sigstruct *s)
{
	const char *sep = "";

	printf(LABEL, "reserved");
	if (s->reserved_nonzero == 0)
		fputs("all zero", stdout);
	for (unsigned i = 0; i < MLOG_SGX_RESERVED_COUNT; i++) {
		size_t off = 0, len = 0;

		if ((s->reserved_nonzero & (1u << i)) == 0 ||
		    mlog_sgx_reserved_range(i, &off, &len) != MLOG_OK)
			continue;
		printf("%snon-zero at %zu (%zu bytes)", sep, off, len);
		sep = ", ";
	}
	fputc('\n', stdout);
}

static void text_meta(const struct mlog_sgx_enclave *e)
{
	for (size_t i = 0; i < e->nmeta; i++) {
		const struct mlog_sgx_meta *m = &e->meta[i];
		char label[32];

		snprintf(label, sizeof(label), "metadata[%zu]", i);
		printf(LABEL "offset 0x%" PRIx64 ", version %" PRIu32 ".%"
			PRIu32 ", size 0x%" PRIx32 ", tcs_policy %" PRIu32
			", ssa_frame_size %" PRIu32 ", max_save_buffer_size %"
			PRIu32 ", desired_misc_select 0x%" PRIx32
			", tcs_min_pool %" PRIu32 ", enclave_size 0x%" PRIx64
			", attributes 0x%" PRIx64 ", xfrm 0x%" PRIx64 ", %s\n",
			label, m->offset, m->version_major, m->version_minor,
			m->size, m->tcs_policy, m->ssa_frame_size,
			m->max_save_buffer_size, m->desired_misc_select,
			m->tcs_min_pool, m->enclave_size, m->attributes,
			m->xfrm, m->same_sigstruct ? "same SIGSTRUCT" :
			"DIFFERENT SIGSTRUCT");
		if (!m->same_sigstruct) {
			char *h = cli_hex(m->mrenclave, MLOG_SGX_HASH_BYTES);

			printf(LABEL "its mrenclave %s\n", "", h);
			free(h);
		}
	}
	if (e->nmeta > 0)
		printf(LABEL "%s\n", "metadata_agree", e->meta_agree ? "yes" :
			"NO: entries carry different SIGSTRUCTs");
}

static void print_text(const char *path, const struct cli_enclave *ce)
{
	const struct mlog_sgx_enclave *e = &ce->e;
	const struct mlog_sgx_sigstruct *s = &e->sig;
	char date[CLI_FIELDS_DATE_MAX];

	printf(LABEL "%s\n", "file", path);
	if (e->source == MLOG_SGX_SOURCE_SIGSTRUCT)
		printf(LABEL "%s (%d bytes)\n", "format",
			mlog_sgx_source_name(e->source),
			MLOG_SGX_SIGSTRUCT_BYTES);
	else
		printf(LABEL "%s (ELF%d, section %s at 0x%" PRIx64 ", 0x%"
			PRIx64 " bytes)\n", "format",
			mlog_sgx_source_name(e->source), e->elf_class,
			e->source == MLOG_SGX_SOURCE_SGXMETA ?
			".note.sgxmeta" : ".oeinfo", e->section_offset,
			e->section_size);
	printf(LABEL "0x%" PRIx64 "\n", "sigstruct_offset",
		e->sigstruct_offset);
	text_hex("sigstruct_sha256", s->sha256, MLOG_SGX_HASH_BYTES);
	text_hex("mrenclave", s->mrenclave, MLOG_SGX_HASH_BYTES);
	text_hex("mrsigner", s->mrsigner, MLOG_SGX_HASH_BYTES);
	printf(LABEL "%u\n", "isvprodid", s->isvprodid);
	printf(LABEL "%u\n", "isvsvn", s->isvsvn);
	text_flags("attributes.flags", s->attributes,
		mlog_sgx_attribute_name);
	text_flags("attributes.xfrm", s->xfrm, mlog_sgx_xfrm_name);
	printf(LABEL "0x%" PRIx64 "\n", "attributemask.flags",
		s->attributemask);
	printf(LABEL "0x%" PRIx64 "\n", "attributemask.xfrm", s->xfrmmask);
	printf(LABEL "%s\n", "debug_policy", mlog_sgx_debug_policy_name(
		mlog_sgx_debug_policy(s->attributes, s->attributemask)));
	text_flags("miscselect", s->miscselect, mlog_sgx_misc_name);
	printf(LABEL "0x%" PRIx32 "\n", "miscmask", s->miscmask);
	printf(LABEL "0x%x\n", "cet_attributes", s->cet_attributes);
	printf(LABEL "0x%x\n", "cet_attributes_mask", s->cet_attributes_mask);
	text_hex("isvfamilyid", s->isvfamilyid, MLOG_SGX_ID_BYTES);
	text_hex("isvextprodid", s->isvextprodid, MLOG_SGX_ID_BYTES);
	text_hex("header", s->raw, 16);
	printf(LABEL "0x%" PRIx32 "%s\n", "header.type", s->header_type,
		s->header_type != 0 ? " (debug-signed)" : "");
	printf(LABEL "0x%" PRIx32 "%s\n", "vendor", s->vendor,
		s->vendor == MLOG_SGX_VENDOR_INTEL ? " (Intel)" : "");
	cli_fields_date(date, s->date);
	printf(LABEL "%s\n", "date", date);
	printf(LABEL "0x%" PRIx32 "\n", "swdefined", s->swdefined);
	text_reserved(s);
	printf(LABEL "%" PRIu32 "\n", "exponent", s->exponent);
	text_hex("modulus", s->raw + MLOG_SGX_OFF_MODULUS,
		MLOG_SGX_KEY_BYTES);
	text_hex("signature", s->raw + MLOG_SGX_OFF_SIGNATURE,
		MLOG_SGX_KEY_BYTES);
	text_hex("q1", s->raw + MLOG_SGX_OFF_Q1, MLOG_SGX_KEY_BYTES);
	text_hex("q2", s->raw + MLOG_SGX_OFF_Q2, MLOG_SGX_KEY_BYTES);
	if (ce->sig_ok)
		printf(LABEL "yes\n", "signature_valid");
	else
		printf(LABEL "no: %s\n", "signature_valid", ce->sig_err);
	if (ce->q_ok)
		printf(LABEL "yes\n", "q1q2_valid");
	else
		printf(LABEL "no: %s\n", "q1q2_valid", ce->q_err);
	text_meta(e);
	if (e->source == MLOG_SGX_SOURCE_OEINFO)
		printf(LABEL "size %" PRIu32 ", enclave_type %" PRIu32
			", product_id %u, security_version %u, flags 0x%" PRIx32
			", attributes 0x%" PRIx64 ", xfrm 0x%" PRIx64
			", num_heap_pages %" PRIu64 ", num_stack_pages %" PRIu64
			", num_tcs %" PRIu64 "\n", "oeinfo", e->oe.size,
			e->oe.enclave_type, e->oe.product_id,
			e->oe.security_version, e->oe.flags, e->oe.attributes,
			e->oe.xfrm, e->oe.num_heap_pages,
			e->oe.num_stack_pages, e->oe.num_tcs);
}

/* ---- JSON -------------------------------------------------------------- */

static json_t *jobj(void)
{
	json_t *o = json_object();

	if (o == NULL)
		cli_errx("out of memory building JSON");
	return o;
}

static json_t *jhex64(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	return cli_json_str(buf);
}

static json_t *jnames(uint64_t v, const char *(*namer)(unsigned bit))
{
	json_t *a = json_array();

	if (a == NULL)
		cli_errx("out of memory building JSON");
	for (unsigned bit = 0; bit < 64; bit++) {
		const char *name;
		char tmp[16];

		if ((v & ((uint64_t)1 << bit)) == 0)
			continue;
		name = namer(bit);
		if (name == NULL) {
			snprintf(tmp, sizeof(tmp), "bit%u", bit);
			name = tmp;
		}
		if (json_array_append_new(a, cli_json_str(name)) != 0)
			cli_errx("out of memory building JSON");
	}
	return a;
}

static json_t *json_reserved(const struct mlog_sgx_sigstruct *s)
{
	json_t *a = json_array();

	if (a == NULL)
		cli_errx("out of memory building JSON");
	for (unsigned i = 0; i < MLOG_SGX_RESERVED_COUNT; i++) {
		size_t off = 0, len = 0;
		json_t *r;

		if ((s->reserved_nonzero & (1u << i)) == 0 ||
		    mlog_sgx_reserved_range(i, &off, &len) != MLOG_OK)
			continue;
		r = jobj();
		cli_json_set(r, "offset", cli_json_int((long long)off));
		cli_json_set(r, "length", cli_json_int((long long)len));
		cli_json_set(r, "bytes", cli_json_hex(s->raw + off, len));
		if (json_array_append_new(a, r) != 0)
			cli_errx("out of memory building JSON");
	}
	return a;
}

static json_t *json_meta(const struct mlog_sgx_enclave *e)
{
	json_t *a = json_array();

	if (a == NULL)
		cli_errx("out of memory building JSON");
	for (size_t i = 0; i < e->nmeta; i++) {
		const struct mlog_sgx_meta *m = &e->meta[i];
		json_t *o = jobj();
		char version[32];

		snprintf(version, sizeof(version), "%" PRIu32 ".%" PRIu32,
			m->version_major, m->version_minor);
		cli_json_set(o, "offset", cli_json_int((long long)m->offset));
		cli_json_set(o, "version", cli_json_str(version));
		cli_json_set(o, "size", cli_json_int(m->size));
		cli_json_set(o, "tcs_policy", cli_json_int(m->tcs_policy));
		cli_json_set(o, "ssa_frame_size",
			cli_json_int(m->ssa_frame_size));
		cli_json_set(o, "max_save_buffer_size",
			cli_json_int(m->max_save_buffer_size));
		cli_json_set(o, "desired_misc_select",
			jhex64(m->desired_misc_select));
		cli_json_set(o, "tcs_min_pool", cli_json_int(m->tcs_min_pool));
		cli_json_set(o, "enclave_size", jhex64(m->enclave_size));
		cli_json_set(o, "attributes_flags", jhex64(m->attributes));
		cli_json_set(o, "attributes_xfrm", jhex64(m->xfrm));
		cli_json_set(o, "mrenclave", cli_json_hex(m->mrenclave,
			MLOG_SGX_HASH_BYTES));
		cli_json_set(o, "same_sigstruct",
			json_boolean(m->same_sigstruct));
		if (json_array_append_new(a, o) != 0)
			cli_errx("out of memory building JSON");
	}
	return a;
}

static json_t *json_oeinfo(const struct mlog_sgx_oeinfo *oe)
{
	json_t *o = jobj();

	cli_json_set(o, "size", cli_json_int(oe->size));
	cli_json_set(o, "enclave_type", cli_json_int(oe->enclave_type));
	cli_json_set(o, "num_heap_pages", jhex64(oe->num_heap_pages));
	cli_json_set(o, "num_stack_pages", jhex64(oe->num_stack_pages));
	cli_json_set(o, "num_tcs", jhex64(oe->num_tcs));
	cli_json_set(o, "product_id", cli_json_int(oe->product_id));
	cli_json_set(o, "security_version",
		cli_json_int(oe->security_version));
	cli_json_set(o, "flags", jhex64(oe->flags));
	cli_json_set(o, "attributes", jhex64(oe->attributes));
	cli_json_set(o, "xfrm", jhex64(oe->xfrm));
	return o;
}

/* The SPEC §2 measurement object for a build manifest (field forms as in
 * merkle/statement.h: hex of the bytes as stored, u16 as integers).
 * debug: whether the enclave may be launched in debug mode. */
static json_t *json_measurement(const struct mlog_sgx_sigstruct *s)
{
	json_t *o = jobj();
	int policy = mlog_sgx_debug_policy(s->attributes, s->attributemask);

	cli_json_set(o, "tee", cli_json_str("sgx"));
	cli_json_set(o, "mrenclave", cli_json_hex(s->mrenclave,
		MLOG_SGX_HASH_BYTES));
	cli_json_set(o, "mrsigner", cli_json_hex(s->mrsigner,
		MLOG_SGX_HASH_BYTES));
	cli_json_set(o, "isvprodid", cli_json_int(s->isvprodid));
	cli_json_set(o, "isvsvn", cli_json_int(s->isvsvn));
	cli_json_set(o, "attributes", cli_json_hex(s->raw +
		MLOG_SGX_OFF_ATTRIBUTES, 16));
	cli_json_set(o, "miscselect", cli_json_hex(s->raw +
		MLOG_SGX_OFF_MISCSELECT, 4));
	cli_json_set(o, "debug", json_boolean(policy !=
		MLOG_SGX_DEBUG_PRODUCTION_ONLY));
	return o;
}

static void print_json(const char *path, const struct cli_enclave *ce)
{
	const struct mlog_sgx_enclave *e = &ce->e;
	const struct mlog_sgx_sigstruct *s = &e->sig;
	json_t *o = jobj();
	char date[CLI_FIELDS_DATE_MAX];

	cli_json_set(o, "file", cli_json_str(path));
	cli_json_set(o, "format", cli_json_str(mlog_sgx_source_name(
		e->source)));
	if (e->source != MLOG_SGX_SOURCE_SIGSTRUCT) {
		json_t *sec = jobj();

		cli_json_set(o, "elf_class", cli_json_int(e->elf_class));
		cli_json_set(sec, "name", cli_json_str(e->source ==
			MLOG_SGX_SOURCE_SGXMETA ? ".note.sgxmeta" :
			".oeinfo"));
		cli_json_set(sec, "offset", cli_json_int(
			(long long)e->section_offset));
		cli_json_set(sec, "size", cli_json_int(
			(long long)e->section_size));
		cli_json_set(o, "section", sec);
	}
	cli_json_set(o, "sigstruct_offset", cli_json_int(
		(long long)e->sigstruct_offset));
	cli_json_set(o, "sigstruct_sha256", cli_json_hex(s->sha256,
		MLOG_SGX_HASH_BYTES));
	cli_json_set(o, "mrenclave", cli_json_hex(s->mrenclave,
		MLOG_SGX_HASH_BYTES));
	cli_json_set(o, "mrsigner", cli_json_hex(s->mrsigner,
		MLOG_SGX_HASH_BYTES));
	cli_json_set(o, "isvprodid", cli_json_int(s->isvprodid));
	cli_json_set(o, "isvsvn", cli_json_int(s->isvsvn));
	cli_json_set(o, "attributes_flags", jhex64(s->attributes));
	cli_json_set(o, "attributes_flags_names", jnames(s->attributes,
		mlog_sgx_attribute_name));
	cli_json_set(o, "attributes_xfrm", jhex64(s->xfrm));
	cli_json_set(o, "attributes_xfrm_names", jnames(s->xfrm,
		mlog_sgx_xfrm_name));
	cli_json_set(o, "attributemask_flags", jhex64(s->attributemask));
	cli_json_set(o, "attributemask_xfrm", jhex64(s->xfrmmask));
	cli_json_set(o, "debug_policy", cli_json_str(
		mlog_sgx_debug_policy_name(mlog_sgx_debug_policy(
		s->attributes, s->attributemask))));
	cli_json_set(o, "miscselect", jhex64(s->miscselect));
	cli_json_set(o, "miscselect_names", jnames(s->miscselect,
		mlog_sgx_misc_name));
	cli_json_set(o, "miscmask", jhex64(s->miscmask));
	cli_json_set(o, "cet_attributes", jhex64(s->cet_attributes));
	cli_json_set(o, "cet_attributes_mask",
		jhex64(s->cet_attributes_mask));
	cli_json_set(o, "isvfamilyid", cli_json_hex(s->isvfamilyid,
		MLOG_SGX_ID_BYTES));
	cli_json_set(o, "isvextprodid", cli_json_hex(s->isvextprodid,
		MLOG_SGX_ID_BYTES));
	cli_json_set(o, "header", cli_json_hex(s->raw, 16));
	cli_json_set(o, "header_type", jhex64(s->header_type));
	cli_json_set(o, "debug_signed", json_boolean(s->header_type != 0));
	cli_json_set(o, "vendor", jhex64(s->vendor));
	cli_fields_date(date, s->date);
	cli_json_set(o, "date", cli_json_str(date));
	cli_json_set(o, "swdefined", jhex64(s->swdefined));
	cli_json_set(o, "reserved_nonzero", json_reserved(s));
	cli_json_set(o, "exponent", cli_json_int(s->exponent));
	cli_json_set(o, "modulus", cli_json_hex(s->raw +
		MLOG_SGX_OFF_MODULUS, MLOG_SGX_KEY_BYTES));
	cli_json_set(o, "signature", cli_json_hex(s->raw +
		MLOG_SGX_OFF_SIGNATURE, MLOG_SGX_KEY_BYTES));
	cli_json_set(o, "q1", cli_json_hex(s->raw + MLOG_SGX_OFF_Q1,
		MLOG_SGX_KEY_BYTES));
	cli_json_set(o, "q2", cli_json_hex(s->raw + MLOG_SGX_OFF_Q2,
		MLOG_SGX_KEY_BYTES));
	cli_json_set(o, "signature_valid", json_boolean(ce->sig_ok));
	if (!ce->sig_ok)
		cli_json_set(o, "signature_error", cli_json_str(ce->sig_err));
	cli_json_set(o, "q1q2_valid", json_boolean(ce->q_ok));
	if (!ce->q_ok)
		cli_json_set(o, "q1q2_error", cli_json_str(ce->q_err));
	if (e->source == MLOG_SGX_SOURCE_SGXMETA) {
		cli_json_set(o, "metadata", json_meta(e));
		cli_json_set(o, "metadata_agree", json_boolean(e->meta_agree));
	}
	if (e->source == MLOG_SGX_SOURCE_OEINFO)
		cli_json_set(o, "oeinfo", json_oeinfo(&e->oe));
	cli_json_set(o, "measurement", json_measurement(s));
	cli_json_print(o);
}

int cli_cmd_measure(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "require-valid", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum cli_output fmt = CLI_OUTPUT_TEXT;
	struct cli_enclave ce;
	int ch, require_valid = 0;

	while ((ch = cli_getopt(argc, argv, opts, CLI_USAGE_MEASURE)) != -1) {
		switch (ch) {
		case 'o':
			fmt = cli_output_parse(optarg, CLI_OUTPUT_TEXT |
				CLI_OUTPUT_JSON, CLI_USAGE_MEASURE);
			break;
		case 'r':
			require_valid = 1;
			break;
		case 'h':
			cli_usage(CLI_USAGE_MEASURE, NULL);
		default:
			cli_usage(CLI_USAGE_MEASURE, "unknown flag");
		}
	}
	if (argc - optind != 1)
		cli_usage(CLI_USAGE_MEASURE, "measure needs exactly one FILE "
			"(got %d)", argc - optind);
	cli_enclave_load(&ce, argv[optind]);
	if (fmt == CLI_OUTPUT_JSON)
		print_json(argv[optind], &ce);
	else
		print_text(argv[optind], &ce);
	cli_flush();
	if (require_valid && (!ce.sig_ok || !ce.q_ok || !ce.e.meta_agree)) {
		cli_warnx("%s: %s", argv[optind], !ce.sig_ok ? ce.sig_err :
			!ce.q_ok ? ce.q_err :
			"metadata entries carry different SIGSTRUCTs");
		return CLI_EXIT_NO;
	}
	return CLI_EXIT_OK;
}
