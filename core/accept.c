/* accept.c - the accepting side of a worker: accept4, the admission of what
 * it took (allow/deny, per_source, proxy_from, rate), the pause after rate
 * or a full descriptor table, and the refusal of a connection that cannot
 * become a request. */
#include "accept.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/time.h>
#include <unistd.h>

#include "access.h"
#include "admit.h"
#include "log.h"
#include "refusals.h"
#include "service.h"

/* Accepting stops for this long after EMFILE/ENFILE/ENOBUFS/ENOMEM, so a
 * full descriptor table does not turn the loop into a busy one. */
#define ACCEPT_PAUSE_MS 100

int
accept_paused(struct ms_service *svc)
{
	long long until = atomic_load(&svc->accept_paused_until), left;

	if (until == 0)
		return 0;
	left = until - service_now_ms();
	if (left <= 0) {
		atomic_compare_exchange_strong(
		    &svc->accept_paused_until, &until, 0);
		return 0;
	}
	return (int)left;
}

void
accept_pause(struct ms_service *svc, int ms)
{
	atomic_store(&svc->accept_paused_until, service_now_ms() + ms);
}

/* proxy_from: only the balancers may send a PROXY header. */
static int
accept_from_balancer(struct ms_service *svc, struct sockaddr_storage *peer)
{
	const struct cidr_list *from = &svc->conf->proxy_from;

	if (from->n == 0 ||
	    access_allowed(from->v, from->n, NULL, 0, (struct sockaddr *)peer))
		return 1;
	refusals_note(svc, REFUSAL_PROXY_FROM, (struct sockaddr *)peer,
	    sizeof(*peer), NULL, 0, MS_LOG_WARN,
	    "not in proxy_from, so not a balancer: closed");
	return 0;
}

/* A blocking socket gives up after idle_timeout without progress.  Set by
 * the acceptor, so a fork model's request process does not map the code. */
static void
accept_set_idle_timeout(const struct ms_service *svc, int fd)
{
	double t = svc->conf->idle_timeout;
	struct timeval tv = {(time_t)t, (suseconds_t)((t - (time_t)t) * 1e6)};

	if (t > 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
}

/* Whether the connection just accepted from peer may go on.  Behind a
 * balancer the client is known only once its PROXY header is read: it is
 * admitted then (request_take_proxy). */
static int
accept_admit(
    struct ms_service *svc, struct sockaddr_storage *peer, int *counted)
{
	*counted = 0;
	if (admit_over_rate(svc))
		accept_pause(svc, (int)(svc->conf->rate_pause * 1000));
	if (svc->conf->proxy_protocol)
		return accept_from_balancer(svc, peer);
	return admit_request(svc, (struct sockaddr *)peer, counted);
}

int
accept_connection(struct ms_service *svc, int lfd,
    struct sockaddr_storage *peer, socklen_t *peerlen, int flags, int *counted)
{
	for (;;) {
		int fd;

		*peerlen = sizeof(*peer);
		fd = accept4(lfd, (struct sockaddr *)peer, peerlen,
		    SOCK_CLOEXEC | flags);
		if (fd >= 0) {
			if (accept_admit(svc, peer, counted)) {
				stats_add(svc->stats, STAT_ACCEPTED, 1);
				if (!(flags & SOCK_NONBLOCK))
					accept_set_idle_timeout(svc, fd);
				return fd;
			}
			stats_add(svc->stats, STAT_REFUSED, 1);
			close(fd);
			continue;
		}
		switch (errno) {
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
			continue;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			log_syserr(MS_LOG_WARN, service_name(svc),
			    "accept (pausing %d ms)", ACCEPT_PAUSE_MS);
			accept_pause(svc, ACCEPT_PAUSE_MS);
			return -1;
		case EAGAIN:
			return -1;
		default:
			log_syserr(MS_LOG_WARN, service_name(svc), "accept");
			return -1;
		}
	}
}

void
accept_refuse(struct ms_service *svc, int fd,
    const struct sockaddr_storage *peer, socklen_t peerlen, int counted,
    const char *why)
{
	char from[ADDR_TEXT_MAX];
	int saved = errno; /* what it failed on, for the log */

	addr_format_for_log(
	    (const struct sockaddr *)peer, peerlen, from, sizeof(from));
	errno = saved;
	log_syserr(MS_LOG_WARN, service_name(svc), "%s: request refused: %s",
	    from, why);
	close(fd);
	if (counted)
		admit_release(svc, (const struct sockaddr *)peer);
}
