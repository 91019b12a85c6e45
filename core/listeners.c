/* listeners.c - the master's table of listening sockets, keyed by
 * transport and address as configured (so "port 0" finds the socket bound
 * for it before, not a new port). */
#include "listeners.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "transport.h"

struct listener {
	const struct transport *transport;
	struct listen_addr key;   /* as configured, before binding */
	struct listen_addr bound; /* the real address */
	int fd;
	int keep;
	unsigned long taker; /* the configuration that took it last */
};

static struct listener *table;
static size_t count, room;

static int
addr_equal(const struct listen_addr *a, const struct listen_addr *b)
{
	return a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0;
}

/* Configured as before, or as the address it was bound to: "port 0" that
 * became port 39157 is the socket "port 39157" asks for. */
static int
listener_matches(const struct listener *l, const struct service_conf *sc)
{
	return l->transport == sc->transport &&
	       (addr_equal(&l->key, &sc->addr) ||
	           addr_equal(&l->bound, &sc->addr));
}

/* A unix socket file's mode and owners, as the service says. */
static int
listener_socket_file(const struct service_conf *sc, char *err, size_t errlen)
{
	if (sc->socket_mode >= 0 &&
	    chmod(sc->addr.text, (mode_t)sc->socket_mode) < 0) {
		snprintf(err, errlen, "chmod %s: %m", sc->addr.text);
		return -1;
	}
	if ((sc->socket_uid != (uid_t)-1 || sc->socket_gid != (gid_t)-1) &&
	    chown(sc->addr.text, sc->socket_uid, sc->socket_gid) < 0) {
		snprintf(err, errlen, "chown %s: %m", sc->addr.text);
		return -1;
	}
	return 0;
}

static void
listener_close(struct listener *l)
{
	close(l->fd);
	if (l->transport->unbind)
		l->transport->unbind(&l->bound);
}

int
listeners_open(
    struct service_conf *sc, unsigned long taker, char *err, size_t errlen)
{
	struct listener *l;

	/* several services may say "port 0": each gets a socket of its own */
	for (size_t i = 0; i < count; i++)
		if (table[i].taker != taker &&
		    listener_matches(&table[i], sc)) {
			table[i].taker = taker;
			sc->addr = table[i].bound;
			if (listener_socket_file(sc, err, errlen) < 0)
				return -1;
			return table[i].fd;
		}
	if (count == room) {
		size_t n = room ? 2 * room : 8;
		struct listener *t = realloc(table, n * sizeof(*t));

		if (t == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		table = t;
		room = n;
	}
	l = &table[count];
	*l = (struct listener){
	    .transport = sc->transport, .key = sc->addr, .taker = taker};
	if ((l->fd = sc->transport->bind(&sc->addr, sc->backlog, err, errlen)) <
	    0)
		return -1;
	l->bound = sc->addr;
	count++;
	if (listener_socket_file(sc, err, errlen) < 0)
		return -1;
	log_info(
	    sc->name, "listening on %s %s", sc->transport->name, sc->addr.text);
	return l->fd;
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
		if (table[i].keep) {
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
