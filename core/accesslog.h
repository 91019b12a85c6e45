/* accesslog.h - the access log: a line when a request ends or a client is
 * refused, in the default form, as JSON, or in a format of $variables
 * (nginx's access_log and log_format), compiled once at config time. */
#ifndef ACCESSLOG_H
#define ACCESSLOG_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

struct ms_request;
struct ms_service;

/* Where a service's lines go. */
enum accesslog_target {
	ACCESSLOG_MAIN,   /* the main log (stderr, its file, or syslog) */
	ACCESSLOG_OFF,    /* nowhere */
	ACCESSLOG_SYSLOG, /* syslog, whatever the main log is */
	ACCESSLOG_FILE,   /* a file of its own, opened by root */
};

/* How a request ended (the $end variable). */
enum accesslog_end {
	ACCESSLOG_END_NONE, /* not said: request_finish works it out */
	ACCESSLOG_END_CLIENT_CLOSED,
	ACCESSLOG_END_MODULE_CLOSED,
	ACCESSLOG_END_IDLE,
	ACCESSLOG_END_MAX_REQUEST,
	ACCESSLOG_END_HANDLE_TIMEOUT,
	ACCESSLOG_END_ERROR,
	ACCESSLOG_END_STOP,
	ACCESSLOG_END_MODULE_REFUSED, /* setup said no */
	ACCESSLOG_END_ANSWERED,       /* a datagram with a reply */
	ACCESSLOG_END_UNANSWERED,     /* a datagram without */
	ACCESSLOG_END_REFUSED,        /* turned away before setup */
};

/* What one line tells. */
struct accesslog_entry {
	struct timeval when; /* the wall clock at the end */
	const char *service, *transport, *model;
	pid_t pid;
	const struct sockaddr *client; /* as the PROXY header named it */
	socklen_t clientlen;
	const struct sockaddr *balancer; /* NULL: no PROXY header */
	socklen_t balancerlen;
	long long duration_ms;
	unsigned long long bytes_in, bytes_out;
	enum accesslog_end end;
	const char *reason; /* a refusal's kind ("allow/deny"), or NULL */
	unsigned long long repeat; /* a summary: refusals after the first */
	double window;             /* a summary: over how many seconds */
};

struct accesslog_format; /* compiled; opaque */

/* Compiles "default", "json" or a string of text and $name / ${name}
 * variables.  The format, or NULL with why (an unknown variable, say). */
struct accesslog_format *accesslog_compile(
    const char *spec, char *why, size_t whylen);
void accesslog_format_free(struct accesslog_format *f);
/* Writes e as one line (ending in '\n') into buf.  Its length; a line too
 * long is cut, still ending in '\n'. */
size_t accesslog_format_line(const struct accesslog_format *f,
    const struct accesslog_entry *e, char *buf, size_t size);
/* The name $end shows for end. */
const char *accesslog_end_name(enum accesslog_end end);

/* Parses an access_log value: "main", "off", "syslog", or a path (the
 * target is then ACCESSLOG_FILE).  0, or -1. */
int accesslog_target_parse(const char *value, enum accesslog_target *t);

/* In a worker, as root before the drop: opens svc's access-log file (when
 * it has one).  0, or -1 with err. */
int accesslog_open(struct ms_service *svc, char *err, size_t errlen);
/* In the master after a rotation: opens svc's access-log file again (as
 * root) and sends it to its worker pid over ctl (a failure is logged);
 * nothing for a service without a file. */
void accesslog_hand_over(struct ms_service *svc, int ctl, pid_t pid);
/* The worker takes fd (the master's reopened file) as its access log. */
void accesslog_adopt(struct ms_service *svc, int fd);
/* Writes e as svc's access log says (one write(2)); nothing when off. */
void accesslog_write(struct ms_service *svc, const struct accesslog_entry *e);
/* On (1), the calling thread's lines to a file wait in its buffer (16
 * KiB) for up to ACCESSLOG_FLUSH_MS, then go in one write(2), as nginx's
 * access_log buffer= flush=: an event loop's thread.  Off (0) flushes, and
 * writes each line at once, as every thread does by default. */
void accesslog_batch(int on);
#define ACCESSLOG_FLUSH_MS 100
/* Writes the calling thread's waiting lines, in one write(2). */
void accesslog_flush(void);
/* A poll timeout (-1: none) shortened to when the waiting lines are due;
 * writes them when they are. */
int accesslog_flush_timeout(int timeout);
/* Fills the fields of e svc knows (service, transport, model, pid, the
 * time now). */
void accesslog_entry_init(
    struct accesslog_entry *e, const struct ms_service *svc);
/* The line for request r, which ended (skipped when access_log_skip_empty
 * and r received nothing). */
void accesslog_request(const struct ms_request *r);
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

/* In the master: the line of a request whose handle outlived
 * handle_timeout (its worker is killed, and says nothing more); ms: how
 * long handle ran.  Bytes are not known there: 0. */
void accesslog_stuck(struct ms_service *svc, const struct sockaddr *peer,
    socklen_t peerlen, long long ms, pid_t worker);

#endif
