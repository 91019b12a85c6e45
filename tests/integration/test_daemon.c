/* test_daemon.c - modserv among the processes around it: a service
 * manager's sockets and notifications, the background mode and its
 * pidfile, syslog, log reopening, the status counters. */
#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
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
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

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
	        harness_user(), tcp),
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
	        harness_user(), tcp),
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

/* A unix-dgram socket the service manager binds has the kernel's default
 * send buffer (208 KiB): modserv raises it, as for its own, so that a reply
 * to the largest datagram accepted (256 KiB) is sent whole, not lost. */
static void
a_large_datagram_over_a_socket_from_the_service_manager_comes_back_whole(
    void **state)
{
	char sock[300], listen_unix[320];
	int size = 1 << 20, fd, status;
	pid_t activator, modserv;
	char *huge;

	(void)state;
	if (geteuid() != 0)
		skip(); /* the client's own buffers need SO_SNDBUFFORCE */
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	snprintf(sock, sizeof(sock), "%s/d.sock", srv.dir);
	assert_int_equal(server_write_conf(&srv,
	                     "user = \"%s\";\n"
	                     "services = (\n"
	                     " { name = \"d\"; transport = \"unix-dgram\";\n"
	                     "   listen = \"d.sock\"; module = "
	                     "\"@MODULES@/upper.so\"; } );\n",
	                     harness_user()),
	    0);
	snprintf(listen_unix, sizeof(listen_unix), "--listen=%s", sock);
	{
		const char *argv[] = {"/usr/bin/systemd-socket-activate",
		    "--datagram", listen_unix, MODSERV_BIN, "-c", srv.conf,
		    NULL};

		assert_int_equal(server_spawn(&srv, argv), 0);
	}
	activator = srv.pid;
	assert_true(server_wait_log(&srv, "Listening on ", 5000));
	/* the first datagram starts modserv, and is answered */
	fd = client_connect("unix-dgram", sock);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	assert_non_null(huge = malloc(300000));
	memset(huge, 'b', 262144);
	assert_int_equal(send(fd, huge, 262144, 0), 262144);
	assert_int_equal(recv(fd, huge, 300000, 0), 262144);
	assert_int_equal(huge[0], 'B');
	assert_int_equal(huge[262143], 'B');
	free(huge);
	close(fd);
	assert_non_null(strstr(
	    server_log(&srv, 0), "d: listening on unix-dgram " /* no bind */));
	assert_non_null(
	    strstr(server_log(&srv, 0), "(socket from the service manager)"));
	modserv = log_pid("d: listening on unix-dgram");
	assert_true(modserv > 0);
	if (modserv != activator) /* it forked modserv rather than exec'd */
		waitpid(activator, &status, 0);
	srv.pid = modserv;
	assert_int_equal(server_stop(&srv), 0);
}

/* The value of metric{service="name"} in `modserv -s` output, or -1. */
static long long
metric(const char *text, const char *name, const char *service)
{
	char key[160];
	const char *p;

	snprintf(
	    key, sizeof(key), "modserv_%s{service=\"%s\"} ", name, service);
	if ((p = strstr(text, key)) == NULL)
		return -1;
	return atoll(p + strlen(key));
}

static char status[1 << 14];

/* Runs modserv -s until metric of service reads want (2 s at most). */
static void
status_until(const char *name, const char *service, long long want)
{
	long long end = now_ms() + 2000;

	do
		assert_int_equal(modserv_run(status, sizeof(status), "-c",
		                     srv.conf, "-s", NULL),
		    0);
	while (metric(status, name, service) != want && now_ms() < end &&
	       !usleep(20000));
}

static void
status_counters_match_what_clients_did(void **state)
{
	char reply[64];
	pid_t worker;
	int fd;

	(void)state;
	/* no status socket configured: -s says what to add */
	assert_int_equal(server_write_conf(&srv,
	                     "services = ( { name = \"s\"; transport = "
	                     "\"tcp\"; listen = \"127.0.0.1:0\"; module = "
	                     "\"@MODULES@/echo.so\"; } );\n"),
	    0);
	assert_int_equal(
	    modserv_run(status, sizeof(status), "-c", srv.conf, "-s", NULL), 1);
	assert_non_null(strstr(status, "sets no status_socket"));
	assert_int_equal(
	    server_write_conf(&srv,
	        "user = \"%s\";\n"
	        "status_socket = \"status.sock\";\n"
	        "services = (\n"
	        " { name = \"s\"; transport = \"tcp\"; listen = "
	        "\"127.0.0.1:0\";\n"
	        "   model = \"select\"; module = \"@MODULES@/upper.so\";\n"
	        "   deny = [ \"127.0.0.2\" ]; },\n"
	        " { name = \"d\"; transport = \"udp\"; listen = "
	        "\"127.0.0.1:0\";\n"
	        "   model = \"thread\"; module = \"@MODULES@/echo.so\"; } );\n",
	        harness_user()),
	    0);
	assert_int_equal(server_start(&srv, 2, NULL), 0);
	/* five connections of three 5-byte lines; one refused */
	for (int i = 0; i < 5; i++) {
		assert_true((fd = client_connect("tcp", srv.addr[0])) >= 0);
		for (int k = 0; k < 3; k++) {
			assert_int_equal(
			    client_exchange(fd, "abcd\n", 5, reply), 0);
			assert_memory_equal(reply, "ABCD\n", 5);
		}
		close(fd);
	}
	fd = client_connect_from("127.0.0.2", srv.addr[0]);
	assert_true(fd >= 0);
	assert_true(recv(fd, reply, sizeof(reply), 0) <= 0);
	close(fd);
	/* four datagrams of 10 bytes */
	assert_true((fd = client_connect("udp", srv.addr[1])) >= 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(send(fd, "0123456789", 10, 0), 10);
		assert_int_equal(recv(fd, reply, sizeof(reply), 0), 10);
	}
	close(fd);
	/* a worker killed and restarted */
	worker = log_pid("s: worker ");
	assert_true(worker > 0);
	assert_int_equal(kill(worker, SIGKILL), 0);
	assert_true(server_wait_log(&srv, "killed by signal 9", 3000));
	status_until("requests_total", "s", 5);
	assert_int_equal(metric(status, "accepted_total", "s"), 5);
	assert_int_equal(metric(status, "refused_total", "s"), 1);
	assert_int_equal(metric(status, "requests_total", "s"), 5);
	assert_int_equal(metric(status, "active", "s"), 0);
	assert_int_equal(metric(status, "errors_total", "s"), 0);
	assert_int_equal(metric(status, "received_bytes_total", "s"), 75);
	assert_int_equal(metric(status, "sent_bytes_total", "s"), 75);
	assert_int_equal(metric(status, "worker_restarts_total", "s"), 1);
	assert_int_equal(metric(status, "accepted_total", "d"), 4);
	assert_int_equal(metric(status, "requests_total", "d"), 4);
	assert_int_equal(metric(status, "received_bytes_total", "d"), 40);
	assert_int_equal(metric(status, "sent_bytes_total", "d"), 40);
	assert_int_equal(metric(status, "workers", "d"), 1);
	assert_int_equal(metric(status, "worker_restarts_total", "d"), 0);
	assert_non_null(
	    strstr(status, "# TYPE modserv_requests_total counter\n"));
	assert_int_equal(server_stop(&srv), 0);
}

/* Reads file path whole into buf; its length, or -1. */
static long
read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* Waits up to ms for text in the file at path. */
static int
file_has(const char *path, const char *text, int ms)
{
	static char buf[1 << 16];
	long long end = now_ms() + ms;

	do
		if (read_file(path, buf, sizeof(buf)) >= 0 && strstr(buf, text))
			return 1;
	while (now_ms() < end && !usleep(20000));
	return 0;
}

static void
background_mode_pidfile_and_log_reopening(void **state)
{
	char pidfile[300], log[300], rotated[300], buf[64], out[2048];
	char addr[64];
	const char *p;
	pid_t pid;
	int fd;
	long long end;

	(void)state;
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	snprintf(pidfile, sizeof(pidfile), "%s/modserv.pid", srv.dir);
	snprintf(log, sizeof(log), "%s/service.log", srv.dir);
	snprintf(rotated, sizeof(rotated), "%s/service.log.1", srv.dir);
	assert_int_equal(
	    server_write_conf(&srv,
	        "user = \"%s\";\n"
	        "pidfile = \"modserv.pid\";\n"
	        "log = \"service.log\";\n"
	        "services = ( { name = \"s\"; transport = \"tcp\";\n"
	        "  listen = \"127.0.0.1:0\"; module = \"@MODULES@/upper.so\";\n"
	        "  deny = [ \"127.0.0.2\" ]; } );\n",
	        harness_user()),
	    0);
	/* -d returns once it serves, 0 */
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-c", srv.conf, "-d", NULL), 0);
	assert_true(read_file(pidfile, buf, sizeof(buf)) > 0);
	pid = atoi(buf);
	assert_true(pid > 0);
	assert_int_equal(kill(pid, 0), 0);
	assert_true(file_has(log, "s: worker ", 1000));
	assert_true(read_file(log, out, sizeof(out)) > 0);
	p = strstr(out, "listening on tcp ");
	assert_non_null(p);
	sscanf(p, "listening on tcp %63s", addr);
	{
		char reply[8];

		fd = client_connect("tcp", addr);
		assert_int_equal(client_exchange(fd, "bg\n", 3, reply), 0);
		assert_memory_equal(reply, "BG\n", 3);
		close(fd);
	}
	/* a second one with the same pidfile is refused, and says why */
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-c", srv.conf, "-d", NULL), 1);
	assert_non_null(strstr(out, "is running with it already"));
	snprintf(buf, sizeof(buf), "pid %d", (int)pid);
	assert_non_null(strstr(out, buf));
	/* the log rotated away, SIGUSR1: master and worker write anew */
	assert_int_equal(rename(log, rotated), 0);
	assert_int_equal(kill(pid, SIGUSR1), 0);
	assert_true(file_has(log, "SIGUSR1: log reopened", 2000));
	usleep(100000); /* the worker's turn */
	fd = client_connect_from("127.0.0.2", addr);
	if (fd >= 0)
		close(fd);
	assert_true(file_has(log, "127.0.0.2:", 2000)); /* the worker's line */
	assert_false(file_has(rotated, "127.0.0.2:", 0));
	/* SIGTERM: it stops and takes its pidfile along */
	assert_int_equal(kill(pid, SIGTERM), 0);
	end = now_ms() + 5000;
	while (kill(pid, 0) == 0 && now_ms() < end) {
		waitpid(pid, NULL, WNOHANG); /* ours: we are the subreaper */
		usleep(20000);
	}
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(access(pidfile, F_OK), -1);
	assert_true(file_has(log, "stopped", 0));
}

/* log = "syslog": modserv runs in a mount namespace of its own where
 * /dev/log is the test's socket. */
static void
syslog_gets_every_line_with_its_facility(void **state)
{
	char sock[300], cmd[1200], line[1024];
	int fd, got_master = 0, got_worker = 0;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	long long end;

	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: a mount namespace takes root\n");
		return;
	}
	snprintf(sock, sizeof(sock), "%s/log.sock", srv.dir);
	assert_true(strlen(sock) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, sock, strlen(sock));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(
	    server_write_conf(&srv,
	        "user = \"%s\";\n"
	        "log = \"syslog\";\n"
	        "syslog_facility = \"local3\";\n"
	        "services = ( { name = \"s\"; transport = \"tcp\";\n"
	        "  listen = \"127.0.0.1:0\"; module = \"@MODULES@/echo.so\"; } "
	        ");\n",
	        harness_user()),
	    0);
	snprintf(cmd, sizeof(cmd),
	    "mount -t tmpfs tmpfs /dev && ln -s %s /dev/log && "
	    "exec %s -c %s",
	    sock, MODSERV_BIN, srv.conf);
	{
		const char *argv[] = {"/usr/bin/unshare", "--mount",
		    "--propagation", "private", "/bin/sh", "-c", cmd, NULL};

		assert_int_equal(server_spawn(&srv, argv), 0);
	}
	end = now_ms() + 5000;
	while ((!got_master || !got_worker) && now_ms() < end) {
		struct timeval tv = {0, 200000};
		ssize_t n;

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if ((n = recv(fd, line, sizeof(line) - 1, 0)) <= 0)
			continue;
		line[n] = '\0';
		/* local3 (19) * 8 + info (6) */
		got_master |= strncmp(line, "<158>", 5) == 0 &&
		              strstr(line, "modserv[") &&
		              strstr(line, "s: listening on tcp 127.0.0.1:");
		got_worker |= strncmp(line, "<158>", 5) == 0 &&
		              strstr(line, "s: worker ") &&
		              strstr(line, "serving tcp");
	}
	close(fd);
	assert_true(got_master);
	assert_true(got_worker);
	/* nothing of it on stderr */
	assert_null(strstr(server_log(&srv, 0), "listening on"));
	assert_int_equal(server_stop(&srv), 0);
}

/* drain_delay: a stop first serves on; a second SIGTERM cuts it short. */
static void
a_drain_delay_serves_on_and_a_second_signal_ends_it(void **state)
{
	char reply[8];
	long long t0;
	int fd, exit_status;

	(void)state;
	assert_int_equal(
	    server_write_conf(&srv,
	        "user = \"%s\";\n"
	        "drain_delay = 30.0;\n"
	        "services = ( { name = \"s\"; transport = \"tcp\";\n"
	        "  listen = \"127.0.0.1:0\"; module = \"@MODULES@/upper.so\"; "
	        "} );\n",
	        harness_user()),
	    0);
	assert_int_equal(server_start(&srv, 1, NULL), 0);
	assert_int_equal(kill(srv.pid, SIGTERM), 0);
	assert_true(
	    server_wait_log(&srv, "draining: serving on for 30 s", 3000));
	fd = client_connect("tcp", srv.addr[0]); /* still served */
	assert_true(fd >= 0);
	assert_int_equal(client_exchange(fd, "dr\n", 3, reply), 0);
	assert_memory_equal(reply, "DR\n", 3);
	close(fd);
	t0 = now_ms();
	assert_int_equal(kill(srv.pid, SIGTERM), 0);
	assert_int_equal(waitpid(srv.pid, &exit_status, 0), srv.pid);
	srv.pid = -1;
	assert_true(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0);
	assert_true(now_ms() - t0 < 5000);
}

/* status_socket follows the file on reload: the old socket goes. */
static void
the_status_socket_moves_on_reload(void **state)
{
	char a[300], b[300];
	long long end;
	static const char conf[] =
	    "user = \"%s\";\n"
	    "status_socket = \"%s\";\n"
	    "services = ( { name = \"s\"; transport = \"tcp\";\n"
	    "  listen = \"127.0.0.1:0\"; module = \"@MODULES@/echo.so\"; } "
	    ");\n";

	(void)state;
	snprintf(a, sizeof(a), "%s/a.sock", srv.dir);
	snprintf(b, sizeof(b), "%s/b.sock", srv.dir);
	assert_int_equal(
	    server_write_conf(&srv, conf, harness_user(), "a.sock"), 0);
	assert_int_equal(server_start(&srv, 1, NULL), 0);
	assert_int_equal(
	    modserv_run(status, sizeof(status), "-c", srv.conf, "-s", NULL), 0);
	assert_int_equal(access(a, F_OK), 0);
	assert_int_equal(
	    server_write_conf(&srv, conf, harness_user(), "b.sock"), 0);
	assert_int_equal(kill(srv.pid, SIGHUP), 0);
	assert_true(server_wait_log(&srv, "reloaded:", 5000));
	assert_int_equal(access(a, F_OK), -1);
	assert_int_equal(access(b, F_OK), 0);
	/* a top-level key changed, so the service restarted: one worker
	 * once the old one has drained */
	end = now_ms() + 5000;
	do
		assert_int_equal(modserv_run(status, sizeof(status), "-c",
		                     srv.conf, "-s", NULL),
		    0);
	while (strstr(status, "modserv_workers{service=\"s\"} 1\n") == NULL &&
	       now_ms() < end && usleep(50000) == 0);
	assert_non_null(strstr(status, "modserv_workers{service=\"s\"} 1\n"));
	assert_int_equal(server_stop(&srv), 0);
	assert_int_equal(access(b, F_OK), -1);
}

static void
background_and_foreground_at_once_is_a_usage_error(void **state)
{
	char out[2048];

	(void)state;
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-d", "-f", "-t", NULL), 1);
	assert_non_null(strstr(out, "-d and -f: "));
	assert_non_null(strstr(out, "usage: modserv"));
}

/* the background has no terminal: -d refuses a log that would go there */
static void
background_with_the_log_on_stderr_is_refused(void **state)
{
	char out[2048];

	(void)state;
	assert_int_equal(
	    server_write_conf(&srv,
	        "user = \"%s\";\n"
	        "services = ( { name = \"s\"; transport = \"tcp\";\n"
	        "  listen = \"127.0.0.1:0\"; module = \"@MODULES@/upper.so\"; "
	        "} );\n",
	        harness_user()),
	    0);
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-c", srv.conf, "-d", NULL), 1);
	assert_non_null(strstr(out, "-d with log = \"stderr\""));
	assert_null(strstr(out, "listening on"));
}

HARNESS_MAIN("daemon",
    SRV_TEST(sockets_from_the_service_manager_are_used_not_bound),
    SRV_TEST(
        a_large_datagram_over_a_socket_from_the_service_manager_comes_back_whole),
    SRV_TEST(status_counters_match_what_clients_did),
    SRV_TEST(the_status_socket_moves_on_reload),
    SRV_TEST(a_drain_delay_serves_on_and_a_second_signal_ends_it),
    SRV_TEST(background_mode_pidfile_and_log_reopening),
    SRV_TEST(syslog_gets_every_line_with_its_facility),
    SRV_TEST(background_and_foreground_at_once_is_a_usage_error),
    SRV_TEST(background_with_the_log_on_stderr_is_refused))
