# Run by `cmake --install`: installs conf/systemd's units with the paths of
# the binary and configuration of the prefix installed to.  Set by the
# caller: SRC (the source folder), SBINDIR, and cmake/install_dirs.cmake.
set(units "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
# where install(TARGETS) put the binary
if(IS_ABSOLUTE "${SBINDIR}")
  set(sbin "${SBINDIR}")
else()
  set(sbin "${CMAKE_INSTALL_PREFIX}/${SBINDIR}")
endif()
foreach(unit modserv.service modserv.socket)
  file(READ "${SRC}/conf/systemd/${unit}" text)
  string(REPLACE "/usr/local/sbin/modserv"
    "${sbin}/modserv" text "${text}")
  string(REPLACE "/usr/local/etc/modserv" "${MODSERV_INSTALL_ETC}"
    text "${text}")
  file(WRITE "$ENV{DESTDIR}${units}/${unit}" "${text}")
  message(STATUS "Installing: $ENV{DESTDIR}${units}/${unit}")
endforeach()
