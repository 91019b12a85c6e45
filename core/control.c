/* control.c - the master-worker channel: a seqpacket socket pair that
 * carries "serving" one way and descriptors (SCM_RIGHTS) the other. */
#include "control.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
control_pair(int fds[2])
{
	return socketpair(
	    AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds);
}

int
control_send_fd(int ctl, int fd)
{
	char byte = 'f';
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {.msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = u.space,
	    .msg_controllen = sizeof(u.space)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	memset(&u, 0, sizeof(u));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(ctl, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) == 1 ? 0 : -1;
}

int
control_take_fd(int ctl)
{
	int last = -1;

	for (;;) {
		char byte;
		struct iovec iov = {&byte, 1};
		union {
			struct cmsghdr h;
			char space[CMSG_SPACE(sizeof(int))];
		} u;
		struct msghdr msg = {.msg_iov = &iov,
		    .msg_iovlen = 1,
		    .msg_control = u.space,
		    .msg_controllen = sizeof(u.space)};
		struct cmsghdr *c;
		int fd;

		if (recvmsg(ctl, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
			return last;
		c = CMSG_FIRSTHDR(&msg);
		if (c == NULL || c->cmsg_level != SOL_SOCKET ||
		    c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len != CMSG_LEN(sizeof(int)))
			continue;
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
		if (last >= 0)
			close(last);
		last = fd;
	}
}
