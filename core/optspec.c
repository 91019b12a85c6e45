/* optspec.c - a module's option declarations: the table checked at load, a
 * value checked against its declaration, what a declaration allows. */
#include "optspec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
optspec_type_name(int type)
{
	switch (type) {
	case MS_OPT_STR:
		return "string";
	case MS_OPT_INT:
		return "integer";
	case MS_OPT_BOOL:
		return "boolean";
	case MS_OPT_LIST:
		return "list of strings";
	case MS_OPT_PATH:
		return "path";
	case MS_OPT_ENV:
		return "NAME=value list";
	case MS_OPT_ENV_NAMES:
		return "list of names";
	}
	return "unknown type";
}

const char *
optspec_type_article(int type)
{
	return type == MS_OPT_INT ? "an" : "a";
}

int
optspec_written_as(int type)
{
	if (type == MS_OPT_PATH)
		return MS_OPT_STR;
	if (type == MS_OPT_ENV || type == MS_OPT_ENV_NAMES)
		return MS_OPT_LIST;
	return type;
}

/* 1 if the first n bytes of s are a portable variable name. */
static int
optspec_env_name(const char *s, size_t n)
{
	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

int
optspec_check_env(int type, char *const *list, size_t n, char *why, size_t len)
{
	if (type != MS_OPT_ENV && type != MS_OPT_ENV_NAMES)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const char *e = list[i];
		size_t k = type == MS_OPT_ENV ? strcspn(e, "=") : strlen(e);

		if (type == MS_OPT_ENV && e[k] != '=') {
			snprintf(why, len,
			    "entry %zu \"%s\" has no '=': write NAME=value", i,
			    e);
			return -1;
		}
		if (!optspec_env_name(e, k)) {
			snprintf(why, len,
			    "entry %zu \"%s\": \"%.*s\" is not a variable name (letters, digits and _, not first a digit)",
			    i, e, (int)k, e);
			return -1;
		}
		for (size_t j = 0; j < i; j++)
			if (strncmp(list[j], e, k) == 0 &&
			    (list[j][k] == '=' || list[j][k] == '\0')) {
				snprintf(why, len,
				    "entry %zu: %.*s is named twice", i, (int)k,
				    e);
				return -1;
			}
	}
	return 0;
}

/* Whether spec declares a range: min and max both 0 is none. */
static int
optspec_ranged(const struct ms_option *spec)
{
	return spec->min != 0 || spec->max != 0;
}

/* "read, line": spec's choices, as many as fit. */
static void
optspec_choices(const struct ms_option *spec, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; spec->choices[i] && at < len; i++) {
		int n = snprintf(buf + at, len - at, "%s%s", i ? ", " : "",
		    spec->choices[i]);

		if (n < 0)
			break;
		at += (size_t)n;
	}
}

int
optspec_check_int(
    const struct ms_option *spec, long long n, char *why, size_t len)
{
	if (!optspec_ranged(spec) || (n >= spec->min && n <= spec->max))
		return 0;
	if (spec->max == LLONG_MAX)
		snprintf(why, len, "%lld is less than %lld", n, spec->min);
	else if (spec->min == LLONG_MIN)
		snprintf(why, len, "%lld is more than %lld", n, spec->max);
	else
		snprintf(why, len, "%lld is not in %lld..%lld", n, spec->min,
		    spec->max);
	return -1;
}

int
optspec_check_str(
    const struct ms_option *spec, const char *s, char *why, size_t len)
{
	char list[512];

	if (spec->check && spec->check(s, why, len) < 0) {
		char form[256];

		snprintf(form, sizeof(form), "%s", why);
		snprintf(why, len, "\"%s\": %s", s, form);
		return -1;
	}
	if (spec->choices == NULL)
		return 0;
	for (size_t i = 0; spec->choices[i]; i++)
		if (strcmp(spec->choices[i], s) == 0)
			return 0;
	optspec_choices(spec, list, sizeof(list));
	snprintf(why, len, "\"%s\" is not one of %s", s, list);
	return -1;
}

void
optspec_limits(const struct ms_option *spec, char *buf, size_t len)
{
	char text[512];

	buf[0] = '\0';
	if (spec->type != MS_OPT_INT || !optspec_ranged(spec)) {
		if (spec->choices) {
			optspec_choices(spec, text, sizeof(text));
			snprintf(buf, len, "one of %s", text);
		}
	} else if (spec->min == LLONG_MIN && spec->max == LLONG_MAX) {
		return;
	} else if (spec->max == LLONG_MAX) {
		snprintf(buf, len, "at least %lld", spec->min);
	} else if (spec->min == LLONG_MIN) {
		snprintf(buf, len, "at most %lld", spec->max);
	} else {
		snprintf(buf, len, "in %lld..%lld", spec->min, spec->max);
	}
}

/* The default of spec against its type and limits; 0, or -1 with why. */
static int
optspec_check_default(const struct ms_option *spec, char *why, size_t len)
{
	const char *d = spec->def;
	char reason[600];
	long long n;
	char *end;

	if (d == NULL)
		return 0;
	switch (spec->type) {
	case MS_OPT_INT:
		errno = 0;
		n = strtoll(d, &end, 0);
		if (end == d || *end != '\0' || errno == ERANGE) {
			snprintf(
			    why, len, "default \"%s\" is not an integer", d);
			return -1;
		}
		if (optspec_check_int(spec, n, reason, sizeof(reason)) < 0) {
			snprintf(why, len, "default %s", reason);
			return -1;
		}
		return 0;
	case MS_OPT_BOOL:
		if (strcmp(d, "true") != 0 && strcmp(d, "false") != 0 &&
		    strcmp(d, "1") != 0 && strcmp(d, "0") != 0) {
			snprintf(why, len,
			    "default \"%s\" is not a boolean (true, false, 1 or 0)",
			    d);
			return -1;
		}
		return 0;
	case MS_OPT_STR:
		if (optspec_check_str(spec, d, reason, sizeof(reason)) < 0) {
			snprintf(why, len, "default %s", reason);
			return -1;
		}
		return 0;
	}
	return 0; /* a list's default is not read; a path is any string */
}

/* One declaration, apart from the rest of its table; 0, or -1 with why. */
static int
optspec_check_one(const struct ms_option *spec, char *why, size_t len)
{
	const char *type = optspec_type_name(spec->type);

	if (spec->type < MS_OPT_STR || spec->type > MS_OPT_ENV_NAMES) {
		snprintf(why, len,
		    "type %d is not one this modserv knows (%d string, %d integer, %d boolean, %d list of strings, %d path, %d NAME=value list, %d list of names)",
		    spec->type, MS_OPT_STR, MS_OPT_INT, MS_OPT_BOOL,
		    MS_OPT_LIST, MS_OPT_PATH, MS_OPT_ENV, MS_OPT_ENV_NAMES);
		return -1;
	}
	if (optspec_ranged(spec) && spec->type != MS_OPT_INT) {
		snprintf(why, len,
		    "min and max are for integers, and it is %s %s",
		    optspec_type_article(spec->type), type);
		return -1;
	}
	if (spec->min > spec->max) {
		snprintf(why, len, "min %lld is greater than max %lld%s",
		    spec->min, spec->max,
		    spec->max == 0 ? " (no upper bound: max = LLONG_MAX)" : "");
		return -1;
	}
	if (spec->choices && spec->type != MS_OPT_STR &&
	    spec->type != MS_OPT_LIST) {
		snprintf(why, len,
		    "choices are for strings and lists of strings, and it is %s %s",
		    optspec_type_article(spec->type), type);
		return -1;
	}
	if (spec->check && spec->type != MS_OPT_STR &&
	    spec->type != MS_OPT_LIST) {
		snprintf(why, len,
		    "check is for strings and lists of strings, and it is %s %s",
		    optspec_type_article(spec->type), type);
		return -1;
	}
	if (spec->choices && spec->choices[0] == NULL) {
		snprintf(
		    why, len, "choices is empty: no value could be configured");
		return -1;
	}
	return optspec_check_default(spec, why, len);
}

int
optspec_check_table(const struct ms_option *table, char *why, size_t len)
{
	char reason[800];

	for (size_t i = 0; table && table[i].name; i++) {
		const struct ms_option *spec = &table[i];

		for (size_t j = 0; j < i; j++)
			if (strcmp(table[j].name, spec->name) == 0) {
				snprintf(why, len,
				    "options[%zu] \"%s\": declared twice (also options[%zu])",
				    i, spec->name, j);
				return -1;
			}
		if (optspec_check_one(spec, reason, sizeof(reason)) < 0) {
			snprintf(why, len, "options[%zu] \"%s\": %s", i,
			    spec->name, reason);
			return -1;
		}
	}
	return 0;
}
