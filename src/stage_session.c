/*
 * stage_session.c - session validation: the cookie becomes a session.
 *
 * Every value of the session cookie is tried in order (a browser may send
 * the name twice, e.g. for two paths); the first that validates wins.
 * The tag is checked before any database read; the database is asked only
 * for sha256(id). A session is valid when its row exists, it is neither
 * idle- nor absolutely expired, and its user exists, is not locked and has
 * not changed password since the login.
 */
#include <sodium.h>
#include <string.h>

#include <cJSON.h>

#include "audit.h"
#include "endpoints.h"
#include "metrics.h"
#include "parse.h"
#include "server.h"
#include "session.h"
#include "stage.h"

#define TRY_VALID	0
#define TRY_INVALID	1
#define TRY_FAULT	(-1)

static void
audit_bad_token(struct request *r, const char *reason)
{
	struct audit_rec a = { .event = AUDIT_SESSION_INVALID_SIGNATURE };

	/* Anyone can send forged cookies: audit_write caps these lines. */
	audit_from_request(&a, r);
	a.detail = cJSON_CreateObject();
	if (a.detail != NULL)
		cJSON_AddStringToObject(a.detail, "reason", reason);
	audit_write(&a);
}

static void
audit_session(struct request *r, enum audit_event ev, const struct session *s,
    const char *reason)
{
	struct audit_rec a = { .event = ev };

	audit_from_request(&a, r);
	a.session = s->handle;
	a.user_id = s->user_id;
	a.detail = cJSON_CreateObject();
	if (a.detail != NULL)
		cJSON_AddStringToObject(a.detail, "reason", reason);
	audit_write(&a);
}

/*
 * Drop a session that can never validate again; its row is useless. This
 * is bookkeeping: it waits the short bound, and a busy or full store
 * leaves the row to cleanup (the answer is 401 either way).
 */
static int
drop(struct request *r, struct session *s, int vresult)
{
	r->vresult = vresult;
	if (store_health_bookkeeping(&r->w->srv->store_health, r->w->store,
	    r->now, bookkeeping_delete, s->hash) == STORE_ERROR)
		return TRY_FAULT;
	return TRY_INVALID;
}

static int
check_row(struct request *r, struct session *s, const struct user *u,
    bool user_found)
{
	const struct config *cfg = &r->w->srv->cfg;

	if (!session_is_live(s, r->now, cfg->absolute_age)) {
		audit_session(r, AUDIT_SESSION_EXPIRED, s,
		    r->now >= s->created_at + cfg->absolute_age ?
		    "absolute" : "idle");
		return drop(r, s, VR_EXPIRED);
	}
	if (!user_found)
		return drop(r, s, VR_REVOKED);
	if (u->locked || u->pw_changed_at != s->pw_changed_at) {
		audit_session(r, AUDIT_SESSION_REVOKED, s,
		    u->locked ? "user_locked" : "password_changed");
		return drop(r, s, VR_REVOKED);
	}
	return TRY_VALID;
}

static int
try_value(struct request *r, const char *val, size_t len, bool *audited)
{
	unsigned char id[SESSION_ID_BYTES], tag[SESSION_TAG_BYTES];
	struct session s;
	struct user u;
	enum token_err te;
	int idx, rc = TRY_INVALID;
	bool user_found = false;

	te = token_parse(val, len, id, tag);
	if (te != TOKEN_OK) {
		r->vresult = VR_MALFORMED;
		if (!*audited)
			audit_bad_token(r, token_strerror(te));
		*audited = true;
		goto out;
	}
	idx = session_verify_tag(r, id, tag);
	if (idx < 0) {
		r->vresult = VR_BAD_SIGNATURE;
		if (!*audited)
			audit_bad_token(r, token_strerror(TOKEN_BAD_TAG));
		*audited = true;
		goto out;
	}
	session_id_hash(id, s.hash);
	/* one query for the session and its user (was two lookups) */
	rc = store_session_get_with_user(r->w->store, s.hash, &s, &u,
	    &user_found);
	if (rc == STORE_ERROR) {
		rc = TRY_FAULT;
		goto out;
	}
	if (rc == STORE_NOTFOUND) {
		r->vresult = VR_UNKNOWN;
		rc = TRY_INVALID;
		goto out;
	}
	rc = check_row(r, &s, &u, user_found);
	if (rc != TRY_VALID)
		goto out;
	memcpy(r->sess_id, id, sizeof id);
	r->sess = s;
	r->user = u;
	r->sess_key_index = idx;
	r->vresult = VR_OK;
out:
	sodium_memzero(id, sizeof id);
	sodium_memzero(tag, sizeof tag);
	return rc;
}

int
stage_session(struct request *r)
{
	const char *name = r->w->srv->cfg.cookie_name;
	const char *val;
	size_t pos = 0, len;
	bool any = false, audited = false;
	int rc;

	r->sess_state = SESS_NONE;
	r->vresult = VR_NO_COOKIE;
	if (r->route->flags & RF_PUBLIC)
		return STAGE_NEXT;
	/* validations_total: every validate call, elsewhere only real cookies */
	r->vcounted = r->route->handler == ep_validate ||
	    r->cookie_header != NULL;
	if (r->cookie_header == NULL)
		return STAGE_NEXT;
	while (cookie_next(r->cookie_header, name, &pos, &val, &len)) {
		any = true;
		rc = try_value(r, val, len, &audited);
		if (rc == TRY_FAULT)
			return request_db_fail(r);
		if (rc == TRY_VALID) {
			r->sess_state = SESS_VALID;
			return STAGE_NEXT;
		}
		r->sess_seen_invalid = true;
	}
	r->sess_state = any ? SESS_INVALID : SESS_NONE;
	return STAGE_NEXT;
}
