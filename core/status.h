/* status.h - the status socket: a unix socket on which the master answers
 * every connection with the services' counters (Prometheus text format),
 * and `modserv -s`, which reads it. */
#ifndef STATUS_H
#define STATUS_H

#include <stddef.h>

#include "addr.h"

struct config;
struct stats_service;

/* Binds cfg's status_socket (mode 0660).  The fd, or -1 with err. */
int status_open(
    const struct config *cfg, struct listen_addr *a, char *err, size_t errlen);
/* Whether cfg's status_socket, resolved as status_open would, is the
 * socket a already bound (both NULL: neither has one). */
int status_same(const struct config *cfg, const struct listen_addr *a);
void status_close(int fd, const struct listen_addr *a);
/* Answers everyone waiting on fd with the counters of services. */
void status_answer(int fd, struct stats_service *const *services, size_t n);
/* `modserv -s`: prints what the status socket of cfg says.  The exit
 * status: 0, or 1 (the reason on stderr). */
int status_query(const struct config *cfg);

#endif
