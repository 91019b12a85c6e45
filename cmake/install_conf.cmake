# Run by `cmake --install`: installs conf/modserv.conf with its module_path
# pointing at the installed modules, for whatever prefix is installed to.
# Set by the caller: SRC (the source folder), and cmake/install_dirs.cmake.
file(READ "${SRC}/conf/modserv.conf" text)
string(REPLACE "\"../build/modules\"" "\"${MODSERV_INSTALL_MODULES}\""
  text "${text}")
string(REPLACE "relative to this file's folder" "the installed modules"
  text "${text}")
file(WRITE "$ENV{DESTDIR}${MODSERV_INSTALL_ETC}/modserv.conf" "${text}")
message(STATUS "Installing: $ENV{DESTDIR}${MODSERV_INSTALL_ETC}/modserv.conf")
