/* conn_tls.h - the TLS connection type (conn_tls, declared in conn.h) and
 * what only a TLS connection can say. */
#ifndef CONN_TLS_H
#define CONN_TLS_H

#include <openssl/ssl.h>

#include "conn.h"

/* c's SSL once its handshake began; NULL for any other connection (a
 * plaintext one, a datagram's). */
SSL *conn_tls_ssl(const struct conn *c);

#endif
