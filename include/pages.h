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
/* 429 page telling to come back later. */
void	page_locked(struct request *, int64_t retry_after);
/*
 * A short error page (status, one escaped message, a link to the sign-in
 * page) with the pages' security headers: the runner's answer to a
 * browser form that was refused.
 */
void	page_error(struct request *, int status, const char *message);
/*
 * True if the request is a browser form: a form body with an rd field or
 * with Accept: text/html. Reads the body (at most LOGIN_BODY_MAX) when no
 * endpoint has yet. The only place that decides page vs. JSON.
 */
bool	wants_html(struct request *);

#endif
