/* optspec.h - a module's option declarations (struct ms_option): its table
 * checked once when it is loaded, a configured value checked against the
 * declaration of its option. */
#ifndef OPTSPEC_H
#define OPTSPEC_H

#include <stddef.h>

#include "modserv.h"

/* "string", "integer", "boolean", "list of strings", "path", ... */
const char *optspec_type_name(int type);
/* "a" or "an", as the type's name wants it in a sentence. */
const char *optspec_type_article(int type);
/* The type a configuration value of an option of type has: MS_OPT_PATH is
 * written as a string, MS_OPT_ENV and MS_OPT_ENV_NAMES as lists. */
int optspec_written_as(int type);
/* An MS_OPT_ENV or MS_OPT_ENV_NAMES value (list, n strings): each entry a
 * NAME=value, or a NAME, and no name twice.  0 (also for any other type),
 * or -1 with why. */
int optspec_check_env(
    int type, char *const *list, size_t n, char *why, size_t len);
/* Checks a module's option table (NULL: none) in this host's layout: known
 * types, unique names, min/max only on an integer and min <= max, choices
 * only on a string or a list and not empty, a default that parses as its
 * type and that min/max or choices allow.  0, or -1 with
 * `options[I] "NAME": reason` in why. */
int optspec_check_table(const struct ms_option *table, char *why, size_t len);
/* 0 if spec's min/max allow n, else -1 with "-3 is not in 1..3600" in why. */
int optspec_check_int(
    const struct ms_option *spec, long long n, char *why, size_t len);
/* 0 if spec's choices allow s, else -1 with "\"x\" is not one of a, b" in
 * why. */
int optspec_check_str(
    const struct ms_option *spec, const char *s, char *why, size_t len);
/* What spec allows beyond its type, as `modserv -M` shows it: "in 1..3600",
 * "at least 1", "at most 5", "one of read, line", or "" (any value of the
 * type). */
void optspec_limits(const struct ms_option *spec, char *buf, size_t len);

#endif
