/* tls_text.h - OpenSSL's values as the text messages and variables
 * show. */
#ifndef TLS_TEXT_H
#define TLS_TEXT_H

#include <stddef.h>

#include <openssl/asn1.h>

/* The reason of the oldest error queued in this thread (its library
 * named when it has no reason text), the queue then emptied; "no reason
 * given" when nothing was queued.  Writes into buf and returns it. */
const char *tls_text_error(char *buf, size_t len);
/* A time as OpenSSL prints it, "Jan  1 00:00:00 2001 GMT" (mod_ssl's
 * form); "" when it cannot.  Writes into buf and returns it. */
const char *tls_text_time(const ASN1_TIME *at, char *buf, size_t len);

#endif
