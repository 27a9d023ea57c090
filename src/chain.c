/*
 * chain.c - the stage table and its runner.
 *
 * Each request runs through stages[] in order. A stage returns STAGE_NEXT,
 * STAGE_DONE or an HTTP status; only this runner turns a status into an
 * error response, so every error body has the same JSON shape (or, for a
 * browser form, the same short HTML page: wants_html()). Stages
 * marked after_response run once the response has been flushed to nginx.
 * A stage may also return STAGE_HANDOFF: the runner then stops without
 * touching the response and remembers where (r->resume), so the thread
 * the request is handed to continues the same table at the same row.
 */
#include <stdbool.h>
#include <stddef.h>

#include <sodium.h>

#include "endpoints.h"
#include "pages.h"
#include "response.h"
#include "session.h"
#include "session_ops.h"
#include "server.h"
#include "stage.h"

struct stage {
	const char	*name;
	int		(*fn)(struct request *);
	bool		 after_response;
};

static const struct stage stages[] = {
	{ "connection",	stage_connection,	false },	/* facts, route */
	{ "origin",	stage_origin,		false },	/* before any write */
	{ "session",	stage_session,		false },	/* cookie -> session */
	{ "activity",	stage_activity,		false },	/* last_seen, ip */
	{ "handoff",	stage_handoff,		false },	/* password pool */
	{ "route",	stage_route,		false },	/* the endpoint */
	{ "cleanup",	stage_cleanup,		true },		/* expired rows */
};

static const char *
default_code(int status)
{
	switch (status) {
	case 400: return "bad_request";
	case 401: return "unauthorized";
	case 403: return "forbidden";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 413: return "too_large";
	case 429: return "rate_limited";
	case 503: return "unavailable";
	default:  return "internal_error";
	}
}

/*
 * Cookie bookkeeping once the endpoint is done: clear a cookie that failed
 * validation (unless a valid value was also sent), re-send a valid one when
 * it was signed by an old key or its Max-Age slid.
 */
static void
finish_cookies(struct request *r)
{
	const struct config *cfg = &r->w->srv->cfg;
	char token[TOKEN_LEN + 1];

	if (r->res.set_cookie)
		return;
	if (r->sess_state == SESS_INVALID && r->sess_seen_invalid) {
		cookie_clear_header(r);
		return;
	}
	if (r->sess_state != SESS_VALID)
		return;
	if (r->sess_key_index > 0 ||
	    (r->sess_slid && session_cookie_persists(cfg, &r->sess))) {
		session_make_token(r, r->sess_id, token);
		cookie_set_header(r, token);
		sodium_memzero(token, sizeof token);
	}
}

int
chain_run(struct request *r)
{
	size_t i;
	int rc = STAGE_NEXT;

	for (i = r->resume; i < sizeof stages / sizeof stages[0]; i++) {
		if (stages[i].after_response)
			continue;
		rc = stages[i].fn(r);
		if (rc == STAGE_HANDOFF) {
			r->resume = i;	/* the stage runs again, on the pool */
			return STAGE_HANDOFF;
		}
		if (rc != STAGE_NEXT)
			break;
	}
	if (rc >= 400 || r->res.status == 0) {
		int status = rc >= 400 ? rc : 500;
		const char *msg = r->err_msg != NULL ? r->err_msg :
		    http_reason(status);

		/* a bare 500 after a store fault: the status chosen for it */
		if (status == 500 && r->err_status > 500) {
			status = r->err_status;
			msg = r->err_msg;
		}
		/* a person at a browser form gets a page, never raw JSON */
		if (wants_html(r, NULL, 0))
			page_error(r, status, msg);
		else
			response_error(r, status, r->err_code != NULL ?
			    r->err_code : default_code(status), msg);
	}
	if (r->route == NULL || !(r->route->flags & RF_PUBLIC))
		r->res.no_store = true;
	finish_cookies(r);
	return r->res.status;
}

void
chain_run_after(struct request *r)
{
	size_t i;

	for (i = 0; i < sizeof stages / sizeof stages[0]; i++)
		if (stages[i].after_response)
			(void)stages[i].fn(r);
}
