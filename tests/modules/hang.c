/* hang - gets stuck in handle on a request starting with "hang" (a bug a
 * module may have); anything else is echoed. */
#include <string.h>
#include <unistd.h>

#include <modserv.h>

static int
hang_handle(ms_request *req)
{
	size_t n;
	const char *p = ms_peek(req, &n);

	if (n >= 4 && memcmp(p, "hang", 4) == 0)
		for (;;)
			pause();
	ms_write(req, p, n);
	ms_consume(req, n);
	return MS_MORE;
}

MODSERV_MODULE(.name = "hang", .summary = "stuck in handle on request",
    .handle = hang_handle);
