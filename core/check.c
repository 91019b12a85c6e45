/* check.c - each service's module checked in a child process that has
 * become the service's user, its verdict over a pipe. */
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "service.h"

/* A module whose loading takes longer than this is taken for hung. */
#define CHECK_TIMEOUT_MS 30000

/* Reads the child's verdict into why (size len) until it closes the pipe
 * or the deadline passes (then it is killed).  The bytes read. */
static size_t
check_read_verdict(int fd, pid_t pid, long long deadline, char *why, size_t len)
{
	size_t got = 0;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long long left = deadline - service_now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			kill(pid, SIGKILL);
			snprintf(why, len,
			    "loading the modules took over %d s: a module "
			    "hangs while loading",
			    CHECK_TIMEOUT_MS / 1000);
			return strlen(why);
		}
		n = read(fd, why + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return got;
		got += (size_t)n;
	}
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
		int rc = service_check_module(cfg, i, self, why, sizeof(why));

		close(pfd[0]);
		if (write(pfd[1], why, strlen(why)) < 0)
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
		return service_take_report(cfg, i, why, err, errlen);
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
