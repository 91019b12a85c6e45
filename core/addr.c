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

/* Whether a[0..n) holds c already: a name listed twice (or in two lines of
 * /etc/hosts) is bound once. */
static int
addr_listed(const struct listen_addr *a, size_t n, const struct listen_addr *c)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].len == c->len && memcmp(&a[i].ss, &c->ss, c->len) == 0)
			return 1;
	return 0;
}

static int
addr_resolve(const char *host, int socktype, in_port_t port,
    struct listen_addr *a, size_t max, char *err, size_t errlen)
{
	struct addrinfo hints = {0}, *res;
	int rc, n = 0;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = socktype;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0) {
		snprintf(err, errlen, "host \"%s\" does not resolve: %s", host,
		    gai_strerror(rc));
		return -1;
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		struct listen_addr c = {.len = ai->ai_addrlen};

		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(c.ss))
			continue;
		memcpy(&c.ss, ai->ai_addr, ai->ai_addrlen);
		addr_set_port(&c, ntohs(port));
		if (addr_listed(a, (size_t)n, &c))
			continue;
		if ((size_t)n == max) {
			snprintf(err, errlen,
			    "host \"%s\" resolves to more than %zu addresses",
			    host, max);
			n = -1;
			break;
		}
		a[n++] = c;
	}
	freeaddrinfo(res);
	if (n == 0)
		snprintf(err, errlen, "host \"%s\" has no IP address", host);
	return n > 0 ? n : -1;
}

/* A literal address, or the loopback or any address for "" and "*": 1, or
 * 0 when host is a name. */
static int
addr_literal(const char *host, in_port_t port, struct listen_addr *a)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;

	if (*host == '\0' || strcmp(host, "*") == 0) {
		sin->sin_addr.s_addr =
		    htonl(*host ? INADDR_ANY : INADDR_LOOPBACK);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = port;
		a->len = sizeof(*sin6);
		return 1;
	} else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
		return 0;
	}
	sin->sin_family = AF_INET;
	sin->sin_port = port;
	a->len = sizeof(*sin);
	return 1;
}

int
addr_parse_inet(const char *s, int socktype, struct listen_addr *a, size_t max,
    char *err, size_t errlen)
{
	char host[256];
	const char *porttext;
	in_port_t port;
	int n = 1;

	memset(a, 0, sizeof(*a));
	if (addr_split(s, host, sizeof(host), &porttext) < 0 ||
	    addr_parse_port(porttext, &port) < 0) {
		snprintf(err, errlen,
		    "\"%s\" is not host:port, [IPv6]:port or a port 0-65535",
		    s);
		return -1;
	}
	if (!addr_literal(host, port, a) &&
	    (n = addr_resolve(host, socktype, port, a, max, err, errlen)) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		addr_format((struct sockaddr *)&a[i].ss, a[i].len, a[i].text,
		    sizeof(a[i].text));
	return n;
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

int
addr_inet_host(const struct sockaddr *sa, char *host, size_t size)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &sin->sin_addr, host, (socklen_t)size);
		return ntohs(sin->sin_port);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &sin6->sin6_addr, host, (socklen_t)size);
		return ntohs(sin6->sin6_port);
	}
	return -1;
}

void
addr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];
	int port = addr_inet_host(sa, host, sizeof(host));

	switch (sa->sa_family) {
	case AF_INET:
		snprintf(buf, size, "%s:%d", host, port);
		break;
	case AF_INET6:
		snprintf(buf, size, "[%s]:%d", host, port);
		break;
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

void
addr_format_for_log(
    const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
	size_t off = offsetof(struct sockaddr_un, sun_path), n = 0, i = 0;
	size_t end;

	if (sa->sa_family != AF_UNIX || len <= off || size < 2) {
		addr_format(sa, len, buf, size);
		return;
	}
	end = (size_t)len - off;
	if (sun->sun_path[0] == '\0') { /* abstract: every byte counts */
		buf[n++] = '@';
		i = 1;
	} else /* a path ends at its NUL */
		end = strnlen(sun->sun_path, end);
	for (; i < end && n + 5 <= size; i++) {
		unsigned char c = (unsigned char)sun->sun_path[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, size - n, "\\x%02X", c);
	}
	buf[n] = '\0';
}

int
addr_same(const struct listen_addr *a, const struct listen_addr *b)
{
	const struct sockaddr_un *ux = (const void *)&a->ss,
	                         *uy = (const void *)&b->ss;
	const struct sockaddr_in *x = (const void *)&a->ss,
	                         *y = (const void *)&b->ss;
	const struct sockaddr_in6 *x6 = (const void *)&a->ss,
	                          *y6 = (const void *)&b->ss;

	if (a->ss.ss_family != b->ss.ss_family)
		return 0;
	switch (a->ss.ss_family) {
	case AF_INET:
		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	case AF_INET6:
		return x6->sin6_port == y6->sin6_port &&
		       memcmp(&x6->sin6_addr, &y6->sin6_addr,
		           sizeof(x6->sin6_addr)) == 0;
	case AF_UNIX:
		if (ux->sun_path[0] != '\0' || uy->sun_path[0] != '\0')
			return strncmp(ux->sun_path, uy->sun_path,
			           sizeof(ux->sun_path)) == 0;
		/* abstract names: every byte of the length counts */
		return a->len == b->len &&
		       memcmp(ux->sun_path, uy->sun_path,
		           a->len - offsetof(struct sockaddr_un, sun_path)) ==
		           0;
	}
	return 0;
}

int
addr_port(const struct listen_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return -1;
}

void
addr_set_port(struct listen_addr *a, int port)
{
	if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port =
		    htons((in_port_t)port);
	else if (a->ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a->ss)->sin6_port =
		    htons((in_port_t)port);
	else
		return;
	addr_format(
	    (struct sockaddr *)&a->ss, a->len, a->text, sizeof(a->text));
}

void
addr_list_format(const struct listen_addr *a, size_t n, char *buf, size_t size)
{
	size_t at = 0;

	*buf = '\0';
	for (size_t i = 0; i < n && at < size; i++) {
		int w = snprintf(
		    buf + at, size - at, "%s%s", i ? " " : "", a[i].text);

		if (w < 0)
			break;
		at += (size_t)w;
	}
}
