/* listeners.h - the master's listening sockets.  They outlive the workers
 * and the configurations that made them: a reload that keeps a service's
 * address keeps its socket, so no client is ever refused while workers
 * change. */
#ifndef LISTENERS_H
#define LISTENERS_H

#include <stddef.h>

struct service_conf;

/* The sockets for sc's transport and addresses, one each into fds: the
 * open one when there is one that no other service of configuration number
 * taker took, else a new one bound (and a unix socket file given sc's mode
 * and owners).  The addresses of port 0 share one port, the kernel's choice
 * (another one tried when it is in use on one of them).  sc->addrs become
 * the bound addresses.  0, or -1 with err. */
int listeners_open(struct service_conf *sc, unsigned long taker, int *fds,
    char *err, size_t errlen);
/* Takes the sockets a service manager passed (LISTEN_FDS, LISTEN_PID,
 * LISTEN_FDNAMES; sd_listen_fds(3)): listeners_open then gives a service
 * the one named after it, or else the one on its address, instead of
 * binding.  They are the manager's: never closed before the end, their
 * files never removed.  0, or -1 with err. */
int listeners_inherit(char *err, size_t errlen);
/* Warns about passed sockets no service took. */
void listeners_check_inherited(void);
/* Mark and sweep: listeners_keep(fd) for each socket still in use between
 * listeners_begin_sweep and listeners_sweep, which closes the rest and
 * removes their unix socket files. */
void listeners_begin_sweep(void);
void listeners_keep(int fd);
void listeners_sweep(void);
/* Closes every listener (unix socket files go): at stopping. */
void listeners_close_all(void);

#endif
