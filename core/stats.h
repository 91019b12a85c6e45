/* stats.h - per-service counters, kept in memory the master shares with
 * every worker and request process, read by the master for `modserv -s`. */
#ifndef STATS_H
#define STATS_H

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>

enum stat_counter {
	STAT_ACCEPTED,         /* connections admitted, datagrams received */
	STAT_REFUSED,          /* turned away by allow/deny or per_source */
	STAT_STARTED,          /* requests whose setup succeeded */
	STAT_REQUESTS,         /* requests finished */
	STAT_ERRORS,           /* handle failed, or the connection broke */
	STAT_BYTES_IN,         /* received from clients */
	STAT_BYTES_OUT,        /* sent to clients */
	STAT_TLS_HANDSHAKES,   /* TLS handshakes done */
	STAT_TLS_RESUMED,      /* of them, sessions resumed */
	STAT_TLS_FAILED,       /* TLS handshakes failed or timed out */
	STAT_TLS_HANDSHAKE_US, /* microseconds the done ones took */
	STAT_N_COUNTERS,
};

/* Counters are spread over shards, one per CPU (mod STATS_SHARDS), each a
 * cache line: threads on different cores never contend for one. */
#define STATS_SHARDS 16
#define STATS_MAX_SERVICES 256

struct stats_shard {
	_Atomic unsigned long long v[16];
} __attribute__((aligned(64))); /* two cache lines */

struct stats_service {
	struct stats_shard shard[STATS_SHARDS];
	char name[64];
	unsigned long long restarts; /* the master's own count */
	int workers;                 /* set by the master when it reports */
	_Atomic int odd_return_said; /* a hook's odd return was logged since
	                                a worker last started */
};

/* Makes the shared table (in the master, before any worker).  0 or -1. */
int stats_init(void);
/* The master's state (MS_HOST_*), as workers and their modules see it. */
void stats_set_host_state(int state);
int stats_host_state(void);
/* The counters of the service named name, made on first use; NULL when
 * the table is full (that service is not counted). */
struct stats_service *stats_for(const char *name);

static inline void
stats_add(
    struct stats_service *s, enum stat_counter which, unsigned long long n)
{
	int cpu;

	if (s == NULL)
		return;
	cpu = sched_getcpu();
	atomic_fetch_add_explicit(
	    &s->shard[(cpu < 0 ? 0 : cpu) % STATS_SHARDS].v[which], n,
	    memory_order_relaxed);
}

/* The sum over shards. */
unsigned long long stats_get(
    const struct stats_service *s, enum stat_counter which);
/* Writes the named services' counters in Prometheus' text format. */
void stats_write(FILE *out, struct stats_service *const *services, size_t n);

#endif
