/* pool.h - a small pool of threads that runs the blocking part of requests
 * for an event loop, and hands finished jobs back through an eventfd. */
#ifndef POOL_H
#define POOL_H

struct pool_job {
	struct pool_job *next;
	void (*run)(struct pool_job *job); /* runs on a pool thread */
};

struct pool;

/* Starts threads threads; NULL (errno) on failure. */
struct pool *pool_start(int threads);
/* Queues job; a free thread runs job->run(job). */
void pool_submit(struct pool *p, struct pool_job *job);
/* Readable (an eventfd) while finished jobs wait to be taken. */
int pool_fd(const struct pool *p);
/* The jobs that finished since the last call, in order; NULL if none. */
struct pool_job *pool_take_done(struct pool *p);
/* Lets queued jobs finish, joins the threads, frees p. */
void pool_stop(struct pool *p);

#endif
