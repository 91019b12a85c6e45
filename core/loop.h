/* loop.h - what the epoll-driven models (fork, select) share: an epoll set
 * holding the worker's signals and, while there is room, the listener; the
 * datagram receive buffer; the drain deadline once stopping. */
#ifndef LOOP_H
#define LOOP_H

struct ms_service;

struct loop {
	struct ms_service *svc;
	int epfd;
	int listening;      /* the listener is in epfd */
	char *scratch;      /* datagram transports: receive buffer */
	long long deadline; /* ms; once stopping, when to give up */
};

/* epoll_event.data.ptr of the two host sources; anything else is the
 * model's own. */
#define LOOP_IS_SIGNAL(l, p) ((p) == (void *)(l)->svc)
#define LOOP_IS_LISTENER(l, p) ((p) == (void *)(l))

int loop_open(struct loop *l, struct ms_service *svc); /* 0 or -1, logged */
void loop_close(struct loop *l);
/* Watches the listener only while active < max_clients, accepting is not
 * paused and the service is not stopping.  Returns the epoll_wait timeout,
 * or -2 once stopping and past the shutdown deadline. */
int loop_prepare(struct loop *l, int active);

#endif
