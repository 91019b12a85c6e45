/* test_listen.c - a host name in `listen` binds every address it resolves
 * to, as nginx does:  test_listen MODEL.  The test makes its own world, a
 * mount and network namespace of its own whose /etc/hosts is Debian 12's
 * (localhost is 127.0.0.1 and ::1) and whose loopback is fresh, so neither
 * this machine's /etc/hosts nor its ports matter. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define PORT_RANGE "/proc/sys/net/ipv4/ip_local_port_range"

static const char *model;
static const char *no_world;   /* why the namespace could not be made */
static int held[2] = {-1, -1}; /* sockets the test took ports with */
static int stacked;            /* hosts files over Debian's */

/* A listening tcp socket on ip:port (family's), or -1. */
static int
listener(int family, const char *ip, int port)
{
	struct sockaddr_storage ss = {.ss_family = (sa_family_t)family};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	socklen_t len = family == AF_INET ? sizeof(*sin) : sizeof(*sin6);

	if (fd < 0)
		return -1;
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (family == AF_INET) {
		sin->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, ip, &sin->sin_addr);
	} else {
		sin6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, ip, &sin6->sin6_addr);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 8) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
lo_up(void)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -1;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Moves this process (and the modserv it starts) into the test's world;
 * NULL, or why it cannot. */
static const char *
world_make(void)
{
	int fd;

	if (unshare(CLONE_NEWNS | CLONE_NEWNET) < 0)
		return "no mount and network namespace of our own (root?)";
	/* nothing mounted here may reach the machine's namespace */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount(DEBIAN_HOSTS, "/etc/hosts", NULL, MS_BIND, NULL) < 0)
		return "cannot mount Debian's hosts file over /etc/hosts";
	if (lo_up() < 0)
		return "cannot bring the fresh loopback up";
	if ((fd = listener(AF_INET6, "::1", 0)) < 0)
		return "no IPv6 loopback address";
	close(fd);
	return NULL;
}

/* Takes ip:port from modserv (closed by the teardown). */
static void
hold(int family, const char *ip, int port)
{
	size_t i = 0;

	while (held[i] >= 0)
		i++;
	assert_true((held[i] = listener(family, ip, port)) >= 0);
}

static int
teardown(void **state)
{
	for (size_t i = 0; i < sizeof(held) / sizeof(*held); i++) {
		if (held[i] >= 0)
			close(held[i]);
		held[i] = -1;
	}
	for (; stacked > 0; stacked--) /* a test failed with one on */
		umount("/etc/hosts");
	return srv_teardown(state);
}

static void
world_or_skip(void)
{
	if (no_world) {
		print_message("skipped: %s\n", no_world);
		skip();
	}
}

/* Writes the kernel's ephemeral port range, the one there was into was. */
static void
port_range(const char *range, char *was, size_t len)
{
	int fd = open(PORT_RANGE, O_RDWR | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	if (was) {
		n = read(fd, was, len - 1);
		was[n > 0 ? n : 0] = '\0';
	}
	assert_int_equal(
	    pwrite(fd, range, strlen(range), 0), (ssize_t)strlen(range));
	close(fd);
}

static int
port_of(const char *addr)
{
	return atoi(strrchr(addr, ':') + 1);
}

/* Which of the server's listeners is on address ip ("[::1]"), or -1. */
static int
listener_on(const char *ip)
{
	for (int i = 0; i < srv.nlisten; i++)
		if (strncmp(srv.addr[i], ip, strlen(ip)) == 0 &&
		    srv.addr[i][strlen(ip)] == ':')
			return i;
	return -1;
}

static int
listening_lines(void)
{
	return server_log_count(&srv, "listening on ");
}

/* SIGHUP, then up to 10 s for the n-th time text is logged. */
static void
reload(const char *text, int n)
{
	long long end = now_ms() + 10000;

	assert_int_equal(kill(srv.pid, SIGHUP), 0);
	while (server_log_count(&srv, text) < n && now_ms() < end)
		server_log(&srv, 20);
	if (server_log_count(&srv, text) < n)
		fail_msg("no \"%s\" after SIGHUP:\n%s", text, srv.log);
}

/* Puts hosts (a file in srv.dir, written from text) over /etc/hosts, or
 * with text NULL takes the last one off again: Debian's is back. */
static void
hosts_file(const char *text)
{
	char path[320];
	FILE *f;

	if (text == NULL) {
		assert_int_equal(umount("/etc/hosts"), 0);
		stacked--;
		return;
	}
	snprintf(path, sizeof(path), "%s/hosts", srv.dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(mount(path, "/etc/hosts", NULL, MS_BIND, NULL), 0);
	stacked++;
}

static void
serve(const char *transport, const char *listen, int nlisten)
{
	if (server_write_one(&srv, transport, listen, model, "upper", NULL) <
	        0 ||
	    server_start(&srv, nlisten, NULL) < 0)
		fail_msg("modserv did not start");
}

/* The listeners on 127.0.0.1 and [::1], one port for both: that port. */
static int
on_both_loopbacks(void)
{
	int v4 = listener_on("127.0.0.1"), v6 = listener_on("[::1]");

	assert_int_equal(listening_lines(), 2);
	assert_true(v4 >= 0 && v6 >= 0);
	assert_string_equal(srv.transport[v4], srv.transport[v6]);
	assert_int_not_equal(port_of(srv.addr[v4]), 0);
	assert_int_equal(port_of(srv.addr[v4]), port_of(srv.addr[v6]));
	return port_of(srv.addr[v4]);
}

/* A client of each family, both connected at once, each served. */
static void
both_served(const char *transport, int port)
{
	char v4[64], v6[64], buf[8];
	int a, b;

	snprintf(v4, sizeof(v4), "127.0.0.1:%d", port);
	snprintf(v6, sizeof(v6), "[::1]:%d", port);
	a = client_connect(transport, v4); /* AF_INET */
	b = client_connect(transport, v6); /* AF_INET6 */
	assert_true(a >= 0 && b >= 0);
	assert_int_equal(client_send_all(a, "ping", 4), 0);
	assert_int_equal(client_send_all(b, "pong", 4), 0);
	assert_int_equal(client_recv_all(b, buf, 4), 0);
	assert_memory_equal(buf, "PONG", 4);
	assert_int_equal(client_recv_all(a, buf, 4), 0);
	assert_memory_equal(buf, "PING", 4);
	close(a);
	close(b);
}

static void
localhost_listens_on_127_0_0_1_and_ipv6_loopback_on_one_port(void **state)
{
	(void)state;
	world_or_skip();
	serve("tcp", "localhost:0", 2);
	both_served("tcp", on_both_loopbacks());
	assert_int_equal(server_stop(&srv), 0);
}

/* A client's socket is connected: a reply from another address than the
 * one it sent to would not reach it. */
static void
datagrams_to_each_address_are_answered_from_that_address(void **state)
{
	(void)state;
	world_or_skip();
	serve("udp", "localhost:0", 2);
	both_served("udp", on_both_loopbacks());
	assert_int_equal(server_stop(&srv), 0);
}

static void
a_name_with_a_port_listens_on_that_port_on_each_address(void **state)
{
	char listen[64];
	int port;

	(void)state;
	world_or_skip();
	port = free_port();
	snprintf(listen, sizeof(listen), "localhost:%d", port);
	serve("tcp", listen, 2);
	assert_int_equal(on_both_loopbacks(), port);
	both_served("tcp", port);
	assert_int_equal(server_stop(&srv), 0);
}

static void
a_literal_address_stays_one_socket(void **state)
{
	(void)state;
	world_or_skip();
	serve("tcp", "[::1]:0", 1);
	assert_int_equal(listening_lines(), 1);
	assert_int_equal(listener_on("[::1]"), 0);
	assert_int_equal(server_stop(&srv), 0);
}

/* Each address keeps its socket, and so its port, across a reload that
 * gives the service new workers. */
static void
a_reload_keeps_the_sockets_of_every_address(void **state)
{
	int port;

	(void)state;
	world_or_skip();
	serve("tcp", "localhost:0", 2);
	port = on_both_loopbacks();
	assert_true(server_wait_log(&srv, "serving tcp", 5000));
	assert_int_equal(server_write_one(&srv, "tcp", "localhost:0", model,
	                     "upper", "max_clients = 100;"),
	    0);
	reload("reloaded:", 1);
	assert_non_null(strstr(srv.log, "1 restarted"));
	assert_int_equal(listening_lines(), 2);
	assert_null(strstr(srv.log, "no service listens there"));
	both_served("tcp", port);
	assert_int_equal(server_stop(&srv), 0);
}

/* At a reload the name is resolved again: an address it gained is bound
 * (on the port the others have), one it lost is closed. */
static void
a_reload_follows_what_the_name_resolves_to_now(void **state)
{
	long long end;
	char v6[64];
	int port, fd;

	(void)state;
	world_or_skip();
	hosts_file("127.0.0.1 localhost\n");
	serve("tcp", "localhost:0", 1);
	hosts_file(NULL);
	assert_true(server_wait_log(&srv, "serving tcp", 5000));
	port = port_of(srv.addr[0]);
	snprintf(v6, sizeof(v6), "listening on tcp [::1]:%d", port);
	reload("the new workers serve", 1);
	assert_int_equal(server_log_count(&srv, v6), 1);
	both_served("tcp", port);
	hosts_file("127.0.0.1 localhost\n");
	reload("the new workers serve", 2);
	hosts_file(NULL);
	snprintf(v6, sizeof(v6), "closed tcp [::1]:%d", port);
	/* its own line, just after the one reload waited for */
	assert_true(server_wait_log(&srv, v6, 5000));
	assert_int_equal(server_log_count(&srv, v6), 1);
	snprintf(v6, sizeof(v6), "[::1]:%d", port);
	/* gone once the workers that had it stop accepting */
	for (end = now_ms() + 5000;
	     (fd = client_connect("tcp", v6)) >= 0 && now_ms() < end;
	     usleep(10000))
		close(fd);
	assert_int_equal(fd, -1);
	snprintf(v6, sizeof(v6), "127.0.0.1:%d", port);
	assert_true((fd = client_connect("tcp", v6)) >= 0);
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

/* The kernel may pick for [::1] a port another socket has on 127.0.0.1:
 * the service moves on to one free on both.  Of two ports, 127.0.0.1:40001
 * taken, that is 40000 (and Linux picks the odd one first for a bind). */
static void
a_port_taken_on_one_address_is_given_up_for_one_free_on_all(void **state)
{
	char was[64];

	(void)state;
	world_or_skip();
	hold(AF_INET, "127.0.0.1", 40001);
	port_range("40000 40001", was, sizeof(was));
	assert_int_equal(
	    server_write_one(&srv, "tcp", "localhost:0", model, "upper", NULL),
	    0);
	if (server_start(&srv, 2, NULL) < 0) {
		port_range(was, NULL, 0);
		fail_msg("modserv did not start");
	}
	port_range(was, NULL, 0); /* clients need ephemeral ports */
	assert_int_equal(on_both_loopbacks(), 40000);
	both_served("tcp", 40000);
	assert_int_equal(server_stop(&srv), 0);
}

static void
no_port_free_on_every_address_is_a_clear_error(void **state)
{
	char was[64];
	int rc;

	(void)state;
	world_or_skip();
	hold(AF_INET6, "::1", 40000);
	hold(AF_INET, "127.0.0.1", 40001);
	port_range("40000 40001", was, sizeof(was));
	assert_int_equal(
	    server_write_one(&srv, "tcp", "localhost:0", model, "upper", NULL),
	    0);
	rc = server_start(&srv, 1, NULL);
	port_range(was, NULL, 0);
	assert_int_equal(rc, -1);
	assert_int_not_equal(srv.status, 0);
	assert_non_null(strstr(srv.log, "s: no one port is free on all of "));
	assert_non_null(strstr(srv.log, "[::1]:0"));
	assert_non_null(strstr(srv.log, "127.0.0.1:0"));
}

static void
the_check_names_every_address_of_a_name(void **state)
{
	char out[4096], *line;

	(void)state;
	world_or_skip();
	assert_int_equal(
	    server_write_one(&srv, "tcp", "localhost:0", model, "upper", NULL),
	    0);
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-t", "-c", srv.conf, (char *)NULL),
	    0);
	assert_non_null(line = strstr(out, "s: tcp "));
	*strchr(line, ',') = '\0'; /* the addresses, before ", model" */
	assert_non_null(strstr(line, "[::1]:0"));
	assert_non_null(strstr(line, "127.0.0.1:0"));
}

/* /etc/hosts may give a name an address twice (glibc's "multi on"). */
static void
a_name_listed_twice_is_bound_once(void **state)
{
	char out[4096], *line;
	int rc;

	(void)state;
	world_or_skip();
	assert_int_equal(
	    server_write_one(&srv, "tcp", "localhost:0", model, "upper", NULL),
	    0);
	hosts_file("127.0.0.1 localhost\n::1 localhost\n127.0.0.1 localhost\n"
	           "::1 localhost ip6-localhost\n");
	rc = modserv_run(out, sizeof(out), "-t", "-c", srv.conf, (char *)NULL);
	hosts_file(NULL);
	assert_int_equal(rc, 0);
	assert_non_null(line = strstr(out, "s: tcp "));
	*strchr(line, ',') = '\0';
	assert_true(strcmp(line, "s: tcp [::1]:0 127.0.0.1:0") == 0 ||
	            strcmp(line, "s: tcp 127.0.0.1:0 [::1]:0") == 0);
}

static void
a_service_may_not_listen_where_an_address_of_a_name_is(void **state)
{
	char out[4096], want[128];
	int port;

	(void)state;
	world_or_skip();
	port = free_port();
	assert_int_equal(
	    server_write_conf(&srv,
	        "module_path = [ \"@MODULES@\" ];\n"
	        "services = (\n"
	        "  { name = \"a\"; transport = \"tcp\";\n"
	        "    listen = \"localhost:%d\"; module = \"upper\"; },\n"
	        "  { name = \"b\"; transport = \"tcp\";\n"
	        "    listen = \"127.0.0.1:%d\"; module = \"upper\"; }"
	        " );\n",
	        port, port),
	    0);
	assert_int_not_equal(
	    modserv_run(out, sizeof(out), "-t", "-c", srv.conf, (char *)NULL),
	    0);
	snprintf(want, sizeof(want),
	    "listen tcp 127.0.0.1:%d is already used by service \"a\"", port);
	assert_non_null(strstr(out, want));
}

static void
listen_world(void)
{
	no_world = world_make();
}

#define T(f) cmocka_unit_test_setup_teardown(f, srv_setup, teardown)
HARNESS_MAIN_FOR_MODEL("listen", listen_world,
    T(localhost_listens_on_127_0_0_1_and_ipv6_loopback_on_one_port),
    T(datagrams_to_each_address_are_answered_from_that_address),
    T(a_name_with_a_port_listens_on_that_port_on_each_address),
    T(a_literal_address_stays_one_socket),
    T(a_reload_keeps_the_sockets_of_every_address),
    T(a_reload_follows_what_the_name_resolves_to_now),
    T(a_port_taken_on_one_address_is_given_up_for_one_free_on_all),
    T(no_port_free_on_every_address_is_a_clear_error),
    T(the_check_names_every_address_of_a_name),
    T(a_name_listed_twice_is_bound_once),
    T(a_service_may_not_listen_where_an_address_of_a_name_is))
