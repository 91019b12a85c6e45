/* test_requests.c - the process as a user and an operator see it, for every
 * model: many requests and what a module sees: threads and memory flat over ten
 * thousand connections, spare threads, options and context, a blocking module
 * under select. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "process.h"

static void
ten_thousand_short_connections_leave_threads_and_memory_flat(void **state)
{
	char reply[16];
	long rss_early, rss_late;
	pid_t w;

	(void)state;
	start_one(
	    "tcp", "127.0.0.1:0", "thread", "upper", "spare_threads = 0;");
	w = server_worker(&srv);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(ask("t\n", reply, sizeof(reply)), 2);
	rss_early = proc_rss_kb(w);
	for (int i = 0; i < 9000; i++)
		assert_int_equal(ask("t\n", reply, sizeof(reply)), 2);
	usleep(100000);
	rss_late = proc_rss_kb(w);
	assert_int_equal(proc_threads(w), 1);
#ifdef __SANITIZE_ADDRESS__ /* ASan keeps freed memory in quarantine */
	print_message("RSS %ld -> %ld KiB (not checked under ASan)\n",
	    rss_early, rss_late);
#else
	if (rss_late > rss_early + 1024)
		fail_msg("RSS grew from %ld to %ld KiB", rss_early, rss_late);
#endif
	assert_int_equal(server_stop(&srv), 0);
}

/* Waits up to 3 s for the worker to have n threads; how many it has. */
static int
settle_threads(pid_t w, int n)
{
	long long end = now_ms() + 3000;

	while (proc_threads(w) != n && now_ms() < end)
		usleep(10000);
	return proc_threads(w);
}

/* How many threads served n requests, by the ids the tid module answers
 * with. */
static int
threads_serving(int n)
{
	int ids[256], distinct = 0;
	char reply[32];

	assert_true(n <= 256);
	for (int i = 0; i < n; i++) {
		assert_true(ask("t\n", reply, sizeof(reply)) > 1);
		int tid = atoi(reply), seen = 0;

		for (int j = 0; j < distinct && !seen; j++)
			seen = ids[j] == tid;
		if (!seen)
			ids[distinct++] = tid;
	}
	return distinct;
}

/* Under thread a thread whose request ended waits for the next one, up to
 * spare_threads of them; the others exit, and at stop the spares do at
 * once.  With spare_threads = 0 every request has a thread of its own. */
static void
spare_threads_serve_the_next_requests_up_to_the_limit(void **state)
{
	char reply[16];
	int fds[5], served;
	long long t0;
	pid_t w;

	(void)state;
	for (int spare = 0; spare <= 2; spare += 2) {
		char keys[64];

		snprintf(keys, sizeof(keys), "spare_threads = %d;", spare);
		start_one("tcp", "127.0.0.1:0", "thread", "tid", keys);
		w = server_worker(&srv);
		for (int i = 0; i < 5; i++) {
			assert_true(
			    (fds[i] = client_connect("tcp", srv.addr[0])) >= 0);
			assert_int_equal(
			    client_exchange(fds[i], "x", 1, reply), 0);
			assert_true(isdigit((unsigned char)reply[0]));
		}
		assert_int_equal(proc_threads(w), 1 + 5);
		for (int i = 0; i < 5; i++)
			close(fds[i]);
		assert_int_equal(settle_threads(w, 1 + spare), 1 + spare);
		served = threads_serving(200);
		assert_int_equal(settle_threads(w, 1 + spare), 1 + spare);
		/* a new thread now and then, when a request comes in while the
		 * last one's thread is not yet back among the spares */
		if (spare > 0 ? served > 20 : served < 150)
			fail_msg(
			    "with spare_threads = %d, %d threads served 200 "
			    "requests one after the other",
			    spare, served);
		t0 = now_ms();
		assert_int_equal(server_stop(&srv), 0);
		if (now_ms() - t0 > 3000)
			fail_msg("stopping with %d spare threads took %lld ms",
			    spare, now_ms() - t0);
		server_cleanup(&srv);
		assert_int_equal(server_prepare(&srv), 0);
	}
}

static void
options_and_context_reach_the_module(void **state)
{
	char reply[512];

	(void)state;
	start_one("unix", "@DIR@/o.sock", "fork", "opts",
	    "options = { count = 7; names = [ \"x\", \"y\" ]; };");
	assert_true(ask("go\n", reply, sizeof(reply)) > 0);
	assert_string_equal(reply, "setup peer\n"
	                           "greeting=hi count=7 loud=0 names=2 x y\n"
	                           "service=s transport=unix model=fork\n"
	                           "service data, request data\n"
	                           "undeclared=null\n");
	assert_int_equal(server_stop(&srv), 0);
}

/* Under select, a module that blocks runs on the pool: a slow request does
 * not hold up another client of the same service. */
static void
a_blocking_module_under_select_does_not_stall_the_loop(void **state)
{
	(void)state;
	for (int dgram = 0; dgram < 2; dgram++) {
		const char *t = dgram ? "udp" : "tcp";
		char r[16];
		int slow, fast;
		long long t0;

		start_one(t, "127.0.0.1:0", "select", "slow",
		    "blocking_threads = 2;");
		slow = client_connect(t, srv.addr[0]);
		fast = client_connect(t, srv.addr[0]);
		assert_int_equal(send(slow, "slow", 4, 0), 4);
		usleep(50000); /* the slow one is sleeping on the pool now */
		t0 = now_ms();
		assert_int_equal(send(fast, "fast", 4, 0), 4);
		assert_int_equal(recv(fast, r, sizeof(r), 0), 4);
		assert_memory_equal(r, "fast", 4);
		/* the slow one takes 1 s: half of it is room for a loaded
		 * machine, not a wait behind it */
		if (now_ms() - t0 > 500)
			fail_msg(
			    "the fast client waited %lld ms", now_ms() - t0);
		assert_int_equal(recv(slow, r, sizeof(r), 0), 4);
		assert_true(now_ms() - t0 >= 800);
		close(slow);
		close(fast);
		assert_int_equal(server_stop(&srv), 0);
		server_cleanup(&srv);
		server_prepare(&srv);
	}
}

HARNESS_MAIN("requests",
    SRV_TEST(ten_thousand_short_connections_leave_threads_and_memory_flat),
    SRV_TEST(spare_threads_serve_the_next_requests_up_to_the_limit),
    SRV_TEST(options_and_context_reach_the_module),
    SRV_TEST(a_blocking_module_under_select_does_not_stall_the_loop))
