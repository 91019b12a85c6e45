/* fuzz_addr - any text as a listen address, a unix path, or an allow/deny
 * prefix: parsed or refused with a reason, never a crash.  Text that would
 * be looked up as a host name is left out (no DNS while fuzzing). */
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "access.h"
#include "addr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	char text[300], err[256];
	struct listen_addr a, b;
	struct cidr c;
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};

	if (n >= sizeof(text))
		return 0;
	memcpy(text, data, n);
	text[n] = '\0';
	addr_parse_unix(text, "/run/base", &a, err, sizeof(err));
	if (access_parse(text, &c, err, sizeof(err)) == 0) {
		memcpy(&sin6.sin6_addr, c.addr, 16);
		access_match(&c, (struct sockaddr *)&sin6);
	}
	if (strspn(text, "0123456789abcdefABCDEF:.[]*") != n ||
	    addr_parse_inet(text, SOCK_STREAM, &a, 1, err, sizeof(err)) < 0)
		return 0;
	/* what is printed parses back to the same address (port 0 is never
	 * "the same": each bind picks its own) */
	if (((struct sockaddr_in *)&a.ss)->sin_port != 0 &&
	    (addr_parse_inet(a.text, SOCK_STREAM, &b, 1, err, sizeof(err)) <
	            0 ||
	        !addr_same(&a, &b)))
		__builtin_trap();
	return 0;
}
