/* transport_udp.c - udp: IPv4 and IPv6 datagram sockets. */
#include "transport.h"

#include "sock.h"

static int
udp_parse(const char *text, const char *basedir, struct listen_addr *a,
    size_t max, char *err, size_t errlen)
{
	(void)basedir;
	return addr_parse_inet(text, SOCK_DGRAM, a, max, err, errlen);
}

static int
udp_bind(struct listen_addr *a, int backlog, char *err, size_t errlen)
{
	return sock_bind_inet(a, SOCK_DGRAM, backlog, err, errlen);
}

const struct transport transport_udp = {
    .name = "udp",
    .socktype = SOCK_DGRAM,
    .parse = udp_parse,
    .bind = udp_bind,
    .unbind = NULL, /* nothing is left in the filesystem */
};
