/* stream_only - declares that it serves stream transports only. */
#include <modserv.h>

static int
h(ms_request *req)
{
	(void)req;
	return MS_CLOSE;
}

MODSERV_MODULE(.name = "stream_only", .flags = MS_F_STREAM_ONLY, .handle = h);
