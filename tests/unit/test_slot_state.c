/* test_slot_state.c - the master's rules for a worker slot: which state
 * may follow which, what becomes of a slot whose worker exited, and how
 * long a worker that keeps dying waits to be started again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "slot_state.h"

#define NSTATES (SLOT_FAILED + 1)

/* Every change slot_state.h lists, and no other. */
static void
only_the_listed_changes_are_allowed(void **state)
{
	static const struct {
		enum slot_state from, to;
	} listed[] = {
	    {SLOT_NEW, SLOT_STARTING},
	    {SLOT_WAITING, SLOT_STARTING},
	    {SLOT_STARTING, SLOT_SERVING},
	    {SLOT_STARTING, SLOT_RETIRING},
	    {SLOT_SERVING, SLOT_RETIRING},
	    {SLOT_STARTING, SLOT_WAITING},
	    {SLOT_SERVING, SLOT_WAITING},
	    {SLOT_STARTING, SLOT_FAILED},
	};
	int allowed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(listed) / sizeof(*listed); i++)
		assert_true(slot_state_allowed(listed[i].from, listed[i].to));
	for (int from = 0; from < NSTATES; from++)
		for (int to = 0; to < NSTATES; to++)
			allowed += slot_state_allowed(from, to);
	assert_int_equal(allowed, sizeof(listed) / sizeof(*listed));
}

static void
a_worker_never_comes_back_to_serve_once_told_to_stop(void **state)
{
	(void)state;
	for (int to = 0; to < NSTATES; to++) {
		assert_false(slot_state_allowed(SLOT_RETIRING, to));
		assert_false(slot_state_allowed(SLOT_FAILED, to));
	}
	assert_false(slot_state_allowed(SLOT_WAITING, SLOT_SERVING));
	assert_false(slot_state_allowed(SLOT_NEW, SLOT_SERVING));
	assert_false(slot_state_allowed(NSTATES, SLOT_NEW));
}

static void
a_worker_that_stops_or_was_told_to_is_gone(void **state)
{
	(void)state;
	/* the master stops: whatever the state, the slot goes */
	assert_int_equal(
	    slot_state_exited(SLOT_SERVING, 1, 0, 0, 0), SLOT_EXIT_FREE);
	assert_int_equal(
	    slot_state_exited(SLOT_STARTING, 1, 1, 1, 1), SLOT_EXIT_FREE);
	/* a retired worker drained */
	assert_int_equal(
	    slot_state_exited(SLOT_RETIRING, 0, 0, 0, 0), SLOT_EXIT_FREE);
}

static void
a_worker_that_dies_serving_is_restarted(void **state)
{
	(void)state;
	assert_int_equal(
	    slot_state_exited(SLOT_SERVING, 0, 0, 0, 0), SLOT_EXIT_RESTART);
	/* still with -d: only a start that never served stops everything */
	assert_int_equal(
	    slot_state_exited(SLOT_SERVING, 0, 0, 0, 1), SLOT_EXIT_RESTART);
	/* the first start, not under -d: tried again */
	assert_int_equal(
	    slot_state_exited(SLOT_STARTING, 0, 0, 0, 0), SLOT_EXIT_RESTART);
}

static void
a_reload_whose_worker_dies_starting_falls_back_to_the_old_workers(void **state)
{
	(void)state;
	assert_int_equal(
	    slot_state_exited(SLOT_STARTING, 0, 1, 0, 0), SLOT_EXIT_FALL_BACK);
	/* one that served already is restarted as any other */
	assert_int_equal(
	    slot_state_exited(SLOT_SERVING, 0, 1, 0, 0), SLOT_EXIT_RESTART);
}

static void
an_old_worker_that_dies_while_its_replacements_start_is_gone(void **state)
{
	(void)state;
	assert_int_equal(
	    slot_state_exited(SLOT_SERVING, 0, 0, 1, 0), SLOT_EXIT_FREE);
}

static void
a_first_start_that_fails_under_d_stops_everything(void **state)
{
	(void)state;
	assert_int_equal(
	    slot_state_exited(SLOT_STARTING, 0, 0, 0, 1), SLOT_EXIT_START_FAIL);
}

static void
quick_deaths_wait_longer_each_time_up_to_ten_seconds(void **state)
{
	int failures = 0;
	/* the first quick death waits too, as README says */
	long long want[] = {100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000};

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		assert_int_equal(
		    slot_state_restart_delay(&failures, 50), want[i]);
	for (int i = 0; i < 100; i++) /* no overflow however many */
		assert_int_equal(
		    slot_state_restart_delay(&failures, 50), 10000);
	/* one that lived ten seconds starts at once, and counts anew */
	assert_int_equal(slot_state_restart_delay(&failures, 10000), 0);
	assert_int_equal(slot_state_restart_delay(&failures, 50), 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(only_the_listed_changes_are_allowed),
	    cmocka_unit_test(
	        a_worker_never_comes_back_to_serve_once_told_to_stop),
	    cmocka_unit_test(a_worker_that_stops_or_was_told_to_is_gone),
	    cmocka_unit_test(a_worker_that_dies_serving_is_restarted),
	    cmocka_unit_test(
	        a_reload_whose_worker_dies_starting_falls_back_to_the_old_workers),
	    cmocka_unit_test(
	        an_old_worker_that_dies_while_its_replacements_start_is_gone),
	    cmocka_unit_test(a_first_start_that_fails_under_d_stops_everything),
	    cmocka_unit_test(
	        quick_deaths_wait_longer_each_time_up_to_ten_seconds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
