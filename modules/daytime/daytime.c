/* daytime - seed 001's StreamRequestHandler example: read one line, reply
 * "[<ctime>] <line>" (the time as Python's time.ctime() prints it, the line
 * with its newline), then close. */
#include <string.h>
#include <time.h>

#include <modserv.h>

static int
daytime_handle(ms_request *req)
{
	char stamp[32];
	time_t now = time(NULL);
	size_t n;
	const char *line = ms_readline(req, &n);

	if (line == NULL)
		return ms_eof(req) ? MS_CLOSE : MS_MORE;
	/* ctime_r: "Mon Nov  3 18:22:18 2026\n", as time.ctime() */
	if (ctime_r(&now, stamp) == NULL)
		return -1;
	stamp[strcspn(stamp, "\n")] = '\0';
	ms_printf(req, "[%s] ", stamp);
	ms_write(req, line, n);
	return MS_CLOSE;
}

MODSERV_MODULE(.name = "daytime",
    .summary = "replies [<ctime>] <the line sent>, then closes",
    .flags = MS_F_STREAM_ONLY, .handle = daytime_handle);
