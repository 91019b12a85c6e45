/* privs.c - becoming a service's user, for good: away from root's terminal
 * and keys, and dying with the parent even so. */
#include "privs.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"

/* Leaves root's terminal: a session of its own (no controlling terminal,
 * so no TIOCSTI into root's shell), no terminal on standard input (/dev/null
 * instead), and one on standard output or error opened again write-only (no
 * reading root's keystrokes).  Done as root, before the drop. */
static int
privs_leave_terminal(char *err, size_t errlen)
{
	int null;

	if (setsid() < 0 && getsid(0) != getpid()) {
		snprintf(err, errlen, "setsid: %s", strerror(errno));
		return -1;
	}
	if (isatty(STDIN_FILENO)) { /* /dev/null, or an empty pipe */
		int p[2] = {-1, -1};

		if ((null = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0 &&
		    pipe2(p, O_CLOEXEC) == 0) {
			null = p[0];
			close(p[1]);
		}
		if (null < 0 || dup2(null, STDIN_FILENO) < 0) {
			snprintf(
			    err, errlen, "standard input: %s", strerror(errno));
			return -1;
		}
		close(null);
	}
	for (int fd = STDOUT_FILENO; fd <= STDERR_FILENO; fd++) {
		char proc[32];
		int w;

		if (!isatty(fd))
			continue;
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if ((w = open(proc, O_WRONLY | O_NOCTTY | O_CLOEXEC)) < 0 ||
		    dup2(w, fd) < 0) {
			snprintf(err, errlen, "the terminal on %d: %s", fd,
			    strerror(errno));
			return -1;
		}
		close(w);
	}
	return 0;
}

static int
privs_drop(const struct service_conf *sc, char *err, size_t errlen)
{
	if (!sc->switch_user)
		return 0;
	if (privs_leave_terminal(err, errlen) < 0)
		return -1;
	/* a session keyring of its own, made as root (the user's key quota
	 * cannot make it fail): root's keys are not the user's */
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 &&
	    errno != ENOSYS) {
		snprintf(err, errlen, "a session keyring of its own: %s",
		    strerror(errno));
		return -1;
	}
	if (setgroups(1, &sc->gid) < 0 || setgid(sc->gid) < 0 ||
	    setuid(sc->uid) < 0) {
		snprintf(err, errlen, "becoming user %s (uid %d, gid %d): %s",
		    sc->user, (int)sc->uid, (int)sc->gid, strerror(errno));
		return -1;
	}
	if (sc->uid != 0 && setuid(0) == 0) { /* must not be able to return */
		snprintf(
		    err, errlen, "user %s could become root again", sc->user);
		return -1;
	}
	return 0;
}

int
privs_become(const struct service_conf *sc, pid_t parent, int sig, char *err,
    size_t errlen)
{
	if (privs_drop(sc, err, errlen) < 0)
		return -1;
	if (prctl(PR_SET_PDEATHSIG, sig) < 0) {
		snprintf(err, errlen, "PR_SET_PDEATHSIG: %s", strerror(errno));
		return -1;
	}
	if (getppid() != parent) {
		snprintf(err, errlen, "the process that started it is gone");
		return -1;
	}
	return 0;
}
