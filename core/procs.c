/* procs.c - walks /proc with getdents64, open and read only: the keeper and
 * a program about to exec run in a child forked from a worker with threads,
 * where malloc and stdio may be held by a thread that is gone. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "procs.h"

/* Reads /proc/NAME/FILE into buf, NUL-terminated; its length or -1. */
static ssize_t
procs_read(
    int procfd, const char *name, const char *file, char *buf, size_t len)
{
	char path[64];
	size_t n = strlen(name), m = strlen(file);
	ssize_t got;
	int fd;

	if (n + m + 2 > sizeof(path))
		return -1;
	memcpy(path, name, n);
	path[n] = '/';
	memcpy(path + n + 1, file, m + 1);
	if ((fd = openat(procfd, path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	got = read(fd, buf, len - 1);
	close(fd);
	if (got < 0)
		return -1;
	buf[got] = '\0';
	return got;
}

static long
procs_number(const char *s)
{
	long v = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return v;
}

/* The ppid from stat: "pid (comm) S ppid ...", comm may hold ") ". */
static int
procs_stat(int procfd, const char *name, struct procs_entry *e)
{
	char buf[512], *p;
	ssize_t n = procs_read(procfd, name, "stat", buf, sizeof(buf));

	if (n < 0)
		return -1;
	for (p = buf + n; p > buf && p[-1] != ')'; p--)
		;
	if (p == buf || p[0] != ' ' || p[1] == '\0' || p[2] != ' ')
		return -1;
	e->state = p[1];
	e->ppid = (pid_t)procs_number(p + 3);
	return 0;
}

/* Calls visit for every process folder name of /proc, until it returns
 * nonzero. */
static int
procs_walk(
    int (*visit)(int procfd, const char *name, uid_t owner, void *), void *arg)
{
	char buf[16384];
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ssize_t n;
	int stop = 0;

	if (procfd < 0)
		return -1;
	while (!stop && (n = getdents64(procfd, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; !stop && off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			struct stat st;
			const char *c = d->d_name;

			off += d->d_reclen;
			while (*c >= '0' && *c <= '9')
				c++;
			if (c == d->d_name || *c != '\0' ||
			    fstatat(procfd, d->d_name, &st, 0) < 0)
				continue; /* not a process, or gone */
			stop = visit(procfd, d->d_name, st.st_uid, arg);
		}
	close(procfd);
	return n < 0 ? -1 : 0;
}

struct procs_each_arg {
	int (*fn)(const struct procs_entry *, void *);
	void *arg;
};

static int
procs_each_visit(int procfd, const char *name, uid_t owner, void *arg)
{
	struct procs_each_arg *a = arg;
	struct procs_entry e = {(pid_t)procs_number(name), 0, 0};

	(void)owner;
	if (procs_stat(procfd, name, &e) < 0)
		return 0;
	return a->fn(&e, a->arg);
}

int
procs_each(int (*fn)(const struct procs_entry *, void *), void *arg)
{
	struct procs_each_arg a = {fn, arg};

	return procs_walk(procs_each_visit, &a);
}

struct procs_count {
	uid_t uid;
	int contained; /* only what runs in a PID namespace, and keepers */
	long tasks;
};

/* In a PID namespace below ours (NSpid lists two pids or more), or a
 * keeper, which joined the programs' user namespace but not their PID
 * namespace. */
static int
procs_is_contained(const char *status)
{
	const char *ns = strstr(status, "\nNSpid:"), *end;
	int fields = 0;

	if (strncmp(status, "Name:\tmodserv-keeper\n", 22) == 0)
		return 1;
	if (ns == NULL)
		return 0;
	ns += 7;
	end = strchr(ns, '\n');
	for (; *ns && ns != end; ns++)
		if ((ns[0] == '\t' || ns[0] == ' ') && ns[1] >= '0' &&
		    ns[1] <= '9')
			fields++;
	return fields >= 2;
}

/* The owner is the process's user, or root when it is not dumpable (a
 * worker after its drop): only those two may be uid's. */
static int
procs_count_visit(int procfd, const char *name, uid_t owner, void *arg)
{
	struct procs_count *c = arg;
	char buf[4096];
	const char *uid, *threads;

	if (owner != c->uid && owner != 0)
		return 0;
	if (procs_read(procfd, name, "status", buf, sizeof(buf)) < 0 ||
	    (uid = strstr(buf, "\nUid:")) == NULL ||
	    (threads = strstr(buf, "\nThreads:")) == NULL)
		return 0;
	if ((uid_t)procs_number(uid + 5) == c->uid &&
	    (!c->contained || procs_is_contained(buf)))
		c->tasks += procs_number(threads + 9);
	return 0;
}

long
procs_tasks_of(uid_t uid, int contained)
{
	struct procs_count c = {uid, contained, 0};

	if (procs_walk(procs_count_visit, &c) < 0)
		return -1;
	return c.tasks;
}
