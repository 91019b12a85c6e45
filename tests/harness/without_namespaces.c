/* without_namespaces.c - runs a command where no PID or user namespace can
 * be made, as on a kernel with user namespaces off: in a user namespace
 * that maps uids and gids 0-65535 to themselves, whose limits on new PID
 * and user namespaces are 0.  Needs root.
 *   without_namespaces COMMAND [ARG...] */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static void
die(const char *what)
{
	fprintf(stderr, "without_namespaces: %s: %s\n", what, strerror(errno));
	exit(2);
}

int
main(int argc, char **argv)
{
	int ready[2], mapped[2], status;
	char path[64], c = 0;
	pid_t child;

	if (argc < 2) {
		fprintf(stderr, "usage: without_namespaces COMMAND [ARG...]\n");
		return 2;
	}
	if (pipe(ready) < 0 || pipe(mapped) < 0)
		die("pipe");
	if ((child = fork()) < 0)
		die("fork");
	if (child == 0) {
		close(ready[0]);
		close(mapped[1]);
		if (unshare(CLONE_NEWUSER) < 0)
			die("unshare");
		if (write(ready[1], &c, 1) != 1 || read(mapped[0], &c, 1) != 1)
			die("waiting for the maps");
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			die("becoming root of the namespace");
		if (write_file("/proc/sys/user/max_pid_namespaces", "0") < 0 ||
		    write_file("/proc/sys/user/max_user_namespaces", "0") < 0)
			die("the namespace limits");
		execvp(argv[1], argv + 1);
		die(argv[1]);
	}
	close(ready[1]);
	close(mapped[0]);
	if (read(ready[0], &c, 1) != 1)
		die("the child");
	/* only root outside may map more than its own uid */
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)child);
	if (write_file(path, "0 0 65536") < 0)
		die(path);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)child);
	if (write_file(path, "0 0 65536") < 0)
		die(path);
	if (write(mapped[1], &c, 1) != 1)
		die("the child");
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
