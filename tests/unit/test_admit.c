/* test_admit.c - what a worker admits: allow/deny, per_source counted per
 * address and given back, rate, each service with counts of its own. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cmocka.h>

#include "access.h"
#include "admit.h"
#include "config.h"
#include "refusals.h"
#include "service.h"

static struct service_conf conf, other_conf;
static struct ms_service svc = {.conf = &conf}, other = {.conf = &other_conf};

static struct sockaddr_storage
ip(const char *text)
{
	struct sockaddr_storage ss = {0};

	if (strchr(text, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		inet_pton(AF_INET6, text, &a->sin6_addr);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		inet_pton(AF_INET, text, &a->sin_addr);
	}
	return ss;
}

#define SA(ss) ((struct sockaddr *)&(ss))

/* Admits a request from text to s: 1 counted, 0 admitted uncounted, -1
 * refused. */
static int
request_from(struct ms_service *s, const char *text)
{
	struct sockaddr_storage ss = ip(text);
	int counted = -7;

	if (!admit_request(s, SA(ss), &counted)) {
		assert_int_equal(counted, 0);
		return -1;
	}
	return counted;
}

static void
release_from(struct ms_service *s, const char *text)
{
	struct sockaddr_storage ss = ip(text);

	admit_release(s, SA(ss));
}

/* Each test sets its own limits; refusals are logged on stderr. */
static int
setup(void **state)
{
	(void)state;
	conf = (struct service_conf){
	    .name = "s", .access_target = ACCESSLOG_OFF, .max_clients = 4};
	other_conf = conf;
	other_conf.name = "t";
	return refusals_init(&svc);
}

static int
limits(int per_source, int rate)
{
	admit_free(&svc);
	admit_free(&other);
	conf.per_source = other_conf.per_source = per_source;
	conf.rate = other_conf.rate = rate;
	conf.rate_pause = other_conf.rate_pause = 1;
	return admit_init(&svc) == 0 && admit_init(&other) == 0 ? 0 : -1;
}

static int
setup_test(void **state)
{
	(void)state;
	return limits(2, 0);
}

static int
teardown_test(void **state)
{
	(void)state;
	admit_free(&svc);
	admit_free(&other);
	conf.allow = conf.deny = (struct cidr_list){0};
	return 0;
}

static void
per_source_counts_each_address_apart_and_gives_back(void **state)
{
	(void)state;
	assert_int_equal(request_from(&svc, "10.0.0.1"), 1);
	assert_int_equal(request_from(&svc, "10.0.0.1"), 1);
	assert_int_equal(request_from(&svc, "10.0.0.1"), -1);
	assert_int_equal(request_from(&svc, "10.0.0.2"), 1);
	release_from(&svc, "10.0.0.1");
	assert_int_equal(request_from(&svc, "10.0.0.1"), 1);
	assert_int_equal(request_from(&svc, "10.0.0.1"), -1);
}

static void
an_ipv6_client_is_not_its_ipv4_twin(void **state)
{
	(void)state;
	/* the same bytes first: ::a00:1 and 10.0.0.1 */
	assert_int_equal(request_from(&svc, "::a00:1"), 1);
	assert_int_equal(request_from(&svc, "::a00:1"), 1);
	assert_int_equal(request_from(&svc, "::a00:1"), -1);
	assert_int_equal(request_from(&svc, "10.0.0.1"), 1);
	assert_int_equal(request_from(&svc, "10.0.0.1"), 1);
	assert_int_equal(request_from(&svc, "10.0.0.1"), -1);
}

static void
a_unix_peer_and_a_service_without_per_source_count_nothing(void **state)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	int counted = -7;

	(void)state;
	for (int i = 0; i < 5; i++) {
		assert_true(
		    admit_request(&svc, (struct sockaddr *)&un, &counted));
		assert_int_equal(counted, 0);
	}
	assert_int_equal(limits(0, 0), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(request_from(&svc, "10.0.0.1"), 0);
}

/* A release of what was never counted (or counted already given back)
 * takes nothing from the requests still running. */
static void
a_release_too_many_leaves_the_others_counted(void **state)
{
	(void)state;
	assert_int_equal(request_from(&svc, "10.0.0.1"), 1);
	assert_int_equal(request_from(&svc, "10.0.0.1"), 1);
	release_from(&svc, "10.0.0.1");
	release_from(&svc, "10.0.0.1");
	release_from(&svc, "10.0.0.1");
	release_from(&svc, "10.0.0.9");
	assert_int_equal(request_from(&svc, "10.0.0.1"), 1);
	assert_int_equal(request_from(&svc, "10.0.0.1"), 1);
	assert_int_equal(request_from(&svc, "10.0.0.1"), -1);
}

/* The table holds max_clients sources at half load; sources whose
 * requests all ended make room for new ones. */
static void
many_clients_one_after_another_are_all_admitted(void **state)
{
	char text[32];

	(void)state;
	for (int i = 0; i < 1000; i++) {
		snprintf(text, sizeof(text), "10.1.%d.%d", i / 250, i % 250);
		assert_int_equal(request_from(&svc, text), 1);
		release_from(&svc, text);
	}
	/* while they run, the table is full at twice max_clients and more */
	for (int i = 0; i < 16; i++) {
		snprintf(text, sizeof(text), "10.2.0.%d", i);
		assert_int_equal(request_from(&svc, text), 1);
	}
	assert_int_equal(request_from(&svc, "10.3.0.1"), -1);
}

static void
each_service_counts_its_own_clients(void **state)
{
	(void)state;
	assert_int_equal(request_from(&svc, "10.0.0.1"), 1);
	assert_int_equal(request_from(&svc, "10.0.0.1"), 1);
	assert_int_equal(request_from(&svc, "10.0.0.1"), -1);
	assert_int_equal(request_from(&other, "10.0.0.1"), 1);
	assert_int_equal(request_from(&other, "10.0.0.1"), 1);
	release_from(&other, "10.0.0.1");
	assert_int_equal(request_from(&svc, "10.0.0.1"), -1);
}

static void
deny_refuses_before_per_source_counts(void **state)
{
	struct cidr deny;
	char err[128];

	(void)state;
	assert_int_equal(
	    access_parse("10.0.0.0/8", &deny, err, sizeof(err)), 0);
	conf.deny = (struct cidr_list){&deny, 1};
	assert_int_equal(request_from(&svc, "10.0.0.1"), -1);
	assert_int_equal(request_from(&svc, "192.0.2.1"), 1);
	conf.deny = (struct cidr_list){0};
	/* the refused one took nothing */
	assert_int_equal(request_from(&svc, "10.0.0.1"), 1);
	assert_int_equal(request_from(&svc, "10.0.0.1"), 1);
	assert_int_equal(request_from(&svc, "10.0.0.1"), -1);
}

/* The count of a second starts again once it was passed (the pause is the
 * acceptor's), and each service has a count of its own. */
static void
one_connection_past_rate_says_pause(void **state)
{
	int over = 0;

	(void)state;
	assert_int_equal(limits(0, 3), 0);
	for (int i = 0; i < 3; i++)
		over += admit_over_rate(&svc);
	assert_int_equal(over, 0);
	assert_int_equal(admit_over_rate(&other), 0);
	/* within the same second, unless this machine stalls for one */
	over = admit_over_rate(&svc);
	if (over == 0)
		skip();
	assert_int_equal(over, 1);
	assert_int_equal(admit_over_rate(&svc), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        per_source_counts_each_address_apart_and_gives_back, setup_test,
	        teardown_test),
	    cmocka_unit_test_setup_teardown(
	        an_ipv6_client_is_not_its_ipv4_twin, setup_test, teardown_test),
	    cmocka_unit_test_setup_teardown(
	        a_unix_peer_and_a_service_without_per_source_count_nothing,
	        setup_test, teardown_test),
	    cmocka_unit_test_setup_teardown(
	        a_release_too_many_leaves_the_others_counted, setup_test,
	        teardown_test),
	    cmocka_unit_test_setup_teardown(
	        many_clients_one_after_another_are_all_admitted, setup_test,
	        teardown_test),
	    cmocka_unit_test_setup_teardown(
	        each_service_counts_its_own_clients, setup_test, teardown_test),
	    cmocka_unit_test_setup_teardown(
	        deny_refuses_before_per_source_counts, setup_test,
	        teardown_test),
	    cmocka_unit_test_setup_teardown(
	        one_connection_past_rate_says_pause, setup_test, teardown_test),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
