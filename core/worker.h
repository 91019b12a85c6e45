/* worker.h - the process that serves one service: signals, the module's
 * init and fini, the model's loop (accepting is accept.h's). */
#ifndef WORKER_H
#define WORKER_H

#include <sys/socket.h>
#include <sys/types.h>

struct ms_service;

/* Runs in the child the master (pid master) forked for svc; never
 * returns. */
void worker_main(struct ms_service *svc, pid_t master)
    __attribute__((noreturn));
/* Once stopping: closes a stream service's listeners, so that new clients
 * are turned away at once rather than left in a backlog no one accepts
 * from. */
void worker_stop_listening(struct ms_service *svc);
/* Restores what a child process running module code expects: default signal
 * dispositions and a signal mask with only SIGUSR1 and SIGHUP (which the
 * worker takes) blocked; SIGPIPE stays ignored (the host writes to
 * sockets).  for_exec, for a program about to be run: nothing blocked,
 * SIGPIPE at its default. */
void worker_reset_signals(int for_exec);

#endif
