/* test_children.c - the process as a user and an operator see it, for every
 * model: limits and children: clients past max_clients wait in the backlog; no
 * zombie is left by a request process or by a helper a module forks. */
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
past_max_clients_new_clients_wait_in_the_backlog(void **state)
{
	(void)state;
	for (size_t m = 0; m < 3; m++) {
		int a, b, c;
		char r[8];
		struct pollfd pfd;

		start_one("tcp", "127.0.0.1:0", models[m], "echo",
		    "max_clients = 2;");
		a = client_connect("tcp", srv.addr[0]);
		b = client_connect("tcp", srv.addr[0]);
		assert_int_equal(client_exchange(a, "a", 1, r), 0);
		assert_int_equal(client_exchange(b, "b", 1, r), 0);
		c = client_connect("tcp", srv.addr[0]); /* in the backlog */
		assert_true(c >= 0);
		assert_int_equal(send(c, "c", 1, 0), 1);
		pfd = (struct pollfd){.fd = c, .events = POLLIN};
		assert_int_equal(poll(&pfd, 1, 300), 0); /* not served yet */
		close(a);
		assert_int_equal(client_recv_all(c, r, 1), 0); /* now it is */
		assert_int_equal(r[0], 'c');
		close(b);
		close(c);
		assert_int_equal(server_stop(&srv), 0);
		server_cleanup(&srv);
		server_prepare(&srv);
	}
}

static void
fork_leaves_no_zombies(void **state)
{
	char reply[16];
	pid_t w;

	(void)state;
	start_one("tcp", "127.0.0.1:0", "fork", "upper", NULL);
	w = server_worker(&srv);
	for (int i = 0; i < 200; i++)
		assert_int_equal(ask("z\n", reply, sizeof(reply)), 2);
	/* the last request processes may still be on their way out */
	for (int i = 0; i < 500 && proc_children(w, NULL, 0) > 0; i++)
		usleep(10000);
	assert_int_equal(proc_children(w, NULL, 0), 0);
	assert_int_equal(proc_zombies(w), 0);
	assert_int_equal(server_stop(&srv), 0);
	assert_int_equal(proc_zombies(getpid()), 0);
}

static void
a_module_that_forks_a_helper_reaps_it_itself(void **state)
{
	(void)state;
	for (size_t m = 0; m < 3; m++) {
		char reply[64];

		start_one("tcp", "127.0.0.1:0", models[m], "helper", NULL);
		for (int i = 0; i < 5; i++) {
			assert_true(ask("go\n", reply, sizeof(reply)) > 0);
			assert_string_equal(reply, "helper exited 42\n");
		}
		/* the helper its init started waits unreaped all along */
		assert_int_equal(server_stop(&srv), 0);
		assert_non_null(
		    strstr(server_log(&srv, 0), "init helper exited 7"));
		assert_int_equal(proc_zombies(getpid()), 0);
		server_cleanup(&srv);
		server_prepare(&srv);
	}
}

HARNESS_MAIN("children",
    SRV_TEST(past_max_clients_new_clients_wait_in_the_backlog),
    SRV_TEST(fork_leaves_no_zombies),
    SRV_TEST(a_module_that_forks_a_helper_reaps_it_itself))
