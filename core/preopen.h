/* preopen.h - what root opens for a service before the drop, so that a
 * module (and its folders) may lie where only root may look, while no
 * module code ever runs as root. */
#ifndef PREOPEN_H
#define PREOPEN_H

#include <stddef.h>

struct config;
struct ms_service;
struct service_conf;

/* As root: the module file at path for sc's user to load: opened once it is
 * known to be a regular file, or, when only root may read it, a copy in
 * memory.  The fd, or -1 with the reason in why. */
int preopen_file(
    const char *path, const struct service_conf *sc, char *why, size_t len);
/* preopen_file for svc's module, into svc->module_fd.  0, or -1 with
 * "file:line: key: reason" in err. */
int preopen_module(struct ms_service *svc, char *err, size_t errlen);
/* As root: opens (O_PATH, along no symbolic link) the options the check
 * found to be the module's paths, for the module (ms_opt_fd) to reach what
 * its user may not reach by name. */
void preopen_paths(struct ms_service *svc);
/* After the module loaded, as its user: every path option it declares that
 * is set is open (root's descriptor, else the user's own open) and usable
 * by the user; the other options' descriptors are closed.  0, or -1 with
 * err. */
int preopen_reach_paths(const struct ms_service *svc, char *err, size_t errlen);
/* In the check child, as the user: which options the module takes as
 * paths, and whether the user could open each, as "P INDEX ERRNO" lines in
 * report. */
void preopen_report(const struct ms_service *svc, char *report, size_t len);
/* In the master, of a check's report: marks service i's path options, and
 * refuses one that neither its user nor root (along no symbolic link) can
 * open, or that the user could not use.  Module code wrote the report:
 * only string options are believed.  0, or -1 with "file:line: key:
 * reason" in err. */
int preopen_take_report(
    struct config *cfg, size_t i, const char *report, char *err, size_t errlen);

#endif
