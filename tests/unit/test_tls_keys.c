/* test_tls_keys.c - the master's session ticket keys: a set a service,
 * the same across reloads, rotated when the service's period is over and
 * not before, forgotten with the service; and the sealed memfd that
 * carries them to a worker, refused when it is not one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "tls_keys.h"
#include "tls_keys_fd.h"

static char err[256];

static int
keep_none(const char *service, void *arg)
{
	(void)service, (void)arg;
	return 0;
}

static int
keep_named(const char *service, void *arg)
{
	return strcmp(service, arg) == 0;
}

static int
forget_all(void **state)
{
	(void)state;
	tls_keys_forget(keep_none, NULL);
	return 0;
}

static void
each_service_has_keys_of_its_own_kept_across_calls(void **state)
{
	const struct tls_ticket_keys *a = tls_keys_of("a", 1000);
	const struct tls_ticket_keys *b = tls_keys_of("b", 1000);
	unsigned char name_a[TLS_TICKET_NAME_LEN];

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a->n, 1);
	assert_memory_not_equal(
	    a->key[0].name, b->key[0].name, TLS_TICKET_NAME_LEN);
	memcpy(name_a, a->key[0].name, sizeof(name_a));
	/* a reload's generation asks again, later: the same keys */
	assert_ptr_equal(tls_keys_of("a", 90000), a);
	assert_memory_equal(a->key[0].name, name_a, sizeof(name_a));
}

static void
keys_rotate_when_their_period_is_over_and_not_before(void **state)
{
	const struct tls_ticket_keys *k = tls_keys_of("s", 1000), *r;
	unsigned char first[TLS_TICKET_NAME_LEN];
	long long next = -1;

	(void)state;
	memcpy(first, k->key[0].name, sizeof(first));
	assert_null(tls_keys_rotate_due("s", 2, 2999, &next));
	assert_int_equal(next, 1);
	next = 500;
	assert_null(tls_keys_rotate_due("s", 2, 2000, &next));
	assert_int_equal(next, 500); /* only ever lowered */
	next = -1;
	assert_non_null(r = tls_keys_rotate_due("s", 2, 3000, &next));
	assert_int_equal(next, 2000);
	assert_int_equal(r->generation, 1);
	assert_int_equal(r->n, 2);
	assert_memory_equal(r->key[1].name, first, sizeof(first));
	/* counted from the rotation: not again at once */
	next = -1;
	assert_null(tls_keys_rotate_due("s", 2, 4999, &next));
	assert_non_null(tls_keys_rotate_due("s", 2, 5000, &next));
	assert_non_null(tls_keys_rotate_due("s", 2, 9000, &next));
	assert_non_null(r = tls_keys_rotate_due("s", 2, 11000, &next));
	assert_int_equal(r->n, TLS_TICKET_KEYS);
	for (uint32_t i = 0; i < r->n; i++)
		assert_memory_not_equal(r->key[i].name, first, sizeof(first));
	/* a service without keys is not rotated, nor waited for */
	next = -1;
	assert_null(tls_keys_rotate_due("none", 2, 99000, &next));
	assert_int_equal(next, -1);
}

static void
forgotten_keys_are_made_anew(void **state)
{
	const struct tls_ticket_keys *a = tls_keys_of("a", 0);
	unsigned char was_a[TLS_TICKET_NAME_LEN], was_b[TLS_TICKET_NAME_LEN];

	(void)state;
	memcpy(was_a, a->key[0].name, sizeof(was_a));
	memcpy(was_b, tls_keys_of("b", 0)->key[0].name, sizeof(was_b));
	tls_keys_forget(keep_named, "b");
	assert_memory_equal(
	    tls_keys_of("b", 0)->key[0].name, was_b, sizeof(was_b));
	assert_memory_not_equal(
	    tls_keys_of("a", 0)->key[0].name, was_a, sizeof(was_a));
}

static void
keys_cross_in_a_sealed_memfd(void **state)
{
	struct tls_ticket_keys k, got;
	int fd;

	(void)state;
	assert_int_equal(tls_ticket_keys_make(&k, err, sizeof(err)), 0);
	assert_int_equal(tls_ticket_keys_rotate(&k, err, sizeof(err)), 0);
	assert_true((fd = tls_keys_fd_make(&k, err, sizeof(err))) >= 0);
	/* nothing can change it now */
	assert_int_equal(write(fd, "x", 1), -1);
	assert_int_equal(tls_keys_fd_read(fd, &got, err, sizeof(err)), 0);
	assert_memory_equal(&got, &k, sizeof(k));
	close(fd);
}

static void
a_file_not_sealed_is_refused(void **state)
{
	struct tls_ticket_keys k, got;
	int fd = memfd_create("keys", MFD_CLOEXEC);

	(void)state;
	assert_int_equal(tls_ticket_keys_make(&k, err, sizeof(err)), 0);
	assert_int_equal(pwrite(fd, &k, sizeof(k), 0), (ssize_t)sizeof(k));
	assert_int_equal(tls_keys_fd_read(fd, &got, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a sealed memfd"));
	close(fd);
	/* sealed, but of no keys */
	k.n = 0;
	assert_true((fd = tls_keys_fd_make(&k, err, sizeof(err))) >= 0);
	assert_int_equal(tls_keys_fd_read(fd, &got, err, sizeof(err)), -1);
	assert_string_equal(err, "the file handed over holds 0 keys");
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(
	        each_service_has_keys_of_its_own_kept_across_calls, forget_all),
	    cmocka_unit_test_teardown(
	        keys_rotate_when_their_period_is_over_and_not_before,
	        forget_all),
	    cmocka_unit_test_teardown(forgotten_keys_are_made_anew, forget_all),
	    cmocka_unit_test(keys_cross_in_a_sealed_memfd),
	    cmocka_unit_test(a_file_not_sealed_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
