/* loadhang - an echo whose ELF constructor hangs while the file that
 * MODSERV_TEST_LOADHANG names exists (at most 120 s): a module that gets
 * stuck while being loaded, as one waiting on a lock or a network share
 * may. */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <modserv.h>

__attribute__((constructor)) static void
loadhang_hang(void)
{
	const char *marker = getenv("MODSERV_TEST_LOADHANG");
	struct timespec tick = {0, 50 * 1000 * 1000};

	for (int i = 0; marker && i < 120 * 20 && access(marker, F_OK) == 0;
	     i++)
		nanosleep(&tick, NULL);
}

static int
loadhang_handle(ms_request *req)
{
	size_t n;
	const char *p = ms_peek(req, &n);

	ms_write(req, p, n);
	ms_consume(req, n);
	return MS_MORE;
}

MODSERV_MODULE(.name = "loadhang",
    .summary = "hangs while loaded as long as a marker file exists",
    .handle = loadhang_handle);
