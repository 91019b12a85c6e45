/* tls_plan.h - what `modserv -t` checks and prints of each service's
 * tls settings. */
#ifndef TLS_PLAN_H
#define TLS_PLAN_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"

/* Builds every tls service's contexts as the master would (reading each
 * file), then drops them: 0, or -1 with the first "file:line: key:
 * reason" in err.  Warnings (a certificate out of its dates) are logged. */
int tls_plan_check(const struct config *cfg, char *err, size_t errlen);
/* sc's tls settings, as lines under its line of the plan. */
void tls_plan_print(FILE *out, const struct service_conf *sc);

#endif
