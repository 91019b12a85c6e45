# Run by `cmake --install`: writes modserv.pc for whatever prefix is
# installed to, so `pkg-config --cflags modserv` finds the header and
# `pkg-config --variable=moduledir modserv` where modules go.
# Set by the caller: LIBDIR, INCLUDEDIR, VERSION.
set(pc "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/${LIBDIR}/pkgconfig/modserv.pc")
file(WRITE "${pc}" "prefix=${CMAKE_INSTALL_PREFIX}
includedir=\${prefix}/${INCLUDEDIR}
moduledir=\${prefix}/${LIBDIR}/modserv/modules

Name: modserv
Description: modserv handler modules: the module API (modserv.h)
Version: ${VERSION}
Cflags: -I\${includedir}
")
message(STATUS "Installing: ${pc}")
