/* model.c - the table of concurrency models. */
#include "model.h"

#include <stdio.h>
#include <string.h>

extern const struct model model_thread, model_fork, model_select;

/* The first is the default. */
static const struct model *const models[] = {
    &model_thread, &model_fork, &model_select};

#define NMODELS (sizeof(models) / sizeof(*models))

const char model_names[] = "thread, fork, select";

const struct model *
model_find(const char *name)
{
	for (size_t i = 0; i < NMODELS; i++)
		if (strcmp(models[i]->name, name) == 0)
			return models[i];
	return NULL;
}

void
model_names_without(unsigned features, char *buf, size_t len)
{
	size_t at = 0;

	if (len > 0)
		buf[0] = '\0';
	for (size_t i = 0; i < NMODELS && at < len; i++) {
		int n;

		if (models[i]->features & features)
			continue;
		n = snprintf(buf + at, len - at, "%s%s", at ? ", " : "",
		    models[i]->name);
		if (n < 0)
			break;
		at += (size_t)n;
	}
}
