/*
 * gather.c — search pages and proven entries; see gather.h.
 */
#include "gather.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

int cli_index_merge(uint64_t **a, size_t *na, const uint64_t *b, size_t nb)
{
	uint64_t *m;
	size_t i = 0, j = 0, k = 0;

	if (nb == 0)
		return MLOG_OK;
	m = malloc((*na + nb) * sizeof(*m));
	if (m == NULL)
		return MLOG_ERR_NOMEM;
	while (i < *na || j < nb) {
		uint64_t v;

		if (j >= nb || (i < *na && (*a)[i] <= b[j]))
			v = (*a)[i++];
		else
			v = b[j++];
		if (k == 0 || m[k - 1] != v)
			m[k++] = v;
	}
	free(*a);
	*a = m;
	*na = k;
	return MLOG_OK;
}

/* One page: appends indexes < size to *out; *next = the "next" value or
 * UINT64_MAX for null; *done when an index >= size was seen. */
static int search_page(struct cli_log *l, const char *path, uint64_t after,
	int have_after, uint64_t size, uint64_t **out, size_t *n,
	size_t *cap, uint64_t *next, int *done, struct mlog_error *err)
{
	char *body = NULL;
	size_t len = 0;
	long status = cli_log_get(l, path, &body, &len, NULL);
	json_t *j, *arr, *nx;
	size_t i;
	json_t *v;
	uint64_t last = after;
	int rc = MLOG_OK;

	if (status != 200) {
		if (status < 0)
			rc = mlog_error_set(err, MLOG_ERR_IO, "%s",
				l->last_error);
		else
			rc = mlog_error_set(err, MLOG_ERR_IO, "GET %s%s: "
				"HTTP %ld: %.120s", l->url, path, status, body);
		free(body);
		return rc;
	}
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	free(body);
	arr = json_object_get(j, "indices");
	nx = json_object_get(j, "next");
	if (!json_is_array(arr) || nx == NULL ||
	    !(json_is_null(nx) || json_is_integer(nx))) {
		json_decref(j);
		return mlog_error_set(err, MLOG_ERR_MALFORMED, "GET %s%s: not "
			"a search answer", l->url, path);
	}
	json_array_foreach(arr, i, v) {
		json_int_t x = json_integer_value(v);

		if (!json_is_integer(v) || x < 0) {
			rc = mlog_error_set(err, MLOG_ERR_MALFORMED, "GET %s%s:"
				" indices[%zu] is not an index", l->url, path,
				i);
			break;
		}
		if ((have_after || i > 0 || *n > 0) &&
		    (uint64_t)x <= last) {
			rc = mlog_error_set(err, MLOG_ERR_VERIFY, "GET %s%s: "
				"indices do not ascend past %llu", l->url,
				path, (unsigned long long)last);
			break;
		}
		last = (uint64_t)x;
		if ((uint64_t)x >= size) {
			*done = 1;
			break;
		}
		if (*n == CLI_SEARCH_MAX) {
			rc = mlog_error_set(err, MLOG_ERR_TOOBIG, "search: "
				"more than %d results", CLI_SEARCH_MAX);
			break;
		}
		if (*n == *cap) {
			size_t c = *cap == 0 ? 256 : 2 * *cap;
			uint64_t *g = realloc(*out, c * sizeof(*g));

			if (g == NULL) {
				rc = mlog_error_set(err, MLOG_ERR_NOMEM,
					"out of memory");
				break;
			}
			*out = g;
			*cap = c;
		}
		(*out)[(*n)++] = (uint64_t)x;
	}
	if (rc == MLOG_OK && json_is_integer(nx)) {
		if (json_integer_value(nx) < 0 ||
		    (uint64_t)json_integer_value(nx) < last ||
		    json_array_size(arr) == 0)
			rc = mlog_error_set(err, MLOG_ERR_VERIFY, "GET %s%s: "
				"next does not move forward", l->url, path);
		*next = (uint64_t)json_integer_value(nx);
	} else {
		*next = UINT64_MAX;
	}
	json_decref(j);
	return rc;
}

int cli_search(struct cli_log *l, const char *key, const char *value,
	uint64_t size, uint64_t **out, size_t *n, struct mlog_error *err)
{
	uint64_t *found = NULL, after = 0, next = 0;
	size_t count = 0, cap = 0;
	int have_after = 0, done = 0, rc = MLOG_OK;

	for (const char *p = value; *p != '\0'; p++) {
		/* Values are hex, tickets (statement.h rule 14),
		 * sha256:<hex> or signer names: nothing to escape. */
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || *p == '-' || *p == '_' ||
		      *p == '.' || *p == ':' || *p == '@'))
			return mlog_error_set(err, MLOG_ERR_MALFORMED,
				"search %s: '%s' has a character that needs "
				"escaping", key, value);
	}
	while (!done && rc == MLOG_OK) {
		char *path = NULL;

		if (have_after)
			rc = asprintf(&path, "/v1/search?%s=%s&after=%llu&"
				"limit=%d", key, value,
				(unsigned long long)after, CLI_SEARCH_PAGE);
		else
			rc = asprintf(&path, "/v1/search?%s=%s&limit=%d", key,
				value, CLI_SEARCH_PAGE);
		if (rc < 0) {
			rc = mlog_error_set(err, MLOG_ERR_NOMEM,
				"out of memory");
			break;
		}
		rc = search_page(l, path, after, have_after, size, &found,
			&count, &cap, &next, &done, err);
		free(path);
		if (next == UINT64_MAX)
			done = 1;
		after = next;
		have_after = 1;
	}
	if (rc != MLOG_OK) {
		free(found);
		return rc;
	}
	*out = found;
	*n = count;
	return MLOG_OK;
}

void cli_gathered_clear(struct cli_gathered *g)
{
	free(g->entry);
	cli_record_clear(&g->rec);
	json_decref(g->server);
	memset(g, 0, sizeof(*g));
}

/* GET /v1/entries/<I>: signers and integrated_at, if its leaf hash is
 * ours. NULL when the server gives nothing usable. */
static json_t *server_claims(struct cli_log *l, uint64_t index,
	const uint8_t leaf[MLOG_HASH_BYTES])
{
	char path[64], *body = NULL;
	uint8_t got[MLOG_HASH_BYTES];
	size_t len = 0, glen = 0;
	json_t *j, *signers, *at, *out = NULL;
	const char *lh;

	snprintf(path, sizeof(path), "/v1/entries/%llu",
		(unsigned long long)index);
	if (cli_log_get(l, path, &body, &len, NULL) != 200) {
		free(body);
		return NULL;
	}
	j = json_loadb(body, len, 0, NULL);
	free(body);
	lh = json_string_value(json_object_get(j, "leaf_hash"));
	signers = json_object_get(j, "signers");
	at = json_object_get(j, "integrated_at");
	if (lh != NULL && json_is_array(signers) && json_is_string(at) &&
	    mlog_codec_base64_decode(got, sizeof(got), &glen, lh,
		strlen(lh)) == MLOG_OK && glen == MLOG_HASH_BYTES &&
	    memcmp(got, leaf, MLOG_HASH_BYTES) == 0) {
		size_t i;
		json_t *v, *names = json_array();

		json_array_foreach(signers, i, v) {
			if (json_is_string(v))
				json_array_append(names, v);
		}
		out = json_pack("{s:o, s:O}", "signers", names,
			"integrated_at", at);
	}
	json_decref(j);
	return out;
}

int cli_gather_entry(struct cli_log *l, const struct cli_checkpoint *cp,
	uint64_t index, int claims, struct cli_gathered *out,
	struct mlog_error *err)
{
	struct cli_gathered g;
	int rc;

	memset(&g, 0, sizeof(g));
	g.index = index;
	rc = cli_log_entry(l, cp, index, &g.entry, &g.len, g.leaf, g.proof,
		&g.proof_len, err);
	if (rc != MLOG_OK)
		return rc;
	/* cli_log_entry authenticated the leaf through the tiles; the
	 * proof it computed from them must verify too (it is what goes
	 * into evidence), so check it rather than trust the arithmetic. */
	rc = mlog_proof_verify_inclusion(l->h, index, cp->cp.size, g.leaf,
		(const uint8_t (*)[MLOG_HASH_BYTES])g.proof, g.proof_len,
		cp->cp.root);
	if (rc != MLOG_OK) {
		free(g.entry);
		return mlog_error_set(err, rc, "entry %llu: inclusion proof "
			"does not verify against checkpoint %llu",
			(unsigned long long)index,
			(unsigned long long)cp->cp.size);
	}
	rc = cli_record_parse(&g.rec, index, g.entry, g.len, err);
	if (rc != MLOG_OK) {
		free(g.entry);
		return rc;
	}
	if (claims)
		g.server = server_claims(l, index, g.leaf);
	*out = g;
	return MLOG_OK;
}
