/* baseline - "the same logic without modserv": upper hand-written for each
 * concurrency model, minimal and right, for the benchmark to compare with.
 *
 *   baseline epoll|thread|fork ADDR    stream: tcp HOST:PORT or a unix path
 *   baseline udp|unix-dgram ADDR       a recvfrom/sendto loop
 *   baseline udp-thread ADDR           a thread per datagram
 *
 * Prints "listening on ADDR" (the port resolved) on stderr, like modserv.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "epoll_loop.h"
#include "listen.h"
#include "upper.h"

/* Blocking: read, uppercase, write everything, until the peer closes. */
static void
serve_blocking(int fd)
{
	char buf[16384];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		upper(buf, (size_t)n);
		for (ssize_t off = 0, w; off < n; off += w)
			if ((w = send(fd, buf + off, (size_t)(n - off),
			         MSG_NOSIGNAL)) <= 0)
				goto out;
	}
out:
	close(fd);
}

static void *
thread_main(void *arg)
{
	serve_blocking((int)(intptr_t)arg);
	return NULL;
}

static void
run_thread(int lfd)
{
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 << 10);
	for (;;) {
		pthread_t t;
		int fd = accept(lfd, NULL, NULL);

		if (fd >= 0 && pthread_create(&t, &attr, thread_main,
		                   (void *)(intptr_t)fd) != 0)
			close(fd);
	}
}

/* Children are reaped as they end, as a right fork server does (and so
 * their CPU time is counted in ours). */
static void
reap(int sig)
{
	int saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = saved;
}

static void
run_fork(int lfd)
{
	struct sigaction sa = {.sa_handler = reap, .sa_flags = SA_RESTART};

	sigaction(SIGCHLD, &sa, NULL);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		if (fork() == 0) {
			close(lfd);
			serve_blocking(fd);
			_exit(0);
		}
		close(fd);
	}
}

/* epoll: non-blocking, per-connection output buffer, stop reading while
 * output is pending; reads again at once only after a full read (a short
 * one drained the socket). */
struct econn {
	struct epoll_conn ec;
	char out[16384];
	size_t off, len;
};

/* Reads, answers, repeats while there may be more: what to wait for, or 0
 * to drop. */
static uint32_t
econn_serve(struct epoll_conn *ec)
{
	struct econn *c = (struct econn *)ec;

	for (;;) {
		ssize_t r;

		if (c->len == 0) {
			r = read(ec->fd, c->out, sizeof(c->out));
			if (r <= 0)
				return r < 0 && errno == EAGAIN ? EPOLLIN : 0;
			upper(c->out, (size_t)r);
			c->off = 0;
			c->len = (size_t)r;
		}
		r = send(
		    ec->fd, c->out + c->off, c->len - c->off, MSG_NOSIGNAL);
		if (r < 0)
			return errno == EAGAIN ? EPOLLOUT : 0;
		c->off += (size_t)r;
		if (c->off < c->len)
			return EPOLLOUT;
		r = (ssize_t)c->len;
		c->len = 0;
		if (r < (ssize_t)sizeof(c->out))
			return EPOLLIN;
	}
}

static struct epoll_conn *
econn_open(int fd, void *arg)
{
	(void)fd, (void)arg;
	return calloc(1, sizeof(struct econn));
}

static void
econn_free(struct epoll_conn *ec)
{
	free(ec);
}

static const struct epoll_ops econn_ops = {
    .open = econn_open, .serve = econn_serve, .free = econn_free};

static void
run_dgram(int fd)
{
	char buf[65536];
	struct sockaddr_storage peer;

	for (;;) {
		socklen_t len = sizeof(peer);
		ssize_t n = recvfrom(
		    fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &len);

		if (n < 0)
			continue;
		upper(buf, (size_t)n);
		sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, len);
	}
}

/* A thread per datagram, as ThreadingUDPServer: the main loop receives,
 * the thread answers. */
struct datagram {
	int fd;
	socklen_t len;
	struct sockaddr_storage peer;
	size_t n;
	char data[];
};

static void *
datagram_main(void *arg)
{
	struct datagram *d = arg;

	upper(d->data, d->n);
	sendto(d->fd, d->data, d->n, 0, (struct sockaddr *)&d->peer, d->len);
	free(d);
	return NULL;
}

static void
run_dgram_thread(int fd)
{
	char buf[65536];
	pthread_attr_t attr;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 << 10);
	for (;;) {
		struct sockaddr_storage peer;
		socklen_t len = sizeof(peer);
		ssize_t n = recvfrom(
		    fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &len);
		struct datagram *d;
		pthread_t t;

		if (n < 0 || (d = malloc(sizeof(*d) + (size_t)n)) == NULL)
			continue;
		*d = (struct datagram){
		    .fd = fd, .len = len, .peer = peer, .n = (size_t)n};
		memcpy(d->data, buf, (size_t)n);
		if (pthread_create(&t, &attr, datagram_main, d) != 0)
			free(d);
	}
}

int
main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: baseline "
		                "epoll|thread|fork|udp|udp-thread|unix-dgram "
		                "ADDR\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(argv[1], "udp") == 0 || strcmp(argv[1], "unix-dgram") == 0)
		run_dgram(listen_on(argv[2], SOCK_DGRAM));
	else if (strcmp(argv[1], "udp-thread") == 0)
		run_dgram_thread(listen_on(argv[2], SOCK_DGRAM));
	else if (strcmp(argv[1], "epoll") == 0)
		epoll_loop(listen_on(argv[2], SOCK_STREAM), &econn_ops, NULL);
	else if (strcmp(argv[1], "thread") == 0)
		run_thread(listen_on(argv[2], SOCK_STREAM));
	else if (strcmp(argv[1], "fork") == 0)
		run_fork(listen_on(argv[2], SOCK_STREAM));
	else
		return 2;
	return 0;
}
