/* crash - crashes on purpose: in init when option where = "init", else in
 * handle when a request starts with "crash" (SIGSEGV) or "abort"
 * (SIGABRT); otherwise echoes. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <modserv.h>

static const struct ms_option crash_options[] = {
    {"where", MS_OPT_STR, "handle", 0, "init or handle"},
    {NULL, 0, NULL, 0, NULL},
};

static int
crash_init(ms_service *svc, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	if (strcmp(ms_opt_str(svc, "where"), "init") == 0)
		raise(SIGSEGV);
	return 0;
}

static int
crash_handle(ms_request *req)
{
	size_t n;
	const char *p = ms_peek(req, &n);

	if (n >= 5 && memcmp(p, "crash", 5) == 0)
		raise(SIGSEGV);
	if (n >= 5 && memcmp(p, "abort", 5) == 0)
		abort();
	ms_write(req, p, n);
	ms_consume(req, n);
	return MS_MORE;
}

MODSERV_MODULE(.name = "crash", .summary = "crashes on purpose",
    .options = crash_options, .init = crash_init, .handle = crash_handle);
