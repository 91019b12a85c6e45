/* request_exec.h - a request handed to a program (ms_exec, as inetd does):
 * its program watched while it serves the connection, then reaped. */
#ifndef REQUEST_EXEC_H
#define REQUEST_EXEC_H

#include "request.h"

/* Reaps the program ms_exec started for r (waiting for it if block) and
 * logs how it ended.  1 when reaped, 0 when it still runs (not block). */
int request_exec_reap(struct ms_request *r, int block);
/* How often a model calls request_exec_look, in ms; 0 when there is
 * nothing to look at (idle_timeout = 0). */
long long request_exec_look_ms(const struct ms_service *svc);
/* Looks at the connection r's program owns, at now (ms): once no bytes
 * moved on it for idle_timeout, it is shut down, the end logged as idle,
 * and the program sent SIGTERM; SIGKILL at the first look past a grace
 * after that.  The model reaps it as it reaps any program. */
void request_exec_look(struct ms_request *r, long long now);
/* Waits for r's program to end, looking at it meanwhile, then reaps it
 * (thread and fork: the request's own thread waits). */
void request_exec_wait(struct ms_request *r);

#endif
