/*
 * store_fixture.h - helpers shared by test_store.c (SQLite only) and
 * test_store_contract.c (every backend): one place that makes test users,
 * sessions and cache entries, and removes a temporary database with its
 * -wal/-shm/-journal files.
 *
 * Invariants:
 *   - sfx_add_user() CHECKs that the add succeeded and returns the new id
 *     (0 on failure, after the CHECK has counted it).
 *   - sfx_make_session() fills every field a test reads: the hash is all
 *     byte b, the handle is b in hex, ip/user_agent are derived from b.
 *   - sfx_remove_db() never fails: missing files are fine.
 */
#ifndef SESSIONGW_STORE_FIXTURE_H
#define SESSIONGW_STORE_FIXTURE_H

#include <stdint.h>

#include "store.h"

int64_t	sfx_add_user(struct store *, const char *name);
void	sfx_make_session(struct session *, unsigned char b, int64_t user_id,
	    int64_t created, int64_t expires);
int	sfx_cache_put(struct store *, int64_t scope, const char *key,
	    int64_t now, int64_t expires, const struct cache_limits *,
	    int64_t *evicted, int64_t *cur);
int	sfx_cache_has(struct store *, int64_t scope, const char *key,
	    int64_t now);
void	sfx_remove_db(const char *dir, const char *path);

#endif
