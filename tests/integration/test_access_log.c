/* test_access_log.c - the access log as an operator reads it, under one
 * model:  test_access_log MODEL.  A line for each request on every
 * transport, how requests end, refusals, the PROXY header's client, the
 * file's rotation; and item 9 of issue 15: a flood of refused datagrams
 * writes a handful of lines, while the status counter counts them all. */
#include <arpa/inet.h>
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
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static const char *model;
static char path[512], text[1 << 16];

/* The fields the tests read, '|' between them. */
#define FORMAT                                                                 \
	"access_log_format = \"$service|$transport|$model|$pid|$client|"       \
	"$proxy_addr|$bytes_in|$bytes_out|$end|$reason|$repeat|\";"

/* Starts service s with the access log in its own file, plus keys. */
static void
serve(const char *transport, const char *module, const char *keys)
{
	char all[1024];

	snprintf(path, sizeof(path), "%s/access.log", srv.dir);
	snprintf(all, sizeof(all), "access_log = \"@DIR@/access.log\"; %s %s",
	    FORMAT, keys ? keys : "");
	if (server_start_one(&srv, transport, NULL, model, module, all) < 0)
		fail_msg("modserv did not start");
}

/* Reads the access log into text until want is in it (up to ms). */
static int
access_wait(const char *want, int ms)
{
	return file_wait_for(path, want, ms, text, sizeof(text));
}

/* How many times want is in s. */
static int
access_count_in(const char *s, const char *want)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, want)) != NULL; p++)
		n++;
	return n;
}

/* How many lines of the access log hold want. */
static int
access_count(const char *want)
{
	return access_count_in(text, want);
}

/* The address the server sees the client fd as, the way $client writes
 * it: "127.0.0.1:port", "@name" for an autobound unix socket, "unix" for
 * an unnamed one. */
static void
client_text(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	size_t off = offsetof(struct sockaddr_un, sun_path);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		char host[32];

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(in->sin_port));
	} else if (len <= off) {
		snprintf(buf, size, "unix");
	} else {
		snprintf(buf, size, "@%.*s", (int)(len - off - 1),
		    ((struct sockaddr_un *)&ss)->sun_path + 1);
	}
}

/* hello in, HELLO back, then the client closes. */
static void
exchange(int fd)
{
	char buf[8];

	assert_int_equal(client_send_all(fd, "hello", 5), 0);
	assert_int_equal(recv(fd, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "HELLO", 5);
}

/* The pid of the line: the worker's under thread and select, a request
 * process's of its own under fork. */
static void
assert_served_by(const char *line)
{
	pid_t worker = server_worker(&srv);
	const char *p = line;

	for (int i = 0; i < 3; i++)
		p = strchr(p, '|') + 1;
	if (strcmp(model, "fork") == 0) {
		assert_int_not_equal(atoi(p), worker);
		assert_int_not_equal(atoi(p), srv.pid);
		assert_true(atoi(p) > 0);
	} else {
		assert_int_equal(atoi(p), worker);
	}
}

static void
one_request_one_line(const char *transport)
{
	int dgram = strcmp(transport, "udp") == 0 ||
	            strcmp(transport, "unix-dgram") == 0;
	char client[160], want[256];
	const char *line;
	int fd;

	serve(transport, "upper", NULL);
	assert_true((fd = client_connect(transport, srv.addr[0])) >= 0);
	exchange(fd);
	client_text(fd, client, sizeof(client));
	close(fd);
	snprintf(want, sizeof(want), "s|%s|%s|", transport, model);
	assert_true(access_wait(want, 5000));
	line = strstr(text, want);
	snprintf(want, sizeof(want), "|%s|-|5|5|%s|-|0|\n", client,
	    dgram ? "answered" : "client_closed");
	assert_non_null(strstr(line, want));
	assert_served_by(line);
	assert_int_equal(access_count("\n"), 1);
	assert_int_equal(server_stop(&srv), 0);
}

static void
a_tcp_connection_gets_one_line(void **state)
{
	(void)state;
	one_request_one_line("tcp");
}

static void
a_udp_datagram_gets_one_line(void **state)
{
	(void)state;
	one_request_one_line("udp");
}

static void
a_unix_connection_gets_one_line(void **state)
{
	(void)state;
	one_request_one_line("unix");
}

static void
a_unix_datagram_gets_one_line(void **state)
{
	(void)state;
	one_request_one_line("unix-dgram");
}

/* Each way a connection ends has its word: the module closed (daytime
 * answers and closes), idle, max_request. */
static void
the_line_says_how_a_connection_ended(void **state)
{
	char big[3000], buf[64];
	int fd;

	(void)state;
	memset(big, 'x', sizeof(big)); /* daytime waits for a newline */
	serve("tcp", "daytime", "idle_timeout = 0.5; max_request = 1000;");
	fd = client_connect("tcp", srv.addr[0]);
	assert_int_equal(client_send_all(fd, "now\n", 4), 0);
	assert_true(recv(fd, buf, sizeof(buf), 0) > 0);
	close(fd);
	assert_true(access_wait("|4|", 5000));
	assert_non_null(strstr(text, "|module_closed|"));
	fd = client_connect("tcp", srv.addr[0]); /* says nothing */
	assert_true(access_wait("|idle|", 5000));
	close(fd);
	assert_non_null(strstr(text, "|0|0|idle|"));
	fd = client_connect("tcp", srv.addr[0]);
	assert_int_equal(client_send_all(fd, big, sizeof(big)), 0);
	assert_true(access_wait("|max_request|", 5000));
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

/* dontlognull: a connection that sent nothing leaves no line. */
static void
skip_empty_leaves_out_a_client_that_sent_nothing(void **state)
{
	int fd;

	(void)state;
	serve("tcp", "upper", "access_log_skip_empty = true;");
	for (int i = 0; i < 3; i++) { /* a health check: connect, close */
		fd = client_connect("tcp", srv.addr[0]);
		close(fd);
	}
	fd = client_connect("tcp", srv.addr[0]);
	exchange(fd);
	close(fd);
	assert_true(access_wait("|5|5|client_closed|", 5000));
	/* the probes came first: their lines would be there by now */
	assert_int_equal(access_count("|client_closed|"), 1);
	assert_null(strstr(text, "|0|0|"));
	assert_int_equal(server_stop(&srv), 0);
}

/* A connection handed to a program (exec): its bytes as TCP counted them,
 * and an idle end said; never left out as empty, since only the program
 * saw what came. */
static void
a_connection_handed_to_a_program_gets_its_bytes_and_end(void **state)
{
	char buf[8];
	int fd;

	(void)state;
	serve("tcp", "exec",
	    "idle_timeout = 1; access_log_skip_empty = true;"
	    " options = { argv = [ \"cat\" ]; };");
	assert_true((fd = client_connect("tcp", srv.addr[0])) >= 0);
	assert_int_equal(client_send_all(fd, "hello", 5), 0);
	assert_int_equal(client_recv_all(fd, buf, 5), 0);
	assert_memory_equal(buf, "hello", 5);
	shutdown(fd, SHUT_WR); /* cat ends */
	if (!access_wait("|5|5|module_closed|", 5000))
		fail_msg("access log: %s", text);
	close(fd);
	assert_true((fd = client_connect("tcp", srv.addr[0])) >= 0);
	assert_true(access_wait("|0|0|idle|", 10000));
	close(fd);
	assert_int_equal(access_count("\n"), 2);
	assert_int_equal(server_stop(&srv), 0);
}

/* The main log (the default: unit/config) has the lines; "off" writes
 * nothing. */
static void
the_main_log_has_the_lines_unless_off(void **state)
{
	char client[64], want[128];
	int fd;

	(void)state;
	if (server_start_one(&srv, "tcp", NULL, model, "upper",
	        "access_log = \"main\";") < 0)
		fail_msg("modserv did not start");
	fd = client_connect("tcp", srv.addr[0]);
	exchange(fd);
	client_text(fd, client, sizeof(client));
	close(fd);
	snprintf(want, sizeof(want), "access s: tcp %s %s ", client, model);
	assert_true(server_wait_log(&srv, want, 5000));
	assert_non_null(strstr(strstr(srv.log, want), " ms in 5 out 5 "
	                                              "client_closed\n"));
	assert_int_equal(server_stop(&srv), 0);
	server_cleanup(&srv);

	assert_int_equal(server_prepare(&srv), 0);
	if (server_start_one(
	        &srv, "tcp", NULL, model, "upper", "access_log = \"off\";") < 0)
		fail_msg("modserv did not start");
	fd = client_connect("tcp", srv.addr[0]);
	exchange(fd);
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
	assert_null(strstr(server_log(&srv, 0), "access s:"));
}

static void
json_lines_are_one_object_each(void **state)
{
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/access.log", srv.dir);
	if (server_start_one(&srv, "udp", NULL, model, "upper",
	        "access_log = \"@DIR@/access.log\"; "
	        "access_log_format = \"json\";") < 0)
		fail_msg("modserv did not start");
	fd = client_connect("udp", srv.addr[0]);
	exchange(fd);
	close(fd);
	assert_true(access_wait("}\n", 5000));
	assert_int_equal(text[0], '{');
	assert_non_null(
	    strstr(text, "\"service\":\"s\",\"transport\":\"udp\""));
	assert_non_null(strstr(text, "\"bytes_in\":5,\"bytes_out\":5,"
	                             "\"end\":\"answered\""));
	assert_int_equal(server_stop(&srv), 0);
}

/* Behind a balancer the line names the client the PROXY header gave and
 * the balancer; a bad header is a refusal with its reason. */
static void
the_proxy_header_names_the_client_and_the_balancer(void **state)
{
	const char *h = "PROXY TCP4 192.0.2.1 127.0.0.1 5555 80\r\nhello";
	char balancer[64], want[160], buf[8];
	int fd;

	(void)state;
	serve("tcp", "upper", "proxy_protocol = true;");
	fd = client_connect("tcp", srv.addr[0]);
	assert_int_equal(client_send_all(fd, h, strlen(h)), 0);
	assert_int_equal(client_recv_all(fd, buf, 5), 0);
	assert_memory_equal(buf, "HELLO", 5);
	client_text(fd, balancer, sizeof(balancer));
	close(fd);
	snprintf(want, sizeof(want), "|192.0.2.1:5555|%s|5|5|client_closed|",
	    balancer);
	assert_true(access_wait(want, 5000));
	fd = client_connect("tcp", srv.addr[0]);
	assert_int_equal(client_send_all(fd, "GET / HTTP/1.0\r\n\r\n", 18), 0);
	assert_true(recv(fd, buf, sizeof(buf), 0) <= 0); /* closed */
	client_text(fd, balancer, sizeof(balancer));
	close(fd);
	snprintf(
	    want, sizeof(want), "|%s|-|0|0|refused|PROXY header|0|", balancer);
	assert_true(access_wait(want, 5000));
	assert_int_equal(server_stop(&srv), 0);
}

/* After logrotate's rename, SIGUSR1 to the master: the worker (which is
 * nobody, and could not open root's file) writes to the new file. */
static void
sigusr1_moves_the_lines_to_a_new_file(void **state)
{
	char old[600];
	int fd, moved = 0;

	(void)state;
	serve("tcp", "upper", NULL);
	fd = client_connect("tcp", srv.addr[0]);
	exchange(fd);
	close(fd);
	assert_true(access_wait("|client_closed|", 5000));
	snprintf(old, sizeof(old), "%s.1", path);
	assert_int_equal(rename(path, old), 0);
	kill(srv.pid, SIGUSR1);
	assert_true(server_wait_log(&srv, "SIGUSR1: log reopened", 5000));
	/* the worker takes the new file when its signal comes: bounded */
	for (int i = 0; i < 50 && !moved; i++) {
		fd = client_connect("tcp", srv.addr[0]);
		exchange(fd);
		close(fd);
		moved = access_wait("|client_closed|", 200);
	}
	assert_true(moved);
	assert_int_equal(server_stop(&srv), 0);
}

/* Under select and fork a request still open at shutdown_timeout is
 * ended by the stop, and says so.  (Under thread it ends with its worker,
 * and has no line: docs/configuration.md.) */
static void
a_request_cut_off_by_the_stop_says_stop(void **state)
{
	int fd;

	(void)state;
	if (strcmp(model, "thread") == 0)
		skip();
	snprintf(path, sizeof(path), "%s/access.log", srv.dir);
	if (server_write_conf(&srv,
	        "module_path = [ \"@MODULES@\" ];\n"
	        "shutdown_timeout = 0.3;\n"
	        "services = ( { name = \"s\"; transport = \"tcp\";\n"
	        "  listen = \"127.0.0.1:0\"; model = \"%s\";\n"
	        "  module = \"upper\"; access_log = \"@DIR@/access.log\";\n"
	        "  " FORMAT " } );\n",
	        model) < 0 ||
	    server_start(&srv, 1, NULL) < 0)
		fail_msg("modserv did not start");
	fd = client_connect("tcp", srv.addr[0]);
	exchange(fd); /* and stays */
	assert_int_equal(server_stop(&srv), 0);
	close(fd);
	/* under fork the worker, which killed it, knows no bytes */
	assert_true(access_wait(
	    strcmp(model, "fork") == 0 ? "|0|0|stop|" : "|5|5|stop|", 0));
}

/* A module stuck in handle under select: the master, which kills the
 * worker, writes the request's line. */
static void
a_request_stuck_in_handle_says_handle_timeout(void **state)
{
	char client[64], want[128];
	int fd;

	(void)state;
	if (strcmp(model, "select") != 0)
		skip();
	serve("tcp", "hang", "handle_timeout = 0.5;");
	fd = client_connect("tcp", srv.addr[0]);
	assert_int_equal(client_send_all(fd, "hang", 4), 0);
	client_text(fd, client, sizeof(client));
	snprintf(want, sizeof(want), "|%s|-|0|0|handle_timeout|", client);
	assert_true(access_wait(want, 10000));
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

/* ---- item 9: the log is no amplifier ---- */

static char status[1 << 14];

static long long
metric(const char *name)
{
	char key[160];
	const char *p;

	snprintf(key, sizeof(key), "modserv_%s{service=\"s\"} ", name);
	if ((p = strstr(status, key)) == NULL)
		return -1;
	return atoll(p + strlen(key));
}

/* modserv -s until the refusals counted reach want (5 s at most). */
static long long
refused_until(long long want)
{
	long long end = now_ms() + 5000;

	do
		assert_int_equal(modserv_run(status, sizeof(status), "-c",
		                     srv.conf, "-s", NULL),
		    0);
	while (
	    metric("refused_total") < want && now_ms() < end && !usleep(5000));
	return metric("refused_total");
}

/* Refusals the main log tells of: lines saying the first one of a
 * window, plus the counts their summaries give.  *lines: how many lines
 * it took. */
static long long
refusals_told(const char *first, const char *summary, int *lines)
{
	long long n = 0;

	*lines = 0;
	for (const char *p = srv.log; (p = strstr(p, first)) != NULL; p++) {
		n++;
		(*lines)++;
	}
	for (const char *p = srv.log; (p = strstr(p, summary)) != NULL; p++) {
		n += atoll(p + strlen(summary));
		(*lines)++;
	}
	return n;
}

static void
a_flood_of_refused_datagrams_writes_a_handful_of_lines(void **state)
{
	struct sockaddr_storage to;
	socklen_t tolen = sizeof(to);
	int fd, lines, total = 5000, sent = 0;

	(void)state;
	if (server_write_conf(&srv,
	        "module_path = [ \"@MODULES@\" ];\n"
	        "status_socket = \"@DIR@/status.sock\";\n"
	        "access_log = \"@DIR@/access.log\";\n"
	        "services = ( { name = \"s\"; transport = \"udp\";\n"
	        "  listen = \"127.0.0.1:0\"; model = \"%s\";\n"
	        "  module = \"upper\"; allow = [ \"127.0.0.2\" ]; } );\n",
	        model) < 0 ||
	    server_start(&srv, 1, NULL) < 0)
		fail_msg("modserv did not start");
	fd = client_connect("udp", srv.addr[0]);
	getpeername(fd, (struct sockaddr *)&to, &tolen);
	/* in steps the socket buffer holds, each counted before the next:
	 * none is lost, so the counter must come to all of them */
	while (sent < total) {
		for (int i = 0; i < 100; i++, sent++)
			assert_int_equal(send(fd, "x", 1, 0), 1);
		assert_int_equal(refused_until(sent), sent);
	}
	close(fd);
	assert_int_equal(server_stop(&srv), 0); /* says what it counted */
	server_log(&srv, 0);
	assert_int_equal(refusals_told("refused by allow/deny\n",
	                     "refused (allow/deny): and ", &lines),
	    total);
	/* a line or two a second, not one a datagram */
	assert_true(lines >= 2);
	assert_true(lines <= 60);
	snprintf(path, sizeof(path), "%s/access.log", srv.dir);
	assert_true(access_wait("refused (allow/deny) and ", 0));
}

static void
per_source_refusals_are_summarised_too(void **state)
{
	int hold, fd, lines, total = 200;
	char buf[8];

	(void)state;
	if (server_start_one(
	        &srv, "tcp", NULL, model, "upper", "per_source = 1;") < 0)
		fail_msg("modserv did not start");
	hold = client_connect("tcp", srv.addr[0]);
	exchange(hold); /* one runs: the others from here are refused */
	for (int i = 0; i < total; i++) {
		fd = client_connect("tcp", srv.addr[0]);
		assert_true(recv(fd, buf, sizeof(buf), 0) <= 0); /* closed */
		close(fd);
	}
	close(hold);
	assert_int_equal(server_stop(&srv), 0);
	server_log(&srv, 0);
	assert_int_equal(refusals_told("(per_source)\n",
	                     "refused (per_source): and ", &lines),
	    total);
	assert_true(lines <= 40);
}

/* An access log that is a FIFO nobody reads: the worker's open must not
 * block for ever (the service would never serve, and say nothing); it
 * fails, and the log says why. */
static void
a_fifo_nobody_reads_does_not_hang_the_worker(void **state)
{
	char fifo[600], keys[700];

	(void)state;
	snprintf(fifo, sizeof(fifo), "%s/fifo", srv.dir);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	snprintf(keys, sizeof(keys), "access_log = \"%s\";", fifo);
	assert_int_equal(
	    server_write_one(&srv, "tcp", NULL, model, "upper", keys), 0);
	server_start(&srv, 1, NULL);
	assert_true(server_wait_log(&srv, "No such device or address", 5000));
	server_stop(&srv);
}

/* A full disk (/dev/full): the service serves on, and the log says the
 * lines are lost once, not a line a request. */
static void
a_full_disk_is_said_once_not_a_line_a_request(void **state)
{
	const char *log;
	int fd;

	(void)state;
	assert_int_equal(server_write_one(&srv, "tcp", NULL, model, "upper",
	                     "access_log = \"/dev/full\";"),
	    0);
	assert_int_equal(server_start(&srv, 1, NULL), 0);
	for (int i = 0; i < 5; i++) {
		assert_true((fd = client_connect("tcp", srv.addr[0])) >= 0);
		exchange(fd);
		close(fd);
	}
	assert_true(server_wait_log(&srv, "lines are lost", 5000));
	usleep(300000);
	log = server_log(&srv, 100);
	assert_int_equal(access_count_in(log, "lines are lost"), 1);
	assert_non_null(strstr(log, "No space left on device"));
	assert_int_equal(server_stop(&srv), 0);
}

/* A flood of connections with a bad PROXY header from one source: the
 * summariser's handful of lines in the access log, not also a line a
 * connection (under fork the worker wrote each request process's, as if
 * it had crashed: "0 ms in 0 out 0 error"). */
static void
a_flood_of_bad_proxy_headers_writes_a_handful_of_lines(void **state)
{
	char buf[8];
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/access.log", srv.dir);
	if (server_write_conf(&srv,
	        "module_path = [ \"@MODULES@\" ];\n"
	        "status_socket = \"@DIR@/status.sock\";\n"
	        "services = ( { name = \"s\"; transport = \"tcp\";\n"
	        "  listen = \"127.0.0.1:0\"; model = \"%s\";\n"
	        "  module = \"upper\"; proxy_protocol = true;\n"
	        "  access_log = \"@DIR@/access.log\"; %s } );\n",
	        model, FORMAT) < 0 ||
	    server_start(&srv, 1, NULL) < 0)
		fail_msg("modserv did not start");
	for (int i = 0; i < 200; i++) {
		assert_true((fd = client_connect("tcp", srv.addr[0])) >= 0);
		assert_int_equal(client_send_all(fd, "BAD\r\n", 5), 0);
		assert_true(recv(fd, buf, sizeof(buf), 0) <= 0); /* closed */
		close(fd);
	}
	/* every one a refusal, as the docs say, not an error */
	assert_int_equal(refused_until(200), 200);
	assert_int_equal(metric("errors_total"), 0);
	assert_int_equal(server_stop(&srv), 0); /* says what it counted */
	assert_true(access_wait("|refused|PROXY header|", 1000));
	assert_int_equal(access_count("|error|"), 0);
	assert_true(access_count("\n") <= 10);
}

/* access_log = "syslog" with no syslog daemon (no /dev/log, as in many
 * containers): syslog(3) drops every line without a word; the worker
 * says so once. */
static void
syslog_without_a_daemon_is_said_once(void **state)
{
	int fd;

	(void)state;
	if (access("/dev/log", F_OK) == 0)
		skip(); /* a daemon may listen here */
	assert_int_equal(server_write_one(&srv, "tcp", NULL, model, "upper",
	                     "access_log = \"syslog\";"),
	    0);
	assert_int_equal(server_start(&srv, 1, NULL), 0);
	for (int i = 0; i < 3; i++) {
		assert_true((fd = client_connect("tcp", srv.addr[0])) >= 0);
		exchange(fd);
		close(fd);
	}
	assert_true(
	    server_wait_log(&srv, "no syslog daemon on /dev/log", 5000));
	usleep(200000);
	assert_int_equal(
	    access_count_in(server_log(&srv, 100), "no syslog daemon"), 1);
	assert_int_equal(server_stop(&srv), 0);
}

/* The access log is opened by root (at the start, and at a rotation in
 * the master, for the worker): a symbolic link that someone else made
 * (the service's user, in a folder it may write in) is not followed, or
 * it would point root's open at any file (one root made is). */
static void
a_symlink_root_does_not_own_is_not_followed(void **state)
{
	char secret[400], link[400], keys[500], buf[64] = "";
	int fd;

	(void)state;
	if (geteuid() != 0)
		skip(); /* lchown to another user */
	snprintf(secret, sizeof(secret), "%s/secret", srv.dir);
	snprintf(link, sizeof(link), "%s/access.log", srv.dir);
	assert_true((fd = open(secret, O_WRONLY | O_CREAT, 0600)) >= 0);
	assert_int_equal(write(fd, "root's\n", 7), 7);
	close(fd);
	assert_int_equal(symlink(secret, link), 0);
	assert_int_equal(lchown(link, 65534, 65534), 0);
	snprintf(keys, sizeof(keys), "access_log = \"%s\";", link);
	assert_int_equal(
	    server_write_one(&srv, "tcp", NULL, model, "upper", keys), 0);
	server_start(&srv, 1, NULL);
	assert_true(server_wait_log(&srv, "not followed", 5000));
	server_stop(&srv);
	assert_true((fd = open(secret, O_RDONLY)) >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 7);
	close(fd);
}

HARNESS_MAIN_FOR_MODEL("access_log", NULL,
    SRV_TEST(a_tcp_connection_gets_one_line),
    SRV_TEST(a_udp_datagram_gets_one_line),
    SRV_TEST(a_unix_connection_gets_one_line),
    SRV_TEST(a_unix_datagram_gets_one_line),
    SRV_TEST(the_line_says_how_a_connection_ended),
    SRV_TEST(skip_empty_leaves_out_a_client_that_sent_nothing),
    SRV_TEST(a_connection_handed_to_a_program_gets_its_bytes_and_end),
    SRV_TEST(the_main_log_has_the_lines_unless_off),
    SRV_TEST(json_lines_are_one_object_each),
    SRV_TEST(the_proxy_header_names_the_client_and_the_balancer),
    SRV_TEST(sigusr1_moves_the_lines_to_a_new_file),
    SRV_TEST(a_request_cut_off_by_the_stop_says_stop),
    SRV_TEST(a_request_stuck_in_handle_says_handle_timeout),
    SRV_TEST(a_flood_of_refused_datagrams_writes_a_handful_of_lines),
    SRV_TEST(per_source_refusals_are_summarised_too),
    SRV_TEST(a_fifo_nobody_reads_does_not_hang_the_worker),
    SRV_TEST(a_full_disk_is_said_once_not_a_line_a_request),
    SRV_TEST(a_flood_of_bad_proxy_headers_writes_a_handful_of_lines),
    SRV_TEST(syslog_without_a_daemon_is_said_once),
    SRV_TEST(a_symlink_root_does_not_own_is_not_followed))
