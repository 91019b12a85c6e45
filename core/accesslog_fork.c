/* accesslog_fork.c - under fork, the worker writes its request processes'
 * lines as it reaps them: in a request process the line's code and libc
 * pages would cost a page fault each.  The child leaves what it knows in a
 * record shared with the worker. */
#include "accesslog_fork.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "accesslog.h"
#include "request.h"
#include "service.h"

/* A TLS fact's bytes in a record, NUL included; a longer one is cut. */
#define ACCESSLOG_TLS_FACT_MAX 256

/* What a fork model's request process tells its worker (which knows the
 * rest: when it forked it, and when it reaped it). */
struct accesslog_record {
	int done;       /* the request ended: the rest is set */
	int handed_off; /* to a program (ms_exec): never "empty" */
	int refused;    /* its refusal had its line (or was counted) */
	enum accesslog_end end;
	unsigned long long bytes_in, bytes_out;
	socklen_t peerlen, balancerlen;
	struct sockaddr_storage peer, balancer;
	unsigned char tls_set[ACCESSLOG_TLS_N]; /* 0: that fact is NULL */
	char tls[ACCESSLOG_TLS_N][ACCESSLOG_TLS_FACT_MAX];
};

/* The worker's own, not copied into children (MADV_DONTFORK). */
struct accesslog_own {
	size_t nfree;
	char line[ACCESSLOG_LINE_MAX];
	int free[]; /* record indexes not in use: a stack */
};

/* Set when opened, only read after (the worker's writes to its private
 * memory after a fork cost a copy-on-write fault a page). */
static struct accesslog_record *shared; /* with the request processes */
static struct accesslog_own *own;
static size_t shared_size, own_size;
/* In a request process: the record it fills.  NULL elsewhere. */
static struct accesslog_record *child_record;

int
accesslog_records_open(struct ms_service *svc, size_t n)
{
	if (svc->conf->access_target == ACCESSLOG_OFF)
		return 0;
	shared_size = n * sizeof(*shared);
	own_size = sizeof(*own) + n * sizeof(own->free[0]);
	shared = mmap(NULL, shared_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	own = mmap(NULL, own_size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED || own == MAP_FAILED ||
	    madvise(own, own_size, MADV_DONTFORK) < 0) {
		if (shared != MAP_FAILED)
			munmap(shared, shared_size);
		if (own != MAP_FAILED)
			munmap(own, own_size);
		shared = NULL;
		own = NULL;
		return -1;
	}
	own->nfree = n;
	for (size_t i = 0; i < n; i++)
		own->free[i] = (int)(n - 1 - i);
	return 0;
}

void
accesslog_records_close(void)
{
	if (shared) {
		munmap(shared, shared_size);
		munmap(own, own_size);
	}
	shared = NULL;
	own = NULL;
}

int
accesslog_records_take(void)
{
	int i;

	if (shared == NULL || own->nfree == 0)
		return -1;
	i = own->free[--own->nfree];
	shared[i].done = 0;
	shared[i].refused = 0;
	return i;
}

void
accesslog_records_child(int record)
{
	if (record >= 0 && shared)
		child_record = &shared[record];
}

long long
accesslog_start_ms(const struct ms_service *svc)
{
	if (svc->conf->access_target == ACCESSLOG_OFF)
		return 0;
	/* a request process: the worker timed it from its fork */
	return child_record ? 1 : service_now_ms();
}

void
accesslog_records_reaped(struct ms_service *svc, int record, pid_t pid,
    const struct sockaddr *peer, socklen_t peerlen, long long start_ms)
{
	struct accesslog_record *rec;
	struct accesslog_entry e;

	if (record < 0 || shared == NULL)
		return;
	rec = &shared[record];
	own->free[own->nfree++] = record;
	if (pid <= 0) /* no process: no request */
		return;
	if (rec->done && rec->refused) /* refusals.c had its say */
		return;
	if (rec->done && svc->conf->access_log_skip_empty &&
	    rec->bytes_in == 0 && !rec->handed_off)
		return;
	accesslog_entry_init(&e, svc);
	e.pid = pid;
	e.duration_ms = service_now_ms() - start_ms;
	e.client = peer;
	e.clientlen = peerlen;
	/* killed (at the stop, say) or crashed before it could say */
	e.end = svc->stopping ? ACCESSLOG_END_STOP : ACCESSLOG_END_ERROR;
	if (rec->done) {
		e.client = (struct sockaddr *)&rec->peer;
		e.clientlen = rec->peerlen;
		if (rec->balancerlen) {
			e.balancer = (struct sockaddr *)&rec->balancer;
			e.balancerlen = rec->balancerlen;
		}
		e.bytes_in = rec->bytes_in;
		e.bytes_out = rec->bytes_out;
		e.end = rec->end;
		for (size_t k = 0; k < ACCESSLOG_TLS_N; k++)
			e.tls[k] = rec->tls_set[k] ? rec->tls[k] : NULL;
	}
	accesslog_write_in(svc, &e, own->line);
}

/* r's TLS facts into rec (a copy: r's go with it). */
static void
accesslog_records_keep_tls(
    struct accesslog_record *rec, const struct ms_request *r)
{
	const char *tls[ACCESSLOG_TLS_N];

	accesslog_tls_of(r, tls);
	for (size_t k = 0; k < ACCESSLOG_TLS_N; k++) {
		rec->tls_set[k] = tls[k] != NULL;
		if (tls[k])
			snprintf(
			    rec->tls[k], sizeof(rec->tls[k]), "%s", tls[k]);
	}
}

int
accesslog_records_keep(const struct ms_request *r)
{
	struct accesslog_record *rec = child_record;

	if (rec == NULL)
		return 0;
	rec->end = accesslog_end_of(r);
	rec->bytes_in = r->bytes_in;
	rec->handed_off = r->handed_off;
	rec->bytes_out = r->bytes_out;
	rec->peerlen = r->peerlen;
	memcpy(&rec->peer, &r->peer, r->peerlen);
	rec->balancerlen = r->balancerlen;
	memcpy(&rec->balancer, &r->balancer, r->balancerlen);
	accesslog_records_keep_tls(rec, r);
	rec->done = 1;
	return 1;
}

void
accesslog_records_refused(void)
{
	if (child_record == NULL)
		return;
	child_record->refused = 1;
	child_record->done = 1;
}
