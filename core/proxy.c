/* proxy.c - PROXY protocol v1 ("PROXY TCP4 1.2.3.4 5.6.7.8 1234 80\r\n")
 * and v2 (a 16-byte binary header and the addresses), as HAProxy's
 * proxy-protocol.txt describes them. */
#include "proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

static const unsigned char v2_sig[12] = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

#define V1_MAX 107 /* "PROXY TCP6 " + two addresses and ports + CRLF */

static int
fail(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s", why);
	return -1;
}

/* A decimal port 0..65535 without sign or leading zero. */
static int
v1_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0') || strlen(s) > 5)
		return -1;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return -1;
		v = v * 10 + (unsigned long)(*c - '0');
	}
	if (v > 65535)
		return -1;
	*port = htons((uint16_t)v);
	return 0;
}

static int
v1_parse(const char *p, size_t len, struct sockaddr_storage *src,
    socklen_t *srclen, char *err, size_t errlen)
{
	char line[V1_MAX + 1], *word[7], *save = NULL;
	const char *end = memchr(p, '\n', len < V1_MAX ? len : V1_MAX);
	size_t n;
	int words = 0;

	if (end == NULL)
		return len >= V1_MAX
		           ? fail(err, errlen,
		                 "v1 header without CRLF in 107 bytes")
		           : 0;
	n = (size_t)(end - p) + 1;
	if (n < 2 || p[n - 2] != '\r')
		return fail(err, errlen, "v1 header does not end in CRLF");
	memcpy(line, p, n - 2);
	line[n - 2] = '\0';
	if (strchr(line, '\0') != line + n - 2)
		return fail(err, errlen, "v1 header holds a NUL byte");
	for (char *w = strtok_r(line, " ", &save); w && words < 7;
	     w = strtok_r(NULL, " ", &save))
		word[words++] = w;
	if (words >= 2 && strcmp(word[1], "UNKNOWN") == 0) {
		*srclen = 0;
		return (int)n;
	}
	if (words != 6)
		return fail(err, errlen,
		    "v1 header is not PROXY, protocol, two addresses and two ports");
	memset(src, 0, sizeof(*src));
	if (strcmp(word[1], "TCP4") == 0) {
		struct sockaddr_in *in = (struct sockaddr_in *)src;
		struct in_addr dst;
		uint16_t dport;

		in->sin_family = AF_INET;
		if (inet_pton(AF_INET, word[2], &in->sin_addr) != 1 ||
		    inet_pton(AF_INET, word[3], &dst) != 1 ||
		    v1_port(word[4], &in->sin_port) < 0 ||
		    v1_port(word[5], &dport) < 0)
			return fail(
			    err, errlen, "v1 header: bad TCP4 address or port");
		*srclen = sizeof(*in);
	} else if (strcmp(word[1], "TCP6") == 0) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)src;
		struct in6_addr dst;
		uint16_t dport;

		in6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, word[2], &in6->sin6_addr) != 1 ||
		    inet_pton(AF_INET6, word[3], &dst) != 1 ||
		    v1_port(word[4], &in6->sin6_port) < 0 ||
		    v1_port(word[5], &dport) < 0)
			return fail(
			    err, errlen, "v1 header: bad TCP6 address or port");
		*srclen = sizeof(*in6);
	} else {
		return fail(err, errlen,
		    "v1 header: protocol is not TCP4, TCP6 or UNKNOWN");
	}
	return (int)n;
}

static int
v2_parse(const unsigned char *p, size_t len, struct sockaddr_storage *src,
    socklen_t *srclen, char *err, size_t errlen)
{
	size_t body, n;

	if (len < 16)
		return 0;
	if ((p[12] & 0xF0) != 0x20)
		return fail(err, errlen, "v2 header: version is not 2");
	body = (size_t)p[14] << 8 | p[15];
	n = 16 + body;
	if (n > PROXY_MAX_HEADER)
		return fail(err, errlen, "v2 header longer than 4096 bytes");
	if (len < n)
		return 0;
	switch (p[12] & 0x0F) {
	case 0x0: /* LOCAL: the balancer's own connection */
		*srclen = 0;
		return (int)n;
	case 0x1: /* PROXY */
		break;
	default:
		return fail(err, errlen,
		    "v2 header: command is neither LOCAL nor PROXY");
	}
	memset(src, 0, sizeof(*src));
	switch (p[13]) {
	case 0x11:   /* TCP over IPv4 */
	case 0x12: { /* UDP over IPv4 */
		struct sockaddr_in *in = (struct sockaddr_in *)src;

		if (body < 12)
			return fail(
			    err, errlen, "v2 header: IPv4 addresses cut short");
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, p + 16, 4);
		memcpy(&in->sin_port, p + 24, 2);
		*srclen = sizeof(*in);
		break;
	}
	case 0x21: /* TCP over IPv6 */
	case 0x22: {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)src;

		if (body < 36)
			return fail(
			    err, errlen, "v2 header: IPv6 addresses cut short");
		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, p + 16, 16);
		memcpy(&in6->sin6_port, p + 48, 2);
		*srclen = sizeof(*in6);
		break;
	}
	case 0x31: /* unix stream */
	case 0x32: {
		struct sockaddr_un *un = (struct sockaddr_un *)src;

		if (body < 216)
			return fail(
			    err, errlen, "v2 header: unix addresses cut short");
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, p + 16, sizeof(un->sun_path) - 1);
		*srclen = sizeof(*un);
		break;
	}
	case 0x00: /* UNSPEC: no address to take */
		*srclen = 0;
		break;
	default:
		return fail(err, errlen, "v2 header: unknown address family");
	}
	return (int)n;
}

int
proxy_parse(const void *p, size_t len, struct sockaddr_storage *src,
    socklen_t *srclen, char *err, size_t errlen)
{
	const unsigned char *b = p;
	size_t k = len < sizeof(v2_sig) ? len : sizeof(v2_sig);

	if (memcmp(b, v2_sig, k) == 0)
		return len < sizeof(v2_sig)
		           ? 0
		           : v2_parse(b, len, src, srclen, err, errlen);
	k = len < 6 ? len : 6;
	if (memcmp(b, "PROXY ", k) != 0)
		return fail(err, errlen, "no PROXY protocol header");
	return len < 6 ? 0 : v1_parse(p, len, src, srclen, err, errlen);
}
