/* test_buffer.c - the input buffer, its line reader, and the output queue. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "buffer.h"
#include "output.h"

static void
appended_bytes_are_peeked_and_consumed_in_order(void **state)
{
	struct buffer b = BUFFER_INIT;
	size_t n;
	const char *p;

	(void)state;
	assert_int_equal(buffer_append(&b, "hello ", 6), 0);
	assert_int_equal(buffer_append(&b, "world", 5), 0);
	p = buffer_peek(&b, &n);
	assert_int_equal(n, 11);
	assert_memory_equal(p, "hello world", 11);
	buffer_consume(&b, 6);
	p = buffer_peek(&b, &n);
	assert_int_equal(n, 5);
	assert_memory_equal(p, "world", 5);
	buffer_consume(&b, 100);
	assert_int_equal(buffer_len(&b), 0);
	buffer_free(&b);
}

static void
a_megabyte_survives_growth_and_compaction(void **state)
{
	struct buffer b = BUFFER_INIT;
	size_t n, total = 0, eaten = 0;
	const unsigned char *p;

	(void)state;
	for (int round = 0; round < 300; round++) {
		unsigned char chunk[3571];

		for (size_t i = 0; i < sizeof(chunk); i++)
			chunk[i] = (unsigned char)(total + i);
		assert_int_equal(buffer_append(&b, chunk, sizeof(chunk)), 0);
		total += sizeof(chunk);
		/* eat a bit less than was added, checking every byte */
		p = (const unsigned char *)buffer_peek(&b, &n);
		for (size_t i = 0; i < n / 2; i++)
			assert_int_equal(p[i], (unsigned char)(eaten + i));
		buffer_consume(&b, n / 2);
		eaten += n / 2;
	}
	assert_int_equal(buffer_len(&b), total - eaten);
	buffer_free(&b);
}

static void
lines_come_whole_with_their_newline(void **state)
{
	struct buffer b = BUFFER_INIT;
	const char *line;
	size_t n;

	(void)state;
	buffer_append(&b, "first\nsec", 9);
	line = buffer_line(&b, 0, &n);
	assert_non_null(line);
	assert_int_equal(n, 6);
	assert_memory_equal(line, "first\n", 6);
	assert_null(buffer_line(&b, 0, &n)); /* "sec" is not whole yet */
	buffer_append(&b, "ond\r\n", 5);
	line = buffer_line(&b, 0, &n);
	assert_int_equal(n, 8);
	assert_memory_equal(line, "second\r\n", 8);
	assert_int_equal(buffer_len(&b), 0);
	buffer_free(&b);
}

static void
at_end_of_input_the_rest_is_the_last_line(void **state)
{
	struct buffer b = BUFFER_INIT;
	const char *line;
	size_t n;

	(void)state;
	buffer_append(&b, "no newline", 10);
	assert_null(buffer_line(&b, 0, &n));
	line = buffer_line(&b, 1, &n);
	assert_int_equal(n, 10);
	assert_memory_equal(line, "no newline", 10);
	assert_null(buffer_line(&b, 1, &n)); /* nothing left */
	buffer_free(&b);
}

static void
a_line_sent_one_byte_at_a_time_is_found_once(void **state)
{
	struct buffer b = BUFFER_INIT;
	const char *msg = "byte by byte\n", *line = NULL;
	size_t n;

	(void)state;
	for (size_t i = 0; msg[i]; i++) {
		assert_null(line);
		buffer_append(&b, msg + i, 1);
		line = buffer_line(&b, 0, &n);
	}
	assert_non_null(line);
	assert_int_equal(n, strlen(msg));
	assert_memory_equal(line, msg, n);
	buffer_free(&b);
}

/* Reads everything from fd until EOF. */
static size_t
drain(int fd, char *out, size_t max)
{
	size_t got = 0;
	ssize_t n;

	while (got < max && (n = read(fd, out + got, max - got)) > 0)
		got += (size_t)n;
	return got;
}

/* The plain connection on fd. */
static struct conn *
plain(struct conn *c, int fd)
{
	conn_init(c, &conn_plain, fd);
	return c;
}

static void
output_sends_bytes_and_files_in_the_order_queued(void **state)
{
	struct output o = OUTPUT_INIT;
	struct conn c;
	char path[] = "/tmp/modserv-unit.XXXXXX", got[64];
	int sv[2], fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(output_write(&o, "head:", 5), 0);
	assert_int_equal(output_file(&o, fd, 2, 5), 0); /* "23456" */
	assert_int_equal(output_write(&o, ":mid:", 5), 0);
	assert_int_equal(output_file(&o, open(path, O_RDONLY), 0, 3), 0);
	assert_int_equal(output_write(&o, ":tail", 5), 0);
	assert_int_equal(o.bytes, 23);
	assert_int_equal(output_send(&o, plain(&c, sv[0])), 1);
	assert_false(output_pending(&o));
	close(sv[0]);
	assert_int_equal(drain(sv[1], got, sizeof(got)), 23);
	assert_memory_equal(got, "head:23456:mid:012:tail", 23);
	close(sv[1]);
	output_free(&o);
	unlink(path);
}

static void
output_to_a_full_socket_waits_and_resumes(void **state)
{
	struct output o = OUTPUT_INIT;
	struct conn c;
	size_t big = 4 << 20, got = 0;
	char *msg = malloc(big), *back = malloc(big);
	int sv[2], rc;

	(void)state;
	for (size_t i = 0; i < big; i++)
		msg[i] = (char)(i * 13);
	assert_int_equal(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(output_write(&o, msg, big), 0);
	while ((rc = output_send(&o, plain(&c, sv[0]))) == 0) {
		ssize_t n = read(sv[1], back + got, big - got);

		assert_true(n > 0);
		got += (size_t)n;
	}
	assert_int_equal(rc, 1);
	while (got < big) {
		ssize_t n = read(sv[1], back + got, big - got);

		assert_true(n > 0);
		got += (size_t)n;
	}
	assert_memory_equal(back, msg, big);
	close(sv[0]);
	close(sv[1]);
	output_free(&o);
	free(msg);
	free(back);
}

static void
output_to_a_closed_peer_fails(void **state)
{
	struct output o = OUTPUT_INIT;
	struct conn c;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	output_write(&o, "lost", 4);
	assert_int_equal(output_send(&o, plain(&c, sv[0])), -1);
	close(sv[0]);
	output_free(&o);
	assert_int_equal(o.bytes, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(appended_bytes_are_peeked_and_consumed_in_order),
	    cmocka_unit_test(a_megabyte_survives_growth_and_compaction),
	    cmocka_unit_test(lines_come_whole_with_their_newline),
	    cmocka_unit_test(at_end_of_input_the_rest_is_the_last_line),
	    cmocka_unit_test(a_line_sent_one_byte_at_a_time_is_found_once),
	    cmocka_unit_test(output_sends_bytes_and_files_in_the_order_queued),
	    cmocka_unit_test(output_to_a_full_socket_waits_and_resumes),
	    cmocka_unit_test(output_to_a_closed_peer_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
