/* request_tls.h - what a request's TLS connection says (ms_tls_var, by
 * mod_ssl's names), each value read once and kept until the request
 * ends. */
#ifndef REQUEST_TLS_H
#define REQUEST_TLS_H

#include <stddef.h>

struct ms_request;

/* The value of the i-th variable (tls_var_name(i)) for r, kept with r;
 * NULL on a plaintext request, before its handshake, past the last
 * variable, or where it has no value. */
const char *request_tls_var(struct ms_request *r, size_t i);
/* 1 when r is a TLS request whose variables may be asked for (or were
 * kept): else every one is NULL. */
int request_tls_on(const struct ms_request *r);
/* Frees what r kept (request_release). */
void request_tls_free(struct ms_request *r);

#endif
