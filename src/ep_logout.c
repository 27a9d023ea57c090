/*
 * ep_logout.c - POST /session/logout and POST /session/logout-all.
 *
 * A form post (the account page's buttons) is answered with a redirect to
 * the sign-in page; a JSON or empty body keeps the JSON answers.
 */
#include <cJSON.h>

#include "audit.h"
#include "endpoints.h"
#include "parse.h"
#include "response.h"
#include "server.h"
#include "session.h"
#include "session_ops.h"
#include "stage.h"

static void
audit_logout(struct request *r, bool all, int64_t count)
{
	struct audit_rec a = { .event = AUDIT_LOGOUT };

	audit_from_request(&a, r);
	a.detail = cJSON_CreateObject();
	if (a.detail != NULL) {
		cJSON_AddBoolToObject(a.detail, "all", all);
		cJSON_AddNumberToObject(a.detail, "count", (double)count);
	}
	audit_write(&a);
}

int
logout_current(struct request *r)
{
	if (session_end(r) != 0)
		return -1;
	audit_logout(r, false, 1);
	return 0;
}

int
logout_everywhere(struct request *r, int64_t *count)
{
	if (store_session_delete_user(r->w->store, r->user.id, count) ==
	    STORE_ERROR) {
		request_db_fail(r);
		return -1;
	}
	audit_logout(r, true, *count);
	return 0;
}

static int
logout_answer(struct request *r, int64_t count)
{
	cJSON *o;

	r->sess_state = SESS_NONE;
	cookie_clear_header(r);
	if (body_kind_of(r->content_type) == BODY_FORM) {
		response_redirect_login(r);
		return STAGE_DONE;
	}
	o = cJSON_CreateObject();
	if (o != NULL)
		cJSON_AddNumberToObject(o, "revoked", (double)count);
	response_json(r, 200, o);
	return STAGE_DONE;
}

/* Without a session a form post goes to the sign-in page, else 401. */
static int
no_session(struct request *r)
{
	if (body_kind_of(r->content_type) != BODY_FORM)
		return request_fail(r, 401, "unauthorized", "no valid session");
	if (r->sess_seen_invalid)
		cookie_clear_header(r);
	response_redirect_login(r);
	return STAGE_DONE;
}

int
ep_logout(struct request *r)
{
	if (r->sess_state != SESS_VALID)
		return no_session(r);
	if (logout_current(r) != 0)
		return 500;
	return logout_answer(r, 1);
}

int
ep_logout_all(struct request *r)
{
	int64_t count = 0;

	if (r->sess_state != SESS_VALID)
		return no_session(r);
	if (logout_everywhere(r, &count) != 0)
		return 500;
	return logout_answer(r, count);
}
