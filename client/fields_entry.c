/*
 * fields_entry.c — `mlog diff log:I`: a log entry as a struct cli_fields
 * (fields.h), read through the log's tiles and proven against a checkpoint
 * that meets the trust policy (logclient.h).
 *
 * A build manifest flattens to: predicateType, build.id, build.builder,
 * source.uri, source.commit, subject:<name>, toolchain:<name> ("version
 * sha256:..." so a version or digest change shows), sbom:<format>, and per
 * measurement <tee>.<field>; arrays are keyed by name, not position, so a
 * reordering is not a change. Other statements (approvals, SBOMs, SLSA)
 * flatten their predicate's scalar leaves to dotted paths. Lists longer
 * than the model holds end with a "fields.truncated" marker, never
 * silently.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "codec.h"
#include "fields_entry.h"

/* snprintf whose truncation is wanted (long values are display text). */
__attribute__((format(printf, 3, 4)))
static void setf(char *out, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, cap, fmt, ap);
	va_end(ap);
}

static void add(struct cli_fields *fs, const char *name, const char *text,
	int key)
{
	struct cli_field *f;

	if (fs->n >= CLI_FIELDS_MAX - 1) {
		if (fs->n == CLI_FIELDS_MAX - 1) {
			f = &fs->v[fs->n++];
			memset(f, 0, sizeof(*f));
			setf(f->name, sizeof(f->name), "fields.truncated");
			setf(f->text, sizeof(f->text), "yes");
			f->kind = CLI_FIELD_TEXT;
		}
		return;
	}
	for (size_t i = 0; i < fs->n; i++) {
		if (strcmp(fs->v[i].name, name) == 0)
			return;           /* first wins; names stay unique */
	}
	f = &fs->v[fs->n++];
	memset(f, 0, sizeof(*f));
	setf(f->name, sizeof(f->name), "%s", name);
	setf(f->text, sizeof(f->text), "%s", text);
	f->kind = CLI_FIELD_TEXT;
	f->key = key;
	f->hash = strlen(text) >= 40 && strspn(text, "0123456789abcdef")
		== strlen(text);
}

static void scalar_text(char *out, size_t cap, json_t *v)
{
	if (json_is_string(v))
		setf(out, cap, "%s", json_string_value(v));
	else if (json_is_integer(v))
		setf(out, cap, "%lld", (long long)json_integer_value(v));
	else if (json_is_true(v))
		setf(out, cap, "true");
	else if (json_is_false(v))
		setf(out, cap, "false");
	else
		setf(out, cap, "null");
}

/* Dotted scalar leaves of v under prefix. */
static void flatten(struct cli_fields *fs, const char *prefix, json_t *v)
{
	char name[CLI_FIELD_NAME_MAX * 2], text[CLI_FIELD_TEXT_MAX];

	if (json_is_object(v)) {
		const char *k;
		json_t *child;

		json_object_foreach(v, k, child) {
			setf(name, sizeof(name), "%s%s%s", prefix,
				prefix[0] ? "." : "", k);
			flatten(fs, name, child);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *child;

		json_array_foreach(v, i, child) {
			setf(name, sizeof(name), "%s[%zu]", prefix, i);
			flatten(fs, name, child);
		}
	} else {
		scalar_text(text, sizeof(text), v);
		add(fs, prefix, text, 0);
	}
}

static void digest_text(char *out, size_t cap, json_t *digest)
{
	const char *alg;
	json_t *v;

	out[0] = '\0';
	json_object_foreach(digest, alg, v) {
		if (json_is_string(v)) {
			setf(out, cap, "%s:%s", alg, json_string_value(v));
			return;
		}
	}
}

static void manifest(struct cli_fields *fs, json_t *st)
{
	json_t *p = json_object_get(st, "predicate");
	json_t *build = json_object_get(p, "build"), *v;
	char name[CLI_FIELD_NAME_MAX * 2], text[CLI_FIELD_TEXT_MAX];
	size_t i;

	add(fs, "build.id", json_string_value(json_object_get(build, "id")),
		1);
	add(fs, "build.builder", json_string_value(json_object_get(build,
		"builder")), 0);
	add(fs, "source.uri", json_string_value(json_object_get(
		json_object_get(build, "source"), "uri")), 0);
	add(fs, "source.commit", json_string_value(json_object_get(
		json_object_get(build, "source"), "commit")), 1);
	json_array_foreach(json_object_get(p, "measurements"), i, v) {
		const char *tee = json_string_value(json_object_get(v, "tee"));
		const char *k;
		json_t *f;

		json_object_foreach(v, k, f) {
			if (strcmp(k, "tee") == 0)
				continue;
			setf(name, sizeof(name), "%s.%s", tee ? tee : "?",
				k);
			scalar_text(text, sizeof(text), f);
			add(fs, name, text, strcmp(k, "mrenclave") == 0 ||
				strcmp(k, "mrsigner") == 0 ||
				strcmp(k, "isvsvn") == 0 || strcmp(k, "mrtd")
				== 0 ? 2 : 0);
		}
	}
	json_array_foreach(json_object_get(st, "subject"), i, v) {
		setf(name, sizeof(name), "subject:%s", json_string_value(
			json_object_get(v, "name")));
		digest_text(text, sizeof(text), json_object_get(v, "digest"));
		add(fs, name, text, 0);
	}
	json_array_foreach(json_object_get(build, "toolchain"), i, v) {
		char dig[CLI_FIELD_TEXT_MAX];

		setf(name, sizeof(name), "toolchain:%s", json_string_value(
			json_object_get(v, "name")));
		digest_text(dig, sizeof(dig), json_object_get(v, "digest"));
		setf(text, sizeof(text), "%s %s", json_string_value(
			json_object_get(v, "version")), dig);
		add(fs, name, text, 0);
	}
	json_array_foreach(json_object_get(p, "sbom"), i, v) {
		setf(name, sizeof(name), "sbom:%s", json_string_value(
			json_object_get(v, "format")));
		digest_text(text, sizeof(text), json_object_get(v, "digest"));
		add(fs, name, text, 0);
	}
}

void cli_fields_from_entry(struct cli_fields *out, const char *label,
	struct cli_log *l, const struct cli_checkpoint *cp, uint64_t index)
{
	struct mlog_error err = { 0, "" };
	uint8_t *entry = NULL, *payload = NULL;
	size_t len = 0, plen = 0;
	json_t *env, *st;
	const char *b64, *type;

	if (cli_log_entry(l, cp, index, &entry, &len, NULL, NULL, NULL, &err)
		!= MLOG_OK)
		cli_errx("%s: %s", label, err.msg);
	env = json_loadb((const char *)entry, len, 0, NULL);
	b64 = json_string_value(json_object_get(env, "payload"));
	if (b64 == NULL)
		cli_errx("%s: entry %llu is not a DSSE envelope", label,
			(unsigned long long)index);
	payload = malloc(strlen(b64) / 4 * 3 + 1);
	if (payload == NULL || mlog_codec_base64_decode(payload,
		strlen(b64) / 4 * 3 + 1, &plen, b64, strlen(b64)) != MLOG_OK)
		cli_errx("%s: entry %llu has a bad payload", label,
			(unsigned long long)index);
	st = json_loadb((const char *)payload, plen, 0, NULL);
	type = json_string_value(json_object_get(st, "predicateType"));
	if (type == NULL)
		cli_errx("%s: entry %llu is not an in-toto Statement", label,
			(unsigned long long)index);
	memset(out, 0, sizeof(*out));
	out->label = label;
	out->kind = "entry";
	out->format = type;
	add(out, "predicateType", type, 1);
	if (strcmp(type, "urn:mlog:build-manifest:v1") == 0)
		manifest(out, st);
	else
		flatten(out, "predicate", json_object_get(st, "predicate"));
	/* out->format points into st: keep a static copy of known types. */
	out->format = strcmp(type, "urn:mlog:build-manifest:v1") == 0
		? "build-manifest" : strcmp(type, "urn:mlog:approval:v1") == 0
		? "approval" : strcmp(type, "urn:mlog:sbom:v1") == 0 ? "sbom"
		: "statement";
	json_decref(st);
	json_decref(env);
	free(payload);
	free(entry);
}
