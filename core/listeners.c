/* listeners.c - the master's table of listening sockets, keyed by
 * transport and address as configured (so "port 0" finds the socket bound
 * for it before, not a new port). */
#include "listeners.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "transport.h"

/* Ports tried for the addresses of port 0 of one service, that share one,
 * before giving up. */
#define LISTENERS_PORT_TRIES 8

struct listener {
	const struct transport *transport; /* NULL: inherited, not yet taken */
	struct listen_addr key;            /* as configured, before binding */
	struct listen_addr bound;          /* the real address */
	int fd;
	int keep;
	unsigned long taker; /* the configuration that took it last */
	int socktype;
	char *name;    /* inherited: its name from LISTEN_FDNAMES, or NULL */
	int inherited; /* the service manager's: never closed by a sweep nor
	                  its file removed */
};

static struct listener *table;
static size_t count, room;

/* Configured as before, or as the address it was bound to: "port 0" that
 * became port 39157 is the socket "port 39157" asks for.  With port not 0,
 * only a socket on that port: the one the service's other addresses have. */
static int
listener_matches(const struct listener *l, const struct service_conf *sc,
    const struct listen_addr *a, int port)
{
	return l->transport && l->transport == sc->transport &&
	       (addr_same(&l->key, a) || addr_same(&l->bound, a)) &&
	       (port == 0 || addr_port(&l->bound) == port);
}

/* A unix socket file's mode and owners, as the service says (a path is
 * one address). */
static int
listener_socket_file(const struct service_conf *sc, char *err, size_t errlen)
{
	const char *path = sc->addrs[0].text;

	if (sc->socket_mode >= 0 && chmod(path, (mode_t)sc->socket_mode) < 0) {
		snprintf(err, errlen, "chmod %s: %s", path, strerror(errno));
		return -1;
	}
	if ((sc->socket_uid != (uid_t)-1 || sc->socket_gid != (gid_t)-1) &&
	    chown(path, sc->socket_uid, sc->socket_gid) < 0) {
		snprintf(err, errlen, "chown %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void
listener_close(struct listener *l)
{
	close(l->fd);
	if (!l->inherited && l->transport && l->transport->unbind)
		l->transport->unbind(&l->bound);
	free(l->name);
}

static struct listener *
listener_add(char *err, size_t errlen)
{
	if (count == room) {
		size_t n = room ? 2 * room : 8;
		struct listener *t = realloc(table, n * sizeof(*t));

		if (t == NULL) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		table = t;
		room = n;
	}
	memset(&table[count], 0, sizeof(table[count]));
	return &table[count];
}

/* A socket the service manager passed that sc may take for its address
 * a: one named after the service, else an unnamed one (or one no service
 * is named after) on a, of sc's socket type. */
static struct listener *
listener_inherited_for(
    const struct service_conf *sc, const struct listen_addr *a)
{
	for (size_t i = 0; i < count; i++)
		if (table[i].inherited && table[i].transport == NULL &&
		    table[i].name && strcmp(table[i].name, sc->name) == 0)
			return &table[i];
	for (size_t i = 0; i < count; i++)
		if (table[i].inherited && table[i].transport == NULL &&
		    table[i].socktype == sc->transport->socktype &&
		    addr_same(&table[i].bound, a))
			return &table[i];
	return NULL;
}

int
listeners_inherit(char *err, size_t errlen)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char *names =
	    getenv("LISTEN_FDNAMES") ? strdup(getenv("LISTEN_FDNAMES")) : NULL;
	char *next = names;
	long n;
	int rc = -1;

	if (pid == NULL || fds == NULL || atol(pid) != (long)getpid()) {
		rc = 0; /* none, or not meant for this process */
		goto out;
	}
	if ((n = atol(fds)) < 0 || n > 4096) {
		snprintf(
		    err, errlen, "LISTEN_FDS=%s: not a count of sockets", fds);
		goto out;
	}
	for (int fd = 3; fd < 3 + n; fd++) {
		struct listener *l = listener_add(err, errlen);
		char *name = next ? strsep(&next, ":") : NULL;
		socklen_t len = sizeof(l->socktype);

		if (l == NULL)
			goto out;
		l->fd = fd;
		l->inherited = 1;
		l->bound.len = sizeof(l->bound.ss);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &l->socktype, &len) <
		        0 ||
		    getsockname(fd, (struct sockaddr *)&l->bound.ss,
		        &l->bound.len) < 0) {
			snprintf(err, errlen,
			    "LISTEN_FDS: descriptor %d is not a socket", fd);
			goto out;
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		addr_format((struct sockaddr *)&l->bound.ss, l->bound.len,
		    l->bound.text, sizeof(l->bound.text));
		if (name && *name && (l->name = strdup(name)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		count++;
	}
	rc = 0;
out:
	free(names);
	/* the workers and the programs they run are not the ones meant */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return rc;
}

void
listeners_check_inherited(void)
{
	for (size_t i = 0; i < count; i++)
		if (table[i].inherited && table[i].transport == NULL)
			log_warn(NULL,
			    "the socket %s%s%s the service manager passed (fd %d) is no service's: kept unused",
			    table[i].bound.text, table[i].name ? " named " : "",
			    table[i].name ? table[i].name : "", table[i].fd);
}

/* An open socket for a, one of sc's addresses (on port, unless 0): one
 * bound before that no service of configuration taker took, else one the
 * service manager passed, readied as the transport readies its own.  0
 * with *fd its socket (a becoming its address) or -1 when there is none;
 * -1 with err when one passed cannot serve. */
static int
listener_take(struct service_conf *sc, struct listen_addr *a,
    unsigned long taker, int port, int *fd, char *err, size_t errlen)
{
	struct listener *l;

	*fd = -1;
	/* several services may say "port 0": each gets a socket of its own */
	for (size_t i = 0; i < count; i++)
		if (table[i].taker != taker &&
		    listener_matches(&table[i], sc, a, port)) {
			table[i].taker = taker;
			*a = table[i].bound;
			*fd = table[i].fd;
			return 0;
		}
	if ((l = listener_inherited_for(sc, a)) == NULL)
		return 0;
	if (sc->transport->adopt &&
	    sc->transport->adopt(l->fd, &l->bound, err, errlen) < 0)
		return -1;
	l->transport = sc->transport;
	l->key = *a;
	l->taker = taker;
	if (l->bound.ss.ss_family == AF_INET6) {
		int only = 1;
		socklen_t n = sizeof(only);

		l->bound.dual_stack = getsockopt(l->fd, IPPROTO_IPV6,
		                          IPV6_V6ONLY, &only, &n) == 0 &&
		                      !only;
	}
	*a = l->bound;
	log_info(sc->name,
	    "listening on %s %s (socket from the service manager)",
	    sc->transport->name, a->text);
	*fd = l->fd;
	return 0;
}

/* Closes the sockets a try bound (fresh[i], not -1; at bound[i]). */
static void
listeners_discard(
    const struct service_conf *sc, int *fresh, const struct listen_addr *bound)
{
	for (size_t i = 0; i < sc->naddrs; i++) {
		if (fresh[i] < 0)
			continue;
		close(fresh[i]);
		if (sc->transport->unbind)
			sc->transport->unbind(&bound[i]);
		fresh[i] = -1;
	}
}

/* One try at binding sc's addresses that have no socket (fds[i] -1): those
 * of port 0 on port, or when port is 0, on the one the kernel picks for
 * the first.  0 when all are bound (fresh[i] at bound[i]; -1 where fds[i]
 * had one), -1 with err, or 1 when the port picked was in use on another
 * address: the socket that got it is left open in *first, so that the
 * kernel picks another port next time. */
static int
listeners_try(const struct service_conf *sc, const int *fds, int port,
    struct listen_addr *bound, int *fresh, int *first, char *err, size_t errlen)
{
	int picker = -1; /* the address whose bind picked the port */

	for (size_t i = 0; i < sc->naddrs; i++)
		fresh[i] = -1;
	for (size_t i = 0; i < sc->naddrs; i++) {
		int zero;

		if (fds[i] >= 0)
			continue;
		bound[i] = sc->addrs[i];
		if ((zero = addr_port(&bound[i]) == 0) && port)
			addr_set_port(&bound[i], port);
		fresh[i] =
		    sc->transport->bind(&bound[i], sc->backlog, err, errlen);
		if (fresh[i] >= 0 && zero && port == 0) {
			port = addr_port(&bound[i]);
			picker = (int)i;
		}
		if (fresh[i] >= 0)
			continue;
		if (picker >= 0 && zero && errno == EADDRINUSE) {
			log_info(sc->name,
			    "%s is in use: another port for all %zu addresses",
			    bound[i].text, sc->naddrs);
			*first = fresh[picker];
			fresh[picker] = -1;
			listeners_discard(sc, fresh, bound);
			return 1;
		}
		listeners_discard(sc, fresh, bound);
		return -1;
	}
	return 0;
}

/* Enters what listeners_try bound into the table: fds[i] and sc->addrs[i]
 * become each socket and its address. */
static int
listeners_add(struct service_conf *sc, unsigned long taker, int *fds,
    int *fresh, const struct listen_addr *bound, char *err, size_t errlen)
{
	for (size_t i = 0; i < sc->naddrs; i++) {
		struct listener *l;

		if (fresh[i] < 0)
			continue;
		if ((l = listener_add(err, errlen)) == NULL) {
			listeners_discard(sc, fresh, bound);
			return -1;
		}
		*l = (struct listener){.transport = sc->transport,
		    .key = sc->addrs[i],
		    .bound = bound[i],
		    .fd = fresh[i],
		    .taker = taker,
		    .socktype = sc->transport->socktype};
		count++;
		fds[i] = fresh[i];
		fresh[i] = -1;
		sc->addrs[i] = bound[i];
		log_info(sc->name, "listening on %s %s", sc->transport->name,
		    bound[i].text);
	}
	return 0;
}

/* Binds sc's addresses that have no socket (fds[i] -1), those of port 0 on
 * port (the one its others have) or else on one port for all of them. */
static int
listeners_bind(struct service_conf *sc, unsigned long taker, int *fds, int port,
    char *err, size_t errlen)
{
	struct listen_addr bound[ADDR_LIST_MAX];
	int fresh[ADDR_LIST_MAX], held[LISTENERS_PORT_TRIES], tries = 0, rc;
	char why[256], list[ADDR_LIST_MAX * ADDR_TEXT_MAX];

	while ((rc = listeners_try(sc, fds, port, bound, fresh, &held[tries],
	            why, sizeof(why))) == 1 &&
	       ++tries < LISTENERS_PORT_TRIES)
		;
	for (int i = 0; i < tries; i++)
		close(held[i]);
	if (rc == 0)
		return listeners_add(sc, taker, fds, fresh, bound, err, errlen);
	if (tries == 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	addr_list_format(sc->addrs, sc->naddrs, list, sizeof(list));
	if (rc == 1)
		snprintf(err, errlen,
		    "no one port is free on all of %s: the kernel's %d picks were each in use on one of them",
		    list, tries);
	else
		snprintf(err, errlen,
		    "no one port is free on all of %s: %d pick%s in use on one of them, then %s",
		    list, tries, tries == 1 ? " was" : "s were", why);
	return -1;
}

int
listeners_open(struct service_conf *sc, unsigned long taker, int *fds,
    char *err, size_t errlen)
{
	int port = 0, unbound = 0;

	for (size_t i = 0; i < sc->naddrs; i++) {
		int zero = addr_port(&sc->addrs[i]) == 0;

		if (listener_take(sc, &sc->addrs[i], taker, zero ? port : 0,
		        &fds[i], err, errlen) < 0)
			return -1;
		if (fds[i] < 0)
			unbound++;
		else if (zero)
			port = addr_port(&sc->addrs[i]);
	}
	if (unbound && listeners_bind(sc, taker, fds, port, err, errlen) < 0)
		return -1;
	return listener_socket_file(sc, err, errlen);
}

void
listeners_begin_sweep(void)
{
	for (size_t i = 0; i < count; i++)
		table[i].keep = 0;
}

void
listeners_keep(int fd)
{
	for (size_t i = 0; i < count; i++)
		if (table[i].fd == fd)
			table[i].keep = 1;
}

void
listeners_sweep(void)
{
	size_t kept = 0;

	for (size_t i = 0; i < count; i++) {
		if (table[i].keep || table[i].inherited) {
			table[kept++] = table[i];
			continue;
		}
		log_info(NULL, "closed %s %s: no service listens there now",
		    table[i].transport->name, table[i].bound.text);
		listener_close(&table[i]);
	}
	count = kept;
}

void
listeners_close_all(void)
{
	for (size_t i = 0; i < count; i++)
		listener_close(&table[i]);
	count = 0;
	free(table);
	table = NULL;
	room = 0;
}
