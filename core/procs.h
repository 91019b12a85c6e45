/* procs.h - the processes of the system, read from /proc with nothing but
 * system calls, for processes forked from a worker with threads. */
#ifndef PROCS_H
#define PROCS_H

#include <sys/types.h>

/* One process, as /proc/PID/stat says. */
struct procs_entry {
	pid_t pid, ppid;
	char state; /* R, S, T, Z... */
};

/* Calls fn for every process in /proc, in the order of their pids; stops
 * when fn returns nonzero.  0, or -1 if /proc cannot be read.
 * Async-signal-safe. */
int procs_each(int (*fn)(const struct procs_entry *, void *), void *arg);
/* The tasks (threads) of every process whose real uid is uid, as
 * RLIMIT_NPROC counts them (contained: only those of programs in PID
 * namespaces, and their keepers: what the limit counts in the programs'
 * user namespace); -1 if /proc cannot be read.  Async-signal-safe. */
long procs_tasks_of(uid_t uid, int contained);

#endif
