/* contain.h - every process a program starts ends with it (see contain.c). */
#ifndef CONTAIN_H
#define CONTAIN_H

#include <sys/types.h>

/* Called in a new child of parent that is about to run a program: this
 * process becomes the program's keeper, and returns 0 in a new child of
 * the keeper that goes on to exec the program (with the signal mask the
 * caller had).  The keeper never returns: once the program ended, it was
 * told to stop (contain_stop) or parent died, it kills every process the
 * program started, however they detached, and exits as the program did
 * (its exit code, or the same signal), so waitpid on the keeper reports
 * the program.  -1 with errno if no keeper could be made (no fork). */
int contain_begin(pid_t parent);

/* Exits as the wait status status says a process did: a signal is
 * raised again (no core: the program's own was dumped, if any).  A
 * keeper's end, and the TLS relay's (tls_relay.c). */
__attribute__((noreturn)) void contain_exit_as(int status);

/* 1 in a program contain_begin started in a PID namespace of its own, 0
 * in one it keeps by a subreaper alone. */
int contain_in_namespace(void);

/* Logs once per process, before the first program starts, how programs
 * are contained (a warning when no namespace can hold them). */
void contain_say_how(const char *service);

/* Ends the program under keeper (SIGTERM, SIGKILL a second later) and
 * whatever it started; waitpid the keeper then. */
int contain_stop(pid_t keeper);

/* 1 once keeper ended (left to waitpid), waiting ms at most; else 0. */
int contain_ended_within(pid_t keeper, int ms);

/* Kills, from outside, every process below keeper, then keeper: for a
 * keeper that did not end when told (its program stopped it again and
 * again).  Its wait status then is SIGKILL's; waitpid it. */
void contain_kill(pid_t keeper);

/* How long a keeper told to stop may take before contain_kill: its
 * program's grace and the end of what it started. */
#define CONTAIN_STUCK_MS 3000

#endif
