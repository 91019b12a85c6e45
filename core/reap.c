/* reap.c - waiting for one child process by its pid. */
#include "reap.h"

#include <errno.h>
#include <sys/wait.h>

#include "log.h"

pid_t
reap_child(const char *who, pid_t pid, int *status, int block)
{
	pid_t got;

	do
		got = waitpid(pid, status, block ? 0 : WNOHANG);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		log_syserr(MS_LOG_WARN, who, "waitpid %d", (int)pid);
	return got;
}
