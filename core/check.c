/* check.c - each service's module checked in a child process that has
 * become the service's user, its verdict over a pipe. */
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loader.h"
#include "preopen.h"
#include "privs.h"
#include "service.h"

/* The check child's verdict goes out on this descriptor, its only one
 * but stdio. */
#define CHECK_VERDICT_FD 3
/* A module whose loading takes longer than this is taken for hung. */
#define CHECK_TIMEOUT_MS 30000

/* Reads the child's verdict into why (size len) until the child has
 * exited (what a process it left holding the pipe writes is not waited
 * for) or the deadline passes (then it is killed).  The bytes read. */
static size_t
check_read_verdict(int fd, pid_t pid, long long deadline, char *why, size_t len)
{
	int pidfd = pidfd_open(pid, 0), exited = 0;
	size_t got = 0;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (got < len - 1) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
		    {.fd = pidfd, .events = POLLIN}};
		long long left = deadline - service_now_ms();
		ssize_t n;

		if (!exited && (left <= 0 || poll(p, pidfd >= 0 ? 2 : 1,
		                                 (int)left) == 0)) {
			kill(pid, SIGKILL);
			snprintf(why, len,
			    "loading the modules took over %d s: a module "
			    "hangs while loading",
			    CHECK_TIMEOUT_MS / 1000);
			got = strlen(why);
			break;
		}
		exited |= pidfd >= 0 && (p[1].revents & POLLIN);
		n = read(fd, why + got, len - 1 - got);
		if (n > 0)
			got += (size_t)n;
		else if (n == 0 || (errno != EINTR && errno != EAGAIN) ||
		         exited)
			break; /* closed, or the child is gone and all read */
	}
	if (pidfd >= 0)
		close(pidfd);
	return got;
}

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
check_child(
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

/* Checks service i in a child: 0, or -1 with the reason in err. */
static int
check_service(
    struct config *cfg, size_t i, long long deadline, char *err, size_t errlen)
{
	char why[1024] = "";
	size_t got;
	int pfd[2], status;
	pid_t pid, self = getpid();

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "checking the modules: pipe: %m");
		return -1;
	}
	if ((pid = fork()) < 0) {
		snprintf(err, errlen, "checking the modules: fork: %m");
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		sigset_t none;
		int rc;

		/* nothing of the master's: not its listeners, not its
		 * workers' control sockets, not its blocked signals */
		if (dup2(pfd[1], CHECK_VERDICT_FD) < 0)
			_exit(2);
		close_range(CHECK_VERDICT_FD + 1, ~0U, 0);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		unsetenv("NOTIFY_SOCKET");
		rc = check_child(cfg, i, self, why, sizeof(why));
		if (write(CHECK_VERDICT_FD, why, strlen(why)) < 0)
			_exit(2);
		_exit(rc == 0 ? 0 : 1);
	}
	close(pfd[1]);
	got = check_read_verdict(pfd[0], pid, deadline, why, sizeof(why));
	why[got] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return preopen_take_report(cfg, i, why, err, errlen);
	check_printable(why);
	if (got == 0 && WIFSIGNALED(status))
		snprintf(why, sizeof(why),
		    "loading the modules crashed (signal %d, %s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (got == 0)
		snprintf(why, sizeof(why),
		    "checking the modules failed (status %d)",
		    WEXITSTATUS(status));
	snprintf(err, errlen, "%s", why);
	return -1;
}

int
check_modules_apart(struct config *cfg, char *err, size_t errlen)
{
	long long deadline = service_now_ms() + CHECK_TIMEOUT_MS;

	for (size_t i = 0; i < cfg->nservices; i++)
		if (check_service(cfg, i, deadline, err, errlen) < 0)
			return -1;
	return 0;
}
