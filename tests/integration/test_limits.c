/* test_limits.c - per-service limits and access, as clients and operators
 * see them, under one model:  test_limits MODEL. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static const char *model;

static void
serve(const char *transport, const char *listen, const char *module,
    const char *keys)
{
	if (server_start_one(&srv, transport, listen, model, module, keys) < 0)
		fail_msg("modserv did not start");
}

/* A TCP connection to the service from local address from. */
static int
dial_from(const char *from, int type)
{
	struct sockaddr_in src = {.sin_family = AF_INET},
	                   dst = {.sin_family = AF_INET};
	struct timeval tv = {5, 0};
	int fd = socket(AF_INET, type, 0);

	inet_pton(AF_INET, from, &src.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
	dst.sin_port = htons((uint16_t)atoi(strrchr(srv.addr[0], ':') + 1));
	assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(connect(fd, (struct sockaddr *)&dst, sizeof(dst)), 0);
	return fd;
}

/* Sends "ping" and says whether "PING" came back (0: closed instead). */
static int
served(int fd)
{
	char buf[8];

	if (send(fd, "ping", 4, MSG_NOSIGNAL) != 4)
		return 0;
	return client_recv_all(fd, buf, 4) == 0 && memcmp(buf, "PING", 4) == 0;
}

static void
allow_and_deny_decide_before_setup(void **state)
{
	int fd;

	(void)state;
	serve("tcp", "*:0", "upper",
	    "allow = [ \"127.0.0.0/8\" ]; deny = [ \"127.0.0.66\" ];");
	fd = dial_from("127.0.0.1", SOCK_STREAM);
	assert_true(served(fd));
	close(fd);
	fd = dial_from("127.0.0.66", SOCK_STREAM); /* denied: closed */
	assert_false(served(fd));
	close(fd);
	assert_true(server_wait_log(&srv, "127.0.0.66", 2000));
	assert_non_null(strstr(srv.log, "refused by allow/deny"));
	assert_int_equal(server_stop(&srv), 0);
}

static void
allow_lists_what_may_come_in_over_udp_too(void **state)
{
	int fd;
	char buf[8];

	(void)state;
	serve("udp", "127.0.0.1:0", "upper", "allow = [ \"127.0.0.2/32\" ];");
	fd = dial_from("127.0.0.1", SOCK_DGRAM); /* not allowed: no reply */
	assert_int_equal(send(fd, "ping", 4, 0), 4);
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 300), 0);
	close(fd);
	fd = dial_from("127.0.0.2", SOCK_DGRAM);
	assert_int_equal(send(fd, "ping", 4, 0), 4);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 4);
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

static void
per_source_caps_one_address_not_the_others(void **state)
{
	int a, b, c, d;

	(void)state;
	serve("tcp", "*:0", "upper", "per_source = 2;");
	a = dial_from("127.0.0.1", SOCK_STREAM);
	b = dial_from("127.0.0.1", SOCK_STREAM);
	assert_true(served(a));
	assert_true(served(b));
	c = dial_from("127.0.0.1", SOCK_STREAM); /* a third: refused */
	assert_false(served(c));
	close(c);
	d = dial_from("127.0.0.3", SOCK_STREAM); /* another address: fine */
	assert_true(served(d));
	assert_true(server_wait_log(&srv, "(per_source)", 2000));
	close(a);
	usleep(100000);
	c = dial_from("127.0.0.1", SOCK_STREAM); /* a slot is free again */
	assert_true(served(c));
	close(b);
	close(c);
	close(d);
	assert_int_equal(server_stop(&srv), 0);
}

static void
rate_pauses_accepting_past_the_limit(void **state)
{
	int fd[12];
	long long before = 0, gap = 0;

	(void)state;
	serve("tcp", "127.0.0.1:0", "upper", "rate = 4; rate_pause = 1;");
	/* twelve in a row: however they fall into the rate's one-second
	 * windows, one of them holds more than 4, and the next waits */
	for (int i = 0; i < 12; i++) {
		long long t;

		fd[i] = client_connect("tcp", srv.addr[0]);
		assert_true(served(fd[i]));
		t = now_ms();
		if (i > 0 && t - before > gap)
			gap = t - before;
		before = t;
	}
	if (gap < 800)
		fail_msg("no pause: the longest wait was %lld ms", gap);
	assert_true(
	    server_wait_log(&srv, "more than 4 connections a second", 1000));
	for (int i = 0; i < 12; i++)
		close(fd[i]);
	assert_int_equal(server_stop(&srv), 0);
}

static void
max_request_ends_a_request_that_buffers_too_much(void **state)
{
	char big[5000], buf[64];
	int fd;

	(void)state;
	memset(big, 'x', sizeof(big)); /* daytime waits for a newline */
	serve("tcp", "127.0.0.1:0", "daytime", "max_request = 1000;");
	fd = client_connect("tcp", srv.addr[0]);
	assert_int_equal(client_send_all(fd, big, sizeof(big)), 0);
	assert_true(recv(fd, buf, sizeof(buf), 0) <= 0); /* closed */
	close(fd);
	assert_true(
	    server_wait_log(&srv, "more than max_request (1000 bytes)", 2000));
	fd = client_connect("tcp", srv.addr[0]);
	assert_int_equal(client_send_all(fd, "fine\n", 5), 0);
	assert_true(recv(fd, buf, sizeof(buf), 0) > 0);
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

static void
idle_timeout_closes_a_peer_that_sends_nothing(void **state)
{
	char buf[8];
	long long t0;
	int fd, busy;

	(void)state;
	serve("tcp", "127.0.0.1:0", "upper", "idle_timeout = 0.5;");
	busy = client_connect("tcp", srv.addr[0]);
	fd = client_connect("tcp", srv.addr[0]);
	t0 = now_ms();
	/* the busy client keeps talking; the other says nothing */
	for (int i = 0; i < 8; i++) {
		assert_true(served(busy));
		usleep(150000);
	}
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 0);
	assert_true(now_ms() - t0 >= 400);
	assert_true(now_ms() - t0 < 3000);
	assert_true(served(busy));
	close(fd);
	close(busy);
	assert_true(server_wait_log(&srv, "idle for 0.5 s: closed", 1000));
	assert_int_equal(server_stop(&srv), 0);
}

/* A peer that sends but takes none of the replies: once the socket has
 * taken nothing for idle_timeout, it is closed, and the log says so, under
 * every model. */
static void
a_peer_that_takes_no_output_is_closed_and_logged(void **state)
{
	static char chunk[65536];
	int fd, small = 4096;
	size_t sent = 0;
	long long end;

	(void)state;
	serve("tcp", "127.0.0.1:0", "upper", "idle_timeout = 1;");
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	{
		struct sockaddr_in dst = {.sin_family = AF_INET};

		inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
		dst.sin_port =
		    htons((uint16_t)atoi(strrchr(srv.addr[0], ':') + 1));
		assert_int_equal(
		    connect(fd, (struct sockaddr *)&dst, sizeof(dst)), 0);
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	/* until neither side's buffers take more: bounded in bytes and time */
	end = now_ms() + 3000;
	while (sent < (64u << 20) && now_ms() < end) {
		ssize_t n = send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL);

		if (n > 0)
			sent += (size_t)n;
		else
			usleep(10000);
	}
	assert_true(server_wait_log(&srv, ": idle for 1 s", 5000));
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

/* ---- idle_timeout and a program exec runs ---- */

/* cat, its own process, owning the connection: idle_timeout = 1. */
static void
serve_exec(const char *transport, const char *argv, const char *keys)
{
	char conf[512];

	snprintf(conf, sizeof(conf),
	    "idle_timeout = 1;%s\noptions = { argv = [ %s ]; };", keys, argv);
	serve(transport, NULL, "exec", conf);
}

/* A client of cat that sends nothing is closed after about idle_timeout
 * and the log says idle; with max_clients = 1, the client waiting behind
 * it is served once the slot is free. */
static void
an_idle_program_is_ended_and_frees_its_slot(const char *transport)
{
	char buf[16];
	long long t0, took;
	int a, b;

	serve_exec(transport, "\"cat\"", " max_clients = 1;");
	assert_true((a = client_connect(transport, srv.addr[0])) >= 0);
	t0 = now_ms();
	/* waits in the backlog: cat holds the one slot */
	assert_true((b = client_connect(transport, srv.addr[0])) >= 0);
	assert_int_equal(recv(a, buf, sizeof(buf), 0), 0); /* closed */
	took = now_ms() - t0;
	assert_true(took >= 800);
	assert_true(took < 10000);
	close(a);
	assert_int_equal(client_exchange(b, "hello\n", 6, buf), 0);
	assert_memory_equal(buf, "hello\n", 6);
	close(b);
	assert_true(server_wait_log(&srv, ": idle for 1 s", 2000));
	assert_null(strstr(srv.log, "Resource temporarily unavailable"));
	assert_int_equal(server_stop(&srv), 0);
}

/* A program that ignores SIGTERM and never touches its connection again:
 * its client is closed at idle_timeout all the same, the program killed
 * by its keeper after the grace, and only then is its slot free for the
 * next client. */
static void
an_idle_program_that_ignores_sigterm_is_killed(void **state)
{
	char buf[8];
	int a, b;

	(void)state;
	serve_exec("tcp",
	    "\"sh\", \"-c\", \"trap '' TERM; echo hi; exec sleep 100\"",
	    " max_clients = 1;");
	assert_true((a = client_connect("tcp", srv.addr[0])) >= 0);
	assert_int_equal(client_recv_all(a, buf, 3), 0);
	assert_true((b = client_connect("tcp", srv.addr[0])) >= 0);
	assert_int_equal(recv(a, buf, sizeof(buf), 0), 0); /* idle: closed */
	close(a);
	assert_int_equal(client_recv_all(b, buf, 3), 0); /* b's turn came */
	assert_memory_equal(buf, "hi\n", 3);
	assert_non_null(strstr(server_log(&srv, 0), "killed by signal 9"));
	assert_int_equal(recv(b, buf, sizeof(buf), 0), 0);
	close(b);
	assert_int_equal(server_stop(&srv), 0);
}

/* A client that sends a line every 0.3 s for 3 s gets every one back, and
 * cat's reads never fail: bytes move, so it is not idle. */
static void
a_talking_client_of_a_program_is_never_idle(const char *transport)
{
	char line[32], back[32];

	serve_exec(transport, "\"cat\"", "");
	int fd = client_connect(transport, srv.addr[0]);

	assert_true(fd >= 0);
	for (int i = 0; i < 10; i++) {
		int n = snprintf(line, sizeof(line), "line %d\n", i);

		assert_int_equal(client_exchange(fd, line, (size_t)n, back), 0);
		assert_memory_equal(back, line, (size_t)n);
		usleep(300000);
	}
	shutdown(fd, SHUT_WR); /* cat ends with its input */
	assert_int_equal(recv(fd, back, sizeof(back), 0), 0);
	close(fd);
	assert_true(server_wait_log(&srv, "exited with status 0", 3000));
	assert_null(strstr(srv.log, "idle for"));
	assert_null(strstr(srv.log, "Resource temporarily unavailable"));
	assert_int_equal(server_stop(&srv), 0);
}

static void
an_idle_exec_program_is_ended_and_frees_its_slot(void **state)
{
	(void)state;
	an_idle_program_is_ended_and_frees_its_slot("tcp");
}

static void
a_talking_client_of_an_exec_program_is_never_idle(void **state)
{
	(void)state;
	a_talking_client_of_a_program_is_never_idle("tcp");
}

/* Over unix the kernel keeps no times: the same, as traffic.c sees it. */
static void
an_idle_exec_program_over_unix_is_ended_too(void **state)
{
	(void)state;
	an_idle_program_is_ended_and_frees_its_slot("unix");
}

static void
a_talking_client_of_an_exec_program_over_unix_is_never_idle(void **state)
{
	(void)state;
	a_talking_client_of_a_program_is_never_idle("unix");
}

/* A program that only talks (ticks every 0.3 s) while its read waits for
 * longer than idle_timeout: bytes move, so it is not idle, and the read
 * never times out: what is sent after 3 s is echoed. */
static void
a_program_that_talks_while_its_read_waits_is_not_idle(void **state)
{
	char buf[4096];
	size_t got = 0;
	long long end;
	int fd, ticks = 0;

	(void)state;
	serve_exec("tcp",
	    "\"sh\", \"-c\", \"while echo tick; do sleep 0.3; done & exec "
	    "cat\"",
	    "");
	assert_true((fd = client_connect("tcp", srv.addr[0])) >= 0);
	for (end = now_ms() + 3000; now_ms() < end;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		assert_true(n > 0);
		for (ssize_t i = 0; i < n; i++)
			ticks += buf[i] == '\n';
	}
	assert_true(ticks >= 3);
	assert_int_equal(client_send_all(fd, "bye\n", 4), 0);
	/* the echo comes among the ticks: bounded in bytes and time */
	for (end = now_ms() + 5000; now_ms() < end && got < sizeof(buf) - 1;) {
		ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);

		assert_true(n > 0);
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "bye\n"))
			break;
	}
	assert_non_null(strstr(buf, "bye\n"));
	close(fd);
	assert_null(strstr(server_log(&srv, 0), "idle for"));
	assert_null(strstr(srv.log, "Resource temporarily unavailable"));
	assert_int_equal(server_stop(&srv), 0);
}

static void
a_service_runs_as_the_user_it_names(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	char path[64], line[256];
	pid_t worker;
	FILE *f;
	int uid = -1, fd;

	(void)state;
	if (geteuid() != 0 || pw == NULL)
		skip();
	serve("tcp", "127.0.0.1:0", "upper", "user = \"nobody\";");
	/* a worker says it serves once it became the user; before, it is
	 * root's child still */
	assert_true(server_wait_log(&srv, " serving tcp ", 3000));
	for (int i = 0; i < 300 && proc_children(srv.pid, &worker, 1) != 1; i++)
		usleep(10000); /* "listening" is logged before the fork */
	assert_int_equal(proc_children(srv.pid, &worker, 1), 1);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)worker);
	assert_non_null(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %*d %d", &uid) == 1)
			break;
	fclose(f);
	assert_int_equal(uid, (int)pw->pw_uid);
	fd = client_connect("tcp", srv.addr[0]);
	assert_true(served(fd));
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

static void
root_must_say_which_user_a_service_runs_as(void **state)
{
	char out[1024];

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(server_write_conf(&srv,
	                     "module_path = \"@MODULES@\";\nservices = ( { "
	                     "name = \"s\"; transport = \"tcp\"; listen = "
	                     "\"127.0.0.1:0\"; module = \"echo\"; } );\n"
	                     "# no user here\n"),
	    0);
	/* the harness adds a user only where the text has none: say none */
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-t", "-c", srv.conf, NULL), 1);
	assert_non_null(strstr(out, "modserv runs as root: say which user"));
}

static void
a_unix_socket_file_gets_the_mode_and_owner_asked(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	struct stat st;
	char reply[8];
	int fd;

	(void)state;
	if (geteuid() != 0 || pw == NULL)
		skip();
	serve("unix", "@DIR@/s.sock", "upper",
	    "socket_mode = \"0660\"; socket_owner = \"nobody\";");
	assert_int_equal(stat(srv.addr[0], &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_uid, pw->pw_uid);
	fd = client_connect("unix", srv.addr[0]);
	assert_int_equal(client_exchange(fd, "ok", 2, reply), 0);
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

HARNESS_MAIN_FOR_MODEL("limits", NULL,
    SRV_TEST(allow_and_deny_decide_before_setup),
    SRV_TEST(allow_lists_what_may_come_in_over_udp_too),
    SRV_TEST(per_source_caps_one_address_not_the_others),
    SRV_TEST(rate_pauses_accepting_past_the_limit),
    SRV_TEST(max_request_ends_a_request_that_buffers_too_much),
    SRV_TEST(idle_timeout_closes_a_peer_that_sends_nothing),
    SRV_TEST(a_peer_that_takes_no_output_is_closed_and_logged),
    SRV_TEST(an_idle_exec_program_is_ended_and_frees_its_slot),
    SRV_TEST(an_idle_program_that_ignores_sigterm_is_killed),
    SRV_TEST(a_talking_client_of_an_exec_program_is_never_idle),
    SRV_TEST(an_idle_exec_program_over_unix_is_ended_too),
    SRV_TEST(a_talking_client_of_an_exec_program_over_unix_is_never_idle),
    SRV_TEST(a_program_that_talks_while_its_read_waits_is_not_idle),
    SRV_TEST(a_service_runs_as_the_user_it_names),
    SRV_TEST(root_must_say_which_user_a_service_runs_as),
    SRV_TEST(a_unix_socket_file_gets_the_mode_and_owner_asked))
