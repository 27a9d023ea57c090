/*
 * metrics.c - counter names, recording, and GET /session/metrics in the
 * Prometheus text exposition format (sessiongw_ prefix).
 */
#include <stdio.h>

#include "endpoints.h"
#include "metrics.h"
#include "request_life.h"
#include "response.h"
#include "server.h"
#include "stage.h"

const char *const validation_result_names[VR__MAX] = {
	[VR_OK] = "ok",
	[VR_NO_COOKIE] = "no_cookie",
	[VR_BAD_SIGNATURE] = "bad_signature",
	[VR_MALFORMED] = "malformed",
	[VR_UNKNOWN] = "unknown",
	[VR_EXPIRED] = "expired",
	[VR_REVOKED] = "revoked",
	[VR_IP_CHANGED] = "ip_changed",
};

const char *const login_result_names[LR__MAX] = {
	[LR_SUCCESS] = "success",
	[LR_FAILURE] = "failure",
	[LR_LOCKED] = "locked",
	[LR_RATE_LIMITED] = "rate_limited",
	[LR_MALFORMED] = "malformed",
	[LR_BUSY] = "busy",
};

const double metric_buckets[METRIC_BUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
};


/* Called by the worker once the response is sent. */
void
metrics_record(struct request *r)
{
	struct metrics *m = &r->w->srv->metrics;
	int ep = r->route != NULL ? (int)(r->route - routes) : nroutes;
	int status = r->res.status;
	double secs = request_elapsed(r);
	int i;

	if (ep >= METRIC_ENDPOINTS_MAX)
		ep = METRIC_ENDPOINTS_MAX - 1;

	if (status < 100 || status > 999)
		status = 999;
	atomic_fetch_add(&m->requests[ep][status], 1);
	if (r->vcounted)
		atomic_fetch_add(&m->validations[r->vresult], 1);
	for (i = 0; i < METRIC_BUCKETS && secs > metric_buckets[i]; i++)
		;
	atomic_fetch_add(&m->duration_bucket[i], 1);
	atomic_fetch_add(&m->duration_count, 1);
	atomic_fetch_add(&m->duration_sum_us, (unsigned long long)(secs * 1e6));
}

/* The cache counters `sessiongw stats` reads from the database. */
enum flushed_counter { FC_HITS, FC_MISSES, FC_SETS, FC_EVICTIONS, FC_CULLS };
_Static_assert(FC_CULLS + 1 == FC__COUNT, "FC__COUNT in server.h");

static const char *const flushed_names[FC__COUNT] = {
	[FC_HITS] = "cache_hits",
	[FC_MISSES] = "cache_misses",
	[FC_SETS] = "cache_sets",
	[FC_EVICTIONS] = "cache_evictions",
	[FC_CULLS] = "cache_culls",
};

static atomic_ullong *
flushed_counter(struct metrics *m, int i)
{
	switch (i) {
	case FC_HITS:		return &m->cache_hits;
	case FC_MISSES:		return &m->cache_misses;
	case FC_SETS:		return &m->cache_sets;
	case FC_EVICTIONS:	return &m->cache_evictions;
	default:		return &m->cache_culls;
	}
}

void
stats_flush(struct server *srv, struct store *st)
{
	pthread_mutex_lock(&srv->flush_lock);
	for (int i = 0; i < FC__COUNT; i++) {
		unsigned long long v = atomic_load(
		    flushed_counter(&srv->metrics, i));

		if (v == srv->flushed[i])
			continue;
		if (store_counter_add(st, flushed_names[i],
		    (int64_t)(v - srv->flushed[i])) == STORE_OK)
			srv->flushed[i] = v;
	}
	pthread_mutex_unlock(&srv->flush_lock);
}

static void
help(struct buf *b, const char *name, const char *type, const char *text)
{
	buf_printf(b, "# HELP sessiongw_%s %s\n# TYPE sessiongw_%s %s\n",
	    name, text, name, type);
}

static void
render_requests(struct buf *b, struct metrics *m)
{
	help(b, "requests_total", "counter", "Requests by endpoint and status.");
	for (int ep = 0; ep <= nroutes && ep < METRIC_ENDPOINTS_MAX; ep++) {
		for (int st = 100; st < 1000; st++) {
			unsigned long long n = atomic_load(&m->requests[ep][st]);

			if (n == 0)
				continue;
			buf_printf(b, "sessiongw_requests_total{endpoint=\"%s\","
			    "method=\"%s\",status=\"%d\"} %llu\n",
			    ep < nroutes ? routes[ep].name : "none",
			    ep >= nroutes ? "" : routes[ep].method == M_OTHER ?
			    "ANY" : method_names[routes[ep].method],
			    st, n);
		}
	}
}

static void
render_histogram(struct buf *b, struct metrics *m)
{
	unsigned long long cum = 0;

	help(b, "request_duration_seconds", "histogram",
	    "Time from accept to response, seconds.");
	for (int i = 0; i <= METRIC_BUCKETS; i++) {
		cum += atomic_load(&m->duration_bucket[i]);
		if (i < METRIC_BUCKETS)
			buf_printf(b, "sessiongw_request_duration_seconds_bucket"
			    "{le=\"%g\"} %llu\n", metric_buckets[i], cum);
		else
			buf_printf(b, "sessiongw_request_duration_seconds_bucket"
			    "{le=\"+Inf\"} %llu\n", cum);
	}
	buf_printf(b, "sessiongw_request_duration_seconds_sum %.6f\n",
	    (double)atomic_load(&m->duration_sum_us) / 1e6);
	buf_printf(b, "sessiongw_request_duration_seconds_count %llu\n",
	    atomic_load(&m->duration_count));
}

static void
render_counter(struct buf *b, const char *name, const char *text,
    atomic_ullong *v)
{
	help(b, name, "counter", text);
	buf_printf(b, "sessiongw_%s %llu\n", name, atomic_load(v));
}

static void
render_store_health(struct buf *b, struct store_health *h)
{
	render_counter(b, "activity_writes_skipped_total",
	    "Activity writes skipped because the store was busy or full.",
	    &h->activity_skipped);
	help(b, "store_errors_total", "counter", "Store faults by kind.");
	for (int i = 0; i < STORE_FAULT__MAX; i++)
		buf_printf(b, "sessiongw_store_errors_total{kind=\"%s\"} %llu\n",
		    store_fault_names[i], atomic_load(&h->faults[i]));
}

/* Which backend, and what it reports (Redis: memory, reconnects). */
static void
render_store_backend(struct buf *b, struct store *st)
{
	struct store_stats ss;

	if (store_stats(st, &ss) != STORE_OK)
		return;
	help(b, "store_info", "gauge", "The store backend in use.");
	buf_printf(b, "sessiongw_store_info{backend=\"%s\"} 1\n",
	    store_backend_names[ss.backend]);
	help(b, "store_bytes", "gauge",
	    "Store size: the SQLite file, or Redis used_memory.");
	buf_printf(b, "sessiongw_store_bytes %lld\n", (long long)ss.bytes);
	help(b, "store_reconnects_total", "counter",
	    "Connections to Redis made again after an error (this process).");
	buf_printf(b, "sessiongw_store_reconnects_total %lld\n",
	    (long long)ss.reconnects);
}

int
ep_metrics(struct request *r)
{
	struct metrics *m = &r->w->srv->metrics;
	struct buf *b = &r->res.body;
	int64_t active = 0;

	render_requests(b, m);
	help(b, "validations_total", "counter", "Session validations by result.");
	for (int i = 0; i < VR__MAX; i++)
		buf_printf(b, "sessiongw_validations_total{result=\"%s\"} %llu\n",
		    validation_result_names[i], atomic_load(&m->validations[i]));
	help(b, "logins_total", "counter", "Login attempts by result.");
	for (int i = 0; i < LR__MAX; i++)
		buf_printf(b, "sessiongw_logins_total{result=\"%s\"} %llu\n",
		    login_result_names[i], atomic_load(&m->logins[i]));
	if (store_session_count(r->w->store, r->now,
	    r->w->srv->cfg.absolute_age, &active) == STORE_OK) {
		help(b, "sessions_active", "gauge", "Sessions not yet expired.");
		buf_printf(b, "sessiongw_sessions_active %lld\n",
		    (long long)active);
	}
	render_counter(b, "cache_hits_total", "Cache reads that found a value.",
	    &m->cache_hits);
	render_counter(b, "cache_misses_total", "Cache reads that found none.",
	    &m->cache_misses);
	render_counter(b, "cache_sets_total", "Cache writes.", &m->cache_sets);
	render_counter(b, "cache_evictions_total",
	    "Rows evicted by the per-user quota.", &m->cache_evictions);
	render_counter(b, "cache_culls_total",
	    "Rows culled because the table was full.", &m->cache_culls);
	render_store_health(b, &r->w->srv->store_health);
	render_store_backend(b, r->w->store);
	help(b, "cleanup_deleted_total", "counter", "Rows deleted by cleanup.");
	buf_printf(b, "sessiongw_cleanup_deleted_total{table=\"sessions\"} %llu\n"
	    "sessiongw_cleanup_deleted_total{table=\"cache\"} %llu\n",
	    atomic_load(&m->cleanup_sessions), atomic_load(&m->cleanup_cache));
	render_histogram(b, m);
	r->res.status = 200;
	r->res.content_type = "text/plain; version=0.0.4";
	return STAGE_DONE;
}
