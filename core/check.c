/* check.c - each service's module checked in a child process that has
 * become the service's user, its verdict over a pipe; the children are
 * watched, never waited on. */
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "loader.h"
#include "preopen.h"
#include "privs.h"
#include "service.h"

/* The check child's verdict goes out on this descriptor, its only one
 * but stdio. */
#define CHECK_VERDICT_FD 3
/* Without a pidfd a child's exit is looked for this often. */
#define CHECK_POLL_MS 100

/* One service's check child, as the master follows it. */
struct check_child {
	pid_t pid;
	int fd;    /* the verdict pipe; -1 once read to its end */
	int pidfd; /* -1: none (or closed once reaped) */
	int reaped, status, timed_out;
	char why[1024]; /* what it wrote */
	size_t got;
};

struct check_run {
	long long deadline; /* ms: a child still loading then is killed */
	double timeout;     /* s, for the message */
	size_t n;
	struct check_child c[];
};

/* What the child said goes into one log line: its control characters (a
 * module's constructor may write there) become spaces. */
static void
check_printable(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/* In the child, for service i: opens its module, becomes its user (for
 * good), loads and checks the module as a worker would.  0 with what
 * preopen_take_report reads in report, or -1 with the reason there. */
static int
check_child_run(
    const struct config *cfg, size_t i, pid_t parent, char *report, size_t len)
{
	struct ms_service svc = {.conf = &cfg->services[i],
	    .cfg = cfg,
	    .module_fd = -1,
	    .ctl_fd = -1};
	char why[512];

	if (preopen_module(&svc, report, len) < 0)
		return -1;
	if (privs_become(svc.conf, parent, SIGKILL, why, sizeof(why)) < 0) {
		snprintf(report, len, "%s:%d: services.[%zu]: %s", cfg->file,
		    svc.conf->line, i, why);
		close(svc.module_fd);
		return -1;
	}
	if (service_load_module(&svc, report, len) < 0)
		return -1;
	preopen_report(&svc, report, len);
	loader_close(&svc.module);
	return 0;
}

/* The child's side of fork: nothing of the master's (not its listeners,
 * not its workers' control sockets, not the other checks' pipes, not its
 * blocked signals) but the verdict pipe. */
static void __attribute__((noreturn))
check_child_main(const struct config *cfg, size_t i, pid_t parent, int wfd)
{
	char why[1024] = "";
	sigset_t none;
	int rc;

	if (wfd == CHECK_VERDICT_FD)
		fcntl(wfd, F_SETFD, 0);
	else if (dup2(wfd, CHECK_VERDICT_FD) < 0)
		_exit(2);
	close_range(CHECK_VERDICT_FD + 1, ~0U, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	unsetenv("NOTIFY_SOCKET");
	rc = check_child_run(cfg, i, parent, why, sizeof(why));
	if (write(CHECK_VERDICT_FD, why, strlen(why)) < 0)
		_exit(2);
	_exit(rc == 0 ? 0 : 1);
}

/* Forks service i's check child into c.  0, or -1 with err. */
static int
check_fork(const struct config *cfg, size_t i, struct check_child *c, char *err,
    size_t errlen)
{
	pid_t self = getpid();
	int pfd[2];

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "checking the modules: pipe: %s",
		    strerror(errno));
		return -1;
	}
	if ((c->pid = fork()) < 0) {
		snprintf(err, errlen, "checking the modules: fork: %s",
		    strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (c->pid == 0)
		check_child_main(cfg, i, self, pfd[1]);
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK); /* the master never waits on it */
	c->fd = pfd[0];
	c->pidfd = pidfd_open(c->pid, 0);
	return 0;
}

struct check_run *
check_start(const struct config *cfg, char *err, size_t errlen)
{
	struct check_run *run =
	    calloc(1, sizeof(*run) + cfg->nservices * sizeof(run->c[0]));

	if (run == NULL) {
		snprintf(err, errlen, "checking the modules: out of memory");
		return NULL;
	}
	run->timeout = cfg->check_timeout;
	run->deadline =
	    service_now_ms() + (long long)(cfg->check_timeout * 1000);
	for (size_t i = 0; i < cfg->nservices; i++) {
		run->c[i].fd = run->c[i].pidfd = -1;
		if (check_fork(cfg, i, &run->c[i], err, errlen) < 0) {
			check_cancel(run);
			return NULL;
		}
		run->n++;
	}
	return run;
}

size_t
check_pollfds(const struct check_run *run, struct pollfd *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < run->n; i++) {
		const struct check_child *c = &run->c[i];

		if (c->reaped)
			continue;
		if (c->fd >= 0 && n < max)
			out[n++] =
			    (struct pollfd){.fd = c->fd, .events = POLLIN};
		if (c->pidfd >= 0 && n < max)
			out[n++] =
			    (struct pollfd){.fd = c->pidfd, .events = POLLIN};
	}
	return n;
}

int
check_poll_timeout(const struct check_run *run)
{
	long long left = run->deadline - service_now_ms();
	int pending = 0, blind = 0, killed = 0;

	for (size_t i = 0; i < run->n; i++) {
		const struct check_child *c = &run->c[i];

		pending |= !c->reaped;
		blind |= !c->reaped && c->pidfd < 0;
		killed |= !c->reaped && c->timed_out;
	}
	if (!pending)
		return 0;
	if (blind && (killed || left > CHECK_POLL_MS))
		return CHECK_POLL_MS;
	if (killed) /* its pidfd says when it is gone */
		return -1;
	return left <= 0 ? 0 : (int)left;
}

/* Reads what the child wrote so far; closes the pipe at its end. */
static void
check_read(struct check_child *c)
{
	while (c->fd >= 0) {
		ssize_t n;

		if (c->got >= sizeof(c->why) - 1) {
			close(c->fd); /* all it may say is read */
			c->fd = -1;
			break;
		}
		n = read(c->fd, c->why + c->got, sizeof(c->why) - 1 - c->got);
		if (n > 0) {
			c->got += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			break;
		close(c->fd); /* closed, or a read error: that is its say */
		c->fd = -1;
	}
}

static void
check_close(struct check_child *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->fd = c->pidfd = -1;
}

int
check_reaped(struct check_run *run, pid_t pid, int status)
{
	for (size_t i = 0; run && i < run->n; i++)
		if (!run->c[i].reaped && run->c[i].pid == pid) {
			run->c[i].reaped = 1;
			run->c[i].status = status;
			return 1;
		}
	return 0;
}

int
check_step(struct check_run *run)
{
	long long now = service_now_ms();
	int done = 1;

	for (size_t i = 0; i < run->n; i++) {
		struct check_child *c = &run->c[i];
		int status;
		pid_t r;

		if (!c->reaped) {
			while ((r = waitpid(c->pid, &status, WNOHANG)) < 0 &&
			       errno == EINTR)
				;
			if (r == c->pid || (r < 0 && errno == ECHILD)) {
				c->reaped = 1;
				c->status = r == c->pid ? status : -1;
			}
		}
		check_read(c);
		if (c->reaped) {
			/* what a process it left holding the pipe writes is
			 * not waited for */
			check_close(c);
			continue;
		}
		done = 0;
		if (!c->timed_out && now >= run->deadline) {
			kill(c->pid, SIGKILL);
			c->timed_out = 1;
		}
	}
	return done;
}

/* The verdict on service i: 0, or -1 with the reason in err. */
static int
check_verdict(struct check_run *run, struct config *cfg, size_t i, char *err,
    size_t errlen)
{
	struct check_child *c = &run->c[i];
	const struct service_conf *sc = &cfg->services[i];
	int st = c->reaped ? c->status : -1;

	c->why[c->got] = '\0';
	if (c->timed_out) {
		int same = strcmp(sc->module, sc->module_file) == 0;

		snprintf(err, errlen,
		    "%s:%d: services.[%zu].module: service %s: module %s%s%s%s was still loading after %g s (check_timeout): it hangs while loading; its check was killed",
		    cfg->file, sc->line, i, sc->name, sc->module,
		    same ? "" : " (", same ? "" : sc->module_file,
		    same ? "" : ")", run->timeout);
		return -1;
	}
	if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return preopen_take_report(cfg, i, c->why, err, errlen);
	check_printable(c->why);
	if (c->got > 0)
		snprintf(err, errlen, "%s", c->why);
	else if (st != -1 && WIFSIGNALED(st))
		snprintf(err, errlen,
		    "%s:%d: services.[%zu].module: service %s: loading module %s crashed (signal %d, %s)",
		    cfg->file, sc->line, i, sc->name, sc->module, WTERMSIG(st),
		    strsignal(WTERMSIG(st)));
	else
		snprintf(err, errlen,
		    "%s:%d: services.[%zu].module: service %s: checking module %s failed (status %d)",
		    cfg->file, sc->line, i, sc->name, sc->module,
		    st == -1 ? -1 : WEXITSTATUS(st));
	return -1;
}

int
check_finish(
    struct check_run *run, struct config *cfg, char *err, size_t errlen)
{
	int rc = 0;

	for (size_t i = 0; i < run->n && rc == 0; i++)
		rc = check_verdict(run, cfg, i, err, errlen);
	check_cancel(run);
	return rc;
}

static void
check_end(struct check_run *run, int reap)
{
	if (run == NULL)
		return;
	for (size_t i = 0; i < run->n; i++) {
		struct check_child *c = &run->c[i];

		if (!c->reaped) {
			kill(c->pid, SIGKILL);
			while (reap && waitpid(c->pid, NULL, 0) < 0 &&
			       errno == EINTR)
				;
		}
		check_close(c);
	}
	free(run);
}

void
check_cancel(struct check_run *run)
{
	check_end(run, 1);
}

void
check_abandon(struct check_run *run)
{
	check_end(run, 0);
}

int
check_modules_apart(struct config *cfg, char *err, size_t errlen)
{
	struct check_run *run = check_start(cfg, err, errlen);
	struct pollfd *pfd;

	if (run == NULL)
		return -1;
	if ((pfd = calloc(2 * run->n + 1, sizeof(*pfd))) == NULL) {
		check_cancel(run);
		snprintf(err, errlen, "checking the modules: out of memory");
		return -1;
	}
	/* bounded: past the deadline every child still there is killed */
	while (!check_step(run)) {
		size_t n = check_pollfds(run, pfd, 2 * run->n + 1);

		if (poll(pfd, n, check_poll_timeout(run)) < 0 && errno != EINTR)
			break;
	}
	free(pfd);
	return check_finish(run, cfg, err, errlen);
}
