/*
 * stage_route.c - the endpoint stage: the checks every route row asks for
 * (Origin on state-changing requests, a valid session, admin rights), then
 * the handler.
 */
#include <cJSON.h>

#include "audit.h"
#include "endpoints.h"
#include "parse.h"
#include "response.h"
#include "server.h"
#include "session.h"
#include "stage.h"

static bool
state_changing(enum method m)
{
	return m == M_POST || m == M_PUT || m == M_DELETE || m == M_OTHER;
}

/* SPEC: Origin, when present, must match scheme://Host or allowed_origins. */
static int
check_origin(struct request *r)
{
	const struct config *cfg = &r->w->srv->cfg;
	struct audit_rec a = { .event = AUDIT_ORIGIN_REJECTED };

	if (r->origin == NULL || !state_changing(r->method) ||
	    (r->route->flags & RF_NO_ORIGIN))
		return STAGE_NEXT;
	if (origin_allowed(r->origin, r->https, r->host,
	    (const char (*)[256])cfg->allowed_origins, cfg->nallowed_origins))
		return STAGE_NEXT;
	audit_from_request(&a, r);
	a.detail = cJSON_CreateObject();
	if (a.detail != NULL) {
		cJSON_AddStringToObject(a.detail, "origin", r->origin);
		cJSON_AddStringToObject(a.detail, "host", r->host);
		cJSON_AddStringToObject(a.detail, "endpoint", r->route->name);
	}
	audit_write(&a);
	return request_fail(r, 403, "bad_origin",
	    "Origin does not match this site");
}

int
stage_route(struct request *r)
{
	const struct route *rt = r->route;
	int rc;

	if ((rc = check_origin(r)) != STAGE_NEXT)
		return rc;
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
