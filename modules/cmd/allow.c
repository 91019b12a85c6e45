/* allow.c - reads an allow entry word by word, where "[" and "]" are words
 * of their own, and matches a request's words against it (allow.h). */
#include <stdio.h>
#include <string.h>

#include "allow.h"

struct allow_word {
	const char *p;
	size_t len;
};

static int
allow_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The next word of *s into w, advancing *s; 0 at the end. */
static int
allow_next(const char **s, struct allow_word *w)
{
	const char *p = *s;

	while (allow_blank(*p))
		p++;
	if (*p == '\0')
		return 0;
	w->p = p;
	if (*p == '[' || *p == ']')
		p++;
	else
		while (*p && !allow_blank(*p) && *p != '[' && *p != ']')
			p++;
	w->len = (size_t)(p - w->p);
	*s = p;
	return 1;
}

static int
allow_is(const struct allow_word *w, const char *text)
{
	return w->len == strlen(text) && memcmp(w->p, text, w->len) == 0;
}

int
allow_check(const char *entry, char *err, size_t errlen)
{
	const char *start = entry;
	struct allow_word w;
	int words = 0, open = 0, closed = 0;

	while (allow_next(&entry, &w)) {
		const char *why = NULL;

		if (closed)
			why = "nothing may follow \"]\"";
		else if (words == 0 && memchr(w.p, '/', w.len) && w.p[0] != '/')
			why = "a command is a name on PATH or a path from /";
		else if (allow_is(&w, "[") && w.p > start &&
		         !allow_blank(w.p[-1]))
			why = "\"[\" must follow a blank";
		else if (allow_is(&w, "[") && (words == 0 || open))
			why = words == 0 ? "names no command before \"[\""
			                 : "a second \"[\"";
		else if (allow_is(&w, "]") && !open)
			why = "\"]\" without \"[\"";
		if (why) {
			snprintf(err, errlen, "%s", why);
			return -1;
		}
		open |= allow_is(&w, "[");
		closed |= allow_is(&w, "]");
		words++;
	}
	if (words == 0 || open != closed) {
		snprintf(err, errlen, "%s",
		    words == 0 ? "is empty" : "\"[\" without \"]\"");
		return -1;
	}
	return 0;
}

/* 1 if arg is one of the words after "[" (at *set) up to "]". */
static int
allow_in_set(const char *set, const char *arg)
{
	struct allow_word w;

	while (allow_next(&set, &w) && !allow_is(&w, "]"))
		if (allow_is(&w, arg))
			return 1;
	return 0;
}

int
allow_match(const char *entry, char *const *argv, size_t argc)
{
	struct allow_word w = {"", 0};
	size_t i = 0;

	while (allow_next(&entry, &w) && !allow_is(&w, "[")) {
		if (i >= argc || !allow_is(&w, argv[i]))
			return 0;
		i++;
	}
	if (w.len == 1 && w.p[0] == '[' && i > 0) { /* bracketed arguments */
		size_t first = i;

		for (; i < argc; i++) {
			if (!allow_in_set(entry, argv[i]))
				return 0;
			for (size_t j = first; j < i; j++) /* each once */
				if (strcmp(argv[j], argv[i]) == 0)
					return 0;
		}
		return 1;
	}
	return i == 1 || i == argc; /* a bare name takes any arguments */
}
