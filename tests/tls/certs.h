/* certs.h - the TLS tests' certificates, made at test time by
 * make_certs.sh (its list of files is there) into a folder of their own,
 * readable by every user (a service's user reads what it is handed). */
#ifndef TLS_CERTS_H
#define TLS_CERTS_H

/* The folder, once tls_certs_setup made it. */
extern char tls_certs[];

/* cmocka group fixtures: make the folder and the certificates, remove
 * them.  0, or -1. */
int tls_certs_setup(void **state);
int tls_certs_teardown(void **state);

#endif
