/* memory_tls.c - handshakes between a client and a server context over
 * memory, driven in turn until both are done or one gives up. */
#include "memory_tls.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/err.h>

static SSL_CTX *
memory_tls_client_ctx(const struct tls_client *cl, const char *certs)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());
	char ca[300], cert[300], key[300];

	snprintf(ca, sizeof(ca), "%s/ca.pem", certs);
	assert_int_equal(SSL_CTX_load_verify_locations(c, ca, NULL), 1);
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	if (cl->cert) {
		snprintf(cert, sizeof(cert), "%s/%s.pem", certs, cl->cert);
		snprintf(key, sizeof(key), "%s/%s.key", certs, cl->cert);
		assert_int_equal(
		    SSL_CTX_use_certificate_file(c, cert, SSL_FILETYPE_PEM), 1);
		assert_int_equal(
		    SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM), 1);
	}
	if (cl->max_version)
		SSL_CTX_set_max_proto_version(c, cl->max_version);
	if (cl->alpn)
		SSL_CTX_set_alpn_protos(c, cl->alpn, cl->alpn_len);
	return c;
}

/* 1 once both ends are done, 0 when one gives up. */
static int
memory_tls_drive(SSL *c, SSL *s)
{
	int cd = 0, sd = 0;

	for (int round = 0; round < 100 && !(cd && sd); round++) {
		int rc;

		if (!cd && (rc = SSL_do_handshake(c)) == 1)
			cd = 1;
		else if (!cd && SSL_get_error(c, rc) != SSL_ERROR_WANT_READ)
			return 0;
		if (!sd && (rc = SSL_do_handshake(s)) == 1)
			sd = 1;
		else if (!sd && SSL_get_error(s, rc) != SSL_ERROR_WANT_READ)
			return 0;
	}
	return cd && sd;
}

SSL_CTX *
tls_pair_server(const char *certs)
{
	SSL_CTX *s = SSL_CTX_new(TLS_server_method());
	char cert[300], key[300], ca[300];

	snprintf(cert, sizeof(cert), "%s/a.pem", certs);
	snprintf(key, sizeof(key), "%s/a.key", certs);
	snprintf(ca, sizeof(ca), "%s/ca.pem", certs);
	assert_int_equal(SSL_CTX_use_certificate_chain_file(s, cert), 1);
	assert_int_equal(
	    SSL_CTX_use_PrivateKey_file(s, key, SSL_FILETYPE_PEM), 1);
	assert_int_equal(SSL_CTX_load_verify_locations(s, ca, NULL), 1);
	SSL_CTX_set_session_id_context(s, (const void *)"t", 1);
	SSL_CTX_set_verify(s, SSL_VERIFY_PEER, NULL);
	return s;
}

int
tls_pair_open(struct tls_pair *p, SSL_CTX *server, const struct tls_client *cl,
    const char *certs)
{
	BIO *bc, *bs;
	char b;

	p->cctx = memory_tls_client_ctx(cl, certs);
	p->c = SSL_new(p->cctx);
	p->s = SSL_new(server);
	assert_int_equal(BIO_new_bio_pair(&bc, 0, &bs, 0), 1);
	SSL_set_bio(p->c, bc, bc);
	SSL_set_bio(p->s, bs, bs);
	SSL_set_connect_state(p->c);
	SSL_set_accept_state(p->s);
	if (cl->sni)
		SSL_set_tlsext_host_name(p->c, cl->sni);
	if (cl->session)
		SSL_set_session(p->c, cl->session);
	if ((p->ok = memory_tls_drive(p->c, p->s))) {
		assert_int_equal(SSL_write(p->s, "x", 1), 1);
		assert_int_equal(SSL_read(p->c, &b, 1), 1);
		assert_int_equal(SSL_write(p->c, "y", 1), 1);
		assert_int_equal(SSL_read(p->s, &b, 1), 1);
	}
	ERR_clear_error();
	return p->ok;
}

void
tls_pair_close(struct tls_pair *p)
{
	if (p->ok) {
		SSL_shutdown(p->c);
		SSL_shutdown(p->s);
	}
	ERR_clear_error();
	SSL_free(p->c);
	SSL_free(p->s);
	SSL_CTX_free(p->cctx);
	memset(p, 0, sizeof(*p));
}
