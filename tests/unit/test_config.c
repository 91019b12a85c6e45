/* test_config.c - every configuration mistake is one line naming file:line
 * and the key; good files become the structs the host runs on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "model.h"
#include "modserv.h"
#include "transport.h"

static char dir[] = "/tmp/modserv-config.XXXXXX";
static char file[128], err[1024];
static struct config cfg;

/* A service block with the given keys, after a module_path line. */
#define HEAD "module_path = [ \"" MODSERV_MODULES "\" ];\n"
#define SERVICES(...) "services = ( {\n" __VA_ARGS__ "} );\n"
#define SVC(...) HEAD SERVICES(__VA_ARGS__)
#define GOOD                                                                   \
	"name = \"s\";\ntransport = \"tcp\";\nlisten = \"127.0.0.1:0\";\n"     \
	"module = \"echo\";\n"

#define GOOD2                                                                  \
	"name = \"t\";\ntransport = \"tcp\";\nlisten = \"127.0.0.1:1\";\n"     \
	"module = \"echo\";\n"

static int
load(const char *text)
{
	FILE *f = fopen(file, "w");

	fputs(text, f);
	fclose(f);
	config_free(&cfg);
	err[0] = '\0';
	return config_load(file, &cfg, err, sizeof(err));
}

/* Asserts loading text fails with "FILE:line: " + msg. */
static void
fails_with(const char *text, int line, const char *msg)
{
	char want[1200];

	assert_int_equal(load(text), -1);
	if (line > 0)
		snprintf(want, sizeof(want), "%s:%d: %s", file, line, msg);
	else
		snprintf(want, sizeof(want), "%s: %s", file, msg);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("error:  %s\nwanted: %s", err, want);
}

static void
a_good_file_gives_services_with_safe_defaults(void **state)
{
	(void)state;
	assert_int_equal(load(SVC(GOOD)), 0);
	assert_int_equal(cfg.nservices, 1);
	assert_string_equal(cfg.services[0].name, "s");
	assert_ptr_equal(cfg.services[0].transport, &transport_tcp);
	assert_string_equal(cfg.services[0].model->name, "thread");
	assert_int_equal(cfg.services[0].max_clients, 1024);
	assert_string_equal(cfg.services[0].addrs[0].text, "127.0.0.1:0");
	assert_non_null(strstr(cfg.services[0].module_file, "/echo.so"));
	assert_true(cfg.shutdown_timeout == 10.0);
}

static void
every_default_comes_from_the_key_table(void **state)
{
	const struct service_conf *sc;

	(void)state;
	assert_int_equal(load(SVC(GOOD)), 0);
	sc = &cfg.services[0];
	assert_int_equal(cfg.log_level, MS_LOG_INFO);
	assert_int_equal(cfg.syslog_facility, LOG_DAEMON);
	assert_true(cfg.check_timeout == 30.0);
	assert_true(cfg.drain_delay == 0.0);
	assert_int_equal(sc->workers, 1);
	assert_int_equal(sc->backlog, SOMAXCONN);
	assert_int_equal(sc->blocking_threads, 4);
	assert_int_equal(sc->thread_stack, 256 << 10);
	assert_int_equal(sc->spare_threads, 64);
	assert_int_equal(sc->max_request, 4 << 20);
	assert_true(sc->rate_pause == 10.0);
	assert_true(sc->idle_timeout == 300.0);
	assert_true(sc->handle_timeout == 30.0);
	assert_int_equal(sc->socket_mode, -1);
	assert_null(sc->user);
}

static void
a_service_inherits_user_and_group_from_the_top(void **state)
{
	(void)state;
	assert_int_equal(load("user = \"nobody\";\ngroup = \"nogroup\";\n" HEAD
	                      "services = ( {\n" GOOD "}, {\n" GOOD2
	                      "user = \"daemon\";\n} );\n"),
	    0);
	assert_string_equal(cfg.services[0].user, "nobody");
	assert_string_equal(cfg.services[0].group, "nogroup");
	assert_string_equal(cfg.services[1].user, "daemon");
	assert_string_equal(cfg.services[1].group, "nogroup");
}

static void
a_word_from_a_list_is_stored_or_the_list_is_named(void **state)
{
	(void)state;
	assert_int_equal(load("syslog_facility = \"local3\";\n" SVC(GOOD)), 0);
	assert_int_equal(cfg.syslog_facility, LOG_LOCAL3);
	fails_with("syslog_facility = \"kern\";\n" SVC(GOOD), 1,
	    "syslog_facility: \"kern\" is not one of daemon, user, local0, "
	    "local1, local2, local3, local4, local5, local6, local7");
	fails_with("syslog_facility = 3;\n" SVC(GOOD), 1,
	    "syslog_facility: is an integer, expected a string");
}

static void
every_key_is_read(void **state)
{
	(void)state;
	assert_int_equal(
	    load("log_level = \"debug\";\nshutdown_timeout = 2.5;\n" HEAD
	            SERVICES(GOOD "model = \"select\";\nmax_clients = 7;\n"
	                          "backlog = 16;\noptions = { a = \"x\"; "
	                          "b = 5; c = true; d = [\"p\", \"q\"]; };\n")),
	    0);
	assert_int_equal(cfg.log_level, 3);
	assert_true(cfg.shutdown_timeout == 2.5);
	assert_string_equal(cfg.services[0].model->name, "select");
	assert_int_equal(cfg.services[0].max_clients, 7);
	assert_int_equal(cfg.services[0].backlog, 16);
	assert_int_equal(cfg.services[0].noptions, 4);
	assert_string_equal(cfg.services[0].options[0].str, "x");
	assert_int_equal(cfg.services[0].options[1].num, 5);
	assert_int_equal(cfg.services[0].options[2].num, 1);
	assert_int_equal(cfg.services[0].options[3].nlist, 2);
	assert_string_equal(cfg.services[0].options[3].list[1], "q");
	assert_int_equal(cfg.services[0].options[3].line, 12);
}

static void
access_log_keys_default_from_the_top_and_are_checked(void **state)
{
	(void)state;
	assert_int_equal(load(SVC(GOOD)), 0);
	assert_int_equal(cfg.services[0].access_target, ACCESSLOG_MAIN);
	assert_string_equal(cfg.services[0].access_log_format, "default");
	assert_int_equal(cfg.services[0].access_log_skip_empty, 0);
	/* the top level is every service's default; a service's own wins */
	assert_int_equal(
	    load("access_log = \"off\";\naccess_log_format = \"json\";\n"
	         "access_log_skip_empty = true;\n" HEAD "services = ( {\n" GOOD
	         "}, {\n" GOOD2 "access_log = \"a.log\";\n"
	         "access_log_format = \"$client $end\";\n} );\n"),
	    0);
	assert_int_equal(cfg.services[0].access_target, ACCESSLOG_OFF);
	assert_string_equal(cfg.services[0].access_log_format, "json");
	assert_int_equal(cfg.services[0].access_log_skip_empty, 1);
	assert_int_equal(cfg.services[1].access_target, ACCESSLOG_FILE);
	assert_string_equal(cfg.services[1].access_log + strlen(dir), "/a.log");
	assert_string_equal(cfg.services[1].access_log_format, "$client $end");
	fails_with(SVC(GOOD "access_log_format = \"$client $bytes_sent\";\n"),
	    7,
	    "services.[0].access_log_format: \"$bytes_sent\" is not a "
	    "variable: the variables are $time_iso8601");
	fails_with(SVC(GOOD "access_log = \"\";\n"), 7,
	    "services.[0].access_log: is empty");
	fails_with(SVC(GOOD "access_log = \"/nonexistent/a.log\";\n"), 7,
	    "services.[0].access_log: /nonexistent/a.log goes in /nonexistent");
	fails_with(HEAD "access_log_skip_empty = 1;\n" SERVICES(GOOD), 2,
	    "access_log_skip_empty: is an integer, expected a boolean");
}

/* What the models can do is asked of the models: the refusal names those
 * that can count a client a PROXY header names. */
static void
per_source_behind_a_balancer_is_refused_where_a_model_cannot_count_it(
    void **state)
{
	(void)state;
	assert_int_equal(
	    load(SVC(GOOD "model = \"select\";\n"
	                  "proxy_protocol = true;\nper_source = 2;\n")),
	    0);
	fails_with(SVC(GOOD "model = \"fork\";\nproxy_protocol = true;\n"
	                    "per_source = 2;\n"),
	    2,
	    "services.[0]: per_source with proxy_protocol needs one of the "
	    "models thread, select: under fork the client is known only in "
	    "the request's own process");
}

static void
a_syntax_error_names_its_line(void **state)
{
	(void)state;
	fails_with(
	    HEAD "\nservices = ( { name = \"s\" ; } ;\n", 3, "syntax error");
}

static void
unknown_keys_are_refused(void **state)
{
	(void)state;
	fails_with(HEAD "colour = \"blue\";\n" SERVICES(GOOD), 2,
	    "colour: unknown key");
	fails_with(SVC(GOOD "listen_port = 80;\n"), 7,
	    "services.[0].listen_port: unknown key");
}

static void
wrong_types_are_refused(void **state)
{
	(void)state;
	fails_with(SVC("name = 5;\n"
	               "transport = \"tcp\";\n"),
	    3, "services.[0].name: is an integer, expected a string");
	fails_with(SVC(GOOD "max_clients = \"many\";\n"), 7,
	    "services.[0].max_clients: is a string, expected an integer");
	fails_with(SVC(GOOD "max_clients = 0;\n"), 7,
	    "services.[0].max_clients: 0 is not in 1..1048576");
	fails_with(SVC(GOOD "options = { x = 1.5; };\n"), 7,
	    "services.[0].options.x: is a number with a point; an option is");
	fails_with(HEAD "shutdown_timeout = -1;\n" SERVICES(GOOD), 2,
	    "shutdown_timeout: -1 is not in 0..3600 seconds");
	fails_with(HEAD "log_level = \"loud\";\n" SERVICES(GOOD), 2,
	    "log_level: \"loud\" is not one of error, warn, info, debug");
}

static void
bad_transport_and_model_names_list_the_good_ones(void **state)
{
	(void)state;
	fails_with(SVC("name = \"s\";\ntransport = \"tpc\";\n"), 4,
	    "services.[0].transport: \"tpc\" is not one of tcp, udp, unix, "
	    "unix-dgram");
	fails_with(SVC(GOOD "model = \"async\";\n"), 7,
	    "services.[0].model: \"async\" is not one of thread, fork, select");
}

static void
an_unparsable_address_is_refused(void **state)
{
	(void)state;
	fails_with(SVC("name = \"s\";\ntransport = \"udp\";\n"
	               "listen = \"localhost\";\nmodule = \"echo\";\n"),
	    5, "services.[0].listen: \"localhost\" is not host:port");
	fails_with(SVC("name = \"s\";\ntransport = \"tcp\";\n"
	               "listen = \"127.0.0.1:99999\";\nmodule = \"echo\";\n"),
	    5, "services.[0].listen: \"127.0.0.1:99999\" is not host:port");
}

static void
required_keys_are_named_when_missing(void **state)
{
	(void)state;
	fails_with(SVC("name = \"s\";\ntransport = \"tcp\";\n"
	               "module = \"echo\";\n"),
	    2, "services.[0].listen: is required and missing");
	fails_with(HEAD, 0, "services: is required and missing");
	fails_with(HEAD "services = ( );\n", 2, "services: names no service");
}

static void
duplicate_names_and_addresses_are_refused(void **state)
{
	(void)state;
	fails_with(HEAD "services = (\n"
	                "{ name = \"a\"; transport = \"tcp\"; listen = "
	                "\"127.0.0.1:7001\"; module = \"echo\"; },\n"
	                "{ name = \"a\"; transport = \"tcp\"; listen = "
	                "\"127.0.0.1:7002\"; module = \"echo\"; } );\n",
	    4,
	    "services.[1]: name \"a\" is already used by services.[0] (line "
	    "3)");
	fails_with(HEAD "services = (\n"
	                "{ name = \"a\"; transport = \"tcp\"; listen = "
	                "\"127.0.0.1:7001\"; module = \"echo\"; },\n"
	                "{ name = \"b\"; transport = \"tcp\"; listen = "
	                "\":7001\"; module = \"echo\"; } );\n",
	    4,
	    "services.[1]: listen tcp 127.0.0.1:7001 is already used by "
	    "service \"a\"");
	/* port 0 is any free port: two services may both ask for it */
	assert_int_equal(
	    load(HEAD "services = (\n"
	              "{ name = \"a\"; transport = \"tcp\"; listen = "
	              "\"127.0.0.1:0\"; module = \"echo\"; },\n"
	              "{ name = \"b\"; transport = \"tcp\"; listen = "
	              "\"127.0.0.1:0\"; module = \"echo\"; } );\n"),
	    0);
	/* the same port over udp is another address */
	assert_int_equal(
	    load(HEAD "services = (\n"
	              "{ name = \"a\"; transport = \"tcp\"; listen = "
	              "\"127.0.0.1:7001\"; module = \"echo\"; },\n"
	              "{ name = \"b\"; transport = \"udp\"; listen = "
	              "\"127.0.0.1:7001\"; module = \"echo\"; } );\n"),
	    0);
	/* one socket file serves one transport */
	fails_with(HEAD "services = (\n"
	                "{ name = \"a\"; transport = \"unix\"; listen = "
	                "\"s.sock\"; module = \"echo\"; },\n"
	                "{ name = \"b\"; transport = \"unix-dgram\"; listen = "
	                "\"s.sock\"; module = \"echo\"; } );\n",
	    4, "services.[1]: listen unix-dgram");
}

static void
a_missing_module_names_where_it_was_looked_for(void **state)
{
	char want[512];

	(void)state;
	fails_with(SVC("name = \"s\";\ntransport = \"tcp\";\n"
	               "listen = \"127.0.0.1:0\";\nmodule = \"nosuch\";\n"),
	    6,
	    "services.[0].module: module \"nosuch\" not found: no nosuch.so "
	    "in " MODSERV_MODULES ", " MODSERV_MODULE_DIR);
	/* every place searched: module_path's, from the config's folder, then
	 * the default module folder */
	assert_int_equal(load("module_path = [ \"mods\", \"" MODSERV_MODULES
	                      "\" ];\n" SERVICES("name = \"s\";\n"
	                                         "transport = \"tcp\";\n"
	                                         "listen = \"127.0.0.1:0\";\n"
	                                         "module = \"nosuch\";\n")),
	    -1);
	snprintf(want, sizeof(want),
	    "no nosuch.so in %s/mods, " MODSERV_MODULES ", " MODSERV_MODULE_DIR,
	    dir);
	if (strstr(err, want) == NULL)
		fail_msg("error:  %s\nwanted: %s", err, want);
	fails_with(SVC("name = \"s\";\ntransport = \"tcp\";\n"
	               "listen = \"127.0.0.1:0\";\nmodule = \"lib/x.so\";\n"),
	    6, "services.[0].module: ");
	assert_non_null(strstr(err, "/lib/x.so: No such file or directory"));
}

static void
relative_paths_start_at_the_config_folder(void **state)
{
	char want[256];

	(void)state;
	/* the socket's folder must exist: the check says so otherwise */
	assert_int_equal(
	    load("module_path = \"" MODSERV_MODULES "\";\n"
	         "services = ( { name = \"u\"; transport = \"unix\";\n"
	         "listen = \"run/u.sock\"; module = \"echo\"; } );\n"),
	    -1);
	snprintf(want, sizeof(want),
	    ":3: services.[0].listen: %s/run/u.sock goes in %s/run, which does "
	    "not exist: make it first",
	    dir, dir);
	assert_non_null(strstr(err, want));
	snprintf(want, sizeof(want), "%s/run", dir);
	assert_int_equal(mkdir(want, 0755), 0);
	assert_int_equal(
	    load("module_path = \"" MODSERV_MODULES "\";\n"
	         "services = ( { name = \"u\"; transport = \"unix\";\n"
	         "listen = \"run/u.sock\"; module = \"echo\"; } );\n"),
	    0);
	rmdir(want);
	snprintf(want, sizeof(want), "%s/run/u.sock", dir);
	assert_string_equal(cfg.services[0].addrs[0].text, want);
}

static void
an_unreadable_file_is_named(void **state)
{
	(void)state;
	config_free(&cfg);
	assert_int_equal(
	    config_load("/nonexistent/modserv.conf", &cfg, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "/nonexistent/modserv.conf: cannot read: No "
	                         "such file or directory");
}

/* A service's tls group: line 2 of the service (line 3 of the file). */
#define TLS_SVC(tls) HEAD SERVICES("tls = " tls ";\n" GOOD)
#define TLS_PAIR "certificate = \"c.pem\"; key = \"k.pem\";"

static void
a_tls_group_gives_safe_defaults_and_paths_from_the_config_folder(void **state)
{
	const struct tls_conf *tc;
	char want[300];

	(void)state;
	assert_int_equal(load(TLS_SVC("{ " TLS_PAIR " }")), 0);
	tc = cfg.services[0].tls;
	assert_non_null(tc);
	snprintf(want, sizeof(want), "%s/c.pem", dir);
	assert_string_equal(tc->certificate.text, want);
	assert_string_equal(
	    tc->certificate.key, "services.[0].tls.certificate");
	assert_int_equal(tc->certificate.line, 3);
	snprintf(want, sizeof(want), "%s/k.pem", dir);
	assert_string_equal(tc->key.text, want);
	assert_int_equal(tc->verify_client, TLS_VERIFY_NONE);
	assert_int_equal(tc->min_version, TLS_VERSION_1_2);
	assert_true(tc->handshake_timeout == 10.0);
	assert_int_equal(tc->session_tickets, 1);
	assert_true(tc->session_ticket_rotation == 3600);
	assert_int_equal(tc->ktls, 0);
	assert_null(tc->alpn);
	assert_null(tc->ciphers.text);
	assert_int_equal(tc->nsni, 0);
	/* a service without the group is plaintext */
	assert_int_equal(load(SVC(GOOD)), 0);
	assert_null(cfg.services[0].tls);
}

static void
every_tls_key_is_read(void **state)
{
	const struct tls_conf *tc;

	(void)state;
	assert_int_equal(
	    load(TLS_SVC("{ " TLS_PAIR " client_ca = \"/ca.pem\";\n"
	                 "verify_client = \"required\"; min_version = "
	                 "\"TLSv1.3\";\nciphers = \"HIGH\"; ciphersuites = "
	                 "\"TLS_AES_128_GCM_SHA256\";\nalpn = [ \"x-upper\", "
	                 "\"h2\" ]; handshake_timeout = 2.5;\n"
	                 "session_tickets = false; ktls = true; "
	                 "session_ticket_rotation = 60;\n"
	                 "sni = ( { name = \"b.example\"; certificate = "
	                 "\"/b.pem\"; key = \"/b.key\"; },\n"
	                 "{ name = \"*.c.example\"; certificate = \"/c.pem\"; "
	                 "key = \"/c.key\"; } ); }")),
	    0);
	tc = cfg.services[0].tls;
	assert_string_equal(tc->client_ca.text, "/ca.pem");
	assert_int_equal(tc->verify_client, TLS_VERIFY_REQUIRED);
	assert_int_equal(tc->min_version, TLS_VERSION_1_3);
	assert_string_equal(tc->ciphers.text, "HIGH");
	assert_string_equal(tc->ciphersuites.text, "TLS_AES_128_GCM_SHA256");
	assert_string_equal(tc->alpn[0], "x-upper");
	assert_string_equal(tc->alpn[1], "h2");
	assert_null(tc->alpn[2]);
	assert_true(tc->handshake_timeout == 2.5);
	assert_int_equal(tc->session_tickets, 0);
	assert_true(tc->session_ticket_rotation == 60);
	assert_int_equal(tc->ktls, 1);
	assert_int_equal(tc->nsni, 2);
	assert_string_equal(tc->sni[0].name, "b.example");
	assert_string_equal(tc->sni[0].key.text, "/b.key");
	assert_int_equal(tc->sni[0].line, 8);
	assert_string_equal(
	    tc->sni[1].certificate.key, "services.[0].tls.sni.[1].certificate");
	assert_int_equal(tc->sni[1].certificate.line, 9);
}

static void
a_top_level_tls_group_is_every_service_groups_default(void **state)
{
	const struct tls_conf *a, *b;

	(void)state;
	assert_int_equal(
	    load("tls = { " TLS_PAIR " alpn = [ \"x\" ];\n"
	         "handshake_timeout = 3; session_ticket_rotation = 5;\n"
	         "sni = ( { name = \"d.example\"; "
	         "certificate = \"/d.pem\"; key = \"/d.key\"; } ); };\n" HEAD
	         "services = ( {\n" GOOD "tls = { };\n}, {\n" GOOD2
	         "tls = { key = \"/own.key\"; certificate = \"/own.pem\";\n"
	         "handshake_timeout = 4; sni = ( ); };\n}, {\n"
	         "name = \"plain\"; transport = \"tcp\"; listen = "
	         "\"127.0.0.1:2\"; module = \"echo\"; } );\n"),
	    0);
	a = cfg.services[0].tls;
	b = cfg.services[1].tls;
	assert_non_null(strstr(a->certificate.text, "/c.pem"));
	assert_string_equal(a->certificate.key, "tls.certificate");
	assert_int_equal(a->certificate.line, 1);
	assert_string_equal(a->alpn[0], "x");
	assert_true(a->handshake_timeout == 3.0);
	assert_true(a->session_ticket_rotation == 5.0);
	assert_int_equal(a->nsni, 1);
	assert_string_equal(b->certificate.text, "/own.pem");
	assert_string_equal(b->key.key, "services.[1].tls.key");
	assert_string_equal(b->alpn[0], "x");
	assert_true(b->handshake_timeout == 4.0);
	assert_true(b->session_ticket_rotation == 5.0);
	assert_int_equal(b->nsni, 0);
	/* the default alone serves no service over TLS */
	assert_null(cfg.services[2].tls);
}

static void
tls_mistakes_name_their_line(void **state)
{
	(void)state;
	fails_with(HEAD SERVICES(GOOD "tls = { key = \"k.pem\"; };\n"), 7,
	    "services.[0].tls: needs a certificate and its key (here or in "
	    "the top-level tls group)");
	fails_with(TLS_SVC("{ " TLS_PAIR " verify_client = \"maybe\"; }"), 3,
	    "services.[0].tls.verify_client: \"maybe\" is not one of none, "
	    "optional, required");
	fails_with(TLS_SVC("{ " TLS_PAIR " min_version = \"TLSv1.1\"; }"), 3,
	    "services.[0].tls.min_version: \"TLSv1.1\" is not one of "
	    "TLSv1.2, TLSv1.3");
	fails_with(TLS_SVC("{ " TLS_PAIR " verify_client = \"optional\"; }"), 3,
	    "services.[0].tls: verify_client = \"optional\" needs client_ca");
	/* the top level asks for client certificates, a service not */
	assert_int_equal(
	    load(HEAD "tls = { client_ca = \"ca.pem\"; "
	              "verify_client = \"required\"; };\n" SERVICES(
	                  "tls = { " TLS_PAIR
	                  " verify_client = \"none\"; };\n" GOOD)),
	    0);
	fails_with(TLS_SVC("{ " TLS_PAIR "\nalpn = [ \"\" ]; }"), 4,
	    "services.[0].tls.alpn: element 0 is 0 bytes: a protocol name is "
	    "1 to 255");
	fails_with(TLS_SVC("{ " TLS_PAIR "\nalpn = \"x\"; }"), 4,
	    "services.[0].tls.alpn: is a string, expected a list of protocol "
	    "names");
	fails_with(TLS_SVC("{ " TLS_PAIR "\nsni = ( { name = \"b\"; } ); }"), 4,
	    "services.[0].tls.sni.[0].certificate: is required and missing");
	fails_with(TLS_SVC("{ " TLS_PAIR "\nsni = ( { name = \"b\"; "
	                   "certificate = \"x\"; key = \"y\"; },\n{ name = "
	                   "\"B\"; certificate = \"x\"; key = \"y\"; } ); }"),
	    5,
	    "services.[0].tls.sni.[1]: name \"B\" is already given at line 4");
	fails_with(TLS_SVC("{ " TLS_PAIR "\nsni = ( { name = \"a.*.b\"; "
	                   "certificate = \"x\"; key = \"y\"; } ); }"),
	    4, "services.[0].tls.sni.[0]: name \"a.*.b\" is not a host name");
	fails_with(TLS_SVC("{ " TLS_PAIR " handshake_timeout = 0; }"), 3,
	    "services.[0].tls.handshake_timeout: 0 is not in 0.1..3600 "
	    "seconds");
	fails_with(TLS_SVC("{ " TLS_PAIR " session_ticket_rotation = 0.5; }"),
	    3,
	    "services.[0].tls.session_ticket_rotation: 0.5 is not in "
	    "1..604800 seconds");
	fails_with(TLS_SVC("{ " TLS_PAIR " cert = \"x\"; }"), 3,
	    "services.[0].tls.cert: unknown key");
	fails_with(
	    "tls = { verify = 1; };\n" SVC(GOOD), 1, "tls.verify: unknown key");
}

static void
tls_on_a_datagram_transport_is_refused_at_its_line(void **state)
{
	(void)state;
	fails_with(HEAD SERVICES("name = \"d\";\ntransport = \"udp\";\n"
	                         "listen = \"127.0.0.1:0\";\nmodule = "
	                         "\"echo\";\ntls = { " TLS_PAIR " };\n"),
	    7,
	    "services.[0].tls: is for stream transports (tcp, unix), and this "
	    "service is udp: DTLS is not served");
	fails_with(HEAD SERVICES("name = \"d\";\ntransport = \"unix-dgram\";\n"
	                         "listen = \"d.sock\";\nmodule = "
	                         "\"echo\";\ntls = { " TLS_PAIR " };\n"),
	    7,
	    "services.[0].tls: is for stream transports (tcp, unix), and this "
	    "service is unix-dgram");
	assert_int_equal(
	    load(HEAD SERVICES("name = \"u\";\ntransport = \"unix\";\n"
	                       "listen = \"u.sock\";\nmodule = \"echo\";\n"
	                       "tls = { " TLS_PAIR " };\n")),
	    0);
	assert_non_null(cfg.services[0].tls);
}

static void
a_certificate_replaced_in_its_place_changes_the_services_fingerprint(
    void **state)
{
	char cert[300], key[300], *before;
	FILE *f;

	(void)state;
	snprintf(cert, sizeof(cert), "%s/c.pem", dir);
	snprintf(key, sizeof(key), "%s/k.pem", dir);
	assert_non_null(f = fopen(cert, "w"));
	fputs("old\n", f);
	fclose(f);
	assert_int_equal(load(TLS_SVC("{ " TLS_PAIR " }")), 0);
	before = strdup(cfg.services[0].fingerprint);
	assert_int_equal(load(TLS_SVC("{ " TLS_PAIR " }")), 0);
	assert_string_equal(cfg.services[0].fingerprint, before);
	/* as a deploy does: the new file renamed over the old */
	assert_non_null(f = fopen(key, "w"));
	fputs("new\n", f);
	fclose(f);
	assert_int_equal(rename(key, cert), 0);
	assert_int_equal(load(TLS_SVC("{ " TLS_PAIR " }")), 0);
	assert_string_not_equal(cfg.services[0].fingerprint, before);
	free(before);
	unlink(cert);
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(file, sizeof(file), "%s/modserv.conf", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	config_free(&cfg);
	unlink(file);
	rmdir(dir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_good_file_gives_services_with_safe_defaults),
	    cmocka_unit_test(every_default_comes_from_the_key_table),
	    cmocka_unit_test(a_service_inherits_user_and_group_from_the_top),
	    cmocka_unit_test(a_word_from_a_list_is_stored_or_the_list_is_named),
	    cmocka_unit_test(every_key_is_read),
	    cmocka_unit_test(a_syntax_error_names_its_line),
	    cmocka_unit_test(unknown_keys_are_refused),
	    cmocka_unit_test(wrong_types_are_refused),
	    cmocka_unit_test(bad_transport_and_model_names_list_the_good_ones),
	    cmocka_unit_test(an_unparsable_address_is_refused),
	    cmocka_unit_test(required_keys_are_named_when_missing),
	    cmocka_unit_test(duplicate_names_and_addresses_are_refused),
	    cmocka_unit_test(a_missing_module_names_where_it_was_looked_for),
	    cmocka_unit_test(relative_paths_start_at_the_config_folder),
	    cmocka_unit_test(an_unreadable_file_is_named),
	    cmocka_unit_test(
	        access_log_keys_default_from_the_top_and_are_checked),
	    cmocka_unit_test(
	        per_source_behind_a_balancer_is_refused_where_a_model_cannot_count_it),
	    cmocka_unit_test(
	        a_tls_group_gives_safe_defaults_and_paths_from_the_config_folder),
	    cmocka_unit_test(every_tls_key_is_read),
	    cmocka_unit_test(
	        a_top_level_tls_group_is_every_service_groups_default),
	    cmocka_unit_test(tls_mistakes_name_their_line),
	    cmocka_unit_test(
	        tls_on_a_datagram_transport_is_refused_at_its_line),
	    cmocka_unit_test(
	        a_certificate_replaced_in_its_place_changes_the_services_fingerprint),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
