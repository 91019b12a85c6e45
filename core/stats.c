/* stats.c - the shared counter table and its Prometheus text form. */
#include "stats.h"

#include <string.h>
#include <sys/mman.h>

#include "modserv.h"

/* The shared mapping: the host's state, then the services' counters. */
struct stats_table {
	_Atomic int host_state;
	struct stats_service services[STATS_MAX_SERVICES];
};

static struct stats_table *shared;
static struct stats_service *table;

int
stats_init(void)
{
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		shared = NULL;
		return -1;
	}
	table = shared->services;
	return 0;
}

void
stats_set_host_state(int state)
{
	if (shared)
		atomic_store(&shared->host_state, state);
}

int
stats_host_state(void)
{
	return shared ? atomic_load(&shared->host_state) : MS_HOST_SERVING;
}

struct stats_service *
stats_for(const char *name)
{
	for (size_t i = 0; table && i < STATS_MAX_SERVICES; i++) {
		if (table[i].name[0] == '\0') {
			snprintf(
			    table[i].name, sizeof(table[i].name), "%s", name);
			return &table[i];
		}
		if (strncmp(table[i].name, name, sizeof(table[i].name) - 1) ==
		    0)
			return &table[i];
	}
	return NULL;
}

unsigned long long
stats_get(const struct stats_service *s, enum stat_counter which)
{
	unsigned long long sum = 0;

	for (int i = 0; i < STATS_SHARDS; i++)
		sum += atomic_load_explicit(
		    &s->shard[i].v[which], memory_order_relaxed);
	return sum;
}

/* A service name as a label value: backslash, quote and newline escaped. */
static void
stats_label(FILE *out, const char *name)
{
	for (const char *p = name; *p; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', out);
		if (*p == '\n')
			fputs("\\n", out);
		else
			fputc(*p, out);
	}
}

static void
stats_metric(FILE *out, struct stats_service *const *services, size_t n,
    const char *metric, const char *type, const char *help, int which)
{
	fprintf(out, "# HELP modserv_%s %s\n# TYPE modserv_%s %s\n", metric,
	    help, metric, type);
	for (size_t i = 0; i < n; i++) {
		const struct stats_service *s = services[i];
		unsigned long long v;

		if (s == NULL)
			continue;
		switch (which) {
		case -1:
			v = s->restarts;
			break;
		case -2:
			v = (unsigned long long)s->workers;
			break;
		case -3: /* started and not yet finished */
			v = stats_get(s, STAT_STARTED) -
			    stats_get(s, STAT_REQUESTS);
			break;
		case -4: /* microseconds, in seconds */
			fprintf(out, "modserv_%s{service=\"", metric);
			stats_label(out, s->name);
			fprintf(out, "\"} %.6f\n",
			    (double)stats_get(s, STAT_TLS_HANDSHAKE_US) / 1e6);
			continue;
		default:
			v = stats_get(s, (enum stat_counter)which);
		}
		fprintf(out, "modserv_%s{service=\"", metric);
		stats_label(out, s->name);
		fprintf(out, "\"} %llu\n", v);
	}
}

void
stats_write(FILE *out, struct stats_service *const *services, size_t n)
{
	stats_metric(out, services, n, "accepted_total", "counter",
	    "Connections admitted, or datagrams received.", STAT_ACCEPTED);
	stats_metric(out, services, n, "refused_total", "counter",
	    "Clients turned away by allow/deny, per_source, proxy_from, a bad PROXY header or a failed TLS handshake, and datagrams from a listening address.",
	    STAT_REFUSED);
	stats_metric(out, services, n, "active", "gauge",
	    "Requests being served now.", -3);
	stats_metric(out, services, n, "requests_total", "counter",
	    "Requests served to their end.", STAT_REQUESTS);
	stats_metric(out, services, n, "errors_total", "counter",
	    "Requests whose handle failed or whose connection broke.",
	    STAT_ERRORS);
	stats_metric(out, services, n, "received_bytes_total", "counter",
	    "Bytes received from clients.", STAT_BYTES_IN);
	stats_metric(out, services, n, "sent_bytes_total", "counter",
	    "Bytes sent to clients.", STAT_BYTES_OUT);
	stats_metric(out, services, n, "tls_handshakes_total", "counter",
	    "TLS handshakes done.", STAT_TLS_HANDSHAKES);
	stats_metric(out, services, n, "tls_resumed_total", "counter",
	    "TLS handshakes that resumed a session.", STAT_TLS_RESUMED);
	stats_metric(out, services, n, "tls_handshake_failures_total",
	    "counter", "TLS handshakes that failed or timed out.",
	    STAT_TLS_FAILED);
	stats_metric(out, services, n, "tls_handshake_seconds_total", "counter",
	    "Time the TLS handshakes done took, from the first byte of the handshake.",
	    -4);
	stats_metric(out, services, n, "workers", "gauge",
	    "Worker processes running (more than one while a reload drains).",
	    -2);
	stats_metric(out, services, n, "worker_restarts_total", "counter",
	    "Workers restarted after they died.", -1);
}
