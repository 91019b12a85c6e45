/* tls_ktls.c - asks the kernel whether it takes TLS on a TCP socket: the
 * "tls" upper layer protocol on a connected loopback socket, as OpenSSL
 * sets it (the kernel loads its module on that request where it can). */
#include "tls_ktls.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "service.h"

/* 0 when the kernel takes TLS; else an errno and what failed in *what. */
static int
tls_ktls_probe(const char **what)
{
	struct sockaddr_in sa = {
	    .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int l, c = -1, a = -1, e = 0;

	*what = "a loopback TCP connection to ask on";
	if ((l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &len) < 0 ||
	    (c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (a = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		e = errno;
	} else if (setsockopt(a, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) < 0) {
		e = errno;
		*what = "setsockopt TCP_ULP tls";
	}
	for (int *fd = (int[]){l, c, a}, i = 0; i < 3; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return e;
}

void
tls_ktls_say(const struct ms_service *svc)
{
	const char *what;
	int e;

	if (svc->conf->tls == NULL || !svc->conf->tls->ktls)
		return;
	if ((e = tls_ktls_probe(&what)) == 0)
		log_info(service_name(svc),
		    "ktls: this kernel has TLS: records and files go through it where the cipher allows");
	else
		log_warn(service_name(svc),
		    "ktls: this kernel has no TLS for modserv (%s: %s): files are read and encrypted",
		    what, strerror(e));
}
