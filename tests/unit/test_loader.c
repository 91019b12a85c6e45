/* test_loader.c - modules broken on purpose are refused with the file and
 * the reason, before any of their code runs; good ones are checked against
 * the service that names them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "loader.h"
#include "service.h"
#include "transport.h"

static char err[1024];
static struct loaded_module lm;

static const char *
refusal(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s.so", TEST_MODULES, name);
	if (loader_open(path, &lm, err, sizeof(err)) == 0) {
		loader_close(&lm);
		return NULL;
	}
	return err;
}

static void
assert_says(const char *text, const char *part)
{
	if (text == NULL || strstr(text, part) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", text ? text : "(loaded)",
		    part);
}

static void
a_missing_file_is_named(void **state)
{
	(void)state;
	assert_says(refusal("nosuch"), TEST_MODULES "/nosuch.so");
	assert_says(err, "No such file or directory");
}

static void
a_file_that_is_not_a_shared_object_is_refused(void **state)
{
	char path[] = "/tmp/modserv-notso.XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_int_equal(write(fd, "#!/bin/sh\n", 10), 10);
	close(fd);
	assert_int_equal(loader_open(path, &lm, err, sizeof(err)), -1);
	assert_says(err, path);
	unlink(path);
}

static void
unresolved_symbols_are_named(void **state)
{
	(void)state;
	assert_says(refusal("bad_unresolved"), "bad_unresolved.so");
	assert_says(err, "undefined symbol: modserv_no_such_function");
}

static void
a_library_without_the_table_is_not_a_module(void **state)
{
	(void)state;
	assert_says(refusal("bad_nosym"),
	    "bad_nosym.so: no modserv_module symbol: not a modserv module");
}

static void
another_abi_is_refused_field_by_field(void **state)
{
	(void)state;
	assert_says(refusal("bad_abi_major"),
	    "bad_abi_major.so: abi_major is 2, this modserv speaks 1");
	assert_says(refusal("bad_abi_minor"),
	    "bad_abi_minor.so: abi_minor is 99, newer than this modserv's 5");
	assert_says(refusal("bad_size"), "bad_size.so: size is 8, but struct "
	                                 "ms_module of ABI 1.0 is");
}

static void
a_table_without_handle_is_refused(void **state)
{
	(void)state;
	assert_says(refusal("bad_nohandle"),
	    "bad_nohandle.so: it has no handle function");
}

static void
good_modules_load(void **state)
{
	(void)state;
	assert_null(refusal("opts"));
	assert_null(refusal("bad_init")); /* init runs in the worker */
}

/* What loading TEST_MODULES/name.so says after "path: ". */
static const char *
table_refusal(const char *name)
{
	char path[512];
	const char *why = refusal(name);

	snprintf(path, sizeof(path), "%s/%s.so: ", TEST_MODULES, name);
	if (why == NULL)
		return "(loaded)";
	if (strncmp(why, path, strlen(path)) != 0)
		fail_msg("\"%s\" does not start with \"%s\"", why, path);
	return why + strlen(path);
}

static void
an_option_table_with_a_defect_is_refused_at_load(void **state)
{
	(void)state;
	assert_string_equal(table_refusal("bad_options_duplicate"),
	    "options[2] \"count\": declared twice (also options[0])");
	assert_string_equal(table_refusal("bad_options_int_default"),
	    "options[1] \"size\": default \"5x\" is not an integer");
	assert_string_equal(table_refusal("bad_options_bool_default"),
	    "options[1] \"loud\": default \"maybe\" is not a boolean (true, "
	    "false, 1 or 0)");
	assert_string_equal(table_refusal("bad_options_range_default"),
	    "options[1] \"size\": default 0 is not in 1..3600");
	assert_string_equal(table_refusal("bad_options_choice_default"),
	    "options[1] \"framing\": default \"word\" is not one of read, "
	    "line");
	assert_string_equal(table_refusal("bad_options_type"),
	    "options[1] \"colour\": type 9 is not one this modserv knows (1 "
	    "string, 2 integer, 3 boolean, 4 list of strings, 5 path, 6 "
	    "NAME=value list, 7 list of names)");
	assert_string_equal(table_refusal("bad_options_min_max"),
	    "options[1] \"size\": min 10 is greater than max 1");
	assert_string_equal(table_refusal("bad_options_range_type"),
	    "options[1] \"word\": min and max are for integers, and it is a "
	    "string");
	assert_string_equal(table_refusal("bad_options_choice_type"),
	    "options[1] \"size\": choices are for strings and lists of "
	    "strings, and it is an integer");
}

/* The module's declaration of name, which must exist. */
static const struct ms_option *
declared(const char *name)
{
	const struct ms_option *o = loader_option(lm.mod, name);

	if (o == NULL)
		fail_msg("no option \"%s\" read from the table", name);
	return o;
}

static void
a_module_built_against_abi_1_2_loads_with_its_options(void **state)
{
	struct service_conf sc = {.name = "s"};
	struct ms_service svc = {.conf = &sc};
	size_t n;

	(void)state;
	assert_null(refusal("old_abi"));
	assert_int_equal(
	    loader_open(TEST_MODULES "/old_abi.so", &lm, err, sizeof(err)), 0);
	assert_int_equal(lm.mod->abi_minor, 2);
	assert_string_equal(lm.mod->name, "old_abi");
	assert_string_equal(declared("word")->def, "bird");
	assert_int_equal(declared("count")->type, MS_OPT_INT);
	assert_string_equal(declared("count")->help, "an integer");
	assert_int_equal(declared("loud")->type, MS_OPT_BOOL);
	assert_int_equal(declared("names")->type, MS_OPT_LIST);
	assert_int_equal(declared("dir")->required, 1);
	/* what 1.2 had not: no range, no choices */
	assert_true(declared("count")->min == 0 && declared("count")->max == 0);
	assert_null(declared("word")->choices);
	assert_null(loader_option(lm.mod, "nosuch"));
	/* as the module reads them: the defaults */
	svc.module = lm;
	assert_string_equal(ms_opt_str(&svc, "word"), "bird");
	assert_int_equal(ms_opt_int(&svc, "count"), 7);
	assert_int_equal(ms_opt_bool(&svc, "loud"), 1);
	assert_non_null(ms_opt_list(&svc, "names", &n));
	assert_int_equal(n, 0);
	loader_close(&lm);
}

/* 1.3's entries, shorter than 1.4's: read with their stride, ranges and
 * choices kept, no check. */
static void
a_module_built_against_abi_1_3_keeps_its_ranges_and_choices(void **state)
{
	(void)state;
	assert_null(refusal("old_abi13"));
	assert_int_equal(
	    loader_open(TEST_MODULES "/old_abi13.so", &lm, err, sizeof(err)),
	    0);
	assert_int_equal(lm.mod->abi_minor, 3);
	assert_true(declared("count")->min == 1 && declared("count")->max == 9);
	assert_string_equal(declared("color")->choices[1], "blue");
	assert_null(declared("color")->check);
	assert_int_equal(declared("names")->type, MS_OPT_LIST);
	assert_null(declared("names")->check);
	assert_null(loader_option(lm.mod, "nosuch"));
	loader_close(&lm);
}

/* A service naming module with options text, checked against it. */
static const char *
check(const char *module, const char *transport, const char *options)
{
	char dir[] = "/tmp/modserv-loader.XXXXXX", file[128];
	static char out[1024];
	struct config cfg;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/m.conf", dir);
	f = fopen(file, "w");
	fprintf(f,
	    "module_path = [ \"%s\" ];\nservices = ( {\n name = \"s\";\n"
	    " transport = \"%s\";\n listen = \"%s\";\n module = \"%s\";\n"
	    " options = {\n%s\n };\n} );\n",
	    TEST_MODULES, transport,
	    strncmp(transport, "unix", 4) ? "127.0.0.1:0" : "s.sock", module,
	    options);
	fclose(f);
	if (config_load(file, &cfg, out, sizeof(out)) < 0)
		fail_msg("config: %s", out);
	assert_int_equal(
	    loader_open(cfg.services[0].module_file, &lm, out, sizeof(out)), 0);
	if (loader_check(&lm, &cfg, &cfg.services[0], out, sizeof(out)) == 0)
		strcpy(out, "ok");
	else /* the file's name varies: keep what follows it */
		memmove(out, strstr(out, ".conf:") + 6,
		    strlen(strstr(out, ".conf:") + 6) + 1);
	loader_close(&lm);
	config_free(&cfg);
	unlink(file);
	rmdir(dir);
	return out;
}

static void
options_are_checked_against_the_modules_table(void **state)
{
	(void)state;
	assert_string_equal(check("opts", "tcp", "count = 3;"), "ok");
	assert_string_equal(check("opts", "tcp",
	                        "count = 3; greeting = \"yo\"; loud = true;\n"
	                        "names = [ \"a\", \"b\" ];"),
	    "ok");
	assert_string_equal(check("opts", "tcp", "count = 3;\ncolour = 1;"),
	    "9: services.[0].options.colour: module opts has no option "
	    "\"colour\" (modserv -M opts lists them)");
	assert_string_equal(check("opts", "tcp", "count = \"three\";"),
	    "8: services.[0].options.count: is a string, module opts takes an "
	    "integer");
	assert_string_equal(check("opts", "tcp", "loud = true;"),
	    "7: services.[0].options: module opts needs option \"count\" "
	    "(integer: a required integer)");
}

static void
an_abi_1_2_modules_options_are_checked_against_its_table(void **state)
{
	(void)state;
	assert_string_equal(check("old_abi", "tcp",
	                        "dir = \"d\"; word = \"w\"; count = 3;\n"
	                        "loud = false; names = [ \"a\" ];"),
	    "ok");
	assert_string_equal(
	    check("old_abi", "tcp", "dir = \"d\";\ncount = \"x\";"),
	    "9: services.[0].options.count: is a string, module old_abi "
	    "takes an integer");
	assert_string_equal(check("old_abi", "tcp", "count = 1;"),
	    "7: services.[0].options: module old_abi needs option \"dir\" "
	    "(path: a path)");
}

static void
a_value_outside_its_declaration_is_refused_with_file_and_line(void **state)
{
	(void)state;
	assert_string_equal(
	    check("opts", "tcp",
	        "count = 3; level = 1; least = 99; most = -9;\n"
	        "mode = \"slow\"; tags = [ \"red\", \"blue\" ];"),
	    "ok");
	assert_string_equal(check("opts", "tcp", "count = 3;\nlevel = 7;"),
	    "9: services.[0].options.level: 7 is not in 1..3 (module opts: an "
	    "integer in 1..3)");
	assert_string_equal(check("opts", "tcp", "count = 3;\nlevel = -3;"),
	    "9: services.[0].options.level: -3 is not in 1..3 (module opts: "
	    "an integer in 1..3)");
	assert_string_equal(check("opts", "tcp", "count = 3;\nleast = -1;"),
	    "9: services.[0].options.least: -1 is less than 0 (module opts: "
	    "an integer >= 0)");
	assert_string_equal(check("opts", "tcp", "count = 3;\nmost = 6;"),
	    "9: services.[0].options.most: 6 is more than 5 (module opts: an "
	    "integer <= 5)");
	assert_string_equal(
	    check("opts", "tcp", "count = 3;\nmode = \"Fast\";"),
	    "9: services.[0].options.mode: \"Fast\" is not one of fast, slow "
	    "(module opts: fast or slow)");
	assert_string_equal(
	    check("opts", "tcp", "count = 3;\ntags = [ \"red\", \"pink\" ];"),
	    "9: services.[0].options.tags.[1]: \"pink\" is not one of red, "
	    "green, blue (module opts: red, green or blue, each)");
}

static void
a_stream_module_is_refused_on_a_datagram_transport(void **state)
{
	(void)state;
	assert_string_equal(check("stream_only", "tcp", ""), "ok");
	assert_string_equal(check("stream_only", "unix", ""), "ok");
	assert_says(
	    check("stream_only", "udp", ""), "6: services.[0].module: ");
	assert_says(check("stream_only", "unix-dgram", ""),
	    "stream_only.so serves stream transports only, and this service "
	    "is unix-dgram");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_missing_file_is_named),
	    cmocka_unit_test(a_file_that_is_not_a_shared_object_is_refused),
	    cmocka_unit_test(unresolved_symbols_are_named),
	    cmocka_unit_test(a_library_without_the_table_is_not_a_module),
	    cmocka_unit_test(another_abi_is_refused_field_by_field),
	    cmocka_unit_test(a_table_without_handle_is_refused),
	    cmocka_unit_test(good_modules_load),
	    cmocka_unit_test(an_option_table_with_a_defect_is_refused_at_load),
	    cmocka_unit_test(
	        a_module_built_against_abi_1_2_loads_with_its_options),
	    cmocka_unit_test(
	        an_abi_1_2_modules_options_are_checked_against_its_table),
	    cmocka_unit_test(
	        a_module_built_against_abi_1_3_keeps_its_ranges_and_choices),
	    cmocka_unit_test(
	        a_value_outside_its_declaration_is_refused_with_file_and_line),
	    cmocka_unit_test(options_are_checked_against_the_modules_table),
	    cmocka_unit_test(
	        a_stream_module_is_refused_on_a_datagram_transport),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
