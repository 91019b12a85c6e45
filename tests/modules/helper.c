/* helper - forks a helper process per request and reaps it itself, then
 * replies with the helper's exit status: the host must not steal it.  Its
 * init also starts a helper, which ends at once and which fini reaps and
 * logs: while it waits unreaped, the worker must still reap its own. */
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include <modserv.h>

static int
helper_init(ms_service *svc, char *err, size_t errlen)
{
	pid_t pid = fork();

	(void)err;
	(void)errlen;
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(7);
	ms_service_set_data(svc, (void *)(intptr_t)pid);
	return 0;
}

static void
helper_fini(ms_service *svc)
{
	pid_t pid = (pid_t)(intptr_t)ms_service_data(svc);
	int status;

	if (waitpid(pid, &status, 0) == pid)
		ms_log(svc, MS_LOG_WARN, "init helper exited %d",
		    WEXITSTATUS(status));
	else
		ms_log(svc, MS_LOG_WARN, "init helper lost");
}

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
    .flags = MS_F_STREAM_ONLY, .init = helper_init, .fini = helper_fini,
    .handle = helper_handle);
