/* addr.c - parse and print the addresses services listen on. */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
addr_parse_port(const char *s, in_port_t *port)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 65535)
		return -1;
	*port = htons((in_port_t)v);
	return 0;
}

/* Splits s into host and port text; host is "" when left out. */
static int
addr_split(const char *s, char *host, size_t hostlen, const char **port)
{
	const char *colon;
	size_t n;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			return -1;
		n = (size_t)(close - s - 1);
		s++;
		colon = close + 1;
	} else if ((colon = strrchr(s, ':')) == NULL) {
		*host = '\0';
		*port = s;
		return 0;
	} else {
		if (memchr(s, ':', (size_t)(colon - s)))
			return -1; /* a bare IPv6 address needs brackets */
		n = (size_t)(colon - s);
	}
	if (n >= hostlen)
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	*port = colon + 1;
	return 0;
}

static int
addr_resolve(const char *host, int socktype, in_port_t port,
    struct listen_addr *a, char *err, size_t errlen)
{
	struct addrinfo hints = {0}, *res;
	int rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = socktype;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		snprintf(err, errlen, "host \"%s\" does not resolve: %s", host,
		    gai_strerror(rc));
		return -1;
	}
	memcpy(&a->ss, res->ai_addr, res->ai_addrlen);
	a->len = res->ai_addrlen;
	freeaddrinfo(res);
	if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = port;
	else
		((struct sockaddr_in6 *)&a->ss)->sin6_port = port;
	return 0;
}

int
addr_parse_inet(const char *s, int socktype, struct listen_addr *a, char *err,
    size_t errlen)
{
	char host[256];
	const char *porttext;
	in_port_t port;
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;

	memset(a, 0, sizeof(*a));
	if (addr_split(s, host, sizeof(host), &porttext) < 0 ||
	    addr_parse_port(porttext, &port) < 0) {
		snprintf(err, errlen,
		    "\"%s\" is not host:port, [IPv6]:port or a port 0-65535",
		    s);
		return -1;
	}
	if (*host == '\0' || strcmp(host, "*") == 0) {
		sin->sin_family = AF_INET;
		sin->sin_port = port;
		sin->sin_addr.s_addr =
		    htonl(*host ? INADDR_ANY : INADDR_LOOPBACK);
		a->len = sizeof(*sin);
	} else if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = port;
		a->len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = port;
		a->len = sizeof(*sin6);
	} else if (addr_resolve(host, socktype, port, a, err, errlen) < 0) {
		return -1;
	}
	addr_format(
	    (struct sockaddr *)&a->ss, a->len, a->text, sizeof(a->text));
	return 0;
}

int
addr_parse_unix(const char *s, const char *basedir, struct listen_addr *a,
    char *err, size_t errlen)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&a->ss;
	int n;

	memset(a, 0, sizeof(*a));
	if (*s == '\0') {
		snprintf(err, errlen, "a unix socket needs a path");
		return -1;
	}
	sun->sun_family = AF_UNIX;
	if (*s == '/' || basedir == NULL)
		n = snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", s);
	else
		n = snprintf(
		    sun->sun_path, sizeof(sun->sun_path), "%s/%s", basedir, s);
	if (n < 0 || (size_t)n >= sizeof(sun->sun_path)) {
		snprintf(err, errlen,
		    "unix socket path \"%s\" is longer than %zu bytes", s,
		    sizeof(sun->sun_path) - 1);
		return -1;
	}
	a->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	snprintf(a->text, sizeof(a->text), "%s", sun->sun_path);
	return 0;
}

void
addr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];

	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(sin->sin_port));
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(sin6->sin6_port));
		break;
	}
	case AF_UNIX: {
		const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
		size_t off = offsetof(struct sockaddr_un, sun_path);

		if (len <= off)
			snprintf(buf, size, "unix");
		else if (sun->sun_path[0] ==
		         '\0') /* abstract, as ss(8) shows */
			snprintf(buf, size, "@%.*s", (int)(len - off - 1),
			    sun->sun_path + 1);
		else
			snprintf(
			    buf, size, "%.*s", (int)(len - off), sun->sun_path);
		break;
	}
	default:
		snprintf(buf, size, "?");
	}
}

int
addr_same(const struct listen_addr *a, const struct listen_addr *b)
{
	if (a->ss.ss_family != b->ss.ss_family)
		return 0;
	if (a->ss.ss_family == AF_UNIX)
		return strcmp(a->text, b->text) == 0;
	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)&a->ss,
		                         *y = (const void *)&b->ss;

		return x->sin_port != 0 && x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)&a->ss,
	                          *y = (const void *)&b->ss;

	return x->sin6_port != 0 && x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}
