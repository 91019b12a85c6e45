/* transport.c - the table of transports. */
#include "transport.h"

#include <string.h>

static const struct transport *const transports[] = {
    &transport_tcp, &transport_udp, &transport_unix, &transport_unix_dgram};

const char transport_names[] = "tcp, udp, unix, unix-dgram";

const struct transport *
transport_find(const char *name)
{
	for (size_t i = 0; i < sizeof(transports) / sizeof(*transports); i++)
		if (strcmp(transports[i]->name, name) == 0)
			return transports[i];
	return NULL;
}
