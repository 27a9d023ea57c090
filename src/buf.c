/*
 * buf.c - the growable byte buffer (see buf.h for its invariants).
 *
 * Every append goes through buf_grow(), the one place that allocates, so the
 * overflow checks and the sticky failed flag live in one function.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"

#define BUF_MIN_CAP	64

void
buf_init(struct buf *b)
{
	b->initial[0] = '\0';
	b->data = b->initial;
	b->len = 0;
	b->cap = sizeof(b->initial);
	b->failed = false;
}

void
buf_free(struct buf *b)
{
	if (b->data != b->initial)
		free(b->data);
	buf_init(b);
}

/* Keeps the allocation for reuse; a reset buffer is no longer failed. */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->data[0] = '\0';
	b->failed = false;
}

bool
buf_failed(const struct buf *b)
{
	return b->failed;
}

/* Make room for extra more bytes plus the NUL. 0, or -1 and failed. */
static int
buf_grow(struct buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->failed)
		return -1;
	if (extra > SIZE_MAX - b->len - 1)
		goto fail;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap < BUF_MIN_CAP ? BUF_MIN_CAP : b->cap;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	/*
	 * Not realloc(): a buffer may hold a password or a token, and realloc
	 * would leave the old copy in freed memory. Copy, then wipe the old.
	 */
	if ((p = malloc(cap)) == NULL)
		goto fail;
	memcpy(p, b->data, b->len + 1);
	if (b->data != b->initial) {
		sodium_memzero(b->data, b->cap);
		free(b->data);
	}
	b->data = p;
	b->cap = cap;
	return 0;
fail:
	b->failed = true;
	return -1;
}

void
buf_append(struct buf *b, const void *p, size_t n)
{
	if (n == 0 || buf_grow(b, n) == -1)
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_putc(struct buf *b, char c)
{
	buf_append(b, &c, 1);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap, ap2;
	size_t avail;
	int n;

	if (b->failed)
		return;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	avail = b->cap - b->len;
	n = vsnprintf(b->data + b->len, avail, fmt, ap);
	if (n < 0) {
		b->failed = true;
		goto out;
	}
	if ((size_t)n >= avail) {
		/* Did not fit: grow to the exact size and format again. */
		b->data[b->len] = '\0';
		if (buf_grow(b, (size_t)n) == -1)
			goto out;
		if (vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2) != n) {
			b->data[b->len] = '\0';
			b->failed = true;
			goto out;
		}
	}
	b->len += (size_t)n;
out:
	va_end(ap2);
	va_end(ap);
}

void
buf_html_escape(struct buf *b, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *rep;

		switch (*s) {
		case '&':  rep = "&amp;"; break;
		case '<':  rep = "&lt;"; break;
		case '>':  rep = "&gt;"; break;
		case '"':  rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default:   continue;
		}
		buf_append(b, run, (size_t)(s - run));
		buf_puts(b, rep);
		run = s + 1;
	}
	buf_append(b, run, (size_t)(s - run));
}

/*
 * The caller owns the result (free()). An empty buffer still yields a heap
 * string; NULL only if the buffer had failed or the copy cannot be made.
 * Either way the buffer is left empty and usable.
 */
char *
buf_detach(struct buf *b, size_t *lenp)
{
	char *s = NULL;
	size_t len = 0;

	if (b->failed)
		goto out;
	len = b->len;
	if (b->data == b->initial) {
		if ((s = malloc(1)) != NULL)
			s[0] = '\0';
	} else {
		s = b->data;
		b->data = b->initial;
	}
out:
	if (s == NULL)
		len = 0;
	if (lenp != NULL)
		*lenp = len;
	buf_free(b);
	return s;
}
