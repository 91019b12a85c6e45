/* tls_text.c - OpenSSL's error queue and times as text. */
#include "tls_text.h"

#include <stdio.h>

#include <openssl/bio.h>
#include <openssl/err.h>

const char *
tls_text_error(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();
	const char *reason = e ? ERR_reason_error_string(e) : NULL;

	if (e == 0)
		snprintf(buf, len, "no reason given");
	else if (reason)
		snprintf(buf, len, "%s", reason);
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

const char *
tls_text_time(const ASN1_TIME *at, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n = 0;

	if (b && ASN1_TIME_print(b, at) == 1)
		n = BIO_read(b, buf, (int)len - 1);
	buf[n > 0 ? n : 0] = '\0';
	BIO_free(b);
	return buf;
}
