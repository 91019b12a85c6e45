/* ident - seed 001's ThreadedTCPServer example: reply "<worker>: <message>",
 * where <worker> names the thread or process that served the request, so a
 * client sees the concurrency model at work; then close.  With show_peer,
 * "<client address> " comes first: behind a balancer speaking the PROXY
 * protocol, the client's own; over TLS with a client certificate, its
 * common name after it, "CN=<name> ". */
#include <unistd.h>

#include <modserv.h>

static int
ident_handle(ms_request *req)
{
	ms_service *svc = ms_request_service(req);
	const char *model = ms_service_model(svc);
	size_t n;
	const char *p = ms_peek(req, &n);

	if (n == 0 && !ms_eof(req))
		return MS_MORE;
	if (ms_opt_bool(svc, "show_peer")) {
		const char *cn = ms_tls_var(req, "SSL_CLIENT_S_DN_CN");

		ms_printf(req, "%s ", ms_peer(req));
		if (cn)
			ms_printf(req, "CN=%s ", cn);
	}
	/* a thread per request shows its thread id, else the process id */
	if (model[0] == 't')
		ms_printf(req, "Thread-%d: ", (int)gettid());
	else if (model[0] == 'f')
		ms_printf(req, "Process-%d: ", (int)getpid());
	else
		ms_printf(req, "Loop-%d: ", (int)getpid());
	ms_write(req, p, n);
	ms_consume(req, n);
	return MS_CLOSE;
}

static const struct ms_option ident_options[] = {
    {.name = "show_peer",
        .type = MS_OPT_BOOL,
        .def = "false",
        .help = "start the reply with the client's address (and its "
                "certificate's CN over TLS)"},
    {0},
};

MODSERV_MODULE(.name = "ident",
    .summary = "replies <thread or process>: <message>, then closes",
    .options = ident_options, .handle = ident_handle);
