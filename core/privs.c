/* privs.c - becoming a service's user, for good, and dying with the
 * parent even so. */
#include "privs.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "config.h"

static int
privs_drop(const struct service_conf *sc, char *err, size_t errlen)
{
	if (!sc->switch_user)
		return 0;
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
