/*
 * session.c - starting and ending sessions, and the key ring access that
 * goes with them (the ring may be swapped by SIGHUP, so it is read under
 * the server's read lock).
 */
#include <sodium.h>
#include <string.h>

#include <cJSON.h>

#include "audit.h"
#include "response.h"
#include "server.h"
#include "session.h"
#include "session_ops.h"

void
audit_from_request(struct audit_rec *a, const struct request *r)
{
	if (r->sess_state == SESS_VALID) {
		a->user = r->user.name;
		a->user_id = r->user.id;
		a->session = r->sess.handle;
	}
	a->ip = r->remote_addr;
	a->ua = r->user_agent;
	a->request_id = r->request_id;
}

int
session_verify_tag(struct request *r, const unsigned char *id,
    const unsigned char *tag)
{
	struct server *srv = r->w->srv;
	int idx;

	pthread_rwlock_rdlock(&srv->keys_lock);
	idx = token_verify(&srv->keys, id, tag);
	pthread_rwlock_unlock(&srv->keys_lock);
	return idx;
}

void
session_make_token(struct request *r, const unsigned char *id, char *out)
{
	struct server *srv = r->w->srv;

	pthread_rwlock_rdlock(&srv->keys_lock);
	token_make(&srv->keys, id, out);
	pthread_rwlock_unlock(&srv->keys_lock);
}

int
session_start(struct request *r, const struct user *u)
{
	return session_start_remember(r, u, false);
}

int
session_start_remember(struct request *r, const struct user *u,
    bool remember)
{
	const struct config *cfg = &r->w->srv->cfg;
	struct session *s = &r->sess;
	struct audit_rec a = { .event = AUDIT_SESSION_CREATED };
	char token[TOKEN_LEN + 1];

	memset(s, 0, sizeof *s);
	session_id_new(r->sess_id);
	session_id_hash(r->sess_id, s->hash);
	session_handle(s->hash, s->handle);
	s->user_id = u->id;
	s->created_at = r->now;
	s->last_seen = r->now;
	s->remember = remember;
	s->expires_at = r->now + session_idle_limit(cfg, s);
	s->pw_changed_at = u->pw_changed_at;
	s->request_count = 1;
	snprintf(s->ip, sizeof s->ip, "%s", r->remote_addr);
	snprintf(s->user_agent, sizeof s->user_agent, "%s", r->user_agent);
	if (store_session_create(r->w->store, s) != STORE_OK) {
		request_db_fail(r);
		return -1;
	}
	r->user = *u;
	r->sess_state = SESS_VALID;
	r->sess_key_index = 0;
	session_make_token(r, r->sess_id, token);
	cookie_set_header(r, token);
	sodium_memzero(token, sizeof token);

	audit_from_request(&a, r);
	audit_write(&a);
	return 0;
}

int
session_end(struct request *r)
{
	int rc;

	if (r->sess_state != SESS_VALID)
		return 0;
	rc = store_session_delete(r->w->store, r->sess.hash);
	if (rc == STORE_ERROR) {
		request_db_fail(r);
		return -1;
	}
	return 0;
}

int64_t
session_idle_limit(const struct config *cfg, const struct session *s)
{
	return s->remember && cfg->remember_age > 0 ? cfg->remember_age :
	    cfg->cookie_age;
}

bool
session_cookie_persists(const struct config *cfg, const struct session *s)
{
	return !cfg->expire_at_browser_close ||
	    (s->remember && cfg->remember_age > 0);
}

int64_t
session_expiry(const struct request *r)
{
	return session_end_at(&r->sess, r->w->srv->cfg.absolute_age);
}

cJSON *
session_started_json(const struct request *r, const char *name)
{
	cJSON *o = cJSON_CreateObject();

	if (o != NULL) {
		cJSON_AddStringToObject(o, "user", name);
		cJSON_AddNumberToObject(o, "expires_at",
		    (double)session_expiry(r));
	}
	return o;
}
