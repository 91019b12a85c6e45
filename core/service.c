/* service.c - what a module can ask of its service: name, transport, model,
 * options, data, the log; and the worker's stop signal. */
#include "service.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "control.h"
#include "log.h"
#include "model.h"
#include "optspec.h"
#include "request.h"
#include "tls_ctx.h"
#include "tls_keys_fd.h"
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

/* The master's new ticket keys for the service, from fd (closed). */
static void
service_take_ticket_keys(struct ms_service *svc, int fd)
{
	struct tls_ticket_keys keys;
	char err[256];

	if (svc->conn_type != &conn_tls) { /* it was a TLS service once */
		close(fd);
		return;
	}
	if (tls_keys_fd_read(fd, &keys, err, sizeof(err)) < 0)
		log_warn(service_name(svc),
		    "session ticket keys: %s: serving on with the keys it has",
		    err);
	else {
		tls_ctx_set_ticket_keys(svc->conn_arg, &keys);
		log_debug(service_name(svc),
		    "session ticket keys of rotation %llu taken",
		    (unsigned long long)keys.generation);
	}
	tls_ticket_keys_wipe(&keys);
	close(fd);
}

/* SIGUSR1: the master sent what it hands over (control.h) before the
 * signal.  Without a log file (a killall, say) the file stays as it is:
 * the master's own SIGUSR1 hands it over. */
static void
service_take_handed(struct ms_service *svc)
{
	int fds[CONTROL_KINDS];

	control_take_fds(svc->ctl_fd, fds);
	if (fds[0] >= 0)
		log_adopt(fds[0]);
	else if (log_file_fd() < 0 && fds[2] < 0) /* syslog: reconnect,
	                                              unless it was keys */
		log_reopen();
	if (fds[1] >= 0)
		accesslog_adopt(svc, fds[1]);
	if (fds[2] >= 0)
		service_take_ticket_keys(svc, fds[2]);
}

void
service_read_signals(struct ms_service *svc)
{
	struct signalfd_siginfo si;

	while (read(svc->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) {
			service_take_handed(svc);
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

int
service_dgram_buffer(const struct ms_service *svc, char **buf)
{
	*buf = NULL;
	if (svc->conf->transport->socktype != SOCK_DGRAM)
		return 0;
	if ((*buf = malloc(REQUEST_DGRAM_MAX)) == NULL) {
		log_error(service_name(svc), "no memory for a receive buffer");
		return -1;
	}
	return 0;
}

long long
service_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

long long
service_now_ms(void)
{
	return service_now_us() / 1000;
}

long long
service_drain_deadline(const struct ms_service *svc)
{
	return service_now_ms() +
	       (long long)(svc->cfg->shutdown_timeout * 1000);
}
