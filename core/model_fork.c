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

#include "log.h"
#include "request.h"
#include "transport.h"
#include "worker.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct child {
	struct child *prev, *next; /* the forker's list */
	int pidfd;
	pid_t pid;
	char peer[ADDR_TEXT_MAX];
};

struct forker {
	struct ms_service *svc;
	int epfd;
	int active;
	int listening; /* the listener is in epfd */
	struct child *children;
	char *scratch; /* datagram transports */
};

/* The child: serve, never return.  The datagram's bytes are in scratch. */
static void
fork_child(struct forker *f, int fd, struct sockaddr_storage *peer,
    socklen_t plen, size_t len)
{
	struct ms_request r;

	worker_reset_signals();
	close(f->epfd);
	close(f->svc->sigfd);
	if (f->scratch) {
		request_serve_datagram(
		    f->svc, f->scratch, len, (struct sockaddr *)peer, plen);
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
		goto out;
	}
	if (c->pid == 0)
		fork_child(f, fd, peer, plen, len);
	addr_format((struct sockaddr *)peer, plen, c->peer, sizeof(c->peer));
	ev.data.ptr = c;
	if ((c->pidfd = pidfd_open(c->pid, 0)) < 0 ||
	    epoll_ctl(f->epfd, EPOLL_CTL_ADD, c->pidfd, &ev) < 0) {
		/* cannot watch it: wait for it now rather than leak it */
		log_syserr(MS_LOG_WARN, service_name(f->svc), "pidfd");
		waitpid(c->pid, NULL, 0);
		if (c->pidfd >= 0)
			close(c->pidfd);
		free(c);
		goto out;
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

static void
fork_reap(struct forker *f, struct child *c)
{
	siginfo_t si = {0};

	if (waitid((idtype_t)P_PIDFD, (id_t)c->pidfd, &si, WEXITED) < 0)
		log_syserr(MS_LOG_WARN, service_name(f->svc), "waitid %d",
		    (int)c->pid);
	else if (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED)
		log_warn(service_name(f->svc),
		    "%s: request process %d killed by signal %d (%s)", c->peer,
		    (int)c->pid, si.si_status, strsignal(si.si_status));
	else if (si.si_status != 0)
		log_warn(service_name(f->svc),
		    "%s: request process %d exited with status %d", c->peer,
		    (int)c->pid, si.si_status);
	/* other children hold copies of the pidfd: only an explicit delete
	 * takes it out of the epoll set */
	epoll_ctl(f->epfd, EPOLL_CTL_DEL, c->pidfd, NULL);
	close(c->pidfd);
	if (c->prev)
		c->prev->next = c->next;
	else
		f->children = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
	f->active--;
}

static void
fork_take(struct forker *f)
{
	struct ms_service *svc = f->svc;
	struct sockaddr_storage peer;
	socklen_t plen;
	ssize_t n;

	while (f->active < svc->conf->max_clients && !svc->stopping) {
		if (f->scratch)
			n = request_recv_datagram(
			    svc, f->scratch, &peer, &plen);
		else
			n = worker_accept(svc, &peer, &plen, 0);
		if (n < 0)
			return;
		fork_spawn(f, f->scratch ? -1 : (int)n, &peer, plen,
		    f->scratch ? (size_t)n : 0);
	}
}

/* The listener is watched only while there is room and accepting is not
 * paused. */
static void
fork_listen(struct forker *f, int want)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = f};

	if (want == f->listening)
		return;
	epoll_ctl(f->epfd, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
	    f->svc->listen_fd, &ev);
	f->listening = want;
}

static int
fork_loop(struct forker *f, long long deadline)
{
	struct epoll_event evs[64];
	struct ms_service *svc = f->svc;

	for (;;) {
		int pause = worker_accept_paused(svc), timeout = -1, n;

		if (svc->stopping && f->active == 0)
			return 0;
		fork_listen(f, !svc->stopping && pause == 0 &&
		                   f->active < svc->conf->max_clients);
		if (pause > 0)
			timeout = pause;
		if (svc->stopping) {
			if (deadline < 0)
				deadline = service_drain_deadline(svc);
			if ((timeout = (int)(deadline - service_now_ms())) <= 0)
				return 1;
		}
		n = epoll_wait(f->epfd, evs, 64, timeout);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == f)
				fork_take(f);
			else if (evs[i].data.ptr == svc)
				service_read_signals(svc);
			else
				fork_reap(f, evs[i].data.ptr);
		}
	}
}

static int
fork_run(struct ms_service *svc)
{
	struct forker f = {.svc = svc};
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = svc};
	int rc;

	if (svc->conf->transport->socktype == SOCK_DGRAM &&
	    (f.scratch = malloc(REQUEST_DGRAM_MAX)) == NULL) {
		log_error(service_name(svc), "no memory for a receive buffer");
		return -1;
	}
	if ((f.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    epoll_ctl(f.epfd, EPOLL_CTL_ADD, svc->sigfd, &ev) < 0) {
		log_syserr(MS_LOG_ERROR, service_name(svc), "epoll");
		free(f.scratch);
		return -1;
	}
	rc = fork_loop(&f, -1);
	if (rc == 1)
		log_warn(service_name(svc),
		    "shutdown_timeout: %d request processes killed", f.active);
	while (f.children) {
		kill(f.children->pid, SIGKILL);
		fork_reap(&f, f.children);
	}
	free(f.scratch);
	return 0;
}

const struct model model_fork = {
    .name = "fork",
    .run = fork_run,
};
