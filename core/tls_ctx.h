/* tls_ctx.h - a service's OpenSSL server contexts, built from its tls
 * settings: the default certificate's and one an sni entry, alike in
 * everything else. */
#ifndef TLS_CTX_H
#define TLS_CTX_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "tls_conf.h"
#include "tls_tickets.h"

struct tls_ctx;

/* Builds the contexts of service (named so; file is the configuration,
 * for messages) from tc, reading every certificate and key now: the
 * master does so as root before a worker drops privileges, and workers
 * inherit the contexts, so a key file may stay readable by root alone.
 * Logs a warning for a certificate out of its dates, or one that does not
 * name the sni name it is for.  NULL, with "file:line: key: reason" in
 * err. */
struct tls_ctx *tls_ctx_new(const struct tls_conf *tc, const char *file,
    const char *service, char *err, size_t errlen);
void tls_ctx_free(struct tls_ctx *t);
/* The context a connection's SSL is made from; the client's SNI switches
 * it to an sni entry's. */
SSL_CTX *tls_ctx_default(const struct tls_ctx *t);
/* The session ticket keys from now on (the master's, newest generation
 * kept).  Until the first keys arrive no ticket is issued; with
 * session_tickets = false none ever is. */
void tls_ctx_set_ticket_keys(
    struct tls_ctx *t, const struct tls_ticket_keys *keys);

#endif
