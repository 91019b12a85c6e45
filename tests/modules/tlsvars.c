/* tlsvars - replies with what ms_tls_var says of the request, a line a
 * name ("NAME=value", "NAME=-" for NULL), then "kept=yes" when the string
 * setup was given is still the one given now (valid until the request
 * ends), and closes. */
#include <string.h>

#include <modserv.h>

static const char *const tlsvars_names[] = {"SSL_PROTOCOL", "SSL_CIPHER",
    "SSL_TLS_SNI", "SSL_CLIENT_S_DN_CN", "SSL_CLIENT_VERIFY", "NOT_A_VAR",
    NULL};

static int
tlsvars_setup(ms_request *req)
{
	ms_request_set_data(req, (void *)ms_tls_var(req, "SSL_PROTOCOL"));
	return MS_MORE;
}

static int
tlsvars_handle(ms_request *req)
{
	const char *first = ms_request_data(req), *now;
	size_t n;

	ms_peek(req, &n);
	ms_consume(req, n);
	for (size_t i = 0; tlsvars_names[i]; i++) {
		const char *v = ms_tls_var(req, tlsvars_names[i]);

		ms_printf(req, "%s=%s\n", tlsvars_names[i], v ? v : "-");
	}
	now = ms_tls_var(req, "SSL_PROTOCOL");
	ms_printf(req, "kept=%s\n",
	    now == first && (now == NULL || strcmp(now, first) == 0) ? "yes"
	                                                             : "no");
	return MS_CLOSE;
}

MODSERV_MODULE(.name = "tlsvars",
    .summary = "replies with what ms_tls_var says of the request",
    .flags = MS_F_STREAM_ONLY, .setup = tlsvars_setup,
    .handle = tlsvars_handle);
