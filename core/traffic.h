/* traffic.h - when bytes last moved on a connection the worker hands to a
 * program (ms_exec) and no longer reads or writes itself: what idle_timeout
 * measures while the program serves. */
#ifndef TRAFFIC_H
#define TRAFFIC_H

struct traffic {
	unsigned on : 1;  /* watching: traffic_open succeeded */
	unsigned tcp : 1; /* the kernel keeps the times (TCP_INFO) */
	int fd;           /* the connection, the worker's copy: not owned */
	int epfd;         /* not tcp: fd, edge-triggered, for its wakeups */
	int inq, outq;    /* not tcp: its queues' bytes at the last look */
	long long since;  /* ms (service_now_ms) the watch began */
	long long moved;  /* ms bytes last moved, as last seen */
};

/* Starts watching the stream socket fd at now (ms); fd must stay open
 * until traffic_close.  0, or -1 with errno. */
int traffic_open(struct traffic *t, int fd, long long now);
/* Milliseconds, at now, since bytes last moved on the connection either
 * way (the peer sent, or our side's bytes left for the peer), counted
 * from traffic_open at most.  Call it at intervals: between two calls,
 * it sees that bytes moved, not when (except over TCP). */
long long traffic_idle_ms(struct traffic *t, long long now);
/* The bytes the connection carried either way, all told (those before the
 * hand-off too), over TCP, where the kernel counts them: 0, or -1 when it
 * cannot tell (not watching, not TCP). */
int traffic_bytes(
    const struct traffic *t, unsigned long long *in, unsigned long long *out);
/* Stops watching (fd is left open); nothing when not watching. */
void traffic_close(struct traffic *t);

#endif
