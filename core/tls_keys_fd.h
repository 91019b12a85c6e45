/* tls_keys_fd.h - session ticket keys in a sealed memfd: how the master
 * hands a rotation to its workers over their control sockets (a worker
 * that became another user reads what it is handed, and nothing in the
 * file can change once sealed). */
#ifndef TLS_KEYS_FD_H
#define TLS_KEYS_FD_H

#include <stddef.h>

#include "tls_tickets.h"

/* A sealed memfd (close-on-exec) holding k: fd, or -1 with err. */
int tls_keys_fd_make(const struct tls_ticket_keys *k, char *err, size_t errlen);
/* Reads k from a file tls_keys_fd_make made: 0, or -1 with err (a file
 * not sealed so, or of another size, or keys that make no sense; k then
 * holds nothing). */
int tls_keys_fd_read(
    int fd, struct tls_ticket_keys *k, char *err, size_t errlen);

#endif
