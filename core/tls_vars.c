/* tls_vars.c - mod_ssl's variables (SSL_PROTOCOL, SSL_CLIENT_S_DN, ...)
 * read from a connection, one small function a variable. */
#include "tls_vars.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/x509.h>

#include "tls_text.h"

/* Writes the variable into buf: 0, or -1 when it has no value. */
typedef int tls_var_fn(const SSL *ssl, X509 *peer, char *buf, size_t len);

static int
tls_var_text(const char *text, char *buf, size_t len)
{
	if (text == NULL)
		return -1;
	snprintf(buf, len, "%s", text);
	return 0;
}

static int
tls_var_protocol(const SSL *ssl, X509 *peer, char *buf, size_t len)
{
	(void)peer;
	return tls_var_text(SSL_get_version(ssl), buf, len);
}

static int
tls_var_cipher(const SSL *ssl, X509 *peer, char *buf, size_t len)
{
	(void)peer;
	return tls_var_text(
	    SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)), buf, len);
}

static int
tls_var_resumed(const SSL *ssl, X509 *peer, char *buf, size_t len)
{
	(void)peer;
	return tls_var_text(
	    SSL_session_reused(ssl) ? "Resumed" : "Initial", buf, len);
}

/* The name the client asked for, before anything is verified: only a
 * host name's letters, digits, '-', '.' and '_' reach a module, a
 * program's environment or the log; other bytes (a newline, an escape)
 * make it no value at all. */
static int
tls_var_sni(const SSL *ssl, X509 *peer, char *buf, size_t len)
{
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	(void)peer;
	if (name == NULL ||
	    name[strspn(name, "abcdefghijklmnopqrstuvwxyz"
	                      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._")] !=
	        '\0')
		return -1;
	return tls_var_text(name, buf, len);
}

static int
tls_var_alpn(const SSL *ssl, X509 *peer, char *buf, size_t len)
{
	const unsigned char *proto;
	unsigned n;

	(void)peer;
	SSL_get0_alpn_selected(ssl, &proto, &n);
	if (n == 0)
		return -1;
	snprintf(buf, len, "%.*s", (int)n, proto);
	return 0;
}

/* NONE (no certificate), SUCCESS, or FAILED:reason. */
static int
tls_var_verify(const SSL *ssl, X509 *peer, char *buf, size_t len)
{
	long rc = SSL_get_verify_result(ssl);

	if (peer == NULL)
		snprintf(buf, len, "NONE");
	else if (rc == X509_V_OK)
		snprintf(buf, len, "SUCCESS");
	else
		snprintf(
		    buf, len, "FAILED:%s", X509_verify_cert_error_string(rc));
	return 0;
}

/* A name as RFC 2253 writes it ("CN=client,O=example"), as mod_ssl. */
static int
tls_var_dn(const X509_NAME *name, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n = -1;

	if (b && X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0)
		n = BIO_read(b, buf, (int)len - 1);
	BIO_free(b);
	buf[n > 0 ? n : 0] = '\0';
	return n >= 0 ? 0 : -1;
}

static int
tls_var_subject(const SSL *ssl, X509 *peer, char *buf, size_t len)
{
	(void)ssl;
	return peer ? tls_var_dn(X509_get_subject_name(peer), buf, len) : -1;
}

static int
tls_var_issuer(const SSL *ssl, X509 *peer, char *buf, size_t len)
{
	(void)ssl;
	return peer ? tls_var_dn(X509_get_issuer_name(peer), buf, len) : -1;
}

static int
tls_var_subject_cn(const SSL *ssl, X509 *peer, char *buf, size_t len)
{
	(void)ssl;
	if (peer == NULL || len > INT_MAX ||
	    X509_NAME_get_text_by_NID(
	        X509_get_subject_name(peer), NID_commonName, buf, (int)len) < 0)
		return -1;
	/* a CA signed it, yet no control byte goes on to a program */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return 0;
}

/* The serial number in upper-case hexadecimal, as mod_ssl. */
static int
tls_var_serial(const SSL *ssl, X509 *peer, char *buf, size_t len)
{
	BIGNUM *bn;
	char *hex;

	(void)ssl;
	if (peer == NULL || (bn = ASN1_INTEGER_to_BN(
	                         X509_get0_serialNumber(peer), NULL)) == NULL)
		return -1;
	hex = BN_bn2hex(bn);
	BN_free(bn);
	if (hex == NULL)
		return -1;
	snprintf(buf, len, "%s", hex);
	OPENSSL_free(hex);
	return 0;
}

static int
tls_var_end(const SSL *ssl, X509 *peer, char *buf, size_t len)
{
	(void)ssl;
	if (peer == NULL)
		return -1;
	tls_text_time(X509_get0_notAfter(peer), buf, len);
	return 0;
}

static const struct {
	const char *name;
	tls_var_fn *get;
} tls_vars[] = {
    {"SSL_PROTOCOL", tls_var_protocol},
    {"SSL_CIPHER", tls_var_cipher},
    {"SSL_SESSION_RESUMED", tls_var_resumed},
    {"SSL_TLS_SNI", tls_var_sni},
    {"SSL_ALPN", tls_var_alpn},
    {"SSL_CLIENT_VERIFY", tls_var_verify},
    {"SSL_CLIENT_S_DN", tls_var_subject},
    {"SSL_CLIENT_S_DN_CN", tls_var_subject_cn},
    {"SSL_CLIENT_I_DN", tls_var_issuer},
    {"SSL_CLIENT_M_SERIAL", tls_var_serial},
    {"SSL_CLIENT_V_END", tls_var_end},
};

#define TLS_NVARS (sizeof(tls_vars) / sizeof(tls_vars[0]))

const char *
tls_var_name(size_t i)
{
	return i < TLS_NVARS ? tls_vars[i].name : NULL;
}

const char *
tls_var(const SSL *ssl, const char *name, char *buf, size_t len)
{
	X509 *peer = SSL_get0_peer_certificate(ssl);

	if (len == 0)
		return NULL;
	for (size_t i = 0; i < TLS_NVARS; i++)
		if (strcmp(tls_vars[i].name, name) == 0)
			return tls_vars[i].get(ssl, peer, buf, len) == 0 ? buf
			                                                 : NULL;
	return NULL;
}
