# Run by `cmake --install`: writes modserv.pc for whatever prefix is
# installed to, so `pkg-config --cflags modserv` finds the header and
# `pkg-config --variable=moduledir modserv` names the folder modserv
# searches after module_path.
# Set by the caller: LIBDIR, VERSION, and cmake/install_dirs.cmake.

# path with the prefix written as ${prefix}, so pkg-config can relocate it
function(pc_path out path)
  string(FIND "${path}" "${CMAKE_INSTALL_PREFIX}/" at)
  if(at EQUAL 0 AND NOT CMAKE_INSTALL_PREFIX STREQUAL "/")
    string(LENGTH "${CMAKE_INSTALL_PREFIX}" n)
    string(SUBSTRING "${path}" ${n} -1 tail)
    set(path "\${prefix}${tail}")
  endif()
  set(${out} "${path}" PARENT_SCOPE)
endfunction()
pc_path(includedir "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
pc_path(moduledir "${MODSERV_INSTALL_MODULES}")
set(pc "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/${LIBDIR}/pkgconfig/modserv.pc")
file(WRITE "${pc}" "prefix=${CMAKE_INSTALL_PREFIX}
includedir=${includedir}
moduledir=${moduledir}

Name: modserv
Description: modserv handler modules: the module API (modserv.h)
Version: ${VERSION}
Cflags: -I\${includedir}
")
message(STATUS "Installing: ${pc}")
