/*
 * pages.h - the HTML pages served to browsers (sign-in, account, locked).
 *
 * All text placed in a page is HTML-escaped; pages carry the security
 * headers (r->res.html) and their CSS comes from GET /session/static/.
 */
#ifndef SESSIONGW_PAGES_H
#define SESSIONGW_PAGES_H

#include <stdbool.h>
#include <stdint.h>

#include "request.h"

/*
 * Page scaffolding for the page files: begin (status, <title> and <h1>
 * heading; wide = the account page's layout, else a narrow card), end,
 * and <form method=post action=PREFIX/PATH> with an optional class.
 */
void	page_begin(struct request *, int status, const char *heading,
	    bool wide);
void	page_end(struct request *);
void	form_open(struct request *, const char *path, const char *cls);

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
 * endpoint has yet. The only place that decides page vs. JSON. rd (may be
 * NULL; else rdsz > 0) gets the form's rd field, "" when it has none.
 */
bool	wants_html(struct request *, char *rd, size_t rdsz);

/*
 * The account page (status, and a message for the second-factor section,
 * e.g. after a wrong enrolment code). Returns STAGE_DONE or a status.
 */
int	account_page(struct request *, int status, const char *mfa_message);
/* The same with a message for the password section as well. */
int	account_page_msg(struct request *, int status, const char *mfa_message,
	    const char *password_message);

/* Second factor pages (mfa_pages.c). */
struct mfa_enrolment;
/* The second sign-in page: the code (or a recovery code), rd kept. */
void	page_otp(struct request *, int status, const char *rd,
	    const char *message);
/* Sign-in with totp = required and no factor yet: set it up now. */
void	page_enrol_signin(struct request *, int status, const char *rd,
	    const char *message, const struct mfa_enrolment *);
/* The account page's section: QR code, otpauth URI, code field. */
void	page_enrol_section(struct request *, const struct mfa_enrolment *,
	    const char *message);
/* The recovery codes, shown once, and a link on to `next`. */
void	page_recovery_codes(struct request *, const char *next,
	    char codes[][20]);
/* An inline SVG QR code of text (libqrencode). 0 or -1. */
int	qr_svg(struct buf *, const char *text);

#endif
