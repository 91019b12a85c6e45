/* control.h - the channel between the master and one worker: the worker
 * says it serves; the master hands it the log file after a rotation (a
 * worker that became another user could not open root's log again) and
 * its service's new session ticket keys (tls_keys_fd.h). */
#ifndef CONTROL_H
#define CONTROL_H

/* The pair of connected sockets, close-on-exec: fds[0] the master's,
 * fds[1] the worker's.  0, or -1 with errno. */
int control_pair(int fds[2]);
/* What a descriptor sent is. */
#define CONTROL_LOG 'f'         /* the log file */
#define CONTROL_ACCESS_LOG 'a'  /* the service's access-log file */
#define CONTROL_TICKET_KEYS 'k' /* a sealed memfd of ticket keys */
#define CONTROL_KINDS 3

/* Sends file descriptor fd (the log file), without waiting.  0, or -1
 * with errno. */
int control_send_fd(int ctl, int fd);
/* The same for a descriptor of kind (CONTROL_*). */
int control_send_kind(int ctl, char kind, int fd);
/* The last log file sent and not yet taken (earlier ones are closed), or
 * -1 when none waits. */
int control_take_fd(int ctl);
/* The last descriptor of each kind sent and not yet taken, in the order
 * of CONTROL_*: fds[0] the log, fds[1] the access log, fds[2] the ticket
 * keys; -1 for a kind of which none waits. */
void control_take_fds(int ctl, int fds[CONTROL_KINDS]);

#endif
