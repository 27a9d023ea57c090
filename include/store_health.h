/*
 * store_health.h - the daemon's view of its store: faults by kind, since
 * when writes have been failing, activity writes skipped, and the audit
 * line that reports a run of faults (at most one per interval).
 *
 * "Degrade, don't fail" (SPEC, session rules): a busy or full store costs
 * bookkeeping writes (skipped and retried on a later request) and the
 * requests that must write (503 + Retry-After), never the reads. This
 * header holds the waits that bound both and the shared record of faults
 * that healthz and metrics read. Shared by every worker thread: atomics
 * only, no request data.
 */
#ifndef SESSIONGW_STORE_HEALTH_H
#define SESSIONGW_STORE_HEALTH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/*
 * A write the request needs (login, logout, revoke, cache PUT/DELETE)
 * waits at most this long for another writer's lock, then is answered
 * 503: long enough for any write of the daemon's own (each is one short
 * transaction), short enough that a long outside lock cannot park the
 * workers.
 */
#define STORE_WAIT_WRITE_MS		1000
/*
 * A bookkeeping write (activity, dropping a dead session, cleanup, the
 * healthz probe) waits at most this long and is skipped: validate answers
 * within about this bound whatever holds the lock.
 */
#define STORE_WAIT_BOOKKEEPING_MS	100
/*
 * While one bookkeeping write waits the full bound, the others wait only
 * this: enough for the daemon's own short write transactions, so one
 * request pays for finding an outside lock, not every worker at once.
 */
#define STORE_WAIT_SHARED_MS		10
/*
 * After a bookkeeping write met a busy or full store, the others are
 * skipped without trying until this many seconds have passed: one request
 * a second pays the short wait, not every request (validate throughput
 * during a long lock stays that of an unlocked store).
 */
#define STORE_BOOKKEEPING_BACKOFF	1
/* Faults seen within this many seconds count as "writes failing". */
#define STORE_FAILING_WINDOW		10
/* At most one store_unavailable audit line per this many seconds. */
#define STORE_AUDIT_INTERVAL		10

struct store_health {
	atomic_ullong	faults[STORE_FAULT__MAX];	/* by kind */
	atomic_ullong	activity_skipped;	/* activity writes skipped */
	atomic_llong	failing_since;	/* first fault of the current run */
	atomic_llong	last_fault;	/* Unix seconds; 0 = never */
	atomic_llong	audited_at;	/* last store_unavailable line */
	atomic_ullong	unaudited;	/* faults not yet in an audit line */
	atomic_llong	backoff_until;	/* no bookkeeping write before */
	atomic_int	last_kind;	/* enum store_fault of last_fault */
	atomic_bool	long_waiter;	/* a bookkeeping write waits the bound */
};

/* store_health_bookkeeping(): the write was skipped (not an error). */
#define STORE_SKIPPED	3

/* One bookkeeping write: a store function and its argument. */
typedef int (*bookkeeping_fn)(struct store *, const void *arg);

/*
 * Record one fault of kind at now: counted, the run of faults extended,
 * and a store_unavailable audit line written when the last one is at
 * least STORE_AUDIT_INTERVAL old (detail: kind, count since the last
 * line, since). Returns true when it wrote that line, so the caller may
 * log the fault's message once per interval too.
 */
bool	store_health_fault(struct store_health *, enum store_fault,
	    int64_t now);
/*
 * Run one bookkeeping write under the rules above: skipped at once while
 * backing off; else it waits STORE_WAIT_BOOKKEEPING_MS if no other one
 * does, STORE_WAIT_SHARED_MS if one does; a busy or full store skips it.
 * Returns what fn returned (STORE_OK, STORE_NOTFOUND...), STORE_SKIPPED,
 * or STORE_ERROR for any other fault (for request_db_fail()).
 */
int	store_health_bookkeeping(struct store_health *, struct store *,
	    int64_t now, bookkeeping_fn, const void *arg);
/*
 * The same without the backoff: for the healthz probe, which must see a
 * lock go as soon as it goes.
 */
int	store_health_try(struct store_health *, struct store *, int64_t now,
	    bookkeeping_fn, const void *arg);
/* The daemon's bookkeeping writes, as bookkeeping_fn. */
int	bookkeeping_touch(struct store *, const void *session);
int	bookkeeping_delete(struct store *, const void *session_hash);
int	bookkeeping_probe(struct store *, const void *unused);
/* May a bookkeeping write be tried at now (not backing off)? */
bool	store_health_bookkeeping_ok(struct store_health *, int64_t now);
/*
 * A bookkeeping write failed: true when it may be skipped (busy or full:
 * the fault is recorded and bookkeeping backs off for
 * STORE_BOOKKEEPING_BACKOFF; a later request retries), false for any
 * other fault (left for request_db_fail(), which records it).
 */
bool	store_health_skippable(struct store_health *, const struct store *,
	    int64_t now);
/*
 * A write just succeeded (the healthz probe): the run of faults ends,
 * unless the last fault was a full disk within STORE_FAILING_WINDOW (a
 * one-page probe may still fit where a login or cache PUT does not).
 */
void	store_health_write_ok(struct store_health *, int64_t now);
/*
 * Unix seconds of the first fault of the current run, or 0 when the run
 * ended or no fault has been seen for STORE_FAILING_WINDOW seconds.
 */
int64_t	store_health_failing_since(struct store_health *, int64_t now);

#endif
