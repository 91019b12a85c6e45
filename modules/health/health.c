/* health - what a load balancer asks: does this modserv serve?  It answers
 * from the host's state (ms_host_state): serving, draining (stopping, or a
 * reload swapping workers), or starting.
 *   protocol = "agent": HAProxy's agent-check, answered on connect:
 *                       "up ready", "drain" or "down", then closed;
 *   protocol = "http":  any request is answered "200 OK" with "ready", or
 *                       "503 Service Unavailable" with "draining" or
 *                       "starting" (nginx, Envoy, cloud balancers);
 *   protocol = "text":  on connect, "ready", "draining" or "starting". */
#include <stdio.h>
#include <string.h>

#include <modserv.h>

enum { AGENT, HTTP, TEXT };

static int
health_protocol(const ms_service *svc)
{
	const char *p = ms_opt_str(svc, "protocol");

	return strcmp(p, "http") == 0   ? HTTP
	       : strcmp(p, "text") == 0 ? TEXT
	                                : AGENT;
}

/* 1 serving, 0 draining, -1 starting. */
static int
health_state(const ms_service *svc)
{
	switch (ms_host_state(svc)) {
	case MS_HOST_SERVING:
		return 1;
	case MS_HOST_STARTING:
		return -1;
	default:
		return 0;
	}
}

static int
health_setup(ms_request *req)
{
	const ms_service *svc = ms_request_service(req);
	int state = health_state(svc);

	switch (health_protocol(svc)) {
	case AGENT:
		ms_printf(req, "%s\n",
		    state > 0    ? "up ready"
		    : state == 0 ? "drain"
		                 : "down");
		break;
	case TEXT:
		ms_printf(req, "%s\n",
		    state > 0    ? "ready"
		    : state == 0 ? "draining"
		                 : "starting");
		break;
	default: /* HTTP: the request comes first */
		return MS_MORE;
	}
	return MS_CLOSE;
}

static int
health_handle(ms_request *req)
{
	const ms_service *svc = ms_request_service(req);
	size_t n;
	const char *body, *status;
	int state;

	const char *p = ms_peek(req, &n);

	/* the request line and headers: wait for the blank line */
	if (memmem(p, n, "\r\n\r\n", 4) == NULL &&
	    memmem(p, n, "\n\n", 2) == NULL)
		return ms_eof(req) || n > 8192 ? MS_CLOSE : MS_MORE;
	state = health_state(svc);
	status = state > 0 ? "200 OK" : "503 Service Unavailable";
	body = state > 0 ? "ready\n" : state == 0 ? "draining\n" : "starting\n";
	ms_printf(req,
	    "HTTP/1.0 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
	    status, strlen(body), body);
	return MS_CLOSE;
}

static const struct ms_option health_options[] = {
    {.name = "protocol",
        .type = MS_OPT_STR,
        .def = "agent",
        .help = "agent (HAProxy agent-check), http or text",
        .choices = MS_CHOICES("agent", "http", "text")},
    {0},
};

MODSERV_MODULE(.name = "health",
    .summary =
        "says whether this modserv serves, drains or starts, for a load balancer",
    .flags = MS_F_STREAM_ONLY, .options = health_options, .setup = health_setup,
    .handle = health_handle);
