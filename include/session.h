/*
 * session.h - starting and ending sessions for a request.
 */
#ifndef SESSIONGW_SESSION_H
#define SESSIONGW_SESSION_H

#include "request.h"

/*
 * Start a new session for user on this request: fresh id, row, Set-Cookie,
 * session_created audit. The request's own session fields are replaced.
 * 0 or -1 (database fault; r->err_* set).
 */
int	session_start(struct request *, const struct user *);
/*
 * The same; remember: "keep me signed in" (the caller checked that
 * remember_age is configured): the session's idle limit is remember_age
 * and its cookie carries Max-Age (session_idle_limit()).
 */
int	session_start_remember(struct request *, const struct user *,
	    bool remember);
/* Delete the request's current session row. 0 or -1. */
int	session_end(struct request *);
/* Fill the common audit fields from the request. */
struct audit_rec;
void	audit_from_request(struct audit_rec *, const struct request *);
/* Validated-session key ring helpers (under the server's read lock). */
int	session_verify_tag(struct request *, const unsigned char *id,
	    const unsigned char *tag);
void	session_make_token(struct request *, const unsigned char *id,
	    char *out);

#endif
