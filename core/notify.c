/* notify.c - the service manager's notification protocol (sd_notify(3)):
 * one datagram of "KEY=value" lines to the unix socket NOTIFY_SOCKET names,
 * a path or, with a leading '@', an abstract name.  Written here rather than
 * linked from libsystemd: that library maps a dozen more libraries into
 * every worker, and each mapping is copied by every fork-model request. */
#include "notify.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

int
notify_enabled(void)
{
	const char *path = getenv("NOTIFY_SOCKET");

	return path && (path[0] == '/' || path[0] == '@');
}

void
notify(const char *fmt, ...)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char msg[1024];
	size_t len;
	va_list ap;
	int fd, n;

	if (!notify_enabled())
		return;
	if ((len = strlen(path)) >= sizeof(sun.sun_path)) {
		log_warn(NULL, "NOTIFY_SOCKET %s: too long", path);
		return;
	}
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = (int)strlen(msg);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    sendto(fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&sun,
	        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		log_syserr(MS_LOG_WARN, NULL, "notifying %s", path);
	if (fd >= 0)
		close(fd);
}
