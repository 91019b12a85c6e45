/* test_refusals.c - item 9 of issue 15: the first refusal of a kind from a
 * source is logged, the others counted and summarised; a flood from more
 * sources than the table holds is summarised together, memory bounded. */
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

#include "accesslog_format.h"
#include "config.h"
#include "log.h"
#include "model.h"
#include "transport.h"
#include "refusals.h"
#include "service.h"

static struct service_conf conf = {.name = "s"};
static struct ms_service svc = {.conf = &conf};
static char log_file[] = "/tmp/modserv-refusals.XXXXXX", text[1 << 16];
static int saved_stderr = -1;

/* The log goes to a file of ours while a test runs. */
static int
setup(void **state)
{
	int fd = mkstemp(log_file);

	(void)state;
	conf.access_target = ACCESSLOG_OFF;
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	return refusals_init(&svc);
}

static int
teardown(void **state)
{
	(void)state;
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	unlink(log_file);
	return 0;
}

/* What was logged since the last call. */
static const char *
logged(void)
{
	static long seen;
	FILE *f = fopen(log_file, "r");
	size_t n;

	fseek(f, seen, SEEK_SET);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	seen += (long)n;
	fclose(f);
	return text;
}

static int
count(const char *s, const char *what)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, what)) != NULL; p++)
		n++;
	return n;
}

static struct sockaddr_in
from(const char *addr, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};

	inet_pton(AF_INET, addr, &a.sin_addr);
	return a;
}

static void
refuse(enum refusal_kind kind, struct sockaddr_in a)
{
	refusals_note(&svc, kind, (struct sockaddr *)&a, sizeof(a), NULL, 0,
	    MS_LOG_INFO,
	    kind == REFUSAL_ALLOW_DENY ? "refused by allow/deny"
	                               : "refused (per_source)");
}

static void
the_first_is_logged_the_rest_counted_and_summarised(void **state)
{
	(void)state;
	assert_int_equal(refusals_tick(&svc, 0), -1); /* nothing owed */
	for (int i = 0; i < 1000; i++) /* from one address, many ports */
		refuse(REFUSAL_ALLOW_DENY, from("192.0.2.7", 1000 + i));
	assert_int_equal(count(logged(), "\n"), 1);
	assert_non_null(strstr(text, "192.0.2.7:1000: refused by allow/deny"));
	/* a summary is owed within the window */
	int due = refusals_tick(&svc, 0);
	assert_true(due > 0 && due <= REFUSALS_WINDOW_MS);
	refusals_tick(&svc, 1);
	assert_int_equal(count(logged(), "\n"), 1);
	assert_non_null(strstr(text, "refused (allow/deny): and 999 more from "
	                             "192.0.2.7 in the last "));
	assert_int_equal(refusals_tick(&svc, 0), -1);
}

static void
kinds_and_sources_are_counted_apart(void **state)
{
	(void)state;
	for (int i = 0; i < 10; i++) {
		refuse(REFUSAL_ALLOW_DENY, from("198.51.100.1", 1));
		refuse(REFUSAL_PER_SOURCE, from("198.51.100.1", 1));
		refuse(REFUSAL_ALLOW_DENY, from("198.51.100.2", 1));
	}
	assert_int_equal(count(logged(), "\n"), 3);
	refusals_tick(&svc, 1);
	logged();
	assert_int_equal(count(text, "and 9 more"), 3);
	assert_non_null(strstr(text, "refused (per_source): and 9 more from "
	                             "198.51.100.1"));
}

static void
more_sources_than_the_table_holds_are_summarised_together(void **state)
{
	char addr[32];
	const char *p;
	int others, full, more;

	(void)state;
	for (int i = 0; i < REFUSALS_SLOTS + 44; i++) {
		snprintf(
		    addr, sizeof(addr), "10.0.%d.%d", i / 250, i % 250 + 1);
		refuse(REFUSAL_ALLOW_DENY, from(addr, 9));
	}
	/* the sources of the tests before may hold slots still (for their
	 * window): every refusal is told, the table's worth one by one */
	logged();
	full = count(text, "refused by allow/deny\n");
	assert_true(full <= REFUSALS_SLOTS && full >= REFUSALS_SLOTS - 4);
	refusals_tick(&svc, 1);
	logged();
	p = strstr(text, " more from at least ");
	assert_non_null(p);
	while (p > text && p[-1] != ' ')
		p--;
	more = atoi(p);
	assert_int_equal(full + more, REFUSALS_SLOTS + 44);
	p = strstr(text, " more from at least ") +
	    strlen(" more from at least ");
	others = atoi(p);
	assert_true(others >= 1 && others <= more); /* a bit a source, hashed */
	assert_non_null(strstr(p, " other sources in the last "));
}

/* A unix peer names itself: a newline in its (abstract) name must not
 * start a forged line of the main log, in the refusal or its summary. */
static void
a_unix_peers_name_cannot_forge_a_line(void **state)
{
	static const char name[] = "\0evil\n2026-12-01 00:00:00.000 [1] "
	                           "error forged\x1b[31m\\\xff";
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	socklen_t len =
	    offsetof(struct sockaddr_un, sun_path) + sizeof(name) - 1;

	(void)state;
	refusals_tick(&svc, 1); /* the tests before filled the table */
	logged();
	usleep((REFUSALS_WINDOW_MS + 100) * 1000);
	memcpy(a.sun_path, name, sizeof(name) - 1);
	for (int i = 0; i < 3; i++)
		refusals_note(&svc, REFUSAL_PROXY_HEADER, (struct sockaddr *)&a,
		    len, NULL, 0, MS_LOG_INFO, "no PROXY protocol header");
	refusals_tick(&svc, 1);
	logged();
	assert_int_equal(count(text, "\n"), 2);
	assert_null(strchr(text, '\x1b'));
	assert_null(strchr(text, '\xff'));
	assert_non_null(strstr(text, "@evil\\x0A2026-12-01 00:00:00.000 [1] "
	                             "error forged\\x1B[31m\\x5C\\xFF: no "
	                             "PROXY protocol header\n"));
	assert_non_null(strstr(text, "and 2 more from @evil\\x0A2026"));
}

/* With the access log in the main log, a refusal's line is its access
 * line, which every log level shows: it is not lost at warn. */
static void
a_refusal_in_the_main_log_is_not_lost_at_warn(void **state)
{
	char why[256];

	(void)state;
	conf.transport = transport_find("tcp");
	conf.model = model_find("thread");
	conf.access_target = ACCESSLOG_MAIN;
	conf.access_format = accesslog_compile("default", why, sizeof(why));
	assert_non_null(conf.access_format);
	log_set_level(MS_LOG_WARN);
	refuse(REFUSAL_ALLOW_DENY, from("203.0.113.9", 7));
	assert_int_equal(count(logged(), "\n"), 1);
	assert_non_null(strstr(text, "access s: "));
	assert_non_null(strstr(text, "203.0.113.9"));
	assert_non_null(strstr(text, "refused"));
	/* at info the refusal's own line says it, once */
	log_set_level(MS_LOG_INFO);
	refuse(REFUSAL_ALLOW_DENY, from("203.0.113.10", 7));
	assert_int_equal(count(logged(), "\n"), 1);
	assert_non_null(strstr(text, "203.0.113.10:7: refused by allow/deny"));
	conf.access_target = ACCESSLOG_OFF;
	accesslog_format_free(conf.access_format);
	conf.access_format = NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        the_first_is_logged_the_rest_counted_and_summarised),
	    cmocka_unit_test(kinds_and_sources_are_counted_apart),
	    cmocka_unit_test(
	        more_sources_than_the_table_holds_are_summarised_together),
	    cmocka_unit_test(a_unix_peers_name_cannot_forge_a_line),
	    cmocka_unit_test(a_refusal_in_the_main_log_is_not_lost_at_warn),
	};

	return cmocka_run_group_tests_name("refusals", tests, setup, teardown);
}
