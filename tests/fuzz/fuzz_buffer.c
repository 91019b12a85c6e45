/* fuzz_buffer - the input buffer and its line reader under any sequence of
 * appends, reads and consumes: what comes out is what went in, in order,
 * and every line but the last at end of input ends with '\n'. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct buffer b = BUFFER_INIT;
	char *seen = malloc(n + 1);
	size_t in = 0, out = 0, len;
	const char *p;

	if (seen == NULL)
		return 0;
	while (in < n) {
		uint8_t op = data[in++];
		size_t chunk = (size_t)(op >> 2) + 1;

		if (chunk > n - in)
			chunk = n - in;
		buffer_append(&b, data + in, chunk);
		in += chunk;
		switch (op & 3) {
		case 0: /* lines */
			while ((p = buffer_line(&b, 0, &len)) != NULL) {
				if (p[len - 1] != '\n')
					__builtin_trap();
				memcpy(seen + out, p, len);
				out += len;
			}
			break;
		case 1: /* some bytes */
			p = buffer_peek(&b, &len);
			len = len > 3 ? len / 2 : len;
			memcpy(seen + out, p, len);
			buffer_consume(&b, len);
			out += len;
			break;
		default:
			break;
		}
	}
	while ((p = buffer_line(&b, 1, &len)) != NULL) {
		memcpy(seen + out, p, len);
		out += len;
	}
	if (buffer_len(&b) != 0)
		__builtin_trap();
	/* every byte that was not an op byte came out, in order */
	for (size_t i = 0, j = 0; i < n; i++) {
		size_t chunk = (size_t)(data[i] >> 2) + 1;

		if (chunk > n - i - 1)
			chunk = n - i - 1;
		if (memcmp(data + i + 1, seen + j, chunk) != 0)
			__builtin_trap();
		j += chunk;
		i += chunk;
	}
	buffer_free(&b);
	free(seen);
	return 0;
}
