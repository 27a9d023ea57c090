/*
 * stage_cleanup.c - the cleanup stage, run after the response is sent.
 *
 * At most one pass per [cleanup] interval across all threads: the thread
 * that wins a compare-and-swap on the shared timestamp does the pass, the
 * others skip at the cost of one atomic load. Rows go in batches of
 * [cleanup] batch, one short statement each, so no pass holds SQLite's
 * write lock for long.
 */
#include <cJSON.h>

#include "audit.h"
#include "server.h"
#include "stage.h"

/* Upper bound on statements per pass, so one pass cannot run forever. */
#define CLEANUP_MAX_ROUNDS	100

static int64_t
sweep(struct request *r, int which)
{
	const struct config *cfg = &r->w->srv->cfg;
	int64_t total = 0, n;

	for (int i = 0; i < CLEANUP_MAX_ROUNDS; i++) {
		int rc;

		n = 0;
		if (which == 0)
			rc = store_cleanup_sessions(r->w->store, r->now,
			    cfg->absolute_age, cfg->cleanup_batch, &n);
		else
			rc = store_cleanup_cache(r->w->store, r->now,
			    cfg->cleanup_batch, &n);
		if (rc != STORE_OK)
			break;
		total += n;
		if (n < cfg->cleanup_batch)
			break;
	}
	return total;
}

int
stage_cleanup(struct request *r)
{
	struct server *srv = r->w->srv;
	long long last = atomic_load(&srv->last_cleanup);
	int64_t sessions, cache, failures = 0;
	struct audit_rec a = { .event = AUDIT_CLEANUP };

	if (r->now - last < srv->cfg.cleanup_interval)
		return STAGE_NEXT;
	if (!atomic_compare_exchange_strong(&srv->last_cleanup, &last, r->now))
		return STAGE_NEXT;	/* another thread is on it */
	sessions = sweep(r, 0);
	cache = sweep(r, 1);
	(void)store_cleanup_failures(r->w->store, r->now,
	    srv->cfg.login_window + srv->cfg.login_lockout, &failures);
	atomic_fetch_add(&srv->metrics.cleanup_sessions,
	    (unsigned long long)sessions);
	atomic_fetch_add(&srv->metrics.cleanup_cache, (unsigned long long)cache);
	stats_flush(srv, r->w->store);
	if (sessions == 0 && cache == 0)
		return STAGE_NEXT;
	a.detail = cJSON_CreateObject();
	if (a.detail != NULL) {
		cJSON_AddNumberToObject(a.detail, "sessions", (double)sessions);
		cJSON_AddNumberToObject(a.detail, "cache", (double)cache);
		cJSON_AddStringToObject(a.detail, "source", "daemon");
	}
	audit_write(&a);
	return STAGE_NEXT;
}
