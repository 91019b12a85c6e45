/* test_load.c - the load modserv holds: 10,000 idle connections on select
 * and 1,000 on thread (a thread each, with a small stack), while an active
 * client is still answered quickly.  Prints what a connection costs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static long long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Holds idle connections to a service of model, then times an active
 * client's 200 requests. */
static void
hold_idle_and_serve(const char *model, int idle, const char *keys)
{
	struct rlimit rl;
	int *fds = calloc((size_t)idle, sizeof(int)), active;
	long long lat[200];
	long rss0, rss1, vm0, vm1;
	pid_t worker;
	char reply[16];

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_max < (rlim_t)idle + 200) {
		print_message("fd limit %ld is below %d: skipped\n",
		    (long)rl.rlim_max, idle + 200);
		skip();
	}
	rl.rlim_cur = rl.rlim_max; /* modserv inherits it too */
	setrlimit(RLIMIT_NOFILE, &rl);
	assert_int_equal(
	    server_write_conf(&srv,
	        "module_path = \"@MODULES@\";\n"
	        "shutdown_timeout = 2;\n"
	        "services = ( { name = \"s\"; transport = \"tcp\";\n"
	        "  listen = \"127.0.0.1:0\"; model = \"%s\";\n"
	        "  module = \"upper\"; %s } );\n",
	        model, keys),
	    0);
	assert_int_equal(server_start(&srv, 1, NULL), 0);
	assert_int_equal(proc_children(srv.pid, &worker, 1), 1);
	rss0 = proc_status_field(worker, "VmRSS");
	vm0 = proc_status_field(worker, "VmSize");
	for (int i = 0; i < idle; i++) {
		fds[i] = client_connect("tcp", srv.addr[0]);
		if (fds[i] < 0)
			fail_msg("connection %d: %s", i, strerror(errno));
	}
	/* every idle one is accepted: the last must get an answer too */
	assert_int_equal(client_exchange(fds[idle - 1], "z", 1, reply), 0);
	active = client_connect("tcp", srv.addr[0]);
	for (int i = 0; i < 200; i++) {
		long long t0 = now_us();

		assert_int_equal(client_exchange(active, "ping", 4, reply), 0);
		assert_memory_equal(reply, "PING", 4);
		lat[i] = now_us() - t0;
	}
	qsort(lat, 200, sizeof(*lat), cmp_ll);
	rss1 = proc_status_field(worker, "VmRSS");
	vm1 = proc_status_field(worker, "VmSize");
	print_message("%s: %d idle connections; active client p50 %lld us, "
	              "p99 %lld us, max %lld us; worker RSS %ld -> %ld KiB "
	              "(%.1f KiB a connection), virtual %ld -> %ld KiB, "
	              "threads %d\n",
	    model, idle, lat[100], lat[198], lat[199], rss0, rss1,
	    (double)(rss1 - rss0) / idle, vm0, vm1, proc_threads(worker));
	if (strcmp(model, "thread") == 0)
		assert_true(proc_threads(worker) > idle);
	assert_true(lat[198] < 100000); /* p99 under 100 ms, loaded or not */
	close(active);
	for (int i = 0; i < idle; i++)
		close(fds[i]);
	free(fds);
	assert_int_equal(server_stop(&srv), 0);
}

static void
ten_thousand_idle_connections_on_select(void **state)
{
	(void)state;
	hold_idle_and_serve("select", 10000, "max_clients = 20000;");
}

static void
a_thousand_idle_connections_on_thread_with_small_stacks(void **state)
{
	(void)state;
	hold_idle_and_serve(
	    "thread", 1000, "max_clients = 2000; thread_stack = 131072;");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        ten_thousand_idle_connections_on_select, srv_setup,
	        srv_teardown),
	    cmocka_unit_test_setup_teardown(
	        a_thousand_idle_connections_on_thread_with_small_stacks,
	        srv_setup, srv_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
