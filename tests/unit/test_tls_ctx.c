/* test_tls_ctx.c - a service's TLS contexts, in handshakes with OpenSSL
 * clients over memory: its certificate and the one SNI asks for, ALPN,
 * client certificates as verify_client says, versions, renegotiation
 * refused, resumption by the master's ticket keys in any process and
 * across rotations; and each mistake named with file:line. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "certs.h"
#include "memory_tls.h"

#include <openssl/ssl.h>

#include "tls_conf.h"
#include "tls_ctx.h"
#include "tls_tickets.h"

static char err[1024];

/* ---- the service's settings, as the configuration would give them ---- */

static char paths[16][256];
static size_t npaths;

/* t names certs/name, written at line (for the messages). */
static void
text(struct conf_text *t, const char *name, const char *key, int line)
{
	char *p = paths[npaths++ % 16];

	snprintf(p, sizeof(paths[0]), "%s/%s", tls_certs, name);
	t->text = p;
	t->key = (char *)key;
	t->line = line;
}

/* a.example's certificate and key, every other key at its default. */
static struct tls_conf
conf_default(void)
{
	struct tls_conf tc = {.line = 2,
	    .verify_client = TLS_VERIFY_NONE,
	    .min_version = TLS_VERSION_1_2,
	    .handshake_timeout = 10,
	    .session_tickets = 1,
	    .session_ticket_rotation = 3600};

	text(&tc.certificate, "a.pem", "services.[0].tls.certificate", 3);
	text(&tc.key, "a.key", "services.[0].tls.key", 4);
	return tc;
}

static struct tls_ctx *
build(const struct tls_conf *tc)
{
	struct tls_ctx *t = tls_ctx_new(tc, "test.conf", "s", err, sizeof(err));

	if (t == NULL)
		fail_msg("tls_ctx_new: %s", err);
	return t;
}

/* ---- a client ---- */

/* What a connection gave the client. */
struct result {
	char cn[64];   /* the server certificate's common name */
	char alpn[64]; /* the protocol agreed, "" none */
	int resumed;
	int version;
	SSL_SESSION *session; /* for the next connection: SSL_SESSION_free */
};

/* Connects cl to the service: 1 with r filled in, or 0 refused. */
static int
connect_to(
    const struct tls_ctx *t, const struct tls_client *cl, struct result *r)
{
	struct tls_pair p;
	const unsigned char *proto;
	unsigned plen;
	int ok;

	memset(r, 0, sizeof(*r));
	if ((ok = tls_pair_open(&p, tls_ctx_default(t), cl, tls_certs))) {
		X509 *x = SSL_get1_peer_certificate(p.c);

		X509_NAME_get_text_by_NID(X509_get_subject_name(x),
		    NID_commonName, r->cn, sizeof(r->cn));
		X509_free(x);
		SSL_get0_alpn_selected(p.c, &proto, &plen);
		snprintf(r->alpn, sizeof(r->alpn), "%.*s", (int)plen, proto);
		r->resumed = SSL_session_reused(p.c);
		r->version = SSL_version(p.c);
		r->session = SSL_get1_session(p.c);
	}
	tls_pair_close(&p);
	return ok;
}

/* Connects and forgets the session. */
static int
connects(const struct tls_ctx *t, const struct tls_client *cl, struct result *r)
{
	int ok = connect_to(t, cl, r);

	SSL_SESSION_free(r->session);
	r->session = NULL;
	return ok;
}

/* ---- the tests ---- */

static void
it_serves_its_certificate_and_the_one_sni_asks_for(void **state)
{
	struct tls_conf tc = conf_default();
	struct tls_sni sni[2] = {
	    {.name = "b.example"}, {.name = "*.w.example"}};
	struct tls_ctx *t;
	struct result r;

	(void)state;
	text(&sni[0].certificate, "b.pem", "sni.[0].certificate", 5);
	text(&sni[0].key, "b.key", "sni.[0].key", 5);
	sni[1].certificate = sni[0].certificate;
	sni[1].key = sni[0].key;
	tc.sni = sni;
	tc.nsni = 2;
	t = build(&tc);
	assert_true(connects(t, &(struct tls_client){0}, &r));
	assert_string_equal(r.cn, "a.example");
	assert_true(connects(t, &(struct tls_client){.sni = "b.example"}, &r));
	assert_string_equal(r.cn, "b.example");
	assert_true(connects(t, &(struct tls_client){.sni = "B.Example"}, &r));
	assert_string_equal(r.cn, "b.example");
	assert_true(
	    connects(t, &(struct tls_client){.sni = "x.w.example"}, &r));
	assert_string_equal(r.cn, "b.example");
	/* a wildcard is one label, and a name no entry has gets the default */
	assert_true(connects(t, &(struct tls_client){.sni = "w.example"}, &r));
	assert_string_equal(r.cn, "a.example");
	assert_true(
	    connects(t, &(struct tls_client){.sni = "y.x.w.example"}, &r));
	assert_string_equal(r.cn, "a.example");
	tls_ctx_free(t);
}

static void
alpn_agrees_on_the_services_first_protocol_or_refuses(void **state)
{
	struct tls_conf tc = conf_default();
	char *alpn[] = {"x-upper", "h2", NULL};
	static const unsigned char both[] = "\x02h2\x07x-upper";
	static const unsigned char other[] = "\x08http/1.1";
	struct tls_ctx *t;
	struct result r;

	(void)state;
	tc.alpn = alpn;
	t = build(&tc);
	assert_true(connects(t,
	    &(struct tls_client){.alpn = both, .alpn_len = sizeof(both) - 1},
	    &r));
	assert_string_equal(r.alpn, "x-upper");
	assert_false(connects(t,
	    &(struct tls_client){.alpn = other, .alpn_len = sizeof(other) - 1},
	    &r));
	/* a client that offers none is served without */
	assert_true(connects(t, &(struct tls_client){0}, &r));
	assert_string_equal(r.alpn, "");
	tls_ctx_free(t);
}

static void
client_certificates_are_checked_as_verify_client_says(void **state)
{
	struct tls_conf tc = conf_default();
	struct tls_ctx *t;
	struct result r;

	(void)state;
	text(&tc.client_ca, "ca.pem", "services.[0].tls.client_ca", 5);
	tc.verify_client = TLS_VERIFY_REQUIRED;
	t = build(&tc);
	assert_true(connects(t, &(struct tls_client){.cert = "client"}, &r));
	assert_false(connects(t, &(struct tls_client){.cert = "foreign"}, &r));
	assert_false(connects(t, &(struct tls_client){0}, &r));
	tls_ctx_free(t);

	tc.verify_client = TLS_VERIFY_OPTIONAL;
	t = build(&tc);
	assert_true(connects(t, &(struct tls_client){.cert = "client"}, &r));
	assert_false(connects(t, &(struct tls_client){.cert = "foreign"}, &r));
	assert_true(connects(t, &(struct tls_client){0}, &r));
	tls_ctx_free(t);

	/* none asks for no certificate: a foreign one is never looked at */
	tc.verify_client = TLS_VERIFY_NONE;
	t = build(&tc);
	assert_true(connects(t, &(struct tls_client){.cert = "foreign"}, &r));
	tls_ctx_free(t);
}

static void
min_version_refuses_older_clients(void **state)
{
	struct tls_conf tc = conf_default();
	struct tls_ctx *t;
	struct result r;

	(void)state;
	t = build(&tc);
	assert_true(connects(
	    t, &(struct tls_client){.max_version = TLS1_2_VERSION}, &r));
	assert_int_equal(r.version, TLS1_2_VERSION);
	tls_ctx_free(t);
	tc.min_version = TLS_VERSION_1_3;
	t = build(&tc);
	assert_false(connects(
	    t, &(struct tls_client){.max_version = TLS1_2_VERSION}, &r));
	assert_true(connects(t, &(struct tls_client){0}, &r));
	assert_int_equal(r.version, TLS1_3_VERSION);
	tls_ctx_free(t);
}

static void
a_client_cannot_renegotiate(void **state)
{
	struct tls_conf tc = conf_default();
	struct tls_ctx *t = build(&tc);
	struct tls_pair p;
	char b;

	(void)state;
	assert_true(tls_pair_open(&p, tls_ctx_default(t),
	    &(struct tls_client){.max_version = TLS1_2_VERSION}, tls_certs));
	assert_int_equal(SSL_renegotiate(p.c), 1);
	SSL_do_handshake(p.c); /* sends the ClientHello */
	/* the server does not answer it with a ServerHello but refuses */
	assert_int_equal(SSL_read(p.s, &b, 1), -1);
	assert_int_equal(SSL_get_state(p.s), TLS_ST_OK);
	assert_int_equal(SSL_do_handshake(p.c), -1);
	assert_int_equal(SSL_get_error(p.c, -1), SSL_ERROR_SSL);
	assert_int_equal(SSL_renegotiate_pending(p.c), 1);
	p.ok = 0; /* nothing more to say on it */
	tls_pair_close(&p);
	tls_ctx_free(t);
}

/* Reads all the client has been sent so far. */
static void
drain(SSL *c)
{
	static char sink[1 << 16];

	while (SSL_read(c, sink, sizeof(sink)) > 0)
		;
}

static void
a_write_takes_what_the_socket_takes_and_may_be_retried_from_elsewhere(
    void **state)
{
	struct tls_conf tc = conf_default();
	struct tls_ctx *t = build(&tc);
	static char big[1 << 16], moved[1 << 16];
	struct tls_pair p;
	int n, rounds = 0;

	(void)state;
	memset(big, 'x', sizeof(big));
	memset(moved, 'x', sizeof(moved));
	assert_true(tls_pair_open(
	    &p, tls_ctx_default(t), &(struct tls_client){0}, tls_certs));
	/* more than the transport holds: part of it, as write(2) */
	n = SSL_write(p.s, big, sizeof(big));
	assert_true(n > 0 && (size_t)n < sizeof(big));
	/* until the transport is full: then the same bytes again, from a
	 * buffer at another address, once the client read */
	while ((n = SSL_write(p.s, big, sizeof(big))) > 0 && rounds++ < 100)
		;
	assert_int_equal(SSL_get_error(p.s, n), SSL_ERROR_WANT_WRITE);
	for (rounds = 0; n <= 0 && rounds < 100; rounds++) {
		assert_int_equal(SSL_get_error(p.s, n), SSL_ERROR_WANT_WRITE);
		drain(p.c);
		n = SSL_write(p.s, moved, sizeof(moved));
	}
	assert_true(n > 0);
	tls_pair_close(&p);
	tls_ctx_free(t);
}

/* Connects with cl's session (if any): whether it resumed, the new
 * session in *next (freed by the caller). */
static int
resumes(const struct tls_ctx *t, int version, SSL_SESSION *session,
    SSL_SESSION **next)
{
	struct result r;

	assert_true(connect_to(t,
	    &(struct tls_client){.max_version = version, .session = session},
	    &r));
	if (next)
		*next = r.session;
	else
		SSL_SESSION_free(r.session);
	return r.resumed;
}

/* The name of the key session's ticket was made under. */
static const unsigned char *
ticket_key_name(SSL_SESSION *session)
{
	const unsigned char *tick;
	size_t len;

	SSL_SESSION_get0_ticket(session, &tick, &len);
	assert_true(len > TLS_TICKET_NAME_LEN);
	return tick;
}

static void
without_the_masters_keys_no_ticket_is_issued(void **state)
{
	struct tls_conf tc = conf_default();
	struct tls_ctx *t = build(&tc);
	SSL_SESSION *s;

	(void)state;
	for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
		assert_false(resumes(t, v, NULL, &s));
		assert_int_equal(SSL_SESSION_has_ticket(s), 0);
		assert_false(resumes(t, v, s, NULL));
		SSL_SESSION_free(s);
	}
	tls_ctx_free(t);
}

static void
a_ticket_resumes_in_any_process_given_the_same_keys(void **state)
{
	struct tls_conf tc = conf_default();
	struct tls_ctx *one = build(&tc), *two = build(&tc), *stranger;
	struct tls_ticket_keys keys, others;
	SSL_SESSION *s;

	(void)state;
	assert_int_equal(tls_ticket_keys_make(&keys, err, sizeof(err)), 0);
	assert_int_equal(tls_ticket_keys_make(&others, err, sizeof(err)), 0);
	tls_ctx_set_ticket_keys(one, &keys);
	tls_ctx_set_ticket_keys(two, &keys);
	stranger = build(&tc);
	tls_ctx_set_ticket_keys(stranger, &others);
	for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
		assert_false(resumes(one, v, NULL, &s));
		assert_memory_equal(
		    ticket_key_name(s), keys.key[0].name, TLS_TICKET_NAME_LEN);
		assert_true(resumes(two, v, s, NULL));
		assert_true(resumes(one, v, s, NULL));
		assert_false(resumes(stranger, v, s, NULL));
		SSL_SESSION_free(s);
	}
	tls_ctx_free(one);
	tls_ctx_free(two);
	tls_ctx_free(stranger);
}

static void
a_ticket_outlives_rotations_until_its_key_is_dropped(void **state)
{
	struct tls_conf tc = conf_default();
	struct tls_ctx *t = build(&tc);
	struct tls_ticket_keys keys;
	SSL_SESSION *s, *renewed;

	(void)state;
	assert_int_equal(tls_ticket_keys_make(&keys, err, sizeof(err)), 0);
	tls_ctx_set_ticket_keys(t, &keys);
	assert_false(resumes(t, TLS1_2_VERSION, NULL, &s));
	/* one rotation: the old key still decrypts, and the ticket is
	 * renewed under the new one */
	assert_int_equal(tls_ticket_keys_rotate(&keys, err, sizeof(err)), 0);
	tls_ctx_set_ticket_keys(t, &keys);
	assert_true(resumes(t, TLS1_2_VERSION, s, &renewed));
	assert_memory_equal(
	    ticket_key_name(renewed), keys.key[0].name, TLS_TICKET_NAME_LEN);
	SSL_SESSION_free(renewed);
	/* dropped after TLS_TICKET_KEYS - 1 more */
	for (int i = 1; i < TLS_TICKET_KEYS; i++) {
		assert_int_equal(
		    tls_ticket_keys_rotate(&keys, err, sizeof(err)), 0);
		tls_ctx_set_ticket_keys(t, &keys);
	}
	assert_false(resumes(t, TLS1_2_VERSION, s, NULL));
	SSL_SESSION_free(s);
	tls_ctx_free(t);
}

/* A client is told a ticket resumes for as long as its key is kept:
 * (TLS_TICKET_KEYS - 1) rotations of session_ticket_rotation. */
static void
a_tickets_lifetime_hint_follows_the_rotation_period(void **state)
{
	struct tls_conf tc = conf_default();
	struct tls_ticket_keys keys;
	SSL_SESSION *s;

	(void)state;
	assert_int_equal(tls_ticket_keys_make(&keys, err, sizeof(err)), 0);
	for (int period = 1; period <= 1000; period *= 10) {
		struct tls_ctx *t;

		tc.session_ticket_rotation = period;
		t = build(&tc);
		tls_ctx_set_ticket_keys(t, &keys);
		for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
			assert_false(resumes(t, v, NULL, &s));
			assert_int_equal(
			    SSL_SESSION_get_ticket_lifetime_hint(s),
			    (TLS_TICKET_KEYS - 1) * period);
			SSL_SESSION_free(s);
		}
		tls_ctx_free(t);
	}
}

/* A worker thread's connections, each resuming the session before. */
struct resumer {
	const struct tls_ctx *t;
	int failed, resumed;
};

static void *
resume_many(void *arg)
{
	struct resumer *r = arg;
	SSL_SESSION *s = NULL, *next;
	struct result res;

	for (int i = 0; i < 40; i++) {
		if (!connect_to(r->t,
		        &(struct tls_client){
		            .max_version = TLS1_2_VERSION, .session = s},
		        &res)) {
			r->failed++;
			continue;
		}
		next = res.session;
		r->resumed += res.resumed;
		SSL_SESSION_free(s);
		s = next;
	}
	SSL_SESSION_free(s);
	return NULL;
}

static void
keys_rotated_under_load_fail_no_handshake(void **state)
{
	struct tls_conf tc = conf_default();
	struct tls_ctx *t = build(&tc);
	struct tls_ticket_keys keys;
	struct resumer r[2] = {{.t = t}, {.t = t}};
	pthread_t th[2];

	(void)state;
	assert_int_equal(tls_ticket_keys_make(&keys, err, sizeof(err)), 0);
	tls_ctx_set_ticket_keys(t, &keys);
	for (int i = 0; i < 2; i++)
		assert_int_equal(
		    pthread_create(&th[i], NULL, resume_many, &r[i]), 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(
		    tls_ticket_keys_rotate(&keys, err, sizeof(err)), 0);
		tls_ctx_set_ticket_keys(t, &keys);
		sched_yield();
	}
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	assert_int_equal(r[0].failed + r[1].failed, 0);
	assert_true(r[0].resumed + r[1].resumed > 0);
	tls_ctx_free(t);
}

static void
session_tickets_false_issues_none(void **state)
{
	struct tls_conf tc = conf_default();
	struct tls_ctx *t = (tc.session_tickets = 0, build(&tc));
	struct tls_ticket_keys keys;
	SSL_SESSION *s;

	(void)state;
	assert_int_equal(tls_ticket_keys_make(&keys, err, sizeof(err)), 0);
	tls_ctx_set_ticket_keys(t, &keys);
	for (int v = TLS1_2_VERSION; v <= TLS1_3_VERSION; v++) {
		assert_false(resumes(t, v, NULL, &s));
		assert_false(resumes(t, v, s, NULL));
		SSL_SESSION_free(s);
	}
	tls_ctx_free(t);
}

/* Asserts that building tc fails with "test.conf:line: key: " + msg. */
static void
refused(const struct tls_conf *tc, int line, const char *key, const char *msg)
{
	char want[1200];

	assert_null(tls_ctx_new(tc, "test.conf", "s", err, sizeof(err)));
	snprintf(want, sizeof(want), "test.conf:%d: %s: %s", line, key, msg);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("error:  %s\nwanted: %s", err, want);
}

static void
each_mistake_is_named_with_its_line(void **state)
{
	struct tls_conf tc;
	char msg[1024];

	(void)state;
	tc = conf_default();
	text(&tc.key, "b.key", "services.[0].tls.key", 4);
	snprintf(msg, sizeof(msg),
	    "%s/b.key does not match the certificate %s/a.pem (line 3)",
	    tls_certs, tls_certs);
	refused(&tc, 4, "services.[0].tls.key", msg);

	/* the same kind of key (P-256), another one */
	tc = conf_default();
	text(&tc.key, "client.key", "services.[0].tls.key", 4);
	snprintf(msg, sizeof(msg),
	    "%s/client.key does not match the certificate %s/a.pem (line 3)",
	    tls_certs, tls_certs);
	refused(&tc, 4, "services.[0].tls.key", msg);

	/* no pass phrase is ever asked for */
	tc = conf_default();
	text(&tc.key, "locked.key", "services.[0].tls.key", 4);
	snprintf(msg, sizeof(msg),
	    "%s/locked.key is not an unencrypted PEM private key", tls_certs);
	refused(&tc, 4, "services.[0].tls.key", msg);

	tc = conf_default();
	text(&tc.certificate, "none.pem", "services.[0].tls.certificate", 3);
	snprintf(msg, sizeof(msg), "%s/none.pem: No such file or directory",
	    tls_certs);
	refused(&tc, 3, "services.[0].tls.certificate", msg);

	tc = conf_default();
	text(&tc.certificate, "a.key", "services.[0].tls.certificate", 3);
	snprintf(msg, sizeof(msg), "%s/a.key is not a PEM certificate chain",
	    tls_certs);
	refused(&tc, 3, "services.[0].tls.certificate", msg);

	tc = conf_default();
	text(&tc.key, "a.pem", "services.[0].tls.key", 4);
	snprintf(msg, sizeof(msg),
	    "%s/a.pem is not an unencrypted PEM private key", tls_certs);
	refused(&tc, 4, "services.[0].tls.key", msg);

	tc = conf_default();
	tc.verify_client = TLS_VERIFY_REQUIRED;
	text(&tc.client_ca, "a.key", "services.[0].tls.client_ca", 6);
	snprintf(msg, sizeof(msg),
	    "%s/a.key is not a PEM file of CA certificates", tls_certs);
	refused(&tc, 6, "services.[0].tls.client_ca", msg);

	tc = conf_default();
	tc.ciphers = (struct conf_text){"NO-SUCH-CIPHER", "tls.ciphers", 1};
	refused(&tc, 1, "tls.ciphers",
	    "\"NO-SUCH-CIPHER\" names no TLS 1.2 cipher OpenSSL has");

	tc = conf_default();
	tc.ciphersuites =
	    (struct conf_text){"TLS_NOPE", "services.[0].tls.ciphersuites", 7};
	refused(&tc, 7, "services.[0].tls.ciphersuites",
	    "\"TLS_NOPE\" is not a list of TLS 1.3 ciphersuites");

	/* an sni entry's pair is checked as the default's */
	tc = conf_default();
	tc.sni = &(struct tls_sni){.name = "b.example"};
	tc.nsni = 1;
	text(&tc.sni[0].certificate, "b.pem", "sni.[0].certificate", 8);
	text(&tc.sni[0].key, "a.key", "sni.[0].key", 9);
	snprintf(msg, sizeof(msg),
	    "%s/a.key does not match the certificate %s/b.pem (line 8)",
	    tls_certs, tls_certs);
	refused(&tc, 9, "sni.[0].key", msg);
}

static void
the_store_keeps_the_newest_keys_it_was_given(void **state)
{
	struct tls_ticket_store st;
	struct tls_ticket_keys k, old;

	(void)state;
	assert_int_equal(tls_ticket_store_init(&st), 0);
	assert_int_equal(tls_ticket_keys_make(&k, err, sizeof(err)), 0);
	assert_int_equal(k.n, 1);
	assert_int_equal(k.generation, 0);
	old = k;
	for (int i = 0; i < TLS_TICKET_KEYS + 1; i++)
		assert_int_equal(
		    tls_ticket_keys_rotate(&k, err, sizeof(err)), 0);
	assert_int_equal(k.n, TLS_TICKET_KEYS);
	assert_int_equal(k.generation, TLS_TICKET_KEYS + 1);
	assert_memory_not_equal(
	    k.key[0].name, k.key[1].name, TLS_TICKET_NAME_LEN);
	tls_ticket_store_set(&st, &k);
	tls_ticket_store_set(&st, &old); /* late, from before: ignored */
	assert_memory_equal(&st.keys, &k, sizeof(k));
	assert_int_equal(st.have, 1);
	tls_ticket_keys_wipe(&old);
	tls_ticket_store_destroy(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        it_serves_its_certificate_and_the_one_sni_asks_for),
	    cmocka_unit_test(
	        alpn_agrees_on_the_services_first_protocol_or_refuses),
	    cmocka_unit_test(
	        client_certificates_are_checked_as_verify_client_says),
	    cmocka_unit_test(min_version_refuses_older_clients),
	    cmocka_unit_test(a_client_cannot_renegotiate),
	    cmocka_unit_test(
	        a_write_takes_what_the_socket_takes_and_may_be_retried_from_elsewhere),
	    cmocka_unit_test(without_the_masters_keys_no_ticket_is_issued),
	    cmocka_unit_test(
	        a_ticket_resumes_in_any_process_given_the_same_keys),
	    cmocka_unit_test(
	        a_ticket_outlives_rotations_until_its_key_is_dropped),
	    cmocka_unit_test(keys_rotated_under_load_fail_no_handshake),
	    cmocka_unit_test(session_tickets_false_issues_none),
	    cmocka_unit_test(
	        a_tickets_lifetime_hint_follows_the_rotation_period),
	    cmocka_unit_test(each_mistake_is_named_with_its_line),
	    cmocka_unit_test(the_store_keeps_the_newest_keys_it_was_given),
	};

	return cmocka_run_group_tests(
	    tests, tls_certs_setup, tls_certs_teardown);
}
