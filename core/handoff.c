/* handoff.c - ms_exec: hand a connection to a program, as inetd does, with
 * UCSPI variables; reap it and say how it ended. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "request.h"
#include "transport.h"
#include "worker.h"

extern char **environ;

#define HANDOFF_VARS 8

/* "NAME=value" of one UCSPI variable, into vars[*n]. */
static void handoff_var(char vars[][160], size_t *n, const char *name,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
handoff_var(char vars[][160], size_t *n, const char *name, const char *fmt, ...)
{
	int len = snprintf(vars[*n], 160, "%s=", name);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vars[*n] + len, (size_t)(160 - len), fmt, ap);
	va_end(ap);
	(*n)++;
}

/* Splits "1.2.3.4:80" / "[::1]:80" into host and port. */
static void
handoff_split(const char *text, char *host, size_t hostlen, const char **port)
{
	const char *colon = strrchr(text, ':');
	size_t n = colon ? (size_t)(colon - text) : strlen(text);

	if (text[0] == '[' && n >= 2) { /* [v6] */
		text++;
		n -= 2;
	}
	snprintf(host, hostlen, "%.*s", (int)n, text);
	*port = colon ? colon + 1 : "";
}

/* The UCSPI variables for r's connection. */
static size_t
handoff_ucspi(struct ms_request *r, char vars[][160])
{
	char host[ADDR_TEXT_MAX], local[ADDR_TEXT_MAX];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	const char *port;
	size_t n = 0;

	handoff_var(vars, &n, "MODSERV_SERVICE", "%s", service_name(r->svc));
	if (r->peer.ss_family == AF_UNIX) {
		struct ucred cred;
		socklen_t clen = sizeof(cred);

		handoff_var(vars, &n, "PROTO", "UNIX");
		if (getsockopt(r->fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) ==
		    0) {
			handoff_var(
			    vars, &n, "UNIXREMOTEPID", "%d", (int)cred.pid);
			handoff_var(vars, &n, "UNIXREMOTEEUID", "%u", cred.uid);
			handoff_var(vars, &n, "UNIXREMOTEEGID", "%u", cred.gid);
		}
		return n;
	}
	handoff_var(vars, &n, "PROTO", "TCP");
	handoff_split(ms_peer(r), host, sizeof(host), &port);
	handoff_var(vars, &n, "TCPREMOTEIP", "%s", host);
	handoff_var(vars, &n, "TCPREMOTEPORT", "%s", port);
	if (getsockname(r->fd, (struct sockaddr *)&ss, &len) == 0) {
		addr_format((struct sockaddr *)&ss, len, local, sizeof(local));
		handoff_split(local, host, sizeof(host), &port);
		handoff_var(vars, &n, "TCPLOCALIP", "%s", host);
		handoff_var(vars, &n, "TCPLOCALPORT", "%s", port);
	}
	return n;
}

/* modserv's environment, the UCSPI variables, then the module's env. */
static char **
handoff_environ(char vars[][160], size_t nvars, const char *const *env)
{
	size_t n = 0, k = 0, extra = 0;
	char **out;

	while (environ[n])
		n++;
	while (env && env[extra])
		extra++;
	if ((out = calloc(n + nvars + extra + 1, sizeof(char *))) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		out[k++] = environ[i];
	for (size_t i = 0; i < nvars; i++)
		out[k++] = vars[i];
	for (size_t i = 0; i < extra; i++)
		out[k++] = (char *)env[i];
	return out;
}

/* The child: the connection on 0 and 1, blocking; then the program. */
static void
handoff_child(struct ms_request *r, const char *const *argv, char **envp)
{
	int fd = r->fd;

	worker_reset_signals(1);
	prctl(PR_SET_PDEATHSIG, SIGTERM); /* cut off with the worker */
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0)
		_exit(126);
	if (fd > 1)
		close(fd);
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) & ~O_NONBLOCK);
	execvpe(argv[0], (char *const *)argv, envp);
	log_syserr(MS_LOG_ERROR, service_name(r->svc), "exec %s", argv[0]);
	_exit(127);
}

int
ms_exec(ms_request *req, const char *const *argv, const char *const *env)
{
	char vars[HANDOFF_VARS][160];
	char **envp;
	pid_t pid;

	if (req->datagram || argv == NULL || argv[0] == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (buffer_len(&req->in) > 0 || req->child) {
		errno = EBUSY;
		return -1;
	}
	/* queued output goes first, on a blocking socket as the program's */
	fcntl(req->fd, F_SETFL, fcntl(req->fd, F_GETFL) & ~O_NONBLOCK);
	if (output_pending(&req->out) && output_send(&req->out, req->fd) < 0)
		return -1;
	if ((envp = handoff_environ(vars, handoff_ucspi(req, vars), env)) ==
	    NULL)
		return -1;
	pid = fork();
	if (pid == 0)
		handoff_child(req, argv, envp);
	free(envp);
	if (pid < 0)
		return -1;
	log_debug(service_name(req->svc), "%s: handed to %s, pid %d",
	    ms_peer(req), argv[0], (int)pid);
	/* the program holds the connection now; our copy would keep it open */
	close(req->fd);
	req->fd = -1;
	req->child = pid;
	req->done = 1;
	return 0;
}

int
request_reap_child(struct ms_request *r, int block)
{
	int status;
	pid_t pid;

	if (r->child <= 0) /* never waitpid(0): that is any child */
		return 1;
	do
		pid = waitpid(r->child, &status, block ? 0 : WNOHANG);
	while (pid < 0 && errno == EINTR);
	if (pid == 0)
		return 0;
	if (pid < 0)
		log_syserr(MS_LOG_WARN, service_name(r->svc), "waitpid %d",
		    (int)r->child);
	else {
		char what[ADDR_TEXT_MAX + 32];

		snprintf(what, sizeof(what), "%s: program, pid", ms_peer(r));
		log_exit(service_name(r->svc), what, pid, status, 0);
	}
	r->child = 0;
	return 1;
}
