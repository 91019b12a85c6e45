/* request_exec.c - ms_exec: hand a connection to a program, as inetd does,
 * in the environment ms_environ builds, under a keeper (contain.c), over
 * TLS through a relay (tls_relay.c); end it when its connection is idle;
 * reap it and say how it ended. */
#include "request_exec.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conn_tls.h"
#include "contain.h"
#include "log.h"
#include "reap.h"
#include "tls_relay.h"
#include "worker.h"

/* An idle program told to stop (its keeper gives it 1 s after SIGTERM)
 * is killed with its keeper this long after, if the keeper is stuck. */
#define EXEC_GRACE_MS 3000

/* What ms_exec sends before the program starts: the blocking socket has
 * idle_timeout as its send timeout under thread and fork (none under
 * select), and output still queued when it ran out is an error. */
static int
exec_send_queued(struct ms_request *r)
{
	int rc = output_send(&r->out, &r->conn);

	if (rc == 0)
		errno = ETIMEDOUT;
	return rc == 1 ? 0 : -1;
}

/* The child: the connection on 0 and 1, blocking; then the program. */
static void
exec_child(struct ms_request *r, int fd, const char *const *argv, char **envp,
    pid_t parent)
{
	char path[4096], why[1024];

	worker_reset_signals(1);
	/* this process keeps the program: what it starts ends with it */
	if (contain_begin(parent) < 0)
		_exit(126);
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0)
		_exit(126);
	if (fd > 1)
		close(fd);
	/* looked up on envp's PATH: execvpe would search modserv's */
	if (ms_program_find(
	        envp, argv[0], path, sizeof(path), why, sizeof(why)) < 0) {
		log_error(service_name(r->svc), "%s: exec %s: %s", ms_peer(r),
		    argv[0], why);
		_exit(127);
	}
	execve(path, (char *const *)argv, envp);
	log_syserr(MS_LOG_ERROR, service_name(r->svc), "%s: exec %s",
	    ms_peer(r), path);
	_exit(126);
}

/* The relay, for a TLS connection: the program, under its keeper, gets
 * one end of a socket pair as its connection; this process relays it to
 * ssl and exits as the keeper did. */
static void
exec_relay(struct ms_request *r, SSL *ssl, const char *const *argv, char **envp,
    pid_t parent)
{
	int sock = conn_fd(&r->conn), pair[2];
	pid_t keeper, self = getpid();

	if (tls_relay_begin(parent, sock, pair) < 0 || (keeper = fork()) < 0) {
		log_syserr(MS_LOG_ERROR, service_name(r->svc),
		    "%s: exec %s: no TLS relay", ms_peer(r), argv[0]);
		_exit(126);
	}
	if (keeper == 0) {
		close(pair[0]);
		close(sock); /* the program's connection is its pair's end */
		exec_child(r, pair[1], argv, envp, self);
	}
	close(pair[1]);
	contain_exit_as(tls_relay_run(ssl, pair[0], keeper));
}

/* The descriptor the program is to have as its connection, and the one
 * idle_timeout watches (*watch): the socket itself, or over TLS (*ssl
 * set) no descriptor yet (-2: the relay makes it) and the socket. */
static int
exec_connection(struct ms_request *r, SSL **ssl, int *watch)
{
	int fd = conn_hand_over(&r->conn);

	*ssl = NULL;
	*watch = fd;
	if (fd >= 0 || errno != EPROTONOSUPPORT ||
	    (*ssl = conn_tls_ssl(&r->conn)) == NULL)
		return fd;
	*watch = conn_fd(&r->conn);
	return -2;
}

int
ms_exec(ms_request *req, const char *const *argv, const char *const *env)
{
	char **envp;
	pid_t pid, self = getpid();
	int fd, watch;
	SSL *ssl;

	if (req->datagram || argv == NULL || argv[0] == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (buffer_len(&req->in) > 0 || req->child) {
		errno = EBUSY;
		return -1;
	}
	/* queued output goes first, on a blocking socket as the program's */
	if (conn_set_blocking(&req->conn) < 0)
		return -1;
	if (output_pending(&req->out) && exec_send_queued(req) < 0)
		return -1;
	if ((fd = exec_connection(req, &ssl, &watch)) == -1)
		return -1;
	if (req->svc->conf->idle_timeout > 0 &&
	    traffic_open(&req->traffic, watch, service_now_ms()) < 0)
		return -1;
	/* it reads every TLS variable, kept with the request for its
	 * access-log line and finish, after its connection went */
	if ((envp = ms_environ(req, env)) == NULL) {
		traffic_close(&req->traffic);
		return -1;
	}
	pid = fork();
	if (pid == 0 && ssl)
		exec_relay(req, ssl, argv, envp, self);
	if (pid == 0)
		exec_child(req, fd, argv, envp, self);
	free(envp);
	if (pid < 0) {
		traffic_close(&req->traffic);
		return -1;
	}
	log_debug(service_name(req->svc), "%s: handed to %s, pid %d%s",
	    ms_peer(req), argv[0], (int)pid, ssl ? " (a TLS relay)" : "");
	/* the relay speaks for the connection now: this copy of its state
	 * must never write again (no close_notify at its close) */
	if (ssl)
		SSL_set_quiet_shutdown(ssl, 1);
	req->handed_off = 1;
	/* the program holds the connection now; our copy would keep it open
	 * until the program ends: kept only to watch it for idle_timeout */
	if (!req->traffic.on)
		conn_close(&req->conn);
	req->child = pid;
	req->done = 1;
	return 0;
}

long long
request_exec_look_ms(const struct ms_service *svc)
{
	long long ms = (long long)(svc->conf->idle_timeout * 1000) / 4;

	if (svc->conf->idle_timeout <= 0)
		return 0;
	return ms < 50 ? 50 : ms > 1000 ? 1000 : ms;
}

void
request_exec_look(struct ms_request *r, long long now)
{
	const char *name = service_name(r->svc);
	double idle = r->svc->conf->idle_timeout;

	if (r->child <= 0 || !r->traffic.on)
		return;
	if (r->ending_since != 0) { /* -1: killed already */
		if (r->ending_since < 0 ||
		    now - r->ending_since < EXEC_GRACE_MS)
			return;
		log_info(name,
		    "%s: program %d still runs %d ms after SIGTERM: SIGKILL",
		    ms_peer(r), (int)r->child, EXEC_GRACE_MS);
		contain_kill(r->child); /* and what the program started */
		r->ending_since = -1;
		return;
	}
	if (traffic_idle_ms(&r->traffic, now) < (long long)(idle * 1000))
		return;
	log_info(name,
	    "%s: idle for %g s, no bytes moved: closed, SIGTERM to %d",
	    ms_peer(r), idle, (int)r->child);
	request_ended(r, ACCESSLOG_END_IDLE);
	/* the client sees the end even if something the program started
	 * still holds the connection */
	conn_shutdown(&r->conn);
	contain_stop(r->child);
	r->ending_since = now;
}

void
request_exec_wait(struct ms_request *r)
{
	long long look = request_exec_look_ms(r->svc);
	struct pollfd pfd = {.events = POLLIN};

	/* without a pidfd (or a watch), waiting is all there is to do */
	if (r->traffic.on && r->child > 0 &&
	    (pfd.fd = pidfd_open(r->child, 0)) >= 0) {
		for (;;) {
			int n = poll(&pfd, 1, (int)look);

			if (n > 0 || (n < 0 && errno != EINTR))
				break;
			request_exec_look(r, service_now_ms());
		}
		close(pfd.fd);
	}
	request_exec_reap(r, 1);
}

int
request_exec_reap(struct ms_request *r, int block)
{
	int status;
	pid_t pid;

	if (r->child <= 0) /* never waitpid(0): that is any child */
		return 1;
	pid = reap_child(service_name(r->svc), r->child, &status, block);
	if (pid == 0)
		return 0;
	if (pid > 0) {
		char what[ADDR_TEXT_MAX + 32];

		snprintf(what, sizeof(what), "%s: program, pid", ms_peer(r));
		log_exit(service_name(r->svc), what, pid, status, 0);
	}
	/* the copy kept to watch it closes at once, whatever SO_LINGER the
	 * program set on the socket (its close would wait for the client) */
	if (r->traffic.on) {
		struct linger off = {0, 0};

		setsockopt(conn_fd(&r->conn), SOL_SOCKET, SO_LINGER, &off,
		    sizeof(off));
	}
	r->child = 0;
	return 1;
}
