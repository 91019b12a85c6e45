/* framed - the message protocol seed 002 defines against 粘包: a 2-byte
 * big-endian header length, a UTF-8 JSON header with byteorder,
 * content-type, content-encoding and content-length, then the content.
 * Each message is answered in the same framing: text content (content-type
 * text/...) uppercased, anything else returned as is.  A malformed or
 * oversized header is answered with a framed error, and the connection
 * closed. */
#include <arpa/inet.h>
#include <ctype.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <modserv.h>

static const struct ms_option framed_options[] = {
    {"max_header", MS_OPT_INT, "4096", 0, "bytes a JSON header may have",
        .min = 2, .max = 65535}, /* its length is 2 bytes */
    {"max_content", MS_OPT_INT, "1048576", 0, "bytes a content may have",
        .min = 0, .max = LLONG_MAX},
    {NULL, 0, NULL, 0, NULL},
};

static const char *const framed_required[] = {
    "byteorder", "content-type", "content-encoding", "content-length"};

/* One message's header, as far as the reply needs it. */
struct framed_header {
	char type[128], encoding[64];
	size_t length;
};

/* Queues one message: header fields, then content. */
static void
framed_send(ms_request *req, const char *type, const char *encoding,
    const void *content, size_t n)
{
	json_object *h = json_object_new_object();
	const char *text;
	uint16_t len;

	json_object_object_add(h, "byteorder",
	    json_object_new_string(
	        __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? "little" : "big"));
	json_object_object_add(h, "content-type", json_object_new_string(type));
	json_object_object_add(
	    h, "content-encoding", json_object_new_string(encoding));
	json_object_object_add(
	    h, "content-length", json_object_new_int64((int64_t)n));
	text = json_object_to_json_string_ext(
	    h, JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = htons((uint16_t)strlen(text));
	ms_write(req, &len, 2);
	ms_write(req, text, strlen(text));
	ms_write(req, content, n);
	json_object_put(h);
}

static int
framed_error(ms_request *req, const char *why)
{
	char body[256];
	int n = snprintf(body, sizeof(body), "error: %s", why);

	framed_send(req, "text/plain", "utf-8", body, (size_t)n);
	return MS_CLOSE;
}

/* Parses and checks a JSON header; NULL, or why it is refused. */
static const char *
framed_parse(
    const char *text, size_t n, long long max_content, struct framed_header *fh)
{
	json_tokener *tok = json_tokener_new();
	json_object *h = json_tokener_parse_ex(tok, text, (int)n), *v;
	const char *why = NULL;

	if (h == NULL || json_tokener_get_parse_end(tok) != n)
		why = "the header is not JSON";
	else if (!json_object_is_type(h, json_type_object))
		why = "the header is not a JSON object";
	for (size_t i = 0; !why && i < 4; i++)
		if (!json_object_object_get_ex(h, framed_required[i], &v))
			why = "the header lacks byteorder, content-type, "
			      "content-encoding or content-length";
	if (!why) {
		json_object_object_get_ex(h, "content-length", &v);
		if (!json_object_is_type(v, json_type_int) ||
		    json_object_get_int64(v) < 0)
			why = "content-length is not a length";
		else if (json_object_get_int64(v) > max_content)
			why = "content-length is too large";
		else
			fh->length = (size_t)json_object_get_int64(v);
	}
	if (!why) {
		json_object_object_get_ex(h, "content-type", &v);
		snprintf(fh->type, sizeof(fh->type), "%s",
		    json_object_get_string(v));
		json_object_object_get_ex(h, "content-encoding", &v);
		snprintf(fh->encoding, sizeof(fh->encoding), "%s",
		    json_object_get_string(v));
	}
	json_object_put(h);
	json_tokener_free(tok);
	return why;
}

static void
framed_answer(ms_request *req, const struct framed_header *fh,
    const unsigned char *content)
{
	char *out = malloc(fh->length ? fh->length : 1);

	if (out == NULL)
		return;
	for (size_t i = 0; i < fh->length; i++)
		out[i] = (char)(strncmp(fh->type, "text/", 5) == 0 &&
		                        content[i] >= 'a' && content[i] <= 'z'
		                    ? content[i] - 32
		                    : content[i]);
	framed_send(req, fh->type, fh->encoding, out, fh->length);
	free(out);
}

static int
framed_handle(ms_request *req)
{
	ms_service *svc = ms_request_service(req);
	struct framed_header fh;
	const unsigned char *p;
	const char *why;
	size_t n, hlen;

	/* answer every whole message buffered: they may come glued */
	for (;;) {
		p = ms_peek(req, &n);
		if (n < 2)
			break;
		hlen = (size_t)p[0] << 8 | p[1];
		if (hlen == 0 ||
		    (long long)hlen > ms_opt_int(svc, "max_header"))
			return framed_error(req, "header length out of range");
		if (n < 2 + hlen)
			break;
		if ((why = framed_parse((const char *)p + 2, hlen,
		         ms_opt_int(svc, "max_content"), &fh)) != NULL)
			return framed_error(req, why);
		if (n < 2 + hlen + fh.length)
			break;
		framed_answer(req, &fh, p + 2 + hlen);
		ms_consume(req, 2 + hlen + fh.length);
	}
	if (ms_eof(req))
		return n > 0 ? framed_error(req, "the message is cut short")
		             : MS_CLOSE;
	return MS_MORE;
}

MODSERV_MODULE(.name = "framed",
    .summary = "length-prefixed JSON-header messages, text uppercased",
    .flags = MS_F_STREAM_ONLY, .options = framed_options,
    .handle = framed_handle);
