/* master.c - bind, fork workers, supervise them, stop them. */
#include "master.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"
#include "model.h"
#include "transport.h"
#include "worker.h"

/* Restart delays: a worker that lived this long is restarted at once; one
 * that died sooner waits RESTART_MIN_MS, doubled each time, up to the max. */
#define RESTART_STABLE_MS 10000
#define RESTART_MIN_MS 100
#define RESTART_MAX_MS 10000

struct slot {
	struct ms_service *svc;
	pid_t pid;         /* 0: not running */
	long long started; /* ms */
	long long restart; /* ms when to start again; 0: none due */
	int failures;      /* quick deaths in a row */
};

/* A unix socket file's mode and owners, as the service says. */
static int
master_socket_file(const struct service_conf *sc)
{
	if (sc->socket_mode >= 0 &&
	    chmod(sc->addr.text, (mode_t)sc->socket_mode) < 0) {
		log_syserr(MS_LOG_ERROR, sc->name, "chmod %s", sc->addr.text);
		return -1;
	}
	if ((sc->socket_uid != (uid_t)-1 || sc->socket_gid != (gid_t)-1) &&
	    chown(sc->addr.text, sc->socket_uid, sc->socket_gid) < 0) {
		log_syserr(MS_LOG_ERROR, sc->name, "chown %s", sc->addr.text);
		return -1;
	}
	return 0;
}

static int
master_bind(struct ms_service *svcs, size_t n)
{
	char err[512];

	for (size_t i = 0; i < n; i++) {
		struct service_conf *sc = (struct service_conf *)svcs[i].conf;

		svcs[i].listen_fd = sc->transport->bind(
		    &sc->addr, sc->backlog, err, sizeof(err));
		if (svcs[i].listen_fd < 0) {
			log_error(sc->name, "%s", err);
			return -1;
		}
		if (master_socket_file(sc) < 0)
			return -1;
		log_info(sc->name, "listening on %s %s", sc->transport->name,
		    sc->addr.text);
	}
	return 0;
}

static void
master_unbind(struct ms_service *svcs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct service_conf *sc = svcs[i].conf;

		if (svcs[i].listen_fd < 0)
			continue;
		close(svcs[i].listen_fd);
		svcs[i].listen_fd = -1;
		if (sc->transport->unbind)
			sc->transport->unbind(&sc->addr);
	}
}

static void
master_spawn(struct slot *slots, size_t n, size_t i, int sigfd)
{
	struct slot *s = &slots[i];
	pid_t master = getpid();

	s->restart = 0;
	if ((s->pid = fork()) < 0) {
		log_syserr(MS_LOG_ERROR, service_name(s->svc), "fork worker");
		s->pid = 0;
		s->restart = service_now_ms() + RESTART_MAX_MS;
		return;
	}
	if (s->pid == 0) {
		close(sigfd);
		for (size_t j = 0; j < n; j++)
			if (j != i)
				close(slots[j].svc->listen_fd);
		worker_main(s->svc, master);
	}
	s->started = service_now_ms();
	log_debug(service_name(s->svc), "worker %d started", (int)s->pid);
}

static void
master_log_exit(const struct slot *s, pid_t pid, int status, int stopping)
{
	const char *name = service_name(s->svc);

	if (WIFSIGNALED(status))
		log_msg(stopping ? MS_LOG_INFO : MS_LOG_ERROR, name,
		    "worker %d (module %s) killed by signal %d (%s)", (int)pid,
		    s->svc->conf->module, WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) != 0 || !stopping)
		log_msg(stopping ? MS_LOG_INFO : MS_LOG_ERROR, name,
		    "worker %d (module %s) exited with status %d", (int)pid,
		    s->svc->conf->module, WEXITSTATUS(status));
}

/* Reaps dead workers; schedules restarts unless stopping. */
static void
master_reap(struct slot *slots, size_t n, int stopping)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < n; i++) {
			struct slot *s = &slots[i];
			long long now = service_now_ms(), delay;

			if (s->pid != pid)
				continue;
			s->pid = 0;
			master_log_exit(s, pid, status, stopping);
			if (stopping)
				break;
			if (now - s->started >= RESTART_STABLE_MS)
				s->failures = 0;
			delay = s->failures ? (long long)RESTART_MIN_MS
			                          << (s->failures - 1)
			                    : 0;
			if (delay > RESTART_MAX_MS)
				delay = RESTART_MAX_MS;
			if (s->failures < 16)
				s->failures++;
			s->restart = now + delay;
			if (delay)
				log_info(service_name(s->svc),
				    "restarting the worker in %lld ms", delay);
			break;
		}
	}
}

/* Milliseconds until the next restart is due, or -1. */
static int
master_next_restart(const struct slot *slots, size_t n)
{
	long long now = service_now_ms(), next = -1;

	for (size_t i = 0; i < n; i++)
		if (slots[i].restart && (next < 0 || slots[i].restart < next))
			next = slots[i].restart;
	if (next < 0)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

static size_t
master_running(const struct slot *slots, size_t n)
{
	size_t running = 0;

	for (size_t i = 0; i < n; i++)
		running += slots[i].pid != 0;
	return running;
}

/* SIGTERM to every worker, then wait for them: they drain within the
 * shutdown timeout; past it (and a grace second) they are killed. */
static void
master_stop(const struct config *cfg, struct slot *slots, size_t n, int sigfd)
{
	long long deadline =
	    service_now_ms() + (long long)(cfg->shutdown_timeout * 1000) + 1000;
	struct pollfd pfd = {.fd = sigfd, .events = POLLIN};
	struct signalfd_siginfo si;

	for (size_t i = 0; i < n; i++)
		if (slots[i].pid)
			kill(slots[i].pid, SIGTERM);
	while (master_running(slots, n) > 0) {
		long long left = deadline - service_now_ms();

		if (left <= 0) {
			for (size_t i = 0; i < n; i++)
				if (slots[i].pid) {
					log_warn(service_name(slots[i].svc),
					    "worker %d did not stop: killed",
					    (int)slots[i].pid);
					kill(slots[i].pid, SIGKILL);
				}
			deadline = service_now_ms() + 1000;
			continue;
		}
		if (poll(&pfd, 1, (int)left) > 0)
			while (read(sigfd, &si, sizeof(si)) == sizeof(si))
				;
		master_reap(slots, n, 1);
	}
}

static int
master_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* The select model's handle runs on its one loop: one that does not
 * return within handle_timeout stalls every client, so the master watches
 * it through shared memory.  NULL when no service needs it. */
static struct service_watch *
master_watch(struct ms_service *svcs, size_t n)
{
	struct service_watch *w = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct service_conf *sc = svcs[i].conf;

		if (sc->model != &model_select || sc->handle_timeout <= 0 ||
		    svcs[i].module.mod->flags & MS_F_BLOCKING)
			continue;
		if (w == NULL &&
		    (w = mmap(NULL, n * sizeof(*w), PROT_READ | PROT_WRITE,
		         MAP_SHARED | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED) {
			log_syserr(MS_LOG_WARN, NULL,
			    "mmap: handle_timeout is not watched");
			return NULL;
		}
		svcs[i].watch = &w[i];
	}
	return w;
}

/* Kills a worker whose module is stuck in handle: it is restarted. */
static void
master_check_stuck(struct slot *slots, size_t n)
{
	long long now = service_now_ms();

	for (size_t i = 0; i < n; i++) {
		struct ms_service *svc = slots[i].svc;
		long long since;
		char peer[ADDR_TEXT_MAX];

		if (svc->watch == NULL || slots[i].pid == 0 ||
		    (since = atomic_load(&svc->watch->handle_since)) == 0 ||
		    now - since < (long long)(svc->conf->handle_timeout * 1000))
			continue;
		addr_format((struct sockaddr *)&svc->watch->peer,
		    svc->watch->peerlen, peer, sizeof(peer));
		log_error(service_name(svc),
		    "module %s stuck in handle for %lld ms serving %s "
		    "(handle_timeout %g s): restarting worker %d",
		    svc->conf->module, now - since, peer,
		    svc->conf->handle_timeout, (int)slots[i].pid);
		atomic_store(&svc->watch->handle_since, 0);
		kill(slots[i].pid, SIGKILL);
	}
}

/* Returns when SIGTERM or SIGINT arrives. */
static void
master_supervise(struct slot *slots, size_t n, int sigfd, int watching)
{
	struct pollfd pfd = {.fd = sigfd, .events = POLLIN};
	struct signalfd_siginfo si;

	for (;;) {
		int timeout = master_next_restart(slots, n);
		long long now;

		if (watching && (timeout < 0 || timeout > 250))
			timeout = 250;
		if (poll(&pfd, 1, timeout) < 0 && errno != EINTR)
			return;
		if (watching)
			master_check_stuck(slots, n);
		while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
			switch (si.ssi_signo) {
			case SIGCHLD:
				master_reap(slots, n, 0);
				break;
			case SIGHUP:
				log_warn(NULL, "SIGHUP: this version does not "
				               "reload its configuration; "
				               "ignored");
				break;
			default:
				log_info(NULL, "signal %s: stopping",
				    strsignal((int)si.ssi_signo));
				return;
			}
		}
		now = service_now_ms();
		for (size_t i = 0; i < n; i++)
			if (slots[i].restart && slots[i].restart <= now)
				master_spawn(slots, n, i, sigfd);
	}
}

int
master_run(const struct config *cfg, struct ms_service *svcs, size_t n)
{
	struct slot *slots = calloc(n, sizeof(*slots));
	struct service_watch *watch = NULL;
	int sigfd = master_signals(), rc = 1;

	if (slots == NULL || sigfd < 0) {
		log_syserr(MS_LOG_ERROR, NULL, "starting");
		goto out;
	}
	if (master_bind(svcs, n) < 0)
		goto out;
	watch = master_watch(svcs, n);
	for (size_t i = 0; i < n; i++)
		slots[i].svc = &svcs[i];
	for (size_t i = 0; i < n; i++)
		master_spawn(slots, n, i, sigfd);
	/* every listener is bound: clients are queued from now on */
	notify("READY=1\nSTATUS=serving %zu service%s\nMAINPID=%d", n,
	    n == 1 ? "" : "s", (int)getpid());
	master_supervise(slots, n, sigfd, watch != NULL);
	notify("STOPPING=1\nSTATUS=stopping: finishing accepted requests");
	/* new clients are turned away (unix socket files go) while the
	 * workers drain what they accepted */
	master_unbind(svcs, n);
	master_stop(cfg, slots, n, sigfd);
	log_info(NULL, "stopped");
	rc = 0;
out:
	master_unbind(svcs, n);
	if (sigfd >= 0)
		close(sigfd);
	if (watch)
		munmap(watch, n * sizeof(*watch));
	free(slots);
	return rc;
}
