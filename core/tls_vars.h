/* tls_vars.h - what a module may know of a TLS connection, by mod_ssl's
 * variable names: ms_tls_var(req, NAME), and the environment of a
 * program a TLS request runs. */
#ifndef TLS_VARS_H
#define TLS_VARS_H

#include <stddef.h>

#include <openssl/ssl.h>

/* The i-th variable's name, in the order an environment lists them;
 * NULL past the last. */
const char *tls_var_name(size_t i);
/* Variable name of the server connection ssl, its handshake done, in buf
 * (len bytes at most, cut there): buf, or NULL when name is no variable
 * or has no value on this connection (no client certificate, no SNI, no
 * protocol agreed by ALPN). */
const char *tls_var(const SSL *ssl, const char *name, char *buf, size_t len);

#endif
