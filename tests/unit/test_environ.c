/* test_environ.c - the environment of a program modserv runs: nothing of
 * modserv's own but what env passes, a standard PATH env may replace, the
 * UCSPI variables; and the program looked up on that PATH alone. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "request.h"

static struct service_conf sc = {.name = "u"};
static struct ms_service svc = {.conf = &sc};

/* A request from 127.0.0.1:5000 on no socket (so no TCPLOCAL*). */
static void
request_from_loopback(struct ms_request *r)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&r->peer;

	memset(r, 0, sizeof(*r));
	r->svc = &svc;
	conn_init(&r->conn, &conn_plain, -1);
	in->sin_family = AF_INET;
	in->sin_port = htons(5000);
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->peerlen = sizeof(*in);
}

static void
expect_envp(char **envp, const char *const *want)
{
	size_t i = 0;

	assert_non_null(envp);
	for (; want[i]; i++) {
		assert_non_null(envp[i]);
		assert_string_equal(envp[i], want[i]);
	}
	assert_null(envp[i]);
	free(envp);
}

static void
only_path_ucspi_and_what_env_names_are_there(void **state)
{
	const char *env[] = {
	    "A=1", "MODSERV_UNIT_PASSED", "MODSERV_UNIT_NONE", NULL};
	const char *want[] = {"MODSERV_SERVICE=u", "PROTO=TCP",
	    "TCPREMOTEIP=127.0.0.1", "TCPREMOTEPORT=5000", "A=1",
	    "MODSERV_UNIT_PASSED=p", "PATH=/usr/local/bin:/usr/bin:/bin", NULL};
	struct ms_request r;

	(void)state;
	setenv("MODSERV_UNIT_SECRET", "s", 1);
	setenv("MODSERV_UNIT_PASSED", "p", 1);
	request_from_loopback(&r);
	expect_envp(ms_environ(&r, env), want);
	expect_envp(ms_environ(&r, NULL),
	    (const char *[]){"MODSERV_SERVICE=u", "PROTO=TCP",
	        "TCPREMOTEIP=127.0.0.1", "TCPREMOTEPORT=5000",
	        "PATH=/usr/local/bin:/usr/bin:/bin", NULL});
}

static void
env_replaces_path_but_not_what_modserv_defines(void **state)
{
	const char *env[] = {"PATH=/x", "PROTO=UDP", "A=1", "A", "PATH", NULL};
	const char *want[] = {"MODSERV_SERVICE=u", "PROTO=TCP",
	    "TCPREMOTEIP=127.0.0.1", "TCPREMOTEPORT=5000", "PATH=/x", "A=1",
	    NULL};
	struct ms_request r;

	(void)state;
	setenv("A", "own", 1);
	request_from_loopback(&r);
	expect_envp(ms_environ(&r, env), want);
	unsetenv("A");
}

/* A folder with an executable prog and a file plain that is not. */
static void
folder_with_programs(char *dir)
{
	char file[128];
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/prog", dir);
	assert_non_null(f = fopen(file, "w"));
	fclose(f);
	chmod(file, 0755);
	snprintf(file, sizeof(file), "%s/plain", dir);
	assert_non_null(f = fopen(file, "w"));
	fclose(f);
	chmod(file, 0644);
}

static void
programs_are_looked_up_on_the_environments_path(void **state)
{
	char dir[] = "/tmp/modserv-environ.XXXXXX", var[128], want[256];
	char path[256], err[256];
	char *envp[] = {var, NULL};

	(void)state;
	folder_with_programs(dir);
	snprintf(var, sizeof(var), "PATH=/nonexistent-modserv:%s", dir);
	assert_int_equal(
	    ms_program_find(envp, "prog", path, sizeof(path), err, sizeof(err)),
	    0);
	snprintf(want, sizeof(want), "%s/prog", dir);
	assert_string_equal(path, want);
	/* a name with '/' is not looked up */
	assert_int_equal(ms_program_find(envp, "./x/y", path, sizeof(path), err,
	                     sizeof(err)),
	    0);
	assert_string_equal(path, "./x/y");
	/* sh is on modserv's PATH, not on this one */
	assert_int_equal(
	    ms_program_find(envp, "sh", path, sizeof(path), err, sizeof(err)),
	    -1);
	assert_int_equal(errno, ENOENT);
	snprintf(want, sizeof(want), "not found in %s", var);
	assert_string_equal(err, want);
	assert_int_equal(ms_program_find(envp, "plain", path, sizeof(path), err,
	                     sizeof(err)),
	    -1);
	assert_int_equal(errno, EACCES);
	snprintf(want, sizeof(want), "%s/plain", dir);
	unlink(want);
	snprintf(want, sizeof(want), "%s/prog", dir);
	unlink(want);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(only_path_ucspi_and_what_env_names_are_there),
	    cmocka_unit_test(env_replaces_path_but_not_what_modserv_defines),
	    cmocka_unit_test(programs_are_looked_up_on_the_environments_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
