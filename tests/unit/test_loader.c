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
	    "bad_abi_minor.so: abi_minor is 99, newer than this modserv's 3");
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
	    "8: services.[0].options.count: is a string, module opts takes a "
	    "integer");
	assert_string_equal(check("opts", "tcp", "loud = true;"),
	    "7: services.[0].options: module opts needs option \"count\" "
	    "(integer: a required integer)");
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
	    cmocka_unit_test(options_are_checked_against_the_modules_table),
	    cmocka_unit_test(
	        a_stream_module_is_refused_on_a_datagram_transport),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
