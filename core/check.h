/* check.h - checking a configuration's modules without loading them into
 * the master, and without the master waiting on them. */
#ifndef CHECK_H
#define CHECK_H

#include <poll.h>
#include <stddef.h>
#include <sys/types.h>

struct config;
/* One configuration's checks under way: a child per service. */
struct check_run;

/* Loads and checks each service's module in a child process that has
 * become the service's user first, as its worker will: no module code (a
 * constructor, a crash) ever runs in the master or as root (unless the
 * service's user is root), and every worker loads its module fresh from
 * the file.  The children run side by side; one still loading after cfg's
 * check_timeout is killed.  The run, or NULL with the reason in err. */
struct check_run *check_start(
    const struct config *cfg, char *err, size_t errlen);
/* The descriptors to poll for run's progress, into out (room for max);
 * their number. */
size_t check_pollfds(
    const struct check_run *run, struct pollfd *out, size_t max);
/* Milliseconds a poll for run may sleep (its deadline), or -1. */
int check_poll_timeout(const struct check_run *run);
/* Reads what the children said, reaps those that exited, kills those
 * past the deadline; never blocks.  1 once every child has answered. */
int check_step(struct check_run *run);
/* Hands run a child the caller reaped (waitpid(-1)): 1 when it was one
 * of run's, 0 if not. */
int check_reaped(struct check_run *run, pid_t pid, int status);
/* After check_step said 1: marks the options the modules take as paths
 * (for the workers to open before the drop) and frees run.  0, or -1
 * with the reason (of the first service in cfg's order that failed) in
 * err. */
int check_finish(
    struct check_run *run, struct config *cfg, char *err, size_t errlen);
/* Kills the children still running, reaps them, frees run. */
void check_cancel(struct check_run *run);
/* Kills the children still running and frees run without waiting for
 * them: the caller reaps them (waitpid(-1)) as they go. */
void check_abandon(struct check_run *run);
/* check_start, waiting for its verdict (at most check_timeout): for the
 * start and for -t, when there is nothing else to do.  0, or -1 with the
 * reason in err. */
int check_modules_apart(struct config *cfg, char *err, size_t errlen);

#endif
