/* procs.h - the processes of the system, read from /proc with nothing but
 * system calls, for processes forked from a worker with threads. */
#ifndef PROCS_H
#define PROCS_H

#include <stddef.h>
#include <sys/types.h>

/* One process, as /proc/PID/stat and status say. */
struct procs_entry {
	pid_t pid, ppid;
	uid_t uid;  /* real uid */
	long tasks; /* its threads */
};

/* Calls fn for every process in /proc (with want_tasks, uid and tasks are
 * read from its status; else only pid and ppid, and uid is the owner of
 * /proc/PID).  Stops when fn returns nonzero.  0, or -1 if /proc cannot be
 * read.  Async-signal-safe. */
int procs_each(
    int want_tasks, int (*fn)(const struct procs_entry *, void *), void *arg);

#endif
