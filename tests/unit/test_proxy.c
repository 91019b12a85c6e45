/* test_proxy.c - PROXY protocol headers, v1 and v2: what a balancer sends,
 * in one piece or many, and what must be refused. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "proxy.h"

static struct sockaddr_storage ss;
static socklen_t len;
static char err[128];

static int
parse(const void *p, size_t n)
{
	return proxy_parse(p, n, &ss, &len, err, sizeof(err));
}

static void
v1_tcp4_names_the_client_and_leaves_what_follows(void **state)
{
	const char *h = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\nGET";
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	char text[32];

	(void)state;
	assert_int_equal(parse(h, strlen(h)), (int)strlen(h) - 3);
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(ntohs(in->sin_port), 56324);
	inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
	assert_string_equal(text, "192.0.2.1");
	/* byte by byte: "more" until the CRLF */
	for (size_t k = 0; k < strlen(h) - 3; k++)
		assert_int_equal(parse(h, k), 0);
}

static void
v1_tcp6_and_unknown(void **state)
{
	const char *h = "PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n";
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	(void)state;
	assert_int_equal(parse(h, strlen(h)), (int)strlen(h));
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(in6->sin6_port), 1);
	assert_int_equal(parse("PROXY UNKNOWN\r\n", 15), 15);
	assert_int_equal(len, 0); /* the connection's own address stands */
}

static void
v1_refusals_say_why(void **state)
{
	static const char *const bad[] = {
	    "GET / HTTP/1.1\r\n",
	    "PROXY TCP4 192.0.2.1 198.51.100.2 56324 65536\r\n",
	    "PROXY TCP4 192.0.2.1 198.51.100.2 056324 443\r\n",
	    "PROXY TCP4 192.0.2.1 198.51.100.2 -1 443\r\n",
	    "PROXY TCP4 2001:db8::1 198.51.100.2 1 443\r\n",
	    "PROXY TCP5 192.0.2.1 198.51.100.2 1 443\r\n",
	    "PROXY TCP4 192.0.2.1 198.51.100.2 1\r\n",
	    "PROXY TCP4 192.0.2.1 198.51.100.2 1 2 3\r\n",
	    "PROXY TCP4 192.0.2.1 198.51.100.2 1 443\n",
	};
	char longer[200];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err[0] = '\0';
		if (parse(bad[i], strlen(bad[i])) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_true(strlen(err) > 0);
	}
	/* no CRLF within 107 bytes */
	memset(longer, 'x', sizeof(longer));
	memcpy(longer, "PROXY ", 6);
	assert_int_equal(parse(longer, 106), 0);
	assert_int_equal(parse(longer, sizeof(longer)), -1);
	assert_non_null(strstr(err, "107"));
}

static const unsigned char sig[12] = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

static void
v2_tcp4_with_a_tlv_local_and_refusals(void **state)
{
	unsigned char h[64];
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;

	(void)state;
	memcpy(h, sig, 12);
	h[12] = 0x21; /* v2, PROXY */
	h[13] = 0x11; /* TCP over IPv4 */
	h[14] = 0;
	h[15] = 12 + 5; /* addresses, then a 5-byte TLV */
	memcpy(h + 16, "\xc0\x00\x02\x01\xc6\x33\x64\x02\xdc\x04\x01\xbb", 12);
	memcpy(h + 28, "\x01\x00\x02h2", 5); /* ALPN "h2" */
	assert_int_equal(parse(h, 33), 33);
	assert_int_equal(in->sin_family, AF_INET);
	assert_int_equal(ntohs(in->sin_port), 56324);
	assert_int_equal(ntohl(in->sin_addr.s_addr), 0xC0000201);
	for (size_t k = 0; k < 33; k++)
		assert_int_equal(parse(h, k), 0);
	/* LOCAL: a health check from the balancer itself */
	h[12] = 0x20;
	h[15] = 0;
	assert_int_equal(parse(h, 16), 16);
	assert_int_equal(len, 0);
	/* version 1 in a v2 header; an unknown command; addresses cut short;
	 * longer than 4096 */
	h[12] = 0x11;
	assert_int_equal(parse(h, 16), -1);
	h[12] = 0x22;
	assert_int_equal(parse(h, 16), -1);
	h[12] = 0x21;
	h[15] = 4;
	assert_int_equal(parse(h, 20), -1);
	h[14] = 0x10;
	assert_int_equal(parse(h, 16), -1);
	assert_non_null(strstr(err, "4096"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(v1_tcp4_names_the_client_and_leaves_what_follows),
	    cmocka_unit_test(v1_tcp6_and_unknown),
	    cmocka_unit_test(v1_refusals_say_why),
	    cmocka_unit_test(v2_tcp4_with_a_tlv_local_and_refusals),
	};

	return cmocka_run_group_tests_name("proxy", tests, NULL, NULL);
}
