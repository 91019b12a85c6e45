/* output.h - a request's output: bytes and file ranges, sent in order. */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <sys/types.h>

#include "buffer.h"
#include "conn.h"

struct output_file; /* a queued file range, or bytes queued after one */

struct output {
	struct buffer head;        /* bytes queued before any file */
	struct output_file *files; /* then these, in order */
	struct output_file *last;
	size_t bytes; /* everything queued and not yet sent */
};

#define OUTPUT_INIT                                                            \
	{                                                                      \
		BUFFER_INIT, NULL, NULL, 0                                     \
	}

int output_write(struct output *o, const void *p, size_t n);
/* Takes ownership of fd. */
int output_file(struct output *o, int fd, off_t off, size_t count);
static inline int
output_pending(const struct output *o)
{
	return o->bytes > 0;
}
/* Sends what it can on the stream connection c.  1: all sent; 0: it would
 * block (c is non-blocking); -1: error (errno; the peer is gone or a file
 * failed to read). */
int output_send(struct output *o, struct conn *c);
void output_free(struct output *o); /* closes queued files */

#endif
