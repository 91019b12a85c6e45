/* accesslog_format.h - an access-log line: what it tells, and its three
 * forms (the default line, JSON, nginx-style $variables). */
#ifndef ACCESSLOG_FORMAT_H
#define ACCESSLOG_FORMAT_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#define ACCESSLOG_LINE_MAX 2048 /* a longer line is cut */

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

/* The TLS facts a line tells ($tls_protocol, $tls_cipher, $tls_sni,
 * $tls_resumed, $tls_client_s_dn), in this order. */
enum accesslog_tls {
	ACCESSLOG_TLS_PROTOCOL,
	ACCESSLOG_TLS_CIPHER,
	ACCESSLOG_TLS_SNI,
	ACCESSLOG_TLS_RESUMED,
	ACCESSLOG_TLS_CLIENT_S_DN,
	ACCESSLOG_TLS_N
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
	const char *tls[ACCESSLOG_TLS_N]; /* NULL: plaintext, or no value */
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
/* The same; brief: the default line without the time and the service (the
 * main log's own line has them). */
size_t accesslog_format_brief(const struct accesslog_format *f,
    const struct accesslog_entry *e, int brief, char *buf, size_t size);
/* 1 when lines of f tell TLS facts (json, or a $tls_ variable): only
 * then need they be read. */
int accesslog_format_tls(const struct accesslog_format *f);
/* The name $end shows for end. */
const char *accesslog_end_name(enum accesslog_end end);

#endif
