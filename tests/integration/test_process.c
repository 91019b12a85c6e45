/* test_process.c - the process as a user and an operator see it: the
 * command line, binding, signals, supervision, limits, and what CPython's
 * test_socketserver checks, for every model. */
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

static const char *const models[] = {"thread", "fork", "select"};
static char out[1 << 16];

/* A one-service configuration. */
static void
conf_one(const char *transport, const char *listen, const char *model,
    const char *module, const char *extra)
{
	assert_int_equal(
	    server_write_one(&srv, transport, listen, model, module, extra), 0);
}

static void
start_one(const char *transport, const char *listen, const char *model,
    const char *module, const char *extra)
{
	assert_int_equal(
	    server_start_one(&srv, transport, listen, model, module, extra), 0);
}

/* Sends msg on a fresh connection, says it has no more to send, and reads
 * the reply until the server closes. */
static int
ask(const char *msg, char *reply, size_t n)
{
	int fd = client_connect(srv.transport[0], srv.addr[0]);
	ssize_t got = 0, r;

	if (fd < 0)
		return -1;
	if (client_send_all(fd, msg, strlen(msg)) < 0 ||
	    shutdown(fd, SHUT_WR) < 0) {
		close(fd);
		return -1;
	}
	while ((size_t)got < n - 1 &&
	       (r = recv(fd, reply + got, n - 1 - (size_t)got, 0)) > 0)
		got += r;
	reply[got] = '\0';
	close(fd);
	return (int)got;
}

/* ---- the command line ---- */

static void
check_mode_prints_the_plan_and_exits_zero(void **state)
{
	(void)state;
	conf_one("tcp", "127.0.0.1:7999", "select", "opts",
	    "options = { count = 3; };");
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-t", "-c", srv.conf, NULL), 0);
	assert_non_null(strstr(out, "s: tcp 127.0.0.1:7999, model select, "
	                            "module opts"));
	assert_non_null(strstr(out, "option count = 3"));
	assert_non_null(strstr(out, "configuration ok, 1 service"));
}

static void
a_bad_config_is_one_line_with_file_and_line_and_exit_one(void **state)
{
	char want[400];

	(void)state;
	conf_one("tpc", "127.0.0.1:0", "thread", "echo", NULL);
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-c", srv.conf, NULL), 1);
	snprintf(want, sizeof(want),
	    "modserv: %s:3: services.[0].transport: \"tpc\" is not one of "
	    "tcp, udp, unix, unix-dgram\n",
	    srv.conf);
	assert_string_equal(out, want);
	/* a module refused at load: named with the config line */
	conf_one("tcp", "127.0.0.1:0", "thread", "bad_abi_major", NULL);
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-t", "-c", srv.conf, NULL), 1);
	assert_non_null(strstr(out, ":4: services.[0].module: "));
	assert_non_null(strstr(out, "abi_major is 2, this modserv speaks 1"));
}

static void
describe_a_module_with_its_options(void **state)
{
	(void)state;
	conf_one("tcp", "127.0.0.1:0", "thread", "echo", NULL);
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-c", srv.conf, "-M", "opts", NULL),
	    0);
	assert_non_null(strstr(out, "module   opts"));
	assert_non_null(strstr(out, "abi      1.4"));
	assert_non_null(strstr(out, "any-transport non-blocking"));
	assert_non_null(strstr(out, "count            integer         "
	                            "required"));
	assert_non_null(strstr(out, "greeting         string          "
	                            "default hi"));
	/* what an option accepts */
	assert_non_null(
	    strstr(out, "level            integer         "
	                "default 2  in 1..3  - an integer in 1..3"));
	assert_non_null(strstr(out, "least            integer         "
	                            "default 0  at least 0  - "));
	assert_non_null(strstr(out, "most             integer         "
	                            "default 0  at most 5  - "));
	assert_non_null(strstr(out, "mode             string          "
	                            "default fast  one of fast, slow  - "));
	/* a module built against an older minor, read in its layout */
	assert_int_equal(modserv_run(out, sizeof(out), "-M",
	                     TEST_MODULES "/old_abi.so", NULL),
	    0);
	assert_non_null(strstr(out, "abi      1.2"));
	assert_non_null(strstr(out, "count            integer         "
	                            "default 7  - an integer\n"));
	assert_non_null(strstr(out, "dir              path            "
	                            "required  - a path\n"));
	assert_int_equal(modserv_run(out, sizeof(out), "-M",
	                     TEST_MODULES "/bad_nosym.so", NULL),
	    1);
	assert_non_null(strstr(out, "no modserv_module symbol"));
}

/* "old_abi.so" in the current folder is that file, not old_abi.so.so on
 * module_path */
static void
a_module_named_with_so_is_that_file(void **state)
{
	char here[4096];

	(void)state;
	assert_non_null(getcwd(here, sizeof(here)));
	assert_int_equal(chdir(TEST_MODULES), 0);
	int rc = modserv_run(out, sizeof(out), "-M", "old_abi.so", NULL);

	assert_int_equal(chdir(here), 0);
	if (rc != 0)
		fail_msg("-M old_abi.so: %s", out);
	assert_non_null(strstr(out, "abi      1.2"));
}

static void
version_help_and_bad_flags(void **state)
{
	(void)state;
	assert_int_equal(modserv_run(out, sizeof(out), "-V", NULL), 0);
	assert_non_null(strstr(out, "modserv 0."));
	assert_int_equal(modserv_run(out, sizeof(out), "-h", NULL), 0);
	assert_non_null(strstr(out, "usage: modserv"));
	assert_int_equal(modserv_run(out, sizeof(out), "-x", NULL), 1);
	assert_int_equal(modserv_run(out, sizeof(out), "-l", "loud", NULL), 1);
	assert_non_null(strstr(out, "-l loud: not one of"));
}

/* The ms_* functions modserv.h declares, one per line in out, which
 * starts with a line ending too: "\nname\n" finds a whole name. */
static int
header_api(char *names, size_t size)
{
	FILE *h = fopen(MODSERV_HEADER, "r");
	char line[256];
	size_t len = (size_t)snprintf(names, size, "\n");
	int n = 0;

	assert_non_null(h);
	while (fgets(line, sizeof(line), h)) {
		char *e = strchr(line, '('), *p = e;

		if (strncmp(line, "MS_API", 6) || e == NULL)
			continue;
		while (p > line &&
		       (p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z')))
			p--;
		if (strncmp(p, "ms_", 3) != 0)
			continue;
		len += (size_t)snprintf(
		    names + len, size - len, "%.*s\n", (int)(e - p), p);
		n++;
	}
	fclose(h);
	return n;
}

static void
only_the_ms_api_is_exported(void **state)
{
	FILE *p = popen("nm -D --defined-only " MODSERV_BIN, "r");
	char line[256], name[200], api[4096], want[210];
	int declared = header_api(api, sizeof(api)), exported = 0;

	(void)state;
	assert_true(declared >= 20);
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		if (sscanf(line, "%*s %*s %199s", name) != 1 ||
		    strchr(name, '@') || /* libc data copied into the binary */
		    strncmp(name, "__asan", 6) == 0 || /* a sanitizer build's */
		    strncmp(name, "__ubsan", 7) == 0 ||
		    strncmp(name, "__lsan", 6) == 0 ||
		    strncmp(name, "__sanitizer", 11) == 0)
			continue;
		snprintf(want, sizeof(want), "\n%s\n", name); /* not _end */
		if (strstr(api, want)) {
			exported++;
			continue;
		}
		/* what the linker itself defines in every executable */
		if (strcmp(name, "_IO_stdin_used") && strcmp(name, "_start") &&
		    strcmp(name, "__bss_start") && strcmp(name, "_edata") &&
		    strcmp(name, "_end") && strcmp(name, "__data_start") &&
		    strcmp(name, "data_start") && strcmp(name, "_init") &&
		    strcmp(name, "_fini"))
			fail_msg("modserv exports %s", name);
	}
	pclose(p);
	assert_int_equal(exported, declared); /* and all of modserv.h */
}

/* ---- binding ---- */

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

/* ---- signals and supervision ---- */

static void
sigterm_right_after_start_exits_promptly(void **state)
{
	(void)state;
	for (size_t m = 0; m < 3; m++) {
		long long t0;

		start_one("tcp", "127.0.0.1:0", models[m], "echo", NULL);
		t0 = now_ms();
		assert_int_equal(server_stop(&srv), 0);
		assert_true(now_ms() - t0 < 1500);
		server_cleanup(&srv);
		server_prepare(&srv);
	}
}

/* An open connection is in flight: the stop waits for it, it is still
 * served meanwhile, and the server exits 0 as soon as it ends. */
static void
sigterm_lets_requests_in_flight_finish(void **state)
{
	(void)state;
	for (size_t m = 0; m < 3; m++) {
		char reply[16];
		int fd, status;
		long long t0;

		start_one("tcp", "127.0.0.1:0", models[m], "upper", NULL);
		fd = client_connect("tcp", srv.addr[0]);
		assert_int_equal(client_exchange(fd, "a", 1, reply), 0);
		kill(srv.pid, SIGTERM);
		assert_true(server_wait_log(&srv, "stop accepting", 3000));
		assert_int_equal(client_exchange(fd, "still", 5, reply), 0);
		assert_memory_equal(reply, "STILL", 5);
		assert_int_equal(waitpid(srv.pid, &status, WNOHANG), 0);
		t0 = now_ms();
		close(fd);
		assert_int_equal(waitpid(srv.pid, &status, 0), srv.pid);
		assert_true(now_ms() - t0 < 2000);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		srv.pid = -1;
		server_cleanup(&srv);
		server_prepare(&srv);
	}
}

static void
shutdown_timeout_bounds_the_drain(void **state)
{
	(void)state;
	for (size_t m = 0; m < 3; m++) {
		int fd;
		long long t0;

		assert_int_equal(
		    server_write_conf(&srv,
		        "module_path = \"@MODULES@\";\n"
		        "shutdown_timeout = 0.5;\nservices = ( { "
		        "name = \"s\"; transport = \"tcp\"; listen "
		        "= \"127.0.0.1:0\"; model = \"%s\"; "
		        "module = \"echo\"; } );\n",
		        models[m]),
		    0);
		assert_int_equal(server_start(&srv, 1, NULL), 0);
		fd = client_connect("tcp", srv.addr[0]);
		assert_int_equal(client_exchange(fd, "x", 1, out), 0);
		t0 = now_ms();
		assert_int_equal(server_stop(&srv), 0); /* fd stays open */
		assert_true(now_ms() - t0 >= 400);
		assert_true(now_ms() - t0 < 3000);
		assert_non_null(strstr(srv.log, "shutdown_timeout"));
		close(fd);
		server_cleanup(&srv);
		server_prepare(&srv);
	}
}

static void
a_killed_worker_is_restarted_and_serves(void **state)
{
	char reply[64];
	pid_t w;

	(void)state;
	start_one("tcp", "127.0.0.1:0", "select", "upper", NULL);
	w = server_worker(&srv);
	kill(w, SIGKILL);
	assert_true(server_wait_log(&srv, "killed by signal 9", 3000));
	assert_true(server_worker(&srv) != w);
	assert_int_equal(ask("again\n", reply, sizeof(reply)), 6);
	assert_string_equal(reply, "AGAIN\n");
	assert_int_equal(server_stop(&srv), 0);
}

/* A terminal's hangup reaches the whole process group: the master reloads,
 * a worker of any model serves on as it was. */
/* as README says: at once only after 10 s of serving, else after 100 ms,
 * doubling */
static void
a_worker_that_dies_young_is_restarted_after_100_ms(void **state)
{
	(void)state;
	start_one("tcp", "127.0.0.1:0", "thread", "upper", NULL);
	kill(server_worker(&srv), SIGKILL);
	assert_true(server_wait_log(&srv, "killed by signal 9", 3000));
	if (!server_wait_log(&srv, "restarting the worker in 100 ms", 3000))
		fail_msg("no 100 ms wait before the first restart: %s",
		    server_log(&srv, 0));
	kill(server_worker(&srv), SIGKILL);
	assert_true(
	    server_wait_log(&srv, "restarting the worker in 200 ms", 3000));
	assert_int_equal(server_stop(&srv), 0);
}

static void
a_hangup_sent_to_a_worker_changes_nothing(void **state)
{
	char reply[64];

	(void)state;
	for (size_t m = 0; m < 3; m++) {
		pid_t w;

		start_one("tcp", "127.0.0.1:0", models[m], "upper", NULL);
		w = server_worker(&srv);
		assert_int_equal(kill(w, SIGHUP), 0);
		assert_int_equal(ask("still\n", reply, sizeof(reply)), 6);
		assert_string_equal(reply, "STILL\n");
		assert_int_equal(server_worker(&srv), w);
		assert_false(server_wait_log(&srv, "signal", 200));
		assert_int_equal(server_stop(&srv), 0);
		server_cleanup(&srv);
		server_prepare(&srv);
	}
}

/* SIGSEGV and abort() in handle: under fork only that request's process
 * dies; under thread and select the worker is restarted within a second. */
static void
a_crash_in_handle_costs_one_worker_not_the_service(void **state)
{
	static const struct {
		const char *request;
		int sig;
	} crashes[] = {{"crash\n", 11}, {"abort\n", 6}};

	(void)state;
	for (size_t m = 0; m < 3; m++) {
		for (size_t k = 0; k < 2; k++) {
			char reply[64], want[64];
			long long t0;

			start_one(
			    "tcp", "127.0.0.1:0", models[m], "crash", NULL);
			assert_int_equal(
			    ask(crashes[k].request, reply, sizeof(reply)), 0);
			t0 = now_ms();
			snprintf(want, sizeof(want), "%s killed by signal %d",
			    strcmp(models[m], "fork") == 0 ? ""
			                                   : "(module crash)",
			    crashes[k].sig);
			assert_true(server_wait_log(&srv, want, 3000));
			/* served again within a second */
			while (ask("fine\n", reply, sizeof(reply)) != 5 &&
			       now_ms() - t0 < 1000)
				usleep(10000);
			assert_string_equal(reply, "fine\n");
			assert_int_equal(server_stop(&srv), 0);
			server_cleanup(&srv);
			server_prepare(&srv);
		}
	}
}

static void
a_failing_init_is_logged_and_retried_with_backoff(void **state)
{
	(void)state;
	start_one("tcp", "127.0.0.1:0", "thread", "bad_init", NULL);
	assert_true(server_wait_log(&srv,
	    "init failed: the database at db.example is unreachable", 3000));
	assert_true(
	    server_wait_log(&srv, "restarting the worker in 100 ms", 3000));
	assert_true(
	    server_wait_log(&srv, "restarting the worker in 200 ms", 3000));
	assert_int_equal(server_stop(&srv), 0);
}

static void
a_crash_in_init_does_not_take_the_master_down(void **state)
{
	(void)state;
	start_one("unix", "@DIR@/s.sock", "select", "crash",
	    "options = { where = \"init\"; };");
	assert_true(server_wait_log(&srv, "killed by signal 11", 3000));
	assert_true(
	    server_wait_log(&srv, "restarting the worker in 200 ms", 3000));
	assert_int_equal(kill(srv.pid, 0), 0);
	assert_int_equal(server_stop(&srv), 0);
}

static void
a_module_stuck_in_handle_under_select_is_restarted(void **state)
{
	char reply[8], want[64];
	int stuck, fd;
	long long t0;
	struct sockaddr_in me;
	socklen_t len = sizeof(me);

	(void)state;
	start_one(
	    "tcp", "127.0.0.1:0", "select", "hang", "handle_timeout = 0.5;");
	stuck = client_connect("tcp", srv.addr[0]);
	getsockname(stuck, (struct sockaddr *)&me, &len);
	t0 = now_ms();
	assert_int_equal(send(stuck, "hang", 4, 0), 4);
	snprintf(
	    want, sizeof(want), "serving 127.0.0.1:%d", ntohs(me.sin_port));
	assert_true(server_wait_log(&srv, want, 3000));
	assert_non_null(strstr(srv.log, "module hang stuck in handle"));
	assert_true(now_ms() - t0 >= 450);
	/* the restarted worker serves the next client */
	do {
		fd = client_connect("tcp", srv.addr[0]);
		if (client_exchange(fd, "ok", 2, reply) == 0)
			break;
		close(fd);
		fd = -1;
		usleep(50000);
	} while (now_ms() - t0 < 3000);
	assert_true(fd >= 0);
	assert_memory_equal(reply, "ok", 2);
	close(fd);
	close(stuck);
	assert_int_equal(server_stop(&srv), 0);
}

/* ---- limits and children ---- */

static void
past_max_clients_new_clients_wait_in_the_backlog(void **state)
{
	(void)state;
	for (size_t m = 0; m < 3; m++) {
		int a, b, c;
		char r[8];
		struct pollfd pfd;

		start_one("tcp", "127.0.0.1:0", models[m], "echo",
		    "max_clients = 2;");
		a = client_connect("tcp", srv.addr[0]);
		b = client_connect("tcp", srv.addr[0]);
		assert_int_equal(client_exchange(a, "a", 1, r), 0);
		assert_int_equal(client_exchange(b, "b", 1, r), 0);
		c = client_connect("tcp", srv.addr[0]); /* in the backlog */
		assert_true(c >= 0);
		assert_int_equal(send(c, "c", 1, 0), 1);
		pfd = (struct pollfd){.fd = c, .events = POLLIN};
		assert_int_equal(poll(&pfd, 1, 300), 0); /* not served yet */
		close(a);
		assert_int_equal(client_recv_all(c, r, 1), 0); /* now it is */
		assert_int_equal(r[0], 'c');
		close(b);
		close(c);
		assert_int_equal(server_stop(&srv), 0);
		server_cleanup(&srv);
		server_prepare(&srv);
	}
}

static void
fork_leaves_no_zombies(void **state)
{
	char reply[16];
	pid_t w;

	(void)state;
	start_one("tcp", "127.0.0.1:0", "fork", "upper", NULL);
	w = server_worker(&srv);
	for (int i = 0; i < 200; i++)
		assert_int_equal(ask("z\n", reply, sizeof(reply)), 2);
	/* the last request processes may still be on their way out */
	for (int i = 0; i < 500 && proc_children(w, NULL, 0) > 0; i++)
		usleep(10000);
	assert_int_equal(proc_children(w, NULL, 0), 0);
	assert_int_equal(proc_zombies(w), 0);
	assert_int_equal(server_stop(&srv), 0);
	assert_int_equal(proc_zombies(getpid()), 0);
}

static void
a_module_that_forks_a_helper_reaps_it_itself(void **state)
{
	(void)state;
	for (size_t m = 0; m < 3; m++) {
		char reply[64];

		start_one("tcp", "127.0.0.1:0", models[m], "helper", NULL);
		for (int i = 0; i < 5; i++) {
			assert_true(ask("go\n", reply, sizeof(reply)) > 0);
			assert_string_equal(reply, "helper exited 42\n");
		}
		/* the helper its init started waits unreaped all along */
		assert_int_equal(server_stop(&srv), 0);
		assert_non_null(
		    strstr(server_log(&srv, 0), "init helper exited 7"));
		assert_int_equal(proc_zombies(getpid()), 0);
		server_cleanup(&srv);
		server_prepare(&srv);
	}
}

/* Reads one notification from the manager's socket: "" after ms. */
static void
manager_read(int fd, char *msg, size_t n, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t got = 0;

	if (poll(&pfd, 1, ms) == 1 && (got = recv(fd, msg, n - 1, 0)) < 0)
		got = 0;
	msg[got] = '\0';
}

/* The test plays systemd: NOTIFY_SOCKET names its datagram socket. */
static void
a_service_manager_hears_ready_and_stopping(void **state)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char msg[1024], reply[16];
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	(void)state;
	assert_true(strlen(srv.dir) + 8 <= sizeof(sun.sun_path));
	memcpy(sun.sun_path, srv.dir, strlen(srv.dir));
	strcat(sun.sun_path, "/notify");
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	setenv("NOTIFY_SOCKET", sun.sun_path, 1);
	start_one("tcp", "127.0.0.1:0", "fork", "helper", NULL);
	unsetenv("NOTIFY_SOCKET");
	manager_read(fd, msg, sizeof(msg), 3000);
	assert_non_null(strstr(msg, "READY=1\n"));
	assert_non_null(strstr(
	    msg, "STATUS=serving 1 service: 0 requests served, 0 active\n"));
	snprintf(reply, sizeof(reply), "MAINPID=%d", (int)srv.pid);
	assert_non_null(strstr(msg, reply));
	/* requests (and the programs they start) say nothing to it */
	assert_true(ask("go\n", reply, sizeof(reply)) > 0);
	/* a reload is announced, then ready again once the new worker is */
	conf_one("tcp", srv.addr[0], "select", "helper", NULL);
	assert_int_equal(kill(srv.pid, SIGHUP), 0);
	manager_read(fd, msg, sizeof(msg), 3000);
	assert_non_null(strstr(msg, "RELOADING=1\n"));
	assert_non_null(strstr(msg, "MONOTONIC_USEC="));
	manager_read(fd, msg, sizeof(msg), 3000);
	assert_non_null(strstr(msg, "READY=1\n"));
	/* with the live counters: the request above */
	assert_non_null(
	    strstr(msg, "STATUS=serving 1 service: 1 request served"));
	if (!server_wait_log(&srv, "with model select", 1000))
		fail_msg("%s", server_log(&srv, 0));
	assert_int_equal(server_stop(&srv), 0);
	manager_read(fd, msg, sizeof(msg), 3000);
	assert_non_null(strstr(msg, "STOPPING=1\n"));
	manager_read(fd, msg, sizeof(msg), 200);
	assert_string_equal(msg, "");
	close(fd);
}

static void
ten_thousand_short_connections_leave_threads_and_memory_flat(void **state)
{
	char reply[16];
	long rss_early, rss_late;
	pid_t w;

	(void)state;
	start_one(
	    "tcp", "127.0.0.1:0", "thread", "upper", "spare_threads = 0;");
	w = server_worker(&srv);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(ask("t\n", reply, sizeof(reply)), 2);
	rss_early = proc_rss_kb(w);
	for (int i = 0; i < 9000; i++)
		assert_int_equal(ask("t\n", reply, sizeof(reply)), 2);
	usleep(100000);
	rss_late = proc_rss_kb(w);
	assert_int_equal(proc_threads(w), 1);
#ifdef __SANITIZE_ADDRESS__ /* ASan keeps freed memory in quarantine */
	print_message("RSS %ld -> %ld KiB (not checked under ASan)\n",
	    rss_early, rss_late);
#else
	if (rss_late > rss_early + 1024)
		fail_msg("RSS grew from %ld to %ld KiB", rss_early, rss_late);
#endif
	assert_int_equal(server_stop(&srv), 0);
}

/* Waits up to 3 s for the worker to have n threads; how many it has. */
static int
settle_threads(pid_t w, int n)
{
	long long end = now_ms() + 3000;

	while (proc_threads(w) != n && now_ms() < end)
		usleep(10000);
	return proc_threads(w);
}

/* How many threads served n requests, by the ids the tid module answers
 * with. */
static int
threads_serving(int n)
{
	int ids[256], distinct = 0;
	char reply[32];

	assert_true(n <= 256);
	for (int i = 0; i < n; i++) {
		assert_true(ask("t\n", reply, sizeof(reply)) > 1);
		int tid = atoi(reply), seen = 0;

		for (int j = 0; j < distinct && !seen; j++)
			seen = ids[j] == tid;
		if (!seen)
			ids[distinct++] = tid;
	}
	return distinct;
}

/* Under thread a thread whose request ended waits for the next one, up to
 * spare_threads of them; the others exit, and at stop the spares do at
 * once.  With spare_threads = 0 every request has a thread of its own. */
static void
spare_threads_serve_the_next_requests_up_to_the_limit(void **state)
{
	char reply[16];
	int fds[5], served;
	long long t0;
	pid_t w;

	(void)state;
	for (int spare = 0; spare <= 2; spare += 2) {
		char keys[64];

		snprintf(keys, sizeof(keys), "spare_threads = %d;", spare);
		start_one("tcp", "127.0.0.1:0", "thread", "tid", keys);
		w = server_worker(&srv);
		for (int i = 0; i < 5; i++) {
			assert_true(
			    (fds[i] = client_connect("tcp", srv.addr[0])) >= 0);
			assert_int_equal(
			    client_exchange(fds[i], "x", 1, reply), 0);
			assert_true(isdigit((unsigned char)reply[0]));
		}
		assert_int_equal(proc_threads(w), 1 + 5);
		for (int i = 0; i < 5; i++)
			close(fds[i]);
		assert_int_equal(settle_threads(w, 1 + spare), 1 + spare);
		served = threads_serving(200);
		assert_int_equal(settle_threads(w, 1 + spare), 1 + spare);
		/* a new thread now and then, when a request comes in while the
		 * last one's thread is not yet back among the spares */
		if (spare > 0 ? served > 20 : served < 150)
			fail_msg(
			    "with spare_threads = %d, %d threads served 200 "
			    "requests one after the other",
			    spare, served);
		t0 = now_ms();
		assert_int_equal(server_stop(&srv), 0);
		if (now_ms() - t0 > 3000)
			fail_msg("stopping with %d spare threads took %lld ms",
			    spare, now_ms() - t0);
		server_cleanup(&srv);
		assert_int_equal(server_prepare(&srv), 0);
	}
}

static void
options_and_context_reach_the_module(void **state)
{
	char reply[512];

	(void)state;
	start_one("unix", "@DIR@/o.sock", "fork", "opts",
	    "options = { count = 7; names = [ \"x\", \"y\" ]; };");
	assert_true(ask("go\n", reply, sizeof(reply)) > 0);
	assert_string_equal(reply, "setup peer\n"
	                           "greeting=hi count=7 loud=0 names=2 x y\n"
	                           "service=s transport=unix model=fork\n"
	                           "service data, request data\n"
	                           "undeclared=null\n");
	assert_int_equal(server_stop(&srv), 0);
}

/* Under select, a module that blocks runs on the pool: a slow request does
 * not hold up another client of the same service. */
static void
a_blocking_module_under_select_does_not_stall_the_loop(void **state)
{
	(void)state;
	for (int dgram = 0; dgram < 2; dgram++) {
		const char *t = dgram ? "udp" : "tcp";
		char r[16];
		int slow, fast;
		long long t0;

		start_one(t, "127.0.0.1:0", "select", "slow",
		    "blocking_threads = 2;");
		slow = client_connect(t, srv.addr[0]);
		fast = client_connect(t, srv.addr[0]);
		assert_int_equal(send(slow, "slow", 4, 0), 4);
		usleep(50000); /* the slow one is sleeping on the pool now */
		t0 = now_ms();
		assert_int_equal(send(fast, "fast", 4, 0), 4);
		assert_int_equal(recv(fast, r, sizeof(r), 0), 4);
		assert_memory_equal(r, "fast", 4);
		/* the slow one takes 1 s: half of it is room for a loaded
		 * machine, not a wait behind it */
		if (now_ms() - t0 > 500)
			fail_msg(
			    "the fast client waited %lld ms", now_ms() - t0);
		assert_int_equal(recv(slow, r, sizeof(r), 0), 4);
		assert_true(now_ms() - t0 >= 800);
		close(slow);
		close(fast);
		assert_int_equal(server_stop(&srv), 0);
		server_cleanup(&srv);
		server_prepare(&srv);
	}
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, srv_setup, srv_teardown)
	const struct CMUnitTest tests[] = {
	    T(check_mode_prints_the_plan_and_exits_zero),
	    T(a_bad_config_is_one_line_with_file_and_line_and_exit_one),
	    T(describe_a_module_with_its_options),
	    T(a_module_named_with_so_is_that_file),
	    T(version_help_and_bad_flags),
	    T(only_the_ms_api_is_exported),
	    T(port_zero_is_resolved_in_the_log),
	    T(ipv6_loopback_serves),
	    T(an_address_in_use_exits_one_and_leaves_nothing),
	    T(a_stale_unix_socket_file_is_replaced),
	    T(a_live_unix_socket_is_never_stolen),
	    T(a_file_in_the_way_is_not_removed),
	    T(several_services_run_side_by_side),
	    T(sigterm_right_after_start_exits_promptly),
	    T(sigterm_lets_requests_in_flight_finish),
	    T(shutdown_timeout_bounds_the_drain),
	    T(a_killed_worker_is_restarted_and_serves),
	    T(a_worker_that_dies_young_is_restarted_after_100_ms),
	    T(a_hangup_sent_to_a_worker_changes_nothing),
	    T(a_crash_in_handle_costs_one_worker_not_the_service),
	    T(a_failing_init_is_logged_and_retried_with_backoff),
	    T(a_crash_in_init_does_not_take_the_master_down),
	    T(a_module_stuck_in_handle_under_select_is_restarted),
	    T(past_max_clients_new_clients_wait_in_the_backlog),
	    T(fork_leaves_no_zombies),
	    T(a_module_that_forks_a_helper_reaps_it_itself),
	    T(a_service_manager_hears_ready_and_stopping),
	    T(ten_thousand_short_connections_leave_threads_and_memory_flat),
	    T(spare_threads_serve_the_next_requests_up_to_the_limit),
	    T(options_and_context_reach_the_module),
	    T(a_blocking_module_under_select_does_not_stall_the_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
