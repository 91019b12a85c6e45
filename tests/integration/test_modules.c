/* test_modules.c - the seed modules as their clients see them, under one
 * model:  test_modules MODEL  (ctest runs it for thread, fork and select).
 * Clients behave like the seed clients, and also send replies' requests in
 * pieces, glue two messages into one write, and leave early. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "harness.h"

static const char *model;

/* Starts module over transport with the given service keys. */
static void
serve(const char *transport, const char *module, const char *keys)
{
	if (server_start_one(&srv, transport, NULL, model, module, keys) < 0)
		fail_msg("modserv did not start");
}

static int
dial(void)
{
	int fd = client_connect(srv.transport[0], srv.addr[0]);

	assert_true(fd >= 0);
	return fd;
}

/* Reads until want bytes came, or the peer closed; what came, in buf. */
static size_t
read_some(int fd, char *buf, size_t want)
{
	size_t got = 0;
	ssize_t n;

	while (got < want && (n = recv(fd, buf + got, want - got, 0)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	return got;
}

/* Expects exactly text next, then (if closed) the peer's close. */
static void
expect(int fd, const char *text, int closed)
{
	char buf[4096];
	size_t n = strlen(text);

	assert_true(n < sizeof(buf));
	assert_int_equal(read_some(fd, buf, n), n);
	assert_string_equal(buf, text);
	if (closed)
		assert_int_equal(recv(fd, buf, 1, 0), 0);
}

static void
stop_cleanly(void)
{
	assert_int_equal(server_stop(&srv), 0);
	assert_null(strstr(srv.log, "killed by signal"));
}

/* ---- daytime ---- */

static void
daytime_stamps_the_line_and_closes(void **state)
{
	char buf[256], stamp[64];
	struct tm tm = {0};
	time_t t0 = time(NULL);
	int fd;

	(void)state;
	serve("tcp", "daytime", NULL);
	fd = dial();
	/* the seed client sends "%s\r\n"; here it comes in two pieces */
	assert_int_equal(client_send_all(fd, "hello ", 6), 0);
	usleep(20000);
	assert_int_equal(client_send_all(fd, "daytime\r\n", 9), 0);
	assert_true(read_some(fd, buf, sizeof(buf) - 1) > 0);
	close(fd);
	assert_int_equal(buf[0], '[');
	assert_int_equal(sscanf(buf, "[%63[^]]", stamp), 1);
	assert_non_null(strptime(stamp, "%a %b %e %H:%M:%S %Y", &tm));
	tm.tm_isdst = -1;
	assert_true(labs((long)(mktime(&tm) - t0)) <= 2);
	assert_string_equal(buf + strlen(stamp) + 2, " hello daytime\r\n");
	/* a client that leaves without a word harms no one */
	close(dial());
	fd = dial();
	assert_int_equal(client_send_all(fd, "again\n", 6), 0);
	assert_true(read_some(fd, buf, sizeof(buf) - 1) > 0);
	assert_non_null(strstr(buf, "] again\n"));
	close(fd);
	stop_cleanly();
}

/* ---- greet ---- */

static void
greet_greets_answers_and_quits_on_q(void **state)
{
	int fd;

	(void)state;
	serve("tcp", "greet", NULL);
	fd = dial();
	expect(fd, "你好欢迎你", 0);
	assert_int_equal(client_send_all(fd, "hello", 5), 0);
	expect(fd, "hello好", 0);
	assert_int_equal(client_send_all(fd, "世界", 6), 0);
	expect(fd, "世界好", 0);
	assert_int_equal(client_send_all(fd, "q", 1), 0);
	expect(fd, "", 1);
	close(fd);
	stop_cleanly();
}

static void
greet_by_line_splits_glued_messages(void **state)
{
	int fd;

	(void)state;
	serve("unix", "greet",
	    "options = { framing = \"line\"; greeting = \"hi\\n\"; "
	    "suffix = \"!\"; };");
	fd = dial();
	expect(fd, "hi\n", 0);
	/* two messages glued into one write, the quit line after them */
	assert_int_equal(client_send_all(fd, "one\r\ntwo\nq\nlost\n", 17), 0);
	expect(fd, "one!\ntwo!\n", 1);
	close(fd);
	stop_cleanly();
}

static void
greet_by_read_answers_what_one_read_brings(void **state)
{
	char buf[64];
	int fd;

	(void)state;
	serve(
	    "tcp", "greet", "options = { greeting = \"\"; suffix = \"+\"; };");
	fd = dial();
	/* glued: one read, one message, as the seed's recv(1024) */
	assert_int_equal(client_send_all(fd, "abcd", 4), 0);
	assert_int_equal(read_some(fd, buf, 5), 5);
	assert_string_equal(buf, "abcd+");
	close(fd); /* early: no q */
	fd = dial();
	assert_int_equal(client_send_all(fd, "q", 1), 0);
	expect(fd, "", 1);
	close(fd);
	stop_cleanly();
}

/* nc and telnet send the line's ending with it: "q\n" quits too, and
 * "qq\n" is a message like any other */
static void
greet_by_read_quits_on_q_and_a_line_ending(void **state)
{
	int fd;

	(void)state;
	serve(
	    "tcp", "greet", "options = { greeting = \"\"; suffix = \"+\"; };");
	fd = dial();
	assert_int_equal(client_send_all(fd, "qq\n", 3), 0);
	expect(fd, "qq\n+", 0);
	assert_int_equal(client_send_all(fd, "q\n", 2), 0);
	expect(fd, "", 1);
	close(fd);
	fd = dial();
	assert_int_equal(client_send_all(fd, "\n", 1), 0);
	expect(fd, "\n+", 0);
	assert_int_equal(client_send_all(fd, "q\r\n", 3), 0);
	expect(fd, "", 1);
	close(fd);
	stop_cleanly();
}

/* ---- ident ---- */

static void
ident_names_the_thread_or_process(void **state)
{
	char a[128], b[128], prefix[16];
	int fd, ida, idb;

	(void)state;
	serve("tcp", "ident", NULL);
	fd = dial();
	assert_int_equal(client_send_all(fd, "Hello World 1", 13), 0);
	read_some(fd, a, sizeof(a) - 1);
	close(fd);
	fd = dial();
	assert_int_equal(client_send_all(fd, "Hello World 2", 13), 0);
	read_some(fd, b, sizeof(b) - 1);
	close(fd);
	assert_int_equal(sscanf(a, "%15[A-Za-z]-%d:", prefix, &ida), 2);
	assert_non_null(strstr(a, ": Hello World 1"));
	assert_int_equal(sscanf(b, "%*[A-Za-z]-%d:", &idb), 1);
	if (strcmp(model, "thread") == 0) {
		assert_string_equal(prefix, "Thread");
	} else if (strcmp(model, "fork") == 0) {
		assert_string_equal(prefix, "Process");
		assert_true(ida != idb); /* a process per request */
	} else {
		assert_string_equal(prefix, "Loop");
		assert_int_equal(ida, idb); /* one loop serves all */
	}
	stop_cleanly();
}

static void
ident_answers_datagrams_too(void **state)
{
	char buf[128];
	int fd;

	(void)state;
	serve("udp", "ident", NULL);
	fd = dial();
	assert_int_equal(send(fd, "ping", 4, 0), 4);
	assert_true(recv(fd, buf, sizeof(buf) - 1, 0) > 0);
	assert_non_null(strstr(buf, ": ping"));
	close(fd);
	stop_cleanly();
}

/* ---- filexfer ---- */

static void
make_file(const char *name, size_t size)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/root/%s", srv.dir, name);
	assert_non_null(f = fopen(path, "w"));
	for (size_t i = 0; i < size; i++)
		fputc((int)('a' + i % 26), f);
	fclose(f);
}

static void
filexfer_setup_root(void)
{
	char path[512], target[512];

	snprintf(path, sizeof(path), "%s/root", srv.dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/root/dir", srv.dir);
	mkdir(path, 0755);
	make_file("small.txt", 26);
	make_file("big.bin", 3 << 20);
	make_file("empty", 0);
	snprintf(path, sizeof(path), "%s/outside.txt", srv.dir);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	snprintf(path, sizeof(path), "%s/root/escape", srv.dir);
	snprintf(target, sizeof(target), "%s/outside.txt", srv.dir);
	assert_int_equal(symlink(target, path), 0);
	snprintf(path, sizeof(path), "%s/root/inside", srv.dir);
	assert_int_equal(symlink("small.txt", path), 0);
	/* opening it would block until a writer came: never served */
	snprintf(path, sizeof(path), "%s/root/fifo", srv.dir);
	assert_int_equal(mkfifo(path, 0644), 0);
}

/* Asks for name like the seed client: size (or 0001...), ack, bytes. */
static long
fetch(int fd, const char *name, char *reply, size_t max)
{
	char head[512];
	ssize_t n;
	long size;

	assert_int_equal(client_send_all(fd, name, strlen(name)), 0);
	n = recv(fd, head, sizeof(head) - 1, 0);
	assert_true(n > 0);
	head[n] = '\0';
	if (strncmp(head, "0001", 4) == 0) {
		snprintf(reply, max, "%s", head);
		return -1;
	}
	size = atol(head);
	assert_int_equal(client_send_all(fd, "File size received", 18), 0);
	assert_true((size_t)size < max);
	assert_int_equal(read_some(fd, reply, (size_t)size), (size_t)size);
	return size;
}

static void
filexfer_sends_files_beneath_its_root(void **state)
{
	char *buf = malloc(4 << 20), path[512];
	int fd;

	(void)state;
	assert_int_equal(server_prepare(&srv), 0);
	filexfer_setup_root();
	serve("tcp", "filexfer", "options = { root = \"root\"; };");
	fd = dial();
	assert_int_equal(fetch(fd, "small.txt", buf, 4 << 20), 26);
	assert_string_equal(buf, "abcdefghijklmnopqrstuvwxyz");
	assert_int_equal(fetch(fd, "big.bin", buf, 4 << 20), 3 << 20);
	for (size_t i = 0; i < 3 << 20; i += 4097)
		assert_int_equal(buf[i], 'a' + (int)(i % 26));
	assert_int_equal(fetch(fd, "inside", buf, 4 << 20), 26);
	snprintf(path, sizeof(path), "%s/root/dir/../small.txt", srv.dir);
	assert_int_equal(fetch(fd, path, buf, 4 << 20), 26);
	/* the empty file: size 0, then nothing; the next request works */
	assert_int_equal(client_send_all(fd, "empty", 5), 0);
	assert_int_equal(read_some(fd, buf, 1), 1);
	assert_string_equal(buf, "0");
	assert_int_equal(client_send_all(fd, "ok", 2), 0);
	usleep(50000);
	assert_int_equal(fetch(fd, "small.txt", buf, 4 << 20), 26);
	close(fd);
	/* a client that leaves between size and acknowledgement */
	fd = dial();
	assert_int_equal(client_send_all(fd, "big.bin", 7), 0);
	assert_true(recv(fd, buf, 16, 0) > 0);
	close(fd);
	fd = dial();
	assert_int_equal(fetch(fd, "small.txt", buf, 4 << 20), 26);
	close(fd);
	stop_cleanly();
	free(buf);
}

static void
filexfer_refuses_every_way_out(void **state)
{
	const char *const bad[][2] = {
	    {"../outside.txt", "outside the served folder"},
	    {"dir/../../outside.txt", "outside the served folder"},
	    {"/etc/passwd", "outside the served folder"},
	    {"escape", "outside the served folder"},
	    {"nosuch", "no such file"},
	    {"dir", "not a regular file"},
	    {"fifo", "not a regular file"},
	    {"fifo", "not a regular file"}, /* again: nothing was held */
	    {"/proc/self/root/etc/passwd", "outside the served folder"},
	};
	char buf[512], want[512];
	int fd;

	(void)state;
	assert_int_equal(server_prepare(&srv), 0);
	filexfer_setup_root();
	serve("unix", "filexfer", "options = { root = \"root\"; };");
	fd = dial();
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(fetch(fd, bad[i][0], buf, sizeof(buf)), -1);
		snprintf(
		    want, sizeof(want), "0001%s: %s\n", bad[i][0], bad[i][1]);
		assert_string_equal(buf, want);
	}
	close(fd);
	stop_cleanly();
}

/* ---- cmd ---- */

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

static void
cmd_runs_only_what_is_allowed_without_a_shell(void **state)
{
	char body[4096];
	int fd;

	(void)state;
	serve("tcp", "cmd",
	    "options = { allow = [ \"echo\", \"ls\", \"sleep\", \"yes\" ]; "
	    "timeout = 1; max_output = 10000; };");
	fd = dial();
	command(fd, "echo hello world", body, sizeof(body));
	assert_string_equal(body, "hello world\n");
	command(fd, "id", body, sizeof(body));
	assert_string_equal(body, "error: id: not allowed\n");
	/* shell syntax is just text: nothing but echo runs */
	command(fd, "echo a;id $(id) `id` | id > /tmp/x", body, sizeof(body));
	assert_string_equal(body, "a;id $(id) `id` | id > /tmp/x\n");
	command(fd, "rm -rf /", body, sizeof(body));
	assert_string_equal(body, "error: rm: not allowed\n");
	/* stderr when stdout is empty */
	command(fd, "ls /nonexistent-modserv", body, sizeof(body));
	assert_non_null(strstr(body, "No such file or directory"));
	command(fd, "   ", body, sizeof(body));
	assert_string_equal(body, "error: no command\n");
	close(fd);
	stop_cleanly();
}

static void
cmd_kills_what_runs_too_long_or_says_too_much(void **state)
{
	char body[4096];
	long long t0;
	pid_t worker;
	int fd;

	(void)state;
	serve("tcp", "cmd",
	    "options = { allow = [ \"sleep\", \"yes\" ]; timeout = 1; "
	    "max_output = 10000; };");
	fd = dial();
	t0 = now_ms();
	command(fd, "sleep 30", body, sizeof(body));
	assert_string_equal(
	    body, "error: sleep: ran longer than 1 s: killed\n");
	assert_true(now_ms() - t0 < 2500);
	command(fd, "yes", body, sizeof(body));
	assert_string_equal(
	    body, "error: yes: printed more than 10000 bytes: killed\n");
	close(fd);
	/* nothing left running or unreaped */
	assert_int_equal(proc_children(srv.pid, &worker, 1), 1);
	usleep(100000);
	assert_int_equal(proc_children(worker, NULL, 0), 0);
	stop_cleanly();
}

/* module with options is refused by -t with why (after "FILE:5: "), and
 * does not start either: the worker never starts only to fail its init. */
static void
refused_at_check(const char *module, const char *options, const char *why)
{
	char out[4096], want[1024];

	assert_int_equal(
	    server_write_one(&srv, "tcp", NULL, model, module, options), 0);
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-t", "-c", srv.conf, NULL), 1);
	snprintf(want, sizeof(want), "modserv: %s:5: %s\n", srv.conf, why);
	assert_string_equal(out, want);
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-c", srv.conf, NULL), 1);
	assert_non_null(strstr(out, want + strlen("modserv: ")));
}

/* A value the module's table does not allow is refused by the check. */
static void
cmd_refuses_a_timeout_out_of_range_at_check(void **state)
{
	(void)state;
	refused_at_check("cmd",
	    "options = { allow = [ \"echo\" ]; timeout = -3; };",
	    "services.[0].options.timeout: -3 is not in 1..3600 (module cmd: "
	    "seconds a command may run)");
}

/* a program that cannot be named: refused before anything starts */
static void
exec_with_an_empty_argv_is_refused_at_check(void **state)
{
	(void)state;
	refused_at_check("exec", "options = { argv = [ ]; };",
	    "services.[0].options.argv: is empty, and module exec needs it "
	    "(the program and its arguments)");
}

static void
cmd_that_is_slow_does_not_hold_up_other_clients(void **state)
{
	char body[256];
	long long t0;
	int slow, fast;

	(void)state;
	serve("tcp", "cmd", "options = { allow = [ \"sleep\", \"echo\" ]; };");
	slow = dial();
	fast = dial();
	assert_int_equal(client_send_all(slow, "sleep 1", 7), 0);
	usleep(50000);
	t0 = now_ms();
	command(fast, "echo quick", body, sizeof(body));
	assert_string_equal(body, "quick\n");
	/* sleep takes 1 s: half of it is room for a loaded machine */
	if (now_ms() - t0 > 500)
		fail_msg("a concurrent client waited %lld ms", now_ms() - t0);
	command(slow, "echo after", body, sizeof(body)); /* sleep's reply */
	close(slow);
	close(fast);
	stop_cleanly();
}

/* 1 if line (len bytes) is want, or a value of its name when want ends
 * in '='. */
static int
env_line_is(const char *line, size_t len, const char *want)
{
	size_t n = strlen(want);

	return (len == n || want[n - 1] == '=') && len >= n &&
	       memcmp(line, want, n) == 0;
}

/* Each line of text is a different one of want ("NAME=value", or "NAME="
 * for any value), and all of want are there: exactly that environment. */
static void
expect_environment(const char *text, const char *const *want)
{
	size_t nwant = 0, nlines = 0;
	unsigned seen = 0;

	while (want[nwant])
		nwant++;
	for (const char *line = text; *line; nlines++) {
		size_t len = strcspn(line, "\n"), i = 0;

		while (i < nwant && !env_line_is(line, len, want[i]))
			i++;
		if (i == nwant || seen & (1u << i))
			fail_msg(
			    "unexpected %.*s in:\n%s", (int)len, line, text);
		seen |= 1u << i;
		line += len + (line[len] == '\n');
	}
	if (nlines != nwant)
		fail_msg(
		    "%zu variables, expected %zu:\n%s", nlines, nwant, text);
}

/* What a program of ours must see: PATH, UCSPI's, env's, pass_env's. */
static const char *const clean_tcp_environment[] = {
    "PATH=/usr/local/bin:/usr/bin:/bin", "MODSERV_SERVICE=s", "PROTO=TCP",
    "TCPREMOTEIP=127.0.0.1", "TCPREMOTEPORT=", "TCPLOCALIP=127.0.0.1",
    "TCPLOCALPORT=", "GREETING=hi", "MODSERV_TEST_PASSED=yes", NULL};

/* modserv starts with a secret and a variable pass_env names. */
static void
setenv_for_modserv(void)
{
	setenv("MODSERV_TEST_SECRET", "1", 1);
	setenv("MODSERV_TEST_PASSED", "yes", 1);
}

static void
unsetenv_for_modserv(void)
{
	unsetenv("MODSERV_TEST_SECRET");
	unsetenv("MODSERV_TEST_PASSED");
}

static void
cmd_runs_commands_in_a_clean_environment(void **state)
{
	char body[4096];
	int fd;

	(void)state;
	setenv_for_modserv();
	serve("tcp", "cmd",
	    "options = { allow = [ \"env\" ]; env = [ \"GREETING=hi\" ]; "
	    "pass_env = [ \"MODSERV_TEST_PASSED\" ]; };");
	unsetenv_for_modserv();
	fd = dial();
	command(fd, "env", body, sizeof(body));
	expect_environment(body, clean_tcp_environment);
	close(fd);
	stop_cleanly();
}

/* A program in a folder of modserv's PATH only. */
static void
path_with_a_program_of_modserv_only(char *old, size_t oldlen)
{
	char prog[320], path[4096];
	FILE *f;

	snprintf(prog, sizeof(prog), "%s/modserv-test-prog", srv.dir);
	assert_non_null(f = fopen(prog, "w"));
	fputs("#!/bin/sh\necho found\n", f);
	fclose(f);
	chmod(prog, 0755);
	snprintf(old, oldlen, "%s", getenv("PATH") ? getenv("PATH") : "");
	snprintf(path, sizeof(path), "%s:%s", srv.dir, old);
	setenv("PATH", path, 1);
}

static void
cmd_looks_commands_up_on_its_own_path(void **state)
{
	char body[4096], old[4096];
	int fd;

	(void)state;
	path_with_a_program_of_modserv_only(old, sizeof(old));
	serve("tcp", "cmd",
	    "options = { allow = [ \"env\", \"modserv-test-prog\" ]; "
	    "env = [ \"PATH=/nonexistent-modserv:/bin\" ]; };");
	setenv("PATH", old, 1);
	fd = dial();
	command(fd, "modserv-test-prog", body, sizeof(body));
	assert_string_equal(body, "error: modserv-test-prog: not found in "
	                          "PATH=/nonexistent-modserv:/bin\n");
	/* env's PATH replaces the standard one */
	command(fd, "env", body, sizeof(body));
	assert_non_null(strstr(body, "PATH=/nonexistent-modserv:/bin\n"));
	assert_null(strstr(body, "PATH=/usr"));
	close(fd);
	assert_true(
	    server_wait_log(&srv, "modserv-test-prog: not found", 3000));
	stop_cleanly();
}

static void
env_entries_without_a_value_or_a_name_are_refused_by_the_check(void **state)
{
	static const char *const bad[][2] = {
	    {"cmd", "allow = [ \"env\" ];\nenv = [ \"GREETING\" ];"},
	    {"exec", "argv = [ \"env\" ];\nenv = [ \"2X=y\" ];"},
	    {"exec", "argv = [ \"env\" ];\npass_env = [ \"A=1\" ];"},
	};
	static const char *const why[] = {
	    ":7: services.[0].options.env: entry 0 \"GREETING\" has no '=': "
	    "write NAME=value",
	    ":7: services.[0].options.env: entry 0 \"2X=y\": \"2X\" is not a "
	    "variable name",
	    ":7: services.[0].options.pass_env: entry 0 \"A=1\": \"A=1\" is "
	    "not a variable name",
	};
	char keys[256], out[4096];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		snprintf(keys, sizeof(keys), "options = {\n%s }; ", bad[i][1]);
		assert_int_equal(
		    server_write_one(&srv, "tcp", NULL, model, bad[i][0], keys),
		    0);
		assert_int_equal(
		    modserv_run(out, sizeof(out), "-t", "-c", srv.conf, NULL),
		    1);
		if (strstr(out, why[i]) == NULL)
			fail_msg("expected \"%s\" in: %s", why[i], out);
	}
}

/* ---- framed ---- */

/* One message of the seed's protocol. */
static size_t
framed_message(char *out, const char *type, const char *content, size_t n)
{
	char header[512];
	int hlen = snprintf(header, sizeof(header),
	    "{\"byteorder\": \"little\", \"content-type\": \"%s\", "
	    "\"content-encoding\": \"utf-8\", \"content-length\": %zu}",
	    type, n);
	uint16_t be = htons((uint16_t)hlen);

	memcpy(out, &be, 2);
	memcpy(out + 2, header, (size_t)hlen);
	memcpy(out + 2 + hlen, content, n);
	return 2 + (size_t)hlen + n;
}

/* Reads one message back: its content-type and content. */
static size_t
framed_read(int fd, char *type, char *content, size_t max)
{
	char header[1024], *p;
	uint16_t be;
	size_t hlen, n;

	assert_int_equal(client_recv_all(fd, &be, 2), 0);
	hlen = ntohs(be);
	assert_true(hlen < sizeof(header));
	assert_int_equal(client_recv_all(fd, header, hlen), 0);
	header[hlen] = '\0';
	assert_non_null(p = strstr(header, "\"content-type\": \""));
	sscanf(p + 17, "%63[^\"]", type);
	assert_non_null(p = strstr(header, "\"content-length\": "));
	n = (size_t)atol(p + 18);
	assert_true(n < max);
	assert_int_equal(client_recv_all(fd, content, n), 0);
	content[n] = '\0';
	return n;
}

static void
framed_answers_text_upper_and_binary_as_is(void **state)
{
	char msg[2048], type[64], content[1024];
	size_t n, m;
	int fd;

	(void)state;
	serve("tcp", "framed", NULL);
	fd = dial();
	n = framed_message(msg, "text/json", "{\"action\": \"search\"}", 20);
	assert_int_equal(client_send_all(fd, msg, n), 0);
	framed_read(fd, type, content, sizeof(content));
	assert_string_equal(type, "text/json");
	assert_string_equal(content, "{\"ACTION\": \"SEARCH\"}");
	/* two messages glued into one write */
	n = framed_message(msg, "binary/custom", "abc\001", 4);
	m = framed_message(msg + n, "text/plain", "you 好", 7);
	assert_int_equal(client_send_all(fd, msg, n + m), 0);
	assert_int_equal(framed_read(fd, type, content, sizeof(content)), 4);
	assert_string_equal(type, "binary/custom");
	assert_memory_equal(content, "abc\001", 4);
	framed_read(fd, type, content, sizeof(content));
	assert_string_equal(content, "YOU 好");
	/* one byte at a time */
	n = framed_message(msg, "text/plain", "slow", 4);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(client_send_all(fd, msg + i, 1), 0);
	framed_read(fd, type, content, sizeof(content));
	assert_string_equal(content, "SLOW");
	close(fd);
	stop_cleanly();
}

static void
framed_refuses_bad_headers_and_closes(void **state)
{
	const char *const bad[][2] = {
	    {"not json", "error: the header is not JSON"},
	    {"[1, 2]", "error: the header is not a JSON object"},
	    {"{\"content-length\": 1}",
	        "error: the header lacks byteorder, content-type, "
	        "content-encoding or content-length"},
	    {"{\"byteorder\": \"little\", \"content-type\": \"t\", "
	     "\"content-encoding\": \"x\", \"content-length\": \"9\"}",
	        "error: content-length is not a length"},
	    {"{\"byteorder\": \"little\", \"content-type\": \"t\", "
	     "\"content-encoding\": \"x\", \"content-length\": 99999999}",
	        "error: content-length is too large"},
	};
	char msg[512], type[64], content[256];
	uint16_t be;
	int fd;

	(void)state;
	serve("tcp", "framed", NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		fd = dial();
		be = htons((uint16_t)strlen(bad[i][0]));
		memcpy(msg, &be, 2);
		memcpy(msg + 2, bad[i][0], strlen(bad[i][0]));
		assert_int_equal(
		    client_send_all(fd, msg, 2 + strlen(bad[i][0])), 0);
		framed_read(fd, type, content, sizeof(content));
		assert_string_equal(type, "text/plain");
		assert_string_equal(content, bad[i][1]);
		assert_int_equal(recv(fd, content, 1, 0), 0); /* closed */
		close(fd);
	}
	fd = dial(); /* a header longer than max_header */
	be = htons(60000);
	assert_int_equal(client_send_all(fd, &be, 2), 0);
	framed_read(fd, type, content, sizeof(content));
	assert_string_equal(content, "error: header length out of range");
	close(fd);
	stop_cleanly();
}

/* Sends one message whose header is the given JSON text, empty content. */
static void
framed_send_header(int fd, const char *json, size_t n)
{
	uint16_t be = htons((uint16_t)n);

	assert_int_equal(client_send_all(fd, &be, 2), 0);
	assert_int_equal(client_send_all(fd, json, n), 0);
}

/* Reads one reply's header, parsed; the content it announces is left. */
static json_object *
framed_read_header(int fd)
{
	static char header[65536];
	json_object *h;
	uint16_t be;
	size_t hlen;

	assert_int_equal(client_recv_all(fd, &be, 2), 0);
	hlen = ntohs(be);
	assert_int_equal(client_recv_all(fd, header, hlen), 0);
	assert_non_null(h = json_tokener_parse((header[hlen] = '\0', header)));
	return h;
}

/* Asserts header h's field name is the JSON string of exactly want. */
static void
framed_expect_field(json_object *h, const char *name, const char *want)
{
	json_object *v;

	assert_true(json_object_object_get_ex(h, name, &v));
	assert_true(json_object_is_type(v, json_type_string));
	assert_int_equal(json_object_get_string_len(v), strlen(want));
	assert_memory_equal(json_object_get_string(v), want, strlen(want));
}

/* A header of the seed's form with the given type and encoding (JSON text
 * of each, not escaped here) and content-length 0, in out. */
static size_t
framed_header_of(char *out, size_t max, const char *type, const char *encoding)
{
	int n = snprintf(out, max,
	    "{\"byteorder\": \"little\", \"content-type\": %s, "
	    "\"content-encoding\": %s, \"content-length\": 0}",
	    type, encoding);

	assert_true(n > 0 && (size_t)n < max);
	return (size_t)n;
}

/* A string of exactly n bytes, UTF-8: "text/" then a repeating pattern of
 * letters, quotes and characters of 2 and 3 bytes, in out. */
static void
framed_long_text(char *out, size_t n)
{
	static const char pattern[] = "abc-é\"好/";
	const size_t len = sizeof(pattern) - 1;
	size_t i = 5, k = 0, c;

	memcpy(out, "text/", 5);
	while (i < n) {
		c = (unsigned char)pattern[k % len];
		c = c < 0x80 ? 1 : c >= 0xe0 ? 3 : 2;
		if (i + c > n) {
			out[i++] = 'x';
			continue;
		}
		memcpy(out + i, pattern + k % len, c);
		i += c;
		k += c;
	}
	out[n] = '\0';
}

/* JSON text of the string s, in out (whose size is max). */
static size_t
framed_json_string(char *out, size_t max, const char *s)
{
	json_object *v = json_object_new_string(s);
	int n = snprintf(out, max, "%s",
	    json_object_to_json_string_ext(v, JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(v);
	assert_true(n > 0 && (size_t)n < max);
	return (size_t)n;
}

static void
framed_echoes_header_fields_whole_at_any_length(void **state)
{
	static char type[65536], encoding[512], json_type[65536],
	    json_encoding[1024], header[65536];
	const size_t lengths[][2] = {{305, 300}, {4000, 20}};
	json_object *h;
	size_t n;
	int fd;

	(void)state;
	serve("tcp", "framed", "options = { max_header = 65535; };");
	for (size_t i = 0; i < sizeof(lengths) / sizeof(*lengths); i++) {
		framed_long_text(type, lengths[i][0]);
		framed_long_text(encoding, lengths[i][1]);
		memcpy(encoding, "utf-8", 5);
		framed_json_string(json_type, sizeof(json_type), type);
		framed_json_string(
		    json_encoding, sizeof(json_encoding), encoding);
		n = framed_header_of(
		    header, sizeof(header), json_type, json_encoding);
		fd = dial();
		framed_send_header(fd, header, n);
		h = framed_read_header(fd);
		framed_expect_field(h, "content-type", type);
		framed_expect_field(h, "content-encoding", encoding);
		json_object_put(h);
		close(fd);
	}
	/* a type as long as the largest frame lets it come back */
	framed_long_text(type, 59000);
	framed_json_string(json_type, sizeof(json_type), type);
	n = framed_header_of(header, sizeof(header), json_type, "\"utf-8\"");
	assert_true(n > 64000 && n <= 65535);
	fd = dial();
	framed_send_header(fd, header, n);
	h = framed_read_header(fd);
	framed_expect_field(h, "content-type", type);
	json_object_put(h);
	close(fd);
	/* raw control bytes the reply must escape, 6 bytes each: no frame
	 * can carry that header back */
	memset(type + 1, 1, 11000);
	type[0] = type[11001] = '"';
	type[11002] = '\0';
	n = framed_header_of(header, sizeof(header), type, "\"utf-8\"");
	fd = dial();
	framed_send_header(fd, header, n);
	h = framed_read_header(fd);
	framed_expect_field(h, "content-type", "text/plain");
	json_object_put(h);
	assert_int_equal(client_recv_all(fd, header, 58), 0);
	assert_memory_equal(header,
	    "error: the reply's header would be longer than 65535 bytes", 58);
	close(fd);
	stop_cleanly();
}

static void
framed_refuses_fields_that_are_not_utf8_strings(void **state)
{
	const char *const bad[][3] = {
	    {"{\"text\": \"plain\"}", "\"utf-8\"",
	        "error: content-type is not a JSON string"},
	    {"\"text/plain\"", "8",
	        "error: content-encoding is not a JSON string"},
	    {"\"text/\xff\xfeplain\"", "\"utf-8\"",
	        "error: content-type is not valid UTF-8"},
	    {"\"text/plain\"", "\"utf-\xc0\xaf\"",
	        "error: content-encoding is not valid UTF-8"},
	};
	char header[512], type[64], content[256];
	json_object *h;
	int fd;

	(void)state;
	serve("tcp", "framed", NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		fd = dial();
		framed_send_header(fd, header,
		    framed_header_of(
		        header, sizeof(header), bad[i][0], bad[i][1]));
		framed_read(fd, type, content, sizeof(content));
		assert_string_equal(type, "text/plain");
		assert_string_equal(content, bad[i][2]);
		assert_int_equal(recv(fd, content, 1, 0), 0); /* closed */
		close(fd);
	}
	fd = dial(); /* and the service serves on */
	framed_send_header(fd, header,
	    framed_header_of(
	        header, sizeof(header), "\"text/é\"", "\"utf-8\""));
	h = framed_read_header(fd);
	framed_expect_field(h, "content-type", "text/é");
	json_object_put(h);
	close(fd);
	stop_cleanly();
}

/* CPU seconds pid and its children (a fork model's serving process) used,
 * in clock ticks. */
static long long
cpu_ticks_of_tree(pid_t pid)
{
	char path[64], buf[4096], *p;
	long long ticks = 0;
	unsigned long long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')) &&
	    sscanf(p + 2,
	        "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
	        &st) == 2)
		ticks += (long long)(ut + st);
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid,
	    (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return ticks;
	for (int child; fscanf(f, "%d", &child) == 1;)
		ticks += cpu_ticks_of_tree(child);
	fclose(f);
	return ticks;
}

/* CPU the serving process spends on one message whose header's
 * content-type is type_len bytes long, its content sent a byte at a time. */
static long long
framed_cpu_for_message(size_t type_len, size_t pieces)
{
	static char type[60000], json_type[65536], header[65536];
	long long before, used;
	size_t n;
	int fd;

	framed_long_text(type, type_len);
	framed_json_string(json_type, sizeof(json_type), type);
	n = (size_t)snprintf(header, sizeof(header),
	    "{\"byteorder\": \"little\", \"content-type\": %s, "
	    "\"content-encoding\": \"utf-8\", \"content-length\": %zu}",
	    json_type, pieces);
	assert_true(n < sizeof(header));
	fd = dial();
	before = cpu_ticks_of_tree(server_worker(&srv));
	framed_send_header(fd, header, n);
	for (size_t i = 0; i < pieces; i++) {
		assert_int_equal(client_send_all(fd, "x", 1), 0);
		usleep(200);
	}
	json_object_put(framed_read_header(fd));
	used = cpu_ticks_of_tree(server_worker(&srv)) - before;
	close(fd);
	return used;
}

static void
framed_reads_a_long_header_once_not_for_every_piece_of_content(void **state)
{
	const size_t pieces = 10000;
	long long short_header, long_header;

	(void)state;
	serve("tcp", "framed", "options = { max_header = 65535; };");
	/* The same 10000 wakeups with a 10-byte and a 58000-byte field: the
	 * wakeups cost the same (0.1-0.6 s seen, by machine); parsing the long
	 * header again for each byte would add about 10 s (1 ms a parse). */
	short_header = framed_cpu_for_message(10, pieces);
	long_header = framed_cpu_for_message(58000, pieces);
	if (long_header > short_header + 2 * sysconf(_SC_CLK_TCK))
		fail_msg(
		    "%lld ticks of CPU for one message with a long header, "
		    "%lld with a short one",
		    long_header, short_header);
	stop_cleanly();
}

/* ---- exec ---- */

static void
exec_hands_the_connection_to_a_program(void **state)
{
	char want[256];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd;

	(void)state;
	serve("tcp", "exec",
	    "options = { argv = [ \"sh\", \"-c\", \"echo $PROTO "
	    "$TCPREMOTEIP:$TCPREMOTEPORT $TCPLOCALPORT $GREETING; "
	    "exec tr a-z A-Z\" ]; env = [ \"GREETING=hi\" ]; };");
	fd = dial();
	getsockname(fd, (struct sockaddr *)&ss, &len);
	snprintf(want, sizeof(want), "TCP 127.0.0.1:%d %s hi\n",
	    ntohs(((struct sockaddr_in *)&ss)->sin_port),
	    strrchr(srv.addr[0], ':') + 1);
	expect(fd, want, 0);
	assert_int_equal(client_send_all(fd, "piped through\n", 14), 0);
	shutdown(fd, SHUT_WR);
	expect(fd, "PIPED THROUGH\n", 1);
	close(fd);
	assert_true(server_wait_log(&srv, "exited with status 0", 3000));
	stop_cleanly();
}

static void
exec_runs_the_program_with_default_signals(void **state)
{
	int fd;

	(void)state;
	serve("tcp", "exec",
	    "options = { argv = [ \"grep\", \"-E\", \"^Sig(Blk|Ign)\", "
	    "\"/proc/self/status\" ]; };");
	fd = dial();
	/* nothing blocked, nothing ignored: SIGPIPE included */
	expect(fd, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n", 1);
	close(fd);
	stop_cleanly();
}

static void
exec_runs_the_program_in_a_clean_environment(void **state)
{
	char buf[4096];
	int fd;

	(void)state;
	setenv_for_modserv();
	serve("tcp", "exec",
	    "options = { argv = [ \"/usr/bin/env\" ]; env = [ \"GREETING=hi\" "
	    "]; pass_env = [ \"MODSERV_TEST_PASSED\" ]; };");
	unsetenv_for_modserv();
	fd = dial();
	read_some(fd, buf, sizeof(buf) - 1);
	close(fd);
	expect_environment(buf, clean_tcp_environment);
	stop_cleanly();
}

static void
exec_looks_the_program_up_on_its_own_path(void **state)
{
	char buf[64], old[4096];
	int fd;

	(void)state;
	path_with_a_program_of_modserv_only(old, sizeof(old));
	serve(
	    "tcp", "exec", "options = { argv = [ \"modserv-test-prog\" ]; };");
	setenv("PATH", old, 1);
	fd = dial();
	assert_int_equal(read_some(fd, buf, sizeof(buf) - 1), 0);
	close(fd);
	assert_true(server_wait_log(&srv,
	    "exec modserv-test-prog: not found in "
	    "PATH=/usr/local/bin:/usr/bin:/bin",
	    3000));
	assert_true(server_wait_log(&srv, "exited with status 127", 3000));
	{
		/* the error names the pid the exit line names */
		const char *log = server_log(&srv, 0), *p, *q;
		char line_pid[32], exit_pid[32];

		p = strstr(log, "exec modserv-test-prog: not found");
		q = strstr(log, "exited with status 127");
		while (p > log && p[-1] != '\n')
			p--;
		assert_int_equal(sscanf(p, "%*s %*s [%31[0-9]]", line_pid), 1);
		while (q > log && strncmp(q, "pid ", 4) != 0)
			q--;
		assert_int_equal(sscanf(q, "pid %31[0-9]", exit_pid), 1);
		assert_string_equal(line_pid, exit_pid);
	}
	stop_cleanly();
}

static void
exec_over_unix_says_who_connected_and_counts_against_max_clients(void **state)
{
	char buf[256], want[128];
	struct pollfd pfd;
	int a, b;

	(void)state;
	serve("unix", "exec",
	    "max_clients = 1;\noptions = { argv = [ \"sh\", \"-c\", \"echo "
	    "$PROTO $UNIXREMOTEPID; cat; exit 3\" ]; };");
	a = dial();
	snprintf(want, sizeof(want), "UNIX %d\n", (int)getpid());
	expect(a, want, 0);
	b = dial(); /* waits: the program of a still runs */
	pfd = (struct pollfd){.fd = b, .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 300), 0);
	shutdown(a, SHUT_WR); /* cat ends, the program exits 3 */
	assert_int_equal(read_some(a, buf, sizeof(buf) - 1), 0);
	close(a);
	expect(b, want, 0);
	close(b);
	assert_true(server_wait_log(&srv, "exited with status 3", 3000));
	stop_cleanly();
}

/* filexfer tests prepare the folder themselves */
#define F(f) cmocka_unit_test_setup_teardown(f, NULL, srv_teardown)
HARNESS_MAIN_FOR_MODEL("modules", NULL,
    SRV_TEST(daytime_stamps_the_line_and_closes),
    SRV_TEST(greet_greets_answers_and_quits_on_q),
    SRV_TEST(greet_by_line_splits_glued_messages),
    SRV_TEST(greet_by_read_answers_what_one_read_brings),
    SRV_TEST(greet_by_read_quits_on_q_and_a_line_ending),
    SRV_TEST(ident_names_the_thread_or_process),
    SRV_TEST(ident_answers_datagrams_too),
    F(filexfer_sends_files_beneath_its_root), F(filexfer_refuses_every_way_out),
    SRV_TEST(cmd_runs_only_what_is_allowed_without_a_shell),
    SRV_TEST(cmd_kills_what_runs_too_long_or_says_too_much),
    SRV_TEST(cmd_that_is_slow_does_not_hold_up_other_clients),
    SRV_TEST(cmd_refuses_a_timeout_out_of_range_at_check),
    SRV_TEST(exec_with_an_empty_argv_is_refused_at_check),
    SRV_TEST(cmd_runs_commands_in_a_clean_environment),
    SRV_TEST(cmd_looks_commands_up_on_its_own_path),
    SRV_TEST(env_entries_without_a_value_or_a_name_are_refused_by_the_check),
    SRV_TEST(framed_answers_text_upper_and_binary_as_is),
    SRV_TEST(framed_refuses_bad_headers_and_closes),
    SRV_TEST(framed_echoes_header_fields_whole_at_any_length),
    SRV_TEST(framed_refuses_fields_that_are_not_utf8_strings),
    SRV_TEST(framed_reads_a_long_header_once_not_for_every_piece_of_content),
    SRV_TEST(exec_hands_the_connection_to_a_program),
    SRV_TEST(exec_runs_the_program_with_default_signals),
    SRV_TEST(exec_runs_the_program_in_a_clean_environment),
    SRV_TEST(exec_looks_the_program_up_on_its_own_path),
    SRV_TEST(exec_over_unix_says_who_connected_and_counts_against_max_clients))
