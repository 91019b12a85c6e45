/* upper.h - the hand-written servers' work: the same loop as
 * modules/upper, in place as it is (one the compiler vectorizes). */
#ifndef BENCH_UPPER_H
#define BENCH_UPPER_H

#include <stddef.h>

static inline void
upper(char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (char)(p[i] >= 'a' && p[i] <= 'z' ? p[i] - 32 : p[i]);
}

#endif
