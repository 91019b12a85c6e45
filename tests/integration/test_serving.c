/* test_serving.c - one transport x model x module, as a client sees it:
 *   test_serving TRANSPORT MODEL MODULE
 * (ctest runs it for all 12 transport x model pairs and both modules). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static const char *transport, *model, *module;
static int dgram;

static void
expect_reply(const void *in, size_t n, void *out)
{
	if (strcmp(module, "upper") == 0)
		expect_upper(in, n, out);
	else
		memcpy(out, in, n);
}

/* One request and its reply: a datagram, or bytes on a stream. */
static int
round_trip(int fd, const void *msg, size_t n)
{
	char *want = malloc(n + 1), *got = malloc(n + 1);
	int ok = -1;

	expect_reply(msg, n, want);
	if (dgram) {
		ssize_t r;

		if (send(fd, msg, n, 0) == (ssize_t)n &&
		    (r = recv(fd, got, n + 1, 0)) == (ssize_t)n)
			ok = memcmp(got, want, n) == 0 ? 0 : -1;
	} else if (client_exchange(fd, msg, n, got) == 0) {
		ok = memcmp(got, want, n) == 0 ? 0 : -1;
	}
	free(want);
	free(got);
	return ok;
}

static int
connect_client(void)
{
	return client_connect(srv.transport[0], srv.addr[0]);
}

static void
one_client_gets_its_reply(void **state)
{
	const char msg[] = "hello modserv \xe4\xbd\xa0\xe5\xa5\xbd";
	int fd = connect_client();

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(round_trip(fd, msg, sizeof(msg) - 1), 0);
	close(fd);
}

static void *
client_thread(void *arg)
{
	intptr_t id = (intptr_t)arg, failures = 0;
	char msg[64];
	int fd = connect_client();

	if (fd < 0)
		return (void *)(intptr_t)100;
	for (int i = 0; i < 100; i++) {
		int n = snprintf(
		    msg, sizeof(msg), "client %d message %d", (int)id, i);

		failures += round_trip(fd, msg, (size_t)n) != 0;
	}
	close(fd);
	return (void *)failures;
}

static void
fifty_clients_each_send_a_hundred_messages(void **state)
{
	pthread_t t[50];
	intptr_t failures = 0;

	(void)state;
	for (intptr_t i = 0; i < 50; i++)
		assert_int_equal(
		    pthread_create(&t[i], NULL, client_thread, (void *)i), 0);
	for (int i = 0; i < 50; i++) {
		void *r;

		pthread_join(t[i], &r);
		failures += (intptr_t)r;
	}
	assert_int_equal(failures, 0);
}

static void
messages_of_one_byte_64_bytes_and_the_largest(void **state)
{
	/* a stream takes 1 MiB; a datagram what one UDP datagram can carry */
	size_t sizes[] = {1, 64, dgram ? 65507 : 1 << 20};
	int fd = connect_client();

	(void)state;
	assert_true(fd >= 0);
	for (size_t i = 0; i < 3; i++) {
		char *msg = malloc(sizes[i]);

		for (size_t k = 0; k < sizes[i]; k++)
			msg[k] = (char)(k * 7 + i);
		assert_int_equal(round_trip(fd, msg, sizes[i]), 0);
		free(msg);
	}
	close(fd);
}

static void
a_message_sent_one_byte_at_a_time(void **state)
{
	const char msg[] = "one byte at a time\n";
	size_t n = sizeof(msg) - 1;
	char want[sizeof(msg)], got[sizeof(msg)];
	int fd = connect_client();

	(void)state;
	assert_true(fd >= 0);
	if (dgram) { /* each byte is a datagram of its own */
		for (size_t i = 0; i < n; i++)
			assert_int_equal(round_trip(fd, msg + i, 1), 0);
		close(fd);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(client_send_all(fd, msg + i, 1), 0);
		usleep(1000);
	}
	expect_reply(msg, n, want);
	assert_int_equal(client_recv_all(fd, got, n), 0);
	assert_memory_equal(got, want, n);
	close(fd);
}

static void
a_client_that_leaves_mid_reply_harms_no_one(void **state)
{
	size_t n = dgram ? 60000 : 4 << 20;
	char *msg = calloc(1, n), buf[100];
	int fd = connect_client();

	(void)state;
	assert_true(fd >= 0);
	memset(msg, 'x', n);
	if (dgram) {
		assert_int_equal(send(fd, msg, n, 0), (ssize_t)n);
	} else {
		/* send 4 MiB, read a little of the reply, then reset */
		struct linger lg = {1, 0};

		assert_int_equal(send(fd, msg, 65536, 0), 65536);
		assert_int_equal(client_recv_all(fd, buf, sizeof(buf)), 0);
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(fd);
	free(msg);
	one_client_gets_its_reply(state);
	fifty_clients_each_send_a_hundred_messages(state);
}

static void
sigterm_exits_zero_and_leaves_no_socket_file(void **state)
{
	struct stat st;

	(void)state;
	assert_int_equal(server_stop(&srv), 0);
	assert_non_null(strstr(srv.log, "stopped"));
	if (strncmp(transport, "unix", 4) == 0)
		assert_int_equal(stat(srv.addr[0], &st), -1);
}

static int
start(void **state)
{
	(void)state;
	if (server_prepare(&srv) < 0)
		return -1;
	return server_start_one(&srv, transport, NULL, model, module, NULL);
}

int
main(int argc, char **argv)
{
	char name[128];
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(one_client_gets_its_reply),
	    cmocka_unit_test(fifty_clients_each_send_a_hundred_messages),
	    cmocka_unit_test(messages_of_one_byte_64_bytes_and_the_largest),
	    cmocka_unit_test(a_message_sent_one_byte_at_a_time),
	    cmocka_unit_test(a_client_that_leaves_mid_reply_harms_no_one),
	    cmocka_unit_test(sigterm_exits_zero_and_leaves_no_socket_file),
	};

	if (argc != 4) {
		fprintf(stderr, "usage: %s TRANSPORT MODEL MODULE\n", argv[0]);
		return 2;
	}
	transport = argv[1];
	model = argv[2];
	module = argv[3];
	dgram = strcmp(transport, "udp") == 0 ||
	        strcmp(transport, "unix-dgram") == 0;
	snprintf(name, sizeof(name), "%s/%s/%s", transport, model, module);
	return _cmocka_run_group_tests(
	    name, tests, sizeof(tests) / sizeof(*tests), start, srv_teardown);
}
