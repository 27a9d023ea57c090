/*
 * stage_route.c - the endpoint stage: the checks every route row asks for
 * (a valid session, admin rights), then the handler. The Origin check has
 * its own stage (stage_origin.c), before anything is recorded.
 */
#include "endpoints.h"
#include "parse.h"
#include "response.h"
#include "server.h"
#include "session.h"
#include "stage.h"

int
stage_route(struct request *r)
{
	const struct route *rt = r->route;

	if ((rt->flags & RF_PAGE) && r->sess_state != SESS_VALID) {
		response_redirect_login(r);
		return STAGE_DONE;
	}
	if ((rt->flags & RF_SESSION) && r->sess_state != SESS_VALID)
		return request_fail(r, 401, "unauthorized",
		    "no valid session");
	if ((rt->flags & RF_ADMIN) && !r->user.admin)
		return request_fail(r, 403, "forbidden",
		    "admin rights required");
	return rt->handler(r);
}
