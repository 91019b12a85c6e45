/* log.c - the host's log: one write(2) a line, so workers never interleave. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const level_names[] = {"error", "warn", "info", "debug"};
static int current_level = MS_LOG_INFO;
static int to_syslog;  /* else lines go to stderr */
static char *log_path; /* a file stderr is on, reopened by log_reopen */
static int syslog_facility = LOG_DAEMON;

int
log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(*level_names); i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
log_level_name(int level)
{
	if (level < MS_LOG_ERROR || level > MS_LOG_DEBUG)
		return "?";
	return level_names[level];
}

/* The pid lines carry: this process's, or the one given to log_as_pid. */
static pid_t log_shown_pid;

void
log_as_pid(pid_t pid)
{
	log_shown_pid = pid;
}

static int
log_pid(void)
{
	return (int)(log_shown_pid ? log_shown_pid : getpid());
}

void
log_set_level(int level)
{
	current_level = level;
}

int
log_enabled(int level)
{
	return level <= current_level;
}

void
log_vmsg(int level, const char *who, const char *fmt, va_list ap)
{
	char line[2048];
	struct timeval tv;
	struct tm tm;
	int n, saved = errno;

	if (!log_enabled(level))
		return;
	if (to_syslog) {
		static const int prio[] = {
		    LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

		n = snprintf(line, sizeof(line), "%s%s", who ? who : "",
		    who ? ": " : "");
		if (n < (int)sizeof(line))
			vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		syslog(prio[level], "%s", line);
		errno = saved;
		return;
	}
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	n = (int)strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
	n += snprintf(line + n, sizeof(line) - n, ".%03ld [%d] %s %s%s",
	    (long)tv.tv_usec / 1000, log_pid(), log_level_name(level),
	    who ? who : "", who ? ": " : "");
	if (n < (int)sizeof(line))
		n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (n >= (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
	errno = saved;
}

void
log_access(const char *who, const char *text)
{
	char line[2560];
	struct timeval tv;
	struct tm tm;
	int n, saved = errno;

	if (to_syslog) {
		syslog(LOG_INFO, "%s: access: %s", who, text);
		errno = saved;
		return;
	}
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	n = (int)strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
	n += snprintf(line + n, sizeof(line) - n, ".%03ld [%d] access %s: %s",
	    (long)tv.tv_usec / 1000, log_pid(), who, text);
	if (n >= (int)sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
	errno = saved;
}

/* Points stderr at the log file (made if need be): what modules and the
 * programs they run write there lands in it too. */
static int
log_open_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0) {
		snprintf(err, errlen, "log %s: %s", path, strerror(errno));
		return -1;
	}
	if (fd != STDERR_FILENO) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	return 0;
}

int
log_open(const char *target, int facility, char *err, size_t errlen)
{
	char *path = NULL;

	if (target && strcmp(target, "stderr") != 0 &&
	    strcmp(target, "syslog") != 0 &&
	    ((path = strdup(target)) == NULL ||
	        log_open_file(path, err, errlen) < 0)) {
		free(path);
		return -1;
	}
	free(log_path);
	log_path = path;
	if (to_syslog)
		closelog();
	to_syslog = target && strcmp(target, "syslog") == 0;
	syslog_facility = facility;
	if (to_syslog)
		openlog("modserv", LOG_PID | LOG_NDELAY, facility);
	return 0;
}

void
log_reopen(void)
{
	char err[512];

	if (to_syslog) {
		closelog();
		openlog("modserv", LOG_PID | LOG_NDELAY, syslog_facility);
	} else if (log_path && log_open_file(log_path, err, sizeof(err)) < 0) {
		log_error(NULL, "%s: logging on to the file as it was", err);
	}
}

int
log_file_fd(void)
{
	return log_path && !to_syslog ? STDERR_FILENO : -1;
}

void
log_adopt(int fd)
{
	if (fd != STDERR_FILENO) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
}

void
log_msg(int level, const char *who, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, who, fmt, ap);
	va_end(ap);
}

void
log_syserr(int level, const char *who, const char *fmt, ...)
{
	char msg[1024];
	int saved = errno;
	va_list ap;

	if (!log_enabled(level)) /* a debug line costs nothing when off */
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(level, who, "%s: %s", msg, strerror(saved));
	errno = saved;
}

void
log_exit(const char *who, const char *what, pid_t pid, int status, int quiet)
{
	if (WIFSIGNALED(status))
		log_warn(who, "%s %d killed by signal %d (%s)", what, (int)pid,
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) != 0)
		log_warn(who, "%s %d exited with status %d", what, (int)pid,
		    WEXITSTATUS(status));
	else if (!quiet)
		log_info(who, "%s %d exited with status 0", what, (int)pid);
}
