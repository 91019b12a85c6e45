/* bad_init - init fails and says why. */
#include <stdio.h>

#include <modserv.h>

static int
bad_init(ms_service *svc, char *err, size_t errlen)
{
	(void)svc;
	snprintf(err, errlen, "the database at db.example is unreachable");
	return -1;
}

static int
h(ms_request *req)
{
	(void)req;
	return MS_CLOSE;
}

MODSERV_MODULE(.name = "bad_init", .init = bad_init, .handle = h);
