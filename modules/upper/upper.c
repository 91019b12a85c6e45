/* upper - bytes back with ASCII a-z uppercased, as Python's bytes.upper():
 * every other byte, UTF-8 included, unchanged. */
#include <modserv.h>

/* In place, then queued: the host sends a large reply straight from the
 * input buffer, and copies a small one once into the output.  (The loop is
 * one the compiler vectorizes.) */
static int
upper_handle(ms_request *req)
{
	size_t got;
	char *p = ms_peek_mut(req, &got);
	const size_t n = got; /* not re-read after each byte stored */

	if (n == 0) /* an empty datagram gets an empty reply */
		return ms_write(req, "", 0) < 0 ? -1 : MS_MORE;
	for (size_t i = 0; i < n; i++)
		p[i] = (char)(p[i] >= 'a' && p[i] <= 'z' ? p[i] - 32 : p[i]);
	if (ms_write(req, p, n) < 0)
		return -1;
	ms_consume(req, n);
	return MS_MORE;
}

MODSERV_MODULE(.name = "upper",
    .summary = "sends bytes back with ASCII a-z uppercased",
    .handle = upper_handle);
