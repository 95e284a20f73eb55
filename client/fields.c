/*
 * fields.c — flattening sources into named fields; see fields.h.
 */
#include "fields.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"

/* Appends a field; the list size is fixed by this file, so overflow is a
 * bug, not an input error. */
static struct cli_field *add(struct cli_fields *fs, const char *name,
	int kind, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static struct cli_field *add(struct cli_fields *fs, const char *name,
	int kind, const char *fmt, ...)
{
	struct cli_field *f;
	va_list ap;

	assert(fs->n < CLI_FIELDS_MAX);
	assert(strlen(name) < CLI_FIELD_NAME_MAX);
	f = &fs->v[fs->n++];
	memset(f, 0, sizeof(*f));
	strcpy(f->name, name);
	f->kind = kind;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
	return f;
}

static struct cli_field *add_hex(struct cli_fields *fs, const char *name,
	const uint8_t *p, size_t n)
{
	struct cli_field *f = add(fs, name, CLI_FIELD_TEXT, "%s", "");

	assert(2 * n < sizeof(f->text));
	mlog_codec_hex_encode(f->text, p, n);
	f->hash = 1;
	return f;
}

static struct cli_field *add_flags(struct cli_fields *fs, const char *name,
	uint64_t v, const char *(*namer)(unsigned bit))
{
	struct cli_field *f = add(fs, name, CLI_FIELD_FLAGS, "0x%" PRIx64, v);

	f->bits = v;
	f->bit_name = namer;
	return f;
}

void cli_fields_date(char out[CLI_FIELDS_DATE_MAX], uint32_t date)
{
	for (int i = 0; i < 8; i++) {
		if (((date >> (4 * i)) & 0xf) > 9) {
			snprintf(out, CLI_FIELDS_DATE_MAX, "0x%08" PRIx32,
				date);
			return;
		}
	}
	snprintf(out, CLI_FIELDS_DATE_MAX, "%08" PRIx32, date);
}

static void add_date(struct cli_fields *fs, uint32_t date)
{
	char buf[CLI_FIELDS_DATE_MAX];

	cli_fields_date(buf, date);
	add(fs, "date", CLI_FIELD_TEXT, "%s", buf);
}

static void add_reserved(struct cli_fields *fs, const char *name,
	const struct mlog_sgx_sigstruct *s, unsigned i)
{
	size_t off = 0, len = 0;

	if (mlog_sgx_reserved_range(i, &off, &len) != MLOG_OK)
		assert(!"bad reserved range index");
	add_hex(fs, name, s->raw + off, len);
}

void cli_fields_from_sgx(struct cli_fields *out, const char *label,
	const struct mlog_sgx_enclave *e, int sig_ok, int q_ok)
{
	const struct mlog_sgx_sigstruct *s = &e->sig;
	struct cli_field *f;
	int policy = mlog_sgx_debug_policy(s->attributes, s->attributemask);

	memset(out, 0, sizeof(*out));
	out->label = label;
	out->kind = "sgx";
	out->format = mlog_sgx_source_name(e->source);

	add(out, "header.type", CLI_FIELD_TEXT, "0x%" PRIx32, s->header_type);
	add(out, "vendor", CLI_FIELD_TEXT, "0x%" PRIx32, s->vendor);
	add_date(out, s->date);
	add(out, "swdefined", CLI_FIELD_TEXT, "0x%" PRIx32, s->swdefined);
	add_reserved(out, "reserved.44", s, 0);
	f = add_hex(out, "mrsigner", s->mrsigner, MLOG_SGX_HASH_BYTES);
	f->key = 2;
	add_flags(out, "miscselect", s->miscselect, mlog_sgx_misc_name);
	add(out, "miscmask", CLI_FIELD_TEXT, "0x%" PRIx32, s->miscmask);
	add(out, "cet_attributes", CLI_FIELD_TEXT, "0x%x", s->cet_attributes);
	add(out, "cet_attributes_mask", CLI_FIELD_TEXT, "0x%x",
		s->cet_attributes_mask);
	add_reserved(out, "reserved.910", s, 1);
	add_hex(out, "isvfamilyid", s->isvfamilyid, MLOG_SGX_ID_BYTES);
	f = add_flags(out, "attributes.flags", s->attributes,
		mlog_sgx_attribute_name);
	f->alert_on = MLOG_SGX_FLAG_DEBUG;
	f->key = 5;
	f->group = "attributes";
	f = add_flags(out, "attributes.xfrm", s->xfrm, mlog_sgx_xfrm_name);
	f->key = 5;
	f->group = "attributes";
	add(out, "attributemask.flags", CLI_FIELD_TEXT, "0x%" PRIx64,
		s->attributemask);
	add(out, "attributemask.xfrm", CLI_FIELD_TEXT, "0x%" PRIx64,
		s->xfrmmask);
	f = add_hex(out, "mrenclave", s->mrenclave, MLOG_SGX_HASH_BYTES);
	f->key = 1;
	add_reserved(out, "reserved.992", s, 2);
	add_hex(out, "isvextprodid", s->isvextprodid, MLOG_SGX_ID_BYTES);
	f = add(out, "isvprodid", CLI_FIELD_TEXT, "%u", s->isvprodid);
	f->key = 3;
	f = add(out, "isvsvn", CLI_FIELD_TEXT, "%u", s->isvsvn);
	f->key = 4;

	/* Derived. Risk: production-only < either < debug-only. */
	f = add(out, "debug_policy", CLI_FIELD_TEXT, "%s",
		mlog_sgx_debug_policy_name(policy));
	f->risk = policy == MLOG_SGX_DEBUG_PRODUCTION_ONLY ? 0 :
		policy == MLOG_SGX_DEBUG_EITHER ? 1 : 2;
	f->key = 6;
	f = add(out, "signature", CLI_FIELD_TEXT, "%s",
		sig_ok ? "valid" : "invalid");
	f->risk = !sig_ok;
	f = add(out, "q1q2", CLI_FIELD_TEXT, "%s", q_ok ? "valid" : "invalid");
	f->risk = !q_ok;
}

const struct cli_field *cli_fields_find(const struct cli_fields *fs,
	const char *name)
{
	for (size_t i = 0; i < fs->n; i++) {
		if (strcmp(fs->v[i].name, name) == 0)
			return &fs->v[i];
	}
	return NULL;
}

void cli_fields_bit_names(char *out, size_t cap, uint64_t v,
	const char *(*namer)(unsigned bit))
{
	size_t len = 0;

	assert(cap > 0);
	out[0] = '\0';
	for (unsigned bit = 0; bit < 64; bit++) {
		const char *name;
		char tmp[16];
		int n;

		if ((v & ((uint64_t)1 << bit)) == 0)
			continue;
		name = namer != NULL ? namer(bit) : NULL;
		if (name == NULL) {
			snprintf(tmp, sizeof(tmp), "bit%u", bit);
			name = tmp;
		}
		n = snprintf(out + len, cap - len, "%s%s", len > 0 ? ", " : "",
			name);
		if (n < 0 || (size_t)n >= cap - len) {
			out[len] = '\0';    /* drop the name that did not fit */
			return;
		}
		len += (size_t)n;
	}
}
