/*
 * buf.h - one growable byte buffer for responses, JSON and headers.
 *
 * Invariants (after buf_init and until buf_free):
 *   - data is never NULL and is always NUL-terminated at data[len];
 *   - len < cap;
 *   - after an allocation failure the buffer is marked failed: every later
 *     append is a no-op and buf_failed() returns true, so callers may append
 *     freely and check once at the end.
 * The buffer owns data; buf_detach() hands it to the caller.
 */
#ifndef SESSIONGW_BUF_H
#define SESSIONGW_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	bool	 failed;
	char	 initial[1];	/* data points here until the first growth */
};

void	 buf_init(struct buf *);
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);
bool	 buf_failed(const struct buf *);
void	 buf_append(struct buf *, const void *, size_t);
void	 buf_puts(struct buf *, const char *);
void	 buf_putc(struct buf *, char);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Append s with &<>"' escaped for HTML text and attribute values. */
void	 buf_html_escape(struct buf *, const char *);
/* Hand the heap string to the caller (who frees it); the buffer is reset. */
char	*buf_detach(struct buf *, size_t *lenp);

#endif
