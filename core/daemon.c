/* daemon.c - background mode and pidfile. */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int
daemon_start(char *err, size_t errlen)
{
	int pfd[2], null;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		snprintf(err, errlen, "going to the background: %s",
		    strerror(errno));
		return -1;
	}
	if (pid > 0) { /* the parent reports how the start went */
		char why[1024];
		size_t got = 0;
		ssize_t n;

		close(pfd[1]);
		while (
		    got < sizeof(why) - 1 &&
		    ((n = read(pfd[0], why + got, sizeof(why) - 1 - got)) > 0 ||
		        (n < 0 && errno == EINTR)))
			got += n > 0 ? (size_t)n : 0;
		why[got] = '\0';
		if (got > 0 && why[0] == 'r')
			exit(0);
		fprintf(stderr, "modserv: %s\n",
		    got > 1 ? why + 1
		            : "it stopped before serving (its log says why)");
		exit(1);
	}
	close(pfd[0]);
	if (setsid() < 0 || chdir("/") < 0 ||
	    (null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "going to the background: %s",
		    strerror(errno));
		close(pfd[1]);
		return -1;
	}
	dup2(null, STDIN_FILENO);
	dup2(null, STDOUT_FILENO);
	close(null);
	return pfd[1];
}

void
daemon_ready(int *fd, const char *failure)
{
	if (*fd < 0)
		return;
	if (dprintf(*fd, "%c%s", failure ? 'f' : 'r', failure ? failure : "") <
	    0) {
		/* the parent is gone: nothing to tell */
	}
	/* a failure's pipe closes as this process exits: the parent, reading
	 * to the end, returns only once nothing of modserv is left */
	if (!failure)
		close(*fd);
	*fd = -1;
}

int
pidfile_write(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	char pid[32] = "";
	ssize_t n;

	if (fd < 0) {
		snprintf(err, errlen, "pidfile %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = read(fd, pid, sizeof(pid) - 1);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		snprintf(err, errlen,
		    "pidfile %s: modserv %s%s is running with it already", path,
		    *pid ? "pid " : "", pid);
		close(fd);
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		snprintf(err, errlen, "pidfile %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

void
pidfile_remove(const char *path, int fd)
{
	struct stat a, b;

	if (fd < 0)
		return;
	/* only if the file there is still the one we wrote */
	if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		unlink(path);
	close(fd);
}
