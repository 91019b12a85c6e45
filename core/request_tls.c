/* request_tls.c - ms_tls_var: mod_ssl's variables of a request's TLS
 * connection (tls_vars.c reads them), each read once and kept with the
 * request, so the string a module is given stays valid until it ends. */
#include "request_tls.h"

#include <stdlib.h>
#include <string.h>

#include "conn_tls.h"
#include "request.h"
#include "tls_vars.h"

/* The longest value kept (a subject's DN); a longer one is cut. */
#define REQUEST_TLS_VALUE_MAX 1024

/* Marks a variable read and found without a value. */
static char request_tls_absent[1];

/* One request's values, index by index of tls_var_name: NULL not read
 * yet, request_tls_absent read and empty-handed, else its own copy. */
struct request_tls {
	size_t n;
	char *value[];
};

static size_t
request_tls_count(void)
{
	size_t n = 0;

	while (tls_var_name(n))
		n++;
	return n;
}

int
request_tls_on(const struct ms_request *r)
{
	return r->tls ||
	       (!r->await_handshake && conn_tls_ssl(&r->conn) != NULL);
}

/* r's values, made at the first ask; NULL on a plaintext request. */
static struct request_tls *
request_tls_of(struct ms_request *r)
{
	size_t n;

	if (r->tls || !request_tls_on(r))
		return r->tls;
	n = request_tls_count();
	if ((r->tls = calloc(1, sizeof(*r->tls) + n * sizeof(char *))) != NULL)
		r->tls->n = n;
	return r->tls;
}

const char *
request_tls_var(struct ms_request *r, size_t i)
{
	struct request_tls *t = request_tls_of(r);
	char buf[REQUEST_TLS_VALUE_MAX];
	SSL *ssl;

	if (t == NULL || i >= t->n)
		return NULL;
	if (t->value[i] == NULL && (ssl = conn_tls_ssl(&r->conn)) != NULL) {
		if (tls_var(ssl, tls_var_name(i), buf, sizeof(buf)) == NULL)
			t->value[i] = request_tls_absent;
		else
			t->value[i] = strdup(buf); /* NULL: asked again */
	}
	return t->value[i] == request_tls_absent ? NULL : t->value[i];
}

void
request_tls_free(struct ms_request *r)
{
	if (r->tls == NULL)
		return;
	for (size_t i = 0; i < r->tls->n; i++)
		if (r->tls->value[i] != request_tls_absent)
			free(r->tls->value[i]);
	free(r->tls);
	r->tls = NULL;
}

const char *
ms_tls_var(ms_request *req, const char *name)
{
	for (size_t i = 0; name && tls_var_name(i); i++)
		if (strcmp(tls_var_name(i), name) == 0)
			return request_tls_var(req, i);
	return NULL;
}
