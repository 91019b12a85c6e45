/* sock.h - making listening sockets: inet and unix, stream and datagram. */
#ifndef SOCK_H
#define SOCK_H

#include "addr.h"

/* The largest unix datagram accepted, and so the largest reply. */
#define SOCK_DGRAM_MAX (256 * 1024)

/* Binds (and for streams listens on) a, non-blocking and close-on-exec, and
 * rewrites a->text with the address actually bound (port 0 resolved).
 * Returns the fd, or -1 with the reason in err. */
int sock_bind_inet(
    struct listen_addr *a, int socktype, int backlog, char *err, size_t errlen);
/* As sock_bind_inet; a socket file left by a dead server is replaced, one a
 * live server answers on is "address in use". */
int sock_bind_unix(
    struct listen_addr *a, int socktype, int backlog, char *err, size_t errlen);
/* Raises a unix datagram socket's send buffer to carry a reply of
 * SOCK_DGRAM_MAX bytes: 0, or -1 with err when the kernel's limit
 * (net.core.wmem_max) keeps it smaller. */
int sock_dgram_room(
    int fd, const struct listen_addr *a, char *err, size_t errlen);
/* Removes the socket file, if it is still the one we made. */
void sock_unbind_unix(const struct listen_addr *a);

#endif
