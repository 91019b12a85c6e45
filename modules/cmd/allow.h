/* allow.h - cmd's allow entries: which command lines may run.
 *
 *   "date"             the command, with any arguments
 *   "date +%s"         exactly this command line
 *   "uname [-a -r]"    the command (and words before the brackets), then
 *                      any of the bracketed arguments, in any order, each
 *                      at most once
 *   "uptime []"        the command with no argument at all
 *
 * Words are split at blanks, as cmd splits a request; "[" and "]" stand
 * alone even when written against the word after "[" or before "]"; a
 * word before "[" is refused, as is a command path not from /. */
#ifndef CMD_ALLOW_H
#define CMD_ALLOW_H

#include <stddef.h>

/* 0 if entry is well formed, else -1 with the reason in err. */
int allow_check(const char *entry, char *err, size_t errlen);
/* 1 if the command line argv (argc words, argc >= 1) is one entry allows
 * (a well-formed one). */
int allow_match(const char *entry, char *const *argv, size_t argc);

#endif
