/* test_binding.c - the process as a user and an operator see it, for every
 * model: binding: port 0, IPv6 loopback, an address in use, unix socket files
 * stale, live or in the way, several services side by side. */
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
port_zero_is_resolved_in_the_log(void **state)
{
	char reply[64];

	(void)state;
	start_one("tcp", "127.0.0.1:0", "thread", "upper", NULL);
	assert_string_equal(srv.transport[0], "tcp");
	assert_null(strstr(srv.addr[0], ":0\0"));
	assert_true(atoi(strrchr(srv.addr[0], ':') + 1) > 0);
	assert_int_equal(ask("port zero\n", reply, sizeof(reply)), 10);
	assert_string_equal(reply, "PORT ZERO\n");
}

static void
ipv6_loopback_serves(void **state)
{
	char reply[64];

	(void)state;
	start_one("tcp", "[::1]:0", "select", "upper", NULL);
	assert_true(strncmp(srv.addr[0], "[::1]:", 6) == 0);
	assert_int_equal(ask("six\n", reply, sizeof(reply)), 4);
	assert_string_equal(reply, "SIX\n");
}

static void
an_address_in_use_exits_one_and_leaves_nothing(void **state)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	int hold = socket(AF_INET, SOCK_STREAM, 0);
	char sock[300];
	struct stat st;

	(void)state;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(hold, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(hold, 1), 0);
	getsockname(hold, (struct sockaddr *)&sin, &len);
	/* a unix service binds first: its socket file must not be left */
	assert_int_equal(server_write_conf(&srv,
	                     "module_path = \"@MODULES@\";\nservices = (\n"
	                     "{ name = \"u\"; transport = \"unix\"; listen = "
	                     "\"@DIR@/u.sock\"; module = \"echo\"; },\n"
	                     "{ name = \"t\"; transport = \"tcp\"; listen = "
	                     "\"127.0.0.1:%d\"; module = \"echo\"; } );\n",
	                     ntohs(sin.sin_port)),
	    0);
	assert_int_equal(server_start(&srv, 2, NULL), -1);
	assert_int_equal(srv.status, 1);
	assert_non_null(strstr(srv.log, "address in use"));
	snprintf(sock, sizeof(sock), "%s/u.sock", srv.dir);
	assert_int_equal(stat(sock, &st), -1);
	close(hold);
}

static void
a_stale_unix_socket_file_is_replaced(void **state)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	char reply[64];

	(void)state;
	assert_true(strlen(srv.dir) + 8 < sizeof(sun.sun_path));
	memcpy(sun.sun_path, srv.dir, strlen(srv.dir));
	memcpy(sun.sun_path + strlen(srv.dir), "/s.sock", 8);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd); /* a dead server's file stays behind */
	start_one("unix", "@DIR@/s.sock", "thread", "upper", NULL);
	assert_int_equal(ask("fresh\n", reply, sizeof(reply)), 6);
	assert_string_equal(reply, "FRESH\n");
}

static void
a_live_unix_socket_is_never_stolen(void **state)
{
	struct server other;
	char reply[64];

	(void)state;
	start_one("unix", "@DIR@/s.sock", "select", "upper", NULL);
	assert_int_equal(server_prepare(&other), 0);
	assert_int_equal(server_write_conf(&other,
	                     "module_path = \"@MODULES@\";\nservices = ( { "
	                     "name = \"s\"; transport = \"unix\"; listen = "
	                     "\"%s\"; module = \"echo\"; } );\n",
	                     srv.addr[0]),
	    0);
	assert_int_equal(server_start(&other, 1, NULL), -1);
	assert_int_equal(other.status, 1);
	assert_non_null(strstr(other.log, "address in use (a live server "
	                                  "answers there)"));
	server_cleanup(&other);
	assert_int_equal(ask("still mine\n", reply, sizeof(reply)), 11);
	assert_string_equal(reply, "STILL MINE\n");
}

static void
a_file_in_the_way_is_not_removed(void **state)
{
	char path[300];
	struct stat st;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/s.sock", srv.dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	conf_one("unix", "@DIR@/s.sock", "thread", "echo", NULL);
	assert_int_equal(server_start(&srv, 1, NULL), -1);
	assert_non_null(strstr(srv.log, "exists and is not a socket"));
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
}

static void
several_services_run_side_by_side(void **state)
{
	char reply[64];

	(void)state;
	assert_int_equal(server_write_conf(&srv,
	                     "module_path = \"@MODULES@\";\nservices = (\n"
	                     "{ name = \"a\"; transport = \"tcp\"; listen = "
	                     "\"127.0.0.1:0\"; model = \"select\"; module = "
	                     "\"upper\"; },\n"
	                     "{ name = \"b\"; transport = \"unix\"; listen = "
	                     "\"@DIR@/b.sock\"; model = \"fork\"; module = "
	                     "\"echo\"; },\n"
	                     "{ name = \"c\"; transport = \"udp\"; listen = "
	                     "\"127.0.0.1:0\"; model = \"thread\"; module = "
	                     "\"upper\"; } );\n"),
	    0);
	assert_int_equal(server_start(&srv, 3, NULL), 0);
	assert_int_equal(proc_children(srv.pid, NULL, 0), 3);
	assert_int_equal(ask("upper\n", reply, sizeof(reply)), 6);
	assert_string_equal(reply, "UPPER\n");
	for (int i = 1; i < 3; i++) {
		int fd = client_connect(srv.transport[i], srv.addr[i]);

		assert_true(fd >= 0);
		assert_int_equal(client_exchange(fd, "xy", 2, reply), 0);
		assert_memory_equal(reply, i == 1 ? "xy" : "XY", 2);
		close(fd);
	}
	usleep(100000);
	assert_null(strstr(server_log(&srv, 0), "killed"));
	/* SIGKILL one worker: it alone is restarted, the others go on */
	pid_t before[3], after[3];
	int kept = 0;

	assert_int_equal(proc_children(srv.pid, before, 3), 3);
	kill(before[0], SIGKILL);
	assert_true(server_wait_log(&srv, "killed by signal 9", 3000));
	for (int i = 0; i < 300 && proc_children(srv.pid, after, 3) < 3; i++)
		usleep(10000);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			kept += before[i] == after[j];
	assert_int_equal(kept, 2);
	for (int i = 1; i < 3; i++) {
		int fd = client_connect(srv.transport[i], srv.addr[i]);

		assert_int_equal(client_exchange(fd, "xy", 2, reply), 0);
		close(fd);
	}
	assert_int_equal(ask("upper\n", reply, sizeof(reply)), 6);
	assert_int_equal(server_stop(&srv), 0);
}

HARNESS_MAIN("binding", SRV_TEST(port_zero_is_resolved_in_the_log),
    SRV_TEST(ipv6_loopback_serves),
    SRV_TEST(an_address_in_use_exits_one_and_leaves_nothing),
    SRV_TEST(a_stale_unix_socket_file_is_replaced),
    SRV_TEST(a_live_unix_socket_is_never_stolen),
    SRV_TEST(a_file_in_the_way_is_not_removed),
    SRV_TEST(several_services_run_side_by_side))
