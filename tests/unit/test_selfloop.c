/* test_selfloop.c - which datagram sources are modserv's own listeners:
 * IPv4, IPv6, IPv4-mapped, wildcard listeners, and unix socket files by
 * inode. */
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
#include <unistd.h>

#include <cmocka.h>

#include "selfloop.h"
#include "service.h"
#include "transport.h"

/* An address "a.b.c.d" or an IPv6 one, on port. */
static struct listen_addr
inet(const char *host, int port)
{
	struct listen_addr a = {0};
	struct sockaddr_in *v4 = (struct sockaddr_in *)&a.ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a.ss;

	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		a.len = sizeof(*v4);
	} else {
		assert_int_equal(inet_pton(AF_INET6, host, &v6->sin6_addr), 1);
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		a.len = sizeof(*v6);
	}
	return a;
}

static struct listen_addr
unix_path(const char *path)
{
	struct listen_addr a = {0};
	struct sockaddr_un *sun = (struct sockaddr_un *)&a.ss;

	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", path);
	snprintf(a.text, sizeof(a.text), "%s", path);
	a.len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	                    strlen(path) + 1);
	return a;
}

static int
refused(struct ms_service *svc, struct listen_addr peer)
{
	return selfloop_refused(svc, (struct sockaddr *)&peer.ss, peer.len);
}

static void
inet_sources_that_an_answer_would_bring_back(void **state)
{
	struct listen_addr addrs[] = {inet("0.0.0.0", 7000), inet("::", 7001),
	    inet("127.0.0.1", 7002), inet("::1", 7003), inet("::", 7006)};
	struct service_conf sc = {.name = "u",
	    .transport = &transport_udp,
	    .addrs = addrs,
	    .naddrs = 5};
	struct ms_service svc = {.conf = &sc};

	(void)state;
	addrs[4].dual_stack = 1; /* a service manager's, without V6ONLY */
	/* a wildcard listener's port on any address of this host */
	assert_true(refused(&svc, inet("127.0.0.1", 7000)));
	assert_true(refused(&svc, inet("127.3.2.1", 7000)));
	assert_true(refused(&svc, inet("0.0.0.0", 7000)));
	assert_true(refused(&svc, inet("::ffff:127.0.0.1", 7000)));
	assert_false(refused(&svc, inet("192.0.2.1", 7000))); /* TEST-NET */
	assert_true(refused(&svc, inet("::1", 7001)));
	assert_false(refused(&svc, inet("2001:db8::1", 7001)));
	/* IPv4 on [::]'s port: ours take IPv6 only (IPV6_V6ONLY) */
	assert_false(refused(&svc, inet("127.0.0.1", 7001)));
	assert_false(refused(&svc, inet("::ffff:127.0.0.1", 7001)));
	assert_true(refused(&svc, inet("127.0.0.1", 7006)));
	assert_true(refused(&svc, inet("::ffff:127.0.0.1", 7006)));
	/* a listener on one address: that address only */
	assert_true(refused(&svc, inet("127.0.0.1", 7002)));
	assert_true(refused(&svc, inet("::ffff:127.0.0.1", 7002)));
	assert_false(refused(&svc, inet("127.0.0.2", 7002)));
	assert_true(refused(&svc, inet("::1", 7003)));
	assert_false(refused(&svc, inet("127.0.0.1", 7003)));
	/* other ports are clients */
	assert_false(refused(&svc, inet("127.0.0.1", 7004)));
	assert_false(refused(&svc, inet("::1", 7000 + 5)));
}

static void
unix_sources_are_the_listener_by_path_or_by_inode(void **state)
{
	char dir[] = "/tmp/test_selfloop.XXXXXX", sock[64], link[64], other[64];
	struct listen_addr addrs[1];
	struct service_conf sc = {.name = "d",
	    .transport = &transport_unix_dgram,
	    .addrs = addrs,
	    .naddrs = 1};
	struct ms_service svc = {.conf = &sc};
	struct listen_addr unnamed = {.len = sizeof(sa_family_t)};
	int fd, fd2;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/d.sock", dir);
	snprintf(link, sizeof(link), "%s/c.sock", dir);
	snprintf(other, sizeof(other), "%s/o.sock", dir);
	addrs[0] = unix_path(sock);
	fd = transport_unix_dgram.bind(&addrs[0], 0, NULL, 0);
	assert_true(fd >= 0);
	assert_true(addrs[0].ino != 0); /* the file modserv made */
	assert_int_equal(symlink(sock, link), 0);
	assert_true(refused(&svc, unix_path(link)));
	addrs[0] = unix_path(sock); /* as the service manager's: no inode */
	fd2 = socket(AF_UNIX, SOCK_DGRAM, 0);
	{
		struct listen_addr o = unix_path(other);

		assert_int_equal(bind(fd2, (struct sockaddr *)&o.ss, o.len), 0);
		assert_false(refused(&svc, o));
	}
	assert_true(refused(&svc, unix_path(sock)));
	assert_true(refused(&svc, unix_path(link)));
	((struct sockaddr_un *)&unnamed.ss)->sun_family = AF_UNIX;
	assert_false(refused(&svc, unnamed));
	assert_false(refused(&svc, unix_path(""))); /* abstract */
	close(fd);
	close(fd2);
	unlink(link);
	unlink(sock);
	unlink(other);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(inet_sources_that_an_answer_would_bring_back),
	    cmocka_unit_test(unix_sources_are_the_listener_by_path_or_by_inode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
