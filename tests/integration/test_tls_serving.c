/* test_tls_serving.c - every kind of module over TLS, on tcp and unix,
 * under one model:  test_tls_serving MODEL.  The seeds' clients run as
 * they are inside a verifying Python ssl context (tests/tls/tls_wrap.py),
 * curl asks health over https; and hostile clients - silent, half a
 * ClientHello, 200 silent at once, garbage - are closed at
 * handshake_timeout or at once, while a good client is served at once.
 * One modserv serves every case of a model. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "certs.h"
#include "clients.h"

#include "harness.h"

static const char *model;
static char out[1 << 16];

/* handshake_timeout of the service hostile clients go to */
#define HANDSHAKE_S 3
#define SILENT_CLIENTS 200
#define BIG_FILE (10 << 20)

static const char *const transports[] = {"tcp", "unix"};

/* A module, and the service keys it is served with. */
static const struct {
	const char *module, *keys;
} modules[] = {
    {"upper", ""},
    {"echo", ""},
    {"daytime", ""},
    {"greet", ""},
    {"framed", ""},
    {"filexfer", "options = { root = \"files\"; };"},
    {"cmd", "options = { allow = [ \"echo\", \"ls\" ]; };"},
    {"health", "options = { protocol = \"http\"; };"},
};
#define NMODULES (sizeof(modules) / sizeof(*modules))

/* The address of service name (module-transport). */
static const char *
addr_of(const char *module, const char *transport)
{
	char name[64];

	snprintf(name, sizeof(name), "%s-%s", module, transport);
	return tls_srv_addr(name);
}

/* The 10 MB file filexfer serves: bytes that differ from one offset to
 * the next, so a block sent twice or out of place shows. */
static int
make_big_file(void)
{
	char path[400];
	FILE *f;

	snprintf(path, sizeof(path), "%s/files", srv.dir);
	if (mkdir(path, 0755) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/files/big.bin", srv.dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	for (uint32_t i = 0; i < BIG_FILE; i++)
		fputc((int)((i * 2654435761u) >> 24 ^ i), f);
	return fclose(f);
}

/* Every module on both transports, the hostile clients' service, one
 * with a PROXY header, the garbage's own (its failures counted alone). */
static int
start_server(void)
{
	char services[1 << 14];
	size_t n = 0;

	for (size_t t = 0; t < 2; t++)
		for (size_t m = 0; m < NMODULES; m++) {
			char listen[128];

			if (t == 0)
				snprintf(listen, sizeof(listen), "127.0.0.1:0");
			else
				snprintf(listen, sizeof(listen),
				    "@DIR@/%s.sock", modules[m].module);
			n += (size_t)snprintf(services + n,
			    sizeof(services) - n,
			    " { name = \"%s-%s\"; transport = \"%s\";\n"
			    "   listen = \"%s\"; model = \"%s\"; module = \"%s\";\n"
			    "   tls = { }; %s },\n",
			    modules[m].module, transports[t], transports[t],
			    listen, model, modules[m].module, modules[m].keys);
		}
	return server_write_conf(&srv,
	           "module_path = [ \"@MODULES@\" ];\n"
	           "shutdown_timeout = 5;\n"
	           "status_socket = \"@DIR@/status.sock\";\n"
	           "tls = { certificate = \"%s/a.pem\"; key = \"%s/a.key\"; };\n"
	           "services = (\n%s"
	           " { name = \"hostile\"; transport = \"tcp\";\n"
	           "   listen = \"127.0.0.1:0\"; model = \"%s\"; module = \"upper\";\n"
	           "   max_clients = 512; tls = { handshake_timeout = %d; }; },\n"
	           " { name = \"garbage\"; transport = \"tcp\";\n"
	           "   listen = \"127.0.0.1:0\"; model = \"%s\"; module = \"echo\";\n"
	           "   tls = { }; },\n"
	           " { name = \"proxied\"; transport = \"tcp\";\n"
	           "   listen = \"127.0.0.1:0\"; model = \"%s\"; module = \"ident\";\n"
	           "   proxy_protocol = true; tls = { };\n"
	           "   options = { show_peer = true; }; } );\n",
	           tls_certs, tls_certs, services, model, HANDSHAKE_S, model,
	           model) < 0 ||
	               make_big_file() < 0
	           ? -1
	           : server_start(&srv, (int)(2 * NMODULES + 3), NULL);
}

static int
setup(void **state)
{
	if (tls_certs_setup(state) < 0 || server_prepare(&srv) < 0)
		return -1;
	return start_server();
}

/* Runs seed client script against module over transport, with input;
 * its output in out. */
static void
seed(const char *script, const char *module, const char *transport,
    const char *input)
{
	const char *addr = addr_of(module, transport);
	char target[400];

	if (strcmp(transport, "unix") == 0)
		snprintf(target, sizeof(target), "--unix '%s' seed '%s/%s' 0",
		    addr, tls_seed_clients, script);
	else
		snprintf(target, sizeof(target), "seed '%s/%s' %s",
		    tls_seed_clients, script, strrchr(addr, ':') + 1);
	tls_run(
	    out, sizeof(out), srv.dir, input, "%s %s", tls_client_py(), target);
}

/* Fails the test, showing out, unless out has text. */
static void
has(const char *what, const char *text)
{
	if (strstr(out, text) == NULL)
		fail_msg("%s: no \"%s\" in:\n%s", what, text, out);
}

static void
line_modules_answer_the_seed_daytime_client(void **state)
{
	(void)state;
	for (size_t t = 0; t < 2; t++) {
		/* the client prompts with ">" */
		seed("seed001_daytime_client.py", "upper", transports[t],
		    "hello\nworld 世界\n\n");
		has(transports[t], ">HELLO\n>WORLD 世界\n");
		seed("seed001_daytime_client.py", "echo", transports[t],
		    "hello\nworld 世界\n\n");
		has(transports[t], ">hello\n>world 世界\n");
		seed("seed001_daytime_client.py", "daytime", transports[t],
		    "hello\nworld 世界\n\n");
		has(transports[t], "] hello\n");
		has(transports[t], "] world 世界\n");
	}
}

/* greet writes its banner in setup, before any input: it goes out once
 * the handshake is done */
static void
greet_banner_comes_before_input(void **state)
{
	(void)state;
	for (size_t t = 0; t < 2; t++) {
		seed("seed004_greet_client.py", "greet", transports[t],
		    "hello\n世界\nq\n");
		has(transports[t], "你好欢迎你\n");
		has(transports[t], "hello好\n");
		has(transports[t], "世界好\n");
		has(transports[t], "closed\n");
	}
}

static void
framed_and_cmd_answer_their_clients(void **state)
{
	(void)state;
	for (size_t t = 0; t < 2; t++) {
		seed("seed002_framed_client.py", "framed", transports[t],
		    "morpheus\n");
		has(transports[t],
		    "text/json {'ACTION': 'SEARCH', 'VALUE': 'MORPHEUS'}");
		has(transports[t], "binary/custom-client-binary-type "
		                   "b'\\x00\\x01\\xfe\\xffbinary'");
		seed("seed000_cmd_client.py", "cmd", transports[t],
		    "echo hello 粘包\nls /nonexistent-seed\nexit\n");
		has(transports[t], "hello 粘包\n");
		has(transports[t], "No such file or directory");
		has(transports[t], "client close\n");
	}
}

/* The file as read back; NULL when it is not size bytes. */
static char *
slurp(const char *path, size_t size)
{
	char *p = malloc(size + 1);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(p, 1, size + 1, f) : 0;

	if (f)
		fclose(f);
	if (n != size) {
		free(p);
		return NULL;
	}
	return p;
}

/* ms_sendfile through the read-and-encrypt path (no kernel TLS here) */
static void
filexfer_sends_ten_megabytes_byte_for_byte(void **state)
{
	char sent[400], got[400];
	char *a, *b;

	(void)state;
	snprintf(sent, sizeof(sent), "%s/files/big.bin", srv.dir);
	snprintf(got, sizeof(got), "%s/newbig.bin", srv.dir);
	assert_non_null(a = slurp(sent, BIG_FILE));
	for (size_t t = 0; t < 2; t++) {
		unlink(got);
		seed("seed002_file_client.py", "filexfer", transports[t],
		    "big.bin\n\n");
		has(transports[t], "receive done 10485760");
		if ((b = slurp(got, BIG_FILE)) == NULL)
			fail_msg("%s: %s is not 10 MB", transports[t], got);
		if (memcmp(a, b, BIG_FILE) != 0)
			fail_msg(
			    "%s: the file came back changed", transports[t]);
		free(b);
	}
	free(a);
}

static void
health_answers_curl_over_https(void **state)
{
	const char *tcp = addr_of("health", "tcp"),
	           *port = strrchr(tcp, ':') + 1;

	(void)state;
	assert_int_equal(tls_run(out, sizeof(out), srv.dir, NULL,
	                     "curl -sS --max-time 10 -i --cacert '%s/ca.pem' "
	                     "--resolve a.example:%s:127.0.0.1 "
	                     "https://a.example:%s/",
	                     tls_certs, port, port),
	    0);
	has("tcp", "HTTP/1.0 200 OK\r\n");
	has("tcp", "\r\n\r\nready\n");
	assert_int_equal(tls_run(out, sizeof(out), srv.dir, NULL,
	                     "curl -sS --max-time 10 -i --cacert '%s/ca.pem' "
	                     "--unix-socket '%s' https://a.example/",
	                     tls_certs, addr_of("health", "unix")),
	    0);
	has("unix", "\r\n\r\nready\n");
	/* and curl that trusts another CA is refused by its own check */
	assert_int_not_equal(tls_run(out, sizeof(out), srv.dir, NULL,
	                         "curl -sS --max-time 10 --cacert "
	                         "'%s/other-ca.pem' --resolve "
	                         "a.example:%s:127.0.0.1 https://a.example:%s/",
	                         tls_certs, port, port),
	    0);
}

/* ---- hostile clients ---- */

static int log_lines_with(const char *a, const char *b);

/* The TLS refusals of service the log told of so far: each line of one,
 * plus the counts its summaries give ("and 40 more from ..."). */
static long
refusals_told(const char *service)
{
	char who[80], *p;
	long n;

	snprintf(who, sizeof(who), "%s: ", service);
	n = log_lines_with(who, "TLS handshake not done in") +
	    log_lines_with(who, "TLS handshake failed");
	snprintf(
	    who, sizeof(who), "%s: refused (TLS handshake): and ", service);
	for (p = strstr(srv.log, who); p; p = strstr(p + 1, who))
		n += atol(p + strlen(who));
	return n;
}

/* Waits (5 s at most) for the log to tell of want refusals of service:
 * the summaries come once their window closed. */
static long
refusals_told_until(const char *service, long want)
{
	long long end = now_ms() + 5000;

	while (refusals_told(service) < want && now_ms() < end)
		server_log(&srv, 50);
	return refusals_told(service);
}

static int
dial(const char *addr)
{
	int fd = client_connect("tcp", addr);

	assert_true(fd >= 0);
	return fd;
}

/* A good client's round trip to the hostile service, which must be
 * served at once: well before handshake_timeout. */
static void
good_client_is_served_at_once(void)
{
	char reply[256];
	long long t0 = now_ms(), took;

	if (tls_line(tls_srv_addr("hostile"), "ping\n", reply, sizeof(reply)) <
	    0)
		fail_msg("the good client: %s", reply);
	took = now_ms() - t0;
	assert_string_equal(reply, "PING\n");
	if (took > HANDSHAKE_S * 1000 / 2)
		fail_msg("the good client waited %lld ms", took);
}

/* Waits for fd to be closed by the server; ms it took from t0. */
static long long
closed_after(int fd, long long t0)
{
	char buf[64];
	long long end = t0 + (HANDSHAKE_S + 10) * 1000;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) != 0 &&
	       !(n < 0 && errno != EAGAIN && errno != EINTR) && now_ms() < end)
		;
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		fail_msg("not closed in %d s", HANDSHAKE_S + 10);
	return now_ms() - t0;
}

/* The record header and the start of a ClientHello that says it is
 * 512 bytes long: the rest never comes. */
static const unsigned char half_hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01,
    0x00, 0x01, 0xfc, 0x03, 0x03, 0x5a, 0x5a, 0x5a, 0x5a};

static void
silent_and_half_hello_clients_are_closed_at_handshake_timeout(void **state)
{
	long long t0 = now_ms(), took;
	int silent = dial(tls_srv_addr("hostile")),
	    half = dial(tls_srv_addr("hostile"));

	(void)state;
	assert_int_equal(
	    client_send_all(half, half_hello, sizeof(half_hello)), 0);
	good_client_is_served_at_once();
	took = closed_after(silent, t0);
	assert_true(took >= HANDSHAKE_S * 1000 - 300);
	took = closed_after(half, t0);
	assert_true(took >= HANDSHAKE_S * 1000 - 300);
	close(silent);
	close(half);
	assert_int_equal(refusals_told_until("hostile", 2), 2);
	assert_true(
	    server_wait_log(&srv, "TLS handshake not done in 3 s: closed", 0));
}

static void
two_hundred_silent_clients_do_not_starve_a_good_one(void **state)
{
	int fds[SILENT_CLIENTS];
	long long t0 = now_ms();

	(void)state;
	for (int i = 0; i < SILENT_CLIENTS; i++)
		fds[i] = dial(tls_srv_addr("hostile"));
	good_client_is_served_at_once();
	good_client_is_served_at_once();
	for (int i = 0; i < SILENT_CLIENTS; i++) {
		closed_after(fds[i], t0);
		close(fds[i]);
	}
	/* each told of, most of them in summaries */
	assert_int_equal(refusals_told_until("hostile", 2 + SILENT_CLIENTS),
	    2 + SILENT_CLIENTS);
	assert_true(
	    log_lines_with("hostile: ", "TLS handshake not done in") < 20);
}

/* Lines of the log with both a and b. */
static int
log_lines_with(const char *a, const char *b)
{
	const char *p = server_log(&srv, 0);
	int n = 0;

	while (p && *p) {
		const char *end = strchr(p, '\n');
		char line[1024];
		size_t len = end ? (size_t)(end - p) : strlen(p);

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		n += strstr(line, a) && strstr(line, b);
		p = end ? end + 1 : NULL;
	}
	return n;
}

static void
garbage_for_a_client_hello_is_closed_logged_once_and_counted(void **state)
{
	const char *addr = tls_srv_addr("garbage");
	long long t0;

	(void)state;
	for (int i = 0; i < 5; i++) {
		int fd = dial(addr);

		t0 = now_ms();
		assert_int_equal(
		    client_send_all(fd, "GET / HTTP/1.0\r\n\r\n", 18), 0);
		/* refused at once, not at handshake_timeout */
		assert_true(closed_after(fd, t0) < HANDSHAKE_S * 1000);
		close(fd);
	}
	assert_int_equal(refusals_told_until("garbage", 5), 5);
	assert_int_equal(
	    log_lines_with("garbage: ", "TLS handshake failed"), 1);
	assert_int_equal(
	    server_metric(&srv, "tls_handshake_failures_total", "garbage"), 5);
	assert_int_equal(
	    server_metric(&srv, "tls_handshakes_total", "garbage"), 0);
	assert_int_equal(server_metric(&srv, "requests_total", "garbage"), 0);
}

/* A PROXY v2 header naming ip:4242 as the client. */
static size_t
proxy_v2(unsigned char *h, const char *ip)
{
	static const unsigned char sig[] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
	    0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x11, 0x00, 0x0C};
	unsigned a, b, c, d;

	memcpy(h, sig, sizeof(sig));
	assert_int_equal(sscanf(ip, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
	h[16] = (unsigned char)a, h[17] = (unsigned char)b;
	h[18] = (unsigned char)c, h[19] = (unsigned char)d;
	h[20] = 127, h[21] = 0, h[22] = 0, h[23] = 1;
	h[24] = 4242 >> 8, h[25] = 4242 & 0xff, h[26] = 1, h[27] = 187;
	return 28;
}

static void
a_proxy_v2_header_then_tls_names_the_headers_client(void **state)
{
	const char *addr = tls_srv_addr("proxied");
	unsigned char header[32];
	size_t n;
	int fd;

	(void)state;
	assert_int_equal(tls_run(out, sizeof(out), srv.dir, NULL,
	                     "%s --proxy-v2 192.0.2.7:4242 line %s hi",
	                     tls_client_py(), addr),
	    0);
	if (strncmp(out, "192.0.2.7:4242 ", 15) != 0 || !strstr(out, ": hi"))
		fail_msg("ident saw: %s", out);
	/* a failed handshake after the header is logged with its client */
	fd = dial(addr);
	n = proxy_v2(header, "192.0.2.8");
	assert_int_equal(client_send_all(fd, header, n), 0);
	assert_int_equal(client_send_all(fd, "garbage\r\n\r\n", 11), 0);
	closed_after(fd, now_ms());
	close(fd);
	assert_true(server_wait_log(&srv, "192.0.2.8", 3000));
	assert_int_equal(
	    log_lines_with("192.0.2.8", "TLS handshake failed"), 1);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(line_modules_answer_the_seed_daytime_client),
	    cmocka_unit_test(greet_banner_comes_before_input),
	    cmocka_unit_test(framed_and_cmd_answer_their_clients),
	    cmocka_unit_test(filexfer_sends_ten_megabytes_byte_for_byte),
	    cmocka_unit_test(health_answers_curl_over_https),
	    cmocka_unit_test(
	        silent_and_half_hello_clients_are_closed_at_handshake_timeout),
	    cmocka_unit_test(
	        two_hundred_silent_clients_do_not_starve_a_good_one),
	    cmocka_unit_test(
	        garbage_for_a_client_hello_is_closed_logged_once_and_counted),
	    cmocka_unit_test(
	        a_proxy_v2_header_then_tls_names_the_headers_client),
	};
	char name[64];

	if (argc != 2) {
		fprintf(stderr, "usage: %s MODEL\n", argv[0]);
		return 2;
	}
	model = argv[1];
	snprintf(name, sizeof(name), "tls_serving/%s", model);
	return cmocka_run_group_tests_name(
	    name, tests, setup, tls_srv_teardown);
}
