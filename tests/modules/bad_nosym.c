/* bad_nosym - a shared object with no modserv_module symbol. */
#include <modserv.h>

MS_API int not_a_module = 1;
