/* check.h - checking a configuration's modules without loading them into
 * the master. */
#ifndef CHECK_H
#define CHECK_H

#include <stddef.h>

struct config;

/* Loads and checks each service's module in a child process that has
 * become the service's user first, as its worker will: no module code (a
 * constructor, a crash) ever runs in the master or as root (unless the
 * service's user is root), and every worker loads its module fresh from
 * the file.  Marks the options the modules take as paths (for the workers
 * to open before the drop).  0, or -1 with the reason in err. */
int check_modules_apart(struct config *cfg, char *err, size_t errlen);

#endif
