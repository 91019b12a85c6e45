/* selfloop.c - refusing datagrams that come from modserv's own datagram
 * listeners, before an answer to one starts a loop. */
#include "selfloop.h"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "service.h"
#include "transport.h"

/* Sources whose last refusal was logged, for the once-a-second limit. */
#define SELFLOOP_SOURCES 16

/* The address, an IPv4-mapped IPv6 one as the IPv4 one it stands for. */
static void
selfloop_unmap(
    struct sockaddr_storage *out, const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_in6 *v6 = (const void *)sa;
	struct sockaddr_in *v4 = (void *)out;

	memset(out, 0, sizeof(*out));
	memcpy(out, sa, len < sizeof(*out) ? len : sizeof(*out));
	if (sa->sa_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr))
		return;
	memset(out, 0, sizeof(*out));
	v4->sin_family = AF_INET;
	v4->sin_port = v6->sin6_port;
	memcpy(&v4->sin_addr, &v6->sin6_addr.s6_addr[12], 4);
}

static int
selfloop_port(const struct sockaddr_storage *a)
{
	return a->ss_family == AF_INET
	           ? ((const struct sockaddr_in *)a)->sin_port
	           : ((const struct sockaddr_in6 *)a)->sin6_port;
}

/* Whether a's address is 0.0.0.0 or :: (a datagram sent there reaches the
 * host itself). */
static int
selfloop_wildcard(const struct sockaddr_storage *a)
{
	return a->ss_family == AF_INET
	           ? ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
	                 htonl(INADDR_ANY)
	           : IN6_IS_ADDR_UNSPECIFIED(
	                 &((const struct sockaddr_in6 *)a)->sin6_addr);
}

static int
selfloop_same_host(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (b == NULL || a->ss_family != b->sa_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)(const void *)b)
		           ->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	           &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr,
	           16) == 0;
}

/* Whether a is an address of this host: unspecified, loopback, or one of
 * an interface's. */
static int
selfloop_local(const struct sockaddr_storage *a)
{
	struct ifaddrs *all, *i;
	int local = 0;

	if (selfloop_wildcard(a))
		return 1;
	if (a->ss_family == AF_INET
	        ? (ntohl(((const struct sockaddr_in *)a)->sin_addr.s_addr) >>
	              24) == 127
	        : IN6_IS_ADDR_LOOPBACK(
	              &((const struct sockaddr_in6 *)a)->sin6_addr))
		return 1;
	if (getifaddrs(&all) < 0)
		return 1; /* cannot tell: an answer might loop */
	for (i = all; i && !local; i = i->ifa_next)
		local = selfloop_same_host(a, i->ifa_addr);
	freeifaddrs(all);
	return local;
}

/* Whether an answer to peer (unmapped) would reach listener l. */
static int
selfloop_inet(const struct sockaddr_storage *peer, const struct listen_addr *l)
{
	struct sockaddr_storage own;

	if (l->ss.ss_family != AF_INET && l->ss.ss_family != AF_INET6)
		return 0;
	selfloop_unmap(&own, (const struct sockaddr *)&l->ss, l->len);
	if (selfloop_port(&own) != selfloop_port(peer) ||
	    selfloop_port(peer) == 0)
		return 0;
	/* [::] takes IPv4 too only without IPV6_V6ONLY */
	if (selfloop_wildcard(&own) &&
	    (own.ss_family == peer->ss_family || l->dual_stack))
		return selfloop_local(peer);
	if (own.ss_family != peer->ss_family)
		return 0;
	return selfloop_wildcard(peer) ||
	       selfloop_same_host(peer, (const struct sockaddr *)&own);
}

/* Whether the socket file at path (a symbolic link followed) is listener
 * l's; st is path's, or NULL when it has none. */
static int
selfloop_unix(
    const char *path, const struct stat *st, const struct listen_addr *l)
{
	const struct sockaddr_un *own = (const void *)&l->ss;
	struct stat lst;

	if (l->ss.ss_family != AF_UNIX)
		return 0;
	if (strncmp(path, own->sun_path, sizeof(own->sun_path)) == 0)
		return 1;
	if (st == NULL)
		return 0;
	if (l->ino != 0) /* the file modserv made */
		return st->st_dev == l->dev && st->st_ino == l->ino;
	return stat(own->sun_path, &lst) == 0 && st->st_dev == lst.st_dev &&
	       st->st_ino == lst.st_ino; /* the service manager's */
}

/* The datagram service of svc's configuration peer is a listener of, or
 * NULL. */
static const struct service_conf *
selfloop_listener(const struct ms_service *svc,
    const struct sockaddr_storage *peer, socklen_t len)
{
	const struct service_conf *all =
	    svc->cfg ? svc->cfg->services : svc->conf;
	size_t n = svc->cfg ? svc->cfg->nservices : 1;
	const struct sockaddr_un *sun = (const void *)peer;
	char path[sizeof(sun->sun_path) + 1] = "";
	struct stat st;
	int has_st = 0;

	if (peer->ss_family == AF_UNIX) {
		if (len <= offsetof(struct sockaddr_un, sun_path) ||
		    sun->sun_path[0] == '\0')
			return NULL; /* unnamed or abstract: no listener's */
		len -= offsetof(struct sockaddr_un, sun_path);
		memcpy(path, sun->sun_path,
		    len < sizeof(sun->sun_path) ? len : sizeof(sun->sun_path));
		has_st = stat(path, &st) == 0;
	}
	for (size_t s = 0; s < n; s++) {
		if (all[s].transport->socktype != SOCK_DGRAM)
			continue;
		for (size_t i = 0; i < all[s].naddrs; i++)
			if (peer->ss_family == AF_UNIX
			        ? selfloop_unix(path, has_st ? &st : NULL,
			              &all[s].addrs[i])
			        : selfloop_inet(peer, &all[s].addrs[i]))
				return &all[s];
	}
	return NULL;
}

/* Whether a refusal of a datagram from peer is to be logged now: once a
 * second for one source; *held becomes the refusals not logged since. */
static int
selfloop_log_due(const struct sockaddr_storage *peer, unsigned long *held)
{
	static struct {
		struct sockaddr_storage peer;
		long long last; /* ms */
		unsigned long held;
	} seen[SELFLOOP_SOURCES];
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct timespec ts;
	long long now;
	size_t i, oldest = 0;
	int due = 1;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	pthread_mutex_lock(&lock);
	for (i = 0; i < SELFLOOP_SOURCES; i++) {
		if (memcmp(&seen[i].peer, peer, sizeof(*peer)) == 0)
			break;
		if (seen[i].last < seen[oldest].last)
			oldest = i;
	}
	if (i == SELFLOOP_SOURCES) { /* a new source takes the oldest's place */
		i = oldest;
		seen[i].peer = *peer;
		seen[i].last = 0;
		seen[i].held = 0;
	}
	if (seen[i].last != 0 && now - seen[i].last < 1000) {
		seen[i].held++;
		due = 0;
	} else {
		*held = seen[i].held;
		seen[i].held = 0;
		seen[i].last = now;
	}
	pthread_mutex_unlock(&lock);
	return due;
}

int
selfloop_refused(
    struct ms_service *svc, const struct sockaddr *peer, socklen_t len)
{
	const struct service_conf *own;
	struct sockaddr_storage from;
	char text[ADDR_TEXT_MAX], more[64] = "";
	unsigned long held = 0;

	if (peer->sa_family != AF_INET && peer->sa_family != AF_INET6 &&
	    peer->sa_family != AF_UNIX)
		return 0;
	selfloop_unmap(&from, peer, len);
	if ((own = selfloop_listener(svc, &from, len)) == NULL)
		return 0;
	if (selfloop_log_due(&from, &held)) {
		addr_format(peer, len, text, sizeof(text));
		if (held > 0)
			snprintf(more, sizeof(more),
			    " (and %lu more since the last such line)", held);
		log_warn(service_name(svc),
		    "%s: datagram from a listening address of service %s: dropped unanswered, an answer would loop%s",
		    text, own->name, more);
	}
	return 1;
}
