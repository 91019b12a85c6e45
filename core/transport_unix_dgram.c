/* transport_unix_dgram.c - unix-dgram: unix-domain datagram sockets, named by a
 * path. */
#include "transport.h"

#include "sock.h"

static int
unix_dgram_parse(const char *text, const char *basedir, struct listen_addr *a,
    size_t max, char *err, size_t errlen)
{
	(void)max; /* a path is one address */
	return addr_parse_unix(text, basedir, a, err, errlen) < 0 ? -1 : 1;
}

static int
unix_dgram_bind(struct listen_addr *a, int backlog, char *err, size_t errlen)
{
	return sock_bind_unix(a, SOCK_DGRAM, backlog, err, errlen);
}

const struct transport transport_unix_dgram = {
    .name = "unix-dgram",
    .socktype = SOCK_DGRAM,
    .parse = unix_dgram_parse,
    .bind = unix_dgram_bind,
    .unbind = sock_unbind_unix,
    .adopt = sock_dgram_room,
};
