/* service.h - a service at run time: its configuration, its module, its
 * listeners, as one worker process sees them (the module's ms_service). */
#ifndef SERVICE_H
#define SERVICE_H

#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "config.h"
#include "conn.h"
#include "loader.h"
#include "stats.h"

/* Shared by a worker and the master (MAP_SHARED): which request the
 * worker's event loop is handling, so the master can tell a stuck module. */
struct service_watch {
	_Atomic long long handle_since; /* ms it entered handle; 0: not in it */
	struct sockaddr_storage peer;
	socklen_t peerlen;
};

struct admit;

struct ms_service {
	const struct service_conf *conf;
	const struct config *cfg;
	struct loaded_module module;
	int listen_fd[ADDR_LIST_MAX]; /* one for each of conf->addrs */
	int nlisten;   /* their number; 0 until bound and once a stream
	                  service stops listening */
	int sigfd;     /* the worker's SIGTERM/SIGINT */
	int module_fd; /* the module file, opened as root; -1 once loaded */
	int ctl_fd;    /* to the master: "serving", then log files come */
	volatile sig_atomic_t stopping; /* stop accepting, drain */
	void *data;                     /* the module's */
	struct service_watch *watch;    /* NULL unless handle_timeout applies */
	struct stats_service *stats;    /* shared counters; NULL: not counted */
	struct admit *admit;            /* per_source and rate (admit.c) */
	/* ms accepting stays paused until; 0: not paused (accept.c) */
	_Atomic long long accept_paused_until;
	const struct conn_type *conn_type; /* its requests' connections */
	void *conn_arg; /* conn_type's for them all (TLS: struct tls_ctx) */
};

/* The name logs use for the service. */
static inline const char *
service_name(const struct ms_service *svc)
{
	return svc->conf->name;
}

/* Loads svc's module (from module_fd when open, which it closes) and checks
 * it against the service (its transport, its options); MS_OPT_PATH options
 * become absolute.  0, or -1 with "file:line: key: reason" in err. */
int service_load_module(struct ms_service *svc, char *err, size_t errlen);
/* The receive buffer of a datagram service (REQUEST_DGRAM_MAX bytes,
 * malloc'd) in *buf, or NULL for a stream one.  0, or -1 without memory
 * (logged). */
int service_dgram_buffer(const struct ms_service *svc, char **buf);
/* Reads the worker's signalfd: sets stopping on SIGTERM/SIGINT, reopens
 * the log on SIGUSR1. */
void service_read_signals(struct ms_service *svc);
/* The shutdown deadline from now, in CLOCK_MONOTONIC milliseconds. */
long long service_drain_deadline(const struct ms_service *svc);
/* Milliseconds of CLOCK_MONOTONIC; microseconds. */
long long service_now_ms(void);
long long service_now_us(void);

#endif
