/* conn_plain.c - the connection that is its socket: recv, send, sendfile,
 * recvfrom and sendto on the descriptor, nothing held inside. */
#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/time.h>
#include <unistd.h>

#include "hot.h"

MS_HOT static ssize_t
plain_read(struct conn *c, void *buf, size_t len)
{
	ssize_t n;

	while ((n = recv(c->fd, buf, len, 0)) < 0 && errno == EINTR)
		;
	return n;
}

static ssize_t
plain_peek(struct conn *c, void *buf, size_t len)
{
	ssize_t n;

	while ((n = recv(c->fd, buf, len, MSG_PEEK)) < 0 && errno == EINTR)
		;
	return n;
}

MS_HOT static ssize_t
plain_write(struct conn *c, const void *buf, size_t len, int flags)
{
	int how = MSG_NOSIGNAL | (flags & CONN_NOWAIT ? MSG_DONTWAIT : 0);
	ssize_t n;

	while ((n = send(c->fd, buf, len, how)) < 0 && errno == EINTR)
		;
	return n;
}

static ssize_t
plain_sendfile(struct conn *c, int fd, off_t *off, size_t len)
{
	ssize_t n;

	while ((n = sendfile(c->fd, fd, off, len)) < 0 && errno == EINTR)
		;
	return n;
}

MS_HOT static ssize_t
plain_recv_datagram(struct conn *c, void *buf, size_t len,
    struct sockaddr *from, socklen_t *fromlen)
{
	socklen_t room = *fromlen;
	ssize_t n;

	while ((n = recvfrom(c->fd, buf, len, MSG_TRUNC, from, fromlen)) < 0 &&
	       errno == EINTR)
		*fromlen = room;
	return n;
}

MS_HOT static ssize_t
plain_send_datagram(struct conn *c, const void *buf, size_t len,
    const struct sockaddr *to, socklen_t tolen)
{
	ssize_t n;

	while ((n = sendto(c->fd, buf, len, MSG_NOSIGNAL, to, tolen)) < 0 &&
	       errno == EINTR)
		;
	return n;
}

static int
plain_set_blocking(struct conn *c)
{
	int fl = fcntl(c->fd, F_GETFL);

	if (fl < 0 ||
	    (fl & O_NONBLOCK && fcntl(c->fd, F_SETFL, fl & ~O_NONBLOCK) < 0))
		return -1;
	return 0;
}

/* Under thread and fork idle_timeout is the socket's SO_RCVTIMEO and
 * SO_SNDTIMEO, which would fail a program's blocking reads and writes with
 * EAGAIN: it gets the socket without them. */
static int
plain_hand_over(struct conn *c)
{
	struct timeval none = {0, 0};

	if (plain_set_blocking(c) < 0 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none)) <
	        0 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof(none)) < 0)
		return -1;
	return c->fd;
}

static int
plain_shutdown(struct conn *c)
{
	return shutdown(c->fd, SHUT_RDWR);
}

MS_HOT static void
plain_close(struct conn *c)
{
	close(c->fd);
}

MS_HOT static int
plain_wants(const struct conn *c)
{
	(void)c; /* a socket's operation waits for its own direction */
	return 0;
}

MS_HOT static size_t
plain_pending(const struct conn *c)
{
	(void)c; /* every byte is in the socket */
	return 0;
}

const struct conn_type conn_plain = {
    .name = "plain",
    .read = plain_read,
    .peek = plain_peek,
    .write = plain_write,
    .sendfile = plain_sendfile,
    .recv_datagram = plain_recv_datagram,
    .send_datagram = plain_send_datagram,
    .set_blocking = plain_set_blocking,
    .hand_over = plain_hand_over,
    .shutdown = plain_shutdown,
    .close = plain_close,
    .wants = plain_wants,
    .pending = plain_pending,
};
