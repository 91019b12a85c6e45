/* test_conn_tls.c - the TLS connection type over a socket pair, with an
 * OpenSSL client at the other end: plaintext before the handshake (a PROXY
 * header's), the handshake waiting for what OpenSSL waits for, bytes both
 * ways, what it holds decrypted (pending), files read and encrypted,
 * close_notify when it closes, and none after a failed handshake. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "certs.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "conn.h"
#include "conn_tls.h"
#include "tls_conf.h"
#include "tls_ctx.h"

/* A server connection and the client at the other end. */
struct link {
	struct tls_ctx *t;
	struct conn srv;
	SSL_CTX *cctx;
	SSL *cli;
	int cfd;
};

static char cert[256], key[256], ca[256];

static void
link_open(struct link *l)
{
	struct tls_conf tc = {.line = 2,
	    .verify_client = TLS_VERIFY_NONE,
	    .min_version = TLS_VERSION_1_2,
	    .handshake_timeout = 10,
	    .session_tickets = 1};
	char err[512];
	int sv[2];

	snprintf(cert, sizeof(cert), "%s/a.pem", tls_certs);
	snprintf(key, sizeof(key), "%s/a.key", tls_certs);
	snprintf(ca, sizeof(ca), "%s/ca.pem", tls_certs);
	tc.certificate = (struct conf_text){cert, "tls.certificate", 3};
	tc.key = (struct conf_text){key, "tls.key", 4};
	l->t = tls_ctx_new(&tc, "test.conf", "s", err, sizeof(err));
	if (l->t == NULL)
		fail_msg("tls_ctx_new: %s", err);
	assert_int_equal(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	conn_init(&l->srv, &conn_tls, sv[0]);
	l->srv.arg = l->t;
	l->cfd = sv[1];
	l->cctx = SSL_CTX_new(TLS_client_method());
	assert_int_equal(SSL_CTX_load_verify_locations(l->cctx, ca, NULL), 1);
	SSL_CTX_set_verify(l->cctx, SSL_VERIFY_PEER, NULL);
	l->cli = SSL_new(l->cctx);
	SSL_set_fd(l->cli, l->cfd);
	SSL_set_tlsext_host_name(l->cli, "a.example");
	SSL_set_connect_state(l->cli);
}

static void
link_close(struct link *l)
{
	conn_close(&l->srv);
	SSL_free(l->cli);
	SSL_CTX_free(l->cctx);
	close(l->cfd);
	tls_ctx_free(l->t);
}

/* Drives both ends until the server's handshake is done (1) or failed
 * (-1, why in why); each step of the server waits for what it said. */
static int
link_handshake(struct link *l, char *why, size_t whylen)
{
	for (int i = 0; i < 100; i++) {
		int rc = conn_tls.handshake(&l->srv, why, whylen);

		if (rc != 0)
			return rc;
		assert_int_equal(errno, EAGAIN);
		assert_true(conn_wants(&l->srv) != 0);
		SSL_do_handshake(l->cli);
	}
	fail_msg("no handshake in 100 steps");
	return -1;
}

/* The client reads n bytes (its end is non-blocking: bounded retries). */
static void
client_read(struct link *l, char *buf, int n)
{
	int got = 0;

	for (int i = 0; got < n && i < 10000; i++) {
		int r = SSL_read(l->cli, buf + got, n - got);

		if (r > 0)
			got += r;
		else if (SSL_get_error(l->cli, r) != SSL_ERROR_WANT_READ)
			break;
	}
	assert_int_equal(got, n);
}

static void
plaintext_before_the_handshake_is_the_sockets(void **state)
{
	struct link l;
	char buf[16], why[256];

	(void)state;
	link_open(&l);
	/* a PROXY header comes in plaintext, the ClientHello after it */
	assert_int_equal(write(l.cfd, "PROXY x\r\n", 9), 9);
	assert_int_equal(conn_peek(&l.srv, buf, 9), 9);
	assert_int_equal(conn_read(&l.srv, buf, 9), 9);
	assert_memory_equal(buf, "PROXY x\r\n", 9);
	assert_null(conn_tls_ssl(&l.srv));
	/* nothing to write with yet */
	assert_int_equal(conn_write(&l.srv, "x", 1, 0), -1);
	assert_int_equal(errno, ENOTCONN);
	assert_int_equal(link_handshake(&l, why, sizeof(why)), 1);
	assert_non_null(conn_tls_ssl(&l.srv));
	link_close(&l);
}

static void
the_handshake_waits_then_bytes_go_both_ways(void **state)
{
	struct link l;
	char buf[128], why[256];

	(void)state;
	link_open(&l);
	/* before the client speaks, the handshake waits to read */
	assert_int_equal(conn_tls.handshake(&l.srv, why, sizeof(why)), 0);
	assert_int_equal(conn_wants(&l.srv), CONN_WANT_READ);
	assert_int_equal(link_handshake(&l, why, sizeof(why)), 1);
	/* a TLS 1.3 client reads its tickets with its first read */
	assert_int_equal(SSL_write(l.cli, "hello, server", 13), 13);
	/* read in pieces: what is decrypted and not yet read is pending */
	assert_int_equal(conn_read(&l.srv, buf, 5), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(conn_pending(&l.srv), 8);
	assert_int_equal(conn_read(&l.srv, buf, sizeof(buf)), 8);
	assert_int_equal(conn_pending(&l.srv), 0);
	/* two records at once: the first read takes both from the socket,
	 * and the second is pending though the socket has nothing more */
	assert_int_equal(SSL_write(l.cli, "one", 3), 3);
	assert_int_equal(SSL_write(l.cli, "two", 3), 3);
	assert_int_equal(conn_read(&l.srv, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "one", 3);
	assert_true(conn_pending(&l.srv) > 0);
	assert_int_equal(recv(conn_fd(&l.srv), buf, 1, MSG_PEEK), -1);
	assert_int_equal(conn_read(&l.srv, buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "two", 3);
	assert_int_equal(conn_pending(&l.srv), 0);
	assert_int_equal(conn_read(&l.srv, buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(conn_wants(&l.srv), CONN_WANT_READ);
	/* CONN_NOWAIT cannot be asked of OpenSSL on a blocking socket: the
	 * caller queues; on a non-blocking one it is every write's */
	fcntl(conn_fd(&l.srv), F_SETFL, 0);
	assert_int_equal(conn_write(&l.srv, "x", 1, CONN_NOWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	fcntl(conn_fd(&l.srv), F_SETFL, O_NONBLOCK);
	assert_int_equal(conn_write(&l.srv, "x", 1, CONN_NOWAIT), 1);
	client_read(&l, buf, 1);
	assert_memory_equal(buf, "x", 1);
	assert_int_equal(conn_write(&l.srv, "HELLO, CLIENT", 13, 0), 13);
	client_read(&l, buf, 13);
	assert_memory_equal(buf, "HELLO, CLIENT", 13);
	link_close(&l);
}

static void
a_file_is_read_and_encrypted_byte_for_byte(void **state)
{
	enum { SIZE = 300 * 1000 };
	char *data = malloc(SIZE), *got = malloc(SIZE),
	     path[] = "/tmp/ctlsXXXXXX";
	struct link l;
	char why[256];
	off_t off = 0;
	int fd = mkstemp(path), done = 0;

	(void)state;
	assert_true(fd >= 0);
	unlink(path);
	for (int i = 0; i < SIZE; i++)
		data[i] = (char)(i * 7 + i / 251);
	assert_int_equal(write(fd, data, SIZE), SIZE);
	link_open(&l);
	assert_int_equal(link_handshake(&l, why, sizeof(why)), 1);
	/* the socket pair's buffer is smaller than the file: the server
	 * sends what it takes, the client reads, until all came */
	for (int i = 0; done < SIZE && i < 100000; i++) {
		if (off < SIZE) {
			ssize_t n = conn_sendfile(&l.srv, fd, &off, SIZE - off);

			assert_true(n > 0 || (n < 0 && errno == EAGAIN));
		}
		int r = SSL_read(l.cli, got + done, SIZE - done);

		if (r > 0)
			done += r;
	}
	assert_int_equal(done, SIZE);
	assert_memory_equal(got, data, SIZE);
	close(fd);
	link_close(&l);
	free(data);
	free(got);
}

static void
closing_says_close_notify(void **state)
{
	struct link l;
	char buf[8], why[256];
	int r = 0;

	(void)state;
	link_open(&l);
	assert_int_equal(link_handshake(&l, why, sizeof(why)), 1);
	conn_close(&l.srv);
	for (int i = 0; i < 1000; i++)
		if ((r = SSL_read(l.cli, buf, sizeof(buf))) <= 0 &&
		    SSL_get_error(l.cli, r) != SSL_ERROR_WANT_READ)
			break;
	assert_int_equal(SSL_get_error(l.cli, r), SSL_ERROR_ZERO_RETURN);
	link_close(&l);
}

static void
garbage_fails_the_handshake_with_a_reason_and_nothing_after(void **state)
{
	struct link l;
	char why[256] = "", buf[512];
	ssize_t n;

	(void)state;
	link_open(&l);
	assert_int_equal(write(l.cfd, "GET / HTTP/1.0\r\n\r\n", 18), 18);
	assert_int_equal(conn_tls.handshake(&l.srv, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "TLS handshake failed: "));
	assert_true(strlen(why) > strlen("TLS handshake failed: "));
	/* the alert OpenSSL sent, then the close: no close_notify after */
	while ((n = read(l.cfd, buf, sizeof(buf))) > 0)
		;
	conn_close(&l.srv);
	/* the end, or a reset: the request's unread bytes were left */
	assert_true(read(l.cfd, buf, sizeof(buf)) <= 0);
	assert_int_equal(ERR_peek_error(), 0); /* the thread's queue: clean */
	link_close(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(plaintext_before_the_handshake_is_the_sockets),
	    cmocka_unit_test(the_handshake_waits_then_bytes_go_both_ways),
	    cmocka_unit_test(a_file_is_read_and_encrypted_byte_for_byte),
	    cmocka_unit_test(closing_says_close_notify),
	    cmocka_unit_test(
	        garbage_fails_the_handshake_with_a_reason_and_nothing_after),
	};

	return cmocka_run_group_tests_name(
	    "conn_tls", tests, tls_certs_setup, tls_certs_teardown);
}
