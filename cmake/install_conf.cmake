# Run by `cmake --install`: installs conf/modserv.conf with its module_path
# pointing at the installed modules, for whatever prefix is installed to.
# Set by the caller: SRC (the source folder), LIBDIR, SYSCONFDIR.
set(modules "${CMAKE_INSTALL_PREFIX}/${LIBDIR}/modserv/modules")
if(IS_ABSOLUTE "${SYSCONFDIR}")
  set(etc "${SYSCONFDIR}/modserv")
else()
  set(etc "${CMAKE_INSTALL_PREFIX}/${SYSCONFDIR}/modserv")
endif()
file(READ "${SRC}/conf/modserv.conf" text)
string(REPLACE "\"../build/modules\"" "\"${modules}\"" text "${text}")
string(REPLACE "relative to this file's folder" "the installed modules"
  text "${text}")
file(WRITE "$ENV{DESTDIR}${etc}/modserv.conf" "${text}")
message(STATUS "Installing: $ENV{DESTDIR}${etc}/modserv.conf")
