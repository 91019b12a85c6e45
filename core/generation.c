/* generation.c - the configurations the master has loaded, and the services
 * each runs: made with their listeners, freed once unused. */
#include "generation.h"

#include <stdlib.h>

#include "listeners.h"
#include "log.h"
#include "stats.h"

struct generation *
generation_new(struct generations *gs, struct config *cfg)
{
	struct generation *g = calloc(1, sizeof(*g));
	char err[512];

	if (g == NULL ||
	    (g->svcs = calloc(cfg->nservices, sizeof(*g->svcs))) == NULL) {
		log_error(NULL, "out of memory");
		free(g);
		config_free(cfg);
		return NULL;
	}
	g->cfg = *cfg;
	g->serial = ++gs->loaded;
	g->users = 1;
	g->next = gs->list;
	gs->list = g;
	for (size_t i = 0; i < g->cfg.nservices; i++) {
		struct service_conf *sc = &g->cfg.services[i];

		g->svcs[i] = (struct ms_service){.conf = sc,
		    .cfg = &g->cfg,
		    .sigfd = -1,
		    .module_fd = -1,
		    .ctl_fd = -1,
		    .stats = stats_for(sc->name),
		    .conn_type = &conn_plain};
		if (listeners_open(sc, g->serial, g->svcs[i].listen_fd, err,
		        sizeof(err)) < 0) {
			log_error(sc->name, "%s", err);
			g->users = 0;
			return NULL;
		}
		g->svcs[i].nlisten = (int)sc->naddrs;
	}
	return g;
}

void
generations_collect(struct generations *gs)
{
	for (struct generation **p = &gs->list; *p;) {
		struct generation *g = *p;

		if (g->users > 0) {
			p = &g->next;
			continue;
		}
		*p = g->next;
		config_free(&g->cfg);
		free(g->svcs);
		free(g);
	}
}
