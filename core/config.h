/* config.h - the configuration file, checked and copied into plain structs. */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>
#include <sys/types.h>

#include "access.h"
#include "accesslog.h"
#include "addr.h"
#include "tls_conf.h"

struct transport;
struct model;

/* One value of a service's `options` group, typed by how it was written. */
struct option_value {
	char *name;
	int type;      /* MS_OPT_* */
	char *str;     /* MS_OPT_STR */
	long long num; /* MS_OPT_INT, MS_OPT_BOOL */
	char **list;   /* MS_OPT_LIST, NULL-terminated */
	size_t nlist;
	int line;
	int is_path; /* the module declares it MS_OPT_PATH (the check says) */
	int fd;      /* a path option's O_PATH descriptor (ms_opt_fd), opened
	                before the drop by root or after it; -1: not open */
};

struct cidr_list {
	struct cidr *v;
	size_t n;
};

struct service_conf {
	size_t index; /* position in `services` */
	int line;     /* where the service's group starts */
	char *name;
	const struct transport *transport;
	const struct model *model;
	struct listen_addr *addrs; /* what listen names: an address, or each
	                              one a name resolves to; once bound, the
	                              bound ones (port 0 resolved) */
	size_t naddrs;
	char *module;      /* as written */
	char *module_file; /* the .so found for it */
	int module_line;
	struct option_value *options;
	size_t noptions;
	int options_line;
	int workers;          /* worker processes sharing the listener */
	int max_clients;      /* concurrent requests (a worker's) */
	int backlog;          /* listen(2) backlog */
	int blocking_threads; /* select: threads for a blocking module */
	int thread_stack;     /* thread: bytes of stack per request */
	int spare_threads;    /* thread: idle threads kept for reuse */
	int per_source;       /* concurrent requests from one address; 0: any */
	int rate;             /* new connections a second; 0: any */
	double rate_pause;    /* seconds accepting stops past the rate */
	int max_request;      /* bytes of input buffered per request */
	double idle_timeout;  /* seconds a peer may send nothing; 0: forever */
	double handle_timeout; /* select: seconds handle may take; 0: forever */
	int proxy_protocol;    /* a PROXY header comes first */
	struct cidr_list proxy_from;  /* who may send one; empty: anyone */
	struct cidr_list allow, deny; /* checked before setup */
	char *user, *group;           /* the worker's; NULL: modserv's own */
	int switch_user; /* set by config_check_users: become uid/gid */
	uid_t uid;
	gid_t gid;
	int socket_mode; /* unix: the socket file's mode; -1: umask's */
	char *socket_owner, *socket_group; /* unix: the socket file's */
	uid_t socket_uid; /* resolved by config_check_users; -1: keep */
	gid_t socket_gid;
	enum accesslog_target access_target; /* from access_log */
	char *access_log;        /* as given ("main", ...); a file: its path */
	char *access_log_format; /* "default", "json" or $variables */
	struct accesslog_format *access_format; /* it, compiled */
	int access_log_skip_empty; /* no line for a client that sent nothing */
	struct tls_conf *tls;      /* NULL: plaintext */
	char *fingerprint; /* the settings as text: equal when unchanged */
};

struct config {
	char *file; /* as given */
	char *dir;  /* its folder: relative paths start here */
	int log_level;
	double shutdown_timeout; /* seconds */
	double drain_delay;      /* seconds of serving on, draining, at stop */
	double check_timeout;    /* seconds a module may take to load in its
	                            check */
	char *user, *group;      /* the services' defaults */
	char *status_socket;     /* where `modserv -s` asks; NULL: nowhere */
	char *log;               /* "stderr" (or NULL), "syslog", or a file */
	int syslog_facility;     /* LOG_DAEMON, ... */
	char *pidfile;           /* NULL: none */
	char *access_log;        /* the services' default: "main", ... */
	char *access_log_format; /* the services' default; NULL: "default" */
	int access_log_skip_empty;
	char **module_path; /* absolute or config-relative; searched
	                       before the default module folder */
	size_t nmodule_path;
	struct service_conf *services;
	size_t nservices;
};

/* Reads and checks file.  0, or -1 with "file:line: key: reason" in err. */
int config_load(const char *file, struct config *cfg, char *err, size_t errlen);
void config_free(struct config *cfg);
/* Resolves users and groups: a service's user and group, its socket
 * file's owner and group.  When modserv runs as root, every service must
 * name its user (user = "root" to keep root).  0, or -1 with err. */
int config_check_users(struct config *cfg, char *err, size_t errlen);
/* Finds module as config_load does: a path with '/' (from the
 * configuration's folder), or a bare name as NAME.so in the folders of
 * module_path, then in the default module folder (paths_module_dir()).
 * The path in *path (malloc'd), or -1 with every place searched in err. */
int config_find_module(const struct config *cfg, const char *module,
    char **path, char *err, size_t errlen);
/* The service named name, or NULL. */
const struct service_conf *config_service(
    const struct config *cfg, const char *name);

#endif
