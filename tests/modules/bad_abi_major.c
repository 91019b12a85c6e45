/* bad_abi_major - built for a future ABI 2. */
#include <modserv.h>

static int
h(ms_request *req)
{
	(void)req;
	return MS_CLOSE;
}

MS_API const struct ms_module modserv_module = {.abi_major = 2,
    .abi_minor = 0,
    .size = sizeof(struct ms_module),
    .handle = h};
