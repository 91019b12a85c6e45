/* test_addr.c - parsing and printing listening addresses. */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cmocka.h>

#include "addr.h"

static char err[256];

static struct listen_addr list[ADDR_LIST_MAX];
static int nlist;

/* The first address text stands for (all of them in list). */
static const char *
parsed(const char *text)
{
	nlist = addr_parse_inet(
	    text, SOCK_STREAM, list, ADDR_LIST_MAX, err, sizeof(err));
	return nlist < 0 ? NULL : list[0].text;
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

/* However this machine's /etc/hosts has it: 127.0.0.1, ::1, or both. */
static void
a_name_stands_for_each_of_its_addresses(void **state)
{
	(void)state;
	assert_non_null(parsed("localhost:25"));
	assert_in_range(nlist, 1, 2);
	for (int i = 0; i < nlist; i++)
		assert_true(strcmp(list[i].text, "127.0.0.1:25") == 0 ||
		            strcmp(list[i].text, "[::1]:25") == 0);
	if (nlist == 2)
		assert_string_not_equal(list[0].text, list[1].text);
}

static void
a_literal_address_is_one(void **state)
{
	(void)state;
	assert_non_null(parsed("[::1]:25"));
	assert_int_equal(nlist, 1);
	assert_non_null(parsed("127.0.0.1:0"));
	assert_int_equal(nlist, 1);
}

static void
a_port_set_shows_in_the_text_and_lists_print_with_spaces(void **state)
{
	char text[2 * ADDR_TEXT_MAX];

	(void)state;
	addr_parse_inet("[::1]:0", SOCK_STREAM, &list[0], 1, err, sizeof(err));
	addr_parse_inet(
	    "127.0.0.1:0", SOCK_STREAM, &list[1], 1, err, sizeof(err));
	assert_int_equal(addr_port(&list[0]), 0);
	addr_set_port(&list[0], 8888);
	addr_set_port(&list[1], 8888);
	assert_int_equal(addr_port(&list[1]), 8888);
	addr_list_format(list, 2, text, sizeof(text));
	assert_string_equal(text, "[::1]:8888 127.0.0.1:8888");
	addr_parse_unix("/run/s.sock", NULL, &list[0], err, sizeof(err));
	assert_int_equal(addr_port(&list[0]), -1);
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
the_same_address_twice_is_noticed(void **state)
{
	struct listen_addr a, b;

	(void)state;
	addr_parse_inet("127.0.0.1:80", SOCK_STREAM, &a, 1, err, sizeof(err));
	addr_parse_inet(":80", SOCK_STREAM, &b, 1, err, sizeof(err));
	assert_true(addr_same(&a, &b));
	addr_parse_inet("127.0.0.2:80", SOCK_STREAM, &b, 1, err, sizeof(err));
	assert_false(addr_same(&a, &b));
	addr_parse_inet("127.0.0.1:0", SOCK_STREAM, &a, 1, err, sizeof(err));
	addr_parse_inet("127.0.0.1:0", SOCK_STREAM, &b, 1, err, sizeof(err));
	assert_true(addr_same(&a, &b));
	addr_parse_inet("[::1]:80", SOCK_STREAM, &a, 1, err, sizeof(err));
	addr_parse_inet("[::1]:81", SOCK_STREAM, &b, 1, err, sizeof(err));
	assert_false(addr_same(&a, &b));
	addr_parse_unix("s.sock", "/run", &a, err, sizeof(err));
	addr_parse_unix("/run/s.sock", NULL, &b, err, sizeof(err));
	assert_true(addr_same(&a, &b));
	addr_parse_unix("/run/one.sock", NULL, &a, err, sizeof(err));
	addr_parse_unix("/run/one.sock", NULL, &b, err, sizeof(err));
	assert_true(addr_same(&a, &b));
	addr_parse_unix("/run/two.sock", NULL, &b, err, sizeof(err));
	assert_false(addr_same(&a, &b));
}

/* A unix peer names itself: what it chose cannot break a log line. */
static void
a_unix_peers_name_in_a_log_line_is_escaped(void **state)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	socklen_t len;
	char text[ADDR_TEXT_MAX];

	(void)state;
	strcpy(sun.sun_path, "/tmp/x\n2026-12-01 [1] error forged\\");
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	                  strlen(sun.sun_path) + 1);
	addr_format_for_log((struct sockaddr *)&sun, len, text, sizeof(text));
	assert_string_equal(
	    text, "/tmp/x\\x0A2026-12-01 [1] error forged\\x5C");
	/* abstract names are compared whole: their inner NULs are shown */
	memcpy(sun.sun_path, "\0abs\0one", 8);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 8);
	addr_format_for_log((struct sockaddr *)&sun, len, text, sizeof(text));
	assert_string_equal(text, "@abs\\x00one");
	/* inet addresses as addr_format has them */
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(80)};
	in.sin_addr.s_addr = htonl(0x7f000001);
	addr_format_for_log(
	    (struct sockaddr *)&in, sizeof(in), text, sizeof(text));
	assert_string_equal(text, "127.0.0.1:80");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(ipv4_and_bracketed_ipv6_with_ports),
	    cmocka_unit_test(a_unix_peers_name_in_a_log_line_is_escaped),
	    cmocka_unit_test(a_left_out_host_means_loopback_only),
	    cmocka_unit_test(a_name_stands_for_each_of_its_addresses),
	    cmocka_unit_test(a_literal_address_is_one),
	    cmocka_unit_test(
	        a_port_set_shows_in_the_text_and_lists_print_with_spaces),
	    cmocka_unit_test(unparsable_addresses_say_what_is_wrong),
	    cmocka_unit_test(unix_paths_resolve_against_the_config_folder),
	    cmocka_unit_test(the_same_address_twice_is_noticed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
