/* tls_conf.h - a service's tls settings, as config.c reads them: plain
 * structs, no OpenSSL. */
#ifndef TLS_CONF_H
#define TLS_CONF_H

#include <stddef.h>

/* A value that may be wrong for a reason only a later check sees (a file
 * that does not parse, a cipher string OpenSSL refuses): where it was
 * written, for that check's file:line. */
struct conf_text {
	char *text; /* first: a key setter stores it as a char * */
	char *key;  /* "services.[0].tls.key", or "tls.key" from the default */
	int line;
};

enum tls_verify {
	TLS_VERIFY_NONE,     /* no client certificate asked for */
	TLS_VERIFY_OPTIONAL, /* asked for; one that fails verification fails
	                        the handshake, none is accepted */
	TLS_VERIFY_REQUIRED, /* a verified one is needed */
};

/* The protocol versions min_version takes, by their wire numbers (as
 * OpenSSL's TLS1_2_VERSION, TLS1_3_VERSION). */
enum tls_version {
	TLS_VERSION_1_2 = 0x0303,
	TLS_VERSION_1_3 = 0x0304,
};

/* A certificate chosen by the name a client asks for (SNI). */
struct tls_sni {
	char *name; /* a host name, or "*.example" for any one label */
	struct conf_text certificate, key;
	int line;
};

struct tls_conf {
	int line;                      /* the service's tls group */
	struct conf_text certificate;  /* PEM chain, leaf first */
	struct conf_text key;          /* PEM private key, unencrypted */
	struct conf_text client_ca;    /* PEM CAs; NULL text: none */
	int verify_client;             /* enum tls_verify */
	int min_version;               /* enum tls_version */
	struct conf_text ciphers;      /* TLS 1.2 list; NULL text: OpenSSL's */
	struct conf_text ciphersuites; /* TLS 1.3 list; NULL text: OpenSSL's */
	char **alpn; /* protocols, preferred first, NULL-terminated; NULL:
	                no ALPN */
	double handshake_timeout; /* seconds */
	int session_tickets;      /* resumption by tickets the master keys */
	double session_ticket_rotation; /* seconds between new ticket keys */
	int ktls;                       /* kernel TLS where the kernel has it */
	struct tls_sni *sni;
	size_t nsni;
};

#endif
