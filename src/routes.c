/*
 * routes.c - the route table: { method, path pattern, handler, flags }.
 *
 * Patterns are relative to route_prefix. '*' matches one non-empty path
 * segment, "**" the rest of the path (possibly empty, '/' included); the
 * match is left in r->arg for the handler to validate. HEAD is served by
 * GET rows. Adding an endpoint is one row here.
 */
#include <string.h>

#include "endpoints.h"
#include "response.h"

const struct route routes[] = {
	{ "validate",	M_OTHER,  "/validate",	ep_validate,
	    RF_ANY_METHOD | RF_NO_ORIGIN },
	{ "login",	M_GET,	  "/login",	ep_login_page,	RF_PUBLIC },
	{ "login",	M_POST,	  "/login",	ep_login,	RF_PASSWORD },
	/* the second page of a browser sign-in; the password is not sent */
	{ "login_otp",	M_POST,	  "/login/otp",	ep_login_otp,	0 },
	{ "mfa",	M_GET,	  "/mfa",	ep_mfa_info,	RF_SESSION },
	{ "mfa",	M_POST,	  "/mfa",	ep_mfa_enrol,	RF_SESSION },
	{ "password",	M_POST,	  "/password",	ep_password,
	    RF_SESSION | RF_PASSWORD },
	{ "logout",	M_POST,	  "/logout",	ep_logout,	0 },
	{ "logout_all",	M_POST,	  "/logout-all", ep_logout_all,	0 },
	{ "session",	M_GET,	  "",		ep_session_info, RF_SESSION },
	{ "sessions",	M_GET,	  "/sessions",	ep_sessions_list, RF_SESSION },
	{ "session_revoke", M_DELETE, "/sessions/*", ep_session_revoke,
	    RF_SESSION },
	{ "session_revoke_form", M_POST, "/sessions/*/revoke",
	    ep_session_revoke_form, RF_PAGE },
	{ "account",	M_GET,	  "/account",	ep_account_page, RF_PAGE },
	{ "static",	M_GET,	  "/static/*",	ep_static,	RF_PUBLIC },
	{ "healthz",	M_GET,	  "/healthz",	ep_healthz,	RF_PUBLIC },
	{ "metrics",	M_GET,	  "/metrics",	ep_metrics,	RF_PUBLIC },
	{ "cache",	M_GET,	  "/cache/**",	ep_cache_get,	RF_SESSION },
	{ "cache",	M_PUT,	  "/cache/**",	ep_cache_put,	RF_SESSION },
	{ "cache",	M_DELETE, "/cache/**",	ep_cache_delete, RF_SESSION },
	{ "global",	M_GET,	  "/global/**",	ep_global_get,	RF_SESSION },
	{ "global",	M_PUT,	  "/global/**",	ep_global_put,
	    RF_SESSION | RF_ADMIN },
	{ "global",	M_DELETE, "/global/**",	ep_global_delete,
	    RF_SESSION | RF_ADMIN },
};
const int nroutes = (int)(sizeof routes / sizeof routes[0]);


/* Match path against pattern; on success set arg and arg_len. */
static int
pattern_match(const char *pat, const char *path, const char **arg,
    size_t *arg_len)
{
	while (*pat != '\0') {
		if (pat[0] == '*' && pat[1] == '*') {
			*arg = path;
			*arg_len = strlen(path);
			return 1;
		}
		if (*pat == '*') {
			size_t n = strcspn(path, "/");

			if (n == 0)
				return 0;
			*arg = path;
			*arg_len = n;
			path += n;
			pat++;
			continue;
		}
		if (*pat++ != *path++)
			return 0;
	}
	return *path == '\0';
}

static int
method_matches(const struct route *rt, enum method m)
{
	if (rt->flags & RF_ANY_METHOD)
		return 1;
	return rt->method == m || (rt->method == M_GET && m == M_HEAD);
}

static void
allow_header(struct request *r)
{
	struct buf allow;
	unsigned seen = 0;
	const char *arg;
	size_t len;

	buf_init(&allow);
	for (int i = 0; i < nroutes; i++) {
		if (!pattern_match(routes[i].pattern, r->path, &arg, &len))
			continue;
		if (method_names[routes[i].method] == NULL ||
		    (seen & (1u << routes[i].method)))
			continue;
		seen |= 1u << routes[i].method;
		if (allow.len > 0)
			buf_puts(&allow, ", ");
		buf_puts(&allow, method_names[routes[i].method]);
		if (routes[i].method == M_GET) {
			buf_puts(&allow, ", HEAD");
			seen |= 1u << M_HEAD;
		}
	}
	if (!buf_failed(&allow))
		(void)response_header(r, "Allow", allow.data);
	buf_free(&allow);
}

int
route_resolve(struct request *r)
{
	bool path_known = false;
	const char *arg;
	size_t len;

	for (int i = 0; i < nroutes; i++) {
		arg = NULL;
		len = 0;
		if (!pattern_match(routes[i].pattern, r->path, &arg, &len))
			continue;
		path_known = true;
		if (!method_matches(&routes[i], r->method))
			continue;
		r->route = &routes[i];
		r->arg = arg;
		r->arg_len = len;
		return 0;
	}
	if (!path_known)
		return request_fail(r, 404, "not_found", "no such endpoint");
	allow_header(r);
	return request_fail(r, 405, "method_not_allowed",
	    "method not allowed here");
}
