/* refusals.h - refusals before setup, logged once a source and kind, then
 * counted and summarised ("... and 40213 more from 127.0.0.1 in the last
 * 1 s"), so a flood of refused clients cannot flood the log. */
#ifndef REFUSALS_H
#define REFUSALS_H

#include <sys/socket.h>

struct ms_service;

enum refusal_kind {
	REFUSAL_ALLOW_DENY,   /* allow/deny */
	REFUSAL_PER_SOURCE,   /* per_source */
	REFUSAL_PROXY_FROM,   /* a PROXY header from outside proxy_from */
	REFUSAL_PROXY_HEADER, /* a bad PROXY header, or none */
	REFUSAL_TLS,          /* a TLS handshake failed, or took too long */
	REFUSAL_N,
};

/* How long refusals of one kind from one source are counted before their
 * summary is written. */
#define REFUSALS_WINDOW_MS 1000
/* Sources tracked at once; refusals from more are summarised together. */
#define REFUSALS_SLOTS 256

/* Makes the worker's table, shared with the request processes it forks.
 * 0, or -1 (logged). */
int refusals_init(struct ms_service *svc);
/* A refusal of kind from peer (the client; balancer: the PROXY header's
 * sender, or NULL).  The first of a window is logged as "ADDRESS: what"
 * (what: the reason in words) at level, and written to the access log;
 * later ones are counted until the window closes. */
void refusals_note(struct ms_service *svc, enum refusal_kind kind,
    const struct sockaddr *peer, socklen_t peerlen,
    const struct sockaddr *balancer, socklen_t balancerlen, int level,
    const char *what);
/* Writes the summaries of windows that closed; all of them when flush_all
 * (the worker stops).  Milliseconds until the next one is due, or -1 when
 * none waits.  Cheap when nothing was refused: a loop may call it every
 * time round. */
int refusals_tick(struct ms_service *svc, int flush_all);
/* A poll timeout (-1: none) shortened to when the next summary is due;
 * writes the ones due now. */
int refusals_timeout(struct ms_service *svc, int timeout);

#endif
