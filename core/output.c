/* output.c - the output queue: memory bytes and file ranges, streamed to
 * the connection (conn_write, conn_sendfile). */
#include "output.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "hot.h"

struct output_file {
	struct output_file *next;
	int fd; /* -1: a bytes item */
	off_t off;
	size_t len;        /* file bytes left */
	struct buffer mem; /* bytes item */
};

static struct output_file *
output_item_new(struct output *o, int fd)
{
	struct output_file *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->fd = fd;
	if (o->last)
		o->last->next = f;
	else
		o->files = f;
	o->last = f;
	return f;
}

MS_HOT int
output_write(struct output *o, const void *p, size_t n)
{
	struct buffer *b = &o->head;

	if (o->last) {
		if (o->last->fd >= 0 && output_item_new(o, -1) == NULL)
			return -1;
		b = &o->last->mem;
	}
	if (buffer_append(b, p, n) < 0)
		return -1;
	o->bytes += n;
	return 0;
}

int
output_file(struct output *o, int fd, off_t off, size_t count)
{
	struct output_file *f;

	if (count == 0) {
		close(fd);
		return 0;
	}
	if ((f = output_item_new(o, fd)) == NULL) {
		close(fd);
		return -1;
	}
	f->off = off;
	f->len = count;
	o->bytes += count;
	return 0;
}

/* Sends from b; 1 when b is empty, 0 on EAGAIN, -1 on error. */
MS_HOT static int
output_send_buffer(struct output *o, struct buffer *b, struct conn *c)
{
	while (buffer_len(b) > 0) {
		size_t len;
		const char *p = buffer_peek(b, &len);
		ssize_t n = conn_write(c, p, len, 0);

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		buffer_consume(b, (size_t)n);
		o->bytes -= (size_t)n;
	}
	return 1;
}

static int
output_send_file(struct output *o, struct output_file *f, struct conn *c)
{
	while (f->len > 0) {
		ssize_t n = conn_sendfile(c, f->fd, &f->off, f->len);

		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (n == 0) { /* the file shrank under us */
			errno = EIO;
			return -1;
		}
		f->len -= (size_t)n;
		o->bytes -= (size_t)n;
	}
	return 1;
}

static void
output_file_free(struct output *o, struct output_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	o->bytes -= f->len + buffer_len(&f->mem);
	buffer_free(&f->mem);
	free(f);
}

MS_HOT int
output_send(struct output *o, struct conn *c)
{
	int r = output_send_buffer(o, &o->head, c);

	while (r == 1 && o->files) {
		struct output_file *f = o->files;

		r = f->fd >= 0 ? output_send_file(o, f, c)
		               : output_send_buffer(o, &f->mem, c);
		if (r != 1)
			break;
		o->files = f->next;
		if (o->files == NULL)
			o->last = NULL;
		output_file_free(o, f);
	}
	return r;
}

MS_HOT void
output_free(struct output *o)
{
	while (o->files) {
		struct output_file *f = o->files;

		o->files = f->next;
		output_file_free(o, f);
	}
	o->last = NULL;
	buffer_free(&o->head);
	o->bytes = 0;
}
