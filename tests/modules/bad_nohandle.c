/* bad_nohandle - a table without the one required function. */
#include <modserv.h>

MODSERV_MODULE(.name = "bad_nohandle", .summary = "no handle");
