/* uidrec - an echo whose ELF constructor appends "PID UID EUID TTY LISTEN"
 * to the file MODSERV_TEST_UID_FILE names: the tests read which users
 * module code ever ran as, in a check, -t, -M, a worker or after a
 * reload, whether it could reach a terminal (TTY: 1 when one of its
 * standard descriptors is a terminal it may read or push input into) and
 * how many listening sockets it holds (LISTEN). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int
uidrec_listeners(void)
{
	int n = 0;

	for (int fd = 3; fd < 1024; fd++) {
		int on = 0;
		socklen_t len = sizeof(on);

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 &&
		    on)
			n++;
	}
	return n;
}

static int
uidrec_terminal(void)
{
	char c = ' ';

	for (int fd = 0; fd <= 2; fd++)
		if (isatty(fd) &&
		    ((fcntl(fd, F_GETFL) & O_ACCMODE) != O_WRONLY ||
		        ioctl(fd, TIOCSTI, &c) == 0))
			return 1;
	return 0;
}

#include <modserv.h>

__attribute__((constructor)) static void
uidrec_record(void)
{
	const char *file = getenv("MODSERV_TEST_UID_FILE");
	int fd;

	if (file == NULL || (fd = open(file, O_WRONLY | O_APPEND)) < 0)
		return;
	dprintf(fd, "%d %d %d %d %d\n", (int)getpid(), (int)getuid(),
	    (int)geteuid(), uidrec_terminal(), uidrec_listeners());
	close(fd);
}

static int
uidrec_handle(ms_request *req)
{
	size_t n;
	const void *p = ms_peek(req, &n);

	ms_write(req, p, n);
	ms_consume(req, n);
	return MS_MORE;
}

MODSERV_MODULE(.name = "uidrec", .summary = "echo; records its users",
    .handle = uidrec_handle);
