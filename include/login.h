/*
 * login.h - the login limits, for every endpoint that checks a password
 * (sign-in in ep_login.c, password change in ep_password.c): one rule, in
 * ep_login.c.
 */
#ifndef SESSIONGW_LOGIN_H
#define SESSIONGW_LOGIN_H

#include <stdbool.h>

#include "request.h"

/*
 * Is username, or this client's address, locked out now? 0 no; else the
 * answer was made (429 + Retry-After, a page when html) and its stage
 * result is returned.
 */
int	login_limits_check(struct request *, const char *username, bool html);
/*
 * Count one failed password check for username and this client's address,
 * with its metric and `login_failure` audit line (detail.reason). 0, or
 * -1 on a store fault (the caller answers with request_db_fail).
 */
int	login_failure_record(struct request *, const char *username,
	    const char *reason);

#endif
