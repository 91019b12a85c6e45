/* haproxy.h - a real HAProxy in front of modserv instances, started by
 * the test on a configuration of its own and stopped by its pid. */
#ifndef HARNESS_HAPROXY_H
#define HARNESS_HAPROXY_H

#include <sys/types.h>

#define HAPROXY "/usr/sbin/haproxy"

struct haproxy {
	pid_t pid;     /* -1: not running */
	char dir[256]; /* its folder: haproxy.cfg, haproxy.log */
};

/* Fails the test when HAProxy is not installed. */
void haproxy_needed(void);
/* Writes conf (HAProxy's configuration text) into a fresh folder, starts
 * haproxy -db on it, waits (5 s at most) until its frontend on
 * 127.0.0.1:port accepts; fails the test if it does not. */
void haproxy_start(struct haproxy *h, const char *conf, int port);
/* SIGTERM, waits for it, removes its folder; nothing if not started. */
void haproxy_stop(struct haproxy *h);
/* What it logged so far. */
const char *haproxy_log(const struct haproxy *h);

#endif
