/*
 * pages.h - the HTML pages served to browsers (sign-in, account, locked).
 *
 * All text placed in a page is HTML-escaped; pages carry the security
 * headers (r->res.html) and their CSS comes from GET /session/static/.
 */
#ifndef SESSIONGW_PAGES_H
#define SESSIONGW_PAGES_H

#include <stdint.h>

#include "request.h"

/* The sign-in form with an optional one-line message. */
void	page_login(struct request *, int status, const char *rd,
	    const char *message);
/* The same, with the username field filled in again (after a failure). */
void	page_login_user(struct request *, int status, const char *rd,
	    const char *message, const char *username);
/* A short error page (503 store busy/full...) for a browser's request. */
void	page_error(struct request *, int status, const char *message);
/* 429 page telling to come back later. */
void	page_locked(struct request *, int64_t retry_after);
/* True if the client asked for HTML (Accept: text/html). */
bool	wants_html(const struct request *);

#endif
