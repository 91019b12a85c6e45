/* exec - the inetd bridge: every connection is handed to a new process of
 * the program in the option argv, with the connection as its standard input
 * and output, so programs written for inetd, xinetd or tcpserver run under
 * modserv's transports, models and limits. */
#include <stdio.h>
#include <stdlib.h>

#include <modserv.h>

static const struct ms_option exec_options[] = {
    {"argv", MS_OPT_LIST, NULL, 1, "the program and its arguments"},
    {"env", MS_OPT_LIST, NULL, 0, "NAME=value pairs added to its environment"},
    {NULL, 0, NULL, 0, NULL},
};

/* The table cannot say "a list of at least one string": checked here. */
static int
exec_init(ms_service *svc, char *err, size_t errlen)
{
	size_t n;

	ms_opt_list(svc, "argv", &n);
	if (n == 0) {
		snprintf(err, errlen, "option argv is empty: name a program");
		return -1;
	}
	return 0;
}

static int
exec_setup(ms_request *req)
{
	ms_service *svc = ms_request_service(req);
	size_t n;

	if (ms_exec(req, ms_opt_list(svc, "argv", &n),
	        ms_opt_list(svc, "env", &n)) < 0) {
		ms_log(svc, MS_LOG_WARN, "%s: cannot start the program: %m",
		    ms_peer(req));
		return -1;
	}
	return 0;
}

/* Never called: the program owns the connection. */
static int
exec_handle(ms_request *req)
{
	(void)req;
	return MS_CLOSE;
}

MODSERV_MODULE(.name = "exec",
    .summary = "hands each connection to a program, as inetd does",
    .flags = MS_F_STREAM_ONLY, .options = exec_options, .init = exec_init,
    .setup = exec_setup, .handle = exec_handle);
