/* cmd - seed 000's framed command server (the 粘包 fix), made safe: each
 * message is a command line; the reply is a 4-byte native-endian header
 * length, the JSON header {"dataBodyLength": N}, then N bytes of body: the
 * command's stdout, or its stderr when stdout is empty.  Only command lines
 * an entry of the option allow names run (allow.h: a command, a command
 * line, a command with the arguments it may take), split into words without
 * a shell, with a time limit, an output cap and resource limits, in a clean
 * environment (PATH, UCSPI's, what env sets and pass_env passes), under a
 * keeper that ends whatever the command started (ms_spawn); anything else
 * gets an "error: ..." body. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <modserv.h>

#include "allow.h"

static const struct ms_option cmd_options[] = {
    {.name = "allow",
        .type = MS_OPT_LIST,
        .help =
            "what may run: \"date\" (any arguments), \"date +%s\" (this line), \"uname [-a -r]\" (these arguments), \"uptime []\" (none); empty: nothing",
        .check = allow_check},
    {.name = "timeout",
        .type = MS_OPT_INT,
        .def = "5",
        .help = "seconds a command may run",
        .min = 1,
        .max = 3600},
    {.name = "max_output",
        .type = MS_OPT_INT,
        .def = "1048576",
        .help = "bytes of output at most",
        .min = 1,
        .max = LLONG_MAX},
    {.name = "rlimit_as",
        .type = MS_OPT_INT,
        .def = "268435456",
        .help =
            "bytes of address space each of its processes may map (0: no limit)",
        .min = 0,
        .max = LLONG_MAX},
    {.name = "rlimit_cpu",
        .type = MS_OPT_INT,
        .def = "0",
        .help = "CPU seconds each of its processes may use (0: the timeout)",
        .min = 0,
        .max = 3600},
    {.name = "rlimit_files",
        .type = MS_OPT_INT,
        .def = "64",
        .help = "descriptors each of its processes may hold (0: no limit)",
        .min = 0,
        .max = 1048576},
    {.name = "max_processes",
        .type = MS_OPT_INT,
        .def = "16",
        .help = "processes and threads a command may start (0: no limit)",
        .min = 0,
        .max = 65536},
    {.name = "env",
        .type = MS_OPT_ENV,
        .help = "NAME=value set in its environment"},
    {.name = "pass_env",
        .type = MS_OPT_ENV_NAMES,
        .help = "variables of modserv's environment it gets too"},
    {0},
};

#define CMD_MAX_WORDS 64

/* What a command printed, and why it stopped. */
struct cmd_result {
	char *out, *err;
	size_t outlen, errlen;
	char failure[384]; /* empty, or why there is no output to send */
};

/* env then pass_env's bare names: the one list ms_environ takes. */
static int
cmd_init(ms_service *svc, char *err, size_t errlen)
{
	size_t nset, npass;
	const char *const *set = ms_opt_list(svc, "env", &nset);
	const char *const *pass = ms_opt_list(svc, "pass_env", &npass);
	const char **env;

	if ((env = calloc(nset + npass + 1, sizeof(*env))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(env, set, nset * sizeof(*env));
	memcpy(env + nset, pass, npass * sizeof(*env));
	ms_service_set_data(svc, env);
	return 0;
}

static void
cmd_fini(ms_service *svc)
{
	free(ms_service_data(svc));
}

static void
cmd_reply(ms_request *req, const char *body, size_t n)
{
	char header[64];
	int32_t hlen = (int32_t)snprintf(
	    header, sizeof(header), "{\"dataBodyLength\": %zu}", n);

	ms_write(req, &hlen, sizeof(hlen)); /* struct.pack("i"): native */
	ms_write(req, header, (size_t)hlen);
	ms_write(req, body, n);
}

static void cmd_reply_error(ms_request *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* An "error: ..." body, framed like any reply. */
static void
cmd_reply_error(ms_request *req, const char *fmt, ...)
{
	char body[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	cmd_reply(
	    req, body, (size_t)n < sizeof(body) ? (size_t)n : sizeof(body) - 1);
}

/* Splits line into words at blanks: no quoting, no expansion, no shell.
 * Their number; past CMD_MAX_WORDS, CMD_MAX_WORDS + 1 (and none is run). */
static size_t
cmd_split(char *line, char **argv)
{
	size_t n = 0;
	char *save;

	for (char *w = strtok_r(line, " \t\r\n", &save); w;
	     w = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == CMD_MAX_WORDS)
			return CMD_MAX_WORDS + 1;
		argv[n++] = w;
	}
	argv[n] = NULL;
	return n;
}

static int
cmd_allowed(ms_service *svc, char *const *argv, size_t argc)
{
	size_t n;
	const char *const *allow = ms_opt_list(svc, "allow", &n);

	for (size_t i = 0; i < n; i++)
		if (allow_match(allow[i], argv, argc))
			return 1;
	return 0;
}

static long long
cmd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads what fd has into *buf; 0 at EOF, 1 if more may come, -1 past cap. */
static int
cmd_drain(int fd, char **buf, size_t *len, size_t cap)
{
	char chunk[16384];
	ssize_t n = read(fd, chunk, sizeof(chunk));
	char *p;

	if (n <= 0)
		return n < 0 && errno == EINTR ? 1 : 0;
	if (*len + (size_t)n > cap)
		return -1;
	if ((p = realloc(*buf, *len + (size_t)n)) == NULL)
		return -1;
	memcpy(p + *len, chunk, (size_t)n);
	*buf = p;
	*len += (size_t)n;
	return 1;
}

/* Collects the command's stdout and stderr until both end, the deadline
 * passes or the cap is reached (then a failure says so). */
static void
cmd_collect(int out, int err, long long deadline, long long timeout_ms,
    size_t cap, struct cmd_result *res)
{
	struct pollfd pfd[2] = {{out, POLLIN, 0}, {err, POLLIN, 0}};

	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		long long left = deadline - cmd_now_ms();

		if (left <= 0) {
			snprintf(res->failure, sizeof(res->failure),
			    "ran longer than %lld s: killed",
			    timeout_ms / 1000);
			break;
		}
		if (poll(pfd, 2, (int)left) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			int rc;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			rc = i == 0 ? cmd_drain(out, &res->out, &res->outlen,
			                  cap - res->errlen)
			            : cmd_drain(err, &res->err, &res->errlen,
			                  cap - res->outlen);
			if (rc < 0) {
				snprintf(res->failure, sizeof(res->failure),
				    "printed more than %zu bytes: killed", cap);
				return;
			}
			if (rc == 0)
				pfd[i].fd = -1;
		}
	}
}

/* Reaps pid by deadline: 0, or -1 if it still runs (its output may have
 * ended long before it does). */
static int
cmd_wait(pid_t pid, long long deadline, int *status)
{
	struct pollfd pfd = {.fd = pidfd_open(pid, 0), .events = POLLIN};
	int rc = -1;

	for (;;) {
		pid_t got = waitpid(pid, status, WNOHANG);
		long long left = deadline - cmd_now_ms();

		if (got == pid || (got < 0 && errno != EINTR)) {
			rc = 0;
			break;
		}
		if (left <= 0)
			break;
		if (pfd.fd < 0 || poll(&pfd, 1, (int)left) < 0)
			usleep(10000);
	}
	if (pfd.fd >= 0)
		close(pfd.fd);
	return rc;
}

/* The limits options set; rlimit_cpu 0 is the timeout. */
static void
cmd_limits(ms_service *svc, struct ms_limits *l)
{
	long long cpu = ms_opt_int(svc, "rlimit_cpu");

	l->address_space = (unsigned long long)ms_opt_int(svc, "rlimit_as");
	l->cpu_seconds =
	    (unsigned long long)(cpu ? cpu : ms_opt_int(svc, "timeout"));
	l->open_files = (unsigned long long)ms_opt_int(svc, "rlimit_files");
	l->processes = (unsigned long long)ms_opt_int(svc, "max_processes");
}

/* Why a command that printed nothing ended, if not with status 0. */
static void
cmd_ended(int status, struct cmd_result *res)
{
	if (res->failure[0] || res->outlen > 0 || res->errlen > 0)
		return;
	if (WIFSIGNALED(status)) {
		const char *name = sigabbrev_np(WTERMSIG(status));

		snprintf(res->failure, sizeof(res->failure),
		    "killed by SIG%s%s", name ? name : "?",
		    WTERMSIG(status) == SIGXCPU ? " (rlimit_cpu)" : "");
	} else if (WEXITSTATUS(status) != 0) {
		snprintf(res->failure, sizeof(res->failure),
		    "exited with status %d", WEXITSTATUS(status));
	}
}

/* Runs path with argv and envp; its output or failure in res.  Always
 * reaps the command, and what it started is gone then. */
static void
cmd_spawn(ms_service *svc, const char *path, char **argv, char **envp,
    struct cmd_result *res)
{
	struct ms_limits limits;
	int out[2], err[2], status = 0;
	pid_t pid;

	if (pipe2(out, O_CLOEXEC) < 0) {
		snprintf(res->failure, sizeof(res->failure), "pipe: %s",
		    strerror(errno));
		return;
	}
	if (pipe2(err, O_CLOEXEC) < 0) {
		snprintf(res->failure, sizeof(res->failure), "pipe: %s",
		    strerror(errno));
		close(out[0]);
		close(out[1]);
		return;
	}
	cmd_limits(svc, &limits);
	pid = ms_spawn(path, argv, envp, (int[3]){-1, out[1], err[1]}, &limits);
	if (pid < 0)
		snprintf(
		    res->failure, sizeof(res->failure), "%s", strerror(errno));
	close(out[1]);
	close(err[1]);
	if (pid > 0) {
		long long timeout_ms = ms_opt_int(svc, "timeout") * 1000;
		long long deadline = cmd_now_ms() + timeout_ms;

		cmd_collect(out[0], err[0], deadline, timeout_ms,
		    (size_t)ms_opt_int(svc, "max_output"), res);
		if (!res->failure[0] && cmd_wait(pid, deadline, &status) < 0)
			snprintf(res->failure, sizeof(res->failure),
			    "ran longer than %lld s: killed",
			    timeout_ms / 1000);
		if (res->failure[0])
			ms_spawn_end(pid, &status); /* and all it started */
		cmd_ended(status, res);
	}
	close(out[0]);
	close(err[0]);
}

/* The file argv[0] names on envp's PATH, into path; else the reason in
 * res (logged too: an allowed command that is missing is the admin's). */
static int
cmd_find(ms_request *req, char **envp, const char *name, char *path,
    size_t pathlen, struct cmd_result *res)
{
	if (envp == NULL) {
		snprintf(res->failure, sizeof(res->failure), "out of memory");
		return -1;
	}
	if (ms_program_find(envp, name, path, pathlen, res->failure,
	        sizeof(res->failure)) < 0) {
		ms_log(ms_request_service(req), MS_LOG_WARN, "%s: %s: %s",
		    ms_peer(req), name, res->failure);
		return -1;
	}
	return 0;
}

/* Runs argv in its clean environment; its output or failure in res.
 * Always reaps the child. */
static void
cmd_run(ms_request *req, char **argv, struct cmd_result *res)
{
	ms_service *svc = ms_request_service(req);
	char **envp = ms_environ(req, ms_service_data(svc)), path[4096];

	if (cmd_find(req, envp, argv[0], path, sizeof(path), res) == 0)
		cmd_spawn(svc, path, argv, envp, res);
	free(envp);
}

static int
cmd_handle(ms_request *req)
{
	ms_service *svc = ms_request_service(req);
	char line[4096], *argv[CMD_MAX_WORDS + 1];
	struct cmd_result res = {0};
	size_t n, argc;
	const char *in = ms_peek(req, &n);

	if (n == 0)
		return ms_eof(req) ? MS_CLOSE : MS_MORE;
	if (n >= sizeof(line) || memchr(in, '\0', n)) {
		ms_consume(req, n);
		cmd_reply_error(req, "error: not a command line\n");
		return MS_MORE;
	}
	memcpy(line, in, n); /* a message is what one read brought */
	line[n] = '\0';
	ms_consume(req, n);
	if ((argc = cmd_split(line, argv)) == 0) {
		cmd_reply_error(req, "error: no command\n");
	} else if (argc > CMD_MAX_WORDS) {
		cmd_reply_error(req, "error: %s: more than %d words: not run\n",
		    argv[0], CMD_MAX_WORDS);
	} else if (!cmd_allowed(svc, argv, argc)) {
		cmd_reply_error(req, "error: %s: not allowed\n", argv[0]);
	} else {
		cmd_run(req, argv, &res);
		if (res.failure[0])
			cmd_reply_error(
			    req, "error: %s: %s\n", argv[0], res.failure);
		else if (res.outlen > 0)
			cmd_reply(req, res.out, res.outlen);
		else
			cmd_reply(req, res.err, res.errlen);
		free(res.out);
		free(res.err);
	}
	return MS_MORE;
}

MODSERV_MODULE(.name = "cmd",
    .summary = "runs allowed commands, replies with framed output",
    .flags = MS_F_STREAM_ONLY | MS_F_BLOCKING, .options = cmd_options,
    .init = cmd_init, .fini = cmd_fini, .handle = cmd_handle);
