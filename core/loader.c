/* loader.c - dlopen a module, read its table, refuse it with exact reasons. */
#include "loader.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "transport.h"

/* The size of a 1.0 table: a module built against an older minor of ABI 1
 * has at least this much; one built against ours has exactly ours. */
#define MODULE_SIZE_1_0 sizeof(struct ms_module)

static int
loader_check_abi(const struct ms_module *m, char *why, size_t len)
{
	if (m->abi_major != MODSERV_ABI_MAJOR) {
		snprintf(why, len,
		    "abi_major is %u, this modserv speaks %u: rebuild the "
		    "module against this modserv's modserv.h",
		    m->abi_major, MODSERV_ABI_MAJOR);
		return -1;
	}
	if (m->abi_minor > MODSERV_ABI_MINOR) {
		snprintf(why, len,
		    "abi_minor is %u, newer than this modserv's %u: upgrade "
		    "modserv or rebuild the module against its modserv.h",
		    m->abi_minor, MODSERV_ABI_MINOR);
		return -1;
	}
	if (m->size < MODULE_SIZE_1_0 ||
	    (m->abi_minor == MODSERV_ABI_MINOR &&
	        m->size != sizeof(struct ms_module))) {
		snprintf(why, len,
		    "size is %u, but struct ms_module of ABI %u.%u is %zu "
		    "bytes: the module was not built with MODSERV_MODULE()",
		    m->size, m->abi_major, m->abi_minor,
		    sizeof(struct ms_module));
		return -1;
	}
	if (m->handle == NULL) {
		snprintf(why, len, "it has no handle function");
		return -1;
	}
	if (m->flags & ~(MS_F_STREAM_ONLY | MS_F_DGRAM_ONLY | MS_F_BLOCKING)) {
		snprintf(why, len,
		    "flags 0x%x has bits this modserv does not "
		    "know",
		    m->flags);
		return -1;
	}
	return 0;
}

int
loader_open(
    const char *path, struct loaded_module *lm, char *err, size_t errlen)
{
	char why[512];

	memset(lm, 0, sizeof(*lm));
	dlerror();
	if ((lm->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "%s", dlerror());
		return -1;
	}
	lm->mod = dlsym(lm->handle, "modserv_module");
	if (lm->mod == NULL) {
		snprintf(err, errlen,
		    "%s: no modserv_module symbol: not a modserv module "
		    "(define it with MODSERV_MODULE())",
		    path);
		goto fail;
	}
	if (loader_check_abi(lm->mod, why, sizeof(why)) < 0) {
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

const struct ms_option *
loader_option(const struct ms_module *mod, const char *name)
{
	for (const struct ms_option *o = mod->options; o && o->name; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

const char *
loader_option_type_name(int type)
{
	switch (type) {
	case MS_OPT_STR:
		return "string";
	case MS_OPT_INT:
		return "integer";
	case MS_OPT_BOOL:
		return "boolean";
	case MS_OPT_LIST:
		return "list of strings";
	case MS_OPT_PATH:
		return "path";
	case MS_OPT_ENV:
		return "NAME=value list";
	case MS_OPT_ENV_NAMES:
		return "list of names";
	}
	return "unknown type";
}

int
loader_option_written_as(int type)
{
	if (type == MS_OPT_PATH)
		return MS_OPT_STR;
	if (type == MS_OPT_ENV || type == MS_OPT_ENV_NAMES)
		return MS_OPT_LIST;
	return type;
}

/* 1 if the first n bytes of s are a portable variable name. */
static int
loader_env_name(const char *s, size_t n)
{
	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

/* An MS_OPT_ENV or MS_OPT_ENV_NAMES list: each entry a NAME=value, or a
 * NAME, and no name twice.  0 (also for any other type), or -1 with why. */
static int
loader_check_env(int type, const struct option_value *v, char *why, size_t len)
{
	if (type != MS_OPT_ENV && type != MS_OPT_ENV_NAMES)
		return 0;
	for (size_t i = 0; i < v->nlist; i++) {
		const char *e = v->list[i];
		size_t n = type == MS_OPT_ENV ? strcspn(e, "=") : strlen(e);

		if (type == MS_OPT_ENV && e[n] != '=') {
			snprintf(why, len,
			    "entry %zu \"%s\" has no '=': write NAME=value", i,
			    e);
			return -1;
		}
		if (!loader_env_name(e, n)) {
			snprintf(why, len,
			    "entry %zu \"%s\": \"%.*s\" is not a variable "
			    "name (letters, digits and _, not first a digit)",
			    i, e, (int)n, e);
			return -1;
		}
		for (size_t j = 0; j < i; j++)
			if (strncmp(v->list[j], e, n) == 0 &&
			    (v->list[j][n] == '=' || v->list[j][n] == '\0')) {
				snprintf(why, len,
				    "entry %zu: %.*s is named twice", i, (int)n,
				    e);
				return -1;
			}
	}
	return 0;
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
			    "%s:%d: services.[%zu].options.%s: module %s has "
			    "no option \"%s\" (modserv -M %s lists them)",
			    cfg->file, v->line, sc->index, v->name, mname,
			    v->name, sc->module);
			return -1;
		}
		if (loader_option_written_as(spec->type) != v->type) {
			snprintf(err, errlen,
			    "%s:%d: services.[%zu].options.%s: is a %s, module "
			    "%s takes a %s",
			    cfg->file, v->line, sc->index, v->name,
			    loader_option_type_name(v->type), mname,
			    loader_option_type_name(spec->type));
			return -1;
		}
		if (loader_check_env(spec->type, v, why, sizeof(why)) < 0) {
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
			    "%s:%d: services.[%zu].options: module %s needs "
			    "option \"%s\" (%s: %s)",
			    cfg->file,
			    sc->options_line ? sc->options_line : sc->line,
			    sc->index, mname, spec->name,
			    loader_option_type_name(spec->type),
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
		    "%s:%d: services.[%zu].module: %s serves %s transports "
		    "only, and this service is %s",
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
	for (const struct ms_option *o = m->options; o && o->name; o++)
		fprintf(out, "  %-16s %-15s %s%s%s%s\n", o->name,
		    loader_option_type_name(o->type),
		    o->required ? "required" : "default ",
		    o->required ? "" : (o->def ? o->def : "(none)"),
		    o->help ? "  - " : "", o->help ? o->help : "");
}

void
loader_close(struct loaded_module *lm)
{
	if (lm->handle)
		dlclose(lm->handle);
	free(lm->path);
	memset(lm, 0, sizeof(*lm));
}
