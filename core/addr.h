/* addr.h - listening addresses: parsing "host:port", "[v6]:port" and unix
 * paths, and printing socket addresses. */
#ifndef ADDR_H
#define ADDR_H

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#define ADDR_TEXT_MAX 128

struct listen_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[ADDR_TEXT_MAX]; /* the bound address */
	dev_t dev;                /* unix: the socket file we made, */
	ino_t ino;                /* so we only ever remove our own */
};

/* "host:port", "[v6addr]:port", ":port" or "port" (loopback), "*:port" (every
 * IPv4 address).  host may be a name; it must resolve.  0 <= port <= 65535. */
int addr_parse_inet(const char *s, int socktype, struct listen_addr *a,
    char *err, size_t errlen);
/* A filesystem path; a relative one is taken from basedir. */
int addr_parse_unix(const char *s, const char *basedir, struct listen_addr *a,
    char *err, size_t errlen);
/* "1.2.3.4:80", "[::1]:80", "/path", or "unix" for an unnamed unix socket. */
void addr_format(
    const struct sockaddr *sa, socklen_t len, char *buf, size_t size);
/* Same family, address and port (or path).  Port 0 never equals. */
int addr_same(const struct listen_addr *a, const struct listen_addr *b);

#endif
