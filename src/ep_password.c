/*
 * ep_password.c - POST /session/password: a signed-in user changes their
 * own password (JSON current_password/new_password, or the account page's
 * form).
 *
 * Runs on a password thread (RF_PASSWORD), as sign-ins do: it verifies one
 * argon2id hash and makes another. The login limits apply to the user's
 * name and the client's address, and a wrong current password counts as
 * a failed login, so a stolen session cannot be used to guess the
 * password. Success: the new hash is stored (pw_changed_at moves, which
 * already ends every session), every session row of the user is deleted,
 * and this request gets a new session (new id, Set-Cookie), keeping its
 * "keep me signed in" choice.
 */
#include <sodium.h>
#include <string.h>

#include <cJSON.h>

#include "audit.h"
#include "endpoints.h"
#include "login.h"
#include "pages.h"
#include "parse.h"
#include "password.h"
#include "response.h"
#include "server.h"
#include "session.h"
#include "session_ops.h"
#include "stage.h"

struct pwchange {
	char	cur[PASSWORD_MAX + 1];
	char	new[PASSWORD_MAX + 1];
	char	hash[PWHASH_MAX];
	bool	html;
};

/* A refusal: the account page with a message, or a JSON error. */
static int
refuse(struct request *r, struct pwchange *c, int status, const char *code,
    const char *msg)
{
	if (c->html) {
		r->res.no_store = true;
		return account_page_msg(r, status, NULL, msg);
	}
	return request_fail(r, status, code, msg);
}

static int
audit_changed(struct request *r, int64_t revoked)
{
	struct audit_rec a = { .event = AUDIT_PASSWORD_CHANGED };

	audit_from_request(&a, r);
	a.detail = cJSON_CreateObject();
	if (a.detail != NULL) {
		cJSON_AddStringToObject(a.detail, "by", "user");
		cJSON_AddNumberToObject(a.detail, "revoked", (double)revoked);
	}
	audit_write(&a);
	return 0;
}

/* Store the new hash, end every session, start this one again. */
static int
change(struct request *r, struct pwchange *c, struct user *u)
{
	bool remember = r->sess.remember;
	int64_t n = 0;
	cJSON *o;

	if (password_hash(c->new, c->hash, sizeof c->hash) != 0)
		return request_fail(r, 500, "internal_error",
		    "cannot hash the password");
	if (store_user_set_password(r->w->store, u->id, c->hash, r->now)
	    != STORE_OK ||
	    store_session_delete_user(r->w->store, u->id, &n) != STORE_OK)
		return request_db_fail(r);
	u->pw_changed_at = r->now;
	u->must_reset = false;
	sodium_memzero(u->pwhash, sizeof u->pwhash);
	r->sess_state = SESS_NONE;
	if (session_start_remember(r, u, remember) != 0)
		return r->err_status != 0 ? r->err_status : 500;
	audit_changed(r, n > 0 ? n - 1 : 0);
	if (c->html) {
		response_redirect_account(r);
		return STAGE_DONE;
	}
	o = session_started_json(r, u->name);
	if (o != NULL)
		cJSON_AddNumberToObject(o, "revoked", n > 0 ? n - 1 : 0);
	response_json(r, 200, o);
	return STAGE_DONE;
}

int
ep_password(struct request *r)
{
	const struct config *cfg = &r->w->srv->cfg;
	struct pwchange *c = sodium_malloc(sizeof *c);
	struct body_field f[2];
	enum body_kind kind = body_kind_of(r->content_type);
	struct user u;
	char err[128];
	int rc;

	if (c == NULL)
		return request_fail(r, 500, "internal_error", "out of memory");
	memset(c, 0, sizeof *c);
	memset(&u, 0, sizeof u);
	f[0] = (struct body_field){ "current_password", c->cur, sizeof c->cur,
	    true };
	f[1] = (struct body_field){ "new_password", c->new, sizeof c->new,
	    true };
	if ((rc = request_read_body(r, LOGIN_BODY_MAX)) != 0) {
		rc = request_body_fail(r, rc);
		goto out;
	}
	c->html = kind == BODY_FORM && wants_html(r, NULL, 0);
	if (body_fields_parse(kind, r->body.data, r->body.len, f, 2, err,
	    sizeof err) != 0) {
		rc = refuse(r, c, 400, "bad_request", "Enter your current "
		    "password and a new one.");
		goto out;
	}
	if (strlen(c->new) < (size_t)cfg->login_min_password_length) {
		char msg[96];

		snprintf(msg, sizeof msg, "The new password must have at least "
		    "%ld characters.", cfg->login_min_password_length);
		rc = c->html ? refuse(r, c, 400, NULL, msg) :
		    request_fail(r, 400, "password_too_short",
		    "new_password is shorter than min_password_length");
		goto out;
	}
	if ((rc = login_limits_check(r, r->user.name, c->html)) != 0)
		goto out;
	if (store_user_by_id(r->w->store, r->user.id, &u) != STORE_OK) {
		rc = request_db_fail(r);
		goto out;
	}
	if (!password_verify(u.pwhash, c->cur)) {
		rc = login_failure_record(r, u.name, "bad_current_password") != 0
		    ? request_db_fail(r) : refuse(r, c, 401, "bad_credentials",
		    "The current password is not right.");
		goto out;
	}
	rc = change(r, c, &u);
out:
	sodium_memzero(&u, sizeof u);
	sodium_free(c);
	return rc;
}
