/* test_tls_vars.c - mod_ssl's variables of a TLS connection, as a module
 * and an exec'd program will read them: the protocol, cipher, resumption,
 * SNI and ALPN agreed, and the client's certificate: whether it verified,
 * its subject, issuer, serial and end date. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/ssl.h>

#include "certs.h"
#include "memory_tls.h"
#include "tls_vars.h"

static char buf[512];

static const char *
var(const struct tls_pair *p, const char *name)
{
	return tls_var(p->s, name, buf, sizeof(buf));
}

static void
without_a_client_certificate_only_the_connections_variables_are_set(
    void **state)
{
	SSL_CTX *s = tls_pair_server(tls_certs);
	struct tls_pair p;

	(void)state;
	assert_true(tls_pair_open(&p, s,
	    &(struct tls_client){
	        .sni = "a.example", .max_version = TLS1_2_VERSION},
	    tls_certs));
	assert_string_equal(var(&p, "SSL_PROTOCOL"), "TLSv1.2");
	assert_string_equal(var(&p, "SSL_CIPHER"),
	    SSL_CIPHER_get_name(SSL_get_current_cipher(p.c)));
	assert_string_equal(var(&p, "SSL_SESSION_RESUMED"), "Initial");
	assert_string_equal(var(&p, "SSL_TLS_SNI"), "a.example");
	assert_null(var(&p, "SSL_ALPN"));
	assert_string_equal(var(&p, "SSL_CLIENT_VERIFY"), "NONE");
	assert_null(var(&p, "SSL_CLIENT_S_DN"));
	assert_null(var(&p, "SSL_CLIENT_S_DN_CN"));
	assert_null(var(&p, "SSL_CLIENT_M_SERIAL"));
	assert_null(var(&p, "SSL_CLIENT_V_END"));
	assert_null(var(&p, "SSL_NO_SUCH_THING"));
	tls_pair_close(&p);
	SSL_CTX_free(s);
}

static void
an_sni_name_of_other_bytes_than_a_hosts_is_no_value(void **state)
{
	SSL_CTX *s = tls_pair_server(tls_certs);
	struct tls_pair p;

	(void)state;
	assert_true(tls_pair_open(&p, s,
	    &(struct tls_client){.sni = "a.example\n\x1b[31mx"}, tls_certs));
	assert_null(var(&p, "SSL_TLS_SNI"));
	tls_pair_close(&p);
	assert_true(tls_pair_open(
	    &p, s, &(struct tls_client){.sni = "B-2_x.example"}, tls_certs));
	assert_string_equal(var(&p, "SSL_TLS_SNI"), "B-2_x.example");
	tls_pair_close(&p);
	SSL_CTX_free(s);
}

/* The client certificate's serial, as `openssl x509 -serial` says. */
static void
client_serial(char *out, size_t len)
{
	char cmd[400];
	FILE *f;

	snprintf(cmd, sizeof(cmd),
	    "openssl x509 -in %s/client.pem -noout -serial", tls_certs);
	assert_non_null(f = popen(cmd, "r"));
	assert_non_null(fgets(out, (int)len, f));
	pclose(f);
	out[strcspn(out, "\n")] = '\0';
}

static void
a_verified_client_certificate_is_described(void **state)
{
	SSL_CTX *s = tls_pair_server(tls_certs);
	struct tls_pair p;
	char serial[128];

	(void)state;
	client_serial(serial, sizeof(serial));
	assert_true(tls_pair_open(
	    &p, s, &(struct tls_client){.cert = "client"}, tls_certs));
	assert_string_equal(var(&p, "SSL_PROTOCOL"), "TLSv1.3");
	assert_string_equal(var(&p, "SSL_CLIENT_VERIFY"), "SUCCESS");
	assert_string_equal(var(&p, "SSL_CLIENT_S_DN"), "CN=client");
	assert_string_equal(var(&p, "SSL_CLIENT_S_DN_CN"), "client");
	assert_string_equal(var(&p, "SSL_CLIENT_I_DN"), "CN=modserv test CA");
	/* "serial=0A1B..." */
	assert_string_equal(var(&p, "SSL_CLIENT_M_SERIAL"), serial + 7);
	assert_non_null(strstr(var(&p, "SSL_CLIENT_V_END"), " GMT"));
	assert_null(var(&p, "SSL_TLS_SNI"));
	tls_pair_close(&p);
	SSL_CTX_free(s);
}

/* Lets a certificate that does not verify through, so that its failure
 * shows in SSL_CLIENT_VERIFY. */
static int
accept_any_certificate(X509_STORE_CTX *ctx, void *arg)
{
	(void)arg;
	X509_verify_cert(ctx); /* for its result, which the SSL keeps */
	return 1;
}

static void
a_certificate_that_did_not_verify_says_why(void **state)
{
	SSL_CTX *s = tls_pair_server(tls_certs);
	struct tls_pair p;

	(void)state;
	SSL_CTX_set_cert_verify_callback(s, accept_any_certificate, NULL);
	assert_true(tls_pair_open(
	    &p, s, &(struct tls_client){.cert = "foreign"}, tls_certs));
	assert_string_equal(var(&p, "SSL_CLIENT_VERIFY"),
	    "FAILED:unable to get local issuer certificate");
	assert_string_equal(var(&p, "SSL_CLIENT_I_DN"), "CN=another CA");
	tls_pair_close(&p);
	SSL_CTX_free(s);
}

static int
select_x_upper(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	(void)ssl, (void)arg;
	return SSL_select_next_proto((unsigned char **)out, outlen,
	           (const unsigned char *)"\x07x-upper", 8, in,
	           inlen) == OPENSSL_NPN_NEGOTIATED
	           ? SSL_TLSEXT_ERR_OK
	           : SSL_TLSEXT_ERR_ALERT_FATAL;
}

static void
alpn_and_resumption_are_told(void **state)
{
	SSL_CTX *s = tls_pair_server(tls_certs);
	static const unsigned char offer[] = "\x02h2\x07x-upper";
	struct tls_pair p;
	SSL_SESSION *session;

	(void)state;
	SSL_CTX_set_alpn_select_cb(s, select_x_upper, NULL);
	assert_true(tls_pair_open(&p, s,
	    &(struct tls_client){.alpn = offer,
	        .alpn_len = sizeof(offer) - 1,
	        .max_version = TLS1_2_VERSION},
	    tls_certs));
	assert_string_equal(var(&p, "SSL_ALPN"), "x-upper");
	session = SSL_get1_session(p.c);
	tls_pair_close(&p);
	assert_true(tls_pair_open(&p, s,
	    &(struct tls_client){
	        .max_version = TLS1_2_VERSION, .session = session},
	    tls_certs));
	assert_string_equal(var(&p, "SSL_SESSION_RESUMED"), "Resumed");
	tls_pair_close(&p);
	SSL_SESSION_free(session);
	SSL_CTX_free(s);
}

static void
every_variable_is_named_for_an_environment(void **state)
{
	size_t n = 0;

	(void)state;
	while (tls_var_name(n))
		n++;
	assert_int_equal(n, 11);
	assert_string_equal(tls_var_name(0), "SSL_PROTOCOL");
	assert_string_equal(tls_var_name(10), "SSL_CLIENT_V_END");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        without_a_client_certificate_only_the_connections_variables_are_set),
	    cmocka_unit_test(
	        an_sni_name_of_other_bytes_than_a_hosts_is_no_value),
	    cmocka_unit_test(a_verified_client_certificate_is_described),
	    cmocka_unit_test(a_certificate_that_did_not_verify_says_why),
	    cmocka_unit_test(alpn_and_resumption_are_told),
	    cmocka_unit_test(every_variable_is_named_for_an_environment),
	};

	return cmocka_run_group_tests(
	    tests, tls_certs_setup, tls_certs_teardown);
}
