/* fuzz_cmd - any bytes to the cmd module: split, checked against an empty
 * allow list (so nothing runs), answered with framed errors. */
#include "fuzz_module.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	fuzz_module_run(data, n);
	return 0;
}
