/* traffic.c - when bytes last moved on a connection a program owns.
 *
 * Over TCP the kernel keeps it: TCP_INFO's tcpi_last_data_recv and
 * tcpi_last_data_sent are the milliseconds since a data segment came in
 * or went out, exact, one getsockopt a look.
 *
 * A unix stream socket keeps no such time nor a byte counter, and the
 * program's /proc/PID/io would count its file I/O too and miss what the
 * processes it starts read and write.  The socket's own wait queue does
 * see every move: the kernel wakes it when the peer sends and when the
 * peer takes some of our bytes (the send buffer's space comes back).  An
 * edge-triggered epoll registration turns each wakeup into an event,
 * collected at the next look.  An event is reported only if the socket is
 * readable or writable at that look; when it is neither, its send queue is
 * over a quarter full with the peer's bytes all read, and what the peer
 * took shows as the queue's length (SIOCOUTQ) changing.  A peer that keeps
 * sending but takes none of a full queue is idle, as a module's peer that
 * takes none of the output is.  Either way a move is seen at the next
 * look: over a unix socket the idle time is known to one interval of
 * looks, over TCP to the millisecond. */
#include "traffic.h"

#include <errno.h>
#include <stddef.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <linux/tcp.h> /* glibc's tcp_info has no byte counts */
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void
traffic_queues(const struct traffic *t, int *inq, int *outq)
{
	if (ioctl(t->fd, SIOCINQ, inq) < 0)
		*inq = -1;
	if (ioctl(t->fd, SIOCOUTQ, outq) < 0)
		*outq = -1;
}

int
traffic_open(struct traffic *t, int fd, long long now)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET};
	int proto = 0;
	socklen_t len = sizeof(proto);

	*t = (struct traffic){.fd = fd, .epfd = -1, .since = now, .moved = now};
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0)
		return -1;
	t->tcp = proto == IPPROTO_TCP;
	if (!t->tcp) {
		if ((t->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
			return -1;
		if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			int saved = errno;

			close(t->epfd);
			errno = saved;
			return -1;
		}
		/* the registration's first event is the state, not a move */
		epoll_wait(t->epfd, &ev, 1, 0);
		traffic_queues(t, &t->inq, &t->outq);
	}
	t->on = 1;
	return 0;
}

static long long
traffic_tcp_moved(const struct traffic *t, long long now)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	unsigned quiet;

	/* cannot tell (never seen on a socket of ours): take it as moving */
	if (getsockopt(t->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		return now;
	quiet = ti.tcpi_last_data_recv < ti.tcpi_last_data_sent
	            ? ti.tcpi_last_data_recv
	            : ti.tcpi_last_data_sent;
	return now - (long long)quiet;
}

static long long
traffic_unix_moved(struct traffic *t, long long now)
{
	struct epoll_event ev;
	int inq, outq, woke;

	while ((woke = epoll_wait(t->epfd, &ev, 1, 0)) < 0 && errno == EINTR)
		;
	traffic_queues(t, &inq, &outq);
	if (woke > 0 || inq != t->inq || outq != t->outq)
		t->moved = now;
	t->inq = inq;
	t->outq = outq;
	return t->moved;
}

long long
traffic_idle_ms(struct traffic *t, long long now)
{
	long long moved =
	    t->tcp ? traffic_tcp_moved(t, now) : traffic_unix_moved(t, now);

	/* a connection that waited in the backlog: its times began before
	 * the program had it */
	if (moved > t->moved)
		t->moved = moved;
	if (t->moved < t->since)
		t->moved = t->since;
	return now - t->moved;
}

int
traffic_bytes(
    const struct traffic *t, unsigned long long *in, unsigned long long *out)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (!t->on || !t->tcp ||
	    getsockopt(t->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    len < offsetof(struct tcp_info, tcpi_bytes_received) +
	              sizeof(ti.tcpi_bytes_received))
		return -1;
	/* the kernel counts a FIN as a byte, the peer's once received (the
	 * states after it), ours once acked */
	*in = ti.tcpi_bytes_received;
	*out = ti.tcpi_bytes_acked;
	if (*in > 0 && (ti.tcpi_state == 6 || ti.tcpi_state == 8 ||
	                   ti.tcpi_state == 9 || ti.tcpi_state == 11))
		(*in)--; /* TIME_WAIT, CLOSE_WAIT, LAST_ACK, CLOSING */
	if (*out > 0 && (ti.tcpi_state == 5 || ti.tcpi_state == 6))
		(*out)--; /* FIN_WAIT2, TIME_WAIT */
	return 0;
}

void
traffic_close(struct traffic *t)
{
	if (t->on && t->epfd >= 0)
		close(t->epfd);
	t->on = 0;
	t->epfd = -1;
}
