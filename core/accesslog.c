/* accesslog.c - where access-log lines go: the main log, syslog, or a file
 * opened with O_APPEND and written a line (or, for an event loop, a batch
 * of lines) a write(2), so threads and processes never interleave. */
#include "accesslog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "accesslog_fork.h"
#include "control.h"
#include "log.h"
#include "model.h"
#include "request.h"
#include "request_tls.h"
#include "service.h"
#include "transport.h"

/* ---- where lines go ---- */

/* The worker's access-log file (one service a worker). */
static int access_fd = -1;

/* The file's path and service, for saying a write failed (accesslog_open). */
static const char *access_path, *access_who;
static atomic_int access_failing; /* said so, until a write succeeds */

/* Says once that lines are being lost (a full disk, a file too big, an
 * I/O error), not a line a request, and once that they are written
 * again; n: what should have been written, rc: what write(2) returned. */
static void
accesslog_wrote(const char *who, const char *path, ssize_t rc, size_t n)
{
	int saved = errno;

	if (rc >= 0 && (size_t)rc == n) {
		if (atomic_load(&access_failing) &&
		    atomic_exchange(&access_failing, 0))
			log_info(who, "access_log %s: lines written again",
			    path ? path : "");
		return;
	}
	if (atomic_exchange(&access_failing, 1))
		return;
	if (rc < 0) {
		errno = saved;
		log_syserr(MS_LOG_WARN, who,
		    "access_log %s: lines are lost until a write succeeds",
		    path ? path : "");
	} else {
		log_warn(who,
		    "access_log %s: a line cut short (%zd of %zu bytes): lines are lost until a write succeeds",
		    path ? path : "", rc, n);
	}
}

/* O_NONBLOCK for the open only: a FIFO nobody reads would block it for
 * ever (the worker's start, or the master at a rotation); it fails with
 * ENXIO instead.  The writes then block as a file's do. */
/* A symbolic link is followed only when root owns it: the master opens
 * the file as root (at a rotation) and hands it to the worker, so a link
 * that the service's user made in a folder it may write in would point
 * root's open at any file (an ELOOP then, which accesslog_why says). */
static int
accesslog_open_file(const char *path)
{
	const int flags =
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
	int fd = open(path, flags | O_NOFOLLOW, 0640);
	struct stat st;
	int fl;

	if (fd < 0 && errno == ELOOP && lstat(path, &st) == 0 &&
	    S_ISLNK(st.st_mode) && st.st_uid == 0)
		fd = open(path, flags, 0640);

	if (fd >= 0 && (fl = fcntl(fd, F_GETFL)) >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

/* A thread's lines waiting for one write (accesslog_batch); its buffer
 * is made when batching starts (in TLS it would be zeroed at the start of
 * every thread). */
#define ACCESSLOG_BATCH 16384
static __thread struct {
	int on;
	size_t len;
	long long since; /* when its first line came */
	char *buf;
} batch;

void
accesslog_flush(void)
{
	if (batch.len > 0 && access_fd >= 0)
		accesslog_wrote(access_who, access_path,
		    write(access_fd, batch.buf, batch.len), batch.len);
	batch.len = 0;
}

void
accesslog_batch(int on)
{
	if (!on) { /* the thread may end: its buffer goes with its lines */
		accesslog_flush();
		free(batch.buf);
		batch.buf = NULL;
	}
	if (on && batch.buf == NULL &&
	    (batch.buf = malloc(ACCESSLOG_BATCH)) == NULL)
		on = 0; /* then a write a line */
	batch.on = on;
}

int
accesslog_flush_timeout(int timeout)
{
	long long left;

	if (batch.len == 0)
		return timeout;
	left = batch.since + ACCESSLOG_FLUSH_MS - service_now_ms();
	if (left <= 0) {
		accesslog_flush();
		return timeout;
	}
	return timeout < 0 || left < timeout ? (int)left : timeout;
}

/* One line to the file: into the thread's batch, or written now. */
static void
accesslog_to_file(const char *line, size_t n)
{
	if (!batch.on) {
		if (access_fd >= 0)
			accesslog_wrote(access_who, access_path,
			    write(access_fd, line, n), n);
		return;
	}
	if (n > ACCESSLOG_BATCH - batch.len)
		accesslog_flush();
	if (batch.len == 0)
		batch.since = service_now_ms();
	memcpy(batch.buf + batch.len, line, n);
	batch.len += n;
}

/* The master's one line to a service's file (it holds none open). */
static void
accesslog_to_own_file(
    const char *who, const char *path, const char *line, size_t n)
{
	int fd = accesslog_open_file(path);

	if (fd >= 0)
		accesslog_wrote(who, path, write(fd, line, n), n);
	if (fd >= 0)
		close(fd);
}

/* The worker's pid, asked once (accesslog_open): the lines of a fork
 * model's request processes are the worker's to write, with their pids. */
static pid_t accesslog_pid;

/* Why opening an access-log file failed (errno). */
static const char *
accesslog_why(int err)
{
	return err == ELOOP ? "a symbolic link root does not own: not followed"
	                    : strerror(err);
}

int
accesslog_target_parse(const char *value, enum accesslog_target *t)
{
	if (strcmp(value, "main") == 0)
		*t = ACCESSLOG_MAIN;
	else if (strcmp(value, "off") == 0)
		*t = ACCESSLOG_OFF;
	else if (strcmp(value, "syslog") == 0)
		*t = ACCESSLOG_SYSLOG;
	else if (*value)
		*t = ACCESSLOG_FILE;
	else
		return -1;
	return 0;
}

void
accesslog_hand_over(struct ms_service *svc, int ctl, pid_t pid)
{
	const struct service_conf *sc = svc->conf;
	int fd;

	if (sc->access_target != ACCESSLOG_FILE)
		return;
	if ((fd = accesslog_open_file(sc->access_log)) < 0) {
		log_warn(sc->name,
		    "access_log %s: writing on to the file as it was: %s",
		    sc->access_log, accesslog_why(errno));
		return;
	}
	if (control_send_kind(ctl, CONTROL_ACCESS_LOG, fd) < 0)
		log_syserr(MS_LOG_WARN, sc->name,
		    "handing the access log to worker %d", (int)pid);
	close(fd);
}

/* Formats a line once in the worker, so the time zone is read and parsed
 * here, not again in each request process of a fork model (a tenth of a
 * millisecond each). */
static void
accesslog_warm(struct ms_service *svc)
{
	struct accesslog_entry e;
	char line[512];

	if (svc->conf->access_target == ACCESSLOG_OFF)
		return;
	tzset();
	accesslog_entry_init(&e, svc);
	accesslog_format_line(svc->conf->access_format, &e, line, sizeof(line));
}

/* Whether syslog(3) has a daemon to hand lines to: without one (no
 * /dev/log, as in many containers) it drops them without a word. */
static int
accesslog_syslog_listens(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int types[] = {SOCK_DGRAM, SOCK_STREAM}, ok = 0;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", _PATH_LOG);
	for (size_t i = 0; i < 2 && !ok; i++) {
		int fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0);

		ok = fd >= 0 &&
		     connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
		if (fd >= 0) {
			int saved = errno;

			close(fd);
			errno = saved;
		}
	}
	return ok;
}

int
accesslog_open(struct ms_service *svc, char *err, size_t errlen)
{
	const struct service_conf *sc = svc->conf;

	accesslog_pid = getpid();
	accesslog_warm(svc);
	if (sc->access_target == ACCESSLOG_SYSLOG &&
	    !accesslog_syslog_listens())
		log_syserr(MS_LOG_WARN, sc->name,
		    "access_log syslog: no syslog daemon on %s: its lines are lost",
		    _PATH_LOG);
	if (sc->access_target != ACCESSLOG_FILE)
		return 0;
	access_path = sc->access_log;
	access_who = sc->name;
	if ((access_fd = accesslog_open_file(sc->access_log)) < 0) {
		snprintf(err, errlen, "access_log %s: %s", sc->access_log,
		    accesslog_why(errno));
		return -1;
	}
	return 0;
}

void
accesslog_adopt(struct ms_service *svc, int fd)
{
	(void)svc;
	accesslog_flush(); /* the last lines go to the file that was */
	if (access_fd < 0) {
		access_fd = fd;
		return;
	}
	/* the same number, never free meanwhile: a request thread writing
	 * now cannot hit a socket accepted onto it */
	dup3(fd, access_fd, O_CLOEXEC);
	close(fd);
}

void
accesslog_entry_init(struct accesslog_entry *e, const struct ms_service *svc)
{
	memset(e, 0, sizeof(*e));
	gettimeofday(&e->when, NULL);
	e->service = svc->conf->name;
	e->transport = svc->conf->transport->name;
	e->model = svc->conf->model->name;
	e->pid = accesslog_pid ? accesslog_pid : getpid();
}

void
accesslog_write_in(
    struct ms_service *svc, const struct accesslog_entry *e, char *line)
{
	const struct service_conf *sc = svc->conf;
	size_t n;

	if (sc->access_target == ACCESSLOG_OFF)
		return;
	n = accesslog_format_brief(sc->access_format, e,
	    sc->access_target == ACCESSLOG_MAIN, line, ACCESSLOG_LINE_MAX);
	switch (sc->access_target) {
	case ACCESSLOG_MAIN:
		line[n - 1] = '\0';
		log_access(sc->name, line);
		break;
	case ACCESSLOG_SYSLOG:
		syslog(svc->cfg->syslog_facility | LOG_INFO, "%.*s", (int)n - 1,
		    line);
		break;
	case ACCESSLOG_FILE:
		if (access_fd < 0) /* the master, for a worker it ends */
			accesslog_to_own_file(
			    sc->name, sc->access_log, line, n);
		else
			accesslog_to_file(line, n);
		break;
	case ACCESSLOG_OFF:
		break;
	}
}

void
accesslog_write(struct ms_service *svc, const struct accesslog_entry *e)
{
	char line[ACCESSLOG_LINE_MAX];

	accesslog_write_in(svc, e, line);
}

enum accesslog_end
accesslog_end_of(const struct ms_request *r)
{
	if (r->end != ACCESSLOG_END_NONE)
		return r->end;
	if (r->datagram)
		return r->replied ? ACCESSLOG_END_ANSWERED
		                  : ACCESSLOG_END_UNANSWERED;
	if (r->eof)
		return ACCESSLOG_END_CLIENT_CLOSED;
	if (r->svc->stopping)
		return ACCESSLOG_END_STOP;
	return ACCESSLOG_END_MODULE_CLOSED;
}

/* mod_ssl's names of the TLS facts, in enum accesslog_tls's order. */
static const char *const accesslog_tls_vars[ACCESSLOG_TLS_N] = {"SSL_PROTOCOL",
    "SSL_CIPHER", "SSL_TLS_SNI", "SSL_SESSION_RESUMED", "SSL_CLIENT_S_DN"};

void
accesslog_tls_of(const struct ms_request *r, const char *tls[ACCESSLOG_TLS_N])
{
	/* the request keeps what it read: the line may be written after
	 * its connection went to a program */
	struct ms_request *kept = (struct ms_request *)r;
	int told = accesslog_format_tls(r->svc->conf->access_format) &&
	           request_tls_on(r);

	for (size_t k = 0; k < ACCESSLOG_TLS_N; k++)
		tls[k] = told ? ms_tls_var(kept, accesslog_tls_vars[k]) : NULL;
}

void
accesslog_request(const struct ms_request *r)
{
	struct accesslog_entry e;

	if (r->start_ms == 0)
		return;
	if (accesslog_records_keep(r)) /* a fork model's request process */
		return;
	if (r->svc->conf->access_log_skip_empty && r->bytes_in == 0 &&
	    !r->handed_off)
		return;
	accesslog_entry_init(&e, r->svc);
	e.client = (const struct sockaddr *)&r->peer;
	e.clientlen = r->peerlen;
	if (r->balancerlen) {
		e.balancer = (const struct sockaddr *)&r->balancer;
		e.balancerlen = r->balancerlen;
	}
	e.duration_ms = service_now_ms() - r->start_ms;
	e.bytes_in = r->bytes_in;
	e.bytes_out = r->bytes_out;
	e.end = accesslog_end_of(r);
	accesslog_tls_of(r, e.tls);
	accesslog_write(r->svc, &e);
}

void
accesslog_stuck(struct ms_service *svc, const struct sockaddr *peer,
    socklen_t peerlen, long long ms, pid_t worker)
{
	struct accesslog_entry e;

	accesslog_entry_init(&e, svc);
	e.pid = worker;
	e.client = peer;
	e.clientlen = peerlen;
	e.duration_ms = ms;
	e.end = ACCESSLOG_END_HANDLE_TIMEOUT;
	accesslog_write(svc, &e);
}
