/* status.c - serving and reading the status socket. */
#include "status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "sock.h"
#include "stats.h"

static int
status_addr(
    const struct config *cfg, struct listen_addr *a, char *err, size_t errlen)
{
	char why[200];

	if (addr_parse_unix(cfg->status_socket, cfg->dir, a, why, sizeof(why)) <
	    0) {
		snprintf(err, errlen, "status_socket: %s", why);
		return -1;
	}
	return 0;
}

int
status_open(
    const struct config *cfg, struct listen_addr *a, char *err, size_t errlen)
{
	int fd;

	if (status_addr(cfg, a, err, errlen) < 0 ||
	    (fd = sock_bind_unix(a, SOCK_STREAM, 16, err, errlen)) < 0)
		return -1;
	if (chmod(a->text, 0660) < 0)
		log_syserr(MS_LOG_WARN, NULL, "chmod %s", a->text);
	log_info(NULL, "status on unix %s", a->text);
	return fd;
}

int
status_same(const struct config *cfg, const struct listen_addr *a)
{
	struct listen_addr b;
	char err[300];

	if (cfg->status_socket == NULL || a == NULL)
		return cfg->status_socket == NULL && a == NULL;
	return status_addr(cfg, &b, err, sizeof(err)) == 0 && addr_same(a, &b);
}

void
status_close(int fd, const struct listen_addr *a)
{
	close(fd);
	sock_unbind_unix(a);
}

void
status_answer(int fd, struct stats_service *const *services, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out;
	int c;

	while (
	    (c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (text == NULL &&
		    (out = open_memstream(&text, &len)) != NULL) {
			stats_write(out, services, n);
			if (fclose(out) != 0) {
				free(text);
				text = NULL;
			}
		}
		/* the master never waits on a client: what the socket buffer
		 * does not take is cut (a few KiB fit in any) */
		if (text && send(c, text, len, MSG_NOSIGNAL) < (ssize_t)len)
			log_debug(NULL, "status: a reader took only part");
		close(c);
	}
	free(text);
}

int
status_query(const struct config *cfg)
{
	struct listen_addr a;
	char err[512], buf[16384];
	ssize_t n;
	int fd;

	if (cfg->status_socket == NULL) {
		fprintf(stderr,
		    "modserv: %s sets no status_socket (add, say, status_socket = \"/run/modserv/status.sock\";)\n",
		    cfg->file);
		return 1;
	}
	if (status_addr(cfg, &a, err, sizeof(err)) < 0) {
		fprintf(stderr, "modserv: %s: %s\n", cfg->file, err);
		return 1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&a.ss, a.len) < 0) {
		fprintf(stderr,
		    "modserv: status socket %s: %s (is modserv running with %s?)\n",
		    a.text, strerror(errno), cfg->file);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			break;
	close(fd);
	return n < 0 ? 1 : 0;
}
