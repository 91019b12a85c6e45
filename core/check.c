/* check.c - services_check in a child process, its verdict over a pipe. */
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

int
check_modules_apart(const struct config *cfg, char *err, size_t errlen)
{
	char why[1024] = "";
	size_t got = 0;
	int pfd[2], status;
	long long deadline = service_now_ms() + CHECK_TIMEOUT_MS;
	pid_t pid;

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
		close(pfd[0]);
		if (services_check(cfg, why, sizeof(why)) == 0)
			_exit(0);
		if (write(pfd[1], why, strlen(why)) < 0)
			_exit(2);
		_exit(1);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		long long left = deadline - service_now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			kill(pid, SIGKILL);
			snprintf(why, sizeof(why),
			    "loading the modules took over %d s: a module "
			    "hangs while loading",
			    CHECK_TIMEOUT_MS / 1000);
			got = strlen(why);
			break;
		}
		n = read(pfd[0], why + got, sizeof(why) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	why[got] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && got == 0)
		return 0;
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
