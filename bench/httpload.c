/*
 * httpload.c — closed-loop HTTP/1.1 load engine; see httpload.h.
 */
#include "httpload.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#define ANSWER_MAX (1 << 20)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct shared {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	size_t count;
	size_t next;                 /* atomic: next request index */
	httpload_make_fn make;
	void *ctx;
	struct httpload_result *res;
	pthread_mutex_t lock;        /* res->ok, res->first_failure */
};

struct conn {
	int fd;
	int idle;                    /* no request outstanding */
	int want_out;                /* registered for EPOLLOUT */
	size_t req;
	double started;
	struct httpload_request r;
	size_t sent;
	char *buf;
	size_t have, cap;
};

struct loop {
	struct shared *sh;
	struct conn *conns;
	unsigned nconns;
	int ep;
};

int httpload_parse_url(const char *url, char *host, size_t host_cap,
	unsigned *port)
{
	const char *p, *colon;
	char *end;
	unsigned long v;

	if (strncmp(url, "http://", 7) != 0)
		return -1;
	p = url + 7;
	colon = strrchr(p, ':');
	if (colon == NULL || (size_t)(colon - p) >= host_cap || colon == p)
		return -1;
	v = strtoul(colon + 1, &end, 10);
	if (*end != '\0' && strcmp(end, "/") != 0)
		return -1;
	if (v == 0 || v > 65535)
		return -1;
	memcpy(host, p, (size_t)(colon - p));
	host[colon - p] = '\0';
	*port = (unsigned)v;
	return 0;
}

static void fail_once(struct shared *sh, long status, const char *what,
	size_t len)
{
	pthread_mutex_lock(&sh->lock);
	if (sh->res->first_failure[0] == '\0')
		snprintf(sh->res->first_failure,
			sizeof(sh->res->first_failure), "status %ld: %.*s",
			status, (int)(len < 200 ? len : 200), what);
	pthread_mutex_unlock(&sh->lock);
}

static int conn_open(struct loop *l, struct conn *c)
{
	int one = 1;
	struct epoll_event ev = { .events = EPOLLIN };

	c->fd = socket(l->sh->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	if (connect(c->fd, (struct sockaddr *)&l->sh->addr,
		l->sh->addr_len) != 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	ev.data.ptr = c;
	c->want_out = 0;
	c->have = 0;
	return epoll_ctl(l->ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void conn_close(struct loop *l, struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(l->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
}

static void want_out(struct loop *l, struct conn *c, int on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0) };

	if (c->want_out == on)
		return;
	ev.data.ptr = c;
	epoll_ctl(l->ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->want_out = on;
}

/* Sends what is left of the request; 0 when done or blocked, -1 on
 * error. */
static int send_some(struct loop *l, struct conn *c)
{
	while (c->sent < c->r.head_len + c->r.body_len) {
		struct iovec iov[2];
		int n = 0;
		ssize_t w;

		if (c->sent < c->r.head_len) {
			iov[n].iov_base = c->r.head + c->sent;
			iov[n++].iov_len = c->r.head_len - c->sent;
			if (c->r.body_len > 0) {
				iov[n].iov_base = (void *)c->r.body;
				iov[n++].iov_len = c->r.body_len;
			}
		} else {
			iov[n].iov_base = (void *)(c->r.body + c->sent -
				c->r.head_len);
			iov[n++].iov_len = c->r.head_len + c->r.body_len -
				c->sent;
		}
		w = writev(c->fd, iov, n);
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			want_out(l, c, 1);
			return 0;
		}
		if (w < 0)
			return -1;
		c->sent += (size_t)w;
	}
	want_out(l, c, 0);
	return 0;
}

static void record(struct loop *l, struct conn *c, long status)
{
	struct httpload_result *res = l->sh->res;

	res->latency[c->req] = now_s() - c->started;
	res->status[c->req] = status;
	if (status >= 200 && status < 300) {
		pthread_mutex_lock(&l->sh->lock);
		res->ok++;
		pthread_mutex_unlock(&l->sh->lock);
	}
	c->idle = 1;
}

/* Starts the next request on c, if any is left; requests that cannot
 * be sent (no connection) are recorded as failed and the next one tried. */
static void start_next(struct loop *l, struct conn *c)
{
	for (;;) {
		size_t i = __atomic_fetch_add(&l->sh->next, 1,
			__ATOMIC_RELAXED);

		if (i >= l->sh->count)
			return;
		c->req = i;
		c->started = now_s();
		if (c->fd < 0 && conn_open(l, c) != 0) {
			fail_once(l->sh, -1, "connect failed", 14);
			record(l, c, -1);
			continue;
		}
		c->idle = 0;
		c->sent = 0;
		c->have = 0;
		l->sh->make(l->sh->ctx, i, &c->r);
		c->started = now_s();
		if (send_some(l, c) == 0)
			return;
		conn_close(l, c);
		fail_once(l->sh, -1, "send failed", 11);
		record(l, c, -1);
	}
}

/* Parses a complete answer at the start of c->buf: returns its total
 * length (0 if incomplete, -1 if unusable) and the status. */
static long answer_length(const struct conn *c, long *status, int *close_it)
{
	const char *end = memmem(c->buf, c->have, "\r\n\r\n", 4);
	const char *p;
	long length = -1;

	if (end == NULL)
		return c->have > 65536 ? -1 : 0;
	if (c->have < 12 || strncmp(c->buf, "HTTP/1.", 7) != 0)
		return -1;
	*status = strtol(c->buf + 9, NULL, 10);
	*close_it = 0;
	for (p = memchr(c->buf, '\n', (size_t)(end - c->buf));
	     p != NULL && p < end; p = memchr(p, '\n', (size_t)(end - p))) {
		p++;
		if (strncasecmp(p, "Content-Length:", 15) == 0)
			length = strtol(p + 15, NULL, 10);
		else if (strncasecmp(p, "Connection: close", 17) == 0)
			*close_it = 1;
	}
	if (length < 0 || length > ANSWER_MAX)
		return -1;
	if ((size_t)(end + 4 - c->buf) + (size_t)length > c->have)
		return 0;
	return (long)(end + 4 - c->buf) + length;
}

static void on_readable(struct loop *l, struct conn *c)
{
	for (;;) {
		long status = 0, total;
		int close_it = 0;
		ssize_t n;

		if (c->cap - c->have < 16384) {
			size_t cap = c->cap ? 2 * c->cap : 65536;
			char *grown = cap <= 2 * ANSWER_MAX ?
				realloc(c->buf, cap) : NULL;

			if (grown == NULL)
				goto broken;
			c->buf = grown;
			c->cap = cap;
		}
		n = read(c->fd, c->buf + c->have, c->cap - c->have);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			goto broken;
		c->have += (size_t)n;
		if (c->idle)
			goto broken;      /* bytes nobody asked for */
		total = answer_length(c, &status, &close_it);
		if (total < 0)
			goto broken;
		if (total == 0)
			continue;
		if (status < 200 || status >= 300) {
			const char *body = memmem(c->buf, c->have,
				"\r\n\r\n", 4);

			fail_once(l->sh, status, body + 4,
				(size_t)(c->buf + total - body - 4));
		}
		record(l, c, status);
		if (close_it || (size_t)total != c->have)
			conn_close(l, c);
		c->have = 0;
		start_next(l, c);
		if (c->fd < 0 || c->idle)
			return;
	}
broken:
	if (!c->idle) {
		fail_once(l->sh, -1, "connection broken", 17);
		record(l, c, -1);
	}
	conn_close(l, c);
	start_next(l, c);
}

static void *loop_main(void *arg)
{
	struct loop *l = arg;
	struct epoll_event evs[64];

	for (unsigned i = 0; i < l->nconns; i++) {
		l->conns[i].fd = -1;
		l->conns[i].idle = 1;
		start_next(l, &l->conns[i]);
	}
	for (;;) {
		int busy = 0, n;

		for (unsigned i = 0; i < l->nconns; i++)
			busy |= !l->conns[i].idle;
		if (!busy)
			break;
		n = epoll_wait(l->ep, evs, 64, 1000);
		for (int k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;

			if (c->fd < 0)
				continue;
			if ((evs[k].events & EPOLLOUT) && !c->idle &&
			    send_some(l, c) != 0) {
				fail_once(l->sh, -1, "send failed", 11);
				record(l, c, -1);
				conn_close(l, c);
				start_next(l, c);
				continue;
			}
			if (evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				on_readable(l, c);
		}
	}
	for (unsigned i = 0; i < l->nconns; i++) {
		conn_close(l, &l->conns[i]);
		free(l->conns[i].buf);
	}
	return NULL;
}

int httpload_run(const char *host, unsigned port, unsigned clients,
	unsigned threads, size_t count, httpload_make_fn make, void *ctx,
	struct httpload_result *res)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	struct shared sh = { .count = count, .make = make, .ctx = ctx,
		.res = res };
	struct loop *loops;
	pthread_t *th;
	char portstr[16];
	double t0;

	memset(res, 0, sizeof(*res));
	res->latency = calloc(count ? count : 1, sizeof(*res->latency));
	res->status = calloc(count ? count : 1, sizeof(*res->status));
	snprintf(portstr, sizeof(portstr), "%u", port);
	if (res->latency == NULL || res->status == NULL ||
	    getaddrinfo(host, portstr, &hints, &ai) != 0)
		return -1;
	memcpy(&sh.addr, ai->ai_addr, ai->ai_addrlen);
	sh.addr_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	pthread_mutex_init(&sh.lock, NULL);
	if (threads == 0)
		threads = 1;
	if (threads > clients)
		threads = clients;
	loops = calloc(threads, sizeof(*loops));
	th = calloc(threads, sizeof(*th));
	t0 = now_s();
	for (unsigned t = 0; t < threads; t++) {
		loops[t].sh = &sh;
		loops[t].nconns = clients / threads +
			(t < clients % threads);
		loops[t].conns = calloc(loops[t].nconns,
			sizeof(*loops[t].conns));
		loops[t].ep = epoll_create1(EPOLL_CLOEXEC);
		pthread_create(&th[t], NULL, loop_main, &loops[t]);
	}
	for (unsigned t = 0; t < threads; t++) {
		pthread_join(th[t], NULL);
		close(loops[t].ep);
		free(loops[t].conns);
	}
	res->seconds = now_s() - t0;
	free(loops);
	free(th);
	pthread_mutex_destroy(&sh.lock);
	return 0;
}

void httpload_result_clear(struct httpload_result *res)
{
	free(res->latency);
	free(res->status);
	memset(res, 0, sizeof(*res));
}
