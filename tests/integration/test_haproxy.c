/* test_haproxy.c - modserv as a backend of a real HAProxy: two instances
 * behind it with send-proxy-v2 and agent health checks; clients see their
 * own address; one instance stopped gracefully (no request fails), then
 * started again and killed (only what it had in flight fails). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "haproxy.h"
#include "harness.h"

#define CLIENTS 4

static struct server a, b;
static int port_a, port_b, health_a, health_b, front;
static struct haproxy ha;

/* A modserv with ident (PROXY protocol, the client's address shown) on
 * port and the health agent on health. */
static void
start_instance(struct server *s, int port, int health)
{
	assert_int_equal(
	    server_write_conf(s,
	        "user = \"%s\";\n"
	        "drain_delay = 1.0;\n"
	        "shutdown_timeout = 5.0;\n"
	        "services = (\n"
	        " { name = \"ident\"; transport = \"tcp\";\n"
	        "   listen = \"127.0.0.1:%d\"; model = \"select\";\n"
	        "   module = \"@MODULES@/ident.so\"; proxy_protocol = true;\n"
	        "   options = { show_peer = true; }; },\n"
	        " { name = \"health\"; transport = \"tcp\";\n"
	        "   listen = \"127.0.0.1:%d\"; module = "
	        "\"@MODULES@/health.so\"; "
	        "} );\n",
	        harness_user(), port, health),
	    0);
	assert_int_equal(server_start(s, 2, NULL), 0);
}

static const char haproxy_conf[] =
    "global\n"
    "  maxconn 1000\n"
    "defaults\n"
    "  mode tcp\n"
    "  timeout connect 2s\n"
    "  timeout client 10s\n"
    "  timeout server 10s\n"
    "  retries 3\n"
    "  option redispatch\n"
    "frontend front\n"
    "  bind 127.0.0.1:%d\n"
    "  default_backend modserv\n"
    "backend modserv\n"
    "  balance roundrobin\n"
    "  default-server send-proxy-v2 check check-send-proxy inter 200ms "
    "fall 2 rise 1 agent-check agent-inter 200ms\n"
    "  server a 127.0.0.1:%d agent-port %d\n"
    "  server b 127.0.0.1:%d agent-port %d\n";

static void
start_haproxy(void)
{
	char conf[sizeof(haproxy_conf) + 64];

	snprintf(conf, sizeof(conf), haproxy_conf, front, port_a, health_a,
	    port_b, health_b);
	haproxy_start(&ha, conf, front);
}

/* ---- clients ---- */

struct load {
	atomic_int stop;
	atomic_long ok, failed, wrong, by_a, by_b;
	char first_failure[160];
	atomic_int worker_a, worker_b; /* "Loop-<pid>" of each instance */
};

/* One request through HAProxy from source address 127.0.0.<n>: the reply
 * must start with exactly that address and the client's port. */
static void
one_request(struct load *l, int n)
{
	struct sockaddr_in src;
	socklen_t len = sizeof(src);
	char reply[256], want[64], srcip[32], to[32];
	size_t got = 0;
	ssize_t r;
	int fd, pid = 0;

	snprintf(srcip, sizeof(srcip), "127.0.0.%d", n);
	snprintf(to, sizeof(to), "127.0.0.1:%d", front);
	if ((fd = client_connect_from(srcip, to)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&src, &len) < 0 ||
	    send(fd, "hello\n", 6, MSG_NOSIGNAL) != 6)
		goto failed;
	while (got < sizeof(reply) - 1 &&
	       (r = recv(fd, reply + got, sizeof(reply) - 1 - got, 0)) > 0)
		got += (size_t)r;
	reply[got] = '\0';
	if (got == 0)
		goto failed;
	close(fd);
	snprintf(want, sizeof(want), "%s:%d Loop-", srcip, ntohs(src.sin_port));
	if (strncmp(reply, want, strlen(want)) != 0 ||
	    strstr(reply, ": hello\n") == NULL) {
		atomic_fetch_add(&l->wrong, 1);
		return;
	}
	pid = atoi(reply + strlen(want));
	atomic_fetch_add(&l->ok, 1);
	if (pid == atomic_load(&l->worker_a))
		atomic_fetch_add(&l->by_a, 1);
	else if (pid == atomic_load(&l->worker_b))
		atomic_fetch_add(&l->by_b, 1);
	return;
failed:
	if (atomic_fetch_add(&l->failed, 1) == 0)
		snprintf(l->first_failure, sizeof(l->first_failure),
		    "from %s: %s (got %zu bytes)", srcip, strerror(errno), got);
	if (fd >= 0)
		close(fd);
}

static struct load load;

static void *
client(void *arg)
{
	int n = (int)(long)arg;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	while (!atomic_load(&load.stop)) {
		one_request(&load, n);
		usleep(2000);
	}
	return NULL;
}

static pid_t
worker_of(struct server *s)
{
	const char *p = strstr(server_log(s, 0), "ident: worker ");

	return p ? atoi(p + strlen("ident: worker ")) : -1;
}

static void
counts(const char *phase)
{
	print_message("%s: %ld requests ok (%ld by a, %ld by b), %ld failed, "
	              "%ld wrong%s%s\n",
	    phase, atomic_load(&load.ok), atomic_load(&load.by_a),
	    atomic_load(&load.by_b), atomic_load(&load.failed),
	    atomic_load(&load.wrong),
	    atomic_load(&load.failed) ? "; first: " : "",
	    atomic_load(&load.failed) ? load.first_failure : "");
}

static void
reset_counts(void)
{
	atomic_store(&load.ok, 0);
	atomic_store(&load.failed, 0);
	atomic_store(&load.wrong, 0);
	atomic_store(&load.by_a, 0);
	atomic_store(&load.by_b, 0);
}

/* Waits until requests reach instance a again (HAProxy saw it healthy). */
static void
wait_for_a(void)
{
	long long end = now_ms() + 10000;
	long before = atomic_load(&load.by_a);

	while (atomic_load(&load.by_a) < before + 20 && now_ms() < end)
		usleep(20000);
	assert_true(atomic_load(&load.by_a) >= before + 20);
}

static void
behind_haproxy_clients_keep_their_address_and_no_stop_loses_a_request(
    void **state)
{
	pthread_t t[CLIENTS];
	pid_t kids[16];
	int nkids, status;

	(void)state;
	haproxy_needed();
	memset(&load, 0, sizeof(load));
	port_a = free_port();
	port_b = free_port();
	health_a = free_port();
	health_b = free_port();
	front = free_port();
	assert_int_equal(server_prepare(&a), 0);
	assert_int_equal(server_prepare(&b), 0);
	start_instance(&a, port_a, health_a);
	start_instance(&b, port_b, health_b);
	assert_true(server_wait_log(&a, "ident: worker ", 3000));
	assert_true(server_wait_log(&b, "ident: worker ", 3000));
	atomic_store(&load.worker_a, worker_of(&a));
	atomic_store(&load.worker_b, worker_of(&b));
	start_haproxy();
	for (long i = 0; i < CLIENTS; i++)
		assert_int_equal(
		    pthread_create(&t[i], NULL, client, (void *)(i + 2)), 0);

	/* both serve; every client sees its own address */
	wait_for_a();
	sleep(1);
	counts("both instances");
	assert_int_equal(atomic_load(&load.failed), 0);
	assert_int_equal(atomic_load(&load.wrong), 0);
	assert_true(atomic_load(&load.by_b) > 20);

	/* a stops gracefully: its health agent says "drain" for drain_delay,
	 * HAProxy moves new clients to b, then a drains and exits */
	reset_counts();
	assert_int_equal(server_stop(&a), 0);
	sleep(1);
	counts("a stopped gracefully");
	assert_int_equal(atomic_load(&load.failed), 0);
	assert_int_equal(atomic_load(&load.wrong), 0);
	assert_true(server_wait_log(&a, "draining: serving on", 0));
	/* HAProxy heard "drain" from the agent before a's port closed */
	{
		const char *log = haproxy_log(&ha),
		           *drain =
		               strstr(log, "Server modserv/a enters drain"),
		           *down = strstr(log, "Server modserv/a is DOWN");

		if (drain == NULL || (down && down < drain))
			fail_msg(
			    "no drain before down in haproxy's log:\n%s", log);
	}

	/* a again, then killed outright, master and workers */
	server_cleanup(&a);
	assert_int_equal(server_prepare(&a), 0);
	start_instance(&a, port_a, health_a);
	assert_true(server_wait_log(&a, "ident: worker ", 3000));
	atomic_store(&load.worker_a, worker_of(&a));
	wait_for_a();
	reset_counts();
	nkids = proc_children(a.pid, kids, 16);
	kill(a.pid, SIGKILL);
	for (int i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
	waitpid(a.pid, &status, 0);
	a.pid = -1;
	sleep(1);
	counts("a killed");
	/* at most what was in flight on a: one request a client */
	assert_true(atomic_load(&load.failed) <= CLIENTS);
	assert_int_equal(atomic_load(&load.wrong), 0);
	/* and then everything goes to b */
	reset_counts();
	usleep(500000);
	counts("after the kill");
	assert_int_equal(atomic_load(&load.failed), 0);
	assert_int_equal(atomic_load(&load.by_a), 0);
	assert_true(atomic_load(&load.by_b) > 20);

	atomic_store(&load.stop, 1);
	for (int i = 0; i < CLIENTS; i++)
		pthread_join(t[i], NULL);
	haproxy_stop(&ha);
	assert_int_equal(server_stop(&b), 0);
	server_cleanup(&a);
	server_cleanup(&b);
}

static int
teardown(void **state)
{
	(void)state;
	atomic_store(&load.stop, 1);
	haproxy_stop(&ha);
	server_cleanup(&a);
	server_cleanup(&b);
	return 0;
}

/* The agent's answers, and the http form, as the host's state changes. */
static void
the_health_check_says_ready_then_drain(void **state)
{
	char reply[256], addr[160];
	int fd;

	(void)state;
	assert_int_equal(server_prepare(&a), 0);
	assert_int_equal(
	    server_write_conf(&a,
	        "user = \"%s\";\n"
	        "drain_delay = 2.0;\n"
	        "services = (\n"
	        " { name = \"agent\"; transport = \"tcp\"; listen = "
	        "\"127.0.0.1:0\";\n"
	        "   module = \"@MODULES@/health.so\"; },\n"
	        " { name = \"http\"; transport = \"tcp\"; listen = "
	        "\"127.0.0.1:0\";\n"
	        "   model = \"select\"; module = \"@MODULES@/health.so\";\n"
	        "   options = { protocol = \"http\"; }; } );\n",
	        harness_user()),
	    0);
	assert_int_equal(server_start(&a, 2, NULL), 0);
	/* "down" until every worker serves, then "up ready" */
	{
		long long end = now_ms() + 5000;

		do {
			fd = client_connect("tcp", a.addr[0]);
			memset(reply, 0, sizeof(reply));
			assert_true(recv(fd, reply, sizeof(reply) - 1,
			                MSG_WAITALL) > 0);
			close(fd);
			if (strcmp(reply, "down\n") != 0)
				break;
			usleep(20000);
		} while (now_ms() < end);
	}
	assert_string_equal(reply, "up ready\n");
	fd = client_connect("tcp", a.addr[1]);
	assert_int_equal(client_send_all(fd, "GET / HTTP/1.0\r\n\r\n", 18), 0);
	memset(reply, 0, sizeof(reply));
	assert_true(recv(fd, reply, sizeof(reply) - 1, MSG_WAITALL) > 0);
	assert_non_null(strstr(reply, "HTTP/1.0 200 OK\r\n"));
	assert_non_null(strstr(reply, "\r\n\r\nready\n"));
	close(fd);
	/* SIGTERM: still answering for drain_delay, now "drain" */
	snprintf(addr, sizeof(addr), "%s", a.addr[1]);
	assert_int_equal(kill(a.pid, SIGTERM), 0);
	assert_true(server_wait_log(&a, "draining: serving on for 2 s", 2000));
	fd = client_connect("tcp", a.addr[0]);
	memset(reply, 0, sizeof(reply));
	assert_true(recv(fd, reply, sizeof(reply) - 1, MSG_WAITALL) > 0);
	assert_string_equal(reply, "drain\n");
	close(fd);
	fd = client_connect("tcp", addr);
	assert_int_equal(client_send_all(fd, "GET / HTTP/1.0\r\n\r\n", 18), 0);
	memset(reply, 0, sizeof(reply));
	assert_true(recv(fd, reply, sizeof(reply) - 1, MSG_WAITALL) > 0);
	assert_non_null(strstr(reply, "HTTP/1.0 503 Service Unavailable\r\n"));
	assert_non_null(strstr(reply, "draining\n"));
	close(fd);
	assert_int_equal(server_stop(&a), 0);
	server_cleanup(&a);
}

/* Sends what, in pieces of step bytes, from source address from; the
 * whole reply ("" when closed without one). */
static void
proxied(const char *addr, const char *from, const void *what, size_t n,
    size_t step, char *reply, size_t size)
{
	int fd = client_connect_from(from, addr);
	size_t got = 0;
	ssize_t r;

	assert_true(fd >= 0);
	for (size_t off = 0; off < n; off += step) {
		size_t k = n - off < step ? n - off : step;

		if (send(fd, (const char *)what + off, k, MSG_NOSIGNAL) !=
		    (ssize_t)k)
			break;
		if (step < n)
			usleep(2000);
	}
	shutdown(fd, SHUT_WR);
	while (got < size - 1 &&
	       (r = recv(fd, reply + got, size - 1 - got, 0)) > 0)
		got += (size_t)r;
	reply[got] = '\0';
	close(fd);
}

/* proxy_protocol under every model, without a balancer: the header as a
 * balancer sends it, whole or in pieces, and what must be turned away. */
static void
a_proxy_header_names_the_client_under_every_model(void **state)
{
	static const char *const models[] = {"thread", "select", "fork"};
	static const unsigned char local[] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00,
	    0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x20, 0x00, 0x00, 0x00,
	    'h', 'i', '\n'};
	const char *v1 = "PROXY TCP4 192.0.2.1 127.0.0.1 4242 80\r\nhi\n";
	const char *denied = "PROXY TCP4 192.0.2.66 127.0.0.1 4242 80\r\nhi\n";
	char reply[256];

	(void)state;
	for (size_t m = 0; m < 3; m++) {
		assert_int_equal(server_prepare(&a), 0);
		assert_int_equal(
		    server_write_conf(&a,
		        "user = \"%s\";\n"
		        "services = ( { name = \"ident\"; transport = "
		        "\"tcp\";\n"
		        "  listen = \"127.0.0.1:0\"; model = \"%s\";\n"
		        "  module = \"@MODULES@/ident.so\"; proxy_protocol = "
		        "true;\n"
		        "  proxy_from = [ \"127.0.0.1\" ];\n"
		        "  deny = [ \"192.0.2.66\" ];\n"
		        "  options = { show_peer = true; }; },\n"
		        " { name = \"cat\"; transport = \"tcp\";\n"
		        "  listen = \"127.0.0.1:0\"; model = \"%s\";\n"
		        "  module = \"@MODULES@/exec.so\"; proxy_protocol = "
		        "true;\n"
		        "  options = { argv = [ \"cat\" ]; }; } );\n",
		        harness_user(), models[m], models[m]),
		    0);
		assert_int_equal(server_start(&a, 2, NULL), 0);
		/* a program handed the connection reads what came after the
		 * header, even in the same segment */
		proxied(a.addr[1], "127.0.0.1", v1, strlen(v1), 1000, reply,
		    sizeof(reply));
		assert_string_equal(reply, "hi\n");
		proxied(a.addr[0], "127.0.0.1", v1, strlen(v1), 1000, reply,
		    sizeof(reply));
		if (strncmp(reply, "192.0.2.1:4242 ", 15) != 0 ||
		    !strstr(reply, ": hi\n"))
			fail_msg("%s: %s", models[m], reply);
		/* a byte at a time */
		proxied(a.addr[0], "127.0.0.1", v1, strlen(v1), 1, reply,
		    sizeof(reply));
		assert_int_equal(strncmp(reply, "192.0.2.1:4242 ", 15), 0);
		/* v2 LOCAL: the balancer's own address stands */
		proxied(a.addr[0], "127.0.0.1", local, sizeof(local), 1000,
		    reply, sizeof(reply));
		assert_int_equal(strncmp(reply, "127.0.0.1:", 10), 0);
		assert_non_null(strstr(reply, ": hi\n"));
		/* no header; a denied client; not from a balancer */
		proxied(a.addr[0], "127.0.0.1", "hi\n", 3, 1000, reply,
		    sizeof(reply));
		assert_string_equal(reply, "");
		proxied(a.addr[0], "127.0.0.1", denied, strlen(denied), 1000,
		    reply, sizeof(reply));
		assert_string_equal(reply, "");
		proxied(a.addr[0], "127.0.0.2", v1, strlen(v1), 1000, reply,
		    sizeof(reply));
		assert_string_equal(reply, "");
		assert_true(
		    server_wait_log(&a, "no PROXY protocol header", 1000));
		assert_true(server_wait_log(&a, "192.0.2.66", 1000));
		assert_true(server_wait_log(&a, "not in proxy_from", 1000));
		assert_int_equal(server_stop(&a), 0);
		server_cleanup(&a);
	}
}

/* A connection to addr whose PROXY header names client (kept open). */
static int
proxied_open(const char *addr, const char *client)
{
	char header[128];
	int fd = client_connect("tcp", addr);
	int n = snprintf(header, sizeof(header),
	    "PROXY TCP4 %s 127.0.0.1 4242 80\r\n", client);

	assert_true(fd >= 0);
	assert_int_equal(client_send_all(fd, header, (size_t)n), 0);
	return fd;
}

/* Whether fd (a proxied echo connection) still answers. */
static int
echoes(int fd)
{
	char reply[3];

	return client_send_all(fd, "e\n", 2) == 0 &&
	       client_recv_all(fd, reply, 2) == 0 &&
	       memcmp(reply, "e\n", 2) == 0;
}

/* per_source counts the clients the headers name, not the balancer. */
static void
per_source_counts_the_real_clients(void **state)
{
	static const char *const models[] = {"thread", "select"};

	(void)state;
	for (size_t m = 0; m < 2; m++) {
		int first, second, other, again;

		assert_int_equal(server_prepare(&a), 0);
		assert_int_equal(
		    server_write_conf(&a,
		        "user = \"%s\";\n"
		        "services = ( { name = \"echo\"; transport = \"tcp\";\n"
		        "  listen = \"127.0.0.1:0\"; model = \"%s\";\n"
		        "  module = \"@MODULES@/echo.so\"; proxy_protocol = "
		        "true;\n"
		        "  per_source = 1; } );\n",
		        harness_user(), models[m]),
		    0);
		assert_int_equal(server_start(&a, 1, NULL), 0);
		first = proxied_open(a.addr[0], "192.0.2.1");
		assert_true(echoes(first));
		second =
		    proxied_open(a.addr[0], "192.0.2.1"); /* one too many */
		assert_false(echoes(second));
		other = proxied_open(a.addr[0], "192.0.2.2");
		assert_true(echoes(other));
		close(first); /* its count goes back */
		close(second);
		{
			long long end = now_ms() + 3000;

			do {
				again = proxied_open(a.addr[0], "192.0.2.1");
				if (echoes(again))
					break;
				close(again);
				again = -1;
				usleep(20000);
			} while (now_ms() < end);
		}
		assert_true(again >= 0);
		close(again);
		close(other);
		assert_true(
		    server_wait_log(&a, "already 1 request from there", 1000));
		assert_int_equal(server_stop(&a), 0);
		server_cleanup(&a);
	}
}

HARNESS_MAIN("haproxy",
    cmocka_unit_test_teardown(
        a_proxy_header_names_the_client_under_every_model, teardown),
    cmocka_unit_test_teardown(per_source_counts_the_real_clients, teardown),
    cmocka_unit_test_teardown(the_health_check_says_ready_then_drain, teardown),
    cmocka_unit_test_teardown(
        behind_haproxy_clients_keep_their_address_and_no_stop_loses_a_request,
        teardown))
