/* control.h - the channel between the master and one worker: the worker
 * says it serves; the master hands it the log file after a rotation (a
 * worker that became another user could not open root's log again). */
#ifndef CONTROL_H
#define CONTROL_H

/* The pair of connected sockets, close-on-exec: fds[0] the master's,
 * fds[1] the worker's.  0, or -1 with errno. */
int control_pair(int fds[2]);
/* Sends file descriptor fd, without waiting.  0, or -1 with errno. */
int control_send_fd(int ctl, int fd);
/* The last file descriptor sent and not yet taken (earlier ones are
 * closed), or -1 when none waits. */
int control_take_fd(int ctl);

#endif
