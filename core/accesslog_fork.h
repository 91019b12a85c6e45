/* accesslog_fork.h - a fork model's access-log lines, written by the
 * worker from records its request processes fill. */
#ifndef ACCESSLOG_FORK_H
#define ACCESSLOG_FORK_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

struct ms_request;
struct ms_service;

/* Under fork the worker writes its request processes' lines as it reaps
 * them: in a request process the line's code and libc pages would cost a
 * page fault each.  The child leaves what it knows in a record shared with
 * the worker.  Opens n records (nothing when the log is off): 0 or -1. */
int accesslog_records_open(struct ms_service *svc, size_t n);
void accesslog_records_close(void);
/* Before a fork: the record the child is to fill (its index, or -1 when
 * there is none). */
int accesslog_records_take(void);
/* In the request process, first: the record it is to fill. */
void accesslog_records_child(int record);
/* A request's start for request_init: CLOCK_MONOTONIC ms, 0 when the
 * access log is off, 1 in a fork model's request process (its worker
 * times it). */
long long accesslog_start_ms(const struct ms_service *svc);
/* A request process reaped: its line, from its record (or, if it died
 * before it could fill it, "error", or "stop" when stopping, for peer,
 * forked at start_ms).  pid 0: none was forked; the record is free. */
void accesslog_records_reaped(struct ms_service *svc, int record, pid_t pid,
    const struct sockaddr *peer, socklen_t peerlen, long long start_ms);

/* In a request process: keeps r's end in its record for the worker.  1
 * when it did, 0 when this is no fork model's request process. */
int accesslog_records_keep(const struct ms_request *r);
/* In a request process: its client was refused (a bad or missing PROXY
 * header, allow/deny on the client it named), which the refusal
 * summariser logged or counted: its worker writes no line of its own
 * (one a refused connection would undo the summary). */
void accesslog_records_refused(void);

#endif
