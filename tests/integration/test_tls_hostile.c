/* test_tls_hostile.c - TLS clients that stop halfway hold up no one: one
 * that sends part of a record (select once spun on it, serving no one
 * else), one that sends without reading, one that trickles its PROXY
 * header a byte at a time (under thread and fork each byte once renewed
 * the wait). */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/ssl.h>

#include "certs.h"

#include "harness.h"

static const char *model;

#define TLS_KEYS(more)                                                         \
	"tls = { certificate = \"certs/a.pem\"; key = \"certs/a.key\"; " more  \
	" };"

/* A TLS client over memory BIOs: what it sends is in the test's hands,
 * byte for byte. */
struct mclient {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *in, *out; /* to the client's SSL, from it */
	int fd;
};

static void
start(const char *keys)
{
	char link[400];

	snprintf(link, sizeof(link), "%s/certs", srv.dir);
	assert_int_equal(symlink(tls_certs, link), 0);
	assert_int_equal(
	    server_start_one(&srv, "tcp", NULL, model, "upper", keys), 0);
}

/* Sends what the client's SSL wrote, but its last `keep` bytes. */
static void
mclient_flush(struct mclient *m, size_t keep)
{
	char *p, kept[64];
	long n = BIO_get_mem_data(m->out, &p);

	assert_true(keep <= sizeof(kept));
	if (n < (long)keep)
		keep = (size_t)n;
	memcpy(kept, p + n - keep, keep);
	if (n > (long)keep)
		assert_int_equal(
		    client_send_all(m->fd, p, (size_t)n - keep), 0);
	BIO_reset(m->out);
	if (keep > 0)
		BIO_write(m->out, kept, (int)keep);
}

static void
mclient_open(struct mclient *m, int fd)
{
	char ca[400], buf[16384];

	snprintf(ca, sizeof(ca), "%s/ca.pem", tls_certs);
	m->fd = fd;
	m->ctx = SSL_CTX_new(TLS_client_method());
	assert_int_equal(SSL_CTX_load_verify_locations(m->ctx, ca, NULL), 1);
	SSL_CTX_set_verify(m->ctx, SSL_VERIFY_PEER, NULL);
	m->ssl = SSL_new(m->ctx);
	m->in = BIO_new(BIO_s_mem());
	m->out = BIO_new(BIO_s_mem());
	SSL_set_bio(m->ssl, m->in, m->out);
	SSL_set_tlsext_host_name(m->ssl, "a.example");
	SSL_set_connect_state(m->ssl);
	for (int i = 0; i < 20; i++) {
		int rc = SSL_do_handshake(m->ssl);
		ssize_t n;

		mclient_flush(m, 0);
		if (rc == 1)
			return;
		assert_int_equal(
		    SSL_get_error(m->ssl, rc), SSL_ERROR_WANT_READ);
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			fail_msg("the handshake ended (%zd): %s", n,
			    server_log(&srv, 0));
		BIO_write(m->in, buf, (int)n);
	}
	fail_msg("no handshake in 20 rounds");
}

/* Reads until the client has n bytes of plaintext in buf. */
static void
mclient_read(struct mclient *m, char *buf, int n)
{
	char raw[16384];
	int got = 0;

	while (got < n) {
		int r = SSL_read(m->ssl, buf + got, n - got);
		ssize_t k;

		if (r > 0) {
			got += r;
			continue;
		}
		assert_int_equal(SSL_get_error(m->ssl, r), SSL_ERROR_WANT_READ);
		if ((k = read(m->fd, raw, sizeof(raw))) <= 0)
			fail_msg("no reply (%zd): %s", k, server_log(&srv, 0));
		BIO_write(m->in, raw, (int)k);
	}
}

static void
mclient_close(struct mclient *m)
{
	SSL_free(m->ssl);
	SSL_CTX_free(m->ctx);
	close(m->fd);
}

/* Another client is served while the first holds back: its whole round
 * trip, within the harness's 10 s socket timeouts. */
static void
another_client_is_served(void)
{
	struct mclient m;
	char reply[8];

	mclient_open(&m, client_connect("tcp", srv.addr[0]));
	assert_int_equal(SSL_write(m.ssl, "other\n", 6), 6);
	mclient_flush(&m, 0);
	mclient_read(&m, reply, 6);
	assert_memory_equal(reply, "OTHER\n", 6);
	mclient_close(&m);
}

static void
part_of_a_record_holds_up_no_one(void **state)
{
	struct mclient m;
	char reply[8];

	(void)state;
	start(TLS_KEYS(""));
	mclient_open(&m, client_connect("tcp", srv.addr[0]));
	assert_int_equal(SSL_write(m.ssl, "hello\n", 6), 6);
	mclient_flush(&m, 3); /* the record but its last 3 bytes */
	usleep(200 * 1000);
	another_client_is_served();
	/* the rest of the record: the first client is served too */
	mclient_flush(&m, 0);
	mclient_read(&m, reply, 6);
	assert_memory_equal(reply, "HELLO\n", 6);
	mclient_close(&m);
}

static void
a_client_that_sends_and_never_reads_holds_up_no_one(void **state)
{
	struct mclient m;
	char line[1024];

	(void)state;
	start(TLS_KEYS(""));
	mclient_open(&m, client_connect("tcp", srv.addr[0]));
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	/* until both directions' buffers are full: the server's replies
	 * wait, then its reads stop, then the client's sends would block */
	for (int i = 0; i < 4096; i++) {
		struct pollfd p = {.fd = m.fd, .events = POLLOUT};
		char *data;
		long n;

		assert_int_equal(
		    SSL_write(m.ssl, line, sizeof(line)), (int)sizeof(line));
		n = BIO_get_mem_data(m.out, &data);
		if (poll(&p, 1, 500) <= 0)
			break;
		if (send(m.fd, data, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) !=
		    n)
			break;
		BIO_reset(m.out);
	}
	another_client_is_served();
	mclient_close(&m);
}

static void
a_proxy_header_trickled_a_byte_at_a_time_ends_at_handshake_timeout(void **state)
{
	const char *header = "PROXY TCP4 192.0.2.1 127.0.0.1 5000 7 \r\n";
	long long began;
	size_t i;
	int fd;

	(void)state;
	start("proxy_protocol = true; idle_timeout = 60;\n" TLS_KEYS(
	    "handshake_timeout = 1.5;"));
	fd = client_connect("tcp", srv.addr[0]);
	began = now_ms();
	/* a byte every 0.3 s would take 12 s: the deadline is 1.5 s from
	 * the connection, for the header and the handshake together */
	for (i = 0; i < strlen(header); i++) {
		if (send(fd, header + i, 1, MSG_NOSIGNAL) != 1)
			break;
		usleep(300 * 1000);
		if (now_ms() - began > 8000)
			break;
	}
	assert_true(i < strlen(header));
	assert_true(now_ms() - began < 8000);
	assert_true(server_wait_log(&srv, "no PROXY header in 1.5 s", 3000));
	close(fd);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    SRV_TEST(part_of_a_record_holds_up_no_one),
	    SRV_TEST(a_client_that_sends_and_never_reads_holds_up_no_one),
	    SRV_TEST(
	        a_proxy_header_trickled_a_byte_at_a_time_ends_at_handshake_timeout),
	};
	char name[64];

	if (argc != 2) {
		fprintf(stderr, "usage: %s MODEL\n", argv[0]);
		return 2;
	}
	model = argv[1];
	snprintf(name, sizeof(name), "tls_hostile/%s", model);
	return _cmocka_run_group_tests(name, tests,
	    sizeof(tests) / sizeof(*tests), tls_certs_setup,
	    tls_certs_teardown);
}
