/* uidrec - an echo whose ELF constructor appends "PID UID EUID" to the
 * file MODSERV_TEST_UID_FILE names: the tests read which users module
 * code ever ran as, in a check, -t, -M, a worker or after a reload. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <modserv.h>

__attribute__((constructor)) static void
uidrec_record(void)
{
	const char *file = getenv("MODSERV_TEST_UID_FILE");
	int fd;

	if (file == NULL || (fd = open(file, O_WRONLY | O_APPEND)) < 0)
		return;
	dprintf(fd, "%d %d %d\n", (int)getpid(), (int)getuid(), (int)geteuid());
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
