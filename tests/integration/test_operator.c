/* test_operator.c - modserv run the way operators run it: started by root
 * with services as nobody, modules under a folder only root may enter,
 * killed with -9, sent to the background:  test_operator MODEL. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static const char *model;

#define HELD 10 /* connections a fork worker holds when it is killed */

/* Whether pid ended within ms: reaped by us (orphans come to us, the
 * subreaper), or gone. */
static int
gone_within(pid_t pid, int ms)
{
	long long end = now_ms() + ms;

	do {
		if (waitpid(pid, NULL, WNOHANG) == pid ||
		    (kill(pid, 0) < 0 && errno == ESRCH))
			return 1;
		usleep(10000);
	} while (now_ms() < end);
	return 0;
}

/* Reaps what has ended and says how many of our children still run, once
 * none does or after a second (one may be in the middle of its exit). */
static int
children_left(void)
{
	pid_t kids[64];
	long long end = now_ms() + 1000;
	int n;

	do {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if ((n = proc_children(getpid(), kids, 64)) > 0)
			usleep(10000);
	} while (n > 0 && now_ms() < end);
	return n;
}

static int
answers(const char *addr)
{
	char reply[4];
	int fd = client_connect("tcp", addr), ok;

	if (fd < 0)
		return 0;
	ok = client_exchange(fd, "ok\n", 3, reply) == 0 &&
	     memcmp(reply, "OK\n", 3) == 0;
	close(fd);
	return ok;
}

static void
serve_upper(const char *listen, const char *keys)
{
	if (server_start_one(&srv, "tcp", listen, model, "upper", keys) < 0)
		fail_msg("modserv did not start: %s", server_log(&srv, 0));
}

/* kill -9 of the master: its workers (and a fork worker's requests) end
 * with it, though they became nobody; the port is free for a new one. */
static void
a_killed_master_leaves_nothing_serving(void **state)
{
	char listen[64];
	pid_t worker;
	int held, port = free_port();

	(void)state;
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	serve_upper(listen, NULL);
	worker = server_worker(&srv);
	held = client_connect("tcp", listen);
	assert_true(held >= 0);
	assert_true(answers(listen));
	assert_int_equal(kill(srv.pid, SIGKILL), 0);
	assert_int_equal(waitpid(srv.pid, NULL, 0), srv.pid);
	srv.pid = -1;
	/* the worker drains what it holds (shutdown_timeout 5 s), then ends */
	assert_true(gone_within(worker, 8000));
	assert_false(answers(listen));
	close(held);
	assert_int_equal(children_left(), 0);
	/* a new modserv binds the same port at once */
	server_cleanup(&srv);
	assert_int_equal(server_prepare(&srv), 0);
	serve_upper(listen, NULL);
	assert_true(answers(listen));
	assert_int_equal(server_stop(&srv), 0);
}

/* kill -9 of a fork worker holding max_clients requests: they end with
 * it, and the new worker serves as many again. */
static void
a_killed_fork_worker_takes_its_requests_along(void **state)
{
	pid_t worker, requests[HELD];
	int fds[HELD];
	char reply[4];

	(void)state;
	if (strcmp(model, "fork") != 0)
		skip(); /* only fork has request processes */
	serve_upper(NULL, "max_clients = 10;");
	worker = server_worker(&srv);
	for (int i = 0; i < HELD; i++) {
		fds[i] = client_connect("tcp", srv.addr[0]);
		assert_true(fds[i] >= 0);
		assert_int_equal(client_exchange(fds[i], "hi\n", 3, reply), 0);
	}
	assert_int_equal(proc_children(worker, requests, HELD), HELD);
	assert_int_equal(kill(worker, SIGKILL), 0);
	assert_true(server_wait_log(&srv, "killed by signal 9", 3000));
	for (int i = 0; i < HELD; i++) {
		assert_true(gone_within(requests[i], 3000));
		/* the connection is cut: no answer comes any more */
		assert_true(send(fds[i], "x\n", 2, MSG_NOSIGNAL) < 0 ||
		            recv(fds[i], reply, sizeof(reply), 0) <= 0);
		close(fds[i]);
	}
	for (int i = 0; i < HELD; i++) { /* the new worker has room for all */
		fds[i] = client_connect("tcp", srv.addr[0]);
		assert_int_equal(client_exchange(fds[i], "hi\n", 3, reply), 0);
	}
	for (int i = 0; i < HELD; i++)
		close(fds[i]);
	assert_int_equal(server_stop(&srv), 0);
	assert_int_equal(children_left(), 0);
}

/* Runs modserv with args (NULL-terminated) in a session of its own whose
 * controlling terminal is a new pseudo-terminal on its standard input,
 * output and error, as from an operator's shell; until it exits, or until
 * file has lines lines (then SIGTERM).  Its exit status. */
static int
run_on_terminal(const char *file, int lines, ...)
{
	const char *argv[16] = {MODSERV_BIN};
	int n = 1, master = posix_openpt(O_RDWR | O_NOCTTY), status = -1;
	long long end = now_ms() + 10000;
	char buf[4096];
	va_list ap;
	pid_t pid;

	va_start(ap, lines);
	while (n < 15 && (argv[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	if ((pid = fork()) == 0) {
		int slave;

		setsid();
		if ((slave = open(ptsname(master), O_RDWR)) < 0)
			_exit(126);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	fcntl(master, F_SETFL, O_NONBLOCK);
	while (now_ms() < end && waitpid(pid, &status, WNOHANG) == 0) {
		FILE *f = fopen(file, "r");
		int have = 0;

		while (f && fgets(buf, sizeof(buf), f))
			have++;
		if (f)
			fclose(f);
		if (lines > 0 && have >= lines)
			kill(pid, SIGTERM);
		while (read(master, buf, sizeof(buf)) > 0) /* its output */
			;
		usleep(20000);
	}
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	close(master);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* uidrec's constructor writes the uid it runs as, whether it can reach a
 * terminal and the listeners it holds: under root with user nobody the
 * uid is never 0 — in -t, -M, the start's check, the worker, the check on
 * reload —, the terminal modserv was started from is out of its reach (no
 * TIOCSTI into root's shell, no reading its keystrokes), and only a worker
 * holds a listener (a check holds nothing of the master's). */
static void
module_code_never_runs_as_root_nor_near_its_terminal(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	char file[300], line[64], path[400];
	int fd, lines = 0, listening = 0, pid, uid, euid, tty, listen;
	FILE *f;

	(void)state;
	if (geteuid() != 0 || pw == NULL)
		skip();
	snprintf(file, sizeof(file), "/tmp/modserv-uids.%d", (int)getpid());
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0666), 0); /* nobody appends to it */
	close(fd);
	setenv("MODSERV_TEST_UID_FILE", file, 1);
	assert_int_equal(server_write_one(&srv, "tcp", NULL, model, "uidrec",
	                     "user = \"nobody\";"),
	    0);
	assert_int_equal(
	    run_on_terminal(file, 0, "-t", "-c", srv.conf, NULL), 0);
	snprintf(path, sizeof(path), "%s/uidrec.so", srv.testmodules);
	assert_int_equal(run_on_terminal(file, 0, "-M", path, NULL), 0);
	/* served from the terminal: the start's check, then the worker */
	assert_int_equal(run_on_terminal(file, 4, "-c", srv.conf, NULL), 0);
	assert_int_equal(server_start(&srv, 1, NULL), 0);
	assert_int_equal(kill(srv.pid, SIGHUP), 0);
	assert_true(server_wait_log(&srv, "reloaded:", 5000));
	assert_int_equal(server_stop(&srv), 0);
	unsetenv("MODSERV_TEST_UID_FILE");
	f = fopen(file, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		assert_int_equal(sscanf(line, "%d %d %d %d %d", &pid, &uid,
		                     &euid, &tty, &listen),
		    5);
		if (uid != (int)pw->pw_uid || euid != (int)pw->pw_uid)
			fail_msg("module code ran as uid %d/%d (pid %d)", uid,
			    euid, pid);
		if (tty)
			fail_msg("module code (pid %d) could reach the "
			         "terminal (line %d)",
			    pid, lines + 1);
		listening += listen > 0;
		lines++;
	}
	fclose(f);
	unlink(file);
	/* -t, -M, served: check and worker, again: check, worker, reload */
	assert_true(lines >= 7);
	/* only the two workers held a listener: no check got the master's */
	assert_int_equal(listening, 2);
}

/* A module in a folder only root may enter (a checkout under /root, a
 * 0700 home) loads and serves as nobody. */
static void
a_module_in_a_folder_only_root_may_enter_serves(void **state)
{
	char cmd[1200], out[4096];

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(cmd, sizeof(cmd),
	    "mkdir -m 0700 %s/home && cp %s/upper.so %s/home/mine.so", srv.dir,
	    srv.modules, srv.dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(server_write_one(&srv, "tcp", NULL, model,
	                     "@DIR@/home/mine.so", "user = \"nobody\";"),
	    0);
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-t", "-c", srv.conf, NULL), 0);
	assert_int_equal(server_start(&srv, 1, NULL), 0);
	assert_true(answers(srv.addr[0]));
	assert_int_equal(server_stop(&srv), 0);
}

/* A module file only root may read (mode 0600) is copied into memory by
 * root and the copy loaded by the service's user: -t, -M and serving. */
static void
a_module_file_only_root_may_read_loads_as_its_user(void **state)
{
	char cmd[1200], out[4096], path[400];

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(cmd, sizeof(cmd),
	    "cp %s/upper.so %s/secret.so && chmod 0600 %s/secret.so",
	    srv.modules, srv.dir, srv.dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(server_write_one(&srv, "tcp", NULL, model,
	                     "@DIR@/secret.so", "user = \"nobody\";"),
	    0);
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-t", "-c", srv.conf, NULL), 0);
	snprintf(path, sizeof(path), "%s/secret.so", srv.dir);
	assert_int_equal(modserv_run(out, sizeof(out), "-M", path, NULL), 0);
	assert_non_null(strstr(out, "module   upper"));
	assert_int_equal(server_start(&srv, 1, NULL), 0);
	assert_true(answers(srv.addr[0]));
	assert_int_equal(server_stop(&srv), 0);
}

/* -d whose worker cannot start: exit 1 with the reason, and nothing left
 * behind, neither a process nor the pidfile. */
static void
background_start_that_fails_leaves_nothing(void **state)
{
	char out[4096], pidfile[300];

	(void)state;
	snprintf(pidfile, sizeof(pidfile), "%s/modserv.pid", srv.dir);
	assert_int_equal(
	    server_write_conf(&srv,
	        "module_path = [ \"@TESTMODULES@\" ];\n"
	        "pidfile = \"modserv.pid\";\n"
	        "log = \"service.log\";\n"
	        "services = ( { name = \"s\"; transport = \"tcp\";\n"
	        "  listen = \"127.0.0.1:0\"; model = \"%s\";\n"
	        "  module = \"bad_init\"; } );\n",
	        model),
	    0);
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-d", "-c", srv.conf, NULL), 1);
	assert_non_null(strstr(out, "service s: its worker did not start"));
	assert_int_equal(access(pidfile, F_OK), -1);
	assert_int_equal(children_left(), 0);
}

/* -t refuses what could never be made: a unix socket, log, pidfile or
 * status socket in a folder that does not exist, a log or pidfile that is
 * a folder, a socket path where a file is; file:line and key. */
static void
check_refuses_files_that_could_not_be_made(void **state)
{
	static const struct {
		const char *top, *listen, *key, *why;
		int line;
	} cases[] = {
	    {"", "@DIR@/no/s.sock", "services.[0].listen",
	        "/no, which does not exist", 4},
	    {"log = \"no/modserv.log\";", "127.0.0.1:0", "log",
	        "/no, which does not exist", 1},
	    {"pidfile = \"no/modserv.pid\";", "127.0.0.1:0", "pidfile",
	        "/no, which does not exist", 1},
	    {"status_socket = \"no/status.sock\";", "127.0.0.1:0",
	        "status_socket", "/no, which does not exist", 1},
	    {"log = \"modules\";", "127.0.0.1:0", "log",
	        "/modules is a folder, not a file", 1},
	    {"", "@DIR@/modserv.conf", "services.[0].listen",
	        "/modserv.conf exists and is not a socket", 4},
	};
	char out[4096], want[400];

	(void)state;
	if (strcmp(model, "thread") != 0)
		skip(); /* the same check for every model */
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		assert_int_equal(
		    server_write_conf(&srv,
		        "%s\nmodule_path = [ \"@MODULES@\" ];\n"
		        "services = ( { name = \"s\"; transport = \"%s\";\n"
		        "  listen = \"%s\"; module = \"echo\"; } );\n",
		        cases[i].top,
		        cases[i].listen[0] == '@' ? "unix" : "tcp",
		        cases[i].listen),
		    0);
		assert_int_equal(
		    modserv_run(out, sizeof(out), "-t", "-c", srv.conf, NULL),
		    1);
		snprintf(want, sizeof(want),
		    "modserv.conf:%d: %s: ", cases[i].line, cases[i].key);
		if (strstr(out, want) == NULL ||
		    strstr(out, cases[i].why) == NULL)
			fail_msg("case %zu: %s", i, out);
	}
}

/* filexfer's root named through a symbolic link in a folder anyone may
 * change: root does not follow it for the service, so a user who swaps
 * the link cannot point the service where nobody could not look; the
 * same folder named directly is opened by root, and served. */
static void
root_opens_a_path_option_only_along_no_symbolic_link(void **state)
{
	char cmd[2400], out[4096], open_dir[64];

	(void)state;
	if (geteuid() != 0 || strcmp(model, "thread") != 0)
		skip(); /* the same check for every model */
	snprintf(open_dir, sizeof(open_dir), "/tmp/modserv-anyone.%d",
	    (int)getpid());
	snprintf(cmd, sizeof(cmd),
	    "mkdir -p -m 0755 %s/secret/pub && echo hi >%s/secret/pub/f && "
	    "mkdir -m 0777 %s && ln -s %s/secret/pub %s/www",
	    srv.dir, srv.dir, open_dir, srv.dir, open_dir);
	assert_int_equal(system(cmd), 0);
	snprintf(
	    cmd, sizeof(cmd), "options = { root = \"%s/www\"; };", open_dir);
	assert_int_equal(
	    server_write_one(&srv, "tcp", NULL, model, "filexfer", cmd), 0);
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-t", "-c", srv.conf, NULL), 1);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", open_dir);
	assert_int_equal(system(cmd), 0);
	if (strstr(out, "options.root: ") == NULL ||
	    strstr(out, "as user nobody; root opens it for the service only "
	                "along a path without symbolic links") == NULL)
		fail_msg("%s", out);
	assert_int_equal(server_write_one(&srv, "tcp", NULL, model, "filexfer",
	                     "options = { root = \"@DIR@/secret/pub\"; };"),
	    0);
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-t", "-c", srv.conf, NULL), 0);
	/* a folder the user may not search itself is no use: said so */
	assert_int_equal(server_write_one(&srv, "tcp", NULL, model, "filexfer",
	                     "options = { root = \"@DIR@/secret\"; };"),
	    0);
	snprintf(cmd, sizeof(cmd), "chmod 0700 %s/secret", srv.dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-t", "-c", srv.conf, NULL), 1);
	if (strstr(out, "/secret: user nobody may not search it (mode 0700") ==
	    NULL)
		fail_msg("%s", out);
}

/* A module path that is a FIFO (or a device) is refused at once, never
 * opened blocking by root. */
static void
a_module_that_is_no_regular_file_is_refused_at_once(void **state)
{
	char fifo[300], out[4096];
	long long t0 = now_ms();

	(void)state;
	if (strcmp(model, "thread") != 0)
		skip(); /* the same check for every model */
	snprintf(fifo, sizeof(fifo), "%s/fifo.so", srv.dir);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(
	    server_write_one(&srv, "tcp", NULL, model, "@DIR@/fifo.so", NULL),
	    0);
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-t", "-c", srv.conf, NULL), 1);
	assert_non_null(strstr(out, "fifo.so: not a regular file"));
	assert_true(now_ms() - t0 < 5000);
}

/* `killall -USR1 modserv` after a log rotation, or a terminal's hangup,
 * reaches request processes too: they serve on. */
static void
rotation_and_hangup_signals_spare_fork_requests(void **state)
{
	pid_t worker, request;
	char reply[4];
	int fd;

	(void)state;
	if (strcmp(model, "fork") != 0)
		skip(); /* only fork has request processes */
	serve_upper(NULL, NULL);
	worker = server_worker(&srv);
	fd = client_connect("tcp", srv.addr[0]);
	assert_int_equal(client_exchange(fd, "hi\n", 3, reply), 0);
	assert_int_equal(proc_children(worker, &request, 1), 1);
	assert_int_equal(kill(request, SIGUSR1), 0);
	assert_int_equal(kill(request, SIGHUP), 0);
	assert_int_equal(client_exchange(fd, "ok\n", 3, reply), 0);
	assert_memory_equal(reply, "OK\n", 3);
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
	assert_null(strstr(srv.log, "killed by signal"));
}

/* A program exec runs (one that ignores SIGTERM) ends when its worker is
 * killed: nothing of modserv is left serving the connection. */
static void
an_exec_program_ends_with_its_worker(void **state)
{
	pid_t worker, kids[4], program;
	char reply[4];
	int fd, n;
	long long end;

	(void)state;
	serve_upper(NULL, NULL); /* for the folder; replaced below */
	assert_int_equal(server_stop(&srv), 0);
	server_cleanup(&srv);
	assert_int_equal(server_prepare(&srv), 0);
	if (server_start_one(&srv, "tcp", NULL, model, "exec",
	        "options = { argv = [ \"/bin/sh\", \"-c\", \"trap '' TERM; "
	        "while read l; do echo $l; done\" ]; };") < 0)
		fail_msg("modserv did not start: %s", server_log(&srv, 0));
	worker = server_worker(&srv);
	fd = client_connect("tcp", srv.addr[0]);
	assert_int_equal(client_exchange(fd, "hi\n", 3, reply), 0);
	/* the program: the worker's child, or its request process's */
	end = now_ms() + 3000;
	while ((n = proc_children(worker, kids, 4)) != 1 && now_ms() < end)
		usleep(10000);
	assert_int_equal(n, 1);
	program = kids[0];
	if (strcmp(model, "fork") == 0) {
		assert_int_equal(proc_children(kids[0], kids, 4), 1);
		program = kids[0];
	}
	assert_int_equal(kill(worker, SIGKILL), 0);
	assert_true(gone_within(program, 3000));
	close(fd);
	assert_int_equal(server_stop(&srv), 0);
}

static void
operator_subreaper(void)
{
	/* what modserv leaves orphaned comes to us, to be counted */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
}

HARNESS_MAIN_FOR_MODEL("operator", operator_subreaper,
    SRV_TEST(a_killed_master_leaves_nothing_serving),
    SRV_TEST(a_killed_fork_worker_takes_its_requests_along),
    SRV_TEST(module_code_never_runs_as_root_nor_near_its_terminal),
    SRV_TEST(a_module_in_a_folder_only_root_may_enter_serves),
    SRV_TEST(a_module_file_only_root_may_read_loads_as_its_user),
    SRV_TEST(background_start_that_fails_leaves_nothing),
    SRV_TEST(check_refuses_files_that_could_not_be_made),
    SRV_TEST(root_opens_a_path_option_only_along_no_symbolic_link),
    SRV_TEST(a_module_that_is_no_regular_file_is_refused_at_once),
    SRV_TEST(rotation_and_hangup_signals_spare_fork_requests),
    SRV_TEST(an_exec_program_ends_with_its_worker))
