/* bad_abi_minor - built against a newer minor than this host's. */
#include <modserv.h>

static int
h(ms_request *req)
{
	(void)req;
	return MS_CLOSE;
}

MS_API const struct ms_module modserv_module = {.abi_major = 1,
    .abi_minor = 99,
    .size = sizeof(struct ms_module),
    .handle = h};
