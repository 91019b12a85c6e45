/* admit.c - allow/deny, concurrent requests per source address, and new
 * connections per second (like xinetd's only_from/no_access, per_source and
 * cps).  The per-source table is shared by a worker's threads. */
#include "admit.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "refusals.h"
#include "service.h"
#include "worker.h"

/* A source address and how many of its requests run. */
struct source {
	uint8_t addr[16];
	int family;
	int active;
};

/* An open-addressed table, sized to hold max_clients sources at half load;
 * entries whose count falls to 0 are kept as tombstones until it fills. */
static struct {
	pthread_mutex_t lock;
	struct source *slots;
	size_t size; /* a power of two */
	size_t used;
} sources = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0};

static struct {
	pthread_mutex_t lock; /* threads of the thread model accept too */
	long long window;     /* the second being counted, in ms */
	int count;
} rate = {PTHREAD_MUTEX_INITIALIZER, 0, 0};

int
admit_init(struct ms_service *svc)
{
	size_t size = 16;

	if (svc->conf->per_source == 0)
		return 0;
	while (size < (size_t)svc->conf->max_clients * 2)
		size *= 2;
	if ((sources.slots = calloc(size, sizeof(*sources.slots))) == NULL) {
		log_error(service_name(svc), "no memory for per_source");
		return -1;
	}
	sources.size = size;
	return 0;
}

/* The address bytes of sa and their length; 0 for unix peers. */
static size_t
admit_key(const struct sockaddr *sa, const uint8_t **key)
{
	if (sa->sa_family == AF_INET) {
		*key = (const uint8_t *)&((const struct sockaddr_in *)sa)
		           ->sin_addr;
		return 4;
	}
	if (sa->sa_family == AF_INET6) {
		*key = (const uint8_t *)&((const struct sockaddr_in6 *)sa)
		           ->sin6_addr;
		return 16;
	}
	return 0;
}

/* The slot of sa: its own, or an empty one to take (NULL: full). */
static struct source *
admit_find(const struct sockaddr *sa, const uint8_t *key, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	struct source *empty = NULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ key[i]) * 16777619u;
	for (size_t i = 0; i < sources.size; i++) {
		struct source *s = &sources.slots[(h + i) & (sources.size - 1)];

		if (s->family == sa->sa_family &&
		    memcmp(s->addr, key, len) == 0)
			return s;
		if (s->family == 0)
			return empty ? empty : s;
		if (s->active == 0 && empty == NULL)
			empty = s; /* a tombstone: reuse it */
	}
	return empty;
}

static int
admit_source_acquire(struct ms_service *svc, const struct sockaddr *sa)
{
	const uint8_t *key;
	size_t len = admit_key(sa, &key);
	struct source *s;
	int ok = 1;

	if (sources.slots == NULL || len == 0)
		return 1;
	pthread_mutex_lock(&sources.lock);
	if ((s = admit_find(sa, key, len)) == NULL ||
	    s->active >= svc->conf->per_source) {
		ok = 0;
	} else {
		if (s->family != sa->sa_family || memcmp(s->addr, key, len)) {
			memset(s->addr, 0, sizeof(s->addr));
			memcpy(s->addr, key, len);
			s->family = sa->sa_family;
		}
		s->active++;
	}
	pthread_mutex_unlock(&sources.lock);
	return ok;
}

int
admit_allowed(struct ms_service *svc, const struct sockaddr *peer)
{
	const struct service_conf *sc = svc->conf;

	if (access_allowed(
	        sc->allow.v, sc->allow.n, sc->deny.v, sc->deny.n, peer))
		return 1;
	refusals_note(svc, REFUSAL_ALLOW_DENY, peer,
	    sizeof(struct sockaddr_storage), NULL, 0, MS_LOG_INFO,
	    "refused by allow/deny");
	return 0;
}

int
admit_request(struct ms_service *svc, const struct sockaddr *peer)
{
	const struct service_conf *sc = svc->conf;
	char what[96];

	if (!admit_allowed(svc, peer))
		return 0;
	if (!admit_source_acquire(svc, peer)) {
		snprintf(what, sizeof(what),
		    "refused: already %d request%s from there (per_source)",
		    sc->per_source, sc->per_source == 1 ? "" : "s");
		refusals_note(svc, REFUSAL_PER_SOURCE, peer,
		    sizeof(struct sockaddr_storage), NULL, 0, MS_LOG_WARN,
		    what);
		return 0;
	}
	return 1;
}

void
admit_release(struct ms_service *svc, const struct sockaddr *peer)
{
	const uint8_t *key;
	size_t len = admit_key(peer, &key);
	struct source *s;

	(void)svc;
	if (sources.slots == NULL || len == 0)
		return;
	pthread_mutex_lock(&sources.lock);
	if ((s = admit_find(peer, key, len)) != NULL && s->active > 0 &&
	    s->family == peer->sa_family)
		s->active--;
	pthread_mutex_unlock(&sources.lock);
}

void
admit_count_connection(struct ms_service *svc)
{
	long long now;
	int over;

	if (svc->conf->rate == 0)
		return;
	now = service_now_ms();
	pthread_mutex_lock(&rate.lock);
	if (now - rate.window >= 1000) {
		rate.window = now;
		rate.count = 0;
	}
	if ((over = ++rate.count > svc->conf->rate))
		rate.count = 0;
	pthread_mutex_unlock(&rate.lock);
	if (over) {
		log_warn(service_name(svc),
		    "more than %d connections a second: accepting paused for "
		    "%g s",
		    svc->conf->rate, svc->conf->rate_pause);
		worker_accept_pause(svc, (int)(svc->conf->rate_pause * 1000));
	}
}
