/*
 * stage_cleanup.c - the cleanup stage, run after the response is sent.
 *
 * At most one pass per [cleanup] interval across all threads: the thread
 * that wins a compare-and-swap on the shared timestamp does the pass, the
 * others skip at the cost of one atomic load. Rows go in batches of
 * [cleanup] batch, each its own short transaction with a pause between
 * (cleanup.h), so no pass holds SQLite's write lock for long. Its writes
 * are bookkeeping: each waits at most STORE_WAIT_BOOKKEEPING_MS for
 * another writer, and a busy or full store ends the pass (the next one
 * carries on), so a long outside lock never parks this worker.
 */
#include <stdatomic.h>
#include <stdio.h>

#include <cJSON.h>

#include "audit.h"
#include "cleanup.h"
#include "server.h"
#include "stage.h"

/* Upper bound on batches per table per pass, so a pass cannot run forever. */
#define CLEANUP_MAX_ROUNDS	100

/* A failed sweep: counted when busy/full, logged otherwise. */
static void
sweep_failed(struct request *r)
{
	if (!store_health_skippable(&r->w->srv->store_health, r->w->store,
	    r->now)) {
		(void)store_health_fault(&r->w->srv->store_health,
		    store_fault(r->w->store), r->now);
		fprintf(stderr, "sessiongw: cleanup: %s\n",
		    store_errmsg(r->w->store));
	}
}

/*
 * Seconds between two WAL checkpoints, whatever [cleanup] interval says:
 * a few hundred writes a second (activity, cache PUTs) add about 10 MiB
 * of WAL a second, which SQLite's own PASSIVE checkpoints cannot copy
 * back while readers never stop (bench/README.md: 670 MiB with the
 * checkpoint only in the 60 s cleanup pass). Process-wide, like the
 * database file it is about.
 */
#define CHECKPOINT_INTERVAL_S	5
static _Atomic long long last_checkpoint;

/*
 * Copy the WAL back (store_checkpoint: PASSIVE, RESTART when large), at
 * most once per CHECKPOINT_INTERVAL_S across all threads, after the
 * response. Bookkeeping: the short wait, and a busy store is no fault.
 */
static void
maybe_checkpoint(struct request *r)
{
	long long last = atomic_load(&last_checkpoint);

	if (r->now - last < CHECKPOINT_INTERVAL_S ||
	    !store_health_bookkeeping_ok(&r->w->srv->store_health, r->now) ||
	    !atomic_compare_exchange_strong(&last_checkpoint, &last, r->now))
		return;
	store_set_wait(r->w->store, STORE_WAIT_BOOKKEEPING_MS);
	if (store_checkpoint(r->w->store, NULL, NULL) != STORE_OK)
		sweep_failed(r);
	store_set_wait(r->w->store, STORE_WAIT_WRITE_MS);
}

static void
pass(struct request *r, int64_t *sessions, int64_t *cache)
{
	struct server *srv = r->w->srv;
	struct cleanup_opts o = {
		.now = r->now,
		.absolute_age = srv->cfg.absolute_age,
		.batch = srv->cfg.cleanup_batch,
		.max_batches = CLEANUP_MAX_ROUNDS,
		.checkpoint = true,	/* with the bookkeeping wait: short */
	};
	int64_t failures = 0;
	bool ok;

	/*
	 * Each table is swept whatever happened to the one before: a
	 * sessions batch that finds the store busy (the activity writes of
	 * a whole site coming due) used to end the pass, so under load the
	 * cache rows were never reached (bench/README.md, "Cache rows in the
	 * storm").
	 */
	ok = cleanup_sweep(r->w->store, CLEANUP_SESSIONS, &o, sessions) ==
	    STORE_OK;
	ok = cleanup_sweep(r->w->store, CLEANUP_CACHE, &o, cache) ==
	    STORE_OK && ok;
	ok = store_cleanup_failures(r->w->store, r->now,
	    srv->cfg.login_window + srv->cfg.login_lockout, &failures) ==
	    STORE_OK && ok;
	if (!ok) {
		sweep_failed(r);
		return;
	}
	stats_flush(srv, r->w->store);
}

int
stage_cleanup(struct request *r)
{
	struct server *srv = r->w->srv;
	long long last = atomic_load(&srv->last_cleanup);
	int64_t sessions = 0, cache = 0;
	struct audit_rec a = { .event = AUDIT_CLEANUP };

	maybe_checkpoint(r);
	if (r->now - last < srv->cfg.cleanup_interval)
		return STAGE_NEXT;
	if (!store_health_bookkeeping_ok(&srv->store_health, r->now))
		return STAGE_NEXT;	/* busy or full: try after the backoff */
	if (!atomic_compare_exchange_strong(&srv->last_cleanup, &last, r->now))
		return STAGE_NEXT;	/* another thread is on it */
	store_set_wait(r->w->store, STORE_WAIT_BOOKKEEPING_MS);
	pass(r, &sessions, &cache);
	store_set_wait(r->w->store, STORE_WAIT_WRITE_MS);
	atomic_fetch_add(&srv->metrics.cleanup_sessions,
	    (unsigned long long)sessions);
	atomic_fetch_add(&srv->metrics.cleanup_cache, (unsigned long long)cache);
	if (sessions > 0 || cache > 0) {
		a.detail = cJSON_CreateObject();
		if (a.detail != NULL) {
			cJSON_AddNumberToObject(a.detail, "sessions",
			    (double)sessions);
			cJSON_AddNumberToObject(a.detail, "cache", (double)cache);
			cJSON_AddStringToObject(a.detail, "source", "daemon");
		}
		audit_write(&a);
	}
	return STAGE_NEXT;
}
