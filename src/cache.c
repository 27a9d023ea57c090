/*
 * cache.c - scope rules and counters around the store's cache rows.
 */
#include "cache.h"
#include "metrics.h"
#include "server.h"

static void
ctx_init(struct cache_ctx *c, const struct request *r, int64_t scope)
{
	c->store = r->w->store;
	c->cfg = &r->w->srv->cfg;
	c->metrics = &r->w->srv->metrics;
	c->scope = scope;
	c->now = r->now;
}

int
cache_user(struct cache_ctx *c, const struct request *r)
{
	if (r->sess_state != SESS_VALID || r->user.id <= 0)
		return -1;
	ctx_init(c, r, r->user.id);
	return 0;
}

void
cache_global(struct cache_ctx *c, const struct request *r)
{
	ctx_init(c, r, CACHE_SCOPE_GLOBAL);
}

int
cache_get(const struct cache_ctx *c, const char *key, struct cache_entry *e)
{
	int rc = store_cache_get(c->store, c->scope, key, c->now, e);

	if (rc == STORE_OK)
		atomic_fetch_add(&c->metrics->cache_hits, 1);
	else if (rc == STORE_NOTFOUND)
		atomic_fetch_add(&c->metrics->cache_misses, 1);
	return rc;
}

int
cache_set(const struct cache_ctx *c, const char *key, const void *value,
    size_t len, const char *content_type, long ttl)
{
	struct cache_limits lim = {
		.max_entries = c->cfg->cache_max_entries,
		.cull_frequency = c->cfg->cache_cull_frequency,
		.max_entries_per_user = c->cfg->cache_max_entries_per_user,
	};
	int64_t evicted = 0, culled = 0, expires;
	int rc;

	if (ttl < 0)
		ttl = c->cfg->cache_default_timeout;
	expires = ttl == 0 ? 0 : c->now + ttl;
	rc = store_cache_set(c->store, c->scope, key, value, len, content_type,
	    c->now, expires, &lim, &evicted, &culled);
	if (rc != STORE_OK)
		return rc;
	atomic_fetch_add(&c->metrics->cache_sets, 1);
	atomic_fetch_add(&c->metrics->cache_evictions,
	    (unsigned long long)evicted);
	atomic_fetch_add(&c->metrics->cache_culls, (unsigned long long)culled);
	return STORE_OK;
}

int
cache_delete(const struct cache_ctx *c, const char *key)
{
	return store_cache_delete(c->store, c->scope, key, c->now);
}
