/* model_thread.c - a thread per request, as socketserver's ThreadingMixIn,
 * bounded by max_clients: at the limit the model stops accepting and new
 * clients wait in the listen backlog.
 *
 * A thread whose request ended first takes the next client waiting in the
 * backlog itself, if there is one: no thread is woken for it.  Otherwise it
 * waits a while for the acceptor to hand it one (up to spare_threads of
 * them, as Apache's worker keeps spare threads): handing a request to a
 * waiting thread costs a wakeup, creating one a clone, a kernel stack and
 * an exit, all on the single acceptor's time. */
#include "model.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "accept.h"
#include "log.h"
#include "refusals.h"
#include "request.h"
#include "transport.h"
#include "worker.h"

/* How long a spare thread waits for another request before it exits. */
#define SPARE_LINGER_S 10

/* A thread waiting for its next request, on that thread's stack.  Taken
 * off the list under the lock, then posted: the lock is never held while
 * a thread is woken, so the woken one does not wait for it. */
struct spare {
	sem_t wake;
	struct job *job; /* handed over; NULL: exit */
	struct spare *next;
};

/* One worker's request threads and what they share (pool.c's struct pool
 * is the select model's blocking threads). */
struct thread_pool {
	struct ms_service *svc;
	atomic_int active;
	int max;
	int wakefd;           /* eventfd: a slot freed, or the last ended */
	char *scratch;        /* datagram transports: receive buffer */
	pthread_mutex_t lock; /* guards what follows */
	pthread_cond_t gone;  /* the last thread exited while closing */
	struct spare *spares; /* the last to wait first: its stack is warm */
	int nspare, threads, closing;
	/* request threads accept while listening; the acceptor waits for
	 * those accepting before it closes the listeners */
	atomic_int listening, accepting;
	atomic_uint next; /* the listener a request thread tries first */
};

/* A stream request, or a datagram with its bytes after the struct. */
struct job {
	struct thread_pool *pool;
	int lfd; /* a datagram's listener: its reply leaves by it */
	struct ms_request req;
	size_t len;
	char bytes[];
};

static void
thread_release(struct thread_pool *pool)
{
	int was = atomic_fetch_sub(&pool->active, 1);

	if (was == pool->max || was == 1) {
		uint64_t one = 1;

		if (write(pool->wakefd, &one, sizeof(one)) < 0)
			log_syserr(MS_LOG_WARN, service_name(pool->svc),
			    "waking the acceptor");
	}
}

/* Waits, as a spare, for the acceptor to hand over a request: NULL when
 * there are spares enough, the wait ran out or the model is closing. */
static struct job *
thread_next(struct thread_pool *pool)
{
	struct spare me = {.job = NULL};
	struct timespec until;
	int rc;

	pthread_mutex_lock(&pool->lock);
	if (pool->closing || pool->nspare >= pool->svc->conf->spare_threads) {
		pthread_mutex_unlock(&pool->lock);
		return NULL;
	}
	sem_init(&me.wake, 0, 0);
	me.next = pool->spares;
	pool->spares = &me;
	pool->nspare++;
	pthread_mutex_unlock(&pool->lock);
	/* the real-time clock, as sem_timedwait has it: a clock step only
	 * makes a spare linger shorter or longer */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += SPARE_LINGER_S;
	while ((rc = sem_timedwait(&me.wake, &until)) < 0 && errno == EINTR)
		;
	if (rc < 0) {
		int listed = 0;

		pthread_mutex_lock(&pool->lock);
		for (struct spare **pp = &pool->spares; *pp; pp = &(*pp)->next)
			if (*pp == &me) {
				*pp = me.next;
				pool->nspare--;
				listed = 1;
				break;
			}
		pthread_mutex_unlock(&pool->lock);
		/* taken off the list already: its post is coming */
		while (!listed && sem_wait(&me.wake) < 0 && errno == EINTR)
			;
	}
	sem_destroy(&me.wake);
	return me.job;
}

static void
thread_serve(struct thread_pool *pool, struct job *job)
{
	if (job->req.datagram)
		request_serve_datagram(pool->svc, job->lfd, job->bytes,
		    job->len, (struct sockaddr *)&job->req.peer,
		    job->req.peerlen);
	else
		request_serve_stream(&job->req);
	free(job);
}

/* The job for a connection accepted (fd, per_source counted it or not),
 * or for a datagram of len bytes in scratch (fd -1) that came in on lfd.
 * NULL without memory: the connection refused or the datagram dropped,
 * and logged. */
static struct job *
thread_job(struct thread_pool *pool, int fd, int counted, int lfd, size_t len,
    struct sockaddr_storage *peer, socklen_t plen)
{
	struct ms_service *svc = pool->svc;
	struct job *job = malloc(sizeof(*job) + (fd < 0 ? len : 0));

	if (job == NULL) {
		if (fd >= 0)
			accept_refuse(
			    svc, fd, peer, plen, counted, "no memory");
		else
			log_warn(
			    service_name(svc), "datagram dropped: no memory");
		return NULL;
	}
	if (fd < 0) {
		memcpy(job->bytes, pool->scratch, len);
		job->len = len;
	}
	request_init(
	    &job->req, svc, fd, (struct sockaddr *)peer, plen, counted);
	job->lfd = lfd;
	job->pool = pool;
	return job;
}

/* A client waiting on any of the listeners, or -1.  With several, a thread
 * starts at the next one each time, so that a busy listener leaves none of
 * the others' clients waiting for the acceptor. */
static int
thread_accept_any(struct thread_pool *pool, struct sockaddr_storage *peer,
    socklen_t *plen, int *counted)
{
	struct ms_service *svc = pool->svc;
	int n = svc->nlisten, i = 0, fd = -1;

	if (n > 1)
		i = (int)(atomic_fetch_add(&pool->next, 1) % (unsigned)n);
	for (int tried = 0; tried < n; tried++) {
		fd = accept_connection(
		    svc, svc->listen_fd[i], peer, plen, 0, counted);
		if (fd >= 0 || errno != EAGAIN)
			break;
		i = i + 1 < n ? i + 1 : 0;
	}
	return fd;
}

/* The next client waiting in the backlog, taken by a thread whose request
 * ended, in the slot it holds; NULL when none waits, accepting is paused
 * or over, the transport has datagrams, or threads are not to be reused
 * (spare_threads = 0). */
static struct job *
thread_accept_next(struct thread_pool *pool)
{
	struct ms_service *svc = pool->svc;
	struct sockaddr_storage peer;
	socklen_t plen;
	int fd = -1, counted = 0;

	if (pool->scratch || svc->conf->spare_threads == 0 ||
	    accept_paused(svc))
		return NULL;
	atomic_fetch_add(&pool->accepting, 1);
	if (atomic_load(&pool->listening))
		fd = thread_accept_any(pool, &peer, &plen, &counted);
	atomic_fetch_sub(&pool->accepting, 1);
	return fd < 0 ? NULL
	              : thread_job(pool, fd, counted, -1, 0, &peer, plen);
}

static void *
thread_main(void *arg)
{
	struct job *job = arg;
	struct thread_pool *pool = job->pool;

	do {
		do
			thread_serve(pool, job);
		while ((job = thread_accept_next(pool)) != NULL);
		thread_release(pool);
	} while ((job = thread_next(pool)) != NULL);
	pthread_mutex_lock(&pool->lock);
	if (--pool->threads == 0 && pool->closing)
		pthread_cond_signal(&pool->gone);
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

/* Hands the request to a spare thread: 0, or -1 when none waits. */
static int
thread_hand_over(struct thread_pool *pool, struct job *job)
{
	struct spare *s;

	pthread_mutex_lock(&pool->lock);
	if ((s = pool->spares) == NULL) {
		pool->threads++; /* the one about to be started */
		pthread_mutex_unlock(&pool->lock);
		return -1;
	}
	pool->spares = s->next;
	pool->nspare--;
	pthread_mutex_unlock(&pool->lock);
	s->job = job;
	sem_post(&s->wake);
	return 0;
}

/* Tells the spares to exit and waits for every thread to have left, when
 * no request is left running; a thread cut off by the shutdown deadline
 * ends with the process. */
static void
thread_close(struct thread_pool *pool, int cut_off)
{
	struct spare *spares;

	pthread_mutex_lock(&pool->lock);
	pool->closing = 1;
	spares = pool->spares;
	pool->spares = NULL;
	pool->nspare = 0;
	pthread_mutex_unlock(&pool->lock);
	while (spares != NULL) {
		struct spare *s = spares;

		spares = s->next; /* before s may be gone */
		sem_post(&s->wake);
	}
	pthread_mutex_lock(&pool->lock);
	while (!cut_off && pool->threads > 0)
		pthread_cond_wait(&pool->gone, &pool->lock);
	pthread_mutex_unlock(&pool->lock);
}

static void
thread_start(struct thread_pool *pool, struct job *job)
{
	pthread_t tid;
	pthread_attr_t attr;
	int rc;

	atomic_fetch_add(&pool->active, 1);
	if (thread_hand_over(pool, job) == 0)
		return;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, (size_t)pool->svc->conf->thread_stack);
	rc = pthread_create(&tid, &attr, thread_main, job);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		errno = rc;
		log_syserr(MS_LOG_WARN, service_name(pool->svc),
		    "%s: request refused: no thread", ms_peer(&job->req));
		request_finish(&job->req);
		free(job);
		atomic_fetch_sub(&pool->active, 1);
		pthread_mutex_lock(&pool->lock);
		pool->threads--;
		pthread_mutex_unlock(&pool->lock);
	}
}

/* Accepts (or receives) from lfd while there is a free slot and something
 * waiting.  A datagram is received into scratch, then copied into its
 * job. */
static void
thread_take(struct thread_pool *pool, int lfd)
{
	struct ms_service *svc = pool->svc;
	struct sockaddr_storage peer;
	socklen_t plen;
	struct job *job;
	ssize_t n;
	int counted = 0;

	while (atomic_load(&pool->active) < pool->max && !svc->stopping) {
		if (pool->scratch)
			n = request_recv_datagram(
			    svc, lfd, pool->scratch, &peer, &plen);
		else
			n = accept_connection(
			    svc, lfd, &peer, &plen, 0, &counted);
		if (n < 0)
			return;
		if ((job = thread_job(pool, pool->scratch ? -1 : (int)n,
		         counted, lfd, (size_t)n, &peer, plen)) == NULL)
			return;
		thread_start(pool, job);
	}
}

/* Waits for requests to end, up to the shutdown deadline.  0 when all
 * did, 1 when some were cut off. */
static int
thread_drain(struct thread_pool *pool)
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
	struct thread_pool pool = {.svc = svc,
	    .max = svc->conf->max_clients,
	    .lock = PTHREAD_MUTEX_INITIALIZER,
	    .gone = PTHREAD_COND_INITIALIZER,
	    .listening = 1};
	struct pollfd pfd[2 + ADDR_LIST_MAX];
	nfds_t npfd = 2 + (nfds_t)svc->nlisten;
	uint64_t v;
	int cut_off;

	if (service_dgram_buffer(svc, &pool.scratch) < 0)
		return -1;
	if ((pool.wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		log_syserr(MS_LOG_ERROR, service_name(svc), "eventfd");
		free(pool.scratch);
		return -1;
	}
	pfd[0] = (struct pollfd){.fd = svc->sigfd, .events = POLLIN};
	pfd[1] = (struct pollfd){.fd = pool.wakefd, .events = POLLIN};
	for (nfds_t i = 2; i < npfd; i++)
		pfd[i] = (struct pollfd){
		    .fd = svc->listen_fd[i - 2], .events = POLLIN};
	while (!svc->stopping) {
		int pause = accept_paused(svc);
		int take = atomic_load(&pool.active) < pool.max && pause == 0;

		if (poll(pfd, take ? npfd : 2,
		        refusals_timeout(svc, pause > 0 ? pause : -1)) < 0 &&
		    errno != EINTR)
			break;
		if (pfd[0].revents)
			service_read_signals(svc);
		if (pfd[1].revents && read(pool.wakefd, &v, sizeof(v)) < 0)
			break;
		for (nfds_t i = 2; take && i < npfd; i++)
			if (pfd[i].revents)
				thread_take(&pool, pfd[i].fd);
	}
	free(pool.scratch);
	atomic_store(&pool.listening, 0);
	while (atomic_load(&pool.accepting) > 0)
		sched_yield();
	worker_stop_listening(svc);
	cut_off = thread_drain(&pool);
	thread_close(&pool, cut_off);
	return cut_off;
}

const struct model model_thread = {
    .name = "thread",
    .features = 0,
    .run = thread_run,
};
