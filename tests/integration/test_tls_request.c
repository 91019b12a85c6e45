/* test_tls_request.c - what a TLS request shows its module, its program
 * and the access log, under one model:  test_tls_request MODEL.  exec
 * over TLS (cat: bytes both ways, 1 MiB back and forth, the client's end
 * of input reaching the program, the program's end closing the connection
 * with a close_notify; an idle program ended), the program's SSL_*
 * environment with a client certificate, ms_tls_var in a module (and NULL
 * over plaintext), ident's CN, the access log's $tls_ variables in text
 * and JSON.  The clients are OpenSSL's and Python's ssl, trusting
 * make_certs.sh's CA. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "certs.h"
#include "harness.h"

static const char *model;
static char path[512], text[1 << 16];

/* A client's TLS connection. */
struct tls_conn {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
};

/* Starts module over transport with a tls group of a.example's
 * certificate and tls_keys in it, then more service keys; plaintext when
 * tls_keys is NULL. */
static void
serve_on(const char *transport, const char *module, const char *tls_keys,
    const char *keys)
{
	char all[2048] = "";

	snprintf(path, sizeof(path), "%s/access.log", srv.dir);
	if (tls_keys)
		snprintf(all, sizeof(all),
		    "tls = { certificate = \"%s/a.pem\"; key = \"%s/a.key\"; "
		    "%s };\n",
		    tls_certs, tls_certs, tls_keys);
	snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s",
	    keys ? keys : "");
	if (server_start_one(&srv, transport, NULL, model, module, all) < 0)
		fail_msg("modserv did not start: %s", srv.log);
}

static void
serve(const char *module, const char *tls_keys, const char *keys)
{
	serve_on("tcp", module, tls_keys, keys);
}

/* Client certificates asked for, from make_certs.sh's CA. */
static char *
client_ca(const char *verify)
{
	static char keys[512];

	snprintf(keys, sizeof(keys),
	    "client_ca = \"%s/ca.pem\"; verify_client = \"%s\";", tls_certs,
	    verify);
	return keys;
}

/* Connects to the service over TLS with the client certificate cert (its
 * NAME.pem and NAME.key; NULL: none), asking for sni (NULL: no name). */
static void
tls_dial(struct tls_conn *t, const char *cert, const char *sni)
{
	char file[400], key[400];

	t->ctx = SSL_CTX_new(TLS_client_method());
	snprintf(file, sizeof(file), "%s/ca.pem", tls_certs);
	assert_int_equal(SSL_CTX_load_verify_locations(t->ctx, file, NULL), 1);
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	if (cert) {
		snprintf(file, sizeof(file), "%s/%s.pem", tls_certs, cert);
		snprintf(key, sizeof(key), "%s/%s.key", tls_certs, cert);
		assert_int_equal(SSL_CTX_use_certificate_file(
		                     t->ctx, file, SSL_FILETYPE_PEM),
		    1);
		assert_int_equal(
		    SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM),
		    1);
	}
	t->fd = client_connect(srv.transport[0], srv.addr[0]);
	assert_true(t->fd >= 0);
	t->ssl = SSL_new(t->ctx);
	SSL_set_fd(t->ssl, t->fd);
	if (sni)
		SSL_set_tlsext_host_name(t->ssl, sni);
	if (SSL_connect(t->ssl) != 1)
		fail_msg(
		    "handshake: %s", ERR_error_string(ERR_get_error(), NULL));
}

static void
tls_close(struct tls_conn *t)
{
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	close(t->fd);
}

static void
tls_send(struct tls_conn *t, const void *p, size_t n)
{
	assert_int_equal(SSL_write(t->ssl, p, (int)n), (int)n);
}

/* Reads exactly n bytes. */
static void
tls_recv(struct tls_conn *t, void *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		int k = SSL_read(t->ssl, (char *)p + got, (int)(n - got));

		if (k <= 0)
			fail_msg("read %zu of %zu bytes, then error %d", got, n,
			    SSL_get_error(t->ssl, k));
		got += (size_t)k;
	}
}

/* Reads what comes until the end, which must be the server's close_notify
 * (not a bare close); what came, in buf. */
static size_t
tls_recv_to_close_notify(struct tls_conn *t, char *buf, size_t size)
{
	size_t got = 0;
	int k = 0;

	while (got < size - 1 &&
	       (k = SSL_read(t->ssl, buf + got, (int)(size - 1 - got))) > 0)
		got += (size_t)k;
	buf[got] = '\0';
	assert_true(got < size - 1);
	assert_int_equal(SSL_get_error(t->ssl, k), SSL_ERROR_ZERO_RETURN);
	return got;
}

/* The processes named modserv-relay below the server; the last one found
 * in *last (may be NULL). */
static int
relays_seen(pid_t *last)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char file[300], line[512], *rp;
		pid_t pid = atoi(e->d_name), self = pid;
		FILE *f;

		/* a relay's parent is a worker or a fork model's request
		 * process, the worker's child */
		for (int depth = 0; pid > 1 && depth < 4; depth++) {
			snprintf(file, sizeof(file), "/proc/%d/stat", (int)pid);
			if ((f = fopen(file, "r")) == NULL)
				break;
			line[fread(line, 1, sizeof(line) - 1, f)] = '\0';
			fclose(f);
			if ((rp = strrchr(line, ')')) == NULL)
				break;
			if (depth == 0 &&
			    strstr(line, "(modserv-relay)") == NULL)
				break;
			pid = atoi(rp + 4); /* ") S PPID" */
			if (pid == srv.pid) {
				n++;
				if (last)
					*last = self;
				break;
			}
		}
	}
	closedir(d);
	return n;
}

static int
relays(void)
{
	return relays_seen(NULL);
}

/* Waits up to ms for process pid to be gone (or a zombie); 1 if it was. */
static int
gone_within(pid_t pid, int ms)
{
	long long end = now_ms() + ms;
	char file[64], line[512], *rp;

	snprintf(file, sizeof(file), "/proc/%d/stat", (int)pid);
	for (;;) {
		FILE *f = fopen(file, "r");

		if (f == NULL)
			return 1;
		line[fread(line, 1, sizeof(line) - 1, f)] = '\0';
		fclose(f);
		if ((rp = strrchr(line, ')')) != NULL && rp[2] == 'Z')
			return 1;
		if (now_ms() >= end)
			return 0;
		usleep(20000);
	}
}

/* Waits up to ms for there to be want relays; 1 if there were. */
static int
relays_become(int want, int ms)
{
	long long end = now_ms() + ms;

	while (relays() != want)
		if (now_ms() >= end)
			return 0;
		else
			usleep(20000);
	return 1;
}

static void
stop_cleanly(void)
{
	assert_int_equal(server_stop(&srv), 0);
	assert_null(strstr(srv.log, "killed by signal"));
}

/* ---- exec over TLS ---- */

static void
exec_of_cat_over_tls_relays_both_ways_until_the_end(void **state)
{
	static char out[16384], back[16384];
	struct tls_conn t;
	char end[64];

	(void)state;
	serve("exec", "", "options = { argv = [ \"cat\" ]; };");
	tls_dial(&t, NULL, NULL);
	tls_send(&t, "hello\n", 6);
	tls_recv(&t, back, 6);
	assert_memory_equal(back, "hello\n", 6);
	assert_true(relays_become(1, 3000));
	for (size_t i = 0; i < 64; i++) { /* 1 MiB there and back */
		for (size_t k = 0; k < sizeof(out); k++)
			out[k] = (char)((i * sizeof(out) + k) * 7 % 251);
		tls_send(&t, out, sizeof(out));
		tls_recv(&t, back, sizeof(back));
		assert_memory_equal(out, back, sizeof(out));
	}
	/* the client's close_notify is cat's end of input: it exits, and its
	 * end is the connection's, with the server's close_notify */
	assert_true(SSL_shutdown(t.ssl) >= 0);
	assert_int_equal(tls_recv_to_close_notify(&t, end, sizeof(end)), 0);
	tls_close(&t);
	assert_true(server_wait_log(&srv, "exited with status 0", 5000));
	assert_true(relays_become(0, 5000));
	stop_cleanly();
}

/* Python's ssl as the client: 1 MiB through cat in 16 KiB steps, then
 * unwrap(), which sends its close_notify and waits for the server's. */
static const char python_client[] =
    "import socket, ssl, sys\n"
    "host, port = sys.argv[1].rsplit(':', 1)\n"
    "ctx = ssl.create_default_context(cafile=sys.argv[2])\n"
    "ctx.check_hostname = False\n"
    "s = ctx.wrap_socket(socket.create_connection((host, int(port)), 20))\n"
    "for i in range(64):\n"
    "    out = bytes((i * 16384 + k) * 7 % 251 for k in range(16384))\n"
    "    s.sendall(out)\n"
    "    back = b''\n"
    "    while len(back) < len(out):\n"
    "        b = s.recv(len(out) - len(back))\n"
    "        assert b, 'closed early'\n"
    "        back += b\n"
    "    assert back == out, i\n"
    "s.unwrap().close()\n"
    "print('ok')\n";

static void
a_python_ssl_client_round_trips_through_cat(void **state)
{
	char script[400], cmd[1200], out[64] = "";
	FILE *f, *p;

	(void)state;
	serve("exec", "", "options = { argv = [ \"cat\" ]; };");
	snprintf(script, sizeof(script), "%s/client.py", srv.dir);
	assert_non_null(f = fopen(script, "w"));
	fputs(python_client, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "timeout 60 python3 %s %s %s/ca.pem 2>&1",
	    script, srv.addr[0], tls_certs);
	assert_non_null(p = popen(cmd, "r"));
	if (fgets(out, sizeof(out), p) == NULL)
		out[0] = '\0';
	assert_int_equal(pclose(p), 0);
	assert_string_equal(out, "ok\n");
	assert_true(server_wait_log(&srv, "exited with status 0", 5000));
	stop_cleanly();
}

static void
exec_over_tls_on_a_unix_socket_relays_too(void **state)
{
	struct tls_conn t;
	char buf[64];

	(void)state;
	serve_on("unix", "exec", "", "options = { argv = [ \"cat\" ]; };");
	tls_dial(&t, NULL, NULL);
	tls_send(&t, "over unix\n", 10);
	tls_recv(&t, buf, 10);
	assert_memory_equal(buf, "over unix\n", 10);
	assert_true(SSL_shutdown(t.ssl) >= 0);
	assert_int_equal(tls_recv_to_close_notify(&t, buf, sizeof(buf)), 0);
	tls_close(&t);
	assert_true(server_wait_log(&srv, "exited with status 0", 5000));
	stop_cleanly();
}

static void
a_programs_own_end_closes_the_tls_connection(void **state)
{
	struct tls_conn t;
	char buf[64];

	(void)state;
	serve("exec", "", "options = { argv = [ \"echo\", \"bye\" ]; };");
	tls_dial(&t, NULL, NULL);
	tls_recv_to_close_notify(&t, buf, sizeof(buf));
	assert_string_equal(buf, "bye\n");
	tls_close(&t);
	assert_true(server_wait_log(&srv, "exited with status 0", 5000));
	stop_cleanly();
}

static void
an_exec_program_sees_the_tls_variables_of_a_client_certificate(void **state)
{
	struct tls_conn t;
	char buf[512], want[512];

	(void)state;
	serve("exec", client_ca("required"),
	    "options = { argv = [ \"sh\", \"-c\", \"echo $SSL_PROTOCOL/"
	    "$SSL_CIPHER/$SSL_CLIENT_S_DN_CN/$SSL_CLIENT_VERIFY/"
	    "${SSL_TLS_SNI-none}/$PROTO\" ]; };");
	tls_dial(&t, "client", NULL);
	tls_recv_to_close_notify(&t, buf, sizeof(buf));
	snprintf(want, sizeof(want), "TLSv1.3/%s/client/SUCCESS/none/TCP\n",
	    SSL_get_cipher_name(t.ssl));
	assert_string_equal(buf, want);
	tls_close(&t);
	stop_cleanly();
}

static void
an_idle_relayed_program_is_ended(void **state)
{
	struct tls_conn t;
	long long start;
	char b;

	(void)state;
	serve("exec", "",
	    "idle_timeout = 1; options = { argv = [ \"sleep\", \"60\" ]; };");
	tls_dial(&t, NULL, NULL);
	start = now_ms();
	assert_true(relays_become(1, 3000));
	assert_true(
	    server_wait_log(&srv, "no bytes moved: closed, SIGTERM to", 8000));
	/* the client sees the end long before sleep would have ended */
	assert_true(SSL_read(t.ssl, &b, 1) <= 0);
	assert_true(now_ms() - start < 9000);
	tls_close(&t);
	assert_true(relays_become(0, 8000));
	assert_int_equal(server_stop(&srv), 0);
}

static void
a_relay_and_its_program_end_with_their_worker(void **state)
{
	struct tls_conn t;
	pid_t relay = 0;
	char b;

	(void)state;
	serve("exec", "", "options = { argv = [ \"sleep\", \"60\" ]; };");
	tls_dial(&t, NULL, NULL);
	assert_true(relays_become(1, 3000));
	relays_seen(&relay);
	assert_int_equal(kill(server_worker(&srv), SIGKILL), 0);
	assert_true(gone_within(relay, 8000));
	/* and with it the connection: the client sees its end */
	assert_true(SSL_read(t.ssl, &b, 1) <= 0);
	tls_close(&t);
	server_stop(&srv);
}

/* ---- ms_tls_var in a module, ident ---- */

static void
a_module_reads_the_tls_variables(void **state)
{
	struct tls_conn t;
	char buf[1024], want[1024];

	(void)state;
	serve("tlsvars", client_ca("optional"), NULL);
	tls_dial(&t, "client", "a.example");
	tls_send(&t, "?", 1);
	tls_recv_to_close_notify(&t, buf, sizeof(buf));
	snprintf(want, sizeof(want),
	    "SSL_PROTOCOL=TLSv1.3\nSSL_CIPHER=%s\nSSL_TLS_SNI=a.example\n"
	    "SSL_CLIENT_S_DN_CN=client\nSSL_CLIENT_VERIFY=SUCCESS\n"
	    "NOT_A_VAR=-\nkept=yes\n",
	    SSL_get_cipher_name(t.ssl));
	assert_string_equal(buf, want);
	tls_close(&t);
	stop_cleanly();
}

static void
over_plaintext_a_module_reads_no_tls_variable(void **state)
{
	char buf[1024];
	size_t got = 0;
	ssize_t n;
	int fd;

	(void)state;
	serve("tlsvars", NULL, NULL);
	fd = client_connect("tcp", srv.addr[0]);
	assert_true(fd >= 0);
	assert_int_equal(client_send_all(fd, "?", 1), 0);
	while (got < sizeof(buf) - 1 &&
	       (n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
	assert_string_equal(buf,
	    "SSL_PROTOCOL=-\nSSL_CIPHER=-\nSSL_TLS_SNI=-\n"
	    "SSL_CLIENT_S_DN_CN=-\nSSL_CLIENT_VERIFY=-\nNOT_A_VAR=-\n"
	    "kept=yes\n");
	stop_cleanly();
}

static void
ident_shows_the_client_certificates_cn(void **state)
{
	struct tls_conn t;
	char buf[512];

	(void)state;
	serve(
	    "ident", client_ca("optional"), "options = { show_peer = true; };");
	tls_dial(&t, "client", NULL);
	tls_send(&t, "hi", 2);
	tls_recv_to_close_notify(&t, buf, sizeof(buf));
	assert_non_null(strstr(buf, " CN=client "));
	assert_non_null(strstr(buf, ": hi"));
	tls_close(&t);
	/* without a certificate, no CN */
	tls_dial(&t, NULL, NULL);
	tls_send(&t, "hi", 2);
	tls_recv_to_close_notify(&t, buf, sizeof(buf));
	assert_null(strstr(buf, "CN="));
	assert_non_null(strstr(buf, ": hi"));
	tls_close(&t);
	stop_cleanly();
}

/* ---- the access log ---- */

/* Reads the access log into text until want is in it (up to ms). */
static int
access_wait(const char *want, int ms)
{
	return file_wait_for(path, want, ms, text, sizeof(text));
}

#define TLS_FORMAT                                                             \
	"access_log = \"@DIR@/access.log\"; access_log_format = "              \
	"\"$tls_protocol|$tls_cipher|$tls_sni|$tls_resumed|$tls_client_s_dn|"  \
	"$end\";"

/* hi to upper over t, HI back, then the client's close. */
static void
upper_once(struct tls_conn *t)
{
	char buf[2];

	tls_send(t, "hi", 2);
	tls_recv(t, buf, 2);
	assert_memory_equal(buf, "HI", 2);
	SSL_shutdown(t->ssl);
	tls_close(t);
}

static void
the_access_log_tells_the_tls_facts(void **state)
{
	struct tls_conn t;
	char want[512], cipher[64];

	(void)state;
	serve("upper", client_ca("optional"), TLS_FORMAT);
	tls_dial(&t, "client", "a.example");
	snprintf(cipher, sizeof(cipher), "%s", SSL_get_cipher_name(t.ssl));
	upper_once(&t);
	snprintf(want, sizeof(want),
	    "TLSv1.3|%s|a.example|Initial|CN=client|client_closed\n", cipher);
	if (!access_wait(want, 5000))
		fail_msg("wanted %s in:\n%s", want, text);
	/* no certificate, no name: "-" for each */
	tls_dial(&t, NULL, NULL);
	upper_once(&t);
	snprintf(want, sizeof(want), "TLSv1.3|%s|-|Initial|-|client_closed\n",
	    cipher);
	if (!access_wait(want, 5000))
		fail_msg("wanted %s in:\n%s", want, text);
	stop_cleanly();
}

static void
over_plaintext_the_tls_facts_are_dashes(void **state)
{
	char buf[2];
	int fd;

	(void)state;
	serve("upper", NULL, TLS_FORMAT);
	fd = client_connect("tcp", srv.addr[0]);
	assert_int_equal(client_send_all(fd, "hi", 2), 0);
	assert_int_equal(client_recv_all(fd, buf, 2), 0);
	close(fd);
	if (!access_wait("-|-|-|-|-|client_closed\n", 5000))
		fail_msg("in:\n%s", text);
	stop_cleanly();
}

static void
json_lines_tell_the_tls_facts_of_a_program_too(void **state)
{
	struct tls_conn t;
	char want[512], end[8];

	(void)state;
	/* idle_timeout 0: the worker keeps no copy of the connection, whose
	 * facts must outlive it */
	serve("exec", client_ca("optional"),
	    "access_log = \"@DIR@/access.log\"; access_log_format = \"json\"; "
	    "idle_timeout = 0; options = { argv = [ \"cat\" ]; };");
	tls_dial(&t, "client", "a.example");
	tls_send(&t, "x", 1);
	tls_recv(&t, end, 1);
	SSL_shutdown(t.ssl);
	tls_recv_to_close_notify(&t, end, sizeof(end));
	snprintf(want, sizeof(want),
	    "\"tls_protocol\":\"TLSv1.3\",\"tls_cipher\":\"%s\","
	    "\"tls_sni\":\"a.example\",\"tls_resumed\":\"Initial\","
	    "\"tls_client_s_dn\":\"CN=client\"}\n",
	    SSL_get_cipher_name(t.ssl));
	tls_close(&t);
	if (!access_wait(want, 5000))
		fail_msg("wanted %s in:\n%s", want, text);
	stop_cleanly();
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    SRV_TEST(exec_of_cat_over_tls_relays_both_ways_until_the_end),
	    SRV_TEST(a_python_ssl_client_round_trips_through_cat),
	    SRV_TEST(exec_over_tls_on_a_unix_socket_relays_too),
	    SRV_TEST(a_programs_own_end_closes_the_tls_connection),
	    SRV_TEST(
	        an_exec_program_sees_the_tls_variables_of_a_client_certificate),
	    SRV_TEST(an_idle_relayed_program_is_ended),
	    SRV_TEST(a_relay_and_its_program_end_with_their_worker),
	    SRV_TEST(a_module_reads_the_tls_variables),
	    SRV_TEST(over_plaintext_a_module_reads_no_tls_variable),
	    SRV_TEST(ident_shows_the_client_certificates_cn),
	    SRV_TEST(the_access_log_tells_the_tls_facts),
	    SRV_TEST(over_plaintext_the_tls_facts_are_dashes),
	    SRV_TEST(json_lines_tell_the_tls_facts_of_a_program_too),
	};
	char name[64];

	if (argc != 2) {
		fprintf(stderr, "usage: %s MODEL\n", argv[0]);
		return 2;
	}
	model = argv[1];
	snprintf(name, sizeof(name), "tls_request/%s", model);
	return _cmocka_run_group_tests(name, tests,
	    sizeof(tests) / sizeof(*tests), tls_certs_setup,
	    tls_certs_teardown);
}
