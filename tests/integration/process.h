/* process.h - what the process tests share: a one-service configuration
 * written or started (failing the test if it cannot be), and a question
 * asked on a fresh connection. */
#ifndef PROCESS_H
#define PROCESS_H

#include <stddef.h>

/* The models, in the order the tests go through them. */
extern const char *const models[3];

/* server_write_one for srv, which must succeed. */
void conf_one(const char *transport, const char *listen, const char *model,
    const char *module, const char *extra);
/* server_start_one for srv, which must succeed. */
void start_one(const char *transport, const char *listen, const char *model,
    const char *module, const char *extra);
/* Sends msg on a fresh connection to srv's first listener, says it has no
 * more to send, and reads the reply (NUL-terminated) until the server
 * closes.  Its length, or -1. */
int ask(const char *msg, char *reply, size_t n);

#endif
