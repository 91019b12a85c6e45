/* accept.h - the accepting side of a worker, shared by the models: takes a
 * connection, admits or turns it away, and pauses when it must. */
#ifndef ACCEPT_H
#define ACCEPT_H

#include <sys/socket.h>

struct ms_service;

/* Accepts one connection from lfd, one of svc's listeners, close-on-exec,
 * with flags (SOCK_NONBLOCK or 0) for accept4, that allow/deny and
 * per_source admit (the others are closed at once).  *counted says whether
 * per_source counted it: request_init takes that, and the request releases
 * it as it ends.  A blocking one gives up after idle_timeout without
 * progress.  The fd, or -1: EAGAIN when none is waiting; on running out of
 * descriptors or memory, accepting is paused a moment (see accept_paused). */
int accept_connection(struct ms_service *svc, int lfd,
    struct sockaddr_storage *peer, socklen_t *peerlen, int flags, int *counted);
/* Turns away a connection accept_connection gave that cannot become a
 * request: logs "<peer>: request refused: <why>", closes fd and gives back
 * what per_source counted. */
void accept_refuse(struct ms_service *svc, int fd,
    const struct sockaddr_storage *peer, socklen_t peerlen, int counted,
    const char *why);
/* Stops accepting for ms milliseconds. */
void accept_pause(struct ms_service *svc, int ms);
/* Milliseconds until accepting may resume; 0 when it is not paused. */
int accept_paused(struct ms_service *svc);

#endif
