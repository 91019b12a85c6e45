/* contain_ns.c - a PID namespace for a program, so that nothing it starts
 * can outlive its keeper or reach it.  Root needs nothing more.  A
 * service as an ordinary user needs a user namespace it owns, mapping only
 * its uid and gid: a worker that drops from root has one made before the
 * drop (the kernel lets only root write the maps of a process that changed
 * its credentials) and its keepers join it; one started as an ordinary
 * user has its keepers make their own, where the kernel allows that (as
 * Debian's does).  contain_ns_enter runs in the keeper, a child forked
 * from a worker with threads: system calls only. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "contain_ns.h"

/* The user namespace made for this worker's programs, or -1. */
static int contain_ns_user = -1;
static int contain_ns_errno = -1; /* -1: not asked yet */
static pthread_once_t contain_ns_once = PTHREAD_ONCE_INIT;

/* Writes "ID ID 1" (the id mapped to itself, alone) or text to file in
 * the /proc folder dir. */
static int
contain_ns_write(int dir, const char *file, const char *text, unsigned id)
{
	char buf[48], digits[12];
	size_t n = 0, d = 0;
	ssize_t w;
	int fd;

	if (text != NULL) {
		n = strlen(text);
		memcpy(buf, text, n);
	} else {
		do
			digits[d++] = (char)('0' + id % 10);
		while ((id /= 10) > 0);
		for (int copy = 0; copy < 2; copy++) {
			for (size_t i = d; i > 0; i--)
				buf[n++] = digits[i - 1];
			buf[n++] = ' ';
		}
		buf[n++] = '1';
	}
	if ((fd = openat(dir, file, O_WRONLY | O_CLOEXEC)) < 0)
		return -1;
	w = write(fd, buf, n);
	close(fd);
	return w == (ssize_t)n ? 0 : -1;
}

/* Maps uid and gid, alone, in the user namespace of the process whose
 * /proc folder is dir.  setgroups is denied first (the kernel asks it of
 * an unprivileged writer): nothing in the namespace can shed a group. */
static int
contain_ns_map(int dir, uid_t uid, gid_t gid)
{
	if (contain_ns_write(dir, "setgroups", "deny", 0) < 0 ||
	    contain_ns_write(dir, "uid_map", NULL, uid) < 0 ||
	    contain_ns_write(dir, "gid_map", NULL, gid) < 0)
		return -1;
	return 0;
}

int
contain_ns_enter(void)
{
	int self;

	if (contain_ns_user >= 0) {
		if (setns(contain_ns_user, CLONE_NEWUSER) < 0)
			return -1;
		return unshare(CLONE_NEWPID) < 0 ? -2 : 0;
	}
	if (geteuid() == 0)
		return unshare(CLONE_NEWPID);
	/* a process that changed its credentials cannot write its maps */
	if (prctl(PR_GET_DUMPABLE) != 1) {
		errno = EPERM;
		return -1;
	}
	if (unshare(CLONE_NEWUSER | CLONE_NEWPID) < 0)
		return -1;
	if ((self = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -2;
	if (contain_ns_map(self, geteuid(), getegid()) < 0) {
		close(self);
		return -2;
	}
	close(self);
	return 0;
}

void
contain_ns_own_proc(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return;
	/* first nothing of this namespace's may reach the host's mounts */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return;
	mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

int
contain_ns_prepare(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	int ready[2], done[2], e = 0, dir = -1, status;
	char path[32];
	pid_t pid;

	if (uid == 0)
		return 0; /* root makes PID namespaces without one */
	if (pipe2(ready, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(done, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		close(ready[0]);
		close(ready[1]);
		return -1;
	}
	/* a child becomes the user and makes the namespace (its owner is
	 * the user, so the user's keepers may join it); root maps it */
	if ((pid = fork()) == 0) {
		close(ready[0]);
		close(done[1]); /* its EOF is the word to go */
		if (setgid(gid) < 0 || setuid(uid) < 0 ||
		    unshare(CLONE_NEWUSER) < 0)
			e = errno;
		(void)!write(ready[1], &e, sizeof(e));
		(void)!read(done[0], &e, 1);
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	if (pid < 0 || read(ready[0], &e, sizeof(e)) != sizeof(e))
		e = pid < 0 ? errno : ECHILD;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (e == 0 && ((dir = open(path, O_PATH | O_DIRECTORY)) < 0 ||
	                  contain_ns_map(dir, uid, gid) < 0 ||
	                  (contain_ns_user = openat(
	                       dir, "ns/user", O_RDONLY | O_CLOEXEC)) < 0))
		e = errno;
	if (dir >= 0)
		close(dir);
	close(ready[0]);
	close(done[1]); /* the child may go */
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (e != 0) {
		snprintf(err, errlen, "a user namespace for its programs: %s",
		    strerror(e));
		contain_ns_errno = e;
		return -1;
	}
	return 0;
}

static void
contain_ns_ask(void)
{
	int report[2], e = 0, status;
	pid_t pid;

	if (contain_ns_errno >= 0)
		return; /* contain_ns_prepare failed */

	if (pipe2(report, O_CLOEXEC) < 0) {
		contain_ns_errno = errno;
		return;
	}
	if ((pid = fork()) == 0) {
		if (contain_ns_enter() < 0)
			e = errno ? errno : EPERM;
		(void)!write(report[1], &e, sizeof(e));
		_exit(0);
	}
	close(report[1]);
	if (pid < 0) {
		contain_ns_errno = errno;
		close(report[0]);
		return;
	}
	if (read(report[0], &e, sizeof(e)) != sizeof(e))
		e = ECHILD;
	close(report[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	contain_ns_errno = e;
}

int
contain_ns_available(void)
{
	pthread_once(&contain_ns_once, contain_ns_ask);
	return contain_ns_errno;
}
