/* test_request_tls.c - what a module and a program are told of a TLS
 * request: ms_tls_var reads each value once and keeps it until the
 * request ends (its connection gone too), NULL on plaintext; the program's
 * environment has the variables with a value, and env cannot fake them. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "certs.h"
#include "memory_tls.h"
#include "request.h"
#include "request_tls.h"

static struct service_conf sc = {.name = "u"};
static struct ms_service svc = {.conf = &sc};

/* A request from 127.0.0.1:5000 on no socket, over ssl (NULL: plaintext). */
static void
request_over(struct ms_request *r, SSL *ssl)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&r->peer;

	memset(r, 0, sizeof(*r));
	r->svc = &svc;
	conn_init(&r->conn, ssl ? &conn_tls : &conn_plain, -1);
	r->conn.priv = ssl;
	in->sin_family = AF_INET;
	in->sin_port = htons(5000);
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->peerlen = sizeof(*in);
}

/* A handshake done, with the client certificate cert (NULL: none). */
static void
pair_open(struct tls_pair *p, SSL_CTX **s, const char *cert)
{
	*s = tls_pair_server(tls_certs);
	assert_true(tls_pair_open(
	    p, *s, &(struct tls_client){.cert = cert}, tls_certs));
}

static void
pair_close(struct tls_pair *p, SSL_CTX *s)
{
	tls_pair_close(p);
	SSL_CTX_free(s);
}

static void
a_value_is_read_once_and_kept_until_the_request_ends(void **state)
{
	struct ms_request r;
	struct tls_pair p;
	const char *proto;
	SSL_CTX *s;

	(void)state;
	pair_open(&p, &s, NULL);
	request_over(&r, p.s);
	proto = ms_tls_var(&r, "SSL_PROTOCOL");
	assert_string_equal(proto, "TLSv1.3");
	assert_ptr_equal(ms_tls_var(&r, "SSL_PROTOCOL"), proto);
	assert_null(ms_tls_var(&r, "SSL_CLIENT_S_DN_CN")); /* no cert */
	assert_null(ms_tls_var(&r, "SSL_NOT_A_VARIABLE"));
	assert_null(ms_tls_var(&r, NULL));
	/* its connection gone (handed to a program): what was read stays */
	r.conn.priv = NULL;
	assert_ptr_equal(ms_tls_var(&r, "SSL_PROTOCOL"), proto);
	assert_null(ms_tls_var(&r, "SSL_CIPHER")); /* never read */
	request_tls_free(&r);
	assert_null(r.tls);
	pair_close(&p, s);
}

/* What the program's environment read stays once the connection went
 * to the program: the access log's line and finish still ask. */
static void
kept_values_outlive_the_connection(void **state)
{
	struct ms_request r;
	struct tls_pair p;
	SSL_CTX *s;
	char cipher[64];

	(void)state;
	pair_open(&p, &s, "client");
	snprintf(cipher, sizeof(cipher), "%s",
	    SSL_CIPHER_get_name(SSL_get_current_cipher(p.c)));
	request_over(&r, p.s);
	free(ms_environ(&r, NULL)); /* as ms_exec does before the hand-off */
	r.conn.priv = NULL;
	pair_close(&p, s);
	assert_string_equal(ms_tls_var(&r, "SSL_CIPHER"), cipher);
	assert_string_equal(ms_tls_var(&r, "SSL_CLIENT_S_DN_CN"), "client");
	assert_string_equal(ms_tls_var(&r, "SSL_CLIENT_S_DN"), "CN=client");
	assert_string_equal(ms_tls_var(&r, "SSL_CLIENT_VERIFY"), "SUCCESS");
	assert_null(ms_tls_var(&r, "SSL_TLS_SNI")); /* none was sent */
	request_tls_free(&r);
}

static void
a_plaintext_request_has_no_tls_variable(void **state)
{
	struct ms_request r;

	(void)state;
	request_over(&r, NULL);
	assert_null(ms_tls_var(&r, "SSL_PROTOCOL"));
	free(ms_environ(&r, NULL));
	assert_null(r.tls);
	assert_null(ms_tls_var(&r, "SSL_CIPHER"));
}

/* 1 if envp has entry. */
static int
has(char **envp, const char *entry)
{
	for (; *envp; envp++)
		if (strcmp(*envp, entry) == 0)
			return 1;
	return 0;
}

/* The value of NAME in envp, or NULL. */
static const char *
value_of(char **envp, const char *name)
{
	size_t n = strlen(name);

	for (; *envp; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

static void
a_programs_environment_has_the_tls_variables_that_have_a_value(void **state)
{
	const char *env[] = {"SSL_CLIENT_S_DN_CN=forged", "A=1", NULL};
	struct ms_request r;
	struct tls_pair p;
	char want[96], **envp;
	SSL_CTX *s;

	(void)state;
	pair_open(&p, &s, "client");
	request_over(&r, p.s);
	envp = ms_environ(&r, env);
	assert_non_null(envp);
	assert_true(has(envp, "SSL_PROTOCOL=TLSv1.3"));
	snprintf(want, sizeof(want), "SSL_CIPHER=%s",
	    SSL_CIPHER_get_name(SSL_get_current_cipher(p.c)));
	assert_true(has(envp, want));
	assert_true(has(envp, "SSL_CLIENT_S_DN_CN=client"));
	assert_true(has(envp, "SSL_CLIENT_VERIFY=SUCCESS"));
	assert_true(has(envp, "SSL_SESSION_RESUMED=Initial"));
	assert_true(has(envp, "A=1"));
	assert_true(has(envp, "PROTO=TCP"));
	assert_null(value_of(envp, "SSL_TLS_SNI")); /* absent: not set */
	assert_null(value_of(envp, "SSL_ALPN"));
	assert_string_equal(value_of(envp, "SSL_CLIENT_S_DN_CN"), "client");
	free(envp);
	request_tls_free(&r);
	pair_close(&p, s);
}

static void
a_plaintext_programs_environment_has_none(void **state)
{
	struct ms_request r;
	char **envp;

	(void)state;
	request_over(&r, NULL);
	envp = ms_environ(&r, NULL);
	assert_non_null(envp);
	for (char **e = envp; *e; e++)
		assert_false(strncmp(*e, "SSL_", 4) == 0);
	free(envp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_value_is_read_once_and_kept_until_the_request_ends),
	    cmocka_unit_test(kept_values_outlive_the_connection),
	    cmocka_unit_test(a_plaintext_request_has_no_tls_variable),
	    cmocka_unit_test(
	        a_programs_environment_has_the_tls_variables_that_have_a_value),
	    cmocka_unit_test(a_plaintext_programs_environment_has_none),
	};

	return cmocka_run_group_tests_name(
	    "request_tls", tests, tls_certs_setup, tls_certs_teardown);
}
