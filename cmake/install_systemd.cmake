# Run by `cmake --install`: installs conf/systemd's units with the paths of
# the binary and configuration of the prefix installed to.  Set by the
# caller: SRC (the source folder), SBINDIR, SYSCONFDIR.
if(IS_ABSOLUTE "${SYSCONFDIR}")
  set(etc "${SYSCONFDIR}/modserv")
else()
  set(etc "${CMAKE_INSTALL_PREFIX}/${SYSCONFDIR}/modserv")
endif()
set(units "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
foreach(unit modserv.service modserv.socket)
  file(READ "${SRC}/conf/systemd/${unit}" text)
  string(REPLACE "/usr/local/sbin/modserv"
    "${CMAKE_INSTALL_PREFIX}/${SBINDIR}/modserv" text "${text}")
  string(REPLACE "/usr/local/etc/modserv" "${etc}" text "${text}")
  file(WRITE "$ENV{DESTDIR}${units}/${unit}" "${text}")
  message(STATUS "Installing: $ENV{DESTDIR}${units}/${unit}")
endforeach()
