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
	return control_send_kind(ctl, CONTROL_LOG, fd);
}

int
control_send_kind(int ctl, char kind, int fd)
{
	struct control_msg m;
	struct cmsghdr *c;

	control_msg_init(&m);
	m.byte = kind;
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
	int fds[CONTROL_KINDS];

	control_take_fds(ctl, fds);
	for (int i = 1; i < CONTROL_KINDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return fds[0];
}

/* The slot of kind in control_take_fds' array, or -1. */
static int
control_slot(char kind)
{
	static const char kinds[CONTROL_KINDS] = {
	    CONTROL_LOG, CONTROL_ACCESS_LOG, CONTROL_TICKET_KEYS};

	for (int i = 0; i < CONTROL_KINDS; i++)
		if (kinds[i] == kind)
			return i;
	return -1;
}

void
control_take_fds(int ctl, int fds[CONTROL_KINDS])
{
	for (int i = 0; i < CONTROL_KINDS; i++)
		fds[i] = -1;
	for (;;) {
		struct control_msg m;
		struct cmsghdr *c;
		int fd;

		int slot;

		control_msg_init(&m);
		if (recvmsg(ctl, &m.msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
			return;
		c = CMSG_FIRSTHDR(&m.msg);
		if (c == NULL || c->cmsg_level != SOL_SOCKET ||
		    c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len != CMSG_LEN(sizeof(int)))
			continue;
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
		if ((slot = control_slot(m.byte)) < 0) {
			close(fd);
			continue;
		}
		if (fds[slot] >= 0)
			close(fds[slot]);
		fds[slot] = fd;
	}
}
