/*
 * stage_origin.c - the Origin check on state-changing requests.
 *
 * A POST/PUT/DELETE whose Origin header is present must come from this
 * site (scheme://host[:port] of the request) or from allowed_origins.
 * It runs right after the connection facts and before the session and
 * activity stages, so a refused request changes nothing: no activity is
 * recorded and no session is ended by an address change (SPEC "HTTP
 * endpoints").
 */
#include <cJSON.h>

#include "audit.h"
#include "endpoints.h"
#include "parse.h"
#include "server.h"
#include "session.h"
#include "stage.h"

static bool
state_changing(enum method m)
{
	return m == M_POST || m == M_PUT || m == M_DELETE || m == M_OTHER;
}

static int
reject(struct request *r)
{
	struct audit_rec a = { .event = AUDIT_ORIGIN_REJECTED };

	audit_from_request(&a, r);
	a.detail = cJSON_CreateObject();
	if (a.detail != NULL) {
		cJSON_AddStringToObject(a.detail, "origin", r->origin);
		cJSON_AddStringToObject(a.detail, "host", r->host);
		cJSON_AddStringToObject(a.detail, "endpoint", r->route->name);
	}
	audit_write(&a);
	return request_fail(r, 403, "bad_origin",
	    "Origin does not match this site");
}

int
stage_origin(struct request *r)
{
	const struct config *cfg = &r->w->srv->cfg;
	char host[HOST_MAX + 8];	/* + ":65535" */
	const char *self;

	if (r->origin == NULL || !state_changing(r->method) ||
	    (r->route->flags & RF_NO_ORIGIN))
		return STAGE_NEXT;
	/* no usable Host: only allowed_origins can match */
	self = origin_host(r->https, r->host, request_param(r, "SERVER_PORT"),
	    host, sizeof host) == 0 ? host : "";
	if (origin_allowed(r->origin, r->https, self,
	    (const char (*)[256])cfg->allowed_origins, cfg->nallowed_origins))
		return STAGE_NEXT;
	return reject(r);
}
