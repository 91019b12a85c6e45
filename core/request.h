/* request.h - one request (a connection or a datagram) and the only place
 * that calls a module's setup, handle and finish.  A model decides who
 * drives a request and when; these functions do the same under every model. */
#ifndef REQUEST_H
#define REQUEST_H

#include <sys/socket.h>

#include "accesslog.h"
#include "addr.h"
#include "buffer.h"
#include "conn.h"
#include "output.h"
#include "service.h"
#include "sock.h"
#include "traffic.h"

struct ms_request {
	struct ms_service *svc;
	/* the connection; a datagram's is its listener (not owned), by which
	 * the reply leaves */
	struct conn conn;
	unsigned datagram : 1;
	unsigned eof : 1;         /* the peer sends nothing more */
	unsigned done : 1;        /* handle is not called again */
	unsigned started : 1;     /* setup succeeded: finish owed */
	unsigned replied : 1;     /* output was written (datagram) */
	unsigned await_proxy : 1; /* its PROXY header has not come yet */
	unsigned admitted : 1;    /* counted by per_source: released at end */
	unsigned await_handshake : 1; /* its connection's (TLS) is not done */
	struct buffer in;
	struct output out;
	void *data;              /* the module's */
	pid_t child;             /* ms_exec's program, until reaped; else 0 */
	unsigned handed_off : 1; /* to a program: bytes_in/out from TCP_INFO
	                            at most, so never "empty" */
	/* with idle_timeout: conn is kept, to see when bytes move on it */
	struct traffic traffic;
	long long ending_since;    /* ms the idle program got SIGTERM; 0 not,
	                            -1 SIGKILL too */
	long long handshake_since; /* µs (CLOCK_MONOTONIC) it began; 0 not */
	struct request_tls *tls;   /* ms_tls_var's values (request_tls.c) */
	/* for the access log */
	long long start_ms; /* CLOCK_MONOTONIC when it came; 0: log off */
	unsigned long long bytes_in, bytes_out;
	enum accesslog_end end; /* how it ended, once known */
	socklen_t balancerlen;  /* 0: no PROXY header named a client */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	char peer_text[ADDR_TEXT_MAX];    /* "" until asked */
	struct sockaddr_storage balancer; /* who sent the PROXY header */
};

/* The largest datagram a worker receives or sends. */
#define REQUEST_DGRAM_MAX SOCK_DGRAM_MAX
#define REQUEST_READ_SIZE (16 * 1024) /* read at most per recv */
#define REQUEST_OUT_SIZE 4096         /* first output buffer */
/* An ms_write this long, with nothing queued, is sent at once, uncopied. */
#define REQUEST_WRITE_THROUGH 4096

/* A request on connection fd (-1: a datagram) from peer.  counted, as
 * accept_connection said: per_source counted it in this process, and the
 * request gives it back as it ends, however it ends. */
void request_init(struct ms_request *r, struct ms_service *svc, int fd,
    const struct sockaddr *peer, socklen_t peerlen, int counted);
/* Gives the request's input and output their first memory (the caller's,
 * outliving the request), so a request may be served without a malloc. */
void request_lend(
    struct ms_request *r, char *in, size_t inlen, char *out, size_t outlen);
/* With proxy_protocol: takes the PROXY header from the input buffer (what
 * came after it stays), makes its client the request's peer, and admits
 * the request (allow/deny, per_source) as accept_connection does otherwise.
 * 1 when done (or no header is awaited), 0 when more input is needed, -1
 * when the header is bad or the client refused (logged; the caller
 * releases the request). */
int request_take_proxy(struct ms_request *r);
/* After the PROXY header: the connection's handshake (TLS), non-blocking.
 * 1 when done (or none is needed), 0 when it waits for the socket
 * (conn_wants says for what), -1 when it failed (logged, summarised by
 * refusals.c, counted; the caller releases the request). */
int request_handshake(struct ms_request *r);
/* A handshake (or the PROXY header before it) not done in
 * handshake_timeout: logged and counted as request_handshake's failures,
 * or as a PROXY header's (the caller releases the request). */
void request_handshake_late(struct ms_request *r);
/* handshake_timeout in ms. */
long long request_handshake_ms(const struct ms_service *svc);
/* Calls setup (r->done when it returned MS_CLOSE).  0, or -1 when the
 * module refused the request (then it is released: fd closed, finish not
 * called). */
int request_setup(struct ms_request *r);
/* Reads what the connection has into the input buffer: >0 bytes, 0 end of
 * input (r->eof set), -1 errno (EAGAIN on a non-blocking fd). */
ssize_t request_read(struct ms_request *r);
/* Calls handle with what is buffered; r->done is set when it returned
 * MS_CLOSE, failed (logged), or the input has ended. */
void request_handle(struct ms_request *r);
/* Sends queued output on the connection: 1 all sent, 0 would block, -1 the
 * peer is gone (logged at debug). */
int request_flush(struct ms_request *r);
/* Says how r ended (the access log's $end), unless that is known already. */
static inline void
request_ended(struct ms_request *r, enum accesslog_end end)
{
	if (r->end == ACCESSLOG_END_NONE)
		r->end = end;
}
/* Calls finish if setup succeeded, writes the access-log line, frees
 * buffers, closes the connection, gives back what per_source counted.  A
 * request that cannot be served (no thread for it) ends by it too. */
void request_finish(struct ms_request *r);

/* Drives a stream request on a blocking fd from setup to finish. */
void request_serve_stream(struct ms_request *r);
/* Serves one datagram received on lfd, one of svc's listeners, from peer,
 * replying with one datagram from lfd.  The module reads (and may change)
 * the datagram's len bytes in buf, which must outlive the call. */
void request_serve_datagram(struct ms_service *svc, int lfd, void *buf,
    size_t len, const struct sockaddr *peer, socklen_t peerlen);
/* Receives one datagram from lfd, one of svc's listeners, into buf
 * (REQUEST_DGRAM_MAX).  Its length, or -1 (errno; EAGAIN when none is
 * waiting).  One larger than buf is logged and dropped (then 0 is never
 * returned for it: the next datagram is read); so is one allow/deny refuse
 * or one from a listening address (selfloop.h), counted as refused. */
ssize_t request_recv_datagram(struct ms_service *svc, int lfd, void *buf,
    struct sockaddr_storage *peer, socklen_t *peerlen);

#endif
