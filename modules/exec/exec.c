/* exec - the inetd bridge: every connection is handed to a new process of
 * the program in the option argv, with the connection as its standard input
 * and output, so programs written for inetd, xinetd or tcpserver run under
 * modserv's transports, models and limits.  Its environment is clean, as
 * xinetd's: what env sets and pass_env passes, with PATH and UCSPI's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <modserv.h>

static const struct ms_option exec_options[] = {
    {.name = "argv",
        .type = MS_OPT_LIST,
        .required = 1,
        .help = "the program and its arguments"},
    {.name = "env",
        .type = MS_OPT_ENV,
        .help = "NAME=value set in its environment"},
    {.name = "pass_env",
        .type = MS_OPT_ENV_NAMES,
        .help = "variables of modserv's environment it gets too"},
    {0},
};

/* env then pass_env's bare names: the one list ms_exec takes.  (The table
 * cannot say "a list of at least one string": argv is checked here.) */
static int
exec_init(ms_service *svc, char *err, size_t errlen)
{
	size_t n, nset, npass;
	const char *const *set = ms_opt_list(svc, "env", &nset);
	const char *const *pass = ms_opt_list(svc, "pass_env", &npass);
	const char **env;

	ms_opt_list(svc, "argv", &n);
	if (n == 0) {
		snprintf(err, errlen, "option argv is empty: name a program");
		return -1;
	}
	if ((env = calloc(nset + npass + 1, sizeof(*env))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(env, set, nset * sizeof(*env));
	memcpy(env + nset, pass, npass * sizeof(*env));
	ms_service_set_data(svc, env);
	return 0;
}

static void
exec_fini(ms_service *svc)
{
	free(ms_service_data(svc));
}

static int
exec_setup(ms_request *req)
{
	ms_service *svc = ms_request_service(req);
	size_t n;

	if (ms_exec(req, ms_opt_list(svc, "argv", &n), ms_service_data(svc)) <
	    0) {
		ms_log(svc, MS_LOG_WARN, "%s: cannot start the program: %s",
		    ms_peer(req), strerror(errno));
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
    .fini = exec_fini, .setup = exec_setup, .handle = exec_handle);
