/* transport.h - the four transports behind one small interface. */
#ifndef TRANSPORT_H
#define TRANSPORT_H

#include <stddef.h>

#include "addr.h"

struct transport {
	const char *name; /* as in the config: "tcp", ... */
	int socktype;     /* SOCK_STREAM or SOCK_DGRAM */
	/* Parses a `listen` value into at most max addresses (a host name
	 * may stand for several); basedir resolves relative paths.  Their
	 * number, or -1 with err. */
	int (*parse)(const char *text, const char *basedir,
	    struct listen_addr *a, size_t max, char *err, size_t errlen);
	/* Binds a; the fd, or -1 with err and errno (EADDRINUSE: another
	 * socket has the address).  a->text becomes the real address. */
	int (*bind)(
	    struct listen_addr *a, int backlog, char *err, size_t errlen);
	/* Undoes what bind left in the filesystem. */
	void (*unbind)(const struct listen_addr *a);
	/* Readies fd, a socket at a the service manager passed, as bind
	 * readies its own (NULL: bind does nothing more than bind).  0, or
	 * -1 with err. */
	int (*adopt)(
	    int fd, const struct listen_addr *a, char *err, size_t errlen);
};

extern const struct transport transport_tcp, transport_udp, transport_unix,
    transport_unix_dgram;

const struct transport *transport_find(const char *name); /* or NULL */
extern const char transport_names[]; /* "tcp, udp, unix, unix-dgram" */

#endif
