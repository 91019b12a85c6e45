/* loadgen - a load generator for modserv and its baselines: many
 * connections on one epoll loop, over tcp, udp, unix or unix-dgram, with
 * persistent connections or a new connection per request, optional
 * pipelining, bounded by time; checks every reply byte for byte (the
 * request uppercased, or with -e the request itself, for an echo server)
 * and prints one line:
 *   requests=N errors=N timeouts=N rps=N p50_us=N p99_us=N p999_us=N
 *
 *   loadgen -t tcp -a 127.0.0.1:8888 -c 50 -s 64 -d 5 [-n] [-p DEPTH] [-e]
 *           [-T CAFILE [-V 1.2|1.3] [-r]]
 *
 * -T speaks TLS over a stream transport, verifying the server's chain
 * against CAFILE, at the version -V names (else any from TLS 1.2); with
 * -n each request then costs a full handshake, or with -r a resumed one
 * (the session saved from a first connection).  The line then ends with
 * handshakes=N resumed=N tls=VERSION/CIPHER.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "loadgen_tls.h"

struct conn {
	int fd;
	size_t sent, got;  /* of the batch in flight */
	long long started; /* when the batch was sent, ns */
	int connecting;
	int out;         /* EPOLLOUT armed */
	SSL *ssl;        /* with -T */
	int handshaking; /* the TLS handshake is to finish */
};

static struct {
	int dgram, fresh, depth, conns, tls;
	size_t size;
	struct sockaddr_storage ss;
	socklen_t sslen;
	char *msg, *want; /* one batch: depth messages back to back */
	size_t batch;
	uint32_t *lat; /* microseconds */
	size_t nlat, caplat;
	long long requests, errors, timeouts;
} g;

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
record(long long ns)
{
	if (g.nlat == g.caplat) {
		g.caplat = g.caplat ? g.caplat * 2 : 1 << 20;
		g.lat = realloc(g.lat, g.caplat * sizeof(*g.lat));
		if (g.lat == NULL)
			exit(2);
	}
	g.lat[g.nlat++] = (uint32_t)(ns / 1000);
}

static int
parse_addr(const char *transport, const char *text)
{
	if (strncmp(transport, "unix", 4) == 0) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&g.ss;

		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", text);
		g.sslen = sizeof(*sun);
		return 0;
	}
	struct sockaddr_in *sin = (struct sockaddr_in *)&g.ss;
	char host[64];
	const char *colon = strrchr(text, ':');

	if (colon == NULL)
		return -1;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - text), text);
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)atoi(colon + 1));
	g.sslen = sizeof(*sin);
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

/* EPOLLOUT is armed only while a connect is pending or part of a batch
 * waits for room: the loop then costs a send and a recv per request and no
 * epoll_ctl, leaving the CPU it shares with the server to the server. */
static void
arm(int ep, struct conn *c, int out)
{
	struct epoll_event ev = {
	    .events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};

	if (c->out != out)
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->out = out;
}

/* Sends what is left of the batch; -1 when nothing could be sent. */
static int
send_rest(struct conn *c)
{
	ssize_t n;

	if (g.dgram) {
		n = send(c->fd, g.msg, g.size, 0);
		if (n == (ssize_t)g.size)
			c->sent = g.batch;
	} else {
		n = send(
		    c->fd, g.msg + c->sent, g.batch - c->sent, MSG_NOSIGNAL);
		if (n > 0)
			c->sent += (size_t)n;
	}
	return n < 0 ? -1 : 0;
}

/* A TLS connection goes on from the loop once EPOLLOUT says it may: the
 * connect is done then, whether it was at once or not. */
static int
open_tls(int ep, struct conn *c, int connected)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};

	if ((c->ssl = lg_tls_new(c->fd)) == NULL) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	c->handshaking = 1;
	c->connecting = !connected;
	c->out = 1;
	return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

/* Connects and sends the first batch at once: on loopback the handshake
 * is done when connect returns.  If it is not, or the send fails, EPOLLOUT
 * says when the connect finished and SO_ERROR how. */
static int
open_conn(int ep, struct conn *c)
{
	int one = 1, rc;

	c->fd = socket(g.ss.ss_family,
	    (g.dgram ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return -1;
	if (g.dgram && g.ss.ss_family == AF_UNIX) {
		sa_family_t fam = AF_UNIX;

		bind(c->fd, (struct sockaddr *)&fam, sizeof(fam));
	}
	if (g.ss.ss_family == AF_INET && !g.dgram)
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->sent = c->got = 0;
	c->connecting = 1;
	c->started = now_ns();
	rc = connect(c->fd, (struct sockaddr *)&g.ss, g.sslen);
	if (rc < 0 && errno != EINPROGRESS && errno != EAGAIN) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	if (g.tls)
		return open_tls(ep, c, rc == 0);
	if (send_rest(c) == 0)
		c->connecting = 0;
	c->out = c->connecting || c->sent < g.batch;

	struct epoll_event ev = {
	    .events = EPOLLIN | (c->out ? EPOLLOUT : 0), .data.ptr = c};

	return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

/* Closing the descriptor takes it out of the epoll set.  well: the
 * connection ended as it should (a TLS one says close_notify). */
static void
restart(int ep, struct conn *c, int well)
{
	lg_tls_close(c->ssl, well);
	c->ssl = NULL;
	close(c->fd);
	if (open_conn(ep, c) < 0)
		g.errors++;
}

static void
fail(int ep, struct conn *c)
{
	g.errors++;
	restart(ep, c, 0);
}

/* A connect that EPOLLOUT says is over: 0 if it succeeded. */
static int
connect_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
	return err;
}

/* A reply is all in. */
static void
count_reply(struct conn *c)
{
	record(now_ns() - c->started);
	g.requests += g.depth;
}

/* Sends what is left of the batch and reads what has come of its reply,
 * over TLS: 1 when all of it is in, 0 to wait for what OpenSSL wants, -1
 * on an error or a wrong byte. */
static int
tls_exchange(struct conn *c)
{
	char buf[65536 + 64];
	int n;

	while (c->sent < g.batch) {
		n = lg_tls_result(c->ssl, SSL_write(c->ssl, g.msg + c->sent,
		                              (int)(g.batch - c->sent)));
		if (n <= 0)
			return n;
		c->sent += (size_t)n;
	}
	while (c->got < g.batch) {
		n = lg_tls_result(c->ssl, SSL_read(c->ssl, buf, sizeof(buf)));
		if (n <= 0)
			return n;
		if (c->got + (size_t)n > g.batch ||
		    memcmp(buf, g.want + c->got, (size_t)n) != 0)
			return -1;
		c->got += (size_t)n;
	}
	return 1;
}

/* A TLS connection goes as far as it can: the connect, the handshake,
 * then batches sent and their replies read, until OpenSSL must wait. */
static void
on_tls_event(int ep, struct conn *c, uint32_t events)
{
	int rc;

	if (c->connecting) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (connect_error(c->fd)) {
			fail(ep, c);
			return;
		}
		c->connecting = 0;
	}
	if (c->handshaking) {
		if ((rc = lg_tls_handshake(c->ssl)) <= 0) {
			if (rc < 0)
				fail(ep, c);
			else
				arm(ep, c, SSL_want_write(c->ssl));
			return;
		}
		c->handshaking = 0;
		if (!g.fresh)
			c->started = now_ns();
	}
	while ((rc = tls_exchange(c)) > 0) {
		count_reply(c);
		lg_tls_replied(c->ssl);
		if (g.fresh) {
			restart(ep, c, 1);
			return;
		}
		c->sent = c->got = 0;
		c->started = now_ns();
	}
	if (rc < 0)
		fail(ep, c);
	else
		arm(ep, c, SSL_want_write(c->ssl));
}

static void
on_event(int ep, struct conn *c, uint32_t events)
{
	char buf[65536 + 64];
	ssize_t n;

	if (g.tls) {
		on_tls_event(ep, c, events);
		return;
	}
	if (events & EPOLLOUT && c->out) {
		if (c->connecting) {
			if (connect_error(c->fd)) {
				fail(ep, c);
				return;
			}
			c->connecting = 0;
			if (!g.fresh)
				c->started = now_ns();
		}
		send_rest(c);
		arm(ep, c, c->sent < g.batch);
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	n = recv(c->fd, buf, sizeof(buf), 0);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0 || c->got + (size_t)n > g.batch ||
	    memcmp(buf, g.want + c->got, (size_t)n) != 0) {
		fail(ep, c);
		return;
	}
	c->got += (size_t)n;
	if (c->got < g.batch)
		return;
	count_reply(c);
	if (g.fresh) {
		restart(ep, c, 1);
		return;
	}
	c->sent = c->got = 0;
	c->started = now_ns();
	send_rest(c);
	arm(ep, c, c->sent < g.batch);
}

/* Connections whose batch has waited over a second: a datagram lost, a
 * connect never accepted.  Counted, then started again. */
static void
sweep(int ep, struct conn *cs)
{
	long long now = now_ns();

	for (int i = 0; i < g.conns; i++)
		if (cs[i].fd >= 0 && now - cs[i].started > 1000000000LL) {
			g.timeouts++;
			restart(ep, &cs[i], 0);
		}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	const char *transport = "tcp", *addr = NULL, *cafile = NULL;
	const char *version = NULL;
	double seconds = 5;
	struct epoll_event evs[512];
	struct rlimit rl;
	struct conn *cs;
	long long t0, end, last_sweep;
	int opt, ep, echo = 0, resume = 0;

	g.conns = 50;
	g.size = 64;
	g.depth = 1;
	while ((opt = getopt(argc, argv, "t:a:c:s:d:np:eT:V:r")) != -1) {
		switch (opt) {
		case 't':
			transport = optarg;
			break;
		case 'a':
			addr = optarg;
			break;
		case 'c':
			g.conns = atoi(optarg);
			break;
		case 's':
			g.size = (size_t)atol(optarg);
			break;
		case 'd':
			seconds = atof(optarg);
			break;
		case 'n':
			g.fresh = 1;
			break;
		case 'p':
			g.depth = atoi(optarg);
			break;
		case 'e':
			echo = 1;
			break;
		case 'T':
			cafile = optarg;
			break;
		case 'V':
			version = optarg;
			break;
		case 'r':
			resume = 1;
			break;
		default:
			fprintf(stderr,
			    "usage: loadgen -t T -a ADDR [-c N] "
			    "[-s BYTES] [-d SECONDS] [-n] [-p DEPTH] [-e] "
			    "[-T CAFILE [-V 1.2|1.3] [-r]]\n");
			return 2;
		}
	}
	g.dgram = strcmp(transport, "udp") == 0 ||
	          strcmp(transport, "unix-dgram") == 0;
	if (g.dgram)
		g.depth = 1;
	if (addr == NULL || parse_addr(transport, addr) < 0 || g.conns < 1 ||
	    g.size < 1 || g.depth < 1 || (cafile && g.dgram)) {
		fprintf(stderr, "loadgen: bad arguments\n");
		return 2;
	}
	g.tls = cafile != NULL;
	if (g.tls && lg_tls_init(cafile, version, resume) < 0)
		return 2;
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	g.batch = g.size * (size_t)g.depth;
	g.msg = malloc(g.batch);
	g.want = malloc(g.batch);
	for (size_t i = 0; i < g.batch; i++) {
		g.msg[i] = (char)('a' + i % 26);
		g.want[i] = (char)((echo ? 'a' : 'A') + i % 26);
	}
	cs = calloc((size_t)g.conns, sizeof(*cs));
	ep = epoll_create1(0);
	for (int i = 0; i < g.conns; i++)
		if (open_conn(ep, &cs[i]) < 0)
			g.errors++;
	t0 = now_ns();
	end = t0 + (long long)(seconds * 1e9);
	last_sweep = t0;
	while (now_ns() < end) {
		int n = epoll_wait(ep, evs, 512, 100);

		for (int i = 0; i < n; i++)
			on_event(ep, evs[i].data.ptr, evs[i].events);
		if (now_ns() - last_sweep > 200000000LL) {
			sweep(ep, cs);
			last_sweep = now_ns();
		}
	}
	double elapsed = (double)(now_ns() - t0) / 1e9;

	if (g.nlat > 0) /* no latency was kept: none to sort */
		qsort(g.lat, g.nlat, sizeof(*g.lat), cmp_u32);
#define PCT(p) (g.nlat ? g.lat[(size_t)((double)(g.nlat - 1) * (p))] : 0)
	printf("requests=%lld errors=%lld timeouts=%lld rps=%.0f p50_us=%u "
	       "p99_us=%u p999_us=%u",
	    g.requests, g.errors, g.timeouts, (double)g.requests / elapsed,
	    PCT(0.50), PCT(0.99), PCT(0.999));
	if (g.tls)
		lg_tls_print();
	printf("\n");
	for (int i = 0; i < g.conns; i++) {
		lg_tls_close(cs[i].ssl, 0);
		if (cs[i].fd >= 0)
			close(cs[i].fd);
	}
	lg_tls_end();
	free(cs);
	free(g.lat);
	free(g.msg);
	free(g.want);
	return 0;
}
