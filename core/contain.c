/* contain.c - every process a program started ends with it.  The program
 * runs under a keeper, a small process of ours that is its parent and a
 * child subreaper (PR_SET_CHILD_SUBREAPER): whatever the program starts,
 * however it detaches (setsid, a double fork, daemon(3)), stays below the
 * keeper, as an orphan comes back to it.  When the program ends, or when
 * the keeper gets SIGTERM (contain_stop: a timeout, an idle connection, a
 * cut-off at a stop) or the process that started it dies
 * (PR_SET_PDEATHSIG) and the program has had SIGTERM and a second to end,
 * the keeper SIGKILLs every descendant it finds in /proc until it has no
 * child left, then exits as the program did.  It needs no privilege, no
 * cgroup and no namespace, so it holds for a service as nobody on any
 * kernel; a process that kills its keeper first (same user) is the way
 * out it leaves.  The keeper is forked from a worker with threads: it
 * calls only async-signal-safe functions. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "contain.h"
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
			if (sigwaitinfo(wake, &si) == SIGTERM)
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

/* Exits as status says the program did: a signal is raised again (no core:
 * the program's own was dumped, if any). */
static __attribute__((noreturn)) void
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
	if ((program = fork()) < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	if (program == 0) {
		/* in /, as inetd and systemd run theirs: not in whatever
		 * folder root started modserv from */
		if (chdir("/") < 0)
			_exit(126);
		prctl(PR_SET_CHILD_SUBREAPER, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* ends with its keeper */
		sigprocmask(SIG_SETMASK, &old, NULL);
		return 0;
	}
	prctl(PR_SET_NAME, "modserv-keeper"); /* for ps and top */
	/* the keeper holds none of the program's descriptors: a connection
	 * or a pipe ends when the program and its own let go of it */
	close_range(0, ~0U, 0);
	status = contain_wait(program);
	contain_end_all();
	contain_exit_as(status);
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
