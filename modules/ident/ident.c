/* ident - seed 001's ThreadedTCPServer example: reply "<worker>: <message>",
 * where <worker> names the thread or process that served the request, so a
 * client sees the concurrency model at work; then close. */
#include <unistd.h>

#include <modserv.h>

static int
ident_handle(ms_request *req)
{
	ms_service *svc = ms_request_service(req);
	const char *model = ms_service_model(svc);
	size_t n;
	const char *p = ms_peek(req, &n);

	if (n == 0 && !ms_eof(req))
		return MS_MORE;
	/* a thread per request shows its thread id, else the process id */
	if (model[0] == 't')
		ms_printf(req, "Thread-%d: ", (int)gettid());
	else if (model[0] == 'f')
		ms_printf(req, "Process-%d: ", (int)getpid());
	else
		ms_printf(req, "Loop-%d: ", (int)getpid());
	ms_write(req, p, n);
	ms_consume(req, n);
	return MS_CLOSE;
}

MODSERV_MODULE(.name = "ident",
    .summary = "replies <thread or process>: <message>, then closes",
    .handle = ident_handle);
