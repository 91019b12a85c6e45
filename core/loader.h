/* loader.h - loading handler modules and checking them against a service. */
#ifndef LOADER_H
#define LOADER_H

#include <stdio.h>

#include "modserv.h"

struct config;
struct service_conf;

struct loaded_module {
	void *handle; /* from dlopen */
	const struct ms_module *mod;
	char *path;
};

/* dlopen(RTLD_NOW | RTLD_LOCAL)s path and checks its table: the symbol, the
 * ABI field by field, a handle function.  No module function runs.  0, or -1
 * with "path: reason" in err. */
int loader_open(
    const char *path, struct loaded_module *lm, char *err, size_t errlen);
/* Checks the module's flags against sc's transport and sc's options against
 * the module's table.  0, or -1 with "file:line: key: reason" in err. */
int loader_check(const struct loaded_module *lm, const struct config *cfg,
    const struct service_conf *sc, char *err, size_t errlen);
/* Makes sc's MS_OPT_PATH options absolute against the config's folder. */
int loader_resolve_paths(const struct loaded_module *lm,
    const struct config *cfg, struct service_conf *sc);
void loader_describe(FILE *out, const struct loaded_module *lm);
void loader_close(struct loaded_module *lm);

/* The option spec named name in the module's table, or NULL. */
const struct ms_option *loader_option(
    const struct ms_module *mod, const char *name);
const char *loader_option_type_name(int type);
/* The type a configuration value of an option of type has: MS_OPT_PATH is
 * written as a string, MS_OPT_ENV and MS_OPT_ENV_NAMES as lists. */
int loader_option_written_as(int type);

#endif
