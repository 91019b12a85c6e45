/* test_contain.c - what a program run by cmd or exec starts ends with it,
 * and cmd's limits, under one model:  test_contain MODEL.  Programs that
 * detach (setsid, a subshell's background job) carry a marker argument;
 * the test looks for it in every process's command line. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static const char *model;
static char scripts[64]; /* a folder the service's user may enter */
static char mark[32];    /* sleep's argument: 3000.<our pid><n> */

/* The pids whose command line holds mark (at most max); their number. */
static int
marked(pid_t *pids, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char path[300], buf[4096];
		size_t len;
		FILE *f;

		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		if (memmem(buf, len, mark, strlen(mark)) == NULL)
			continue;
		if (n < max)
			pids[n] = (pid_t)atoi(e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

/* 1 once no process carries mark (waits up to ms), else 0. */
static int
none_left_within(int ms)
{
	long long end = now_ms() + ms;
	pid_t pid;

	while (marked(&pid, 1) > 0)
		if (now_ms() > end)
			return 0;
		else
			usleep(20000);
	return 1;
}

/* Waits (20 s at most: a loaded machine) until at least n processes
 * carry mark. */
static void
wait_for_marked(int n)
{
	long long end = now_ms() + 20000;
	pid_t pids[8];

	while (marked(pids, 8) < n)
		if (now_ms() > end)
			fail_msg("no %d processes with %s", n, mark);
		else
			usleep(20000);
}

/* Kills what a failed test left, by pid. */
static void
kill_marked(void)
{
	pid_t pids[64];
	int n = marked(pids, 64);

	for (int i = 0; i < n && i < 64; i++)
		kill(pids[i], SIGKILL);
}

/* A shell script NAME in the scripts folder; its path in path. */
static void
script(char *path, size_t len, const char *name, const char *body)
{
	FILE *f;

	snprintf(path, len, "%s/%s", scripts, name);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

static int
setup(void **state)
{
	static int n;

	snprintf(mark, sizeof(mark), "3000.%d%d", (int)getpid(), ++n);
	snprintf(scripts, sizeof(scripts), "/tmp/modserv-contain-XXXXXX");
	if (mkdtemp(scripts) == NULL || chmod(scripts, 0755) < 0)
		return -1;
	return srv_setup(state);
}

static int
teardown(void **state)
{
	char cmd[128];

	kill_marked();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scripts);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", scripts);
	return srv_teardown(state);
}

/* One service s of module with keys, shutdown_timeout 1 s. */
static void
serve(const char *module, const char *keys)
{
	assert_int_equal(
	    server_write_conf(&srv,
	        "module_path = [ \"@MODULES@\" ];\n"
	        "shutdown_timeout = 1;\n"
	        "services = ( { name = \"s\"; transport = \"tcp\";\n"
	        "  listen = \"127.0.0.1:0\"; model = \"%s\";\n"
	        "  module = \"%s\"; %s } );\n",
	        model, module, keys),
	    0);
	if (server_start(&srv, 1, NULL) < 0)
		fail_msg("modserv did not start: %s", server_log(&srv, 0));
}

static int
dial(void)
{
	int fd = client_connect("tcp", srv.addr[0]);

	assert_true(fd >= 0);
	return fd;
}

/* Sends a command line, reads one framed reply: its body. */
static size_t
command(int fd, const char *line, char *body, size_t max)
{
	char header[256];
	int32_t hlen;
	size_t blen;

	assert_int_equal(client_send_all(fd, line, strlen(line)), 0);
	assert_int_equal(client_recv_all(fd, &hlen, 4), 0);
	assert_true(hlen > 0 && hlen < (int32_t)sizeof(header));
	assert_int_equal(client_recv_all(fd, header, (size_t)hlen), 0);
	header[hlen] = '\0';
	assert_int_equal(sscanf(header, "{\"dataBodyLength\": %zu}", &blen), 1);
	assert_true(blen < max);
	assert_int_equal(client_recv_all(fd, body, blen), 0);
	body[blen] = '\0';
	return blen;
}

/* A script that leaves a process in a session of its own and one in a
 * subshell's background, then runs main (a shell command, may be empty). */
static void
detaching_script(char *path, size_t len, const char *main)
{
	char body[1024];

	snprintf(body, sizeof(body),
	    "setsid sleep %s </dev/null >/dev/null 2>&1 &\n"
	    "( sleep %s </dev/null >/dev/null 2>&1 & )\n"
	    "echo started\n%s\n",
	    mark, mark, main);
	script(path, len, "detach", body);
}

/* ---- cmd ---- */

/* Replaces the first old in text (of size max) with new. */
static void
replace(char *text, size_t max, const char *old, const char *new)
{
	char *p = strstr(text, old), rest[8192];

	if (p == NULL)
		fail_msg("no %s in the shipped example", old);
	snprintf(rest, sizeof(rest), "%s", p + strlen(old));
	snprintf(p, max - (size_t)(p - text), "%s%s", new, rest);
}

/* The example as shipped, on a free port under this model, as the
 * harness's user. */
static void
serve_the_shipped_example(void)
{
	char text[8192], want[64];
	size_t n;
	FILE *f = fopen(MODSERV_SOURCE_DIR "/conf/examples/cmd.conf", "r");

	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	replace(text, sizeof(text), "\"../../build/modules\"", "\"@MODULES@\"");
	replace(text, sizeof(text), "127.0.0.1:8888", "127.0.0.1:0");
	snprintf(want, sizeof(want), "model = \"%s\";", model);
	replace(text, sizeof(text), "model = \"select\";", want);
	snprintf(want, sizeof(want), "user = \"%s\";", harness_user());
	replace(text, sizeof(text), "user = \"nobody\";", want);
	assert_int_equal(server_write_conf(&srv, "%s", text), 0);
	if (server_start(&srv, 1, NULL) < 0)
		fail_msg("modserv did not start: %s", server_log(&srv, 0));
}

static void
the_shipped_example_runs_only_the_command_lines_it_pins(void **state)
{
	char body[65536];
	int fd;

	(void)state;
	serve_the_shipped_example();
	fd = dial();
	command(fd, "date -f /etc/passwd", body, sizeof(body));
	assert_string_equal(body, "error: date: not allowed\n");
	command(fd, "date -f /dev/zero", body, sizeof(body));
	assert_string_equal(body, "error: date: not allowed\n");
	command(fd, "ls /etc", body, sizeof(body));
	assert_string_equal(body, "error: ls: not allowed\n");
	command(fd, "uname -a /etc/passwd", body, sizeof(body));
	assert_string_equal(body, "error: uname: not allowed\n");
	/* what seed 000's client asks still runs */
	command(fd, "uname -s", body, sizeof(body));
	assert_string_equal(body, "Linux\n");
	command(fd, "date", body, sizeof(body));
	assert_null(strstr(body, "error"));
	command(fd, "echo hello 粘包", body, sizeof(body));
	assert_string_equal(body, "hello 粘包\n");
	command(fd, "ls -l", body, sizeof(body));
	assert_null(strstr(body, "not allowed"));
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

static void
cmd_past_its_address_space_fails_and_the_service_serves_on(void **state)
{
	char body[65536];
	int fd;

	(void)state;
	/* rlimit_as as shipped: 256 MiB; the command asks for 512 */
	serve("cmd", "options = { allow = [ \"python3 -c bytearray(512<<20)\", "
	             "\"echo\" ]; };");
	fd = dial();
	command(fd, "python3 -c bytearray(512<<20)", body, sizeof(body));
	if (strstr(body, "MemoryError") == NULL)
		fail_msg("512 MiB were allocated: \"%s\"", body);
	command(fd, "echo served", body, sizeof(body));
	assert_string_equal(body, "served\n");
	close(fd);
	fd = dial();
	command(fd, "echo again", body, sizeof(body));
	assert_string_equal(body, "again\n");
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

static void
cmd_refuses_too_many_words_with_a_message(void **state)
{
	char line[1024], body[4096];
	size_t n;
	int fd;

	(void)state;
	serve("cmd", "options = { allow = [ \"echo\" ]; };");
	fd = dial();
	n = (size_t)snprintf(line, sizeof(line), "echo");
	for (int i = 1; i < 64; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " w%d", i);
	command(fd, line, body, sizeof(body)); /* 64 words: all of them */
	assert_non_null(strstr(body, "w1 w2 "));
	assert_non_null(strstr(body, " w63\n"));
	snprintf(line + n, sizeof(line) - n, " w64");
	command(fd, line, body, sizeof(body));
	assert_string_equal(body, "error: echo: more than 64 words: not run\n");
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

static void
cmd_leaves_nothing_running_past_its_timeout(void **state)
{
	char path[128], keys[512], body[4096];
	int fd;

	(void)state;
	detaching_script(path, sizeof(path), "exec sleep 3001");
	snprintf(keys, sizeof(keys),
	    "options = { allow = [ \"%s\" ]; timeout = 1; };", path);
	serve("cmd", keys);
	fd = dial();
	command(fd, path, body, sizeof(body));
	assert_non_null(strstr(body, "ran longer than 1 s: killed"));
	assert_true(none_left_within(20000));
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

static void
cmd_leaves_nothing_running_once_the_command_ended(void **state)
{
	char path[128], keys[512], body[4096];
	int fd;

	(void)state;
	detaching_script(path, sizeof(path), "");
	snprintf(keys, sizeof(keys),
	    "options = { allow = [ \"%s\" ]; timeout = 60; };", path);
	serve("cmd", keys);
	fd = dial();
	/* answered when the script ends, not when what it left ends */
	command(fd, path, body, sizeof(body));
	assert_string_equal(body, "started\n");
	assert_true(none_left_within(20000));
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

static void
cmd_leaves_nothing_running_after_a_stop(void **state)
{
	char path[128], keys[512];
	int fd;

	(void)state;
	detaching_script(path, sizeof(path), "exec sleep 3002");
	snprintf(keys, sizeof(keys),
	    "options = { allow = [ \"%s\" ]; timeout = 60; };", path);
	serve("cmd", keys);
	fd = dial();
	assert_int_equal(client_send_all(fd, path, strlen(path)), 0);
	wait_for_marked(2);
	/* the command outlives shutdown_timeout: its worker is cut off */
	assert_int_equal(server_stop(&srv), 0);
	assert_true(none_left_within(20000));
	close(fd);
}

static void
cmd_ends_a_command_that_closed_its_output_at_its_timeout(void **state)
{
	char path[128], keys[512], body[4096], text[256];
	long long start;
	int fd;

	(void)state;
	snprintf(text, sizeof(text),
	    "echo closing\nexec >&- 2>&-\nexec sleep %s\n", mark);
	script(path, sizeof(path), "closer", text);
	snprintf(keys, sizeof(keys),
	    "options = { allow = [ \"%s\" ]; timeout = 1; };", path);
	serve("cmd", keys);
	fd = dial();
	start = now_ms();
	/* its output ended at once; it ran on, past the timeout */
	command(fd, path, body, sizeof(body));
	assert_non_null(strstr(body, "ran longer than 1 s: killed"));
	assert_true(now_ms() - start < 15000); /* not sleep's 3000 s */
	assert_true(none_left_within(20000));
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

static void
cmd_ends_a_command_that_stopped_its_keeper(void **state)
{
	char path[128], keys[512], body[4096];
	int fd;

	(void)state;
	/* its parent stopped (the keeper, or a namespace's init, which
	 * ignores it), then past the timeout, what it left runs on */
	detaching_script(path, sizeof(path), "kill -STOP $PPID\nsleep 5");
	snprintf(keys, sizeof(keys),
	    "options = { allow = [ \"%s\" ]; timeout = 1; };", path);
	serve("cmd", keys);
	fd = dial();
	command(fd, path, body, sizeof(body));
	assert_non_null(strstr(body, "ran longer than 1 s: killed"));
	assert_true(none_left_within(20000));
	command(fd, path, body, sizeof(body)); /* and serves on */
	assert_non_null(strstr(body, "ran longer than 1 s: killed"));
	assert_true(none_left_within(20000));
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

/* Kills, by the pids /proc shows, the script's parent (the keeper, or a
 * namespace's init) and the one above it (the worker, or the keeper):
 * what a program as the service's user may try to get out. */
static const char kill_its_keepers[] =
    "sh=$(cut -d' ' -f4 /proc/self/stat)\n"
    "up=$(cut -d' ' -f4 /proc/$sh/stat)\n"
    "top=$(cut -d' ' -f4 /proc/$up/stat)\n"
    "kill -KILL $PPID $up $top 2>/dev/null\n";

/* The tests of a way out that only a namespace closes. */
static void
skip_without_namespaces(void)
{
	if (server_wait_log(&srv, "no PID namespace for programs", 500)) {
		print_message("no PID namespaces here: skipped\n");
		skip();
	}
}

static void
cmd_that_kills_its_keeper_leaves_nothing_running(void **state)
{
	char path[128], keys[512], body[4096], main[512];
	pid_t worker;
	int fd;

	(void)state;
	snprintf(main, sizeof(main), "%ssleep 5", kill_its_keepers);
	detaching_script(path, sizeof(path), main);
	snprintf(keys, sizeof(keys),
	    "options = { allow = [ \"%s\", \"true\" ]; timeout = 1; };", path);
	serve("cmd", keys);
	skip_without_namespaces();
	worker = server_worker(&srv);
	fd = dial();
	command(fd, path, body, sizeof(body));
	/* it reached nothing outside: it ended, killed itself (the pid
	 * above its init is 0 in a /proc of its own: its own group) or the
	 * timeout ended it; either way all it left ends */
	assert_true(strstr(body, "started") || strstr(body, "killed"));
	assert_true(none_left_within(20000));
	command(fd, "true", body, sizeof(body)); /* the same worker */
	assert_int_equal(server_worker(&srv), worker);
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

/* A script that starts 40 sleeps, saying x for each: the shell ends at
 * the first fork that fails. */
static void
cmd_bounds_the_processes_a_command_starts(void **state)
{
	char path[128], keys[512], body[4096], text[512];
	int fd, started = 0;

	(void)state;
	snprintf(text, sizeof(text),
	    "n=0\nwhile [ $n -lt 40 ]; do\n"
	    "  sleep %s </dev/null >/dev/null 2>&1 &\n"
	    "  echo x\n  n=$((n+1))\ndone\n",
	    mark);
	script(path, sizeof(path), "many", text);
	/* as a user of its own: the other tests' services, as nobody, come
	 * and go meanwhile, and max_processes counts the user's processes */
	snprintf(keys, sizeof(keys),
	    "user = \"daemon\"; options = { allow = [ \"%s\" ]; "
	    "max_processes = 8; };",
	    path);
	serve("cmd", keys);
	fd = dial();
	command(fd, path, body, sizeof(body));
	for (const char *p = body; (p = strchr(p, 'x')) != NULL; p++)
		started++;
	/* 8 at most; daemon's own that ended meanwhile may add some */
	if (started < 1 || started >= 40)
		fail_msg("%d of 40 processes started", started);
	assert_true(none_left_within(20000));
	command(fd, path, body, sizeof(body)); /* the bound is per command */
	assert_non_null(strchr(body, 'x'));
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

static void
cmd_runs_commands_in_root_within_the_limits_it_is_given(void **state)
{
	char path[128], keys[512], body[4096];
	int fd;

	(void)state;
	script(path, sizeof(path), "limits",
	    "ulimit -n; ulimit -v; ulimit -t; pwd\n");
	snprintf(
	    keys, sizeof(keys), "options = { allow = [ \"%s\" ]; };", path);
	serve("cmd", keys);
	fd = dial();
	command(fd, path, body, sizeof(body));
	/* files 64, 256 MiB (in KiB), CPU: the timeout; in /, not in the
	 * folder modserv was started from */
	assert_string_equal(body, "64\n262144\n5\n/\n");
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

static void
cmd_past_its_cpu_time_is_killed_and_says_so(void **state)
{
	char path[128], keys[512], body[4096], want[256];
	int fd;

	(void)state;
	script(path, sizeof(path), "spin", "while :; do :; done\n");
	snprintf(keys, sizeof(keys),
	    "options = { allow = [ \"%s\" ]; timeout = 120; rlimit_cpu = 1; };",
	    path);
	serve("cmd", keys);
	snprintf(want, sizeof(want),
	    "error: %s: killed by SIGXCPU (rlimit_cpu)\n", path);
	fd = dial();
	command(fd, path, body, sizeof(body));
	assert_string_equal(body, want);
	command(fd, path, body, sizeof(body)); /* and serves on */
	assert_string_equal(body, want);
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

/* A malformed allow entry is the configuration's error: -t and a start
 * refuse it with the file, the line and the entry, before any worker. */
static void
cmd_refuses_an_allow_entry_that_is_not_well_formed(void **state)
{
	char out[8192];
	const char *want = "modserv.conf:5: services.[0].options.allow.[1]: "
	                   "\"ls [-l\": \"[\" without \"]\"";

	(void)state;
	assert_int_equal(
	    server_write_conf(&srv,
	        "module_path = [ \"@MODULES@\" ];\n"
	        "services = ( { name = \"s\"; transport = \"tcp\";\n"
	        "  listen = \"127.0.0.1:0\"; model = \"%s\";\n"
	        "  module = \"cmd\";\n"
	        "  options = { allow = [ \"date\", \"ls [-l\" ]; }; } );\n"
	        "log = \"service.log\";\n",
	        model),
	    0);
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-t", "-c", srv.conf, NULL), 1);
	if (strstr(out, want) == NULL)
		fail_msg("-t: no file, line and reason in: %s", out);
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-d", "-c", srv.conf, NULL), 1);
	if (strstr(out, want) == NULL)
		fail_msg("start: no file, line and reason in: %s", out);
	if (strstr(out, "worker") != NULL)
		fail_msg("a worker started: %s", out);
}

/* ---- exec ---- */

/* An exec program, the detaching script running main, says started and
 * ends: nothing it left runs on.  Skipped without namespaces if asked. */
static void
exec_ends_leaving_nothing(const char *main, int needs_namespaces)
{
	char path[128], keys[512], reply[8];
	int fd;

	detaching_script(path, sizeof(path), main);
	snprintf(keys, sizeof(keys), "options = { argv = [ \"%s\" ]; };", path);
	serve("exec", keys);
	if (needs_namespaces)
		skip_without_namespaces();
	fd = dial();
	assert_int_equal(client_recv_all(fd, reply, 8), 0);
	assert_memory_equal(reply, "started\n", 8);
	assert_int_equal(recv(fd, reply, 1, 0), 0); /* the program ended */
	assert_true(none_left_within(20000));
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

static void
exec_leaves_nothing_running_once_the_program_ended(void **state)
{
	(void)state;
	exec_ends_leaving_nothing("", 0);
}

static void
exec_that_kills_its_keeper_leaves_nothing_running(void **state)
{
	(void)state;
	exec_ends_leaving_nothing(kill_its_keepers, 1);
}

/* kill(0, ...) reaches the program's own process group, not its
 * worker's: the worker and its other clients go on. */
static void
a_program_that_signals_its_process_group_leaves_the_worker_be(void **state)
{
	char path[128], keys[512], body[4096];
	pid_t worker;
	int fd;

	(void)state;
	script(path, sizeof(path), "killpg", "kill -KILL 0\n");
	snprintf(keys, sizeof(keys),
	    "options = { allow = [ \"%s\", \"true\" ]; };", path);
	serve("cmd", keys);
	worker = server_worker(&srv);
	fd = dial();
	command(fd, path, body, sizeof(body));
	assert_non_null(strstr(body, "killed by SIGKILL")); /* itself */
	command(fd, "true", body, sizeof(body));
	assert_string_equal(body, "");
	assert_int_equal(server_worker(&srv), worker); /* the same worker */
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

/* A program sees in /proc what runs in its namespace only: not the host's
 * processes, nor another client's program to read its memory. */
static void
a_program_sees_only_its_own_processes(void **state)
{
	char reply[256] = "";
	int fd, n, procs;

	(void)state;
	serve("exec",
	    "options = { argv = [ \"sh\", \"-c\", "
	    "\"cat /proc/1/comm; ls /proc | grep -c '^[0-9]'\" ]; };");
	skip_without_namespaces();
	fd = dial();
	for (n = 0; n < (int)sizeof(reply) - 1;) {
		ssize_t got = recv(fd, reply + n, sizeof(reply) - 1 - n, 0);

		if (got <= 0)
			break;
		n += (int)got;
	}
	reply[n] = '\0';
	close(fd);
	if (strncmp(reply, "modserv-init\n", 13) != 0) {
		/* the host's /proc: right only where the kernel refuses a
		 * proc mount in a namespace (a partly masked /proc) */
		if (system(
		        "unshare -Urpfm --mount-proc true >/dev/null 2>&1") ==
		    0)
			fail_msg("no /proc of its own: %s", reply);
		print_message("no proc mount in a namespace here: skipped\n");
		skip();
	}
	procs = atoi(reply + 13);
	/* init, sh, ls, grep (and cat, if not yet gone) */
	if (procs < 3 || procs > 5)
		fail_msg("the program sees %d processes: %s", procs, reply);
	assert_int_equal(server_stop(&srv), 0);
}

/* A program that sets SO_LINGER and leaves its output queued for a client
 * that reads nothing: the worker's own close does not wait for it. */
static void
a_program_lingering_on_its_socket_holds_up_no_one(void **state)
{
	char keys[1024], byte;
	int stuck, next;

	(void)state;
	snprintf(keys, sizeof(keys),
	    "idle_timeout = 30; options = { argv = [ \"python3\", \"-c\", "
	    "\"import os, socket, struct\\n"
	    "s = socket.socket(fileno=0)\\n"
	    "s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, "
	    "struct.pack('ii', 1, 600))\\n"
	    "s.setblocking(False)\\n"
	    "try:\\n"
	    "    while True: s.send(b'x' * 65536)\\n"
	    "except BlockingIOError: pass\\n"
	    "os._exit(0)\" ]; };");
	serve("exec", keys);
	stuck = dial(); /* reads nothing */
	usleep(500000); /* its program filled the queue and ended */
	next = dial();
	struct pollfd pfd = {.fd = next, .events = POLLIN};
	if (poll(&pfd, 1, 10000) != 1)
		fail_msg("the next client got nothing: the worker waits in "
		         "close: %s",
		    server_log(&srv, 0));
	assert_int_equal(recv(next, &byte, 1, 0), 1);
	close(next);
	close(stuck);
	assert_int_equal(server_stop(&srv), 0);
}

static void
exec_leaves_nothing_running_after_a_stop(void **state)
{
	char path[128], keys[512], reply[8];
	int fd;

	(void)state;
	detaching_script(path, sizeof(path), "trap '' TERM\nsleep 3004");
	snprintf(keys, sizeof(keys), "options = { argv = [ \"%s\" ]; };", path);
	serve("exec", keys);
	fd = dial();
	assert_int_equal(client_recv_all(fd, reply, 8), 0);
	wait_for_marked(2);
	/* the program outlives shutdown_timeout: it is cut off */
	assert_int_equal(server_stop(&srv), 0);
	assert_true(none_left_within(20000));
	close(fd);
}

static void
exec_leaves_nothing_running_when_its_worker_dies(void **state)
{
	char path[128], keys[512], reply[8];
	int fd;

	(void)state;
	detaching_script(path, sizeof(path), "sleep 3005");
	snprintf(keys, sizeof(keys), "options = { argv = [ \"%s\" ]; };", path);
	serve("exec", keys);
	fd = dial();
	assert_int_equal(client_recv_all(fd, reply, 8), 0);
	wait_for_marked(2);
	assert_int_equal(kill(server_worker(&srv), SIGKILL), 0);
	assert_true(none_left_within(20000));
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
HARNESS_MAIN_FOR_MODEL("contain", NULL,
    T(the_shipped_example_runs_only_the_command_lines_it_pins),
    T(cmd_past_its_address_space_fails_and_the_service_serves_on),
    T(cmd_refuses_too_many_words_with_a_message),
    T(cmd_leaves_nothing_running_past_its_timeout),
    T(cmd_leaves_nothing_running_once_the_command_ended),
    T(cmd_leaves_nothing_running_after_a_stop),
    T(cmd_ends_a_command_that_closed_its_output_at_its_timeout),
    T(cmd_ends_a_command_that_stopped_its_keeper),
    T(cmd_that_kills_its_keeper_leaves_nothing_running),
    T(cmd_bounds_the_processes_a_command_starts),
    T(cmd_runs_commands_in_root_within_the_limits_it_is_given),
    T(cmd_past_its_cpu_time_is_killed_and_says_so),
    T(cmd_refuses_an_allow_entry_that_is_not_well_formed),
    T(exec_leaves_nothing_running_once_the_program_ended),
    T(exec_that_kills_its_keeper_leaves_nothing_running),
    T(a_program_that_signals_its_process_group_leaves_the_worker_be),
    T(a_program_sees_only_its_own_processes),
    T(a_program_lingering_on_its_socket_holds_up_no_one),
    T(exec_leaves_nothing_running_after_a_stop),
    T(exec_leaves_nothing_running_when_its_worker_dies))
