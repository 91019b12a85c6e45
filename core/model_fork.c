/* model_fork.c - a process per request, as socketserver's ForkingMixIn.
 * Each child is watched through a pidfd, so the worker reaps exactly its own
 * children and never one a module forked for itself.  At max_clients the
 * model stops accepting and new clients wait in the listen backlog. */
#include "model.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admit.h"
#include "log.h"
#include "loop.h"
#include "request.h"
#include "transport.h"
#include "worker.h"

/* How often children without a pidfd are looked at. */
#define FORK_POLL_MS 100

struct child {
	struct child *prev, *next; /* the forker's list */
	int pidfd;
	pid_t pid;
	char peer[ADDR_TEXT_MAX];
	struct sockaddr_storage addr; /* for per_source */
	int stream;                   /* a connection, not a datagram */
};

struct forker {
	struct loop loop;
	struct ms_service *svc;
	int active;    /* children serving */
	int unwatched; /* of them, without a pidfd */
	struct child *children;
};

/* The child: serve, never return.  The datagram's bytes are in scratch. */
static void
fork_child(struct forker *f, int fd, struct sockaddr_storage *peer,
    socklen_t plen, size_t len)
{
	struct ms_request r;

	worker_reset_signals();
	close(f->loop.epfd);
	close(f->svc->sigfd);
	if (f->loop.scratch) {
		request_serve_datagram(f->svc, f->loop.scratch, len,
		    (struct sockaddr *)peer, plen);
	} else {
		close(f->svc->listen_fd);
		request_init(&r, f->svc, fd, (struct sockaddr *)peer, plen);
		request_serve_stream(&r);
	}
	_exit(0);
}

static void
fork_spawn(struct forker *f, int fd, struct sockaddr_storage *peer,
    socklen_t plen, size_t len)
{
	struct child *c = malloc(sizeof(*c));
	struct epoll_event ev = {.events = EPOLLIN};

	if (c == NULL || (c->pid = fork()) < 0) {
		log_syserr(MS_LOG_WARN, service_name(f->svc),
		    "request refused: cannot fork");
		free(c);
		if (fd >= 0)
			admit_release(f->svc, (struct sockaddr *)peer);
		goto out;
	}
	if (c->pid == 0)
		fork_child(f, fd, peer, plen, len);
	addr_format((struct sockaddr *)peer, plen, c->peer, sizeof(c->peer));
	c->addr = *peer;
	c->stream = fd >= 0;
	ev.data.ptr = c;
	if ((c->pidfd = pidfd_open(c->pid, 0)) < 0 ||
	    epoll_ctl(f->loop.epfd, EPOLL_CTL_ADD, c->pidfd, &ev) < 0) {
		/* out of descriptors: look for its end now and then instead */
		if (c->pidfd >= 0)
			close(c->pidfd);
		c->pidfd = -1;
		f->unwatched++;
	}
	c->prev = NULL;
	if ((c->next = f->children) != NULL)
		c->next->prev = c;
	f->children = c;
	f->active++;
out:
	if (fd >= 0)
		close(fd);
}

/* Reaps c if it ended (or, with block, once it does): 1 when reaped. */
static int
fork_reap(struct forker *f, struct child *c, int block)
{
	int status;
	pid_t pid;

	do /* by its pid: never a process a module started */
		pid = waitpid(c->pid, &status, block ? 0 : WNOHANG);
	while (pid < 0 && errno == EINTR);
	if (pid == 0)
		return 0;
	if (pid < 0)
		log_syserr(MS_LOG_WARN, service_name(f->svc), "waitpid %d",
		    (int)c->pid);
	else {
		char what[ADDR_TEXT_MAX + 32];

		snprintf(what, sizeof(what), "%s: request process", c->peer);
		log_exit(service_name(f->svc), what, pid, status, 1);
	}
	if (c->stream)
		admit_release(f->svc, (struct sockaddr *)&c->addr);
	if (c->pidfd >= 0) {
		/* other children hold copies of the pidfd: only an explicit
		 * delete takes it out of the epoll set */
		epoll_ctl(f->loop.epfd, EPOLL_CTL_DEL, c->pidfd, NULL);
		close(c->pidfd);
	} else {
		f->unwatched--;
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		f->children = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
	f->active--;
	return 1;
}

/* Children without a pidfd: reaped by looking, every FORK_POLL_MS. */
static void
fork_reap_unwatched(struct forker *f)
{
	struct child *c = f->children, *next;

	for (; c && f->unwatched > 0; c = next) {
		next = c->next;
		if (c->pidfd < 0)
			fork_reap(f, c, 0);
	}
}

static void
fork_take(struct forker *f)
{
	struct ms_service *svc = f->svc;
	struct sockaddr_storage peer;
	socklen_t plen;
	ssize_t n;

	while (f->active < svc->conf->max_clients && !svc->stopping) {
		if (f->loop.scratch)
			n = request_recv_datagram(
			    svc, f->loop.scratch, &peer, &plen);
		else
			n = worker_accept(svc, &peer, &plen, 0);
		if (n < 0)
			return;
		fork_spawn(f, f->loop.scratch ? -1 : (int)n, &peer, plen,
		    f->loop.scratch ? (size_t)n : 0);
	}
}

/* 0 when every request ended, 1 when the shutdown deadline came first. */
static int
fork_loop(struct forker *f)
{
	struct epoll_event evs[64];
	struct loop *l = &f->loop;

	for (;;) {
		int timeout, n;

		if (f->svc->stopping && f->active == 0)
			return 0;
		if ((timeout = loop_prepare(l, f->active)) == -2)
			return 1;
		if (f->unwatched && (timeout < 0 || timeout > FORK_POLL_MS))
			timeout = FORK_POLL_MS;
		n = epoll_wait(l->epfd, evs, 64, timeout);
		fork_reap_unwatched(f);
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;

			if (LOOP_IS_LISTENER(l, p))
				fork_take(f);
			else if (LOOP_IS_SIGNAL(l, p))
				service_read_signals(f->svc);
			else
				fork_reap(f, p, 0);
		}
	}
}

static int
fork_run(struct ms_service *svc)
{
	struct forker f = {.svc = svc};

	if (loop_open(&f.loop, svc) < 0)
		return -1;
	if (fork_loop(&f) == 1)
		log_warn(service_name(svc),
		    "shutdown_timeout: %d request processes killed", f.active);
	while (f.children) {
		kill(f.children->pid, SIGKILL);
		fork_reap(&f, f.children, 1);
	}
	loop_close(&f.loop);
	return 0;
}

const struct model model_fork = {
    .name = "fork",
    .run = fork_run,
};
