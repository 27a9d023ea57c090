/*
 * ep_validate.c - ANY /session/validate, the auth_request target.
 *
 * nginx's auth_request accepts only 2xx, 401 and 403 (anything else is a
 * 500 to the client), so this endpoint answers 200 or 401 and, on an
 * internal fault, 500. The user travels back in headers that nginx can
 * pick up with auth_request_set.
 */
#include "endpoints.h"
#include "response.h"
#include "stage.h"

int
ep_validate(struct request *r)
{
	if (r->sess_state != SESS_VALID)
		return request_fail(r, 401, "unauthorized", "no valid session");
	r->res.status = 200;
	r->res.content_type = NULL;
	(void)response_header(r, "X-Session-User", r->user.name);
	response_headerf(r, "X-Session-User-Id", "%lld",
	    (long long)r->user.id);
	(void)response_header(r, "X-Session-Admin", r->user.admin ? "1" : "0");
	return STAGE_DONE;
}
