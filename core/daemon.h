/* daemon.h - the process around the master: going to the background (-d),
 * the pidfile. */
#ifndef DAEMON_H
#define DAEMON_H

#include <stddef.h>

/* Forks; the parent waits until the child calls daemon_ready (exit 0) or
 * ends without (exit 1: the child said why on stderr).  The child goes on
 * in a session of its own, in /, with stdin and stdout on /dev/null.
 * Returns in the child: the fd to hand to daemon_ready, or -1 (err). */
int daemon_start(char *err, size_t errlen);
/* Releases the waiting parent (fd from daemon_start; -1 does nothing):
 * it exits 0, or prints failure and exits 1. */
void daemon_ready(int *fd, const char *failure);

/* Writes our pid to path, holding a lock on it while we run: another
 * modserv with the same pidfile is refused.  The fd (kept open), or -1 with
 * err. */
int pidfile_write(const char *path, char *err, size_t errlen);
/* Removes path if fd still holds it, and closes fd. */
void pidfile_remove(const char *path, int fd);

#endif
