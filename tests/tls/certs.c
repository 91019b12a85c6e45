/* certs.c - the TLS tests' certificates in a folder of their own. */
#include "certs.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

char tls_certs[] = "/tmp/modserv-tls.XXXXXX";

int
tls_certs_setup(void **state)
{
	char cmd[1024];

	(void)state;
	if (mkdtemp(tls_certs) == NULL || chmod(tls_certs, 0755) < 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "sh '%s' '%s' && chmod a+r '%s'/*",
	    TLS_MAKE_CERTS, tls_certs, tls_certs);
	return system(cmd) == 0 ? 0 : -1;
}

int
tls_certs_teardown(void **state)
{
	char cmd[1024];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tls_certs);
	return system(cmd) == 0 ? 0 : -1;
}
