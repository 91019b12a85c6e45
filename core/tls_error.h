/* tls_error.h - OpenSSL's reason for what just failed, as text. */
#ifndef TLS_ERROR_H
#define TLS_ERROR_H

#include <stddef.h>

/* The reason of the oldest error queued in this thread (its library
 * named when it has no reason text), the queue then emptied; "no reason
 * given" when nothing was queued.  Writes into buf and returns it. */
const char *tls_error_reason(char *buf, size_t len);

#endif
