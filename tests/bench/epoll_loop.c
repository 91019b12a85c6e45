/* epoll_loop.c - the hand-written epoll servers' loop (epoll_loop.h). */
#include "epoll_loop.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static void
epoll_accept(int ep, int lfd, const struct epoll_ops *ops, void *arg)
{
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		struct epoll_conn *c = ops->open(fd, arg);
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};

		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->events = EPOLLIN;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			ops->free(c);
			close(fd);
		}
	}
}

void
epoll_loop(int lfd, const struct epoll_ops *ops, void *arg)
{
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}, evs[256];

	fcntl(lfd, F_SETFL, O_NONBLOCK);
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++) {
			struct epoll_conn *c = evs[i].data.ptr;
			uint32_t want;

			if (c == NULL) {
				epoll_accept(ep, lfd, ops, arg);
				continue;
			}
			if ((want = ops->serve(c)) == 0) {
				int fd = c->fd;

				ops->free(c);
				close(fd);
				continue;
			}
			if (want != c->events) {
				c->events = want;
				ev = (struct epoll_event){want, {c}};
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			}
		}
	}
}
