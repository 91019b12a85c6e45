/* model_fork.c - a process per request, as socketserver's ForkingMixIn.
 *
 * What a fork costs grows with what the worker holds, so per child it holds
 * no descriptor (each would be copied into every new child and closed again
 * at its exit) and allocates nothing: a heap churned by the worker sends the
 * child's first malloc walking freed chunks, a copy-on-write fault on every
 * page it touches.  Children live in a table made at start, max_clients
 * long, kept dense.  Ended children are announced by SIGCHLD on a signalfd
 * and named by waitid(WNOWAIT), which does not reap: the worker reaps only
 * its own request processes, never one a module started in init.  At
 * max_clients the model stops accepting; new clients wait in the backlog. */
#include "model.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accesslog.h"
#include "accesslog_fork.h"
#include "accept.h"
#include "admit.h"
#include "hot.h"
#include "log.h"
#include "loop.h"
#include "reap.h"
#include "request.h"
#include "transport.h"
#include "worker.h"

#define FORK_TAKE_BATCH 8 /* requests taken per wakeup */

/* A request process.  Its per_source count is the worker's, held here
 * until the process is reaped: the process itself counts nothing. */
struct child {
	socklen_t plen;
	int counted;                  /* per_source counted it */
	struct sockaddr_storage addr; /* for per_source and the exit log */
	int record;                   /* its access-log record; -1: none */
	long long start_ms;           /* when it was forked */
};

struct forker {
	struct loop loop;
	struct ms_service *svc;
	int chldfd;             /* SIGCHLD */
	int active;             /* children serving: the first of the table */
	pid_t *pids;            /* max_clients of them, searched by pid */
	struct child *children; /* the same order */
	size_t table_size;      /* of both, mapped together */
	pid_t worker;           /* this process: the children's parent */
};

/* The child: serve, never return.  The datagram's bytes are in scratch,
 * and it came in on lfd.  The worker's epoll and signal descriptors stay
 * open, unused: they are close-on-exec, and closing them would cost three
 * system calls a request.  The listening sockets are closed, or a child
 * would keep a socket the master closed on reload accepting clients nobody
 * serves. */
MS_HOT static void
fork_child(struct forker *f, int lfd, int fd, struct sockaddr_storage *peer,
    socklen_t plen, size_t len, int record)
{
	/* a request ends with its worker, however the worker ended */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != f->worker)
		_exit(1);
	accesslog_records_child(record);
	worker_reset_signals(0);
	if (f->loop.scratch) {
		request_serve_datagram(f->svc, lfd, f->loop.scratch, len,
		    (struct sockaddr *)peer, plen);
	} else {
		struct ms_request r;
		/* the first buffers on the stack, not the heap: a malloc here
		 * would write the worker's heap and arena, a copy-on-write
		 * fault per page */
		char in[REQUEST_READ_SIZE], out[REQUEST_OUT_SIZE];

		for (int i = 0; i < f->svc->nlisten; i++)
			close(f->svc->listen_fd[i]);
		request_init(&r, f->svc, fd, (struct sockaddr *)peer, plen, 0);
		request_lend(&r, in, sizeof(in), out, sizeof(out));
		request_serve_stream(&r);
	}
	_exit(0);
}

/* Called with active < max_clients: there is a free entry.  fd is a
 * connection (per_source counted it or not), or -1 for a datagram. */
MS_HOT static void
fork_spawn(struct forker *f, int lfd, int fd, int counted,
    struct sockaddr_storage *peer, socklen_t plen, size_t len)
{
	struct child *c = &f->children[f->active];
	int record = accesslog_records_take();
	pid_t pid = fork();

	if (pid < 0) {
		accesslog_records_reaped(f->svc, record, 0, NULL, 0, 0);
		if (fd >= 0)
			accept_refuse(
			    f->svc, fd, peer, plen, counted, "cannot fork");
		else
			log_syserr(MS_LOG_WARN, service_name(f->svc),
			    "datagram dropped: cannot fork");
		return;
	}
	if (pid == 0)
		fork_child(f, lfd, fd, peer, plen, len, record);
	f->pids[f->active++] = pid;
	c->plen = plen;
	c->counted = counted;
	memcpy(&c->addr, peer, plen);
	c->record = record;
	c->start_ms = record >= 0 ? service_now_ms() : 0;
	if (fd >= 0)
		close(fd);
}

/* Reaps the i-th child if it ended (or, with block, once it does); the
 * last one takes its place.  1 when reaped. */
static int
fork_reap(struct forker *f, int i, int block)
{
	struct child *c = &f->children[i];
	int status;
	pid_t pid;

	pid = reap_child(service_name(f->svc), f->pids[i], &status, block);
	if (pid == 0)
		return 0;
	if (pid > 0 && status != 0) {
		char peer[ADDR_TEXT_MAX], what[ADDR_TEXT_MAX + 32];

		addr_format_for_log(
		    (struct sockaddr *)&c->addr, c->plen, peer, sizeof(peer));
		snprintf(what, sizeof(what), "%s: request process", peer);
		log_exit(service_name(f->svc), what, pid, status, 1);
	}
	accesslog_records_reaped(f->svc, c->record, pid > 0 ? pid : 0,
	    (struct sockaddr *)&c->addr, c->plen, c->start_ms);
	if (c->counted)
		admit_release(f->svc, (struct sockaddr *)&c->addr);
	f->active--;
	if (i != f->active) {
		f->pids[i] = f->pids[f->active];
		f->children[i] = f->children[f->active];
	}
	return 1;
}

static int
fork_find(const struct forker *f, pid_t pid)
{
	for (int i = 0; i < f->active; i++)
		if (f->pids[i] == pid)
			return i;
	return -1;
}

/* After SIGCHLD: reaps every request process that ended.  A module's own
 * ended child (started in init) is left to the module; while it waits
 * unreaped, ours are looked at one by one. */
static void
fork_reap_ended(struct forker *f)
{
	struct signalfd_siginfo si;

	/* SIGCHLD does not queue: one read takes it, however many ended */
	if (read(f->chldfd, &si, sizeof(si)) < 0 && errno != EAGAIN)
		log_syserr(MS_LOG_WARN, service_name(f->svc), "signalfd");
	for (;;) {
		siginfo_t info = {0};
		int i;

		if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 ||
		    info.si_pid == 0)
			return;
		if ((i = fork_find(f, info.si_pid)) < 0)
			break;
		fork_reap(f, i, 0);
	}
	for (int i = f->active - 1; i >= 0; i--)
		fork_reap(f, i, 0);
}

/* Takes a few requests, then lets the loop reap: clients that reconnect as
 * fast as they are served would otherwise keep the backlog full, and ended
 * children would pile up as zombies until max_clients. */
MS_HOT static void
fork_take(struct forker *f, int lfd)
{
	struct ms_service *svc = f->svc;
	struct sockaddr_storage peer;
	socklen_t plen;
	ssize_t n;
	int counted = 0;

	for (int i = 0; i < FORK_TAKE_BATCH &&
	                f->active < svc->conf->max_clients && !svc->stopping;
	     i++) {
		if (f->loop.scratch)
			n = request_recv_datagram(
			    svc, lfd, f->loop.scratch, &peer, &plen);
		else
			n = accept_connection(
			    svc, lfd, &peer, &plen, 0, &counted);
		if (n < 0)
			return;
		fork_spawn(f, lfd, f->loop.scratch ? -1 : (int)n, counted,
		    &peer, plen, f->loop.scratch ? (size_t)n : 0);
	}
}

/* 0 when every request ended, 1 when the shutdown deadline came first. */
MS_HOT static int
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
		n = epoll_wait(l->epfd, evs, 64, timeout);
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;

			if (LOOP_IS_LISTENER(l, p))
				fork_take(f, LOOP_LISTENER_FD(p));
			else if (LOOP_IS_SIGNAL(l, p))
				service_read_signals(f->svc);
			else
				fork_reap_ended(f);
		}
	}
}

/* The child table is not copied into children (MADV_DONTFORK): they have no
 * use for it, and the worker's writes to it cost no copy-on-write fault. */
static int
fork_table(struct forker *f, size_t n)
{
	size_t pids = (n * sizeof(pid_t) + _Alignof(struct child) - 1) &
	              ~(_Alignof(struct child) - 1);
	void *p;

	f->table_size = pids + n * sizeof(struct child);
	p = mmap(NULL, f->table_size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	f->pids = p;
	f->children = (struct child *)((char *)p + pids);
	if (madvise(p, f->table_size, MADV_DONTFORK) < 0) {
		munmap(p, f->table_size);
		f->pids = NULL;
		return -1;
	}
	return 0;
}

static void
fork_close(struct forker *f)
{
	if (f->chldfd >= 0)
		close(f->chldfd);
	if (f->pids)
		munmap(f->pids, f->table_size);
	accesslog_records_close();
	loop_close(&f->loop);
}

/* The child table, and SIGCHLD blocked and read from a signalfd in the
 * loop's epoll set.  0, or -1 logged. */
static int
fork_open(struct forker *f, struct ms_service *svc)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &f->chldfd};
	size_t n = (size_t)svc->conf->max_clients;
	sigset_t chld;

	*f = (struct forker){.svc = svc, .chldfd = -1, .worker = getpid()};
	if (loop_open(&f->loop, svc) < 0)
		return -1;
	if (fork_table(f, n) < 0 || accesslog_records_open(svc, n) < 0) {
		log_syserr(MS_LOG_ERROR, service_name(svc),
		    "no memory for %zu children", n);
		fork_close(f);
		return -1;
	}
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	f->chldfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
	if (f->chldfd < 0 ||
	    epoll_ctl(f->loop.epfd, EPOLL_CTL_ADD, f->chldfd, &ev) < 0) {
		log_syserr(MS_LOG_ERROR, service_name(svc), "signalfd");
		fork_close(f);
		return -1;
	}
	return 0;
}

static int
fork_run(struct ms_service *svc)
{
	struct forker f;

	if (fork_open(&f, svc) < 0)
		return -1;
	if (fork_loop(&f) == 1)
		log_warn(service_name(svc),
		    "shutdown_timeout: %d request processes killed", f.active);
	while (f.active > 0) {
		kill(f.pids[f.active - 1], SIGKILL);
		fork_reap(&f, f.active - 1, 1);
	}
	fork_close(&f);
	return 0;
}

const struct model model_fork = {
    .name = "fork",
    .features = MODEL_F_PROCESS_PER_REQUEST,
    .run = fork_run,
};
