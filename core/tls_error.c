/* tls_error.c - OpenSSL's error queue read into one short reason. */
#include "tls_error.h"

#include <stdio.h>

#include <openssl/err.h>

const char *
tls_error_reason(char *buf, size_t len)
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
