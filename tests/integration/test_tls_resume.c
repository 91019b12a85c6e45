/* test_tls_resume.c - TLS sessions as a client sees them, with Python's
 * ssl (tests/tls/tls_client.py): a session made with one worker resumes
 * at another and after a reload, survives a rotation of the ticket keys
 * but not its key's being dropped, never resumes with session_tickets =
 * false nor at another service; and a reload that replaces the
 * certificate fails no connection while the new ones get the new
 * certificate.  Run once per model; the server side's count of resumed
 * handshakes (modserv -s) must agree with the client's. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "certs.h"

#include "harness.h"

static const char *model;

/* ---- the client: tls_client.py, one command a line ---- */

static struct {
	pid_t pid;
	int to, from; /* its stdin, its stdout */
	char buf[8192];
	size_t len;
	char answer[8192];
} client = {.pid = -1, .to = -1, .from = -1};

static int
client_start(void)
{
	char ca[300];
	int in[2], out[2];

	snprintf(ca, sizeof(ca), "%s/ca.pem", tls_certs);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		return -1;
	if ((client.pid = fork()) < 0)
		return -1;
	if (client.pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execl(PYTHON, PYTHON, TLS_CLIENT_PY, ca, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	client.to = in[1];
	client.from = out[0];
	client.len = 0;
	return 0;
}

static void
client_stop(void)
{
	long long end = now_ms() + 5000;

	if (client.pid <= 0)
		return;
	close(client.to); /* its end of input: it exits */
	close(client.from);
	while (waitpid(client.pid, NULL, WNOHANG) == 0 && now_ms() < end)
		usleep(10000);
	if (now_ms() >= end) {
		kill(client.pid, SIGKILL);
		waitpid(client.pid, NULL, 0);
	}
	client.pid = -1;
}

static void __attribute__((format(printf, 1, 2)))
client_send(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	line[n++] = '\n';
	assert_int_equal(write(client.to, line, (size_t)n), n);
}

/* The client's next answer line (waits up to ms). */
static const char *
client_answer(int ms)
{
	long long end = now_ms() + ms;
	char *nl;

	while ((nl = memchr(client.buf, '\n', client.len)) == NULL) {
		struct pollfd p = {.fd = client.from, .events = POLLIN};
		long long left = end - now_ms();
		ssize_t n = 0;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0 ||
		    (n = read(client.from, client.buf + client.len,
		         sizeof(client.buf) - client.len)) <= 0)
			fail_msg(
			    "the client did not answer; modserv's log:\n%s",
			    server_log(&srv, 0));
		client.len += (size_t)n;
	}
	*nl = '\0';
	snprintf(client.answer, sizeof(client.answer), "%s", client.buf);
	client.len -= (size_t)(nl + 1 - client.buf);
	memmove(client.buf, nl + 1, client.len);
	return client.answer;
}

/* A value of answer's "name=value" as a number, -1 when not there. */
static long
field(const char *answer, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), " %s=", name);
	if ((p = strstr(answer, key)) == NULL)
		return -1;
	return strtol(p + strlen(key), NULL, 10);
}

/* A value of answer's "name=value" as text, into out. */
static const char *
field_text(const char *answer, const char *name, char *out, size_t n)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), " %s=", name);
	out[0] = '\0';
	if ((p = strstr(answer, key)) != NULL)
		snprintf(out, n, "%.*s", (int)strcspn(p + strlen(key), " "),
		    p + strlen(key));
	return out;
}

/* One connection to port in TLS version ("1.2", "1.3"), offering the
 * session labelled use, keeping its own as save ("-": none); it must be
 * served.  The answer: reused=, ticket=, cn=, serial=, reply=. */
static const char *
tls_connect(int port, const char *version, const char *use, const char *save)
{
	const char *a;

	client_send("connect 127.0.0.1:%d %s %s %s", port, version, use, save);
	a = client_answer(30000);
	if (strncmp(a, "ok ", 3) != 0)
		fail_msg(
		    "connection in TLS %s not served: %s\nmodserv's log:\n%s",
		    version, a, server_log(&srv, 0));
	return a;
}

static const char *const versions[] = {"1.2", "1.3"};

/* ---- the server ---- */

static int port_s, port_t; /* service s's, and t's when there are two */
static char status[1 << 15];

/* Writes service s (and t, with two), module tid over tcp under the model,
 * with workers, the certificate server.pem in srv.dir and more tls keys;
 * more top-level keys before the services. */
static void
write_conf(int workers, const char *tls, const char *top, int two)
{
	char t[1024] = "";

	if (two)
		snprintf(t, sizeof(t),
		    ", { name = \"t\"; transport = \"tcp\"; listen = "
		    "\"127.0.0.1:%d\"; model = \"%s\"; module = \"tid\";\n"
		    "  workers = %d;\n"
		    "  tls = { certificate = \"server.pem\"; key = "
		    "\"server.key\"; %s }; }",
		    port_t, model, workers, tls);
	assert_int_equal(
	    server_write_conf(&srv,
	        "module_path = [ \"@MODULES@\", \"@TESTMODULES@\" ];\n"
	        "shutdown_timeout = 5;\n"
	        "status_socket = \"@DIR@/status.sock\";\n"
	        "%s\n"
	        "services = ( { name = \"s\"; transport = \"tcp\";\n"
	        "  listen = \"127.0.0.1:%d\"; model = \"%s\"; module = \"tid\";\n"
	        "  workers = %d;\n"
	        "  tls = { certificate = \"server.pem\"; key = \"server.key\"; "
	        "%s }; }%s );\n",
	        top, port_s, model, workers, tls, t),
	    0);
}

/* Copies the certificate and key of NAME (make_certs.sh's) to
 * server.pem and server.key in srv.dir, as an operator replaces them: a
 * new file renamed into place. */
static void
install_certificate(const char *name)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
	    "cp '%1$s/%2$s.pem' '%3$s/server.pem.new' && "
	    "mv '%3$s/server.pem.new' '%3$s/server.pem' && "
	    "cp '%1$s/%2$s.key' '%3$s/server.key.new' && "
	    "mv '%3$s/server.key.new' '%3$s/server.key'",
	    tls_certs, name, srv.dir);
	assert_int_equal(system(cmd), 0);
}

/* Waits (up to ms) for text to have been logged n times. */
static void
wait_log_count(const char *text, int n, int ms)
{
	long long end = now_ms() + ms;

	while (server_log_count(&srv, text) < n && now_ms() < end)
		server_log(&srv, 20);
	if (server_log_count(&srv, text) < n)
		fail_msg("\"%s\" not logged %d times:\n%s", text, n,
		    server_log(&srv, 0));
}

/* Starts the server written, and waits for its workers to serve. */
static void
start(int listeners, int workers)
{
	assert_int_equal(server_start(&srv, listeners, NULL), 0);
	wait_log_count(" serving tcp 127.0.0.1", listeners * workers, 10000);
}

/* Service s's counter name (modserv_NAME) from modserv -s, once it came
 * to want (5 s at most). */
static long long
metric_until(const char *name, long long want)
{
	long long end = now_ms() + 5000, v;
	char key[160];
	const char *p;

	snprintf(key, sizeof(key), "modserv_%s{service=\"s\"} ", name);
	do {
		assert_int_equal(modserv_run(status, sizeof(status), "-c",
		                     srv.conf, "-s", NULL),
		    0);
		v = (p = strstr(status, key)) ? atoll(p + strlen(key)) : -1;
	} while (v < want && now_ms() < end && !usleep(20000));
	return v;
}

/* SIGHUP, and waits until the service's workers are new ones: the
 * reload restarted it and every worker running before has exited. */
static void
reload_to_new_workers(int reloads)
{
	pid_t old[16], now[16];
	int nold = proc_children(srv.pid, old, 16);
	long long end = now_ms() + 20000;
	int left;

	assert_int_equal(kill(srv.pid, SIGHUP), 0);
	wait_log_count(
	    "reloaded: 0 services unchanged, 1 restarted", reloads, 15000);
	nold = nold > 16 ? 16 : nold;
	do {
		int n = proc_children(srv.pid, now, 16);

		n = n > 16 ? 16 : n;
		left = 0;
		for (int i = 0; i < nold; i++)
			for (int j = 0; j < n; j++)
				left += old[i] == now[j];
	} while (left > 0 && now_ms() < end && !usleep(20000));
	assert_int_equal(left, 0);
}

static int
setup(void **state)
{
	if (srv_setup(state) < 0 || client_start() < 0)
		return -1;
	port_s = free_port();
	do
		port_t = free_port();
	while (port_t == port_s);
	install_certificate("a");
	return 0;
}

static int
teardown(void **state)
{
	pid_t w[16];
	int n = srv.pid > 0 ? proc_children(srv.pid, w, 16) : 0;

	/* a test that failed between SIGSTOP and SIGCONT */
	for (int i = 0; i < n && i < 16; i++)
		kill(w[i], SIGCONT);
	client_stop();
	return srv_teardown(state);
}

/* ---- the tests ---- */

/* Whether every thread of pid is stopped (state T in /proc). */
static int
all_stopped(pid_t pid)
{
	char path[320], line[512], *p;
	struct dirent *e;
	int stopped = 1;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if ((d = opendir(path)) == NULL)
		return 0;
	while (stopped && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)pid,
		    e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue; /* a thread that ended */
		p = fgets(line, sizeof(line), f);
		fclose(f);
		stopped =
		    p && (p = strrchr(line, ')')) && p[1] == ' ' && p[2] == 'T';
	}
	closedir(d);
	return stopped;
}

/* One connection while worker `busy` is stopped (SIGSTOP, and every
 * thread of it seen so), so that another takes it; its answer. */
static const char *
tls_connect_past(
    pid_t busy, const char *version, const char *use, const char *save)
{
	long long end = now_ms() + 5000;
	const char *a;

	assert_int_equal(kill(busy, SIGSTOP), 0);
	while (!all_stopped(busy) && now_ms() < end)
		usleep(1000);
	assert_true(all_stopped(busy));
	a = tls_connect(port_s, version, use, save);
	assert_int_equal(kill(busy, SIGCONT), 0);
	return a;
}

static void
a_session_made_with_one_worker_resumes_at_another(void **state)
{
	pid_t w[2];

	(void)state;
	write_conf(2, "", "", 0);
	start(1, 2);
	assert_int_equal(proc_children(srv.pid, w, 2), 2);
	for (size_t v = 0; v < 2; v++) {
		const char *a = tls_connect_past(w[0], versions[v], "-", "x");

		assert_int_equal(field(a, "reused"), 0);
		assert_int_equal(field(a, "ticket"), 1);
		/* tid answers with its thread: under select, the worker */
		if (strcmp(model, "select") == 0)
			assert_int_equal(field(a, "reply"), w[1]);
		a = tls_connect_past(w[1], versions[v], "x", "-");
		assert_int_equal(field(a, "reused"), 1);
		if (strcmp(model, "select") == 0)
			assert_int_equal(field(a, "reply"), w[0]);
	}
	assert_int_equal(metric_until("tls_resumed_total", 2), 2);
	assert_int_equal(server_stop(&srv), 0);
}

static void
a_session_resumes_across_a_reload(void **state)
{
	(void)state;
	write_conf(2, "", "", 0);
	start(1, 2);
	assert_int_equal(
	    field(tls_connect(port_s, "1.2", "-", "a"), "reused"), 0);
	assert_int_equal(
	    field(tls_connect(port_s, "1.3", "-", "b"), "reused"), 0);
	write_conf(2, "handshake_timeout = 9;", "", 0); /* a change */
	reload_to_new_workers(1);
	assert_int_equal(
	    field(tls_connect(port_s, "1.2", "a", "-"), "reused"), 1);
	assert_int_equal(
	    field(tls_connect(port_s, "1.3", "b", "-"), "reused"), 1);
	assert_int_equal(metric_until("tls_resumed_total", 2), 2);
	assert_int_equal(server_stop(&srv), 0);
}

/* Key rotations the worker took so far (it logs each at debug). */
static int
rotations_taken(void)
{
	return server_log_count(&srv, "session ticket keys of rotation ");
}

/* With a new key every 2 s (1 s would leave a loaded machine too little
 * time between seeing a rotation and resuming), a ticket resumes after
 * one rotation, and not once three rotations dropped its key (and its
 * lifetime, two periods, is over): then the handshake is a full one, and
 * served. */
static void
a_ticket_resumes_after_a_rotation_not_once_its_key_is_dropped(void **state)
{
	int made = -1;

	(void)state;
	write_conf(
	    1, "session_ticket_rotation = 2;", "log_level = \"debug\";", 0);
	start(1, 1);
	/* both tickets under the same key: no rotation taken meanwhile */
	for (int tries = 0; tries < 5 && made < 0; tries++) {
		int before = rotations_taken();

		tls_connect(port_s, "1.2", "-", "a");
		tls_connect(port_s, "1.3", "-", "b");
		if (rotations_taken() == before)
			made = before;
	}
	assert_true(made >= 0);
	wait_log_count("session ticket keys of rotation ", made + 1, 10000);
	assert_int_equal(
	    field(tls_connect(port_s, "1.2", "a", "-"), "reused"), 1);
	assert_int_equal(
	    field(tls_connect(port_s, "1.3", "b", "-"), "reused"), 1);
	wait_log_count("session ticket keys of rotation ", made + 3, 20000);
	assert_int_equal(
	    field(tls_connect(port_s, "1.2", "a", "-"), "reused"), 0);
	assert_int_equal(
	    field(tls_connect(port_s, "1.3", "b", "-"), "reused"), 0);
	assert_int_equal(metric_until("tls_resumed_total", 2), 2);
	assert_int_equal(server_stop(&srv), 0);
}

/* A worker started after a rotation has the master's newest keys from the
 * fork; one that was running has them only if the rotation reached it:
 * a ticket the new one issues must resume at the old one. */
static void
rotated_keys_reach_the_running_workers(void **state)
{
	pid_t w[2], now[3], fresh = 0;
	char taken[128];
	int n;

	(void)state;
	write_conf(
	    2, "session_ticket_rotation = 2;", "log_level = \"debug\";", 0);
	start(1, 2);
	assert_int_equal(proc_children(srv.pid, w, 2), 2);
	wait_log_count("session ticket keys of rotation 1 taken", 2, 10000);
	assert_int_equal(kill(w[0], SIGKILL), 0);
	wait_log_count(" serving tcp 127.0.0.1", 3, 10000);
	n = proc_children(srv.pid, now, 3);
	for (int i = 0; i < n && i < 3; i++)
		if (now[i] != w[1])
			fresh = now[i];
	assert_int_equal(n, 2);
	for (size_t v = 0; v < 2; v++) {
		/* just after both took a rotation: not while one is stopped */
		snprintf(taken, sizeof(taken),
		    "session ticket keys of rotation %d taken",
		    server_log_count(&srv, "keys: rotation ") + 1);
		wait_log_count(taken, 2, 10000);
		tls_connect_past(w[1], versions[v], "-", "x"); /* at fresh */
		assert_int_equal(
		    field(tls_connect_past(fresh, versions[v], "x", "-"),
		        "reused"),
		    1);
	}
	assert_int_equal(metric_until("tls_resumed_total", 2), 2);
	assert_int_equal(server_stop(&srv), 0);
}

static void
with_session_tickets_false_nothing_resumes(void **state)
{
	(void)state;
	write_conf(2, "session_tickets = false;", "", 0);
	start(1, 2);
	for (size_t v = 0; v < 2; v++) {
		const char *a = tls_connect(port_s, versions[v], "-", "x");

		assert_int_equal(field(a, "ticket"), 0);
		for (int i = 0; i < 3; i++)
			assert_int_equal(
			    field(tls_connect(port_s, versions[v], "x", "-"),
			        "reused"),
			    0);
	}
	assert_int_equal(metric_until("tls_handshakes_total", 8), 8);
	assert_int_equal(metric_until("tls_resumed_total", 0), 0);
	assert_int_equal(server_stop(&srv), 0);
}

static void
a_session_of_another_service_does_not_resume(void **state)
{
	(void)state;
	write_conf(1, "", "", 1);
	start(2, 1);
	for (size_t v = 0; v < 2; v++) {
		tls_connect(port_s, versions[v], "-", "x");
		assert_int_equal(
		    field(tls_connect(port_t, versions[v], "x", "-"), "reused"),
		    0);
		assert_int_equal(
		    field(tls_connect(port_s, versions[v], "x", "-"), "reused"),
		    1);
	}
	assert_int_equal(metric_until("tls_resumed_total", 2), 2);
	assert_int_equal(server_stop(&srv), 0);
}

/* Connections one after another while the certificate and key files are
 * replaced and the server reloads: none fails, and once the new workers
 * serve, every connection gets the new certificate. */
static void
a_reload_replacing_the_certificate_fails_no_connection(void **state)
{
	char serial_a[128], serial[128], cn[64];
	const char *a;
	long n, failures;

	(void)state;
	write_conf(2, "", "", 0);
	start(1, 2);
	a = tls_connect(port_s, "1.3", "-", "-");
	assert_string_equal(field_text(a, "cn", cn, sizeof(cn)), "a.example");
	field_text(a, "serial", serial_a, sizeof(serial_a));
	client_send("loop 127.0.0.1:%d 1.3 5000", port_s);
	/* under way before the files change */
	assert_true(metric_until("tls_handshakes_total", 20) >= 20);
	install_certificate("b");
	reload_to_new_workers(1);
	client_send("stop");
	a = client_answer(120000);
	n = field(a, "n");
	failures = field(a, "failures");
	if (failures != 0 || strstr(a, "a.example:") == NULL ||
	    strstr(a, "b.example:") == NULL)
		fail_msg("%s\nmodserv's log:\n%s", a, server_log(&srv, 0));
	assert_true(n > 20);
	for (size_t v = 0; v < 2; v++) {
		a = tls_connect(port_s, versions[v], "-", "-");
		assert_string_equal(
		    field_text(a, "cn", cn, sizeof(cn)), "b.example");
		assert_string_not_equal(
		    field_text(a, "serial", serial, sizeof(serial)), serial_a);
	}
	assert_int_equal(server_stop(&srv), 0);
}

/* ---- main ---- */

static void
certs_remove(void)
{
	tls_certs_teardown(NULL);
}

static void
certs_make(void)
{
	if (tls_certs_setup(NULL) < 0) {
		fprintf(stderr, "make_certs.sh failed\n");
		exit(1);
	}
	atexit(certs_remove);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

HARNESS_MAIN_FOR_MODEL("tls_resume", certs_make,
    TEST(a_session_made_with_one_worker_resumes_at_another),
    TEST(a_session_resumes_across_a_reload),
    TEST(a_ticket_resumes_after_a_rotation_not_once_its_key_is_dropped),
    TEST(rotated_keys_reach_the_running_workers),
    TEST(with_session_tickets_false_nothing_resumes),
    TEST(a_session_of_another_service_does_not_resume),
    TEST(a_reload_replacing_the_certificate_fails_no_connection))
