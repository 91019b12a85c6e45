/* preopen.c - what root opens for a service before the worker (or a
 * check) becomes its user: the module file (a copy in memory when only root
 * may read it) and the module's path options (along no symbolic link); and
 * what the check learns of them for the master. */
#include "preopen.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"
#include "loader.h"
#include "service.h"

/* Whether sc's user has the want bits (4 read, 1 search) on st, from its
 * mode, owner and group (the user's supplementary groups do not count: the
 * worker has none). */
static int
preopen_user_has(
    const struct service_conf *sc, const struct stat *st, unsigned want)
{
	unsigned bits;

	if (!sc->switch_user || sc->uid == 0)
		return 1;
	if (st->st_uid == sc->uid)
		bits = (st->st_mode >> 6) & 7;
	else if (st->st_gid == sc->gid)
		bits = (st->st_mode >> 3) & 7;
	else
		bits = st->st_mode & 7;
	return (bits & want) == want;
}

/* Whether sc's user may use what fd (root's open of path option v, at
 * path) is: a folder searched, a file read.  0, or -1 with err. */
static int
preopen_user_may_use(const struct config *cfg, const struct service_conf *sc,
    const struct option_value *v, const char *path, int fd, char *err,
    size_t errlen)
{
	struct stat st;
	unsigned want;

	if (fstat(fd, &st) < 0)
		return 0;
	want = S_ISDIR(st.st_mode) ? 1 : 4; /* search, or read */
	if (preopen_user_has(sc, &st, want))
		return 0;
	snprintf(err, errlen,
	    "%s:%d: services.[%zu].options.%s: %s: user %s may not %s it (mode %04o, owner uid %d, group gid %d)",
	    cfg->file, v->line, sc->index, v->name, path, sc->user,
	    want == 1 ? "search" : "read", (unsigned)st.st_mode & 07777,
	    (int)st.st_uid, (int)st.st_gid);
	return -1;
}

int
preopen_file(
    const char *path, const struct service_conf *sc, char *why, size_t len)
{
	int fd = loader_open_file(path, why, len), copy;
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		snprintf(why, len, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	if (preopen_user_has(sc, &st, 4))
		return fd;
	/* only root may read it: the user loads root's copy */
	copy = loader_copy(fd, st.st_size);
	close(fd);
	if (copy < 0)
		snprintf(why, len, "%s",
		    errno == EFBIG
		        ? "over 64 MiB: too large to copy for its user to load it"
		        : "copying it for its user to load it");
	return copy;
}

int
preopen_module(struct ms_service *svc, char *err, size_t errlen)
{
	const struct service_conf *sc = svc->conf;
	char why[128];

	svc->module_fd = preopen_file(sc->module_file, sc, why, sizeof(why));
	if (svc->module_fd >= 0)
		return 0;
	snprintf(err, errlen, "%s:%d: services.[%zu].module: %s: %s",
	    svc->cfg->file, sc->module_line, sc->index, sc->module_file, why);
	return -1;
}

/* The option's path, absolute against the configuration's folder. */
static void
preopen_option_path(const struct config *cfg, const struct option_value *v,
    char *path, size_t len)
{
	if (v->str[0] == '/' || strcmp(cfg->dir, ".") == 0)
		snprintf(path, len, "%s", v->str);
	else
		snprintf(path, len, "%s/%s", cfg->dir, v->str);
}

/* Root's open of a path for a service: O_PATH, and along no symbolic link,
 * so that whoever may change a folder on the way cannot point root
 * elsewhere.  fd, or -1 with errno. */
static int
preopen_as_root(const char *path)
{
	struct open_how how = {
	    .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS};

	return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
}

void
preopen_paths(struct ms_service *svc)
{
	const struct service_conf *sc = svc->conf;
	char path[PATH_MAX];

	for (size_t i = 0; i < sc->noptions; i++) {
		struct option_value *v = &sc->options[i];

		if (!v->is_path || v->type != MS_OPT_STR)
			continue;
		preopen_option_path(svc->cfg, v, path, sizeof(path));
		v->fd = preopen_as_root(path);
	}
}

int
preopen_reach_paths(const struct ms_service *svc, char *err, size_t errlen)
{
	const struct service_conf *sc = svc->conf;

	for (size_t i = 0; i < sc->noptions; i++) {
		struct option_value *v = &sc->options[i];
		const struct ms_option *spec =
		    loader_option(svc->module.mod, v->name);

		if (spec == NULL || spec->type != MS_OPT_PATH) {
			if (v->fd >= 0)
				close(v->fd);
			v->fd = -1;
			continue;
		}
		if (v->fd < 0 &&
		    (v->fd = open(v->str, O_PATH | O_CLOEXEC)) < 0) {
			snprintf(err, errlen,
			    "%s:%d: services.[%zu].options.%s: %s: %s",
			    svc->cfg->file, v->line, sc->index, v->name, v->str,
			    strerror(errno));
			return -1;
		}
		if (preopen_user_may_use(
		        svc->cfg, sc, v, v->str, v->fd, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* The check's report of the module's path options: "P INDEX ERRNO" a line,
 * ERRNO being what the service's user got opening it (0: it may). */
void
preopen_report(const struct ms_service *svc, char *report, size_t len)
{
	const struct service_conf *sc = svc->conf;
	size_t at = 0;

	report[0] = '\0';
	for (size_t i = 0; i < sc->noptions && at < len; i++) {
		const struct option_value *v = &sc->options[i];
		const struct ms_option *spec =
		    loader_option(svc->module.mod, v->name);
		int fd, e = 0;

		if (spec == NULL || spec->type != MS_OPT_PATH)
			continue;
		if ((fd = open(v->str, O_PATH | O_CLOEXEC)) < 0)
			e = errno;
		else
			close(fd);
		at +=
		    (size_t)snprintf(report + at, len - at, "P %zu %d\n", i, e);
	}
}

int
preopen_take_report(
    struct config *cfg, size_t i, const char *report, char *err, size_t errlen)
{
	struct service_conf *sc = &cfg->services[i];
	char path[PATH_MAX];
	size_t j;
	int e, fd;

	for (const char *p = report; sscanf(p, "P %zu %d", &j, &e) == 2;
	     p = strchr(p, '\n') + 1) {
		struct option_value *v;

		if (j >= sc->noptions || strchr(p, '\n') == NULL)
			break;
		v = &sc->options[j];
		/* module code ran in the child: believe only what cannot
		 * harm (a string option called a path) */
		if (v->type != MS_OPT_STR || v->str == NULL)
			continue;
		v->is_path = 1;
		if (e == 0)
			continue;
		preopen_option_path(cfg, v, path, sizeof(path));
		if ((fd = preopen_as_root(path)) >= 0) {
			/* the worker opens it so, before the drop: then the
			 * user must still be able to use it */
			int rc = preopen_user_may_use(
			    cfg, sc, v, path, fd, err, errlen);

			close(fd);
			if (rc < 0)
				return -1;
			continue;
		}
		snprintf(err, errlen,
		    "%s:%d: services.[%zu].options.%s: %s: %s as user %s%s",
		    cfg->file, v->line, i, v->name, path, strerror(e),
		    sc->user ? sc->user : "(modserv's own)",
		    errno == ELOOP
		        ? "; root opens it for the service only along a path without symbolic links"
		        : "");
		return -1;
	}
	return 0;
}
