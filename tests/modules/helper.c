/* helper - forks a helper process per request and reaps it itself, then
 * replies with the helper's exit status: the host must not steal it. */
#include <sys/wait.h>
#include <unistd.h>

#include <modserv.h>

static int
helper_handle(ms_request *req)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		usleep(20000);
		_exit(42);
	}
	if (waitpid(pid, &status, 0) != pid)
		return ms_printf(req, "lost my helper\n") < 0 ? -1 : MS_CLOSE;
	ms_printf(req, "helper exited %d\n", WEXITSTATUS(status));
	return MS_CLOSE;
}

MODSERV_MODULE(.name = "helper", .summary = "forks and reaps a helper",
    .flags = MS_F_STREAM_ONLY, .handle = helper_handle);
