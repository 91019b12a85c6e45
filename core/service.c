/* service.c - what a module can ask of its service: name, transport, model,
 * options, data, the log; and the worker's stop signal. */
#include "service.h"

#include <errno.h>
#include <limits.h>
#include <linux/openat2.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "log.h"
#include "model.h"
#include "optspec.h"
#include "privs.h"
#include "transport.h"

const char *
ms_service_name(const ms_service *svc)
{
	return svc->conf->name;
}

const char *
ms_service_transport(const ms_service *svc)
{
	return svc->conf->transport->name;
}

const char *
ms_service_model(const ms_service *svc)
{
	return svc->conf->model->name;
}

void *
ms_service_data(const ms_service *svc)
{
	return svc->data;
}

void
ms_service_set_data(ms_service *svc, void *data)
{
	svc->data = data;
}

/* The configured value of the declared option name of type, or NULL; *spec
 * is the declaration (NULL when the module did not declare it so). */
static const struct option_value *
service_option(const ms_service *svc, const char *name, int type,
    const struct ms_option **spec)
{
	*spec = loader_option(svc->module.mod, name);
	/* a path is read as a string, an environment list as a list */
	if (*spec == NULL || optspec_written_as((*spec)->type) != type) {
		*spec = NULL;
		return NULL;
	}
	for (size_t i = 0; i < svc->conf->noptions; i++)
		if (strcmp(svc->conf->options[i].name, name) == 0)
			return &svc->conf->options[i];
	return NULL;
}

const char *
ms_opt_str(const ms_service *svc, const char *name)
{
	const struct ms_option *spec;
	const struct option_value *v =
	    service_option(svc, name, MS_OPT_STR, &spec);

	return v ? v->str : spec ? spec->def : NULL;
}

long long
ms_opt_int(const ms_service *svc, const char *name)
{
	const struct ms_option *spec;
	const struct option_value *v =
	    service_option(svc, name, MS_OPT_INT, &spec);

	if (v)
		return v->num;
	return spec && spec->def ? strtoll(spec->def, NULL, 0) : 0;
}

int
ms_opt_bool(const ms_service *svc, const char *name)
{
	const struct ms_option *spec;
	const struct option_value *v =
	    service_option(svc, name, MS_OPT_BOOL, &spec);

	if (v)
		return v->num != 0;
	return spec && spec->def &&
	       (strcmp(spec->def, "true") == 0 || strcmp(spec->def, "1") == 0);
}

const char *const *
ms_opt_list(const ms_service *svc, const char *name, size_t *count)
{
	static const char *const empty[] = {NULL};
	const struct ms_option *spec;
	const struct option_value *v =
	    service_option(svc, name, MS_OPT_LIST, &spec);

	*count = v ? v->nlist : 0;
	return v ? (const char *const *)v->list : empty;
}

int
ms_opt_fd(const ms_service *svc, const char *name)
{
	const struct ms_option *spec;
	const struct option_value *v =
	    service_option(svc, name, MS_OPT_STR, &spec);

	return v && spec->type == MS_OPT_PATH ? v->fd : -1;
}

int
ms_host_state(const ms_service *svc)
{
	(void)svc;
	return stats_host_state();
}

void
ms_log(const ms_service *svc, int level, const char *fmt, ...)
{
	va_list ap;

	if (level < MS_LOG_ERROR)
		level = MS_LOG_ERROR;
	if (level > MS_LOG_DEBUG)
		level = MS_LOG_DEBUG;
	va_start(ap, fmt);
	log_vmsg(level, svc ? svc->conf->name : NULL, fmt, ap);
	va_end(ap);
}

/* Whether sc's user has the want bits (4 read, 1 search) on st, from its
 * mode, owner and group (the user's supplementary groups do not count: the
 * worker has none). */
static int
service_user_has(
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
service_user_may_use(const struct config *cfg, const struct service_conf *sc,
    const struct option_value *v, const char *path, int fd, char *err,
    size_t errlen)
{
	struct stat st;
	unsigned want;

	if (fstat(fd, &st) < 0)
		return 0;
	want = S_ISDIR(st.st_mode) ? 1 : 4; /* search, or read */
	if (service_user_has(sc, &st, want))
		return 0;
	snprintf(err, errlen,
	    "%s:%d: services.[%zu].options.%s: %s: user %s may not %s it "
	    "(mode %04o, owner uid %d, group gid %d)",
	    cfg->file, v->line, sc->index, v->name, path, sc->user,
	    want == 1 ? "search" : "read", (unsigned)st.st_mode & 07777,
	    (int)st.st_uid, (int)st.st_gid);
	return -1;
}

int
service_open_module(struct ms_service *svc, char *err, size_t errlen)
{
	const struct service_conf *sc = svc->conf;
	struct stat st;
	const char *why = NULL;
	char reason[128];
	int copy;

	svc->module_fd =
	    loader_open_file(sc->module_file, reason, sizeof(reason));
	if (svc->module_fd < 0)
		why = reason;
	else if (fstat(svc->module_fd, &st) < 0)
		why = strerror(errno);
	else if (service_user_has(sc, &st, 4))
		return 0;
	else if ((copy = loader_copy(svc->module_fd, st.st_size)) < 0)
		why = errno == EFBIG ? "over 64 MiB: too large to copy for its "
		                       "user to load it"
		                     : "copying it for its user to load it";
	else { /* only root may read it: the user loads root's copy */
		close(svc->module_fd);
		svc->module_fd = copy;
		return 0;
	}
	snprintf(err, errlen, "%s:%d: services.[%zu].module: %s: %s",
	    svc->cfg->file, sc->module_line, sc->index, sc->module_file, why);
	if (svc->module_fd >= 0)
		close(svc->module_fd);
	svc->module_fd = -1;
	return -1;
}

/* The option's path, absolute against the configuration's folder. */
static void
service_option_path(const struct config *cfg, const struct option_value *v,
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
service_open_as_root(const char *path)
{
	struct open_how how = {
	    .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS};

	return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
}

void
service_open_paths(struct ms_service *svc)
{
	const struct service_conf *sc = svc->conf;
	char path[PATH_MAX];

	for (size_t i = 0; i < sc->noptions; i++) {
		struct option_value *v = &sc->options[i];

		if (!v->is_path || v->type != MS_OPT_STR)
			continue;
		service_option_path(svc->cfg, v, path, sizeof(path));
		v->fd = service_open_as_root(path);
	}
}

int
service_reach_paths(const struct ms_service *svc, char *err, size_t errlen)
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
		if (service_user_may_use(
		        svc->cfg, sc, v, v->str, v->fd, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* The check's report of the module's path options: "P INDEX ERRNO" a line,
 * ERRNO being what the service's user got opening it (0: it may). */
static void
service_report_paths(const struct ms_service *svc, char *report, size_t len)
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
service_take_report(
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
		service_option_path(cfg, v, path, sizeof(path));
		if ((fd = service_open_as_root(path)) >= 0) {
			/* the worker opens it so, before the drop: then the
			 * user must still be able to use it */
			int rc = service_user_may_use(
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
		    errno == ELOOP ? "; root opens it for the service only "
		                     "along a path without symbolic links"
		                   : "");
		return -1;
	}
	return 0;
}

int
service_load_module(struct ms_service *svc, char *err, size_t errlen)
{
	const struct service_conf *sc = svc->conf;
	char why[1024];
	int rc;

	rc = loader_open_fd(
	    sc->module_file, svc->module_fd, &svc->module, why, sizeof(why));
	svc->module_fd = -1; /* taken */
	if (rc < 0) {
		snprintf(err, errlen, "%s:%d: services.[%zu].module: %s",
		    svc->cfg->file, sc->module_line, sc->index, why);
		return -1;
	}
	if (loader_check(&svc->module, svc->cfg, sc, err, errlen) < 0)
		goto fail;
	if (loader_resolve_paths(
	        &svc->module, svc->cfg, (struct service_conf *)sc) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return 0;
fail:
	loader_close(&svc->module);
	return -1;
}

int
service_check_module(
    const struct config *cfg, size_t i, pid_t parent, char *report, size_t len)
{
	struct ms_service svc = {.conf = &cfg->services[i],
	    .cfg = cfg,
	    .module_fd = -1,
	    .ctl_fd = -1};
	char why[512];

	if (service_open_module(&svc, report, len) < 0)
		return -1;
	if (privs_become(svc.conf, parent, SIGKILL, why, sizeof(why)) < 0) {
		snprintf(report, len, "%s:%d: services.[%zu]: %s", cfg->file,
		    svc.conf->line, i, why);
		close(svc.module_fd);
		return -1;
	}
	if (service_load_module(&svc, report, len) < 0)
		return -1;
	service_report_paths(&svc, report, len);
	loader_close(&svc.module);
	return 0;
}

void
service_read_signals(struct ms_service *svc)
{
	struct signalfd_siginfo si;

	while (read(svc->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) { /* the master sent the file
			                          before the signal */
			int fd = control_take_fd(svc->ctl_fd);

			if (fd >= 0)
				log_adopt(fd);
			else if (log_file_fd() < 0) /* syslog: reconnect */
				log_reopen();
			/* a file without one from the master (a killall, say):
			 * the master's own SIGUSR1 hands it over */
			continue;
		}
		if (si.ssi_signo == SIGHUP) /* a terminal's hangup: the master
		                               reloads, a worker serves on */
			continue;
		if (!svc->stopping)
			log_info(service_name(svc),
			    "signal %s: stop accepting, drain",
			    strsignal((int)si.ssi_signo));
		svc->stopping = 1;
	}
}

long long
service_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
service_drain_deadline(const struct ms_service *svc)
{
	return service_now_ms() +
	       (long long)(svc->cfg->shutdown_timeout * 1000);
}
