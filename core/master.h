/* master.h - the master process: binds every listener, forks a worker per
 * service, restarts workers that die, and stops them all on SIGTERM. */
#ifndef MASTER_H
#define MASTER_H

#include "service.h"

/* Serves the services (their modules opened and checked) until SIGTERM or
 * SIGINT.  Returns the process's exit status: 0 after a clean stop, 1 when
 * a listener could not be bound. */
int master_run(const struct config *cfg, struct ms_service *svcs, size_t n);

#endif
