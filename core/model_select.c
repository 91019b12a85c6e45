/* model_select.c - one event loop (epoll) for every request of the service:
 * non-blocking sockets, per-request buffers, and backpressure: a peer whose
 * replies are not draining is not read from until they do. */
#include "model.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "request.h"
#include "transport.h"
#include "worker.h"

/* Stop reading from a peer once this much output waits for it. */
#define SELECT_OUTPUT_HIGH (64 * 1024)
#define SELECT_EVENTS 256

struct conn {
	struct ms_request req;
	struct conn *prev, *next;
	uint32_t events; /* what epoll watches for it */
};

struct selector {
	struct loop loop;
	struct ms_service *svc;
	int active; /* connections open */
	struct conn *conns;
};

static void
select_close(struct selector *l, struct conn *c)
{
	epoll_ctl(l->loop.epfd, EPOLL_CTL_DEL, c->req.fd, NULL);
	request_finish(&c->req);
	if (c->prev)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
	l->active--;
}

/* Watches c for what it needs next; closes it when it needs nothing. */
static void
select_rearm(struct selector *l, struct conn *c)
{
	struct ms_request *r = &c->req;
	uint32_t want = 0;
	struct epoll_event ev;

	if (!r->done && r->out.bytes < SELECT_OUTPUT_HIGH)
		want |= EPOLLIN;
	if (output_pending(&r->out))
		want |= EPOLLOUT;
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
	        r->fd, &ev) < 0) {
		log_syserr(MS_LOG_WARN, service_name(l->svc), "%s: epoll_ctl",
		    ms_peer(r));
		select_close(l, c);
		return;
	}
	c->events = want;
}

static void
select_conn_event(struct selector *l, struct conn *c, uint32_t events)
{
	struct ms_request *r = &c->req;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR) && c->events & EPOLLIN) {
		if (request_read(r) < 0) {
			if (errno != EAGAIN) {
				log_debug(service_name(l->svc),
				    "%s: receiving: %m", ms_peer(r));
				select_close(l, c);
				return;
			}
		} else {
			request_handle(r);
		}
	}
	if (output_pending(&r->out) && request_flush(r) < 0) {
		select_close(l, c);
		return;
	}
	select_rearm(l, c);
}

static void
select_accept(struct selector *l)
{
	struct ms_service *svc = l->svc;
	struct sockaddr_storage peer;
	socklen_t plen;
	struct conn *c;
	int fd;

	while (l->active < svc->conf->max_clients &&
	       (fd = worker_accept(svc, &peer, &plen, SOCK_NONBLOCK)) >= 0) {
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			log_warn(
			    service_name(svc), "request refused: no memory");
			close(fd);
			return;
		}
		request_init(&c->req, svc, fd, (struct sockaddr *)&peer, plen);
		if (request_setup(&c->req) < 0) {
			free(c);
			continue;
		}
		if ((c->next = l->conns) != NULL)
			c->next->prev = c;
		l->conns = c;
		l->active++;
		select_conn_event(l, c, 0);
	}
}

static void
select_datagrams(struct selector *l)
{
	struct sockaddr_storage peer;
	socklen_t plen;
	ssize_t n;

	/* a bounded batch, so signals are still looked at under a flood */
	for (int i = 0; i < 64 && !l->svc->stopping; i++) {
		if ((n = request_recv_datagram(
		         l->svc, l->loop.scratch, &peer, &plen)) < 0)
			return;
		request_serve_datagram(l->svc, l->loop.scratch, (size_t)n,
		    (struct sockaddr *)&peer, plen);
	}
}

static void
select_loop(struct selector *l)
{
	struct epoll_event evs[SELECT_EVENTS];
	struct ms_service *svc = l->svc;

	for (;;) {
		int timeout, n;

		if (svc->stopping && l->active == 0)
			return;
		if ((timeout = loop_prepare(&l->loop, l->active)) == -2) {
			log_warn(service_name(svc),
			    "shutdown_timeout: %d requests cut off", l->active);
			return;
		}
		n = epoll_wait(l->loop.epfd, evs, SELECT_EVENTS, timeout);
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;

			if (LOOP_IS_SIGNAL(&l->loop, p))
				service_read_signals(svc);
			else if (LOOP_IS_LISTENER(&l->loop, p) &&
			         l->loop.scratch)
				select_datagrams(l);
			else if (LOOP_IS_LISTENER(&l->loop, p))
				select_accept(l);
			else
				select_conn_event(l, p, evs[i].events);
		}
	}
}

static int
select_run(struct ms_service *svc)
{
	struct selector l = {.svc = svc};

	if (loop_open(&l.loop, svc) < 0)
		return -1;
	select_loop(&l);
	while (l.conns)
		select_close(&l, l.conns);
	loop_close(&l.loop);
	return 0;
}

const struct model model_select = {
    .name = "select",
    .run = select_run,
};
