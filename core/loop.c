/* loop.c - the epoll set, listener switching and drain deadline shared by
 * the fork and select models. */
#include "loop.h"

#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "accept.h"
#include "log.h"
#include "refusals.h"
#include "request.h"
#include "transport.h"
#include "worker.h"

int
loop_open(struct loop *l, struct ms_service *svc)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = svc};

	*l = (struct loop){.svc = svc, .epfd = -1, .deadline = -1};
	if (service_dgram_buffer(svc, &l->scratch) < 0)
		return -1;
	if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    epoll_ctl(l->epfd, EPOLL_CTL_ADD, svc->sigfd, &ev) < 0) {
		log_syserr(MS_LOG_ERROR, service_name(svc), "epoll");
		loop_close(l);
		return -1;
	}
	return 0;
}

void
loop_close(struct loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
	free(l->scratch);
	l->scratch = NULL;
}

static void
loop_listen(struct loop *l, int want)
{
	struct ms_service *svc = l->svc;

	if (want == l->listening || svc->nlisten == 0)
		return;
	for (int i = 0; i < svc->nlisten; i++) {
		/* workers of one service (and, during a reload, the old and
		 * the new) wait on one listener: a new client wakes one of
		 * them, not all */
		struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE,
		    .data.ptr = &svc->listen_fd[i]};

		/* an explicit delete: forked children hold copies of it */
		epoll_ctl(l->epfd, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL,
		    svc->listen_fd[i], &ev);
	}
	l->listening = want;
}

int
loop_prepare(struct loop *l, int active)
{
	struct ms_service *svc = l->svc;
	int pause = accept_paused(svc);
	long long left;

	loop_listen(
	    l, !svc->stopping && pause == 0 && active < svc->conf->max_clients);
	if (!svc->stopping)
		return refusals_timeout(svc, pause > 0 ? pause : -1);
	worker_stop_listening(svc);
	if (l->deadline < 0)
		l->deadline = service_drain_deadline(svc);
	left = l->deadline - service_now_ms();
	return left > 0 ? (int)left : -2;
}
