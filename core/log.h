/* log.h - one line an event on stderr: time, level, service, message. */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <sys/types.h>

#include "modserv.h"

/* Levels are the module API's MS_LOG_* so ms_log maps one to one. */
int log_level_parse(const char *name); /* level, or -1 */
const char *log_level_name(int level);
void log_set_level(int level);
/* Lines from this process show pid, not getpid(): for a program in a PID
 * namespace, whose getpid() is 2 there. */
void log_as_pid(pid_t pid);
int log_enabled(int level);

/* Where lines go: target "stderr" (or NULL), "syslog" (with facility, a
 * LOG_* value), or a file path, which stderr is then pointed at.  0, or -1
 * with err (then nothing changed). */
int log_open(const char *target, int facility, char *err, size_t errlen);
/* Opens the log file again (after it was rotated), or reconnects to
 * syslog (in a new process whose descriptors were closed). */
void log_reopen(void);
/* The descriptor the log file is open on (to hand to a process that may
 * not open it itself), or -1 when the log is not a file. */
int log_file_fd(void);
/* Logs to fd from now on (a log file the master opened): it becomes
 * stderr. */
void log_adopt(int fd);

/* who: a service name, or NULL for the host itself. */
void log_msg(int level, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_vmsg(int level, const char *who, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/* An access-log line in the main log, whatever log_level says: "time
 * [pid] access who: text". */
void log_access(const char *who, const char *text);
/* As log_msg, with ": strerror(errno)" after the message: the one way a
 * log line says what errno is (never %m, nor strerror(errno) as an
 * argument of log_msg).  An error that is not errno (a pthread or
 * getaddrinfo code, an errno saved earlier) goes as "%s", strerror(e). */
void log_syserr(int level, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* How a child process ended, from its wait status: killed by a signal or a
 * non-zero exit at warn, a zero exit at info unless quiet.  what names it
 * ("127.0.0.1:5000: request process"). */
void log_exit(
    const char *who, const char *what, pid_t pid, int status, int quiet);

#define log_error(who, ...) log_msg(MS_LOG_ERROR, who, __VA_ARGS__)
#define log_warn(who, ...) log_msg(MS_LOG_WARN, who, __VA_ARGS__)
#define log_info(who, ...) log_msg(MS_LOG_INFO, who, __VA_ARGS__)
#define log_debug(who, ...) log_msg(MS_LOG_DEBUG, who, __VA_ARGS__)

#endif
