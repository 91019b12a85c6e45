/* fuzz_proxy - any bytes as the start of a connection behind a balancer:
 * a PROXY header is taken, asked for more, or refused with a reason, never
 * a crash; and a header that parses whole was "need more" at every
 * shorter prefix (as it arrives in pieces). */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char err[128];
	int whole = proxy_parse(data, n, &ss, &len, err, sizeof(err));

	if (whole > (int)n || whole > PROXY_MAX_HEADER)
		__builtin_trap();
	if (whole > 0 && len > 0 && ss.ss_family != AF_INET &&
	    ss.ss_family != AF_INET6 && ss.ss_family != AF_UNIX)
		__builtin_trap();
	for (int k = 0; whole > 0 && k < whole; k++)
		if (proxy_parse(data, (size_t)k, &ss, &len, err, sizeof(err)) !=
		    0)
			__builtin_trap();
	return 0;
}
