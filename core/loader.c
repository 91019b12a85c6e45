/* loader.c - dlopen a module, read its table, refuse it with exact reasons. */
#include "loader.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "optspec.h"
#include "transport.h"

/* The largest module file copied into memory for its user. */
#define LOADER_COPY_MAX (64 << 20)

/* The size of struct ms_module at each minor of ABI 1: the end of the last
 * field that minor had.  A module built against minor k has at least
 * loader_module_size[k] bytes (one built against ours, exactly sizeof).  A
 * new minor adds its line here, and if it appends to struct ms_option, the
 * layout before it to loader_option_read. */
#define MODULE_END(field)                                                      \
	(offsetof(struct ms_module, field) +                                   \
	    sizeof(((struct ms_module *)0)->field))
static const size_t loader_module_size[] = {
    MODULE_END(finish), /* 1.0 */
    MODULE_END(finish), /* 1.1: functions only */
    MODULE_END(finish), /* 1.2: functions only */
    MODULE_END(finish), /* 1.3: fields of struct ms_option only */
    MODULE_END(finish), /* 1.4: functions, struct ms_limits and
                           ms_option.check only */
    MODULE_END(finish), /* 1.5: functions only */
};
_Static_assert(sizeof(loader_module_size) / sizeof(*loader_module_size) ==
                   MODSERV_ABI_MINOR + 1,
    "loader_module_size needs a line for every minor of ABI 1");

/* struct ms_option as ABI 1.0 to 1.2 laid it out: a table built against
 * those minors has elements of this size, without min, max and choices. */
struct option_1_0 {
	const char *name;
	int type;
	const char *def;
	int required;
	const char *help;
};

/* struct ms_option as ABI 1.3 laid it out: without check. */
struct option_1_3 {
	const char *name;
	int type;
	const char *def;
	int required;
	const char *help;
	long long min, max;
	const char *const *choices;
};

/* The module's table in this host's layout, and its options: what
 * loaded_module.mod points to. */
struct loader_copy {
	struct ms_module mod;
	struct ms_option options[]; /* mod.options; a NULL name ends them */
};

/* The major, the minor and the size: what says how to read the rest. */
static int
loader_check_abi(const struct ms_module *m, char *why, size_t len)
{
	size_t want;

	if (m->abi_major != MODSERV_ABI_MAJOR) {
		snprintf(why, len,
		    "abi_major is %u, this modserv speaks %u: rebuild the module against this modserv's modserv.h",
		    m->abi_major, MODSERV_ABI_MAJOR);
		return -1;
	}
	if (m->abi_minor > MODSERV_ABI_MINOR) {
		snprintf(why, len,
		    "abi_minor is %u, newer than this modserv's %u: upgrade modserv or rebuild the module against its modserv.h",
		    m->abi_minor, MODSERV_ABI_MINOR);
		return -1;
	}
	want = m->abi_minor == MODSERV_ABI_MINOR
	           ? sizeof(struct ms_module)
	           : loader_module_size[m->abi_minor];
	if (m->size < loader_module_size[m->abi_minor] ||
	    (m->abi_minor == MODSERV_ABI_MINOR && m->size != want)) {
		snprintf(why, len,
		    "size is %u, but struct ms_module of ABI %u.%u is %zu bytes: the module was not built with MODSERV_MODULE()",
		    m->size, m->abi_major, m->abi_minor, want);
		return -1;
	}
	return 0;
}

/* Entry i of an option table built against minor, in this host's layout:
 * 1.0 to 1.2 have the shorter entries of struct option_1_0, 1.3 those of
 * struct option_1_3. */
static struct ms_option
loader_option_read(const void *table, unsigned minor, size_t i)
{
	const struct option_1_0 *old = (const struct option_1_0 *)table + i;

	if (minor >= 4)
		return ((const struct ms_option *)table)[i];
	if (minor == 3) {
		const struct option_1_3 *o =
		    (const struct option_1_3 *)table + i;

		return (struct ms_option){.name = o->name,
		    .type = o->type,
		    .def = o->def,
		    .required = o->required,
		    .help = o->help,
		    .min = o->min,
		    .max = o->max,
		    .choices = o->choices};
	}
	return (struct ms_option){.name = old->name,
	    .type = old->type,
	    .def = old->def,
	    .required = old->required,
	    .help = old->help};
}

/* Copies the module's table m, of the layout of its minor, into lm. */
static int
loader_copy_table(struct loaded_module *lm, const struct ms_module *m)
{
	unsigned minor = m->abi_minor;
	struct loader_copy *c;
	size_t n = 0;

	while (m->options && loader_option_read(m->options, minor, n).name)
		n++;
	c = calloc(1, sizeof(*c) + (n + 1) * sizeof(c->options[0]));
	if (c == NULL)
		return -1;
	memcpy(&c->mod, m, loader_module_size[minor]);
	for (size_t i = 0; i < n; i++)
		c->options[i] = loader_option_read(m->options, minor, i);
	c->mod.options = m->options ? c->options : NULL;
	lm->copy = c;
	lm->mod = &c->mod;
	return 0;
}

/* What the table holds, in this host's layout. */
static int
loader_check_table(const struct ms_module *m, char *why, size_t len)
{
	if (m->handle == NULL) {
		snprintf(why, len, "it has no handle function");
		return -1;
	}
	if (m->flags & ~(MS_F_STREAM_ONLY | MS_F_DGRAM_ONLY | MS_F_BLOCKING)) {
		snprintf(why, len,
		    "flags 0x%x has bits this modserv does not know", m->flags);
		return -1;
	}
	return optspec_check_table(m->options, why, len);
}

/* dlopen's reason, with the /proc name of fd replaced by the file's. */
static void
loader_dlerror(const char *path, const char *proc, char *err, size_t errlen)
{
	const char *why = dlerror();
	size_t n = strlen(proc);

	if (why && strncmp(why, proc, n) == 0)
		snprintf(err, errlen, "%s%s", path, why + n);
	else
		snprintf(err, errlen, "%s", why ? why : "dlopen failed");
}

int
loader_open_file(const char *path, char *why, size_t len)
{
	int o = open(path, O_PATH | O_CLOEXEC), fd = -1;
	char proc[32];
	struct stat st;

	if (o < 0) {
		snprintf(why, len, "%s", strerror(errno));
		return -1;
	}
	if (fstat(o, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, len, "not a regular file");
	} else {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o);
		if ((fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
			snprintf(why, len, "%s", strerror(errno));
	}
	close(o);
	return fd;
}

int
loader_copy(int fd, off_t size)
{
	char buf[1 << 16];
	off_t at = 0;
	int copy;

	if (size > LOADER_COPY_MAX) {
		errno = EFBIG;
		return -1;
	}
	if ((copy = memfd_create("modserv-module", MFD_CLOEXEC)) < 0)
		return -1;
	while (at < size) {
		ssize_t n = pread(fd, buf, sizeof(buf), at);

		if (n <= 0 || write(copy, buf, (size_t)n) != n) {
			close(copy);
			return -1;
		}
		at += n;
	}
	return copy;
}

int
loader_open_fd(const char *path, int fd, struct loaded_module *lm, char *err,
    size_t errlen)
{
	const struct ms_module *m;
	char why[1024], proc[32];
	const char *name = path;

	memset(lm, 0, sizeof(*lm));
	/* by its name where this process may read it ($ORIGIN in its
	 * run path keeps working), root's descriptor closed first: what is
	 * at the name now must not find it; else from root's descriptor */
	if (fd >= 0 && access(path, R_OK) == 0) {
		close(fd);
		fd = -1;
	}
	if (fd >= 0) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		name = proc;
	}
	dlerror();
	lm->handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (fd >= 0) /* mapped now, or never */
		close(fd);
	if (lm->handle == NULL) {
		loader_dlerror(path, name, err, errlen);
		return -1;
	}
	if ((m = dlsym(lm->handle, "modserv_module")) == NULL) {
		snprintf(err, errlen,
		    "%s: no modserv_module symbol: not a modserv module (define it with MODSERV_MODULE())",
		    path);
		goto fail;
	}
	if (loader_check_abi(m, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto fail;
	}
	if (loader_copy_table(lm, m) < 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (loader_check_table(lm->mod, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto fail;
	}
	if ((lm->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	return 0;
fail:
	loader_close(lm);
	return -1;
}

int
loader_open(
    const char *path, struct loaded_module *lm, char *err, size_t errlen)
{
	return loader_open_fd(path, -1, lm, err, errlen);
}

const struct ms_option *
loader_option(const struct ms_module *mod, const char *name)
{
	for (const struct ms_option *o = mod->options; o && o->name; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

/* v against the min/max or choices of spec, its declaration: 0, or -1 with
 * "file:line: services.[N].options.NAME: reason (module M: help)" in err. */
static int
loader_check_value(const struct ms_option *spec, const char *mname,
    const struct config *cfg, const struct service_conf *sc,
    const struct option_value *v, char *err, size_t errlen)
{
	char why[600], item[32] = "";
	int rc = 0;

	if (v->type == MS_OPT_INT)
		rc = optspec_check_int(spec, v->num, why, sizeof(why));
	else if (v->type == MS_OPT_STR)
		rc = optspec_check_str(spec, v->str, why, sizeof(why));
	for (size_t i = 0; v->type == MS_OPT_LIST && i < v->nlist && !rc; i++) {
		rc = optspec_check_str(spec, v->list[i], why, sizeof(why));
		if (rc < 0) /* the list's string at fault */
			snprintf(item, sizeof(item), ".[%zu]", i);
	}
	if (rc == 0)
		return 0;
	snprintf(err, errlen,
	    "%s:%d: services.[%zu].options.%s%s: %s (module %s%s%s)", cfg->file,
	    v->line, sc->index, v->name, item, why, mname,
	    spec->help ? ": " : "", spec->help ? spec->help : "");
	return -1;
}

static int
loader_check_options(const struct loaded_module *lm, const struct config *cfg,
    const struct service_conf *sc, char *err, size_t errlen)
{
	const char *mname = lm->mod->name ? lm->mod->name : sc->module;
	const struct ms_option *spec;
	char why[512];

	for (size_t i = 0; i < sc->noptions; i++) {
		const struct option_value *v = &sc->options[i];

		if ((spec = loader_option(lm->mod, v->name)) == NULL) {
			snprintf(err, errlen,
			    "%s:%d: services.[%zu].options.%s: module %s has no option \"%s\" (modserv -M %s lists them)",
			    cfg->file, v->line, sc->index, v->name, mname,
			    v->name, sc->module);
			return -1;
		}
		if (optspec_written_as(spec->type) != v->type) {
			snprintf(err, errlen,
			    "%s:%d: services.[%zu].options.%s: is %s %s, module %s takes %s %s",
			    cfg->file, v->line, sc->index, v->name,
			    optspec_type_article(v->type),
			    optspec_type_name(v->type), mname,
			    optspec_type_article(spec->type),
			    optspec_type_name(spec->type));
			return -1;
		}
		if (spec->required && spec->type == MS_OPT_LIST &&
		    v->nlist == 0) {
			snprintf(err, errlen,
			    "%s:%d: services.[%zu].options.%s: is empty, and module %s needs it (%s)",
			    cfg->file, v->line, sc->index, v->name, mname,
			    spec->help ? spec->help : "a list of strings");
			return -1;
		}
		if (loader_check_value(spec, mname, cfg, sc, v, err, errlen))
			return -1;
		if (optspec_check_env(
		        spec->type, v->list, v->nlist, why, sizeof(why)) < 0) {
			snprintf(err, errlen,
			    "%s:%d: services.[%zu].options.%s: %s", cfg->file,
			    v->line, sc->index, v->name, why);
			return -1;
		}
	}
	for (spec = lm->mod->options; spec && spec->name; spec++) {
		size_t i = 0;

		while (i < sc->noptions &&
		       strcmp(sc->options[i].name, spec->name) != 0)
			i++;
		if (spec->required && i == sc->noptions) {
			snprintf(err, errlen,
			    "%s:%d: services.[%zu].options: module %s needs option \"%s\" (%s: %s)",
			    cfg->file,
			    sc->options_line ? sc->options_line : sc->line,
			    sc->index, mname, spec->name,
			    optspec_type_name(spec->type),
			    spec->help ? spec->help : "");
			return -1;
		}
	}
	return 0;
}

int
loader_check(const struct loaded_module *lm, const struct config *cfg,
    const struct service_conf *sc, char *err, size_t errlen)
{
	unsigned f = lm->mod->flags;
	int stream = sc->transport->socktype == SOCK_STREAM;

	if ((f & MS_F_STREAM_ONLY && !stream) ||
	    (f & MS_F_DGRAM_ONLY && stream)) {
		snprintf(err, errlen,
		    "%s:%d: services.[%zu].module: %s serves %s transports only, and this service is %s",
		    cfg->file, sc->module_line, sc->index, lm->path,
		    stream ? "datagram" : "stream", sc->transport->name);
		return -1;
	}
	return loader_check_options(lm, cfg, sc, err, errlen);
}

int
loader_resolve_paths(const struct loaded_module *lm, const struct config *cfg,
    struct service_conf *sc)
{
	for (size_t i = 0; i < sc->noptions; i++) {
		struct option_value *v = &sc->options[i];
		const struct ms_option *spec = loader_option(lm->mod, v->name);
		char *abs;

		if (spec == NULL || spec->type != MS_OPT_PATH ||
		    v->str[0] == '/' || strcmp(cfg->dir, ".") == 0)
			continue;
		if (asprintf(&abs, "%s/%s", cfg->dir, v->str) < 0)
			return -1;
		free(v->str);
		v->str = abs;
	}
	return 0;
}

void
loader_describe(FILE *out, const struct loaded_module *lm)
{
	const struct ms_module *m = lm->mod;
	unsigned f = m->flags;

	fprintf(out, "module   %s\n", m->name ? m->name : "(unnamed)");
	fprintf(out, "file     %s\n", lm->path);
	fprintf(out, "summary  %s\n", m->summary ? m->summary : "");
	fprintf(out, "abi      %u.%u (struct of %u bytes)\n", m->abi_major,
	    m->abi_minor, m->size);
	fprintf(out, "flags    %s%s%s%s\n",
	    f & MS_F_STREAM_ONLY  ? "stream-only "
	    : f & MS_F_DGRAM_ONLY ? "datagram-only "
	                          : "any-transport ",
	    f & MS_F_BLOCKING ? "blocking" : "non-blocking", "", "");
	fprintf(
	    out, "options%s\n", m->options && m->options->name ? "" : "  none");
	for (const struct ms_option *o = m->options; o && o->name; o++) {
		char limits[600];

		optspec_limits(o, limits, sizeof(limits));
		fprintf(out, "  %-16s %-15s %s%s%s%s%s%s\n", o->name,
		    optspec_type_name(o->type),
		    o->required ? "required" : "default ",
		    o->required ? "" : (o->def ? o->def : "(none)"),
		    limits[0] ? "  " : "", limits, o->help ? "  - " : "",
		    o->help ? o->help : "");
	}
}

void
loader_close(struct loaded_module *lm)
{
	if (lm->handle)
		dlclose(lm->handle);
	free(lm->copy);
	free(lm->path);
	memset(lm, 0, sizeof(*lm));
}
