/* test_allow.c - cmd's allow entries: what each form lets run, and the
 * entries -t refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "allow.h"

/* 1 if entry allows line (words split at single spaces). */
static int
allows(const char *entry, const char *line)
{
	char copy[256], *argv[16], *save;
	size_t argc = 0;

	strcpy(copy, line);
	for (char *w = strtok_r(copy, " ", &save); w && argc < 16;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	return allow_match(entry, argv, argc);
}

static const char *
refusal(const char *entry)
{
	static char err[256];

	return allow_check(entry, err, sizeof(err)) < 0 ? err : NULL;
}

static void
each_form_allows_what_it_says(void **state)
{
	(void)state;
	assert_true(allows("date", "date -u"));
	assert_true(allows("date +%s", "date +%s"));
	assert_false(allows("date +%s", "date -f /etc/passwd"));
	assert_true(allows("uname [-a -r]", "uname -r -a"));
	assert_true(allows("uname [-a -r]", "uname"));
	assert_false(allows("uname [-a -r]", "uname -s"));
	assert_true(allows("uptime []", "uptime"));
	assert_false(allows("uptime []", "uptime -p"));
}

static void
a_bracketed_argument_counts_once(void **state)
{
	(void)state;
	assert_true(allows("date [-u -R]", "date -R -u"));
	assert_false(allows("date [-u -R]", "date -R -u -R"));
	assert_false(allows("date [-u -R]", "date -u -u"));
}

static void
malformed_entries_are_refused_with_the_reason(void **state)
{
	(void)state;
	assert_null(refusal("uname [-a -r]"));
	assert_null(refusal("/usr/bin/id"));
	assert_string_equal(refusal("ls [-l"), "\"[\" without \"]\"");
	assert_string_equal(refusal("ls [-l]x"), "nothing may follow \"]\"");
	assert_string_equal(refusal("ls[-l]"), "\"[\" must follow a blank");
	assert_string_equal(refusal("usr/bin/id"),
	    "a command is a name on PATH or a path from /");
	assert_string_equal(refusal(""), "is empty");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(each_form_allows_what_it_says),
	    cmocka_unit_test(a_bracketed_argument_counts_once),
	    cmocka_unit_test(malformed_entries_are_refused_with_the_reason),
	};

	return cmocka_run_group_tests_name("allow", tests, NULL, NULL);
}
