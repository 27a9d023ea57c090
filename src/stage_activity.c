/*
 * stage_activity.c - activity tracking for a valid session.
 *
 * Records last_seen, the client's address and user agent and the request
 * count, and slides the idle expiry when save_every_request is on. The row
 * is written at most once a second per session (seconds are the unit of
 * every timestamp), which keeps expiry exact to the second while sparing
 * the database a write per request. A changed client address is audited,
 * and with ip_change = logout ends the session.
 */
#include <string.h>

#include <cJSON.h>

#include "audit.h"
#include "metrics.h"
#include "server.h"
#include "session.h"
#include "stage.h"

static int
ip_changed(struct request *r)
{
	const struct config *cfg = &r->w->srv->cfg;
	struct audit_rec a = { .event = AUDIT_IP_CHANGED };

	audit_from_request(&a, r);
	a.detail = cJSON_CreateObject();
	if (a.detail != NULL) {
		cJSON_AddStringToObject(a.detail, "old_ip", r->sess.ip);
		cJSON_AddStringToObject(a.detail, "new_ip", r->remote_addr);
		cJSON_AddStringToObject(a.detail, "action",
		    cfg->ip_change == IP_CHANGE_LOGOUT ? "logout" : "log");
	}
	audit_write(&a);
	if (cfg->ip_change != IP_CHANGE_LOGOUT)
		return STAGE_NEXT;
	if (session_end(r) != 0)
		return 500;
	r->sess_state = SESS_INVALID;
	r->sess_seen_invalid = true;
	r->vresult = VR_IP_CHANGED;
	return STAGE_NEXT;
}

int
stage_activity(struct request *r)
{
	const struct config *cfg = &r->w->srv->cfg;
	struct session *s = &r->sess;
	bool moved_ip;
	int64_t expires;
	int rc;

	if (r->sess_state != SESS_VALID)
		return STAGE_NEXT;
	moved_ip = s->ip[0] != '\0' && strcmp(s->ip, r->remote_addr) != 0;
	if (moved_ip) {
		rc = ip_changed(r);
		if (rc != STAGE_NEXT || r->sess_state != SESS_VALID)
			return rc;
	}
	expires = cfg->save_every_request ? r->now + cfg->cookie_age :
	    s->created_at + cfg->cookie_age;
	if (r->now == s->last_seen && !moved_ip &&
	    strncmp(s->user_agent, r->user_agent, sizeof s->user_agent - 1) == 0)
		return STAGE_NEXT;	/* written this second already */
	r->sess_slid = expires != s->expires_at;
	s->expires_at = expires;
	s->last_seen = r->now;
	s->request_count++;
	snprintf(s->ip, sizeof s->ip, "%s", r->remote_addr);
	snprintf(s->user_agent, sizeof s->user_agent, "%s", r->user_agent);
	if (store_session_touch(r->w->store, s) == STORE_ERROR)
		return request_db_fail(r);
	r->sess_touched = true;
	return STAGE_NEXT;
}
