/* model.h - the concurrency models behind one small interface.  A model
 * decides who drives a request and when; request.c does the rest. */
#ifndef MODEL_H
#define MODEL_H

struct ms_service;

struct model {
	const char *name; /* as in the config: "thread", ... */
	/* Serves svc's listener until svc->stopping, then drains in-flight
	 * requests (bounded by the shutdown timeout).  Runs in the service's
	 * worker process after the module's init.  Returns 0, or -1 when it
	 * could not serve at all. */
	int (*run)(struct ms_service *svc);
};

extern const struct model model_thread, model_fork, model_select;

const struct model *model_find(const char *name); /* or NULL */
extern const char model_names[];                  /* "thread, fork, select" */

#endif
