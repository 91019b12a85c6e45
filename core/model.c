/* model.c - the table of concurrency models. */
#include "model.h"

#include <string.h>

static const struct model *const models[] = {
    &model_thread, &model_fork, &model_select};

const char model_names[] = "thread, fork, select";

const struct model *
model_find(const char *name)
{
	for (size_t i = 0; i < sizeof(models) / sizeof(*models); i++)
		if (strcmp(models[i]->name, name) == 0)
			return models[i];
	return NULL;
}
