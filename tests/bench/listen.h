/* listen.h - the hand-written servers' listening socket. */
#ifndef BENCH_LISTEN_H
#define BENCH_LISTEN_H

/* A socket of type (SOCK_STREAM listening, or SOCK_DGRAM) bound to addr,
 * HOST:PORT (IPv4; port 0: any free) or a unix path (one that is there is
 * replaced); prints "listening on ADDR" with the port resolved on stderr,
 * as modserv does.  Exits when it cannot. */
int listen_on(const char *addr, int type);

#endif
