/* master.h - the master process: binds every listener, forks a worker per
 * service, restarts workers that die, and stops them all on SIGTERM. */
#ifndef MASTER_H
#define MASTER_H

#include "config.h"

/* Serves cfg (loaded from file, users checked; master_run takes it over)
 * until SIGTERM or SIGINT; SIGHUP reads file again, SIGUSR1 reopens the
 * log.  level is -l's, or -1 for the file's log_level.  background: go to
 * the background (-d) once the modules checked, returning in the child. Returns
 * the process's exit status: 0 after a clean stop, 1 when a module or a
 * listener would not do. */
int master_run(const char *file, int level, int background, struct config *cfg);

#endif
