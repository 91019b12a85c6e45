/* loader.h - loading handler modules and checking them against a service. */
#ifndef LOADER_H
#define LOADER_H

#include <stdio.h>
#include <sys/types.h>

#include "modserv.h"

struct config;
struct service_conf;

struct loaded_module {
	void *handle; /* from dlopen */
	/* The module's table in this host's layout, owned by the host: the
	 * fields its minor lacks are zero, and options is a copy made of this
	 * ABI's struct ms_option, whatever minor the module was built for.
	 * Everything the host reads of a module, it reads here. */
	const struct ms_module *mod;
	void *copy; /* what mod points to, freed by loader_close */
	char *path;
};

/* dlopen(RTLD_NOW | RTLD_LOCAL)s path and checks its table: the symbol, the
 * ABI field by field, a handle function, the flags, the option table
 * (optspec_check_table), then copies it into lm->mod.  No module function
 * runs.  0, or -1 with "path: reason" in err. */
int loader_open(
    const char *path, struct loaded_module *lm, char *err, size_t errlen);
/* Checks the module's flags against sc's transport and sc's options against
 * the module's table: declared, of the type, within min/max or among the
 * choices, required ones given.  0, or -1 with "file:line: key: reason" in
 * err. */
int loader_check(const struct loaded_module *lm, const struct config *cfg,
    const struct service_conf *sc, char *err, size_t errlen);
/* Makes sc's MS_OPT_PATH options absolute against the config's folder. */
int loader_resolve_paths(const struct loaded_module *lm,
    const struct config *cfg, struct service_conf *sc);
/* As loader_open, for the file open on fd (-1: open path), which it takes
 * (and closes): a file root opened is loaded after the privileges are
 * dropped, from wherever it is, while the module's code runs as the
 * service's user — by its name where this process may read it, else from
 * fd.  Messages name path.  One module at a time a process: dlopen knows
 * it by its /proc name. */
int loader_open_fd(const char *path, int fd, struct loaded_module *lm,
    char *err, size_t errlen);
/* As root: the module file at path opened for reading, once it is known to
 * be a regular file (looked at through O_PATH first: a device is never
 * opened).  The fd, or -1 with the reason in why. */
int loader_open_file(const char *path, char *why, size_t len);
/* A copy in memory (a memfd, close-on-exec) of the size bytes of the file
 * open on fd: what a user loads of a module file only root may read; at
 * most 64 MiB (else EFBIG).  The copy's fd, or -1 with errno. */
int loader_copy(int fd, off_t size);
void loader_describe(FILE *out, const struct loaded_module *lm);
void loader_close(struct loaded_module *lm);

/* The option spec named name in the module's table, or NULL. */
const struct ms_option *loader_option(
    const struct ms_module *mod, const char *name);

#endif
