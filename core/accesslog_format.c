/* accesslog_format.c - an access-log line from what it tells: the
 * default line, JSON (RFC 8259 escaping), or a format string of
 * $variables compiled once at config time into a list of fields. */
#include "accesslog_format.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>

#include "addr.h"

/* The variables of a format string, in the order the docs list them. */
enum accesslog_var {
	VAR_TEXT, /* literal text */
	VAR_TIME_ISO8601,
	VAR_TIME_LOCAL,
	VAR_MSEC,
	VAR_SERVICE,
	VAR_TRANSPORT,
	VAR_MODEL,
	VAR_PID,
	VAR_CLIENT,
	VAR_REMOTE_ADDR,
	VAR_REMOTE_PORT,
	VAR_PROXY_ADDR,
	VAR_DURATION_MS,
	VAR_BYTES_IN,
	VAR_BYTES_OUT,
	VAR_END,
	VAR_REASON,
	VAR_REPEAT,
	VAR_TLS_PROTOCOL, /* the first of enum accesslog_tls's, in its order */
	VAR_TLS_CIPHER,
	VAR_TLS_SNI,
	VAR_TLS_RESUMED,
	VAR_TLS_CLIENT_S_DN,
};

static const char *const var_names[] = {"", "time_iso8601", "time_local",
    "msec", "service", "transport", "model", "pid", "client", "remote_addr",
    "remote_port", "proxy_addr", "duration_ms", "bytes_in", "bytes_out", "end",
    "reason", "repeat", "tls_protocol", "tls_cipher", "tls_sni", "tls_resumed",
    "tls_client_s_dn"};

#define NVARS (sizeof(var_names) / sizeof(*var_names))
_Static_assert(
    NVARS == VAR_TLS_CLIENT_S_DN + 1 &&
        VAR_TLS_CLIENT_S_DN - VAR_TLS_PROTOCOL + 1 == ACCESSLOG_TLS_N,
    "a name for every variable, the $tls_ ones in enum accesslog_tls's order");

enum accesslog_style { STYLE_DEFAULT, STYLE_JSON, STYLE_CUSTOM };

struct accesslog_field {
	enum accesslog_var var;
	const char *text; /* VAR_TEXT: into the spec's copy */
	size_t len;
};

struct accesslog_format {
	enum accesslog_style style;
	int tells_tls; /* json, or a $tls_ variable in it */
	char *spec;    /* the custom string, which fields point into */
	size_t n;
	struct accesslog_field f[];
};

static const char *const end_names[] = {"-", "client_closed", "module_closed",
    "idle", "max_request", "handle_timeout", "error", "stop", "module_refused",
    "answered", "unanswered", "refused"};

const char *
accesslog_end_name(enum accesslog_end end)
{
	if ((size_t)end >= sizeof(end_names) / sizeof(*end_names))
		return "-";
	return end_names[end];
}

/* ---- compiling a format ---- */

/* The variable name at p (after '$', or inside "{}"), its length in *len;
 * VAR_TEXT when it names none. */
static enum accesslog_var
accesslog_var_at(const char *p, size_t *len)
{
	size_t n = 0;

	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9') ||
	       p[n] == '_')
		n++;
	*len = n;
	for (size_t i = 1; i < NVARS; i++)
		if (strlen(var_names[i]) == n &&
		    memcmp(var_names[i], p, n) == 0)
			return (enum accesslog_var)i;
	return VAR_TEXT;
}

/* Fields for spec: its text between variables, and the variables.  Fills
 * f (when not NULL) and returns how many, or -1 with why. */
static long
accesslog_parse(
    const char *spec, struct accesslog_field *f, char *why, size_t whylen)
{
	long n = 0, vars = 0;
	const char *p = spec, *text = spec;

	while (*p) {
		size_t len;
		int braced = p[0] == '$' && p[1] == '{';
		enum accesslog_var v;

		if (*p != '$') {
			p++;
			continue;
		}
		v = accesslog_var_at(p + 1 + braced, &len);
		if (len == 0 && !braced) { /* a '$' of its own is text */
			p++;
			continue;
		}
		if (v != VAR_TEXT && braced && p[2 + len] != '}') {
			snprintf(why, whylen, "\"%.*s\": no \"}\" after it",
			    (int)(len + 2), p);
			return -1;
		}
		if (v == VAR_TEXT || (braced && p[2 + len] != '}')) {
			snprintf(why, whylen,
			    "\"%.*s\" is not a variable: the variables are $time_iso8601 $time_local $msec $service $transport $model $pid $client $remote_addr $remote_port $proxy_addr $duration_ms $bytes_in $bytes_out $end $reason $repeat $tls_protocol $tls_cipher $tls_sni $tls_resumed $tls_client_s_dn",
			    (int)(len + 1 + braced * 2), p);
			return -1;
		}
		if (p > text && f)
			f[n] = (struct accesslog_field){
			    VAR_TEXT, text, (size_t)(p - text)};
		n += p > text;
		if (f)
			f[n] = (struct accesslog_field){v, NULL, 0};
		n++;
		vars++;
		p += 1 + len + braced * 2;
		text = p;
	}
	if (vars == 0) {
		snprintf(why, whylen,
		    "\"%s\" names no variable, so every line would read just that: a format is \"default\", \"json\" or text with $variables ($client, $end, ...)",
		    spec);
		return -1;
	}
	if (p > text && f)
		f[n] = (struct accesslog_field){
		    VAR_TEXT, text, (size_t)(p - text)};
	return n + (p > text);
}

struct accesslog_format *
accesslog_compile(const char *spec, char *why, size_t whylen)
{
	struct accesslog_format *f;
	long n = 0;

	if (strcmp(spec, "default") != 0 && strcmp(spec, "json") != 0 &&
	    (n = accesslog_parse(spec, NULL, why, whylen)) < 0)
		return NULL;
	if ((f = calloc(1, sizeof(*f) + (size_t)n * sizeof(f->f[0]))) == NULL ||
	    (f->spec = strdup(spec)) == NULL) {
		free(f);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	f->style = strcmp(spec, "default") == 0 ? STYLE_DEFAULT
	           : strcmp(spec, "json") == 0  ? STYLE_JSON
	                                        : STYLE_CUSTOM;
	if (f->style == STYLE_CUSTOM)
		f->n = (size_t)accesslog_parse(f->spec, f->f, why, whylen);
	f->tells_tls = f->style == STYLE_JSON;
	for (size_t i = 0; i < f->n; i++)
		f->tells_tls |= f->f[i].var >= VAR_TLS_PROTOCOL;
	return f;
}

int
accesslog_format_tls(const struct accesslog_format *f)
{
	return f && f->tells_tls;
}

void
accesslog_format_free(struct accesslog_format *f)
{
	if (f)
		free(f->spec);
	free(f);
}

/* ---- writing a line ---- */

/* A line being built: what does not fit is cut. */
struct line {
	char *p;
	size_t len, cap; /* cap leaves room for the '\n' */
};

static void
line_put(struct line *l, const char *s, size_t n)
{
	if (n > l->cap - l->len)
		n = l->cap - l->len;
	memcpy(l->p + l->len, s, n);
	l->len += n;
}

static void
line_puts(struct line *l, const char *s)
{
	line_put(l, s, strlen(s));
}

static void line_printf(struct line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
line_printf(struct line *l, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		line_put(l, tmp,
		    (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* v in decimal at buf (room for 21 bytes), NUL-terminated; its length.
 * (snprintf was most of a line's cost.) */
static size_t
u64_text(char *buf, unsigned long long v)
{
	char tmp[24];
	size_t n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

static void
line_num(struct line *l, unsigned long long v)
{
	char tmp[24];

	line_put(l, tmp, u64_text(tmp, v));
}

/* The length of the valid UTF-8 sequence at s (of n bytes), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (len > n)
		return 0;
	cp = s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* s as a JSON string's contents (RFC 8259): quote, backslash and control
 * characters escaped; a byte that is not part of valid UTF-8 becomes
 * \u00XX, so the line stays valid UTF-8 whatever a peer's path holds. */
static void
line_json(struct line *l, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str);

	for (size_t i = 0; i < n;) {
		size_t u = s[i] >= 0x80 ? utf8_len(s + i, n - i) : 0;

		if (u > 0) {
			line_put(l, (const char *)s + i, u);
			i += u;
			continue;
		}
		if (s[i] == '"' || s[i] == '\\') {
			line_put(l, "\\", 1);
			line_put(l, (const char *)s + i, 1);
		} else if (s[i] == '\n') {
			line_puts(l, "\\n");
		} else if (s[i] == '\t') {
			line_puts(l, "\\t");
		} else if (s[i] == '\r') {
			line_puts(l, "\\r");
		} else if (s[i] < 0x20 || s[i] >= 0x7f) {
			line_printf(l, "\\u%04x", s[i]);
		} else {
			line_put(l, (const char *)s + i, 1);
		}
		i++;
	}
}

/* s in a plain line: control bytes, DEL, bytes past ASCII, backslash and
 * quote as \xHH (as nginx does), so one line stays one line. */
static void
line_plain(struct line *l, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		size_t run = 0; /* bytes that go as they are: most, at once */

		while (s[run] >= 0x20 && s[run] < 0x7f && s[run] != '\\' &&
		       s[run] != '"')
			run++;
		line_put(l, (const char *)s, run);
		s += run;
		if (*s)
			line_printf(l, "\\x%02X", *s++);
	}
}

/* The address of sa without its port ($remote_addr) and the port ("" for
 * unix sockets). */
static void
accesslog_split(const struct sockaddr *sa, socklen_t len, char *host,
    size_t hostlen, char *port, size_t portlen)
{
	char text[ADDR_TEXT_MAX], *colon;

	addr_format(sa, len, text, sizeof(text));
	*port = '\0';
	if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6) {
		colon = strrchr(text, ':');
		snprintf(port, portlen, "%s", colon + 1);
		*colon = '\0';
		if (sa->sa_family == AF_INET6) { /* "[::1]" */
			colon[-1] = '\0';
			snprintf(host, hostlen, "%s", text + 1);
			return;
		}
	}
	snprintf(host, hostlen, "%s", text);
}

/* A second's time as the lines write it, made once a second a thread:
 * localtime_r and strftime cost more than the rest of a line. */
struct second {
	time_t sec;
	char iso[24];   /* 2026-12-01T11:55:24 */
	char zone[8];   /* +00:00 */
	char local[40]; /* 01/Dec/2026:11:55:24 +0000 */
};

static void
accesslog_second(time_t t, const struct second **out)
{
	static __thread struct second cache = {.sec = -1};
	struct tm tm;
	char z[8];

	*out = &cache;
	if (cache.sec == t)
		return;
	localtime_r(&t, &tm);
	strftime(cache.iso, sizeof(cache.iso), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(z, sizeof(z), "%z", &tm); /* +0000: ISO 8601 has +00:00 */
	snprintf(cache.zone, sizeof(cache.zone), "%.3s:%.2s", z, z + 3);
	strftime(cache.local, sizeof(cache.local), "%d/%b/%Y:%H:%M:%S %z", &tm);
	cache.sec = t;
}

/* addr_format, with IPv4 (most lines) written without inet_ntop and
 * snprintf, which were a third of a line's cost. */
static void
accesslog_addr(const struct sockaddr *sa, socklen_t len, char *buf, size_t size)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
	const unsigned char *b = (const unsigned char *)&in->sin_addr;
	size_t n = 0;

	if (sa->sa_family != AF_INET ||
	    size < sizeof("255.255.255.255:65535")) {
		addr_format(sa, len, buf, size);
		return;
	}
	for (int i = 0; i < 4; i++) {
		n += u64_text(buf + n, b[i]);
		buf[n++] = i < 3 ? '.' : ':';
	}
	u64_text(buf + n, ntohs(in->sin_port));
}

/* s (NULL: "-") into buf. */
static void
accesslog_copy(char *buf, size_t size, const char *s)
{
	size_t n = strlen(s ? s : "-");

	if (n >= size)
		n = size - 1;
	memcpy(buf, s ? s : "-", n);
	buf[n] = '\0';
}

/* The value of v for e as text (numbers too), "-" when e has none. */
static void
accesslog_value(enum accesslog_var v, const struct accesslog_entry *e,
    char *buf, size_t size)
{
	char host[ADDR_TEXT_MAX], port[16];
	const struct second *sec;
	int ms = (int)(e->when.tv_usec / 1000);
	size_t n;

	switch (v) {
	case VAR_TIME_ISO8601:
		accesslog_second(e->when.tv_sec, &sec);
		if (size < sizeof(sec->iso) + 4 + sizeof(sec->zone))
			return;
		n = strlen(sec->iso);
		memcpy(buf, sec->iso, n);
		buf[n++] = '.';
		buf[n++] = (char)('0' + ms / 100);
		buf[n++] = (char)('0' + ms / 10 % 10);
		buf[n++] = (char)('0' + ms % 10);
		strcpy(buf + n, sec->zone);
		return;
	case VAR_TIME_LOCAL:
		accesslog_second(e->when.tv_sec, &sec);
		snprintf(buf, size, "%s", sec->local);
		return;
	case VAR_MSEC:
		n = u64_text(buf, (unsigned long long)e->when.tv_sec);
		snprintf(buf + n, size - n, ".%03d", ms);
		return;
	case VAR_SERVICE:
		accesslog_copy(buf, size, e->service);
		return;
	case VAR_TRANSPORT:
		accesslog_copy(buf, size, e->transport);
		return;
	case VAR_MODEL:
		accesslog_copy(buf, size, e->model);
		return;
	case VAR_PID:
		u64_text(buf, (unsigned long long)e->pid);
		return;
	case VAR_CLIENT:
		if (e->client)
			accesslog_addr(e->client, e->clientlen, buf, size);
		else
			snprintf(buf, size, "-");
		return;
	case VAR_REMOTE_ADDR:
	case VAR_REMOTE_PORT:
		if (e->client == NULL) {
			snprintf(buf, size, "-");
			return;
		}
		accesslog_split(e->client, e->clientlen, host, sizeof(host),
		    port, sizeof(port));
		snprintf(buf, size, "%s",
		    v == VAR_REMOTE_ADDR ? host
		    : *port              ? port
		                         : "-");
		return;
	case VAR_PROXY_ADDR:
		if (e->balancer)
			addr_format(e->balancer, e->balancerlen, buf, size);
		else
			snprintf(buf, size, "-");
		return;
	case VAR_DURATION_MS:
		u64_text(buf, e->duration_ms > 0
		                  ? (unsigned long long)e->duration_ms
		                  : 0);
		return;
	case VAR_BYTES_IN:
		u64_text(buf, e->bytes_in);
		return;
	case VAR_BYTES_OUT:
		u64_text(buf, e->bytes_out);
		return;
	case VAR_END:
		accesslog_copy(buf, size, accesslog_end_name(e->end));
		return;
	case VAR_REASON:
		accesslog_copy(buf, size, e->reason);
		return;
	case VAR_REPEAT:
		u64_text(buf, e->repeat);
		return;
	case VAR_TLS_PROTOCOL:
	case VAR_TLS_CIPHER:
	case VAR_TLS_SNI:
	case VAR_TLS_RESUMED:
	case VAR_TLS_CLIENT_S_DN:
		accesslog_copy(buf, size, e->tls[v - VAR_TLS_PROTOCOL]);
		return;
	case VAR_TEXT:
		break;
	}
	snprintf(buf, size, "-");
}

static int
accesslog_is_number(enum accesslog_var v)
{
	return v == VAR_MSEC || v == VAR_PID || v == VAR_DURATION_MS ||
	       v == VAR_BYTES_IN || v == VAR_BYTES_OUT || v == VAR_REPEAT;
}

/* A JSON line's string values are cut to this many bytes when the whole
 * line would not fit in ACCESSLOG_LINE_MAX (an escape is up to 6 bytes a
 * byte): a line cut anywhere else would not parse. */
#define JSON_VALUE_CUT 20

/* Every variable as a member: numbers bare, the rest strings, none left
 * out (a missing value is "-", as in the other forms); cut: the longest
 * string value, in bytes (0: as long as the buffer holds). */
static void
accesslog_json(struct line *l, const struct accesslog_entry *e, size_t cut)
{
	char value[ADDR_TEXT_MAX * 2];

	line_puts(l, "{");
	for (size_t i = 1; i < NVARS; i++) {
		enum accesslog_var v = (enum accesslog_var)i;

		accesslog_value(v, e, value, sizeof(value));
		if (cut && !accesslog_is_number(v) && strlen(value) > cut)
			value[cut] = '\0';
		line_puts(l, i > 1 ? ",\"" : "\"");
		line_puts(l, var_names[i]);
		line_puts(l, "\":");
		if (accesslog_is_number(v)) {
			line_puts(l, value);
			continue;
		}
		line_puts(l, "\"");
		line_json(l, value);
		line_puts(l, "\"");
	}
	line_puts(l, "}");
}

/* The readable line: time service transport client [via balancer] model
 * pid, then "12 ms in 5 out 5 client_closed", or for a refusal
 * "refused (allow/deny)" [and N more in the last S s]. */
static void
accesslog_default(struct line *l, const struct accesslog_entry *e, int brief)
{
	static const enum accesslog_var head[] = {
	    VAR_TIME_ISO8601, VAR_SERVICE, VAR_TRANSPORT, VAR_CLIENT};
	char value[ADDR_TEXT_MAX * 2];

	/* brief: in the main log, whose lines have the time and service */
	for (size_t i = brief ? 2 : 0; i < sizeof(head) / sizeof(*head); i++) {
		accesslog_value(head[i], e, value, sizeof(value));
		if (i > (brief ? 2 : 0))
			line_puts(l, " ");
		line_plain(l, value);
	}
	if (e->balancer) {
		accesslog_value(VAR_PROXY_ADDR, e, value, sizeof(value));
		line_puts(l, " via ");
		line_plain(l, value);
	}
	line_puts(l, " ");
	line_puts(l, e->model ? e->model : "-");
	line_puts(l, " ");
	line_num(l, (unsigned long long)e->pid);
	line_puts(l, " ");
	if (e->end != ACCESSLOG_END_REFUSED) {
		line_num(l, e->duration_ms > 0
		                ? (unsigned long long)e->duration_ms
		                : 0);
		line_puts(l, " ms in ");
		line_num(l, e->bytes_in);
		line_puts(l, " out ");
		line_num(l, e->bytes_out);
		line_puts(l, " ");
		line_puts(l, accesslog_end_name(e->end));
		return;
	}
	line_printf(l, "refused (%s)", e->reason ? e->reason : "-");
	if (e->repeat)
		line_printf(l, " and %llu more in the last %.3g s", e->repeat,
		    e->window);
}

static void
accesslog_custom(struct line *l, const struct accesslog_format *f,
    const struct accesslog_entry *e)
{
	char value[ADDR_TEXT_MAX * 2];

	for (size_t i = 0; i < f->n; i++) {
		if (f->f[i].var == VAR_TEXT) {
			line_put(l, f->f[i].text, f->f[i].len);
			continue;
		}
		accesslog_value(f->f[i].var, e, value, sizeof(value));
		line_plain(l, value);
	}
}

size_t
accesslog_format_brief(const struct accesslog_format *f,
    const struct accesslog_entry *e, int brief, char *buf, size_t size)
{
	struct line l = {buf, 0, size - 1};

	if (f == NULL || f->style == STYLE_DEFAULT)
		accesslog_default(&l, e, brief);
	else if (f->style == STYLE_JSON) {
		accesslog_json(&l, e, 0);
		if (l.len >= l.cap) { /* cut: it would not parse */
			l.len = 0;
			accesslog_json(&l, e, JSON_VALUE_CUT);
		}
	} else
		accesslog_custom(&l, f, e);
	buf[l.len++] = '\n';
	return l.len;
}

size_t
accesslog_format_line(const struct accesslog_format *f,
    const struct accesslog_entry *e, char *buf, size_t size)
{
	return accesslog_format_brief(f, e, 0, buf, size);
}
