/*
 * store_health.c - the shared record of store faults (store_health.h).
 *
 * One rule per function: what a fault changes (store_health_fault), which
 * bookkeeping faults may be skipped (store_health_skippable), and when
 * writes count as failing (store_health_failing_since). The audit line is
 * rate-limited with one compare-and-swap on its timestamp, so a lock that
 * fails a thousand requests a second writes one line per interval with
 * their exact count.
 */
#include <cJSON.h>
#include <time.h>

#include "audit.h"
#include "store_health.h"

static void
audit_unavailable(enum store_fault kind, unsigned long long count,
    int64_t since)
{
	struct audit_rec a = { .event = AUDIT_STORE_UNAVAILABLE };
	char when[32];
	time_t t = (time_t)since;
	struct tm tm;

	a.detail = cJSON_CreateObject();
	if (a.detail != NULL) {
		gmtime_r(&t, &tm);
		(void)strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
		cJSON_AddStringToObject(a.detail, "kind",
		    store_fault_names[kind]);
		cJSON_AddNumberToObject(a.detail, "count", (double)count);
		cJSON_AddStringToObject(a.detail, "since", when);
	}
	audit_write(&a);
}

bool
store_health_fault(struct store_health *h, enum store_fault kind,
    int64_t now)
{
	long long prev = atomic_exchange(&h->last_fault, now);
	long long audited = atomic_load(&h->audited_at);

	if ((unsigned)kind >= STORE_FAULT__MAX)
		kind = STORE_FAULT_OTHER;
	atomic_fetch_add(&h->faults[kind], 1);
	atomic_store(&h->last_kind, (int)kind);
	atomic_fetch_add(&h->unaudited, 1);
	/* a quiet window ends a run: this fault starts a new one */
	if (prev == 0 || now - prev >= STORE_FAILING_WINDOW)
		atomic_store(&h->failing_since, now);
	if (now - audited < STORE_AUDIT_INTERVAL ||
	    !atomic_compare_exchange_strong(&h->audited_at, &audited, now))
		return false;
	audit_unavailable(kind, atomic_exchange(&h->unaudited, 0),
	    atomic_load(&h->failing_since));
	return true;
}

bool
store_health_skippable(struct store_health *h, const struct store *st,
    int64_t now)
{
	enum store_fault kind = store_fault(st);

	if (kind != STORE_FAULT_BUSY && kind != STORE_FAULT_FULL &&
	    kind != STORE_FAULT_DOWN)
		return false;
	atomic_store(&h->backoff_until, now + STORE_BOOKKEEPING_BACKOFF);
	(void)store_health_fault(h, kind, now);
	return true;
}

bool
store_health_bookkeeping_ok(struct store_health *h, int64_t now)
{
	return now >= atomic_load(&h->backoff_until);
}

void
store_health_write_ok(struct store_health *h, int64_t now)
{
	long long last = atomic_load(&h->last_fault);

	if (last == 0 || (atomic_load(&h->last_kind) == STORE_FAULT_FULL &&
	    now - last < STORE_FAILING_WINDOW))
		return;
	(void)atomic_compare_exchange_strong(&h->last_fault, &last, 0);
}

int
bookkeeping_touch(struct store *st, const void *session)
{
	return store_session_touch(st, session);
}

int
bookkeeping_delete(struct store *st, const void *session_hash)
{
	return store_session_delete(st, session_hash);
}

int
bookkeeping_probe(struct store *st, const void *unused)
{
	(void)unused;
	return store_probe_write(st);
}

int
store_health_bookkeeping(struct store_health *h, struct store *st,
    int64_t now, bookkeeping_fn fn, const void *arg)
{
	bool no_one = false, long_wait;
	int rc;

	if (!store_health_bookkeeping_ok(h, now))
		return STORE_SKIPPED;
	long_wait = atomic_compare_exchange_strong(&h->long_waiter, &no_one,
	    true);
	store_set_wait(st, long_wait ? STORE_WAIT_BOOKKEEPING_MS :
	    STORE_WAIT_SHARED_MS);
	rc = fn(st, arg);
	store_set_wait(st, STORE_WAIT_WRITE_MS);
	if (long_wait)
		atomic_store(&h->long_waiter, false);
	if (rc == STORE_ERROR && store_health_skippable(h, st, now))
		rc = STORE_SKIPPED;
	return rc;
}

int64_t
store_health_failing_since(struct store_health *h, int64_t now)
{
	long long last = atomic_load(&h->last_fault);

	if (last == 0 || now - last >= STORE_FAILING_WINDOW)
		return 0;
	return atomic_load(&h->failing_since);
}
