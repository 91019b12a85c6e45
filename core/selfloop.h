/* selfloop.h - datagrams whose source is one of modserv's own datagram
 * listeners: answering one sends the answer to a listener, which answers
 * it again, forever (the echo/chargen loop a forged source starts). */
#ifndef SELFLOOP_H
#define SELFLOOP_H

#include <sys/socket.h>

struct ms_service;

/* Whether a datagram from peer must go unanswered: its source is a
 * listening address of a datagram service of svc's configuration (svc's
 * own or another's; a wildcard listener's port on any local address; for
 * unix-dgram the same socket file, by inode).  A refusal is logged, at
 * most once a second for one source. */
int selfloop_refused(
    struct ms_service *svc, const struct sockaddr *peer, socklen_t len);

#endif
