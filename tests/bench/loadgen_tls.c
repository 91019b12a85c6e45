/* loadgen_tls.c - the load generator's TLS client (loadgen_tls.h). */
#include "loadgen_tls.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

static struct {
	SSL_CTX *ctx;
	int resume;
	SSL_SESSION *saved; /* what later connections offer */
	long long handshakes, resumed;
	char agreed[128]; /* the first handshake's version and cipher */
} t;

int
lg_tls_init(const char *cafile, const char *version, int resume)
{
	int v = 0;

	if (version && strcmp(version, "1.2") == 0)
		v = TLS1_2_VERSION;
	else if (version && strcmp(version, "1.3") == 0)
		v = TLS1_3_VERSION;
	else if (version) {
		fprintf(stderr, "loadgen: -V takes 1.2 or 1.3\n");
		return -1;
	}
	t.resume = resume;
	if ((t.ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_load_verify_locations(t.ctx, cafile, NULL) != 1 ||
	    SSL_CTX_set_min_proto_version(t.ctx, v ? v : TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(t.ctx, v) != 1) {
		fprintf(stderr, "loadgen: %s: ", cafile);
		ERR_print_errors_fp(stderr);
		return -1;
	}
	SSL_CTX_set_verify(t.ctx, SSL_VERIFY_PEER, NULL);
	return 0;
}

SSL *
lg_tls_new(int fd)
{
	SSL *ssl = SSL_new(t.ctx);

	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    (t.saved && SSL_set_session(ssl, t.saved) != 1)) {
		SSL_free(ssl);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_connect_state(ssl);
	return ssl;
}

int
lg_tls_result(SSL *ssl, int n)
{
	if (n > 0)
		return n;
	switch (SSL_get_error(ssl, n)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return 0;
	default:
		ERR_clear_error(); /* else the next connection's errors */
		return -1;
	}
}

int
lg_tls_handshake(SSL *ssl)
{
	int n = SSL_do_handshake(ssl);

	if (n != 1)
		return lg_tls_result(ssl, n) < 0 ? -1 : 0;
	t.handshakes++;
	t.resumed += SSL_session_reused(ssl);
	if (t.agreed[0] == '\0')
		snprintf(t.agreed, sizeof(t.agreed), "%s/%s",
		    SSL_get_version(ssl), SSL_get_cipher_name(ssl));
	return 1;
}

void
lg_tls_replied(SSL *ssl)
{
	SSL_SESSION *s;

	if (!t.resume || t.saved)
		return;
	s = SSL_get1_session(ssl);
	if (s && SSL_SESSION_is_resumable(s))
		t.saved = s;
	else
		SSL_SESSION_free(s);
}

void
lg_tls_close(SSL *ssl, int well)
{
	if (ssl == NULL)
		return;
	if (well && SSL_shutdown(ssl) < 0)
		ERR_clear_error();
	SSL_free(ssl);
}

void
lg_tls_print(void)
{
	printf(" handshakes=%lld resumed=%lld tls=%s", t.handshakes, t.resumed,
	    t.agreed[0] ? t.agreed : "none");
}

void
lg_tls_end(void)
{
	SSL_SESSION_free(t.saved);
	SSL_CTX_free(t.ctx);
}
