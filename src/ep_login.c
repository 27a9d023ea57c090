/*
 * ep_login.c - POST /session/login, JSON and form.
 *
 * Runs on a password thread (RF_PASSWORD, pwpool.h), never on a FastCGI
 * worker. Order matters: parse, then the rate limits (so a locked-out
 * attacker learns nothing, not even with the right password), then the
 * password check, which costs the same for an unknown user (verified
 * against a dummy hash), then a failure is counted, per username and per
 * client address (IPv6 per /64: login_ip_key). A successful login always
 * makes a new session id and destroys the session the request carried
 * (session fixation).
 */
#include <sodium.h>
#include <string.h>

#include <cJSON.h>

#include "audit.h"
#include "endpoints.h"
#include "login.h"
#include "login_rehash.h"
#include "metrics.h"
#include "mfa.h"
#include "pages.h"
#include "parse.h"
#include "password.h"
#include "response.h"
#include "server.h"
#include "session.h"
#include "session_ops.h"
#include "stage.h"


struct login {
	struct login_form f;
	bool		 html;		/* answer with pages and redirects */
	bool		 second_step;	/* POST /login/otp: the code page */
	bool		 codes_page;	/* success shows recovery codes */
	char		 ip_key[IP_KEY_MAX];	/* per-address counter */
};

static void
count_login(struct request *r, enum login_result lr)
{
	atomic_fetch_add(&r->w->srv->metrics.logins[lr], 1);
}

static void
audit_login(struct request *r, enum audit_event ev, const char *user,
    const char *key, const char *val, int64_t num)
{
	struct audit_rec a = { .event = ev };

	audit_from_request(&a, r);
	if (a.user == NULL)
		a.user = user;
	a.detail = key != NULL ? cJSON_CreateObject() : NULL;
	if (a.detail != NULL) {
		if (val != NULL)
			cJSON_AddStringToObject(a.detail, key, val);
		else
			cJSON_AddNumberToObject(a.detail, key, (double)num);
	}
	audit_write(&a);
}

/* Seconds left of a lockout on one counter; 0 none; -1 fault. */
static int64_t
lockout_left(struct request *r, enum login_kind kind, const char *key,
    long max)
{
	const struct config *cfg = &r->w->srv->cfg;
	struct login_failures f;
	int rc = store_failure_get(r->w->store, kind, key, &f);

	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOTFOUND || f.count < max)
		return 0;
	if (r->now >= f.last_at + cfg->login_lockout)
		return 0;
	return f.last_at + cfg->login_lockout - r->now;
}

static int
locked_out(struct request *r, struct login *l, int64_t u, int64_t i)
{
	int64_t left = u > i ? u : i;

	count_login(r, LR_RATE_LIMITED);
	audit_login(r, AUDIT_LOGIN_LOCKED, l->f.username, "scope",
	    u >= i ? "user" : "ip", 0);
	response_headerf(r, "Retry-After", "%lld", (long long)left);
	if (l->html) {
		page_locked(r, left);
		return STAGE_DONE;
	}
	return request_fail(r, 429, "rate_limited",
	    "too many failed logins; retry later");
}

/*
 * Checked right before the password, on the password thread (pwpool.h):
 * only failures count, so guesses running at the same time can all pass
 * this check, but no more of them than there are password threads.
 */
static int
rate_limited(struct request *r, struct login *l)
{
	const struct config *cfg = &r->w->srv->cfg;
	int64_t u = lockout_left(r, LOGIN_BY_USER, l->f.username,
	    cfg->login_max_failures);
	int64_t i = lockout_left(r, LOGIN_BY_ADDR, l->ip_key,
	    cfg->login_max_failures_per_ip);

	if (u < 0 || i < 0)
		return request_db_fail(r);
	if (u == 0 && i == 0)
		return 0;
	return locked_out(r, l, u, i);
}

/*
 * Only failures count (SPEC "Login limits"): a login still running is not
 * a failure, so any number of right passwords from one address (an office
 * behind one NAT) succeed at the same time.
 */
/* One failed attempt on both counters, its metric and audit line. 0/-1. */
static int
count_failure(struct request *r, struct login *l, const char *reason)
{
	const struct config *cfg = &r->w->srv->cfg;
	struct store *st = r->w->store;
	int64_t keep = cfg->login_window + cfg->login_lockout;

	if (store_failure_add(st, LOGIN_BY_USER, l->f.username, r->now,
	    cfg->login_window, keep) != STORE_OK ||
	    store_failure_add(st, LOGIN_BY_ADDR, l->ip_key, r->now,
	    cfg->login_window, keep) != STORE_OK)
		return -1;
	count_login(r, strcmp(reason, "account_locked") == 0 ? LR_LOCKED :
	    LR_FAILURE);
	audit_login(r, AUDIT_LOGIN_FAILURE, l->f.username, "reason", reason, 0);
	return 0;
}

int
login_limits_check(struct request *r, const char *username, bool html)
{
	struct login l;
	int rc;

	memset(&l, 0, sizeof l);
	l.html = html;
	snprintf(l.f.username, sizeof l.f.username, "%s", username);
	login_ip_key(r->remote_addr, l.ip_key, sizeof l.ip_key);
	rc = rate_limited(r, &l);
	sodium_memzero(&l, sizeof l);
	return rc;
}

int
login_failure_record(struct request *r, const char *username,
    const char *reason)
{
	struct login l;
	int rc;

	memset(&l, 0, sizeof l);
	snprintf(l.f.username, sizeof l.f.username, "%s", username);
	login_ip_key(r->remote_addr, l.ip_key, sizeof l.ip_key);
	rc = count_failure(r, &l, reason);
	sodium_memzero(&l, sizeof l);
	return rc;
}

static int
otp_required_answer(struct request *r)
{
	return request_fail(r, 401, "otp_required",
	    "this account needs a code from its authenticator app (otp)");
}

static int login_failed_as(struct request *, struct login *, const char *,
    bool);

static int
login_failed(struct request *r, struct login *l, const char *reason)
{
	return login_failed_as(r, l, reason, false);
}

/*
 * otp_required: answer 401 otp_required instead of bad_credentials (an
 * enrolled user who sent no code: the answer must not tell whether the
 * password was right, so a wrong one gets it too, and still counts).
 */
static int
login_failed_as(struct request *r, struct login *l, const char *reason,
    bool otp_required)
{
	if (count_failure(r, l, reason) != 0)
		return request_db_fail(r);
	if (l->html && l->second_step) {
		page_otp(r, 401, l->f.rd, "That code is not right. "
		    "Try the next one from your app.");
		return STAGE_DONE;
	}
	if (l->html) {
		page_login_user(r, 401, l->f.rd, "Wrong username or password.",
		    l->f.username);
		return STAGE_DONE;
	}
	if (otp_required)
		return otp_required_answer(r);
	return request_fail(r, 401, "bad_credentials",
	    "wrong username or password");
}

/* Look the user up and check the password in the same time either way. */
static int
check_credentials(struct request *r, struct login *l, struct user *u,
    const char **reason)
{
	int rc = store_user_by_name(r->w->store, l->f.username, u);
	bool ok;

	if (rc == STORE_ERROR)
		return -1;
	if (rc == STORE_NOTFOUND) {
		(void)password_verify(r->w->srv->dummy_hash, l->f.password);
		*reason = "unknown_user";
		return 1;
	}
	ok = password_verify(u->pwhash, l->f.password);
	sodium_memzero(u->pwhash, sizeof u->pwhash);
	if (!ok) {
		*reason = "bad_password";
		return 1;
	}
	if (u->locked) {
		*reason = "account_locked";
		return 1;
	}
	return 0;
}

static const char *
redirect_target(struct request *r, struct login *l)
{
	struct audit_rec a = { .event = AUDIT_REDIRECT_REJECTED };

	if (l->f.rd[0] == '\0')
		return "/";
	if (rd_is_local(l->f.rd))
		return l->f.rd;
	audit_from_request(&a, r);
	a.detail = cJSON_CreateObject();
	if (a.detail != NULL)
		cJSON_AddStringToObject(a.detail, "rd", l->f.rd);
	audit_write(&a);
	return "/";
}

static int pending_page(struct request *, struct login *, struct user *,
    bool);

static int
login_succeeded(struct request *r, struct login *l, struct user *u)
{
	char old[SESSION_HANDLE_LEN + 1] = "";

	/*
	 * The username's failures are forgiven; the address's are not: one
	 * account of their own must not buy an attacker fresh guesses.
	 */
	if (store_failure_clear(r->w->store, LOGIN_BY_USER, l->f.username) == STORE_ERROR)
		return request_db_fail(r);
	if (r->sess_state == SESS_VALID) {
		memcpy(old, r->sess.handle, sizeof old);
		if (session_end(r) != 0)
			return 500;
	}
	r->sess_state = SESS_NONE;
	if (session_start_remember(r, u, l->f.remember &&
	    r->w->srv->cfg.remember_age > 0) != 0)
		return 500;
	if (l->f.password[0] != '\0')
		login_rehash_imported(r, l->f.password);
	if (old[0] != '\0')
		audit_login(r, AUDIT_SESSION_ROTATED, NULL, "old_session", old, 0);
	count_login(r, LR_SUCCESS);
	audit_login(r, AUDIT_LOGIN_SUCCESS, NULL, NULL, NULL, 0);
	if (l->html) {
		if (!l->codes_page)
			response_redirect(r, redirect_target(r, l));
		return STAGE_DONE;
	}
	response_json(r, 200, session_started_json(r, u->name));
	return STAGE_DONE;
}

static int
parse_body(struct request *r, struct login *l)
{
	char err[128];
	enum body_kind kind = body_kind_of(r->content_type);
	int rc = request_read_body(r, LOGIN_BODY_MAX);

	if (rc != 0)
		return request_body_fail(r, rc);
	if (kind == BODY_OTHER)
		return request_fail(r, 400, "bad_request",
		    "expected a form or JSON body");
	rc = login_form_parse(kind, r->body.data, r->body.len, &l->f, err,
	    sizeof err);
	/* A rejected form still goes back to its page, rd kept. */
	if (rc != 0 && kind == BODY_FORM)
		l->f.has_rd = form_get(r->body.data, r->body.len, "rd",
		    l->f.rd, sizeof l->f.rd) == 1;
	if (!l->f.has_rd)
		l->f.rd[0] = '\0';
	l->html = kind == BODY_FORM && (l->f.has_rd || wants_html(r, NULL, 0));
	if (rc != 0) {
		count_login(r, LR_MALFORMED);
		if (l->html) {
			page_login(r, 400, l->f.rd,
			    "Enter a username and a password.");
			return STAGE_DONE;
		}
		return request_fail(r, 400, "bad_request",
		    "username and password are required");
	}
	return STAGE_NEXT;
}

/*
 * The password was right (and the account not locked): the second factor
 * decides. [mfa] totp = off ignores it; an enrolled user needs a code
 * (JSON: in the same request; a browser: on a second page, the password
 * not kept anywhere); with `required` a user without one enrols first.
 */
static int
second_factor(struct request *r, struct login *l, struct user *u)
{
	const struct config *cfg = &r->w->srv->cfg;
	int rc;

	if (cfg->mfa_totp == MFA_OFF ||
	    (!mfa_enrolled(u) && cfg->mfa_totp != MFA_REQUIRED))
		return login_succeeded(r, l, u);
	if (!mfa_enrolled(u)) {
		if (!l->html)
			return request_fail(r, 403, "mfa_enrolment_required",
			    "set up a second factor: sign in with a browser");
		return pending_page(r, l, u, true);
	}
	if (l->f.otp[0] == '\0') {
		if (l->html)
			return pending_page(r, l, u, false);
		return otp_required_answer(r);
	}
	rc = mfa_check(r, u, l->f.otp);
	if (rc < 0)
		return r->err_status != 0 ? r->err_status : 500;
	if (rc > 0) {
		mfa_audit_failure(r, u, rc);
		return login_failed(r, l, "bad_otp");
	}
	return login_succeeded(r, l, u);
}

/*
 * Right password, code still to come: a half-done sign-in (mfa.h), and
 * the page that asks for the code or sets the factor up. The imported
 * hash is upgraded now: the password will not be seen again.
 */
static int
pending_page(struct request *r, struct login *l, struct user *u, bool enrol)
{
	struct user keep = r->user;
	struct mfa_enrolment e;
	int rc = STAGE_DONE;

	r->user.id = u->id;
	login_rehash_imported(r, l->f.password);
	r->user = keep;
	if (mfa_pending_start(r, u->id, enrol) != 0)
		return r->err_status != 0 ? r->err_status : 500;
	if (!enrol) {
		page_otp(r, 200, l->f.rd, NULL);
	} else if (mfa_enrol_begin(r, u, &e) == 0) {
		page_enrol_signin(r, 200, l->f.rd, NULL, &e);
	} else {
		rc = request_fail(r, 500, "internal_error",
		    "cannot start an enrolment");
	}
	r->res.no_store = true;
	sodium_memzero(&e, sizeof e);
	return rc;
}

/*
 * POST /session/login/otp (form): the second page of a browser sign-in.
 * The half-done sign-in cookie names the user; the password is not sent
 * again. A wrong code is a failed login (counted, limits apply); the
 * half-done state stays until it expires, so the next code can be tried.
 * With `enrol`, the form also carries the enrolment token: a valid code
 * stores the factor, shows the recovery codes once, and signs in.
 */
int
ep_login_otp(struct request *r)
{
	struct login l;
	struct user u;
	struct mfa_pending p;
	char token[MFA_ENROL_TOKEN_MAX] = "";
	char codes[MFA_RECOVERY_CODES][MFA_RECOVERY_TEXT];
	int rc;

	memset(&l, 0, sizeof l);
	memset(codes, 0, sizeof codes);
	l.html = true;
	l.second_step = true;
	login_ip_key(r->remote_addr, l.ip_key, sizeof l.ip_key);
	if ((rc = request_read_body(r, LOGIN_BODY_MAX)) != 0) {
		rc = request_body_fail(r, rc);
		goto out;
	}
	if (form_get(r->body.data, r->body.len, "rd", l.f.rd,
	    sizeof l.f.rd) == -1 ||
	    form_get(r->body.data, r->body.len, "otp", l.f.otp,
	    sizeof l.f.otp) == -1 ||
	    form_get(r->body.data, r->body.len, "enrolment", token,
	    sizeof token) == -1) {
		rc = request_fail(r, 400, "bad_request", "bad form field");
		goto out;
	}
	rc = mfa_pending_read(r, &p);
	if (rc == 0)
		rc = store_user_by_id(r->w->store, p.user_id, &u) == STORE_OK ?
		    0 : 1;
	if (rc < 0) {
		rc = r->err_status != 0 ? r->err_status : request_db_fail(r);
		goto out;
	}
	if (rc > 0 || u.locked) {
		page_login(r, 401, l.f.rd, "That sign-in has expired. "
		    "Enter your username and password again.");
		rc = STAGE_DONE;
		goto out;
	}
	sodium_memzero(u.pwhash, sizeof u.pwhash);
	snprintf(l.f.username, sizeof l.f.username, "%s", u.name);
	if ((rc = rate_limited(r, &l)) != 0)
		goto out;
	if (p.enrol) {
		rc = mfa_enrol_finish(r, &u, token, l.f.otp, codes);
		if (rc < 0) {
			rc = r->err_status != 0 ? r->err_status : 500;
			goto out;
		}
		if (rc > 0) {
			mfa_audit_failure(r, &u, 3);
			rc = login_failed(r, &l, "bad_otp");
			goto out;
		}
	} else {
		rc = mfa_check(r, &u, l.f.otp);
		if (rc < 0) {
			rc = r->err_status != 0 ? r->err_status : 500;
			goto out;
		}
		if (rc > 0) {
			mfa_audit_failure(r, &u, rc);
			rc = login_failed(r, &l, "bad_otp");
			goto out;
		}
	}
	if (mfa_pending_end(r, &p) != 0) {
		rc = r->err_status;
		goto out;
	}
	l.codes_page = p.enrol;
	rc = login_succeeded(r, &l, &u);
	if (rc == STAGE_DONE && p.enrol) {
		/* the codes page instead of the redirect: shown once */
		page_recovery_codes(r, redirect_target(r, &l), codes);
		r->res.no_store = true;
	}
out:
	sodium_memzero(&l, sizeof l);
	sodium_memzero(codes, sizeof codes);
	sodium_memzero(token, sizeof token);
	return rc;
}

int
ep_login(struct request *r)
{
	struct login l;
	struct user u;
	const char *reason = NULL;
	int rc;

	memset(&l, 0, sizeof l);
	login_ip_key(r->remote_addr, l.ip_key, sizeof l.ip_key);
	if ((rc = parse_body(r, &l)) != STAGE_NEXT)
		goto out;
	if ((rc = rate_limited(r, &l)) != 0)
		goto out;
	rc = check_credentials(r, &l, &u, &reason);
	if (rc < 0)
		rc = request_db_fail(r);
	else if (rc > 0)
		rc = login_failed_as(r, &l, reason, !l.html &&
		    l.f.otp[0] == '\0' && strcmp(reason, "unknown_user") != 0 &&
		    r->w->srv->cfg.mfa_totp != MFA_OFF && mfa_enrolled(&u));
	else
		rc = second_factor(r, &l, &u);
out:
	sodium_memzero(&l, sizeof l);
	return rc;
}
