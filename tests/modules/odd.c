/* odd - a handle that returns 42: neither MS_MORE, MS_CLOSE nor a negative
 * error.  The host must take it as an error and say so once, not once a
 * request. */
#include <modserv.h>

static int
odd_handle(ms_request *req)
{
	size_t n;

	ms_peek(req, &n);
	ms_consume(req, n);
	return 42;
}

MODSERV_MODULE(.name = "odd", .summary = "handle returns 42",
    .handle = odd_handle);
