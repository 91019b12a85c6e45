/* conn.h - a request's connection: every byte a request reads or writes
 * (its input, its output queue, a PROXY header, a datagram and its reply)
 * goes through the operations of the connection's type, as Redis's
 * connection.h has it.  conn_plain.c is the socket itself; a type that
 * keeps state of its own (TLS) fits under the same calls, which is why a
 * model asks the connection what it waits for rather than the socket. */
#ifndef CONN_H
#define CONN_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

struct conn;

/* What a pending operation needs of the socket before it can go on. */
#define CONN_WANT_READ 0x1
#define CONN_WANT_WRITE 0x2

/* conn_write's flags */
#define CONN_NOWAIT 0x1 /* take what the socket takes now, blocking or not */

/* The operations of one kind of connection.  Each retries EINTR itself;
 * those that move bytes return the count, 0 (read: the end of input), or
 * -1 with errno (EAGAIN: try again once conn_wants says so). */
struct conn_type {
	const char *name;
	/* Up to len bytes of input into buf. */
	ssize_t (*read)(struct conn *c, void *buf, size_t len);
	/* As read, leaving them to be read again (a PROXY header's). */
	ssize_t (*peek)(struct conn *c, void *buf, size_t len);
	/* Up to len bytes of buf as output; flags CONN_NOWAIT. */
	ssize_t (*write)(
	    struct conn *c, const void *buf, size_t len, int flags);
	/* Up to len bytes of the file fd from *off as output, *off moved on. */
	ssize_t (*sendfile)(struct conn *c, int fd, off_t *off, size_t len);
	/* One datagram into buf (len bytes of it at most), its sender in
	 * from: its whole length, even when longer than len (cut). */
	ssize_t (*recv_datagram)(struct conn *c, void *buf, size_t len,
	    struct sockaddr *from, socklen_t *fromlen);
	/* buf as one datagram to to. */
	ssize_t (*send_datagram)(struct conn *c, const void *buf, size_t len,
	    const struct sockaddr *to, socklen_t tolen);
	/* Reads and writes wait (with the socket's timeouts). */
	int (*set_blocking)(struct conn *c);
	/* The descriptor a program is given as the connection (ms_exec):
	 * blocking, without the timeouts the worker set; -1 with errno when
	 * the connection is more than its socket. */
	int (*hand_over)(struct conn *c);
	/* Ends the connection both ways for the peer, the descriptor kept. */
	int (*shutdown)(struct conn *c);
	/* Releases the connection and its descriptor. */
	void (*close)(struct conn *c);
	/* CONN_WANT_* the operation that last returned EAGAIN needs, beyond
	 * its own direction; 0 when none. */
	int (*wants)(const struct conn *c);
	/* Bytes of input held inside the connection, readable without the
	 * socket (at least 1 while some are held not yet decrypted): an
	 * event loop must not wait for the socket while some are. */
	size_t (*pending)(const struct conn *c);
	/* What the connection does before its first byte of input (TLS's
	 * handshake), after any plaintext read (a PROXY header's): 1 done, 0
	 * when it waits for the socket (EAGAIN; conn_wants says for what),
	 * -1 when it failed, why in why.  NULL: nothing to do. */
	int (*handshake)(struct conn *c, char *why, size_t whylen);
};

struct conn {
	const struct conn_type *type;
	int fd;     /* the socket; -1: none */
	void *priv; /* the type's own state */
	void *arg;  /* the type's, the same for each connection of a service
	               (TLS: the service's contexts) */
};

/* A connection of type on fd (which it owns, unless a datagram's). */
static inline void
conn_init(struct conn *c, const struct conn_type *type, int fd)
{
	c->type = type;
	c->fd = fd;
	c->priv = NULL;
	c->arg = NULL;
}

/* The socket, to watch (epoll) or ask about (getsockname): never to read or
 * write. */
static inline int
conn_fd(const struct conn *c)
{
	return c->fd;
}

static inline ssize_t
conn_read(struct conn *c, void *buf, size_t len)
{
	return c->type->read(c, buf, len);
}

static inline ssize_t
conn_peek(struct conn *c, void *buf, size_t len)
{
	return c->type->peek(c, buf, len);
}

static inline ssize_t
conn_write(struct conn *c, const void *buf, size_t len, int flags)
{
	return c->type->write(c, buf, len, flags);
}

static inline ssize_t
conn_sendfile(struct conn *c, int fd, off_t *off, size_t len)
{
	return c->type->sendfile(c, fd, off, len);
}

static inline ssize_t
conn_recv_datagram(struct conn *c, void *buf, size_t len, struct sockaddr *from,
    socklen_t *fromlen)
{
	return c->type->recv_datagram(c, buf, len, from, fromlen);
}

static inline ssize_t
conn_send_datagram(struct conn *c, const void *buf, size_t len,
    const struct sockaddr *to, socklen_t tolen)
{
	return c->type->send_datagram(c, buf, len, to, tolen);
}

static inline int
conn_set_blocking(struct conn *c)
{
	return c->type->set_blocking(c);
}

static inline int
conn_hand_over(struct conn *c)
{
	return c->type->hand_over(c);
}

static inline int
conn_shutdown(struct conn *c)
{
	return c->type->shutdown(c);
}

/* Closes c (nothing when it has no socket); c->fd is -1 after. */
static inline void
conn_close(struct conn *c)
{
	if (c->fd >= 0)
		c->type->close(c);
	c->fd = -1;
}

static inline int
conn_wants(const struct conn *c)
{
	return c->type->wants(c);
}

static inline size_t
conn_pending(const struct conn *c)
{
	return c->type->pending(c);
}

/* The socket as it is. */
extern const struct conn_type conn_plain;
/* TLS over the socket (conn_tls.c); arg: the service's struct tls_ctx. */
extern const struct conn_type conn_tls;

#endif
