/* tls_keys.h - the master's session ticket keys: made when the first TLS
 * service starts, rotated every TLS_TICKET_PERIOD, kept across reloads
 * (they are not configuration), so that a client resumes in whichever
 * worker or request process it reaches, before a reload and after. */
#ifndef TLS_KEYS_H
#define TLS_KEYS_H

#include "tls_tickets.h"

/* The keys now, made on the first call; NULL when they could not be
 * (logged once: then no ticket is issued). */
const struct tls_ticket_keys *tls_keys_current(void);
/* Rotates the keys when their period is over at now_ms (CLOCK_MONOTONIC):
 * 1 when it did (the workers are to be given them), else 0.  *next_ms: ms
 * until the next rotation, -1 when no keys were made. */
int tls_keys_tick(long long now_ms, long long *next_ms);

#endif
