/* greet - seed 004's concurrent server: a greeting on connect, then every
 * message back with a suffix, until the message "q".  A message is what
 * one read brings (as the seed's recv(1024)), or one line with
 * framing = "line". */
#include <stdio.h>
#include <string.h>

#include <modserv.h>

static const struct ms_option greet_options[] = {
    {.name = "greeting",
        .type = MS_OPT_STR,
        .def = "你好欢迎你",
        .help = "sent when a client connects"},
    {.name = "suffix",
        .type = MS_OPT_STR,
        .def = "好",
        .help = "added to every message sent back"},
    {.name = "quit",
        .type = MS_OPT_STR,
        .def = "q",
        .help = "the message that ends the session"},
    {.name = "framing",
        .type = MS_OPT_STR,
        .def = "read",
        .help = "read: a message is what one read brings; line: one line",
        .choices = MS_CHOICES("read", "line")},
    {0},
};

/* Per worker: the options, read once. */
struct greet {
	const char *greeting, *suffix, *quit;
	int lines;
};

static struct greet greet_conf;

/* The host has checked framing against its choices. */
static int
greet_init(ms_service *svc, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	greet_conf.greeting = ms_opt_str(svc, "greeting");
	greet_conf.suffix = ms_opt_str(svc, "suffix");
	greet_conf.quit = ms_opt_str(svc, "quit");
	greet_conf.lines = strcmp(ms_opt_str(svc, "framing"), "line") == 0;
	return 0;
}

static int
greet_setup(ms_request *req)
{
	return ms_write(req, greet_conf.greeting, strlen(greet_conf.greeting));
}

/* Whether msg[0..n) is the quit message, a line ending after it allowed:
 * a terminal's client (nc) sends "q\n" for the seed client's bare "q". */
static int
greet_is_quit(const char *msg, size_t n)
{
	size_t len = strlen(greet_conf.quit);

	if (n > len && msg[n - 1] == '\n')
		n -= n - 1 > len && msg[n - 2] == '\r' ? 2 : 1;
	return n == len && memcmp(msg, greet_conf.quit, n) == 0;
}

/* Answers one message; MS_CLOSE when it is the quit message. */
static int
greet_answer(ms_request *req, const char *msg, size_t n, const char *eol)
{
	if (greet_is_quit(msg, n))
		return MS_CLOSE;
	ms_write(req, msg, n);
	ms_printf(req, "%s%s", greet_conf.suffix, eol);
	return MS_MORE;
}

static int
greet_handle(ms_request *req)
{
	const char *p;
	size_t n;

	if (!greet_conf.lines) {
		p = ms_peek(req, &n);
		if (n == 0) /* the peer closed */
			return MS_CLOSE;
		int rc = greet_answer(req, p, n, "");

		ms_consume(req, n);
		return rc;
	}
	while ((p = ms_readline(req, &n)) != NULL) {
		size_t len = n;

		while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
			len--;
		if (greet_answer(req, p, len, "\n") == MS_CLOSE)
			return MS_CLOSE;
	}
	return MS_MORE;
}

MODSERV_MODULE(.name = "greet",
    .summary = "a greeting, then each message back with a suffix until q",
    .flags = MS_F_STREAM_ONLY, .options = greet_options, .init = greet_init,
    .setup = greet_setup, .handle = greet_handle);
