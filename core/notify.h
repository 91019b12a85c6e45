/* notify.h - telling a service manager (systemd) how the daemon is. */
#ifndef NOTIFY_H
#define NOTIFY_H

/* Whether a service manager listens (NOTIFY_SOCKET names a socket). */
int notify_enabled(void);
/* Sends one notification ("READY=1\nSTATUS=...") when NOTIFY_SOCKET is
 * set; otherwise does nothing.  A failure is logged, never fatal. */
void notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
