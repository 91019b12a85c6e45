/* tid - answers whatever a client sends with the id of the thread that
 * serves it, so that a test can tell how many threads served a run of
 * requests. */
#include <stdio.h>
#include <unistd.h>

#include <modserv.h>

static int
tid_handle(ms_request *req)
{
	char line[32];
	size_t n;
	int len = snprintf(line, sizeof(line), "%d\n", (int)gettid());

	ms_peek(req, &n);
	ms_consume(req, n);
	ms_write(req, line, (size_t)len);
	return MS_MORE;
}

MODSERV_MODULE(.name = "tid", .summary = "replies its thread id",
    .handle = tid_handle);
