/* access.c - parse CIDR prefixes and match peers against allow and deny. */
#include "access.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
access_parse(const char *text, struct cidr *c, char *err, size_t errlen)
{
	char host[64];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	int bits;

	memset(c, 0, sizeof(*c));
	if (n == 0 || n >= sizeof(host))
		goto bad;
	memcpy(host, text, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, c->addr) == 1) {
		c->family = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, host, c->addr) == 1) {
		c->family = AF_INET6;
		bits = 128;
	} else {
		goto bad;
	}
	c->prefix = bits;
	if (slash) {
		char *end;
		long v;

		errno = 0;
		v = strtol(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || v < 0 || v > bits)
			goto bad;
		c->prefix = (int)v;
	}
	for (int i = c->prefix; i < bits; i++) /* clear the host bits */
		c->addr[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
	return 0;
bad:
	snprintf(err, errlen,
	    "\"%s\" is not an address or prefix (1.2.3.0/24, ::1, fe80::/10)",
	    text);
	return -1;
}

int
access_match(const struct cidr *c, const struct sockaddr *sa)
{
	const uint8_t *a;
	int full, rest, family = sa->sa_family;

	a = family == AF_INET
	        ? (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr
	        : (const uint8_t *)&((const struct sockaddr_in6 *)sa)
	              ->sin6_addr;
	/* an IPv4 client on a dual-stack socket (one the service manager
	 * passed) is ::ffff:a.b.c.d: IPv4 prefixes are its */
	if (family == AF_INET6 && c->family == AF_INET &&
	    IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a)) {
		family = AF_INET;
		a += 12;
	}
	if (family != c->family)
		return 0;
	full = c->prefix / 8;
	rest = c->prefix % 8;
	if (memcmp(a, c->addr, (size_t)full) != 0)
		return 0;
	return rest == 0 ||
	       ((a[full] ^ c->addr[full]) & (uint8_t)(0xff00 >> rest)) == 0;
}

int
access_allowed(const struct cidr *allow, size_t nallow, const struct cidr *deny,
    size_t ndeny, const struct sockaddr *sa)
{
	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return 1;
	for (size_t i = 0; i < ndeny; i++)
		if (access_match(&deny[i], sa))
			return 0;
	if (nallow == 0)
		return 1;
	for (size_t i = 0; i < nallow; i++)
		if (access_match(&allow[i], sa))
			return 1;
	return 0;
}
