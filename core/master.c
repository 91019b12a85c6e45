/* master.c - fork workers for each configuration loaded (generation.c binds
 * its listeners), supervise them by the rules of slot_state.c, swap them on
 * reload, stop them. */
#include "master.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "accesslog.h"
#include "control.h"
#include "daemon.h"
#include "generation.h"
#include "listeners.h"
#include "log.h"
#include "model.h"
#include "notify.h"
#include "service.h"
#include "slot_state.h"
#include "stats.h"
#include "status.h"
#include "tls_keys.h"
#include "tls_keys_fd.h"
#include "transport.h"
#include "worker.h"

/* A module file as it was when its worker started: a reload restarts a
 * service whose module was rebuilt since. */
struct module_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

/* One worker process, as the master tracks it. */
struct slot {
	struct slot *next;
	struct generation *gen;
	struct ms_service *svc; /* in gen */
	enum slot_state state;  /* changed by slot_set only */
	pid_t pid;              /* 0: not running */
	int ctl_fd; /* to the worker: its "serving" (polled while STARTING),
	               log files to it */
	struct module_id module;     /* as at the last start */
	struct service_watch *watch; /* NULL unless handle_timeout applies */
	long long started;           /* ms */
	long long restart;           /* ms when to start again; 0: none due */
	int failures;                /* quick deaths in a row */
};

struct master {
	const char *file; /* the configuration, as given */
	int level;        /* -l, or -1: the file's log_level */
	struct generation *current;
	struct generations gens; /* every one loaded and still used */
	struct slot *slots;
	int sigfd;
	int owe_ready; /* READY=1 once no worker is starting */
	int status_fd; /* the status socket, or -1 */
	struct listen_addr status_addr;
	long long status_sent; /* ms the last STATUS= line went */
	unsigned long long status_requests, status_active; /* as it said */
	int daemon_fd;            /* -d: the parent waiting to hear we serve */
	int pidfile_fd;           /* -1: no pidfile */
	char *pidfile;            /* as at start */
	const char *start_failed; /* -d: the service whose worker did not
	                             start; everything stops */
	struct check_run *check;  /* a reload's module checks under way */
	struct config next;       /* the configuration they check */
};

static void
module_id_of(const char *path, struct module_id *id)
{
	struct stat st;

	memset(id, 0, sizeof(*id));
	if (stat(path, &st) == 0)
		*id = (struct module_id){
		    st.st_dev, st.st_ino, st.st_size, st.st_mtim};
}

static int
module_id_same(const struct module_id *a, const struct module_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* ---- slots ---- */

/* The one place a slot's state changes. */
static void
slot_set(struct slot *s, enum slot_state to)
{
	assert(slot_state_allowed(s->state, to));
	s->state = to;
}

static struct slot *
slot_new(struct master *m, struct generation *g, struct ms_service *svc)
{
	struct slot *s = calloc(1, sizeof(*s));
	const struct service_conf *sc = svc->conf;

	if (s == NULL) {
		log_error(sc->name, "out of memory");
		return NULL;
	}
	s->gen = g;
	g->users++;
	s->svc = svc;
	s->ctl_fd = -1;
	if (sc->model->features & MODEL_F_HANDLE_ON_LOOP &&
	    sc->handle_timeout > 0 &&
	    (s->watch = mmap(NULL, sizeof(*s->watch), PROT_READ | PROT_WRITE,
	         MAP_SHARED | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED) {
		log_syserr(MS_LOG_WARN, sc->name,
		    "mmap: handle_timeout is not watched");
		s->watch = NULL;
	}
	s->next = m->slots;
	m->slots = s;
	return s;
}

/* The slot goes on with svc of generation g (the same service, unchanged,
 * in a newer configuration). */
static void
slot_move(struct slot *s, struct generation *g, struct ms_service *svc)
{
	s->gen->users--;
	g->users++;
	s->gen = g;
	s->svc = svc;
}

static void
slot_free(struct master *m, struct slot *s)
{
	for (struct slot **p = &m->slots; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	if (s->ctl_fd >= 0)
		close(s->ctl_fd);
	if (s->watch)
		munmap(s->watch, sizeof(*s->watch));
	s->gen->users--;
	free(s);
}

static void
slot_retire(struct slot *s)
{
	slot_set(s, SLOT_RETIRING);
	if (s->pid)
		kill(s->pid, SIGTERM);
}

/* Retires s, or frees it when no process runs (one waiting for a
 * restart). */
static void
slot_stop(struct master *m, struct slot *s)
{
	if (s->pid)
		slot_retire(s);
	else
		slot_free(m, s);
}

/* The child keeps its listeners, its control socket and stdio: nothing
 * else of the master's (other listeners, other pipes, the signalfd). */
static void
slot_close_others(const struct ms_service *svc, int ctl_fd)
{
	int keep[ADDR_LIST_MAX + 1], n = 0;
	unsigned from = 3;

	keep[n++] = ctl_fd;
	for (int i = 0; i < svc->nlisten; i++) { /* in order, for the ranges */
		int j = n++;

		for (; j > 0 && keep[j - 1] > svc->listen_fd[i]; j--)
			keep[j] = keep[j - 1];
		keep[j] = svc->listen_fd[i];
	}
	for (int i = 0; i < n; i++) {
		if ((unsigned)keep[i] > from)
			close_range(from, (unsigned)keep[i] - 1, 0);
		from = (unsigned)keep[i] + 1;
	}
	close_range(from, ~0U, 0);
}

static void
slot_spawn(struct slot *s)
{
	struct ms_service *svc = s->svc;
	pid_t master = getpid();
	int pfd[2];

	s->restart = 0;
	pfd[0] = pfd[1] = -1;
	if (svc->stats) /* the new worker says an odd return again */
		atomic_store(&svc->stats->odd_return_said, 0);
	if (control_pair(pfd) < 0 || (s->pid = fork()) < 0) {
		log_syserr(
		    MS_LOG_ERROR, service_name(svc), "starting a worker");
		if (pfd[0] >= 0) {
			close(pfd[0]);
			close(pfd[1]);
		}
		s->pid = 0;
		s->restart = service_now_ms() + SLOT_RETRY_FORK_MS;
		return;
	}
	if (s->pid == 0) {
		slot_close_others(svc, pfd[1]);
		log_reopen(); /* syslog's socket was closed with the rest */
		svc->ctl_fd = pfd[1];
		svc->watch = s->watch;
		worker_main(svc, master);
	}
	close(pfd[1]);
	if (s->ctl_fd >= 0) /* the previous process's */
		close(s->ctl_fd);
	s->ctl_fd = pfd[0];
	slot_set(s, SLOT_STARTING);
	s->started = service_now_ms();
	module_id_of(svc->conf->module_file, &s->module);
	log_debug(service_name(svc), "worker %d started", (int)s->pid);
}

/* Whether the master waits on s's control socket: while it starts. */
static int
slot_polled(const struct slot *s)
{
	return s->state == SLOT_STARTING && s->pid && s->ctl_fd >= 0;
}

static size_t
slots_starting(const struct master *m)
{
	size_t n = 0;

	for (const struct slot *s = m->slots; s; s = s->next)
		n += (SLOT_IN(s->state) & SLOTS_STARTING) != 0;
	return n;
}

static size_t master_stats(
    struct master *m, struct stats_service **out, size_t max);

/* "serving 2 services: 1234 requests served, 5 active" into line; 1 when
 * the figures changed since the last call. */
static int
master_status_line(struct master *m, char *line, size_t size)
{
	struct stats_service *st[STATS_MAX_SERVICES];
	unsigned long long requests = 0, active = 0;
	size_t n = master_stats(m, st, STATS_MAX_SERVICES), services;
	int changed;

	for (size_t i = 0; i < n; i++) {
		unsigned long long done = stats_get(st[i], STAT_REQUESTS);

		requests += done;
		active += stats_get(st[i], STAT_STARTED) - done;
	}
	services = m->current->cfg.nservices;
	snprintf(line, size,
	    "serving %zu service%s: %llu request%s served, %llu active",
	    services, services == 1 ? "" : "s", requests,
	    requests == 1 ? "" : "s", active);
	changed = requests != m->status_requests || active != m->status_active;
	m->status_requests = requests;
	m->status_active = active;
	return changed;
}

static void
master_notify_ready(struct master *m)
{
	char line[256];

	if (!m->owe_ready || m->check || m->start_failed ||
	    slots_starting(m) > 0)
		return;
	m->owe_ready = 0;
	stats_set_host_state(MS_HOST_SERVING);
	daemon_ready(&m->daemon_fd, NULL);
	master_status_line(m, line, sizeof(line));
	notify("READY=1\nSTATUS=%s\nMAINPID=%d", line, (int)getpid());
}

static int
slot_named(const struct slot *s, const char *name)
{
	return s->state != SLOT_RETIRING &&
	       strcmp(service_name(s->svc), name) == 0;
}

/* Whether a worker of the service named name, of generation g (or, with
 * g NULL, of any other than not_g), is in one of states (SLOT_IN). */
static int
slots_any(const struct master *m, const char *name, const struct generation *g,
    const struct generation *not_g, unsigned states)
{
	for (const struct slot *s = m->slots; s; s = s->next)
		if (slot_named(s, name) &&
		    (g ? s->gen == g : s->gen != not_g) &&
		    (SLOT_IN(s->state) & states))
			return 1;
	return 0;
}

static void master_sweep_listeners(struct master *m);

/* The workers of generation g serve the service named name, all of them:
 * the older ones stop accepting and drain, and a listener only they had
 * (an address the service no longer has) is closed. */
static void
slots_take_over(struct master *m, const char *name, struct generation *g)
{
	for (struct slot *s = m->slots, *next; s; s = next) {
		next = s->next;
		if (!slot_named(s, name) || s->gen == g)
			continue;
		if (s->pid)
			log_info(name,
			    "the new workers serve: worker %d stops accepting and drains",
			    (int)s->pid);
		slot_stop(m, s);
	}
	master_sweep_listeners(m);
}

/* A starting worker said it serves (or closed the pipe, dying). */
static void
slot_ready(struct master *m, struct slot *s)
{
	const char *name = service_name(s->svc);
	char c;
	ssize_t n = read(s->ctl_fd, &c, 1);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n != 1) { /* it died before serving: the reaper says how */
		close(s->ctl_fd);
		s->ctl_fd = -1;
		return;
	}
	slot_set(s, SLOT_SERVING);
	if (!slots_any(m, name, s->gen, NULL, SLOTS_STARTING))
		slots_take_over(m, name, s->gen);
	master_notify_ready(m);
}

static void
slot_log_exit(const struct slot *s, pid_t pid, int status, int quiet)
{
	const char *name = service_name(s->svc);
	int level = quiet ? MS_LOG_INFO : MS_LOG_ERROR;

	if (WIFSIGNALED(status))
		log_msg(level, name,
		    "worker %d (module %s) killed by signal %d (%s)", (int)pid,
		    s->svc->conf->module, WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) != 0 || !quiet)
		log_msg(level, name,
		    "worker %d (module %s) exited with status %d", (int)pid,
		    s->svc->conf->module, WEXITSTATUS(status));
}

/* Schedules the restart of a worker that died while serving. */
static void
slot_schedule_restart(struct slot *s)
{
	long long now = service_now_ms();
	long long delay =
	    slot_state_restart_delay(&s->failures, now - s->started);

	if (s->svc->stats)
		s->svc->stats->restarts++;
	slot_set(s, SLOT_WAITING);
	s->restart = now + delay;
	if (delay)
		log_info(service_name(s->svc),
		    "restarting the worker in %lld ms", delay);
}

static void
slot_exited(
    struct master *m, struct slot *s, pid_t pid, int status, int stopping)
{
	const char *name = service_name(s->svc);

	s->pid = 0;
	if (s->ctl_fd >= 0) {
		close(s->ctl_fd);
		s->ctl_fd = -1;
	}
	slot_log_exit(s, pid, status, stopping || s->state == SLOT_RETIRING);
	switch (slot_state_exited(s->state, stopping,
	    slots_any(m, name, NULL, s->gen, SLOTS_SERVING),
	    slots_any(m, name, NULL, s->gen, SLOTS_STARTING),
	    m->daemon_fd >= 0)) {
	case SLOT_EXIT_FREE:
		slot_free(m, s);
		break;
	case SLOT_EXIT_FALL_BACK:
		log_error(name,
		    "the reloaded service did not start: the previous workers go on serving");
		for (struct slot *o = m->slots, *next; o; o = next) {
			next = o->next;
			if (o != s && slot_named(o, name) && o->gen == s->gen)
				slot_stop(m, o);
		}
		slot_free(m, s);
		break;
	case SLOT_EXIT_START_FAIL: /* all stops, and the parent says so */
		slot_set(s, SLOT_FAILED);
		m->start_failed = service_name(s->svc);
		break;
	case SLOT_EXIT_RESTART:
		slot_schedule_restart(s);
		break;
	}
	master_notify_ready(m);
}

/* Reaps dead workers; schedules restarts unless stopping. */
static void
master_reap(struct master *m, int stopping)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct slot *s = m->slots;

		while (s && s->pid != pid)
			s = s->next;
		if (s)
			slot_exited(m, s, pid, status, stopping);
		else
			check_reaped(m->check, pid, status);
	}
	generations_collect(&m->gens);
}

/* Milliseconds until the next restart is due, or -1. */
static int
master_next_restart(const struct master *m)
{
	long long now = service_now_ms(), next = -1;

	for (const struct slot *s = m->slots; s; s = s->next)
		if (s->restart && (next < 0 || s->restart < next))
			next = s->restart;
	if (next < 0)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

/* Kills a worker whose module is stuck in handle: it is restarted. */
static void
master_check_stuck(struct master *m)
{
	long long now = service_now_ms();

	for (struct slot *s = m->slots; s; s = s->next) {
		const struct service_conf *sc = s->svc->conf;
		long long since;
		char peer[ADDR_TEXT_MAX];

		if (s->watch == NULL || s->pid == 0 ||
		    (since = atomic_load(&s->watch->handle_since)) == 0 ||
		    now - since < (long long)(sc->handle_timeout * 1000))
			continue;
		addr_format_for_log((struct sockaddr *)&s->watch->peer,
		    s->watch->peerlen, peer, sizeof(peer));
		log_error(sc->name,
		    "module %s stuck in handle for %lld ms serving %s (handle_timeout %g s): restarting worker %d",
		    sc->module, now - since, peer, sc->handle_timeout,
		    (int)s->pid);
		accesslog_stuck(s->svc, (struct sockaddr *)&s->watch->peer,
		    s->watch->peerlen, now - since, s->pid);
		atomic_store(&s->watch->handle_since, 0);
		kill(s->pid, SIGKILL);
	}
}

static void
master_keep_listeners(const struct ms_service *svc)
{
	for (int i = 0; i < svc->nlisten; i++)
		listeners_keep(svc->listen_fd[i]);
}

/* Closes the listeners no service of the current configuration and no
 * worker that still accepts uses. */
static void
master_sweep_listeners(struct master *m)
{
	listeners_begin_sweep();
	for (size_t i = 0; i < m->current->cfg.nservices; i++)
		master_keep_listeners(&m->current->svcs[i]);
	for (struct slot *s = m->slots; s; s = s->next)
		if (s->state != SLOT_RETIRING)
			master_keep_listeners(s->svc);
	listeners_sweep();
}

/* Follows a changed `log`; the pidfile is where it was at start. */
static void
master_log_target(struct master *m, const struct config *cfg)
{
	const struct config *was = &m->current->cfg;
	char err[512];

	if ((was->log == NULL) != (cfg->log == NULL) ||
	    (cfg->log && strcmp(was->log, cfg->log) != 0) ||
	    was->syslog_facility != cfg->syslog_facility) {
		if (log_open(cfg->log, cfg->syslog_facility, err, sizeof(err)) <
		    0)
			log_error(NULL, "%s: logging on as before", err);
		else
			log_info(NULL, "logging to %s",
			    cfg->log ? cfg->log : "stderr");
	}
	if ((was->pidfile == NULL) != (cfg->pidfile == NULL) ||
	    (cfg->pidfile && strcmp(was->pidfile, cfg->pidfile) != 0))
		log_warn(NULL, "pidfile changed: it takes a restart; still %s",
		    was->pidfile ? was->pidfile : "none");
}

/* ---- status ---- */

/* The current services' counters, with their running workers counted. */
static size_t
master_stats(struct master *m, struct stats_service **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < m->current->cfg.nservices && n < max; i++) {
		struct stats_service *st = m->current->svcs[i].stats;

		if (st == NULL)
			continue;
		st->workers = 0;
		for (struct slot *s = m->slots; s; s = s->next)
			st->workers += s->pid && s->svc->stats == st;
		out[n++] = st;
	}
	return n;
}

static void
master_answer_status(struct master *m)
{
	struct stats_service *st[STATS_MAX_SERVICES];

	status_answer(
	    m->status_fd, st, master_stats(m, st, STATS_MAX_SERVICES));
}

/* Opens, moves or closes the status socket as the configuration says. */
static int
master_status_socket(struct master *m, const struct config *cfg)
{
	char err[512];
	int fd;

	if (status_same(cfg, m->status_fd >= 0 ? &m->status_addr : NULL))
		return 0;
	if (m->status_fd >= 0) {
		status_close(m->status_fd, &m->status_addr);
		m->status_fd = -1;
	}
	if (cfg->status_socket == NULL)
		return 0;
	if ((fd = status_open(cfg, &m->status_addr, err, sizeof(err))) < 0) {
		log_error(NULL, "%s: %s", cfg->file, err);
		return -1;
	}
	m->status_fd = fd;
	return 0;
}

/* Tells the service manager, every few seconds when they changed, how
 * many requests were served and are being served. */
static void
master_notify_status(struct master *m)
{
	char line[256];

	if (!notify_enabled() || service_now_ms() - m->status_sent < 5000)
		return;
	m->status_sent = service_now_ms();
	if (master_status_line(m, line, sizeof(line)))
		notify("STATUS=%s", line);
}

/* ---- session ticket keys ---- */

/* A service's new ticket keys: into the contexts later workers inherit,
 * and to each of its running workers, sealed in a memfd it takes at the
 * SIGUSR1 that follows (its request processes keep the keys they have:
 * the older key still decrypts). */
static void
master_hand_ticket_keys(
    struct master *m, const char *name, const struct tls_ticket_keys *keys)
{
	char err[256];
	int fd;

	generations_set_ticket_keys(&m->gens, name, keys);
	if ((fd = tls_keys_fd_make(keys, err, sizeof(err))) < 0) {
		log_warn(name,
		    "session ticket keys: %s: the workers keep the keys they have",
		    err);
		return;
	}
	for (struct slot *s = m->slots; s; s = s->next) {
		if (s->pid == 0 || s->ctl_fd < 0 || !slot_named(s, name))
			continue;
		if (control_send_kind(s->ctl_fd, CONTROL_TICKET_KEYS, fd) < 0)
			log_syserr(MS_LOG_WARN, name,
			    "handing the session ticket keys to worker %d",
			    (int)s->pid);
		else
			kill(s->pid, SIGUSR1);
	}
	close(fd);
	log_debug(name, "session ticket keys: rotation %llu handed over",
	    (unsigned long long)keys->generation);
}

/* Rotates the ticket keys of the services whose period is over: ms until
 * the next rotation is due, or -1 when none is. */
static int
master_rotate_ticket_keys(struct master *m)
{
	long long now = service_now_ms(), next = -1;

	for (size_t i = 0; i < m->current->cfg.nservices; i++) {
		const struct service_conf *sc = &m->current->cfg.services[i];
		const struct tls_ticket_keys *keys;

		if (sc->tls == NULL || !sc->tls->session_tickets)
			continue;
		keys = tls_keys_rotate_due(
		    sc->name, sc->tls->session_ticket_rotation, now, &next);
		if (keys)
			master_hand_ticket_keys(m, sc->name, keys);
	}
	return (int)next;
}

/* Whether the configuration (a struct config) gives the service named
 * name session tickets: else its keys are forgotten. */
static int
master_keeps_ticket_keys(const char *name, void *cfg)
{
	const struct service_conf *sc = config_service(cfg, name);

	return sc && sc->tls && sc->tls->session_tickets;
}

/* ---- reload ---- */

/* Logs why a reload changes nothing. */
static void
master_reload_refused(struct master *m, const char *why)
{
	log_error(NULL, "reload: %s", why);
	log_error(
	    NULL, "reload failed: still serving the previous configuration");
	master_notify_ready(m);
}

/* Drops the reload under way, if any: its check children killed and
 * reaped, its configuration freed. */
static void
master_check_drop(struct master *m)
{
	check_cancel(m->check);
	m->check = NULL;
	config_free(&m->next);
}

/* SIGHUP: reads and checks the configuration file again and starts
 * checking its modules; the master goes on supervising meanwhile
 * (master_reload_checked takes the verdict).  A SIGHUP while a check runs
 * starts over with the file as it is now: the last one wins. */
static void
master_reload_begin(struct master *m)
{
	char err[1024];

	if (m->check) {
		log_info(NULL,
		    "SIGHUP while the modules of the previous reload were being checked: that check is dropped");
		/* killed; master_reap reaps them: no waiting here */
		check_abandon(m->check);
		m->check = NULL;
		config_free(&m->next);
	}
	log_info(NULL, "SIGHUP: reloading %s", m->file);
	notify("RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%lld",
	    service_now_ms() * 1000);
	m->owe_ready = 1;
	stats_set_host_state(MS_HOST_RELOADING);
	if (config_load(m->file, &m->next, err, sizeof(err)) < 0) {
		master_reload_refused(m, err);
		return;
	}
	if (config_check_users(&m->next, err, sizeof(err)) < 0 ||
	    (m->check = check_start(&m->next, err, sizeof(err))) == NULL) {
		config_free(&m->next);
		master_reload_refused(m, err);
	}
}

static int
slot_unchanged(const struct slot *s, const struct ms_service *svc)
{
	struct module_id now;

	module_id_of(svc->conf->module_file, &now);
	return strcmp(s->svc->conf->fingerprint, svc->conf->fingerprint) == 0 &&
	       strcmp(s->svc->conf->module_file, svc->conf->module_file) == 0 &&
	       module_id_same(&s->module, &now);
}

/* The modules of the new configuration checked (every check answered):
 * services that changed get new workers over the same listeners; the old
 * ones drain once the new ones serve.  Removed services stop, new ones
 * start; unchanged ones go on untouched. */
static void
master_reload_checked(struct master *m)
{
	struct slot *s, *next;
	struct generation *g;
	size_t kept = 0, swapped = 0, added = 0, removed = 0;
	char err[1024];
	int rc = check_finish(m->check, &m->next, err, sizeof(err));

	m->check = NULL;
	if (rc < 0) {
		config_free(&m->next);
		master_reload_refused(m, err);
		return;
	}
	g = generation_new(&m->gens, &m->next); /* takes m->next over */
	memset(&m->next, 0, sizeof(m->next));
	if (g == NULL) {
		master_sweep_listeners(m);
		generations_collect(&m->gens);
		log_error(NULL,
		    "reload failed: still serving the previous configuration");
		master_notify_ready(m);
		return;
	}
	log_set_level(m->level >= 0 ? m->level : g->cfg.log_level);
	master_status_socket(m, &g->cfg);
	master_log_target(m, &g->cfg);
	for (size_t i = 0; i < m->current->cfg.nservices; i++)
		removed += config_service(&g->cfg,
		               m->current->cfg.services[i].name) == NULL;
	/* what the new configuration does not name stops */
	for (s = m->slots; s; s = next) {
		next = s->next;
		if (s->state == SLOT_RETIRING ||
		    config_service(&g->cfg, service_name(s->svc)) != NULL)
			continue;
		slot_stop(m, s);
	}
	for (size_t i = 0; i < g->cfg.nservices; i++) {
		struct ms_service *svc = &g->svcs[i];
		const char *name = svc->conf->name;
		int moved = 0, had = 0;

		/* workers running it as it is now go on with the new copy */
		for (s = m->slots; s; s = s->next)
			if (slot_named(s, name) && slot_unchanged(s, svc)) {
				slot_move(s, g, svc);
				moved++;
			}
		if (moved) {
			kept++;
			continue;
		}
		/* changed: the serving workers stay until the new serve */
		for (s = m->slots; s; s = next) {
			next = s->next;
			if (!slot_named(s, name))
				continue;
			if (s->pid == 0)
				slot_free(m, s);
			else if (s->state == SLOT_STARTING)
				slot_retire(s);
			else
				had++;
		}
		for (int w = 0; w < svc->conf->workers; w++)
			if ((s = slot_new(m, g, svc)) != NULL)
				slot_spawn(s);
		swapped += had > 0;
		added += had == 0;
	}
	m->current->users--;
	m->current = g;
	tls_keys_forget(master_keeps_ticket_keys, &g->cfg);
	master_sweep_listeners(m);
	generations_collect(&m->gens);
	log_info(NULL,
	    "reloaded: %zu service%s unchanged, %zu restarted, %zu new, %zu removed",
	    kept, kept == 1 ? "" : "s", swapped, added, removed);
	master_notify_ready(m);
}

/* ---- running and stopping ---- */

static size_t
master_running(const struct master *m)
{
	size_t running = 0;

	for (const struct slot *s = m->slots; s; s = s->next)
		running += s->pid != 0;
	return running;
}

/* Before stopping, everything serves on for drain_delay seconds while
 * health checks say "draining", so a balancer moves traffic away first.
 * A second SIGTERM or SIGINT cuts it short. */
static void
master_drain_delay(struct master *m)
{
	long long end =
	    service_now_ms() + (long long)(m->current->cfg.drain_delay * 1000);
	struct pollfd pfd = {.fd = m->sigfd, .events = POLLIN};
	struct signalfd_siginfo si;

	stats_set_host_state(MS_HOST_STOPPING);
	if (m->current->cfg.drain_delay > 0)
		log_info(NULL, "draining: serving on for %g s before stopping",
		    m->current->cfg.drain_delay);
	while (service_now_ms() < end) {
		if (poll(&pfd, 1, (int)(end - service_now_ms())) <= 0)
			continue;
		while (read(m->sigfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGCHLD)
				master_reap(m, 1);
			if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
				return;
		}
		if (m->status_fd >= 0)
			master_answer_status(m);
	}
}

/* SIGTERM to every worker, then wait for them: they drain within the
 * shutdown timeout; past it (and a grace second) they are killed. */
static void
master_stop(struct master *m)
{
	long long deadline =
	    service_now_ms() +
	    (long long)(m->current->cfg.shutdown_timeout * 1000) + 1000;
	struct pollfd pfd = {.fd = m->sigfd, .events = POLLIN};
	struct signalfd_siginfo si;

	for (struct slot *s = m->slots; s; s = s->next)
		if (s->pid)
			kill(s->pid, SIGTERM);
	while (master_running(m) > 0) {
		long long left = deadline - service_now_ms();

		if (left <= 0) {
			for (struct slot *s = m->slots; s; s = s->next)
				if (s->pid) {
					log_warn(service_name(s->svc),
					    "worker %d did not stop: killed",
					    (int)s->pid);
					kill(s->pid, SIGKILL);
				}
			deadline = service_now_ms() + 1000;
			continue;
		}
		if (poll(&pfd, 1, (int)left) > 0)
			while (read(m->sigfd, &si, sizeof(si)) == sizeof(si))
				;
		master_reap(m, 1);
	}
}

static int
master_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* SIGUSR1: the log was rotated.  The master opens it again and hands the
 * file to every worker before signalling it: a worker that became another
 * user may not open root's log itself. */
static void
master_reopen_log(struct master *m)
{
	int fd;

	log_reopen();
	fd = log_file_fd();
	for (struct slot *s = m->slots; s; s = s->next) {
		if (s->pid == 0)
			continue;
		if (fd >= 0 && s->ctl_fd >= 0 &&
		    control_send_fd(s->ctl_fd, fd) < 0)
			log_syserr(MS_LOG_WARN, service_name(s->svc),
			    "handing the log to worker %d", (int)s->pid);
		if (s->ctl_fd >= 0)
			accesslog_hand_over(s->svc, s->ctl_fd, s->pid);
		kill(s->pid, SIGUSR1);
	}
	log_info(NULL, "SIGUSR1: log reopened");
}

/* Handles what the signalfd holds: 1 when it is time to stop. */
static int
master_read_signals(struct master *m)
{
	struct signalfd_siginfo si;
	int reload = 0;

	while (read(m->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			master_reap(m, 0);
			break;
		case SIGHUP:
			reload = 1; /* several queued: one reload */
			break;
		case SIGUSR1:
			master_reopen_log(m);
			break;
		default:
			log_info(NULL, "signal %s: stopping",
			    strsignal((int)si.ssi_signo));
			return 1;
		}
	}
	if (reload)
		master_reload_begin(m);
	return 0;
}

/* Returns when SIGTERM or SIGINT arrives. */
static void
master_supervise(struct master *m)
{
	struct pollfd *pfd = NULL;
	struct slot **who = NULL;
	size_t room = 0;

	for (;;) {
		nfds_t n = 2, nslots;
		int timeout = master_next_restart(m);
		int keys_due = master_rotate_ticket_keys(m);
		long long now;
		size_t want = 2;

		for (struct slot *s = m->slots; s; s = s->next)
			want += slot_polled(s);
		if (m->check) /* a verdict pipe and a pidfd a service */
			want += 2 * m->next.nservices;
		if (want > room) {
			struct pollfd *p = realloc(pfd, want * sizeof(*pfd));
			struct slot **w =
			    p ? realloc(who, want * sizeof(*who)) : NULL;

			if (p)
				pfd = p;
			if (w)
				who = w;
			if (p == NULL || w == NULL) {
				log_error(NULL, "out of memory: stopping");
				break;
			}
			room = want;
		}
		pfd[0] = (struct pollfd){.fd = m->sigfd, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = m->status_fd, .events = POLLIN};
		for (struct slot *s = m->slots; s; s = s->next)
			if (slot_polled(s)) {
				who[n] = s;
				pfd[n++] = (struct pollfd){
				    .fd = s->ctl_fd, .events = POLLIN};
			}
		nslots = n;
		if (m->check) {
			int left = check_poll_timeout(m->check);

			n += check_pollfds(m->check, pfd + n, room - n);
			if (left >= 0 && (timeout < 0 || timeout > left))
				timeout = left;
		}
		for (struct slot *s = m->slots; s; s = s->next)
			if (s->watch && (timeout < 0 || timeout > 250))
				timeout = 250;
		if (keys_due >= 0 && (timeout < 0 || timeout > keys_due))
			timeout = keys_due;
		if (notify_enabled() && (timeout < 0 || timeout > 5000))
			timeout = 5000;
		if (poll(pfd, n, timeout) < 0 && errno != EINTR) {
			log_syserr(MS_LOG_ERROR, NULL, "poll: stopping");
			break;
		}
		master_check_stuck(m);
		for (nfds_t i = 2; i < nslots; i++)
			if (pfd[i].revents)
				slot_ready(m, who[i]);
		if (pfd[1].revents)
			master_answer_status(m);
		master_notify_status(m);
		if (pfd[0].revents && master_read_signals(m))
			break;
		if (m->start_failed)
			break;
		if (m->check && check_step(m->check))
			master_reload_checked(m);
		now = service_now_ms();
		for (struct slot *s = m->slots; s; s = s->next)
			if (s->restart && s->restart <= now)
				slot_spawn(s);
	}
	free(pfd);
	free(who);
}

int
master_run(const char *file, int level, int background, struct config *cfg)
{
	struct master m = {.file = file,
	    .level = level,
	    .owe_ready = 1,
	    .status_fd = -1,
	    .daemon_fd = -1,
	    .pidfile_fd = -1};
	char err[1024] = "";
	int rc = 1;

	if (check_modules_apart(cfg, err, sizeof(err)) < 0 ||
	    (background &&
	        (m.daemon_fd = daemon_start(err, sizeof(err))) < 0) ||
	    log_open(cfg->log, cfg->syslog_facility, err, sizeof(err)) < 0 ||
	    (cfg->pidfile && (m.pidfile_fd = pidfile_write(
	                          cfg->pidfile, err, sizeof(err))) < 0)) {
		if (m.daemon_fd >= 0)
			daemon_ready(&m.daemon_fd, err);
		else
			fprintf(stderr, "modserv: %s\n", err);
		config_free(cfg);
		return 1;
	}
	if (cfg->pidfile && (m.pidfile = strdup(cfg->pidfile)) == NULL) {
		log_error(NULL, "out of memory");
		config_free(cfg);
		return 1;
	}
	if ((m.sigfd = master_signals()) < 0) {
		log_syserr(MS_LOG_ERROR, NULL, "signalfd");
		config_free(cfg);
		return 1;
	}
	if (listeners_inherit(err, sizeof(err)) < 0) {
		log_error(NULL, "%s", err);
		config_free(cfg);
		goto out;
	}
	if (stats_init() < 0)
		log_syserr(MS_LOG_WARN, NULL, "mmap: no counters");
	if ((m.current = generation_new(&m.gens, cfg)) == NULL ||
	    master_status_socket(&m, &m.current->cfg) < 0)
		goto out;
	listeners_check_inherited();
	for (size_t i = 0; i < m.current->cfg.nservices; i++)
		for (int w = 0; w < m.current->svcs[i].conf->workers; w++) {
			struct slot *s =
			    slot_new(&m, m.current, &m.current->svcs[i]);

			if (s == NULL)
				goto out;
			slot_spawn(s);
		}
	master_supervise(&m);
	if (m.check)
		log_info(
		    NULL, "the reload's module checks under way are killed");
	master_check_drop(&m); /* nothing of a reload is left running */
	if (m.start_failed) {
		snprintf(err, sizeof(err),
		    "service %s: its worker did not start (the log says why): stopped",
		    m.start_failed);
		log_error(NULL, "%s", err);
	} else {
		notify(
		    "STOPPING=1\nSTATUS=stopping: finishing accepted requests");
		master_drain_delay(&m);
	}
	/* new clients are turned away (unix socket files go) while the
	 * workers drain what they accepted */
	listeners_close_all();
	master_stop(&m);
	/* checks a SIGHUP dropped were killed: none is left unreaped */
	while (waitpid(-1, NULL, 0) > 0)
		;
	log_info(NULL, "stopped");
	rc = m.start_failed ? 1 : 0;
out:
	master_check_drop(&m);
	listeners_close_all();
	if (m.status_fd >= 0)
		status_close(m.status_fd, &m.status_addr);
	if (m.pidfile)
		pidfile_remove(m.pidfile, m.pidfile_fd);
	free(m.pidfile);
	while (m.slots)
		slot_free(&m, m.slots);
	if (m.current)
		m.current->users--;
	generations_collect(&m.gens);
	/* -d: only now, with nothing of ours left, does the parent exit */
	if (m.daemon_fd >= 0)
		daemon_ready(&m.daemon_fd,
		    rc == 0 ? NULL
		    : *err  ? err
		            : "it stopped before serving (its log says why)");
	close(m.sigfd);
	return rc;
}
