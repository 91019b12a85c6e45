/* tls_ctx.c - OpenSSL 3 server contexts from a service's tls settings:
 * certificate and key, client verification, versions, ciphers, ALPN,
 * SNI, session tickets; renegotiation off. */
#include "tls_ctx.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "tls_text.h"

/* The context of an sni entry, and the name it is chosen by. */
struct tls_sni_ctx {
	const char *name; /* the configuration's */
	SSL_CTX *ctx;
};

struct tls_ctx {
	SSL_CTX *ctx; /* the default certificate's */
	struct tls_sni_ctx *sni;
	size_t nsni;
	unsigned char *alpn; /* the protocols in wire format: length, name */
	unsigned int alpn_len;
	struct tls_ticket_store tickets; /* every context's */
	int tickets_ready;               /* tickets was initialised */
};

/* "file:line: key: " and the rest, in err; -1. */
static int __attribute__((format(printf, 5, 6)))
tls_fail(char *err, size_t errlen, const char *file, const struct conf_text *t,
    const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s:%d: %s: ", file, t->line, t->key);

	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		vsnprintf(err + n, errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A key needs no pass phrase: never ask for one on a terminal. */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return 0;
}

/* Opens t's file to read: NULL with err when it cannot be. */
static FILE *
tls_open(const char *file, const struct conf_text *t, char *err, size_t errlen)
{
	FILE *f = fopen(t->text, "r");

	if (f == NULL)
		tls_fail(
		    err, errlen, file, t, "%s: %s", t->text, strerror(errno));
	return f;
}

/* A certificate out of its dates serves, and says so at start. */
static void
tls_warn_dates(
    const char *file, const struct conf_text *t, X509 *x, const char *service)
{
	const ASN1_TIME *from = X509_get0_notBefore(x);
	const ASN1_TIME *until = X509_get0_notAfter(x);
	char a[64], b[64];
	const char *what = X509_cmp_current_time(until) < 0 ? "has expired"
	                   : X509_cmp_current_time(from) > 0
	                       ? "is not valid yet"
	                       : NULL;

	if (what)
		log_warn(service, "%s:%d: %s: %s %s: valid from %s until %s",
		    file, t->line, t->key, t->text, what,
		    tls_text_time(from, a, sizeof(a)),
		    tls_text_time(until, b, sizeof(b)));
}

/* The certificate chain and its key into ctx. */
static int
tls_load_pair(SSL_CTX *ctx, const char *file, const struct conf_text *cert,
    const struct conf_text *key, const char *service, char *err, size_t errlen)
{
	char why[256];
	EVP_PKEY *pkey;
	FILE *f;
	int rc;

	if ((f = tls_open(file, cert, err, errlen)) == NULL)
		return -1;
	fclose(f);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert->text) != 1)
		return tls_fail(err, errlen, file, cert,
		    "%s is not a PEM certificate chain: %s", cert->text,
		    tls_text_error(why, sizeof(why)));
	tls_warn_dates(file, cert, SSL_CTX_get0_certificate(ctx), service);
	if ((f = tls_open(file, key, err, errlen)) == NULL)
		return -1;
	pkey = PEM_read_PrivateKey(f, NULL, tls_no_passphrase, NULL);
	fclose(f);
	if (pkey == NULL)
		return tls_fail(err, errlen, file, key,
		    "%s is not an unencrypted PEM private key: %s", key->text,
		    tls_text_error(why, sizeof(why)));
	rc = SSL_CTX_use_PrivateKey(ctx, pkey) == 1 &&
	     SSL_CTX_check_private_key(ctx) == 1;
	EVP_PKEY_free(pkey);
	if (!rc) {
		ERR_clear_error();
		return tls_fail(err, errlen, file, key,
		    "%s does not match the certificate %s (line %d)", key->text,
		    cert->text, cert->line);
	}
	return 0;
}

/* Whether the verify store holds a certificate that may sign others. */
static int
tls_holds_a_ca(SSL_CTX *ctx)
{
	STACK_OF(X509_OBJECT) *objs =
	    X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx));

	for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
		X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));

		if (x && X509_check_ca(x) == 1)
			return 1;
	}
	return 0;
}

/* The CAs a client certificate is verified against, and asked by. */
static int
tls_load_client_ca(SSL_CTX *ctx, const char *file, const struct tls_conf *tc,
    char *err, size_t errlen)
{
	const struct conf_text *ca = &tc->client_ca;
	STACK_OF(X509_NAME) * names;
	char why[256];
	FILE *f;

	if (tc->verify_client == TLS_VERIFY_NONE)
		return 0;
	if ((f = tls_open(file, ca, err, errlen)) == NULL)
		return -1;
	fclose(f);
	if (SSL_CTX_load_verify_locations(ctx, ca->text, NULL) != 1 ||
	    (names = SSL_load_client_CA_file(ca->text)) == NULL)
		return tls_fail(err, errlen, file, ca,
		    "%s is not a PEM file of CA certificates: %s", ca->text,
		    tls_text_error(why, sizeof(why)));
	if (!tls_holds_a_ca(ctx)) {
		sk_X509_NAME_pop_free(names, X509_NAME_free);
		return tls_fail(err, errlen, file, ca,
		    "%s holds no CA certificate (none with basicConstraints CA:TRUE)",
		    ca->text);
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	SSL_CTX_set_verify(ctx,
	    SSL_VERIFY_PEER | (tc->verify_client == TLS_VERIFY_REQUIRED
	                              ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT
	                              : 0),
	    NULL);
	return 0;
}

static int
tls_set_ciphers(SSL_CTX *ctx, const char *file, const struct tls_conf *tc,
    char *err, size_t errlen)
{
	char why[256];

	if (tc->ciphers.text &&
	    SSL_CTX_set_cipher_list(ctx, tc->ciphers.text) != 1)
		return tls_fail(err, errlen, file, &tc->ciphers,
		    "\"%s\" names no TLS 1.2 cipher OpenSSL has: %s",
		    tc->ciphers.text, tls_text_error(why, sizeof(why)));
	if (tc->ciphersuites.text &&
	    SSL_CTX_set_ciphersuites(ctx, tc->ciphersuites.text) != 1)
		return tls_fail(err, errlen, file, &tc->ciphersuites,
		    "\"%s\" is not a list of TLS 1.3 ciphersuites OpenSSL has: %s",
		    tc->ciphersuites.text, tls_text_error(why, sizeof(why)));
	return 0;
}

/* The first of our protocols the client offers; none in common is a
 * no_application_protocol alert (RFC 7301, 3.2). */
static int
tls_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	struct tls_ctx *t = arg;
	unsigned char *chosen;

	(void)ssl;
	if (SSL_select_next_proto(&chosen, outlen, t->alpn, t->alpn_len, in,
	        inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = chosen;
	return SSL_TLSEXT_ERR_OK;
}

/* Everything but the certificate, the same in every context. */
static int
tls_ctx_settings(struct tls_ctx *t, SSL_CTX *ctx, const struct tls_conf *tc,
    const char *file, const char *service, char *err, size_t errlen)
{
	/* a resumed session must belong to this service */
	size_t sid = strlen(service) < SSL_MAX_SID_CTX_LENGTH
	                 ? strlen(service)
	                 : SSL_MAX_SID_CTX_LENGTH;
	char why[256];

	SSL_CTX_set_min_proto_version(ctx, tc->min_version);
	/* a client that closes without close_notify has ended its input, as
	 * over plaintext (a module whose protocol needs to tell truncation
	 * frames its messages) */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION |
	                             SSL_OP_CIPHER_SERVER_PREFERENCE |
	                             SSL_OP_IGNORE_UNEXPECTED_EOF |
	                             (tc->ktls ? SSL_OP_ENABLE_KTLS : 0));
	/* a write takes what the socket takes, as write(2); one that must be
	 * tried again may be from an output buffer that moved meanwhile */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS |
	                          SSL_MODE_ENABLE_PARTIAL_WRITE |
	                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* a read takes what the socket has, not a record's header and then
	 * its body: one recv a record or fewer (conn_tls's pending counts
	 * what it read ahead) */
	SSL_CTX_set_read_ahead(ctx, 1);
	/* no process-local cache: it would resume only in the process that
	 * made the session */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_session_id_context(ctx, (const void *)service, sid);
	SSL_CTX_set_default_passwd_cb(ctx, tls_no_passphrase);
	if (tls_set_ciphers(ctx, file, tc, err, errlen) < 0 ||
	    tls_load_client_ca(ctx, file, tc, err, errlen) < 0)
		return -1;
	if (t->alpn)
		SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_select, t);
	if (!tc->session_tickets) {
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(ctx, 0);
		return 0;
	}
	if (tls_ticket_attach(ctx, &t->tickets,
	        tls_ticket_lifetime(tc->session_ticket_rotation), why,
	        sizeof(why)) < 0) {
		snprintf(err, errlen, "%s:%d: tls: %s", file, tc->line, why);
		return -1;
	}
	return 0;
}

/* A context for one certificate and key.  NULL with err. */
static SSL_CTX *
tls_ctx_one(struct tls_ctx *t, const struct tls_conf *tc,
    const struct conf_text *cert, const struct conf_text *key, const char *file,
    const char *service, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char why[256];

	if (ctx == NULL) {
		tls_fail(err, errlen, file, cert, "%s",
		    tls_text_error(why, sizeof(why)));
		return NULL;
	}
	if (tls_ctx_settings(t, ctx, tc, file, service, err, errlen) < 0 ||
	    tls_load_pair(ctx, file, cert, key, service, err, errlen) < 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* Whether name matches an sni entry's: the same host, or "*.rest" for one
 * label and rest. */
static int
tls_name_matches(const char *entry, const char *name, int wildcard)
{
	const char *dot = strchr(name, '.');

	if (!wildcard)
		return strcasecmp(entry, name) == 0;
	return strncmp(entry, "*.", 2) == 0 && dot && dot != name &&
	       strcasecmp(entry + 2, dot + 1) == 0;
}

/* The context for the name a client asks for: exact names first, then
 * wildcards, else the default's. */
static int
tls_servername(SSL *ssl, int *alert, void *arg)
{
	const struct tls_ctx *t = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	for (int wildcard = 0; name && wildcard < 2; wildcard++)
		for (size_t i = 0; i < t->nsni; i++)
			if (tls_name_matches(t->sni[i].name, name, wildcard)) {
				if (SSL_set_SSL_CTX(ssl, t->sni[i].ctx))
					return SSL_TLSEXT_ERR_OK;
				*alert = SSL_AD_INTERNAL_ERROR;
				return SSL_TLSEXT_ERR_ALERT_FATAL;
			}
	return SSL_TLSEXT_ERR_OK;
}

/* An sni entry's certificate that does not name it would be refused by a
 * client that checks it. */
static void
tls_warn_sni_name(const char *file, const struct tls_sni *s, SSL_CTX *ctx,
    const char *service)
{
	char probe[300];
	const char *name = s->name;

	/* "*.domain" is for any one label more: the certificate must name
	 * such a host (by its own wildcard, or that host itself) */
	if (strncmp(name, "*.", 2) == 0) {
		snprintf(probe, sizeof(probe), "modserv-sni-check%s", name + 1);
		name = probe;
	}
	if (X509_check_host(SSL_CTX_get0_certificate(ctx), name, 0, 0, NULL) !=
	    1)
		log_warn(service, "%s:%d: %s: %s does not name %s", file,
		    s->certificate.line, s->certificate.key,
		    s->certificate.text, s->name);
}

/* The protocols in ALPN's wire format: a length byte before each. */
static int
tls_alpn_wire(struct tls_ctx *t, const struct tls_conf *tc)
{
	size_t len = 0, n;

	for (char **p = tc->alpn; p && *p; p++)
		len += 1 + strlen(*p);
	if (len == 0)
		return 0;
	if ((t->alpn = malloc(len)) == NULL)
		return -1;
	for (char **p = tc->alpn; *p; p++) {
		n = strlen(*p); /* 1..255: the configuration checked */
		t->alpn[t->alpn_len++] = (unsigned char)n;
		memcpy(t->alpn + t->alpn_len, *p, n);
		t->alpn_len += (unsigned int)n;
	}
	return 0;
}

static int
tls_ctx_build(struct tls_ctx *t, const struct tls_conf *tc, const char *file,
    const char *service, char *err, size_t errlen)
{
	if (tls_ticket_store_init(&t->tickets) < 0 ||
	    tls_alpn_wire(t, tc) < 0 ||
	    (tc->nsni &&
	        (t->sni = calloc(tc->nsni, sizeof(*t->sni))) == NULL)) {
		snprintf(
		    err, errlen, "%s:%d: tls: out of memory", file, tc->line);
		return -1;
	}
	t->tickets_ready = 1;
	if ((t->ctx = tls_ctx_one(t, tc, &tc->certificate, &tc->key, file,
	         service, err, errlen)) == NULL)
		return -1;
	for (; t->nsni < tc->nsni; t->nsni++) {
		const struct tls_sni *s = &tc->sni[t->nsni];

		t->sni[t->nsni].name = s->name;
		if ((t->sni[t->nsni].ctx = tls_ctx_one(t, tc, &s->certificate,
		         &s->key, file, service, err, errlen)) == NULL)
			return -1;
		tls_warn_sni_name(file, s, t->sni[t->nsni].ctx, service);
	}
	if (t->nsni) {
		SSL_CTX_set_tlsext_servername_callback(t->ctx, tls_servername);
		SSL_CTX_set_tlsext_servername_arg(t->ctx, t);
	}
	return 0;
}

struct tls_ctx *
tls_ctx_new(const struct tls_conf *tc, const char *file, const char *service,
    char *err, size_t errlen)
{
	struct tls_ctx *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		snprintf(
		    err, errlen, "%s:%d: tls: out of memory", file, tc->line);
		return NULL;
	}
	if (tls_ctx_build(t, tc, file, service, err, errlen) < 0) {
		tls_ctx_free(t);
		return NULL;
	}
	return t;
}

void
tls_ctx_free(struct tls_ctx *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nsni; i++)
		SSL_CTX_free(t->sni[i].ctx);
	free(t->sni);
	SSL_CTX_free(t->ctx);
	free(t->alpn);
	if (t->tickets_ready)
		tls_ticket_store_destroy(&t->tickets);
	free(t);
}

SSL_CTX *
tls_ctx_default(const struct tls_ctx *t)
{
	return t->ctx;
}

void
tls_ctx_set_ticket_keys(struct tls_ctx *t, const struct tls_ticket_keys *keys)
{
	tls_ticket_store_set(&t->tickets, keys);
}
