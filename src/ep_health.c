/*
 * ep_health.c - GET /session/healthz, a load balancer's probe; no session
 * needed. It tells the truth about the store (SPEC "Degrade, don't fail"):
 *
 *   200 "ok"                                  reads and writes work
 *   200 "degraded (writes failing since T)"   reads work, writes do not
 *   503 "database unavailable"                reads fail
 *
 * It proves both with real operations: a read of the schema and a small
 * write transaction that waits only the bookkeeping bound
 * (store_health_bookkeeping), so a probe never hangs on a lock. Writes count as failing from the first fault
 * any request met until the probe succeeds again; after a full disk, until
 * no fault has been seen for STORE_FAILING_WINDOW seconds (a nearly full
 * disk may still take the probe's one page but not a login).
 */
#include <time.h>

#include "endpoints.h"
#include "server.h"
#include "stage.h"

static void
rfc3339(char out[32], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	(void)strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
ep_healthz(struct request *r)
{
	struct store_health *h = &r->w->srv->store_health;
	struct store *st = r->w->store;
	char when[32];
	int64_t since;
	int rc;

	r->res.content_type = "text/plain";
	if (store_ping(st) != STORE_OK) {
		(void)store_health_fault(h, store_fault(st), r->now);
		r->res.status = 503;
		buf_puts(&r->res.body, "database unavailable\n");
		return STAGE_DONE;
	}
	/*
	 * With the bookkeeping waits (anyone may call healthz: a flood of
	 * probes must not park the workers on a lock), but not the backoff:
	 * the probe must see a lock go as soon as it goes. A busy or full
	 * store is recorded by store_health_try.
	 */
	rc = store_health_try(h, st, r->now, bookkeeping_probe, NULL);
	if (rc == STORE_ERROR)
		(void)store_health_fault(h, store_fault(st), r->now);
	else if (rc == STORE_OK)
		store_health_write_ok(h, r->now);
	r->res.status = 200;
	since = store_health_failing_since(h, r->now);
	if (since == 0) {
		buf_puts(&r->res.body, "ok");
		return STAGE_DONE;
	}
	rfc3339(when, since);
	buf_printf(&r->res.body, "degraded (writes failing since %s)\n", when);
	return STAGE_DONE;
}
