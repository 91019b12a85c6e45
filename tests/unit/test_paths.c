/* test_paths.c - an installed binary's defaults follow the prefix it is in,
 * laid out as GNUInstallDirs lays that prefix out; elsewhere the build's
 * defaults stay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "paths.h"

static const struct paths_layout gnu = {"sbin", "etc", "lib"};
static char conf[256], modules[256];

/* Asserts the binary at exe under layout l finds want_conf and
 * want_modules. */
static void
finds(const struct paths_layout *l, const char *exe, const char *want_conf,
    const char *want_modules)
{
	if (paths_compute(
	        exe, l, conf, sizeof(conf), modules, sizeof(modules)) < 0)
		fail_msg("%s: no prefix found", exe);
	assert_string_equal(conf, want_conf);
	assert_string_equal(modules, want_modules);
}

static int
has_no_prefix(const char *exe)
{
	return paths_compute(
	           exe, &gnu, conf, sizeof(conf), modules, sizeof(modules)) < 0;
}

static void
usr_local_keeps_everything_under_the_prefix(void **state)
{
	(void)state;
	finds(&gnu, "/usr/local/sbin/modserv",
	    "/usr/local/etc/modserv/modserv.conf",
	    "/usr/local/lib/modserv/modules");
	finds(&gnu, "/tmp/p/sbin/modserv", "/tmp/p/etc/modserv/modserv.conf",
	    "/tmp/p/lib/modserv/modules");
}

static void
usr_reads_its_configuration_from_etc(void **state)
{
	static const struct paths_layout debian = {
	    "sbin", "etc", "lib/x86_64-linux-gnu"};

	(void)state;
	finds(&gnu, "/usr/sbin/modserv", "/etc/modserv/modserv.conf",
	    "/usr/lib/modserv/modules");
	finds(&debian, "/usr/sbin/modserv", "/etc/modserv/modserv.conf",
	    "/usr/lib/x86_64-linux-gnu/modserv/modules");
}

static void
opt_reads_its_configuration_from_etc_opt(void **state)
{
	(void)state;
	finds(&gnu, "/opt/x/sbin/modserv", "/etc/opt/x/modserv/modserv.conf",
	    "/opt/x/lib/modserv/modules");
	finds(&gnu, "/opt/a/b/sbin/modserv",
	    "/etc/opt/a/b/modserv/modserv.conf",
	    "/opt/a/b/lib/modserv/modules");
	/* as GNUInstallDirs: not /opt itself, nor what is under homebrew */
	finds(&gnu, "/opt/sbin/modserv", "/opt/etc/modserv/modserv.conf",
	    "/opt/lib/modserv/modules");
	finds(&gnu, "/opt/homebrew/x/sbin/modserv",
	    "/opt/homebrew/x/etc/modserv/modserv.conf",
	    "/opt/homebrew/x/lib/modserv/modules");
}

static void
the_root_prefix_puts_libraries_under_usr(void **state)
{
	static const struct paths_layout usr = {"usr/sbin", "etc", "usr/lib"};

	(void)state;
	finds(&gnu, "/sbin/modserv", "/etc/modserv/modserv.conf",
	    "/usr/lib/modserv/modules");
	/* configured for prefix /, GNUInstallDirs made the folders usr/... */
	finds(&usr, "/usr/sbin/modserv", "/etc/modserv/modserv.conf",
	    "/usr/lib/modserv/modules");
}

static void
absolute_folders_are_taken_as_they_are(void **state)
{
	static const struct paths_layout abs = {"sbin", "/etc", "/srv/lib"};
	static const struct paths_layout abs_sbin = {"/usr/sbin", "etc", "lib"};

	(void)state;
	finds(&abs, "/tmp/p/sbin/modserv", "/etc/modserv/modserv.conf",
	    "/srv/lib/modserv/modules");
	/* the binary is there whatever the prefix: it says nothing of it */
	assert_int_equal(paths_compute("/usr/sbin/modserv", &abs_sbin, conf,
	                     sizeof(conf), modules, sizeof(modules)),
	    -1);
}

static void
a_build_tree_has_no_prefix(void **state)
{
	(void)state;
	assert_true(has_no_prefix("/work/modserv/build/modserv"));
	assert_true(has_no_prefix("/work/modserv/build/tests/test_paths"));
	assert_true(has_no_prefix("/home/u/xsbin/modserv"));
	assert_true(has_no_prefix("/home/u/sbin/x/modserv"));
	assert_true(has_no_prefix("modserv"));
	assert_true(has_no_prefix("sbin/modserv"));
}

static void
a_path_that_does_not_fit_is_no_prefix(void **state)
{
	char small[16];

	(void)state;
	assert_int_equal(paths_compute("/usr/local/sbin/modserv", &gnu, small,
	                     sizeof(small), modules, sizeof(modules)),
	    -1);
	assert_int_equal(paths_compute("/usr/local/sbin/modserv", &gnu, conf,
	                     sizeof(conf), small, sizeof(small)),
	    -1);
}

/* This program runs from the build tree: the build's defaults. */
static void
run_from_the_build_tree_the_build_defaults_stay(void **state)
{
	(void)state;
	assert_string_equal(paths_conf(), MODSERV_CONF_DEFAULT);
	assert_string_equal(paths_module_dir(), MODSERV_MODULE_DIR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(usr_local_keeps_everything_under_the_prefix),
	    cmocka_unit_test(usr_reads_its_configuration_from_etc),
	    cmocka_unit_test(opt_reads_its_configuration_from_etc_opt),
	    cmocka_unit_test(the_root_prefix_puts_libraries_under_usr),
	    cmocka_unit_test(absolute_folders_are_taken_as_they_are),
	    cmocka_unit_test(a_build_tree_has_no_prefix),
	    cmocka_unit_test(a_path_that_does_not_fit_is_no_prefix),
	    cmocka_unit_test(run_from_the_build_tree_the_build_defaults_stay),
	};

	return cmocka_run_group_tests_name("paths", tests, NULL, NULL);
}
