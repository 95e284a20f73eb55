/*
 * monitor.c — the monitor's state and per-checkpoint processing; see
 * monitor.h.
 */
#include "monitor.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "approvals.h"
#include "cli.h"
#include "codec.h"
#include "events.h"
#include "note.h"
#include "proof.h"
#include "statement.h"
#include "tree.h"

#define STATE_FILE "state.json"
#define CHUNK 4096

struct pending {
	uint64_t index;
	struct cli_measure m;
	char *build_id;
	uint64_t seen_at;
};

struct cli_monitor {
	char *dir;
	int lock_fd;
	char *origin;                   /* NULL with no state */
	char *note;                     /* last verified checkpoint */
	size_t note_len;
	uint64_t size;
	uint8_t root[MLOG_HASH_BYTES];
	struct cli_record *appr;        /* approvals and revocations seen */
	size_t nappr, cappr;
	struct cli_approvals ix;        /* over appr (+ a chunk's) */
	struct pending *pend;
	size_t npend, cpend;
	json_t *builds, *subjects;      /* drift maps */
	uint64_t failures;
	struct mlog_hash *h;
};

/* One entry read during a walk, waiting for its chunk to be judged. */
struct item {
	uint64_t index;
	int bad;                        /* not a SPEC §2 entry */
	int sig_bad;                    /* --signers check failed */
	char msg[MLOG_ERROR_MSG_MAX];
	char names[256];                /* verified signer names */
	struct cli_record rec;
};

struct walk_ctx {
	struct cli_monitor *m;
	const struct cli_monitor_config *cfg;
	const struct mlog_checkpoint *cp;
	uint64_t seen_at;
	struct item *items;
	size_t nitems;
	uint64_t done, total, last_drawn;
	int rc;
};

#ifndef NDEBUG
static void check_invariants(const struct cli_monitor *m)
{
	assert(m->lock_fd >= 0);
	assert(m->note == NULL || m->origin != NULL);
	assert(m->note != NULL || (m->size == 0 && m->nappr == 0 &&
		m->npend == 0));
	for (size_t i = 0; i < m->nappr; i++)
		assert(m->appr[i].type == MLOG_STATEMENT_APPROVAL &&
			(i == 0 || m->appr[i - 1].index < m->appr[i].index) &&
			m->appr[i].index < m->size);
	for (size_t i = 0; i < m->npend; i++)
		assert(m->pend[i].index < m->size);
}
#else
#define check_invariants(m) ((void)0)
#endif

uint64_t cli_monitor_size(const struct cli_monitor *m)
{
	return m->size;
}

const char *cli_monitor_note(const struct cli_monitor *m, size_t *len)
{
	if (len != NULL)
		*len = m->note_len;
	return m->note;
}

uint64_t cli_monitor_failures(const struct cli_monitor *m)
{
	return m->failures;
}

size_t cli_monitor_pending(const struct cli_monitor *m)
{
	return m->npend;
}

/* ---- state on disk ----------------------------------------------------- */

static json_t *state_json(const struct cli_monitor *m)
{
	json_t *st = json_object(), *pend = json_array(), *appr = json_array();
	char now[32], root[64];

	cli_event_time(now, (long long)time(NULL));
	if (mlog_codec_base64_encode(root, sizeof(root), m->root,
		MLOG_HASH_BYTES) < 0)
		root[0] = '\0';
	for (size_t i = 0; i < m->npend; i++) {
		const struct pending *p = &m->pend[i];

		json_array_append_new(pend, json_pack("{s:I, s:o, s:s?, s:I}",
			"index", (json_int_t)p->index, "measurement",
			cli_measure_to_json(&p->m), "build_id", p->build_id,
			"seen_at", (json_int_t)p->seen_at));
	}
	for (size_t i = 0; i < m->nappr; i++) {
		const struct cli_record *r = &m->appr[i];

		json_array_append_new(appr, json_pack("{s:I, s:s, s:s, s:s, "
			"s:s, s:o}", "index", (json_int_t)r->index, "ticket",
			r->ticket, "decision", r->decision ==
			MLOG_STATEMENT_REVOKED ? "revoked" : "approved",
			"approver", r->approver, "reviewed_at",
			r->reviewed_at, "measurement",
			cli_measure_to_json(&r->approval)));
	}
	cli_json_set(st, "version", cli_json_int(1));
	cli_json_set(st, "origin", cli_json_str(m->origin));
	cli_json_set(st, "checkpoint", cli_json_str(m->note));
	cli_json_set(st, "position", cli_json_int((long long)m->size));
	cli_json_set(st, "root", cli_json_str(root));
	cli_json_set(st, "updated_at", cli_json_str(now));
	cli_json_set(st, "pending", pend);
	cli_json_set(st, "approvals", appr);
	cli_json_set(st, "builds", json_incref(m->builds));
	cli_json_set(st, "subjects", json_incref(m->subjects));
	return st;
}

/* Invariant (1): write, fsync, rename, fsync the directory. */
static int state_save(const struct cli_monitor *m, struct mlog_error *err)
{
	json_t *st = state_json(m);
	char *text = json_dumps(st, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	char *tmp = NULL, *path = NULL;
	size_t len, done = 0;
	int fd = -1, dfd = -1, rc = MLOG_OK;

	json_decref(st);
	if (text == NULL || asprintf(&tmp, "%s/%s.tmp", m->dir, STATE_FILE)
		< 0 || asprintf(&path, "%s/%s", m->dir, STATE_FILE) < 0) {
		free(text);
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	}
	len = strlen(text);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		0600);
	while (fd >= 0 && done < len) {
		ssize_t w = write(fd, text + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	if (fd < 0 || done != len || fsync(fd) != 0 || close(fd) != 0 ||
	    rename(tmp, path) != 0) {
		rc = mlog_error_set(err, MLOG_ERR_IO, "%s: %s", tmp,
			strerror(errno));
		unlink(tmp);
	} else {
		dfd = open(m->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsync(dfd) != 0)
			rc = mlog_error_set(err, MLOG_ERR_IO, "%s: %s", m->dir,
				strerror(errno));
		if (dfd >= 0)
			close(dfd);
	}
	free(text);
	free(tmp);
	free(path);
	return rc;
}

static int appr_push(struct cli_monitor *m, struct cli_record *r)
{
	if (m->nappr == m->cappr) {
		size_t c = m->cappr == 0 ? 64 : 2 * m->cappr;
		struct cli_record *g = realloc(m->appr, c * sizeof(*g));

		if (g == NULL)
			return MLOG_ERR_NOMEM;
		m->appr = g;
		m->cappr = c;
	}
	m->appr[m->nappr++] = *r;   /* taken over */
	memset(r, 0, sizeof(*r));
	return MLOG_OK;
}

static int pend_push(struct cli_monitor *m, const struct pending *p)
{
	if (m->npend == m->cpend) {
		size_t c = m->cpend == 0 ? 64 : 2 * m->cpend;
		struct pending *g = realloc(m->pend, c * sizeof(*g));

		if (g == NULL)
			return MLOG_ERR_NOMEM;
		m->pend = g;
		m->cpend = c;
	}
	m->pend[m->npend++] = *p;
	return MLOG_OK;
}

static int state_load(struct cli_monitor *m, const char *text, size_t len,
	struct mlog_error *err)
{
	json_t *st = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	const char *origin = json_string_value(json_object_get(st, "origin"));
	const char *note = json_string_value(json_object_get(st,
		"checkpoint"));
	json_t *pend = json_object_get(st, "pending");
	json_t *appr = json_object_get(st, "approvals");
	json_t *builds = json_object_get(st, "builds");
	json_t *subjects = json_object_get(st, "subjects");
	struct mlog_note *n = NULL;
	struct mlog_checkpoint cp;
	size_t i;
	json_t *v;
	int rc = MLOG_ERR_MALFORMED;

	mlog_checkpoint_init(&cp);
	if (st == NULL || json_integer_value(json_object_get(st, "version"))
		!= 1 || origin == NULL || note == NULL ||
	    !json_is_array(pend) || !json_is_array(appr) ||
	    !json_is_object(builds) || !json_is_object(subjects))
		goto out;
	if (mlog_note_parse(&n, note, strlen(note), NULL) != MLOG_OK ||
	    mlog_checkpoint_parse(&cp, n->text, n->text_len, NULL) != MLOG_OK
	    || strcmp(cp.origin, origin) != 0 ||
	    json_integer_value(json_object_get(st, "position")) !=
		(json_int_t)cp.size)
		goto out;
	m->origin = strdup(origin);
	m->note = strdup(note);
	if (m->origin == NULL || m->note == NULL) {
		rc = MLOG_ERR_NOMEM;
		goto out;
	}
	m->note_len = strlen(note);
	m->size = cp.size;
	memcpy(m->root, cp.root, MLOG_HASH_BYTES);
	json_array_foreach(appr, i, v) {
		struct cli_record r;
		const char *dec = json_string_value(json_object_get(v,
			"decision"));
		json_t *idx = json_object_get(v, "index");

		memset(&r, 0, sizeof(r));
		r.type = MLOG_STATEMENT_APPROVAL;
		r.type_uri = mlog_statement_type_uri(r.type);
		r.index = (uint64_t)json_integer_value(idx);
		r.decision = dec != NULL && strcmp(dec, "revoked") == 0
			? MLOG_STATEMENT_REVOKED : MLOG_STATEMENT_APPROVED;
		r.ticket = strdup(json_string_value(json_object_get(v,
			"ticket")) ? json_string_value(json_object_get(v,
			"ticket")) : "");
		r.approver = strdup(json_string_value(json_object_get(v,
			"approver")) ? json_string_value(json_object_get(v,
			"approver")) : "");
		r.reviewed_at = strdup(json_string_value(json_object_get(v,
			"reviewed_at")) ? json_string_value(json_object_get(v,
			"reviewed_at")) : "");
		/* Every approval was read below the position, in order
		 * (check_invariants). */
		if (!json_is_integer(idx) || dec == NULL ||
		    r.index >= cp.size ||
		    cli_measure_from_json(&r.approval, json_object_get(v,
			"measurement"), NULL) != MLOG_OK ||
		    (m->nappr > 0 && m->appr[m->nappr - 1].index >= r.index)) {
			cli_record_clear(&r);
			goto out;
		}
		if (r.ticket == NULL || r.approver == NULL ||
		    r.reviewed_at == NULL || appr_push(m, &r) != MLOG_OK) {
			cli_record_clear(&r);
			rc = MLOG_ERR_NOMEM;
			goto out;
		}
	}
	json_array_foreach(pend, i, v) {
		struct pending p;
		const char *b = json_string_value(json_object_get(v,
			"build_id"));

		memset(&p, 0, sizeof(p));
		if (!json_is_integer(json_object_get(v, "index")) ||
		    !json_is_integer(json_object_get(v, "seen_at")) ||
		    cli_measure_from_json(&p.m, json_object_get(v,
			"measurement"), NULL) != MLOG_OK)
			goto out;
		p.index = (uint64_t)json_integer_value(json_object_get(v,
			"index"));
		p.seen_at = (uint64_t)json_integer_value(json_object_get(v,
			"seen_at"));
		if (p.index >= cp.size)    /* check_invariants */
			goto out;
		p.build_id = b != NULL ? strdup(b) : NULL;
		if (pend_push(m, &p) != MLOG_OK) {
			free(p.build_id);
			rc = MLOG_ERR_NOMEM;
			goto out;
		}
	}
	json_decref(m->builds);
	json_decref(m->subjects);
	m->builds = json_incref(builds);
	m->subjects = json_incref(subjects);
	rc = MLOG_OK;
out:
	mlog_note_free(n);
	mlog_checkpoint_clear(&cp);
	json_decref(st);
	if (rc == MLOG_ERR_MALFORMED)
		return mlog_error_set(err, rc, "%s/%s: not a monitor state "
			"(fix or remove it; it is never overwritten)", m->dir,
			STATE_FILE);
	if (rc != MLOG_OK)
		return mlog_error_set(err, rc, "out of memory");
	return MLOG_OK;
}

void cli_monitor_close(struct cli_monitor *m)
{
	if (m == NULL)
		return;
	if (m->lock_fd >= 0)
		close(m->lock_fd);   /* releases the flock */
	for (size_t i = 0; i < m->nappr; i++)
		cli_record_clear(&m->appr[i]);
	free(m->appr);
	for (size_t i = 0; i < m->npend; i++)
		free(m->pend[i].build_id);
	free(m->pend);
	cli_approvals_clear(&m->ix);
	json_decref(m->builds);
	json_decref(m->subjects);
	mlog_hash_free(m->h);
	free(m->origin);
	free(m->note);
	free(m->dir);
	free(m);
}

int cli_monitor_open(struct cli_monitor **out, const char *dir,
	struct mlog_error *err)
{
	struct cli_monitor *m = calloc(1, sizeof(*m));
	char *path = NULL, *text = NULL;
	struct stat st;
	int fd, rc = MLOG_OK;

	if (m == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	m->lock_fd = -1;
	m->dir = strdup(dir);
	m->builds = json_object();
	m->subjects = json_object();
	m->h = mlog_hash_new();
	cli_approvals_init(&m->ix);
	if (m->dir == NULL || m->builds == NULL || m->subjects == NULL ||
	    m->h == NULL) {
		cli_monitor_close(m);
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		rc = mlog_error_set(err, MLOG_ERR_IO, "--state %s: %s", dir,
			strerror(errno));
		goto fail;
	}
	if (asprintf(&path, "%s/lock", dir) < 0) {
		path = NULL;
		rc = mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
		goto fail;
	}
	m->lock_fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		0600);
	if (m->lock_fd < 0) {
		rc = mlog_error_set(err, MLOG_ERR_IO, "%s: %s", path,
			strerror(errno));
		goto fail;
	}
	if (flock(m->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		rc = mlog_error_set(err, errno == EWOULDBLOCK
			? MLOG_ERR_CONFLICT : MLOG_ERR_IO, "%s: %s", path,
			errno == EWOULDBLOCK ? "another monitor uses this "
			"state directory" : strerror(errno));
		goto fail;
	}
	free(path);
	if (asprintf(&path, "%s/%s", dir, STATE_FILE) < 0) {
		path = NULL;
		rc = mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
		goto fail;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		rc = mlog_error_set(err, MLOG_ERR_IO, "%s: %s", path,
			strerror(errno));
		goto fail;
	}
	if (fd >= 0) {
		size_t done = 0;

		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
		    (uint64_t)st.st_size > CLI_MONITOR_STATE_MAX) {
			close(fd);
			rc = mlog_error_set(err, MLOG_ERR_IO, "%s: not a "
				"readable state file", path);
			goto fail;
		}
		text = malloc((size_t)st.st_size + 1);
		if (text == NULL) {
			close(fd);
			rc = mlog_error_set(err, MLOG_ERR_NOMEM,
				"out of memory");
			goto fail;
		}
		while (done < (size_t)st.st_size) {
			ssize_t r = read(fd, text + done,
				(size_t)st.st_size - done);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			done += (size_t)r;
		}
		close(fd);
		if (done != (size_t)st.st_size) {
			rc = mlog_error_set(err, MLOG_ERR_IO, "%s: short read",
				path);
			goto fail;
		}
		rc = state_load(m, text, done, err);
		if (rc != MLOG_OK)
			goto fail;
	}
	free(text);
	free(path);
	check_invariants(m);
	*out = m;
	return MLOG_OK;
fail:
	free(text);
	free(path);
	cli_monitor_close(m);
	return rc;
}

/* ---- events ------------------------------------------------------------ */

static json_t *event(const struct cli_monitor *m, const char *type,
	const char *severity, uint64_t cp_size)
{
	json_t *ev = cli_event_new(type, severity);

	cli_json_set(ev, "log_origin", m->origin != NULL
		? cli_json_str(m->origin) : json_null());
	cli_json_set(ev, "checkpoint_size", cli_json_int((long long)cp_size));
	return ev;
}

static void emit(const struct cli_monitor_config *cfg, json_t *ev)
{
	if (cli_event_emit(ev, cfg->events) != 0)
		cli_errx("can't write events");
}

void cli_monitor_report(struct cli_monitor *m,
	const struct cli_monitor_config *cfg, const char *kind,
	const char *check, const char *message, json_t *extra)
{
	json_t *ev = event(m, kind, "CRITICAL", m->size);
	const char *k;
	json_t *v;

	cli_json_set(ev, "check", cli_json_str(check));
	cli_json_set(ev, "message", cli_json_str(message));
	json_object_foreach(extra, k, v)
		cli_json_set(ev, k, json_incref(v));
	json_decref(extra);
	emit(cfg, ev);
	m->failures++;
}

/* The measurement members of an event (SGX names as in `mlog check`). */
static void add_measure(json_t *ev, const struct cli_measure *q)
{
	const char *e = cli_measure_get(q, "mrenclave");
	const char *s = cli_measure_get(q, "mrsigner");

	cli_json_set(ev, "tee", cli_json_str(q->tee));
	if (strcmp(q->tee, "sgx") == 0) {
		cli_json_set(ev, "mrenclave", e != NULL ? cli_json_str(e)
							: json_null());
		cli_json_set(ev, "mrsigner", s != NULL ? cli_json_str(s)
						       : json_null());
		cli_json_set(ev, "isv_prodid", q->has_isvprodid
			? cli_json_int(q->isvprodid) : json_null());
		cli_json_set(ev, "isv_svn", q->has_isvsvn
			? cli_json_int(q->isvsvn) : json_null());
	}
	cli_json_set(ev, "measurement", cli_measure_to_json(q));
}

static void add_signing(json_t *ev, const struct item *it,
	const struct cli_monitor_config *cfg)
{
	json_t *ids = json_array();

	for (size_t i = 0; i < it->rec.nkeyids; i++)
		json_array_append_new(ids, json_string(it->rec.keyids[i]));
	cli_json_set(ev, "keyids", ids);
	if (cfg->signers != NULL)
		cli_json_set(ev, "signers", cli_json_str(it->names));
}

/* The primary measurement(s) of a manifest, for drift: "a,b". */
static char *manifest_key(const struct cli_record *r)
{
	char *key = strdup("");

	for (size_t i = 0; key != NULL && i < r->nmeasures; i++) {
		char *k = NULL;

		if (asprintf(&k, "%s%s%s", key, i > 0 ? "," : "",
			cli_measure_primary(&r->measures[i])) < 0)
			k = NULL;
		free(key);
		key = k;
	}
	if (key == NULL)
		cli_errx("out of memory");
	return key;
}

/* measurement_drift when map[name] holds another measurement. */
static void drift(struct cli_monitor *m, const struct cli_monitor_config *cfg,
	json_t *map, const char *what, const char *name, uint64_t index,
	const char *key, uint64_t cp_size)
{
	json_t *old = json_object_get(map, name);
	const char *prev;
	json_t *ev;

	if (old == NULL) {
		cli_json_set(map, name, json_pack("{s:I, s:s}", "index",
			(json_int_t)index, "measurement", key));
		return;
	}
	prev = json_string_value(json_object_get(old, "measurement"));
	if (prev == NULL || strcmp(prev, key) == 0)
		return;
	ev = event(m, "measurement_drift", "HIGH", cp_size);
	cli_json_set(ev, "log_index", cli_json_int((long long)index));
	cli_json_set(ev, "same", cli_json_str(what));
	cli_json_set(ev, what, cli_json_str(name));
	cli_json_set(ev, "measurement", cli_json_str(key));
	cli_json_set(ev, "previous_index", json_incref(json_object_get(old,
		"index")));
	cli_json_set(ev, "previous_measurement", cli_json_str(prev));
	emit(cfg, ev);
}

static void on_manifest(struct cli_monitor *m,
	const struct cli_monitor_config *cfg, const struct item *it,
	uint64_t cp_size, uint64_t seen_at)
{
	const struct cli_record *r = &it->rec;
	char *key = manifest_key(r);

	for (size_t i = 0; i < r->nmeasures; i++) {
		struct cli_decision d;
		json_t *ev = event(m, "measurement_published", "INFO",
			cp_size), *subj = json_array();

		if (cli_approvals_decide(&d, &m->ix, &r->measures[i],
			it->index) != MLOG_OK)
			cli_errx("out of memory");
		cli_json_set(ev, "log_index", cli_json_int((long long)
			it->index));
		add_measure(ev, &r->measures[i]);
		cli_json_set(ev, "build_id", cli_json_str(r->build_id));
		for (size_t s = 0; s < r->nsubjects; s++)
			json_array_append_new(subj, json_string(
				r->subjects[s].name));
		cli_json_set(ev, "subjects", subj);
		cli_json_set(ev, "approved", json_boolean(d.allowed));
		cli_json_set(ev, "ticket", d.allowed ? cli_json_str(
			d.approval->ticket) : json_null());
		add_signing(ev, it, cfg);
		emit(cfg, ev);
		if (!d.allowed) {
			struct pending p;

			memset(&p, 0, sizeof(p));
			p.index = it->index;
			p.m = r->measures[i];
			p.build_id = strdup(r->build_id);
			p.seen_at = seen_at;
			if (p.build_id == NULL || pend_push(m, &p) != MLOG_OK)
				cli_errx("out of memory");
		}
	}
	if (r->nmeasures == 0) {
		/* A manifest without measurements: nothing to drift. */
		free(key);
		return;
	}
	drift(m, cfg, m->builds, "build_id", r->build_id, it->index, key,
		cp_size);
	for (size_t s = 0; s < r->nsubjects; s++) {
		char name[80];

		if (r->subjects[s].sha256[0] == '\0')
			continue;
		snprintf(name, sizeof(name), "sha256:%s",
			r->subjects[s].sha256);
		drift(m, cfg, m->subjects, "subject", name, it->index, key,
			cp_size);
	}
	free(key);
}

static void on_approval(struct cli_monitor *m,
	const struct cli_monitor_config *cfg, const struct item *it,
	uint64_t cp_size)
{
	const struct cli_record *r = &it->rec;
	int revoked = r->decision == MLOG_STATEMENT_REVOKED;
	json_t *ev = event(m, revoked ? "approval_revoked"
				      : "measurement_approved",
		revoked ? "HIGH" : "INFO", cp_size);
	json_t *covers = json_array();
	size_t kept = 0;

	cli_json_set(ev, "log_index", cli_json_int((long long)it->index));
	cli_json_set(ev, "ticket", cli_json_str(r->ticket));
	cli_json_set(ev, "approver", cli_json_str(r->approver));
	cli_json_set(ev, "reviewed_at", cli_json_str(r->reviewed_at));
	add_measure(ev, &r->approval);
	cli_json_set(ev, "build_entry", r->has_build_entry
		? cli_json_int((long long)r->build_entry) : json_null());
	/* Invariant (4): an approval settles the pending builds it covers
	 * (a revocation settles none). */
	for (size_t i = 0; i < m->npend; i++) {
		struct pending *p = &m->pend[i];

		if (!revoked && p->index < it->index &&
		    cli_measure_covers(&r->approval, &p->m, NULL, 0)) {
			json_array_append_new(covers, json_integer(
				(json_int_t)p->index));
			free(p->build_id);
			continue;
		}
		m->pend[kept++] = *p;
	}
	m->npend = kept;
	cli_json_set(ev, revoked ? "pending_covered" : "covers_pending",
		covers);
	add_signing(ev, it, cfg);
	emit(cfg, ev);
}

/* ---- reading entries --------------------------------------------------- */

static void progress(struct walk_ctx *w, int last)
{
	int width = 30, filled;

	if (!w->cfg->progress || w->total == 0)
		return;
	if (!last && w->done - w->last_drawn < 256)
		return;
	w->last_drawn = w->done;
	filled = (int)(w->done * (uint64_t)width / w->total);
	fprintf(stderr, "\rmlog monitor: [%.*s%*s] %llu/%llu entries", filled,
		"##############################", width - filled, "",
		(unsigned long long)w->done, (unsigned long long)w->total);
	if (last)
		fputc('\n', stderr);
	fflush(stderr);
}

static void rebuild_index(struct cli_monitor *m, const struct item *items,
	size_t n)
{
	cli_approvals_clear(&m->ix);
	cli_approvals_init(&m->ix);
	for (size_t i = 0; i < m->nappr; i++) {
		if (cli_approvals_add(&m->ix, &m->appr[i]) != MLOG_OK)
			cli_errx("out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		if (items[i].bad || items[i].sig_bad)
			continue;
		if (cli_approvals_add(&m->ix, &items[i].rec) != MLOG_OK)
			cli_errx("out of memory");
	}
	cli_approvals_seal(&m->ix);
}

/* Judges the chunk of entries read so far, in index order. */
static void flush_chunk(struct walk_ctx *w)
{
	struct cli_monitor *m = w->m;

	rebuild_index(m, w->items, w->nitems);
	for (size_t i = 0; i < w->nitems; i++) {
		struct item *it = &w->items[i];
		json_t *x;

		if (it->bad || it->sig_bad) {
			x = json_pack("{s:I}", "log_index",
				(json_int_t)it->index);
			cli_monitor_report(m, w->cfg, "verification_failure",
				it->bad ? "entry" : "signature", it->msg, x);
			if (it->bad)
				continue;
		}
		if (it->rec.type == MLOG_STATEMENT_BUILD_MANIFEST)
			on_manifest(m, w->cfg, it, w->cp->size, w->seen_at);
		else if (it->rec.type == MLOG_STATEMENT_APPROVAL &&
			 !it->sig_bad)
			on_approval(m, w->cfg, it, w->cp->size);
	}
	/* The chunk's approvals join the state; the index now points into
	 * freed items and is rebuilt before its next use. */
	for (size_t i = 0; i < w->nitems; i++) {
		struct item *it = &w->items[i];

		if (!it->bad && !it->sig_bad &&
		    it->rec.type == MLOG_STATEMENT_APPROVAL &&
		    appr_push(m, &it->rec) != MLOG_OK)
			cli_errx("out of memory");
		cli_record_clear(&it->rec);
	}
	cli_approvals_clear(&m->ix);
	cli_approvals_init(&m->ix);
	w->nitems = 0;
}

static int on_entry(void *ctx, uint64_t index, const uint8_t *entry,
	size_t len)
{
	struct walk_ctx *w = ctx;
	struct item *it = &w->items[w->nitems++];
	struct mlog_error err = { 0, "" };

	memset(it, 0, sizeof(*it));
	it->index = index;
	if (cli_record_parse(&it->rec, index, entry, len, &err) != MLOG_OK) {
		it->bad = 1;
		snprintf(it->msg, sizeof(it->msg), "%s", err.msg);
	} else {
		if (w->cfg->signers != NULL &&
		    cli_signerset_check(w->cfg->signers, entry, len,
			mlog_statement_type_role(it->rec.type), it->names,
			sizeof(it->names), &err) != MLOG_OK) {
			it->sig_bad = 1;
			snprintf(it->msg, sizeof(it->msg), "entry %llu: %s",
				(unsigned long long)index, err.msg);
		}
	}
	w->done++;
	progress(w, 0);
	if (w->nitems == CHUNK)
		flush_chunk(w);
	if (w->cfg->stop != NULL && *w->cfg->stop)
		return CLI_MONITOR_STOPPED;
	return 0;
}

/* ---- advancing --------------------------------------------------------- */

/* The root of the first `small` leaves of tree (size, root), from its
 * authenticated tiles; plus (if proof) a consistency proof checked. */
static int root_from_tiles(struct cli_monitor *m,
	const struct cli_walk_source *src, uint64_t size,
	const uint8_t root[MLOG_HASH_BYTES], uint64_t small,
	uint8_t out[MLOG_HASH_BYTES], int check_proof, struct mlog_error *err)
{
	struct mlog_tile_hash_reader *thr = NULL;
	uint8_t proof[MLOG_PROOF_MAX][MLOG_HASH_BYTES];
	size_t plen = 0;
	int rc = mlog_tile_hash_reader_new(&thr, size, root, &src->tiles, err);

	if (rc != MLOG_OK)
		return rc;
	rc = mlog_tree_root(m->h, out, small,
		mlog_tile_hash_reader_hashes(thr));
	if (rc == MLOG_OK && check_proof && small > 0 && small < size) {
		rc = mlog_proof_prove_consistency(m->h, proof, &plen, small,
			size, mlog_tile_hash_reader_hashes(thr));
		if (rc == MLOG_OK)
			rc = mlog_proof_verify_consistency(m->h, small, size,
				out, root,
				(const uint8_t (*)[MLOG_HASH_BYTES])proof,
				plen);
	}
	if (rc != MLOG_OK)
		mlog_error_set(err, rc, "tiles of size %llu: %s",
			(unsigned long long)size,
			mlog_tile_hash_reader_last_error(thr));
	mlog_tile_hash_reader_free(thr);
	return rc;
}

static int is_verify(int rc)
{
	return rc == MLOG_ERR_VERIFY || rc == MLOG_ERR_UNTRUSTED ||
		rc == MLOG_ERR_MALFORMED;
}

int cli_monitor_advance(struct cli_monitor *m,
	const struct cli_monitor_config *cfg, const char *note, size_t len,
	const struct mlog_checkpoint *cp, const struct mlog_policy_result *res,
	const struct cli_walk_source *src, struct mlog_error *err)
{
	struct walk_ctx w;
	uint8_t got[MLOG_HASH_BYTES];
	char msg[MLOG_ERROR_MSG_MAX + 128];
	uint64_t from = 0;
	char *copy;
	int rc;

	check_invariants(m);
	if (m->origin != NULL && strcmp(m->origin, cp->origin) != 0)
		return mlog_error_set(err, MLOG_ERR_CONFLICT, "state is for "
			"log %s, not %s", m->origin, cp->origin);
	if (m->note != NULL) {
		if (cp->size == m->size) {
			if (memcmp(cp->root, m->root, MLOG_HASH_BYTES) == 0)
				return MLOG_OK;
			cli_monitor_report(m, cfg, "verification_failure",
				"consistency", "the log signed two different "
				"roots for the same tree size", json_pack(
				"{s:I}", "size", (json_int_t)cp->size));
			return MLOG_OK;
		}
		if (cp->size < m->size) {
			rc = root_from_tiles(m, src, m->size, m->root,
				cp->size, got, 0, err);
			if (rc == MLOG_OK &&
			    memcmp(got, cp->root, MLOG_HASH_BYTES) == 0) {
				fprintf(stderr, "mlog: monitor: the log shows "
					"size %llu, older than the %llu "
					"already verified (stale cache?)\n",
					(unsigned long long)cp->size,
					(unsigned long long)m->size);
				return MLOG_OK;
			}
			if (rc != MLOG_OK && !is_verify(rc))
				return rc;
			snprintf(msg, sizeof(msg), "checkpoint of size %llu "
				"is not a prefix of the verified size %llu%s%s",
				(unsigned long long)cp->size,
				(unsigned long long)m->size,
				rc != MLOG_OK ? ": " : "",
				rc != MLOG_OK ? err->msg : "");
			cli_monitor_report(m, cfg, "verification_failure",
				"consistency", msg, NULL);
			return MLOG_OK;
		}
		rc = root_from_tiles(m, src, cp->size, cp->root, m->size, got,
			1, err);
		if (rc != MLOG_OK && !is_verify(rc))
			return rc;
		if (rc != MLOG_OK ||
		    memcmp(got, m->root, MLOG_HASH_BYTES) != 0) {
			snprintf(msg, sizeof(msg), "checkpoint of size %llu is "
				"not consistent with the verified size "
				"%llu%s%s",
				(unsigned long long)cp->size,
				(unsigned long long)m->size,
				rc != MLOG_OK ? ": " : "",
				rc != MLOG_OK ? err->msg : "");
			cli_monitor_report(m, cfg, "verification_failure",
				"consistency", msg, NULL);
			return MLOG_OK;
		}
		from = m->size;
	}
	if (m->origin == NULL) {
		m->origin = strdup(cp->origin);
		if (m->origin == NULL)
			return mlog_error_set(err, MLOG_ERR_NOMEM,
				"out of memory");
	}
	/* Read [from, size). */
	memset(&w, 0, sizeof(w));
	w.m = m;
	w.cfg = cfg;
	w.cp = cp;
	w.total = cp->size - from;
	w.seen_at = (uint64_t)time(NULL);
	for (size_t i = 0; i < res->ncosigs; i++) {
		if (i == 0 || res->cosigs[i].timestamp < w.seen_at)
			w.seen_at = res->cosigs[i].timestamp;
	}
	w.items = calloc(CHUNK, sizeof(*w.items));
	if (w.items == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	rc = cli_walk_entries(src, cp->size, cp->root, from, cp->size,
		on_entry, &w, err);
	if (rc == MLOG_OK)
		flush_chunk(&w);
	for (size_t i = 0; i < w.nitems; i++)
		cli_record_clear(&w.items[i].rec);
	free(w.items);
	progress(&w, 1);
	if (rc != MLOG_OK) {
		if (m->note == NULL) {
			free(m->origin);
			m->origin = NULL;
		}
		if (rc == CLI_MONITOR_STOPPED)
			return rc;
		if (!is_verify(rc))
			return rc;
		cli_monitor_report(m, cfg, "verification_failure", "entries",
			err->msg, NULL);
		return MLOG_OK;
	}
	copy = malloc(len + 1);
	if (copy == NULL)
		return mlog_error_set(err, MLOG_ERR_NOMEM, "out of memory");
	memcpy(copy, note, len);
	copy[len] = '\0';
	free(m->note);
	m->note = copy;
	m->note_len = len;
	m->size = cp->size;
	memcpy(m->root, cp->root, MLOG_HASH_BYTES);
	check_invariants(m);
	return state_save(m, err);
}

int cli_monitor_expire(struct cli_monitor *m,
	const struct cli_monitor_config *cfg, uint64_t now,
	struct mlog_error *err)
{
	size_t kept = 0, gone = 0;

	for (size_t i = 0; i < m->npend; i++) {
		struct pending *p = &m->pend[i];
		json_t *ev;

		if (now < p->seen_at || now - p->seen_at < cfg->grace) {
			m->pend[kept++] = *p;
			continue;
		}
		ev = event(m, "unapproved_measurement", "HIGH", m->size);
		cli_json_set(ev, "log_index", cli_json_int((long long)
			p->index));
		add_measure(ev, &p->m);
		cli_json_set(ev, "build_id", p->build_id != NULL
			? cli_json_str(p->build_id) : json_null());
		cli_json_set(ev, "seen_at", cli_json_int((long long)
			p->seen_at));
		cli_json_set(ev, "grace_seconds", cli_json_int((long long)
			cfg->grace));
		emit(cfg, ev);
		free(p->build_id);
		gone++;
	}
	m->npend = kept;
	if (gone == 0 || m->note == NULL)
		return MLOG_OK;
	return state_save(m, err);
}
