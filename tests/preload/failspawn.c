/* failspawn.c - LD_PRELOADed into modserv by tests: while the file named by
 * MODSERV_TEST_FAIL_SPAWN exists, pthread_create and fork fail with EAGAIN,
 * as they do when a machine runs out of threads or processes. */

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

static int
failing(void)
{
	const char *flag = getenv("MODSERV_TEST_FAIL_SPAWN");

	return flag && access(flag, F_OK) == 0;
}

int
pthread_create(
    pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
	static int (*real)(
	    pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

	if (failing())
		return EAGAIN;
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "pthread_create");
	return real(t, attr, fn, arg);
}

pid_t
fork(void)
{
	static pid_t (*real)(void);

	if (failing()) {
		errno = EAGAIN;
		return -1;
	}
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "fork");
	return real();
}
