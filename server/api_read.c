/*
 * api_read.c — every GET endpoint of SPEC §3: the checkpoint, C2SP tiles
 * and entry bundles, proofs, entries, search, metrics and health.
 *
 * Reads use a pooled read-only store connection (pool.c) and the head the
 * sequencer last published, so a request sees one consistent tree size
 * even while a batch commits (SQLite WAL snapshot + head reference).
 */
#include "mlogd.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "bundle.h"
#include "codec.h"
#include "proof.h"
#include "statement.h"
#include "tile.h"

#define CACHE_IMMUTABLE "public, max-age=31536000, immutable"
#define CACHE_SHORT "public, max-age=5"
#define CACHE_CHECKPOINT "no-cache"
#define SEARCH_LIMIT_DEFAULT 100
#define SEARCH_LIMIT_MAX 1000

/* Everything one GET needs, released by release(). */
struct get {
	struct mlogd *d;
	struct MHD_Connection *c;
	struct mlogd_head *head;
	struct mlogd_reader *r;
	int status;
};

static struct mlogd_reader *reader(struct get *g)
{
	if (g->r == NULL)
		g->r = mlogd_pool_get(&g->d->pool);
	return g->r;
}

__attribute__((format(printf, 3, 4)))
static enum MHD_Result fail(struct get *g, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	g->status = status;
	return mlogd_respond_error(g->c, status, "%s", msg);
}

static enum MHD_Result send_json(struct get *g, json_t *obj,
	const char *cache)
{
	char *body = obj != NULL ? json_dumps(obj, JSON_COMPACT) : NULL;

	json_decref(obj);
	if (body == NULL)
		return fail(g, 500, "out of memory");
	g->status = 200;
	return mlogd_respond_owned(g->c, 200, "application/json", cache, body,
		strlen(body));
}

static json_t *b64_json(const uint8_t *data, size_t len)
{
	char *b64 = malloc(MLOG_CODEC_B64_LEN(len) + 1);
	json_t *s = NULL;

	if (b64 != NULL && mlog_codec_base64_encode(b64,
		MLOG_CODEC_B64_LEN(len) + 1, data, len) >= 0)
		s = json_string(b64);
	free(b64);
	return s;
}

/* Parses query argument name as a C2SP decimal; 1 if present and valid,
 * 0 if absent, -1 if malformed. */
static int arg_u64(struct get *g, const char *name, uint64_t *out)
{
	const char *v = MHD_lookup_connection_value(g->c,
		MHD_GET_ARGUMENT_KIND, name);

	if (v == NULL)
		return 0;
	if (mlog_codec_decimal_parse(out, v, strlen(v)) != MLOG_OK)
		return -1;
	return 1;
}

/* ---- /checkpoint -------------------------------------------------------- */

static enum MHD_Result get_checkpoint(struct get *g)
{
	char *note = NULL;
	size_t len = 0;

	if (g->d->cosigned.get != NULL)
		note = g->d->cosigned.get(g->d->cosigned.ctx, g->head, &len);
	g->status = 200;
	if (note != NULL)
		return mlogd_respond_owned(g->c, 200,
			"text/plain; charset=utf-8", CACHE_CHECKPOINT, note,
			len);
	return mlogd_respond_bytes(g->c, 200, "text/plain; charset=utf-8",
		CACHE_CHECKPOINT, g->head->note, g->head->note_len);
}

/* ---- /tile/... ------------------------------------------------------------ */

static enum MHD_Result get_tile(struct get *g, const char *path, int *route)
{
	struct mlog_tile t;
	const char *cache;
	uint8_t buf[MLOG_TILE_MAX_BYTES];
	size_t len = 0;
	int rc;

	if (mlog_tile_parse(&t, path, strlen(path), NULL) != MLOG_OK)
		return fail(g, 404, "not a tile path: /%s", path);
	*route = t.entries ? MLOGD_ROUTE_BUNDLE : MLOGD_ROUTE_TILE;
	if (!mlog_tile_exists(&t, g->head->size))
		return fail(g, 404, "/%s does not exist at the current tree "
			"size", path);
	cache = t.width == MLOG_TILE_WIDTH ? CACHE_IMMUTABLE : CACHE_SHORT;
	if (!t.entries) {
		rc = mlogd_store_read_tile(reader(g)->store, t.level, t.n, buf,
			sizeof(buf), &len, NULL, NULL);
		if (rc != MLOG_OK || len < (size_t)t.width * MLOG_HASH_BYTES)
			return fail(g, 500, "couldn't read /%s", path);
		g->status = 200;
		return mlogd_respond_bytes(g->c, 200,
			"application/octet-stream", cache, buf,
			(size_t)t.width * MLOG_HASH_BYTES);
	} else {
		struct mlog_bundle_entry ents[MLOG_BUNDLE_MAX_ENTRIES];
		uint8_t *data = NULL;
		size_t count = 0, cut;

		rc = mlogd_store_read_bundle(reader(g)->store, t.n, &data,
			&len);
		if (rc == MLOG_OK)
			rc = mlog_bundle_decode(ents, &count, data, len, NULL);
		if (rc != MLOG_OK || count < t.width) {
			free(data);
			return fail(g, 500, "couldn't read /%s", path);
		}
		/* The first W entries: a prefix of the stored bundle. */
		cut = (size_t)(ents[t.width - 1].data - data) +
			ents[t.width - 1].len;
		g->status = 200;
		return mlogd_respond_owned(g->c, 200,
			"application/octet-stream", cache, (char *)data, cut);
	}
}

/* ---- proofs ----------------------------------------------------------- */

/*
 * Sends a proof answer, rendered by hand (building and dumping it through
 * jansson cost about a tenth of a proof request's CPU): `fields` is the
 * opening of the object with its numeric members, e.g. {"old":1,"size":2,
 * then "leaf_hash" when leaf is not NULL, then "proof". Base64 has no
 * characters JSON must escape.
 */
static enum MHD_Result send_proof(struct get *g, const char *fields,
	const uint8_t *leaf, const uint8_t (*proof)[MLOG_HASH_BYTES],
	size_t n)
{
	enum { B64 = MLOG_CODEC_B64_LEN(MLOG_HASH_BYTES) };
	size_t cap = strlen(fields) + 32 + (n + 1) * (B64 + 3);
	char *body = malloc(cap), *p;

	if (body == NULL)
		return fail(g, 500, "out of memory");
	p = body + strlen(fields);
	memcpy(body, fields, (size_t)(p - body));
	if (leaf != NULL) {
		memcpy(p, "\"leaf_hash\":\"", 13);
		p += 13;
		p += mlog_codec_base64_encode(p, B64 + 1, leaf,
			MLOG_HASH_BYTES);
		memcpy(p, "\",", 2);
		p += 2;
	}
	memcpy(p, "\"proof\":[", 9);
	p += 9;
	for (size_t i = 0; i < n; i++) {
		*p++ = '"';
		p += mlog_codec_base64_encode(p, B64 + 1, proof[i],
			MLOG_HASH_BYTES);
		*p++ = '"';
		if (i + 1 < n)
			*p++ = ',';
	}
	memcpy(p, "]}", 2);
	p += 2;
	g->status = 200;
	return mlogd_respond_owned(g->c, 200, "application/json", "no-cache",
		body, (size_t)(p - body));
}

/* size= (default: the head's), checked against the head. */
static int arg_size(struct get *g, uint64_t *size)
{
	int got = arg_u64(g, "size", size);

	if (got == 0)
		*size = g->head->size;
	if (got < 0 || *size > g->head->size)
		return -1;
	return 0;
}

static enum MHD_Result get_inclusion(struct get *g)
{
	uint8_t proof[MLOG_PROOF_MAX][MLOG_HASH_BYTES], leaf[MLOG_HASH_BYTES];
	const char *leaf_hex = MHD_lookup_connection_value(g->c,
		MHD_GET_ARGUMENT_KIND, "leaf_hash");
	uint64_t index = 0, size;
	size_t n = 0;
	char fields[96];
	int has_index = arg_u64(g, "index", &index), rc;

	if (arg_size(g, &size) != 0)
		return fail(g, 400, "size must be a decimal no larger than "
			"the current tree size");
	if (has_index < 0 || (has_index == 1) == (leaf_hex != NULL))
		return fail(g, 400, "give exactly one of index=<decimal> or "
			"leaf_hash=<64 hex digits>");
	if (leaf_hex != NULL) {
		if (mlog_codec_hex_decode(leaf, sizeof(leaf), leaf_hex,
			strlen(leaf_hex)) != MLOG_OK)
			return fail(g, 400, "leaf_hash: want 64 lowercase hex "
				"digits");
		rc = mlogd_tileread_find(&reader(g)->tiles, leaf, size,
			&index);
		if (rc == MLOG_ERR_NOTFOUND)
			return fail(g, 404, "no entry with leaf_hash %s in "
				"that tree", leaf_hex);
		if (rc != MLOG_OK)
			return fail(g, 500, "couldn't search leaves");
	} else {
		if (index >= g->head->size)
			return fail(g, 404, "no entry at that index");
		if (index >= size)
			return fail(g, 400, "index is not below size");
		if (mlogd_tileread_leaf(&reader(g)->tiles, index, leaf)
			!= MLOG_OK)
			return fail(g, 500, "couldn't read the leaf");
	}
	rc = mlog_proof_prove_inclusion(reader(g)->h, proof, &n, index, size,
		&reader(g)->tiles.reader);
	if (rc != MLOG_OK)
		return fail(g, 500, "couldn't build the proof");
	snprintf(fields, sizeof(fields), "{\"index\":%" PRIu64 ",\"size\":%"
		PRIu64 ",", index, size);
	return send_proof(g, fields, leaf,
		(const uint8_t (*)[MLOG_HASH_BYTES])proof, n);
}

static enum MHD_Result get_consistency(struct get *g)
{
	uint8_t proof[MLOG_PROOF_MAX][MLOG_HASH_BYTES];
	uint64_t old = 0, size;
	size_t n = 0;
	char fields[96];
	int has_old = arg_u64(g, "old", &old);

	if (arg_size(g, &size) != 0)
		return fail(g, 400, "size must be a decimal no larger than "
			"the current tree size");
	if (has_old != 1 || old == 0 || old > size)
		return fail(g, 400, "old must be a decimal with 1 <= old <= "
			"size");
	if (mlog_proof_prove_consistency(reader(g)->h, proof, &n, old, size,
		&reader(g)->tiles.reader) != MLOG_OK)
		return fail(g, 500, "couldn't build the proof");
	snprintf(fields, sizeof(fields), "{\"old\":%" PRIu64 ",\"size\":%"
		PRIu64 ",", old, size);
	return send_proof(g, fields, NULL,
		(const uint8_t (*)[MLOG_HASH_BYTES])proof, n);
}

/* ---- /v1/entries/<I> ---------------------------------------------------- */

static json_t *rfc3339(int64_t when)
{
	char buf[32];
	time_t t = (time_t)when;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static enum MHD_Result get_entry(struct get *g, const char *arg)
{
	struct mlog_bundle_entry ents[MLOG_BUNDLE_MAX_ENTRIES];
	uint8_t *bundle = NULL, *payload = NULL, leaf[MLOG_HASH_BYTES];
	size_t count = 0, len = 0, plen = 0;
	uint64_t index;
	json_t *env = NULL, *statement = NULL, *signers;
	char **names = NULL;
	int64_t when = 0;
	int nnames;
	enum MHD_Result ret;

	if (mlog_codec_decimal_parse(&index, arg, strlen(arg)) != MLOG_OK)
		return fail(g, 400, "entry index %s is not a decimal", arg);
	if (index >= g->head->size)
		return fail(g, 404, "no entry at index %s", arg);
	if (mlogd_store_read_bundle(reader(g)->store, index >> 8, &bundle,
		&len) != MLOG_OK ||
	    mlog_bundle_decode(ents, &count, bundle, len, NULL) != MLOG_OK ||
	    count <= (index & 255)) {
		free(bundle);
		return fail(g, 500, "couldn't read entry %s", arg);
	}
	{
		const struct mlog_bundle_entry *e = &ents[index & 255];
		json_t *p;
		const char *b64;

		mlog_hash_leaf(reader(g)->h, leaf, e->data, e->len);
		env = json_loadb((const char *)e->data, e->len, 0, NULL);
		p = json_object_get(env, "payload");
		b64 = json_string_value(p);
		if (b64 != NULL) {
			payload = malloc(strlen(b64) / 4 * 3 + 1);
			if (payload != NULL && mlog_codec_base64_decode(payload,
				strlen(b64) / 4 * 3 + 1, &plen, b64,
				strlen(b64)) == MLOG_OK)
				statement = json_loadb((const char *)payload,
					plen, 0, NULL);
		}
	}
	free(payload);
	free(bundle);
	nnames = mlogd_store_signers(reader(g)->store, index, &names);
	if (env == NULL || statement == NULL || nnames < 0 ||
	    mlogd_store_integrated_at(reader(g)->store, index, &when)
		!= MLOG_OK) {
		json_decref(env);
		json_decref(statement);
		for (int i = 0; i < nnames; i++)
			free(names[i]);
		free(names);
		return fail(g, 500, "couldn't decode entry %s", arg);
	}
	signers = json_array();
	for (int i = 0; i < nnames; i++) {
		json_array_append_new(signers, json_string(names[i]));
		free(names[i]);
	}
	free(names);
	ret = send_json(g, json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}",
		"index", (json_int_t)index, "leaf_hash",
		b64_json(leaf, MLOG_HASH_BYTES), "envelope", env, "statement",
		statement, "signers", signers, "integrated_at", rfc3339(when)),
		CACHE_IMMUTABLE);
	return ret;
}

/* ---- /v1/search --------------------------------------------------------- */

struct search_param {
	const char *name;
	int kind;
	size_t hex_len;    /* 0: free text */
};

static const struct search_param search_params[] = {
	{ "mrenclave", MLOG_STATEMENT_KEY_MRENCLAVE, 64 },
	{ "mrsigner", MLOG_STATEMENT_KEY_MRSIGNER, 64 },
	{ "mrtd", MLOG_STATEMENT_KEY_MRTD, 96 },
	{ "snp_measurement", MLOG_STATEMENT_KEY_SNP_MEASUREMENT, 96 },
	{ "pcr0", MLOG_STATEMENT_KEY_NITRO_PCR0, 96 },
	{ "ticket", MLOG_STATEMENT_KEY_TICKET, 0 },
	{ "digest", MLOG_STATEMENT_KEY_DIGEST, 0 },
	{ "signer", MLOGD_SEARCH_SIGNER, 0 },
};

static int lower_hex(const char *s, size_t want)
{
	if (strlen(s) != want)
		return 0;
	for (; *s != '\0'; s++) {
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return 0;
	}
	return 1;
}

static enum MHD_Result get_search(struct get *g)
{
	const struct search_param *param = NULL;
	const char *value = NULL;
	uint64_t after = UINT64_MAX, limit = SEARCH_LIMIT_DEFAULT;
	uint64_t *found;
	json_t *arr;
	int n, got;

	for (size_t i = 0; i < sizeof(search_params) /
	     sizeof(search_params[0]); i++) {
		const char *v = MHD_lookup_connection_value(g->c,
			MHD_GET_ARGUMENT_KIND, search_params[i].name);

		if (v == NULL)
			continue;
		if (param != NULL)
			return fail(g, 400, "give exactly one search "
				"key");
		param = &search_params[i];
		value = v;
	}
	if (param == NULL)
		return fail(g, 400, "give one of mrenclave, mrsigner, "
			"mrtd, snp_measurement, pcr0, ticket, digest, signer");
	if (param->hex_len > 0 && !lower_hex(value, param->hex_len))
		return fail(g, 400, "%s: want lowercase hex of the right "
			"length", param->name);
	if (strlen(value) == 0 || strlen(value) > 256)
		return fail(g, 400, "%s: want 1..256 bytes", param->name);
	got = arg_u64(g, "after", &after);
	if (got < 0)
		return fail(g, 400, "after: want a decimal index");
	if (got == 0)
		after = UINT64_MAX;
	got = arg_u64(g, "limit", &limit);
	if (got < 0 || limit == 0 || limit > SEARCH_LIMIT_MAX)
		return fail(g, 400, "limit: want 1..1000");
	found = malloc(limit * sizeof(*found));
	if (found == NULL)
		return fail(g, 500, "out of memory");
	n = mlogd_store_search(reader(g)->store, param->kind, value,
		strlen(value), after, found, limit);
	if (n < 0) {
		free(found);
		return fail(g, 500, "search failed");
	}
	arr = json_array();
	for (int i = 0; i < n; i++) {
		/* Hide entries committed after the head we answer for. */
		if (found[i] >= g->head->size) {
			n = i;
			break;
		}
		json_array_append_new(arr, json_integer((json_int_t)found[i]));
	}
	{
		json_t *next = (uint64_t)n == limit
			? json_integer((json_int_t)found[n - 1]) : json_null();

		free(found);
		return send_json(g, json_pack("{s:o, s:o}", "indices", arr,
			"next", next), "no-cache");
	}
}

/* ---- /metrics, /healthz --------------------------------------------------- */

static enum MHD_Result get_metrics(struct get *g)
{
	struct mlogd_seq_stats st;
	char *body = NULL;
	size_t len = 0;

	mlogd_seq_stats(g->d->seq, &st);
	if (mlogd_metrics_format(g->d->metrics, st.tree_size, st.queue_depth,
		&body, &len) != 0)
		return fail(g, 500, "out of memory");
	if (g->d->witnessing != NULL) {
		char *more = mlogd_witnessing_metrics(g->d->witnessing);
		char *both = NULL;

		if (more == NULL || asprintf(&both, "%s%s", body, more) < 0) {
			free(more);
			free(body);
			return fail(g, 500, "out of memory");
		}
		free(more);
		free(body);
		body = both;
		len = strlen(both);
	}
	g->status = 200;
	return mlogd_respond_owned(g->c, 200,
		"text/plain; version=0.0.4; charset=utf-8", "no-store", body,
		len);
}

static enum MHD_Result get_healthz(struct get *g)
{
	struct mlogd_seq_stats st;

	mlogd_seq_stats(g->d->seq, &st);
	if (st.failed)
		return fail(g, 503, "sequencer failed: see the log");
	g->status = 200;
	return mlogd_respond_bytes(g->c, 200, "text/plain; charset=utf-8",
		"no-store", "ok\n", 3);
}

/* ---- routing ------------------------------------------------------------ */

int mlogd_api_route(const char *url)
{
	static const struct {
		const char *path;      /* exact, or a prefix if it ends in / */
		int route;
	} routes[] = {
		{ "/checkpoint", MLOGD_ROUTE_CHECKPOINT },
		{ "/tile/", MLOGD_ROUTE_TILE },
		{ "/v1/entries", MLOGD_ROUTE_SUBMIT },
		{ "/v1/entries/", MLOGD_ROUTE_ENTRY },
		{ "/v1/proof/inclusion", MLOGD_ROUTE_PROOF_INCLUSION },
		{ "/v1/proof/consistency", MLOGD_ROUTE_PROOF_CONSISTENCY },
		{ "/v1/search", MLOGD_ROUTE_SEARCH },
		{ "/metrics", MLOGD_ROUTE_METRICS },
		{ "/healthz", MLOGD_ROUTE_HEALTHZ },
	};

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		size_t n = strlen(routes[i].path);

		if (routes[i].path[n - 1] == '/'
		    ? strncmp(url, routes[i].path, n) == 0
		    : strcmp(url, routes[i].path) == 0)
			return routes[i].route;
	}
	return MLOGD_ROUTE_OTHER;
}

enum MHD_Result mlogd_api_get(struct mlogd *d, struct MHD_Connection *c,
	const char *url, int *route, int *status)
{
	struct get g = { d, c, NULL, NULL, 0 };
	enum MHD_Result ret;

	g.head = mlogd_seq_head(d->seq);
	*route = mlogd_api_route(url);
	switch (*route) {
	case MLOGD_ROUTE_CHECKPOINT:
		ret = get_checkpoint(&g);
		break;
	case MLOGD_ROUTE_TILE:
		ret = get_tile(&g, url + 1, route);
		break;
	case MLOGD_ROUTE_PROOF_INCLUSION:
		ret = get_inclusion(&g);
		break;
	case MLOGD_ROUTE_PROOF_CONSISTENCY:
		ret = get_consistency(&g);
		break;
	case MLOGD_ROUTE_ENTRY:
		ret = get_entry(&g, url + 12);
		break;
	case MLOGD_ROUTE_SEARCH:
		ret = get_search(&g);
		break;
	case MLOGD_ROUTE_METRICS:
		ret = get_metrics(&g);
		break;
	case MLOGD_ROUTE_HEALTHZ:
		ret = get_healthz(&g);
		break;
	default:
		*route = MLOGD_ROUTE_OTHER;
		ret = fail(&g, 404, "no such endpoint: %s", url);
		break;
	}
	if (g.r != NULL)
		mlogd_pool_put(&d->pool, g.r);
	mlogd_seq_head_unref(d->seq, g.head);
	*status = g.status;
	return ret;
}
