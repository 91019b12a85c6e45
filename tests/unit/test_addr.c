/* test_addr.c - parsing and printing listening addresses. */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "addr.h"

static char err[256];

static const char *
parsed(const char *text)
{
	static struct listen_addr a;

	if (addr_parse_inet(text, SOCK_STREAM, &a, err, sizeof(err)) < 0)
		return NULL;
	return a.text;
}

static void
ipv4_and_bracketed_ipv6_with_ports(void **state)
{
	(void)state;
	assert_string_equal(parsed("127.0.0.1:8888"), "127.0.0.1:8888");
	assert_string_equal(parsed("[::1]:80"), "[::1]:80");
	assert_string_equal(parsed("0.0.0.0:0"), "0.0.0.0:0");
	assert_string_equal(parsed("[::]:65535"), "[::]:65535");
}

static void
a_left_out_host_means_loopback_only(void **state)
{
	(void)state;
	assert_string_equal(parsed(":7000"), "127.0.0.1:7000");
	assert_string_equal(parsed("7000"), "127.0.0.1:7000");
	assert_string_equal(parsed("*:7000"), "0.0.0.0:7000");
}

static void
a_name_is_resolved(void **state)
{
	const char *a;

	(void)state;
	a = parsed("localhost:25");
	assert_non_null(a);
	assert_true(
	    strcmp(a, "127.0.0.1:25") == 0 || strcmp(a, "[::1]:25") == 0);
}

static void
unparsable_addresses_say_what_is_wrong(void **state)
{
	const char *bad[] = {"1.2.3.4", "host:", "host:http", "1.2.3.4:65536",
	    "1.2.3.4:-1", "::1:80", "[::1]80", "[::1:80", ""};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_null(parsed(bad[i]));
		assert_non_null(strstr(err, "is not host:port"));
	}
	assert_null(parsed("no-such-host.invalid:80"));
	assert_non_null(strstr(err, "does not resolve"));
}

static void
unix_paths_resolve_against_the_config_folder(void **state)
{
	struct listen_addr a;
	char longpath[200];

	(void)state;
	assert_int_equal(
	    addr_parse_unix("run/s.sock", "/etc/modserv", &a, err, sizeof(err)),
	    0);
	assert_string_equal(a.text, "/etc/modserv/run/s.sock");
	assert_int_equal(
	    addr_parse_unix("/tmp/x.sock", "/etc", &a, err, sizeof(err)), 0);
	assert_string_equal(a.text, "/tmp/x.sock");
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(
	    addr_parse_unix(longpath, "/", &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than 107 bytes"));
	assert_int_equal(addr_parse_unix("", "/", &a, err, sizeof(err)), -1);
}

static void
the_same_address_twice_is_noticed_but_port_zero_never(void **state)
{
	struct listen_addr a, b;

	(void)state;
	addr_parse_inet("127.0.0.1:80", SOCK_STREAM, &a, err, sizeof(err));
	addr_parse_inet(":80", SOCK_STREAM, &b, err, sizeof(err));
	assert_true(addr_same(&a, &b));
	addr_parse_inet("127.0.0.2:80", SOCK_STREAM, &b, err, sizeof(err));
	assert_false(addr_same(&a, &b));
	addr_parse_inet("127.0.0.1:0", SOCK_STREAM, &a, err, sizeof(err));
	addr_parse_inet("127.0.0.1:0", SOCK_STREAM, &b, err, sizeof(err));
	assert_false(addr_same(&a, &b));
	addr_parse_unix("s.sock", "/run", &a, err, sizeof(err));
	addr_parse_unix("/run/s.sock", NULL, &b, err, sizeof(err));
	assert_true(addr_same(&a, &b));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ipv4_and_bracketed_ipv6_with_ports),
	    cmocka_unit_test(a_left_out_host_means_loopback_only),
	    cmocka_unit_test(a_name_is_resolved),
	    cmocka_unit_test(unparsable_addresses_say_what_is_wrong),
	    cmocka_unit_test(unix_paths_resolve_against_the_config_folder),
	    cmocka_unit_test(
	        the_same_address_twice_is_noticed_but_port_zero_never),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
