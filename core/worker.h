/* worker.h - the process that serves one service: signals, the module's
 * init and fini, the model's loop; and accepting, shared by the models. */
#ifndef WORKER_H
#define WORKER_H

#include <sys/socket.h>
#include <sys/types.h>

struct ms_service;

/* Runs in the child the master (pid master) forked for svc; never
 * returns. */
void worker_main(struct ms_service *svc, pid_t master)
    __attribute__((noreturn));
/* Accepts one connection from lfd, one of svc's listeners, close-on-exec,
 * with flags (SOCK_NONBLOCK or 0) for accept4, that allow/deny and
 * per_source admit (the others are closed at once); it counts against
 * per_source until admit_release.  A blocking one gives up after
 * idle_timeout without progress.  The fd, or -1: EAGAIN when none is waiting;
 * on running out of descriptors or memory, accepting is paused a moment (see
 * worker_accept_paused). */
int worker_accept(struct ms_service *svc, int lfd,
    struct sockaddr_storage *peer, socklen_t *peerlen, int flags);
/* Stops accepting for ms milliseconds. */
void worker_accept_pause(struct ms_service *svc, int ms);
/* Milliseconds until accepting may resume; 0 when it is not paused. */
int worker_accept_paused(const struct ms_service *svc);
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
