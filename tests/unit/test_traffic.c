/* test_traffic.c - when bytes last moved on a connection a program owns:
 * "us" is the program's side, whose copy the worker watches; "peer" is the
 * client.  Over unix the looks' times are the test's own (now is a
 * parameter); over TCP the kernel's clock counts, so they are real. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "service.h"
#include "traffic.h"

static void
a_unix_connection_nothing_moves_on_is_idle_from_the_start(void **state)
{
	struct traffic t;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(traffic_open(&t, sv[0], 1000), 0);
	assert_int_equal(traffic_idle_ms(&t, 1500), 500);
	assert_int_equal(traffic_idle_ms(&t, 4000), 3000);
	traffic_close(&t);
	close(sv[0]);
	close(sv[1]);
}

static void
what_a_unix_peer_sends_is_a_move(void **state)
{
	struct traffic t;
	char buf[8];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(traffic_open(&t, sv[0], 1000), 0);
	assert_int_equal(send(sv[1], "hi", 2, 0), 2);
	assert_int_equal(traffic_idle_ms(&t, 3000), 0);
	assert_int_equal(traffic_idle_ms(&t, 3400), 400);
	assert_int_equal(recv(sv[0], buf, sizeof(buf), 0), 2);
	traffic_idle_ms(&t, 3400); /* the program's read */
	/* read at once, as cat does: the wakeup still counts */
	assert_int_equal(send(sv[1], "hi", 2, 0), 2);
	assert_int_equal(recv(sv[0], buf, sizeof(buf), 0), 2);
	assert_int_equal(traffic_idle_ms(&t, 5000), 0);
	traffic_close(&t);
	close(sv[0]);
	close(sv[1]);
}

static void
what_a_unix_peer_takes_is_a_move(void **state)
{
	struct traffic t;
	char buf[8];
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(traffic_open(&t, sv[0], 1000), 0);
	assert_int_equal(send(sv[0], "hi", 2, 0), 2);
	assert_int_equal(traffic_idle_ms(&t, 2000), 0); /* queued */
	/* untaken, it does not move again */
	assert_int_equal(traffic_idle_ms(&t, 4000), 2000);
	assert_int_equal(recv(sv[1], buf, sizeof(buf), 0), 2);
	assert_int_equal(traffic_idle_ms(&t, 6000), 0);
	assert_int_equal(traffic_idle_ms(&t, 7000), 1000);
	traffic_close(&t);
	close(sv[0]);
	close(sv[1]);
}

/* Our side's send queue full and the peer taking part of it while we
 * refill: no wakeup may be reported, the queue's length shows the move. */
static void
a_unix_peer_draining_a_full_queue_is_not_idle(void **state)
{
	static char chunk[65536];
	struct traffic t;
	int sv[2], small = 4096;
	long long now = 1000;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	assert_int_equal(traffic_open(&t, sv[0], now), 0);
	for (int round = 0; round < 5; round++) {
		/* fill, bounded: the queue takes a few of them */
		for (int i = 0; i < 64; i++)
			if (send(sv[0], chunk, 512, MSG_DONTWAIT) < 0)
				break;
		traffic_idle_ms(&t, now);
		now += 2000;
		/* the peer takes one write of ours */
		assert_true(recv(sv[1], chunk, 512, 0) > 0);
		assert_int_equal(traffic_idle_ms(&t, now), 0);
	}
	traffic_close(&t);
	close(sv[0]);
	close(sv[1]);
}

/* A connected TCP pair on loopback: ours (accepted) in *us. */
static void
tcp_pair(int *us, int *peer)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
	*peer = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(*peer, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_true((*us = accept(l, NULL, NULL)) >= 0);
	close(l);
}

/* The kernel's times, on the clock the worker reads (service_now_ms); a
 * connection that waited before the watch began is idle from then. */
static void
over_tcp_the_kernel_says_when_bytes_last_moved(void **state)
{
	struct traffic t;
	char buf[8];
	long long now, idle;
	int us, peer;

	(void)state;
	tcp_pair(&us, &peer);
	usleep(300000); /* as if in the backlog */
	now = service_now_ms();
	assert_int_equal(traffic_open(&t, us, now), 0);
	assert_int_equal(traffic_idle_ms(&t, now), 0);
	usleep(1000000);
	idle = traffic_idle_ms(&t, service_now_ms());
	assert_true(idle >= 900); /* a kernel tick may round it down */
	assert_int_equal(send(peer, "hi", 2, 0), 2);
	assert_int_equal(recv(us, buf, sizeof(buf), 0), 2);
	assert_true(traffic_idle_ms(&t, service_now_ms()) < idle);
	/* and what we send */
	usleep(1000000);
	idle = traffic_idle_ms(&t, service_now_ms());
	assert_int_equal(send(us, "hi", 2, 0), 2);
	assert_true(traffic_idle_ms(&t, service_now_ms()) < idle);
	traffic_close(&t);
	close(us);
	close(peer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_unix_connection_nothing_moves_on_is_idle_from_the_start),
	    cmocka_unit_test(what_a_unix_peer_sends_is_a_move),
	    cmocka_unit_test(what_a_unix_peer_takes_is_a_move),
	    cmocka_unit_test(a_unix_peer_draining_a_full_queue_is_not_idle),
	    cmocka_unit_test(over_tcp_the_kernel_says_when_bytes_last_moved),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
