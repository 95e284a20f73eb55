/*
 * diff.c — comparing and rendering field lists; see diff.h.
 */
#include "diff.h"

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Text column of values: "  " + 20-wide name + " ". */
#define NAME_WIDTH 20
#define ABBREV_DIGITS 8

static void add_alert(struct cli_diff *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_alert(struct cli_diff *d, const char *fmt, ...)
{
	va_list ap;

	if (d->nalerts == CLI_DIFF_ALERTS_MAX)
		return;     /* more alerts than fit: the changes list them */
	va_start(ap, fmt);
	vsnprintf(d->alerts[d->nalerts++], CLI_DIFF_ALERT_MAX, fmt, ap);
	va_end(ap);
}

static const char *bit_label(const struct cli_field *f, unsigned bit,
	char *tmp, size_t cap)
{
	const char *name = f->bit_name != NULL ? f->bit_name(bit) : NULL;

	if (name != NULL)
		return name;
	snprintf(tmp, cap, "bit%u", bit);
	return tmp;
}

static void add_change(struct cli_diff *d, const struct cli_field *fa,
	const struct cli_field *fb)
{
	struct cli_change *c;

	assert(d->nchanges < sizeof(d->changes) / sizeof(d->changes[0]));
	c = &d->changes[d->nchanges++];
	c->old = fa;
	c->new = fb;
	if (fa == NULL || fb == NULL)
		return;
	if (fa->kind == CLI_FIELD_FLAGS && fb->kind == CLI_FIELD_FLAGS) {
		char tmp[16];

		c->on = fb->bits & ~fa->bits;
		c->off = fa->bits & ~fb->bits;
		for (unsigned bit = 0; bit < 64; bit++) {
			if ((c->on & fb->alert_on & ((uint64_t)1 << bit)) != 0)
				add_alert(d, "%s turned ON", bit_label(fb, bit,
					tmp, sizeof(tmp)));
		}
	} else if (fb->risk > fa->risk) {
		add_alert(d, "%s %s -> %s", fb->name, fa->text, fb->text);
	}
}

void cli_diff_compute(struct cli_diff *d, const struct cli_fields *a,
	const struct cli_fields *b)
{
	memset(d, 0, sizeof(*d));
	d->a = a;
	d->b = b;
	for (size_t i = 0; i < a->n; i++) {
		const struct cli_field *fa = &a->v[i];
		const struct cli_field *fb = cli_fields_find(b, fa->name);

		if (fb != NULL && strcmp(fa->text, fb->text) == 0)
			d->unchanged[d->nsame++] = fa;
		else
			add_change(d, fa, fb);
	}
	for (size_t i = 0; i < b->n; i++) {
		if (cli_fields_find(a, b->v[i].name) == NULL)
			add_change(d, NULL, &b->v[i]);
	}
	d->same = d->nchanges == 0;
}

/* 1 if the field named like f's group, or f itself, changed. */
static int group_changed(const struct cli_diff *d, const struct cli_field *f)
{
	const char *g = f->group != NULL ? f->group : f->name;

	for (size_t i = 0; i < d->nchanges; i++) {
		const struct cli_field *c = d->changes[i].old != NULL ?
			d->changes[i].old : d->changes[i].new;
		const char *cg = c->group != NULL ? c->group : c->name;

		if (strcmp(cg, g) == 0)
			return 1;
	}
	return 0;
}

/* The key groups that did not change, in key order, joined by ", ".
 * Returns the number listed. */
static size_t unchanged_keys(const struct cli_diff *d, char *out,
	size_t cap)
{
	size_t len = 0, count = 0;

	out[0] = '\0';
	for (int rank = 1; rank <= CLI_FIELDS_MAX; rank++) {
		for (size_t i = 0; i < d->nsame; i++) {
			const struct cli_field *f = d->unchanged[i];
			const char *g = f->group != NULL ? f->group : f->name;
			int n;

			if (f->key != rank || group_changed(d, f))
				continue;
			n = snprintf(out + len, cap - len, "%s%s",
				count > 0 ? ", " : "", g);
			if (n < 0 || (size_t)n >= cap - len)
				return count;
			len += (size_t)n;
			count++;
			break;      /* one entry per group */
		}
	}
	return count;
}

/* ---- text -------------------------------------------------------------- */

/* The value shown for f in text: cut to 8 digits + "..." when long hex,
 * unless full, or the other side's cut would read the same. */
static const char *text_value(const struct cli_field *f,
	const struct cli_field *other, int full, char *buf, size_t cap)
{
	if (f == NULL)
		return "(absent)";
	if (full || !f->hash || strlen(f->text) <= ABBREV_DIGITS + 3)
		return f->text;
	if (other != NULL && strncmp(f->text, other->text,
		ABBREV_DIGITS) == 0)
		return f->text;
	snprintf(buf, cap, "%.*s...", ABBREV_DIGITS, f->text);
	return buf;
}

static void print_text(FILE *out, const struct cli_diff *d, int full)
{
	char keys[512];

	fprintf(out, "%s -> %s\n", d->a->label, d->b->label);
	if (d->same)
		fputs("  no differences\n", out);
	for (size_t i = 0; i < d->nchanges; i++) {
		const struct cli_change *c = &d->changes[i];
		const struct cli_field *f = c->new != NULL ? c->new : c->old;
		char b1[16], b2[16], tmp[16];

		fprintf(out, "  %-*s %s -> %s\n", NAME_WIDTH, f->name,
			text_value(c->old, c->new, full, b1, sizeof(b1)),
			text_value(c->new, c->old, full, b2, sizeof(b2)));
		for (unsigned bit = 0; bit < 64; bit++) {
			uint64_t m = (uint64_t)1 << bit;
			const char *name;

			if (((c->on | c->off) & m) == 0)
				continue;
			name = bit_label(f, bit, tmp, sizeof(tmp));
			if ((c->on & f->alert_on & m) != 0)
				fprintf(out, "  !! %s turned ON\n", name);
			else
				fprintf(out, "  %*s %s turned %s\n", NAME_WIDTH,
					"", name, (c->on & m) ? "on" : "off");
		}
		if (c->old != NULL && c->new != NULL &&
		    c->new->kind == CLI_FIELD_TEXT &&
		    c->new->risk > c->old->risk)
			fprintf(out, "  !! %s %s -> %s\n", f->name,
				c->old->text, c->new->text);
	}
	if (unchanged_keys(d, keys, sizeof(keys)) > 0)
		fprintf(out, "  (%s unchanged)\n", keys);
}

/* ---- JSON -------------------------------------------------------------- */

static json_t *side(const struct cli_fields *fs)
{
	json_t *o = json_object();

	if (o == NULL)
		cli_errx("out of memory building JSON");
	cli_json_set(o, "source", cli_json_str(fs->label));
	cli_json_set(o, "kind", cli_json_str(fs->kind));
	cli_json_set(o, "format", cli_json_str(fs->format));
	return o;
}

static json_t *bit_list(const struct cli_field *f, uint64_t bits)
{
	json_t *a = json_array();
	char tmp[16];

	if (a == NULL)
		cli_errx("out of memory building JSON");
	for (unsigned bit = 0; bit < 64; bit++) {
		if ((bits & ((uint64_t)1 << bit)) != 0 &&
		    json_array_append_new(a, cli_json_str(bit_label(f, bit,
			tmp, sizeof(tmp)))) != 0)
			cli_errx("out of memory building JSON");
	}
	return a;
}

static void append(json_t *a, json_t *v)
{
	if (json_array_append_new(a, v) != 0)
		cli_errx("out of memory building JSON");
}

static void print_json(FILE *out, const struct cli_diff *d)
{
	json_t *o = json_object(), *changes = json_array();
	json_t *alerts = json_array(), *same = json_array();

	if (o == NULL || changes == NULL || alerts == NULL || same == NULL)
		cli_errx("out of memory building JSON");
	cli_json_set(o, "old", side(d->a));
	cli_json_set(o, "new", side(d->b));
	cli_json_set(o, "same", json_boolean(d->same));
	for (size_t i = 0; i < d->nchanges; i++) {
		const struct cli_change *c = &d->changes[i];
		const struct cli_field *f = c->new != NULL ? c->new : c->old;
		json_t *ch = json_object();

		if (ch == NULL)
			cli_errx("out of memory building JSON");
		cli_json_set(ch, "field", cli_json_str(f->name));
		cli_json_set(ch, "old", c->old != NULL ?
			cli_json_str(c->old->text) : json_null());
		cli_json_set(ch, "new", c->new != NULL ?
			cli_json_str(c->new->text) : json_null());
		if (f->kind == CLI_FIELD_FLAGS) {
			cli_json_set(ch, "bits_on", bit_list(f, c->on));
			cli_json_set(ch, "bits_off", bit_list(f, c->off));
		}
		append(changes, ch);
	}
	cli_json_set(o, "changes", changes);
	for (size_t i = 0; i < d->nalerts; i++)
		append(alerts, cli_json_str(d->alerts[i]));
	cli_json_set(o, "alerts", alerts);
	for (size_t i = 0; i < d->nsame; i++)
		append(same, cli_json_str(d->unchanged[i]->name));
	cli_json_set(o, "unchanged", same);
	if (json_dumpf(o, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
		cli_errx("can't write JSON");
	fputc('\n', out);
	json_decref(o);
}

/* ---- Markdown ---------------------------------------------------------- */

/* A user-supplied label inside a code span: no backticks or newlines. */
static void md_code(FILE *out, const char *s)
{
	fputc('`', out);
	for (; *s != '\0'; s++)
		fputc(*s == '`' || *s == '\n' || *s == '\r' ? '\'' : *s, out);
	fputc('`', out);
}

static void md_bits(FILE *out, const struct cli_change *c,
	const struct cli_field *f)
{
	const char *sep = "";
	char tmp[16];

	for (unsigned bit = 0; bit < 64; bit++) {
		uint64_t m = (uint64_t)1 << bit;
		const char *name;

		if (((c->on | c->off) & m) == 0)
			continue;
		name = bit_label(f, bit, tmp, sizeof(tmp));
		if ((c->on & f->alert_on & m) != 0)
			fprintf(out, "%s**!! %s ON**", sep, name);
		else
			fprintf(out, "%s%s%s", sep, (c->on & m) ? "+" : "-",
				name);
		sep = " ";
	}
}

static void print_markdown(FILE *out, const struct cli_diff *d)
{
	char keys[512];
	size_t nkeys = unchanged_keys(d, keys, sizeof(keys)), others = 0;

	fputs("### mlog diff: ", out);
	md_code(out, d->a->label);
	fputs(" → ", out);
	md_code(out, d->b->label);
	fputs("\n\n", out);
	for (size_t i = 0; i < d->nalerts; i++)
		fprintf(out, "> **!! %s**\n%s", d->alerts[i],
			i + 1 == d->nalerts ? "\n" : ">\n");
	if (d->same) {
		fputs("No differences.\n", out);
	} else {
		fputs("| Field | Old | New | Bits |\n"
			"| --- | --- | --- | --- |\n", out);
		for (size_t i = 0; i < d->nchanges; i++) {
			const struct cli_change *c = &d->changes[i];
			const struct cli_field *f = c->new != NULL ? c->new :
				c->old;

			fprintf(out, "| %s | ", f->name);
			if (c->old != NULL)
				md_code(out, c->old->text);
			else
				fputs("*(absent)*", out);
			fputs(" | ", out);
			if (c->new != NULL)
				md_code(out, c->new->text);
			else
				fputs("*(absent)*", out);
			fputs(" | ", out);
			md_bits(out, c, f);
			fputs(" |\n", out);
		}
	}
	for (size_t i = 0; i < d->nsame; i++)
		others += d->unchanged[i]->key == 0;
	if (nkeys > 0 || others > 0) {
		fputs("\nUnchanged:", out);
		if (nkeys > 0)
			fprintf(out, " %s", keys);
		if (others > 0) {
			const char *sep = " (";

			fprintf(out, "%s%zu other field%s", nkeys > 0 ? "; " :
				" ", others, others == 1 ? "" : "s");
			for (size_t i = 0; i < d->nsame; i++) {
				if (d->unchanged[i]->key != 0)
					continue;
				fprintf(out, "%s%s", sep,
					d->unchanged[i]->name);
				sep = ", ";
			}
			fputc(')', out);
		}
		fputs(".\n", out);
	}
}

void cli_diff_print(FILE *out, const struct cli_diff *d, enum cli_output fmt,
	int full)
{
	switch (fmt) {
	case CLI_OUTPUT_TEXT:
		print_text(out, d, full);
		break;
	case CLI_OUTPUT_JSON:
		print_json(out, d);
		break;
	case CLI_OUTPUT_MARKDOWN:
		print_markdown(out, d);
		break;
	}
}
