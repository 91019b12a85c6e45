/* test_supervision.c - the process as a user and an operator see it, for every
 * model: signals and supervision: SIGTERM and the drain, a killed or crashing
 * worker restarted, a hangup, init failing, a module stuck in handle, and a
 * service manager told how it goes. */
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

static char out[1 << 16];

static void
sigterm_right_after_start_exits_promptly(void **state)
{
	(void)state;
	for (size_t m = 0; m < 3; m++) {
		long long t0;

		start_one("tcp", "127.0.0.1:0", models[m], "echo", NULL);
		t0 = now_ms();
		assert_int_equal(server_stop(&srv), 0);
		assert_true(now_ms() - t0 < 1500);
		server_cleanup(&srv);
		server_prepare(&srv);
	}
}

/* An open connection is in flight: the stop waits for it, it is still
 * served meanwhile, and the server exits 0 as soon as it ends. */
static void
sigterm_lets_requests_in_flight_finish(void **state)
{
	(void)state;
	for (size_t m = 0; m < 3; m++) {
		char reply[16];
		int fd, status;
		long long t0;

		start_one("tcp", "127.0.0.1:0", models[m], "upper", NULL);
		fd = client_connect("tcp", srv.addr[0]);
		assert_int_equal(client_exchange(fd, "a", 1, reply), 0);
		kill(srv.pid, SIGTERM);
		assert_true(server_wait_log(&srv, "stop accepting", 3000));
		assert_int_equal(client_exchange(fd, "still", 5, reply), 0);
		assert_memory_equal(reply, "STILL", 5);
		assert_int_equal(waitpid(srv.pid, &status, WNOHANG), 0);
		t0 = now_ms();
		close(fd);
		assert_int_equal(waitpid(srv.pid, &status, 0), srv.pid);
		assert_true(now_ms() - t0 < 2000);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		srv.pid = -1;
		server_cleanup(&srv);
		server_prepare(&srv);
	}
}

static void
shutdown_timeout_bounds_the_drain(void **state)
{
	(void)state;
	for (size_t m = 0; m < 3; m++) {
		int fd;
		long long t0;

		assert_int_equal(
		    server_write_conf(&srv,
		        "module_path = \"@MODULES@\";\n"
		        "shutdown_timeout = 0.5;\nservices = ( { "
		        "name = \"s\"; transport = \"tcp\"; listen "
		        "= \"127.0.0.1:0\"; model = \"%s\"; "
		        "module = \"echo\"; } );\n",
		        models[m]),
		    0);
		assert_int_equal(server_start(&srv, 1, NULL), 0);
		fd = client_connect("tcp", srv.addr[0]);
		assert_int_equal(client_exchange(fd, "x", 1, out), 0);
		t0 = now_ms();
		assert_int_equal(server_stop(&srv), 0); /* fd stays open */
		assert_true(now_ms() - t0 >= 400);
		assert_true(now_ms() - t0 < 3000);
		assert_non_null(strstr(srv.log, "shutdown_timeout"));
		close(fd);
		server_cleanup(&srv);
		server_prepare(&srv);
	}
}

static void
a_killed_worker_is_restarted_and_serves(void **state)
{
	char reply[64];
	pid_t w;

	(void)state;
	start_one("tcp", "127.0.0.1:0", "select", "upper", NULL);
	w = server_worker(&srv);
	kill(w, SIGKILL);
	assert_true(server_wait_log(&srv, "killed by signal 9", 3000));
	assert_true(server_worker(&srv) != w);
	assert_int_equal(ask("again\n", reply, sizeof(reply)), 6);
	assert_string_equal(reply, "AGAIN\n");
	assert_int_equal(server_stop(&srv), 0);
}

/* as README says: at once only after 10 s of serving, else after 100 ms,
 * doubling */
static void
a_worker_that_dies_young_is_restarted_after_100_ms(void **state)
{
	(void)state;
	start_one("tcp", "127.0.0.1:0", "thread", "upper", NULL);
	kill(server_worker(&srv), SIGKILL);
	assert_true(server_wait_log(&srv, "killed by signal 9", 3000));
	if (!server_wait_log(&srv, "restarting the worker in 100 ms", 3000))
		fail_msg("no 100 ms wait before the first restart: %s",
		    server_log(&srv, 0));
	kill(server_worker(&srv), SIGKILL);
	assert_true(
	    server_wait_log(&srv, "restarting the worker in 200 ms", 3000));
	assert_int_equal(server_stop(&srv), 0);
}

/* A terminal's hangup reaches the whole process group: the master reloads,
 * a worker of any model serves on as it was. */
static void
a_hangup_sent_to_a_worker_changes_nothing(void **state)
{
	char reply[64];

	(void)state;
	for (size_t m = 0; m < 3; m++) {
		pid_t w;

		start_one("tcp", "127.0.0.1:0", models[m], "upper", NULL);
		w = server_worker(&srv);
		assert_int_equal(kill(w, SIGHUP), 0);
		assert_int_equal(ask("still\n", reply, sizeof(reply)), 6);
		assert_string_equal(reply, "STILL\n");
		assert_int_equal(server_worker(&srv), w);
		assert_false(server_wait_log(&srv, "signal", 200));
		assert_int_equal(server_stop(&srv), 0);
		server_cleanup(&srv);
		server_prepare(&srv);
	}
}

/* SIGSEGV and abort() in handle: under fork only that request's process
 * dies; under thread and select the worker is restarted within a second. */
static void
a_crash_in_handle_costs_one_worker_not_the_service(void **state)
{
	static const struct {
		const char *request;
		int sig;
	} crashes[] = {{"crash\n", 11}, {"abort\n", 6}};

	(void)state;
	for (size_t m = 0; m < 3; m++) {
		for (size_t k = 0; k < 2; k++) {
			char reply[64], want[64];
			long long t0;

			start_one(
			    "tcp", "127.0.0.1:0", models[m], "crash", NULL);
			assert_int_equal(
			    ask(crashes[k].request, reply, sizeof(reply)), 0);
			t0 = now_ms();
			snprintf(want, sizeof(want), "%s killed by signal %d",
			    strcmp(models[m], "fork") == 0 ? ""
			                                   : "(module crash)",
			    crashes[k].sig);
			assert_true(server_wait_log(&srv, want, 3000));
			/* served again within a second */
			while (ask("fine\n", reply, sizeof(reply)) != 5 &&
			       now_ms() - t0 < 1000)
				usleep(10000);
			assert_string_equal(reply, "fine\n");
			assert_int_equal(server_stop(&srv), 0);
			server_cleanup(&srv);
			server_prepare(&srv);
		}
	}
}

static void
a_failing_init_is_logged_and_retried_with_backoff(void **state)
{
	(void)state;
	start_one("tcp", "127.0.0.1:0", "thread", "bad_init", NULL);
	assert_true(server_wait_log(&srv,
	    "init failed: the database at db.example is unreachable", 3000));
	assert_true(
	    server_wait_log(&srv, "restarting the worker in 100 ms", 3000));
	assert_true(
	    server_wait_log(&srv, "restarting the worker in 200 ms", 3000));
	assert_int_equal(server_stop(&srv), 0);
}

static void
a_crash_in_init_does_not_take_the_master_down(void **state)
{
	(void)state;
	start_one("unix", "@DIR@/s.sock", "select", "crash",
	    "options = { where = \"init\"; };");
	assert_true(server_wait_log(&srv, "killed by signal 11", 3000));
	assert_true(
	    server_wait_log(&srv, "restarting the worker in 200 ms", 3000));
	assert_int_equal(kill(srv.pid, 0), 0);
	assert_int_equal(server_stop(&srv), 0);
}

static void
a_module_stuck_in_handle_under_select_is_restarted(void **state)
{
	char reply[8], want[64];
	int stuck, fd;
	long long t0;
	struct sockaddr_in me;
	socklen_t len = sizeof(me);

	(void)state;
	start_one(
	    "tcp", "127.0.0.1:0", "select", "hang", "handle_timeout = 0.5;");
	stuck = client_connect("tcp", srv.addr[0]);
	getsockname(stuck, (struct sockaddr *)&me, &len);
	t0 = now_ms();
	assert_int_equal(send(stuck, "hang", 4, 0), 4);
	snprintf(
	    want, sizeof(want), "serving 127.0.0.1:%d", ntohs(me.sin_port));
	assert_true(server_wait_log(&srv, want, 3000));
	assert_non_null(strstr(srv.log, "module hang stuck in handle"));
	assert_true(now_ms() - t0 >= 450);
	/* the restarted worker serves the next client */
	do {
		fd = client_connect("tcp", srv.addr[0]);
		if (client_exchange(fd, "ok", 2, reply) == 0)
			break;
		close(fd);
		fd = -1;
		usleep(50000);
	} while (now_ms() - t0 < 3000);
	assert_true(fd >= 0);
	assert_memory_equal(reply, "ok", 2);
	close(fd);
	close(stuck);
	assert_int_equal(server_stop(&srv), 0);
}

/* Reads one notification from the manager's socket: "" after ms. */
static void
manager_read(int fd, char *msg, size_t n, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t got = 0;

	if (poll(&pfd, 1, ms) == 1 && (got = recv(fd, msg, n - 1, 0)) < 0)
		got = 0;
	msg[got] = '\0';
}

/* The test plays systemd: NOTIFY_SOCKET names its datagram socket. */
static void
a_service_manager_hears_ready_and_stopping(void **state)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char msg[1024], reply[16];
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	(void)state;
	assert_true(strlen(srv.dir) + 8 <= sizeof(sun.sun_path));
	memcpy(sun.sun_path, srv.dir, strlen(srv.dir));
	strcat(sun.sun_path, "/notify");
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	setenv("NOTIFY_SOCKET", sun.sun_path, 1);
	start_one("tcp", "127.0.0.1:0", "fork", "helper", NULL);
	unsetenv("NOTIFY_SOCKET");
	manager_read(fd, msg, sizeof(msg), 3000);
	assert_non_null(strstr(msg, "READY=1\n"));
	assert_non_null(strstr(
	    msg, "STATUS=serving 1 service: 0 requests served, 0 active\n"));
	snprintf(reply, sizeof(reply), "MAINPID=%d", (int)srv.pid);
	assert_non_null(strstr(msg, reply));
	/* requests (and the programs they start) say nothing to it */
	assert_true(ask("go\n", reply, sizeof(reply)) > 0);
	/* a reload is announced, then ready again once the new worker is */
	conf_one("tcp", srv.addr[0], "select", "helper", NULL);
	assert_int_equal(kill(srv.pid, SIGHUP), 0);
	manager_read(fd, msg, sizeof(msg), 3000);
	assert_non_null(strstr(msg, "RELOADING=1\n"));
	assert_non_null(strstr(msg, "MONOTONIC_USEC="));
	manager_read(fd, msg, sizeof(msg), 3000);
	assert_non_null(strstr(msg, "READY=1\n"));
	/* with the live counters: the request above */
	assert_non_null(
	    strstr(msg, "STATUS=serving 1 service: 1 request served"));
	if (!server_wait_log(&srv, "with model select", 1000))
		fail_msg("%s", server_log(&srv, 0));
	assert_int_equal(server_stop(&srv), 0);
	manager_read(fd, msg, sizeof(msg), 3000);
	assert_non_null(strstr(msg, "STOPPING=1\n"));
	manager_read(fd, msg, sizeof(msg), 200);
	assert_string_equal(msg, "");
	close(fd);
}

HARNESS_MAIN("supervision", SRV_TEST(sigterm_right_after_start_exits_promptly),
    SRV_TEST(sigterm_lets_requests_in_flight_finish),
    SRV_TEST(shutdown_timeout_bounds_the_drain),
    SRV_TEST(a_killed_worker_is_restarted_and_serves),
    SRV_TEST(a_worker_that_dies_young_is_restarted_after_100_ms),
    SRV_TEST(a_hangup_sent_to_a_worker_changes_nothing),
    SRV_TEST(a_crash_in_handle_costs_one_worker_not_the_service),
    SRV_TEST(a_failing_init_is_logged_and_retried_with_backoff),
    SRV_TEST(a_crash_in_init_does_not_take_the_master_down),
    SRV_TEST(a_module_stuck_in_handle_under_select_is_restarted),
    SRV_TEST(a_service_manager_hears_ready_and_stopping))
