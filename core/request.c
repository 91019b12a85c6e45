/* request.c - a request's life: setup, handle as input arrives, finish; the
 * module's view of its input and output (the ms_* request API). */
#include "request.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "accesslog_fork.h"
#include "admit.h"
#include "conn_tls.h"
#include "hot.h"
#include "log.h"
#include "traffic.h"
#include "proxy.h"
#include "refusals.h"
#include "request_exec.h"
#include "request_tls.h"
#include "selfloop.h"

MS_HOT void
request_init(struct ms_request *r, struct ms_service *svc, int fd,
    const struct sockaddr *peer, socklen_t peerlen, int counted)
{
	memset(r, 0, offsetof(struct ms_request, peer));
	r->svc = svc;
	conn_init(&r->conn, svc->conn_type, fd);
	r->datagram = fd < 0;
	r->eof = r->datagram;
	if (peerlen > sizeof(r->peer))
		peerlen = sizeof(r->peer);
	memcpy(&r->peer, peer, peerlen);
	r->peerlen = peerlen;
	r->peer_text[0] = '\0';
	r->start_ms = accesslog_start_ms(svc);
	r->await_proxy = !r->datagram && svc->conf->proxy_protocol;
	r->await_handshake = !r->datagram && svc->conn_type->handshake;
	r->conn.arg = svc->conn_arg;
	r->admitted = counted;
}

/* Admits the request once its PROXY header named the client.  (Under
 * fork this runs in the request's own process, where per_source could not
 * count: the configuration refuses per_source with proxy_protocol there.) */
static int
request_admit_proxied(struct ms_request *r)
{
	int counted;

	if (admit_request(r->svc, (struct sockaddr *)&r->peer, &counted)) {
		r->admitted = counted;
		return 1;
	}
	stats_add(r->svc->stats, STAT_REFUSED, 1);
	return -1;
}

/* The header is peeked at and only its own bytes are taken from the
 * socket: what the client sent after it stays there for the module (or
 * the program ms_exec hands the connection to).  Bytes of a header not yet
 * whole wait in the input buffer, so a level-triggered loop is not woken
 * again for bytes it has seen. */
int
request_take_proxy(struct ms_request *r)
{
	struct ms_service *svc = r->svc;
	char head[PROXY_MAX_HEADER], why[128];
	struct sockaddr_storage client;
	socklen_t len = 0;
	size_t have = buffer_len(&r->in), took;
	ssize_t n;
	int whole;

	if (!r->await_proxy)
		return 1;
	if (have > 0)
		memcpy(head, buffer_peek(&r->in, &took), have);
	n = conn_peek(&r->conn, head + have, sizeof(head) - have);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0; /* errno says so: a blocking socket timed out */
	if (n <= 0) {
		snprintf(why, sizeof(why), "%s before its PROXY header",
		    n == 0 ? "closed" : strerror(errno));
		whole = -1;
	} else {
		whole = proxy_parse(
		    head, have + (size_t)n, &client, &len, why, sizeof(why));
	}
	if (whole < 0) {
		char what[sizeof(why) + 16];

		snprintf(what, sizeof(what), "%s: closed", why);
		refusals_note(svc, REFUSAL_PROXY_HEADER,
		    (struct sockaddr *)&r->peer, r->peerlen, NULL, 0,
		    MS_LOG_INFO, what);
		stats_add(svc->stats, STAT_REFUSED, 1);
		return -1;
	}
	/* take what belongs to the header: all of it if it is not whole */
	took = whole > 0 ? (size_t)whole - have : (size_t)n;
	if (conn_read(&r->conn, head + have, took) != (ssize_t)took) {
		log_syserr(MS_LOG_INFO, service_name(svc),
		    "%s: reading its PROXY header", ms_peer(r));
		return -1;
	}
	if (whole == 0) {
		errno = 0;
		return buffer_append(&r->in, head + have, took) < 0 ? -1 : 0;
	}
	buffer_consume(&r->in, have);
	r->await_proxy = 0;
	if (len > 0) { /* else (LOCAL, UNKNOWN) the balancer's own address */
		memcpy(&r->balancer, &r->peer, r->peerlen);
		r->balancerlen = r->peerlen;
		memcpy(&r->peer, &client, len);
		r->peerlen = len;
		r->peer_text[0] = '\0';
	}
	return request_admit_proxied(r);
}

static void
request_handshake_failed(struct ms_request *r, const char *why)
{
	refusals_note(r->svc, REFUSAL_TLS, (struct sockaddr *)&r->peer,
	    r->peerlen, r->balancerlen ? (struct sockaddr *)&r->balancer : NULL,
	    r->balancerlen, MS_LOG_INFO, why);
	stats_add(r->svc->stats, STAT_TLS_FAILED, 1);
	stats_add(r->svc->stats, STAT_REFUSED, 1);
}

int
request_handshake(struct ms_request *r)
{
	char why[320];
	SSL *ssl;
	int rc;

	if (!r->await_handshake)
		return 1;
	if (r->handshake_since == 0)
		r->handshake_since = service_now_us();
	if ((rc = r->conn.type->handshake(&r->conn, why, sizeof(why))) == 0)
		return 0;
	if (rc < 0) {
		request_handshake_failed(r, why);
		return -1;
	}
	r->await_handshake = 0;
	stats_add(r->svc->stats, STAT_TLS_HANDSHAKES, 1);
	stats_add(r->svc->stats, STAT_TLS_HANDSHAKE_US,
	    (unsigned long long)(service_now_us() - r->handshake_since));
	if ((ssl = conn_tls_ssl(&r->conn)) && SSL_session_reused(ssl))
		stats_add(r->svc->stats, STAT_TLS_RESUMED, 1);
	return 1;
}

long long
request_handshake_ms(const struct ms_service *svc)
{
	return svc->conf->tls
	           ? (long long)(svc->conf->tls->handshake_timeout * 1000)
	           : 0;
}

/* A PROXY header not whole by the deadline. */
static void
request_proxy_late(struct ms_request *r, long long limit_ms)
{
	char what[64];

	snprintf(what, sizeof(what), "no PROXY header in %g s: closed",
	    (double)limit_ms / 1000);
	refusals_note(r->svc, REFUSAL_PROXY_HEADER, (struct sockaddr *)&r->peer,
	    r->peerlen, NULL, 0, MS_LOG_INFO, what);
	stats_add(r->svc->stats, STAT_REFUSED, 1);
}

void
request_handshake_late(struct ms_request *r)
{
	char why[64];

	if (r->await_proxy) { /* the PROXY header is part of the deadline */
		request_proxy_late(r, request_handshake_ms(r->svc));
		return;
	}
	snprintf(why, sizeof(why), "TLS handshake not done in %g s: closed",
	    r->svc->conf->tls->handshake_timeout);
	request_handshake_failed(r, why);
}

/* The PROXY header and the handshake on a blocking socket (thread,
 * fork): run non-blocking, so that one deadline bounds them as a whole,
 * however a client trickles them, not each read: handshake_timeout over
 * TLS, else idle_timeout (none when it is 0).  1 when both are done, -1
 * when not (logged). */
static int
request_start_waiting(struct ms_request *r)
{
	long long limit = r->await_handshake
	                      ? request_handshake_ms(r->svc)
	                      : (long long)(r->svc->conf->idle_timeout * 1000);
	long long deadline = service_now_ms() + limit;
	int fd = conn_fd(&r->conn), fl = fcntl(fd, F_GETFL), rc;

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		log_syserr(
		    MS_LOG_WARN, service_name(r->svc), "%s: fcntl", ms_peer(r));
		return -1;
	}
	while ((rc = request_take_proxy(r)) == 0 ||
	       (rc > 0 && (rc = request_handshake(r)) == 0)) {
		struct pollfd p = {.fd = fd,
		    .events = conn_wants(&r->conn) & CONN_WANT_WRITE ? POLLOUT
		                                                     : POLLIN};
		long long left = deadline - service_now_ms();
		int n = limit == 0 ? poll(&p, 1, -1)
		        : left > 0 ? poll(&p, 1, (int)left)
		                   : 0;

		if (n == 0) {
			if (r->await_handshake)
				request_handshake_late(r);
			else
				request_proxy_late(r, limit);
			return -1;
		}
		if (n < 0 && errno != EINTR) {
			log_syserr(MS_LOG_WARN, service_name(r->svc),
			    "%s: poll", ms_peer(r));
			return -1;
		}
	}
	if (rc > 0 && fcntl(fd, F_SETFL, fl) < 0)
		rc = -1;
	return rc;
}

MS_HOT void
request_lend(
    struct ms_request *r, char *in, size_t inlen, char *out, size_t outlen)
{
	buffer_lend(&r->in, in, inlen);
	buffer_lend(&r->out.head, out, outlen);
}

MS_HOT static void
request_release(struct ms_request *r)
{
	buffer_free(&r->in);
	output_free(&r->out);
	traffic_close(&r->traffic);
	request_tls_free(r);
	if (!r->datagram) /* a datagram's is the listener's */
		conn_close(&r->conn);
	if (r->admitted)
		admit_release(r->svc, (struct sockaddr *)&r->peer);
	r->admitted = 0;
}

/* A hook returned what the contract gives no meaning (not MS_MORE,
 * MS_CLOSE or a negative error): an error, logged once after a worker of
 * the service started (not once a request: that would flood the log).
 * Returns -1. */
static int
request_odd_return(struct ms_request *r, const char *hook, int rc)
{
	static _Atomic int said_here; /* when the service is not counted */
	struct stats_service *st = r->svc->stats;
	_Atomic int *said = st ? &st->odd_return_said : &said_here;

	if (atomic_exchange(said, 1) == 0)
		log_error(service_name(r->svc),
		    "module %s: %s returned %d, which is not MS_MORE, MS_CLOSE or a negative error: taken as an error (said once)",
		    r->svc->conf->module, hook, rc);
	return -1;
}

MS_HOT int
request_setup(struct ms_request *r)
{
	const struct ms_module *m = r->svc->module.mod;
	int rc = m->setup ? m->setup(r) : MS_MORE;

	if (rc > MS_CLOSE)
		rc = request_odd_return(r, "setup", rc);

	if (rc < 0) {
		log_debug(service_name(r->svc), "%s: setup refused the request",
		    ms_peer(r));
		request_ended(r, ACCESSLOG_END_MODULE_REFUSED);
		accesslog_request(r);
		request_release(r);
		return -1;
	}
	if (rc == MS_CLOSE) { /* a banner: sent, then done */
		r->done = 1;
		request_ended(r, ACCESSLOG_END_MODULE_CLOSED);
	}
	r->started = 1;
	stats_add(r->svc->stats, STAT_STARTED, 1);
	return 0;
}

MS_HOT ssize_t
request_read(struct ms_request *r)
{
	size_t room = (size_t)r->svc->conf->max_request - buffer_len(&r->in);
	char *p;
	ssize_t n;

	if (buffer_len(&r->in) >= (size_t)r->svc->conf->max_request) {
		log_warn(service_name(r->svc),
		    "%s: more than max_request (%d bytes) buffered: closed",
		    ms_peer(r), r->svc->conf->max_request);
		request_ended(r, ACCESSLOG_END_MAX_REQUEST);
		errno = EMSGSIZE;
		return -1;
	}
	if ((p = buffer_reserve(&r->in, REQUEST_READ_SIZE)) == NULL)
		return -1;
	if (room > r->in.cap - r->in.end)
		room = r->in.cap - r->in.end;
	n = conn_read(&r->conn, p, room);
	if (n > 0) {
		buffer_commit(&r->in, (size_t)n);
		r->bytes_in += (unsigned long long)n;
		stats_add(r->svc->stats, STAT_BYTES_IN, (unsigned long long)n);
	} else if (n == 0) {
		r->eof = 1;
	} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
		request_ended(r, ACCESSLOG_END_ERROR);
		stats_add(r->svc->stats, STAT_ERRORS, 1);
	}
	return n;
}

MS_HOT void
request_handle(struct ms_request *r)
{
	struct service_watch *w = r->svc->watch;
	int rc;

	if (w) { /* the master watches how long handle takes */
		memcpy(&w->peer, &r->peer, r->peerlen);
		w->peerlen = r->peerlen;
		atomic_store(&w->handle_since, service_now_ms());
	}
	rc = r->svc->module.mod->handle(r);
	if (w)
		atomic_store(&w->handle_since, 0);
	if (rc > MS_CLOSE) { /* an error, said once: not a line a request */
		request_odd_return(r, "handle", rc);
		stats_add(r->svc->stats, STAT_ERRORS, 1);
		request_ended(r, ACCESSLOG_END_ERROR);
		r->done = 1;
		return;
	}
	if (rc == MS_CLOSE && !r->eof)
		request_ended(r, ACCESSLOG_END_MODULE_CLOSED);
	if (rc < 0) {
		request_ended(r, ACCESSLOG_END_ERROR);
		log_warn(service_name(r->svc),
		    "%s: module %s: handle failed (%d)", ms_peer(r),
		    r->svc->conf->module, rc);
		stats_add(r->svc->stats, STAT_ERRORS, 1);
	}
	if (rc != MS_MORE || r->eof)
		r->done = 1;
}

MS_HOT int
request_flush(struct ms_request *r)
{
	size_t queued = r->out.bytes;
	int rc = output_send(&r->out, &r->conn);

	stats_add(r->svc->stats, STAT_BYTES_OUT, queued - r->out.bytes);
	r->bytes_out += queued - r->out.bytes;
	if (rc < 0) {
		request_ended(r, ACCESSLOG_END_ERROR);
		log_syserr(MS_LOG_DEBUG, service_name(r->svc), "%s: sending",
		    ms_peer(r));
		stats_add(r->svc->stats, STAT_ERRORS, 1);
	}
	return rc;
}

MS_HOT void
request_finish(struct ms_request *r)
{
	const struct ms_module *m = r->svc->module.mod;

	if (r->started && m->finish)
		m->finish(r);
	if (r->started) {
		stats_add(r->svc->stats, STAT_REQUESTS, 1);
		if (r->handed_off)
			traffic_bytes(&r->traffic, &r->bytes_in, &r->bytes_out);
		accesslog_request(r);
	}
	r->started = 0;
	request_release(r);
}

MS_HOT void
request_serve_stream(struct ms_request *r)
{
	if ((r->await_proxy || r->await_handshake) &&
	    request_start_waiting(r) < 0) {
		accesslog_records_refused();
		request_release(r);
		return;
	}
	if (request_setup(r) < 0)
		return;
	if (r->child) { /* handed to a program: wait for it */
		request_exec_wait(r);
		request_finish(r);
		return;
	}
	for (;;) {
		/* blocking: 0 means the send timed out (idle_timeout) */
		if (output_pending(&r->out)) {
			int sent = request_flush(r);

			if (sent == 0) {
				request_ended(r, ACCESSLOG_END_IDLE);
				log_info(service_name(r->svc),
				    "%s: idle for %g s (it takes none of the output): closed",
				    ms_peer(r), r->svc->conf->idle_timeout);
			}
			if (sent != 1)
				break;
		}
		if (r->done)
			break;
		if (request_read(r) < 0) {
			if (errno == EAGAIN) {
				request_ended(r, ACCESSLOG_END_IDLE);
				log_info(service_name(r->svc),
				    "%s: idle for %g s: closed", ms_peer(r),
				    r->svc->conf->idle_timeout);
			} else
				log_syserr(MS_LOG_DEBUG, service_name(r->svc),
				    "%s: receiving", ms_peer(r));
			break;
		}
		request_handle(r);
	}
	request_finish(r);
}

static size_t
request_dgram_limit(const struct ms_service *svc)
{
	/* what one UDP datagram can carry over IPv4 */
	return svc->conf->addrs[0].ss.ss_family == AF_UNIX ? REQUEST_DGRAM_MAX
	                                                   : 65507;
}

ssize_t
request_recv_datagram(struct ms_service *svc, int lfd, void *buf,
    struct sockaddr_storage *peer, socklen_t *peerlen)
{
	struct conn listener;

	conn_init(&listener, svc->conn_type, lfd);
	for (;;) {
		ssize_t n;

		*peerlen = sizeof(*peer);
		n = conn_recv_datagram(&listener, buf, REQUEST_DGRAM_MAX,
		    (struct sockaddr *)peer, peerlen);
		if (n >= 0 && n <= REQUEST_DGRAM_MAX &&
		    (!admit_allowed(svc, (struct sockaddr *)peer) ||
		        selfloop_refused(
		            svc, (struct sockaddr *)peer, *peerlen))) {
			stats_add(svc->stats, STAT_REFUSED, 1);
			continue;
		}
		if (n >= 0 && n <= REQUEST_DGRAM_MAX) {
			stats_add(svc->stats, STAT_ACCEPTED, 1);
			stats_add(
			    svc->stats, STAT_BYTES_IN, (unsigned long long)n);
		}
		if (n <= REQUEST_DGRAM_MAX)
			return n;
		char from[ADDR_TEXT_MAX];

		addr_format_for_log(
		    (struct sockaddr *)peer, *peerlen, from, sizeof(from));
		log_warn(service_name(svc),
		    "%s: datagram of %zd bytes is larger than %d: truncated, dropped",
		    from, n, REQUEST_DGRAM_MAX);
	}
}

static void
request_reply_datagram(struct ms_request *r)
{
	struct buffer *b = &r->out.head;
	size_t len;
	const char *p = buffer_peek(b, &len);

	if (r->peerlen <= sizeof(sa_family_t)) { /* an unnamed unix socket */
		log_debug(service_name(r->svc),
		    "datagram from an unnamed socket: no address to reply to, %zu bytes of reply dropped",
		    len);
		return;
	}
	if (conn_send_datagram(&r->conn, p, len, (struct sockaddr *)&r->peer,
	        r->peerlen) < 0) {
		log_syserr(MS_LOG_WARN, service_name(r->svc),
		    "%s: reply of %zu bytes", ms_peer(r), len);
		stats_add(r->svc->stats, STAT_ERRORS, 1);
	} else {
		r->bytes_out = len;
		stats_add(r->svc->stats, STAT_BYTES_OUT, len);
	}
}

MS_HOT void
request_serve_datagram(struct ms_service *svc, int lfd, void *buf, size_t len,
    const struct sockaddr *peer, socklen_t peerlen)
{
	struct ms_request r;
	char out[REQUEST_OUT_SIZE];

	/* the module reads the datagram where it was received, and the reply
	 * starts on the stack: no malloc and no copy a datagram */
	request_init(&r, svc, -1, peer, peerlen, 0);
	conn_init(&r.conn, svc->conn_type, lfd);
	buffer_lend(&r.in, buf, len);
	buffer_commit(&r.in, len);
	r.bytes_in = len;
	buffer_lend(&r.out.head, out, sizeof(out));
	if (request_setup(&r) < 0)
		return;
	if (!r.done)
		request_handle(&r);
	if (r.replied)
		request_reply_datagram(&r);
	request_finish(&r);
}

/* ---- the module's view (modserv.h) ---- */

MS_HOT const void *
ms_peek(ms_request *req, size_t *len)
{
	return buffer_peek(&req->in, len);
}

MS_HOT void *
ms_peek_mut(ms_request *req, size_t *len)
{
	/* the input buffer is the request's own memory, never shared */
	return (void *)buffer_peek(&req->in, len);
}

MS_HOT void
ms_consume(ms_request *req, size_t n)
{
	buffer_consume(&req->in, n);
}

const char *
ms_readline(ms_request *req, size_t *len)
{
	return buffer_line(&req->in, req->eof, len);
}

MS_HOT int
ms_eof(ms_request *req)
{
	return req->eof;
}

MS_HOT int
ms_write(ms_request *req, const void *buf, size_t len)
{
	req->replied = 1;
	if (req->datagram) {
		if (len > request_dgram_limit(req->svc) - req->out.bytes) {
			errno = EMSGSIZE;
			return -1;
		}
	} else if (len >= REQUEST_WRITE_THROUGH && !output_pending(&req->out)) {
		/* nothing queued before it: what the socket takes now needs no
		 * copy; the rest is queued (an error shows at the flush) */
		ssize_t n = conn_write(&req->conn, buf, len, CONN_NOWAIT);

		if (n > 0) {
			buf = (const char *)buf + n;
			len -= (size_t)n;
			req->bytes_out += (unsigned long long)n;
			stats_add(req->svc->stats, STAT_BYTES_OUT,
			    (unsigned long long)n);
		}
	}
	return output_write(&req->out, buf, len);
}

int
ms_vprintf(ms_request *req, const char *fmt, va_list ap)
{
	char small[512], *big;
	va_list copy;
	int n, rc;

	va_copy(copy, ap);
	n = vsnprintf(small, sizeof(small), fmt, copy);
	va_end(copy);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return ms_write(req, small, (size_t)n);
	if ((big = malloc((size_t)n + 1)) == NULL)
		return -1;
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	rc = ms_write(req, big, (size_t)n);
	free(big);
	return rc;
}

int
ms_printf(ms_request *req, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ms_vprintf(req, fmt, ap);
	va_end(ap);
	return rc;
}

/* A datagram reply is one buffer: the file is read into it now. */
static int
request_file_to_datagram(ms_request *req, int fd, off_t offset, size_t count)
{
	char *p;
	ssize_t n = 0;
	size_t got = 0;

	if (count > request_dgram_limit(req->svc) - req->out.bytes) {
		errno = EMSGSIZE;
		goto fail;
	}
	if ((p = buffer_reserve(&req->out.head, count)) == NULL)
		goto fail;
	while (got < count &&
	       (n = pread(fd, p + got, count - got, offset + (off_t)got)) > 0)
		got += (size_t)n;
	if (got < count) {
		errno = n < 0 ? errno : EIO;
		goto fail;
	}
	buffer_commit(&req->out.head, count);
	req->out.bytes += count;
	close(fd);
	return 0;
fail:
	close(fd);
	return -1;
}

int
ms_sendfile(ms_request *req, int fd, off_t offset, size_t count)
{
	req->replied = 1;
	if (req->datagram)
		return request_file_to_datagram(req, fd, offset, count);
	return output_file(&req->out, fd, offset, count);
}

const char *
ms_peer(const ms_request *req)
{
	struct ms_request *r = (struct ms_request *)req;

	if (r->peer_text[0] == '\0')
		addr_format_for_log((const struct sockaddr *)&r->peer,
		    r->peerlen, r->peer_text, sizeof(r->peer_text));
	return r->peer_text;
}

ms_service *
ms_request_service(const ms_request *req)
{
	return req->svc;
}

void *
ms_request_data(const ms_request *req)
{
	return req->data;
}

void
ms_request_set_data(ms_request *req, void *data)
{
	req->data = data;
}
