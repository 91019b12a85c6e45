/* listen.c - the hand-written servers' listening socket (listen.h). */
#include "listen.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
listen_on(const char *addr, int type)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int fd, one = 1;

	if (strchr(addr, '/')) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&ss;

		unlink(addr);
		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", addr);
		len = sizeof(*sun);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		char host[64];
		const char *colon = strrchr(addr, ':');

		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)atoi(colon + 1));
		inet_pton(AF_INET, host, &sin->sin_addr);
		len = sizeof(*sin);
	}
	fd = socket(ss.ss_family, type, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, SOMAXCONN) < 0)) {
		perror(addr);
		exit(1);
	}
	if (ss.ss_family == AF_INET) {
		char host[64];
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		getsockname(fd, (struct sockaddr *)&ss, &len);
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		fprintf(
		    stderr, "listening on %s:%d\n", host, ntohs(sin->sin_port));
	} else {
		fprintf(stderr, "listening on %s\n", addr);
	}
	return fd;
}
