/* harness.h - integration tests: start the real build/modserv on a generated
 * configuration, wait for its "listening on" lines, talk to it as a client,
 * stop it with SIGTERM. */
#ifndef HARNESS_H
#define HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmocka.h>

#define HARNESS_MAX_LISTEN 24

struct server {
	pid_t pid;
	int status;     /* exit status once it exited, else -1 */
	int errfd;      /* its log file (dir/modserv.log), read by us */
	char dir[256];  /* a fresh temporary folder */
	char conf[300]; /* dir/modserv.conf */
	char modules[300], testmodules[300]; /* dir/modules, dir/testmodules:
	                   links to the build's module folders */
	char log[1 << 18];
	size_t loglen;
	int nlisten;
	char service[HARNESS_MAX_LISTEN][64]; /* whose the listener is */
	char transport[HARNESS_MAX_LISTEN][16];
	char addr[HARNESS_MAX_LISTEN][128];
};

/* The server most tests use, with cmocka fixtures: srv_setup prepares it,
 * srv_teardown prints its log if it still runs, stops it, cleans up. */
extern struct server srv;
int srv_setup(void **state);
int srv_teardown(void **state);
/* CLOCK_MONOTONIC in milliseconds. */
long long now_ms(void);
/* The body of main() of a test program run once per model:  PROGRAM
 * MODEL.  Sets *model, calls before (NULL: nothing), and runs tests as the
 * group GROUP/MODEL. */
int run_for_model(int argc, char **argv, const char *group,
    const struct CMUnitTest *tests, size_t n, void (*before)(void),
    const char **model);

/* A test between srv_setup and srv_teardown, as most are. */
#define SRV_TEST(f) cmocka_unit_test_setup_teardown(f, srv_setup, srv_teardown)

/* main() of a test program run once per model (PROGRAM MODEL), whose file
 * has `static const char *model;`: runs before (NULL: nothing), then the
 * tests (CMUnitTests, the arguments after before) as GROUP/MODEL. */
#define HARNESS_MAIN_FOR_MODEL(group, before, ...)                             \
	int main(int argc, char **argv)                                        \
	{                                                                      \
		const struct CMUnitTest tests_[] = {__VA_ARGS__};              \
		return run_for_model(argc, argv, group, tests_,                \
		    sizeof(tests_) / sizeof(*tests_), before, &model);         \
	}

/* main() of a test program run once: the tests (CMUnitTests) as GROUP. */
#define HARNESS_MAIN(group, ...)                                               \
	int main(void)                                                         \
	{                                                                      \
		const struct CMUnitTest tests_[] = {__VA_ARGS__};              \
		return cmocka_run_group_tests_name(group, tests_, NULL, NULL); \
	}

/* The user services run as by default: nobody when the tests run as
 * root (as the shipped configuration does), else the tests' own user. */
const char *harness_user(void);
/* A temporary folder for s (s->dir, 0700), with links to the module
 * folders in it (s->modules, s->testmodules); 0 or -1. */
int server_prepare(struct server *s);
/* Writes s->conf from printf-style text; "@DIR@" in it becomes s->dir and
 * "@MODULES@" the build's module folder, "@TESTMODULES@" the test modules'
 * (as reached through s->dir).  Without a `user` key in the text, services
 * run as harness_user(); without an `access_log` key, the access log is
 * off (the default, the main log, would fill it with a line a request). */
int server_write_conf(struct server *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Writes a one-service configuration: service "s" over transport on
 * listen (NULL: a socket file in s->dir for unix transports, else
 * 127.0.0.1:0) with model and module (looked up in the build's and the
 * test modules), plus more service keys (may be NULL).  Line 3 names the
 * transport, line 4 the module.  0, or -1. */
int server_write_one(struct server *s, const char *transport,
    const char *listen, const char *model, const char *module,
    const char *keys);
/* server_write_one, then server_start for its one listener. */
int server_start_one(struct server *s, const char *transport,
    const char *listen, const char *model, const char *module,
    const char *keys);
/* Starts modserv -c s->conf with extra args (NULL-terminated), waits until
 * nlisten "listening on" lines arrived (a service on a name has one an
 * address) and a worker for each of their services (5 s at most).  0, or
 * -1 (s->log says why; s->status is the exit status if it exited). */
int server_start(struct server *s, int nlisten, ...);
/* Starts argv (a program that runs modserv, say) with its stderr in
 * s->dir/modserv.log, read by server_log; waits for nothing.  0 or -1. */
int server_spawn(struct server *s, const char *const *argv);
/* Runs modserv to completion with args (NULL-terminated) and returns its
 * exit status; its stdout and stderr together end up in out. */
int modserv_run(char *out, size_t outlen, ...);
/* Reads what modserv logged so far (waits up to ms for more). */
const char *server_log(struct server *s, int ms);
/* Times text occurs in what modserv logged so far. */
int server_log_count(struct server *s, const char *text);
/* Waits up to ms for text to appear in the log; 1 if it did. */
int server_wait_log(struct server *s, const char *text, int ms);
/* Reads the file path into buf (size bytes at most) until want is in it,
 * waiting up to ms; 1 if it came. */
int file_wait_for(
    const char *path, const char *want, int ms, char *buf, size_t size);
/* The value of metric NAME{service="SERVICE"} in s's status output
 * (modserv -c s->conf -s, which must succeed), or -1. */
long long server_metric(
    struct server *s, const char *name, const char *service);
/* SIGTERM, then waits (up to 20 s) for the exit: its exit status, 128+sig
 * when killed, or -1 when it did not exit (it is then killed). */
int server_stop(struct server *s);
/* Removes s->dir and what is in it. */
void server_cleanup(struct server *s);

/* A client socket connected to addr over transport, with 10 s receive and
 * send timeouts.  unix-dgram clients get an autobound address to be replied
 * to.  fd or -1. */
int client_connect(const char *transport, const char *addr);
/* A tcp connection to addr ("127.0.0.1:port") from source address from
 * (another 127.0.0.x), with 5 s timeouts.  fd or -1. */
int client_connect_from(const char *from, const char *addr);
/* A tcp port on 127.0.0.1 that was free a moment ago. */
int free_port(void);
int client_send_all(int fd, const void *p, size_t n);
/* Reads exactly n bytes (stream); 0, or -1 on error, timeout or EOF. */
int client_recv_all(int fd, void *p, size_t n);
/* Sends p and reads back n bytes of reply at the same time (so a large
 * message cannot deadlock against the server's own backpressure). */
int client_exchange(int fd, const void *p, size_t n, void *reply);
/* What upper replies: ASCII a-z uppercased, other bytes unchanged. */
void expect_upper(const void *in, size_t n, void *out);

/* A number field of /proc/PID/status ("VmRSS", "Threads"), or -1. */
long proc_status_field(pid_t pid, const char *field);
/* Threads of process pid, from /proc; RSS in KiB. */
int proc_threads(pid_t pid);
long proc_rss_kb(pid_t pid);
/* The pids of pid's children, from /proc; their number. */
int proc_children(pid_t pid, pid_t *out, int max);
/* The one worker under s's master (waits up to 3 s for there to be
 * exactly one; fails the test if not). */
pid_t server_worker(struct server *s);
/* Children of pid that are zombies. */
int proc_zombies(pid_t pid);

#endif
