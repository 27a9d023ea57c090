/*
 * test_chain.c - the stage chain driven directly, without nginx: a real
 * store in a temp dir, a real key file, requests made of FastCGI params.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "keys.h"
#include "password.h"
#include "request_life.h"
#include "response.h"
#include "server.h"
#include "stage.h"
#include "unit.h"

struct fx {
	char		 dir[64];
	struct server	*srv;
	struct worker	 w;
	struct worker	 pw;	/* a password thread (same store: one thread) */
	int64_t		 alice, bob;
};

static int
add_user(struct fx *fx, const char *name, bool admin, int64_t *id)
{
	char hash[PWHASH_MAX];

	if (password_hash("correct horse", hash, sizeof hash) != 0)
		return -1;
	return store_user_add(fx->w.store, name, hash, admin, 1000, id);
}

static int
fx_open(struct fx *fx)
{
	struct store_opts o = { .create = true };
	struct config *c;
	char err[512], path[128];
	int from, to;

	memset(fx, 0, sizeof *fx);
	snprintf(fx->dir, sizeof fx->dir, "/tmp/sessiongw-chain-XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	fx->srv = calloc(1, sizeof *fx->srv);
	if (fx->srv == NULL)
		return -1;
	c = &fx->srv->cfg;
	config_defaults(c);
	snprintf(c->database, sizeof c->database, "%s/t.db", fx->dir);
	snprintf(c->secret_key_file, sizeof c->secret_key_file, "%s/key",
	    fx->dir);
	snprintf(path, sizeof path, "%s/audit.log", fx->dir);
	if (keyfile_create(c->secret_key_file, err, sizeof err) != 0 ||
	    keyring_load(&fx->srv->keys, c, err, sizeof err) != 0 ||
	    audit_open(path, err, sizeof err) != 0 ||
	    store_open(&fx->w.store, c->database, &o, err, sizeof err) != 0) {
		printf("fixture: %s\n", err);
		return -1;
	}
	if (store_prepare(fx->w.store, &from, &to) != STORE_OK ||
	    password_dummy_hash(fx->srv->dummy_hash,
	    sizeof fx->srv->dummy_hash) != 0)
		return -1;
	pthread_rwlock_init(&fx->srv->keys_lock, NULL);
	fx->w.srv = fx->srv;
	fx->pw = fx->w;
	fx->pw.password_thread = true;
	atomic_store(&fx->srv->last_cleanup, (long long)time(NULL));
	if (add_user(fx, "alice", false, &fx->alice) != 0 ||
	    add_user(fx, "bob", true, &fx->bob) != 0)
		return -1;
	return 0;
}

static void
fx_close(struct fx *fx)
{
	char cmd[128];

	audit_close();
	store_close(fx->w.store);
	keyring_free(&fx->srv->keys);
	pthread_rwlock_destroy(&fx->srv->keys_lock);
	free(fx->srv);
	snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
	if (system(cmd) != 0)
		printf("cannot remove %s\n", fx->dir);
}

/*
 * Run one request. params: NULL-terminated "NAME=value" strings. A request
 * handed off goes on as on the password pool (pwpool.c). The caller ends
 * the request with request_end().
 */
static void
run(struct fx *fx, struct request *r, char **params, const char *body)
{
	request_begin(r, &fx->w, NULL, params);
	if (body != NULL)
		buf_puts(&r->body, body);
	if (chain_run(r) == STAGE_HANDOFF) {
		r->w = &fx->pw;
		CHECK(chain_run(r) != STAGE_HANDOFF);
	}
	chain_run_after(r);
}

static const char *
header(const struct request *r, const char *name, char *out, size_t outsz)
{
	const char *h = r->res.headers.data;
	size_t n = strlen(name);

	for (const char *p = h; (p = strstr(p, name)) != NULL; p++) {
		if ((p == h || p[-1] == '\n') && p[n] == ':') {
			const char *v = p + n + 2, *e = strstr(v, "\r\n");

			snprintf(out, outsz, "%.*s", (int)(e - v), v);
			return out;
		}
	}
	return NULL;
}

/* Log in as name; leaves "sessiongw=TOKEN" in cookie. */
static int
login(struct fx *fx, const char *name, char *cookie, size_t cookiesz)
{
	struct request r;
	char body[128], sc[512];
	char *params[] = { "REQUEST_METHOD=POST",
	    "DOCUMENT_URI=/session/login", "CONTENT_TYPE=application/json",
	    "REMOTE_ADDR=127.0.0.1", NULL };
	int status;

	snprintf(body, sizeof body,
	    "{\"username\":\"%s\",\"password\":\"correct horse\"}", name);
	run(fx, &r, params, body);
	status = r.res.status;
	if (status == 200 && header(&r, "Set-Cookie", sc, sizeof sc) != NULL)
		snprintf(cookie, cookiesz, "%.*s", (int)strcspn(sc, ";"), sc);
	request_end(&r);
	return status;
}

UNIT_TEST(chain_routes_and_errors)
{
	struct fx fx;
	struct request r;
	char h[256];
	char *health[] = { "REQUEST_METHOD=GET",
	    "DOCUMENT_URI=/session/healthz", NULL };
	char *unknown[] = { "REQUEST_METHOD=GET",
	    "DOCUMENT_URI=/session/nope", NULL };
	char *outside[] = { "REQUEST_METHOD=GET",
	    "DOCUMENT_URI=/sessionx/validate", NULL };
	char *patch[] = { "REQUEST_METHOD=PATCH",
	    "DOCUMENT_URI=/session/login", NULL };
	char *fallback[] = { "REQUEST_METHOD=GET", "SCRIPT_NAME=/session",
	    "PATH_INFO=/healthz", NULL };

	if (fx_open(&fx) != 0) {
		CHECK(!"fixture");
		return;
	}
	run(&fx, &r, health, NULL);
	CHECK_INT(r.res.status, 200);
	CHECK_STR(r.res.body.data, "ok");
	request_end(&r);

	run(&fx, &r, unknown, NULL);
	CHECK_INT(r.res.status, 404);
	CHECK(strstr(r.res.body.data, "\"error\":\"not_found\"") != NULL);
	CHECK(strstr(r.res.body.data, "\"message\":") != NULL);
	request_end(&r);

	run(&fx, &r, outside, NULL);
	CHECK_INT(r.res.status, 404);
	request_end(&r);

	run(&fx, &r, patch, NULL);
	CHECK_INT(r.res.status, 405);
	CHECK_STR(header(&r, "Allow", h, sizeof h), "GET, HEAD, POST");
	request_end(&r);

	run(&fx, &r, fallback, NULL);
	CHECK_INT(r.res.status, 200);
	request_end(&r);
	fx_close(&fx);
}

UNIT_TEST(chain_login_validate_logout)
{
	struct fx fx;
	struct request r;
	char cookie[256], chdr[300], h[512];
	char *validate[] = { "REQUEST_METHOD=GET",
	    "DOCUMENT_URI=/session/validate", "REMOTE_ADDR=127.0.0.1",
	    chdr, NULL };
	char *logout[] = { "REQUEST_METHOD=POST",
	    "DOCUMENT_URI=/session/logout", "REMOTE_ADDR=127.0.0.1",
	    chdr, NULL };

	if (fx_open(&fx) != 0) {
		CHECK(!"fixture");
		return;
	}
	CHECK_INT(login(&fx, "alice", cookie, sizeof cookie), 200);
	snprintf(chdr, sizeof chdr, "HTTP_COOKIE=%s", cookie);

	run(&fx, &r, validate, NULL);
	CHECK_INT(r.res.status, 200);
	CHECK_STR(header(&r, "X-Session-User", h, sizeof h), "alice");
	CHECK_STR(header(&r, "X-Session-Admin", h, sizeof h), "0");
	CHECK(r.res.no_store);
	request_end(&r);

	run(&fx, &r, logout, NULL);
	CHECK_INT(r.res.status, 200);
	CHECK(header(&r, "Set-Cookie", h, sizeof h) != NULL &&
	    strstr(h, "Max-Age=0") != NULL);
	request_end(&r);

	/* the old cookie is dead */
	run(&fx, &r, validate, NULL);
	CHECK_INT(r.res.status, 401);
	request_end(&r);
	fx_close(&fx);
}

UNIT_TEST(chain_bad_cookies_are_401_and_cleared)
{
	static const char *const bad[] = {
		"sessiongw=", "sessiongw=x", "sessiongw=a.b",
		"sessiongw=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA."
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"sessiongw=\"\"", "sessiongw=%00%00",
	};
	struct fx fx;
	struct request r;
	char chdr[300], h[512];
	char *validate[] = { "REQUEST_METHOD=GET",
	    "DOCUMENT_URI=/session/validate", chdr, NULL };

	if (fx_open(&fx) != 0) {
		CHECK(!"fixture");
		return;
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(chdr, sizeof chdr, "HTTP_COOKIE=%s", bad[i]);
		run(&fx, &r, validate, NULL);
		CHECK_INT(r.res.status, 401);
		CHECK(header(&r, "Set-Cookie", h, sizeof h) != NULL &&
		    strncmp(h, "sessiongw=;", 11) == 0);
		request_end(&r);
	}
	fx_close(&fx);
}

UNIT_TEST(chain_origin_check)
{
	struct fx fx;
	struct request r;
	char cookie[256], chdr[300];
	char *bad[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/session/logout",
	    "HTTP_HOST=app.example", "HTTP_ORIGIN=https://evil.example",
	    chdr, NULL };
	char *good[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/session/logout",
	    "HTTP_HOST=app.example", "HTTP_ORIGIN=http://app.example",
	    chdr, NULL };

	if (fx_open(&fx) != 0) {
		CHECK(!"fixture");
		return;
	}
	CHECK_INT(login(&fx, "alice", cookie, sizeof cookie), 200);
	snprintf(chdr, sizeof chdr, "HTTP_COOKIE=%s", cookie);
	run(&fx, &r, bad, NULL);
	CHECK_INT(r.res.status, 403);
	request_end(&r);
	run(&fx, &r, good, NULL);
	CHECK_INT(r.res.status, 200);
	request_end(&r);
	fx_close(&fx);
}

UNIT_TEST(chain_cache_scoped_by_session)
{
	struct fx fx;
	struct request r;
	char ca[256], cb[256], chdr[300];
	char *put[] = { "REQUEST_METHOD=PUT", "DOCUMENT_URI=/session/cache/k",
	    "CONTENT_TYPE=text/plain", chdr, NULL };
	char *get[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/session/cache/k",
	    chdr, NULL };
	char *gput[] = { "REQUEST_METHOD=PUT",
	    "DOCUMENT_URI=/session/global/k", chdr, NULL };

	if (fx_open(&fx) != 0) {
		CHECK(!"fixture");
		return;
	}
	CHECK_INT(login(&fx, "alice", ca, sizeof ca), 200);
	CHECK_INT(login(&fx, "bob", cb, sizeof cb), 200);

	snprintf(chdr, sizeof chdr, "HTTP_COOKIE=%s", ca);
	run(&fx, &r, put, "alice's value");
	CHECK_INT(r.res.status, 204);
	request_end(&r);
	run(&fx, &r, gput, "x");
	CHECK_INT(r.res.status, 403);	/* alice is no admin */
	request_end(&r);

	snprintf(chdr, sizeof chdr, "HTTP_COOKIE=%s", cb);
	run(&fx, &r, get, NULL);
	CHECK_INT(r.res.status, 404);	/* bob cannot see alice's row */
	request_end(&r);
	run(&fx, &r, gput, "x");
	CHECK_INT(r.res.status, 204);	/* bob is admin */
	request_end(&r);

	snprintf(chdr, sizeof chdr, "HTTP_COOKIE=%s", ca);
	run(&fx, &r, get, NULL);
	CHECK_INT(r.res.status, 200);
	CHECK_STR(r.res.body.data, "alice's value");
	request_end(&r);
	fx_close(&fx);
}

/* A body that is not exactly CONTENT_LENGTH bytes is 400, before login. */
UNIT_TEST(chain_body_must_match_content_length)
{
	static const struct {
		const char *cl;
		int status;
	} t[] = {
		{ "CONTENT_LENGTH=999", 400 },	/* cut off */
		{ "CONTENT_LENGTH=10", 400 },	/* longer than announced */
		{ "CONTENT_LENGTH=-1", 400 },
		{ "CONTENT_LENGTH=abc", 400 },
		{ "CONTENT_LENGTH=+47", 400 },
		{ "CONTENT_LENGTH=47", 200 },	/* strlen(body) */
		{ "CONTENT_LENGTH=", 200 },	/* unknown: what arrived */
	};
	const char *body =
	    "{\"username\":\"alice\",\"password\":\"correct horse\"}";
	struct fx fx;
	struct request r;
	char cl[32], h[256];
	char *params[] = { "REQUEST_METHOD=POST",
	    "DOCUMENT_URI=/session/login", "CONTENT_TYPE=application/json",
	    "REMOTE_ADDR=127.0.0.1", cl, NULL };

	CHECK_INT((long long)strlen(body), 47);
	if (fx_open(&fx) != 0) {
		CHECK(!"fixture");
		return;
	}
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		snprintf(cl, sizeof cl, "%s", t[i].cl);
		run(&fx, &r, params, body);
		CHECK_INT(r.res.status, t[i].status);
		CHECK((header(&r, "Set-Cookie", h, sizeof h) != NULL) ==
		    (t[i].status == 200));
		if (t[i].status == 400)
			CHECK(strstr(r.res.body.data, "Content-Length") != NULL);
		request_end(&r);
	}
	fx_close(&fx);
}

/*
 * A browser form refused before (or by) its endpoint gets a short HTML
 * page with the pages' security headers; API clients keep JSON.
 */
UNIT_TEST(chain_refused_form_gets_page)
{
	static const struct {
		const char *uri;
		const char *ctype;
		const char *accept;
		const char *body;
		int status;
		bool html;
	} t[] = {
		/* bad Origin: rd in the form, or Accept: text/html */
		{ "/session/login", "application/x-www-form-urlencoded", "",
		    "username=alice&password=x&rd=%2Fapp", 403, true },
		{ "/session/login", "application/x-www-form-urlencoded",
		    "text/html,*/*", "username=alice&password=x", 403, true },
		{ "/session/logout", "application/x-www-form-urlencoded",
		    "text/html", "", 403, true },
		/* a script: bare form, JSON body, no body */
		{ "/session/login", "application/x-www-form-urlencoded", "",
		    "username=alice&password=x", 403, false },
		{ "/session/login", "application/json", "text/html",
		    "{\"username\":\"alice\",\"password\":\"x\",\"rd\":\"/\"}",
		    403, false },
		{ "/session/logout", "", "text/html", "", 403, false },
	};
	static const struct {
		const char *uri;
		const char *method;
		int status;
	} other[] = {
		{ "/session/nope", "REQUEST_METHOD=POST", 404 },
		{ "/session/account", "REQUEST_METHOD=POST", 405 },
	};
	struct fx fx;
	struct request r;
	char uri[64], ct[80], acc[64], method[32], h[256];
	char *params[] = { method, uri, ct, acc, "HTTP_HOST=app.example",
	    "HTTP_ORIGIN=https://evil.example", "REMOTE_ADDR=127.0.0.1", NULL };
	char *noorigin[] = { method, uri, ct, acc, NULL };

	if (fx_open(&fx) != 0) {
		CHECK(!"fixture");
		return;
	}
	snprintf(method, sizeof method, "REQUEST_METHOD=POST");
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		snprintf(uri, sizeof uri, "DOCUMENT_URI=%s", t[i].uri);
		snprintf(ct, sizeof ct, "CONTENT_TYPE=%s", t[i].ctype);
		snprintf(acc, sizeof acc, "HTTP_ACCEPT=%s", t[i].accept);
		run(&fx, &r, params, t[i].body);
		CHECK_INT(r.res.status, t[i].status);
		CHECK(r.res.html == t[i].html);
		CHECK_STR(r.res.content_type, t[i].html ?
		    "text/html; charset=utf-8" : "application/json");
		if (t[i].html)
			CHECK(strstr(r.res.body.data, "<!DOCTYPE html>") != NULL
			    && strstr(r.res.body.data, "Forbidden") != NULL);
		else
			CHECK(strstr(r.res.body.data, "\"bad_origin\"") != NULL);
		request_end(&r);
	}
	snprintf(ct, sizeof ct, "CONTENT_TYPE=application/x-www-form-urlencoded");
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
		snprintf(method, sizeof method, "%s", other[i].method);
		snprintf(uri, sizeof uri, "DOCUMENT_URI=%s", other[i].uri);
		snprintf(acc, sizeof acc, "HTTP_ACCEPT=text/html");
		run(&fx, &r, noorigin, "a=b");
		CHECK_INT(r.res.status, other[i].status);
		CHECK(r.res.html);
		request_end(&r);
		snprintf(acc, sizeof acc, "HTTP_ACCEPT=*/*");
		run(&fx, &r, noorigin, "a=b");
		CHECK_INT(r.res.status, other[i].status);
		CHECK(!r.res.html);
		CHECK_STR(r.res.content_type, "application/json");
		request_end(&r);
	}
	/* 405 keeps its Allow header on the page */
	snprintf(acc, sizeof acc, "HTTP_ACCEPT=text/html");
	run(&fx, &r, noorigin, "a=b");
	CHECK(header(&r, "Allow", h, sizeof h) != NULL);
	request_end(&r);
	fx_close(&fx);
}

/* The Origin check runs before the activity stage: nothing is recorded. */
UNIT_TEST(chain_bad_origin_records_nothing)
{
	struct fx fx;
	struct request r;
	struct session before, after;
	char cookie[256], chdr[300];
	char *bad[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/session/logout",
	    "HTTP_HOST=app.example", "HTTP_ORIGIN=https://evil.example",
	    "REMOTE_ADDR=10.9.9.9", "HTTP_USER_AGENT=other", chdr, NULL };
	char *who[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/session",
	    "REMOTE_ADDR=127.0.0.1", chdr, NULL };

	if (fx_open(&fx) != 0) {
		CHECK(!"fixture");
		return;
	}
	fx.srv->cfg.ip_change = IP_CHANGE_LOGOUT;
	CHECK_INT(login(&fx, "alice", cookie, sizeof cookie), 200);
	snprintf(chdr, sizeof chdr, "HTTP_COOKIE=%s", cookie);
	run(&fx, &r, who, NULL);
	CHECK_INT(r.res.status, 200);
	before = r.sess;
	request_end(&r);
	run(&fx, &r, bad, NULL);
	CHECK_INT(r.res.status, 403);
	CHECK(!r.sess_touched);
	CHECK_INT(r.sess_state, SESS_NONE);	/* never looked up */
	request_end(&r);
	run(&fx, &r, who, NULL);
	CHECK_INT(r.res.status, 200);
	after = r.sess;
	request_end(&r);
	/* with the Origin check after activity, 10.9.9.9 ended it: 401 */
	CHECK_STR(after.ip, "127.0.0.1");
	CHECK_STR(after.handle, before.handle);
	fx_close(&fx);
}

/*
 * A sign-in stops on the FastCGI worker with nothing written, and goes on
 * at the same stage on a password thread; when the pool is full the worker
 * answers 503 + Retry-After: JSON for scripts, the sign-in page (rd kept)
 * for a browser form. Validate never hands off.
 */
UNIT_TEST(chain_password_handoff)
{
	struct fx fx;
	struct request r;
	char h[256];
	char *json[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/session/login",
	    "CONTENT_TYPE=application/json", "REMOTE_ADDR=127.0.0.1", NULL };
	char *form[] = { "REQUEST_METHOD=POST", "DOCUMENT_URI=/session/login",
	    "CONTENT_TYPE=application/x-www-form-urlencoded",
	    "HTTP_ACCEPT=text/html", "REMOTE_ADDR=127.0.0.1", NULL };
	char *validate[] = { "REQUEST_METHOD=GET",
	    "DOCUMENT_URI=/session/validate", "REMOTE_ADDR=127.0.0.1", NULL };
	const char *body = "{\"username\":\"alice\","
	    "\"password\":\"correct horse\"}";
	size_t at;

	if (fx_open(&fx) != 0) {
		CHECK(!"fixture");
		return;
	}
	request_begin(&r, &fx.w, NULL, json);
	buf_puts(&r.body, body);
	CHECK_INT(chain_run(&r), STAGE_HANDOFF);
	CHECK_INT(r.res.status, 0);
	CHECK(r.res.headers.len == 0 && r.res.body.len == 0);
	at = r.resume;
	CHECK(at > 0);
	r.w = &fx.pw;
	CHECK_INT(chain_run(&r), 200);
	CHECK(header(&r, "Set-Cookie", h, sizeof h) != NULL);
	request_end(&r);

	/* Queue full: the worker runs the chain again, refused. */
	request_begin(&r, &fx.w, NULL, json);
	buf_puts(&r.body, body);
	CHECK_INT(chain_run(&r), STAGE_HANDOFF);
	CHECK(r.resume == at);
	r.handoff_refused = true;
	CHECK_INT(chain_run(&r), 503);
	CHECK_STR(header(&r, "Retry-After", h, sizeof h), "1");
	CHECK(strstr(r.res.body.data, "\"error\":\"busy\"") != NULL);
	CHECK(header(&r, "Set-Cookie", h, sizeof h) == NULL);
	request_end(&r);

	request_begin(&r, &fx.w, NULL, form);
	buf_puts(&r.body, "username=alice&password=x&rd=%2Fapp%2Fpage");
	CHECK_INT(chain_run(&r), STAGE_HANDOFF);
	r.handoff_refused = true;
	CHECK_INT(chain_run(&r), 503);
	CHECK_STR(header(&r, "Retry-After", h, sizeof h), "1");
	CHECK(strstr(r.res.content_type, "text/html") != NULL);
	CHECK(strstr(r.res.body.data, "value=\"/app/page\"") != NULL);
	request_end(&r);

	request_begin(&r, &fx.w, NULL, validate);
	CHECK_INT(chain_run(&r), 401);
	request_end(&r);
	fx_close(&fx);
}
