/* sock.c - bind listening sockets; replace stale unix socket files. */
#include "sock.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
sock_open(const struct listen_addr *a, int socktype, char *err, size_t errlen)
{
	int fd =
	    socket(a->ss.ss_family, socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		snprintf(err, errlen, "socket: %s", strerror(errno));
	return fd;
}

static int
sock_listen(int fd, int socktype, int backlog, char *err, size_t errlen)
{
	if (socktype == SOCK_STREAM && listen(fd, backlog) < 0) {
		snprintf(err, errlen, "listen: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
sock_bind_inet(
    struct listen_addr *a, int socktype, int backlog, char *err, size_t errlen)
{
	int fd, one = 1, e;

	if ((fd = sock_open(a, socktype, err, errlen)) < 0)
		return -1;
	if (socktype == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a->ss, a->len) < 0) {
		snprintf(err, errlen, "bind %s: %s", a->text,
		    errno == EADDRINUSE ? "address in use" : strerror(errno));
		goto fail;
	}
	if (sock_listen(fd, socktype, backlog, err, errlen) < 0)
		goto fail;
	a->len = sizeof(a->ss);
	getsockname(fd, (struct sockaddr *)&a->ss, &a->len);
	addr_format(
	    (struct sockaddr *)&a->ss, a->len, a->text, sizeof(a->text));
	return fd;
fail:
	/* the caller tells "in use" apart: it may try another port */
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* 1: something answers on the socket file; 0: nothing does (stale). */
static int
sock_unix_alive(const struct listen_addr *a, int socktype)
{
	int fd = socket(AF_UNIX, socktype | SOCK_CLOEXEC, 0), alive;

	if (fd < 0)
		return 1; /* cannot tell: never steal */
	alive = connect(fd, (const struct sockaddr *)&a->ss, a->len) == 0 ||
	        errno != ECONNREFUSED;
	close(fd);
	return alive;
}

/* Removes a stale socket file at a's path; -1 with err if it is not one. */
static int
sock_unix_reclaim(
    const struct listen_addr *a, int socktype, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(a->text, &st) < 0) {
		snprintf(err, errlen, "bind %s: %s", a->text, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "bind %s: exists and is not a socket",
		    a->text);
		return -1;
	}
	if (sock_unix_alive(a, socktype)) {
		snprintf(err, errlen,
		    "bind %s: address in use (a live server answers there)",
		    a->text);
		return -1;
	}
	if (unlink(a->text) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "removing stale %s: %s", a->text,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* A unix datagram socket's send buffer bounds the largest datagram it can
 * send (less a little): the default (net.core.wmem_default, 208 KiB) is
 * less than the largest one accepted, and replies that large were lost.
 * The kernel doubles what is set. */
int
sock_dgram_room(int fd, const struct listen_addr *a, char *err, size_t errlen)
{
	int want = SOCK_DGRAM_MAX, got = 0;
	socklen_t len = sizeof(got);

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want)) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &got, &len) < 0 ||
	    got < SOCK_DGRAM_MAX + 1024) {
		snprintf(err, errlen,
		    "%s: a send buffer for replies of %d bytes: got %d (raise net.core.wmem_max)",
		    a->text, SOCK_DGRAM_MAX, got);
		return -1;
	}
	return 0;
}

int
sock_bind_unix(
    struct listen_addr *a, int socktype, int backlog, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if ((fd = sock_open(a, socktype, err, errlen)) < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a->ss, a->len) < 0) {
		if (errno != EADDRINUSE) {
			snprintf(err, errlen, "bind %s: %s", a->text,
			    strerror(errno));
			goto fail;
		}
		if (sock_unix_reclaim(a, socktype, err, errlen) < 0)
			goto fail;
		if (bind(fd, (struct sockaddr *)&a->ss, a->len) < 0) {
			snprintf(err, errlen, "bind %s: %s", a->text,
			    strerror(errno));
			goto fail;
		}
	}
	if (stat(a->text, &st) == 0) {
		a->dev = st.st_dev;
		a->ino = st.st_ino;
	}
	if (socktype == SOCK_DGRAM && sock_dgram_room(fd, a, err, errlen) < 0) {
		sock_unbind_unix(a);
		goto fail;
	}
	if (sock_listen(fd, socktype, backlog, err, errlen) < 0) {
		sock_unbind_unix(a);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

void
sock_unbind_unix(const struct listen_addr *a)
{
	struct stat st;

	if (a->ino != 0 && lstat(a->text, &st) == 0 && st.st_dev == a->dev &&
	    st.st_ino == a->ino)
		unlink(a->text);
}
