/* test_loadgen_tls.c - what the benchmark's TLS rows stand on: the load
 * generator speaks TLS to modserv's TLS service and to the hand-written
 * OpenSSL server (baseline_tls) alike, verifies them, checks every reply,
 * makes full handshakes or resumes the session it saved (TLS 1.2 and 1.3,
 * also across the fork model's processes), and says so in its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "certs.h"

#include "harness.h"

/* What a loadgen run printed. */
struct result {
	long long requests, errors, timeouts, handshakes, resumed;
	char tls[128];
	char line[1024]; /* as printed */
};

/* A short run of the load generator against addr with args after -T
 * (the test CA): its line, read. */
static struct result
loadgen(const char *addr, const char *args)
{
	struct result r = {0};
	char cmd[1024], *line = r.line;
	const char *p;
	FILE *f;

	snprintf(cmd, sizeof(cmd),
	    "'%s' -t tcp -a %s -c 4 -s 64 -d 0.5 -T '%s/ca.pem' %s", LOADGEN,
	    addr, tls_certs, args);
	assert_non_null(f = popen(cmd, "r"));
	if (fgets(line, sizeof(r.line), f) == NULL)
		line[0] = '\0';
	assert_int_equal(pclose(f), 0);
	if (sscanf(line, "requests=%lld errors=%lld timeouts=%lld", &r.requests,
	        &r.errors, &r.timeouts) != 3 ||
	    (p = strstr(line, " handshakes=")) == NULL ||
	    sscanf(p, " handshakes=%lld resumed=%lld tls=%127s", &r.handshakes,
	        &r.resumed, r.tls) != 3)
		fail_msg("loadgen said: %s", line);
	return r;
}

/* Every request answered right, none lost. */
static void
all_served(const struct result *r)
{
	if (r->requests == 0 || r->errors || r->timeouts)
		fail_msg("not all served: %s", r->line);
}

/* A new connection a request, each resuming but the first few (the 4
 * connections that start before a session is saved). */
static void
resumes(const char *addr, const char *version)
{
	char args[64];
	struct result r;

	snprintf(args, sizeof(args), "-n -r -V %s", version);
	r = loadgen(addr, args);
	all_served(&r);
	assert_true(r.handshakes > 8);
	assert_true(r.resumed >= r.handshakes - 4);
	assert_non_null(strstr(r.tls, version));
}

static void
start_modserv(const char *model, const char *module)
{
	char keys[1024];

	snprintf(keys, sizeof(keys),
	    "tls = { certificate = \"%s/a.pem\"; key = \"%s/a.key\"; };",
	    tls_certs, tls_certs);
	assert_int_equal(
	    server_start_one(&srv, "tcp", NULL, model, module, keys), 0);
}

static void
modserv_select_answers_every_request_over_tls_13_by_default(void **state)
{
	struct result r;

	(void)state;
	start_modserv("select", "upper");
	r = loadgen(srv.addr[0], "");
	all_served(&r);
	assert_int_equal(r.handshakes, 4); /* persistent: one a connection */
	assert_int_equal(r.resumed, 0);
	assert_string_equal(r.tls, "TLSv1.3/TLS_AES_256_GCM_SHA384");
	assert_int_equal(server_stop(&srv), 0);
}

/* Replies of one record and of four: whole and right under model. */
static void
large_replies_on(const char *model)
{
	struct result r;

	start_modserv(model, "upper");
	r = loadgen(srv.addr[0], "-s 16384");
	all_served(&r);
	r = loadgen(srv.addr[0], "-s 65536");
	all_served(&r);
	assert_int_equal(server_stop(&srv), 0);
}

/* select's socket does not block: a large reply goes out from the
 * module's buffer, what the socket does not take then queued. */
static void
large_replies_are_answered_whole_under_select(void **state)
{
	(void)state;
	large_replies_on("select");
}

/* thread's blocks: a large reply is queued, then flushed. */
static void
large_replies_are_answered_whole_under_thread(void **state)
{
	(void)state;
	large_replies_on("thread");
}

static void
a_reply_that_is_not_the_one_expected_is_an_error(void **state)
{
	struct result r;

	(void)state;
	start_modserv("select", "echo");
	r = loadgen(srv.addr[0], "");
	assert_int_equal(r.requests, 0);
	assert_true(r.errors > 0);
	assert_int_equal(server_stop(&srv), 0);
}

static void
new_connections_make_full_handshakes_unless_told_to_resume(void **state)
{
	struct result r;

	(void)state;
	start_modserv("select", "upper");
	r = loadgen(srv.addr[0], "-n -V 1.2");
	all_served(&r);
	assert_true(r.handshakes >= r.requests);
	assert_int_equal(r.resumed, 0);
	assert_non_null(strstr(r.tls, "TLSv1.2/"));
	assert_int_equal(server_stop(&srv), 0);
}

/* model's service resumes the sessions of both versions. */
static void
resumes_on(const char *model)
{
	start_modserv(model, "upper");
	resumes(srv.addr[0], "1.2");
	resumes(srv.addr[0], "1.3");
	assert_int_equal(server_stop(&srv), 0);
}

static void
select_resumes_the_saved_session_on_tls_12_and_13(void **state)
{
	(void)state;
	resumes_on("select");
}

/* Each connection is a process of its own: the ticket one made resumes
 * in the next. */
static void
fork_resumes_across_its_request_processes(void **state)
{
	(void)state;
	resumes_on("fork");
}

static void
the_hand_written_server_answers_and_resumes_alike(void **state)
{
	const char *argv[] = {BASELINE_TLS, NULL, NULL, "127.0.0.1:0", NULL};
	char cert[300], key[300], addr[64];
	const char *at;
	struct result r;

	(void)state;
	snprintf(cert, sizeof(cert), "%s/b.pem", tls_certs); /* RSA */
	snprintf(key, sizeof(key), "%s/b.key", tls_certs);
	argv[1] = cert;
	argv[2] = key;
	assert_int_equal(server_spawn(&srv, argv), 0);
	assert_true(server_wait_log(&srv, "\n", 5000));
	at = strstr(server_log(&srv, 0), "listening on ");
	assert_non_null(at);
	assert_int_equal(sscanf(at, "listening on %63s", addr), 1);
	r = loadgen(addr, "-s 16384");
	all_served(&r);
	r = loadgen(addr, "-n -V 1.3");
	all_served(&r);
	assert_int_equal(r.resumed, 0);
	resumes(addr, "1.2");
	resumes(addr, "1.3");
	assert_int_equal(server_stop(&srv), 128 + 15); /* SIGTERM ends it */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    SRV_TEST(
	        modserv_select_answers_every_request_over_tls_13_by_default),
	    SRV_TEST(large_replies_are_answered_whole_under_select),
	    SRV_TEST(large_replies_are_answered_whole_under_thread),
	    SRV_TEST(a_reply_that_is_not_the_one_expected_is_an_error),
	    SRV_TEST(
	        new_connections_make_full_handshakes_unless_told_to_resume),
	    SRV_TEST(select_resumes_the_saved_session_on_tls_12_and_13),
	    SRV_TEST(fork_resumes_across_its_request_processes),
	    SRV_TEST(the_hand_written_server_answers_and_resumes_alike),
	};

	return cmocka_run_group_tests_name(
	    "bench_tls", tests, tls_certs_setup, tls_certs_teardown);
}
