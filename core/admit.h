/* admit.h - what a worker admits: allow/deny, per_source and rate, checked
 * as a connection is accepted (or a datagram received), before setup. */
#ifndef ADMIT_H
#define ADMIT_H

#include <sys/socket.h>

struct ms_service;

/* Sets up svc's limits in this worker (svc->admit).  0, or -1 (logged). */
int admit_init(struct ms_service *svc);
/* Frees what admit_init made. */
void admit_free(struct ms_service *svc);
/* Whether allow/deny let peer in (a refusal is logged). */
int admit_allowed(struct ms_service *svc, const struct sockaddr *peer);
/* Whether a request from peer may start (a refusal is logged).  When it
 * may, *counted says whether per_source counted it: then it counts until
 * admit_release. */
int admit_request(
    struct ms_service *svc, const struct sockaddr *peer, int *counted);
/* Gives back a request admit_request counted. */
void admit_release(struct ms_service *svc, const struct sockaddr *peer);
/* Counts a new connection against rate: 1 when it is one too many (logged),
 * and accepting is to pause for rate_pause; else 0. */
int admit_over_rate(struct ms_service *svc);

#endif
