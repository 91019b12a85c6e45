/* test_reload.c - SIGHUP: the configuration read again and applied while
 * clients keep coming; a bad one changes nothing. */
#include <errno.h>
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

#include "harness.h"

/* Sends SIGHUP and waits for the outcome's log line (the n-th of it). */
static void
reload(const char *outcome, int n)
{
	long long end = now_ms() + 10000;

	assert_int_equal(kill(srv.pid, SIGHUP), 0);
	while (server_log_count(&srv, outcome) < n && now_ms() < end)
		server_log(&srv, 20);
	if (server_log_count(&srv, outcome) < n)
		fail_msg("no %d-th \"%s\" after SIGHUP:\n%s", n, outcome,
		    server_log(&srv, 0));
}

/* Copies module file src over dst the way a build does: a new file
 * renamed into place. */
static void
install_module(const char *src, const char *dst)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s.new' && mv '%s.new' '%s'", src,
	    dst, dst, dst);
	assert_int_equal(system(cmd), 0);
}

/* The transport of the service under load: tcp or udp. */
static const char *transport = "tcp";

/* One request on a fresh connection: its reply, or "" when none came. */
static void
ask(const char *addr, const char *msg, char *reply, size_t n)
{
	int fd = client_connect(transport, addr);
	size_t len = strlen(msg);

	reply[0] = '\0';
	if (fd < 0)
		return;
	if (client_send_all(fd, msg, len) == 0 &&
	    client_recv_all(fd, reply, len) == 0)
		reply[len] = '\0';
	close(fd);
	(void)n;
}

/* ---- clients hammering while the service changes ---- */

struct load {
	const char *addr;
	atomic_int stop;
	atomic_long requests, upper, echo, refused, lost, wrong;
	char first_loss[128]; /* what went wrong first, for the report */
};

static void
load_lost(struct load *l, const char *what, int i)
{
	if (atomic_fetch_add(&l->lost, 1) == 0)
		snprintf(l->first_loss, sizeof(l->first_loss),
		    "%s (request %d of its connection): %s at %lld ms", what, i,
		    strerror(errno), now_ms());
}

/* Connections of 1 to 8 requests each, every reply checked: upper's or
 * echo's answer to exactly what was sent. */
static void *
load_client(void *arg)
{
	struct load *l = arg;
	unsigned seed = (unsigned)pthread_self();
	long seq = 0;
	sigset_t all;

	/* the test's own children (cp, mv) must not interrupt a connect */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);

	while (!atomic_load(&l->stop)) {
		int fd = client_connect(transport, l->addr),
		    k = 1 + rand_r(&seed) % 8;
		struct timeval tv = {2, 0}; /* a datagram lost is lost */

		if (fd < 0) {
			if (errno == ECONNREFUSED)
				atomic_fetch_add(&l->refused, 1);
			else
				load_lost(l, "connect", 0);
			continue;
		}
		for (int i = 0; i < k; i++) {
			char msg[64], up[64], reply[64];
			int len = snprintf(msg, sizeof(msg), "req %p %ld\n",
			    (void *)&seed, seq++);

			expect_upper(msg, (size_t)len, up);
			setsockopt(
			    fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			if (client_send_all(fd, msg, (size_t)len) < 0 ||
			    client_recv_all(fd, reply, (size_t)len) < 0) {
				if (errno == ECONNREFUSED)
					atomic_fetch_add(&l->refused, 1);
				else
					load_lost(l, "exchange", i);
				break;
			}
			atomic_fetch_add(&l->requests, 1);
			if (memcmp(reply, up, (size_t)len) == 0)
				atomic_fetch_add(&l->upper, 1);
			else if (memcmp(reply, msg, (size_t)len) == 0)
				atomic_fetch_add(&l->echo, 1);
			else
				atomic_fetch_add(&l->wrong, 1);
		}
		close(fd);
	}
	return NULL;
}

static void
write_conf_workers(const char *model, const char *listen, int workers)
{
	assert_int_equal(
	    server_write_conf(&srv,
	        "user = \"%s\";\n"
	        "shutdown_timeout = 5.0;\n"
	        "services = ( { name = \"s\"; transport = \"%s\";\n"
	        "  listen = \"%s\"; model = \"%s\"; module = \"./mod.so\";\n"
	        "  workers = %d; } );\n",
	        harness_user(), transport, listen, model, workers),
	    0);
}

static void
write_conf(const char *model, const char *listen)
{
	write_conf_workers(model, listen, 1);
}

/* Clients hammer transport's service while the test reloads it. */
static void
swap_under_load(void)
{
	static const char *const models[] = {"thread", "select", "fork"};
	char mod[512], upper[512], echo[512], addr[160];
	struct load l = {0};
	pthread_t clients[4];
	int reloads = 0, unchanged = 0;
	char serving[32];

	snprintf(serving, sizeof(serving), " serving %s ", transport);
	snprintf(mod, sizeof(mod), "%s/mod.so", srv.dir);
	snprintf(upper, sizeof(upper), "%s/upper.so", MODSERV_MODULES);
	snprintf(echo, sizeof(echo), "%s/echo.so", MODSERV_MODULES);
	install_module(upper, mod);
	write_conf("thread", "127.0.0.1:0");
	assert_int_equal(server_start(&srv, 1, NULL), 0);
	/* the port the kernel picked stays: the listener is kept */
	snprintf(addr, sizeof(addr), "%s", srv.addr[0]);
	l.addr = addr;
	for (int i = 0; i < 4; i++)
		assert_int_equal(
		    pthread_create(&clients[i], NULL, load_client, &l), 0);
	/* thread -> select -> fork -> thread ..., one worker or two, the
	 * module file rebuilt every other time, four reloads a second for 4 s
	 */
	for (int i = 1; i <= 16; i++) {
		usleep(250000);
		if (i % 2 == 0)
			install_module(i % 4 ? echo : upper, mod);
		else
			write_conf_workers(models[(i / 2 + 1) % 3],
			    "127.0.0.1:0", 1 + (i / 2) % 2);
		reload("reloaded:", ++reloads);
	}
	usleep(250000);
	atomic_store(&l.stop, 1);
	for (int i = 0; i < 4; i++)
		pthread_join(clients[i], NULL);
	print_message(
	    "%s, %d reloads under load: %ld requests, %ld answered by "
	    "upper and %ld by echo; %ld refused, %ld lost, %ld "
	    "wrong\n",
	    transport, reloads, atomic_load(&l.requests), atomic_load(&l.upper),
	    atomic_load(&l.echo), atomic_load(&l.refused), atomic_load(&l.lost),
	    atomic_load(&l.wrong));
	if (atomic_load(&l.lost))
		print_message(
		    "first loss: %s\n%s", l.first_loss, server_log(&srv, 0));
	assert_int_equal(atomic_load(&l.refused), 0);
	assert_int_equal(atomic_load(&l.lost), 0);
	assert_int_equal(atomic_load(&l.wrong), 0);
	assert_true(atomic_load(&l.upper) > 100);
	assert_true(atomic_load(&l.echo) > 100);
	/* every model served; every reload started a new worker */
	assert_true(server_log_count(&srv, "with model select") >= 2);
	assert_true(server_log_count(&srv, "with model fork") >= 2);
	assert_true(server_log_count(&srv, "with model thread") >= 3);
	assert_int_equal(
	    server_log_count(&srv, "0 services unchanged, 1 restarted"),
	    reloads);
	/* the last module file is what answers now */
	{
		char reply[16];

		ask(addr, "last\n", reply, sizeof(reply));
		assert_string_equal(reply, "LAST\n");
	}
	/* and a reload that changes nothing leaves the worker alone */
	unchanged = server_log_count(&srv, serving);
	reload("1 service unchanged, 0 restarted", 1);
	usleep(200000);
	assert_int_equal(server_log_count(&srv, serving), unchanged);
	assert_int_equal(server_stop(&srv), 0);
}

static void
models_and_modules_swap_under_load_and_no_request_fails(void **state)
{
	(void)state;
	transport = "tcp";
	swap_under_load();
}

/* Datagrams: the old and new workers share the socket; what the old one
 * read it answers, the rest the new one reads. */
static void
the_same_over_udp(void **state)
{
	(void)state;
	transport = "udp";
	swap_under_load();
}

/* The one worker's pid, from its "serving" log line (the last one). */
static int
last_worker(void)
{
	const char *log = server_log(&srv, 0), *p = log, *hit = NULL;
	int pid = -1;

	while ((p = strstr(p, "] info s: worker ")) != NULL)
		hit = p++;
	if (hit)
		sscanf(hit, "] info s: worker %d", &pid);
	return pid;
}

static void
a_bad_configuration_changes_nothing(void **state)
{
	transport = "tcp";
	char upper[512], mod[512], reply[16];
	int worker;

	(void)state;
	snprintf(mod, sizeof(mod), "%s/mod.so", srv.dir);
	snprintf(upper, sizeof(upper), "%s/upper.so", MODSERV_MODULES);
	install_module(upper, mod);
	write_conf("select", "127.0.0.1:0");
	assert_int_equal(server_start(&srv, 1, NULL), 0);
	worker = last_worker();
	/* a syntax error, an unknown option, a module whose init fails */
	assert_int_equal(
	    server_write_conf(&srv, "services = ( { name = ; } );\n"), 0);
	reload("reload failed", 1);
	assert_non_null(strstr(server_log(&srv, 0), "modserv.conf:1:"));
	assert_int_equal(
	    server_write_conf(&srv,
	        "user = \"%s\";\n"
	        "services = ( { name = \"s\"; transport = \"tcp\";\n"
	        "  listen = \"127.0.0.1:0\"; module = \"./mod.so\";\n"
	        "  options = { shout = true; }; } );\n",
	        harness_user()),
	    0);
	reload("reload failed", 2);
	assert_non_null(strstr(server_log(&srv, 0), "has no option \"shout\""));
	assert_int_equal(
	    server_write_conf(&srv,
	        "user = \"%s\";\n"
	        "services = ( { name = \"s\"; transport = \"tcp\";\n"
	        "  listen = \"127.0.0.1:0\"; module = "
	        "\"@TESTMODULES@/bad_init.so\"; "
	        "} );\n",
	        harness_user()),
	    0);
	reload("the reloaded service did not start", 1);
	/* the same worker answered all along, and still does */
	assert_int_equal(last_worker() == worker ||
	                     strstr(server_log(&srv, 0), "init failed"),
	    1);
	ask(srv.addr[0], "still\n", reply, sizeof(reply));
	assert_string_equal(reply, "STILL\n");
	assert_int_equal(kill(worker, 0), 0);
	assert_int_equal(server_stop(&srv), 0);
}

static void
services_come_go_and_stay_across_a_reload(void **state)
{
	char reply[16], keep[160], gone[300], path[300];
	const char *user = harness_user();
	struct stat st;

	(void)state;
	assert_int_equal(
	    server_write_conf(&srv,
	        "user = \"%s\";\n"
	        "services = (\n"
	        " { name = \"keep\"; transport = \"tcp\"; listen = "
	        "\"127.0.0.1:0\";\n"
	        "   model = \"select\"; module = \"@MODULES@/upper.so\"; },\n"
	        " { name = \"gone\"; transport = \"unix\"; listen = "
	        "\"@DIR@/gone.sock\";\n"
	        "   module = \"@MODULES@/echo.so\"; } );\n",
	        user),
	    0);
	assert_int_equal(server_start(&srv, 2, NULL), 0);
	snprintf(keep, sizeof(keep), "%s", srv.addr[0]);
	snprintf(gone, sizeof(gone), "%s", srv.addr[1]);
	assert_int_equal(
	    server_write_conf(&srv,
	        "user = \"%s\";\n"
	        "services = (\n"
	        " { name = \"keep\"; transport = \"tcp\"; listen = "
	        "\"127.0.0.1:0\";\n"
	        "   model = \"select\"; module = \"@MODULES@/upper.so\"; },\n"
	        " { name = \"new\"; transport = \"unix\"; listen = "
	        "\"@DIR@/new.sock\";\n"
	        "   module = \"@MODULES@/echo.so\"; } );\n",
	        user),
	    0);
	reload("1 service unchanged, 0 restarted, 1 new, 1 removed", 1);
	assert_true(server_wait_log(&srv, "listening on unix", 3000));
	/* keep: same port, same worker (no second "keep: worker" line) */
	ask(keep, "k\n", reply, sizeof(reply));
	assert_string_equal(reply, "K\n");
	assert_int_equal(server_log_count(&srv, "keep: worker "), 1);
	/* gone: its socket file removed, clients refused */
	assert_int_equal(stat(gone, &st), -1);
	assert_int_equal(client_connect("unix", gone), -1);
	/* new: serving */
	snprintf(path, sizeof(path), "%s/new.sock", srv.dir);
	assert_true(server_wait_log(&srv, "new: worker ", 3000));
	{
		int fd = client_connect("unix", path);

		assert_true(fd >= 0);
		assert_int_equal(client_exchange(fd, "n\n", 2, reply), 0);
		assert_memory_equal(reply, "n\n", 2);
		close(fd);
	}
	assert_int_equal(server_stop(&srv), 0);
}

/* Connections of ident on addr until end: the worker pids that answered,
 * from "Loop-<pid>: " replies. */
struct spread {
	const char *addr;
	long long end;
	int pids[8], n;
	pthread_mutex_t lock;
};

static void *
spread_client(void *arg)
{
	struct spread *sp = arg;

	while (now_ms() < sp->end) {
		char reply[64] = "";
		int fd = client_connect("tcp", sp->addr), pid;
		ssize_t got;

		if (fd < 0)
			continue;
		if (client_send_all(fd, "x", 1) == 0 &&
		    shutdown(fd, SHUT_WR) == 0 &&
		    (got = recv(fd, reply, sizeof(reply) - 1, MSG_WAITALL)) >
		        0 &&
		    sscanf(reply, "Loop-%d:", &pid) == 1) {
			int seen = 0;

			pthread_mutex_lock(&sp->lock);
			for (int i = 0; i < sp->n; i++)
				seen |= sp->pids[i] == pid;
			if (!seen && sp->n < 8)
				sp->pids[sp->n++] = pid;
			pthread_mutex_unlock(&sp->lock);
		}
		close(fd);
	}
	return NULL;
}

/* workers = 2: two processes, each with its own event loop, take the
 * clients of one listener; a reload to workers = 1 leaves one. */
static void
workers_share_one_listener(void **state)
{
	struct spread sp = {.lock = PTHREAD_MUTEX_INITIALIZER};
	pthread_t t[4];
	pid_t kids[8];

	(void)state;
	transport = "tcp";
	assert_int_equal(
	    server_write_conf(&srv,
	        "user = \"%s\";\n"
	        "services = ( { name = \"s\"; transport = \"tcp\";\n"
	        "  listen = \"127.0.0.1:0\"; model = \"select\"; workers = 2;\n"
	        "  module = \"@MODULES@/ident.so\"; } );\n",
	        harness_user()),
	    0);
	assert_int_equal(server_start(&srv, 1, NULL), 0);
	assert_true(server_wait_log(&srv, "s: worker ", 3000));
	usleep(200000);
	assert_int_equal(proc_children(srv.pid, kids, 8), 2);
	sp.addr = srv.addr[0];
	sp.end = now_ms() + 1500;
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, spread_client, &sp);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	print_message("answered by %d worker processes\n", sp.n);
	assert_int_equal(sp.n, 2);
	for (int i = 0; i < 2; i++)
		assert_true(sp.pids[i] == kids[0] || sp.pids[i] == kids[1]);
	/* down to one */
	assert_int_equal(
	    server_write_conf(&srv,
	        "user = \"%s\";\n"
	        "services = ( { name = \"s\"; transport = \"tcp\";\n"
	        "  listen = \"%s\"; model = \"select\"; workers = 1;\n"
	        "  module = \"@MODULES@/ident.so\"; } );\n",
	        harness_user(), srv.addr[0]),
	    0);
	reload("0 services unchanged, 1 restarted", 1);
	{
		long long end = now_ms() + 5000;

		while (proc_children(srv.pid, kids, 8) != 1 && now_ms() < end)
			usleep(20000);
	}
	assert_int_equal(proc_children(srv.pid, kids, 8), 1);
	assert_int_equal(server_stop(&srv), 0);
}

/* Under thread, each worker's acceptor takes clients too: the access log
 * names the worker that served each connection. */
static void
thread_workers_both_accept(void **state)
{
	int pids[8], n = 0;
	long long end;

	(void)state;
	assert_int_equal(
	    server_write_conf(&srv,
	        "user = \"%s\";\n"
	        "services = ( { name = \"s\"; transport = \"tcp\";\n"
	        "  listen = \"127.0.0.1:0\"; model = \"thread\"; workers = 2;\n"
	        "  module = \"@MODULES@/echo.so\"; access_log = \"main\";\n"
	        "  access_log_format = \"served-by $pid\"; } );\n",
	        harness_user()),
	    0);
	assert_int_equal(server_start(&srv, 1, NULL), 0);
	end = now_ms() + 5000;
	while (n < 2 && now_ms() < end) {
		char reply[2];
		const char *p;
		int fd = client_connect("tcp", srv.addr[0]);

		if (fd < 0)
			continue;
		if (client_send_all(fd, "x", 1) == 0)
			(void)!recv(fd, reply, 1, MSG_WAITALL);
		close(fd);
		server_wait_log(&srv, "served-by", 100);
		n = 0;
		for (p = server_log(&srv, 100);
		     (p = strstr(p, "served-by ")) && n < 8; p++) {
			int pid = atoi(p + 10), seen = 0;

			for (int i = 0; i < n; i++)
				seen |= pids[i] == pid;
			if (pid > 0 && !seen)
				pids[n++] = pid;
		}
	}
	print_message("thread: %d worker processes accepted\n", n);
	assert_int_equal(n, 2);
	assert_int_equal(server_stop(&srv), 0);
}

/* ---- a module that hangs while its reload's check loads it ---- */

/* The pid in the last "NAME: worker PID" line of the log, or -1. */
static int
worker_of(const char *name)
{
	const char *p = server_log(&srv, 0), *hit = NULL;
	char key[64];
	int pid = -1;

	snprintf(key, sizeof(key), "] info %s: worker ", name);
	while ((p = strstr(p, key)) != NULL)
		hit = p++;
	if (hit)
		sscanf(hit + strlen(key), "%d", &pid);
	return pid;
}

/* Waits (5 s at most) for the master to have n children. */
static int
children_become(int n, pid_t *kids)
{
	long long end = now_ms() + 5000;

	while (proc_children(srv.pid, kids, 8) != n && now_ms() < end)
		usleep(20000);
	return proc_children(srv.pid, kids, 8) == n;
}

/* Whether process pid has a file whose path holds name mapped. */
static int
maps_hold(pid_t pid, const char *name)
{
	char path[64], line[1024];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, name) != NULL;
	fclose(f);
	return found;
}

/* Waits up to 5 s for a child of the master that has loadhang.so loaded:
 * b's check, hanging (the master's other children come and go: a's
 * check, a worker draining).  The children then, in kids (8 at most),
 * and how many; 0 if none came. */
static int
hanging_check_among(pid_t *kids)
{
	long long end = now_ms() + 5000;

	while (now_ms() < end) {
		int n = proc_children(srv.pid, kids, 8);

		for (int i = 0; i < n && i < 8; i++)
			if (maps_hold(kids[i], "loadhang.so"))
				return n;
		usleep(20000);
	}
	return 0;
}

/* What the status socket at path answers, into buf. */
static void
read_status(const char *path, char *buf, size_t len)
{
	int fd = client_connect("unix", path);
	size_t got = 0;
	ssize_t n = 0;

	buf[0] = '\0';
	assert_true(fd >= 0);
	while (got < len - 1 && (n = recv(fd, buf + got, len - 1 - got, 0)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
}

/* "a" upper, "b" echo or (hang) the module that hangs while loaded. */
static void
write_two(const char *b_module)
{
	assert_int_equal(
	    server_write_conf(&srv,
	        "user = \"%s\";\n"
	        "check_timeout = 12;\n"
	        "shutdown_timeout = 5;\n"
	        "status_socket = \"status.sock\";\n"
	        "services = (\n"
	        " { name = \"a\"; transport = \"tcp\"; listen = "
	        "\"127.0.0.1:0\";\n"
	        "   model = \"select\"; module = \"@MODULES@/upper.so\"; },\n"
	        " { name = \"b\"; transport = \"tcp\"; listen = "
	        "\"127.0.0.1:0\";\n"
	        "   model = \"thread\"; module = \"%s\"; } );\n",
	        harness_user(), b_module),
	    0);
}

/* A reload whose new module hangs in its constructor: meanwhile the
 * master restarts a killed worker of another service, answers on its
 * status socket, takes a newer SIGHUP, and stops at once on SIGTERM with
 * nothing left; past check_timeout the reload is refused naming the
 * module, and the old configuration serves on. */
static void
a_module_hanging_while_loaded_on_reload_stalls_nothing(void **state)
{
	char marker[] = "/tmp/modserv-loadhang.XXXXXX", sock[300],
	     status[16384], reply[16], a[160], b[160];
	pid_t kids[8];
	int fd, worker, exit_status, nkids;
	long long t0;

	(void)state;
	transport = "tcp";
	assert_true((fd = mkstemp(marker)) >= 0);
	close(fd);
	assert_int_equal(setenv("MODSERV_TEST_LOADHANG", marker, 1), 0);
	snprintf(sock, sizeof(sock), "%s/status.sock", srv.dir);
	write_two("@MODULES@/echo.so");
	assert_int_equal(server_start(&srv, 2, NULL), 0);
	snprintf(a, sizeof(a), "%s", srv.addr[0]);
	snprintf(b, sizeof(b), "%s", srv.addr[1]);
	assert_true(children_become(2, kids));

	/* b's module hangs while its check loads it */
	write_two("@TESTMODULES@/loadhang.so");
	reload("SIGHUP: reloading", 1);
	assert_true(hanging_check_among(kids) > 0);
	/* (1) a's worker killed: restarted, serving within seconds */
	worker = worker_of("a");
	assert_true(worker > 0);
	assert_int_equal(kill(worker, SIGKILL), 0);
	{
		long long end = now_ms() + 5000;

		while ((worker_of("a") == worker || worker_of("a") == -1) &&
		       now_ms() < end)
			server_log(&srv, 20);
	}
	assert_int_not_equal(worker_of("a"), worker);
	ask(a, "up\n", reply, sizeof(reply));
	assert_string_equal(reply, "UP\n");
	/* (2) the status socket answers */
	read_status(sock, status, sizeof(status));
	assert_non_null(strstr(status, "modserv_workers{service=\"a\"} 1"));
	/* all of it while the check still hung */
	assert_int_equal(server_log_count(&srv, "reload failed"), 0);

	/* past check_timeout: refused, naming the module; nothing changed */
	assert_true(server_wait_log(&srv, "reload failed", 30000));
	snprintf(
	    status, sizeof(status), "module %s/loadhang.so", srv.testmodules);
	assert_non_null(strstr(server_log(&srv, 0), status));
	assert_non_null(strstr(
	    server_log(&srv, 0), "still loading after 12 s (check_timeout)"));
	ask(b, "old\n", reply, sizeof(reply));
	assert_string_equal(reply, "old\n");
	assert_true(children_become(2, kids));

	/* a SIGHUP while a check hangs: the newest file is what counts */
	reload("SIGHUP: reloading", 2);
	assert_true(hanging_check_among(kids) > 0);
	write_two("@MODULES@/upper.so");
	reload("reloaded: 1 service unchanged, 1 restarted", 1);
	assert_int_equal(server_log_count(&srv, "reload failed"), 1);
	assert_int_equal(server_log_count(&srv, "that check is dropped"), 1);
	/* the new worker serves alone once the old one has drained */
	assert_true(children_become(2, kids));
	ask(b, "new\n", reply, sizeof(reply));
	assert_string_equal(reply, "NEW\n");

	/* (3) SIGTERM while a check hangs: out at once, nothing left */
	write_two("@TESTMODULES@/loadhang.so");
	reload("SIGHUP: reloading", 4);
	assert_true((nkids = hanging_check_among(kids)) > 0);
	t0 = now_ms();
	assert_int_equal(kill(srv.pid, SIGTERM), 0);
	{
		long long end = now_ms() + 20000;
		pid_t r;

		while ((r = waitpid(srv.pid, &exit_status, WNOHANG)) == 0 &&
		       now_ms() < end)
			usleep(20000);
		assert_int_equal(r, srv.pid);
	}
	print_message(
	    "SIGTERM during a hung check: out in %lld ms\n", now_ms() - t0);
	assert_true(now_ms() - t0 < 10000);
	srv.pid = -1;
	assert_true(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0);
	for (int i = 0; i < nkids; i++) /* reaped, not left to anyone */
		assert_int_equal(kill(kids[i], 0), -1);
	unlink(marker);
	unsetenv("MODSERV_TEST_LOADHANG");
}

/* At start and for -t, waiting for the checks is all there is to do, but
 * a module that hangs while loaded is given check_timeout, no more. */
static void
a_module_hanging_while_loaded_is_refused_at_start_and_by_t(void **state)
{
	char marker[] = "/tmp/modserv-loadhang.XXXXXX", out[8192];
	int fd;

	(void)state;
	assert_true((fd = mkstemp(marker)) >= 0);
	close(fd);
	assert_int_equal(setenv("MODSERV_TEST_LOADHANG", marker, 1), 0);
	assert_int_equal(
	    server_write_conf(&srv,
	        "user = \"%s\";\n"
	        "check_timeout = 1;\n"
	        "services = ( { name = \"h\"; transport = \"tcp\";\n"
	        "  listen = \"127.0.0.1:0\";\n"
	        "  module = \"@TESTMODULES@/loadhang.so\"; } );\n",
	        harness_user()),
	    0);
	for (int start = 0; start < 2; start++) {
		long long t0 = now_ms();
		int rc =
		    start ? modserv_run(out, sizeof(out), "-c", srv.conf, NULL)
		          : modserv_run(
		                out, sizeof(out), "-t", "-c", srv.conf, NULL);

		print_message("%s: refused in %lld ms\n",
		    start ? "start" : "-t", now_ms() - t0);
		assert_int_equal(rc, 1);
		assert_non_null(strstr(out, "services.[0].module: service h: "
		                            "module "));
		assert_non_null(strstr(out, "loadhang.so"));
		assert_non_null(
		    strstr(out, "still loading after 1 s (check_timeout)"));
		assert_true(now_ms() - t0 < 20000); /* not the 120 s it hangs */
	}
	unlink(marker);
	unsetenv("MODSERV_TEST_LOADHANG");
}

HARNESS_MAIN("reload",
    SRV_TEST(models_and_modules_swap_under_load_and_no_request_fails),
    SRV_TEST(the_same_over_udp), SRV_TEST(a_bad_configuration_changes_nothing),
    SRV_TEST(services_come_go_and_stay_across_a_reload),
    SRV_TEST(workers_share_one_listener), SRV_TEST(thread_workers_both_accept),
    SRV_TEST(a_module_hanging_while_loaded_on_reload_stalls_nothing),
    SRV_TEST(a_module_hanging_while_loaded_is_refused_at_start_and_by_t))
