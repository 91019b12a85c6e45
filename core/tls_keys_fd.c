/* tls_keys_fd.c - session ticket keys in a sealed memfd (tls_keys_fd.h). */
#include "tls_keys_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a reader needs to trust: the size and the bytes are final. */
#define TLS_KEYS_FD_SEALS                                                      \
	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

int
tls_keys_fd_make(const struct tls_ticket_keys *k, char *err, size_t errlen)
{
	int fd = memfd_create(
	    "modserv-ticket-keys", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0) {
		snprintf(err, errlen, "memfd_create: %s", strerror(errno));
		return -1;
	}
	if (pwrite(fd, k, sizeof(*k), 0) != (ssize_t)sizeof(*k) ||
	    fcntl(fd, F_ADD_SEALS, TLS_KEYS_FD_SEALS) < 0) {
		snprintf(err, errlen, "sealing the keys in a memfd: %s",
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
tls_keys_fd_read(int fd, struct tls_ticket_keys *k, char *err, size_t errlen)
{
	int seals = fcntl(fd, F_GET_SEALS);
	struct stat st;

	if (seals < 0 || (seals & TLS_KEYS_FD_SEALS) != TLS_KEYS_FD_SEALS ||
	    fstat(fd, &st) < 0 || st.st_size != (off_t)sizeof(*k)) {
		snprintf(err, errlen,
		    "the file handed over is not a sealed memfd of %zu bytes",
		    sizeof(*k));
		return -1;
	}
	if (pread(fd, k, sizeof(*k), 0) != (ssize_t)sizeof(*k)) {
		snprintf(err, errlen, "reading the keys: %s", strerror(errno));
		tls_ticket_keys_wipe(k);
		return -1;
	}
	if (k->n < 1 || k->n > TLS_TICKET_KEYS) {
		snprintf(err, errlen, "the file handed over holds %u keys",
		    (unsigned)k->n);
		tls_ticket_keys_wipe(k);
		return -1;
	}
	return 0;
}
