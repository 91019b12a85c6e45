/* tls_relay.h - ms_exec over TLS: a relay process between the TLS
 * connection and the program's end of a socket pair, as stunnel's exec. */
#ifndef TLS_RELAY_H
#define TLS_RELAY_H

#include <sys/types.h>

#include <openssl/ssl.h>

/* In a new child of parent about to relay for the TLS connection on
 * sock: names itself modserv-relay, passes its parent's death on as
 * SIGTERM, blocks every signal (tls_relay_run reads them), keeps no
 * descriptor but 0-2 and sock, and makes the program's socket pair in
 * pair (pair[1] the program's).  0, or -1 with errno. */
int tls_relay_begin(pid_t parent, int sock, int pair[2]);

/* Relays between ssl (its handshake done) and pair, the relay's end of
 * the program's socket pair, until the program's keeper ended: the
 * client's bytes to the program, its end (close_notify) as the end of
 * the program's input; the program's bytes to the client, their end as a
 * close_notify.  A SIGTERM goes on to keeper (contain_stop); one after
 * keeper ended ends the relay at once.  Returns keeper's wait status. */
int tls_relay_run(SSL *ssl, int pair, pid_t keeper);

#endif
