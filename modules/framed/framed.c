/* framed - the message protocol seed 002 defines against 粘包: a 2-byte
 * big-endian header length, a UTF-8 JSON header with byteorder,
 * content-type, content-encoding and content-length, then the content.
 * Each message is answered in the same framing: text content (content-type
 * text/...) uppercased, anything else returned as is.  A malformed or
 * oversized header, or a content-type or content-encoding that is not a
 * UTF-8 JSON string, is answered with a framed error, and the connection
 * closed.  The two fields come back byte for byte, at any length. */
#include <arpa/inet.h>
#include <errno.h>
#include <iconv.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <modserv.h>

static const struct ms_option framed_options[] = {
    {.name = "max_header",
        .type = MS_OPT_INT,
        .def = "4096",
        .help = "bytes a JSON header may have",
        .min = 2,
        .max = 65535}, /* its length is 2 bytes */
    {.name = "max_content",
        .type = MS_OPT_INT,
        .def = "1048576",
        .help = "bytes a content may have",
        .min = 0,
        .max = LLONG_MAX},
    {0},
};

static const char *const framed_required[] = {
    "byteorder", "content-type", "content-encoding", "content-length"};

/* One message's header, as far as the reply needs it: the parsed header
 * holds the fields' bytes, whole, until the answer is queued. */
struct framed_header {
	json_object *json;
	json_object *type, *encoding; /* JSON strings, valid UTF-8 */
	size_t length;
};

/* The reply's header as text, or NULL when no frame can carry it.  Spaced
 * as the seed's server writes it; compact when only that fits in 2 bytes. */
static const char *
framed_header_text(json_object *h)
{
	const int flags = JSON_C_TO_STRING_NOSLASHESCAPE;
	const char *text;

	text =
	    json_object_to_json_string_ext(h, flags | JSON_C_TO_STRING_SPACED);
	if (strlen(text) > UINT16_MAX)
		text = json_object_to_json_string_ext(h, flags);
	return strlen(text) > UINT16_MAX ? NULL : text;
}

/* Queues one message: header fields, then content; -1 if the header would
 * not fit the 2-byte length. */
static int
framed_send(ms_request *req, json_object *type, json_object *encoding,
    const void *content, size_t n)
{
	json_object *h = json_object_new_object();
	const char *text;
	uint16_t len;

	json_object_object_add(h, "byteorder",
	    json_object_new_string(
	        __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? "little" : "big"));
	json_object_object_add(h, "content-type", json_object_get(type));
	json_object_object_add(
	    h, "content-encoding", json_object_get(encoding));
	json_object_object_add(
	    h, "content-length", json_object_new_int64((int64_t)n));
	if ((text = framed_header_text(h)) == NULL) {
		json_object_put(h);
		return -1;
	}
	len = htons((uint16_t)strlen(text));
	ms_write(req, &len, 2);
	ms_write(req, text, strlen(text));
	ms_write(req, content, n);
	json_object_put(h);
	return 0;
}

static int
framed_error(ms_request *req, const char *why)
{
	json_object *type = json_object_new_string("text/plain");
	json_object *encoding = json_object_new_string("utf-8");
	char body[256];
	int n = snprintf(body, sizeof(body), "error: %s", why);

	framed_send(req, type, encoding, body, (size_t)n);
	json_object_put(type);
	json_object_put(encoding);
	return MS_CLOSE;
}

/* Whether n bytes at s are UTF-8 (RFC 3629: no overlong form, surrogate
 * or code point past U+10FFFF): 1, 0, or -1 if iconv cannot say.  json-c's
 * own check lets all three through; glibc's UTF-32 encoder does not. */
static int
framed_utf8(const char *s, size_t n)
{
	iconv_t cd = iconv_open("UTF-32LE", "UTF-8");
	char out[1024], *in = (char *)s, *o;
	size_t room;
	int ok = 1;

	if (cd == (iconv_t)-1)
		return -1;
	while (ok && n > 0) {
		o = out;
		room = sizeof(out);
		if (iconv(cd, &in, &n, &o, &room) == (size_t)-1 &&
		    errno != E2BIG)
			ok = 0;
	}
	iconv_close(cd);
	return ok;
}

/* A field the reply echoes: a JSON string of UTF-8, or why it is refused. */
static json_object *
framed_field(json_object *h, const char *name, char *why, size_t whylen)
{
	json_object *v;
	int utf8;

	json_object_object_get_ex(h, name, &v);
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(why, whylen, "%s is not a JSON string", name);
		return NULL;
	}
	utf8 = framed_utf8(
	    json_object_get_string(v), (size_t)json_object_get_string_len(v));
	if (utf8 == 1)
		return v;
	if (utf8 == 0)
		snprintf(why, whylen, "%s is not valid UTF-8", name);
	else
		snprintf(why, whylen, "%s cannot be checked as UTF-8: %s", name,
		    strerror(errno));
	return NULL;
}

/* Checks the parsed header h; NULL, or why it is refused. */
static const char *
framed_check(json_object *h, long long max_content, struct framed_header *fh)
{
	json_object *v;

	if (!json_object_is_type(h, json_type_object))
		return "the header is not a JSON object";
	for (size_t i = 0; i < 4; i++)
		if (!json_object_object_get_ex(h, framed_required[i], &v))
			return "the header lacks byteorder, content-type, content-encoding or content-length";
	json_object_object_get_ex(h, "content-length", &v);
	if (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return "content-length is not a length";
	if (json_object_get_int64(v) > max_content)
		return "content-length is too large";
	fh->length = (size_t)json_object_get_int64(v);
	return NULL;
}

/* Parses and checks a JSON header into fh (free it with json_object_put
 * of fh->json); 0, or -1 with why it is refused. */
static int
framed_parse(const char *text, size_t n, long long max_content,
    struct framed_header *fh, char *why, size_t whylen)
{
	json_tokener *tok = json_tokener_new();
	json_object *h = json_tokener_parse_ex(tok, text, (int)n);
	const char *reason;
	int rc = -1;

	if (h == NULL || json_tokener_get_parse_end(tok) != n)
		reason = "the header is not JSON";
	else
		reason = framed_check(h, max_content, fh);
	if (reason != NULL)
		snprintf(why, whylen, "%s", reason);
	else if ((fh->type = framed_field(h, "content-type", why, whylen)) &&
	         (fh->encoding =
	                 framed_field(h, "content-encoding", why, whylen)))
		rc = 0;
	json_tokener_free(tok);
	if (rc < 0)
		json_object_put(h);
	else
		fh->json = h;
	return rc;
}

/* Queues the answer to one message; -1 if its header cannot be framed. */
static int
framed_answer(ms_request *req, const struct framed_header *fh,
    const unsigned char *content)
{
	int text = strncmp(json_object_get_string(fh->type), "text/", 5) == 0;
	char *out = malloc(fh->length ? fh->length : 1);
	int rc;

	if (out == NULL)
		return 0;
	for (size_t i = 0; i < fh->length; i++)
		out[i] = (char)(text && content[i] >= 'a' && content[i] <= 'z'
		                    ? content[i] - 32
		                    : content[i]);
	rc = framed_send(req, fh->type, fh->encoding, out, fh->length);
	free(out);
	return rc;
}

static int
framed_handle(ms_request *req)
{
	ms_service *svc = ms_request_service(req);
	struct framed_header fh;
	const unsigned char *p;
	char why[128];
	size_t n, hlen;
	int rc;

	/* the bytes the first message buffered needs, once its header was
	 * read: not parsed again for every piece of a long content */
	size_t need = (size_t)(uintptr_t)ms_request_data(req);

	/* answer every whole message buffered: they may come glued */
	for (;;) {
		p = ms_peek(req, &n);
		if (n < 2 || n < need)
			break;
		hlen = (size_t)p[0] << 8 | p[1];
		if (hlen == 0 ||
		    (long long)hlen > ms_opt_int(svc, "max_header"))
			return framed_error(req, "header length out of range");
		if (n < 2 + hlen)
			break;
		if (framed_parse((const char *)p + 2, hlen,
		        ms_opt_int(svc, "max_content"), &fh, why,
		        sizeof(why)) < 0)
			return framed_error(req, why);
		if (n < 2 + hlen + fh.length) {
			json_object_put(fh.json);
			ms_request_set_data(
			    req, (void *)(uintptr_t)(2 + hlen + fh.length));
			break;
		}
		need = 0;
		ms_request_set_data(req, NULL);
		rc = framed_answer(req, &fh, p + 2 + hlen);
		json_object_put(fh.json);
		if (rc < 0)
			return framed_error(req,
			    "the reply's header would be longer than 65535 bytes");
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
