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

/* One message: a byte and room for one descriptor. */
struct control_msg {
	char byte;
	struct iovec iov;
	struct msghdr msg;
	union { /* last: struct cmsghdr ends in a flexible array */
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} u;
};

static void
control_msg_init(struct control_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->byte = 'f';
	m->iov = (struct iovec){&m->byte, 1};
	m->msg = (struct msghdr){.msg_iov = &m->iov,
	    .msg_iovlen = 1,
	    .msg_control = m->u.space,
	    .msg_controllen = sizeof(m->u.space)};
}

int
control_send_fd(int ctl, int fd)
{
	struct control_msg m;
	struct cmsghdr *c;

	control_msg_init(&m);
	c = CMSG_FIRSTHDR(&m.msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(ctl, &m.msg, MSG_DONTWAIT | MSG_NOSIGNAL) == 1 ? 0 : -1;
}

int
control_take_fd(int ctl)
{
	int last = -1;

	for (;;) {
		struct control_msg m;
		struct cmsghdr *c;
		int fd;

		control_msg_init(&m);
		if (recvmsg(ctl, &m.msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
			return last;
		c = CMSG_FIRSTHDR(&m.msg);
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
