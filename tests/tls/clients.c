/* clients.c - the TLS tests' clients: commands run through the shell,
 * and a blocking OpenSSL client of their own. */
#include "clients.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "certs.h"
#include "harness.h"

const char tls_seed_clients[] = TLS_SEED_CLIENTS;

const char *
tls_client_py(void)
{
	static char cmd[600];

	snprintf(cmd, sizeof(cmd), "'%s' '%s' --ca '%s/ca.pem'", TLS_PYTHON,
	    TLS_CLIENT_PY, tls_certs);
	return cmd;
}

/* The input in a file of its own, for the command's standard input. */
static int
tls_input_file(char *path, size_t size, const char *input)
{
	int fd;

	snprintf(path, size, "/tmp/modserv-input.XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		return -1;
	if (input &&
	    write(fd, input, strlen(input)) != (ssize_t)strlen(input)) {
		close(fd);
		unlink(path);
		return -1;
	}
	return close(fd);
}

int
tls_run(char *out, size_t size, const char *dir, const char *input,
    const char *fmt, ...)
{
	char cmd[4096], shell[4400], in[64];
	size_t len = 0, n;
	va_list ap;
	FILE *p;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (tls_input_file(in, sizeof(in), input) < 0)
		return -1;
	snprintf(
	    shell, sizeof(shell), "cd '%s' && (%s) <'%s' 2>&1", dir, cmd, in);
	if ((p = popen(shell, "r")) == NULL) {
		unlink(in);
		return -1;
	}
	while ((n = fread(out + len, 1, size - 1 - len, p)) > 0) {
		len += n;
		if (len == size - 1) { /* keep the newer half */
			memmove(out, out + len / 2, len - len / 2);
			len -= len / 2;
		}
	}
	out[len] = '\0';
	status = pclose(p);
	unlink(in);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static SSL_CTX *
tls_client_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	char ca[300];

	snprintf(ca, sizeof(ca), "%s/ca.pem", tls_certs);
	if (ctx == NULL || SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

int
tls_line(const char *addr, const char *text, char *reply, size_t size)
{
	SSL_CTX *ctx = tls_client_ctx();
	SSL *ssl = NULL;
	int fd = client_connect(strchr(addr, '/') ? "unix" : "tcp", addr);
	int len = 0, n = 0;

	reply[0] = '\0';
	if (ctx == NULL || fd < 0 || (ssl = SSL_new(ctx)) == NULL ||
	    SSL_set_fd(ssl, fd) != 1 ||
	    SSL_set_tlsext_host_name(ssl, "a.example") != 1 ||
	    SSL_set1_host(ssl, "a.example") != 1 || SSL_connect(ssl) != 1 ||
	    SSL_write(ssl, text, (int)strlen(text)) <= 0)
		goto failed;
	while (len < (int)size - 1 && (len == 0 || reply[len - 1] != '\n') &&
	       (n = SSL_read(ssl, reply + len, (int)size - 1 - len)) > 0)
		len += n;
	reply[len] = '\0';
	if (len == 0)
		goto failed;
	SSL_shutdown(ssl);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	return len;
failed:
	snprintf(reply, size, "no reply: ");
	ERR_error_string_n(
	    ERR_get_error(), reply + strlen(reply), size - strlen(reply));
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return -1;
}

const char *
tls_srv_addr(const char *service)
{
	for (int i = 0; i < srv.nlisten; i++)
		if (strcmp(srv.service[i], service) == 0)
			return srv.addr[i];
	fail_msg("no listener for %s", service);
	return NULL;
}

int
tls_srv_teardown(void **state)
{
	int rc = server_stop(&srv);

	if (rc != 0)
		fprintf(stderr, "modserv exit status %d; its log:\n%s\n", rc,
		    srv.log);
	server_cleanup(&srv);
	tls_certs_teardown(state);
	return rc == 0 ? 0 : -1;
}
