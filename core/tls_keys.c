/* tls_keys.c - the master's session ticket keys, a set a service
 * (tls_keys.h). */
#include "tls_keys.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

/* One service's keys. */
struct tls_keys_entry {
	struct tls_keys_entry *next;
	char *service;
	struct tls_ticket_keys keys;
	long long rotated_ms; /* when key[0] was made (CLOCK_MONOTONIC) */
};

static struct tls_keys_entry *entries;

static struct tls_keys_entry *
tls_keys_find(const char *service)
{
	struct tls_keys_entry *e = entries;

	while (e && strcmp(e->service, service) != 0)
		e = e->next;
	return e;
}

static void
tls_keys_entry_free(struct tls_keys_entry *e)
{
	tls_ticket_keys_wipe(&e->keys);
	free(e->service);
	free(e);
}

const struct tls_ticket_keys *
tls_keys_of(const char *service, long long now_ms)
{
	struct tls_keys_entry *e = tls_keys_find(service);
	char err[256];

	if (e)
		return &e->keys;
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->service = strdup(service)) == NULL) {
		free(e);
		log_error(service,
		    "session ticket keys: out of memory: no session tickets are issued");
		return NULL;
	}
	if (tls_ticket_keys_make(&e->keys, err, sizeof(err)) < 0) {
		log_error(service,
		    "session ticket keys: %s: no session tickets are issued",
		    err);
		tls_keys_entry_free(e);
		return NULL;
	}
	e->rotated_ms = now_ms;
	e->next = entries;
	entries = e;
	return &e->keys;
}

const struct tls_ticket_keys *
tls_keys_rotate_due(
    const char *service, double period, long long now_ms, long long *next_ms)
{
	struct tls_keys_entry *e = tls_keys_find(service);
	long long every = (long long)(period * 1000), due;
	char err[256];

	if (e == NULL)
		return NULL;
	due = e->rotated_ms + every;
	if (now_ms < due) {
		if (*next_ms < 0 || due - now_ms < *next_ms)
			*next_ms = due - now_ms;
		return NULL;
	}
	/* a new period from now: a late master does not rotate twice */
	e->rotated_ms = now_ms;
	if (*next_ms < 0 || every < *next_ms)
		*next_ms = every;
	if (tls_ticket_keys_rotate(&e->keys, err, sizeof(err)) < 0) {
		log_warn(
		    service, "session ticket keys: %s: kept as they were", err);
		return NULL;
	}
	return &e->keys;
}

void
tls_keys_forget(int (*keep)(const char *service, void *arg), void *arg)
{
	for (struct tls_keys_entry **p = &entries; *p;) {
		struct tls_keys_entry *e = *p;

		if (keep(e->service, arg)) {
			p = &e->next;
			continue;
		}
		*p = e->next;
		tls_keys_entry_free(e);
	}
}
