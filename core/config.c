/* config.c - read the libconfig file, check every key against a table, and
 * copy what it says into struct config.  The only file that sees libconfig. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <libconfig.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "access.h"
#include "log.h"
#include "model.h"
#include "modserv.h"
#include "paths.h"
#include "transport.h"

/* What the walk over one file carries. */
struct parse {
	struct config *cfg;
	char *err;
	size_t errlen;
};

/* A key of a group: its name, the function that checks and stores it, and
 * for the generic setters where (offset into the struct) and what range. */
struct key {
	const char *name;
	int required;
	int (*set)(struct parse *p, const char *path, config_setting_t *s,
	    void *dst, const struct key *k);
	size_t offset;
	double min, max;
};

#define KEY_AT(dst, k, type) ((type *)((char *)(dst) + (k)->offset))
/* what a setter that needs no table data calls its key */
#define KEY_UNUSED k __attribute__((unused))

static int
config_fail(struct parse *p, const config_setting_t *s, const char *path,
    const char *fmt, ...)
{
	int n;
	va_list ap;

	int line = s ? config_setting_source_line(s) : 0;

	if (line > 0)
		n = snprintf(
		    p->err, p->errlen, "%s:%d: %s: ", p->cfg->file, line, path);
	else /* the file as a whole */
		n = snprintf(p->err, p->errlen, "%s: %s: ", p->cfg->file, path);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static const char *
config_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group { }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number with a point";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ]";
	case CONFIG_TYPE_LIST:
		return "a list ( )";
	}
	return "nothing";
}

static int
config_want(
    struct parse *p, const char *path, const config_setting_t *s, int type)
{
	int t = config_setting_type(s);

	if (t == type || (type == CONFIG_TYPE_INT && t == CONFIG_TYPE_INT64))
		return 0;
	return config_fail(p, s, path, "is %s, expected %s",
	    config_type_name(t), config_type_name(type));
}

static char *
config_strdup(struct parse *p, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		snprintf(p->err, p->errlen, "%s: out of memory", p->cfg->file);
	return d;
}

static int
config_get_string(
    struct parse *p, const char *path, config_setting_t *s, char **dst)
{
	if (config_want(p, path, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	free(*dst);
	*dst = config_strdup(p, config_setting_get_string(s));
	return *dst ? 0 : -1;
}

static int
config_get_int(struct parse *p, const char *path, config_setting_t *s, int min,
    int max, int *dst)
{
	long long v;

	if (config_want(p, path, s, CONFIG_TYPE_INT) < 0)
		return -1;
	v = config_setting_get_int64(s);
	if (v < min || v > max)
		return config_fail(
		    p, s, path, "%lld is not in %d..%d", v, min, max);
	*dst = (int)v;
	return 0;
}

/* Checks that every key of group s is in keys, then sets them in order. */
static int
config_walk(struct parse *p, const char *path, config_setting_t *s,
    const struct key *keys, void *dst)
{
	char sub[256];
	int i, n = config_setting_length(s);

	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, i);
		const struct key *k = keys;

		while (k->name && strcmp(k->name, config_setting_name(e)) != 0)
			k++;
		if (k->name == NULL) {
			snprintf(sub, sizeof(sub), "%s%s%s", path,
			    *path ? "." : "", config_setting_name(e));
			return config_fail(p, e, sub, "unknown key");
		}
	}
	for (const struct key *k = keys; k->name; k++) {
		config_setting_t *e = config_setting_get_member(s, k->name);

		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "",
		    k->name);
		if (e == NULL) {
			if (k->required)
				return config_fail(
				    p, s, sub, "is required and missing");
			continue;
		}
		if (k->set(p, sub, e, dst, k) < 0)
			return -1;
	}
	return 0;
}

/* ---- generic setters: what the key table's offset and range say ---- */

static int
key_int(struct parse *p, const char *path, config_setting_t *s, void *dst,
    const struct key *k)
{
	return config_get_int(
	    p, path, s, (int)k->min, (int)k->max, KEY_AT(dst, k, int));
}

/* Seconds, as an integer or with a point. */
static int
key_seconds(struct parse *p, const char *path, config_setting_t *s, void *dst,
    const struct key *k)
{
	int t = config_setting_type(s);
	double v;

	if (t != CONFIG_TYPE_FLOAT && config_want(p, path, s, CONFIG_TYPE_INT))
		return -1;
	v = t == CONFIG_TYPE_FLOAT ? config_setting_get_float(s)
	                           : (double)config_setting_get_int64(s);
	if (!(v >= k->min && v <= k->max))
		return config_fail(p, s, path, "%g is not in %g..%g seconds", v,
		    k->min, k->max);
	*KEY_AT(dst, k, double) = v;
	return 0;
}

static int
key_string(struct parse *p, const char *path, config_setting_t *s, void *dst,
    const struct key *k)
{
	if (config_get_string(p, path, s, KEY_AT(dst, k, char *)) < 0)
		return -1;
	if (**KEY_AT(dst, k, char *) == '\0')
		return config_fail(p, s, path, "is empty");
	return 0;
}

/* A file mode in octal, as a string: "0660". */
/* A file path; a relative one is taken from the configuration's folder. */
static int
key_path(struct parse *p, const char *path, config_setting_t *s, void *dst,
    const struct key *k)
{
	char **v = KEY_AT(dst, k, char *), *abs;

	if (key_string(p, path, s, dst, k) < 0)
		return -1;
	if (**v == '/' || strcmp(p->cfg->dir, ".") == 0)
		return 0;
	if (asprintf(&abs, "%s/%s", p->cfg->dir, *v) < 0)
		return config_fail(p, s, path, "out of memory");
	free(*v);
	*v = abs;
	return 0;
}

/* 0 when the folder file is to go in exists, else -1 with why: a socket,
 * log or pidfile there could never be made. */
static int
config_folder_exists(const char *file, char *why, size_t len)
{
	const char *slash = strrchr(file, '/');
	char folder[PATH_MAX];
	struct stat st;

	if (slash == NULL)
		return 0;
	snprintf(folder, sizeof(folder), "%.*s",
	    slash == file ? 1 : (int)(slash - file), file);
	if (stat(folder, &st) < 0)
		snprintf(why, len, "%s goes in %s, which %s", file, folder,
		    errno == ENOENT ? "does not exist: make it first"
		                    : strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		snprintf(why, len, "%s goes in %s, which is not a folder", file,
		    folder);
	else
		return 0;
	return -1;
}

/* A path (as key_path) to a file modserv makes: its folder must exist. */
static int
key_path_to_make(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *k)
{
	char why[PATH_MAX + 128];

	struct stat st;
	const char *file;

	if (key_path(p, path, s, dst, k) < 0)
		return -1;
	file = *KEY_AT(dst, k, char *);
	if (config_folder_exists(file, why, sizeof(why)) < 0)
		return config_fail(p, s, path, "%s", why);
	if (stat(file, &st) == 0 && S_ISDIR(st.st_mode))
		return config_fail(
		    p, s, path, "%s is a folder, not a file", file);
	return 0;
}

static int
key_bool(struct parse *p, const char *path, config_setting_t *s, void *dst,
    const struct key *k)
{
	if (config_want(p, path, s, CONFIG_TYPE_BOOL) < 0)
		return -1;
	*KEY_AT(dst, k, int) = config_setting_get_bool(s);
	return 0;
}

static int
key_mode(struct parse *p, const char *path, config_setting_t *s, void *dst,
    const struct key *k)
{
	const char *v;
	char *end;
	long mode;

	if (config_want(p, path, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	v = config_setting_get_string(s);
	mode = strtol(v, &end, 8);
	if (*v == '\0' || *end || mode < 0 || mode > 07777)
		return config_fail(p, s, path,
		    "\"%s\" is not an octal file mode like \"0660\"", v);
	*KEY_AT(dst, k, int) = (int)mode;
	return 0;
}

/* A list of addresses and CIDR prefixes. */
static int
key_cidrs(struct parse *p, const char *path, config_setting_t *s, void *dst,
    const struct key *k)
{
	struct cidr_list *l = KEY_AT(dst, k, struct cidr_list);
	size_t n;
	char why[200];

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return config_fail(p, s, path,
		    "is %s, expected a list of addresses",
		    config_type_name(config_setting_type(s)));
	n = (size_t)config_setting_length(s);
	if (n && (l->v = calloc(n, sizeof(*l->v))) == NULL)
		return config_fail(p, s, path, "out of memory");
	for (l->n = 0; l->n < n; l->n++) {
		config_setting_t *e = config_setting_get_elem(s, (int)l->n);

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return config_fail(p, e, path,
			    "element %zu is %s, expected a string", l->n,
			    config_type_name(config_setting_type(e)));
		if (access_parse(config_setting_get_string(e), &l->v[l->n], why,
		        sizeof(why)) < 0)
			return config_fail(p, e, path, "%s", why);
	}
	return 0;
}

/* access_log: "main", "off", "syslog", or a file (a path, whose folder
 * must exist). */
static int
key_access_log(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *k)
{
	enum accesslog_target t;
	const char *v;

	if (config_want(p, path, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	v = config_setting_get_string(s);
	if (accesslog_target_parse(v, &t) < 0)
		return config_fail(p, s, path,
		    "is empty: say \"main\", \"off\", \"syslog\" or a file");
	if (t != ACCESSLOG_FILE)
		return key_string(p, path, s, dst, k);
	return key_path_to_make(p, path, s, dst, k);
}

/* access_log_format: "default", "json", or text with $variables. */
static int
key_access_log_format(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *k)
{
	struct accesslog_format *f;
	char why[512];

	if (key_string(p, path, s, dst, k) < 0)
		return -1;
	if ((f = accesslog_compile(
	         *KEY_AT(dst, k, char *), why, sizeof(why))) == NULL)
		return config_fail(p, s, path, "%s", why);
	accesslog_format_free(f);
	return 0;
}

/* ---- service keys ---- */

static int
service_set_name(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *KEY_UNUSED)
{
	struct service_conf *sc = dst;

	if (config_get_string(p, path, s, &sc->name) < 0)
		return -1;
	if (*sc->name == '\0' || strpbrk(sc->name, " \t\n/:") != NULL)
		return config_fail(p, s, path,
		    "\"%s\" must be a non-empty word without spaces, '/' or "
		    "':'",
		    sc->name);
	return 0;
}

static int
service_set_transport(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *KEY_UNUSED)
{
	struct service_conf *sc = dst;
	const char *v;

	if (config_want(p, path, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	v = config_setting_get_string(s);
	if ((sc->transport = transport_find(v)) == NULL)
		return config_fail(
		    p, s, path, "\"%s\" is not one of %s", v, transport_names);
	return 0;
}

static int
service_set_listen(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *KEY_UNUSED)
{
	struct service_conf *sc = dst;
	struct listen_addr a[ADDR_LIST_MAX];
	char why[256];
	int n;

	if (config_want(p, path, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	if ((n = sc->transport->parse(config_setting_get_string(s), p->cfg->dir,
	         a, ADDR_LIST_MAX, why, sizeof(why))) < 0)
		return config_fail(p, s, path, "%s", why);
	for (int i = 0; i < n; i++) {
		const struct sockaddr_un *un = (void *)&a[i].ss;

		struct stat st;

		if (un->sun_family != AF_UNIX || un->sun_path[0] == '\0')
			continue; /* not a file: an abstract one */
		if (config_folder_exists(un->sun_path, why, sizeof(why)) < 0)
			return config_fail(p, s, path, "%s", why);
		if (lstat(un->sun_path, &st) == 0 && !S_ISSOCK(st.st_mode))
			return config_fail(p, s, path,
			    "%s exists and is not a socket: it is never "
			    "replaced",
			    un->sun_path);
	}
	if ((sc->addrs = malloc((size_t)n * sizeof(*a))) == NULL)
		return config_fail(p, s, path, "out of memory");
	memcpy(sc->addrs, a, (size_t)n * sizeof(*a));
	sc->naddrs = (size_t)n;
	return 0;
}

static int
service_set_model(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *KEY_UNUSED)
{
	struct service_conf *sc = dst;
	const char *v;

	if (config_want(p, path, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	v = config_setting_get_string(s);
	if ((sc->model = model_find(v)) == NULL)
		return config_fail(
		    p, s, path, "\"%s\" is not one of %s", v, model_names);
	return 0;
}

/* A number of worker processes, or "auto": one a CPU. */
static int
service_set_workers(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *k)
{
	struct service_conf *sc = dst;
	long cpus;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return config_get_int(
		    p, path, s, (int)k->min, (int)k->max, &sc->workers);
	if (strcmp(config_setting_get_string(s), "auto") != 0)
		return config_fail(p, s, path,
		    "\"%s\" is neither a number nor \"auto\"",
		    config_setting_get_string(s));
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	sc->workers = cpus < 1              ? 1
	              : cpus > (long)k->max ? (int)k->max
	                                    : (int)cpus;
	return 0;
}

static int
service_set_module(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *KEY_UNUSED)
{
	struct service_conf *sc = dst;
	char why[1024];

	if (config_get_string(p, path, s, &sc->module) < 0)
		return -1;
	sc->module_line = config_setting_source_line(s);
	if (config_find_module(
	        p->cfg, sc->module, &sc->module_file, why, sizeof(why)) < 0)
		return config_fail(p, s, path, "%s", why);
	return 0;
}

static int
option_set_list(struct parse *p, const char *path, config_setting_t *s,
    struct option_value *o)
{
	size_t n = (size_t)config_setting_length(s);

	if ((o->list = calloc(n + 1, sizeof(char *))) == NULL)
		return config_fail(p, s, path, "out of memory");
	for (o->nlist = 0; o->nlist < n; o->nlist++) {
		config_setting_t *e = config_setting_get_elem(s, o->nlist);

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return config_fail(p, e, path,
			    "list element %zu is %s, expected a string",
			    o->nlist, config_type_name(config_setting_type(e)));
		if ((o->list[o->nlist] = config_strdup(
		         p, config_setting_get_string(e))) == NULL)
			return -1;
	}
	return 0;
}

static int
option_set(struct parse *p, const char *path, config_setting_t *s,
    struct option_value *o)
{
	o->line = config_setting_source_line(s);
	o->fd = -1;
	if ((o->name = config_strdup(p, config_setting_name(s))) == NULL)
		return -1;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
		o->type = MS_OPT_STR;
		o->str = config_strdup(p, config_setting_get_string(s));
		return o->str ? 0 : -1;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		o->type = MS_OPT_INT;
		o->num = config_setting_get_int64(s);
		return 0;
	case CONFIG_TYPE_BOOL:
		o->type = MS_OPT_BOOL;
		o->num = config_setting_get_bool(s);
		return 0;
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		o->type = MS_OPT_LIST;
		return option_set_list(p, path, s, o);
	}
	return config_fail(p, s, path,
	    "is %s; an option is a string, an integer, a boolean or a list of "
	    "strings",
	    config_type_name(config_setting_type(s)));
}

static int
service_set_options(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *KEY_UNUSED)
{
	struct service_conf *sc = dst;
	size_t i, n;
	char sub[256];

	if (config_want(p, path, s, CONFIG_TYPE_GROUP) < 0)
		return -1;
	sc->options_line = config_setting_source_line(s);
	n = (size_t)config_setting_length(s);
	if (n && (sc->options = calloc(n, sizeof(*sc->options))) == NULL)
		return config_fail(p, s, path, "out of memory");
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (int)i);

		snprintf(
		    sub, sizeof(sub), "%s.%s", path, config_setting_name(e));
		sc->noptions++;
		if (option_set(p, sub, e, &sc->options[i]) < 0)
			return -1;
	}
	return 0;
}

#define SC(field) offsetof(struct service_conf, field)
#define DAY 86400.0

/* In this order: listen needs the transport. */
static const struct key service_keys[] = {
    {"name", 1, service_set_name, 0, 0, 0},
    {"transport", 1, service_set_transport, 0, 0, 0},
    {"listen", 1, service_set_listen, 0, 0, 0},
    {"model", 0, service_set_model, 0, 0, 0},
    {"module", 1, service_set_module, 0, 0, 0},
    {"options", 0, service_set_options, 0, 0, 0},
    {"workers", 0, service_set_workers, 0, 1, 256},
    {"max_clients", 0, key_int, SC(max_clients), 1, 1 << 20},
    {"backlog", 0, key_int, SC(backlog), 1, 1 << 16},
    {"blocking_threads", 0, key_int, SC(blocking_threads), 1, 256},
    {"thread_stack", 0, key_int, SC(thread_stack), 64 << 10, 64 << 20},
    {"spare_threads", 0, key_int, SC(spare_threads), 0, 1 << 20},
    {"per_source", 0, key_int, SC(per_source), 0, 1 << 20},
    {"rate", 0, key_int, SC(rate), 0, 1 << 24},
    {"rate_pause", 0, key_seconds, SC(rate_pause), 0.01, DAY},
    {"max_request", 0, key_int, SC(max_request), 1, 1 << 30},
    {"idle_timeout", 0, key_seconds, SC(idle_timeout), 0, DAY},
    {"handle_timeout", 0, key_seconds, SC(handle_timeout), 0, DAY},
    {"proxy_protocol", 0, key_bool, SC(proxy_protocol), 0, 0},
    {"proxy_from", 0, key_cidrs, SC(proxy_from), 0, 0},
    {"allow", 0, key_cidrs, SC(allow), 0, 0},
    {"deny", 0, key_cidrs, SC(deny), 0, 0},
    {"user", 0, key_string, SC(user), 0, 0},
    {"group", 0, key_string, SC(group), 0, 0},
    {"socket_mode", 0, key_mode, SC(socket_mode), 0, 0},
    {"socket_owner", 0, key_string, SC(socket_owner), 0, 0},
    {"socket_group", 0, key_string, SC(socket_group), 0, 0},
    {"access_log", 0, key_access_log, SC(access_log), 0, 0},
    {"access_log_format", 0, key_access_log_format, SC(access_log_format), 0,
        0},
    {"access_log_skip_empty", 0, key_bool, SC(access_log_skip_empty), 0, 0},
    {NULL, 0, NULL, 0, 0, 0},
};

/* Keys that only make sense for some transports. */
static int
service_check_transport(struct parse *p, config_setting_t *s, const char *path,
    const struct service_conf *sc)
{
	int unix_socket = sc->addrs[0].ss.ss_family == AF_UNIX;

	if (unix_socket && !sc->proxy_protocol && (sc->allow.n || sc->deny.n))
		return config_fail(p, s, path,
		    "allow and deny take IP addresses, and this service "
		    "listens on a unix socket (use socket_mode, socket_owner, "
		    "socket_group)");
	if (sc->proxy_from.n && !sc->proxy_protocol)
		return config_fail(p, s, path,
		    "proxy_from names who may send a PROXY header: it needs "
		    "proxy_protocol = true");
	if (sc->proxy_from.n && unix_socket)
		return config_fail(p, s, path,
		    "proxy_from takes IP addresses, and this service listens "
		    "on a unix socket");
	if (sc->proxy_protocol && sc->transport->socktype != SOCK_STREAM)
		return config_fail(p, s, path,
		    "proxy_protocol is for stream transports, and this "
		    "service is %s",
		    sc->transport->name);
	if (sc->proxy_protocol && sc->per_source &&
	    sc->model->features & MODEL_F_PROCESS_PER_REQUEST) {
		char models[64];

		model_names_without(
		    MODEL_F_PROCESS_PER_REQUEST, models, sizeof(models));
		return config_fail(p, s, path,
		    "per_source with proxy_protocol needs one of the models "
		    "%s: "
		    "under %s the client is known only in the request's own "
		    "process",
		    models, sc->model->name);
	}
	if (!unix_socket &&
	    (sc->socket_mode >= 0 || sc->socket_owner || sc->socket_group))
		return config_fail(p, s, path,
		    "socket_mode, socket_owner and socket_group are for unix "
		    "sockets, and this service is %s",
		    sc->transport->name);
	return 0;
}

/* The access log's target and format, from the keys (checked as they
 * were read). */
static int
service_compile_access_log(struct parse *p, config_setting_t *s,
    const char *path, struct service_conf *sc)
{
	char why[512];

	accesslog_target_parse(sc->access_log, &sc->access_target);
	if ((sc->access_format = accesslog_compile(
	         sc->access_log_format, why, sizeof(why))) == NULL)
		return config_fail(p, s, path, "access_log_format: %s", why);
	return 0;
}

/* An address of sc that service o listens on too, or NULL.  A unix path
 * is one file whichever its socket type; tcp and udp share no port. */
static const struct listen_addr *
service_addr_clash(const struct service_conf *o, const struct service_conf *sc)
{
	if (o->addrs[0].ss.ss_family != AF_UNIX &&
	    o->transport->socktype != sc->transport->socktype)
		return NULL;
	for (size_t i = 0; i < sc->naddrs; i++)
		for (size_t j = 0; j < o->naddrs; j++)
			if (addr_same(&o->addrs[j], &sc->addrs[i]))
				return &sc->addrs[i];
	return NULL;
}

/* Names and addresses must be unique across services. */
static int
service_check_unique(struct parse *p, config_setting_t *s, const char *path,
    const struct service_conf *sc)
{
	for (size_t i = 0; i < sc->index; i++) {
		const struct service_conf *o = &p->cfg->services[i];
		const struct listen_addr *a;

		if (strcmp(o->name, sc->name) == 0)
			return config_fail(p, s, path,
			    "name \"%s\" is already used by services.[%zu] "
			    "(line %d)",
			    sc->name, i, o->line);
		if ((a = service_addr_clash(o, sc)) != NULL)
			return config_fail(p, s, path,
			    "listen %s %s is already used by service \"%s\" "
			    "(line %d)",
			    sc->transport->name, a->text, o->name, o->line);
	}
	return 0;
}

/* Writes setting s (name, type, value; a group or list with everything in
 * it) to f, so that two settings print the same only when they are. */
static void
config_print_setting(FILE *f, const config_setting_t *s)
{
	const char *name = config_setting_name(s), *str;
	int type = config_setting_type(s), n;

	fprintf(f, "%s=", name ? name : "");
	switch (type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		fprintf(f, "i%lld;", config_setting_get_int64(s));
		return;
	case CONFIG_TYPE_FLOAT:
		fprintf(f, "f%a;", config_setting_get_float(s));
		return;
	case CONFIG_TYPE_BOOL:
		fprintf(f, "b%d;", config_setting_get_bool(s));
		return;
	case CONFIG_TYPE_STRING:
		str = config_setting_get_string(s);
		fprintf(f, "s%zu:%s;", strlen(str), str);
		return;
	}
	n = config_setting_length(s);
	fprintf(f, "%c%d{", type == CONFIG_TYPE_GROUP ? 'g' : 'l', n);
	for (int i = 0; i < n; i++)
		config_print_setting(f, config_setting_get_elem(s, i));
	fputs("}", f);
}

/* The service's settings and every top-level one but the service list,
 * and the addresses its listen resolved to (a name may resolve to others
 * now): what a reload compares to tell whether the service changed. */
static char *
config_fingerprint(
    const config_setting_t *service, const struct service_conf *sc)
{
	const config_setting_t *root =
	    config_setting_parent(config_setting_parent(service));
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return NULL;
	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *e = config_setting_get_elem(root, i);

		if (strcmp(config_setting_name(e), "services") != 0)
			config_print_setting(f, e);
	}
	config_print_setting(f, service);
	for (size_t i = 0; i < sc->naddrs; i++)
		fprintf(f, " %s", sc->addrs[i].text);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

static int
config_set_services(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *KEY_UNUSED)
{
	struct config *cfg = dst;
	size_t i, n;
	char sub[64];

	if (config_setting_type(s) != CONFIG_TYPE_LIST &&
	    config_want(p, path, s, CONFIG_TYPE_LIST) < 0)
		return -1;
	n = (size_t)config_setting_length(s);
	if (n == 0)
		return config_fail(p, s, path, "names no service");
	if ((cfg->services = calloc(n, sizeof(*cfg->services))) == NULL)
		return config_fail(p, s, path, "out of memory");
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (int)i);
		struct service_conf *sc = &cfg->services[i];

		cfg->nservices++;
		sc->index = i;
		sc->line = config_setting_source_line(e);
		sc->model = model_default();
		sc->max_clients = CONFIG_MAX_CLIENTS;
		sc->workers = 1;
		sc->backlog = SOMAXCONN;
		sc->blocking_threads = CONFIG_BLOCKING_THREADS;
		sc->thread_stack = CONFIG_THREAD_STACK;
		sc->spare_threads = CONFIG_SPARE_THREADS;
		sc->rate_pause = CONFIG_RATE_PAUSE;
		sc->max_request = CONFIG_MAX_REQUEST;
		sc->idle_timeout = CONFIG_IDLE_TIMEOUT;
		sc->handle_timeout = CONFIG_HANDLE_TIMEOUT;
		sc->socket_mode = -1;
		sc->socket_uid = (uid_t)-1;
		sc->socket_gid = (gid_t)-1;
		snprintf(sub, sizeof(sub), "%s.[%zu]", path, i);
		sc->access_log_skip_empty = cfg->access_log_skip_empty;
		if ((cfg->user && (sc->user = strdup(cfg->user)) == NULL) ||
		    (cfg->group && (sc->group = strdup(cfg->group)) == NULL) ||
		    (sc->access_log = strdup(
		         cfg->access_log ? cfg->access_log : "main")) == NULL ||
		    (sc->access_log_format = strdup(cfg->access_log_format
		                                        ? cfg->access_log_format
		                                        : "default")) == NULL)
			return config_fail(p, e, sub, "out of memory");
		if (config_want(p, sub, e, CONFIG_TYPE_GROUP) < 0 ||
		    config_walk(p, sub, e, service_keys, sc) < 0 ||
		    service_check_transport(p, e, sub, sc) < 0 ||
		    service_check_unique(p, e, sub, sc) < 0 ||
		    service_compile_access_log(p, e, sub, sc) < 0)
			return -1;
		if ((sc->fingerprint = config_fingerprint(e, sc)) == NULL)
			return config_fail(p, e, sub, "out of memory");
	}
	return 0;
}

/* ---- top-level keys ---- */

static int
config_set_log_level(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *KEY_UNUSED)
{
	struct config *cfg = dst;
	const char *v;

	if (config_want(p, path, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	v = config_setting_get_string(s);
	if ((cfg->log_level = log_level_parse(v)) < 0)
		return config_fail(p, s, path,
		    "\"%s\" is not one of error, warn, info, debug", v);
	return 0;
}

static int
config_set_module_path(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *KEY_UNUSED)
{
	struct config *cfg = dst;
	size_t n;

	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		n = 1;
	else if (config_setting_is_aggregate(s) &&
	         config_setting_type(s) != CONFIG_TYPE_GROUP)
		n = (size_t)config_setting_length(s);
	else
		return config_fail(p, s, path,
		    "is %s, expected a list of folders",
		    config_type_name(config_setting_type(s)));
	if ((cfg->module_path = calloc(n + 1, sizeof(char *))) == NULL)
		return config_fail(p, s, path, "out of memory");
	for (size_t i = 0; i < n; i++) {
		config_setting_t *e =
		    config_setting_type(s) == CONFIG_TYPE_STRING
		        ? s
		        : config_setting_get_elem(s, (int)i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return config_fail(p, e, path,
			    "element %zu is %s, expected a folder", i,
			    config_type_name(config_setting_type(e)));
		if ((cfg->module_path[i] = config_strdup(
		         p, config_setting_get_string(e))) == NULL)
			return -1;
		cfg->nmodule_path++;
	}
	return 0;
}

/* "stderr", "syslog", or a file (a path). */
static int
config_set_log(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *k)
{
	const char *v;

	if (config_want(p, path, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	v = config_setting_get_string(s);
	if (strcmp(v, "stderr") == 0 || strcmp(v, "syslog") == 0)
		return key_string(p, path, s, dst, k);
	return key_path_to_make(p, path, s, dst, k);
}

static int
config_set_facility(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *KEY_UNUSED)
{
	static const struct {
		const char *name;
		int value;
	} facilities[] = {{"daemon", LOG_DAEMON}, {"user", LOG_USER},
	    {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
	    {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
	    {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
	    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7}};
	struct config *cfg = dst;
	const char *v;

	if (config_want(p, path, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	v = config_setting_get_string(s);
	for (size_t i = 0; i < sizeof(facilities) / sizeof(*facilities); i++)
		if (strcmp(v, facilities[i].name) == 0) {
			cfg->syslog_facility = facilities[i].value;
			return 0;
		}
	return config_fail(p, s, path,
	    "\"%s\" is not one of daemon, user, local0 ... local7", v);
}

#define CF(field) offsetof(struct config, field)

/* module_path before services: services look their modules up in it; user
 * and group before services: they are the services' defaults. */
static const struct key config_keys[] = {
    {"log_level", 0, config_set_log_level, 0, 0, 0},
    {"module_path", 0, config_set_module_path, 0, 0, 0},
    {"shutdown_timeout", 0, key_seconds, CF(shutdown_timeout), 0, 3600},
    {"drain_delay", 0, key_seconds, CF(drain_delay), 0, 3600},
    {"check_timeout", 0, key_seconds, CF(check_timeout), 0.1, 3600},
    {"user", 0, key_string, CF(user), 0, 0},
    {"group", 0, key_string, CF(group), 0, 0},
    {"status_socket", 0, key_path_to_make, CF(status_socket), 0, 0},
    {"log", 0, config_set_log, CF(log), 0, 0},
    {"syslog_facility", 0, config_set_facility, 0, 0, 0},
    {"pidfile", 0, key_path_to_make, CF(pidfile), 0, 0},
    {"access_log", 0, key_access_log, CF(access_log), 0, 0},
    {"access_log_format", 0, key_access_log_format, CF(access_log_format), 0,
        0},
    {"access_log_skip_empty", 0, key_bool, CF(access_log_skip_empty), 0, 0},
    {"services", 1, config_set_services, 0, 0, 0},
    {NULL, 0, NULL, 0, 0, 0},
};

static char *
config_dirname(const char *file)
{
	const char *slash = strrchr(file, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == file)
		return strdup("/");
	return strndup(file, (size_t)(slash - file));
}

/* The uid of user and (unless group is set) its gid; -1 with err. */
static int
config_user(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL) {
		snprintf(err, errlen, "user \"%s\" does not exist", user);
		return -1;
	}
	*uid = pw->pw_uid;
	if (gid)
		*gid = pw->pw_gid;
	return 0;
}

static int
config_group(const char *group, gid_t *gid, char *err, size_t errlen)
{
	struct group *gr = getgrnam(group);

	if (gr == NULL) {
		snprintf(err, errlen, "group \"%s\" does not exist", group);
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

static int
config_check_service_users(struct service_conf *sc, char *why, size_t len)
{
	int root = geteuid() == 0;

	if (sc->user == NULL && root) {
		snprintf(why, len,
		    "modserv runs as root: say which user this service runs "
		    "as, e.g. user = \"nobody\" (or user = \"root\" to keep "
		    "root)");
		return -1;
	}
	if (sc->user && config_user(sc->user, &sc->uid, &sc->gid, why, len) < 0)
		return -1;
	if (sc->group && config_group(sc->group, &sc->gid, why, len) < 0)
		return -1;
	if (sc->user && !root &&
	    (sc->uid != geteuid() || (sc->group && sc->gid != getegid())))
		log_warn(sc->name, "user and group are ignored: modserv does "
		                   "not run as root");
	sc->switch_user = root;
	if (sc->socket_owner &&
	    config_user(sc->socket_owner, &sc->socket_uid, NULL, why, len) < 0)
		return -1;
	if (sc->socket_group &&
	    config_group(sc->socket_group, &sc->socket_gid, why, len) < 0)
		return -1;
	return 0;
}

int
config_check_users(struct config *cfg, char *err, size_t errlen)
{
	char why[256];

	for (size_t i = 0; i < cfg->nservices; i++) {
		struct service_conf *sc = &cfg->services[i];

		if (config_check_service_users(sc, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s:%d: services.[%zu]: %s",
			    cfg->file, sc->line, i, why);
			return -1;
		}
	}
	return 0;
}

/* A module named by a path: from the configuration's folder unless
 * absolute. */
static int
config_find_module_file(const struct config *cfg, const char *module,
    char **path, char *err, size_t errlen)
{
	char buf[PATH_MAX];

	if (*module == '/' || cfg->dir == NULL || strcmp(cfg->dir, ".") == 0)
		snprintf(buf, sizeof(buf), "%s", module);
	else
		snprintf(buf, sizeof(buf), "%s/%s", cfg->dir, module);
	if (access(buf, F_OK) < 0) {
		snprintf(err, errlen, "%s: %s", buf, strerror(errno));
		return -1;
	}
	if ((*path = strdup(buf)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", buf);
		return -1;
	}
	return 0;
}

/* The i-th folder a bare module name is looked for in: module_path's, from
 * the configuration's folder unless absolute, then the default module
 * folder unless module_path names it.  0, or -1 past the last. */
static int
config_module_folder(const struct config *cfg, size_t i, char *buf, size_t len)
{
	const char *d;

	if (i > cfg->nmodule_path)
		return -1;
	d = i < cfg->nmodule_path ? cfg->module_path[i] : paths_module_dir();
	for (size_t j = 0; i == cfg->nmodule_path && j < i; j++)
		if (strcmp(cfg->module_path[j], d) == 0)
			return -1;
	if (*d == '/' || cfg->dir == NULL)
		snprintf(buf, len, "%s", d);
	else
		snprintf(buf, len, "%s/%s", cfg->dir, d);
	return 0;
}

int
config_find_module(const struct config *cfg, const char *module, char **path,
    char *err, size_t errlen)
{
	char dir[PATH_MAX], buf[PATH_MAX + NAME_MAX];
	size_t i, n;

	*path = NULL;
	if (strchr(module, '/'))
		return config_find_module_file(cfg, module, path, err, errlen);
	for (i = 0; config_module_folder(cfg, i, dir, sizeof(dir)) == 0; i++) {
		snprintf(buf, sizeof(buf), "%s/%s.so", dir, module);
		if (access(buf, F_OK) < 0)
			continue;
		if ((*path = strdup(buf)) != NULL)
			return 0;
		snprintf(err, errlen, "%s: out of memory", buf);
		return -1;
	}
	n = (size_t)snprintf(err, errlen,
	    "module \"%s\" not found: no %s.so in", module, module);
	for (i = 0;
	     n < errlen && config_module_folder(cfg, i, dir, sizeof(dir)) == 0;
	     i++)
		n += (size_t)snprintf(
		    err + n, errlen - n, "%s %s", i ? "," : "", dir);
	return -1;
}

const struct service_conf *
config_service(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nservices; i++)
		if (strcmp(cfg->services[i].name, name) == 0)
			return &cfg->services[i];
	return NULL;
}

int
config_load(const char *file, struct config *cfg, char *err, size_t errlen)
{
	struct parse p = {cfg, err, errlen};
	config_t lc;
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	cfg->log_level = MS_LOG_INFO;
	cfg->shutdown_timeout = CONFIG_SHUTDOWN_TIMEOUT;
	cfg->check_timeout = CONFIG_CHECK_TIMEOUT;
	cfg->syslog_facility = LOG_DAEMON;
	if ((cfg->file = strdup(file)) == NULL ||
	    (cfg->dir = config_dirname(file)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", file);
		return -1;
	}
	config_init(&lc);
	config_set_include_dir(&lc, cfg->dir);
	if (config_read_file(&lc, file) != CONFIG_TRUE) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read: %s", file,
			    strerror(errno));
		else
			snprintf(err, errlen, "%s:%d: %s",
			    config_error_file(&lc) ? config_error_file(&lc)
			                           : file,
			    config_error_line(&lc), config_error_text(&lc));
		goto out;
	}
	rc = config_walk(&p, "", config_root_setting(&lc), config_keys, cfg);
out:
	config_destroy(&lc);
	if (rc < 0)
		config_free(cfg);
	return rc;
}

static void
strv_free(char **v)
{
	for (char **s = v; s && *s; s++)
		free(*s);
	free(v);
}

void
config_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->nservices; i++) {
		struct service_conf *sc = &cfg->services[i];

		for (size_t j = 0; j < sc->noptions; j++) {
			free(sc->options[j].name);
			free(sc->options[j].str);
			strv_free(sc->options[j].list);
		}
		free(sc->options);
		free(sc->addrs);
		free(sc->allow.v);
		free(sc->deny.v);
		free(sc->proxy_from.v);
		free(sc->user);
		free(sc->group);
		free(sc->socket_owner);
		free(sc->socket_group);
		free(sc->name);
		free(sc->module);
		free(sc->module_file);
		free(sc->access_log);
		free(sc->access_log_format);
		accesslog_format_free(sc->access_format);
		free(sc->fingerprint);
	}
	free(cfg->services);
	strv_free(cfg->module_path);
	free(cfg->user);
	free(cfg->group);
	free(cfg->status_socket);
	free(cfg->log);
	free(cfg->pidfile);
	free(cfg->access_log);
	free(cfg->access_log_format);
	free(cfg->file);
	free(cfg->dir);
	memset(cfg, 0, sizeof(*cfg));
}
