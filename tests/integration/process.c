/* process.c - what the process tests share (process.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "process.h"

const char *const models[3] = {"thread", "fork", "select"};

void
conf_one(const char *transport, const char *listen, const char *model,
    const char *module, const char *extra)
{
	assert_int_equal(
	    server_write_one(&srv, transport, listen, model, module, extra), 0);
}

void
start_one(const char *transport, const char *listen, const char *model,
    const char *module, const char *extra)
{
	assert_int_equal(
	    server_start_one(&srv, transport, listen, model, module, extra), 0);
}

int
ask(const char *msg, char *reply, size_t n)
{
	int fd = client_connect(srv.transport[0], srv.addr[0]);
	ssize_t got = 0, r;

	if (fd < 0)
		return -1;
	if (client_send_all(fd, msg, strlen(msg)) < 0 ||
	    shutdown(fd, SHUT_WR) < 0) {
		close(fd);
		return -1;
	}
	while ((size_t)got < n - 1 &&
	       (r = recv(fd, reply + got, n - 1 - (size_t)got, 0)) > 0)
		got += r;
	reply[got] = '\0';
	close(fd);
	return (int)got;
}
