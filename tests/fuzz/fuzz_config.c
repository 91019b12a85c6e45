/* fuzz_config - any bytes as a configuration file: config_load either
 * loads it or says why not, and frees everything either way. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static char path[64];
	struct config cfg;
	char err[1024];
	FILE *f;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/modserv-fuzz-%d.conf",
		    (int)getpid());
	if ((f = fopen(path, "w")) == NULL)
		return 0;
	fwrite(data, 1, n, f);
	fclose(f);
	if (config_load(path, &cfg, err, sizeof(err)) == 0)
		config_free(&cfg);
	return 0;
}
