/* loop.h - what the epoll-driven models (fork, select) share: an epoll set
 * holding the worker's signals and, while there is room, the listeners; the
 * datagram receive buffer; the drain deadline once stopping. */
#ifndef LOOP_H
#define LOOP_H

#include <stdint.h>

#include "service.h"

struct loop {
	struct ms_service *svc;
	int epfd;
	int listening;      /* the listeners are in epfd */
	char *scratch;      /* datagram transports: receive buffer */
	long long deadline; /* ms; once stopping, when to give up */
};

/* epoll_event.data.ptr of the host sources: the service for its signals,
 * the place of a listener's fd in svc->listen_fd for that listener;
 * anything else is the model's own. */
#define LOOP_IS_SIGNAL(l, p) ((p) == (void *)(l)->svc)
#define LOOP_IS_LISTENER(l, p)                                                 \
	((uintptr_t)(p) - (uintptr_t)(l)->svc->listen_fd <                     \
	    sizeof((l)->svc->listen_fd))
#define LOOP_LISTENER_FD(p) (*(const int *)(p))

int loop_open(struct loop *l, struct ms_service *svc); /* 0 or -1, logged */
void loop_close(struct loop *l);
/* Watches the listeners only while active < max_clients, accepting is not
 * paused and the service is not stopping.  Returns the epoll_wait timeout,
 * or -2 once stopping and past the shutdown deadline. */
int loop_prepare(struct loop *l, int active);

#endif
