/* upper - bytes back with ASCII a-z uppercased, as Python's bytes.upper():
 * every other byte, UTF-8 included, unchanged. */
#include <modserv.h>

static int
upper_handle(ms_request *req)
{
	char buf[16384];
	size_t n, i, chunk;
	const unsigned char *p = ms_peek(req, &n);

	if (n == 0 && ms_write(req, "", 0) < 0) /* an empty datagram too */
		return -1;
	while (n > 0) {
		chunk = n < sizeof(buf) ? n : sizeof(buf);
		for (i = 0; i < chunk; i++)
			buf[i] = (char)(p[i] >= 'a' && p[i] <= 'z' ? p[i] - 32
			                                           : p[i]);
		if (ms_write(req, buf, chunk) < 0)
			return -1;
		ms_consume(req, chunk);
		p = ms_peek(req, &n);
	}
	return MS_MORE;
}

MODSERV_MODULE(.name = "upper",
    .summary = "sends bytes back with ASCII a-z uppercased",
    .handle = upper_handle);
