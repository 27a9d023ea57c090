/*
 * metrics.h - process-wide counters, lock-free (C11 atomics).
 *
 * Counters hold no request data, only totals, so sharing them between
 * threads leaks nothing. Exposed at /session/metrics in Prometheus text.
 */
#ifndef SESSIONGW_METRICS_H
#define SESSIONGW_METRICS_H

#include <stdatomic.h>

enum validation_result {
	VR_OK, VR_NO_COOKIE, VR_BAD_SIGNATURE, VR_MALFORMED, VR_UNKNOWN,
	VR_EXPIRED, VR_REVOKED, VR_IP_CHANGED, VR__MAX
};
extern const char *const validation_result_names[VR__MAX];

enum login_result {
	LR_SUCCESS, LR_FAILURE, LR_LOCKED, LR_RATE_LIMITED, LR_MALFORMED,
	LR_BUSY,		/* password queue full: 503 */
	LR__MAX
};
extern const char *const login_result_names[LR__MAX];

#define METRIC_STATUS_MAX	8	/* 200 204 303 400 401 403 404 other */
#define METRIC_ENDPOINTS_MAX	32
#define METRIC_BUCKETS		10

struct metrics {
	atomic_ullong	validations[VR__MAX];
	atomic_ullong	logins[LR__MAX];
	atomic_ullong	cache_hits, cache_misses, cache_sets;
	atomic_ullong	cache_evictions, cache_culls;
	atomic_ullong	cleanup_sessions, cleanup_cache;
	atomic_ullong	requests[METRIC_ENDPOINTS_MAX][1000];
	atomic_ullong	duration_bucket[METRIC_BUCKETS + 1];	/* +Inf */
	atomic_ullong	duration_count;
	atomic_ullong	duration_sum_us;
};

extern const double metric_buckets[METRIC_BUCKETS];

struct request;
/* Count one finished request (status, duration, validation result). */
void	metrics_record(struct request *);

#endif
