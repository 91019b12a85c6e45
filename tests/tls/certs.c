/* certs.c - the TLS tests' certificates in a folder of their own. */
#include "certs.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int
tls_certs_make(char *template)
{
	char cmd[1024];

	if (mkdtemp(template) == NULL || chmod(template, 0755) < 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "sh '%s' '%s' && chmod a+r '%s'/*",
	    TLS_MAKE_CERTS, template, template);
	return system(cmd) == 0 ? 0 : -1;
}

int
tls_certs_remove(const char *dir)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}
