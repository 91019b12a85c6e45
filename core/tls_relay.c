/* tls_relay.c - the relay process of a program run over TLS (ms_exec):
 * the program reads and writes one end of a socket pair in plaintext;
 * this process moves the bytes between the other end and the TLS
 * connection, non-blocking, a record's worth each way at most, as
 * stunnel's exec does.  It stays until the program's keeper ended and
 * exits as it did, so whoever waits for it (the worker) sees the program
 * end as it would see its keeper end. */
#include "tls_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>

#include "contain.h"

/* Bytes one direction holds: one TLS record. */
#define RELAY_BUF (16 * 1024)
/* Steps taken between two looks at the signals. */
#define RELAY_ROUNDS 64

/* Bytes on their way in one direction. */
struct relay_buf {
	size_t off, len;
	char data[RELAY_BUF];
};

struct relay {
	SSL *ssl;
	int sock, pair, sig; /* pair: -1 once closed */
	pid_t keeper;
	int status;        /* the keeper's, once it ended */
	short sock_events; /* what this round waits for */
	short pair_events;
	unsigned keeper_gone : 1;
	unsigned stopping : 1;     /* SIGTERM came */
	unsigned client_done : 1;  /* its input ended */
	unsigned client_gone : 1;  /* broken: nothing more either way */
	unsigned input_ended : 1;  /* the program was told (SHUT_WR) */
	unsigned program_done : 1; /* its output ended */
	unsigned program_deaf : 1; /* it reads no more: input dropped */
	unsigned notified : 1;     /* close_notify sent, or given up */
	struct relay_buf up;       /* client to program */
	struct relay_buf down;     /* program to client */
};

int
tls_relay_begin(pid_t parent, int sock, int pair[2])
{
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
		return -1;
	if (getppid() != parent) { /* it died before the line above */
		errno = ESRCH;
		return -1;
	}
	prctl(PR_SET_NAME, "modserv-relay"); /* for ps and top */
	/* a worker's other connections and listeners are not the relay's:
	 * a client must see its connection end when the worker closes it */
	if (sock > 3)
		close_range(3, (unsigned)sock - 1, 0);
	close_range((unsigned)sock + 1, ~0U, 0);
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair);
}

/* An SSL call's n that did not move bytes: 1 to be tried again once the
 * socket is ready (what for, noted), 0 for the client's close_notify, -1
 * when the connection broke. */
static int
relay_ssl_wait(struct relay *r, int n)
{
	switch (SSL_get_error(r->ssl, n)) {
	case SSL_ERROR_WANT_READ:
		r->sock_events |= POLLIN;
		return 1;
	case SSL_ERROR_WANT_WRITE:
		r->sock_events |= POLLOUT;
		return 1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	default:
		ERR_clear_error();
		return -1;
	}
}

/* The client is gone: the program sees its connection end both ways, as
 * a reset socket would show it. */
static void
relay_client_gone(struct relay *r)
{
	SSL_set_quiet_shutdown(r->ssl, 1); /* nothing more to say to it */
	r->client_gone = 1;
	r->program_done = 1;
	r->up.len = r->down.len = 0;
	if (r->pair >= 0)
		close(r->pair);
	r->pair = -1;
}

/* Each step below returns 1 when it moved something on, else 0. */

static int
relay_from_client(struct relay *r)
{
	int n;

	if (r->client_done || r->client_gone || r->up.len > 0)
		return 0;
	if ((n = SSL_read(r->ssl, r->up.data, sizeof(r->up.data))) > 0) {
		r->up.off = 0;
		r->up.len = r->program_deaf ? 0 : (size_t)n;
		return 1;
	}
	switch (relay_ssl_wait(r, n)) {
	case 1:
		return 0;
	case 0:
		r->client_done = 1;
		return 1;
	}
	relay_client_gone(r);
	return 1;
}

static int
relay_to_program(struct relay *r)
{
	ssize_t n;

	if (r->pair < 0)
		return 0;
	if (r->up.len == 0) {
		if (!r->client_done || r->input_ended)
			return 0;
		shutdown(r->pair, SHUT_WR); /* the end of its input */
		r->input_ended = 1;
		return 1;
	}
	n = send(r->pair, r->up.data + r->up.off, r->up.len, MSG_NOSIGNAL);
	if (n > 0) {
		r->up.off += (size_t)n;
		r->up.len -= (size_t)n;
		return 1;
	}
	if (n < 0 && errno == EAGAIN) {
		r->pair_events |= POLLOUT;
		return 0;
	}
	r->program_deaf = 1; /* it closed its input: what comes is dropped */
	r->up.len = 0;
	return 1;
}

static int
relay_from_program(struct relay *r)
{
	ssize_t n;

	if (r->program_done || r->down.len > 0)
		return 0;
	n = recv(r->pair, r->down.data, sizeof(r->down.data), 0);
	if (n > 0) {
		r->down.off = 0;
		r->down.len = (size_t)n;
		return 1;
	}
	if (n < 0 && errno == EAGAIN) {
		r->pair_events |= POLLIN;
		return 0;
	}
	r->program_done = 1;
	return 1;
}

/* A write to be tried again is tried with the same bytes, as OpenSSL
 * needs: down is not refilled until it is empty. */
static int
relay_to_client(struct relay *r)
{
	int n, len = (int)r->down.len;

	if (len == 0)
		return 0;
	if ((n = SSL_write(r->ssl, r->down.data + r->down.off, len)) > 0) {
		r->down.off += (size_t)n;
		r->down.len -= (size_t)n;
		return 1;
	}
	if (relay_ssl_wait(r, n) == 1)
		return 0;
	relay_client_gone(r);
	return 1;
}

/* The program's output ended and all of it went: close_notify, then the
 * socket's end of output (the client's input may still come). */
static int
relay_notify(struct relay *r)
{
	int n;

	if (!r->program_done || r->down.len > 0 || r->notified ||
	    r->client_gone)
		return 0;
	if ((n = SSL_shutdown(r->ssl)) < 0 && relay_ssl_wait(r, n) == 1)
		return 0;
	r->notified = 1;
	shutdown(r->sock, SHUT_WR);
	return 1;
}

/* SIGTERM goes on to the keeper (or, once it ended, ends the relay);
 * SIGCHLD: the keeper may have ended. */
static void
relay_signals(struct relay *r)
{
	struct signalfd_siginfo si;

	while (read(r->sig, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGTERM && !r->keeper_gone)
			contain_stop(r->keeper);
		r->stopping |= si.ssi_signo == SIGTERM;
	}
	if (!r->keeper_gone &&
	    waitpid(r->keeper, &r->status, WNOHANG) == r->keeper)
		r->keeper_gone = 1;
}

static int
relay_done(const struct relay *r)
{
	if (!r->keeper_gone)
		return 0;
	return r->stopping || r->client_gone ||
	       (r->program_done && r->down.len == 0 && r->notified);
}

/* Moves what can move now, noting what each socket waits for: 1 when it
 * stopped with more to move (then nothing need be waited for). */
static int
relay_round(struct relay *r)
{
	int moved, rounds = 0;

	r->sock_events = r->pair_events = 0;
	do { /* bounded, so that a busy connection still hears signals */
		moved = relay_from_client(r);
		moved |= relay_to_program(r);
		moved |= relay_from_program(r);
		moved |= relay_to_client(r);
		moved |= relay_notify(r);
	} while (moved && ++rounds < RELAY_ROUNDS);
	return moved;
}

/* Rounds until relay_done, waiting between them for what they wait for. */
static void
relay_loop(struct relay *r)
{
	while (!relay_done(r)) {
		struct pollfd p[3] = {
		    {.fd = -1, .events = 0},
		    {.fd = -1, .events = 0},
		    {.fd = r->sig, .events = POLLIN},
		};
		int busy = relay_round(r);

		if (relay_done(r))
			break;
		/* a socket waited for nothing is not polled: its hangup
		 * would wake the loop again and again */
		if (r->sock_events) {
			p[0].fd = r->sock;
			p[0].events = r->sock_events;
		}
		if (r->pair_events) {
			p[1].fd = r->pair;
			p[1].events = r->pair_events;
		}
		if (poll(p, 3, busy ? 0 : -1) < 0 && errno != EINTR)
			return;
		relay_signals(r);
	}
}

static int
relay_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int
tls_relay_run(SSL *ssl, int pair, pid_t keeper)
{
	static struct relay relay; /* the relay's own: one a process */
	struct relay *r = &relay;
	sigset_t wake;

	memset(r, 0, sizeof(*r));
	r->ssl = ssl;
	r->sock = SSL_get_fd(ssl);
	r->pair = pair;
	r->keeper = keeper;
	r->status = SIGKILL; /* what it is said to have died of, unreaped */
	sigemptyset(&wake);
	sigaddset(&wake, SIGTERM);
	sigaddset(&wake, SIGCHLD);
	/* a client's bare close ends its input, as on a plain socket */
	SSL_set_options(ssl, SSL_OP_IGNORE_UNEXPECTED_EOF);
	r->sig = signalfd(-1, &wake, SFD_NONBLOCK | SFD_CLOEXEC);
	if (r->sig < 0 || relay_nonblocking(r->sock) < 0 ||
	    relay_nonblocking(pair) < 0)
		contain_stop(keeper); /* cannot relay: the program ends */
	else
		relay_loop(r);
	if (!r->keeper_gone) {
		contain_stop(keeper);
		while (waitpid(keeper, &r->status, 0) < 0 && errno == EINTR)
			;
	}
	return r->status;
}
