/* hot.h - MS_HOT marks the code a request runs, from the fork model's
 * fork to the request's end, and puts it in one section, .text.hot, which
 * the linker lays out together: a fork model's request process maps the
 * text it runs page by page (fork copies no page table entries of a file
 * mapping), and each 64 KiB window of text it touches costs a page fault
 * and its teardown.  A section, not the hot attribute: the compiler takes
 * a function that ends in _exit for a cold one. */
#ifndef MODSERV_HOT_H
#define MODSERV_HOT_H

#define MS_HOT __attribute__((section(".text.hot.modserv")))

#endif
