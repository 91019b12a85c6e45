/* haproxy.c - HAProxy started and stopped for a test. */
#include "haproxy.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

void
haproxy_needed(void)
{
	if (access(HAPROXY, X_OK) != 0)
		fail_msg("%s is missing: scripts/setup.sh installs haproxy",
		    HAPROXY);
}

void
haproxy_start(struct haproxy *h, const char *conf, int port)
{
	char path[320], log[320], addr[32];
	long long end = now_ms() + 5000;
	FILE *f;

	snprintf(h->dir, sizeof(h->dir), "/tmp/modserv-haproxy.XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	snprintf(path, sizeof(path), "%s/haproxy.cfg", h->dir);
	snprintf(log, sizeof(log), "%s/haproxy.log", h->dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(conf, f);
	fclose(f);
	if ((h->pid = fork()) == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		execl(HAPROXY, "haproxy", "-db", "-f", path, (char *)NULL);
		_exit(127);
	}
	assert_true(h->pid > 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	for (;;) { /* up once its frontend accepts */
		int fd = client_connect("tcp", addr);

		if (fd >= 0) {
			close(fd);
			return;
		}
		if (now_ms() > end)
			fail_msg("haproxy did not start:\n%s", haproxy_log(h));
		usleep(20000);
	}
}

void
haproxy_stop(struct haproxy *h)
{
	char cmd[600];

	if (h->pid > 0) {
		kill(h->pid, SIGTERM);
		waitpid(h->pid, NULL, 0);
		h->pid = -1;
	}
	if (h->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", h->dir);
		h->dir[0] = '\0';
	}
}

const char *
haproxy_log(const struct haproxy *h)
{
	static char text[1 << 16];
	char path[320];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/haproxy.log", h->dir);
	if ((f = fopen(path, "r")) != NULL) {
		n = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
	}
	text[n] = '\0';
	return text;
}
