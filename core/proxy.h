/* proxy.h - the PROXY protocol (HAProxy's, versions 1 and 2): the header a
 * load balancer sends first on a connection, naming the client it
 * accepted.  Parsing only; the request layer decides what to do with it. */
#ifndef PROXY_H
#define PROXY_H

#include <stddef.h>
#include <sys/socket.h>

/* The longest header accepted: v1 is at most 107 bytes; v2 is 16 bytes and
 * the addresses, plus TLVs a balancer may add (ALPN, authority, ...). */
#define PROXY_MAX_HEADER 4096

/* Parses the header at the start of p (len bytes so far).  Returns its
 * length once whole, with the client's address in *src and *srclen (or
 * *srclen 0 when the header names none: v2 LOCAL, as a balancer's health
 * check sends, or v1 UNKNOWN: the connection's own address stands);
 * 0 when more bytes are needed; -1 when it is not a valid header (why in
 * err). */
int proxy_parse(const void *p, size_t len, struct sockaddr_storage *src,
    socklen_t *srclen, char *err, size_t errlen);

#endif
