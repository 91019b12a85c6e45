/* test_accesslog.c - the access log's lines: every variable of a format
 * string, the default line, JSON with the odd bytes a unix peer's path may
 * hold, and the formats the configuration refuses. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <cmocka.h>

#include "accesslog.h"

static struct sockaddr_in client4, balancer4;
static struct sockaddr_in6 client6;
static char line[2048], why[512];

/* A request of 5 bytes in, 7 out, 12 ms, from 192.0.2.1:56324 through
 * the balancer 198.51.100.2:443, ended by the client at a known time. */
static struct accesslog_entry
entry(void)
{
	struct accesslog_entry e = {
	    .when = {1796126124, 20000}, /* 2026-12-01 11:55:24.020 UTC */
	    .service = "upper",
	    .transport = "tcp",
	    .model = "thread",
	    .pid = 4321,
	    .client = (struct sockaddr *)&client4,
	    .clientlen = sizeof(client4),
	    .balancer = (struct sockaddr *)&balancer4,
	    .balancerlen = sizeof(balancer4),
	    .duration_ms = 12,
	    .bytes_in = 5,
	    .bytes_out = 7,
	    .end = ACCESSLOG_END_CLIENT_CLOSED,
	};

	return e;
}

static const char *
format(const char *spec, const struct accesslog_entry *e)
{
	struct accesslog_format *f = accesslog_compile(spec, why, sizeof(why));
	size_t n;

	assert_non_null(f);
	n = accesslog_format_line(f, e, line, sizeof(line));
	accesslog_format_free(f);
	assert_true(n > 0 && line[n - 1] == '\n');
	line[n - 1] = '\0';
	assert_int_equal(strlen(line), n - 1); /* one line, no NUL in it */
	return line;
}

static int
setup(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	client4.sin_family = AF_INET;
	client4.sin_port = htons(56324);
	inet_pton(AF_INET, "192.0.2.1", &client4.sin_addr);
	balancer4.sin_family = AF_INET;
	balancer4.sin_port = htons(443);
	inet_pton(AF_INET, "198.51.100.2", &balancer4.sin_addr);
	client6.sin6_family = AF_INET6;
	client6.sin6_port = htons(8080);
	inet_pton(AF_INET6, "2001:db8::1", &client6.sin6_addr);
	return 0;
}

static void
every_variable_of_a_format_string_has_its_value(void **state)
{
	struct accesslog_entry e = entry();

	(void)state;
	assert_string_equal(
	    format("$time_iso8601|$time_local|$msec|$service|$transport|"
	           "$model|$pid|$client|$remote_addr|$remote_port|"
	           "$proxy_addr|$duration_ms|$bytes_in|$bytes_out|$end|"
	           "$reason|$repeat",
	        &e),
	    "2026-12-01T11:55:24.020+00:00|01/Dec/2026:11:55:24 +0000|"
	    "1796126124.020|upper|tcp|thread|4321|192.0.2.1:56324|192.0.2.1|"
	    "56324|198.51.100.2:443|12|5|7|client_closed|-|0");
	/* ${name} where a word follows; a lone '$' and other text stay */
	assert_string_equal(format("${duration_ms}ms $ cost: ${bytes_in}B", &e),
	    "12ms $ cost: 5B");
	e.client = (struct sockaddr *)&client6;
	e.clientlen = sizeof(client6);
	e.balancer = NULL;
	assert_string_equal(format("$client $remote_addr $remote_port "
	                           "$proxy_addr",
	                        &e),
	    "[2001:db8::1]:8080 2001:db8::1 8080 -");
}

static void
every_end_has_its_name(void **state)
{
	static const char *const names[] = {"client_closed", "module_closed",
	    "idle", "max_request", "handle_timeout", "error", "stop",
	    "module_refused", "answered", "unanswered", "refused"};
	struct accesslog_entry e = entry();

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		e.end = (enum accesslog_end)(ACCESSLOG_END_CLIENT_CLOSED + i);
		assert_string_equal(format("$end", &e), names[i]);
	}
}

static void
the_default_line_reads_as_a_sentence(void **state)
{
	struct accesslog_entry e = entry();

	(void)state;
	assert_string_equal(format("default", &e),
	    "2026-12-01T11:55:24.020+00:00 upper tcp 192.0.2.1:56324 via "
	    "198.51.100.2:443 thread 4321 12 ms in 5 out 7 client_closed");
	e.balancer = NULL;
	e.end = ACCESSLOG_END_REFUSED;
	e.reason = "allow/deny";
	assert_string_equal(format("default", &e),
	    "2026-12-01T11:55:24.020+00:00 upper tcp 192.0.2.1:56324 thread "
	    "4321 refused (allow/deny)");
	e.repeat = 4999;
	e.window = 1;
	assert_string_equal(format("default", &e),
	    "2026-12-01T11:55:24.020+00:00 upper tcp 192.0.2.1:56324 thread "
	    "4321 refused (allow/deny) and 4999 more in the last 1 s");
	assert_string_equal(format("$reason $repeat", &e), "allow/deny 4999");
}

/* A unix peer bound to a path of odd bytes: quote, backslash, newline,
 * tab, a control byte, DEL, a byte that is not UTF-8, and an é that is. */
static struct sockaddr_un odd_peer;

static socklen_t
odd_path(void)
{
	static const char path[] = "/tmp/a\"b\\c\nd\te\x01"
	                           "f\x7fg\xffh\xc3\xa9";

	odd_peer.sun_family = AF_UNIX;
	memcpy(odd_peer.sun_path, path, sizeof(path) - 1);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
	                   sizeof(path) - 1);
}

static void
json_escapes_odd_bytes_as_rfc_8259_says(void **state)
{
	struct accesslog_entry e = entry();
	const char *j;

	(void)state;
	e.client = (struct sockaddr *)&odd_peer;
	e.clientlen = odd_path();
	e.balancer = NULL;
	e.transport = "unix";
	j = format("json", &e);
	assert_non_null(strstr(j, "\"client\":\"/tmp/a\\\"b\\\\c\\nd\\te"
	                          "\\u0001f\\u007fg\\u00ffh\xc3\xa9\""));
	assert_non_null(strstr(j, "\"remote_port\":\"-\""));
	/* numbers bare, every variable a member, in order */
	assert_non_null(strstr(j, "{\"time_iso8601\":\"2026-12-01T11:55:24"
	                          ".020+00:00\",\"time_local\":"));
	assert_non_null(strstr(j, ",\"msec\":1796126124.020,"));
	assert_non_null(strstr(j, ",\"pid\":4321,"));
	assert_non_null(strstr(j, ",\"proxy_addr\":\"-\",\"duration_ms\":12,"
	                          "\"bytes_in\":5,\"bytes_out\":7,\"end\":"
	                          "\"client_closed\",\"reason\":\"-\","
	                          "\"repeat\":0,\"tls_protocol\":\"-\","));
	/* nothing below 0x20 is left raw */
	for (const char *p = j; *p; p++)
		assert_true((unsigned char)*p >= 0x20);
}

static void
the_tls_variables_tell_the_connections_facts_and_dashes_without(void **state)
{
	struct accesslog_entry e = entry();
	const char *spec = "$tls_protocol $tls_cipher ${tls_sni}|$tls_resumed "
	                   "$tls_client_s_dn";

	(void)state;
	assert_string_equal(format(spec, &e), "- - -|- -");
	e.tls[ACCESSLOG_TLS_PROTOCOL] = "TLSv1.3";
	e.tls[ACCESSLOG_TLS_CIPHER] = "TLS_AES_256_GCM_SHA384";
	e.tls[ACCESSLOG_TLS_SNI] = "a.example";
	e.tls[ACCESSLOG_TLS_RESUMED] = "Resumed";
	e.tls[ACCESSLOG_TLS_CLIENT_S_DN] = "CN=a \"b\",O=x";
	assert_string_equal(format(spec, &e),
	    "TLSv1.3 TLS_AES_256_GCM_SHA384 a.example|Resumed "
	    "CN=a \\x22b\\x22,O=x");
	assert_non_null(strstr(format("json", &e),
	    ",\"tls_protocol\":\"TLSv1.3\",\"tls_cipher\":"
	    "\"TLS_AES_256_GCM_SHA384\",\"tls_sni\":\"a.example\","
	    "\"tls_resumed\":\"Resumed\",\"tls_client_s_dn\":"
	    "\"CN=a \\\"b\\\",O=x\"}"));
}

/* The facts are read only for a format that tells them. */
static void
only_json_and_tls_variables_need_the_tls_facts(void **state)
{
	const char *yes[] = {"json", "$client $tls_sni", NULL};
	const char *no[] = {"default", "$client $end", NULL};

	(void)state;
	for (size_t i = 0; yes[i]; i++) {
		struct accesslog_format *f =
		    accesslog_compile(yes[i], why, sizeof(why));

		assert_true(accesslog_format_tls(f));
		accesslog_format_free(f);
	}
	for (size_t i = 0; no[i]; i++) {
		struct accesslog_format *f =
		    accesslog_compile(no[i], why, sizeof(why));

		assert_false(accesslog_format_tls(f));
		accesslog_format_free(f);
	}
}

static void
plain_lines_escape_odd_bytes_as_nginx_does(void **state)
{
	struct accesslog_entry e = entry();

	(void)state;
	e.client = (struct sockaddr *)&odd_peer;
	e.clientlen = odd_path();
	assert_string_equal(format("[$client]", &e),
	    "[/tmp/a\\x22b\\x5Cc\\x0Ad\\x09e\\x01f\\x7Fg\\xFFh\\xC3\\xA9]");
}

static void
a_line_too_long_is_cut_and_still_ends_in_a_newline(void **state)
{
	struct accesslog_entry e = entry();
	struct accesslog_format *f =
	    accesslog_compile("$service $service $service", why, sizeof(why));
	char small[10];

	(void)state;
	assert_non_null(f);
	assert_int_equal(
	    accesslog_format_line(f, &e, small, sizeof(small)), sizeof(small));
	assert_memory_equal(small, "upper upp\n", sizeof(small));
	accesslog_format_free(f);
}

/* A JSON line too long for ACCESSLOG_LINE_MAX (a service named with 250
 * quotes, a peer's name of 107 control bytes: 6 bytes each escaped) is
 * not cut mid-member, which would not parse: its values are cut, every
 * member kept. */
static void
a_json_line_too_long_still_parses(void **state)
{
	static char name[251], big[ACCESSLOG_LINE_MAX];
	struct accesslog_entry e = entry();
	struct sockaddr_un peer = {.sun_family = AF_UNIX};
	struct accesslog_format *f =
	    accesslog_compile("json", why, sizeof(why));
	size_t n;

	(void)state;
	memset(name, '"', sizeof(name) - 1);
	memset(peer.sun_path + 1, 1, 107); /* abstract */
	e.service = name;
	e.transport = "unix";
	e.client = (struct sockaddr *)&peer;
	e.clientlen = sizeof(peer);
	e.balancer = NULL;
	n = accesslog_format_line(f, &e, big, sizeof(big));
	accesslog_format_free(f);
	assert_true(n > 1 && n < sizeof(big));
	big[n - 1] = '\0';
	assert_non_null(strstr(big, ",\"repeat\":0,\"tls_protocol\":\"-\","));
	assert_int_equal(big[n - 2], '}');
	assert_non_null(strstr(big, "\"service\":\"\\\"\\\""));
	assert_non_null(strstr(big, "\"client\":\"@\\u0001"));
	for (const char *p = big; *p; p++)
		assert_true((unsigned char)*p >= 0x20);
}

static void
a_format_with_an_unknown_variable_is_refused(void **state)
{
	(void)state;
	assert_null(accesslog_compile("$client $bytes_sent", why, sizeof(why)));
	assert_non_null(strstr(why, "\"$bytes_sent\" is not a variable"));
	assert_non_null(strstr(why, "$duration_ms"));
	assert_null(accesslog_compile("${end", why, sizeof(why)));
	assert_string_equal(why, "\"${end\": no \"}\" after it");
	assert_null(accesslog_compile("${nope}", why, sizeof(why)));
	assert_non_null(strstr(why, "${nope}"));
	/* "JSON" is not "json": a line of one word, every time */
	assert_null(accesslog_compile("JSON", why, sizeof(why)));
	assert_non_null(strstr(why, "\"JSON\" names no variable"));
	assert_null(accesslog_compile("$ and $$", why, sizeof(why)));
	struct accesslog_format *f =
	    accesslog_compile("$$client", why, sizeof(why));

	assert_non_null(f);
	accesslog_format_free(f);
}

static void
access_log_targets(void **state)
{
	enum accesslog_target t;

	(void)state;
	assert_int_equal(accesslog_target_parse("main", &t), 0);
	assert_int_equal(t, ACCESSLOG_MAIN);
	assert_int_equal(accesslog_target_parse("off", &t), 0);
	assert_int_equal(t, ACCESSLOG_OFF);
	assert_int_equal(accesslog_target_parse("syslog", &t), 0);
	assert_int_equal(t, ACCESSLOG_SYSLOG);
	assert_int_equal(accesslog_target_parse("/var/log/a.log", &t), 0);
	assert_int_equal(t, ACCESSLOG_FILE);
	assert_int_equal(accesslog_target_parse("", &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_variable_of_a_format_string_has_its_value),
	    cmocka_unit_test(every_end_has_its_name),
	    cmocka_unit_test(the_default_line_reads_as_a_sentence),
	    cmocka_unit_test(json_escapes_odd_bytes_as_rfc_8259_says),
	    cmocka_unit_test(
	        the_tls_variables_tell_the_connections_facts_and_dashes_without),
	    cmocka_unit_test(only_json_and_tls_variables_need_the_tls_facts),
	    cmocka_unit_test(plain_lines_escape_odd_bytes_as_nginx_does),
	    cmocka_unit_test(
	        a_line_too_long_is_cut_and_still_ends_in_a_newline),
	    cmocka_unit_test(a_json_line_too_long_still_parses),
	    cmocka_unit_test(a_format_with_an_unknown_variable_is_refused),
	    cmocka_unit_test(access_log_targets),
	};

	return cmocka_run_group_tests_name("accesslog", tests, setup, NULL);
}
