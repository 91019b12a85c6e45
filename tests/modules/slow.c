/* slow - says it blocks: a request starting with "slow" sleeps a second
 * before its reply; anything else is echoed at once. */
#include <string.h>
#include <unistd.h>

#include <modserv.h>

static int
slow_handle(ms_request *req)
{
	size_t n;
	const char *p = ms_peek(req, &n);

	if (n >= 4 && memcmp(p, "slow", 4) == 0)
		sleep(1);
	ms_write(req, p, n);
	ms_consume(req, n);
	return MS_MORE;
}

MODSERV_MODULE(.name = "slow", .summary = "blocks a second on request",
    .flags = MS_F_BLOCKING, .handle = slow_handle);
