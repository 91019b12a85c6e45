/* test_command_line.c - the process as a user and an operator see it, for every
 * model: the command line: -t, -M, -V, -h, bad flags, a bad configuration, and
 * the symbols modserv exports. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "process.h"

static char out[1 << 16];

static void
check_mode_prints_the_plan_and_exits_zero(void **state)
{
	(void)state;
	conf_one("tcp", "127.0.0.1:7999", "select", "opts",
	    "options = { count = 3; };");
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-t", "-c", srv.conf, NULL), 0);
	assert_non_null(strstr(out, "s: tcp 127.0.0.1:7999, model select, "
	                            "module opts"));
	assert_non_null(strstr(out, "option count = 3"));
	assert_non_null(strstr(out, "configuration ok, 1 service"));
}

static void
a_bad_config_is_one_line_with_file_and_line_and_exit_one(void **state)
{
	char want[400];

	(void)state;
	conf_one("tpc", "127.0.0.1:0", "thread", "echo", NULL);
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-c", srv.conf, NULL), 1);
	snprintf(want, sizeof(want),
	    "modserv: %s:3: services.[0].transport: \"tpc\" is not one of "
	    "tcp, udp, unix, unix-dgram\n",
	    srv.conf);
	assert_string_equal(out, want);
	/* a module refused at load: named with the config line */
	conf_one("tcp", "127.0.0.1:0", "thread", "bad_abi_major", NULL);
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-t", "-c", srv.conf, NULL), 1);
	assert_non_null(strstr(out, ":4: services.[0].module: "));
	assert_non_null(strstr(out, "abi_major is 2, this modserv speaks 1"));
}

static void
describe_a_module_with_its_options(void **state)
{
	(void)state;
	conf_one("tcp", "127.0.0.1:0", "thread", "echo", NULL);
	assert_int_equal(
	    modserv_run(out, sizeof(out), "-c", srv.conf, "-M", "opts", NULL),
	    0);
	assert_non_null(strstr(out, "module   opts"));
	assert_non_null(strstr(out, "abi      1.5"));
	assert_non_null(strstr(out, "any-transport non-blocking"));
	assert_non_null(strstr(out, "count            integer         "
	                            "required"));
	assert_non_null(strstr(out, "greeting         string          "
	                            "default hi"));
	/* what an option accepts */
	assert_non_null(
	    strstr(out, "level            integer         "
	                "default 2  in 1..3  - an integer in 1..3"));
	assert_non_null(strstr(out, "least            integer         "
	                            "default 0  at least 0  - "));
	assert_non_null(strstr(out, "most             integer         "
	                            "default 0  at most 5  - "));
	assert_non_null(strstr(out, "mode             string          "
	                            "default fast  one of fast, slow  - "));
	/* a module built against an older minor, read in its layout */
	assert_int_equal(modserv_run(out, sizeof(out), "-M",
	                     TEST_MODULES "/old_abi.so", NULL),
	    0);
	assert_non_null(strstr(out, "abi      1.2"));
	assert_non_null(strstr(out, "count            integer         "
	                            "default 7  - an integer\n"));
	assert_non_null(strstr(out, "dir              path            "
	                            "required  - a path\n"));
	assert_int_equal(modserv_run(out, sizeof(out), "-M",
	                     TEST_MODULES "/bad_nosym.so", NULL),
	    1);
	assert_non_null(strstr(out, "no modserv_module symbol"));
}

/* "old_abi.so" in the current folder is that file, not old_abi.so.so on
 * module_path */
static void
a_module_named_with_so_is_that_file(void **state)
{
	char here[4096];

	(void)state;
	assert_non_null(getcwd(here, sizeof(here)));
	assert_int_equal(chdir(TEST_MODULES), 0);
	int rc = modserv_run(out, sizeof(out), "-M", "old_abi.so", NULL);

	assert_int_equal(chdir(here), 0);
	if (rc != 0)
		fail_msg("-M old_abi.so: %s", out);
	assert_non_null(strstr(out, "abi      1.2"));
}

static void
version_help_and_bad_flags(void **state)
{
	(void)state;
	assert_int_equal(modserv_run(out, sizeof(out), "-V", NULL), 0);
	assert_non_null(strstr(out, "modserv 0."));
	assert_int_equal(modserv_run(out, sizeof(out), "-h", NULL), 0);
	assert_non_null(strstr(out, "usage: modserv"));
	assert_int_equal(modserv_run(out, sizeof(out), "-x", NULL), 1);
	assert_int_equal(modserv_run(out, sizeof(out), "-l", "loud", NULL), 1);
	assert_non_null(strstr(out, "-l loud: not one of"));
}

/* The ms_* functions modserv.h declares, one per line in out, which
 * starts with a line ending too: "\nname\n" finds a whole name. */
static int
header_api(char *names, size_t size)
{
	FILE *h = fopen(MODSERV_HEADER, "r");
	char line[256];
	size_t len = (size_t)snprintf(names, size, "\n");
	int n = 0;

	assert_non_null(h);
	while (fgets(line, sizeof(line), h)) {
		char *e = strchr(line, '('), *p = e;

		if (strncmp(line, "MS_API", 6) || e == NULL)
			continue;
		while (p > line &&
		       (p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z')))
			p--;
		if (strncmp(p, "ms_", 3) != 0)
			continue;
		len += (size_t)snprintf(
		    names + len, size - len, "%.*s\n", (int)(e - p), p);
		n++;
	}
	fclose(h);
	return n;
}

static void
only_the_ms_api_is_exported(void **state)
{
	FILE *p = popen("nm -D --defined-only " MODSERV_BIN, "r");
	char line[256], name[200], api[4096], want[210];
	int declared = header_api(api, sizeof(api)), exported = 0;

	(void)state;
	assert_true(declared >= 20);
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		if (sscanf(line, "%*s %*s %199s", name) != 1 ||
		    strchr(name, '@') || /* libc data copied into the binary */
		    strncmp(name, "__asan", 6) == 0 || /* a sanitizer build's */
		    strncmp(name, "__ubsan", 7) == 0 ||
		    strncmp(name, "__lsan", 6) == 0 ||
		    strncmp(name, "__sanitizer", 11) == 0)
			continue;
		snprintf(want, sizeof(want), "\n%s\n", name); /* not _end */
		if (strstr(api, want)) {
			exported++;
			continue;
		}
		/* what the linker itself defines in every executable */
		if (strcmp(name, "_IO_stdin_used") && strcmp(name, "_start") &&
		    strcmp(name, "__bss_start") && strcmp(name, "_edata") &&
		    strcmp(name, "_end") && strcmp(name, "__data_start") &&
		    strcmp(name, "data_start") && strcmp(name, "_init") &&
		    strcmp(name, "_fini"))
			fail_msg("modserv exports %s", name);
	}
	pclose(p);
	assert_int_equal(exported, declared); /* and all of modserv.h */
}

HARNESS_MAIN("command_line",
    SRV_TEST(check_mode_prints_the_plan_and_exits_zero),
    SRV_TEST(a_bad_config_is_one_line_with_file_and_line_and_exit_one),
    SRV_TEST(describe_a_module_with_its_options),
    SRV_TEST(a_module_named_with_so_is_that_file),
    SRV_TEST(version_help_and_bad_flags), SRV_TEST(only_the_ms_api_is_exported))
