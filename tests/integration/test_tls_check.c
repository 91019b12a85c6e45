/* test_tls_check.c - `modserv -t` on services with tls: it prints each
 * service's TLS settings; a wrong file, a key that is not its
 * certificate's, a CA file that does not parse, a cipher OpenSSL does not
 * have are one line with file:line; a certificate out of its dates is a
 * warning with its dates.  Started, a tls service serves TLS alone, with
 * a key only root reads, and says whether the kernel has TLS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/ssl.h>

#include "certs.h"

#include "harness.h"
#include "process.h"

static char out[1 << 16];

/* Writes a tcp service with a tls group of keys (lines 5 on: "tls = {" is
 * line 5, each key of keys after it on a line of its own). */
static void
conf_tls(const char *transport, const char *keys)
{
	char extra[2048];

	snprintf(extra, sizeof(extra), "tls = {\n%s\n};", keys);
	conf_one(transport, NULL, "thread", "upper", extra);
}

#define PAIR(cert, key) "certificate = \"" cert "\";\nkey = \"" key "\";"

static int
check(void)
{
	return modserv_run(out, sizeof(out), "-t", "-c", srv.conf, NULL);
}

/* Asserts out has "conf:line: " then text. */
static void
names_line(int line, const char *text)
{
	char want[2048];

	snprintf(want, sizeof(want), "%s:%d: %s", srv.conf, line, text);
	if (strstr(out, want) == NULL)
		fail_msg("wanted: %s\nin:     %s", want, out);
}

/* The certificates in a folder the service's configuration names. */
static void
link_certs(void)
{
	char link[400];

	snprintf(link, sizeof(link), "%s/certs", srv.dir);
	assert_int_equal(symlink(tls_certs, link), 0);
}

static void
check_prints_each_services_tls_settings(void **state)
{
	char want[1024];

	(void)state;
	link_certs();
	conf_tls("tcp",
	    PAIR("certs/a.pem",
	        "certs/a.key") "\n"
	                       "client_ca = \"certs/ca.pem\";\n"
	                       "verify_client = \"optional\";\n"
	                       "min_version = \"TLSv1.3\";\n"
	                       "alpn = [ \"x-upper\", \"h2\" ];\n"
	                       "sni = ( { name = \"b.example\"; certificate = "
	                       "\"certs/b.pem\"; key = \"certs/b.key\"; } );");
	assert_int_equal(check(), 0);
	assert_non_null(strstr(out, "s: tcp 127.0.0.1:0, model thread"));
	snprintf(want, sizeof(want),
	    "    tls certificate %s/certs/a.pem, key %s/certs/a.key\n", srv.dir,
	    srv.dir);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "    tls min_version TLSv1.3, "
	                            "verify_client optional (client_ca "));
	assert_non_null(strstr(out, "    tls handshake_timeout 10 s, "
	                            "session_tickets on (keys rotated every "
	                            "3600 s), ktls off\n"));
	assert_non_null(strstr(out, "    tls alpn x-upper, h2\n"));
	assert_non_null(strstr(out, "    tls sni b.example: certificate "));
	assert_non_null(strstr(out, "configuration ok, 1 service"));
	assert_null(strstr(out, "warn"));
}

static void
a_key_that_is_not_its_certificates_is_named_with_its_line(void **state)
{
	char want[1024];

	(void)state;
	link_certs();
	conf_tls("tcp", PAIR("certs/a.pem", "certs/b.key"));
	assert_int_equal(check(), 1);
	snprintf(want, sizeof(want),
	    "services.[0].tls.key: %s/certs/b.key does not match the "
	    "certificate %s/certs/a.pem (line 6)",
	    srv.dir, srv.dir);
	names_line(7, want);
}

static void
a_missing_file_a_bad_ca_and_a_bad_cipher_are_named_with_their_line(void **state)
{
	char want[1024];

	(void)state;
	link_certs();
	conf_tls("tcp", PAIR("certs/nothere.pem", "certs/a.key"));
	assert_int_equal(check(), 1);
	snprintf(want, sizeof(want),
	    "services.[0].tls.certificate: %s/certs/nothere.pem: No such file "
	    "or directory",
	    srv.dir);
	names_line(6, want);

	conf_tls("tcp",
	    PAIR("certs/a.pem", "certs/a.key") "\n"
	                                       "verify_client = \"required\";\n"
	                                       "client_ca = \"certs/a.key\";");
	assert_int_equal(check(), 1);
	snprintf(want, sizeof(want),
	    "services.[0].tls.client_ca: %s/certs/a.key is not a PEM file of "
	    "CA certificates",
	    srv.dir);
	names_line(9, want);

	/* a certificate, but no CA's: it could verify no client */
	conf_tls("tcp", PAIR("certs/a.pem",
	                    "certs/a.key") "\n"
	                                   "verify_client = \"required\";\n"
	                                   "client_ca = \"certs/client.pem\";");
	assert_int_equal(check(), 1);
	snprintf(want, sizeof(want),
	    "services.[0].tls.client_ca: %s/certs/client.pem holds no CA "
	    "certificate",
	    srv.dir);
	names_line(9, want);

	conf_tls("tcp",
	    PAIR("certs/a.pem", "certs/a.key") "\n"
	                                       "ciphers = \"ECDHE-NOPE\";");
	assert_int_equal(check(), 1);
	names_line(8, "services.[0].tls.ciphers: \"ECDHE-NOPE\" names no TLS "
	              "1.2 cipher OpenSSL has");
}

static void
a_certificate_out_of_its_dates_is_a_warning_with_them(void **state)
{
	char want[1024];

	(void)state;
	link_certs();
	conf_tls("tcp", PAIR("certs/expired.pem", "certs/expired.key"));
	assert_int_equal(check(), 0);
	snprintf(want, sizeof(want),
	    "services.[0].tls.certificate: %s/certs/expired.pem has expired: "
	    "valid from Jan  1 00:00:00 2000 GMT until Jan  1 00:00:00 2001 "
	    "GMT",
	    srv.dir);
	names_line(6, want);
	assert_non_null(strstr(out, "warn s: "));

	conf_tls("tcp", PAIR("certs/future.pem", "certs/future.key"));
	assert_int_equal(check(), 0);
	snprintf(want, sizeof(want),
	    "services.[0].tls.certificate: %s/certs/future.pem is not valid "
	    "yet: valid from Jan  1 00:00:00 2090 GMT until Jan  1 00:00:00 "
	    "2091 GMT",
	    srv.dir);
	names_line(6, want);
}

static void
an_sni_certificate_that_does_not_name_its_name_is_a_warning(void **state)
{
	char want[1024];

	(void)state;
	link_certs();
	conf_tls("tcp", PAIR("certs/a.pem",
	                    "certs/a.key") "\n"
	                                   "sni = ( { name = \"c.example\";\n"
	                                   "certificate = \"certs/b.pem\"; key "
	                                   "= \"certs/b.key\"; "
	                                   "} );");
	assert_int_equal(check(), 0);
	snprintf(want, sizeof(want),
	    "services.[0].tls.sni.[0].certificate: %s/certs/b.pem does not "
	    "name c.example",
	    srv.dir);
	names_line(9, want);

	/* a wildcard entry: its certificate must name a host one label
	 * below (b.pem names b.example alone) */
	conf_tls("tcp", PAIR("certs/a.pem",
	                    "certs/a.key") "\n"
	                                   "sni = ( { name = \"*.b.example\";\n"
	                                   "certificate = \"certs/b.pem\"; key "
	                                   "= \"certs/b.key\"; "
	                                   "} );");
	assert_int_equal(check(), 0);
	snprintf(want, sizeof(want),
	    "services.[0].tls.sni.[0].certificate: %s/certs/b.pem does not "
	    "name *.b.example",
	    srv.dir);
	names_line(9, want);
}

/* A tcp service whose key (a.key's copy) only root may read. */
static void
conf_root_only_key(void)
{
	char key[400], cmd[1024];

	snprintf(key, sizeof(key), "%s/root.key", srv.dir);
	snprintf(cmd, sizeof(cmd), "cp %s/a.key %s", tls_certs, key);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(chmod(key, 0600), 0);
	link_certs();
	conf_tls("tcp", PAIR("certs/a.pem", "root.key"));
}

static void
a_key_only_root_reads_is_read_before_the_services_user_is_taken(void **state)
{
	(void)state;
	if (geteuid() != 0 || strcmp(harness_user(), "root") == 0)
		skip();
	conf_root_only_key();
	assert_int_equal(check(), 0);
	assert_non_null(strstr(out, "configuration ok"));
}

static void
tls_on_a_datagram_transport_is_an_error_with_its_line(void **state)
{
	(void)state;
	link_certs();
	conf_tls("udp", PAIR("certs/a.pem", "certs/a.key"));
	assert_int_equal(check(), 1);
	names_line(5, "services.[0].tls: is for stream transports (tcp, "
	              "unix), and this service is udp");
}

/* A TLS client of the service's one listener over transport, trusting
 * the test CA, asking for a.example: "hello" goes, upper's "HELLO" must
 * come back. */
static void
tls_round_trip(const char *transport)
{
	char ca[400], reply[16];
	SSL_CTX *ctx;
	SSL *ssl;
	int fd = client_connect(transport, srv.addr[0]);

	assert_true(fd >= 0);
	snprintf(ca, sizeof(ca), "%s/ca.pem", tls_certs);
	ctx = SSL_CTX_new(TLS_client_method());
	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_load_verify_locations(ctx, ca, NULL), 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, "a.example");
	SSL_set1_host(ssl, "a.example");
	if (SSL_connect(ssl) != 1)
		fail_msg("no handshake: %s", server_log(&srv, 0));
	assert_int_equal(SSL_write(ssl, "hello\n", 6), 6);
	assert_int_equal(SSL_read(ssl, reply, sizeof(reply)), 6);
	assert_memory_equal(reply, "HELLO\n", 6);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
}

static void
a_tls_service_serves_tls_and_never_plaintext(void **state)
{
	char reply[64] = "";
	int fd;

	(void)state;
	link_certs();
	conf_tls("unix", PAIR("certs/a.pem", "certs/a.key"));
	assert_int_equal(server_start(&srv, 1, NULL), 0);
	/* a plaintext client gets no plaintext reply: the bytes are no
	 * ClientHello, and the connection ends */
	fd = client_connect("unix", srv.addr[0]);
	assert_true(fd >= 0);
	assert_int_equal(client_send_all(fd, "hello\n", 6), 0);
	assert_true(read(fd, reply, sizeof(reply)) <= 0);
	close(fd);
	assert_true(server_wait_log(&srv, "TLS handshake failed", 5000));
	tls_round_trip("unix"); /* a TLS client is served */
}

/* The worker never opens the key: the master read it, as root, before
 * the worker became nobody. */
static void
a_key_only_root_reads_serves_as_another_user(void **state)
{
	(void)state;
	if (geteuid() != 0 || strcmp(harness_user(), "root") == 0)
		skip();
	conf_root_only_key();
	assert_int_equal(server_start(&srv, 1, NULL), 0);
	tls_round_trip("tcp");
}

/* ktls = true: the worker says whether this kernel has TLS, either way
 * (this machine's has none, another's may), and serves. */
static void
ktls_says_at_start_whether_the_kernel_has_tls(void **state)
{
	const char *log;

	(void)state;
	link_certs();
	conf_tls("tcp", PAIR("certs/a.pem", "certs/a.key") "\nktls = true;");
	assert_int_equal(server_start(&srv, 1, NULL), 0);
	assert_true(server_wait_log(&srv, "ktls: this kernel has", 5000));
	log = server_log(&srv, 0);
	assert_true(
	    strstr(log, "ktls: this kernel has TLS: ") != NULL ||
	    strstr(log, "ktls: this kernel has no TLS for modserv (") != NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    SRV_TEST(check_prints_each_services_tls_settings),
	    SRV_TEST(a_key_that_is_not_its_certificates_is_named_with_its_line),
	    SRV_TEST(
	        a_missing_file_a_bad_ca_and_a_bad_cipher_are_named_with_their_line),
	    SRV_TEST(a_certificate_out_of_its_dates_is_a_warning_with_them),
	    SRV_TEST(
	        an_sni_certificate_that_does_not_name_its_name_is_a_warning),
	    SRV_TEST(
	        a_key_only_root_reads_is_read_before_the_services_user_is_taken),
	    SRV_TEST(tls_on_a_datagram_transport_is_an_error_with_its_line),
	    SRV_TEST(a_tls_service_serves_tls_and_never_plaintext),
	    SRV_TEST(a_key_only_root_reads_serves_as_another_user),
	    SRV_TEST(ktls_says_at_start_whether_the_kernel_has_tls),
	};

	return cmocka_run_group_tests_name(
	    "tls_check", tests, tls_certs_setup, tls_certs_teardown);
}
