/* slot_state.c - a worker slot's states, their allowed changes, and what
 * becomes of a slot whose worker exited: the master's rules, apart from
 * the processes they are applied to. */
#include "slot_state.h"

/* Restart delays: a worker that lived this long is restarted at once; one
 * that died sooner waits RESTART_MIN_MS, doubled each time, up to the max. */
#define RESTART_STABLE_MS 10000
#define RESTART_MIN_MS 100
#define RESTART_MAX_MS 10000

/* The states each may change to, as slot_state.h lists them. */
static const unsigned slot_next[] = {
    [SLOT_NEW] = SLOT_IN(SLOT_STARTING),
    [SLOT_STARTING] = SLOT_IN(SLOT_SERVING) | SLOT_IN(SLOT_RETIRING) |
                      SLOT_IN(SLOT_WAITING) | SLOT_IN(SLOT_FAILED),
    [SLOT_SERVING] = SLOT_IN(SLOT_RETIRING) | SLOT_IN(SLOT_WAITING),
    [SLOT_RETIRING] = 0,
    [SLOT_WAITING] = SLOT_IN(SLOT_STARTING),
    [SLOT_FAILED] = 0,
};

int
slot_state_allowed(enum slot_state from, enum slot_state to)
{
	return (unsigned)from < sizeof(slot_next) / sizeof(*slot_next) &&
	       (slot_next[from] & SLOT_IN(to)) != 0;
}

enum slot_exit
slot_state_exited(enum slot_state was, int stopping, int older_serve,
    int others_start, int detached)
{
	if (stopping || was == SLOT_RETIRING)
		return SLOT_EXIT_FREE;
	if (was == SLOT_STARTING && older_serve)
		return SLOT_EXIT_FALL_BACK;
	if (others_start)
		return SLOT_EXIT_FREE; /* its replacements are starting */
	if (was == SLOT_STARTING && detached)
		return SLOT_EXIT_START_FAIL;
	return SLOT_EXIT_RESTART;
}

long long
slot_state_restart_delay(int *failures, long long lived_ms)
{
	long long delay;

	if (lived_ms >= RESTART_STABLE_MS) {
		*failures = 0;
		return 0;
	}
	delay = (long long)RESTART_MIN_MS << *failures;
	if (*failures < 16)
		(*failures)++;
	return delay > RESTART_MAX_MS ? RESTART_MAX_MS : delay;
}
