/* tls_plan.c - the tls part of `modserv -t`: each service's contexts
 * built once to find what is wrong, and its settings printed. */
#include "tls_plan.h"

#include "tls_ctx.h"

int
tls_plan_check(const struct config *cfg, char *err, size_t errlen)
{
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct service_conf *sc = &cfg->services[i];
		struct tls_ctx *t;

		if (sc->tls == NULL)
			continue;
		if ((t = tls_ctx_new(
		         sc->tls, cfg->file, sc->name, err, errlen)) == NULL)
			return -1;
		tls_ctx_free(t);
	}
	return 0;
}

static const char *
tls_plan_verify_name(int verify)
{
	return verify == TLS_VERIFY_REQUIRED   ? "required"
	       : verify == TLS_VERIFY_OPTIONAL ? "optional"
	                                       : "none";
}

void
tls_plan_print(FILE *out, const struct service_conf *sc)
{
	const struct tls_conf *tc = sc->tls;

	if (tc == NULL)
		return;
	fprintf(out, "    tls certificate %s, key %s\n", tc->certificate.text,
	    tc->key.text);
	fprintf(out, "    tls min_version %s, verify_client %s",
	    tc->min_version == TLS_VERSION_1_3 ? "TLSv1.3" : "TLSv1.2",
	    tls_plan_verify_name(tc->verify_client));
	if (tc->client_ca.text)
		fprintf(out, " (client_ca %s)", tc->client_ca.text);
	fprintf(out, "\n    tls handshake_timeout %g s, session_tickets ",
	    tc->handshake_timeout);
	if (tc->session_tickets)
		fprintf(out, "on (keys rotated every %g s)",
		    tc->session_ticket_rotation);
	else
		fprintf(out, "off");
	fprintf(out, ", ktls %s\n", tc->ktls ? "on" : "off");
	if (tc->ciphers.text)
		fprintf(out, "    tls ciphers \"%s\"\n", tc->ciphers.text);
	if (tc->ciphersuites.text)
		fprintf(out, "    tls ciphersuites \"%s\"\n",
		    tc->ciphersuites.text);
	if (tc->alpn) {
		fprintf(out, "    tls alpn");
		for (char **p = tc->alpn; *p; p++)
			fprintf(out, "%s %s", p == tc->alpn ? "" : ",", *p);
		fprintf(out, "\n");
	}
	for (size_t i = 0; i < tc->nsni; i++)
		fprintf(out, "    tls sni %s: certificate %s, key %s\n",
		    tc->sni[i].name, tc->sni[i].certificate.text,
		    tc->sni[i].key.text);
}
