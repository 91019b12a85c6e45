/* buffer.c - growable byte buffer and line finding. */
#include "buffer.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hot.h"

#define BUFFER_MIN 4096

MS_HOT char *
buffer_reserve(struct buffer *b, size_t n)
{
	size_t len = buffer_len(b), cap;
	char *p;

	if (b->cap - b->end >= n)
		return b->data + b->end;
	if (b->start > 0 && b->cap - len >= n && len <= b->start) {
		/* compact when the move is cheap relative to what was used */
		memcpy(b->data, b->data + b->start, len);
		b->scan -= b->start;
		b->end = len;
		b->start = 0;
		return b->data + b->end;
	}
	if (n > SIZE_MAX / 2 - len) {
		errno = ENOMEM;
		return NULL;
	}
	cap = b->cap ? b->cap : BUFFER_MIN;
	while (cap < len + n)
		cap *= 2;
	if (b->start > 0) {
		memmove(b->data, b->data + b->start, len);
		b->scan -= b->start;
		b->end = len;
		b->start = 0;
	}
	if (cap != b->cap) {
		if ((p = b->lent ? malloc(cap) : realloc(b->data, cap)) == NULL)
			return NULL;
		if (b->lent)
			memcpy(p, b->data, b->end);
		b->lent = 0;
		b->data = p;
		b->cap = cap;
	}
	return b->data + b->end;
}

MS_HOT void
buffer_commit(struct buffer *b, size_t n)
{
	b->end += n;
}

MS_HOT int
buffer_append(struct buffer *b, const void *p, size_t n)
{
	char *dst;

	if (n == 0)
		return 0;
	if ((dst = buffer_reserve(b, n)) == NULL)
		return -1;
	memcpy(dst, p, n);
	b->end += n;
	return 0;
}

MS_HOT const char *
buffer_peek(const struct buffer *b, size_t *len)
{
	*len = buffer_len(b);
	return b->data ? b->data + b->start : "";
}

MS_HOT void
buffer_consume(struct buffer *b, size_t n)
{
	if (n >= buffer_len(b)) {
		buffer_reset(b);
		return;
	}
	b->start += n;
	if (b->scan < b->start)
		b->scan = b->start;
}

const char *
buffer_line(struct buffer *b, int at_eof, size_t *len)
{
	const char *line, *nl;
	size_t from = b->scan > b->start ? b->scan : b->start;

	nl = from < b->end ? memchr(b->data + from, '\n', b->end - from) : NULL;
	if (nl == NULL) {
		b->scan = b->end;
		if (!at_eof || buffer_len(b) == 0)
			return NULL;
		nl = b->data + b->end - 1;
	}
	line = b->data + b->start;
	*len = (size_t)(nl - line) + 1;
	b->start += *len;
	b->scan = b->start;
	return line;
}

MS_HOT void
buffer_reset(struct buffer *b)
{
	b->start = b->end = b->scan = 0;
}

MS_HOT void
buffer_lend(struct buffer *b, char *mem, size_t cap)
{
	*b = (struct buffer){.data = mem, .cap = cap, .lent = 1};
}

MS_HOT void
buffer_free(struct buffer *b)
{
	if (!b->lent)
		free(b->data);
	*b = (struct buffer)BUFFER_INIT;
}
