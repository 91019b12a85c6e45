/* config.c - read the libconfig file, check every key against a table, and
 * copy what it says into struct config.  The only file that sees libconfig. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <libconfig.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "access.h"
#include "log.h"
#include "model.h"
#include "modserv.h"
#include "paths.h"
#include "transport.h"

/* What the walk over one file carries. */
struct parse {
	struct config *cfg;
	char *err;
	size_t errlen;
	config_setting_t *tls_default; /* the top-level tls group, or NULL */
};

struct key;

#define KEY_AT(dst, k, type) ((type *)((char *)(dst) + (k)->offset))
/* what a setter that needs no table data calls its key */
#define KEY_UNUSED k __attribute__((unused))
/* The first fields of a table line: name, kind, field. */
#define KEY(n, kd, at) .name = (n), .kind = (kd), .offset = (at)

/* What a setter stores, so that the walk can give it its default and
 * config_free free it. */
enum key_field {
	FIELD_NONE,    /* the setter fills several fields, freed by hand */
	FIELD_INT,     /* int; default .def */
	FIELD_SECONDS, /* double; default .def */
	FIELD_STRING,  /* char *, malloc'd; default .def_str */
	FIELD_STRV,    /* char **, NULL-terminated, malloc'd */
	FIELD_CIDRS,   /* struct cidr_list */
	FIELD_POINTER, /* const void *, what .find gave; default .def_str */
	FIELD_TEXT,    /* struct conf_text */
};

/* How a key is read: the setter, and the field it stores. */
struct key_kind {
	int (*set)(struct parse *p, const char *path, config_setting_t *s,
	    void *dst, const struct key *k);
	enum key_field field;
};

/* A word a key may take, and the number it stores. */
struct key_word {
	const char *name;
	int value;
};

/* A key of a group: one line of a table says everything about it. */
struct key {
	const char *name;
	const struct key_kind *kind;
	size_t offset;       /* of its field in the group's struct */
	double min, max;     /* a number's range */
	double def;          /* a number's default */
	const char *def_str; /* a string's or a word's default; NULL: none */
	const struct key_word *words; /* the words it takes, {NULL} last */
	/* or, for a word naming a table's entry, its lookup (NULL: no such
	 * word) and the words it knows, for the error */
	const void *(*find)(const char *word);
	const char *names;
	int required;
	int inherit; /* a service's: the default is the top-level key's */
};

static int
config_fail(struct parse *p, const config_setting_t *s, const char *path,
    const char *fmt, ...)
{
	int n;
	va_list ap;

	int line = s ? config_setting_source_line(s) : 0;

	if (line > 0)
		n = snprintf(
		    p->err, p->errlen, "%s:%d: %s: ", p->cfg->file, line, path);
	else /* the file as a whole */
		n = snprintf(p->err, p->errlen, "%s: %s: ", p->cfg->file, path);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static const char *
config_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group { }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number with a point";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ]";
	case CONFIG_TYPE_LIST:
		return "a list ( )";
	}
	return "nothing";
}

static int
config_want(
    struct parse *p, const char *path, const config_setting_t *s, int type)
{
	int t = config_setting_type(s);

	if (t == type || (type == CONFIG_TYPE_INT && t == CONFIG_TYPE_INT64))
		return 0;
	return config_fail(p, s, path, "is %s, expected %s",
	    config_type_name(t), config_type_name(type));
}

static char *
config_strdup(struct parse *p, const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		snprintf(p->err, p->errlen, "%s: out of memory", p->cfg->file);
	return d;
}

static int
config_get_string(
    struct parse *p, const char *path, config_setting_t *s, char **dst)
{
	if (config_want(p, path, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	free(*dst);
	*dst = config_strdup(p, config_setting_get_string(s));
	return *dst ? 0 : -1;
}

static int
config_get_int(struct parse *p, const char *path, config_setting_t *s, int min,
    int max, int *dst)
{
	long long v;

	if (config_want(p, path, s, CONFIG_TYPE_INT) < 0)
		return -1;
	v = config_setting_get_int64(s);
	if (v < min || v > max)
		return config_fail(
		    p, s, path, "%lld is not in %d..%d", v, min, max);
	*dst = (int)v;
	return 0;
}

static const struct key *
key_named(const struct key *keys, const char *name)
{
	while (keys->name && strcmp(keys->name, name) != 0)
		keys++;
	return keys->name ? keys : NULL;
}

/* Checks that every key of group s is in keys, then sets them in order. */
static int
config_walk(struct parse *p, const char *path, config_setting_t *s,
    const struct key *keys, void *dst)
{
	char sub[512]; /* a caller's path (256 at most) and a key */
	int i, n = config_setting_length(s);

	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, i);

		if (key_named(keys, config_setting_name(e)) == NULL) {
			snprintf(sub, sizeof(sub), "%s%s%s", path,
			    *path ? "." : "", config_setting_name(e));
			return config_fail(p, e, sub, "unknown key");
		}
	}
	for (const struct key *k = keys; k->name; k++) {
		config_setting_t *e = config_setting_get_member(s, k->name);

		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "",
		    k->name);
		if (e == NULL) {
			if (k->required)
				return config_fail(
				    p, s, sub, "is required and missing");
			continue;
		}
		if (k->kind->set(p, sub, e, dst, k) < 0)
			return -1;
	}
	return 0;
}

static int key_word_store(const struct key *k, const char *word, void *dst);

/* Gives every key of keys its default in dst; a key that inherits takes
 * the value parent has for the key of the same name in parent_keys.  0, or
 * -1 without memory. */
static int
keys_default(const struct key *keys, void *dst, const struct key *parent_keys,
    void *parent)
{
	for (const struct key *k = keys; k->name; k++) {
		const struct key *from =
		    k->inherit ? key_named(parent_keys, k->name) : NULL;
		const char *str;

		switch (k->kind->field) {
		case FIELD_INT:
			if (k->def_str)
				key_word_store(k, k->def_str, dst);
			else
				*KEY_AT(dst, k, int) =
				    from ? *KEY_AT(parent, from, int)
				         : (int)k->def;
			break;
		case FIELD_SECONDS:
			*KEY_AT(dst, k, double) = k->def;
			break;
		case FIELD_POINTER:
			if (k->def_str)
				key_word_store(k, k->def_str, dst);
			break;
		case FIELD_STRING:
			str = from ? *KEY_AT(parent, from, char *) : k->def_str;
			if (str &&
			    (*KEY_AT(dst, k, char *) = strdup(str)) == NULL)
				return -1;
			break;
		default:
			break;
		}
	}
	return 0;
}

static void
strv_free(char **v)
{
	for (char **s = v; s && *s; s++)
		free(*s);
	free(v);
}

/* Frees what the keys of keys hold in dst. */
static void
keys_free(const struct key *keys, void *dst)
{
	for (const struct key *k = keys; k->name; k++)
		switch (k->kind->field) {
		case FIELD_STRING:
			free(*KEY_AT(dst, k, char *));
			break;
		case FIELD_STRV:
			strv_free(*KEY_AT(dst, k, char **));
			break;
		case FIELD_CIDRS:
			free(KEY_AT(dst, k, struct cidr_list)->v);
			break;
		case FIELD_TEXT:
			free(KEY_AT(dst, k, struct conf_text)->text);
			free(KEY_AT(dst, k, struct conf_text)->key);
			break;
		default:
			break;
		}
}

/* ---- generic setters: what the key table's offset and range say ---- */

static int
key_int(struct parse *p, const char *path, config_setting_t *s, void *dst,
    const struct key *k)
{
	return config_get_int(
	    p, path, s, (int)k->min, (int)k->max, KEY_AT(dst, k, int));
}

/* Seconds, as an integer or with a point. */
static int
key_seconds(struct parse *p, const char *path, config_setting_t *s, void *dst,
    const struct key *k)
{
	int t = config_setting_type(s);
	double v;

	if (t != CONFIG_TYPE_FLOAT && config_want(p, path, s, CONFIG_TYPE_INT))
		return -1;
	v = t == CONFIG_TYPE_FLOAT ? config_setting_get_float(s)
	                           : (double)config_setting_get_int64(s);
	if (!(v >= k->min && v <= k->max))
		return config_fail(p, s, path, "%g is not in %g..%g seconds", v,
		    k->min, k->max);
	*KEY_AT(dst, k, double) = v;
	return 0;
}

static int
key_string(struct parse *p, const char *path, config_setting_t *s, void *dst,
    const struct key *k)
{
	if (config_get_string(p, path, s, KEY_AT(dst, k, char *)) < 0)
		return -1;
	if (**KEY_AT(dst, k, char *) == '\0')
		return config_fail(p, s, path, "is empty");
	return 0;
}

/* A file path; a relative one is taken from the configuration's folder. */
static int
key_path(struct parse *p, const char *path, config_setting_t *s, void *dst,
    const struct key *k)
{
	char **v = KEY_AT(dst, k, char *), *abs;

	if (key_string(p, path, s, dst, k) < 0)
		return -1;
	if (**v == '/' || strcmp(p->cfg->dir, ".") == 0)
		return 0;
	if (asprintf(&abs, "%s/%s", p->cfg->dir, *v) < 0)
		return config_fail(p, s, path, "out of memory");
	free(*v);
	*v = abs;
	return 0;
}

/* 0 when the folder file is to go in exists, else -1 with why: a socket,
 * log or pidfile there could never be made. */
static int
config_folder_exists(const char *file, char *why, size_t len)
{
	const char *slash = strrchr(file, '/');
	char folder[PATH_MAX];
	struct stat st;

	if (slash == NULL)
		return 0;
	snprintf(folder, sizeof(folder), "%.*s",
	    slash == file ? 1 : (int)(slash - file), file);
	if (stat(folder, &st) < 0)
		snprintf(why, len, "%s goes in %s, which %s", file, folder,
		    errno == ENOENT ? "does not exist: make it first"
		                    : strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		snprintf(why, len, "%s goes in %s, which is not a folder", file,
		    folder);
	else
		return 0;
	return -1;
}

/* A path (as key_path) to a file modserv makes: its folder must exist. */
static int
key_path_to_make(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *k)
{
	char why[PATH_MAX + 128];

	struct stat st;
	const char *file;

	if (key_path(p, path, s, dst, k) < 0)
		return -1;
	file = *KEY_AT(dst, k, char *);
	if (config_folder_exists(file, why, sizeof(why)) < 0)
		return config_fail(p, s, path, "%s", why);
	if (stat(file, &st) == 0 && S_ISDIR(st.st_mode))
		return config_fail(
		    p, s, path, "%s is a folder, not a file", file);
	return 0;
}

static int
key_bool(struct parse *p, const char *path, config_setting_t *s, void *dst,
    const struct key *k)
{
	if (config_want(p, path, s, CONFIG_TYPE_BOOL) < 0)
		return -1;
	*KEY_AT(dst, k, int) = config_setting_get_bool(s);
	return 0;
}

/* A file mode in octal, as a string: "0660". */
static int
key_mode(struct parse *p, const char *path, config_setting_t *s, void *dst,
    const struct key *k)
{
	const char *v;
	char *end;
	long mode;

	if (config_want(p, path, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	v = config_setting_get_string(s);
	mode = strtol(v, &end, 8);
	if (*v == '\0' || *end || mode < 0 || mode > 07777)
		return config_fail(p, s, path,
		    "\"%s\" is not an octal file mode like \"0660\"", v);
	*KEY_AT(dst, k, int) = (int)mode;
	return 0;
}

/* A list of addresses and CIDR prefixes. */
static int
key_cidrs(struct parse *p, const char *path, config_setting_t *s, void *dst,
    const struct key *k)
{
	struct cidr_list *l = KEY_AT(dst, k, struct cidr_list);
	size_t n;
	char why[200];

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return config_fail(p, s, path,
		    "is %s, expected a list of addresses",
		    config_type_name(config_setting_type(s)));
	n = (size_t)config_setting_length(s);
	if (n && (l->v = calloc(n, sizeof(*l->v))) == NULL)
		return config_fail(p, s, path, "out of memory");
	for (l->n = 0; l->n < n; l->n++) {
		config_setting_t *e = config_setting_get_elem(s, (int)l->n);

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return config_fail(p, e, path,
			    "element %zu is %s, expected a string", l->n,
			    config_type_name(config_setting_type(e)));
		if (access_parse(config_setting_get_string(e), &l->v[l->n], why,
		        sizeof(why)) < 0)
			return config_fail(p, e, path, "%s", why);
	}
	return 0;
}

/* Stores what word stands for among k's words (or in k's table), or -1
 * when it is none of them. */
static int
key_word_store(const struct key *k, const char *word, void *dst)
{
	const void *found;

	if (k->find) {
		if ((found = k->find(word)) == NULL)
			return -1;
		*KEY_AT(dst, k, const void *) = found;
		return 0;
	}
	for (const struct key_word *w = k->words; w->name; w++)
		if (strcmp(w->name, word) == 0) {
			*KEY_AT(dst, k, int) = w->value;
			return 0;
		}
	return -1;
}

/* One of the words k takes (nginx's enum slot). */
static int
key_one_of(struct parse *p, const char *path, config_setting_t *s, void *dst,
    const struct key *k)
{
	char names[256] = "";
	const char *v;
	size_t n = 0;

	if (config_want(p, path, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	v = config_setting_get_string(s);
	if (key_word_store(k, v, dst) == 0)
		return 0;
	for (const struct key_word *w = k->words; !k->find && w->name; w++)
		n += (size_t)snprintf(names + n,
		    n < sizeof(names) ? sizeof(names) - n : 0, "%s%s",
		    n ? ", " : "", w->name);
	return config_fail(p, s, path, "\"%s\" is not one of %s", v,
	    k->find ? k->names : names);
}

/* access_log: "main", "off", "syslog", or a file (a path, whose folder
 * must exist). */
static int
key_access_log(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *k)
{
	enum accesslog_target t;
	const char *v;

	if (config_want(p, path, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	v = config_setting_get_string(s);
	if (accesslog_target_parse(v, &t) < 0)
		return config_fail(p, s, path,
		    "is empty: say \"main\", \"off\", \"syslog\" or a file");
	if (t != ACCESSLOG_FILE)
		return key_string(p, path, s, dst, k);
	return key_path_to_make(p, path, s, dst, k);
}

/* access_log_format: "default", "json", or text with $variables. */
static int
key_access_log_format(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *k)
{
	struct accesslog_format *f;
	char why[512];

	if (key_string(p, path, s, dst, k) < 0)
		return -1;
	if ((f = accesslog_compile(
	         *KEY_AT(dst, k, char *), why, sizeof(why))) == NULL)
		return config_fail(p, s, path, "%s", why);
	accesslog_format_free(f);
	return 0;
}

static const struct key_kind kind_int = {key_int, FIELD_INT};
static const struct key_kind kind_seconds = {key_seconds, FIELD_SECONDS};
static const struct key_kind kind_bool = {key_bool, FIELD_INT};
static const struct key_kind kind_mode = {key_mode, FIELD_INT};
static const struct key_kind kind_string = {key_string, FIELD_STRING};
static const struct key_kind kind_path_to_make = {
    key_path_to_make, FIELD_STRING};
static const struct key_kind kind_cidrs = {key_cidrs, FIELD_CIDRS};
static const struct key_kind kind_word = {key_one_of, FIELD_INT};
static const struct key_kind kind_table_entry = {key_one_of, FIELD_POINTER};
static const struct key_kind kind_access_log = {key_access_log, FIELD_STRING};
static const struct key_kind kind_access_log_format = {
    key_access_log_format, FIELD_STRING};

/* ---- tls keys (a service's group, and the top-level default) ---- */

/* Keeps where a value was written for the checks that come later. */
static int
key_text_locate(
    struct parse *p, const char *path, config_setting_t *s, struct conf_text *t)
{
	free(t->key);
	t->line = config_setting_source_line(s);
	if ((t->key = config_strdup(p, path)) == NULL)
		return -1;
	return 0;
}

static int
key_text(struct parse *p, const char *path, config_setting_t *s, void *dst,
    const struct key *k)
{
	if (key_string(p, path, s, dst, k) < 0)
		return -1;
	return key_text_locate(p, path, s, KEY_AT(dst, k, struct conf_text));
}

static int
key_text_path(struct parse *p, const char *path, config_setting_t *s, void *dst,
    const struct key *k)
{
	if (key_path(p, path, s, dst, k) < 0)
		return -1;
	return key_text_locate(p, path, s, KEY_AT(dst, k, struct conf_text));
}

/* ALPN protocol names: 1 to 255 bytes each (RFC 7301), as a list. */
static int
key_alpn(struct parse *p, const char *path, config_setting_t *s, void *dst,
    const struct key *k)
{
	char ***v = KEY_AT(dst, k, char **);
	size_t i, n;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return config_fail(p, s, path,
		    "is %s, expected a list of protocol names",
		    config_type_name(config_setting_type(s)));
	n = (size_t)config_setting_length(s);
	if (n == 0)
		return config_fail(
		    p, s, path, "names no protocol (leave alpn out for none)");
	strv_free(*v);
	if ((*v = calloc(n + 1, sizeof(char *))) == NULL)
		return config_fail(p, s, path, "out of memory");
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (int)i);
		size_t len;

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return config_fail(p, e, path,
			    "element %zu is %s, expected a protocol name", i,
			    config_type_name(config_setting_type(e)));
		len = strlen(config_setting_get_string(e));
		if (len == 0 || len > 255)
			return config_fail(p, e, path,
			    "element %zu is %zu bytes: a protocol name is 1 to 255",
			    i, len);
		if (((*v)[i] = config_strdup(
		         p, config_setting_get_string(e))) == NULL)
			return -1;
	}
	return 0;
}

#define SNI(field) offsetof(struct tls_sni, field)

static const struct key_kind kind_text = {key_text, FIELD_TEXT};
static const struct key_kind kind_text_path = {key_text_path, FIELD_TEXT};

static const struct key sni_keys[] = {
    {KEY("name", &kind_string, SNI(name)), .required = 1},
    {KEY("certificate", &kind_text_path, SNI(certificate)), .required = 1},
    {KEY("key", &kind_text_path, SNI(key)), .required = 1},
    {.name = NULL},
};

static void
tls_sni_free(struct tls_conf *tc)
{
	for (size_t i = 0; i < tc->nsni; i++)
		keys_free(sni_keys, &tc->sni[i]);
	free(tc->sni);
	tc->sni = NULL;
	tc->nsni = 0;
}

/* A name two entries (or one entry and a wildcard's spelling) share is a
 * mistake: only the first could ever be chosen. */
static int
key_sni_unique(struct parse *p, config_setting_t *e, const char *path,
    const struct tls_conf *tc, size_t i)
{
	const char *name = tc->sni[i].name;
	const char *rest = strncmp(name, "*.", 2) == 0 ? name + 2 : name;

	for (size_t j = 0; j < i; j++)
		if (strcasecmp(tc->sni[j].name, tc->sni[i].name) == 0)
			return config_fail(p, e, path,
			    "name \"%s\" is already given at line %d",
			    tc->sni[i].name, tc->sni[j].line);
	if (*rest == '\0' || strpbrk(rest, " \t/:*"))
		return config_fail(p, e, path,
		    "name \"%s\" is not a host name, nor \"*.\" and one",
		    tc->sni[i].name);
	return 0;
}

/* sni = ( { name; certificate; key; }, ... ): replaces the default's. */
static int
key_sni(struct parse *p, const char *path, config_setting_t *s, void *dst,
    const struct key *KEY_UNUSED)
{
	struct tls_conf *tc = dst;
	char sub[256];
	size_t n;

	if (config_setting_type(s) != CONFIG_TYPE_LIST)
		return config_want(p, path, s, CONFIG_TYPE_LIST);
	tls_sni_free(tc);
	n = (size_t)config_setting_length(s);
	if (n && (tc->sni = calloc(n, sizeof(*tc->sni))) == NULL)
		return config_fail(p, s, path, "out of memory");
	for (size_t i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (int)i);

		snprintf(sub, sizeof(sub), "%s.[%zu]", path, i);
		tc->nsni++;
		tc->sni[i].line = config_setting_source_line(e);
		if (config_want(p, sub, e, CONFIG_TYPE_GROUP) < 0 ||
		    config_walk(p, sub, e, sni_keys, &tc->sni[i]) < 0 ||
		    key_sni_unique(p, e, sub, tc, i) < 0)
			return -1;
	}
	return 0;
}

#define TLS(field) offsetof(struct tls_conf, field)

static const struct key_word tls_verify_words[] = {{"none", TLS_VERIFY_NONE},
    {"optional", TLS_VERIFY_OPTIONAL}, {"required", TLS_VERIFY_REQUIRED},
    {NULL, 0}};

static const struct key_word tls_version_words[] = {
    {"TLSv1.2", TLS_VERSION_1_2}, {"TLSv1.3", TLS_VERSION_1_3}, {NULL, 0}};

static const struct key_kind kind_alpn = {key_alpn, FIELD_STRV};
static const struct key_kind kind_sni = {key_sni, FIELD_NONE};

/* certificate and key are required of the group a service ends up with,
 * not of the default: tls_check_complete says so. */
static const struct key tls_keys[] = {
    {KEY("certificate", &kind_text_path, TLS(certificate))},
    {KEY("key", &kind_text_path, TLS(key))},
    {KEY("client_ca", &kind_text_path, TLS(client_ca))},
    {KEY("verify_client", &kind_word, TLS(verify_client)),
        .words = tls_verify_words, .def_str = "none"},
    {KEY("min_version", &kind_word, TLS(min_version)),
        .words = tls_version_words, .def_str = "TLSv1.2"},
    {KEY("ciphers", &kind_text, TLS(ciphers))},
    {KEY("ciphersuites", &kind_text, TLS(ciphersuites))},
    {KEY("alpn", &kind_alpn, TLS(alpn))},
    {KEY("handshake_timeout", &kind_seconds, TLS(handshake_timeout)),
        .min = 0.1, .max = 3600, .def = 10},
    {KEY("session_tickets", &kind_bool, TLS(session_tickets)), .def = 1},
    {KEY("session_ticket_rotation", &kind_seconds,
         TLS(session_ticket_rotation)),
        .min = 1, .max = 604800, .def = 3600},
    {KEY("ktls", &kind_bool, TLS(ktls))},
    {KEY("sni", &kind_sni, 0)},
    {.name = NULL},
};

static void
tls_conf_free(struct tls_conf *tc)
{
	if (tc == NULL)
		return;
	keys_free(tls_keys, tc);
	tls_sni_free(tc);
	free(tc);
}

/* What no one key can say: the pairs that go together. */
static int
tls_check_complete(struct parse *p, config_setting_t *s, const char *path,
    const struct tls_conf *tc)
{
	if (tc->certificate.text == NULL || tc->key.text == NULL)
		return config_fail(p, s, path,
		    "needs a certificate and its key (here or in the top-level tls group)");
	if (tc->verify_client != TLS_VERIFY_NONE && tc->client_ca.text == NULL)
		return config_fail(p, s, path,
		    "verify_client = \"%s\" needs client_ca, the CAs client certificates are checked against",
		    tls_verify_words[tc->verify_client].name);
	return 0; /* a client_ca with verify_client = "none" is not read: a
	             service may say "none" under a top-level CA */
}

/* A tls group with every key at its default, then the top-level
 * group's values, then s's.  NULL, with err. */
static struct tls_conf *
tls_conf_read(struct parse *p, const char *path, config_setting_t *s)
{
	struct tls_conf *tc = calloc(1, sizeof(*tc));

	if (tc == NULL || keys_default(tls_keys, tc, NULL, NULL) < 0) {
		config_fail(p, s, path, "out of memory");
		tls_conf_free(tc);
		return NULL;
	}
	tc->line = config_setting_source_line(s);
	if (config_want(p, path, s, CONFIG_TYPE_GROUP) < 0 ||
	    (p->tls_default && s != p->tls_default &&
	        config_walk(p, "tls", p->tls_default, tls_keys, tc) < 0) ||
	    config_walk(p, path, s, tls_keys, tc) < 0) {
		tls_conf_free(tc);
		return NULL;
	}
	return tc;
}

/* The top-level tls group: checked key by key here, taken by each
 * service that has a tls group of its own. */
static int
config_set_tls_default(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *KEY_UNUSED)
{
	struct tls_conf *tc = tls_conf_read(p, path, s);

	(void)dst;
	if (tc == NULL)
		return -1;
	tls_conf_free(tc);
	p->tls_default = s;
	return 0;
}

/* A service's tls group: TLS on a stream transport (no DTLS). */
static int
service_set_tls(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *KEY_UNUSED)
{
	struct service_conf *sc = dst;

	if (sc->transport->socktype != SOCK_STREAM)
		return config_fail(p, s, path,
		    "is for stream transports (tcp, unix), and this service is %s: DTLS is not served",
		    sc->transport->name);
	if ((sc->tls = tls_conf_read(p, path, s)) == NULL)
		return -1;
	return tls_check_complete(p, s, path, sc->tls);
}

static const struct key_kind kind_tls = {service_set_tls, FIELD_NONE};
static const struct key_kind kind_tls_default = {
    config_set_tls_default, FIELD_NONE};

/* ---- service keys ---- */

static int
service_set_name(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *KEY_UNUSED)
{
	struct service_conf *sc = dst;

	if (config_get_string(p, path, s, &sc->name) < 0)
		return -1;
	if (*sc->name == '\0' || strpbrk(sc->name, " \t\n/:") != NULL)
		return config_fail(p, s, path,
		    "\"%s\" must be a non-empty word without spaces, '/' or ':'",
		    sc->name);
	return 0;
}

/* The lookups of the transport and model keys. */
static const void *
config_find_transport(const char *name)
{
	return transport_find(name);
}

static const void *
config_find_model(const char *name)
{
	return model_find(name);
}

static int
service_set_listen(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *KEY_UNUSED)
{
	struct service_conf *sc = dst;
	struct listen_addr a[ADDR_LIST_MAX];
	char why[256];
	int n;

	if (config_want(p, path, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	if ((n = sc->transport->parse(config_setting_get_string(s), p->cfg->dir,
	         a, ADDR_LIST_MAX, why, sizeof(why))) < 0)
		return config_fail(p, s, path, "%s", why);
	for (int i = 0; i < n; i++) {
		const struct sockaddr_un *un = (void *)&a[i].ss;

		struct stat st;

		if (un->sun_family != AF_UNIX || un->sun_path[0] == '\0')
			continue; /* not a file: an abstract one */
		if (config_folder_exists(un->sun_path, why, sizeof(why)) < 0)
			return config_fail(p, s, path, "%s", why);
		if (lstat(un->sun_path, &st) == 0 && !S_ISSOCK(st.st_mode))
			return config_fail(p, s, path,
			    "%s exists and is not a socket: it is never replaced",
			    un->sun_path);
	}
	if ((sc->addrs = malloc((size_t)n * sizeof(*a))) == NULL)
		return config_fail(p, s, path, "out of memory");
	memcpy(sc->addrs, a, (size_t)n * sizeof(*a));
	sc->naddrs = (size_t)n;
	return 0;
}

/* A number of worker processes, or "auto": one a CPU. */
static int
service_set_workers(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *k)
{
	struct service_conf *sc = dst;
	long cpus;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return config_get_int(
		    p, path, s, (int)k->min, (int)k->max, &sc->workers);
	if (strcmp(config_setting_get_string(s), "auto") != 0)
		return config_fail(p, s, path,
		    "\"%s\" is neither a number nor \"auto\"",
		    config_setting_get_string(s));
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	sc->workers = cpus < 1              ? 1
	              : cpus > (long)k->max ? (int)k->max
	                                    : (int)cpus;
	return 0;
}

static int
service_set_module(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *KEY_UNUSED)
{
	struct service_conf *sc = dst;
	char why[1024];

	if (config_get_string(p, path, s, &sc->module) < 0)
		return -1;
	sc->module_line = config_setting_source_line(s);
	if (config_find_module(
	        p->cfg, sc->module, &sc->module_file, why, sizeof(why)) < 0)
		return config_fail(p, s, path, "%s", why);
	return 0;
}

static int
option_set_list(struct parse *p, const char *path, config_setting_t *s,
    struct option_value *o)
{
	size_t n = (size_t)config_setting_length(s);

	if ((o->list = calloc(n + 1, sizeof(char *))) == NULL)
		return config_fail(p, s, path, "out of memory");
	for (o->nlist = 0; o->nlist < n; o->nlist++) {
		config_setting_t *e = config_setting_get_elem(s, o->nlist);

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return config_fail(p, e, path,
			    "list element %zu is %s, expected a string",
			    o->nlist, config_type_name(config_setting_type(e)));
		if ((o->list[o->nlist] = config_strdup(
		         p, config_setting_get_string(e))) == NULL)
			return -1;
	}
	return 0;
}

static int
option_set(struct parse *p, const char *path, config_setting_t *s,
    struct option_value *o)
{
	o->line = config_setting_source_line(s);
	o->fd = -1;
	if ((o->name = config_strdup(p, config_setting_name(s))) == NULL)
		return -1;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_STRING:
		o->type = MS_OPT_STR;
		o->str = config_strdup(p, config_setting_get_string(s));
		return o->str ? 0 : -1;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		o->type = MS_OPT_INT;
		o->num = config_setting_get_int64(s);
		return 0;
	case CONFIG_TYPE_BOOL:
		o->type = MS_OPT_BOOL;
		o->num = config_setting_get_bool(s);
		return 0;
	case CONFIG_TYPE_ARRAY:
	case CONFIG_TYPE_LIST:
		o->type = MS_OPT_LIST;
		return option_set_list(p, path, s, o);
	}
	return config_fail(p, s, path,
	    "is %s; an option is a string, an integer, a boolean or a list of strings",
	    config_type_name(config_setting_type(s)));
}

static int
service_set_options(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *KEY_UNUSED)
{
	struct service_conf *sc = dst;
	size_t i, n;
	char sub[256];

	if (config_want(p, path, s, CONFIG_TYPE_GROUP) < 0)
		return -1;
	sc->options_line = config_setting_source_line(s);
	n = (size_t)config_setting_length(s);
	if (n && (sc->options = calloc(n, sizeof(*sc->options))) == NULL)
		return config_fail(p, s, path, "out of memory");
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (int)i);

		snprintf(
		    sub, sizeof(sub), "%s.%s", path, config_setting_name(e));
		sc->noptions++;
		if (option_set(p, sub, e, &sc->options[i]) < 0)
			return -1;
	}
	return 0;
}

#define SC(field) offsetof(struct service_conf, field)
#define DAY 86400.0

static const struct key_kind kind_name = {service_set_name, FIELD_STRING};
static const struct key_kind kind_listen = {service_set_listen, FIELD_NONE};
static const struct key_kind kind_module = {service_set_module, FIELD_STRING};
static const struct key_kind kind_options = {service_set_options, FIELD_NONE};
static const struct key_kind kind_workers = {service_set_workers, FIELD_INT};

/* In this order: listen needs the transport. */
static const struct key service_keys[] = {
    {KEY("name", &kind_name, SC(name)), .required = 1},
    {KEY("transport", &kind_table_entry, SC(transport)),
        .find = config_find_transport, .names = transport_names, .required = 1},
    {KEY("listen", &kind_listen, 0), .required = 1},
    {KEY("tls", &kind_tls, 0)},
    {KEY("model", &kind_table_entry, SC(model)), .find = config_find_model,
        .names = model_names, .def_str = "thread"},
    {KEY("module", &kind_module, SC(module)), .required = 1},
    {KEY("options", &kind_options, 0)},
    {KEY("workers", &kind_workers, SC(workers)), .min = 1, .max = 256,
        .def = 1},
    {KEY("max_clients", &kind_int, SC(max_clients)), .min = 1, .max = 1 << 20,
        .def = 1024},
    {KEY("backlog", &kind_int, SC(backlog)), .min = 1, .max = 1 << 16,
        .def = SOMAXCONN},
    {KEY("blocking_threads", &kind_int, SC(blocking_threads)), .min = 1,
        .max = 256, .def = 4},
    {KEY("thread_stack", &kind_int, SC(thread_stack)), .min = 64 << 10,
        .max = 64 << 20, .def = 256 << 10},
    {KEY("spare_threads", &kind_int, SC(spare_threads)), .min = 0,
        .max = 1 << 20, .def = 64},
    {KEY("per_source", &kind_int, SC(per_source)), .min = 0, .max = 1 << 20},
    {KEY("rate", &kind_int, SC(rate)), .min = 0, .max = 1 << 24},
    {KEY("rate_pause", &kind_seconds, SC(rate_pause)), .min = 0.01, .max = DAY,
        .def = 10},
    {KEY("max_request", &kind_int, SC(max_request)), .min = 1, .max = 1 << 30,
        .def = 4 << 20},
    {KEY("idle_timeout", &kind_seconds, SC(idle_timeout)), .min = 0, .max = DAY,
        .def = 300},
    {KEY("handle_timeout", &kind_seconds, SC(handle_timeout)), .min = 0,
        .max = DAY, .def = 30},
    {KEY("proxy_protocol", &kind_bool, SC(proxy_protocol))},
    {KEY("proxy_from", &kind_cidrs, SC(proxy_from))},
    {KEY("allow", &kind_cidrs, SC(allow))},
    {KEY("deny", &kind_cidrs, SC(deny))},
    {KEY("user", &kind_string, SC(user)), .inherit = 1},
    {KEY("group", &kind_string, SC(group)), .inherit = 1},
    {KEY("socket_mode", &kind_mode, SC(socket_mode)), .def = -1},
    {KEY("socket_owner", &kind_string, SC(socket_owner))},
    {KEY("socket_group", &kind_string, SC(socket_group))},
    {KEY("access_log", &kind_access_log, SC(access_log)), .inherit = 1},
    {KEY("access_log_format", &kind_access_log_format, SC(access_log_format)),
        .inherit = 1},
    {KEY("access_log_skip_empty", &kind_bool, SC(access_log_skip_empty)),
        .inherit = 1},
    {.name = NULL},
};

/* Keys that only make sense for some transports. */
static int
service_check_transport(struct parse *p, config_setting_t *s, const char *path,
    const struct service_conf *sc)
{
	int unix_socket = sc->addrs[0].ss.ss_family == AF_UNIX;

	if (unix_socket && !sc->proxy_protocol && (sc->allow.n || sc->deny.n))
		return config_fail(p, s, path,
		    "allow and deny take IP addresses, and this service listens on a unix socket (use socket_mode, socket_owner, socket_group)");
	if (sc->proxy_from.n && !sc->proxy_protocol)
		return config_fail(p, s, path,
		    "proxy_from names who may send a PROXY header: it needs proxy_protocol = true");
	if (sc->proxy_from.n && unix_socket)
		return config_fail(p, s, path,
		    "proxy_from takes IP addresses, and this service listens on a unix socket");
	if (sc->proxy_protocol && sc->transport->socktype != SOCK_STREAM)
		return config_fail(p, s, path,
		    "proxy_protocol is for stream transports, and this service is %s",
		    sc->transport->name);
	if (sc->proxy_protocol && sc->per_source &&
	    sc->model->features & MODEL_F_PROCESS_PER_REQUEST) {
		char models[64];

		model_names_without(
		    MODEL_F_PROCESS_PER_REQUEST, models, sizeof(models));
		return config_fail(p, s, path,
		    "per_source with proxy_protocol needs one of the models %s: under %s the client is known only in the request's own process",
		    models, sc->model->name);
	}
	if (!unix_socket &&
	    (sc->socket_mode >= 0 || sc->socket_owner || sc->socket_group))
		return config_fail(p, s, path,
		    "socket_mode, socket_owner and socket_group are for unix sockets, and this service is %s",
		    sc->transport->name);
	return 0;
}

/* The access log's target and format, from the keys (checked as they
 * were read). */
static int
service_compile_access_log(struct parse *p, config_setting_t *s,
    const char *path, struct service_conf *sc)
{
	char why[512];

	accesslog_target_parse(sc->access_log, &sc->access_target);
	if ((sc->access_format = accesslog_compile(
	         sc->access_log_format, why, sizeof(why))) == NULL)
		return config_fail(p, s, path, "access_log_format: %s", why);
	return 0;
}

/* An address of sc that service o listens on too, or NULL.  A unix path
 * is one file whichever its socket type; tcp and udp share no port; port
 * 0 is a port of its own for each bind. */
static const struct listen_addr *
service_addr_clash(const struct service_conf *o, const struct service_conf *sc)
{
	if (o->addrs[0].ss.ss_family != AF_UNIX &&
	    o->transport->socktype != sc->transport->socktype)
		return NULL;
	for (size_t i = 0; i < sc->naddrs; i++)
		for (size_t j = 0; j < o->naddrs; j++)
			if (addr_port(&sc->addrs[i]) != 0 &&
			    addr_same(&o->addrs[j], &sc->addrs[i]))
				return &sc->addrs[i];
	return NULL;
}

/* Names and addresses must be unique across services. */
static int
service_check_unique(struct parse *p, config_setting_t *s, const char *path,
    const struct service_conf *sc)
{
	for (size_t i = 0; i < sc->index; i++) {
		const struct service_conf *o = &p->cfg->services[i];
		const struct listen_addr *a;

		if (strcmp(o->name, sc->name) == 0)
			return config_fail(p, s, path,
			    "name \"%s\" is already used by services.[%zu] (line %d)",
			    sc->name, i, o->line);
		if ((a = service_addr_clash(o, sc)) != NULL)
			return config_fail(p, s, path,
			    "listen %s %s is already used by service \"%s\" (line %d)",
			    sc->transport->name, a->text, o->name, o->line);
	}
	return 0;
}

/* Writes setting s (name, type, value; a group or list with everything in
 * it) to f, so that two settings print the same only when they are. */
static void
config_print_setting(FILE *f, const config_setting_t *s)
{
	const char *name = config_setting_name(s), *str;
	int type = config_setting_type(s), n;

	fprintf(f, "%s=", name ? name : "");
	switch (type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		fprintf(f, "i%lld;", config_setting_get_int64(s));
		return;
	case CONFIG_TYPE_FLOAT:
		fprintf(f, "f%a;", config_setting_get_float(s));
		return;
	case CONFIG_TYPE_BOOL:
		fprintf(f, "b%d;", config_setting_get_bool(s));
		return;
	case CONFIG_TYPE_STRING:
		str = config_setting_get_string(s);
		fprintf(f, "s%zu:%s;", strlen(str), str);
		return;
	}
	n = config_setting_length(s);
	fprintf(f, "%c%d{", type == CONFIG_TYPE_GROUP ? 'g' : 'l', n);
	for (int i = 0; i < n; i++)
		config_print_setting(f, config_setting_get_elem(s, i));
	fputs("}", f);
}

/* Which file path is and when it was last written: another certificate
 * in the same place (renamed over it, or written in place) reads
 * differently. */
static void
config_print_file_identity(FILE *f, const char *path)
{
	struct stat st;

	if (path == NULL)
		return;
	if (stat(path, &st) < 0) {
		fprintf(f, " %s:-", path);
		return;
	}
	fprintf(f, " %s:%llu:%llu:%lld:%lld.%09ld", path,
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
	    (long long)st.st_size, (long long)st.st_mtim.tv_sec,
	    st.st_mtim.tv_nsec);
}

/* Every file tc names, as config_print_file_identity has it. */
static void
config_print_tls_files(FILE *f, const struct tls_conf *tc)
{
	if (tc == NULL)
		return;
	config_print_file_identity(f, tc->certificate.text);
	config_print_file_identity(f, tc->key.text);
	config_print_file_identity(f, tc->client_ca.text);
	for (size_t i = 0; i < tc->nsni; i++) {
		config_print_file_identity(f, tc->sni[i].certificate.text);
		config_print_file_identity(f, tc->sni[i].key.text);
	}
}

/* The service's settings and every top-level one but the service list,
 * the addresses its listen resolved to (a name may resolve to others
 * now) and which files its tls group names (a certificate is replaced
 * where it was): what a reload compares to tell whether the service
 * changed. */
static char *
config_fingerprint(
    const config_setting_t *service, const struct service_conf *sc)
{
	const config_setting_t *root =
	    config_setting_parent(config_setting_parent(service));
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		return NULL;
	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *e = config_setting_get_elem(root, i);

		if (strcmp(config_setting_name(e), "services") != 0)
			config_print_setting(f, e);
	}
	config_print_setting(f, service);
	for (size_t i = 0; i < sc->naddrs; i++)
		fprintf(f, " %s", sc->addrs[i].text);
	config_print_tls_files(f, sc->tls);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* ---- top-level keys ---- */

static int
config_set_module_path(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *KEY_UNUSED)
{
	struct config *cfg = dst;
	size_t n;

	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		n = 1;
	else if (config_setting_is_aggregate(s) &&
	         config_setting_type(s) != CONFIG_TYPE_GROUP)
		n = (size_t)config_setting_length(s);
	else
		return config_fail(p, s, path,
		    "is %s, expected a list of folders",
		    config_type_name(config_setting_type(s)));
	if ((cfg->module_path = calloc(n + 1, sizeof(char *))) == NULL)
		return config_fail(p, s, path, "out of memory");
	for (size_t i = 0; i < n; i++) {
		config_setting_t *e =
		    config_setting_type(s) == CONFIG_TYPE_STRING
		        ? s
		        : config_setting_get_elem(s, (int)i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return config_fail(p, e, path,
			    "element %zu is %s, expected a folder", i,
			    config_type_name(config_setting_type(e)));
		if ((cfg->module_path[i] = config_strdup(
		         p, config_setting_get_string(e))) == NULL)
			return -1;
		cfg->nmodule_path++;
	}
	return 0;
}

/* "stderr", "syslog", or a file (a path). */
static int
config_set_log(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *k)
{
	const char *v;

	if (config_want(p, path, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	v = config_setting_get_string(s);
	if (strcmp(v, "stderr") == 0 || strcmp(v, "syslog") == 0)
		return key_string(p, path, s, dst, k);
	return key_path_to_make(p, path, s, dst, k);
}

#define CF(field) offsetof(struct config, field)

static int config_set_services(struct parse *p, const char *path,
    config_setting_t *s, void *dst, const struct key *k);

static const struct key_word log_levels[] = {{"error", MS_LOG_ERROR},
    {"warn", MS_LOG_WARN}, {"info", MS_LOG_INFO}, {"debug", MS_LOG_DEBUG},
    {NULL, 0}};

static const struct key_word facilities[] = {{"daemon", LOG_DAEMON},
    {"user", LOG_USER}, {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},
    {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},
    {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
    {NULL, 0}};

static const struct key_kind kind_module_path = {
    config_set_module_path, FIELD_STRV};
static const struct key_kind kind_log = {config_set_log, FIELD_STRING};
static const struct key_kind kind_services = {config_set_services, FIELD_NONE};

/* module_path before services: services look their modules up in it; user,
 * group, access_log* and tls before services: they are the services'
 * defaults. */
static const struct key config_keys[] = {
    {KEY("log_level", &kind_word, CF(log_level)), .words = log_levels,
        .def_str = "info"},
    {KEY("module_path", &kind_module_path, CF(module_path))},
    {KEY("shutdown_timeout", &kind_seconds, CF(shutdown_timeout)), .min = 0,
        .max = 3600, .def = 10},
    {KEY("drain_delay", &kind_seconds, CF(drain_delay)), .min = 0, .max = 3600},
    {KEY("check_timeout", &kind_seconds, CF(check_timeout)), .min = 0.1,
        .max = 3600, .def = 30},
    {KEY("user", &kind_string, CF(user))},
    {KEY("group", &kind_string, CF(group))},
    {KEY("status_socket", &kind_path_to_make, CF(status_socket))},
    {KEY("log", &kind_log, CF(log))},
    {KEY("syslog_facility", &kind_word, CF(syslog_facility)),
        .words = facilities, .def_str = "daemon"},
    {KEY("pidfile", &kind_path_to_make, CF(pidfile))},
    {KEY("access_log", &kind_access_log, CF(access_log)), .def_str = "main"},
    {KEY("access_log_format", &kind_access_log_format, CF(access_log_format)),
        .def_str = "default"},
    {KEY("access_log_skip_empty", &kind_bool, CF(access_log_skip_empty))},
    {KEY("tls", &kind_tls_default, 0)},
    {KEY("services", &kind_services, 0), .required = 1},
    {.name = NULL},
};

static int
config_set_services(struct parse *p, const char *path, config_setting_t *s,
    void *dst, const struct key *KEY_UNUSED)
{
	struct config *cfg = dst;
	size_t i, n;
	char sub[64];

	if (config_setting_type(s) != CONFIG_TYPE_LIST &&
	    config_want(p, path, s, CONFIG_TYPE_LIST) < 0)
		return -1;
	n = (size_t)config_setting_length(s);
	if (n == 0)
		return config_fail(p, s, path, "names no service");
	if ((cfg->services = calloc(n, sizeof(*cfg->services))) == NULL)
		return config_fail(p, s, path, "out of memory");
	for (i = 0; i < n; i++) {
		config_setting_t *e = config_setting_get_elem(s, (int)i);
		struct service_conf *sc = &cfg->services[i];

		cfg->nservices++;
		sc->index = i;
		sc->line = config_setting_source_line(e);
		sc->socket_uid = (uid_t)-1;
		sc->socket_gid = (gid_t)-1;
		snprintf(sub, sizeof(sub), "%s.[%zu]", path, i);
		if (keys_default(service_keys, sc, config_keys, cfg) < 0)
			return config_fail(p, e, sub, "out of memory");
		if (config_want(p, sub, e, CONFIG_TYPE_GROUP) < 0 ||
		    config_walk(p, sub, e, service_keys, sc) < 0 ||
		    service_check_transport(p, e, sub, sc) < 0 ||
		    service_check_unique(p, e, sub, sc) < 0 ||
		    service_compile_access_log(p, e, sub, sc) < 0)
			return -1;
		if ((sc->fingerprint = config_fingerprint(e, sc)) == NULL)
			return config_fail(p, e, sub, "out of memory");
	}
	return 0;
}

static char *
config_dirname(const char *file)
{
	const char *slash = strrchr(file, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == file)
		return strdup("/");
	return strndup(file, (size_t)(slash - file));
}

/* The uid of user and (unless group is set) its gid; -1 with err. */
static int
config_user(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL) {
		snprintf(err, errlen, "user \"%s\" does not exist", user);
		return -1;
	}
	*uid = pw->pw_uid;
	if (gid)
		*gid = pw->pw_gid;
	return 0;
}

static int
config_group(const char *group, gid_t *gid, char *err, size_t errlen)
{
	struct group *gr = getgrnam(group);

	if (gr == NULL) {
		snprintf(err, errlen, "group \"%s\" does not exist", group);
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

static int
config_check_service_users(struct service_conf *sc, char *why, size_t len)
{
	int root = geteuid() == 0;

	if (sc->user == NULL && root) {
		snprintf(why, len,
		    "modserv runs as root: say which user this service runs as, e.g. user = \"nobody\" (or user = \"root\" to keep root)");
		return -1;
	}
	if (sc->user && config_user(sc->user, &sc->uid, &sc->gid, why, len) < 0)
		return -1;
	if (sc->group && config_group(sc->group, &sc->gid, why, len) < 0)
		return -1;
	if (sc->user && !root &&
	    (sc->uid != geteuid() || (sc->group && sc->gid != getegid())))
		log_warn(sc->name,
		    "user and group are ignored: modserv does not run as root");
	sc->switch_user = root;
	if (sc->socket_owner &&
	    config_user(sc->socket_owner, &sc->socket_uid, NULL, why, len) < 0)
		return -1;
	if (sc->socket_group &&
	    config_group(sc->socket_group, &sc->socket_gid, why, len) < 0)
		return -1;
	return 0;
}

int
config_check_users(struct config *cfg, char *err, size_t errlen)
{
	char why[256];

	for (size_t i = 0; i < cfg->nservices; i++) {
		struct service_conf *sc = &cfg->services[i];

		if (config_check_service_users(sc, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s:%d: services.[%zu]: %s",
			    cfg->file, sc->line, i, why);
			return -1;
		}
	}
	return 0;
}

/* A module named by a path: from the configuration's folder unless
 * absolute. */
static int
config_find_module_file(const struct config *cfg, const char *module,
    char **path, char *err, size_t errlen)
{
	char buf[PATH_MAX];

	if (*module == '/' || cfg->dir == NULL || strcmp(cfg->dir, ".") == 0)
		snprintf(buf, sizeof(buf), "%s", module);
	else
		snprintf(buf, sizeof(buf), "%s/%s", cfg->dir, module);
	if (access(buf, F_OK) < 0) {
		snprintf(err, errlen, "%s: %s", buf, strerror(errno));
		return -1;
	}
	if ((*path = strdup(buf)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", buf);
		return -1;
	}
	return 0;
}

/* The i-th folder a bare module name is looked for in: module_path's, from
 * the configuration's folder unless absolute, then the default module
 * folder unless module_path names it.  0, or -1 past the last. */
static int
config_module_folder(const struct config *cfg, size_t i, char *buf, size_t len)
{
	const char *d;

	if (i > cfg->nmodule_path)
		return -1;
	d = i < cfg->nmodule_path ? cfg->module_path[i] : paths_module_dir();
	for (size_t j = 0; i == cfg->nmodule_path && j < i; j++)
		if (strcmp(cfg->module_path[j], d) == 0)
			return -1;
	if (*d == '/' || cfg->dir == NULL)
		snprintf(buf, len, "%s", d);
	else
		snprintf(buf, len, "%s/%s", cfg->dir, d);
	return 0;
}

int
config_find_module(const struct config *cfg, const char *module, char **path,
    char *err, size_t errlen)
{
	char dir[PATH_MAX], buf[PATH_MAX + NAME_MAX];
	size_t i, n;

	*path = NULL;
	if (strchr(module, '/'))
		return config_find_module_file(cfg, module, path, err, errlen);
	for (i = 0; config_module_folder(cfg, i, dir, sizeof(dir)) == 0; i++) {
		snprintf(buf, sizeof(buf), "%s/%s.so", dir, module);
		if (access(buf, F_OK) < 0)
			continue;
		if ((*path = strdup(buf)) != NULL)
			return 0;
		snprintf(err, errlen, "%s: out of memory", buf);
		return -1;
	}
	n = (size_t)snprintf(err, errlen,
	    "module \"%s\" not found: no %s.so in", module, module);
	for (i = 0;
	     n < errlen && config_module_folder(cfg, i, dir, sizeof(dir)) == 0;
	     i++)
		n += (size_t)snprintf(
		    err + n, errlen - n, "%s %s", i ? "," : "", dir);
	return -1;
}

const struct service_conf *
config_service(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nservices; i++)
		if (strcmp(cfg->services[i].name, name) == 0)
			return &cfg->services[i];
	return NULL;
}

int
config_load(const char *file, struct config *cfg, char *err, size_t errlen)
{
	struct parse p = {cfg, err, errlen, NULL};
	config_t lc;
	int rc = -1;

	memset(cfg, 0, sizeof(*cfg));
	if ((cfg->file = strdup(file)) == NULL ||
	    (cfg->dir = config_dirname(file)) == NULL ||
	    keys_default(config_keys, cfg, NULL, NULL) < 0) {
		snprintf(err, errlen, "%s: out of memory", file);
		config_free(cfg);
		return -1;
	}
	config_init(&lc);
	config_set_include_dir(&lc, cfg->dir);
	if (config_read_file(&lc, file) != CONFIG_TRUE) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read: %s", file,
			    strerror(errno));
		else
			snprintf(err, errlen, "%s:%d: %s",
			    config_error_file(&lc) ? config_error_file(&lc)
			                           : file,
			    config_error_line(&lc), config_error_text(&lc));
		goto out;
	}
	rc = config_walk(&p, "", config_root_setting(&lc), config_keys, cfg);
out:
	config_destroy(&lc);
	if (rc < 0)
		config_free(cfg);
	return rc;
}

void
config_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->nservices; i++) {
		struct service_conf *sc = &cfg->services[i];

		keys_free(service_keys, sc);
		for (size_t j = 0; j < sc->noptions; j++) {
			free(sc->options[j].name);
			free(sc->options[j].str);
			strv_free(sc->options[j].list);
		}
		free(sc->options);
		free(sc->addrs);
		free(sc->module_file);
		accesslog_format_free(sc->access_format);
		tls_conf_free(sc->tls);
		free(sc->fingerprint);
	}
	free(cfg->services);
	keys_free(config_keys, cfg);
	free(cfg->file);
	free(cfg->dir);
	memset(cfg, 0, sizeof(*cfg));
}
