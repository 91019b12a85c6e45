/* baseline_tls - the limit of a TLS service: the C epoll baseline's upper
 * over OpenSSL, hand-written, on the same loop (epoll_loop.c):
 * non-blocking SSL_accept, SSL_read and SSL_write; session tickets on
 * (OpenSSL's own keys) and no session cache, as modserv's contexts (a cache
 * would resume in one process only); TLS 1.2 at least, renegotiation off, the
 * server's cipher order; TCP_NODELAY; close_notify said back to a client
 * that says it.
 *
 *   baseline_tls CERT KEY ADDR      ADDR: tcp HOST:PORT or a unix path
 *
 * Prints "listening on ADDR" (the port resolved) on stderr, like modserv.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "epoll_loop.h"
#include "listen.h"
#include "upper.h"

/* As the C epoll baseline's: stop reading while output is pending; read
 * again at once only after a full read or with a record's bytes still in
 * OpenSSL. */
struct tconn {
	struct epoll_conn ec;
	SSL *ssl;
	int accepted; /* the handshake is done */
	char out[16384];
	size_t len; /* of out, to be written */
};

static SSL_CTX *
context(const char *cert, const char *key)
{
	static const unsigned char sid[] = "baseline_tls";
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1) != 1) {
		fprintf(stderr, "baseline_tls: %s, %s: ", cert, key);
		ERR_print_errors_fp(stderr);
		exit(1);
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE |
	                             SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
}

/* What the connection waits for after OpenSSL said n: EPOLLIN, EPOLLOUT,
 * or 0 when it is over. */
static uint32_t
tconn_wait(struct tconn *c, int n)
{
	switch (SSL_get_error(c->ssl, n)) {
	case SSL_ERROR_WANT_READ:
		return EPOLLIN;
	case SSL_ERROR_WANT_WRITE:
		return EPOLLOUT;
	case SSL_ERROR_ZERO_RETURN:
		SSL_shutdown(c->ssl);
		return 0;
	default:
		ERR_clear_error(); /* else the next connection's errors */
		return 0;
	}
}

/* Handshakes, then reads, answers, repeats while there may be more: what
 * to wait for next, or 0 to drop the connection. */
static uint32_t
tconn_serve(struct epoll_conn *ec)
{
	struct tconn *c = (struct tconn *)ec;
	int n;

	if (!c->accepted) {
		if ((n = SSL_accept(c->ssl)) != 1)
			return tconn_wait(c, n);
		c->accepted = 1;
	}
	for (;;) {
		if (c->len == 0) {
			if ((n = SSL_read(c->ssl, c->out, sizeof(c->out))) <= 0)
				return tconn_wait(c, n);
			upper(c->out, (size_t)n);
			c->len = (size_t)n;
		}
		/* without partial writes, one that succeeds wrote it all; one
		 * to be tried again is tried with the same bytes */
		if ((n = SSL_write(c->ssl, c->out, (int)c->len)) <= 0)
			return tconn_wait(c, n);
		n = (int)c->len;
		c->len = 0;
		if (n < (int)sizeof(c->out) && SSL_pending(c->ssl) == 0)
			return EPOLLIN;
	}
}

static struct epoll_conn *
tconn_open(int fd, void *ctx)
{
	struct tconn *c = calloc(1, sizeof(*c));
	int one = 1;

	if (c == NULL || (c->ssl = SSL_new(ctx)) == NULL ||
	    SSL_set_fd(c->ssl, fd) != 1) {
		if (c)
			SSL_free(c->ssl);
		free(c);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_accept_state(c->ssl);
	/* a reply of several records goes out at once, as modserv's and
	 * nginx's TLS connections have it */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return &c->ec;
}

static void
tconn_free(struct epoll_conn *ec)
{
	struct tconn *c = (struct tconn *)ec;

	SSL_free(c->ssl);
	free(c);
}

static const struct epoll_ops tconn_ops = {
    .open = tconn_open, .serve = tconn_serve, .free = tconn_free};

int
main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: baseline_tls CERT KEY ADDR\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	epoll_loop(listen_on(argv[3], SOCK_STREAM), &tconn_ops,
	    context(argv[1], argv[2]));
	return 0;
}
