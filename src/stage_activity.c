/*
 * stage_activity.c - activity tracking for a valid session.
 *
 * Records last_seen, the client's address and user agent and the request
 * count, and slides the idle expiry when save_every_request is on. The row
 * is written at most once a second per session (seconds are the unit of
 * every timestamp), which keeps expiry exact to the second while sparing
 * the database a write per request; [session] activity_interval = N
 * writes it at most once every N seconds (at scale: bench/README.md). A changed client address is audited,
 * and with ip_change = logout ends the session.
 *
 * These are bookkeeping writes (store_health_bookkeeping): they wait at
 * most STORE_WAIT_BOOKKEEPING_MS for another writer and are skipped on a
 * busy or full store, so validate answers from what it read ("Degrade,
 * don't fail", SPEC).
 */
#include <string.h>

#include <cJSON.h>

#include "audit.h"
#include "metrics.h"
#include "server.h"
#include "session_ops.h"
#include "session.h"
#include "stage.h"

/*
 * With ip_change = logout the session ends here. When the store is busy
 * or full the row cannot be deleted now, but this request is refused all
 * the same (fail closed); the next request from the new address finds the
 * old address in the row and tries again.
 */
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
	if (store_health_bookkeeping(&r->w->srv->store_health, r->w->store,
	    r->now, bookkeeping_delete, r->sess.hash) == STORE_ERROR)
		return request_db_fail(r);
	r->sess_state = SESS_INVALID;
	r->sess_seen_invalid = true;
	r->vresult = VR_IP_CHANGED;
	return STAGE_NEXT;
}

/*
 * Write the activity. A busy or full store skips the write (counted), as
 * does the backoff after one (store_health.h): the request is judged on
 * the row as read, and as last_seen did not move, a later request writes
 * it. The in-memory copy goes back to what was read, so no cookie Max-Age
 * slides past the expiry the row really holds.
 */
static int
touch(struct request *r, const struct session *read)
{
	struct store_health *h = &r->w->srv->store_health;
	int rc = store_health_bookkeeping(h, r->w->store, r->now,
	    bookkeeping_touch, &r->sess);

	if (rc == STORE_ERROR)
		return request_db_fail(r);
	if (rc != STORE_SKIPPED) {
		r->sess_touched = true;
		return STAGE_NEXT;
	}
	atomic_fetch_add(&h->activity_skipped, 1);
	r->sess = *read;
	r->sess_slid = false;
	return STAGE_NEXT;
}

int
stage_activity(struct request *r)
{
	const struct config *cfg = &r->w->srv->cfg;
	struct session *s = &r->sess, read;
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
	expires = cfg->save_every_request ?
	    r->now + session_idle_limit(cfg, s) :
	    s->created_at + session_idle_limit(cfg, s);
	/*
	 * Written less than activity_interval seconds ago (1: this second):
	 * skip. The stored expiry then lags the real activity by less than
	 * the interval, never leads it, and cross_check keeps the interval
	 * at most half of cookie_age, so an active session never lapses.
	 */
	if (r->now >= s->last_seen &&
	    r->now - s->last_seen < cfg->activity_interval && !moved_ip &&
	    strncmp(s->user_agent, r->user_agent, sizeof s->user_agent - 1) == 0)
		return STAGE_NEXT;
	read = *s;
	r->sess_slid = expires != s->expires_at;
	s->expires_at = expires;
	s->last_seen = r->now;
	s->request_count++;
	snprintf(s->ip, sizeof s->ip, "%s", r->remote_addr);
	snprintf(s->user_agent, sizeof s->user_agent, "%s", r->user_agent);
	return touch(r, &read);
}
