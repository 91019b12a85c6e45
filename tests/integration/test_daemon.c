/* test_daemon.c - modserv among the processes around it: a service
 * manager's sockets and notifications, the background mode and its
 * pidfile, syslog, log reopening, the status counters. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static const char *
user(void)
{
	return getenv("USER") ? getenv("USER") : "root";
}

/* A tcp port on 127.0.0.1 that was free a moment ago. */
static int
free_port(void)
{
	struct sockaddr_in sin = {
	    .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/* One exchange on a fresh connection; the reply ("" if none). */
static void
ask(const char *transport, const char *addr, const char *msg, char *reply)
{
	int fd = client_connect(transport, addr);
	size_t len = strlen(msg);

	reply[0] = '\0';
	assert_true(fd >= 0);
	if (client_exchange(fd, msg, len, reply) == 0)
		reply[len] = '\0';
	else
		reply[0] = '\0';
	close(fd);
}

/* The pid in brackets on the log line holding text; -1 if none. */
static pid_t
log_pid(const char *text)
{
	const char *log = server_log(&srv, 0), *hit = strstr(log, text);
	int pid = -1;

	if (hit == NULL)
		return -1;
	while (hit > log && hit[-1] != '\n')
		hit--;
	if ((hit = strchr(hit, '[')) != NULL)
		sscanf(hit, "[%d]", &pid);
	return pid;
}

/* systemd-socket-activate binds the sockets and starts modserv on the
 * first connection: the service named in LISTEN_FDNAMES takes its socket
 * by name, the other by its address; neither binds, and the socket file
 * stays the manager's when modserv stops. */
static void
sockets_from_the_service_manager_are_used_not_bound(void **state)
{
	char sock[300], tcp[64], reply[64], listen_unix[320], listen_tcp[80];
	int port = free_port(), status;
	pid_t activator, modserv = -1;
	struct stat st;
	long long end;

	(void)state;
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	snprintf(sock, sizeof(sock), "%s/a.sock", srv.dir);
	snprintf(tcp, sizeof(tcp), "127.0.0.1:%d", port);
	assert_int_equal(
	    server_write_conf(&srv,
	        "user = \"%s\";\n"
	        "services = (\n"
	        " { name = \"a\"; transport = \"unix\"; listen = \"a.sock\";\n"
	        "   model = \"select\"; module = \"@MODULES@/upper.so\"; },\n"
	        " { name = \"b\"; transport = \"tcp\"; listen = \"%s\";\n"
	        "   module = \"@MODULES@/echo.so\"; } );\n",
	        user(), tcp),
	    0);
	snprintf(listen_unix, sizeof(listen_unix), "--listen=%s", sock);
	snprintf(listen_tcp, sizeof(listen_tcp), "--listen=%s", tcp);
	{
		const char *argv[] = {"/usr/bin/systemd-socket-activate",
		    listen_unix, listen_tcp, "--fdname=a", MODSERV_BIN, "-c",
		    srv.conf, NULL};

		assert_int_equal(server_spawn(&srv, argv), 0);
	}
	activator = srv.pid;
	assert_true(server_wait_log(&srv, "Listening on 127.0.0.1", 5000));
	/* the first client starts modserv, and is served */
	ask("unix", sock, "hello\n", reply);
	assert_string_equal(reply, "HELLO\n");
	ask("tcp", tcp, "echo\n", reply);
	assert_string_equal(reply, "echo\n");
	assert_true(server_wait_log(&srv, "b: listening on tcp", 3000));
	assert_non_null(strstr(server_log(&srv, 0), "a: listening on unix "));
	assert_non_null(
	    strstr(server_log(&srv, 0), "(socket from the service manager)"));
	assert_null(strstr(server_log(&srv, 0), "bind"));
	modserv = log_pid("b: listening on tcp");
	assert_true(modserv > 0);
	if (modserv != activator) /* it forked modserv rather than exec'd */
		waitpid(activator, &status, 0);
	/* a reload keeps the manager's sockets */
	assert_int_equal(
	    server_write_conf(&srv,
	        "user = \"%s\";\n"
	        "services = (\n"
	        " { name = \"a\"; transport = \"unix\"; listen = \"a.sock\";\n"
	        "   model = \"thread\"; module = \"@MODULES@/echo.so\"; },\n"
	        " { name = \"b\"; transport = \"tcp\"; listen = \"%s\";\n"
	        "   module = \"@MODULES@/echo.so\"; } );\n",
	        user(), tcp),
	    0);
	assert_int_equal(kill(modserv, SIGHUP), 0);
	assert_true(server_wait_log(&srv, "reloaded:", 5000));
	end = now_ms() + 3000;
	do
		ask("unix", sock, "again\n", reply);
	while (
	    strcmp(reply, "again\n") != 0 && now_ms() < end && !usleep(20000));
	assert_string_equal(reply, "again\n");
	/* stopping leaves the manager's socket file where it was */
	srv.pid = modserv;
	assert_int_equal(server_stop(&srv), 0);
	assert_int_equal(stat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        sockets_from_the_service_manager_are_used_not_bound, srv_setup,
	        srv_teardown),
	};

	return cmocka_run_group_tests_name("daemon", tests, NULL, NULL);
}
