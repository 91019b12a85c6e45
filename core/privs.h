/* privs.h - becoming a service's user: the one step after which a process
 * may run module code. */
#ifndef PRIVS_H
#define PRIVS_H

#include <stddef.h>
#include <sys/types.h>

struct service_conf;

/* Becomes sc's user and group for good when modserv runs as root (the
 * supplementary groups go too), then asks for signal sig when the parent
 * dies: the kernel forgets that request at a change of credentials, so
 * it is made after.  parent is the pid the caller was forked by; if it is
 * gone already the caller must end.  0, or -1 with the reason in err. */
int privs_become(const struct service_conf *sc, pid_t parent, int sig,
    char *err, size_t errlen);

#endif
