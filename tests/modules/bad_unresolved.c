/* bad_unresolved - calls a function nothing defines: dlopen(RTLD_NOW) fails. */
#include <modserv.h>

extern int modserv_no_such_function(void);

static int
h(ms_request *req)
{
	(void)req;
	return modserv_no_such_function();
}

MODSERV_MODULE(.name = "bad_unresolved", .handle = h);
