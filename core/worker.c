/* worker.c - a service's worker process: it owns the module's per-process
 * life (init, fini) and runs the service's model until told to stop. */
#include "worker.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "accesslog.h"
#include "admit.h"
#include "contain.h"
#include "contain_ns.h"
#include "hot.h"
#include "log.h"
#include "tls_ktls.h"
#include "model.h"
#include "preopen.h"
#include "privs.h"
#include "refusals.h"
#include "service.h"
#include "transport.h"

void
worker_stop_listening(struct ms_service *svc)
{
	/* a datagram socket is also how replies leave: it stays to the end */
	if (svc->conf->transport->socktype != SOCK_STREAM)
		return;
	for (int i = 0; i < svc->nlisten; i++)
		close(svc->listen_fd[i]);
	svc->nlisten = 0;
}

/* Made by the worker, so a request process calls no sigemptyset: in a fork
 * model's child each other libc page touched is a page fault.  A request
 * process keeps SIGUSR1 and SIGHUP blocked (a `killall -USR1 modserv` after
 * a log rotation must not end requests); a program gets none blocked. */
static sigset_t worker_request_signals, worker_no_signals;

MS_HOT void
worker_reset_signals(int for_exec)
{
	/* every disposition is the default already (worker_signals): only the
	 * mask is the worker's.  (pthread_sigmask: sigprocmask calls it from
	 * another page.) */
	if (for_exec) /* the host ignores it; a program expects it */
		signal(SIGPIPE, SIG_DFL);
	pthread_sigmask(SIG_SETMASK,
	    for_exec ? &worker_no_signals : &worker_request_signals, NULL);
}

/* SIGTERM, SIGINT, SIGUSR1 and SIGHUP arrive on a signalfd (SIGHUP to be
 * dropped: reloading is the master's business); every disposition is the
 * default, so a request process need only unblock them. */
static int
worker_signals(struct ms_service *svc)
{
	sigset_t stop, rest;

	sigemptyset(&worker_no_signals);
	sigemptyset(&worker_request_signals);
	sigaddset(&worker_request_signals, SIGUSR1);
	sigaddset(&worker_request_signals, SIGHUP);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGUSR1); /* the master's "reopen the log" */
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&rest);
	sigaddset(&rest, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &rest, NULL);
	svc->sigfd = signalfd(-1, &stop, SFD_NONBLOCK | SFD_CLOEXEC);
	if (svc->sigfd < 0) {
		log_syserr(MS_LOG_ERROR, service_name(svc), "signalfd");
		return -1;
	}
	return 0;
}

/* Tells the master the worker serves: it may retire the one this replaces. */
static void
worker_say_ready(struct ms_service *svc)
{
	if (svc->ctl_fd >= 0 && write(svc->ctl_fd, "r", 1) < 0) {
		/* the master is gone: PR_SET_PDEATHSIG stops us */
	}
}

/* As root: signals, the module file open; then the service's user, for
 * good, and only then any module code. */
static void
worker_become(struct ms_service *svc, pid_t master)
{
	char err[1024];

	if (worker_signals(svc) < 0)
		_exit(1);
	if (preopen_module(svc, err, sizeof(err)) < 0) {
		log_error(service_name(svc), "%s", err);
		_exit(2);
	}
	preopen_paths(svc);
	if (accesslog_open(svc, err, sizeof(err)) < 0) {
		log_error(service_name(svc), "%s", err);
		_exit(1);
	}
	if (svc->conf->switch_user && contain_ns_prepare(svc->conf->uid,
	                                  svc->conf->gid, err, sizeof(err)) < 0)
		log_debug(service_name(svc), "%s", err); /* said below */
	/* the master may be gone already: then so are we */
	if (privs_become(svc->conf, master, SIGTERM, err, sizeof(err)) < 0) {
		log_error(service_name(svc), "%s", err);
		_exit(1);
	}
	contain_say_how(service_name(svc));
	tls_ktls_say(svc);
}

void
worker_main(struct ms_service *svc, pid_t master)
{
	const struct ms_module *m;
	char err[1024] = "", addrs[ADDR_LIST_MAX * ADDR_TEXT_MAX];
	int rc;

	/* only the master speaks to a service manager; nor should the
	 * programs modules start */
	unsetenv("NOTIFY_SOCKET");
	worker_become(svc, master);
	if (admit_init(svc) < 0 || refusals_init(svc) < 0)
		_exit(1);
	/* loaded here, not in the master: each worker gets the module file
	 * as it is now, and no module code ever runs in the master */
	if (service_load_module(svc, err, sizeof(err)) < 0 ||
	    preopen_reach_paths(svc, err, sizeof(err)) < 0) {
		log_error(service_name(svc), "%s", err);
		_exit(2);
	}
	m = svc->module.mod;
	if (m->flags & MS_F_BLOCKING)
		svc->watch = NULL; /* its handle runs off the loop */
	if (m->init && m->init(svc, err, sizeof(err)) < 0) {
		log_error(service_name(svc), "module %s: init failed: %s",
		    svc->module.path, *err ? err : "(no reason given)");
		_exit(2);
	}
	worker_say_ready(svc);
	addr_list_format(
	    svc->conf->addrs, svc->conf->naddrs, addrs, sizeof(addrs));
	log_info(service_name(svc),
	    "worker %d serving %s %s with model %s, module %s%s", (int)getpid(),
	    svc->conf->transport->name, addrs, svc->conf->model->name,
	    svc->module.path, svc->conf->tls ? ", over TLS" : "");
	rc = svc->conf->model->run(svc);
	refusals_tick(svc, 1);
	if (rc == 0 && m->fini)
		m->fini(svc);
	_exit(rc < 0 ? 1 : 0);
}
