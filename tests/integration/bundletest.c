/*
 * bundletest.c — client test helpers; see bundletest.h.
 */
#include "bundletest.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "codec.h"
#include "hash.h"

void bt_hex32(char out[65], const char *label)
{
	struct mlog_hash *h = mlog_hash_new();
	uint8_t d[32];

	mlog_hash_sha256(h, d, label, strlen(label));
	mlog_codec_hex_encode(out, d, 32);
	mlog_hash_free(h);
}

char *bt_approval(const char *measurement, const char *ticket,
	const char *decision, long long build_entry)
{
	json_t *m = json_loads(measurement, 0, NULL);
	const char *field = json_object_get(m, "mrenclave") != NULL
		? "mrenclave" : "mrsigner";
	const char *hex;
	char *s, be[40] = "";

	cr_assert_not_null(m, "bad measurement JSON %s", measurement);
	hex = json_string_value(json_object_get(m, field));
	cr_assert_not_null(hex);
	if (build_entry >= 0)
		snprintf(be, sizeof(be), ",\"build_entry\":%lld", build_entry);
	cr_assert_neq(asprintf(&s,
		"{\"_type\":\"https://in-toto.io/Statement/v1\","
		"\"subject\":[{\"name\":\"sgx.%s\","
		"\"digest\":{\"sha256\":\"%s\"}}],"
		"\"predicateType\":\"urn:mlog:approval:v1\","
		"\"predicate\":{\"ticket\":\"%s\",\"decision\":\"%s\","
		"\"approver\":\"alice@example.com\","
		"\"reviewed_at\":\"2026-11-25T10:00:00Z\","
		"\"measurement\":%s%s}}", field, hex, ticket, decision,
		measurement, be), -1);
	json_decref(m);
	return s;
}

char *bt_manifest(const char *build_id, const char *mrenclave,
	const char *mrsigner, unsigned isvsvn, const char *subject_hex)
{
	char *s, commit[41];

	memset(commit, 'a', 40);
	commit[40] = '\0';
	cr_assert_neq(asprintf(&s,
		"{\"_type\":\"https://in-toto.io/Statement/v1\","
		"\"subject\":[{\"name\":\"enclave.signed.so\","
		"\"digest\":{\"sha256\":\"%s\"}}],"
		"\"predicateType\":\"urn:mlog:build-manifest:v1\","
		"\"predicate\":{\"build\":{\"id\":\"%s\","
		"\"source\":{\"uri\":\"git+https://example.com/e.git\","
		"\"commit\":\"%s\"},\"builder\":\"ci.example.com\"},"
		"\"measurements\":[{\"tee\":\"sgx\",\"mrenclave\":\"%s\","
		"\"mrsigner\":\"%s\",\"isvprodid\":1,\"isvsvn\":%u,"
		"\"attributes\":\"04000000000000000300000000000000\","
		"\"miscselect\":\"00000000\",\"debug\":false}]}}",
		subject_hex, build_id, commit, mrenclave, mrsigner, isvsvn),
		-1);
	return s;
}

char *bt_read(const char *dir, const char *rel, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "rb");
	cr_assert_not_null(f, "can't open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

void bt_write(const char *dir, const char *rel, const void *data,
	size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "wb");
	cr_assert_not_null(f, "can't write %s", path);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

void bt_reseal(const char *dir, const char *rel)
{
	struct mlog_hash *h = mlog_hash_new();
	size_t len = 0, i;
	char *data = bt_read(dir, rel, &len), *text, hex[65];
	json_t *m, *f;
	uint8_t d[32];
	int found = 0;

	mlog_hash_sha256(h, d, data, len);
	mlog_codec_hex_encode(hex, d, 32);
	free(data);
	mlog_hash_free(h);
	text = bt_read(dir, "manifest.json", NULL);
	m = json_loads(text, 0, NULL);
	free(text);
	cr_assert_not_null(m);
	/* files[].path for the three top files, entries[].file for the
	 * proofs. */
	json_array_foreach(json_object_get(m, "files"), i, f) {
		if (strcmp(json_string_value(json_object_get(f, "path")),
			rel) == 0) {
			json_object_set_new(f, "sha256", json_string(hex));
			found = 1;
		}
	}
	json_array_foreach(json_object_get(m, "entries"), i, f) {
		if (strcmp(json_string_value(json_object_get(f, "file")),
			rel) == 0) {
			json_object_set_new(f, "sha256", json_string(hex));
			found = 1;
		}
	}
	cr_assert(found, "%s is not in manifest.json", rel);
	text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	cr_assert_not_null(text);
	json_decref(m);
	len = strlen(text);
	text = realloc(text, len + 2);
	text[len++] = '\n';
	bt_write(dir, "manifest.json", text, len);
	free(text);
}

char **bt_files(const char *dir)
{
	static const char *const top[] = { "manifest.json", "policy",
		"checkpoint", "report.md" };
	char **out = calloc(4 + 100000 + 1, sizeof(*out));
	char path[1024];
	size_t n = 0;
	DIR *d;
	struct dirent *x;

	cr_assert_not_null(out);
	for (size_t i = 0; i < 4; i++)
		out[n++] = strdup(top[i]);
	snprintf(path, sizeof(path), "%s/entries", dir);
	d = opendir(path);
	cr_assert_not_null(d);
	while ((x = readdir(d)) != NULL) {
		if (x->d_name[0] == '.')
			continue;
		cr_assert_neq(asprintf(&out[n], "entries/%s", x->d_name), -1);
		n++;
	}
	closedir(d);
	out[n] = NULL;
	return out;
}

void bt_files_free(char **files)
{
	for (size_t i = 0; files[i] != NULL; i++)
		free(files[i]);
	free(files);
}

json_t *bt_json_lines(const char *text)
{
	json_t *arr = json_array();
	const char *p = text;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		json_error_t e;
		json_t *j;

		if (len > 0) {
			j = json_loadb(p, len, 0, &e);
			cr_assert(json_is_object(j), "not a JSON object line: "
				"%.*s (%s)", (int)len, p, e.text);
			json_array_append_new(arr, j);
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	return arr;
}

json_t *bt_events_of(const json_t *arr, const char *type)
{
	json_t *out = json_array(), *v;
	size_t i;

	json_array_foreach(arr, i, v) {
		const char *t = json_string_value(json_object_get(v,
			"event_type"));

		if (t != NULL && strcmp(t, type) == 0)
			json_array_append(out, v);
	}
	return out;
}

void bt_copy_tree(const char *src, const char *dst)
{
	pid_t pid = fork();
	int status = 0;

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		execl("/bin/cp", "cp", "-a", src, dst, (char *)NULL);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		"cp -a %s %s failed", src, dst);
}
