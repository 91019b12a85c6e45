/* tls_keys.h - the master's session ticket keys, one set a service (by
 * name, as stats_for: a ticket of one service never resumes at another):
 * made when the service first starts, rotated every
 * session_ticket_rotation seconds, kept across reloads (they are not
 * configuration), so that a client resumes in whichever worker or request
 * process of the service it reaches, before a reload and after. */
#ifndef TLS_KEYS_H
#define TLS_KEYS_H

#include "tls_tickets.h"

/* The keys of the service named service, made on the first call for that
 * name, at now_ms (CLOCK_MONOTONIC: its rotations are counted from then).
 * NULL when they could not be made (logged: then no ticket is issued). */
const struct tls_ticket_keys *tls_keys_of(
    const char *service, long long now_ms);
/* Rotates the service's keys when period seconds have passed since they
 * were made or last rotated, at now_ms: the new keys
 * when it did, else NULL (none made, not due, or no new key: logged).
 * *next_ms is lowered to the ms until the service's next rotation (it is
 * left as it is when the service has no keys). */
const struct tls_ticket_keys *tls_keys_rotate_due(
    const char *service, double period, long long now_ms, long long *next_ms);
/* Wipes and forgets the keys of every service for which keep(service,
 * arg) is 0. */
void tls_keys_forget(int (*keep)(const char *service, void *arg), void *arg);

#endif
