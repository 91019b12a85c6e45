/* transport_unix.c - unix: unix-domain stream sockets, named by a path. */
#include "transport.h"

#include "sock.h"

static int
unix_parse(const char *text, const char *basedir, struct listen_addr *a,
    size_t max, char *err, size_t errlen)
{
	(void)max; /* a path is one address */
	return addr_parse_unix(text, basedir, a, err, errlen) < 0 ? -1 : 1;
}

static int
unix_bind(struct listen_addr *a, int backlog, char *err, size_t errlen)
{
	return sock_bind_unix(a, SOCK_STREAM, backlog, err, errlen);
}

const struct transport transport_unix = {
    .name = "unix",
    .socktype = SOCK_STREAM,
    .parse = unix_parse,
    .bind = unix_bind,
    .unbind = sock_unbind_unix,
};
