/* buffer.h - a growable byte buffer: append at the end, consume at the front,
 * find lines without rescanning. */
#ifndef BUFFER_H
#define BUFFER_H

#include <stddef.h>

struct buffer {
	char *data;
	size_t start; /* first unconsumed byte */
	size_t end;   /* one past the last byte */
	size_t cap;
	size_t scan; /* [start, scan) is known to hold no '\n' */
	int lent;    /* data is not ours to realloc or free */
};

#define BUFFER_INIT                                                            \
	{                                                                      \
		NULL, 0, 0, 0, 0, 0                                            \
	}

static inline size_t
buffer_len(const struct buffer *b)
{
	return b->end - b->start;
}

/* Makes room for n more bytes at the end; returns where they go, or NULL
 * (ENOMEM).  buffer_commit then says how many were written there. */
char *buffer_reserve(struct buffer *b, size_t n);
void buffer_commit(struct buffer *b, size_t n);
int buffer_append(struct buffer *b, const void *p, size_t n); /* 0 / -1 */
const char *buffer_peek(const struct buffer *b, size_t *len);
void buffer_consume(struct buffer *b, size_t n);
/* The next line, '\n' included, consumed; NULL when none is complete.  With
 * at_eof, an unterminated rest is returned as the last line. */
const char *buffer_line(struct buffer *b, int at_eof, size_t *len);
void buffer_reset(struct buffer *b); /* empty, keeps the memory */
/* An empty buffer starts in mem (cap bytes, owned by the caller), and
 * moves to the heap only if it outgrows it. */
void buffer_lend(struct buffer *b, char *mem, size_t cap);
void buffer_free(struct buffer *b);

#endif
