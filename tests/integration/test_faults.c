/* test_faults.c - what the machine and clients can do to a service, and
 * that it keeps serving everyone else:  test_faults MODEL. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
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

static int
served(int fd, const char *msg)
{
	char buf[64], want[64];
	size_t n = strlen(msg);

	expect_upper(msg, n, want);
	return client_exchange(fd, msg, n, buf) == 0 &&
	       memcmp(buf, want, n) == 0;
}

static int
served_once(void)
{
	int fd = client_connect(srv.transport[0], srv.addr[0]), ok;

	if (fd < 0)
		return 0;
	ok = served(fd, "once");
	close(fd);
	return ok;
}

/* CPU time (ms) pid used so far. */
static long
cpu_ms(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (p == NULL || (p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	        &ut, &st) != 2)
		return -1;
	return (long)((ut + st) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

static void
out_of_descriptors_pauses_accepting_without_spinning(void **state)
{
	struct rlimit old;
	int fds[64], n = 0;
	pid_t worker;
	long cpu0;

	(void)state;
	getrlimit(RLIMIT_NOFILE, &old);
	/* modserv inherits the low limit; the test keeps its own */
	setrlimit(RLIMIT_NOFILE, &(struct rlimit){48, old.rlim_max});
	serve("tcp", "127.0.0.1:0", "upper", NULL);
	setrlimit(RLIMIT_NOFILE, &old);
	assert_int_equal(proc_children(srv.pid, &worker, 1), 1);
	/* hold connections until the worker runs out of descriptors */
	for (n = 0; n < 64; n++) {
		fds[n] = client_connect("tcp", srv.addr[0]);
		assert_true(fds[n] >= 0);
		if (send(fds[n], "x", 1, 0) != 1)
			break;
	}
	if (strcmp(model, "fork") == 0) {
		/* the worker keeps no connection and no descriptor per
		 * child: its children hold the connections; every client is
		 * still served and every child reaped */
		char b[2];

		for (int i = 0; i < n; i++) {
			assert_int_equal(client_recv_all(fds[i], b, 1), 0);
			assert_int_equal(b[0], 'X');
		}
		for (int i = 0; i < n; i++)
			close(fds[i]);
		for (int i = 0; i < 300 && proc_children(worker, NULL, 0); i++)
			usleep(10000);
		assert_int_equal(proc_children(worker, NULL, 0), 0);
		assert_true(served_once());
		assert_int_equal(server_stop(&srv), 0);
		return;
	}
	assert_true(server_wait_log(&srv, "accept (pausing", 3000));
	cpu0 = cpu_ms(worker);
	usleep(1000000);
	/* paused, not spinning: a second costs the worker little CPU */
	if (cpu_ms(worker) - cpu0 > 150)
		fail_msg("the worker used %ld ms of CPU in 1 s",
		    cpu_ms(worker) - cpu0);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	/* it serves again once descriptors are free */
	long long t0 = now_ms();
	while (!served_once() && now_ms() - t0 < 3000)
		usleep(50000);
	assert_true(served_once());
	assert_int_equal(server_stop(&srv), 0);
}

static void
no_thread_or_process_refuses_the_request_cleanly(void **state)
{
	char flag[300], buf[8];
	int fd;

	(void)state;
	if (strcmp(model, "select") == 0)
		skip(); /* it starts no thread or process per request */
	/* where the workers, as nobody, can see it: not in the 0700 srv.dir */
	snprintf(
	    flag, sizeof(flag), "/tmp/modserv-fail-spawn.%d", (int)getpid());
	setenv("MODSERV_TEST_FAIL_SPAWN", flag, 1);
	setenv("LD_PRELOAD", FAILSPAWN_SO, 1);
	/* no spare thread to hand the request to: one must be started */
	serve("tcp", "127.0.0.1:0", "upper",
	    strcmp(model, "thread") == 0 ? "spare_threads = 0;" : NULL);
	unsetenv("LD_PRELOAD");
	assert_true(served_once());
	close(open(flag, O_CREAT | O_WRONLY, 0600));
	fd = client_connect("tcp", srv.addr[0]);
	assert_true(fd >= 0);
	assert_true(send(fd, "x", 1, MSG_NOSIGNAL) == 1 || errno == EPIPE);
	assert_true(recv(fd, buf, sizeof(buf), 0) <= 0); /* closed */
	close(fd);
	assert_true(server_wait_log(&srv, "request refused: ", 2000));
	unlink(flag);
	assert_true(served_once());
	assert_int_equal(server_stop(&srv), 0);
	assert_null(strstr(srv.log, "killed by signal"));
}

/* A client loop that checks every reply; counts what it got right. */
struct loader {
	const char *addr;
	int sent, good, stop_after;
};

static void *
load_client(void *arg)
{
	struct loader *c = arg;
	int fd = client_connect("tcp", c->addr);
	char msg[32];

	if (fd < 0)
		return NULL;
	for (c->sent = 0; c->sent < c->stop_after; c->sent++) {
		int n = snprintf(msg, sizeof(msg), "request %d", c->sent);

		msg[n] = '\0';
		if (!served(fd, msg))
			break;
		c->good++;
	}
	close(fd);
	return NULL;
}

static void
sigterm_under_load_finishes_what_was_accepted(void **state)
{
	struct loader c[16];
	pthread_t t[16];
	int status, refused = 0;
	long long t0;

	(void)state;
	serve("tcp", "127.0.0.1:0", "upper", NULL);
	for (int i = 0; i < 16; i++) {
		c[i] = (struct loader){srv.addr[0], 0, 0, 400};
		pthread_create(&t[i], NULL, load_client, &c[i]);
	}
	usleep(100000);
	kill(srv.pid, SIGTERM);
	assert_true(server_wait_log(&srv, "stop accepting", 2000));
	/* a new client is turned away at once, not left hanging */
	t0 = now_ms();
	int fd = client_connect("tcp", srv.addr[0]);
	if (fd < 0)
		refused = 1;
	else
		close(fd);
	assert_true(refused);
	assert_true(now_ms() - t0 < 500);
	for (int i = 0; i < 16; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(c[i].good, 400); /* every reply, right */
	}
	assert_int_equal(waitpid(srv.pid, &status, 0), srv.pid);
	srv.pid = -1;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
empty_and_largest_datagrams_and_unnamed_senders(void **state)
{
	char big[65507], back[65508];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, anon;

	(void)state;
	serve("udp", "127.0.0.1:0", "upper", NULL);
	fd = client_connect("udp", srv.addr[0]);
	assert_int_equal(send(fd, "", 0, 0), 0);
	assert_int_equal(recv(fd, back, sizeof(back), 0), 0); /* empty back */
	memset(big, 'a', sizeof(big));
	assert_int_equal(send(fd, big, sizeof(big), 0), (ssize_t)sizeof(big));
	assert_int_equal(recv(fd, back, sizeof(back), 0), (ssize_t)sizeof(big));
	assert_int_equal(back[0], 'A');
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
	server_cleanup(&srv);
	server_prepare(&srv);
	/* a unix-dgram client with no address: nothing to reply to */
	serve("unix-dgram", "@DIR@/d.sock", "upper", NULL);
	anon = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_true(strlen(srv.addr[0]) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, srv.addr[0], strlen(srv.addr[0]) + 1);
	assert_int_equal(
	    sendto(anon, "hi", 2, 0, (struct sockaddr *)&sun, sizeof(sun)), 2);
	close(anon);
	fd = client_connect("unix-dgram", srv.addr[0]);
	if (geteuid() == 0) { /* a datagram past 256 KiB: logged, dropped */
		int size = 1 << 20;
		char *huge = calloc(1, 300000);

		setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size));
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
		assert_int_equal(send(fd, huge, 300000, 0), 300000);
		assert_true(server_wait_log(&srv,
		    "datagram of 300000 bytes is larger than 262144", 3000));
		/* the largest one accepted is answered whole */
		memset(huge, 'b', 262144);
		assert_int_equal(send(fd, huge, 262144, 0), 262144);
		assert_int_equal(recv(fd, huge, 300000, 0), 262144);
		assert_int_equal(huge[0], 'B');
		assert_int_equal(huge[262143], 'B');
		free(huge);
	}
	assert_true(served(fd, "still here"));
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

/* Sends a UDP datagram to 127.0.0.1:to that claims to come from
 * 127.0.0.1:from: a raw socket writes its own IP header (root only). */
static void
send_forged_udp(int from, int to, const char *msg)
{
	char packet[256];
	struct iphdr *ip = (struct iphdr *)packet;
	struct udphdr *udp = (struct udphdr *)(packet + sizeof(*ip));
	size_t n = strlen(msg), len = sizeof(*ip) + sizeof(*udp) + n;
	struct sockaddr_in dst = {
	    .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP), one = 1;

	assert_true(fd >= 0);
	assert_true(len <= sizeof(packet));
	assert_int_equal(
	    setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)), 0);
	memset(packet, 0, len);
	*ip = (struct iphdr){.version = 4,
	    .ihl = 5,
	    .ttl = 64,
	    .protocol = IPPROTO_UDP,
	    .tot_len = htons((uint16_t)len),
	    .saddr = htonl(INADDR_LOOPBACK),
	    .daddr = htonl(INADDR_LOOPBACK)};
	*udp = (struct udphdr){.source = htons((uint16_t)from),
	    .dest = htons((uint16_t)to),
	    .len = htons((uint16_t)(sizeof(*udp) + n))}; /* no checksum */
	memcpy(packet + sizeof(*ip) + sizeof(*udp), msg, n);
	assert_int_equal(
	    sendto(fd, packet, len, 0, (struct sockaddr *)&dst, sizeof(dst)),
	    (ssize_t)len);
	close(fd);
}

static int
port_of(const char *addr)
{
	const char *colon = strrchr(addr, ':');

	assert_non_null(colon);
	return atoi(colon + 1);
}

/* A forged datagram from a service's own address (or another datagram
 * service's) would have it answer itself, the answer come back as a
 * request, and so on forever: it is dropped unanswered and logged. */
static void
a_datagram_from_a_listening_address_is_not_answered(void **state)
{
	int a, b, fd;
	long long end;

	(void)state;
	if (geteuid() != 0)
		skip(); /* forging a source takes a raw socket */
	assert_int_equal(
	    server_write_conf(&srv,
	        "status_socket = \"@DIR@/status.sock\";\n"
	        "services = (\n"
	        " { name = \"a\"; transport = \"udp\"; listen = "
	        "\"127.0.0.1:0\";\n"
	        "   model = \"%s\"; module = \"@MODULES@/upper.so\"; },\n"
	        " { name = \"b\"; transport = \"udp\"; listen = "
	        "\"127.0.0.1:0\";\n"
	        "   model = \"%s\"; module = \"@MODULES@/upper.so\"; } );\n",
	        model, model),
	    0);
	assert_int_equal(server_start(&srv, 2, NULL), 0);
	assert_string_equal(srv.service[0], "a");
	a = port_of(srv.addr[0]);
	b = port_of(srv.addr[1]);
	send_forged_udp(a, a, "myself");
	assert_true(server_wait_log(
	    &srv, "datagram from a listening address of service a", 3000));
	send_forged_udp(b, a, "each other");
	assert_true(server_wait_log(
	    &srv, "datagram from a listening address of service b", 3000));
	/* no loop: a second on, next to nothing came in */
	end = now_ms() + 1000;
	while (now_ms() < end)
		usleep(50000);
	assert_true(server_metric(&srv, "accepted_total", "a") < 10);
	assert_true(server_metric(&srv, "accepted_total", "b") < 10);
	assert_int_equal(server_metric(&srv, "refused_total", "a"), 2);
	/* and a client is answered */
	fd = client_connect("udp", srv.addr[0]);
	assert_true(served(fd, "still here"));
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

/* A local client cannot send from a unix-dgram service's own socket: its
 * source is the path it bound, which the kernel fills in.  But it can bind
 * a path and swap it for a symbolic link to the service's socket: the
 * answer would then reach the service itself, from its own address, and be
 * answered again, forever.  Compared by inode, the sender's path is the
 * service's socket: dropped unanswered and logged. */
static void
a_unix_datagram_whose_answer_would_come_back_is_not_answered(void **state)
{
	char dir[] = "/tmp/modserv-selfloop.XXXXXX", sock[64], from[64];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	long long end;
	int fd;

	(void)state;
	/* a folder the service's user may reach its own socket through */
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(sock, sizeof(sock), "%s/d.sock", dir);
	snprintf(from, sizeof(from), "%s/c.sock", dir);
	assert_int_equal(
	    server_write_conf(&srv,
	        "status_socket = \"@DIR@/status.sock\";\n"
	        "services = (\n"
	        " { name = \"d\"; transport = \"unix-dgram\"; listen = "
	        "\"%s\";\n"
	        "   socket_mode = \"0666\";\n"
	        "   model = \"%s\"; module = \"@MODULES@/upper.so\"; } );\n",
	        sock, model),
	    0);
	assert_int_equal(server_start(&srv, 1, NULL), 0);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memcpy(sun.sun_path, from, strlen(from) + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(unlink(from), 0);
	assert_int_equal(symlink(sock, from), 0);
	memcpy(sun.sun_path, sock, strlen(sock) + 1);
	assert_int_equal(
	    sendto(fd, "loop", 4, 0, (struct sockaddr *)&sun, sizeof(sun)), 4);
	close(fd);
	assert_true(server_wait_log(
	    &srv, "datagram from a listening address of service d", 3000));
	end = now_ms() + 1000;
	while (now_ms() < end)
		usleep(50000);
	assert_true(server_metric(&srv, "accepted_total", "d") < 10);
	assert_int_equal(server_metric(&srv, "refused_total", "d"), 1);
	fd = client_connect("unix-dgram", sock); /* and a client is answered */
	assert_true(served(fd, "still here"));
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
	unlink(from);
	assert_int_equal(rmdir(dir), 0); /* modserv removed its socket */
}

static void
a_slow_dripping_client_does_not_hold_up_others(void **state)
{
	int drip, fd;
	long long t0;

	(void)state;
	serve("tcp", "127.0.0.1:0", "daytime", NULL);
	drip = client_connect("tcp", srv.addr[0]);
	for (int i = 0; i < 5; i++) {
		char buf[128];

		assert_int_equal(send(drip, "x", 1, 0), 1);
		t0 = now_ms();
		fd = client_connect("tcp", srv.addr[0]);
		assert_int_equal(client_send_all(fd, "quick\n", 6), 0);
		assert_true(recv(fd, buf, sizeof(buf), 0) > 0);
		assert_true(now_ms() - t0 < 500);
		close(fd);
		usleep(200000);
	}
	close(drip);
	assert_int_equal(server_stop(&srv), 0);
}

/* A handle returning 42 (not MS_MORE, MS_CLOSE nor a negative error) is
 * an error: the request ends, and the log says so once with the module's
 * name, not once a request. */
static void
a_handle_returning_an_odd_value_is_an_error_said_once(void **state)
{
	char buf[16];
	const char *log, *hit;
	int said = 0;

	(void)state;
	serve("tcp", NULL, "odd", NULL);
	for (int i = 0; i < 5; i++) {
		int fd = client_connect("tcp", srv.addr[0]);

		assert_true(fd >= 0);
		assert_int_equal(send(fd, "hi\n", 3, MSG_NOSIGNAL), 3);
		/* ended by the host: end of file, nothing written */
		assert_true(recv(fd, buf, sizeof(buf), 0) <= 0);
		close(fd);
	}
	assert_true(server_wait_log(&srv,
	    "module odd: handle returned 42, which is not MS_MORE, MS_CLOSE "
	    "or a negative error: taken as an error (said once)",
	    3000));
	log = server_log(&srv, 200);
	for (hit = log; (hit = strstr(hit, "returned 42")) != NULL; hit++)
		said++;
	assert_int_equal(said, 1);
	assert_int_equal(server_stop(&srv), 0);
}

HARNESS_MAIN_FOR_MODEL("faults", NULL,
    SRV_TEST(out_of_descriptors_pauses_accepting_without_spinning),
    SRV_TEST(no_thread_or_process_refuses_the_request_cleanly),
    SRV_TEST(sigterm_under_load_finishes_what_was_accepted),
    SRV_TEST(empty_and_largest_datagrams_and_unnamed_senders),
    SRV_TEST(a_datagram_from_a_listening_address_is_not_answered),
    SRV_TEST(a_unix_datagram_whose_answer_would_come_back_is_not_answered),
    SRV_TEST(a_slow_dripping_client_does_not_hold_up_others),
    SRV_TEST(a_handle_returning_an_odd_value_is_an_error_said_once))
