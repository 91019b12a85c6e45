/* opts - declares one option of each type (and integers with a range,
 * strings with choices) and replies with their values, the request's
 * context and its hooks' order, one line each. */
#include <stdlib.h>
#include <string.h>

#include <modserv.h>

static const struct ms_option opts_options[] = {
    {"greeting", MS_OPT_STR, "hi", 0, "said first"},
    {"count", MS_OPT_INT, NULL, 1, "a required integer"},
    {"loud", MS_OPT_BOOL, "false", 0, "a boolean"},
    {"names", MS_OPT_LIST, NULL, 0, "a list of strings"},
    {"level", MS_OPT_INT, "2", 0, "an integer in 1..3", .min = 1, .max = 3},
    {"least", MS_OPT_INT, "0", 0, "an integer >= 0", .min = 0,
        .max = LLONG_MAX},
    {"most", MS_OPT_INT, "0", 0, "an integer <= 5", .min = LLONG_MIN, .max = 5},
    {"mode", MS_OPT_STR, "fast", 0, "fast or slow",
        .choices = MS_CHOICES("fast", "slow")},
    {"tags", MS_OPT_LIST, NULL, 0, "red, green or blue, each",
        .choices = MS_CHOICES("red", "green", "blue")},
    {NULL, 0, NULL, 0, NULL},
};

static int
opts_init(ms_service *svc, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	ms_service_set_data(svc, "service data");
	return 0;
}

static int
opts_setup(ms_request *req)
{
	ms_request_set_data(req, "request data");
	return ms_printf(req, "setup %s\n", ms_peer(req)[0] ? "peer" : "");
}

static int
opts_handle(ms_request *req)
{
	ms_service *svc = ms_request_service(req);
	const char *const *names;
	size_t n, len;
	const char *line = ms_readline(req, &len);

	if (line == NULL)
		return MS_MORE;
	names = ms_opt_list(svc, "names", &n);
	ms_printf(req, "greeting=%s count=%lld loud=%d names=%zu",
	    ms_opt_str(svc, "greeting"), ms_opt_int(svc, "count"),
	    ms_opt_bool(svc, "loud"), n);
	for (size_t i = 0; i < n; i++)
		ms_printf(req, " %s", names[i]);
	ms_printf(req, "\nservice=%s transport=%s model=%s\n",
	    ms_service_name(svc), ms_service_transport(svc),
	    ms_service_model(svc));
	ms_printf(req, "%s, %s\n", (char *)ms_service_data(svc),
	    (char *)ms_request_data(req));
	ms_printf(
	    req, "undeclared=%s\n", ms_opt_str(svc, "nosuch") ? "set" : "null");
	return MS_CLOSE;
}

MODSERV_MODULE(.name = "opts", .summary = "one option of each type",
    .options = opts_options, .init = opts_init, .setup = opts_setup,
    .handle = opts_handle);
