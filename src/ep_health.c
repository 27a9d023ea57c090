/*
 * ep_health.c - GET /session/healthz: 200 "ok" while the database answers,
 * 503 otherwise; no session needed (a load balancer's probe).
 */
#include "endpoints.h"
#include "server.h"
#include "stage.h"

int
ep_healthz(struct request *r)
{
	r->res.content_type = "text/plain";
	if (store_ping(r->w->store) != STORE_OK) {
		r->res.status = 503;
		buf_puts(&r->res.body, "database unavailable\n");
		return STAGE_DONE;
	}
	r->res.status = 200;
	buf_puts(&r->res.body, "ok");
	return STAGE_DONE;
}
