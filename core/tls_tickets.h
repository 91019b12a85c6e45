/* tls_tickets.h - session ticket keys: made and rotated by the master,
 * kept across reloads, handed to every worker, so that a ticket one
 * process issued resumes in any other of the service. */
#ifndef TLS_TICKETS_H
#define TLS_TICKETS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#define TLS_TICKET_NAME_LEN 16   /* what a ticket names its key by */
#define TLS_TICKET_SECRET_LEN 32 /* AES-256-CBC key, HMAC-SHA256 key */
#define TLS_TICKET_KEYS 3        /* the encrypting key and two older ones */

struct tls_ticket_key {
	unsigned char name[TLS_TICKET_NAME_LEN];
	unsigned char aes[TLS_TICKET_SECRET_LEN];
	unsigned char hmac[TLS_TICKET_SECRET_LEN];
};

/* The keys as the master makes them: plain bytes, no pointer, so they go
 * as they are to a worker over its control socket. */
struct tls_ticket_keys {
	uint64_t generation; /* rotations since made: a worker keeps the
	                        newest it was given */
	uint32_t n;          /* keys in key[], 1..TLS_TICKET_KEYS */
	struct tls_ticket_key key[TLS_TICKET_KEYS]; /* [0] encrypts new
	                                               tickets; all decrypt */
};

/* The master's side.  Fresh random keys (one, generation 0): 0, or -1
 * with err. */
int tls_ticket_keys_make(struct tls_ticket_keys *k, char *err, size_t errlen);
/* A new key[0]; the others move down one, the oldest is dropped.  0, or -1
 * with err (then k is unchanged). */
int tls_ticket_keys_rotate(struct tls_ticket_keys *k, char *err, size_t errlen);
/* Overwrites k's secrets (before its memory is freed or reused). */
void tls_ticket_keys_wipe(struct tls_ticket_keys *k);

/* A worker's side: the keys its contexts' ticket callback reads, from any
 * thread, while a new set may arrive. */
struct tls_ticket_store {
	pthread_rwlock_t lock;
	int have; /* keys were given: until then no ticket is issued */
	struct tls_ticket_keys keys;
};

int tls_ticket_store_init(struct tls_ticket_store *st);
void tls_ticket_store_destroy(struct tls_ticket_store *st);
/* Takes keys unless the store holds a newer generation already. */
void tls_ticket_store_set(
    struct tls_ticket_store *st, const struct tls_ticket_keys *keys);
/* Seconds a ticket resumes at least when keys rotate every period
 * seconds: until its key is dropped, (TLS_TICKET_KEYS - 1) rotations on.
 * What its lifetime hint says. */
long tls_ticket_lifetime(double period);
/* Makes ctx issue and accept tickets under st's keys, each for lifetime
 * seconds.  0, or -1 with err. */
int tls_ticket_attach(SSL_CTX *ctx, struct tls_ticket_store *st, long lifetime,
    char *err, size_t errlen);

#endif
