/* memory_tls.h - a TLS client and a server context in one process,
 * talking over a BIO pair: the unit tests' handshakes. */
#ifndef MEMORY_TLS_H
#define MEMORY_TLS_H

#include <openssl/ssl.h>

/* What the client does. */
struct tls_client {
	const char *sni;           /* NULL: none sent */
	const char *cert;          /* NAME: NAME.pem and NAME.key; NULL: none */
	const unsigned char *alpn; /* wire format; NULL: none offered */
	unsigned alpn_len;
	int max_version;      /* 0: any */
	SSL_SESSION *session; /* to resume; NULL: a full handshake */
};

/* Both ends of one connection. */
struct tls_pair {
	SSL_CTX *cctx;
	SSL *c, *s;
	int ok; /* the handshake succeeded */
};

/* A server context of a.example's (certs/a.pem), asking for a client
 * certificate from certs/ca.pem. */
SSL_CTX *tls_pair_server(const char *certs);
/* Connects cl, which trusts certs/ca.pem (certs: make_certs.sh's folder),
 * to a server SSL made from server; when the handshake succeeds, a byte
 * goes each way (a TLS 1.3 client reads its tickets on the way).  p->ok,
 * 1 or 0 (refused).  tls_pair_close it in either case. */
int tls_pair_open(struct tls_pair *p, SSL_CTX *server,
    const struct tls_client *cl, const char *certs);
/* Closes as a client does (else the session would not resume), frees. */
void tls_pair_close(struct tls_pair *p);

#endif
