/* bad_size - a table whose size field does not match ABI 1.0. */
#include <modserv.h>

MS_API const struct ms_module modserv_module = {
    .abi_major = 1, .abi_minor = 0, .size = 8};
