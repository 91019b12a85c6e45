/* certs.h - the TLS tests' certificates, made at test time by
 * make_certs.sh into a fresh folder (its list of files is there). */
#ifndef TLS_CERTS_H
#define TLS_CERTS_H

/* Makes the certificates in a new folder from template (mkdtemp's
 * "...XXXXXX", overwritten with the folder), readable by every user (a
 * service's user reads what it is handed).  0, or -1. */
int tls_certs_make(char *template);
/* Removes the folder and everything in it.  0, or -1. */
int tls_certs_remove(const char *dir);

#endif
