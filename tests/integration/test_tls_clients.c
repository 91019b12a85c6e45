/* test_tls_clients.c - a TLS service as real clients see it: openssl
 * s_client (protocol, cipher, ALPN, SNI, resumption, renegotiation),
 * client certificates from Python's ssl (none / optional / required with a
 * good, a foreign and no certificate), and HAProxy as the TLS client of
 * two instances with send-proxy-v2. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "certs.h"
#include "clients.h"

#include "haproxy.h"
#include "harness.h"

static char out[1 << 16];

/* ident answers a line with who asked, then closes: what s_client
 * -ign_eof needs to end.  Under select and thread. */
static int
setup(void **state)
{
	if (tls_certs_setup(state) < 0 || server_prepare(&srv) < 0 ||
	    server_write_conf(&srv,
	        "module_path = [ \"@MODULES@\" ];\n"
	        "shutdown_timeout = 5;\n"
	        "status_socket = \"@DIR@/status.sock\";\n"
	        "tls = { certificate = \"%s/a.pem\"; key = \"%s/a.key\"; };\n"
	        "services = (\n"
	        " { name = \"ident\"; transport = \"tcp\"; listen = "
	        "\"127.0.0.1:0\";\n"
	        "   model = \"select\"; module = \"ident\";\n"
	        "   tls = { alpn = [ \"x-upper\", \"x-other\" ];\n"
	        "     sni = ( { name = \"b.example\"; certificate = \"%s/b.pem\";"
	        " key = \"%s/b.key\"; },\n"
	        "             { name = \"*.wild.example\"; certificate = "
	        "\"%s/b.pem\"; key = \"%s/b.key\"; } ); }; },\n"
	        " { name = \"chacha\"; transport = \"tcp\"; listen = "
	        "\"127.0.0.1:0\";\n"
	        "   model = \"select\"; module = \"ident\";\n"
	        "   tls = { ciphers = \"ECDHE-ECDSA-CHACHA20-POLY1305\";\n"
	        "           ciphersuites = \"TLS_CHACHA20_POLY1305_SHA256\"; "
	        "}; },\n"
	        " { name = \"two\"; transport = \"tcp\"; listen = "
	        "\"127.0.0.1:0\";\n"
	        "   model = \"select\"; module = \"ident\"; workers = 2; tls = "
	        "{ }; },\n"
	        " { name = \"none\"; transport = \"tcp\"; listen = "
	        "\"127.0.0.1:0\";\n"
	        "   model = \"thread\"; module = \"ident\"; tls = { }; },\n"
	        " { name = \"optional\"; transport = \"tcp\"; listen = "
	        "\"127.0.0.1:0\";\n"
	        "   model = \"thread\"; module = \"ident\";\n"
	        "   tls = { verify_client = \"optional\";\n"
	        "           client_ca = \"%s/ca.pem\"; }; },\n"
	        " { name = \"required\"; transport = \"unix\"; listen = "
	        "\"@DIR@/required.sock\";\n"
	        "   model = \"fork\"; module = \"ident\";\n"
	        "   tls = { verify_client = \"required\";\n"
	        "           client_ca = \"%s/ca.pem\"; }; } );\n",
	        tls_certs, tls_certs, tls_certs, tls_certs, tls_certs,
	        tls_certs, tls_certs, tls_certs) < 0)
		return -1;
	return server_start(&srv, 6, NULL);
}

/* openssl s_client to service, trusting the test CA, asking for name,
 * with more options; "hi" sent, the output in out.  Its exit status. */
static int
s_client(const char *service, const char *name, const char *options)
{
	return tls_run(out, sizeof(out), srv.dir, "hi\n",
	    "timeout 20 openssl s_client -connect %s -CAfile '%s/ca.pem' "
	    "-verify_return_error -servername %s -ign_eof %s",
	    tls_srv_addr(service), tls_certs, name, options);
}

static void
has(const char *text)
{
	if (strstr(out, text) == NULL)
		fail_msg("no \"%s\" in:\n%s", text, out);
}

static void
has_not(const char *text)
{
	if (strstr(out, text) != NULL)
		fail_msg("\"%s\" in:\n%s", text, out);
}

/* ident's answer to "hi": who served it, then the line */
static void
served(void)
{
	has(": hi\n");
}

static void
tls_1_2_and_1_3_are_served_and_1_1_refused(void **state)
{
	(void)state;
	assert_int_equal(s_client("ident", "a.example", "-tls1_2"), 0);
	has("New, TLSv1.2, Cipher is ");
	served();
	assert_int_equal(s_client("ident", "a.example", "-tls1_3"), 0);
	has("New, TLSv1.3, Cipher is ");
	served();
	/* a client that would take TLS 1.1 if the server offered it */
	assert_int_not_equal(s_client("ident", "a.example",
	                         "-tls1_1 -cipher DEFAULT@SECLEVEL=0"),
	    0);
	has_not(": hi\n");
	assert_true(server_wait_log(&srv, "unsupported protocol", 3000));
}

static void
the_configured_ciphers_are_the_ones_agreed(void **state)
{
	(void)state;
	assert_int_equal(s_client("chacha", "a.example", "-tls1_2"), 0);
	has("Cipher is ECDHE-ECDSA-CHACHA20-POLY1305");
	served();
	assert_int_equal(s_client("chacha", "a.example", "-tls1_3"), 0);
	has("Cipher is TLS_CHACHA20_POLY1305_SHA256");
	served();
	assert_int_not_equal(
	    s_client("chacha", "a.example",
	        "-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256"),
	    0);
	has_not(": hi\n");
}

static void
alpn_agrees_refuses_a_stranger_and_serves_a_client_without(void **state)
{
	(void)state;
	assert_int_equal(
	    s_client("ident", "a.example", "-alpn x-other,x-upper"), 0);
	has("ALPN protocol: x-upper");
	served();
	assert_int_not_equal(s_client("ident", "a.example", "-alpn h2"), 0);
	has("no application protocol");
	has_not(": hi\n");
	assert_int_equal(s_client("ident", "a.example", ""), 0);
	has("No ALPN negotiated");
	served();
}

/* The certificate's subject a name gets, as s_client prints it. */
static void
sni_gets(const char *name, const char *subject)
{
	assert_int_equal(s_client("ident", name, ""), 0);
	has(subject);
	served();
}

static void
sni_picks_the_certificate_by_name(void **state)
{
	(void)state;
	sni_gets("b.example", "subject=CN = b.example");
	sni_gets("B.Example", "subject=CN = b.example");
	sni_gets("x.wild.example", "subject=CN = b.example");
	sni_gets("y.x.wild.example", "subject=CN = a.example");
	sni_gets("wild.example", "subject=CN = a.example");
	sni_gets("unknown.example", "subject=CN = a.example");
}

/* A full handshake saving its session, then one resuming it. */
static void
resumes(const char *service, const char *version)
{
	char opts[600];

	snprintf(
	    opts, sizeof(opts), "%s -sess_out '%s/session'", version, srv.dir);
	assert_int_equal(s_client(service, "a.example", opts), 0);
	has("New, TLSv1.");
	snprintf(
	    opts, sizeof(opts), "%s -sess_in '%s/session'", version, srv.dir);
	assert_int_equal(s_client(service, "a.example", opts), 0);
	has("Reused, TLSv1.");
	served();
}

static void
a_session_resumes_in_its_worker_and_in_another(void **state)
{
	char opts[600];
	long long before = server_metric(&srv, "tls_resumed_total", "ident");
	const char *p;
	int first, rc;

	(void)state;
	resumes("ident", "-tls1_3");
	resumes("ident", "-tls1_2");
	assert_int_equal(
	    server_metric(&srv, "tls_resumed_total", "ident"), before + 2);
	/* two workers: a ticket one issued resumes in the other.  The
	 * issuer is stopped meanwhile, so that the other accepts (an idle
	 * service's connections may all go to one worker) */
	snprintf(opts, sizeof(opts), "-sess_out '%s/two'", srv.dir);
	assert_int_equal(s_client("two", "a.example", opts), 0);
	assert_non_null(p = strstr(out, "Loop-"));
	first = atoi(p + 5);
	assert_int_equal(kill(first, SIGSTOP), 0);
	snprintf(opts, sizeof(opts), "-sess_in '%s/two'", srv.dir);
	rc = s_client("two", "a.example", opts);
	kill(first, SIGCONT);
	assert_int_equal(rc, 0);
	has("Reused, TLSv1.3");
	served();
	assert_non_null(p = strstr(out, "Loop-"));
	assert_int_not_equal(atoi(p + 5), first);
}

static void
renegotiation_is_refused(void **state)
{
	(void)state;
	/* "R" asks s_client to renegotiate; without -ign_eof it reads
	 * commands, and quits at the end of its input */
	tls_run(out, sizeof(out), srv.dir, NULL,
	    "(printf 'R\\n'; sleep 2) | timeout 20 openssl s_client -connect "
	    "%s -CAfile '%s/ca.pem' -servername a.example -tls1_2",
	    tls_srv_addr("ident"), tls_certs);
	has("RENEGOTIATING");
	has("no renegotiation");
	/* and the service goes on */
	assert_int_equal(s_client("ident", "a.example", "-tls1_2"), 0);
	served();
}

/* A client certificate: "client" (from the trusted CA), "foreign" (from
 * another), NULL (none); 0 when the line came back, 1 when refused. */
static int
with_cert(const char *service, const char *cert)
{
	char opts[600] = "";
	int rc;

	if (cert)
		snprintf(opts, sizeof(opts),
		    "--cert '%s/%s.pem' --key '%s/%s.key'", tls_certs, cert,
		    tls_certs, cert);
	rc = tls_run(out, sizeof(out), srv.dir, NULL, "%s %s line '%s' hi",
	    tls_client_py(), opts, tls_srv_addr(service));
	if (rc == 0)
		has(": hi");
	else
		has("error: ");
	return rc;
}

static void
client_certificates_none_optional_required(void **state)
{
	static const struct {
		const char *service;
		int good, foreign, missing; /* 0: served, 1: refused */
	} cases[] = {
	    {"none", 0, 0, 0},
	    {"optional", 0, 1, 0},
	    {"required", 0, 1, 1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		if (with_cert(cases[i].service, "client") != cases[i].good)
			fail_msg("%s, a good certificate:\n%s",
			    cases[i].service, out);
		if (with_cert(cases[i].service, "foreign") != cases[i].foreign)
			fail_msg("%s, a foreign certificate:\n%s",
			    cases[i].service, out);
		if (with_cert(cases[i].service, NULL) != cases[i].missing)
			fail_msg(
			    "%s, no certificate:\n%s", cases[i].service, out);
	}
	assert_true(server_wait_log(&srv, "certificate verify failed", 3000));
}

/* ---- HAProxy as the TLS client of two instances ---- */

static struct server a, b;
static struct haproxy ha;

static void
start_instance(struct server *s)
{
	assert_int_equal(server_prepare(s), 0);
	assert_int_equal(
	    server_write_conf(s,
	        "module_path = [ \"@MODULES@\" ];\n"
	        "access_log = \"@DIR@/access.log\";\n"
	        "services = ( { name = \"ident\"; transport = \"tcp\";\n"
	        "  listen = \"127.0.0.1:0\"; model = \"select\"; module = "
	        "\"ident\";\n"
	        "  proxy_protocol = true; options = { show_peer = true; };\n"
	        "  tls = { certificate = \"%s/a.pem\"; key = \"%s/a.key\"; }; "
	        "} );\n",
	        tls_certs, tls_certs),
	    0);
	assert_int_equal(server_start(s, 1, NULL), 0);
}

static const char haproxy_conf[] =
    "defaults\n"
    "  mode tcp\n"
    "  timeout connect 2s\n"
    "  timeout client 10s\n"
    "  timeout server 10s\n"
    "frontend front\n"
    "  bind 127.0.0.1:%d\n"
    "  default_backend modserv\n"
    "backend modserv\n"
    "  balance roundrobin\n"
    "  default-server ssl verify required ca-file %s/ca.pem sni "
    "str(a.example) verifyhost a.example send-proxy-v2\n"
    "  server a %s\n"
    "  server b %s\n";

/* "hello" from 127.0.0.5 through HAProxy: ident's answer in reply. */
static void
through_haproxy(int front, char *reply, size_t size)
{
	struct sockaddr_in src;
	socklen_t len = sizeof(src);
	char to[32], want[64];
	size_t got = 0;
	ssize_t n;
	int fd;

	snprintf(to, sizeof(to), "127.0.0.1:%d", front);
	assert_true((fd = client_connect_from("127.0.0.5", to)) >= 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&src, &len), 0);
	assert_int_equal(client_send_all(fd, "hello\n", 6), 0);
	while (got < size - 1 &&
	       (n = recv(fd, reply + got, size - 1 - got, 0)) > 0)
		got += (size_t)n;
	reply[got] = '\0';
	close(fd);
	snprintf(want, sizeof(want), "127.0.0.5:%d Loop-", ntohs(src.sin_port));
	if (strncmp(reply, want, strlen(want)) != 0 ||
	    !strstr(reply, ": hello\n"))
		fail_msg("wanted %s...: hello, got: %s\nHAProxy's log:\n%s\n"
		         "a's:\n%s\nb's:\n%s",
		    want, reply, haproxy_log(&ha), server_log(&a, 0),
		    server_log(&b, 0));
}

/* What a file holds (its first size - 1 bytes). */
static const char *
file_text(const char *dir, const char *name)
{
	char path[400];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) != NULL) {
		n = fread(out, 1, sizeof(out) - 1, f);
		fclose(f);
	}
	out[n] = '\0';
	return out;
}

static void
haproxy_verifies_the_instances_and_they_see_its_clients(void **state)
{
	char conf[2048], reply[256];
	int front = free_port(), pid_a = 0, pid_b = 0;

	(void)state;
	haproxy_needed();
	start_instance(&a);
	start_instance(&b);
	snprintf(conf, sizeof(conf), haproxy_conf, front, tls_certs, a.addr[0],
	    b.addr[0]);
	haproxy_start(&ha, conf, front);
	for (int i = 0; i < 8; i++) {
		through_haproxy(front, reply, sizeof(reply));
		/* roundrobin: the two instances take turns */
		if (pid_a == 0)
			pid_a = atoi(strstr(reply, "Loop-") + 5);
		else if (atoi(strstr(reply, "Loop-") + 5) != pid_a)
			pid_b = atoi(strstr(reply, "Loop-") + 5);
	}
	assert_true(pid_a > 0 && pid_b > 0);
	haproxy_stop(&ha);
	assert_int_equal(server_stop(&a), 0);
	assert_int_equal(server_stop(&b), 0);
	/* each instance logged HAProxy's client, not HAProxy (the lines are
	 * written in batches: all of them by the stop) */
	if (!strstr(file_text(a.dir, "access.log"), " tcp 127.0.0.5:") ||
	    !strstr(file_text(b.dir, "access.log"), " tcp 127.0.0.5:"))
		fail_msg("an access log without HAProxy's client:\n%s", out);
	server_cleanup(&a);
	server_cleanup(&b);
}

static int
haproxy_teardown(void **state)
{
	(void)state;
	haproxy_stop(&ha);
	server_cleanup(&a);
	server_cleanup(&b);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(tls_1_2_and_1_3_are_served_and_1_1_refused),
	    cmocka_unit_test(the_configured_ciphers_are_the_ones_agreed),
	    cmocka_unit_test(
	        alpn_agrees_refuses_a_stranger_and_serves_a_client_without),
	    cmocka_unit_test(sni_picks_the_certificate_by_name),
	    cmocka_unit_test(a_session_resumes_in_its_worker_and_in_another),
	    cmocka_unit_test(renegotiation_is_refused),
	    cmocka_unit_test(client_certificates_none_optional_required),
	    cmocka_unit_test_teardown(
	        haproxy_verifies_the_instances_and_they_see_its_clients,
	        haproxy_teardown),
	};

	return cmocka_run_group_tests_name(
	    "tls_clients", tests, setup, tls_srv_teardown);
}
