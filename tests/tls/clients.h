/* clients.h - what the TLS integration tests run as clients: commands
 * (openssl s_client, curl, tests/tls/tls_wrap.py) with their output,
 * and a TLS round trip of their own, timed by the caller. */
#ifndef TLS_CLIENTS_H
#define TLS_CLIENTS_H

#include <stddef.h>

/* "PYTHON tests/tls/tls_wrap.py --ca CERTS/ca.pem": a command's start
 * (certs: tls_certs once made). */
const char *tls_client_py(void);
/* The folder of the seeds' clients (tests/seeds/clients). */
extern const char tls_seed_clients[];

/* Runs the shell command made from fmt in folder dir with input (NULL:
 * none) on its standard input; its standard output and error together
 * in out (the last size - 1 bytes when there were more).  Its exit
 * status, or -1. */
int tls_run(char *out, size_t size, const char *dir, const char *input,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* One TLS connection to addr (tcp "127.0.0.1:port", or a socket file)
 * trusting certs/ca.pem for a.example: text sent, the reply read up to
 * its first newline into reply.  Its length, or -1 (reply then says
 * why). */
int tls_line(const char *addr, const char *text, char *reply, size_t size);

/* What the tests of one modserv (srv, from harness.h) share: the address
 * of its service (fails the test when it has none); the group teardown
 * that stops it (its log shown unless it stopped cleanly), removes its
 * folder and the certificates. */
const char *tls_srv_addr(const char *service);
int tls_srv_teardown(void **state);

#endif
