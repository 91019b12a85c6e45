/* loadgen_tls.h - the load generator's TLS client (OpenSSL): one context
 * that verifies the server's chain against a CA file, at one protocol
 * version or any from TLS 1.2; with resumption, a session saved from a
 * first connection that every later connection offers.  Counts
 * handshakes and resumptions, and names what the first one agreed. */
#ifndef LOADGEN_TLS_H
#define LOADGEN_TLS_H

#include <openssl/ssl.h>

/* The context; version "1.2", "1.3" or NULL (any from TLS 1.2).  0, or -1
 * with OpenSSL's reason on stderr. */
int lg_tls_init(const char *cafile, const char *version, int resume);
/* A client SSL over the connected (or connecting) fd, offering the saved
 * session if there is one; NULL when OpenSSL fails. */
SSL *lg_tls_new(int fd);
/* One go at the handshake: 1 done, 0 to wait for what SSL_want says, -1
 * failed. */
int lg_tls_handshake(SSL *ssl);
/* The bytes an SSL_read or SSL_write moved, or 0 to wait for what
 * SSL_want says, or -1 for an error or the end of the connection. */
int lg_tls_result(SSL *ssl, int n);
/* A request's reply is in: the first such connection's session is saved
 * for the connections after it to resume (its TLS 1.3 tickets came before
 * the reply). */
void lg_tls_replied(SSL *ssl);
/* Frees ssl, saying close_notify first when the connection ended well. */
void lg_tls_close(SSL *ssl, int well);
/* "handshakes=N resumed=N tls=VERSION/CIPHER" for the result line. */
void lg_tls_print(void);
/* Frees the context and the saved session. */
void lg_tls_end(void);

#endif
