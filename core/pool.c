/* pool.c - fixed threads, one queue in, one queue out. */
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct job_queue {
	struct pool_job *head, *tail;
};

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* a job was queued, or stopping */
	struct job_queue todo, done;
	int stopping;
	int donefd;
	int nthreads;
	pthread_t threads[];
};

static void
queue_push(struct job_queue *q, struct pool_job *job)
{
	job->next = NULL;
	if (q->tail)
		q->tail->next = job;
	else
		q->head = job;
	q->tail = job;
}

static void *
pool_thread(void *arg)
{
	struct pool *p = arg;
	uint64_t one = 1;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct pool_job *job = p->todo.head;

		if (job == NULL) {
			if (p->stopping)
				break;
			pthread_cond_wait(&p->wake, &p->lock);
			continue;
		}
		if ((p->todo.head = job->next) == NULL)
			p->todo.tail = NULL;
		pthread_mutex_unlock(&p->lock);
		job->run(job);
		pthread_mutex_lock(&p->lock);
		queue_push(&p->done, job);
		if (write(p->donefd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow in practice: ignore */
		}
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct pool *
pool_start(int threads)
{
	struct pool *p = calloc(1, sizeof(*p) + sizeof(pthread_t) * threads);
	int rc;

	if (p == NULL)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	if ((p->donefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		free(p);
		return NULL;
	}
	for (; p->nthreads < threads; p->nthreads++) {
		if ((rc = pthread_create(&p->threads[p->nthreads], NULL,
		         pool_thread, p)) != 0) {
			pool_stop(p);
			errno = rc;
			return NULL;
		}
	}
	return p;
}

void
pool_submit(struct pool *p, struct pool_job *job)
{
	pthread_mutex_lock(&p->lock);
	queue_push(&p->todo, job);
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
}

int
pool_fd(const struct pool *p)
{
	return p->donefd;
}

struct pool_job *
pool_take_done(struct pool *p)
{
	struct pool_job *jobs;
	uint64_t n;

	if (read(p->donefd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return NULL;
	pthread_mutex_lock(&p->lock);
	jobs = p->done.head;
	p->done.head = p->done.tail = NULL;
	pthread_mutex_unlock(&p->lock);
	return jobs;
}

void
pool_stop(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	close(p->donefd);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->wake);
	free(p);
}
