/* slot_state.h - the states of a worker slot in the master, the changes
 * allowed between them, and what becomes of a slot whose worker exited. */
#ifndef SLOT_STATE_H
#define SLOT_STATE_H

/* A worker that could not be forked is tried again after this long. */
#define SLOT_RETRY_FORK_MS 10000

/* A slot's states.  The changes allowed (slot_state_allowed):
 *
 *   NEW      -> STARTING   forked
 *   WAITING  -> STARTING   forked again, its restart due
 *   STARTING -> SERVING    its module's init said yes
 *   STARTING -> RETIRING   told to stop before it served (a newer reload)
 *   SERVING  -> RETIRING   told to stop: it drains
 *   STARTING -> WAITING    died; a restart is scheduled
 *   SERVING  -> WAITING    died; a restart is scheduled
 *   STARTING -> FAILED     died before serving under -d: everything stops
 *
 * A fork that failed leaves NEW or WAITING as it was, with a restart due.
 * A slot is freed from any state: its worker gone, or the master ending.
 * A process runs in STARTING, SERVING and RETIRING only. */
enum slot_state {
	SLOT_NEW,      /* made; no worker forked yet */
	SLOT_STARTING, /* forked; its module's init has not said yes yet */
	SLOT_SERVING,  /* its worker serves */
	SLOT_RETIRING, /* its worker was told to stop; it drains */
	SLOT_WAITING,  /* its worker died: no process until the restart */
	SLOT_FAILED,   /* its worker did not start, under -d: all stops */
};

/* A set of states, for asking whether a slot is in one of them. */
#define SLOT_IN(state) (1u << (state))
/* Not serving yet: a worker is, or is to be, starting. */
#define SLOTS_STARTING (SLOT_IN(SLOT_NEW) | SLOT_IN(SLOT_STARTING))
/* Serving, or to serve again once restarted. */
#define SLOTS_SERVING (SLOT_IN(SLOT_SERVING) | SLOT_IN(SLOT_WAITING))

/* Whether a slot may go from one state to the other. */
int slot_state_allowed(enum slot_state from, enum slot_state to);

/* What becomes of a slot whose worker exited. */
enum slot_exit {
	SLOT_EXIT_FREE,       /* freed: it was to stop, or others replace it */
	SLOT_EXIT_FALL_BACK,  /* a reload's worker died before serving: it
	                         and its generation's others go, the older
	                         workers go on serving */
	SLOT_EXIT_RESTART,    /* WAITING, restarted after a delay */
	SLOT_EXIT_START_FAIL, /* FAILED: under -d, everything stops */
};

/* The fate of a slot in state was whose worker exited: stopping, when the
 * master stops; older_serve, when workers of the service from another
 * configuration serve (SLOTS_SERVING); others_start, when workers of the
 * service from another configuration are starting (SLOTS_STARTING);
 * detached, under -d while the start is not yet told. */
enum slot_exit slot_state_exited(enum slot_state was, int stopping,
    int older_serve, int others_start, int detached);

/* The delay before a worker that died after lived_ms is started again, in
 * ms: none for one that lived long enough, else doubling with each quick
 * death in a row (*failures, which it updates), up to a bound. */
long long slot_state_restart_delay(int *failures, long long lived_ms);

#endif
