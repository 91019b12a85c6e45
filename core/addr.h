/* addr.h - listening addresses: parsing "host:port", "[v6]:port" and unix
 * paths, and printing socket addresses. */
#ifndef ADDR_H
#define ADDR_H

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#define ADDR_TEXT_MAX 128
/* The addresses one `listen` may stand for: a name's, each bound. */
#define ADDR_LIST_MAX 16

struct listen_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[ADDR_TEXT_MAX]; /* the bound address */
	dev_t dev;                /* unix: the socket file we made, */
	ino_t ino;                /* so we only ever remove our own */
	unsigned dual_stack : 1;  /* [::] that takes IPv4 too: only a socket
	                             the service manager made without
	                             IPV6_V6ONLY (ours have it) */
};

/* "host:port", "[v6addr]:port", ":port" or "port" (loopback), "*:port" (every
 * IPv4 address).  host may be a name; it must resolve, and stands for every
 * distinct address it resolves to, in the resolver's order.  0 <= port <=
 * 65535.  The number of addresses written to a (at most max), or -1 with
 * err. */
int addr_parse_inet(const char *s, int socktype, struct listen_addr *a,
    size_t max, char *err, size_t errlen);
/* A filesystem path; a relative one is taken from basedir. */
int addr_parse_unix(const char *s, const char *basedir, struct listen_addr *a,
    char *err, size_t errlen);
/* An inet address's host, as "1.2.3.4" or "::1", into host (size bytes;
 * INET6_ADDRSTRLEN is enough); its port, or -1 when sa is not inet. */
int addr_inet_host(const struct sockaddr *sa, char *host, size_t size);
/* "1.2.3.4:80", "[::1]:80", "/path", or "unix" for an unnamed unix socket. */
void addr_format(
    const struct sockaddr *sa, socklen_t len, char *buf, size_t size);
/* addr_format for a log line: a unix peer's name is the peer's to choose
 * (a newline, a terminal's escape, bytes past ASCII, an abstract name's
 * inner NULs), so every byte outside printable ASCII, and backslash, goes
 * as \xHH: the line stays one line of what was there. */
void addr_format_for_log(
    const struct sockaddr *sa, socklen_t len, char *buf, size_t size);
/* Same family, address and port (or path, or abstract name): the same
 * socket address.  Port 0 equals port 0 ("any port", as configured). */
int addr_same(const struct listen_addr *a, const struct listen_addr *b);
/* An inet address's port, or -1 for a unix one. */
int addr_port(const struct listen_addr *a);
/* Gives an inet address another port; its text follows. */
void addr_set_port(struct listen_addr *a, int port);
/* The n addresses' texts, a space between two: "[::1]:80 127.0.0.1:80". */
void addr_list_format(
    const struct listen_addr *a, size_t n, char *buf, size_t size);

#endif
