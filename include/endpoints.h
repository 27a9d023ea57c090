/*
 * endpoints.h - the HTTP handlers and the route table that names them.
 *
 * A handler has the stage signature: it returns STAGE_DONE with r->res
 * filled, or an error status via request_fail() for the runner to write.
 */
#ifndef SESSIONGW_ENDPOINTS_H
#define SESSIONGW_ENDPOINTS_H

#include "request.h"

typedef int (*handler_fn)(struct request *);

/* Route flags. */
#define RF_SESSION	0x01	/* needs a valid session: 401 otherwise */
#define RF_NO_ORIGIN	0x02	/* exempt from the Origin check (validate) */
#define RF_ANY_METHOD	0x04	/* every method (validate) */
#define RF_PAGE		0x08	/* HTML page: without session 303 to login */
#define RF_ADMIN	0x10	/* admins only: 403 otherwise */
#define RF_PUBLIC	0x20	/* no session lookup at all (healthz...) */
#define RF_PASSWORD	0x40	/* checks a password: runs on the password
				   pool, never on a FastCGI worker */

/* Find the route for r->method and r->path; sets r->route, r->arg.
 * 0 found; 404 no such path; 405 path known, method not (Allow set). */
int	route_resolve(struct request *);

struct route {
	const char	*name;		/* for metrics */
	enum method	 method;
	const char	*pattern;	/* '*' = one segment, '**' = the
					   rest of the path, may be empty */
	handler_fn	 handler;
	unsigned	 flags;
};

extern const struct route routes[];
extern const int nroutes;

int	ep_validate(struct request *);
int	ep_login(struct request *);
int	ep_login_page(struct request *);
int	ep_login_otp(struct request *);
int	ep_mfa_info(struct request *);
int	ep_mfa_enrol(struct request *);
int	ep_password(struct request *);
int	ep_logout(struct request *);
int	ep_logout_all(struct request *);
int	ep_session_info(struct request *);
int	ep_sessions_list(struct request *);
int	ep_session_revoke(struct request *);
int	ep_session_revoke_form(struct request *);
int	ep_account_page(struct request *);
int	ep_static(struct request *);
int	ep_healthz(struct request *);
int	ep_metrics(struct request *);
int	ep_cache_get(struct request *);
int	ep_cache_put(struct request *);
int	ep_cache_delete(struct request *);
int	ep_global_get(struct request *);
int	ep_global_put(struct request *);
int	ep_global_delete(struct request *);

#endif
