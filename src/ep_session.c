/*
 * ep_session.c - the caller's own session(s): GET /session,
 * GET /session/sessions, DELETE /session/sessions/HANDLE.
 *
 * Every query is scoped by the user id of the validated session; a handle
 * of another user's session is answered exactly like an unknown one (404).
 */
#include <ctype.h>
#include <string.h>

#include <cJSON.h>

#include "audit.h"
#include "endpoints.h"
#include "response.h"
#include "server.h"
#include "session.h"
#include "session_ops.h"
#include "stage.h"

int
ep_session_info(struct request *r)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return 500;
	cJSON_AddStringToObject(o, "user", r->user.name);
	cJSON_AddNumberToObject(o, "user_id", (double)r->user.id);
	cJSON_AddBoolToObject(o, "admin", r->user.admin);
	cJSON_AddNumberToObject(o, "created_at", (double)r->sess.created_at);
	cJSON_AddNumberToObject(o, "last_seen", (double)r->sess.last_seen);
	cJSON_AddNumberToObject(o, "expires_at", (double)session_expiry(r));
	cJSON_AddStringToObject(o, "ip", r->sess.ip);
	cJSON_AddStringToObject(o, "handle", r->sess.handle);
	response_json(r, 200, o);
	return STAGE_DONE;
}

struct list_ctx {
	cJSON			*arr;
	const struct request	*r;
	int			 failed;
};

static int
add_session(void *arg, const struct session *s)
{
	struct list_ctx *c = arg;
	const struct config *cfg = &c->r->w->srv->cfg;
	int64_t now = c->r->now;
	cJSON *o;

	/* Expired rows wait for cleanup; they are no session any more. */
	if (!session_is_live(s, now, cfg->absolute_age))
		return 0;
	o = cJSON_CreateObject();
	if (o == NULL || !cJSON_AddItemToArray(c->arr, o)) {
		cJSON_Delete(o);
		c->failed = 1;
		return -1;
	}
	if (cJSON_AddStringToObject(o, "handle", s->handle) == NULL ||
	    cJSON_AddNumberToObject(o, "created_at",
	    (double)s->created_at) == NULL ||
	    cJSON_AddNumberToObject(o, "last_seen", (double)s->last_seen) == NULL ||
	    cJSON_AddStringToObject(o, "ip", s->ip) == NULL ||
	    cJSON_AddStringToObject(o, "user_agent", s->user_agent) == NULL ||
	    cJSON_AddBoolToObject(o, "current",
	    strcmp(s->handle, c->r->sess.handle) == 0) == NULL) {
		c->failed = 1;
		return -1;
	}
	return 0;
}

/* Fill arr with the caller's live sessions. 0 or -1. */
int
session_list_json(struct request *r, cJSON *arr)
{
	struct list_ctx c = { .arr = arr, .r = r };

	if (store_session_list(r->w->store, r->user.id, add_session, &c) !=
	    STORE_OK || c.failed)
		return -1;
	return 0;
}

int
ep_sessions_list(struct request *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "sessions");

	if (o == NULL || arr == NULL || session_list_json(r, arr) != 0) {
		cJSON_Delete(o);
		return request_db_fail(r);
	}
	response_json(r, 200, o);
	return STAGE_DONE;
}

bool
handle_valid(const char *s, size_t len)
{
	if (len != SESSION_HANDLE_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]) ||
		    isupper((unsigned char)s[i]))
			return false;
	return true;
}

int
session_revoke_handle(struct request *r, bool *was_current)
{
	char handle[SESSION_HANDLE_LEN + 1];
	struct session gone;
	struct audit_rec a = { .event = AUDIT_SESSION_REVOKED };
	int rc;

	if (!handle_valid(r->arg, r->arg_len))
		return request_fail(r, 404, "not_found", "no such session");
	memcpy(handle, r->arg, SESSION_HANDLE_LEN);
	handle[SESSION_HANDLE_LEN] = '\0';
	rc = store_session_delete_handle(r->w->store, handle, r->user.id,
	    &gone);
	if (rc == STORE_ERROR)
		return request_db_fail(r);
	if (rc == STORE_NOTFOUND)
		return request_fail(r, 404, "not_found", "no such session");
	*was_current = strcmp(handle, r->sess.handle) == 0;
	audit_from_request(&a, r);
	a.detail = cJSON_CreateObject();
	if (a.detail != NULL) {
		cJSON_AddStringToObject(a.detail, "revoked", handle);
		cJSON_AddStringToObject(a.detail, "source", "user");
	}
	audit_write(&a);
	if (*was_current)
		r->sess_state = SESS_NONE;
	return 0;
}

int
ep_session_revoke(struct request *r)
{
	bool current = false;
	int rc = session_revoke_handle(r, &current);

	if (rc != 0)
		return rc;
	if (current)
		cookie_clear_header(r);
	r->res.status = 204;
	return STAGE_DONE;
}
