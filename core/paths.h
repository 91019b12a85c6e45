/* paths.h - the default configuration file and module folder, which follow
 * the prefix the binary was installed to. */
#ifndef PATHS_H
#define PATHS_H

#include <stddef.h>

/* Where an installation puts things, as GNUInstallDirs names them: relative
 * to the prefix, or absolute when configured so. */
struct paths_layout {
	const char *sbindir;    /* CMAKE_INSTALL_SBINDIR: "sbin" */
	const char *sysconfdir; /* CMAKE_INSTALL_SYSCONFDIR: "etc" */
	const char *libdir;     /* CMAKE_INSTALL_LIBDIR: "lib" */
};

/* The defaults of a binary whose resolved path is exe.  When exe is
 * <prefix>/<sbindir>/NAME: 0, with <sysconfdir>/modserv/modserv.conf in conf
 * and <libdir>/modserv/modules in moduledir, both made absolute for that
 * prefix as GNUInstallDirs does (prefix /usr: /etc; /opt/X: /etc/opt/X).
 * -1 when exe is anywhere else (a build tree) or a path does not fit. */
int paths_compute(const char *exe, const struct paths_layout *layout,
    char *conf, size_t conflen, char *moduledir, size_t moduledirlen);
/* The default configuration file: the installed prefix's, or the build's
 * MODSERV_CONF_DEFAULT when this binary is not in <prefix>/<sbindir>. */
const char *paths_conf(void);
/* The default module folder, searched after module_path: the installed
 * prefix's, or the build's MODSERV_MODULE_DIR, as paths_conf(). */
const char *paths_module_dir(void);

#endif
