/* contain_ns.h - a PID namespace for a program (see contain_ns.c). */
#ifndef CONTAIN_NS_H
#define CONTAIN_NS_H

#include <stddef.h>
#include <sys/types.h>

/* In a single-threaded process: the children it forks from now on are in
 * a new PID namespace, the first of them its init.  0; -1 with errno when
 * the kernel refuses (no user namespaces for this user, say), nothing
 * changed; -2 with errno if a namespace was made but could not be set up.
 * Async-signal-safe. */
int contain_ns_enter(void);

/* In a namespace's init, before the program: a mount namespace of its own
 * with a /proc of the PID namespace, so that the program sees only what it
 * started (not the host's processes, nor other programs of the same user to
 * read their memory).  Where the kernel refuses (a /proc partly hidden, as
 * in some containers), the host's /proc stays.  Async-signal-safe. */
void contain_ns_own_proc(void);

/* As root, before a worker becomes uid and gid (not root): makes the user
 * namespace its programs' keepers join.  0, or -1 with the reason in err
 * (its programs then have a keeper only, see contain.c). */
int contain_ns_prepare(uid_t uid, gid_t gid, char *err, size_t errlen);

/* 0 if this process's children can have namespaces of their own, else
 * the errno the kernel refused them with.  Asked once per process (a
 * child that tries), then remembered; call it in a worker before it
 * forks, so that its children know too. */
int contain_ns_available(void);

#endif
