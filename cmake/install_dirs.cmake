# Included by the install scripts: CMAKE_INSTALL_FULL_<DIR> for the prefix
# installed to (`cmake --install --prefix P`), not the one configured, as
# GNUInstallDirs gives them for P (/usr: the configuration in /etc; /opt/X:
# in /etc/opt/X) — the places the installed binary looks (core/paths.c).
# Set by the caller: SBINDIR, SYSCONFDIR, LIBDIR, INCLUDEDIR, the folders
# as configured (relative to the prefix, or absolute).
set(CMAKE_INSTALL_SBINDIR "${SBINDIR}")
set(CMAKE_INSTALL_SYSCONFDIR "${SYSCONFDIR}")
set(CMAKE_INSTALL_LIBDIR "${LIBDIR}")
set(CMAKE_INSTALL_INCLUDEDIR "${INCLUDEDIR}")
include(GNUInstallDirs)
# where the modules are, the folder modserv searches after module_path
set(MODSERV_INSTALL_MODULES "${CMAKE_INSTALL_FULL_LIBDIR}/modserv/modules")
set(MODSERV_INSTALL_ETC "${CMAKE_INSTALL_FULL_SYSCONFDIR}/modserv")
