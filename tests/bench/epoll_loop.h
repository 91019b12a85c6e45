/* epoll_loop.h - the hand-written epoll servers' loop (the C epoll
 * baseline's and the OpenSSL one's): the listener and every connection on
 * one epoll set, a connection's interest changed only when it changes; the
 * servers differ only in how a connection is served. */
#ifndef BENCH_EPOLL_LOOP_H
#define BENCH_EPOLL_LOOP_H

#include <stdint.h>

/* The first member of a server's connection. */
struct epoll_conn {
	int fd;
	uint32_t events; /* what epoll watches it for */
};

struct epoll_ops {
	/* A connection for fd (accepted, non-blocking), or NULL: fd is then
	 * closed. */
	struct epoll_conn *(*open)(int fd, void *arg);
	/* Serves c after an event: what to wait for next (EPOLLIN,
	 * EPOLLOUT), or 0 to drop it. */
	uint32_t (*serve)(struct epoll_conn *c);
	/* Frees a dropped c; the loop closes its fd then. */
	void (*free)(struct epoll_conn *c);
};

/* Accepts on lfd and serves what comes; never returns. */
void epoll_loop(int lfd, const struct epoll_ops *ops, void *arg);

#endif
