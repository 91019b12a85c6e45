/* test_conn.c - the connection layer: a request reads and writes every byte
 * through its connection's type (here one of memory, as TLS will be one of
 * its own), and the plain type is the socket itself. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "admit.h"
#include "model.h"
#include "request.h"
#include "transport.h"

/* A connection of memory: input from in, output appended to out. */
static struct mem {
	const char *in;
	size_t inlen, at;
	char out[16384];
	size_t outlen;
	int nowait, closed;
	struct sockaddr_in to; /* where the last datagram went */
} mem;

static ssize_t
mem_peek(struct conn *c, void *buf, size_t len)
{
	(void)c;
	if (len > mem.inlen - mem.at)
		len = mem.inlen - mem.at;
	memcpy(buf, mem.in + mem.at, len);
	return (ssize_t)len;
}

static ssize_t
mem_read(struct conn *c, void *buf, size_t len)
{
	ssize_t n = mem_peek(c, buf, len);

	mem.at += (size_t)n;
	return n;
}

static ssize_t
mem_write(struct conn *c, const void *buf, size_t len, int flags)
{
	(void)c;
	mem.nowait += (flags & CONN_NOWAIT) != 0;
	memcpy(mem.out + mem.outlen, buf, len);
	mem.outlen += len;
	return (ssize_t)len;
}

static ssize_t
mem_sendfile(struct conn *c, int fd, off_t *off, size_t len)
{
	ssize_t n = pread(fd, mem.out + mem.outlen, len, *off);

	(void)c;
	if (n > 0) {
		mem.outlen += (size_t)n;
		*off += n;
	}
	return n;
}

static ssize_t
mem_recv_datagram(struct conn *c, void *buf, size_t len, struct sockaddr *from,
    socklen_t *fromlen)
{
	struct sockaddr_in in = {.sin_family = AF_INET,
	    .sin_port = htons(5000),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	memcpy(from, &in, sizeof(in));
	*fromlen = sizeof(in);
	return mem_read(c, buf, len);
}

static ssize_t
mem_send_datagram(struct conn *c, const void *buf, size_t len,
    const struct sockaddr *to, socklen_t tolen)
{
	memcpy(&mem.to, to, tolen < sizeof(mem.to) ? tolen : sizeof(mem.to));
	return mem_write(c, buf, len, 0);
}

static int
mem_none(struct conn *c)
{
	(void)c;
	return 0;
}

static void
mem_close(struct conn *c)
{
	(void)c;
	mem.closed++;
}

static int
mem_wants(const struct conn *c)
{
	(void)c;
	return 0;
}

static size_t
mem_pending(const struct conn *c)
{
	(void)c;
	return 0;
}

static const struct conn_type mem_type = {
    .name = "mem",
    .read = mem_read,
    .peek = mem_peek,
    .write = mem_write,
    .sendfile = mem_sendfile,
    .recv_datagram = mem_recv_datagram,
    .send_datagram = mem_send_datagram,
    .set_blocking = mem_none,
    .hand_over = mem_none,
    .shutdown = mem_none,
    .close = mem_close,
    .wants = mem_wants,
    .pending = mem_pending,
};

static int
upper_handle(ms_request *req)
{
	size_t n;
	char *p = ms_peek_mut(req, &n);

	for (size_t i = 0; i < n; i++)
		if (p[i] >= 'a' && p[i] <= 'z')
			p[i] = (char)(p[i] - 'a' + 'A');
	ms_write(req, p, n);
	ms_consume(req, n);
	return MS_MORE;
}

static const struct ms_module upper = {.name = "upper", .handle = upper_handle};
static struct listen_addr where = {.ss.ss_family = AF_INET};
static struct service_conf sc = {.name = "u",
    .transport = &transport_udp,
    .max_request = 1 << 16,
    .addrs = &where,
    .naddrs = 1};
static struct ms_service svc = {
    .conf = &sc, .module = {.mod = &upper}, .conn_type = &mem_type};
/* A stream request on a memory connection whose peer sends in. */
static void
request_on_memory(struct ms_request *r, const char *in)
{
	struct sockaddr_in from = {.sin_family = AF_INET,
	    .sin_port = htons(4000),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	memset(&mem, 0, sizeof(mem));
	mem.in = in;
	mem.inlen = strlen(in);
	/* the descriptor is never used: every operation is the type's */
	request_init(
	    r, &svc, 1000, (const struct sockaddr *)&from, sizeof(from), 0);
}

static void
a_request_reads_its_input_through_its_connection(void **state)
{
	struct ms_request r;
	size_t n;
	const char *p;

	(void)state;
	request_on_memory(&r, "hello");
	assert_int_equal(request_read(&r), 5);
	p = ms_peek(&r, &n);
	assert_int_equal(n, 5);
	assert_memory_equal(p, "hello", 5);
	assert_int_equal(request_read(&r), 0);
	assert_true(ms_eof(&r));
	request_finish(&r);
	assert_int_equal(mem.closed, 1);
}

static void
a_proxy_header_is_taken_through_the_connection_and_what_follows_stays(
    void **state)
{
	struct ms_request r;
	char rest[8];

	(void)state;
	sc.proxy_protocol = 1;
	request_on_memory(
	    &r, "PROXY TCP4 192.0.2.1 192.0.2.2 56324 443\r\nGET");
	sc.proxy_protocol = 0;
	assert_int_equal(request_take_proxy(&r), 1);
	assert_string_equal(ms_peer(&r), "192.0.2.1:56324");
	assert_int_equal(buffer_len(&r.in), 0);
	assert_int_equal(conn_read(&r.conn, rest, sizeof(rest)), 3);
	assert_memory_equal(rest, "GET", 3);
	request_finish(&r);
}

static void
output_bytes_and_files_leave_through_the_connection_in_order(void **state)
{
	char path[] = "/tmp/modserv-conn.XXXXXX", *big = malloc(8192);
	int fd = mkstemp(path);
	struct ms_request r;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	memset(big, 'b', 8192);
	request_on_memory(&r, "");
	/* a long write with nothing queued goes out at once, not waiting */
	assert_int_equal(ms_write(&r, big, 8192), 0);
	assert_int_equal(mem.nowait, 1);
	assert_int_equal(mem.outlen, 8192);
	assert_int_equal(ms_write(&r, "head:", 5), 0);
	assert_int_equal(ms_sendfile(&r, fd, 2, 5), 0);
	assert_int_equal(ms_printf(&r, ":%s", "tail"), 0);
	assert_int_equal(mem.outlen, 8192); /* queued until the flush */
	assert_int_equal(request_flush(&r), 1);
	assert_int_equal(mem.outlen, 8192 + 15);
	assert_memory_equal(mem.out + 8192, "head:23456:tail", 15);
	assert_int_equal(r.bytes_out, 8192 + 15);
	request_finish(&r);
	assert_int_equal(mem.closed, 1);
	unlink(path);
	free(big);
}

static void
a_datagram_and_its_reply_go_through_the_listeners_connection(void **state)
{
	struct sockaddr_storage peer;
	socklen_t plen;
	char buf[REQUEST_DGRAM_MAX];
	ssize_t n;

	(void)state;
	memset(&mem, 0, sizeof(mem));
	mem.in = "ping";
	mem.inlen = 4;
	n = request_recv_datagram(&svc, 1000, buf, &peer, &plen);
	assert_int_equal(n, 4);
	request_serve_datagram(
	    &svc, 1000, buf, (size_t)n, (struct sockaddr *)&peer, plen);
	assert_int_equal(mem.outlen, 4);
	assert_memory_equal(mem.out, "PING", 4);
	assert_int_equal(ntohs(mem.to.sin_port), 5000);
	assert_int_equal(mem.closed, 0); /* the listener stays open */
}

static void
plain_nowait_write_to_a_full_blocking_socket_does_not_wait(void **state)
{
	static char chunk[65536];
	struct conn c;
	int sv[2], full = 0;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	conn_init(&c, &conn_plain, sv[0]);
	for (int i = 0; i < 1000 && !full; i++)
		full = conn_write(&c, chunk, sizeof(chunk), CONN_NOWAIT) < 0;
	assert_true(full);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	conn_close(&c);
	assert_int_equal(c.fd, -1);
	close(sv[1]);
}

static void
plain_datagram_longer_than_the_buffer_says_its_whole_length(void **state)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	char buf[4];
	struct conn c;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	assert_int_equal(send(sv[1], "0123456789", 10, 0), 10);
	conn_init(&c, &conn_plain, sv[0]);
	assert_int_equal(conn_recv_datagram(&c, buf, sizeof(buf),
	                     (struct sockaddr *)&from, &flen),
	    10);
	assert_memory_equal(buf, "0123", 4);
	conn_close(&c);
	close(sv[1]);
}

static void
plain_hands_over_a_blocking_socket_without_timeouts(void **state)
{
	struct timeval tv = {5, 0}, got;
	socklen_t len = sizeof(got);
	struct conn c;
	int sv[2];

	(void)state;
	assert_int_equal(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	conn_init(&c, &conn_plain, sv[0]);
	assert_int_equal(conn_hand_over(&c), sv[0]);
	assert_false(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
	getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &got, &len);
	assert_int_equal(got.tv_sec, 0);
	assert_int_equal(conn_wants(&c), 0);
	assert_int_equal(conn_pending(&c), 0);
	conn_close(&c);
	close(sv[1]);
}

/* A connection that holds input inside, as TLS holds a record: it takes
 * what the socket has at once and gives it out a byte a read. */
static struct held {
	char buf[4096];
	size_t len, at;
} held;

static ssize_t
held_read(struct conn *c, void *buf, size_t len)
{
	if (held.at == held.len) {
		ssize_t n = conn_plain.read(c, held.buf, sizeof(held.buf));

		if (n <= 0)
			return n;
		held.len = (size_t)n;
		held.at = 0;
	}
	if (len > 0) {
		*(char *)buf = held.buf[held.at++];
		len = 1;
	}
	return (ssize_t)len;
}

static size_t
held_pending(const struct conn *c)
{
	(void)c;
	return held.len - held.at;
}

static void *
select_serves(void *arg)
{
	return (void *)(intptr_t)model_find("select")->run(arg);
}

/* A client sends in one piece and reads the reply back, within 10 s. */
static size_t
client_round_trip(int port, const char *msg, char *back, size_t size)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port),
	    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct pollfd pfd = {.events = POLLIN};
	size_t got = 0, want = strlen(msg);
	ssize_t n = 0;

	pfd.fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(
	    connect(pfd.fd, (struct sockaddr *)&to, sizeof(to)), 0);
	assert_int_equal(send(pfd.fd, msg, want, 0), (ssize_t)want);
	while (got < want && got < size && poll(&pfd, 1, 10000) == 1 &&
	       (n = recv(pfd.fd, back + got, size - got, 0)) > 0)
		got += (size_t)n;
	close(pfd.fd);
	return got;
}

/* One client of upper under the select model over connections of type
 * gets "hello world" back in capitals. */
static void
select_serves_upper_over(const struct conn_type *type)
{
	struct service_conf tcp = {.name = "conn",
	    .transport = &transport_tcp,
	    .model = model_find("select"),
	    .max_request = 1 << 16,
	    .max_clients = 4};
	struct config cfg = {.shutdown_timeout = 5};
	struct ms_service s = {.conf = &tcp,
	    .cfg = &cfg,
	    .module = {.mod = &upper},
	    .conn_type = type,
	    .nlisten = 1};
	struct sockaddr_in any = {
	    .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(any);
	struct signalfd_siginfo term = {.ssi_signo = SIGTERM};
	int sig[2];
	char back[64];
	size_t got;
	pthread_t t;
	void *rc;

	memset(&held, 0, sizeof(held));
	assert_int_equal(admit_init(&s), 0);
	s.listen_fd[0] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(
	    bind(s.listen_fd[0], (struct sockaddr *)&any, sizeof(any)), 0);
	assert_int_equal(listen(s.listen_fd[0], 8), 0);
	getsockname(s.listen_fd[0], (struct sockaddr *)&any, &alen);
	assert_int_equal(pipe2(sig, O_NONBLOCK), 0);
	s.sigfd = sig[0];
	assert_int_equal(pthread_create(&t, NULL, select_serves, &s), 0);
	got = client_round_trip(
	    ntohs(any.sin_port), "hello world", back, sizeof(back));
	assert_int_equal(write(sig[1], &term, sizeof(term)), sizeof(term));
	pthread_join(t, &rc);
	assert_null(rc);
	close(sig[0]);
	close(sig[1]);
	admit_free(&s);
	assert_int_equal(got, 11);
	assert_memory_equal(back, "HELLO WORLD", 11);
}

static void
select_reads_input_held_inside_the_connection(void **state)
{
	struct conn_type held_type = conn_plain;

	(void)state;
	held_type.read = held_read;
	held_type.pending = held_pending;
	/* each read gives one byte of the held eleven: the loop must read on
	 * with no event from the socket, which it emptied at the first */
	select_serves_upper_over(&held_type);
}

/* A connection whose first read takes what the socket has but needs a
 * write before it can give it out (TLS renegotiating, say). */
static int shy_wants;

static ssize_t
shy_read(struct conn *c, void *buf, size_t len)
{
	static int asked;

	if (held.len == 0) { /* the first: the socket emptied, nothing given */
		ssize_t n = conn_plain.read(c, held.buf, sizeof(held.buf));

		if (n <= 0)
			return n;
		held.len = (size_t)n;
		shy_wants = CONN_WANT_WRITE;
		asked = 1;
		errno = EAGAIN;
		return -1;
	}
	if (asked) { /* woken by the socket's writability: all at once */
		asked = shy_wants = 0;
		len = len < held.len ? len : held.len;
		memcpy(buf, held.buf, len);
		held.at = held.len;
		return (ssize_t)len;
	}
	return conn_plain.read(c, buf, len);
}

static int
shy_wants_now(const struct conn *c)
{
	(void)c;
	return shy_wants;
}

static void
select_waits_for_what_the_connections_pending_read_wants(void **state)
{
	struct conn_type shy_type = conn_plain;

	(void)state;
	shy_type.read = shy_read;
	shy_type.wants = shy_wants_now;
	/* with nothing to send, only a wait for writability wakes it */
	select_serves_upper_over(&shy_type);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_request_reads_its_input_through_its_connection),
	    cmocka_unit_test(
	        a_proxy_header_is_taken_through_the_connection_and_what_follows_stays),
	    cmocka_unit_test(
	        output_bytes_and_files_leave_through_the_connection_in_order),
	    cmocka_unit_test(
	        a_datagram_and_its_reply_go_through_the_listeners_connection),
	    cmocka_unit_test(
	        plain_nowait_write_to_a_full_blocking_socket_does_not_wait),
	    cmocka_unit_test(
	        plain_datagram_longer_than_the_buffer_says_its_whole_length),
	    cmocka_unit_test(
	        plain_hands_over_a_blocking_socket_without_timeouts),
	    cmocka_unit_test(select_reads_input_held_inside_the_connection),
	    cmocka_unit_test(
	        select_waits_for_what_the_connections_pending_read_wants),
	};

	int rc;

	sc.model = model_find("select"); /* the access log names it */
	if (admit_init(&svc) < 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	admit_free(&svc);
	return rc;
}
