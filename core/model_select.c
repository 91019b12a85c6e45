/* model_select.c - one event loop (epoll) for every request of the service:
 * non-blocking sockets, per-request buffers, and backpressure: a peer whose
 * replies are not draining is not read from until they do.  A module that
 * says it blocks (MS_F_BLOCKING) has its handle run on a small thread pool;
 * its connection leaves the epoll set until handle returns. */
#include "model.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "accept.h"
#include "accesslog.h"
#include "contain.h"
#include "log.h"
#include "loop.h"
#include "pool.h"
#include "refusals.h"
#include "request.h"
#include "request_exec.h"
#include "transport.h"
#include "worker.h"

/* Stop reading from a peer once this much output waits for it. */
#define SELECT_OUTPUT_HIGH (64 * 1024)
#define SELECT_EVENTS 256

struct select_conn {
	struct ms_request req;
	struct select_conn *prev, *next; /* its list, least recent first */
	long long last;      /* ms of its last event (a program's: look) */
	uint32_t events;     /* what epoll watches for it */
	int busy;            /* handle runs on the pool */
	int pidfd;           /* ms_exec's program runs: watched instead */
	struct pool_job job; /* that run */
};

/* A datagram for a blocking module, served on the pool. */
struct dgram_job {
	struct pool_job job;
	struct ms_service *svc;
	int lfd; /* the listener it came in on: the reply leaves by it */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	size_t len;
	char bytes[];
};

/* Connections, the least recently touched first. */
struct conn_list {
	struct select_conn *oldest, *newest;
};

struct selector {
	struct loop loop;
	struct ms_service *svc;
	int active; /* connections open, and datagrams on the pool */
	int busy;   /* of them, on the pool */
	struct conn_list starting; /* PROXY header or TLS handshake to come,
	                              by when they came */
	struct conn_list conns;    /* the module's, by last activity */
	struct conn_list programs; /* handed to a program, by last look */
	struct pool *pool;         /* for blocking modules, else NULL */
	long long now;             /* ms, read once per wakeup */
	long long idle_ms;         /* idle_timeout; 0: none */
	long long handshake_ms;    /* handshake_timeout; 0: no handshake */
	long long look_ms;         /* how often a program's is looked at */
};

/* Marks the pool's eventfd in the epoll set. */
#define POOL_TAG(l) ((void *)&(l)->pool)

#define container_of(p, type, member)                                          \
	((type *)((char *)(p)-offsetof(type, member)))

static void
select_unlink(struct conn_list *list, struct select_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		list->oldest = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		list->newest = c->prev;
	c->prev = c->next = NULL;
}

/* Puts c last in list (taking it out of it first if it is in): the most
 * recently active. */
static void
select_touch(struct selector *l, struct conn_list *list, struct select_conn *c)
{
	c->last = l->now;
	if (list->newest == c)
		return;
	if (c->prev || list->oldest == c)
		select_unlink(list, c);
	c->prev = list->newest;
	if (list->newest)
		list->newest->next = c;
	else
		list->oldest = c;
	list->newest = c;
}

/* Whether r's handshake is to come: then it is in l->starting, bounded
 * by handshake_timeout from when it came, however it trickles. */
static int
select_starting(const struct ms_request *r)
{
	return r->await_handshake;
}

/* The list c is in: a program's connection is in programs, one whose
 * handshake is to come in starting. */
static struct conn_list *
select_list(struct selector *l, const struct select_conn *c)
{
	return c->pidfd >= 0              ? &l->programs
	       : select_starting(&c->req) ? &l->starting
	                                  : &l->conns;
}

static void
select_close(struct selector *l, struct select_conn *c)
{
	if (c->pidfd >= 0) {
		epoll_ctl(l->loop.epfd, EPOLL_CTL_DEL, c->pidfd, NULL);
		close(c->pidfd);
		/* cut off at shutdown: the program goes too, even one that
		 * ignores SIGTERM, and all it started */
		if (c->req.child) {
			contain_stop(c->req.child);
			if (!contain_ended_within(
			        c->req.child, CONTAIN_STUCK_MS))
				contain_kill(c->req.child);
			request_exec_reap(&c->req, 1);
		}
	} else {
		epoll_ctl(
		    l->loop.epfd, EPOLL_CTL_DEL, conn_fd(&c->req.conn), NULL);
	}
	request_finish(&c->req);
	select_unlink(select_list(l, c), c);
	free(c);
	l->active--;
}

/* Whether r takes more input now: backpressure stops it while its
 * replies are not draining. */
static int
select_reading(const struct ms_request *r)
{
	return !r->done && r->out.bytes < SELECT_OUTPUT_HIGH;
}

/* The epoll events c's connection is watched for: its own direction for
 * each operation, and what a pending one needs beyond it (TLS reads to
 * write and writes to read). */
static uint32_t
select_wanted(const struct select_conn *c)
{
	const struct ms_request *r = &c->req;
	uint32_t want = 0;
	int more;

	if (r->await_proxy || r->await_handshake)
		return conn_wants(&r->conn) & CONN_WANT_WRITE ? EPOLLOUT
		                                              : EPOLLIN;
	if (select_reading(r))
		want |= EPOLLIN;
	if (output_pending(&r->out))
		want |= EPOLLOUT;
	if (want != 0 && (more = conn_wants(&r->conn)) != 0)
		want |= (more & CONN_WANT_READ ? EPOLLIN : 0) |
		        (more & CONN_WANT_WRITE ? EPOLLOUT : 0);
	return want;
}

/* Watches c for what it needs next; closes it when it needs nothing. */
static void
select_rearm(struct selector *l, struct select_conn *c)
{
	struct ms_request *r = &c->req;
	uint32_t want = select_wanted(c);
	struct epoll_event ev;

	if (want == 0) {
		select_close(l, c);
		return;
	}
	/* an idle connection keeps no buffers */
	if (buffer_len(&r->in) == 0)
		buffer_free(&r->in);
	if (!output_pending(&r->out))
		output_free(&r->out);
	if (want == c->events)
		return;
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(l->loop.epfd, c->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
	        conn_fd(&r->conn), &ev) < 0) {
		log_syserr(MS_LOG_WARN, service_name(l->svc), "%s: epoll_ctl",
		    ms_peer(r));
		select_close(l, c);
		return;
	}
	c->events = want;
}

static void
select_conn_job(struct pool_job *job)
{
	request_handle(&container_of(job, struct select_conn, job)->req);
}

/* Hands c's handle to the pool; c leaves the epoll set meanwhile (a hang-up
 * would otherwise be reported again and again). */
static void
select_offload(struct selector *l, struct select_conn *c)
{
	epoll_ctl(l->loop.epfd, EPOLL_CTL_DEL, conn_fd(&c->req.conn), NULL);
	c->events = 0;
	c->busy = 1;
	l->busy++;
	c->job.run = select_conn_job;
	pool_submit(l->pool, &c->job);
}

/* The connection went to a program (ms_exec): watch the program instead,
 * counted as active until it ends, and look at its connection for
 * idle_timeout (select_look_programs). */
static void
select_watch_child(struct selector *l, struct select_conn *c)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
	int pidfd = pidfd_open(c->req.child, 0);

	if (pidfd < 0 ||
	    epoll_ctl(l->loop.epfd, EPOLL_CTL_ADD, pidfd, &ev) < 0) {
		log_syserr(MS_LOG_WARN, service_name(l->svc), "pidfd");
		if (pidfd >= 0)
			close(pidfd);
		request_exec_reap(&c->req, 1); /* cannot watch: wait now */
		select_close(l, c);
		return;
	}
	select_unlink(&l->conns, c);
	c->pidfd = pidfd;
	select_touch(l, &l->programs, c);
}

static void select_conn_event(
    struct selector *l, struct select_conn *c, uint32_t events);
static void select_watch_child(struct selector *l, struct select_conn *c);

/* The PROXY header and the handshake go on as the socket lets them:
 * once both are done the request is set up, and reads on as any other. */
static void
select_start(struct selector *l, struct select_conn *c)
{
	struct ms_request *r = &c->req;
	int was_starting = select_starting(r);
	int rc = request_take_proxy(r);

	if (rc > 0)
		rc = request_handshake(r);
	if (rc == 0) {
		select_rearm(l, c);
		return;
	}
	if (rc > 0 && was_starting) { /* its handshake is done */
		select_unlink(&l->starting, c);
		select_touch(l, &l->conns, c);
	}
	if (rc < 0 || request_setup(r) < 0) {
		select_close(l, c);
		return;
	}
	if (r->child) {
		epoll_ctl(l->loop.epfd, EPOLL_CTL_DEL, conn_fd(&r->conn), NULL);
		c->events = 0;
		select_watch_child(l, c);
		return;
	}
	select_conn_event(l, c, 0);
}

/* Input waits inside r's connection, where no event announces it, and r
 * takes input now. */
static int
select_buffered(const struct ms_request *r)
{
	return conn_pending(&r->conn) > 0 && select_reading(r);
}

/* Whether c reads now: input waits inside the connection, or the socket
 * is ready for what it was watched for while reading (its hang-up and
 * errors too). */
static int
select_may_read(const struct select_conn *c, uint32_t events)
{
	const struct ms_request *r = &c->req;

	if (conn_pending(&r->conn) > 0)
		return select_reading(r);
	if (!(c->events & EPOLLIN))
		return 0;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		return 1;
	return events & EPOLLOUT && conn_wants(&r->conn) & CONN_WANT_WRITE;
}

static void
select_conn_event(struct selector *l, struct select_conn *c, uint32_t events)
{
	struct ms_request *r = &c->req;
	int starved = 0;

	if (c->pidfd >= 0) { /* the program ended */
		if (request_exec_reap(r, 0))
			select_close(l, c);
		return;
	}
	if (r->await_proxy || r->await_handshake) {
		if (!select_starting(r)) /* a PROXY header: idle_timeout */
			select_touch(l, &l->conns, c);
		select_start(l, c);
		return;
	}
	select_touch(l, &l->conns, c);

	do {
		while (select_may_read(c, events)) {
			if (request_read(r) < 0) {
				if (errno != EAGAIN) {
					log_syserr(MS_LOG_DEBUG,
					    service_name(l->svc),
					    "%s: receiving", ms_peer(r));
					select_close(l, c);
					return;
				}
				/* what the connection holds is not yet
				 * readable (part of a record, or a read that
				 * must write first): the socket says when */
				starved = 1;
				break;
			}
			if (l->pool) {
				select_offload(l, c);
				return;
			}
			request_handle(r);
			events = 0; /* the socket's readiness is used up */
		}
		if (output_pending(&r->out) && request_flush(r) < 0) {
			select_close(l, c);
			return;
		}
	} while (!starved && select_buffered(r)); /* what the flush let it
	                                             take */
	select_rearm(l, c);
}

static void
select_accept(struct selector *l, int lfd)
{
	struct ms_service *svc = l->svc;
	struct sockaddr_storage peer;
	socklen_t plen;
	struct select_conn *c;
	int fd, counted;

	while (l->active < svc->conf->max_clients &&
	       (fd = accept_connection(
	            svc, lfd, &peer, &plen, SOCK_NONBLOCK, &counted)) >= 0) {
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			accept_refuse(
			    svc, fd, &peer, plen, counted, "no memory");
			return;
		}
		request_init(
		    &c->req, svc, fd, (struct sockaddr *)&peer, plen, counted);
		c->pidfd = -1;
		if (!c->req.await_proxy && !c->req.await_handshake &&
		    request_setup(&c->req) < 0) {
			free(c);
			continue;
		}
		select_touch(l, select_list(l, c), c);
		l->active++;
		if (c->req.child)
			select_watch_child(l, c);
		else
			select_conn_event(l, c, 0);
	}
}

static void
select_dgram_job(struct pool_job *job)
{
	struct dgram_job *d = container_of(job, struct dgram_job, job);

	request_serve_datagram(d->svc, d->lfd, d->bytes, d->len,
	    (struct sockaddr *)&d->peer, d->peerlen);
}

/* A datagram for a blocking module: copied, then served on the pool. */
static void
select_dgram_offload(struct selector *l, int lfd, size_t n,
    const struct sockaddr_storage *peer, socklen_t plen)
{
	struct dgram_job *d = malloc(sizeof(*d) + n);

	if (d == NULL) {
		log_warn(service_name(l->svc), "datagram dropped: no memory");
		return;
	}
	d->svc = l->svc;
	d->lfd = lfd;
	d->peer = *peer;
	d->peerlen = plen;
	d->len = n;
	memcpy(d->bytes, l->loop.scratch, n);
	d->job.run = select_dgram_job;
	l->active++;
	l->busy++;
	pool_submit(l->pool, &d->job);
}

/* Takes back what the pool finished: connections are flushed and watched
 * again, datagram jobs freed. */
static void
select_pool_done(struct selector *l)
{
	struct pool_job *job = pool_take_done(l->pool), *next;

	for (; job; job = next) {
		next = job->next;
		l->busy--;
		if (job->run == select_dgram_job) {
			free(container_of(job, struct dgram_job, job));
			l->active--;
			continue;
		}
		struct select_conn *c =
		    container_of(job, struct select_conn, job);

		c->busy = 0;
		select_conn_event(l, c, 0);
	}
}

static void
select_datagrams(struct selector *l, int lfd)
{
	struct sockaddr_storage peer;
	socklen_t plen;
	ssize_t n;

	/* a bounded batch, so signals are still looked at under a flood */
	for (int i = 0; i < 64 && !l->svc->stopping &&
	                l->active < l->svc->conf->max_clients;
	     i++) {
		if ((n = request_recv_datagram(
		         l->svc, lfd, l->loop.scratch, &peer, &plen)) < 0)
			return;
		if (l->pool)
			select_dgram_offload(l, lfd, (size_t)n, &peer, plen);
		else
			request_serve_datagram(l->svc, lfd, l->loop.scratch,
			    (size_t)n, (struct sockaddr *)&peer, plen);
	}
}

/* Looks at each connection handed to a program once every look_ms (an
 * idle one's program is ended; request_exec_look); returns timeout,
 * shortened to the next look. */
static int
select_look_programs(struct selector *l, int timeout)
{
	struct select_conn *c;
	long long left;

	for (int n = l->active; n > 0 && (c = l->programs.oldest); n--) {
		if (c->last + l->look_ms > l->now)
			break;
		request_exec_look(&c->req, l->now);
		select_touch(l, &l->programs, c);
	}
	if ((c = l->programs.oldest) != NULL) {
		left = c->last + l->look_ms - l->now;
		if (left < 0)
			left = 0;
		if (timeout < 0 || left < timeout)
			timeout = (int)left;
	}
	return timeout;
}

/* Closes connections whose handshake did not end in handshake_timeout;
 * returns timeout, shortened to when the next one's does. */
static int
select_handshake_sweep(struct selector *l, int timeout)
{
	struct select_conn *c;
	long long left;

	while ((c = l->starting.oldest) != NULL) {
		if ((left = c->last + l->handshake_ms - l->now) > 0) {
			if (timeout < 0 || left < timeout)
				timeout = (int)left;
			break;
		}
		request_handshake_late(&c->req);
		select_close(l, c);
	}
	return timeout;
}

/* Closes connections idle for idle_timeout (those waiting on the pool are
 * not idle; those of programs are looked at apart); returns timeout,
 * shortened to when the next one would be. */
static int
select_idle_sweep(struct selector *l, int timeout)
{
	long long left;

	timeout = select_handshake_sweep(l, timeout);
	if (l->idle_ms == 0)
		return timeout;
	for (int n = l->active; n > 0 && l->conns.oldest; n--) {
		struct select_conn *c = l->conns.oldest;

		if ((left = c->last + l->idle_ms - l->now) > 0) {
			if (timeout < 0 || left < timeout)
				timeout = (int)left;
			break;
		}
		if (c->busy) {
			select_touch(l, &l->conns, c);
			continue;
		}
		log_info(service_name(l->svc), "%s: idle for %g s: closed",
		    ms_peer(&c->req), l->svc->conf->idle_timeout);
		request_ended(&c->req, ACCESSLOG_END_IDLE);
		select_close(l, c);
	}
	return select_look_programs(l, timeout);
}

/* At the shutdown deadline: the requests still open end with "stop" (and
 * their finish), but those whose handle runs on the pool, which are left
 * to the exit.  Every program is told to stop first, so that their
 * keepers' graces run side by side. */
static void
select_cut_off(struct selector *l)
{
	for (struct select_conn *c = l->programs.oldest; c; c = c->next)
		if (c->req.child > 0)
			contain_stop(c->req.child);
	while (l->programs.oldest) {
		request_ended(&l->programs.oldest->req, ACCESSLOG_END_STOP);
		select_close(l, l->programs.oldest);
	}
	for (int n = l->active; n > 0 && l->conns.oldest; n--) {
		struct select_conn *c = l->conns.oldest;

		if (c->busy) {
			select_touch(l, &l->conns, c);
			continue;
		}
		request_ended(&c->req, ACCESSLOG_END_STOP);
		select_close(l, c);
	}
	while (l->starting.oldest)
		select_close(l, l->starting.oldest);
}

/* 0 when every request ended, 1 when the shutdown deadline came first. */
static int
select_loop(struct selector *l)
{
	struct epoll_event evs[SELECT_EVENTS];
	struct ms_service *svc = l->svc;

	for (;;) {
		int timeout, n;

		if (svc->stopping && l->active == 0)
			return 0;
		if ((timeout = loop_prepare(&l->loop, l->active)) == -2) {
			log_warn(service_name(svc),
			    "shutdown_timeout: %d requests cut off", l->active);
			select_cut_off(l);
			return 1;
		}
		/* the sweep's handshake timeouts are refusals: their
		 * summary is due after the one loop_prepare counted with */
		timeout = accesslog_flush_timeout(
		    refusals_timeout(svc, select_idle_sweep(l, timeout)));
		n = epoll_wait(l->loop.epfd, evs, SELECT_EVENTS, timeout);
		l->now = service_now_ms();
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;

			if (LOOP_IS_SIGNAL(&l->loop, p))
				service_read_signals(svc);
			else if (p == POOL_TAG(l))
				select_pool_done(l);
			else if (LOOP_IS_LISTENER(&l->loop, p) &&
			         l->loop.scratch)
				select_datagrams(l, LOOP_LISTENER_FD(p));
			else if (LOOP_IS_LISTENER(&l->loop, p))
				select_accept(l, LOOP_LISTENER_FD(p));
			else
				select_conn_event(l, p, evs[i].events);
		}
	}
}

static int
select_pool_open(struct selector *l)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = POOL_TAG(l)};

	if (!(l->svc->module.mod->flags & MS_F_BLOCKING))
		return 0;
	if ((l->pool = pool_start(l->svc->conf->blocking_threads)) == NULL ||
	    epoll_ctl(l->loop.epfd, EPOLL_CTL_ADD, pool_fd(l->pool), &ev) < 0) {
		log_syserr(MS_LOG_ERROR, service_name(l->svc),
		    "starting %d threads for a blocking module",
		    l->svc->conf->blocking_threads);
		return -1;
	}
	log_debug(service_name(l->svc),
	    "handle runs on %d threads: the module blocks",
	    l->svc->conf->blocking_threads);
	return 0;
}

static int
select_run(struct ms_service *svc)
{
	struct selector l = {.svc = svc,
	    .idle_ms = (long long)(svc->conf->idle_timeout * 1000),
	    .handshake_ms = request_handshake_ms(svc),
	    .look_ms = request_exec_look_ms(svc),
	    .now = service_now_ms()};
	int rc;

	if (loop_open(&l.loop, svc) < 0)
		return -1;
	if (select_pool_open(&l) < 0) {
		loop_close(&l.loop);
		return -1;
	}
	accesslog_batch(1);
	rc = select_loop(&l);
	accesslog_batch(0);
	if (rc == 1 && l.busy > 0)
		return 1; /* pool threads still hold requests: just exit */
	while (l.conns.oldest)
		select_close(&l, l.conns.oldest);
	while (l.starting.oldest)
		select_close(&l, l.starting.oldest);
	while (l.programs.oldest)
		select_close(&l, l.programs.oldest);
	if (l.pool)
		pool_stop(l.pool);
	loop_close(&l.loop);
	return 0;
}

const struct model model_select = {
    .name = "select",
    .features = MODEL_F_HANDLE_ON_LOOP,
    .run = select_run,
};
