/* transport_tcp.c - tcp: IPv4 and IPv6 stream sockets. */
#include "transport.h"

#include "sock.h"

static int
tcp_parse(const char *text, const char *basedir, struct listen_addr *a,
    size_t max, char *err, size_t errlen)
{
	(void)basedir;
	return addr_parse_inet(text, SOCK_STREAM, a, max, err, errlen);
}

static int
tcp_bind(struct listen_addr *a, int backlog, char *err, size_t errlen)
{
	return sock_bind_inet(a, SOCK_STREAM, backlog, err, errlen);
}

const struct transport transport_tcp = {
    .name = "tcp",
    .socktype = SOCK_STREAM,
    .parse = tcp_parse,
    .bind = tcp_bind,
    .unbind = NULL, /* nothing is left in the filesystem */
};
