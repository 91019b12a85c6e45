/* test_accept.c - the accepting side: it says whether per_source counted
 * a connection, a refused connection gives its count back, and a pause
 * is the service's own. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "accept.h"
#include "admit.h"
#include "config.h"
#include "refusals.h"
#include "service.h"

static struct service_conf conf, other_conf;
static struct ms_service svc = {.conf = &conf}, other = {.conf = &other_conf};
static int lfd = -1;
static struct sockaddr_in where;

/* A loopback listener, and per_source = 1 for both services. */
static int
setup(void **state)
{
	socklen_t len = sizeof(where);

	(void)state;
	conf = (struct service_conf){.name = "s",
	    .access_target = ACCESSLOG_OFF,
	    .max_clients = 4,
	    .per_source = 1};
	other_conf = conf;
	other_conf.name = "t";
	where = (struct sockaddr_in){
	    .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0 ||
	    bind(lfd, (struct sockaddr *)&where, sizeof(where)) < 0 ||
	    listen(lfd, 8) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&where, &len) < 0)
		return -1;
	return refusals_init(&svc) == 0 && admit_init(&svc) == 0 &&
	               admit_init(&other) == 0
	           ? 0
	           : -1;
}

static int
teardown(void **state)
{
	(void)state;
	close(lfd);
	admit_free(&svc);
	admit_free(&other);
	return 0;
}

static int
dial(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(
	    connect(fd, (struct sockaddr *)&where, sizeof(where)), 0);
	return fd;
}

/* The next connection waiting, accepted for s (-1: none admitted). */
static int
take(struct ms_service *s, int *counted)
{
	struct sockaddr_storage peer;
	socklen_t plen;

	*counted = -7;
	return accept_connection(s, lfd, &peer, &plen, SOCK_NONBLOCK, counted);
}

static void
a_connection_per_source_counted_is_said_to_be(void **state)
{
	int client = dial(), counted, fd;

	(void)state;
	fd = take(&svc, &counted);
	assert_true(fd >= 0);
	assert_int_equal(counted, 1);
	close(fd);
	close(client);
	admit_release(&svc, (struct sockaddr *)&where);
}

/* A connection that cannot become a request gives its count back: the
 * client's next connection is admitted. */
static void
a_refused_connection_gives_its_count_back(void **state)
{
	struct sockaddr_storage peer;
	socklen_t plen;
	int a = dial(), b, counted, fd;
	char byte;

	(void)state;
	fd =
	    accept_connection(&svc, lfd, &peer, &plen, SOCK_NONBLOCK, &counted);
	assert_true(fd >= 0);
	assert_int_equal(counted, 1);
	errno = ENOMEM;
	accept_refuse(&svc, fd, &peer, plen, counted, "no memory");
	assert_int_equal(read(a, &byte, 1), 0); /* closed */
	close(a);
	b = dial();
	fd = take(&svc, &counted);
	assert_true(fd >= 0);
	assert_int_equal(counted, 1);
	close(fd);
	close(b);
	admit_release(&svc, (struct sockaddr *)&peer);
}

/* Behind a balancer the client is known once its header is read: the
 * acceptor counts nothing. */
static void
behind_a_balancer_nothing_is_counted_on_accept(void **state)
{
	int a = dial(), b = dial(), counted, fd;

	(void)state;
	conf.proxy_protocol = 1;
	for (int i = 0; i < 2; i++) {
		fd = take(&svc, &counted);
		assert_true(fd >= 0);
		assert_int_equal(counted, 0);
		close(fd);
	}
	conf.proxy_protocol = 0;
	close(a);
	close(b);
}

static void
a_pause_is_the_services_own(void **state)
{
	int client = dial(), counted, fd;

	(void)state;
	assert_int_equal(accept_paused(&svc), 0);
	accept_pause(&svc, 60000);
	assert_true(accept_paused(&svc) > 0);
	assert_int_equal(accept_paused(&other), 0);
	/* and its per_source counts too */
	fd = take(&other, &counted);
	assert_true(fd >= 0);
	assert_int_equal(counted, 1);
	close(fd);
	close(client);
	admit_release(&other, (struct sockaddr *)&where);
	accept_pause(&svc, 0);
	assert_int_equal(accept_paused(&svc), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_connection_per_source_counted_is_said_to_be),
	    cmocka_unit_test(a_refused_connection_gives_its_count_back),
	    cmocka_unit_test(behind_a_balancer_nothing_is_counted_on_accept),
	    cmocka_unit_test(a_pause_is_the_services_own),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
