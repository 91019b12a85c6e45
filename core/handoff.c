/* handoff.c - ms_exec: hand a connection to a program, as inetd does, in
 * the environment ms_environ builds, under a keeper (contain.c); reap it
 * and say how it ended. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "contain.h"
#include "log.h"
#include "request.h"
#include "worker.h"

/* The child: the connection on 0 and 1, blocking; then the program. */
static void
handoff_child(
    struct ms_request *r, const char *const *argv, char **envp, pid_t parent)
{
	char path[4096], why[1024];
	int fd = r->fd;

	worker_reset_signals(1);
	/* this process keeps the program: what it starts ends with it */
	if (contain_begin(parent) < 0)
		_exit(126);
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0)
		_exit(126);
	if (fd > 1)
		close(fd);
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) & ~O_NONBLOCK);
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

int
ms_exec(ms_request *req, const char *const *argv, const char *const *env)
{
	char **envp;
	pid_t pid, self = getpid();

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
	if ((envp = ms_environ(req, env)) == NULL)
		return -1;
	pid = fork();
	if (pid == 0)
		handoff_child(req, argv, envp, self);
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
