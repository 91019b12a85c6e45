/* tls_ktls.h - whether kernel TLS can be used, said when a worker of a
 * service with ktls = true starts. */
#ifndef TLS_KTLS_H
#define TLS_KTLS_H

struct ms_service;

/* Logs, for a TLS service with ktls = true, whether this kernel has TLS
 * (then OpenSSL hands records, and ms_sendfile's files, to the kernel
 * where the cipher allows) or not (files are read and encrypted). */
void tls_ktls_say(const struct ms_service *svc);

#endif
