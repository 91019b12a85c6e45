/* generation.h - the configurations the master has loaded, each with the
 * services its workers run: kept while a worker runs one of them, freed
 * once none does and a newer one is current. */
#ifndef GENERATION_H
#define GENERATION_H

#include "config.h"
#include "service.h"
#include "tls_tickets.h"

/* One configuration as loaded: the services its slots run. */
struct generation {
	struct config cfg;
	struct ms_service *svcs; /* one for each of cfg.services */
	unsigned long serial;    /* 1, 2, ... as loaded */
	int users; /* slots running its services, +1 while current */
	struct generation *next;
};

/* Every generation loaded and not yet collected. */
struct generations {
	struct generation *list;
	unsigned long loaded; /* how many were, ever */
};

/* Takes cfg over (freeing it on failure) and binds, or finds bound, every
 * service's listener.  The generation, with one user (its being current),
 * or NULL (logged); one whose listeners failed is collected with the rest
 * of the unused. */
struct generation *generation_new(struct generations *gs, struct config *cfg);
/* Sets the service's new ticket keys into its contexts in every
 * generation: the workers started from now on inherit them. */
void generations_set_ticket_keys(struct generations *gs, const char *service,
    const struct tls_ticket_keys *keys);
/* Frees the generations no one uses. */
void generations_collect(struct generations *gs);

#endif
