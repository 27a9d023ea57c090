/*
 * cache.h - the per-user and global cache, Django database-cache style.
 *
 * The scope of every operation comes from a struct cache_ctx, and a user
 * context can only be made from a request whose session validated: there
 * is no way to name another user's scope with a string. Rows expire at
 * their ttl and are never returned afterwards; a user at quota evicts
 * only their own oldest rows; a full table culls expired rows first, then
 * 1/cull_frequency of the oldest.
 */
#ifndef SESSIONGW_CACHE_H
#define SESSIONGW_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "request.h"
#include "store.h"

struct cache_ctx {
	struct store		*store;
	const struct config	*cfg;
	struct metrics		*metrics;
	int64_t			 scope;		/* user id or CACHE_SCOPE_GLOBAL */
	int64_t			 now;
};

/* The validated session's user scope. -1 if r has no valid session. */
int	cache_user(struct cache_ctx *, const struct request *)
	    __attribute__((warn_unused_result));
/* The shared namespace (write access is the caller's to check). */
void	cache_global(struct cache_ctx *, const struct request *);

/* STORE_OK (entry filled; free entry->value), STORE_NOTFOUND, STORE_ERROR. */
int	cache_get(const struct cache_ctx *, const char *key,
	    struct cache_entry *);
/* ttl < 0: [cache] default_timeout; 0: no expiry. STORE_OK / STORE_ERROR. */
int	cache_set(const struct cache_ctx *, const char *key, const void *value,
	    size_t len, const char *content_type, long ttl);
/* STORE_OK, STORE_NOTFOUND, STORE_ERROR. */
int	cache_delete(const struct cache_ctx *, const char *key);

#endif
