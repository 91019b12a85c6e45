/* echo - every byte back, unchanged (RFC 862 over any transport). */
#include <modserv.h>

static int
echo_handle(ms_request *req)
{
	size_t n;
	const void *p = ms_peek(req, &n);

	if (ms_write(req, p, n) < 0)
		return -1;
	ms_consume(req, n);
	return MS_MORE;
}

MODSERV_MODULE(.name = "echo", .summary = "sends every byte back unchanged",
    .handle = echo_handle);
