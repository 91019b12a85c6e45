/* refusals.c - one line for the first refusal of a kind from a source,
 * then a count, then a summary when the window closes.  The table lives in
 * memory shared with the worker's request processes (a fork model's child
 * reads the PROXY header, and refuses there), behind a robust lock: a
 * request process killed while holding it does not stop the others. */
#include "refusals.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/un.h>
#include <unistd.h>

#include "accesslog.h"
#include "addr.h"
#include "log.h"
#include "service.h"

static const char *const kind_names[REFUSAL_N] = {
    "allow/deny", "per_source", "proxy_from", "PROXY header", "TLS handshake"};

/* One (kind, source) being counted. */
struct refusal_slot {
	int used;
	enum refusal_kind kind;
	struct sockaddr_storage peer; /* the first refused one */
	socklen_t peerlen;
	long long first_ms;      /* when its window opened */
	unsigned long long more; /* refused since, not logged yet */
};

/* Refusals of one kind from sources the table had no room for. */
struct refusal_overflow {
	long long first_ms;
	unsigned long long more;
	uint64_t seen[4]; /* a bit a source (hashed): at least this many */
};

struct refusal_table {
	pthread_mutex_t lock;
	_Atomic int pending; /* summaries owed: tick has work */
	struct refusal_slot slots[REFUSALS_SLOTS];
	struct refusal_overflow over[REFUSAL_N];
};

static struct refusal_table *table;

int
refusals_init(struct ms_service *svc)
{
	pthread_mutexattr_t a;

	table = mmap(NULL, sizeof(*table), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (table == MAP_FAILED) {
		table = NULL;
		log_syserr(MS_LOG_ERROR, service_name(svc),
		    "mmap: the refusal counts");
		return -1;
	}
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&table->lock, &a);
	pthread_mutexattr_destroy(&a);
	return 0;
}

static void
refusals_lock(void)
{
	if (pthread_mutex_lock(&table->lock) == EOWNERDEAD)
		pthread_mutex_consistent(&table->lock);
}

/* The address bytes of sa (none for a unix peer: one source) and their
 * length. */
static size_t
refusals_key(const struct sockaddr *sa, const void **key)
{
	if (sa->sa_family == AF_INET) {
		*key = &((const struct sockaddr_in *)sa)->sin_addr;
		return 4;
	}
	if (sa->sa_family == AF_INET6) {
		*key = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		return 16;
	}
	*key = NULL;
	return 0;
}

static int
refusals_same(const struct refusal_slot *s, enum refusal_kind kind,
    const struct sockaddr *sa)
{
	const void *a, *b;
	size_t n = refusals_key(sa, &a);

	if (!s->used || s->kind != kind || s->peer.ss_family != sa->sa_family)
		return 0;
	refusals_key((const struct sockaddr *)&s->peer, &b);
	return n == 0 || memcmp(a, b, n) == 0;
}

/* The source of sa without its port, as the summary names it. */
static void
refusals_source(
    const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
	char *colon;

	addr_format_for_log(sa, len, buf, size);
	if (sa->sa_family == AF_INET && (colon = strrchr(buf, ':')))
		*colon = '\0';
	if (sa->sa_family == AF_INET6 && (colon = strrchr(buf, ']'))) {
		*colon = '\0';
		memmove(buf, buf + 1, strlen(buf));
	}
}

/* To the access log too, unless it is the main log, which has the line. */
/* The access line of a refusal just logged at level: in the main log
 * that line is the refusal's, unless the level is off there. */
static void
refusals_access(struct ms_service *svc, enum refusal_kind kind,
    const struct sockaddr *peer, socklen_t peerlen,
    const struct sockaddr *balancer, socklen_t balancerlen,
    unsigned long long more, double window, int level)
{
	struct accesslog_entry e;

	if ((svc->conf->access_target == ACCESSLOG_MAIN &&
	        log_enabled(level)) ||
	    svc->conf->access_target == ACCESSLOG_OFF)
		return;
	accesslog_entry_init(&e, svc);
	e.pid = getpid(); /* a fork model's request process refuses too */
	e.client = peer;
	e.clientlen = peerlen;
	e.balancer = balancer;
	e.balancerlen = balancerlen;
	e.end = ACCESSLOG_END_REFUSED;
	e.reason = kind_names[kind];
	e.repeat = more;
	e.window = window;
	accesslog_write(svc, &e);
}

static void
refusals_summarise(
    struct ms_service *svc, struct refusal_slot *s, long long now)
{
	double window = (double)(now - s->first_ms) / 1000;
	char from[ADDR_TEXT_MAX * 4];

	refusals_source(
	    (struct sockaddr *)&s->peer, s->peerlen, from, sizeof(from));
	log_warn(service_name(svc),
	    "refused (%s): and %llu more from %s in the last %.3g s",
	    kind_names[s->kind], s->more, from, window);
	refusals_access(svc, s->kind, (struct sockaddr *)&s->peer, s->peerlen,
	    NULL, 0, s->more, window, MS_LOG_WARN);
	s->more = 0;
}

static int
refusals_bits(const uint64_t *seen)
{
	int n = 0;

	for (int i = 0; i < 4; i++)
		n += __builtin_popcountll(seen[i]);
	return n;
}

static void
refusals_summarise_overflow(
    struct ms_service *svc, enum refusal_kind kind, long long now)
{
	struct refusal_overflow *o = &table->over[kind];
	double window = (double)(now - o->first_ms) / 1000;

	log_warn(service_name(svc),
	    "refused (%s): and %llu more from at least %d other sources in the last %.3g s",
	    kind_names[kind], o->more, refusals_bits(o->seen), window);
	refusals_access(
	    svc, kind, NULL, 0, NULL, 0, o->more, window, MS_LOG_WARN);
	memset(o, 0, sizeof(*o));
}

/* The table had no slot for sa: counted with the other such sources. */
static void
refusals_overflow(
    enum refusal_kind kind, const struct sockaddr *sa, long long now)
{
	struct refusal_overflow *o = &table->over[kind];
	const uint8_t *key;
	size_t n = refusals_key(sa, (const void **)&key);
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ key[i]) * 16777619u;
	if (o->more++ == 0)
		o->first_ms = now;
	o->seen[(h >> 6) & 3] |= 1ull << (h & 63);
	atomic_store(&table->pending, 1);
}

/* The slot of (kind, sa), else a free one (a closed window's first:
 * summarised), else NULL. */
static struct refusal_slot *
refusals_slot(struct ms_service *svc, enum refusal_kind kind,
    const struct sockaddr *sa, long long now)
{
	struct refusal_slot *free_slot = NULL;

	for (size_t i = 0; i < REFUSALS_SLOTS; i++) {
		struct refusal_slot *s = &table->slots[i];

		if (refusals_same(s, kind, sa))
			return s;
		if (free_slot == NULL &&
		    (!s->used || now - s->first_ms >= REFUSALS_WINDOW_MS))
			free_slot = s;
	}
	if (free_slot && free_slot->used && free_slot->more)
		refusals_summarise(svc, free_slot, now);
	if (free_slot)
		free_slot->used = 0;
	return free_slot;
}

void
refusals_note(struct ms_service *svc, enum refusal_kind kind,
    const struct sockaddr *peer, socklen_t peerlen,
    const struct sockaddr *balancer, socklen_t balancerlen, int level,
    const char *what)
{
	long long now = service_now_ms();
	struct refusal_slot *s;
	char text[ADDR_TEXT_MAX * 4];

	if (table == NULL) { /* -t, or a table that could not be made */
		addr_format_for_log(peer, peerlen, text, sizeof(text));
		log_msg(level, service_name(svc), "%s: %s", text, what);
		return;
	}
	refusals_lock();
	if ((s = refusals_slot(svc, kind, peer, now)) == NULL) {
		refusals_overflow(kind, peer, now);
		pthread_mutex_unlock(&table->lock);
		return;
	}
	if (s->used && now - s->first_ms < REFUSALS_WINDOW_MS) {
		s->more++;
		atomic_store(&table->pending, 1);
		pthread_mutex_unlock(&table->lock);
		return;
	}
	if (s->used && s->more) /* its window closed: say what it counted */
		refusals_summarise(svc, s, now);
	if (peerlen > sizeof(s->peer))
		peerlen = sizeof(s->peer);
	*s = (struct refusal_slot){.used = 1, .kind = kind, .first_ms = now};
	memcpy(&s->peer, peer, peerlen);
	s->peerlen = peerlen;
	addr_format_for_log(peer, peerlen, text, sizeof(text));
	log_msg(level, service_name(svc), "%s: %s", text, what);
	refusals_access(
	    svc, kind, peer, peerlen, balancer, balancerlen, 0, 0, level);
	pthread_mutex_unlock(&table->lock);
}

int
refusals_tick(struct ms_service *svc, int flush_all)
{
	long long now, next = -1;

	if (table == NULL || (!flush_all && !atomic_load(&table->pending)))
		return -1;
	now = service_now_ms();
	refusals_lock();
	for (size_t i = 0; i < REFUSALS_SLOTS; i++) {
		struct refusal_slot *s = &table->slots[i];
		long long due = s->first_ms + REFUSALS_WINDOW_MS;

		if (!s->used || s->more == 0)
			continue;
		if (flush_all || due <= now)
			refusals_summarise(svc, s, now);
		else if (next < 0 || due < next)
			next = due;
	}
	for (int k = 0; k < REFUSAL_N; k++) {
		long long due = table->over[k].first_ms + REFUSALS_WINDOW_MS;

		if (table->over[k].more == 0)
			continue;
		if (flush_all || due <= now)
			refusals_summarise_overflow(
			    svc, (enum refusal_kind)k, now);
		else if (next < 0 || due < next)
			next = due;
	}
	atomic_store(&table->pending, next >= 0);
	pthread_mutex_unlock(&table->lock);
	return next < 0 ? -1 : (int)(next - now);
}

int
refusals_timeout(struct ms_service *svc, int timeout)
{
	int due = refusals_tick(svc, 0);

	return due >= 0 && (timeout < 0 || due < timeout) ? due : timeout;
}
