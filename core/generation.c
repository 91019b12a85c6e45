/* generation.c - the configurations the master has loaded, and the services
 * each runs: made with their listeners, freed once unused. */
#include "generation.h"

#include <stdlib.h>
#include <string.h>

#include "listeners.h"
#include "log.h"
#include "stats.h"
#include "tls_ctx.h"
#include "tls_keys.h"

/* The service's TLS contexts, read now (as root: the workers inherit
 * them, so a key may be root's alone), with the master's ticket keys of
 * the service (the same a reload ago). */
static int
generation_tls(struct generation *g, struct ms_service *svc)
{
	const struct tls_ticket_keys *keys = NULL;
	char err[512];

	svc->conn_arg = tls_ctx_new(
	    svc->conf->tls, g->cfg.file, svc->conf->name, err, sizeof(err));
	if (svc->conn_arg == NULL) {
		log_error(svc->conf->name, "%s", err);
		return -1;
	}
	svc->conn_type = &conn_tls;
	if (svc->conf->tls->session_tickets)
		keys = tls_keys_of(svc->conf->name, service_now_ms());
	if (keys)
		tls_ctx_set_ticket_keys(svc->conn_arg, keys);
	return 0;
}

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
		if (sc->tls && generation_tls(g, &g->svcs[i]) < 0) {
			g->users = 0;
			return NULL;
		}
	}
	return g;
}

void
generations_set_ticket_keys(struct generations *gs, const char *service,
    const struct tls_ticket_keys *keys)
{
	for (struct generation *g = gs->list; g; g = g->next)
		for (size_t i = 0; i < g->cfg.nservices; i++)
			if (g->svcs[i].conn_type == &conn_tls &&
			    strcmp(g->cfg.services[i].name, service) == 0)
				tls_ctx_set_ticket_keys(
				    g->svcs[i].conn_arg, keys);
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
		for (size_t i = 0; i < g->cfg.nservices; i++)
			if (g->svcs[i].conn_type == &conn_tls)
				tls_ctx_free(g->svcs[i].conn_arg);
		config_free(&g->cfg);
		free(g->svcs);
		free(g);
	}
}
