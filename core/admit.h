/* admit.h - what a worker admits: allow/deny, per_source and rate, checked
 * as a connection is accepted (or a datagram received), before setup. */
#ifndef ADMIT_H
#define ADMIT_H

#include <sys/socket.h>

struct ms_service;

/* Sets up svc's limits in this worker.  0, or -1 (logged). */
int admit_init(struct ms_service *svc);
/* Whether allow/deny let peer in (a refusal is logged). */
int admit_allowed(struct ms_service *svc, const struct sockaddr *peer);
/* Whether a request from peer may start; when it may, it is counted
 * against per_source until admit_release.  A refusal is logged. */
int admit_request(struct ms_service *svc, const struct sockaddr *peer);
void admit_release(struct ms_service *svc, const struct sockaddr *peer);
/* Counts a new connection against rate; past it, accepting pauses for
 * rate_pause (worker_accept_paused says how long is left). */
void admit_count_connection(struct ms_service *svc);

#endif
