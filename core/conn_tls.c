/* conn_tls.c - a connection under TLS: an OpenSSL SSL over the socket,
 * made at the handshake from the service's contexts (conn->arg).  Before
 * it, reads are the socket's own: a PROXY header comes in plaintext. */
#include "conn_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "hot.h"
#include "tls_ctx.h"
#include "tls_text.h"

/* What the read-and-encrypt sendfile reads at a time: one TLS record. */
#define TLS_FILE_BLOCK (16 * 1024)

static SSL *
tls_ssl(const struct conn *c)
{
	return c->priv;
}

static int
tls_len(size_t len)
{
	return len > INT_MAX ? INT_MAX : (int)len;
}

/* After a fatal error nothing more is said to the peer (OpenSSL forbids
 * a close_notify then). */
static void
tls_broken(SSL *ssl)
{
	SSL_set_quiet_shutdown(ssl, 1);
	ERR_clear_error(); /* the thread's queue: the next connection's */
}

/* An SSL_read, SSL_write or SSL_peek's n as a read(2)'s or write(2)'s. */
MS_HOT static ssize_t
tls_result(SSL *ssl, int n)
{
	int saved = errno;

	if (n > 0)
		return n;
	switch (SSL_get_error(ssl, n)) {
	case SSL_ERROR_ZERO_RETURN: /* close_notify, or a bare close */
		return 0;
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN; /* conn_wants says which */
		return -1;
	case SSL_ERROR_SYSCALL:
		tls_broken(ssl);
		errno = saved != 0 ? saved : ECONNRESET;
		return -1;
	default:
		tls_broken(ssl);
		errno = EPROTO;
		return -1;
	}
}

MS_HOT static ssize_t
tls_read(struct conn *c, void *buf, size_t len)
{
	SSL *ssl = tls_ssl(c);

	if (ssl == NULL)
		return conn_plain.read(c, buf, len);
	errno = 0;
	return tls_result(ssl, SSL_read(ssl, buf, tls_len(len)));
}

static ssize_t
tls_peek(struct conn *c, void *buf, size_t len)
{
	SSL *ssl = tls_ssl(c);

	if (ssl == NULL)
		return conn_plain.peek(c, buf, len);
	errno = 0;
	return tls_result(ssl, SSL_peek(ssl, buf, tls_len(len)));
}

/* Whether writes wait: thread's and fork's sockets, not select's. */
static int
tls_blocking(const struct conn *c)
{
	int fl = fcntl(c->fd, F_GETFL);

	return fl < 0 || !(fl & O_NONBLOCK);
}

/* CONN_NOWAIT cannot be asked of OpenSSL on a blocking socket: such a
 * write says EAGAIN and its bytes are queued for the next flush.  On a
 * non-blocking one every write is CONN_NOWAIT's, and a large reply is
 * encrypted from where the module wrote it, not copied to the queue. */
MS_HOT static ssize_t
tls_write(struct conn *c, const void *buf, size_t len, int flags)
{
	SSL *ssl = tls_ssl(c);

	if (ssl == NULL) { /* no handshake yet: nothing to send with */
		errno = ENOTCONN;
		return -1;
	}
	if (flags & CONN_NOWAIT && tls_blocking(c)) {
		errno = EAGAIN;
		return -1;
	}
	errno = 0;
	return tls_result(ssl, SSL_write(ssl, buf, tls_len(len)));
}

/* Kernel TLS sends the file itself; else it is read a record at a time
 * and encrypted.  A write to be tried again is tried with the same bytes
 * (read again from the same offset), as OpenSSL needs. */
static ssize_t
tls_sendfile(struct conn *c, int fd, off_t *off, size_t len)
{
	SSL *ssl = tls_ssl(c);
	char block[TLS_FILE_BLOCK];
	ssize_t n;

	if (ssl == NULL) {
		errno = ENOTCONN;
		return -1;
	}
	if (BIO_get_ktls_send(SSL_get_wbio(ssl))) {
		errno = 0;
		n = SSL_sendfile(ssl, fd, *off, len, 0);
		if (n > 0)
			*off += n;
		return n >= 0 ? n : tls_result(ssl, (int)n);
	}
	if (len > sizeof(block))
		len = sizeof(block);
	while ((n = pread(fd, block, len, *off)) < 0 && errno == EINTR)
		;
	if (n <= 0)
		return n;
	errno = 0;
	if ((n = tls_result(ssl, SSL_write(ssl, block, (int)n))) > 0)
		*off += n;
	return n;
}

static ssize_t
tls_no_datagram(struct conn *c, void *buf, size_t len, struct sockaddr *from,
    socklen_t *fromlen)
{
	(void)c, (void)buf, (void)len, (void)from, (void)fromlen;
	errno = EPROTONOSUPPORT; /* the configuration refuses tls on one */
	return -1;
}

static ssize_t
tls_no_send_datagram(struct conn *c, const void *buf, size_t len,
    const struct sockaddr *to, socklen_t tolen)
{
	(void)c, (void)buf, (void)len, (void)to, (void)tolen;
	errno = EPROTONOSUPPORT;
	return -1;
}

static int
tls_set_blocking(struct conn *c)
{
	return conn_plain.set_blocking(c);
}

/* A program cannot be given the socket: its bytes are TLS records.
 * request_exec relays a socket pair instead. */
static int
tls_hand_over(struct conn *c)
{
	(void)c;
	errno = EPROTONOSUPPORT;
	return -1;
}

/* close_notify once, never waiting for the peer's. */
static void
tls_notify_close(struct conn *c)
{
	SSL *ssl = tls_ssl(c);
	int fl;

	if (ssl == NULL || !SSL_is_init_finished(ssl) ||
	    SSL_get_quiet_shutdown(ssl) ||
	    SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN)
		return;
	fl = fcntl(c->fd, F_GETFL);
	if (fl >= 0 && !(fl & O_NONBLOCK))
		fcntl(c->fd, F_SETFL, fl | O_NONBLOCK);
	if (SSL_shutdown(ssl) < 0)
		ERR_clear_error();
}

static int
tls_shutdown(struct conn *c)
{
	tls_notify_close(c);
	return shutdown(c->fd, SHUT_RDWR);
}

MS_HOT static void
tls_close(struct conn *c)
{
	SSL *ssl = tls_ssl(c);

	tls_notify_close(c);
	if (ssl)
		SSL_free(ssl);
	c->priv = NULL;
	close(c->fd);
}

MS_HOT static int
tls_wants(const struct conn *c)
{
	const SSL *ssl = tls_ssl(c);

	if (ssl == NULL)
		return 0;
	return SSL_want_read(ssl)    ? CONN_WANT_READ
	       : SSL_want_write(ssl) ? CONN_WANT_WRITE
	                             : 0;
}

MS_HOT static size_t
tls_pending(const struct conn *c)
{
	const SSL *ssl = tls_ssl(c);
	int n;

	if (ssl == NULL)
		return 0;
	/* decrypted bytes, else whether records were read ahead */
	n = SSL_pending(ssl);
	return n > 0 ? (size_t)n : (size_t)SSL_has_pending(ssl);
}

/* A client certificate that did not verify: why not (OpenSSL's error
 * queue says only "certificate verify failed"). */
static void
tls_why_certificate(SSL *ssl, char *why, size_t whylen)
{
	long v = SSL_get_verify_result(ssl);
	size_t n = strlen(why);

	if (v != X509_V_OK && n < whylen)
		snprintf(why + n, whylen - n, " (client certificate: %s)",
		    X509_verify_cert_error_string(v));
}

/* A reply of more than one record is written a record at a time: Nagle
 * would hold each record after the first until the peer's delayed ACK
 * (40 ms).  Records are whole messages already, as nginx has it.  A unix
 * socket has no Nagle: nothing to set. */
static void
tls_no_delay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int
tls_handshake(struct conn *c, char *why, size_t whylen)
{
	SSL *ssl = tls_ssl(c);
	int n;

	if (ssl == NULL) {
		if ((ssl = SSL_new(tls_ctx_default(c->arg))) == NULL ||
		    SSL_set_fd(ssl, c->fd) != 1) {
			tls_text_error(why, whylen);
			SSL_free(ssl);
			return -1;
		}
		SSL_set_accept_state(ssl);
		tls_no_delay(c->fd);
		c->priv = ssl;
	}
	errno = 0;
	if ((n = SSL_do_handshake(ssl)) == 1)
		return 1;
	switch (SSL_get_error(ssl, n)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return 0;
	case SSL_ERROR_SYSCALL:
	case SSL_ERROR_ZERO_RETURN:
		snprintf(why, whylen, "%s during the TLS handshake",
		    errno == 0 ? "closed" : strerror(errno));
		break;
	default:
		snprintf(why, whylen, "TLS handshake failed: ");
		tls_text_error(why + strlen(why), whylen - strlen(why));
		tls_why_certificate(ssl, why, whylen);
		break;
	}
	tls_broken(ssl);
	return -1;
}

SSL *
conn_tls_ssl(const struct conn *c)
{
	return c->type == &conn_tls ? tls_ssl(c) : NULL;
}

const struct conn_type conn_tls = {
    .name = "tls",
    .read = tls_read,
    .peek = tls_peek,
    .write = tls_write,
    .sendfile = tls_sendfile,
    .recv_datagram = tls_no_datagram,
    .send_datagram = tls_no_send_datagram,
    .set_blocking = tls_set_blocking,
    .hand_over = tls_hand_over,
    .shutdown = tls_shutdown,
    .close = tls_close,
    .wants = tls_wants,
    .pending = tls_pending,
    .handshake = tls_handshake,
};
