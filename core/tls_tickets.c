/* tls_tickets.c - session ticket keys and OpenSSL's ticket callback over
 * them (nginx's ngx_ssl_session_ticket_key_callback, with keys the master
 * gives rather than files). */
#include "tls_tickets.h"

#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "tls_text.h"

/* Where a context keeps its store, for the callback. */
static int tls_ticket_index = -1;
static pthread_once_t tls_ticket_once = PTHREAD_ONCE_INIT;

static void
tls_ticket_index_make(void)
{
	tls_ticket_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static int
tls_ticket_key_make(struct tls_ticket_key *key, char *err, size_t errlen)
{
	char why[256];

	if (RAND_priv_bytes(key->name, sizeof(key->name)) == 1 &&
	    RAND_priv_bytes(key->aes, sizeof(key->aes)) == 1 &&
	    RAND_priv_bytes(key->hmac, sizeof(key->hmac)) == 1)
		return 0;
	snprintf(err, errlen, "session ticket key: no random bytes: %s",
	    tls_text_error(why, sizeof(why)));
	return -1;
}

int
tls_ticket_keys_make(struct tls_ticket_keys *k, char *err, size_t errlen)
{
	memset(k, 0, sizeof(*k));
	if (tls_ticket_key_make(&k->key[0], err, errlen) < 0)
		return -1;
	k->n = 1;
	return 0;
}

int
tls_ticket_keys_rotate(struct tls_ticket_keys *k, char *err, size_t errlen)
{
	struct tls_ticket_key fresh;

	if (tls_ticket_key_make(&fresh, err, errlen) < 0)
		return -1;
	OPENSSL_cleanse(&k->key[TLS_TICKET_KEYS - 1], sizeof(k->key[0]));
	memmove(
	    &k->key[1], &k->key[0], (TLS_TICKET_KEYS - 1) * sizeof(k->key[0]));
	k->key[0] = fresh;
	OPENSSL_cleanse(&fresh, sizeof(fresh));
	if (k->n < TLS_TICKET_KEYS)
		k->n++;
	k->generation++;
	return 0;
}

void
tls_ticket_keys_wipe(struct tls_ticket_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

int
tls_ticket_store_init(struct tls_ticket_store *st)
{
	memset(st, 0, sizeof(*st));
	return pthread_rwlock_init(&st->lock, NULL) == 0 ? 0 : -1;
}

void
tls_ticket_store_destroy(struct tls_ticket_store *st)
{
	tls_ticket_keys_wipe(&st->keys);
	pthread_rwlock_destroy(&st->lock);
}

void
tls_ticket_store_set(
    struct tls_ticket_store *st, const struct tls_ticket_keys *keys)
{
	pthread_rwlock_wrlock(&st->lock);
	if (!st->have || keys->generation >= st->keys.generation) {
		st->keys = *keys;
		st->have = keys->n > 0;
	}
	pthread_rwlock_unlock(&st->lock);
}

/* Sets up the cipher and MAC for key: 0, or -1. */
static int
tls_ticket_key_use(const struct tls_ticket_key *key, unsigned char *iv,
    EVP_CIPHER_CTX *ectx, EVP_MAC_CTX *hctx, int enc)
{
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_octet_string(
	        OSSL_MAC_PARAM_KEY, (void *)key->hmac, sizeof(key->hmac)),
	    OSSL_PARAM_construct_utf8_string(
	        OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
	    OSSL_PARAM_construct_end(),
	};

	if (EVP_CipherInit_ex(
	        ectx, EVP_aes_256_cbc(), NULL, key->aes, iv, enc) != 1 ||
	    EVP_MAC_CTX_set_params(hctx, params) != 1)
		return -1;
	return 0;
}

/* OpenSSL's: enc 1, a new ticket under key[0] (1 done, 0 none issued);
 * enc 0, the key the ticket names: 1 resumes, 2 resumes and issues a
 * ticket under key[0] (it was an older key), 0 a full handshake. */
static int
tls_ticket_callback(SSL *ssl, unsigned char name[TLS_TICKET_NAME_LEN],
    unsigned char *iv, EVP_CIPHER_CTX *ectx, EVP_MAC_CTX *hctx, int enc)
{
	struct tls_ticket_store *st =
	    SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), tls_ticket_index);
	const struct tls_ticket_key *key = NULL;
	uint32_t i = 0;
	int rc = 0;

	if (st == NULL)
		return 0;
	pthread_rwlock_rdlock(&st->lock);
	if (st->have && enc) {
		key = &st->keys.key[0];
		memcpy(name, key->name, TLS_TICKET_NAME_LEN);
		if (RAND_bytes(
		        iv, EVP_CIPHER_get_iv_length(EVP_aes_256_cbc())) != 1)
			key = NULL;
	}
	for (; st->have && !enc && i < st->keys.n; i++)
		if (memcmp(name, st->keys.key[i].name, TLS_TICKET_NAME_LEN) ==
		    0) {
			key = &st->keys.key[i];
			break;
		}
	if (key && tls_ticket_key_use(key, iv, ectx, hctx, enc) == 0)
		rc = enc || i == 0 ? 1 : 2;
	else if (key)
		rc = -1;
	pthread_rwlock_unlock(&st->lock);
	return rc;
}

long
tls_ticket_lifetime(double period)
{
	return (long)((TLS_TICKET_KEYS - 1) * period + 0.999);
}

int
tls_ticket_attach(SSL_CTX *ctx, struct tls_ticket_store *st, long lifetime,
    char *err, size_t errlen)
{
	char why[256];

	pthread_once(&tls_ticket_once, tls_ticket_index_make);
	if (tls_ticket_index < 0 ||
	    SSL_CTX_set_ex_data(ctx, tls_ticket_index, st) != 1 ||
	    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, tls_ticket_callback) !=
	        1) {
		snprintf(err, errlen, "session tickets: %s",
		    tls_text_error(why, sizeof(why)));
		return -1;
	}
	SSL_CTX_set_timeout(ctx, lifetime);
	return 0;
}
