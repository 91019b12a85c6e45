/* fuzz_framed - any bytes to the framed module's message parser. */
#include "fuzz_module.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	fuzz_module_run(data, n);
	return 0;
}
