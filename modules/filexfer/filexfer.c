/* filexfer - seed 002's blocking file server, made safe: the client sends a
 * path; a regular file beneath the option root is answered with its size in
 * ASCII decimal and, once the client acknowledges, the file itself (streamed
 * by the host with sendfile); anything else with "0001" and a one-line
 * reason.  Paths are resolved beneath the root by the kernel (openat2
 * RESOLVE_BENEATH), so "..", absolute paths and symlinks cannot leave it.
 * Unlike the seed, it never runs a command. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <modserv.h>

static const struct ms_option filexfer_options[] = {
    {.name = "root",
        .type = MS_OPT_PATH,
        .required = 1,
        .help = "the folder whose files are served"},
    {0},
};

struct filexfer_root {
	int dirfd;
	char path[PATH_MAX]; /* its real path, for absolute requests */
};

/* A file announced, waiting for the client's acknowledgement. */
struct filexfer_pending {
	int fd;
	off_t size;
};

/* The root folder: from the descriptor the host opened before it became
 * the service's user (so the folder may lie where that user cannot look,
 * under /root say), else by name.  Its real path goes into root->path. */
static int
filexfer_open_root(ms_service *svc, struct filexfer_root *root)
{
	int fd = ms_opt_fd(svc, "root");
	char proc[32];
	ssize_t n;

	if (fd < 0) {
		if (realpath(ms_opt_str(svc, "root"), root->path) == NULL)
			return -1;
		return open(root->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if ((n = readlink(proc, root->path, sizeof(root->path) - 1)) < 0)
		return -1;
	root->path[n] = '\0';
	return openat(fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static int
filexfer_init(ms_service *svc, char *err, size_t errlen)
{
	struct filexfer_root *root = calloc(1, sizeof(*root));
	const char *dir = ms_opt_str(svc, "root");

	if (root == NULL || (root->dirfd = filexfer_open_root(svc, root)) < 0) {
		snprintf(err, errlen, "root %s: %s", dir, strerror(errno));
		free(root);
		return -1;
	}
	ms_service_set_data(svc, root);
	return 0;
}

static void
filexfer_fini(ms_service *svc)
{
	struct filexfer_root *root = ms_service_data(svc);

	close(root->dirfd);
	free(root);
}

/* Opens name beneath the root; fd, or -1 with errno (EXDEV: it leaves). */
static int
filexfer_open(const struct filexfer_root *root, const char *name)
{
	/* looked at first (O_PATH opens nothing: a FIFO does not block, a
	 * device is not touched), opened for reading only if regular */
	struct open_how how = {.flags = O_PATH | O_CLOEXEC,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
	size_t rootlen = strlen(root->path);
	struct stat st;
	char proc[32];
	int o, fd;

	if (name[0] == '/') { /* absolute: only inside the root */
		if (strncmp(name, root->path, rootlen) != 0 ||
		    (name[rootlen] != '/' && name[rootlen] != '\0')) {
			errno = EXDEV;
			return -1;
		}
		name += rootlen;
		while (*name == '/')
			name++;
		if (*name == '\0')
			name = ".";
	}
	if ((o = (int)syscall(
	         SYS_openat2, root->dirfd, name, &how, sizeof(how))) < 0)
		return -1;
	if (fstat(o, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(o);
		errno = EISDIR; /* "not a regular file" */
		return -1;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o);
	fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	close(o);
	return fd;
}

static const char *
filexfer_reason(int err)
{
	switch (err) {
	case EXDEV:
		return "outside the served folder";
	case ENOENT:
		return "no such file";
	case ELOOP:
		return "a symbolic link that cannot be followed";
	case EISDIR:
		return "not a regular file";
	default:
		return strerror(err);
	}
}

/* The client named a file: announce it, or say why not. */
static int
filexfer_request(ms_request *req, char *name)
{
	struct filexfer_root *root = ms_service_data(ms_request_service(req));
	struct filexfer_pending *p;
	struct stat st;
	int fd;

	if ((fd = filexfer_open(root, name)) < 0 || fstat(fd, &st) < 0 ||
	    !S_ISREG(st.st_mode)) {
		int err = fd >= 0 ? EISDIR : errno;

		if (fd >= 0)
			close(fd);
		return ms_printf(
		           req, "0001%s: %s\n", name, filexfer_reason(err)) < 0
		           ? -1
		           : MS_MORE;
	}
	if ((p = malloc(sizeof(*p))) == NULL) {
		close(fd);
		return -1;
	}
	p->fd = fd;
	p->size = st.st_size;
	ms_request_set_data(req, p);
	return ms_printf(req, "%lld", (long long)st.st_size) < 0 ? -1 : MS_MORE;
}

static int
filexfer_handle(ms_request *req)
{
	struct filexfer_pending *p = ms_request_data(req);
	char name[PATH_MAX];
	size_t n;
	const char *in = ms_peek(req, &n);

	if (n == 0)
		return ms_eof(req) ? MS_CLOSE : MS_MORE;
	if (p != NULL) { /* the acknowledgement: send the file */
		ms_consume(req, n);
		ms_request_set_data(req, NULL);
		int rc = ms_sendfile(req, p->fd, 0, (size_t)p->size);

		free(p);
		return rc < 0 ? -1 : MS_MORE;
	}
	/* the path: what one read brought, without a line ending */
	while (n > 0 && (in[n - 1] == '\n' || in[n - 1] == '\r'))
		n--;
	if (n == 0 || n >= sizeof(name) || memchr(in, '\0', n)) {
		ms_consume(req, SIZE_MAX);
		return ms_printf(req, "0001not a file name\n") < 0 ? -1
		                                                   : MS_MORE;
	}
	memcpy(name, in, n);
	name[n] = '\0';
	ms_consume(req, SIZE_MAX);
	return filexfer_request(req, name);
}

static void
filexfer_finish(ms_request *req)
{
	struct filexfer_pending *p = ms_request_data(req);

	if (p) {
		close(p->fd);
		free(p);
	}
}

MODSERV_MODULE(.name = "filexfer",
    .summary = "sends files from beneath a folder: size, ack, bytes",
    .flags = MS_F_STREAM_ONLY | MS_F_BLOCKING, .options = filexfer_options,
    .init = filexfer_init, .fini = filexfer_fini, .handle = filexfer_handle,
    .finish = filexfer_finish);
