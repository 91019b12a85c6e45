/* test_access.c - allow and deny: which prefixes parse, which peers they
 * take in, and which peers a service lets through. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cmocka.h>

#include "access.h"

static char err[256];

/* A peer at text, an IPv4 or IPv6 address. */
static const struct sockaddr *
peer(const char *text)
{
	static struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &in->sin_addr) == 1)
		in->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1)
		in6->sin6_family = AF_INET6;
	else
		fail_msg("test peer %s is no address", text);
	return (const struct sockaddr *)&ss;
}

/* The prefix text, which must parse. */
static struct cidr
prefix(const char *text)
{
	struct cidr c;

	if (access_parse(text, &c, err, sizeof(err)) < 0)
		fail_msg("%s: %s", text, err);
	return c;
}

static int
in(const char *cidr, const char *addr)
{
	struct cidr c = prefix(cidr);

	return access_match(&c, peer(addr));
}

static void
a_prefix_keeps_its_network_bits_only(void **state)
{
	struct cidr c;
	char text[INET6_ADDRSTRLEN];

	(void)state;
	c = prefix("10.1.2.3/8");
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.prefix, 8);
	inet_ntop(AF_INET, c.addr, text, sizeof(text));
	assert_string_equal(text, "10.0.0.0");
	c = prefix("fe80::1234/10");
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(c.prefix, 10);
	inet_ntop(AF_INET6, c.addr, text, sizeof(text));
	assert_string_equal(text, "fe80::");
	/* a bare address is the one address */
	assert_int_equal(prefix("192.168.1.7").prefix, 32);
	assert_int_equal(prefix("::1").prefix, 128);
}

static void
what_is_no_address_or_prefix_is_refused_with_the_forms_that_are(void **state)
{
	static const char *const bad[] = {"", "/8", "10.0.0.0/", "10.0.0.0/33",
	    "10.0.0.0/-1", "10.0.0.0/8x", "::1/129", "localhost", "10.0.0",
	    "1.2.3.4.5", "10.0.0.0/8/8"};
	struct cidr c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char want[128];

		if (access_parse(bad[i], &c, err, sizeof(err)) == 0)
			fail_msg("\"%s\" was taken", bad[i]);
		snprintf(want, sizeof(want),
		    "\"%s\" is not an address or prefix (1.2.3.0/24, ::1, "
		    "fe80::/10)",
		    bad[i]);
		assert_string_equal(err, want);
	}
}

static void
a_prefix_takes_in_exactly_the_addresses_under_it(void **state)
{
	(void)state;
	/* a prefix that ends inside a byte */
	assert_true(in("192.168.0.0/23", "192.168.0.0"));
	assert_true(in("192.168.0.0/23", "192.168.1.255"));
	assert_false(in("192.168.0.0/23", "192.168.2.0"));
	assert_false(in("192.168.0.0/23", "192.167.255.255"));
	assert_true(in("10.0.0.0/8", "10.255.0.1"));
	assert_false(in("10.0.0.0/8", "11.0.0.1"));
	assert_true(in("192.168.1.7", "192.168.1.7"));
	assert_false(in("192.168.1.7", "192.168.1.6"));
	assert_true(in("fe80::/10", "fe80::1"));
	assert_true(in("fe80::/10", "febf:ffff::1"));
	assert_false(in("fe80::/10", "fec0::1"));
	assert_true(in("::1", "::1"));
	assert_false(in("::1", "::2"));
	/* /0 is every address of its family, and only of it */
	assert_true(in("0.0.0.0/0", "203.0.113.9"));
	assert_true(in("::/0", "2001:db8::1"));
	assert_false(in("0.0.0.0/0", "2001:db8::1"));
	assert_false(in("::/0", "203.0.113.9"));
}

static void
deny_wins_and_a_list_of_allowed_refuses_the_rest(void **state)
{
	struct cidr allow[] = {prefix("10.0.0.0/8"), prefix("::1")};
	struct cidr deny[] = {prefix("10.9.0.0/16")};

	(void)state;
	assert_true(access_allowed(allow, 2, deny, 1, peer("10.1.2.3")));
	assert_true(access_allowed(allow, 2, deny, 1, peer("::1")));
	assert_false(access_allowed(allow, 2, deny, 1, peer("10.9.8.7")));
	assert_false(access_allowed(allow, 2, deny, 1, peer("192.0.2.1")));
	/* no allow list: all but the denied */
	assert_true(access_allowed(NULL, 0, deny, 1, peer("192.0.2.1")));
	assert_false(access_allowed(NULL, 0, deny, 1, peer("10.9.0.1")));
	/* neither: everyone */
	assert_true(access_allowed(NULL, 0, NULL, 0, peer("198.51.100.1")));
}

/* An IPv4 client on a dual-stack socket: IPv4 lists still hold. */
static void
a_mapped_ipv4_client_is_judged_as_ipv4(void **state)
{
	struct cidr deny[] = {prefix("10.9.0.0/16")};
	struct cidr allow[] = {prefix("192.0.2.0/24")};

	(void)state;
	assert_true(in("10.9.0.0/16", "::ffff:10.9.1.2"));
	assert_false(in("10.9.0.0/16", "::ffff:10.8.1.2"));
	assert_false(access_allowed(NULL, 0, deny, 1, peer("::ffff:10.9.1.2")));
	assert_true(
	    access_allowed(allow, 1, NULL, 0, peer("::ffff:192.0.2.9")));
	assert_false(
	    access_allowed(allow, 1, NULL, 0, peer("::ffff:10.0.0.1")));
	/* an IPv6 prefix still sees the mapped form as IPv6 */
	assert_true(in("::ffff:0:0/96", "::ffff:10.9.1.2"));
}

static void
a_unix_peer_has_no_address_and_passes(void **state)
{
	struct cidr only[] = {prefix("127.0.0.1")};
	struct sockaddr_un un = {.sun_family = AF_UNIX};

	(void)state;
	assert_true(access_allowed(only, 1, only, 1, (struct sockaddr *)&un));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_prefix_keeps_its_network_bits_only),
	    cmocka_unit_test(
	        what_is_no_address_or_prefix_is_refused_with_the_forms_that_are),
	    cmocka_unit_test(a_prefix_takes_in_exactly_the_addresses_under_it),
	    cmocka_unit_test(deny_wins_and_a_list_of_allowed_refuses_the_rest),
	    cmocka_unit_test(a_mapped_ipv4_client_is_judged_as_ipv4),
	    cmocka_unit_test(a_unix_peer_has_no_address_and_passes),
	};

	return cmocka_run_group_tests_name("access", tests, NULL, NULL);
}
