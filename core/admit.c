/* admit.c - allow/deny, concurrent requests per source address, and new
 * connections per second (like xinetd's only_from/no_access, per_source and
 * cps).  A worker's counts for its service are shared by its threads. */
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

/* A source address and how many of its requests run. */
struct source {
	uint8_t addr[16];
	int family;
	int active;
};

/* A service's admission state in one worker, shared by its threads. */
struct admit {
	/* per_source: an open-addressed table, sized to hold max_clients
	 * sources at half load; entries whose count falls to 0 are kept as
	 * tombstones until it fills.  No slots: per_source is off. */
	pthread_mutex_t sources_lock;
	struct source *slots;
	size_t size; /* a power of two */
	/* rate: threads of the thread model accept too */
	pthread_mutex_t rate_lock;
	long long window; /* the second being counted, in ms */
	int count;
};

int
admit_init(struct ms_service *svc)
{
	struct admit *a = calloc(1, sizeof(*a));
	size_t size = 16;

	if (a == NULL)
		goto nomem;
	pthread_mutex_init(&a->sources_lock, NULL);
	pthread_mutex_init(&a->rate_lock, NULL);
	svc->admit = a;
	if (svc->conf->per_source == 0)
		return 0;
	while (size < (size_t)svc->conf->max_clients * 2)
		size *= 2;
	if ((a->slots = calloc(size, sizeof(*a->slots))) == NULL)
		goto nomem;
	a->size = size;
	return 0;
nomem:
	log_error(service_name(svc), "no memory for per_source and rate");
	return -1;
}

void
admit_free(struct ms_service *svc)
{
	struct admit *a = svc->admit;

	if (a == NULL)
		return;
	pthread_mutex_destroy(&a->sources_lock);
	pthread_mutex_destroy(&a->rate_lock);
	free(a->slots);
	free(a);
	svc->admit = NULL;
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
admit_find(
    struct admit *a, const struct sockaddr *sa, const uint8_t *key, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	struct source *empty = NULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ key[i]) * 16777619u;
	for (size_t i = 0; i < a->size; i++) {
		struct source *s = &a->slots[(h + i) & (a->size - 1)];

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

/* Counts a request from sa against per_source: 1 counted, 0 not counted
 * (per_source is off, or sa has no address), -1 refused. */
static int
admit_source_acquire(struct ms_service *svc, const struct sockaddr *sa)
{
	struct admit *a = svc->admit;
	const uint8_t *key;
	size_t len = admit_key(sa, &key);
	struct source *s;
	int ok = 1;

	if (a->slots == NULL || len == 0)
		return 0;
	pthread_mutex_lock(&a->sources_lock);
	if ((s = admit_find(a, sa, key, len)) == NULL ||
	    s->active >= svc->conf->per_source) {
		ok = -1;
	} else {
		if (s->family != sa->sa_family || memcmp(s->addr, key, len)) {
			memset(s->addr, 0, sizeof(s->addr));
			memcpy(s->addr, key, len);
			s->family = sa->sa_family;
		}
		s->active++;
	}
	pthread_mutex_unlock(&a->sources_lock);
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
admit_request(struct ms_service *svc, const struct sockaddr *peer, int *counted)
{
	const struct service_conf *sc = svc->conf;
	char what[96];
	int acquired;

	*counted = 0;
	if (!admit_allowed(svc, peer))
		return 0;
	if ((acquired = admit_source_acquire(svc, peer)) < 0) {
		snprintf(what, sizeof(what),
		    "refused: already %d request%s from there (per_source)",
		    sc->per_source, sc->per_source == 1 ? "" : "s");
		refusals_note(svc, REFUSAL_PER_SOURCE, peer,
		    sizeof(struct sockaddr_storage), NULL, 0, MS_LOG_WARN,
		    what);
		return 0;
	}
	*counted = acquired;
	return 1;
}

void
admit_release(struct ms_service *svc, const struct sockaddr *peer)
{
	struct admit *a = svc->admit;
	const uint8_t *key;
	size_t len = admit_key(peer, &key);
	struct source *s;

	if (a->slots == NULL || len == 0)
		return;
	pthread_mutex_lock(&a->sources_lock);
	if ((s = admit_find(a, peer, key, len)) != NULL && s->active > 0 &&
	    s->family == peer->sa_family)
		s->active--;
	pthread_mutex_unlock(&a->sources_lock);
}

int
admit_over_rate(struct ms_service *svc)
{
	struct admit *a = svc->admit;
	long long now;
	int over;

	if (svc->conf->rate == 0)
		return 0;
	now = service_now_ms();
	pthread_mutex_lock(&a->rate_lock);
	if (now - a->window >= 1000) {
		a->window = now;
		a->count = 0;
	}
	if ((over = ++a->count > svc->conf->rate))
		a->count = 0;
	pthread_mutex_unlock(&a->rate_lock);
	if (over)
		log_warn(service_name(svc),
		    "more than %d connections a second: accepting paused for %g s",
		    svc->conf->rate, svc->conf->rate_pause);
	return over;
}
