/* tls_keys.c - the master's session ticket keys (tls_keys.h). */
#include "tls_keys.h"

#include <time.h>

#include "log.h"

static struct tls_ticket_keys keys;
static int made;          /* keys holds keys */
static long long made_ms; /* when key[0] was made */

static long long
tls_keys_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const struct tls_ticket_keys *
tls_keys_current(void)
{
	static int failed;
	char err[256];

	if (made)
		return &keys;
	if (failed)
		return NULL;
	if (tls_ticket_keys_make(&keys, err, sizeof(err)) < 0) {
		log_error(NULL,
		    "session ticket keys: %s: no session tickets are issued",
		    err);
		failed = 1;
		return NULL;
	}
	made = 1;
	made_ms = tls_keys_now_ms();
	return &keys;
}

int
tls_keys_tick(long long now_ms, long long *next_ms)
{
	long long due = made_ms + (long long)TLS_TICKET_PERIOD * 1000;
	char err[256];

	*next_ms = -1;
	if (!made)
		return 0;
	if (now_ms < due) {
		*next_ms = due - now_ms;
		return 0;
	}
	made_ms = now_ms;
	*next_ms = (long long)TLS_TICKET_PERIOD * 1000;
	if (tls_ticket_keys_rotate(&keys, err, sizeof(err)) < 0) {
		log_warn(
		    NULL, "session ticket keys: %s: kept as they were", err);
		return 0;
	}
	return 1;
}
