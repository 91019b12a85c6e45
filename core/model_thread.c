/* model_thread.c - a thread per request, as socketserver's ThreadingMixIn,
 * bounded by max_clients: at the limit the model stops accepting and new
 * clients wait in the listen backlog. */
#include "model.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "admit.h"
#include "log.h"
#include "request.h"
#include "transport.h"
#include "worker.h"

struct pool {
	struct ms_service *svc;
	atomic_int active;
	int max;
	int wakefd;    /* eventfd: a slot freed, or the last ended */
	char *scratch; /* datagram transports: receive buffer */
};

/* A stream request, or a datagram with its bytes after the struct. */
struct job {
	struct pool *pool;
	struct ms_request req;
	size_t len;
	char bytes[];
};

static void
thread_release(struct pool *pool)
{
	int was = atomic_fetch_sub(&pool->active, 1);

	if (was == pool->max || was == 1) {
		uint64_t one = 1;

		if (write(pool->wakefd, &one, sizeof(one)) < 0)
			log_syserr(MS_LOG_WARN, service_name(pool->svc),
			    "waking the acceptor");
	}
}

static void *
thread_main(void *arg)
{
	struct job *job = arg;
	struct pool *pool = job->pool;

	if (job->req.datagram)
		request_serve_datagram(pool->svc, job->bytes, job->len,
		    (struct sockaddr *)&job->req.peer, job->req.peerlen);
	else {
		request_serve_stream(&job->req);
		request_unadmit(&job->req);
	}
	free(job);
	thread_release(pool);
	return NULL;
}

static void
thread_start(struct pool *pool, struct job *job)
{
	pthread_t tid;
	pthread_attr_t attr;
	int rc;

	job->pool = pool;
	atomic_fetch_add(&pool->active, 1);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, (size_t)pool->svc->conf->thread_stack);
	rc = pthread_create(&tid, &attr, thread_main, job);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		errno = rc;
		log_syserr(MS_LOG_WARN, service_name(pool->svc),
		    "%s: request refused: no thread", ms_peer(&job->req));
		if (!job->req.datagram) {
			close(job->req.fd);
			request_unadmit(&job->req);
		}
		free(job);
		atomic_fetch_sub(&pool->active, 1);
	}
}

/* Accepts (or receives) while there is a free slot and something waiting.
 * A datagram is received into scratch, then copied into its job. */
static void
thread_take(struct pool *pool)
{
	struct ms_service *svc = pool->svc;
	struct sockaddr_storage peer;
	socklen_t plen;
	struct job *job;
	ssize_t n;

	while (atomic_load(&pool->active) < pool->max && !svc->stopping) {
		if (pool->scratch)
			n = request_recv_datagram(
			    svc, pool->scratch, &peer, &plen);
		else
			n = worker_accept(svc, &peer, &plen, 0);
		if (n < 0)
			return;
		if ((job = malloc(sizeof(*job) +
		                  (pool->scratch ? (size_t)n : 0))) == NULL) {
			log_warn(
			    service_name(svc), "request refused: no memory");
			if (!pool->scratch)
				close((int)n);
			return;
		}
		if (pool->scratch) {
			memcpy(job->bytes, pool->scratch, (size_t)n);
			job->len = (size_t)n;
		}
		request_init(&job->req, svc, pool->scratch ? -1 : (int)n,
		    (struct sockaddr *)&peer, plen);
		thread_start(pool, job);
	}
}

/* Waits for requests to end, up to the shutdown deadline.  0 when all
 * did, 1 when some were cut off. */
static int
thread_drain(struct pool *pool)
{
	long long deadline = service_drain_deadline(pool->svc);
	struct pollfd pfd = {.fd = pool->wakefd, .events = POLLIN};
	uint64_t v;

	while (atomic_load(&pool->active) > 0) {
		long long left = deadline - service_now_ms();

		if (left <= 0) {
			log_warn(service_name(pool->svc),
			    "shutdown_timeout: %d requests cut off",
			    atomic_load(&pool->active));
			return 1;
		}
		if (poll(&pfd, 1, (int)left) > 0 &&
		    read(pool->wakefd, &v, sizeof(v)) < 0)
			return 1;
	}
	return 0;
}

static int
thread_run(struct ms_service *svc)
{
	struct pool pool = {.svc = svc, .max = svc->conf->max_clients};
	struct pollfd pfd[3];
	uint64_t v;

	if (svc->conf->transport->socktype == SOCK_DGRAM &&
	    (pool.scratch = malloc(REQUEST_DGRAM_MAX)) == NULL) {
		log_error(service_name(svc), "no memory for a receive buffer");
		return -1;
	}
	if ((pool.wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		log_syserr(MS_LOG_ERROR, service_name(svc), "eventfd");
		free(pool.scratch);
		return -1;
	}
	pfd[0] = (struct pollfd){.fd = svc->sigfd, .events = POLLIN};
	pfd[1] = (struct pollfd){.fd = pool.wakefd, .events = POLLIN};
	pfd[2] = (struct pollfd){.fd = svc->listen_fd, .events = POLLIN};
	while (!svc->stopping) {
		int pause = worker_accept_paused(svc);
		int take = atomic_load(&pool.active) < pool.max && pause == 0;

		if (poll(pfd, take ? 3 : 2, pause > 0 ? pause : -1) < 0 &&
		    errno != EINTR)
			break;
		if (pfd[0].revents)
			service_read_signals(svc);
		if (pfd[1].revents && read(pool.wakefd, &v, sizeof(v)) < 0)
			break;
		if (take && pfd[2].revents)
			thread_take(&pool);
	}
	free(pool.scratch);
	worker_stop_listening(svc);
	return thread_drain(&pool);
}

const struct model model_thread = {
    .name = "thread",
    .run = thread_run,
};
