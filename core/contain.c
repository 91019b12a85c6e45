/* contain.c - every process a program started ends with it.  The program
 * runs under a keeper, a small process of ours that is its parent's
 * stand-in for the worker.  Where the kernel allows it (contain_ns.c), the
 * keeper starts the program in a PID namespace of its own, under an init
 * of ours: nothing in the namespace can signal the keeper or anything
 * outside (their pids do not exist there), nor stop or kill its init, and
 * when the init exits the kernel kills every process left in it, however
 * it detached.  Elsewhere the keeper is a child subreaper
 * (PR_SET_CHILD_SUBREAPER): whatever the program starts stays below it, as
 * an orphan comes back to it, and it SIGKILLs every descendant it finds in
 * /proc until it has no child left; a process that kills its keeper first
 * (same user) is the way out this leaves.  Either way, when the program
 * ends, or the keeper gets SIGTERM (contain_stop: a timeout, an idle
 * connection, a cut-off at a stop) or the process that started it dies
 * (PR_SET_PDEATHSIG) and the program has had SIGTERM and a second to end,
 * everything it started ends, and the keeper exits as the program did.
 * The keeper is forked from a worker with threads: it calls only
 * async-signal-safe functions. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "contain.h"
#include "contain_ns.h"
#include "log.h"
#include "procs.h"

#define CONTAIN_MAX 8192 /* descendants remembered in one round */

/* The descendants of the keeper found so far in one round.  The keeper's
 * own memory: it is single-threaded. */
static struct contain_round {
	pid_t self;
	int n, killed;
	pid_t pid[CONTAIN_MAX];
} contain_round;

static int
contain_seen(const struct contain_round *r, pid_t pid)
{
	for (int i = 0; i < r->n; i++)
		if (r->pid[i] == pid)
			return 1;
	return 0;
}

/* /proc lists processes by pid, a parent mostly before its children: one
 * pass finds most of the tree.  A child listed before its parent (pids
 * wrapped), or past CONTAIN_MAX, comes back to the keeper once its parent
 * is killed, for the next round. */
static int
contain_note(const struct procs_entry *e, void *arg)
{
	struct contain_round *r = arg;

	if (e->ppid != r->self && !contain_seen(r, e->ppid))
		return 0;
	if (r->n < CONTAIN_MAX)
		r->pid[r->n++] = e->pid;
	/* a zombie is dead already (a stopped keeper cannot reap it) */
	if (e->state != 'Z' && kill(e->pid, SIGKILL) == 0)
		r->killed++;
	return 0;
}

/* SIGKILLs every descendant of the keeper found in /proc; how many. */
static int
contain_kill_round(void)
{
	struct contain_round *r = &contain_round;

	r->self = getpid();
	r->n = r->killed = 0;
	procs_each(contain_note, r);
	return r->killed;
}

/* Until the keeper has no child: kill what is below, reap what died.
 * Orphans come back to the keeper, so every round reaps at least one;
 * with no child there is no descendant (and /proc need not be read). */
static void
contain_end_all(void)
{
	for (;;) {
		if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
			return;
		contain_kill_round();
		if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
			return;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}

/* How long a program told to stop has to end before it is killed. */
#define CONTAIN_GRACE_MS 1000

/* Set in a namespace's init: a SIGTERM counts only from outside (kill(2)
 * from a pid not in the namespace: si_pid 0 there), not from the program or
 * what it started (which could queue one with any si_pid, but not as
 * SI_USER). */
static int contain_outside_only;

/* The program's wait status, if it ended by deadline (CLOCK_MONOTONIC ms;
 * 0: none); -1 if it had not. */
static int
contain_reap(pid_t program, const sigset_t *wake, long long deadline)
{
	int status;

	for (;;) {
		struct timespec now, left;
		siginfo_t si;
		pid_t pid;

		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			if (pid == program)
				return status;
		if (deadline == 0) {
			if (sigwaitinfo(wake, &si) == SIGTERM &&
			    (!contain_outside_only ||
			        (si.si_pid == 0 && si.si_code == SI_USER)))
				return -1;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		long long ms =
		    deadline - (now.tv_sec * 1000LL + now.tv_nsec / 1000000);
		if (ms <= 0)
			return -1;
		left.tv_sec = ms / 1000;
		left.tv_nsec = (ms % 1000) * 1000000;
		sigtimedwait(wake, &si, &left);
	}
}

/* The program's wait status once it ended.  Told to stop (SIGTERM: a
 * timeout, a cut-off at a stop, the keeper's parent gone), the program
 * gets SIGTERM and CONTAIN_GRACE_MS to end; SIGKILL's status past it. */
static int
contain_wait(pid_t program)
{
	struct timespec now;
	sigset_t wake;
	int status;

	sigemptyset(&wake);
	sigaddset(&wake, SIGCHLD);
	sigaddset(&wake, SIGTERM);
	if ((status = contain_reap(program, &wake, 0)) >= 0)
		return status;
	kill(program, SIGTERM);
	clock_gettime(CLOCK_MONOTONIC, &now);
	sigdelset(&wake, SIGTERM);
	status = contain_reap(program, &wake,
	    now.tv_sec * 1000LL + now.tv_nsec / 1000000 + CONTAIN_GRACE_MS);
	return status >= 0 ? status : SIGKILL;
}

void
contain_exit_as(int status)
{
	struct rlimit none = {0, 0};
	sigset_t only;
	int sig;

	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	sig = WTERMSIG(status);
	setrlimit(RLIMIT_CORE, &none);
	signal(sig, SIG_DFL);
	sigfillset(&only);
	sigdelset(&only, sig);
	sigprocmask(SIG_SETMASK, &only, NULL);
	kill(getpid(), sig);
	_exit(128 + sig);
}

/* Forks the program: 0 in it (in /, with the caller's signal mask, killed
 * with its parent), its pid in the parent, or -1. */
static pid_t
contain_fork_program(const sigset_t *old)
{
	pid_t program = fork();

	if (program == 0) {
		/* in /, as inetd and systemd run theirs: not in whatever
		 * folder root started modserv from; in a session and process
		 * group of its own, so that kill(0, ...) and PRIO_PGRP reach
		 * only what it started, not its worker */
		if (chdir("/") < 0 || setsid() < 0)
			_exit(126);
		prctl(PR_SET_CHILD_SUBREAPER, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* ends with its keeper */
	}
	if (program <= 0)
		sigprocmask(SIG_SETMASK, old, NULL);
	return program;
}

/* Closes every descriptor but keep (-1: none). */
static void
contain_close_all_but(int keep)
{
	if (keep > 0)
		close_range(0, (unsigned)keep - 1, 0);
	close_range(keep < 0 ? 0 : (unsigned)keep + 1, ~0U, 0);
}

/* The namespace's init, pid 1 there: returns 0 in the program, its child;
 * itself exits once the program ended or it was told to stop (from
 * outside), with the program's wait status written to status_fd first.
 * As it exits the kernel kills whatever is left in the namespace. */
static int
contain_init(int keeper, int status_fd, const sigset_t *old)
{
	struct pollfd gone = {.fd = keeper, .events = POLLIN};
	pid_t program;
	int status;

	prctl(PR_SET_PDEATHSIG, SIGKILL); /* the keeper killed: all of us */
	if (poll(&gone, 1, 0) != 0)       /* it died before the line above */
		_exit(126);
	close(keeper);
	contain_ns_own_proc();
	if ((program = contain_fork_program(old)) <= 0)
		return program;
	prctl(PR_SET_NAME, "modserv-init");
	contain_close_all_but(status_fd);
	contain_outside_only = 1;
	status = contain_wait(program);
	(void)!write(status_fd, &status, sizeof(status));
	_exit(0);
}

/* The keeper of a program in a namespace: passes SIGTERM on to its init,
 * and exits as the program did once the init is gone. */
static __attribute__((noreturn)) void
contain_keep_ns(pid_t init, int status_fd)
{
	int status, st;
	sigset_t wake;
	siginfo_t si;
	pid_t got;

	sigemptyset(&wake);
	sigaddset(&wake, SIGCHLD);
	sigaddset(&wake, SIGTERM);
	while ((got = waitpid(init, &st, WNOHANG)) == 0 ||
	       (got < 0 && errno == EINTR))
		if (sigwaitinfo(&wake, &si) == SIGTERM)
			kill(init, SIGTERM);
	if (read(status_fd, &status, sizeof(status)) != sizeof(status))
		status = SIGKILL; /* the init was killed */
	contain_exit_as(status);
}

/* Set in a program that contain_begin put in a namespace. */
static int contain_namespaced;

int
contain_in_namespace(void)
{
	return contain_namespaced;
}

/* contain_begin once the next child is a new namespace's init. */
static int
contain_begin_ns(const sigset_t *old)
{
	int self = pidfd_open(getpid(), 0), status[2];
	pid_t init;

	contain_namespaced = 1;
	if (self < 0 || pipe2(status, O_CLOEXEC) < 0) {
		sigprocmask(SIG_SETMASK, old, NULL);
		return -1;
	}
	if ((init = fork()) == 0) {
		close(status[0]);
		return contain_init(self, status[1], old);
	}
	if (init < 0) {
		sigprocmask(SIG_SETMASK, old, NULL);
		return -1;
	}
	prctl(PR_SET_NAME, "modserv-keeper"); /* for ps and top */
	contain_close_all_but(status[0]);
	contain_keep_ns(init, status[0]);
}

int
contain_begin(pid_t parent)
{
	sigset_t all, old;
	pid_t program;
	int status;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	signal(SIGCHLD, SIG_DFL); /* ignored, children would not be waited */
	/* SIGTERM, not SIGKILL: the keeper must live to end the rest */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 ||
	    prctl(PR_SET_PDEATHSIG, SIGTERM) < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	if (getppid() != parent) /* it died before the line above */
		_exit(126);
	log_as_pid(getpid()); /* the program's lines: the keeper's pid, as
	                         the worker's lines name it */
	switch (contain_ns_enter()) {
	case 0:
		return contain_begin_ns(&old);
	case -2:
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	if ((program = contain_fork_program(&old)) <= 0)
		return program;
	prctl(PR_SET_NAME, "modserv-keeper"); /* for ps and top */
	/* the keeper holds none of the program's descriptors: a connection
	 * or a pipe ends when the program and its own let go of it */
	contain_close_all_but(-1);
	status = contain_wait(program);
	contain_end_all();
	contain_exit_as(status);
}

void
contain_say_how(const char *service)
{
	static atomic_int said;
	int e;

	if (atomic_exchange(&said, 1))
		return;
	e = contain_ns_available();
	if (e == 0)
		log_debug(
		    service, "programs run in PID namespaces of their own");
	else
		log_warn(service,
		    "no PID namespace for programs (%s): each is kept by a subreaper, which a program that kills it escapes",
		    strerror(e));
}

int
contain_stop(pid_t keeper)
{
	int rc = kill(keeper, SIGTERM);

	/* a keeper its program stopped (same user: SIGSTOP) hears it too */
	kill(keeper, SIGCONT);
	return rc;
}

int
contain_ended_within(pid_t keeper, int ms)
{
	struct pollfd pfd = {.events = POLLIN};
	siginfo_t si;

	if ((pfd.fd = pidfd_open(keeper, 0)) >= 0) {
		while (poll(&pfd, 1, ms) < 0 && errno == EINTR)
			;
		close(pfd.fd);
	}
	si.si_pid = 0;
	if (waitid(P_PID, (id_t)keeper, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno ==
		       ECHILD; /* reaped, or not ours: nothing to end */
	return si.si_pid == keeper;
}

void
contain_kill(pid_t keeper)
{
	struct contain_round *r = malloc(sizeof(*r));

	/* the keeper, stopped or stuck, still holds the tree below it (an
	 * orphan comes back to it): kill it from here, round by round, then
	 * the keeper, whose zombies init reaps */
	for (int round = 0; r != NULL && round < 64; round++) {
		r->self = keeper;
		r->n = r->killed = 0;
		procs_each(contain_note, r);
		if (r->killed == 0)
			break;
		usleep(10000); /* the killed gone, their orphans moved */
	}
	free(r);
	kill(keeper, SIGKILL);
}
