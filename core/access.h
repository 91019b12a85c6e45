/* access.h - allow / deny lists of addresses and CIDR prefixes. */
#ifndef ACCESS_H
#define ACCESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct cidr {
	int family;       /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network byte order, host bits cleared */
	int prefix;       /* bits that must match */
};

/* "10.0.0.0/8", "192.168.1.7", "::1", "fe80::/10".  0, or -1 with err. */
int access_parse(const char *text, struct cidr *c, char *err, size_t errlen);
/* Whether sa lies in c. */
int access_match(const struct cidr *c, const struct sockaddr *sa);
/* Deny wins; then, when allow is not empty, sa must be in it.  Peers of
 * unix sockets have no address and always pass. */
int access_allowed(const struct cidr *allow, size_t nallow,
    const struct cidr *deny, size_t ndeny, const struct sockaddr *sa);

#endif
