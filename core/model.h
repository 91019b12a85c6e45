/* model.h - the concurrency models behind one small interface.  A model
 * decides who drives a request and when; request.c does the rest.  What the
 * rest of the host must know about a model is in its features, so a model
 * is one file and one entry in model.c's table. */
#ifndef MODEL_H
#define MODEL_H

#include <stddef.h>

struct ms_service;

/* Facts about a model that the master and the configuration act on. */
enum model_feature {
	/* handle runs on the worker's event loop (a module that blocks has
	 * it on threads instead): the master watches it for handle_timeout */
	MODEL_F_HANDLE_ON_LOOP = 1 << 0,
	/* each request runs in a process of its own, forked from the worker:
	 * what is learnt there, such as the client a PROXY header names, the
	 * worker never sees, so per_source cannot count it */
	MODEL_F_PROCESS_PER_REQUEST = 1 << 1,
};

struct model {
	const char *name;  /* as in the config: "thread", ... */
	unsigned features; /* MODEL_F_* */
	/* Serves svc's listener until svc->stopping, then drains in-flight
	 * requests (bounded by the shutdown timeout).  Runs in the service's
	 * worker process after the module's init.  Returns 0, or -1 when it
	 * could not serve at all. */
	int (*run)(struct ms_service *svc);
};

const struct model *model_find(const char *name); /* or NULL */
extern const char model_names[];                  /* "thread, fork, select" */
/* Writes the names of the models without any of the features, ", "
 * between them, to buf (len bytes, truncated to fit). */
void model_names_without(unsigned features, char *buf, size_t len);

#endif
