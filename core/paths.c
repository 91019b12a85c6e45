/* paths.c - the installed prefix, worked out from where the binary is, and
 * the default configuration and module folder under it. */
#include "paths.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The prefix of exe's folder when that folder is <prefix>/<sbindir>: its
 * length in *len ("/" when the prefix is the root), or -1. */
static int
paths_prefix(const char *exe, const char *sbindir, size_t *len)
{
	const char *slash = strrchr(exe, '/');
	size_t dir, sub = strlen(sbindir);

	if (*exe != '/' || *sbindir == '/' || sub == 0 || slash == NULL)
		return -1;
	dir = (size_t)(slash - exe);
	if (dir < sub + 1 || exe[dir - sub - 1] != '/' ||
	    strncmp(exe + dir - sub, sbindir, sub) != 0)
		return -1;
	*len = dir - sub - 1;
	return 0;
}

/* GNUInstallDirs_get_absolute_install_dir: rel made absolute for prefix
 * (no trailing '/'; "" is the root).  0, or -1 when it does not fit. */
static int
paths_full(
    const char *prefix, const char *rel, int sysconf, char *buf, size_t len)
{
	int n;

	if (*rel == '/')
		n = snprintf(buf, len, "%s", rel);
	else if (*prefix == '\0' && sysconf)
		n = snprintf(buf, len, "/%s", rel);
	else if (*prefix == '\0')
		n = snprintf(buf, len, "/%s%s",
		    strncmp(rel, "usr/", 4) == 0 ? "" : "usr/", rel);
	else if (strcmp(prefix, "/usr") == 0 && sysconf)
		n = snprintf(buf, len, "/%s", rel);
	else if (strncmp(prefix, "/opt/", 5) == 0 &&
	         strncmp(prefix, "/opt/homebrew/", 14) != 0 && sysconf)
		n = snprintf(buf, len, "/%s%s", rel, prefix);
	else
		n = snprintf(buf, len, "%s/%s", prefix, rel);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
paths_compute(const char *exe, const struct paths_layout *layout, char *conf,
    size_t conflen, char *moduledir, size_t moduledirlen)
{
	char prefix[PATH_MAX], etc[PATH_MAX], lib[PATH_MAX];
	size_t len;
	int n;

	if (paths_prefix(exe, layout->sbindir, &len) < 0 ||
	    len >= sizeof(prefix))
		return -1;
	memcpy(prefix, exe, len);
	prefix[len] = '\0';
	if (paths_full(prefix, layout->sysconfdir, 1, etc, sizeof(etc)) < 0 ||
	    paths_full(prefix, layout->libdir, 0, lib, sizeof(lib)) < 0)
		return -1;
	n = snprintf(conf, conflen, "%s/modserv/modserv.conf", etc);
	if (n < 0 || (size_t)n >= conflen)
		return -1;
	n = snprintf(moduledir, moduledirlen, "%s/modserv/modules", lib);
	return n < 0 || (size_t)n >= moduledirlen ? -1 : 0;
}

static pthread_once_t paths_once = PTHREAD_ONCE_INIT;
static char paths_conf_file[PATH_MAX], paths_modules[PATH_MAX];

/* Once, at the first question: later the binary may have been replaced. */
static void
paths_init(void)
{
	static const struct paths_layout layout = {
	    MODSERV_SBINDIR, MODSERV_SYSCONFDIR, MODSERV_LIBDIR};
	char *exe = realpath("/proc/self/exe", NULL);

	if (exe == NULL || paths_compute(exe, &layout, paths_conf_file,
	                       sizeof(paths_conf_file), paths_modules,
	                       sizeof(paths_modules)) < 0) {
		snprintf(paths_conf_file, sizeof(paths_conf_file), "%s",
		    MODSERV_CONF_DEFAULT);
		snprintf(paths_modules, sizeof(paths_modules), "%s",
		    MODSERV_MODULE_DIR);
	}
	free(exe);
}

const char *
paths_conf(void)
{
	pthread_once(&paths_once, paths_init);
	return paths_conf_file;
}

const char *
paths_module_dir(void)
{
	pthread_once(&paths_once, paths_init);
	return paths_modules;
}
