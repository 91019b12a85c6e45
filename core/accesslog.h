/* accesslog.h - the access log: a line when a request ends or a client is
 * refused (nginx's access_log), and where it goes. */
#ifndef ACCESSLOG_H
#define ACCESSLOG_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "accesslog_format.h"

struct ms_request;
struct ms_service;

/* Where a service's lines go. */
enum accesslog_target {
	ACCESSLOG_MAIN,   /* the main log (stderr, its file, or syslog) */
	ACCESSLOG_OFF,    /* nowhere */
	ACCESSLOG_SYSLOG, /* syslog, whatever the main log is */
	ACCESSLOG_FILE,   /* a file of its own, opened by root */
};

/* Parses an access_log value: "main", "off", "syslog", or a path (the
 * target is then ACCESSLOG_FILE).  0, or -1. */
int accesslog_target_parse(const char *value, enum accesslog_target *t);

/* In a worker, as root before the drop: opens svc's access-log file (when
 * it has one).  0, or -1 with err. */
int accesslog_open(struct ms_service *svc, char *err, size_t errlen);
/* In the master after a rotation: opens svc's access-log file again (as
 * root) and sends it to its worker pid over ctl (a failure is logged);
 * nothing for a service without a file. */
void accesslog_hand_over(struct ms_service *svc, int ctl, pid_t pid);
/* The worker takes fd (the master's reopened file) as its access log. */
void accesslog_adopt(struct ms_service *svc, int fd);
/* Writes e as svc's access log says (one write(2)); nothing when off. */
void accesslog_write(struct ms_service *svc, const struct accesslog_entry *e);
/* The same, formatting into line (ACCESSLOG_LINE_MAX bytes) rather than
 * on the stack. */
void accesslog_write_in(
    struct ms_service *svc, const struct accesslog_entry *e, char *line);
/* How r ended, when nothing said so on the way: the datagram answered or
 * not, the client closed, the stop, else the module closed. */
enum accesslog_end accesslog_end_of(const struct ms_request *r);
/* On (1), the calling thread's lines to a file wait in its buffer (16
 * KiB) for up to ACCESSLOG_FLUSH_MS, then go in one write(2), as nginx's
 * access_log buffer= flush=: an event loop's thread.  Off (0) flushes, and
 * writes each line at once, as every thread does by default. */
void accesslog_batch(int on);
#define ACCESSLOG_FLUSH_MS 100
/* Writes the calling thread's waiting lines, in one write(2). */
void accesslog_flush(void);
/* A poll timeout (-1: none) shortened to when the waiting lines are due;
 * writes them when they are. */
int accesslog_flush_timeout(int timeout);
/* Fills the fields of e svc knows (service, transport, model, pid, the
 * time now). */
void accesslog_entry_init(
    struct accesslog_entry *e, const struct ms_service *svc);
/* The TLS facts of r into tls (NULL each on plaintext, or when svc's
 * lines do not tell them). */
void accesslog_tls_of(
    const struct ms_request *r, const char *tls[ACCESSLOG_TLS_N]);
/* The line for request r, which ended (skipped when access_log_skip_empty
 * and r received nothing). */
void accesslog_request(const struct ms_request *r);
/* In the master: the line of a request whose handle outlived
 * handle_timeout (its worker is killed, and says nothing more); ms: how
 * long handle ran.  Bytes are not known there: 0. */
void accesslog_stuck(struct ms_service *svc, const struct sockaddr *peer,
    socklen_t peerlen, long long ms, pid_t worker);

#endif
