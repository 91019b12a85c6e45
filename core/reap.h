/* reap.h - waiting for one child process by its pid. */
#ifndef REAP_H
#define REAP_H

#include <sys/types.h>

/* Waits for child pid by its pid, never any other (a process a module
 * started is its own): with block until it ends, else only if it has.
 * Retries when a signal interrupts.  pid once reaped (its wait status in
 * *status), 0 while it runs, or -1 when waitpid failed (logged for who,
 * a service name or NULL). */
pid_t reap_child(const char *who, pid_t pid, int *status, int block);

#endif
