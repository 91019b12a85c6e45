/* spawn.c - ms_spawn: a program with descriptors of the module's choosing
 * and resource limits, under its keeper (contain.c), for a module that
 * collects its output (cmd). */
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "contain.h"
#include "contain_ns.h"
#include "modserv.h"
#include "procs.h"
#include "worker.h"

/* Sets resource r to v (0: leaves it), never above its hard limit. */
static int
spawn_limit(int r, unsigned long long v, unsigned long long hard_extra)
{
	struct rlimit now, want;

	if (v == 0)
		return 0;
	if (getrlimit(r, &now) < 0)
		return -1;
	want.rlim_cur = v < now.rlim_max ? v : now.rlim_max;
	want.rlim_max =
	    v + hard_extra < now.rlim_max ? v + hard_extra : now.rlim_max;
	return setrlimit(r, &want);
}

/* What spawn_child counted of the user's contained tasks before the
 * program's namespace hid them (its /proc shows only its own), or -1. */
static long spawn_contained_before = -1;

/* RLIMIT_NPROC counts the tasks of the real uid: in a namespace, those of
 * the user namespace the keepers share (counted before, plus this
 * program's keeper, init and itself); without one, every task (the
 * worker's threads, other services as the same user), counted here.  The
 * bound is what is counted now plus what the program may start.  Root is
 * not bound. */
static int
spawn_limit_processes(unsigned long long more)
{
	uid_t uid = getuid();
	long now;

	if (more == 0 || uid == 0)
		return 0;
	if (contain_in_namespace())
		now = spawn_contained_before < 0 ? -1
		                                 : spawn_contained_before + 3;
	else
		now = procs_tasks_of(uid, 0);
	if (now < 0)
		return -1;
	return spawn_limit(RLIMIT_NPROC, (unsigned long long)now + more, 0);
}

static int
spawn_limits(const struct ms_limits *l)
{
	if (l == NULL)
		return 0;
	/* counting reads /proc: before the descriptor limit, which the
	 * worker's descriptors (closed only at exec) may already pass */
	if (spawn_limit_processes(l->processes) < 0)
		return -1;
	/* past the soft CPU limit SIGXCPU, a second later SIGKILL */
	return spawn_limit(RLIMIT_AS, l->address_space, 0) < 0 ||
	               spawn_limit(RLIMIT_CPU, l->cpu_seconds, 1) < 0 ||
	               spawn_limit(RLIMIT_NOFILE, l->open_files, 0) < 0
	           ? -1
	           : 0;
}

/* fds[i] (or /dev/null) onto i, each first moved above 2 so that one
 * cannot overwrite another. */
static int
spawn_descriptors(const int fds[3])
{
	int high[3];

	for (int i = 0; i < 3; i++) {
		int fd = fds && fds[i] >= 0
		             ? fcntl(fds[i], F_DUPFD, 3)
		             : open("/dev/null", (i ? O_WRONLY : O_RDONLY));

		if (fd < 0 || (fd < 3 && (fd = fcntl(fd, F_DUPFD, 3)) < 0))
			return -1;
		high[i] = fd;
	}
	for (int i = 0; i < 3; i++)
		if (dup2(high[i], i) < 0)
			return -1;
	/* nothing of the worker's but 0-2 reaches the program */
	return close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
}

/* The child: keeper, then the program; errno to report on a failure. */
static void
spawn_child(const char *path, char *const *argv, char *const *envp,
    const int fds[3], const struct ms_limits *limits, pid_t parent, int report)
{
	int e;

	worker_reset_signals(1);
	if (limits && limits->processes && getuid() != 0 &&
	    contain_ns_available() == 0)
		spawn_contained_before = procs_tasks_of(getuid(), 1);
	if (contain_begin(parent) == 0 && spawn_descriptors(fds) == 0 &&
	    spawn_limits(limits) == 0)
		execve(path, argv, envp);
	e = errno;
	(void)!write(report, &e, sizeof(e));
	_exit(127);
}

pid_t
ms_spawn(const char *path, char *const *argv, char *const *envp,
    const int fds[3], const struct ms_limits *limits)
{
	int report[2], e, status;
	pid_t pid, self = getpid();
	ssize_t n;

	if (path == NULL || argv == NULL || argv[0] == NULL || envp == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (pipe2(report, O_CLOEXEC) < 0)
		return -1;
	if ((pid = fork()) == 0)
		spawn_child(path, argv, envp, fds, limits, self, report[1]);
	e = errno;
	close(report[1]);
	if (pid < 0) {
		close(report[0]);
		errno = e;
		return -1;
	}
	/* EOF once execve closed it; errno if the program did not start */
	while ((n = read(report[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(report[0]);
	if (n != sizeof(e))
		return pid;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	errno = e;
	return -1;
}

int
ms_spawn_end(pid_t pid, int *status)
{
	int st;
	pid_t got;

	if (pid <= 0) {
		errno = EINVAL;
		return -1;
	}
	contain_stop(pid);
	if (!contain_ended_within(pid, CONTAIN_STUCK_MS))
		contain_kill(pid);
	while ((got = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	if (got < 0)
		return -1;
	if (status)
		*status = st;
	return 0;
}
