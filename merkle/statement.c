/*
 * statement.c — in-toto Statement v1 validation and index keys; see
 * statement.h for the rules (numbers below refer to them).
 *
 * The checker walks the jansson tree with a struct vctx that carries the
 * JSON path of the value being checked ("predicate.measurements[0]"), so
 * every message names its field. Each check function is entered with the
 * path pointing at its object and leaves it as it found it.
 */
#include "statement.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define PATH_CAP 192

struct tee;

struct vctx {
	struct mlog_error *err;
	struct mlog_statement *st;  /* receives keys, decision, time */
	size_t keys_cap;
	const json_t *approval_m;           /* an approval's measurement */
	const struct tee *approval_tee;     /* ... and its TEE */
	size_t plen;
	char path[PATH_CAP];        /* JSON path of the current value */
};

/* Flags of the member getters. */
#define REQ 1u          /* missing is an error */
#define EMPTY_OK 2u     /* "" is allowed (strings) */

/* ------------------------------------------------------------------ */
/* Paths and messages                                                  */
/* ------------------------------------------------------------------ */

__attribute__((format(printf, 2, 3)))
static size_t path_push(struct vctx *c, const char *fmt, ...)
{
	size_t mark = c->plen;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->path + mark, sizeof(c->path) - mark, fmt, ap);
	va_end(ap);
	if (n < 0)
		c->path[mark] = '\0';
	else if (mark + (size_t)n >= sizeof(c->path))
		c->plen = sizeof(c->path) - 1;   /* truncated, still valid */
	else
		c->plen = mark + (size_t)n;
	return mark;
}

static void path_pop(struct vctx *c, size_t mark)
{
	c->plen = mark;
	c->path[mark] = '\0';
}

static size_t push_name(struct vctx *c, const char *name)
{
	if (c->plen == 0)
		return path_push(c, "%s", name);
	return path_push(c, ".%s", name);
}

static size_t push_index(struct vctx *c, size_t i)
{
	return path_push(c, "[%zu]", i);
}

/* Records "statement: <path>: <what>" and returns MLOG_ERR_MALFORMED. */
__attribute__((format(printf, 2, 3)))
static int bad(struct vctx *c, const char *fmt, ...)
{
	char what[MLOG_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return mlog_error_set(c->err, MLOG_ERR_MALFORMED, "statement: %s: %s",
		c->plen > 0 ? c->path : "(root)", what);
}

/* Copies s into out (at most cap-1 bytes), control characters as '?'. */
static const char *printable(char *out, size_t cap, const char *s)
{
	size_t i;

	for (i = 0; i + 1 < cap && s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s[i];

		out[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	out[i] = '\0';
	return out;
}

/* ------------------------------------------------------------------ */
/* Lexical rules                                                       */
/* ------------------------------------------------------------------ */

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static int is_lower(char ch)
{
	return ch >= 'a' && ch <= 'z';
}

static int is_alnum(char ch)
{
	return is_digit(ch) || is_lower(ch) || (ch >= 'A' && ch <= 'Z');
}

static int is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return 0;
	}
	return 1;
}

int mlog_statement_ticket_valid(const char *s, size_t len)
{
	/* Rule 14: [A-Za-z0-9][A-Za-z0-9._-]{0,63} */
	if (len == 0 || len > MLOG_STATEMENT_TICKET_MAX || !is_alnum(s[0]))
		return 0;
	for (size_t i = 1; i < len; i++) {
		if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '_' &&
		    s[i] != '-')
			return 0;
	}
	return 1;
}

/* Rule 13: [a-z][a-z0-9]*(-[a-z0-9]+)* "-" [0-9]+(.[0-9]+)* */
static int format_valid(const char *s, size_t len)
{
	size_t dash = len, i;

	if (len == 0 || len > MLOG_STATEMENT_FORMAT_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '-')
			dash = i;
	}
	if (dash == len || dash == 0 || dash + 1 == len)
		return 0;
	/* version: digit groups separated by single dots */
	for (i = dash + 1; i < len; i++) {
		if (s[i] == '.') {
			if (!is_digit(s[i - 1]) || i + 1 == len)
				return 0;
		} else if (!is_digit(s[i])) {
			return 0;
		}
	}
	/* name: starts with a letter, dashes only between alphanumerics */
	if (!is_lower(s[0]))
		return 0;
	for (i = 1; i < dash; i++) {
		if (s[i] == '-') {
			if (s[i - 1] == '-' || i + 1 == dash)
				return 0;
		} else if (!is_lower(s[i]) && !is_digit(s[i])) {
			return 0;
		}
	}
	return 1;
}

/* Digits s[0..n) as an int, or -1. */
static int num(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). Requires 1 <= m <= 12. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int mlog_statement_time_parse(int64_t *out, const char *s, size_t len)
{
	/* Rule 15: YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+HH:MM|-HH:MM) */
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	size_t i;

	if (len < 20)
		return MLOG_ERR_MALFORMED;
	y = num(s, 4);
	mo = num(s + 5, 2);
	d = num(s + 8, 2);
	h = num(s + 11, 2);
	mi = num(s + 14, 2);
	sec = num(s + 17, 2);
	if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0 ||
	    s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':')
		return MLOG_ERR_MALFORMED;
	i = 19;
	if (s[i] == '.') {
		size_t first = ++i;

		while (i < len && is_digit(s[i]))
			i++;
		if (i == first || i - first > 9)
			return MLOG_ERR_MALFORMED;
	}
	if (i < len && s[i] == 'Z') {
		i++;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		sign = s[i] == '+' ? 1 : -1;
		if (len - i != 6 || s[i + 3] != ':')
			return MLOG_ERR_MALFORMED;
		oh = num(s + i + 1, 2);
		om = num(s + i + 4, 2);
		if (oh < 0 || om < 0)
			return MLOG_ERR_MALFORMED;
		i += 6;
	} else {
		return MLOG_ERR_MALFORMED;
	}
	if (i != len)
		return MLOG_ERR_MALFORMED;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 59 || oh > 23 || om > 59)
		return MLOG_ERR_MALFORMED;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
		sign * (oh * 3600 + om * 60);
	return MLOG_OK;
}

/* ------------------------------------------------------------------ */
/* Index keys                                                          */
/* ------------------------------------------------------------------ */

/* Adds (kind, prefix ":" value) or (kind, value) unless already there. */
static int add_key(struct vctx *c, int kind, const char *prefix,
	const char *value)
{
	struct mlog_statement *st = c->st;
	struct mlog_statement_key k;
	int n;

	/* Zeroed so that keys compare bytewise and carry no stack bytes. */
	memset(&k, 0, sizeof(k));
	k.kind = kind;
	if (prefix != NULL)
		n = snprintf(k.value, sizeof(k.value), "%s:%s", prefix, value);
	else
		n = snprintf(k.value, sizeof(k.value), "%s", value);
	/* Callers only pass validated values, which always fit. */
	if (n < 0 || (size_t)n >= sizeof(k.value))
		return mlog_error_set(c->err, MLOG_ERR_INTERNAL,
			"statement: %s: index value too long", c->path);
	for (size_t i = 0; i < st->nkeys; i++) {
		if (st->keys[i].kind == kind &&
		    strcmp(st->keys[i].value, k.value) == 0)
			return MLOG_OK;
	}
	if (st->nkeys == c->keys_cap) {
		size_t cap = c->keys_cap ? 2 * c->keys_cap : 8;
		struct mlog_statement_key *p;

		p = realloc(st->keys, cap * sizeof(*p));
		if (p == NULL)
			return MLOG_ERR_NOMEM;
		st->keys = p;
		c->keys_cap = cap;
	}
	st->keys[st->nkeys++] = k;
	return MLOG_OK;
}

/* ------------------------------------------------------------------ */
/* Member getters: each looks up obj.name, checks presence and type,   */
/* and reports errors at "<path>.name".                                */
/* ------------------------------------------------------------------ */

/* Reports at <path>.name and returns the code. */
__attribute__((format(printf, 3, 4)))
static int bad_at(struct vctx *c, const char *name, const char *fmt, ...)
{
	char what[MLOG_ERROR_MSG_MAX];
	size_t mark = push_name(c, name);
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	rc = bad(c, "%s", what);
	path_pop(c, mark);
	return rc;
}

static int get_value(struct vctx *c, const json_t *obj, const char *name,
	unsigned flags, const json_t **out)
{
	*out = json_object_get(obj, name);
	if (*out == NULL && (flags & REQ))
		return bad_at(c, name, "missing");
	return MLOG_OK;
}

static int get_string(struct vctx *c, const json_t *obj, const char *name,
	unsigned flags, const char **out)
{
	const json_t *v;
	int rc = get_value(c, obj, name, flags, &v);

	*out = NULL;
	if (rc != MLOG_OK || v == NULL)
		return rc;
	if (!json_is_string(v))
		return bad_at(c, name, "want a string");
	if (json_string_length(v) == 0 && !(flags & EMPTY_OK))
		return bad_at(c, name, "empty");
	*out = json_string_value(v);
	return MLOG_OK;
}

static int get_hex(struct vctx *c, const json_t *obj, const char *name,
	size_t nbytes, unsigned flags, const char **out)
{
	const json_t *v;
	int rc = get_value(c, obj, name, flags, &v);

	*out = NULL;
	if (rc != MLOG_OK || v == NULL)
		return rc;
	if (!json_is_string(v) || json_string_length(v) != 2 * nbytes ||
	    !is_lower_hex(json_string_value(v), 2 * nbytes))
		return bad_at(c, name, "want %zu lowercase hex digits",
			2 * nbytes);
	*out = json_string_value(v);
	return MLOG_OK;
}

static int get_uint(struct vctx *c, const json_t *obj, const char *name,
	json_int_t max, unsigned flags, json_int_t *out, int *present)
{
	const json_t *v;
	int rc = get_value(c, obj, name, flags, &v);

	*present = 0;
	if (rc != MLOG_OK || v == NULL)
		return rc;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > max)
		return bad_at(c, name, "want an integer 0..%lld",
			(long long)max);
	*out = json_integer_value(v);
	*present = 1;
	return MLOG_OK;
}

static int get_bool(struct vctx *c, const json_t *obj, const char *name,
	unsigned flags, int *present)
{
	const json_t *v;
	int rc = get_value(c, obj, name, flags, &v);

	*present = 0;
	if (rc != MLOG_OK || v == NULL)
		return rc;
	if (!json_is_boolean(v))
		return bad_at(c, name, "want true or false");
	*present = 1;
	return MLOG_OK;
}

static int get_object(struct vctx *c, const json_t *obj, const char *name,
	unsigned flags, const json_t **out)
{
	int rc = get_value(c, obj, name, flags, out);

	if (rc != MLOG_OK || *out == NULL)
		return rc;
	if (!json_is_object(*out))
		return bad_at(c, name, "want an object");
	return MLOG_OK;
}

/* An array; with REQ it must also be non-empty. */
static int get_array(struct vctx *c, const json_t *obj, const char *name,
	unsigned flags, const json_t **out)
{
	int rc = get_value(c, obj, name, flags, out);

	if (rc != MLOG_OK || *out == NULL)
		return rc;
	if (!json_is_array(*out))
		return bad_at(c, name, "want an array");
	if ((flags & REQ) && json_array_size(*out) == 0)
		return bad_at(c, name, "empty");
	return MLOG_OK;
}

/* ------------------------------------------------------------------ */
/* Digest sets (rule 5)                                                */
/* ------------------------------------------------------------------ */

/* Hex digits of a known algorithm's digest, or 0. */
static size_t known_hex_len(const char *alg)
{
	if (strcmp(alg, "sha256") == 0)
		return 64;
	if (strcmp(alg, "sha384") == 0)
		return 96;
	if (strcmp(alg, "sha512") == 0)
		return 128;
	return 0;
}

static int alg_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '-')
			return 0;
	}
	return 1;
}

/*
 * Checks the digest set d (path at it). need: an algorithm that must be
 * present, or NULL. index: add a "digest" key per known algorithm.
 */
static int check_digest_set(struct vctx *c, const json_t *d,
	const char *need, int index)
{
	const char *alg;
	const json_t *v;
	char shown[40];
	int known = 0, rc;

	if (!json_is_object(d))
		return bad(c, "want an object of algorithm: hex digest");
	if (json_object_size(d) == 0)
		return bad(c, "empty");
	json_object_foreach((json_t *)d, alg, v) {
		size_t want = known_hex_len(alg);
		const char *s = json_string_value(v);
		size_t n = json_string_length(v);

		if (want == 0 && !alg_name_valid(alg))
			return bad_at(c, printable(shown, sizeof(shown), alg),
				"bad algorithm name (want 1..32 of "
				"[A-Za-z0-9_-])");
		if (!json_is_string(v))
			return bad_at(c, alg, "want a string");
		if (want != 0 && (n != want || !is_lower_hex(s, n)))
			return bad_at(c, alg, "want %zu lowercase hex digits",
				want);
		if (want == 0 && (n < 2 || n > 128 || n % 2 != 0 ||
		    !is_lower_hex(s, n)))
			return bad_at(c, alg, "want 2..128 lowercase hex "
				"digits, an even number");
		if (want != 0) {
			known = 1;
			if (index) {
				rc = add_key(c, MLOG_STATEMENT_KEY_DIGEST, alg,
					s);
				if (rc != MLOG_OK)
					return rc;
			}
		}
	}
	if (need != NULL && json_object_get(d, need) == NULL)
		return bad_at(c, need, "missing");
	if (!known)
		return bad(c, "want a sha256, sha384 or sha512 digest");
	return MLOG_OK;
}

/* Looks up obj.digest (required) and checks it as a digest set. */
static int get_digest_set(struct vctx *c, const json_t *obj,
	const char *need, int index)
{
	const json_t *d;
	size_t mark;
	int rc = get_value(c, obj, "digest", REQ, &d);

	if (rc != MLOG_OK)
		return rc;
	mark = push_name(c, "digest");
	rc = check_digest_set(c, d, need, index);
	path_pop(c, mark);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Measurements (rule 8)                                               */
/* ------------------------------------------------------------------ */

enum { F_HEX, F_U16, F_BOOL };
#define F_REQUIRED 1u   /* required in a build-manifest measurement */
#define F_IDENTITY 2u   /* identifies the workload: indexed, anchors
			 * an approval */

struct mfield {
	const char *name;
	int kind;           /* F_HEX, F_U16, F_BOOL */
	size_t bytes;       /* F_HEX: decoded length */
	unsigned flags;
	int key;            /* F_IDENTITY: enum mlog_statement_key_kind */
};

struct tee {
	const char *name;
	const struct mfield *fields;
	size_t nfields;
	const char *identities;     /* for messages */
};

static const struct mfield sgx_fields[] = {
	{ "mrenclave", F_HEX, 32, F_REQUIRED | F_IDENTITY,
		MLOG_STATEMENT_KEY_MRENCLAVE },
	{ "mrsigner", F_HEX, 32, F_REQUIRED | F_IDENTITY,
		MLOG_STATEMENT_KEY_MRSIGNER },
	{ "isvprodid", F_U16, 0, F_REQUIRED, 0 },
	{ "isvsvn", F_U16, 0, F_REQUIRED, 0 },
	{ "attributes", F_HEX, 16, 0, 0 },
	{ "miscselect", F_HEX, 4, 0, 0 },
	{ "debug", F_BOOL, 0, 0, 0 },
	{ "min_isvsvn", F_U16, 0, 0, 0 },
};

static const struct mfield tdx_fields[] = {
	{ "mrtd", F_HEX, 48, F_REQUIRED | F_IDENTITY,
		MLOG_STATEMENT_KEY_MRTD },
	{ "rtmr0", F_HEX, 48, 0, 0 },
	{ "rtmr1", F_HEX, 48, 0, 0 },
	{ "rtmr2", F_HEX, 48, 0, 0 },
	{ "rtmr3", F_HEX, 48, 0, 0 },
	{ "mrconfigid", F_HEX, 48, 0, 0 },
};

static const struct mfield snp_fields[] = {
	{ "measurement", F_HEX, 48, F_REQUIRED | F_IDENTITY,
		MLOG_STATEMENT_KEY_SNP_MEASUREMENT },
	{ "host_data", F_HEX, 32, 0, 0 },
	{ "id_key_digest", F_HEX, 48, F_IDENTITY,
		MLOG_STATEMENT_KEY_SNP_ID_KEY },
	{ "policy", F_HEX, 8, 0, 0 },
};

static const struct mfield nitro_fields[] = {
	{ "pcr0", F_HEX, 48, F_REQUIRED | F_IDENTITY,
		MLOG_STATEMENT_KEY_NITRO_PCR0 },
	{ "pcr1", F_HEX, 48, F_REQUIRED, 0 },
	{ "pcr2", F_HEX, 48, F_REQUIRED, 0 },
	{ "pcr8", F_HEX, 48, F_IDENTITY, MLOG_STATEMENT_KEY_NITRO_PCR8 },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct tee tees[] = {
	{ "sgx", sgx_fields, NELEM(sgx_fields), "mrenclave, mrsigner" },
	{ "tdx", tdx_fields, NELEM(tdx_fields), "mrtd" },
	{ "sev-snp", snp_fields, NELEM(snp_fields),
		"measurement, id_key_digest" },
	{ "nitro", nitro_fields, NELEM(nitro_fields), "pcr0, pcr8" },
};

static const struct tee *find_tee(const char *name, size_t len)
{
	for (size_t i = 0; i < NELEM(tees); i++) {
		if (strlen(tees[i].name) == len &&
		    memcmp(tees[i].name, name, len) == 0)
			return &tees[i];
	}
	return NULL;
}

static const struct mfield *find_field(const struct tee *t,
	const char *name)
{
	for (size_t i = 0; i < t->nfields; i++) {
		if (strcmp(t->fields[i].name, name) == 0)
			return &t->fields[i];
	}
	return NULL;
}

/* Checks measurement object m (path at it); *tee_out gets its TEE. */
static int check_measurement(struct vctx *c, const json_t *m, int approval,
	const struct tee **tee_out)
{
	const struct tee *t;
	const char *name;
	char shown[40];
	size_t nid = 0;
	int rc;

	if (!json_is_object(m))
		return bad(c, "want an object");
	rc = get_string(c, m, "tee", REQ, &name);
	if (rc != MLOG_OK)
		return rc;
	t = find_tee(name, strlen(name));
	if (t == NULL)
		return bad_at(c, "tee", "unknown TEE \"%s\" (want sgx, tdx, "
			"sev-snp or nitro)", printable(shown, sizeof(shown),
			name));
	for (size_t i = 0; i < t->nfields; i++) {
		const struct mfield *f = &t->fields[i];
		unsigned flags = !approval && (f->flags & F_REQUIRED) ? REQ : 0;
		const char *hex = NULL;
		json_int_t v;
		int present = 0;

		if (f->kind == F_HEX) {
			rc = get_hex(c, m, f->name, f->bytes, flags, &hex);
			present = hex != NULL;
		} else if (f->kind == F_U16) {
			rc = get_uint(c, m, f->name, 65535, flags, &v,
				&present);
		} else {
			rc = get_bool(c, m, f->name, flags, &present);
		}
		if (rc != MLOG_OK)
			return rc;
		if (present && (f->flags & F_IDENTITY)) {
			nid++;
			rc = add_key(c, f->key, NULL, hex);
			if (rc != MLOG_OK)
				return rc;
		}
	}
	if (approval && nid == 0)
		return bad(c, "want at least one of %s for tee %s",
			t->identities, t->name);
	*tee_out = t;
	return MLOG_OK;
}

/* ------------------------------------------------------------------ */
/* Predicates                                                          */
/* ------------------------------------------------------------------ */

/* Calls fn on every element of array a (path at a), as "[i]". */
static int each(struct vctx *c, const json_t *a,
	int (*fn)(struct vctx *, const json_t *))
{
	for (size_t i = 0; i < json_array_size(a); i++) {
		size_t mark = push_index(c, i);
		int rc = fn(c, json_array_get(a, i));

		path_pop(c, mark);
		if (rc != MLOG_OK)
			return rc;
	}
	return MLOG_OK;
}

/* Looks up obj.name (an object or array per getter) and runs fn on it
 * with the path at it. Absent optional members are skipped. */
static int nested(struct vctx *c, const json_t *obj, const char *name,
	unsigned flags, int is_array,
	int (*fn)(struct vctx *, const json_t *))
{
	const json_t *v;
	size_t mark;
	int rc;

	rc = is_array ? get_array(c, obj, name, flags, &v) :
		get_object(c, obj, name, flags, &v);
	if (rc != MLOG_OK || v == NULL)
		return rc;
	mark = push_name(c, name);
	rc = is_array ? each(c, v, fn) : fn(c, v);
	path_pop(c, mark);
	return rc;
}

/* {format, digest (sha256), uri?}: an SBOM reference or predicate. */
static int check_sbom_ref(struct vctx *c, const json_t *o)
{
	const char *format, *uri;
	int rc;

	if (!json_is_object(o))
		return bad(c, "want an object");
	rc = get_string(c, o, "format", REQ, &format);
	if (rc != MLOG_OK)
		return rc;
	if (!format_valid(format, strlen(format)))
		return bad_at(c, "format", "want <name>-<version>, e.g. "
			"spdx-2.3 or cyclonedx-1.5");
	rc = get_digest_set(c, o, "sha256", 1);
	if (rc != MLOG_OK)
		return rc;
	return get_string(c, o, "uri", 0, &uri);
}

static int check_toolchain_entry(struct vctx *c, const json_t *o)
{
	const char *s;
	int rc;

	if (!json_is_object(o))
		return bad(c, "want an object");
	rc = get_string(c, o, "name", REQ, &s);
	if (rc == MLOG_OK)
		rc = get_string(c, o, "version", REQ, &s);
	if (rc == MLOG_OK)
		rc = get_digest_set(c, o, NULL, 0);
	return rc;
}

static int check_source(struct vctx *c, const json_t *o)
{
	const char *s;
	size_t n;
	int rc;

	rc = get_string(c, o, "uri", REQ, &s);
	if (rc != MLOG_OK)
		return rc;
	rc = get_string(c, o, "commit", REQ, &s);
	if (rc != MLOG_OK)
		return rc;
	n = strlen(s);
	if ((n != 40 && n != 64) || !is_lower_hex(s, n))
		return bad_at(c, "commit", "want 40 or 64 lowercase hex "
			"digits (a git commit)");
	return MLOG_OK;
}

static int check_build(struct vctx *c, const json_t *o)
{
	const char *s;
	int rc;

	rc = get_string(c, o, "id", REQ, &s);
	if (rc == MLOG_OK)
		rc = nested(c, o, "source", REQ, 0, check_source);
	if (rc == MLOG_OK)
		rc = get_string(c, o, "builder", REQ, &s);
	if (rc == MLOG_OK)
		rc = nested(c, o, "toolchain", 0, 1, check_toolchain_entry);
	return rc;
}

static int check_manifest_measurement(struct vctx *c, const json_t *m)
{
	const struct tee *t;

	return check_measurement(c, m, 0, &t);
}

/* Rule 9. */
static int check_manifest(struct vctx *c, const json_t *p)
{
	int rc;

	rc = nested(c, p, "build", REQ, 0, check_build);
	if (rc == MLOG_OK)
		rc = nested(c, p, "measurements", 0, 1,
			check_manifest_measurement);
	if (rc == MLOG_OK)
		rc = nested(c, p, "sbom", 0, 1, check_sbom_ref);
	return rc;
}

static int check_slsa_build_definition(struct vctx *c, const json_t *o)
{
	const json_t *v;
	const char *s;
	int rc;

	rc = get_string(c, o, "buildType", REQ, &s);
	if (rc == MLOG_OK)
		rc = get_object(c, o, "externalParameters", REQ, &v);
	return rc;
}

static int check_slsa_builder(struct vctx *c, const json_t *o)
{
	const char *s;

	return get_string(c, o, "id", REQ, &s);
}

static int check_slsa_run_details(struct vctx *c, const json_t *o)
{
	return nested(c, o, "builder", REQ, 0, check_slsa_builder);
}

/* Rule 10. */
static int check_slsa(struct vctx *c, const json_t *p)
{
	int rc;

	rc = nested(c, p, "buildDefinition", REQ, 0,
		check_slsa_build_definition);
	if (rc == MLOG_OK)
		rc = nested(c, p, "runDetails", REQ, 0,
			check_slsa_run_details);
	return rc;
}

/* Rule 11. */
static int check_sbom(struct vctx *c, const json_t *p)
{
	return check_sbom_ref(c, p);
}

/*
 * Rule 12, subjects: each names "<tee>.<field>" of measurement m and
 * carries the field's value as its sha256 (32 bytes) or sha384 (48).
 * Called with the path at the root, after the predicate has passed.
 */
static int check_approval_subjects(struct vctx *c, const json_t *subjects,
	const json_t *m, const struct tee *t)
{
	for (size_t i = 0; i < json_array_size(subjects); i++) {
		const json_t *s = json_array_get(subjects, i);
		const char *name = json_string_value(json_object_get(s,
			"name"));
		const char *dot = strchr(name, '.');
		const struct tee *st = NULL;
		const struct mfield *f = NULL;
		const char *alg, *want, *got;
		char shown[64];
		size_t mark = path_push(c, "subject[%zu]", i);
		int rc = MLOG_OK;

		if (dot != NULL)
			st = find_tee(name, (size_t)(dot - name));
		if (st != NULL)
			f = find_field(st, dot + 1);
		if (f == NULL || f->kind != F_HEX ||
		    (f->bytes != 32 && f->bytes != 48)) {
			rc = bad_at(c, "name", "\"%s\": want <tee>.<field> "
				"naming a 32- or 48-byte measurement field, "
				"e.g. sgx.mrenclave",
				printable(shown, sizeof(shown), name));
		} else if (st != t) {
			rc = bad_at(c, "name", "TEE %s differs from "
				"predicate.measurement.tee %s", st->name,
				t->name);
		} else if (json_object_get(m, f->name) == NULL) {
			rc = bad_at(c, "name", "predicate.measurement has no "
				"%s", f->name);
		}
		if (rc == MLOG_OK) {
			alg = f->bytes == 32 ? "sha256" : "sha384";
			want = json_string_value(json_object_get(m, f->name));
			got = json_string_value(json_object_get(
				json_object_get(s, "digest"), alg));
			mark = push_name(c, "digest");
			if (got == NULL)
				rc = bad_at(c, alg, "missing");
			else if (strcmp(got, want) != 0)
				rc = bad_at(c, alg, "differs from "
					"predicate.measurement.%s", f->name);
		}
		path_pop(c, mark);
		if (rc != MLOG_OK)
			return rc;
	}
	return MLOG_OK;
}

/* Rule 12. */
static int check_approval(struct vctx *c, const json_t *p)
{
	const char *ticket, *decision, *s;
	const json_t *m;
	const struct tee *t = NULL;
	json_int_t entry;
	int64_t when;
	size_t mark;
	int rc, present;

	rc = get_string(c, p, "ticket", REQ, &ticket);
	if (rc != MLOG_OK)
		return rc;
	if (!mlog_statement_ticket_valid(ticket, strlen(ticket)))
		return bad_at(c, "ticket", "want [A-Za-z0-9][A-Za-z0-9._-]"
			"{0,63}, e.g. CHG-1234");
	rc = add_key(c, MLOG_STATEMENT_KEY_TICKET, NULL, ticket);
	if (rc != MLOG_OK)
		return rc;

	rc = get_string(c, p, "decision", REQ, &decision);
	if (rc != MLOG_OK)
		return rc;
	if (strcmp(decision, "approved") == 0)
		c->st->decision = MLOG_STATEMENT_APPROVED;
	else if (strcmp(decision, "revoked") == 0)
		c->st->decision = MLOG_STATEMENT_REVOKED;
	else
		return bad_at(c, "decision", "want \"approved\" or "
			"\"revoked\"");

	rc = get_string(c, p, "approver", REQ, &s);
	if (rc != MLOG_OK)
		return rc;
	rc = get_string(c, p, "reviewed_at", REQ, &s);
	if (rc != MLOG_OK)
		return rc;
	if (mlog_statement_time_parse(&when, s, strlen(s)) != MLOG_OK)
		return bad_at(c, "reviewed_at", "want an RFC 3339 date-time "
			"such as 2025-01-31T09:30:00Z");
	c->st->reviewed_at = when;

	rc = get_object(c, p, "measurement", REQ, &m);
	if (rc != MLOG_OK)
		return rc;
	mark = push_name(c, "measurement");
	rc = check_measurement(c, m, 1, &t);
	path_pop(c, mark);
	if (rc != MLOG_OK)
		return rc;

	rc = get_uint(c, p, "build_entry", (json_int_t)INT64_MAX, 0, &entry,
		&present);
	if (rc != MLOG_OK)
		return rc;
	rc = get_string(c, p, "comment", EMPTY_OK, &s);
	if (rc != MLOG_OK)
		return rc;
	/* check_statement matches the subjects against it afterwards. */
	c->approval_m = m;
	c->approval_tee = t;
	return MLOG_OK;
}

/* ------------------------------------------------------------------ */
/* Statement                                                           */
/* ------------------------------------------------------------------ */

struct ptype {
	const char *uri;
	int type;
	unsigned role;
	const char *subject_alg;    /* required in every subject digest */
	int (*check)(struct vctx *, const json_t *pred);
};

static const struct ptype ptypes[] = {
	{ "urn:mlog:build-manifest:v1", MLOG_STATEMENT_BUILD_MANIFEST,
		MLOG_STATEMENT_ROLE_BUILD, "sha256", check_manifest },
	{ "https://slsa.dev/provenance/v1", MLOG_STATEMENT_SLSA_PROVENANCE,
		MLOG_STATEMENT_ROLE_BUILD, NULL, check_slsa },
	{ "urn:mlog:sbom:v1", MLOG_STATEMENT_SBOM,
		MLOG_STATEMENT_ROLE_SBOM, "sha256", check_sbom },
	{ "urn:mlog:approval:v1", MLOG_STATEMENT_APPROVAL,
		MLOG_STATEMENT_ROLE_APPROVAL, NULL, check_approval },
};

static const struct ptype *find_ptype_uri(const char *uri)
{
	for (size_t i = 0; i < NELEM(ptypes); i++) {
		if (strcmp(ptypes[i].uri, uri) == 0)
			return &ptypes[i];
	}
	return NULL;
}

static const struct ptype *find_ptype(int type)
{
	for (size_t i = 0; i < NELEM(ptypes); i++) {
		if (ptypes[i].type == type)
			return &ptypes[i];
	}
	return NULL;
}

/* Rule 4 for one subject (path at it). */
static int check_subject(struct vctx *c, const json_t *s, const char *need)
{
	const char *name;
	int rc;

	if (!json_is_object(s))
		return bad(c, "want an object");
	rc = get_string(c, s, "name", REQ, &name);
	if (rc != MLOG_OK)
		return rc;
	return get_digest_set(c, s, need, 1);
}

static int check_statement(struct vctx *c, const json_t *root)
{
	const json_t *pred, *subjects;
	const struct ptype *pt;
	const char *s;
	char shown[96];
	size_t mark;
	int rc;

	rc = get_string(c, root, "_type", REQ, &s);
	if (rc != MLOG_OK)
		return rc;
	if (strcmp(s, MLOG_STATEMENT_TYPE_V1) != 0)
		return bad_at(c, "_type", "want %s", MLOG_STATEMENT_TYPE_V1);
	rc = get_string(c, root, "predicateType", REQ, &s);
	if (rc != MLOG_OK)
		return rc;
	pt = find_ptype_uri(s);
	if (pt == NULL)
		return bad_at(c, "predicateType", "unknown predicate type "
			"\"%s\"", printable(shown, sizeof(shown), s));
	c->st->type = pt->type;
	c->st->role = pt->role;
	rc = get_array(c, root, "subject", REQ, &subjects);
	if (rc != MLOG_OK)
		return rc;
	for (size_t i = 0; i < json_array_size(subjects); i++) {
		mark = path_push(c, "subject[%zu]", i);
		rc = check_subject(c, json_array_get(subjects, i),
			pt->subject_alg);
		path_pop(c, mark);
		if (rc != MLOG_OK)
			return rc;
	}
	rc = get_object(c, root, "predicate", REQ, &pred);
	if (rc != MLOG_OK)
		return rc;
	mark = push_name(c, "predicate");
	rc = pt->check(c, pred);
	path_pop(c, mark);
	if (rc == MLOG_OK && pt->type == MLOG_STATEMENT_APPROVAL)
		rc = check_approval_subjects(c, subjects, c->approval_m,
			c->approval_tee);
	return rc;
}

int mlog_statement_parse(struct mlog_statement **out, const uint8_t *json,
	size_t len, struct mlog_error *err)
{
	struct mlog_statement *st;
	struct vctx c;
	json_error_t jerr;
	json_t *root;
	int rc;

	/* Rule 1, before any work. */
	if (len > MLOG_STATEMENT_MAX_BYTES)
		return mlog_error_set(err, MLOG_ERR_TOOBIG,
			"statement: %zu bytes, over %d", len,
			MLOG_STATEMENT_MAX_BYTES);
	root = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES,
		&jerr);
	if (root == NULL) {
		if (json_error_code(&jerr) == json_error_out_of_memory)
			return MLOG_ERR_NOMEM;
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"statement: not a JSON object: %s (byte %d)",
			jerr.text, jerr.position);
	}
	if (!json_is_object(root)) {
		json_decref(root);
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"statement: want a JSON object");
	}
	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		json_decref(root);
		return MLOG_ERR_NOMEM;
	}
	memset(&c, 0, sizeof(c));
	c.err = err;
	c.st = st;
	rc = check_statement(&c, root);
	json_decref(root);
	if (rc != MLOG_OK) {
		mlog_statement_free(st);
		return rc;
	}
	*out = st;
	return MLOG_OK;
}

int mlog_statement_parse_envelope(struct mlog_statement **out,
	const struct mlog_dsse_envelope *e, struct mlog_error *err)
{
	if (strcmp(e->payload_type, MLOG_DSSE_TYPE_INTOTO) != 0)
		return mlog_error_set(err, MLOG_ERR_MALFORMED,
			"statement: payloadType: want %s",
			MLOG_DSSE_TYPE_INTOTO);
	return mlog_statement_parse(out, e->payload, e->payload_len, err);
}

void mlog_statement_free(struct mlog_statement *s)
{
	if (s == NULL)
		return;
	free(s->keys);
	free(s);
}

const char *mlog_statement_type_uri(int type)
{
	const struct ptype *pt = find_ptype(type);

	return pt != NULL ? pt->uri : NULL;
}

unsigned mlog_statement_type_role(int type)
{
	const struct ptype *pt = find_ptype(type);

	return pt != NULL ? pt->role : 0;
}

static const struct {
	const char *name;
	unsigned role;
} roles[] = {
	{ "build", MLOG_STATEMENT_ROLE_BUILD },
	{ "sbom", MLOG_STATEMENT_ROLE_SBOM },
	{ "approval", MLOG_STATEMENT_ROLE_APPROVAL },
};

const char *mlog_statement_role_name(unsigned role)
{
	for (size_t i = 0; i < NELEM(roles); i++) {
		if (roles[i].role == role)
			return roles[i].name;
	}
	return NULL;
}

int mlog_statement_role_parse(unsigned *out, const char *s, size_t len)
{
	for (size_t i = 0; i < NELEM(roles); i++) {
		if (strlen(roles[i].name) == len &&
		    memcmp(roles[i].name, s, len) == 0) {
			*out = roles[i].role;
			return MLOG_OK;
		}
	}
	return MLOG_ERR_MALFORMED;
}

const char *mlog_statement_key_name(int kind)
{
	switch (kind) {
	case MLOG_STATEMENT_KEY_DIGEST: return "digest";
	case MLOG_STATEMENT_KEY_MRENCLAVE: return "sgx.mrenclave";
	case MLOG_STATEMENT_KEY_MRSIGNER: return "sgx.mrsigner";
	case MLOG_STATEMENT_KEY_MRTD: return "tdx.mrtd";
	case MLOG_STATEMENT_KEY_SNP_MEASUREMENT: return "sev-snp.measurement";
	case MLOG_STATEMENT_KEY_SNP_ID_KEY: return "sev-snp.id_key_digest";
	case MLOG_STATEMENT_KEY_NITRO_PCR0: return "nitro.pcr0";
	case MLOG_STATEMENT_KEY_NITRO_PCR8: return "nitro.pcr8";
	case MLOG_STATEMENT_KEY_TICKET: return "ticket";
	}
	return NULL;
}
