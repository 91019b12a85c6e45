/* environ.c - the environment of a program run for a request (ms_exec, cmd):
 * a standard PATH, the UCSPI variables, mod_ssl's on a TLS request, what
 * the module sets or passes of modserv's own, nothing else; and the
 * program's lookup on that PATH. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "request.h"
#include "request_tls.h"
#include "tls_vars.h"

extern char **environ;

/* Readable and searchable by any user, unlike root's PATH may be. */
#define ENVIRON_PATH "PATH=/usr/local/bin:/usr/bin:/bin"
#define ENVIRON_UCSPI 8     /* variables of a connection at most */
#define ENVIRON_VAR_MAX 160 /* bytes of one, NUL included */
#define ENVIRON_TLS 16      /* TLS variables at most */

/* "NAME=value" of one UCSPI variable, into vars[*n]. */
static void environ_var(char vars[][ENVIRON_VAR_MAX], size_t *n,
    const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
environ_var(char vars[][ENVIRON_VAR_MAX], size_t *n, const char *name,
    const char *fmt, ...)
{
	int len = snprintf(vars[*n], ENVIRON_VAR_MAX, "%s=", name);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vars[*n] + len, (size_t)(ENVIRON_VAR_MAX - len), fmt, ap);
	va_end(ap);
	(*n)++;
}

/* TCP<side>IP and TCP<side>PORT of the inet address sa. */
static void
environ_tcp(char vars[][ENVIRON_VAR_MAX], size_t *n, const char *side,
    const struct sockaddr *sa)
{
	char host[INET6_ADDRSTRLEN], name[16];
	int port = addr_inet_host(sa, host, sizeof(host));

	if (port < 0)
		return;
	snprintf(name, sizeof(name), "TCP%sIP", side);
	environ_var(vars, n, name, "%s", host);
	snprintf(name, sizeof(name), "TCP%sPORT", side);
	environ_var(vars, n, name, "%d", port);
}

/* The UCSPI variables for r's connection; their number. */
static size_t
environ_ucspi(struct ms_request *r, char vars[][ENVIRON_VAR_MAX])
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	size_t n = 0;

	environ_var(vars, &n, "MODSERV_SERVICE", "%s", ms_service_name(r->svc));
	if (r->peer.ss_family == AF_UNIX) {
		struct ucred cred;
		socklen_t clen = sizeof(cred);

		environ_var(vars, &n, "PROTO", "UNIX");
		if (getsockopt(conn_fd(&r->conn), SOL_SOCKET, SO_PEERCRED,
		        &cred, &clen) == 0) {
			environ_var(
			    vars, &n, "UNIXREMOTEPID", "%d", (int)cred.pid);
			environ_var(vars, &n, "UNIXREMOTEEUID", "%u", cred.uid);
			environ_var(vars, &n, "UNIXREMOTEEGID", "%u", cred.gid);
		}
		return n;
	}
	environ_var(vars, &n, "PROTO", "TCP");
	environ_tcp(vars, &n, "REMOTE", (struct sockaddr *)&r->peer);
	if (getsockname(conn_fd(&r->conn), (struct sockaddr *)&ss, &len) == 0)
		environ_tcp(vars, &n, "LOCAL", (struct sockaddr *)&ss);
	return n;
}

/* "NAME=value" of each TLS variable r has a value for (none on plaintext)
 * at out[i], in *block, one allocation the caller frees: their number, or
 * -1 (ENOMEM). */
static long
environ_tls(struct ms_request *r, const char **out, char **block)
{
	size_t bytes = 0;
	long n = 0;
	char *at;

	*block = NULL;
	for (size_t i = 0; i < ENVIRON_TLS && tls_var_name(i); i++) {
		const char *v = request_tls_var(r, i);

		if (v)
			bytes += strlen(tls_var_name(i)) + strlen(v) + 2;
	}
	if (bytes == 0)
		return 0;
	if ((*block = at = malloc(bytes)) == NULL)
		return -1;
	for (size_t i = 0; i < ENVIRON_TLS && tls_var_name(i); i++) {
		const char *v = request_tls_var(r, i);

		if (v == NULL)
			continue;
		out[n++] = at;
		at += sprintf(at, "%s=%s", tls_var_name(i), v) + 1;
	}
	return n;
}

/* modserv's own "NAME=value" of the bare name, or NULL. */
static const char *
environ_own(const char *name)
{
	size_t n = strlen(name);

	for (char **e = environ; *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e;
	return NULL;
}

/* Adds entry to out[*k] unless a variable of its name is there already. */
static void
environ_add(const char **out, size_t *k, const char *entry)
{
	size_t n;

	if (entry == NULL || (n = strcspn(entry, "=")) == 0)
		return;
	for (size_t i = 0; i < *k; i++)
		if (strncmp(out[i], entry, n) == 0 && out[i][n] == '=')
			return;
	out[(*k)++] = entry;
}

/* The entries in order of precedence, each name once; their number. */
static size_t
environ_pick(const char **out, char vars[][ENVIRON_VAR_MAX], size_t nvars,
    const char *const *tls, size_t ntls, const char *const *env)
{
	size_t k = 0;

	for (size_t i = 0; i < nvars; i++)
		environ_add(out, &k, vars[i]);
	for (size_t i = 0; i < ntls; i++)
		environ_add(out, &k, tls[i]);
	for (size_t i = 0; env && env[i]; i++)
		if (strchr(env[i], '='))
			environ_add(out, &k, env[i]);
	for (size_t i = 0; env && env[i]; i++)
		if (!strchr(env[i], '='))
			environ_add(out, &k, environ_own(env[i]));
	environ_add(out, &k, ENVIRON_PATH);
	return k;
}

char **
ms_environ(ms_request *req, const char *const *env)
{
	char vars[ENVIRON_UCSPI][ENVIRON_VAR_MAX], **out, *at, *tls_block;
	const char *tls[ENVIRON_TLS], **pick;
	size_t nenv = 0, k, bytes = 0;
	long ntls;

	while (env && env[nenv])
		nenv++;
	if ((ntls = environ_tls(req, tls, &tls_block)) < 0)
		return NULL;
	pick = calloc(ENVIRON_UCSPI + (size_t)ntls + nenv + 1, sizeof(*pick));
	if (pick == NULL) {
		free(tls_block);
		return NULL;
	}
	k = environ_pick(
	    pick, vars, environ_ucspi(req, vars), tls, (size_t)ntls, env);
	for (size_t i = 0; i < k; i++)
		bytes += strlen(pick[i]) + 1;
	/* the strings after the pointers: one free() releases all */
	if ((out = malloc((k + 1) * sizeof(char *) + bytes)) != NULL) {
		at = (char *)(out + k + 1);
		for (size_t i = 0; i < k; i++) {
			out[i] = strcpy(at, pick[i]);
			at += strlen(pick[i]) + 1;
		}
		out[k] = NULL;
	}
	free(pick);
	free(tls_block);
	return out;
}

/* The value of envp's PATH (ms_environ always gives one). */
static const char *
environ_path(char *const *envp)
{
	for (; envp && *envp; envp++)
		if (strncmp(*envp, "PATH=", 5) == 0)
			return *envp + 5;
	return "";
}

/* 1 if file is a regular file we may execute, 0 if there is none, -1 if
 * there is one we may not execute. */
static int
environ_runnable(const char *file)
{
	struct stat st;

	if (stat(file, &st) < 0)
		return 0; /* missing, or in a folder we may not search */
	if (S_ISREG(st.st_mode) &&
	    faccessat(AT_FDCWD, file, X_OK, AT_EACCESS) == 0)
		return 1;
	return -1;
}

/* Tries each folder of dirs for name, as execvp does. */
static int
environ_search(const char *dirs, const char *name, char *path, size_t pathlen,
    char *err, size_t errlen)
{
	const char *d = dirs;
	int denied = 0;

	for (;;) {
		size_t n = strcspn(d, ":");
		/* an empty element is the current folder, as for execvp */
		int len = snprintf(
		    path, pathlen, "%.*s%s%s", (int)n, d, n ? "/" : "", name);
		int r = (size_t)len < pathlen ? environ_runnable(path) : 0;

		if (r > 0)
			return 0;
		denied |= r < 0;
		if (d[n] == '\0')
			break;
		d += n + 1;
	}
	errno = denied ? EACCES : ENOENT;
	snprintf(err, errlen, "%s in PATH=%s",
	    denied ? "found but not executable" : "not found", dirs);
	return -1;
}

int
ms_program_find(char *const *envp, const char *name, char *path, size_t pathlen,
    char *err, size_t errlen)
{
	if (name[0] == '\0') {
		errno = ENOENT;
		snprintf(err, errlen, "no program named");
		return -1;
	}
	if (strchr(name, '/') == NULL)
		return environ_search(
		    environ_path(envp), name, path, pathlen, err, errlen);
	if ((size_t)snprintf(path, pathlen, "%s", name) >= pathlen) {
		errno = ENAMETOOLONG;
		snprintf(err, errlen, "name too long");
		return -1;
	}
	return 0;
}
